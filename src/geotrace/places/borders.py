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

Memory is paid for by what a query touches, not by the world (issue: one point cost 365 MB,
560 MB with its region, 1 GB at sea).  As GEOS geometries the 216 k admin-0 and 293 k admin-1
pieces would take ~160 MB and ~230 MB, the densified borders as one k-d tree ~56 MB and every
piece outline ~600 MB, while a query needs a handful of each.  So the pieces stay compressed in
their ``.npz`` and are inflated and built per piece when first asked for (:class:`_Pieces`);
the densest border tier is cut into tiles with a tree each (:class:`_Tiles`); the other tiers
are built per tier; and the coasts are searched near the point only (:class:`_Coasts`).
Answers are those of the whole-world structures, built the same way from the same vertices.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain, pairwise
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import numpy.typing as npt
import shapely

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


#: Bytes of array data between two saved inflater states (see ``_Member``).
BLOCK_BYTES = 1 << 20
#: Blocks inflated in one go at most, so a big batch never holds a whole array.
RUN_BLOCKS = 4
#: Pieces built per ``from_ragged_array`` call at most: bounds the coordinate copies.
PIECE_BATCH = 32_768
#: Share of a layer's pieces built past which they are kept in an array over all pieces.
DENSE_SHARE = 1 / 16


class _Inflate:
    """The bytes of one ``.npz`` member, in order, from a saved position."""

    def __init__(self, fh: BinaryIO, end: int, inflater: Any | None, position: int) -> None:
        self._fh, self._end, self._inflater = fh, end, inflater
        self.position = position  # next unread byte of the member's stored data
        self._read = position
        self._tail = b""
        fh.seek(position)

    def read(self, n: int = -1, /) -> bytes:
        """Up to ``n`` bytes (all that is left if ``n`` < 0)."""
        if n < 0:
            n = 1 << 62
        if self._inflater is None:  # a stored (uncompressed) member
            data = self._fh.read(min(n, self._end - self.position))
            self.position += len(data)
            return data
        parts = []
        while n > 0:
            if not self._tail and self._read < self._end:
                self._tail = self._fh.read(min(1 << 16, self._end - self._read))
                self._read += len(self._tail)
            fed = len(self._tail)
            out = self._inflater.decompress(self._tail, n)
            self._tail = self._inflater.unconsumed_tail
            self.position += fed - len(self._tail)
            if not out and (self._inflater.eof or (not self._tail and self._read >= self._end)):
                break
            parts.append(out)
            n -= len(out)
        return b"".join(parts)

    def state(self) -> tuple[Any | None, int]:
        """Enough to start reading again here: a copy of the inflater and the position."""
        return (None if self._inflater is None else self._inflater.copy()), self.position


