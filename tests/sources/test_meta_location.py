"""Instagram's account_based_in.json: a city-level sighting of the export's owner, placed by
the gazetteer's look-up by name; names it cannot place and hostile files lose nothing else."""

from __future__ import annotations

import io
import json
import math
import random
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace import api
from geotrace.geodata import gazetteer
from geotrace.geodata.gazetteer import fold_name, settlement_named
from geotrace.records import Account, Post
from geotrace.sources.base import ExportFile, Refusal
from geotrace.sources.meta_location import (
    ACCOUNT_BASED_IN,
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    city_radius_m,
)
from geotrace.sources.meta_location import (
    read as read_based_in,
)
from geotrace.sources.registry import detect
from tests.conftest import SHARED, require_shared

POSTS = SHARED / "corpora" / "exports" / "instagram_dyi_json" / "yummyhopper_posts_1.json"
#: Meta's name for the export's folder, with the owner's username in it.
EXPORT = "instagram-yummyhopper-2024-05-20-AbC123"
BASED_IN = "personal_information/information_about_you/account_based_in.json"
PROFILE = "personal_information/personal_information/personal_information.json"
KYIV = (50.4501, 30.5234)  # the city centre (Maidan), not the gazetteer's own point


def _meta(text: str) -> str:
    """A string as Meta's DYI writes it: its UTF-8 bytes as code points (mojibake)."""
    return text.encode("utf-8").decode("latin-1")


def _entry(city: Any, timestamp: Any = 0, key: str = "City Name") -> dict[str, Any]:
    value = _meta(city) if isinstance(city, str) else city
    fields = {key: {"href": "", "value": value, "timestamp": timestamp}}
    return {"title": "", "media_map_data": {}, "string_map_data": fields}


def _document(*entries: Any) -> bytes:
    return json.dumps({"inferred_data_primary_location": list(entries)}, indent=2).encode()


def _export(root: Path, based_in: bytes, *, profile: bool = True, folder: str = EXPORT) -> Path:
    """A DYI export in ``root``: the real shared posts file, the location file beside it,
    and the owner's profile when ``profile``."""
    posts = require_shared(POSTS).read_bytes()
    export = root / folder
    (export / "your_instagram_activity" / "content").mkdir(parents=True)
    (export / "your_instagram_activity" / "content" / "posts_1.json").write_bytes(posts)
    (export / BASED_IN).parent.mkdir(parents=True)
    (export / BASED_IN).write_bytes(based_in)
    if profile:
        user = {"Username": {"href": "", "value": "yummyhopper", "timestamp": 0}}
        user["Name"] = {"href": "", "value": _meta("Юммі Хоппер"), "timestamp": 0}
        (export / PROFILE).parent.mkdir(parents=True)
        (export / PROFILE).write_text(json.dumps({"profile_user": [{"string_map_data": user}]}))
    return export


def _problems(case: Path, path_end: str) -> list[tuple[str, str]]:
    with sqlite3.connect(case) as db:
        rows = db.execute("SELECT path, code, message FROM problems").fetchall()
    return [
        (code, message) for path, code, message in rows if path.split("#")[0].endswith(path_end)
    ]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * gazetteer.EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _read(data: bytes, name: str = f"{EXPORT}/{BASED_IN}") -> list[Any]:
    doc = ExportFile(name, len(data), lambda: io.BytesIO(data), place=settlement_named)
    return list(read_based_in(doc))


# -- ingest: the sighting, the owner, nothing unrecognised --------------------------------


def test_account_based_in_is_a_city_sighting_of_the_owner(tmp_path: Path) -> None:
    export = _export(tmp_path, _document(_entry("Kyiv")))
    case = tmp_path / "c.case"
    summary = api.ingest([export], case)
    assert summary.posts == 5  # the four real posts and the inferred location
    (sighting,) = api.sightings(case)
    assert _km(sighting["lat"], sighting["lon"], *KYIV) < 2.0
    kyiv = settlement_named("Kyiv")
    assert kyiv is not None and sighting["radius_m"] == city_radius_m(kyiv.population)
    assert 20_000 < sighting["radius_m"] < 40_000  # Kyiv's own extent, centre to edge
    assert sighting["evidence"]["label"] == "inferred by Instagram: Kyiv"
    assert sighting["evidence"]["kind"] == "inferred_city"
    assert (sighting["platform"], sighting["account_id"]) == ("instagram", "yummyhopper")
    assert sighting["account_name"] == "Юммі Хоппер"  # the profile's mojibake undone
    assert sighting["at_utc"] is None and sighting["time_uncertainty_s"] is None  # no time
    assert sighting["country_de_jure"] == "UA"
    assert _problems(case, "account_based_in.json") == []  # no export_unrecognised
    # personal_information.json is read too (its owner account): nothing is unrecognised
    assert summary.problems.get("export_unrecognised", 0) == 0
    with sqlite3.connect(case) as db:
        sources = dict(db.execute("SELECT path, reader_version FROM sources").fetchall())
    assert sources[str(export / PROFILE)] == "instagram_personal_information/1"
    # a second ingest of the same export adds nothing
    api.ingest([export], case)
    assert len(api.sightings(case)) == 1


