"""Which country and which admin-1 region a point is in, and how close it is to a border.

The founding question of the field - "was he in Russia or in Ukraine?" - is answered with
polygons, never with the nearest city, and always with the distance to the nearest land border
so the caller can say how sure it is: Natural Earth 10m borders are generalised (one vertex
every ~2.7 km on the RU-UA border) and differ from OpenStreetMap for a quarter to a half of
points within 2 km, so a point that close is ``low`` confidence whatever the polygon says.

Two layers, kept apart on purpose (a country is three answers, never one):

* de jure - Natural Earth admin-0, German point of view (Crimea is Ukraine);
* de facto - the country Natural Earth admin-1 records (Crimea is Russia), with the region.

Speed comes from the data layout built by ``scripts/build_places_data.py``: a 0.25 degree
grid says which feature owns a cell outright (a table look-up answers most land points) and
the polygons are cut into one small piece per mixed cell, so the rest cost one test against a
few dozen vertices.  Distances are on the sphere (R = 6371.0088 km): a k-d tree over the land
borders densified to ~0.33 km in 3-D unit vectors (chord order is great-circle order), then
the exact point-to-arc distance to the segments at the nearest vertex.

Everything is loaded on first use and vectorised over NumPy arrays; no Python loop per point.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

DATA = Path(__file__).with_name("data")
EARTH_RADIUS_KM = 6371.0088
LOW_KM, MEDIUM_KM = 2.0, 5.0
BAND_EDGES_KM = np.array([LOW_KM, MEDIUM_KM])
CONFIDENCE_LABELS = np.array(["low", "medium", "high", "none"])  # by band; "none" at sea
ON_BORDER_KM = 1e-6  # 1 mm: "exactly on the line", allowing for floating-point rounding
DENSE_DEG = 0.003  # <= 0.334 km between vertices: the nearest vertex is off by <= 0.17 km
MAX_ERROR_KM = 0.15
RELATIVE_ERROR = 0.002
KM_PER_DEG = 111.2  # along a meridian; fewer along a parallel, so degree tolerances are safe
BOUNDS_KM = (60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3840.0, 7680.0, np.inf)
CELL_SLACK_KM = 40.0  # a 0.25 degree cell's diagonal: its points are this close to its centre's
SWAP_SEA_KM = 100.0
OUTSIDE, MIXED = -1, -2

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CountryHits:
    """De jure country per point, with the border evidence that qualifies it.

    ``de_jure`` is "" at sea, in a lake the polygons leave out, or for an invalid input; such
    points get ``confidence`` "none" and the ``nearest_country`` with its distance instead of a
    silent nearest answer.  ``also`` names the second country of a point lying exactly on a
    border.  ``neighbour`` is the country across the nearest land border (the alternative answer
    near a border), ``border`` that border's ``A|B`` pair.
    """

    de_jure: StrArray
    also: StrArray
    distance_to_border_km: FloatArray
    neighbour: StrArray
    border: StrArray
    confidence: StrArray
    nearest_country: StrArray
    nearest_km: FloatArray
    lon_normalised: BoolArray
    invalid: BoolArray
    latlon_swapped_suspect: BoolArray


@dataclass(frozen=True)
class Admin1Hits:
    """The Natural Earth admin-1 unit per point ("" / 0 where there is none).

    ``country_de_facto`` is that unit's country (RU for Crimea; ``X-<A3>`` for units with no ISO
    country such as Somaliland), the de facto answer next to the de jure one.
    """

    code: StrArray
    name: StrArray
    name_uk: StrArray
    name_ru: StrArray
    country_de_facto: StrArray
    gn_id: IntArray
    wikidata: StrArray


@dataclass(frozen=True)
class _Layer:
    """A polygon layer as a grid of owners plus the pieces of the mixed cells."""

    grid: npt.NDArray[np.int16]  # flat, row-major from (-90, -180)
    ncols: int
    cell_deg: float
    pieces: npt.NDArray[Any]  # prepared MultiPolygons, sorted by cell
    piece_feature: npt.NDArray[np.int16]
    piece_cell: npt.NDArray[np.int32]

    def cells(self, lat: FloatArray, lon: FloatArray) -> IntArray:
        nrows = self.grid.size // self.ncols
        row = np.clip(((lat + 90.0) / self.cell_deg).astype(np.int64), 0, nrows - 1)
        col = np.clip(((lon + 180.0) / self.cell_deg).astype(np.int64), 0, self.ncols - 1)
        return row * self.ncols + col

    def locate(self, lat: FloatArray, lon: FloatArray) -> tuple[IntArray, IntArray]:
        """(first, second) feature index containing each point, -1 for none.

        ``second`` is a different feature whose boundary the point also lies on.
        """
        cell = self.cells(lat, lon)
        first = self.grid[cell].astype(np.int64)
        second = np.full(len(lat), OUTSIDE, dtype=np.int64)
        mixed = np.flatnonzero(first == MIXED)
        first[mixed] = OUTSIDE
        start = np.searchsorted(self.piece_cell, cell[mixed], side="left")
        stop = np.searchsorted(self.piece_cell, cell[mixed], side="right")
        counts = stop - start
        point = np.repeat(mixed, counts)
        piece = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        hit = _intersects_xy(self.pieces[piece], lon[point], lat[point])
        point, feature = point[hit], self.piece_feature[piece[hit]].astype(np.int64)
        # The first hit per point is its answer; another feature hit means "on the line".
        is_first = np.diff(point, prepend=-1) != 0
        first[point[is_first]] = feature[is_first]
        other = feature != first[point]
        second[point[other]] = feature[other]
        return first, second


def _intersects_xy(pieces: npt.NDArray[Any], x: FloatArray, y: FloatArray) -> BoolArray:
    """``shapely.intersects_xy`` split over the cores: GEOS releases the GIL, and this
    point-in-piece test is the largest single cost of locating points near coasts."""
    workers = min(os.cpu_count() or 1, max(1, len(x) // PARALLEL_MIN))
    if workers == 1:
        out: BoolArray = shapely.intersects_xy(pieces, x, y)
        return out
    bounds = np.linspace(0, len(x), workers + 1).astype(np.int64)
    spans = list(pairwise(bounds.tolist()))
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(
            lambda ab: shapely.intersects_xy(
                pieces[ab[0] : ab[1]], x[ab[0] : ab[1]], y[ab[0] : ab[1]]
            ),
            spans,
        )
        return np.concatenate(list(parts))


#: Fewer tests than this per thread are not worth a thread.
PARALLEL_MIN = 50_000


@dataclass(frozen=True)
class _Lines:
    """Polylines as 3-D unit vectors in a k-d tree, with each vertex's neighbours."""

    xyz: FloatArray
    prev: IntArray  # index of the previous vertex on the same line, or -1
    next: IntArray
    line: IntArray  # which line each vertex belongs to
    tree: cKDTree

    def nearest(self, xyz: FloatArray, within: float) -> tuple[FloatArray, IntArray]:
        """Great-circle distance (radians) to the nearest line if within ``within`` radians
        (else inf), and that line's index (-1).  A scalar bound is what keeps the k-d tree fast:
        unbounded, a query far from every border visits much of the tree (2 k points/s).
        """
        bound = 2.0 * np.sin(min(within, np.pi) / 2.0) if np.isfinite(within) else np.inf
        result = self.tree.query(xyz, k=1, distance_upper_bound=bound, workers=-1)
        chord: FloatArray = np.asarray(result[0], dtype=np.float64)
        vertex: IntArray = np.asarray(result[1], dtype=np.int64)
        found = np.isfinite(chord)
        best = np.full(len(xyz), np.inf)
        vertex = np.where(found, vertex, 0)
        best[found] = 2.0 * np.arcsin(np.minimum(chord[found] / 2.0, 1.0))
        for other in (self.prev[vertex], self.next[vertex]):
            ok = found & (other >= 0)
            best[ok] = np.minimum(
                best[ok], _arc_distance(xyz[ok], self.xyz[vertex[ok]], self.xyz[other[ok]])
            )
        return best, np.where(found, self.line[vertex], -1)