class _Member:
    """One array of an ``.npz``, read by rows on demand and never held whole.

    ``np.load`` inflates a whole member: 13 MB of admin-0 vertex deltas and 23 MB of admin-1
    ones, for a query that needs a few pieces.  One pass inflates it once in ``BLOCK_BYTES``
    blocks and keeps, per block, a copy of the inflater's state (~40 KB: zlib's 32 KB window)
    and, for a ``cumulative`` (delta-coded) array, the running sum there; a read then inflates
    from the block holding its first row only.  The pass is made on first read.
    """

    def __init__(self, path: Path, name: str, *, cumulative: bool = False) -> None:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(f"{name}.npy")
        if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            raise ValueError(f"{path}: {name} is neither stored nor deflated")
        with path.open("rb") as fh:
            fh.seek(info.header_offset)
            local = fh.read(30)
        if local[:4] != b"PK\x03\x04":
            raise ValueError(f"{path}: no local header for {name}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        self._path = path
        self._start = info.header_offset + 30 + name_len + extra_len
        self._end = self._start + info.compress_size
        self._deflated = info.compress_type == zipfile.ZIP_DEFLATED
        self._cumulative = cumulative
        self._states: list[tuple[Any | None, int]] = []
        self._sums: list[npt.NDArray[np.int64]] = []
        self._lock = threading.Lock()
        self.dtype = np.dtype(np.int8)
        self.shape: tuple[int, ...] = ()
        self._block_rows = 1
        self._row_bytes = 1
        self._stamp = (0, 0)

    def _open(self, fh: BinaryIO, state: tuple[Any | None, int]) -> _Inflate:
        inflater, position = state
        if inflater is not None:
            inflater = inflater.copy()  # the saved state stays reusable
        return _Inflate(fh, self._end, inflater, position)

    def _scan(self) -> None:
        with self._lock:
            if self._states:
                return
            with self._path.open("rb") as fh:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS) if self._deflated else None
                stream = _Inflate(fh, self._end, inflater, self._start)
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    header = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    header = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"{self._path}: .npy version {version} not read")
                shape, fortran, dtype = header
                if fortran or dtype.hasobject:
                    raise ValueError(f"{self._path}: a Fortran-order or object array")
                self.shape, self.dtype = tuple(shape), dtype
                row = dtype.itemsize * int(np.prod(shape[1:], dtype=np.int64))
                self._row_bytes = row
                self._block_rows = max(1, BLOCK_BYTES // row)
                total = np.zeros(shape[1:], dtype=np.int64)
                states, sums = [], []
                for first in range(0, shape[0], self._block_rows):
                    states.append(stream.state())
                    sums.append(total.copy())
                    rows = min(self._block_rows, shape[0] - first)
                    block = self._rows(stream.read(rows * row))
                    if len(block) != rows:
                        raise ValueError(f"{self._path}: member ends early")
                    if self._cumulative:
                        total += block.sum(axis=0, dtype=np.int64)
                self._sums, self._states = sums, states
                self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int]:
        stat = os.stat(self._path)
        return stat.st_size, stat.st_mtime_ns

    def _rows(self, data: bytes) -> npt.NDArray[Any]:
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, *self.shape[1:])

    def __len__(self) -> int:
        self._scan()
        return self.shape[0]

    def gather(self, start: IntArray, stop: IntArray) -> npt.NDArray[Any]:
        """Rows ``start[i]:stop[i]`` for every i, concatenated; ``start`` ascending.

        A cumulative member gives its running sums (the decoded values), computed in its own
        dtype as ``np.cumsum(..., dtype=...)`` over the whole array would.
        """
        self._scan()
        if not len(start):
            return np.zeros((0, *self.shape[1:]), dtype=self.dtype)
        first = start // self._block_rows
        last = (np.maximum(stop, start + 1) - 1) // self._block_rows
        # Ranges whose blocks touch or overlap are read in one go, RUN_BLOCKS blocks or so
        # at a time.
        reach = np.maximum.accumulate(last)
        new = np.r_[
            True,
            (first[1:] > reach[:-1] + 1) | (first[1:] // RUN_BLOCKS != first[:-1] // RUN_BLOCKS),
        ]
        bounds = np.flatnonzero(np.r_[new, True])
        if self._file_stamp() != self._stamp:  # the saved states belong to the old bytes
            raise RuntimeError(f"{self._path} changed while in use; restart the process")
        parts = []
        with self._path.open("rb") as fh:
            for a, b in pairwise(bounds.tolist()):
                block = int(first[a])
                base = block * self._block_rows
                stream = self._open(fh, self._states[block])
                end = int(stop[a:b].max())
                values = self._rows(stream.read((end - base) * self._row_bytes))
                if self._cumulative:
                    values = np.cumsum(values, axis=0, dtype=self.dtype)
                    values += self._sums[block].astype(self.dtype)
                parts.append(values[_ranges(start[a:b] - base, stop[a:b] - base)])
        return np.concatenate(parts)


def _ranges(start: IntArray, stop: IntArray) -> IntArray:
    """``start[i]..stop[i]-1`` for every i, concatenated, with no Python loop."""
    n = stop - start
    out: IntArray = np.repeat(start - np.cumsum(n) + n, n) + np.arange(n.sum())
    return out


class _Pieces:
    """A layer's pieces as prepared GEOS geometries, each built when first asked for.

    All of them would cost ~750 bytes of GEOS per piece (160 MB for admin-0), and a query
    touches the pieces of the mixed cells its points fall in only.  The vertices stay deflated
    in the ``.npz`` (``_Member``); ``get`` inflates the blocks holding the missing pieces,
    gathers their coordinates and offsets and builds them with one ``from_ragged_array`` call.
    """

    def __init__(self, path: Path, count: int, kind: shapely.GeometryType, quantum: float) -> None:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
        self._offsets = [
            _Member(path, f"offsets{i}") for i in range(3) if f"offsets{i}.npy" in names
        ]
        self._coords = _Member(path, "coords_delta", cumulative=True)
        self._kind, self._quantum = kind, quantum
        self._count = count
        # Few pieces built: sorted ids and their geometries.  Past DENSE_SHARE of them, an
        # array over all pieces (8 bytes each), cheaper to look up in.
        self._ids = np.zeros(0, dtype=np.int64)
        self._some = np.zeros(0, dtype=object)
        self._geoms: npt.NDArray[Any] | None = None
        self._built = np.zeros(0, dtype=bool)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    def get(self, index: IntArray) -> npt.NDArray[Any]:
        """The geometries of the pieces ``index`` (repeats allowed), built if need be."""
        if self._missing(index).any():
            with self._lock:
                wanted = np.zeros(self._count, dtype=bool)  # np.unique, in linear time
                wanted[index[self._missing(index)]] = True
                missing = np.flatnonzero(wanted)
                for batch in np.array_split(missing, -(-len(missing) // PIECE_BATCH)):
                    geoms, first = self._make(batch)
                    shapely.prepare(geoms)
                    # GEOS builds a prepared polygon's point index on its first query, and
                    # two threads doing so at once (``_intersects_xy``) corrupt the heap
                    # (libgeos/geos#825): build it here, one thread, with a point on each.
                    shapely.intersects_xy(geoms, first[:, 0], first[:, 1])
                    self._add(batch, geoms)
        if self._geoms is not None:
            out: npt.NDArray[Any] = self._geoms[index]
            return out
        return self._some[np.searchsorted(self._ids, index)]

    def _missing(self, index: IntArray) -> BoolArray:
        if self._geoms is not None:
            return ~self._built[index]
        if not len(self._ids):
            return np.ones(len(index), dtype=bool)
        pos = np.minimum(np.searchsorted(self._ids, index), len(self._ids) - 1)
        out: BoolArray = self._ids[pos] != index
        return out

    def _add(self, ids: IntArray, geoms: npt.NDArray[Any]) -> None:
        if self._geoms is None and len(self._ids) + len(ids) > DENSE_SHARE * self._count:
            self._geoms = np.full(self._count, None, dtype=object)
            self._built = np.zeros(self._count, dtype=bool)
            self._geoms[self._ids], self._built[self._ids] = self._some, True
            self._ids, self._some = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
        if self._geoms is not None:
            self._geoms[ids], self._built[ids] = geoms, True
            return
        order = np.argsort(np.concatenate([self._ids, ids]), kind="stable")
        self._ids = np.concatenate([self._ids, ids])[order]
        self._some = np.concatenate([self._some, geoms])[order]

    def _make(self, pieces: IntArray) -> tuple[npt.NDArray[Any], FloatArray]:
        """Pieces, walked down from parts to rings to vertices, as ``from_ragged_array``
        builds them from the whole arrays (``_ragged``): the same vertices, bit for bit;
        with each piece's first vertex."""
        ids = pieces.astype(np.int64)
        counts = []
        lo = hi = ids
        for level in reversed(self._offsets):  # parts of a piece, rings of a part, vertices
            pair = level.gather(ids, ids + 2).astype(np.int64).reshape(-1, 2)
            lo, hi = pair[:, 0], pair[:, 1]
            counts.append(hi - lo)
            ids = _ranges(lo, hi)
        coords = self._coords.gather(lo, hi) * self._quantum
        offsets = tuple(np.r_[0, np.cumsum(c)] for c in reversed(counts))
        geoms: npt.NDArray[Any] = shapely.from_ragged_array(self._kind, coords, offsets)
        first = np.arange(len(pieces))
        for level in reversed(offsets):
            first = level[first]
        return geoms, coords[first]


class _Nearest(Protocol):
    """Something that answers "nearest line within ``within`` radians" (see ``_Lines``)."""

    def nearest(self, xyz: FloatArray, within: float) -> tuple[FloatArray, IntArray]: ...


class _TierList(Protocol):
    """Distance tiers, dense to sparse, each with its bound in radians (see ``_distance``)."""

    def __len__(self) -> int: ...

    def __getitem__(self, k: int) -> tuple[_Nearest, float]: ...


@dataclass(frozen=True)
class _Layer:
    """A polygon layer as a grid of owners plus the pieces of the mixed cells."""

    grid: npt.NDArray[np.int16]  # flat, row-major from (-90, -180)
    ncols: int
    cell_deg: float
    pieces: _Pieces  # prepared MultiPolygons, sorted by cell, built on first use
    piece_feature: npt.NDArray[np.int16]
    piece_cell: npt.NDArray[np.int32]

    def cells(self, lat: FloatArray, lon: FloatArray) -> IntArray:
        nrows = self.grid.size // self.ncols
        row = np.clip(((lat + 90.0) / self.cell_deg).astype(np.int64), 0, nrows - 1)
        col = np.clip(((lon + 180.0) / self.cell_deg).astype(np.int64), 0, self.ncols - 1)
        return row * self.ncols + col

    def cell_pieces(self, cell: IntArray) -> tuple[IntArray, IntArray]:
        """(how many pieces each cell has, the pieces of all of them concatenated)."""
        start = np.searchsorted(self.piece_cell, cell, side="left")
        stop = np.searchsorted(self.piece_cell, cell, side="right")
        return stop - start, _ranges(start, stop)

    def locate(self, lat: FloatArray, lon: FloatArray) -> tuple[IntArray, IntArray]:
        """(first, second) feature index containing each point, -1 for none.

        ``second`` is a different feature whose boundary the point also lies on.
        """
        cell = self.cells(lat, lon)
        first = self.grid[cell].astype(np.int64)
        second = np.full(len(lat), OUTSIDE, dtype=np.int64)
        mixed = np.flatnonzero(first == MIXED)
        first[mixed] = OUTSIDE
        counts, piece = self.cell_pieces(cell[mixed])
        point = np.repeat(mixed, counts)
        hit = _intersects_xy(self.pieces.get(piece), lon[point], lat[point])
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


def kd_tree(xyz: FloatArray) -> Any:
    """A ``scipy.spatial.cKDTree``, scipy imported on first use: the import alone is 0.3 s,
    which every command (and every forked export reader) paid at start when it was at
    the top of this module, though few of them place anything."""
    from scipy.spatial import cKDTree

    return cKDTree(xyz)


#: Fewer tests than this per thread are not worth a thread.
PARALLEL_MIN = 50_000
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
    xyz = _xyz(coords[:, 1], coords[:, 0])
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


#: Cells per side of a block of the coast search (4: one degree), and no point of a block
#: is farther than this from its centre (78.6 km at the equator).
COAST_BLOCK = 4
BLOCK_RADIUS_KM = 80.0
#: Offshore points searched together (they share the pieces they build).
COAST_CHUNK = 4096
COAST_DEG = 0.05  # vertex spacing of the coast outlines: "nearest country, 61 km"


class _Coasts:
    """Nearest admin-0 piece outline for offshore points, searched near each point only.

    Every piece outline densified to ``COAST_DEG`` is ~8 M vertices, 600 MB as one tree.  But
    an outline lies in its piece's cell, so a small tree over the centres of the one-degree
    blocks holding mixed cells bounds each point's nearest vertex (nearest block centre plus
    a block radius), hence the blocks that may hold it (centres within that plus another
    radius); only their pieces' outlines are built, a chunk of nearby points at a time.  The
    vertices, and so the answers, are those of the whole-world tree.
    """

    def __init__(self, layer: _Layer) -> None:
        self._layer = layer
        per_row = layer.ncols // COAST_BLOCK
        row, col = np.divmod(np.unique(layer.piece_cell).astype(np.int64), layer.ncols)
        self._blocks = np.unique((row // COAST_BLOCK) * per_row + col // COAST_BLOCK)
        block_row, block_col = np.divmod(self._blocks, per_row)
        size = COAST_BLOCK * layer.cell_deg
        self._tree = kd_tree(
            _xyz((block_row + 0.5) * size - 90.0, (block_col + 0.5) * size - 180.0)
        )

    def nearest(self, xyz: FloatArray) -> tuple[FloatArray, IntArray]:
        """Great-circle distance (radians) to the nearest piece outline, and that piece."""
        angle = np.full(len(xyz), np.inf)
        piece = np.full(len(xyz), -1, dtype=np.int64)
        if not len(xyz):
            return angle, piece
        workers = -1 if len(xyz) >= PARALLEL_QUERY_MIN else 1
        chord, block = self._tree.query(xyz, k=1, workers=workers)
        reach = 2.0 * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0))
        reach += 2.0 * BLOCK_RADIUS_KM / EARTH_RADIUS_KM
        radius = 2.0 * np.sin(np.minimum(reach, np.pi) / 2.0)
        # Chunks of points near one another (Z-order of their nearest block) share most of
        # the outlines they need; in row order a chunk would be a band around the globe.
        row, col = np.divmod(self._blocks[np.asarray(block)], self._layer.ncols // COAST_BLOCK)
        order = np.argsort(_z_order(row, col), kind="stable")
        for chunk in np.array_split(order, -(-len(order) // COAST_CHUNK)):
            near = self._tree.query_ball_point(xyz[chunk], radius[chunk])
            blocks = np.unique(np.fromiter(chain.from_iterable(near), dtype=np.int64))
            pieces = self._pieces(self._blocks[blocks])
            outlines = shapely.segmentize(
                shapely.boundary(self._layer.pieces.get(pieces)), COAST_DEG
            )
            angle[chunk], piece[chunk] = _lines(outlines, pieces).nearest(xyz[chunk], np.inf)
        return angle, piece

    def _pieces(self, blocks: IntArray) -> IntArray:
        layer = self._layer
        per_row = layer.ncols // COAST_BLOCK
        block_row, block_col = np.divmod(blocks, per_row)
        k = np.arange(COAST_BLOCK)
        rows = (block_row[:, None] * COAST_BLOCK + k)[:, :, None]
        cols = (block_col[:, None] * COAST_BLOCK + k)[:, None, :]
        cells = np.sort((rows * layer.ncols + cols).reshape(-1))
        return layer.cell_pieces(cells)[1]


def _z_order(row: IntArray, col: IntArray) -> IntArray:
    """Interleaved bits of (row, col) < 2**16: nearby cells get nearby numbers."""
    out = np.zeros(len(row), dtype=np.int64)
    for bit in range(16):
        out |= ((row >> bit) & 1) << (2 * bit + 1) | ((col >> bit) & 1) << (2 * bit)
    return out


@dataclass(frozen=True)
class _Data:
    admin0: _Layer
    iso2: StrArray  # per admin-0 feature, plus a trailing "" for index -1
    borders: _Tiers
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
    """A layer's grid and piece index; the pieces themselves stay in the file until asked."""
    meta = json.loads((DATA / f"{name}.json").read_text("utf-8"))
    path = DATA / f"{name}.npz"
    with np.load(path, allow_pickle=False) as npz:
        grid, feature, cell = npz["grid"], npz["feature"], npz["cell"]
        kind = shapely.GeometryType(int(npz["geom_type"]))
    pieces = _Pieces(path, len(feature), kind, meta["quantum"])
    layer = _Layer(grid.reshape(-1), grid.shape[1], meta["cell_deg"], pieces, feature, cell)
    return layer, meta


@cache
def _data() -> _Data:
    admin0, meta = _layer("admin0")
    with np.load(DATA / "borders.npz", allow_pickle=False) as npz:
        lines = _ragged(npz, meta["quantum"])
        pair = npz["pair"]
        tier = npz["tier"].reshape(-1)
    names = np.array(meta["border_pairs"])[pair]
    a, b = np.char.partition(names, "|")[:, ::2].T
    return _Data(admin0, np.array([*meta["iso2"], ""]), _Tiers(lines), tier, names, a, b)


@cache
def _coasts() -> _Coasts:
    """The offshore search, for offshore points only (see ``_Coasts``)."""
    return _Coasts(_data().admin0)


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
        angle, piece = _coasts().nearest(_xyz(lat_a[offshore], lon_a[offshore]))
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


#: Points whose circles are intersected in one batch (see ``radius_shares``).
RADIUS_CHUNK = 1024


def radius_shares(
    lat: npt.ArrayLike, lon: npt.ArrayLike, radius_m: npt.ArrayLike
) -> list[dict[str, float]]:
    """Per point, the share of its uncertainty circle's area in each de jure country ("" = sea),
    ``RADIUS_CHUNK`` points at a time.

    Every point near a border or coast carries its own projected copy of the pieces its
    circle touches (a coastal cell's piece can be thousands of vertices), so one batch's
    memory grows with its points: 9,568 geotags near Ukraine's borders and coasts took
    176 MB in one go.  Chunks keep it bounded and give the same answers.
    """
    lat_a, lon_a = (
        np.atleast_1d(np.asarray(lat, dtype=np.float64)),
        np.atleast_1d(np.asarray(lon, dtype=np.float64)),
    )
    r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), lat_a.shape)
    out: list[dict[str, float]] = []
    for start in range(0, len(lat_a), RADIUS_CHUNK):
        stop = start + RADIUS_CHUNK
        out += _radius_shares(lat_a[start:stop], lon_a[start:stop], r[start:stop])
    return out


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
