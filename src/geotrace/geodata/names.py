"""The gazetteer of names the text stage looks up: every surface form of every place name.

Built offline by ``scripts/build_names.py`` from GeoNames cities500 (every Russian/Ukrainian
Cyrillic and the useful Latin alternates), the shipped admin-0/admin-1 layers and hand tables
(nicknames such as Харківщина, old names, regions).  Each Cyrillic name is stored in all its
case forms ("Иловайском", "Києві", "Новой Каховке"), so run time needs no morphology: a
text's words are normalised, joined and looked up.

Memory and load time decide the layout (the stage runs in worker processes, each loading
this once): the ~640,000 keys stay one sorted UTF-8 blob with offsets and are found by binary
search on bytes, never turned into as many Python strings (a dict of them took seconds to build
and hundreds of MB).  Settlements are places ``0 .. n-1`` in the row order of
``settlements.npz``, whose coordinates, population, country and ids are read from there.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

from geotrace.geodata import DATA
from geotrace.geodata.gazetteer import _Names, _read_text

NOMN, GENT, DATV, ACCS, ABLT, LOCT = 1, 2, 4, 8, 16, 32
RU, UK, LATIN = 1, 2, 4

PlaceKindG = Literal["settlement", "admin1", "country", "region"]

# key_bits layout, as scripts/build_names.py packs it.
_CASE_MASK, _LANG_SHIFT, _LANG_MASK = 0x3F, 6, 0x7
_COMMON, _PERSON, _ADJECTIVAL = 1 << 9, 1 << 10, 1 << 11
_NO_ADMIN1 = 0xFFFF
#: Look-ups remembered per process: texts repeat the same few thousand words, and a hit
#: costs a binary search and a small object (bench/text.py re-measures the stage's speed).
_CACHE_MAX = 1 << 16

_APOSTROPHES = re.compile("[’ʼ`´‘′]")
_DASHES = re.compile("[‐‑‒–—―]")


def normalise(text: str) -> str:
    """The form keys are made of: lower case, ё -> е, one apostrophe, one dash, no stress."""
    text = text.lower().replace("ё", "е").replace("\u0301", "")
    return _DASHES.sub("-", _APOSTROPHES.sub("'", text))


@dataclass(frozen=True, slots=True)
class Place:
    """A place a name can mean: a settlement, an admin-1 unit, a country or a named region.

    A settlement is its point; an area is a point inside it and ``radius_m``, the distance
    from that point to its farthest vertex (a disc that covers it, never a position).
    """

    index: int  # its place in the table (settlements first, in settlements.npz's order)
    kind: PlaceKindG
    geonameid: int | None
    #: The shipped admin-1 layer's code: an area's own, or the one a settlement's point
    #: falls in (computed at build time with geotrace's admin-1 lookup).
    admin1: str | None
    country: str | None  # ISO 3166-1 alpha-2 (a region's, when all its members share one)
    region: str | None  # a named region's slug ("donbas")
    name: str  # the GeoNames or Natural Earth name
    population: int  # 0 where unknown
    feature: str  # "PPLC" for a national capital, else ""
    lat: float
    lon: float
    radius_m: float  # an area's covering radius; 0 for a settlement
    members: tuple[str, ...]  # a region's admin-1 codes


@dataclass(frozen=True, slots=True)
class Form:
    """What one surface form can name, and what else it can be.

    ``adjectival``: the form is an admin-1 region's adjective ("донецкой", "луганської"),
    which names that region only next to its noun (области, області) or elliptically; the
    form's admin-1 places are those it names so, its other places (the stanitsa Курская for
    "курской") it names plainly.  ``common``/``person``: the single word is also an ordinary
    word / a person's name (pymorphy3's Russian dictionary at build time, a hand list of
    Ukrainian words); multiword forms are neither.
    """

    places: tuple[int, ...]
    cases: int
    lang: int
    common: bool
    person: bool
    adjectival: bool


class Names:
    """The loaded name index (use :func:`names`)."""

    def __init__(self) -> None:
        with np.load(DATA / "names.npz", allow_pickle=False) as z:
            blob = z["key_blob"]
            self._set = np.cumsum(z["key_set_delta"], dtype=np.int32)
            self._bits = z["key_bits"]
            set_len = z["set_len"]
            self._members = z["set_members"]
            self._s_admin1 = z["settlement_admin1"]
            capitals = z["settlement_capital"]
        with np.load(DATA / "settlements.npz", allow_pickle=False) as z:
            self._s_id = z["geonameid"]
            self._s_lat = z["lat_e5"]
            self._s_lon = z["lon_e5"]
            self._s_pop = z["population"]
            self._s_country = z["country"]
        with gzip.open(DATA / "names.json.gz", "rb") as f:
            meta: dict[str, Any] = json.loads(f.read())
        # Key i is blob[offsets[i] : offsets[i + 1] - 1] (each key ends with a newline).
        offsets = np.zeros(len(self._set) + 1, dtype=np.int32)
        offsets[1:] = np.flatnonzero(blob == 10) + 1
        self._blob = blob.tobytes()
        # A memoryview: indexing it gives a Python int without NumPy's per-item overhead.
        self._offsets = memoryview(offsets.data)
        self._n_keys = len(self._set)
        set_offsets = np.zeros(len(set_len) + 1, dtype=np.int64)
        np.cumsum(set_len, out=set_offsets[1:])
        self._set_offsets = set_offsets
        self._capitals = frozenset(capitals.tolist())
        self._admin1_codes: list[str] = meta["admin1_codes"]
        self._countries: list[str] = meta["settlement_countries"]
        self._others: list[dict[str, Any]] = meta["places"]
        self._n_settlements = len(self._s_id)
        self._by_admin1 = {
            p["admin1"]: i for i, p in enumerate(self._others) if p["kind"] == "admin1"
        }
        self._by_country = {
            p["country"]: i for i, p in enumerate(self._others) if p["kind"] == "country"
        }
        self.max_words = int(meta["max_words"])
        self._forms: dict[str, Form | None] = {}
        self._places: dict[int, Place] = {}

    def __len__(self) -> int:
        return self._n_settlements + len(self._others)

    def _find(self, key: bytes) -> int:
        """The row of ``key`` in the sorted blob, -1 if absent (binary search on bytes)."""
        blob, off = self._blob, self._offsets
        lo, hi = 0, self._n_keys
        while lo < hi:
            mid = (lo + hi) >> 1
            if blob[off[mid] : off[mid + 1] - 1] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self._n_keys and blob[off[lo] : off[lo + 1] - 1] == key:
            return lo
        return -1

    def lookup(self, key: str) -> Form | None:
        """The form ``key`` (normalised words joined by single spaces) is, or None."""
        try:
            return self._forms[key]
        except KeyError:
            pass
        row = self._find(key.encode("utf-8"))
        form = None
        if row >= 0:
            s = int(self._set[row])
            start, stop = int(self._set_offsets[s]), int(self._set_offsets[s + 1])
            bits = int(self._bits[row])
            form = Form(
                places=tuple(self._members[start:stop].tolist()),
                cases=bits & _CASE_MASK,
                lang=(bits >> _LANG_SHIFT) & _LANG_MASK,
                common=bool(bits & _COMMON),
                person=bool(bits & _PERSON),
                adjectival=bool(bits & _ADJECTIVAL),
            )
        if len(self._forms) >= _CACHE_MAX:
            self._forms.clear()
        self._forms[key] = form
        return form

    def place(self, index: int) -> Place:
        """The place at ``index`` of the place table (IndexError outside it)."""
        found = self._places.get(index)
        if found is None:
            found = self._places[index] = self._make(index)
        return found

    def _make(self, index: int) -> Place:
        if index < 0 or index >= len(self):
            raise IndexError(index)
        if index >= self._n_settlements:
            p = self._others[index - self._n_settlements]
            return Place(
                index=index,
                kind=p["kind"],
                geonameid=p["geonameid"],
                admin1=p["admin1"],
                country=p["country"],
                region=p["region"],
                name=p["name"],
                population=int(p["population"]),
                feature=p["feature"],
                lat=float(p["lat"]),
                lon=float(p["lon"]),
                radius_m=float(p["radius_m"]),
                members=tuple(p["members"]),
            )
        a1 = int(self._s_admin1[index])
        return Place(
            index=index,
            kind="settlement",
            geonameid=int(self._s_id[index]),
            admin1=None if a1 == _NO_ADMIN1 else self._admin1_codes[a1],
            country=self._countries[int(self._s_country[index])],
            region=None,
            name=str(_settlement_names().take(np.array([index]))[0]),
            population=int(self._s_pop[index]),
            feature="PPLC" if index in self._capitals else "",
            lat=int(self._s_lat[index]) / 1e5,
            lon=int(self._s_lon[index]) / 1e5,
            radius_m=0.0,
            members=(),
        )

    def admin1(self, code: str) -> Place | None:
        """The admin-1 place of a shipped admin-1 code ("UA-14"), or None."""
        i = self._by_admin1.get(code)
        return None if i is None else self.place(self._n_settlements + i)

    def country(self, iso2: str) -> Place | None:
        """The country place of an ISO 3166-1 alpha-2 code, or None."""
        i = self._by_country.get(iso2)
        return None if i is None else self.place(self._n_settlements + i)


@cache
def _settlement_names() -> _Names:
    """GeoNames' names of the settlements, read from ``settlements.json.gz`` on the first
    settlement's ``name`` only: the matcher needs ids and numbers, and shipping the names a
    second time would cost 0.9 MB of the size budget."""
    return _read_text(DATA / "settlements.json.gz")[0]["name"]


@cache
def names() -> Names:
    """The name index, loaded once per process on first use."""
    return Names()