def _distance(
    tiers: tuple[tuple[_Lines, float], ...], xyz: FloatArray, start: IntArray | None = None
) -> tuple[FloatArray, IntArray]:
    """Nearest-line distance (radians) and line index, each point asked first of tier ``start``.

    Tiers go from dense lines with a small bound to sparser lines with larger bounds.  A point
    joins at its ``start`` tier (from the grid's precomputed upper bound, so no query is wasted
    on a ring that holds nothing) and moves on only if that tier found nothing within its bound.
    """
    first = np.zeros(len(xyz), dtype=np.int64) if start is None else start
    best = np.full(len(xyz), np.inf)
    line = np.full(len(xyz), -1, dtype=np.int64)
    for k, (lines, within) in enumerate(tiers):
        todo = np.flatnonzero((first <= k) & ~np.isfinite(best))
        if todo.size:
            best[todo], line[todo] = lines.nearest(xyz[todo], within)
    return best, line


def _generalise(lines: npt.NDArray[Any], tier: int) -> npt.NDArray[Any]:
    """The lines as coarse as a tier allows while the nearest vertex stays within its error.

    Points of tier k are at least ``d`` = the previous bound less a cell's width from every line.
    Simplifying by ``t`` moves a line by at most ``t``; a vertex spacing ``s`` leaves a vertex
    within sqrt(d**2 + (s/2)**2), i.e. at most s**2 / (8 d) further.  Both are held to
    max(MAX_ERROR_KM, RELATIVE_ERROR * d): 0.15 km near borders, 0.2 % far from them, and far
    fewer vertices for the far queries, which is what makes them fast.
    """
    d_min = BOUNDS_KM[tier - 1] - CELL_SLACK_KM if tier else 0.0
    if d_min <= 0:
        return shapely.segmentize(lines, DENSE_DEG)
    error_km = max(MAX_ERROR_KM, RELATIVE_ERROR * d_min)
    tolerance_deg = error_km / 2 / KM_PER_DEG
    spacing_deg = np.sqrt(8.0 * d_min * error_km / 2) / KM_PER_DEG
    return shapely.segmentize(shapely.simplify(lines, tolerance_deg), float(spacing_deg))


