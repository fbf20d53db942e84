"""Arrays of a shipped ``.npz`` read by rows on demand, and polygon pieces built from them.

The border layers' pieces would cost ~160 MB (admin-0) and ~230 MB (admin-1) as GEOS
geometries, while a query needs a handful: so the vertices stay deflated in their ``.npz``
and the pieces a query touches are inflated and built when first asked for.
"""

from __future__ import annotations

import os
import struct
import threading
import zipfile
import zlib
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import shapely

from geotrace.geodata import BoolArray, FloatArray, IntArray

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
