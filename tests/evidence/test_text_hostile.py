"""Post texts come from adversaries: any string is read without an error, every offset
points into the text and says what it claims, and inputs built to make regular expressions
backtrack are read in linear time."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from geotrace.evidence.text.mention import TextReading
from geotrace.evidence.text.reading import MAX_CHARS, read_text

#: Letters, marks and punctuation the finders look at, so that random texts reach them.
ALPHABET = st.sampled_from(
    list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґАБВДКМОПСУХЧІЇЄ")
    + list(" \n\t.,;:!?-–—'’ʼ«»\"()/№0123456789")
    + ["в/ч ", "под ", "з ", "область", "Донецк", "Дебальцево", "погиб", "не ", "ВСУ", "\u0301"]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(ALPHABET, max_size=120).map("".join))


def check(text: str, reading: TextReading) -> None:
    shown = text[:MAX_CHARS]
    for span in [*reading.places, *reading.units, *reading.casualty_cues]:
        assert 0 <= span.start < span.end <= len(shown)
        assert shown[span.start : span.end] == span.text
    for place in reading.places:
        assert 0.0 <= place.confidence <= 1.0
        assert place.relation in ("at", "near", "from", "to", "unknown")
        if place.kind in ("admin1", "country", "region", "feature"):
            assert place.lat is None and place.lon is None  # a polygon is never a point


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_any_text_is_read_and_every_offset_is_true(text: str) -> None:
    reading = read_text(text)
    check(text, reading)
    assert reading.json("x")["id"] == "x"


def test_inputs_built_to_backtrack_are_read_in_linear_time() -> None:
    pieces = [
        "Ф" * 100_000,
        "«" * 50_000 + "Азов",
        "в/ч " * 30_000,
        "под " * 40_000 + "Иловайском",
        "Нью-" * 30_000,
        "не " * 50_000 + "погиб",
        "64-я " * 30_000,
        "A'" * 60_000,
        ("Донецкой и " * 20_000) + "областях",
        "1" * 150_000,
        # Every word a place, a quoted name or an adjective: each mention once compared
        # with every other (37 s for 4,000 "Москва") until the anchors were bounded.
        "Москва " * 15_000,
        "Центральный " * 15_000,
        "«Россия » " * 15_000,
        "фонд «Ветераны России» " * 6_000,
        " и ".join(["Мирный", "Победа", "Октябрьское", "Александровка"] * 3_000),
    ]
    for text in pieces:
        started = time.process_time()
        check(text, read_text(text))
        spent = time.process_time() - started
        # ~2,000 ordinary posts/s of ~400 characters is ~1 MB/s; 2 s for 100-200 KB leaves
        # a loaded CI machine five times the margin, and a quadratic pattern far more.
        assert spent < 2.0, f"{text[:20]!r}...: {spent:.2f} s"


def test_a_text_longer_than_any_post_is_read_up_to_the_cap() -> None:
    text = "Мы в Донецке. " + "а " * MAX_CHARS + "Мы в Харькове."
    reading = read_text(text)
    check(text, reading)
    assert [p.text for p in reading.places] == ["Донецке"]