def _tiers(lines: npt.NDArray[Any]) -> tuple[tuple[_Lines, float], ...]:
    return tuple(
        (_lines(_generalise(lines, k)), bound / EARTH_RADIUS_KM)
        for k, bound in enumerate(BOUNDS_KM)
    )


@dataclass(frozen=True)
class _Data:
    admin0: _Layer
    iso2: StrArray  # per admin-0 feature, plus a trailing "" for index -1
    borders: tuple[tuple[_Lines, float], ...]
    border_tier: npt.NDArray[np.uint8]  # per admin-0 grid cell: the tier its points start at
    border_pairs: npt.NDArray[np.str_]  # "A|B" per border line
    border_a: StrArray
    border_b: StrArray


def _xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def _arc_distance(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle from unit vectors p to the minor great-circle arcs a-b (row-wise)."""
    n = np.cross(a, b)
    norm = np.linalg.norm(n, axis=1)
    n = n / np.where(norm > 0, norm, 1.0)[:, None]
    s = np.einsum("ij,ij->i", p, n)
    foot = p - s[:, None] * n
    inside = (
        (np.einsum("ij,ij->i", np.cross(a, foot), n) >= 0)
        & (np.einsum("ij,ij->i", np.cross(foot, b), n) >= 0)
        & (norm > 0)
    )
    to_a = 2.0 * np.arcsin(np.minimum(np.linalg.norm(p - a, axis=1) / 2.0, 1.0))
    to_b = 2.0 * np.arcsin(np.minimum(np.linalg.norm(p - b, axis=1) / 2.0, 1.0))
    out: FloatArray = np.where(
        inside, np.arcsin(np.minimum(np.abs(s), 1.0)), np.minimum(to_a, to_b)
    )
    return out


def _ragged(npz: Any, quantum: float) -> npt.NDArray[Any]:
    coords = np.cumsum(npz["coords_delta"], axis=0, dtype=np.int32) * quantum
    offsets = tuple(npz[f"offsets{i}"].astype(np.int64) for i in range(3) if f"offsets{i}" in npz)
    kind = shapely.GeometryType(int(npz["geom_type"]))
    return shapely.from_ragged_array(kind, coords, offsets)


def _layer(name: str) -> tuple[_Layer, dict[str, Any]]:
    meta = json.loads((DATA / f"{name}.json").read_text("utf-8"))
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as npz:
        pieces = _ragged(npz, meta["quantum"])
        shapely.prepare(pieces)
        grid = npz["grid"]
        layer = _Layer(
            grid.reshape(-1), grid.shape[1], meta["cell_deg"], pieces, npz["feature"], npz["cell"]
        )
    return layer, meta


def _lines(geoms: npt.NDArray[Any]) -> _Lines:
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    index = np.arange(len(coords))
    xyz = _xyz(coords[:, 1], coords[:, 0])
    return _Lines(
        xyz,
        np.where(first, -1, index - 1),
        np.where(last, -1, index + 1),
        line.astype(np.int64),
        cKDTree(xyz),
    )


@cache
def _data() -> _Data:
    admin0, meta = _layer("admin0")
    with np.load(DATA / "borders.npz", allow_pickle=False) as npz:
        lines = _ragged(npz, meta["quantum"])
        pair = npz["pair"]
        tier = npz["tier"].reshape(-1)
    names = np.array(meta["border_pairs"])[pair]
    a, b = np.char.partition(names, "|")[:, ::2].T
    return _Data(admin0, np.array([*meta["iso2"], ""]), _tiers(lines), tier, names, a, b)


@cache
def _coasts() -> tuple[tuple[_Lines, float], ...]:
    """Every admin-0 piece outline, for offshore points only, so it loads separately (~2 s).

    One 5.5 km-spaced copy in doubling rings: "nearest country, 61 km" needs no 0.2 km
    guarantee, and densifying every coast as finely as the borders would take a minute.
    """
    lines = _lines(shapely.segmentize(shapely.boundary(_data().admin0.pieces), 0.05))
    return tuple((lines, km / EARTH_RADIUS_KM) for km in BOUNDS_KM)


@cache
def _admin1() -> tuple[_Layer, dict[str, npt.NDArray[Any]]]:
    layer, meta = _layer("admin1")
    cols = {
        k: np.array([*meta[k], ""])
        for k in ("code", "name", "name_uk", "name_ru", "country_de_facto")
    }
    cols["wikidata"] = np.array([*(w or "" for w in meta["wikidata"]), ""])
    cols["gn_id"] = np.array([*(g or 0 for g in meta["gn_id"]), 0], dtype=np.int64)
    return layer, cols


def normalise(
    lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
    """(lat, lon in [-180, 180), normalised flag, invalid flag); invalid points become 0, 0."""
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_a, lon_a = np.broadcast_arrays(lat_a, lon_a)
    invalid = ~np.isfinite(lat_a) | ~np.isfinite(lon_a) | (np.abs(lat_a) > 90.0)
    wrapped = np.where(invalid, 0.0, (lon_a + 180.0) % 360.0 - 180.0)
    normalised = ~invalid & (np.abs(lon_a) > 180.0)
    return np.where(invalid, 0.0, lat_a), wrapped, normalised, invalid


@dataclass(frozen=True)
class Located:
    """The cheap part of the country answer: which polygon, and how sure given the border.

    Confidence needs the border distance only up to 5 km, and a k-d tree query bounded at
    5 km is fast where an unbounded one is not; the exact distance of farther points (and
    the neighbour across) is left to :func:`countries`, which callers ask only when they
    need it.  ``near_km`` is exact below ``MEDIUM_KM`` and infinite beyond.
    """

    lat: FloatArray
    lon: FloatArray
    de_jure: StrArray
    also: StrArray
    confidence: StrArray
    near_km: FloatArray
    near_neighbour: StrArray
    lon_normalised: BoolArray
    invalid: BoolArray


def _in_polygons(
    data: _Data, lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray, IntArray, IntArray]:
    """Normalised position, its flags, and the (first, second) admin-0 feature holding it."""
    lat_a, lon_a, normalised, invalid = normalise(lat, lon)
    first, second = data.admin0.locate(lat_a, lon_a)
    first[invalid] = OUTSIDE
    second[invalid] = OUTSIDE
    return lat_a, lon_a, normalised, invalid, first, second


def locate(lat: npt.ArrayLike, lon: npt.ArrayLike) -> Located:
    """De jure country and border confidence per point, at table-lookup speed."""
    data = _data()
    lat_a, lon_a, normalised, invalid, first, second = _in_polygons(data, lat, lon)
    # Cells that start past tier 0 are >= 20 km from every border (BOUNDS_KM[0] less a
    # cell's width): "high" without asking the tree.  Only the rest need the 5 km query.
    close = np.flatnonzero(data.border_tier[data.admin0.cells(lat_a, lon_a)] == 0)
    dense, _ = data.borders[0]
    km = np.full(len(lat_a), np.inf)
    line = np.full(len(lat_a), -1, dtype=np.int64)
    angle, line[close] = dense.nearest(
        _xyz(lat_a[close], lon_a[close]), (MEDIUM_KM + MAX_ERROR_KM) / EARTH_RADIUS_KM
    )
    km[close] = angle * EARTH_RADIUS_KM
    de_jure, also = data.iso2[first], data.iso2[second]
    near = np.flatnonzero(km < MEDIUM_KM)  # a few per cent of points: the rest are "high"
    neighbour = np.full(len(km), "", dtype=data.iso2.dtype)
    neighbour[near] = _across(data, de_jure[near], line[near])
    on_line = near[(km[near] < ON_BORDER_KM) & (neighbour[near] != "") & (also[near] == "")]
    also[on_line] = neighbour[on_line]
    band = np.where(first == OUTSIDE, 3, np.searchsorted(BAND_EDGES_KM, km, side="right"))
    return Located(
        lat_a,
        lon_a,
        de_jure,
        also,
        CONFIDENCE_LABELS[band],
        np.where(km < MEDIUM_KM, km, np.inf),
        neighbour,
        normalised,
        invalid,
    )


def _across(data: _Data, de_jure: StrArray, line: IntArray) -> StrArray:
    """The country on the other side of each point's nearest border line ("" if none)."""
    a, b = data.border_a[line], data.border_b[line]
    out: StrArray = np.where(line < 0, "", np.where(de_jure == a, b, np.where(de_jure == b, a, "")))
    return out


def countries(lat: npt.ArrayLike, lon: npt.ArrayLike) -> CountryHits:
    """De jure country, border distance and confidence for each point (degrees WGS84)."""
    data = _data()
    lat_a, lon_a, normalised, invalid, first, second = _in_polygons(data, lat, lon)
    angle, line = _distance(
        data.borders,
        _xyz(lat_a, lon_a),
        data.border_tier[data.admin0.cells(lat_a, lon_a)].astype(np.int64),
    )
    km = angle * EARTH_RADIUS_KM
    de_jure, also = data.iso2[first], data.iso2[second]
    neighbour = _across(data, de_jure, line)
    on_line = (km < ON_BORDER_KM) & (neighbour != "") & (also == "")
    also = np.where(on_line, neighbour, also)
    sea = de_jure == ""
    confidence = np.where(km < LOW_KM, "low", np.where(km < MEDIUM_KM, "medium", "high"))
    confidence = np.where(sea, "none", confidence)

    nearest_country = np.full(len(km), "", dtype=data.iso2.dtype)
    nearest_km = np.full(len(km), np.nan)
    offshore = np.flatnonzero(sea & ~invalid)
    if offshore.size:
        angle, piece = _distance(_coasts(), _xyz(lat_a[offshore], lon_a[offshore]))
        nearest_km[offshore] = angle * EARTH_RADIUS_KM
        nearest_country[offshore] = data.iso2[data.admin0.piece_feature[piece]]

    lat_raw = np.broadcast_to(np.atleast_1d(np.asarray(lat, np.float64)), lat_a.shape)
    lon_raw = np.broadcast_to(np.atleast_1d(np.asarray(lon, np.float64)), lat_a.shape)
    swapped = np.zeros(len(km), dtype=bool)
    # At sea counts only far out: a fix just off a coast is plausible, one mid-ocean is not.
    far_out = invalid | (nearest_km > SWAP_SEA_KM)
    suspect = np.flatnonzero(sea & far_out & (np.abs(lon_raw) <= 90.0) & np.isfinite(lat_raw))
    if suspect.size:
        s_lat, s_lon, _, s_invalid = normalise(lon_raw[suspect], lat_raw[suspect])
        s_first, _ = data.admin0.locate(s_lat, s_lon)
        swapped[suspect] = (s_first >= 0) & ~s_invalid

    return CountryHits(
        de_jure=de_jure,
        also=also,
        distance_to_border_km=np.where(invalid, np.nan, km),
        neighbour=np.where(invalid, "", neighbour),
        border=np.where(invalid, "", data.border_pairs[line]),
        confidence=confidence,
        nearest_country=nearest_country,
        nearest_km=nearest_km,
        lon_normalised=normalised,
        invalid=invalid,
        latlon_swapped_suspect=swapped,
    )


def admin1(lat: npt.ArrayLike, lon: npt.ArrayLike) -> Admin1Hits:
    """The admin-1 region (and with it the de facto country) of each point."""
    layer, cols = _admin1()
    lat_a, lon_a, _, invalid = normalise(lat, lon)
    first, _ = layer.locate(lat_a, lon_a)
    first[invalid] = OUTSIDE
    return Admin1Hits(
        code=cols["code"][first],
        name=cols["name"][first],
        name_uk=cols["name_uk"][first],
        name_ru=cols["name_ru"][first],
        country_de_facto=cols["country_de_facto"][first],
        gn_id=cols["gn_id"][first],
        wikidata=cols["wikidata"][first],
    )


def radius_shares(
    lat: npt.ArrayLike, lon: npt.ArrayLike, radius_m: npt.ArrayLike
) -> list[dict[str, float]]:
    """Per point, the share of its uncertainty circle's area in each de jure country ("" = sea).

    "A toponym sighting with a 10 km radius is 70 % UA, 30 % RU" is the honest answer where a
    single country would not be.  The circle is geodesic: every grid cell it may touch (owned
    cells as boxes, mixed cells as their pieces) is projected into a Lambert azimuthal
    equal-area plane centred on the point, where that circle is a true circle of radius
    2 R sin(r / 2R) and areas are true areas.  All points and pieces go through in one batch.
    Invalid points or radii give an empty dict.
    """
    data = _data()
    layer = data.admin0
    lat_a, lon_a, _, invalid = normalise(lat, lon)
    r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), lat_a.shape) / 1000.0
    ok = ~invalid & np.isfinite(r) & (r >= 0)
    ang = np.where(ok, np.minimum(r, 0.45 * np.pi * EARTH_RADIUS_KM), 0.0) / EARTH_RADIUS_KM
    d = layer.cell_deg
    nrows = layer.grid.size // layer.ncols
    dlat = np.degrees(ang)
    cos_far = np.cos(np.radians(np.minimum(np.abs(lat_a) + dlat, 90.0)))
    polar = cos_far < np.sin(ang) + 1e-12
    dlon = np.where(
        polar, 180.0, np.degrees(np.arcsin(np.minimum(np.sin(ang) / np.maximum(cos_far, 1e-12), 1)))
    )
    r0 = np.clip(((lat_a - dlat + 90) / d).astype(np.int64), 0, nrows - 1)
    r1 = np.clip(((lat_a + dlat + 90) / d).astype(np.int64), 0, nrows - 1)
    ncol = np.where(
        polar,
        layer.ncols,
        np.minimum(
            ((lon_a + dlon + 180) / d).astype(np.int64)
            - ((lon_a - dlon + 180) / d).astype(np.int64)
            + 1,
            layer.ncols,
        ),
    )
    c0 = np.where(polar, 0, ((lon_a - dlon + 180) / d).astype(np.int64))
    counts = np.where(ok, (r1 - r0 + 1) * ncol, 0)
    point = np.repeat(np.arange(len(lat_a)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    row = r0[point] + k // ncol[point]
    col = (c0[point] + k % ncol[point]) % layer.ncols
    cell = row * layer.ncols + col
    owner = layer.grid[cell]

    full = owner >= 0
    boxes = shapely.box(
        col[full] * d - 180, row[full] * d - 90, (col[full] + 1) * d - 180, (row[full] + 1) * d - 90
    )
    mixed = np.flatnonzero(owner == MIXED)
    start = np.searchsorted(layer.piece_cell, cell[mixed], side="left")
    stop = np.searchsorted(layer.piece_cell, cell[mixed], side="right")
    n = stop - start
    piece = np.repeat(start - np.cumsum(n) + n, n) + np.arange(n.sum())
    geoms = np.concatenate([boxes, layer.pieces[piece]])
    geom_point = np.concatenate([point[full], np.repeat(point[mixed], n)])
    feature = np.concatenate([owner[full], layer.piece_feature[piece]]).astype(np.int64)

    geoms = shapely.segmentize(geoms, d / 5)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    centre = geom_point[which]
    xy = _laea(coords[:, 1], coords[:, 0], lat_a[centre], lon_a[centre])
    projected = shapely.set_coordinates(geoms.copy(), xy)
    circles = shapely.buffer(
        shapely.points(np.zeros((len(lat_a), 2))), 2.0 * np.sin(ang / 2.0), quad_segs=64
    )
    area = shapely.area(shapely.intersection(projected, circles[geom_point]))
    whole: list[float] = shapely.area(circles).tolist()

    codes, code_of = np.unique(data.iso2[:-1], return_inverse=True)
    key = geom_point * len(codes) + code_of[feature]
    keys, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=area)
    out: list[dict[str, float]] = [{} for _ in range(len(lat_a))]
    for kk, total in zip(keys.tolist(), sums.tolist(), strict=True):
        p, c = divmod(kk, len(codes))
        if total > 0:
            out[p][str(codes[c])] = total / whole[p]
    for p in np.flatnonzero(ok).tolist():
        if whole[p] == 0:  # radius 0: the point's own answer
            out[p] = {str(data.iso2[layer.locate(lat_a[p : p + 1], lon_a[p : p + 1])[0][0]]): 1.0}
            continue
        sea = 1.0 - sum(out[p].values())
        if sea > 1e-6:
            out[p][""] = sea
    return out


def _laea(lat: FloatArray, lon: FloatArray, lat0: FloatArray, lon0: FloatArray) -> FloatArray:
    """Lambert azimuthal equal-area on the unit sphere, centred per coordinate."""
    phi, phi0 = np.radians(lat), np.radians(lat0)
    dlam = np.radians(lon - lon0)
    cos_c = np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(dlam)
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-12))
    x = k * np.cos(phi) * np.sin(dlam)
    y = k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(dlam))
    return np.stack([x, y], axis=1)
