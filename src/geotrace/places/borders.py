"""Which country and which admin-1 region a point is in, and how close it is to a border.

The founding question of the field - "was he in Russia or in Ukraine?" - is answered with
polygons, never with the nearest city, and always with the distance to the nearest land border
so the caller can say how sure it is: Natural Earth 10m borders are generalised (one vertex
every ~2.7 km on the RU-UA border) and differ from OpenStreetMap for a quarter to a half of
points within 2 km, so a point that close is ``low`` confidence whatever the polygon says.

Two layers, kept apart on purpose (a country is three answers, never one):

* de jure - Natural Earth admin-0, German point of view (Crimea is Ukraine);
* de facto - the country Natural Earth admin-1 records (Crimea is Russia), with the region.

The layers, their indexes and the distances to the land borders are reference data
(:mod:`geotrace.geodata.borders`, :mod:`geotrace.geodata.lines`); here they are read into
answers, vectorised over NumPy arrays with no Python loop per point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import BoolArray, FloatArray, IntArray, StrArray
from geotrace.geodata.borders import MIXED, OUTSIDE, _admin1, _coasts, _Data, _data
from geotrace.geodata.lines import MAX_ERROR_KM, _distance, unit_vectors

LOW_KM, MEDIUM_KM = 2.0, 5.0
BAND_EDGES_KM = np.array([LOW_KM, MEDIUM_KM])
CONFIDENCE_LABELS = np.array(["low", "medium", "high", "none"])  # by band; "none" at sea
ON_BORDER_KM = 1e-6  # 1 mm: "exactly on the line", allowing for floating-point rounding
SWAP_SEA_KM = 100.0


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
        unit_vectors(lat_a[close], lon_a[close]), (MEDIUM_KM + MAX_ERROR_KM) / EARTH_RADIUS_KM
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
        unit_vectors(lat_a, lon_a),
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
        angle, piece = _coasts().nearest(unit_vectors(lat_a[offshore], lon_a[offshore]))
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


#: Grid cells whose pieces are intersected in one batch (see ``radius_shares``).
CELL_BUDGET = 50_000


def radius_shares(
    lat: npt.ArrayLike, lon: npt.ArrayLike, radius_m: npt.ArrayLike
) -> list[dict[str, float]]:
    """Per point, the share of its uncertainty circle's area in each de jure country ("" = sea).

    Each distinct circle is computed once: the places a text names are few and named
    again and again (every "в Донецкой области" is one circle), and an oblast's circle,
    hundreds of kilometres wide, touches hundreds of grid cells.  Circles go through in
    batches of about ``CELL_BUDGET`` cells, not of a count of points: every point near a
    border or coast carries its own projected copy of the pieces its circle touches (a
    coastal cell's piece can be thousands of vertices), so memory follows the cells.
    24,437 news posts' text sightings took 9.8 GB in batches of 1,024 points and 115 s.
    """
    lat_a, lon_a = (
        np.atleast_1d(np.asarray(lat, dtype=np.float64)),
        np.atleast_1d(np.asarray(lon, dtype=np.float64)),
    )
    r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), lat_a.shape)
    if not len(lat_a):
        return []
    circles, inverse = np.unique(np.stack([lat_a, lon_a, r], axis=1), axis=0, return_inverse=True)
    side = _data().admin0.cell_deg * 111.0  # km of latitude per cell
    reach = np.nan_to_num(circles[:, 2] / 1000.0 / side, nan=0.0, posinf=0.0)
    reach = np.minimum(reach, 0.45 * 180.0 / _data().admin0.cell_deg)
    wide = 1.0 / np.maximum(np.cos(np.radians(np.nan_to_num(circles[:, 0]))), 0.05)
    cells = (2.0 * reach + 2.0) * (2.0 * reach * wide + 2.0)
    batch = np.floor_divide(np.cumsum(cells) - cells, CELL_BUDGET).astype(np.int64)
    shares: list[dict[str, float]] = []
    for first, stop in zip(*_runs(batch), strict=True):
        part = circles[first:stop]
        shares += _radius_shares(part[:, 0], part[:, 1], part[:, 2])
    return [dict(shares[i]) for i in inverse.ravel().tolist()]


def _runs(labels: npt.NDArray[np.int64]) -> tuple[list[int], list[int]]:
    """Start and stop of each run of equal labels (they are sorted)."""
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = [0, *edges.tolist()]
    return starts, [*edges.tolist(), len(labels)]


def _radius_shares(
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
    n, piece = layer.cell_pieces(cell[mixed])
    geoms = np.concatenate([boxes, layer.pieces.get(piece)])
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
