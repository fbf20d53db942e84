"""Distances on the sphere to polylines: k-d trees over unit vectors, in tiers and tiles.

Distances are on the sphere (R = ``geo.EARTH_RADIUS_KM``): a k-d tree over the lines
densified to ~0.33 km in 3-D unit vectors (chord order is great-circle order), then the exact
point-to-arc distance to the segments at the nearest vertex.  Tiers of generalised lines with
growing bounds keep far queries fast; the densest tiers are cut into tiles built on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import BoolArray, FloatArray, IntArray
from geotrace.geodata.npz import _ranges

DENSE_DEG = 0.003  # <= 0.334 km between vertices: the nearest vertex is off by <= 0.17 km
MAX_ERROR_KM = 0.15
RELATIVE_ERROR = 0.002
KM_PER_DEG = 111.2  # along a meridian; fewer along a parallel, so degree tolerances are safe
BOUNDS_KM = (60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3840.0, 7680.0, np.inf)
CELL_SLACK_KM = 40.0  # a 0.25 degree cell's diagonal: its points are this close to its centre's


class _Nearest(Protocol):
    """Something that answers "nearest line within ``within`` radians" (see ``_Lines``)."""

    def nearest(self, xyz: FloatArray, within: float) -> tuple[FloatArray, IntArray]: ...


class _TierList(Protocol):
    """Distance tiers, dense to sparse, each with its bound in radians (see ``_distance``)."""

    def __len__(self) -> int: ...

    def __getitem__(self, k: int) -> tuple[_Nearest, float]: ...


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Points on the unit sphere (n x 3) for latitudes/longitudes in degrees: in 3-D the chord
    is monotone in the great-circle angle, so a k-d tree's nearest is the nearest on the
    sphere, with no trouble at the poles or the antimeridian."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def kd_tree(xyz: FloatArray) -> Any:
    """A ``scipy.spatial.cKDTree``, scipy imported on first use: the import alone is 0.3 s,
    which every command (and every forked export reader) paid at start when it was at
    the top of this module, though few of them place anything."""
    from scipy.spatial import cKDTree

    return cKDTree(xyz)


#: Fewer k-d tree queries than this are not worth starting threads for (a tile's few points).
PARALLEL_QUERY_MIN = 20_000


@dataclass(frozen=True)
class _Lines:
    """Polylines as 3-D unit vectors in a k-d tree.

    Vertices ``i`` and ``i + 1`` are joined when ``part`` gives both the same polyline;
    ``part_line`` says which line (border, piece outline) each polyline is.  Where several
    vertices share one position (a tripoint, the two ends of a ring, adjacent piece outlines),
    all of them are looked at: the nearest of their segments wins, then the lowest line
    number, so that no answer depends on which copy the tree happens to return.
    """

    tree: Any  # cKDTree over the vertices' unit vectors (``tree.data``, not copied)
    part: npt.NDArray[np.int32]
    part_line: IntArray
    twin_vertex: IntArray  # vertices that share their position with another, ascending
    twin_group: IntArray  # the group of each
    group_start: IntArray  # group g's vertices: group_member[group_start[g]:group_start[g+1]]
    group_member: IntArray

    @property
    def xyz(self) -> FloatArray:
        out: FloatArray = self.tree.data
        return out

    @property
    def line(self) -> IntArray:
        """The line of every vertex."""
        out: IntArray = self.part_line[self.part]
        return out

    def _neighbours(self, vertex: IntArray) -> tuple[IntArray, IntArray]:
        """(previous, next) vertex on the same polyline, -1 at its ends."""
        n = len(self.part)
        before, after = np.maximum(vertex - 1, 0), np.minimum(vertex + 1, n - 1)
        prev = np.where((vertex > 0) & (self.part[before] == self.part[vertex]), before, -1)
        nxt = np.where((vertex < n - 1) & (self.part[after] == self.part[vertex]), after, -1)
        return prev, nxt

    def nearest(self, xyz: FloatArray, within: float) -> tuple[FloatArray, IntArray]:
        """Great-circle distance (radians) to the nearest line if within ``within`` radians
        (else inf), and that line's index (-1).  A scalar bound is what keeps the k-d tree fast:
        unbounded, a query far from every border visits much of the tree (2 k points/s).
        """
        angle, line, todo, ends = self.search(xyz, within)
        angle[todo] = _refine(xyz[todo], angle[todo], ends)
        return angle, line

    def search(
        self, xyz: FloatArray, within: float
    ) -> tuple[FloatArray, IntArray, IntArray, _Ends]:
        """The tree query, all but the last step of ``nearest``.

        Returns the angle to each point's nearest vertex within the bound (inf if none) and
        its line, final for points at a shared vertex; and the other found points (``todo``)
        with their vertex and its neighbours, for ``_refine`` to take the segments into
        account.  ``_Tiles`` refines all its tiles' points in one go.
        """
        bound = 2.0 * np.sin(min(within, np.pi) / 2.0) if np.isfinite(within) else np.inf
        workers = -1 if len(xyz) >= PARALLEL_QUERY_MIN else 1
        result = self.tree.query(xyz, k=1, distance_upper_bound=bound, workers=workers)
        chord: FloatArray = np.asarray(result[0], dtype=np.float64)
        found = np.isfinite(chord)
        vertex: IntArray = np.where(found, np.asarray(result[1], dtype=np.int64), 0)
        best = np.full(len(xyz), np.inf)
        best[found] = 2.0 * np.arcsin(np.minimum(chord[found] / 2.0, 1.0))
        line = np.where(found, self.part_line[self.part[vertex]], -1)
        twin = np.zeros(len(xyz), dtype=bool)
        if len(self.twin_vertex):
            pos = np.minimum(np.searchsorted(self.twin_vertex, vertex), len(self.twin_vertex) - 1)
            twin = found & (self.twin_vertex[pos] == vertex)
            if twin.any():
                point = np.flatnonzero(twin)
                best[point], line[point] = self._at_twins(
                    xyz[point], best[point], self.twin_group[pos[point]]
                )
        todo = np.flatnonzero(found & ~twin)
        vertex = vertex[todo]
        before, after = self._neighbours(vertex)
        ends = _Ends(self.xyz[vertex], self.xyz[before], self.xyz[after], before >= 0, after >= 0)
        return best, line, todo, ends

    def _at_twins(
        self, xyz: FloatArray, angle: FloatArray, group: IntArray
    ) -> tuple[FloatArray, IntArray]:
        """Points whose nearest vertex is shared: the best segment of all the copies, then
        the lowest line number."""
        start, stop = self.group_start[group], self.group_start[group + 1]
        member = self.group_member[_ranges(start, stop)]
        point = np.repeat(np.arange(len(xyz)), stop - start)
        before, after = self._neighbours(member)
        ends = _Ends(self.xyz[member], self.xyz[before], self.xyz[after], before >= 0, after >= 0)
        each = _refine(xyz[point], angle[point], ends)
        owner = self.part_line[self.part[member]]
        order = np.lexsort((owner, each, point))
        pick = order[np.r_[True, point[order][1:] != point[order][:-1]]]
        return each[pick], owner[pick]


@dataclass(frozen=True)
class _Ends:
    """Found vertices with their neighbours on the line (whichever exist)."""

    vertex: FloatArray
    before: FloatArray
    after: FloatArray
    has_before: BoolArray
    has_after: BoolArray

    @staticmethod
    def concatenate(parts: list[_Ends]) -> _Ends:
        return _Ends(
            *(np.concatenate([getattr(e, f) for e in parts]) for f in _Ends.__dataclass_fields__)
        )


def _refine(xyz: FloatArray, angle: FloatArray, ends: _Ends) -> FloatArray:
    """The angle to the nearest vertex, lowered to the segments on either side of it."""
    for other, has in ((ends.before, ends.has_before), (ends.after, ends.has_after)):
        ok = np.flatnonzero(has)
        angle[ok] = np.minimum(angle[ok], _arc_distance(xyz[ok], ends.vertex[ok], other[ok]))
    return angle


def _lines(geoms: npt.NDArray[Any], part_line: IntArray | None = None) -> _Lines:
    """The vertices of ``geoms`` (one polyline each) in a k-d tree; ``part_line`` numbers
    their lines (default: their position)."""
    coords, part = shapely.get_coordinates(geoms, return_index=True)
    xyz = unit_vectors(coords[:, 1], coords[:, 0])
    del coords
    # Groups of vertices at one position: sorted by x, then (the few with an equal x) by all.
    order = np.argsort(xyz[:, 0], kind="stable")
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] = np.diff(xyz[order, 0]) == 0
    tied[:-1] |= tied[1:]
    order = order[tied]
    order = order[np.lexsort(xyz[order].T[::-1])]
    ranked = xyz[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (ranked[1:] == ranked[:-1]).all(axis=1)
    group = np.cumsum(~same) - 1
    shared = np.bincount(group, minlength=1)[group] > 1
    member, member_group = order[shared], group[shared]  # groups ascending: renumber
    member_group = np.cumsum(np.r_[True, member_group[1:] != member_group[:-1]]) - 1
    by_vertex = np.argsort(member)
    return _Lines(
        kd_tree(xyz),
        part.astype(np.int32),
        np.arange(len(geoms), dtype=np.int64) if part_line is None else part_line,
        member[by_vertex].astype(np.int64),
        member_group[by_vertex].astype(np.int64),
        np.r_[0, np.cumsum(np.bincount(member_group))].astype(np.int64),
        member.astype(np.int64),
    )


def _distance(
    tiers: _TierList, xyz: FloatArray, start: IntArray | None = None
) -> tuple[FloatArray, IntArray]:
    """Nearest-line distance (radians) and line index, each point asked first of tier ``start``.

    Tiers go from dense lines with a small bound to sparser lines with larger bounds.  A point
    joins at its ``start`` tier (from the grid's precomputed upper bound, so no query is wasted
    on a ring that holds nothing) and moves on only if that tier found nothing within its bound.
    A tier no point needs is never looked at (and, at run time, never built).
    """
    first = np.zeros(len(xyz), dtype=np.int64) if start is None else start
    best = np.full(len(xyz), np.inf)
    line = np.full(len(xyz), -1, dtype=np.int64)
    for k in range(len(tiers)):
        todo = np.flatnonzero((first <= k) & ~np.isfinite(best))
        if todo.size:
            lines, within = tiers[k]
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
    simple, spacing = _simplified(lines, tier)
    return shapely.segmentize(simple, spacing)


def _simplified(lines: npt.NDArray[Any], tier: int) -> tuple[npt.NDArray[Any], float]:
    """``_generalise`` but the last step: (the simplified lines, the spacing to densify to)."""
    d_min = BOUNDS_KM[tier - 1] - CELL_SLACK_KM if tier else 0.0
    if d_min <= 0:
        return lines, DENSE_DEG
    error_km = max(MAX_ERROR_KM, RELATIVE_ERROR * d_min)
    tolerance_deg = error_km / 2 / KM_PER_DEG
    spacing_deg = np.sqrt(8.0 * d_min * error_km / 2) / KM_PER_DEG
    return shapely.simplify(lines, tolerance_deg), float(spacing_deg)


def _tiers(lines: npt.NDArray[Any]) -> tuple[tuple[_Lines, float], ...]:
    """Every tier at once, as one tree each (the data build's border_tier grid uses this)."""
    return tuple(
        (_lines(_generalise(lines, k)), bound / EARTH_RADIUS_KM)
        for k, bound in enumerate(BOUNDS_KM)
    )


#: Side of a tile of the dense border tiers, degrees, and the tiers tiled: those with a
#: bound up to TILED_KM (see ``_Tiles``); the others are 54 k vertices or fewer.
TILE_DEG = 10.0
TILED_KM = 240.0


class _Tiles:
    """A dense border tier cut into ``TILE_DEG`` tiles with a tree each, built on first use.

    Densified to ``DENSE_DEG`` the land borders are 0.8 M vertices, 56 MB as one tree (tier
    1: 105 k, 13 MB), for a query near one border.  A tile holds every segment of the
    (simplified) lines that comes within the tier's bound (plus 1 km) of it, densified to
    ``spacing`` as the whole line is (``segmentize`` treats each segment alone, so the vertices
    are the same), in runs of consecutive segments: a point's nearest vertex within the bound
    and that vertex's neighbours are all in its own tile, and its answer is the one the
    single tree gives.
    """

    def __init__(self, lines: npt.NDArray[Any], spacing: float, bound: float) -> None:
        coords, line = shapely.get_coordinates(lines, return_index=True)
        self._coords = coords
        self._segment = np.flatnonzero(line[1:] == line[:-1]).astype(np.int32)  # s to s + 1
        self._segment_line = line[self._segment].astype(np.int32)
        a, b = coords[self._segment], coords[self._segment + 1]
        # Segment boxes in float32 (1 MB), rounded outwards.
        down, up = np.float32(-np.inf), np.float32(np.inf)
        self._low = np.nextafter(np.minimum(a, b).astype(np.float32), down)
        self._high = np.nextafter(np.maximum(a, b).astype(np.float32), up)
        self._spacing, self._bound = spacing, bound
        self._ncols = round(360.0 / TILE_DEG)
        self._nrows = round(180.0 / TILE_DEG)
        self._tiles: dict[int, _Lines | None] = {}
        self._lock = threading.Lock()

    def nearest(self, xyz: FloatArray, within: float) -> tuple[FloatArray, IntArray]:
        """As ``_Lines.nearest``, each point asking its own tile (``within`` <= the bound)."""
        if within > self._bound:
            raise ValueError(f"tiles hold what lies within {self._bound} rad, not {within}")
        best = np.full(len(xyz), np.inf)
        line = np.full(len(xyz), -1, dtype=np.int64)
        todo: list[IntArray] = []
        ends: list[_Ends] = []
        if not len(xyz):
            return best, line
        lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
        lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
        row = np.clip(((lat + 90.0) / TILE_DEG).astype(np.int64), 0, self._nrows - 1)
        col = np.clip(((lon + 180.0) / TILE_DEG).astype(np.int64), 0, self._ncols - 1)
        tile = row * self._ncols + col
        order = np.argsort(tile, kind="stable")
        ranked = tile[order]
        cuts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1], True])
        for a, b in pairwise(cuts.tolist()):
            lines = self._tile(int(ranked[a]))
            if lines is not None:
                which = order[a:b]
                best[which], line[which], open_, tile_ends = lines.search(xyz[which], within)
                todo.append(which[open_])
                ends.append(tile_ends)
        if todo:  # one pass over every tile's points: a few hundred small ones cost more
            points = np.concatenate(todo)
            best[points] = _refine(xyz[points], best[points], _Ends.concatenate(ends))
        return best, line

    def _tile(self, tile: int) -> _Lines | None:
        if tile not in self._tiles:
            with self._lock:
                if tile not in self._tiles:
                    self._tiles[tile] = self._build(tile)
        return self._tiles[tile]

    def _build(self, tile: int) -> _Lines | None:
        row, col = divmod(tile, self._ncols)
        lat0, lon0 = row * TILE_DEG - 90.0, col * TILE_DEG - 180.0
        lat1, lon1 = lat0 + TILE_DEG, lon0 + TILE_DEG
        # What lies within the bound of a point of the tile: the bound in latitude, and in
        # longitude asin(sin a / cos lat) at the tile's most poleward latitude.
        reach = self._bound + 1.0 / EARTH_RADIUS_KM
        dlat = float(np.degrees(reach))
        poleward = max(abs(lat0), abs(lat1))
        if poleward + dlat >= 90.0:
            dlon = 360.0
        else:
            dlon = float(
                np.degrees(np.arcsin(min(1.0, np.sin(reach) / np.cos(np.radians(poleward)))))
            )
        near = np.flatnonzero((self._high[:, 1] >= lat0 - dlat) & (self._low[:, 1] <= lat1 + dlat))
        lo, hi = self._low[near, 0], self._high[near, 0]
        across = np.zeros(len(near), dtype=bool)
        for shift in (-360.0, 0.0, 360.0):
            across |= (hi >= lon0 - dlon + shift) & (lo <= lon1 + dlon + shift)
        chosen = near[across]
        if not chosen.size:
            return None
        segment = self._segment[chosen].astype(np.int64)
        starts = np.r_[True, segment[1:] != segment[:-1] + 1]  # a run of consecutive segments
        ends = np.r_[starts[1:], True]
        run = np.cumsum(starts) - 1
        vertex = np.concatenate([segment, segment[ends] + 1])
        owner = np.concatenate([run, run[ends]])
        order = np.lexsort((vertex, owner))
        runs = shapely.linestrings(self._coords[vertex[order]], indices=owner[order])
        dense = shapely.segmentize(runs, self._spacing)
        return _lines(dense, self._segment_line[chosen][starts].astype(np.int64))


class _Tiers:
    """The border tiers for ``_distance``, each built when a point first needs it.

    The dense ones are tiled (``_Tiles``); the others are 5 k to 54 k vertices each.
    """

    def __init__(self, lines: npt.NDArray[Any]) -> None:
        self.lines = lines
        self._built: dict[int, tuple[_Nearest, float]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(BOUNDS_KM)

    def __getitem__(self, k: int) -> tuple[_Nearest, float]:
        if not 0 <= k < len(BOUNDS_KM):
            raise IndexError(k)
        if k not in self._built:
            with self._lock:
                if k not in self._built:
                    bound = BOUNDS_KM[k] / EARTH_RADIUS_KM
                    lines: _Nearest = (
                        _Tiles(*_simplified(self.lines, k), bound)
                        if BOUNDS_KM[k] <= TILED_KM
                        else _lines(_generalise(self.lines, k))
                    )
                    self._built[k] = (lines, bound)
        return self._built[k]


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