def test_the_profile_file_alone_names_the_owner(tmp_path: Path) -> None:
    profile = _export(tmp_path, _document(_entry("Kyiv"))) / PROFILE
    data = profile.read_bytes()
    reader = detect(str(profile), data)
    assert reader is not None and reader.name == "instagram_personal_information"
    doc = ExportFile(str(profile), len(data), lambda: io.BytesIO(data))
    assert list(reader.read(doc)) == [
        Account("instagram", "yummyhopper", "yummyhopper", "Юммі Хоппер")
    ]
    empty = json.dumps({"profile_user": [{"string_map_data": {}}]}).encode()
    (refused,) = reader.read(ExportFile("p.json", len(empty), lambda: io.BytesIO(empty)))
    assert isinstance(refused, Refusal) and refused.code == "item_invalid"


def test_an_unknown_city_is_a_problem_naming_account_and_city(tmp_path: Path) -> None:
    # cities500 holds Kyiv as "Kyiv" and "Київ": the Russian "Киев" is not a name it has
    export = _export(tmp_path, _document(_entry("Киев"), _entry("Xqzzyville")))
    case = tmp_path / "c.case"
    summary = api.ingest([export], case)
    assert api.sightings(case) == []
    problems = _problems(case, "account_based_in.json")
    assert [code for code, _ in problems] == ["geotag_unresolved"] * 2
    messages = " ".join(message for _, message in problems)
    assert "yummyhopper" in messages and "'Киев'" in messages and "'Xqzzyville'" in messages
    assert summary.posts == 6  # the four real posts, and both locations kept as posts
    kinds = {p["kind"] for p in api.posts(case)}
    assert kinds == {"post", "inferred_location"}


def test_the_owner_from_the_export_folder_or_not_at_all(tmp_path: Path) -> None:
    named = _export(tmp_path / "a", _document(_entry("Kharkiv")), profile=False)
    case = tmp_path / "a.case"
    api.ingest([named], case)
    (sighting,) = api.sightings(case)
    assert sighting["account_id"] == "yummyhopper"  # from Meta's name for the export
    zipped = tmp_path / f"{EXPORT}.zip"  # the zip as Meta names it, no profile inside
    unzipped = _export(tmp_path / "z", _document(_entry("Kharkiv")), profile=False, folder="u")
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted(p for p in unzipped.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(unzipped).as_posix())
    case = tmp_path / "z.case"
    api.ingest([zipped], case)
    (sighting,) = api.sightings(case)
    assert sighting["account_id"] == "yummyhopper"
    plain = _export(tmp_path / "b", _document(_entry("Kharkiv")), profile=False, folder="dl")
    case = tmp_path / "b.case"
    summary = api.ingest([plain], case)
    (sighting,) = api.sightings(case)
    assert sighting["account_id"] is None  # kept, unattributed, and said so
    assert [code for code, _ in _problems(case, "account_based_in.json")] == ["owner_unknown"]
    assert summary.skipped == 0  # a note: nothing was lost


# -- the reader: names as Meta writes them ------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Kyiv", "Kyiv"),
        ("Київ", "Kyiv"),  # GeoNames' Cyrillic form
        ("КИЇВ", "Kyiv"),
        ("  kyiv ", "Kyiv"),
        ("Zurich", "Zürich"),  # accents stripped on both sides
        ("ZÜRICH", "Zürich"),
        ("Sao Paulo", "São Paulo"),
        ("Medellín", "Medellín"),
        ("Москва", "Moscow"),
        ("Kharkiv, Ukraine", "Kharkiv"),  # "City, Country" when the whole is no name
    ],
)
def test_city_names_cyrillic_and_accented(written: str, expected: str) -> None:
    records = _read(_document(_entry(written)))
    (post,) = [r for r in records if isinstance(r, Post)]
    (tag,) = post.geotags
    found = settlement_named(expected)
    assert found is not None and (tag.lat, tag.lon) == (found.lat, found.lon)
    assert tag.label == f"inferred by Instagram: {' '.join(written.split())}"
    assert post.kind == "inferred_location" and post.text == ""


