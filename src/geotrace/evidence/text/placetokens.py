"""Words of a text for the place finder: offsets, normalised keys, the gaps between them,
and the stretches (links, quoted names, unit names) where no place is read.

The tokeniser is the gazetteer build's convention (``geodata/names.py``): letters with inner
apostrophes or hyphens are one token ("Кам'янське", "Ростов-на-Дону"), so that a key made of
a text's tokens meets a key made of a name's.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from geotrace.evidence.text import placewords as W
from geotrace.geodata.names import normalise

#: The tokeniser convention shared with the gazetteer build (scripts/build_names.py):
#: letters with inner apostrophes or hyphens are one token ("Кам'янське", "Ростов-на-Дону");
#: a stress mark (U+0301, "Доне́цк") stays inside its word, and normalise() drops it.
WORD: Final = re.compile(
    r"[^\W\d_]\u0301?(?:[^\W\d_]\u0301?)*(?:['’ʼ-][^\W\d_]\u0301?(?:[^\W\d_]\u0301?)*)*"
)
#: Links and handles: a name in "https://.../v-kitae-..." or "@kyiv_news" is no mention.
_LINK: Final = re.compile(r"(?:https?://|www\.|t\.me/)\S+|[@#]?\w+@\S+|@\w+", re.IGNORECASE)
#: Quoted stretches: «...», „...“, “...”, "..." (content offsets are group 1..4).
_QUOTE: Final = re.compile(
    r"«([^«»\n]{1,80})»|„([^“”\n]{1,80})[“”]|“([^”\n]{1,80})”|\"([^\"\n]{1,80})\""
)
#: What ends a sentence, so the next capital is not a sign of a proper noun.
_SENTENCE_END: Final = frozenset(".!?…\n:;")


@dataclass(slots=True)
class Tokens:
    """The text's word tokens: offsets, raw words, normalised keys and the gaps between them."""

    text: str
    starts: list[int]
    ends: list[int]
    raw: list[str]
    keys: list[str]
    plain: list[bool]  # plain[k]: only spaces (no newline, no punctuation) between k and k+1

    def dot_after(self, k: int) -> bool:
        end = self.ends[k]
        return end < len(self.text) and self.text[end] == "."

    def capital(self, k: int) -> bool:
        return self.raw[k][0].isupper()

    def sentence_start(self, k: int) -> bool:
        """Whether token k opens a sentence (its capital then says nothing)."""
        if k == 0:
            return True
        gap = self.text[self.ends[k - 1] : self.starts[k]]
        if not any(c in _SENTENCE_END for c in gap):
            return not any(c.isalnum() for c in self.text[: self.starts[k]])
        # "г. Мирный", "обл. Донецк": the dot of an abbreviation ends no sentence
        return not (gap.startswith(". ") and self.keys[k - 1] in W.SETTLEMENT_ABBR)


def tokenise(text: str) -> Tokens:
    starts: list[int] = []
    ends: list[int] = []
    raw: list[str] = []
    for m in WORD.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
        raw.append(m.group())
    # one normalise() of the whole text when it keeps every offset (it drops stress marks)
    folded = normalise(text)
    if len(folded) == len(text):
        keys = [folded[a:b] for a, b in zip(starts, ends, strict=True)]
    else:
        keys = [normalise(w) for w in raw]
    plain = [
        (gap := text[ends[k] : starts[k + 1]]).isspace() and "\n" not in gap
        for k in range(len(raw) - 1)
    ]
    plain.append(False)
    return Tokens(text, starts, ends, raw, keys, plain)


@dataclass(frozen=True, slots=True)
class Spans:
    """Character spans asked "does one overlap [start, end)?" in O(log n): the spans by
    start, and the farthest end reached so far.  A scan of every span for every word made
    8,000 quoted names take 6 s (tests/evidence/test_text_hostile.py)."""

    starts: list[int]
    reach: list[int]

    @staticmethod
    def of(spans: Iterable[tuple[int, int]]) -> Spans:
        ordered = sorted(spans)
        return Spans([a for a, _ in ordered], list(accumulate((b for _, b in ordered), max)))

    def begins(self, at: int) -> bool:
        """Whether a span starts at ``at``."""
        k = bisect_left(self.starts, at)
        return k < len(self.starts) and self.starts[k] == at


@dataclass(frozen=True, slots=True)
class Blocked:
    """Where places are not read, or only some are (character spans of the text)."""

    hard: Spans  # the caller's unit names and links: nothing
    org: Spans  # quoted names after an organisation word: countries only
    quoted: Spans  # quoted single names («Азов»): areas only
    either: Spans  # hard or org


def blocked(text: str, exclude: Sequence[tuple[int, int]]) -> Blocked:
    """Character spans where no place can be: the caller's unit names, links, quoted names
    of organisations (but for a country they are named after: фонд «Ветераны России»); and
    quoted single names («Азов», «Днепр»: things named after places), where only a country
    or an admin-1 unit is still read («Україна», так звані «ДНР»).  A quoted sentence or
    slogan («Россия будет свободной!», «Слава Україні!») is text: its places are places."""
    spans = list(exclude)
    org: list[tuple[int, int]] = []
    quoted: list[tuple[int, int]] = []
    if "/" in text or "@" in text:
        spans.extend(m.span() for m in _LINK.finditer(text))
    if '"' in text or "«" in text or "“" in text or "„" in text:
        for m in _QUOTE.finditer(text):
            group = next(g for g in range(1, 5) if m.group(g) is not None)
            start, end = m.span(group)
            content = m.group(group).strip()
            words = len(content.split())
            if content.endswith(("!", "?", "!»")) or words >= _SENTENCE_WORDS:
                continue
            before = text[max(0, start - 30) : start - 1].lower().split()
            if before and W.ORG.match(before[-1]) is not None:
                org.append((start, end))
            elif words <= 2:
                quoted.append((start, end))
    return Blocked(Spans.of(spans), Spans.of(org), Spans.of(quoted), Spans.of(spans + org))


#: Quoted words from which a quote is a sentence, not a name: titles of the corpus run to
#: 5 («Россия в глобальной политике», «Союз спасения Румынии»).
_SENTENCE_WORDS: Final = 6


def inside(spans: Spans, start: int, end: int) -> bool:
    """Whether any span overlaps [start, end)."""
    before = bisect_left(spans.starts, end)  # the spans that start before ``end``
    return before > 0 and spans.reach[before - 1] > start
