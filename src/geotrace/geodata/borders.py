"""The shipped border layers: admin-0 and admin-1 grids and pieces, and the land borders.

Speed comes from the data layout built by ``scripts/build_places_data.py``: a 0.25 degree
grid says which feature owns a cell outright (a table look-up answers most land points) and
the polygons are cut into one small piece per mixed cell, so the rest cost one test against a
few dozen vertices.  Which country a point is in, and how sure, is the resolve stage's
question (:mod:`geotrace.places.borders`).

Memory is paid for by what a query touches, not by the world (issue: one point cost 365 MB,
560 MB with its region, 1 GB at sea).  As GEOS geometries the 216 k admin-0 and 293 k admin-1
pieces would take ~160 MB and ~230 MB, the densified borders as one k-d tree ~56 MB and every
piece outline ~600 MB, while a query needs a handful of each.  So the pieces stay compressed
in their ``.npz`` and are inflated and built per piece when first asked for
(:mod:`geotrace.geodata.npz`); the densest border tier is cut into tiles with a tree each
(:mod:`geotrace.geodata.lines`); the other tiers are built per tier; and the coasts are
searched near the point only (:class:`_Coasts`).  Answers are those of the whole-world
structures, built the same way from the same vertices.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain, pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import DATA, BoolArray, FloatArray, IntArray, StrArray
from geotrace.geodata.lines import PARALLEL_QUERY_MIN, _lines, _Tiers, kd_tree, unit_vectors
from geotrace.geodata.npz import _Pieces, _ranges

OUTSIDE, MIXED = -1, -2
#: Fewer tests than this per thread are not worth a thread.
PARALLEL_MIN = 50_000


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
        hit = _intersects_xy(self.pieces.get(piece), piece, lon[point], lat[point])
        point, feature = point[hit], self.piece_feature[piece[hit]].astype(np.int64)
        # The first hit per point is its answer; another feature hit means "on the line".
        is_first = np.diff(point, prepend=-1) != 0
        first[point[is_first]] = feature[is_first]
        other = feature != first[point]
        second[point[other]] = feature[other]
        return first, second


def _intersects_xy(
    pieces: npt.NDArray[Any], piece: IntArray, x: FloatArray, y: FloatArray
) -> BoolArray:
    """``shapely.intersects_xy`` split over the cores: GEOS releases the GIL, and this
    point-in-piece test is the largest single cost of locating points near coasts.

    The tests are split by piece (``piece``: the id of each test's geometry), so that no
    two threads ever query one geometry: a prepared GEOS polygon builds caches on its
    queries, and two threads doing so at once corrupted the heap (libgeos/geos#825; a CI
    run aborted here once even with the first query made in one thread, ``npz._Pieces``).
    """
    workers = min(os.cpu_count() or 1, max(1, len(x) // PARALLEL_MIN))
    if workers == 1:
        out: BoolArray = shapely.intersects_xy(pieces, x, y)
        return out
    order = np.argsort(piece, kind="stable")
    ids = piece[order]
    # Equal shares, each border moved back to where its piece begins.
    cuts = np.searchsorted(ids, ids[np.linspace(0, len(x) - 1, workers + 1)[1:-1].astype(np.int64)])
    bounds = np.unique(np.concatenate(([0], cuts, [len(x)]))).tolist()
    geoms, xs, ys = pieces[order], x[order], y[order]
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(
            lambda ab: shapely.intersects_xy(
                geoms[ab[0] : ab[1]], xs[ab[0] : ab[1]], ys[ab[0] : ab[1]]
            ),
            pairwise(bounds),
        )
        hit = np.concatenate(list(parts))
    out = np.empty(len(x), dtype=bool)
    out[order] = hit
    return out


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
            unit_vectors((block_row + 0.5) * size - 90.0, (block_col + 0.5) * size - 180.0)
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