def test_a_plausible_timestamp_is_the_time_of_the_inference() -> None:
    (post, *_) = _read(_document(_entry("Lviv", timestamp=1_715_566_876)))
    assert post.posted_at is not None and post.posted_at.basis == "platform_utc"
    assert post.posted_at.utc.timestamp() == 1_715_566_876


def test_the_reader_claims_the_file_by_its_content() -> None:
    data = _document(_entry("Kyiv"))
    assert detect("x/account_based_in.json", data) is ACCOUNT_BASED_IN
    assert detect("x/profile_based_in.json", data.decode().encode("utf-16")) is ACCOUNT_BASED_IN
    assert detect("x/posts_1.json", b'[{"media": [{"uri": "a.jpg"}]}]') is not ACCOUNT_BASED_IN


def test_hostile_entries_lose_nothing_else() -> None:
    good = _entry("Odesa")
    hostile = [
        "not an object",
        {"string_map_data": ["a", "list"]},
        {"string_map_data": {"City Name": {"value": 42}}},
        {"string_map_data": {"Email": {"value": "x@example.org"}}},
        _entry("A" * 1_000_000),
        _entry("Kyiv", timestamp="soon"),
        _entry(None),
        {"string_map_data": {"City Name": "Kyiv"}},
    ]
    records = _read(_document(*hostile, good))
    posts = [r for r in records if isinstance(r, Post)]
    refusals = [r for r in records if isinstance(r, Refusal)]
    placed = [p for p in posts if p.geotags]
    assert [p.geotags[0].label for p in placed] == [
        "inferred by Instagram: Kyiv",
        "inferred by Instagram: Odesa",
    ]
    assert placed[0].posted_at is None  # "soon" is no time
    # every other entry is one problem at its own place in the file, none lost silently
    assert len(posts) + len([r for r in refusals if r.code == "item_invalid"]) == len(hostile) + 1
    long_name = [r for r in refusals if r.code == "geotag_unresolved"]
    assert len(long_name) == 1 and "1,000,000 characters" in long_name[0].message
    assert len(long_name[0].message) < 200
    located = {r.path.rsplit("#", 1)[-1] for r in refusals}
    assert "inferred_data_primary_location[0]" in located


@pytest.mark.parametrize(
    "data",
    [
        _document(),
        b'{"inferred_data_primary_location": "Kyiv"}',
        b'{"inferred_data_primary_location": [{"string_map_data": {"City Name": ',
        b'{"inferred_data_primary_location": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
    ],
)
def test_an_empty_or_broken_document_is_said_so(data: bytes) -> None:
    records = _read(data)
    assert records and all(isinstance(r, Refusal) for r in records)


# -- the gazetteer's look-up by name ------------------------------------------------------


def test_every_name_finds_its_most_populous_bearer() -> None:
    g = gazetteer._load()
    everything = np.arange(len(g.population))
    names, cyrillic = g.name.take(everything), g.name_cyrillic.take(everything, None)
    folded: dict[str, list[int]] = {}
    for row, (a, b) in enumerate(zip(names, cyrillic, strict=True)):
        for key in {fold_name(a), fold_name(b or "")} - {""}:
            folded.setdefault(key, []).append(row)
    extra = [fold_name(name) for name in ("Moscow", "London", "Київ")]
    for key in random.Random(15).sample(sorted(folded), 300) + extra:
        found = settlement_named(key)
        assert found is not None, key
        assert found.population == max(int(g.population[r]) for r in folded[key]), key


def test_a_country_hint_by_code_or_name() -> None:
    russia, idaho = settlement_named("Moscow"), settlement_named("Moscow", "US")
    assert russia is not None and russia.country == "RU"
    assert idaho is not None and idaho.country == "US"
    assert settlement_named("Moscow", "United States of America") == idaho
    assert settlement_named("Kyiv", "Russia") is None  # no Kyiv there: not placed elsewhere
    assert settlement_named("Kyiv", "Atlantis") == settlement_named("Kyiv")  # no hint at all
    assert settlement_named("") is None and settlement_named("   ") is None


def test_the_city_radius_grows_with_population_within_bounds() -> None:
    sizes = [0, 500, 50_000, 500_000, 3_000_000, 30_000_000]
    radii = [city_radius_m(p) for p in sizes]
    assert radii == sorted(radii)
    assert radii[0] == MIN_RADIUS_M and radii[-1] == MAX_RADIUS_M
