"""Exact near-neighbour search over perceptual hashes (PDQ 256 bit, pHash 64 bit).

Provenance asks two questions of a case's fingerprints: "which stored hashes lie within r
bits of this one" (one picture an investigator points at) and "which pairs lie within r
bits of each other" (clustering the whole case).  Both must be *exact*: a copy missed by
the index is a copy the report never shows, so approximate indexes (faiss
``IndexBinaryHash``, LSH) are out.

Why multi-index hashing in NumPy, not a library (Norouzi, Punjani & Fleet, "Fast exact
search in Hamming space with multi-index hashing", TPAMI 2014): split every hash into m
chunks of 16 bits; two hashes within r bits differ by at most ``floor(r/m)`` bits in at
least one chunk, so probing each chunk's table with every key within that many flips of
the query's chunk yields a candidate set that contains every answer, and a popcount of the
candidates keeps exactly the answers.  The tables are flat arrays (CSR: ``offsets`` per
chunk value, ``ids`` sorted by chunk value) rather than dicts, so every probe of every query
is one vectorised gather and no Python code runs per stored hash.

Measured (``bench/hamming.py``, this 2-core shared machine, one thread, 1 M hashes, 200
queries, min over 3 runs, every answer checked against brute force), p50 per query:

=====================================  =========  ===================  ===============
data (radius)                          geotrace   faiss BinaryFlat     NumPy brute
=====================================  =========  ===================  ===============
uniform PDQ 256-bit (r = 31)           0.34 ms    3.4 ms (10x)         5.3 ms
clustered PDQ (50 k x 20 copies)       0.38 ms    2.8 ms (7.4x)        4.9 ms
uniform pHash 64-bit (r = 10)          0.27 ms    0.62 ms (2.2x)       1.3 ms
=====================================  =========  ===================  ===============

faiss (MIT) would be allowed, but its exact indexes lose here: ``IndexBinaryFlat`` scans
every hash, and ``IndexBinaryMultiHash`` (the same algorithm with a hash map per chunk)
measured 2.1 ms in the research note (shared/research/provenance.md §5), so faiss stays out
of the dependencies.  What is left of the 0.34 ms is mostly the ~4,000 random row reads of
the candidates (32 MB of hashes do not fit in cache) and ~30 NumPy calls of fixed cost.

The refinement of Norouzi et al. §4 is used: with ``r = s*m + a`` the first ``a + 1``
chunks are probed at ``s`` flips and the others at ``s - 1`` (at ``s - 1 = -1``, not at
all), so radius 0 probes one chunk, not sixteen.  When the probes would visit more than
about half the index (large radii), or the index is tiny, a popcount scan is cheaper and
is used instead: the answer is the same.

Hash layout: ``(N, W)`` ``uint64`` words, W = bits / 64 (4 for PDQ, 1 for pHash).  Also
accepted and converted without copying where possible: ``(N, 8W)`` ``uint8`` bytes (how the
case store keeps PDQ), signed ``int64`` (how it keeps pHash), a 1-D array of N 64-bit
hashes, and, through :func:`pack_bits`, the 0/1 vectors ``pdqhash`` and ``imagehash``
return.  The bit order inside a word does not matter: a Hamming distance is the same under
any fixed permutation of the bits, as long as stored and query hashes use the same one.

Memory: the hashes (8W bytes each) plus one ``uint32`` id per chunk (4 bytes x bits/16) plus
the offsets (8 bytes x 65,537 per chunk, fixed): 96 bytes per PDQ hash and 24 per pHash,
plus 8.4 MB (PDQ) / 2.1 MB (pHash); 104 and 26 bytes per hash at 1 M.  Reported by
:attr:`HammingIndex.nbytes`.  Build: 0.3-0.4 s per million PDQ hashes (one radix sort of
16-bit keys per chunk).

Real perceptual hashes cluster (many near-identical pictures in a case): a chunk value
shared by k stored hashes costs every query that probes it k candidates.  The cost grows
with the number of near-duplicates, i.e. with the size of the answer, which the caller pays
for anyway; ``bench/hamming.py`` measures a clustered set beside the uniform one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

CHUNK_BITS = 16
_VALUES = 1 << CHUNK_BITS
#: Candidates (including repeats across chunks) verified per step: bounds the temporary
#: arrays to a few tens of MB whatever the batch size or the skew of the buckets.
_STEP = 1 << 20
#: Popcount scan instead of probing when the expected candidates exceed this share of N,
#: or when the index holds at most this many 64-bit words (8 k PDQ, 32 k pHash hashes).
_SCAN_SHARE = 0.5
_SCAN_WORDS = 1 << 15

Words = npt.NDArray[np.uint64]
Ints = npt.NDArray[np.int64]


class Matches(NamedTuple):
    """Stored hashes within the radius of one query, nearest first (ties by id).

    A NamedTuple rather than a dataclass so that ``ids, distances = index.query(...)``
    unpacks like the plain tuple the rest of the pipeline expects.
    """

    ids: Ints
    distances: npt.NDArray[np.int32]


class ManyMatches(NamedTuple):
    """Matches of a batch: row k says stored ``ids[k]`` is ``distances[k]`` bits from query
    ``query_idx[k]``; sorted by query, then distance, then id."""

    query_idx: Ints
    ids: Ints
    distances: npt.NDArray[np.int32]


class Pairs(NamedTuple):
    """Every pair of stored hashes within the radius, ``i < j``, sorted by ``(i, j)``."""

    i: Ints
    j: Ints
    distances: npt.NDArray[np.int32]


def pack_bits(bits: npt.ArrayLike) -> Words:
    """0/1 vectors (``pdqhash.compute``'s int64 256-vector, ``imagehash``'s 8x8 bools) to
    ``uint64`` words.

    Takes ``(bits,)`` or ``(N, bits)``, or ``(N, 8, 8)`` (flattened per hash); the bit count
    must be a multiple of 64.
    """
    arr = np.asarray(bits)
    single = arr.ndim == 1
    arr = arr.reshape(1 if single else arr.shape[0], -1)
    if arr.shape[1] % 64:
        raise ValueError(f"a hash must have a multiple of 64 bits, got {arr.shape[1]}")
    packed = np.packbits(arr.astype(bool), axis=1)
    words = np.ascontiguousarray(packed).view(np.uint64)
    return words[0] if single else words


def as_words(hashes: npt.ArrayLike) -> Words:
    """Hashes in the accepted layouts (module docstring) as a C-contiguous ``(N, W)`` uint64."""
    arr = np.asarray(hashes)
    if arr.ndim == 1 and arr.dtype.kind in "iu" and arr.dtype.itemsize == 8:
        arr = arr.reshape(-1, 1)  # N pHashes, one word each
    if arr.ndim != 2:
        raise ValueError(f"hashes must be 2-D (N, words), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        if arr.shape[1] % 8:
            raise ValueError(f"uint8 hashes need a multiple of 8 bytes, got {arr.shape[1]}")
        return np.ascontiguousarray(arr).view(np.uint64)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize == 8:
        return np.ascontiguousarray(arr).view(np.uint64)
    raise ValueError(f"hashes must be uint64/int64 words or uint8 bytes, got {arr.dtype}")


def _one_hash(hash_: npt.ArrayLike, words: int) -> Words:
    arr = np.asarray(hash_)
    if arr.ndim == 0:  # a Python or NumPy integer: one 64-bit hash
        if words != 1:
            raise ValueError(f"an integer is one 64-bit hash; this index holds {64 * words}")
        return np.array([[int(arr) & 0xFFFF_FFFF_FFFF_FFFF]], dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"query one hash at a time here (query_many for batches): {arr.shape}")
    return as_words(arr.reshape(1, -1))


_VALUE_WEIGHTS = np.bitwise_count(np.arange(_VALUES, dtype=np.int64))
#: Every 16-bit XOR mask of at most k set bits (the keys to probe around a chunk), by k.
_MASKS = [np.flatnonzero(k >= _VALUE_WEIGHTS).astype(np.int64) for k in range(CHUNK_BITS + 1)]


def chunk_flips(radius: int, chunks: int) -> list[int]:
    """Flips to probe per chunk for an exact search (Norouzi et al. §4, -1 = skip).

    With ``radius = s*chunks + a`` and every chunk differing by at least ``s + 1`` bits in
    the first ``a + 1`` chunks and ``s`` in the rest, the total would be ``radius + 1``: so
    any hash within ``radius`` is within ``s`` of the query in one of the first ``a + 1``
    chunks or within ``s - 1`` in one of the others.
    """
    s, a = divmod(radius, chunks)
    return [min(s, CHUNK_BITS)] * (a + 1) + [min(s - 1, CHUNK_BITS)] * (chunks - a - 1)


def _expand(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions ``starts[k] .. starts[k] + lengths[k]`` for every k, and the k of each."""
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    shift = starts - (np.cumsum(lengths) - lengths)
    return np.arange(total, dtype=np.int64) + shift[owner], owner


def _distances(a: Words, b: Words) -> npt.NDArray[np.int32]:
    """Row-wise Hamming distance of two ``(K, W)`` C-contiguous arrays.

    XOR and popcount run on the flattened arrays and the W per-word counts are summed by
    a multiply (byte lanes), because NumPy's reductions and broadcasts over a 4-long inner
    axis cost ~10x the popcount itself (measured 86 us vs 5 us for 4,000 PDQ rows).
    """
    k, words = a.shape
    counts = np.bitwise_count(a.reshape(-1) ^ b.reshape(-1))  # uint8, <= 64 each
    total: npt.NDArray[np.int32]
    if words == 1:
        total = counts.astype(np.int32)
        return total
    if words == 4:
        lanes = counts.view(np.uint32)
        total = ((lanes * np.uint32(0x01010101)) >> np.uint32(24)).astype(np.int32)
        total[lanes == 0x40404040] = 256  # all 256 bits differ: the byte sum wrapped to 0
        return total
    per_word = counts.reshape(k, words)
    total = per_word[:, 0].astype(np.int32)
    for w in range(1, words):  # a loop over words, not over hashes
        total += per_word[:, w]
    return total


def _first_of_each(key: Ints) -> tuple[Ints, Ints]:
    """Sorted distinct keys and the index of one occurrence of each (``np.unique`` with
    ``return_index`` costs ~40 us even on three items in NumPy 2.4; this is ~5 us)."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep], order[keep]


class HammingIndex:
    """Exact radius search over N hashes of the same width (a multiple of 64 bits).

    Build cost: one stable (radix) sort of N 16-bit keys per chunk, 0.3-0.4 s per million
    PDQ hashes.  The index is immutable: a case that gains pictures builds a new one.
    """

    def __init__(self, hashes: npt.ArrayLike) -> None:
        self.hashes: Words = as_words(hashes)
        n, words = self.hashes.shape
        if words == 0:
            raise ValueError("a hash needs at least 64 bits")
        if n >= 1 << 32:
            raise ValueError("more than 2**32 hashes: ids are stored as uint32")
        self.chunks = words * 64 // CHUNK_BITS
        keys = self.hashes.view(np.uint16)  # (N, chunks); any fixed bit order will do
        self.ids = np.empty((self.chunks, n), dtype=np.uint32)
        self.offsets = np.empty((self.chunks, _VALUES + 1), dtype=np.int64)
        for c in range(self.chunks):  # one vectorised sort per chunk, not per hash
            col = keys[:, c]
            self.ids[c] = np.argsort(col, kind="stable")
            # Offsets point into the flat id array (chunk c's ids start at c * n), so
            # key ``c * 65537 + value`` finds a bucket of any chunk in one gather.
            self.offsets[c, 0] = c * n
            np.cumsum(np.bincount(col, minlength=_VALUES), out=self.offsets[c, 1:])
            self.offsets[c, 1:] += c * n
        self._flat_offsets = self.offsets.reshape(-1)
        self._flat_ids = self.ids.reshape(-1)
        self._probe_cache: dict[int, tuple[Ints, Ints]] = {}

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    @property
    def bits(self) -> int:
        return int(self.hashes.shape[1]) * 64

    @property
    def nbytes(self) -> int:
        """Bytes held: hashes, ids and offsets (the offsets are 16-bit tables per chunk, a
        fixed cost; bytes per hash at 1 M are about ``nbytes / 1e6``)."""
        return int(self.hashes.nbytes + self.ids.nbytes + self.offsets.nbytes)

    # -- the three questions --------------------------------------------------------

    def query(self, hash_: npt.ArrayLike, radius: int) -> Matches:
        """Every stored hash within ``radius`` bits of ``hash_`` (inclusive), nearest first."""
        q = _one_hash(hash_, self.hashes.shape[1])
        found = self.query_many(q, radius)
        return Matches(found.ids, found.distances)

    def query_many(self, hashes: npt.ArrayLike, radius: int) -> ManyMatches:
        """:meth:`query` for a batch, vectorised over the queries."""
        queries = as_words(hashes)
        self._check(queries, radius)
        qi, ids, d = self._search(queries, radius)
        order = np.lexsort((ids, d, qi))
        return ManyMatches(qi[order], ids[order], d[order])

    def pairs(self, radius: int) -> Pairs:
        """Every pair ``i < j`` of stored hashes within ``radius`` bits.

        A self-join on the tables, not N queries: for each chunk and each XOR mask ``mu``
        it probes, the candidate pairs are the cross products of bucket ``v`` with bucket
        ``v ^ mu`` (taken once per unordered pair of buckets; for ``mu = 0``, the pairs
        inside a bucket).  No per-hash lookups, each candidate pair is generated once per
        chunk, and a pair already found in an earlier chunk is dropped by checking its
        chunk distances, so no sort of the candidates is needed.  Candidates grow as
        ``N**2 * probes / 2**17`` for uniform hashes (20 M at 100 k PDQ, r = 31).
        Measured at 100 k PDQ hashes, r = 31: 0.73 s, against ~29 s for 100 k single
        queries and 15 s for faiss ``IndexBinaryFlat.range_search`` of all 100 k (one
        thread, ``bench/hamming.py``).
        """
        self._check(self.hashes, radius)
        n = len(self)
        if n < 2:
            return Pairs(*_empty())
        parts = [_empty()]
        if radius >= self.bits or self._scan_is_cheaper(len(self._probes(radius)[0]), pairs=True):
            parts.extend(self._scan_pairs(radius))
        else:
            parts.extend(self._join_pairs(radius))
        i = np.concatenate([p[0] for p in parts])
        j = np.concatenate([p[1] for p in parts])
        d = np.concatenate([p[2] for p in parts])
        order = np.argsort(i * n + j)
        return Pairs(i[order], j[order], d[order])

    # -- machinery ------------------------------------------------------------------

    def _check(self, queries: Words, radius: int) -> None:
        if queries.shape[1] != self.hashes.shape[1]:
            raise ValueError(
                f"query hashes have {64 * queries.shape[1]} bits, the index {self.bits}"
            )
        if int(radius) != radius or radius < 0:
            raise ValueError(f"radius must be a non-negative integer, got {radius!r}")

    def _probes(self, radius: int) -> tuple[Ints, Ints]:
        """(chunk, xor mask) of every probe an exact search at ``radius`` makes (cached)."""
        if radius not in self._probe_cache:
            chunk_parts, mask_parts = [_empty()[0]], [_empty()[0]]
            for c, flips in enumerate(chunk_flips(radius, self.chunks)):
                if flips >= 0:
                    chunk_parts.append(np.full(len(_MASKS[flips]), c, dtype=np.int64))
                    mask_parts.append(_MASKS[flips])
            self._probe_cache[radius] = (np.concatenate(chunk_parts), np.concatenate(mask_parts))
        return self._probe_cache[radius]

    def _scan_is_cheaper(self, probes: int, *, pairs: bool = False) -> bool:
        """Whether probing would verify more than half the index per query (uniform
        hashes), or (for queries) the index is so small that a scan (~70 us for 8 k PDQ
        hashes) beats the probing's fixed cost (~150 us): then a popcount scan gives the
        same answer for less.  A small self-join is cheap either way; its scan is not."""
        small = not pairs and self.hashes.size <= _SCAN_WORDS
        return small or probes / _VALUES > _SCAN_SHARE

    def _search(self, queries: Words, radius: int) -> tuple[Ints, Ints, npt.NDArray[np.int32]]:
        """(query row, stored id, distance) of every hit, deduplicated, sorted by
        (query, id)."""
        n = len(self)
        if n == 0 or len(queries) == 0:
            return _empty()
        chunk, mask = self._probes(radius)
        parts = [_empty()]
        if radius >= self.bits or self._scan_is_cheaper(len(chunk)):
            parts.extend(self._scan(queries, radius))
        else:
            parts.extend(self._probe_hits(queries, radius, chunk, mask))
        qi = np.concatenate([p[0] for p in parts])
        ids = np.concatenate([p[1] for p in parts])
        d = np.concatenate([p[2] for p in parts])
        # A hash near the query in several chunks is found several times: keep one.
        key, keep = _first_of_each(qi * n + ids)
        return key // n, key % n, d[keep]

    def _probe_hits(
        self, queries: Words, radius: int, chunk: Ints, mask: Ints
    ) -> Iterator[tuple[Ints, Ints, npt.NDArray[np.int32]]]:
        qkeys = queries.view(np.uint16).astype(np.int64)  # (Q, chunks)
        probe_keys = (qkeys[:, chunk] ^ mask) + chunk * (_VALUES + 1)  # (Q, P)
        starts = self._flat_offsets[probe_keys].reshape(-1)
        lengths = self._flat_offsets[probe_keys + 1].reshape(-1) - starts
        live = np.flatnonzero(lengths)
        starts, lengths = starts[live], lengths[live]
        probe_query = live // len(chunk)
        single = len(queries) == 1
        for lo, hi in _steps(lengths):
            pos, owner = _expand(starts[lo:hi], lengths[lo:hi])
            cand = self._flat_ids[pos].astype(np.int64)
            qrow = probe_query[lo:hi][owner]
            # np.take along axis 0 copies whole rows: ~5x faster than fancy indexing here.
            rows = np.take(self.hashes, cand, axis=0)
            if single:
                other = np.broadcast_to(queries, rows.shape).copy()
            else:
                other = np.take(queries, qrow, axis=0)
            d = _distances(rows, other)
            ok = d <= radius
            yield qrow[ok], cand[ok], d[ok]

    def _join_pairs(self, radius: int) -> Iterator[tuple[Ints, Ints, npt.NDArray[np.int32]]]:
        n, words = self.hashes.shape
        flips = np.array(chunk_flips(radius, self.chunks))
        values = np.arange(_VALUES, dtype=np.int64)
        for c, f in enumerate(flips.tolist()):
            if f < 0:
                continue
            local = self.offsets[c] - c * n
            sizes = np.diff(local)
            ids = self.ids[c]
            # The hashes in this chunk's bucket order, one contiguous array per word: a
            # bucket's members are neighbours in memory, and a word is read only while the
            # pair is still within the radius (most random pairs are out after two words).
            cols = np.take(self.hashes, ids, axis=0).T.copy()
            own = c * CHUNK_BITS // 64  # its word differs little for a candidate: read last
            order = [(own + 1 + w) % words for w in range(words)]
            for mu in _MASKS[f].tolist():  # a loop per probe, not per hash
                if mu == 0:
                    a = np.flatnonzero(sizes >= 2)
                    b = a
                    work = sizes[a] * (sizes[a] - 1) // 2
                else:  # bucket pairs (v, v ^ mu) once each: v has mu's top bit clear
                    top = 1 << (mu.bit_length() - 1)
                    a = values[(values & top == 0) & (sizes > 0)]
                    b = a ^ mu
                    live = sizes[b] > 0
                    a, b = a[live], b[live]
                    work = sizes[a] * sizes[b]
                for lo, hi in _steps(work):
                    pi, pj = _cross(local, sizes, a[lo:hi], b[lo:hi], same=mu == 0)
                    d = np.zeros(len(pi), dtype=np.int32)
                    for w in order:
                        d += np.bitwise_count(cols[w].take(pi) ^ cols[w].take(pj))
                        near = np.flatnonzero(d <= radius)
                        if len(near) < len(d):
                            pi, pj, d = pi[near], pj[near], d[near]
                    if c > 0 and len(d):  # found already in an earlier chunk: keep the first
                        xor = np.ascontiguousarray((cols[:, pi] ^ cols[:, pj]).T)
                        first = _first_chunk(xor, flips) == c
                        pi, pj, d = pi[first], pj[first], d[first]
                    x = ids[pi].astype(np.int64)
                    y = ids[pj].astype(np.int64)
                    yield np.minimum(x, y), np.maximum(x, y), d

    def _scan(
        self, queries: Words, radius: int
    ) -> Iterator[tuple[Ints, Ints, npt.NDArray[np.int32]]]:
        """Popcount of every (query, stored) pair, in blocks of about _STEP pairs."""
        n = len(self)
        block = max(1, _STEP // n)
        for lo in range(0, len(queries), block):
            q = queries[lo : lo + block]
            d = self._scan_block(q)
            qrow, ids = np.nonzero(d <= radius)
            yield qrow.astype(np.int64) + lo, ids.astype(np.int64), d[qrow, ids]

    def _scan_pairs(self, radius: int) -> Iterator[tuple[Ints, Ints, npt.NDArray[np.int32]]]:
        n = len(self)
        block = max(1, _STEP // n)
        for lo in range(0, n, block):
            d = self._scan_block(self.hashes[lo : lo + block])
            rows = np.arange(lo, lo + len(d), dtype=np.int64)[:, None]
            ok = (d <= radius) & (np.arange(n, dtype=np.int64)[None, :] > rows)
            qrow, ids = np.nonzero(ok)
            yield qrow.astype(np.int64) + lo, ids.astype(np.int64), d[qrow, ids]

    def _scan_block(self, queries: Words) -> npt.NDArray[np.int32]:
        """(Q, N) distances, one word at a time (a reduction over a 4-long last axis is ~5x
        slower); the caller keeps Q * N near _STEP."""
        d: npt.NDArray[np.int32]
        d = np.bitwise_count(queries[:, :1] ^ self.hashes[None, :, 0]).astype(np.int32)
        for w in range(1, queries.shape[1]):
            d += np.bitwise_count(queries[:, w : w + 1] ^ self.hashes[None, :, w])
        return d


def _empty() -> tuple[Ints, Ints, npt.NDArray[np.int32]]:
    e = np.empty(0, dtype=np.int64)
    return e, e.copy(), np.empty(0, dtype=np.int32)


def _steps(counts: Ints) -> Iterator[tuple[int, int]]:
    """Cut a list of work items (with their candidate counts) into runs of about _STEP
    candidates, so memory stays bounded even when one bucket holds a large cluster."""
    if len(counts) == 0:
        return
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(_STEP, int(ends[-1]), _STEP), side="right")
    bounds = np.unique(np.concatenate(([0], cuts, [len(counts)])))
    yield from zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)


def _runs(starts: Ints, lengths: Ints) -> Ints:
    """``starts[k], starts[k] + 1, ..., starts[k] + lengths[k] - 1`` for every k, flat."""
    shift: Ints = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(len(shift), dtype=np.int64) + shift


def _cross(local: Ints, sizes: Ints, a: Ints, b: Ints, *, same: bool) -> tuple[Ints, Ints]:
    """Positions (in bucket order) of every pair of a member of bucket ``a[k]`` and one of
    bucket ``b[k]``; with ``same`` (a == b) each unordered pair once, no self-pairs."""
    la = sizes[a]
    pa = _runs(local[a], la)  # every member of every a bucket
    if same:
        start = np.repeat(local[a] + la, la)  # end of the member's bucket
        count = start - pa - 1  # members after it
        return np.repeat(pa, count), _runs(pa + 1, count)
    lb = np.repeat(sizes[b], la)
    return np.repeat(pa, lb), _runs(np.repeat(local[b], la), lb)


def _first_chunk(xor: Words, flips: npt.NDArray[np.int64]) -> Ints:
    """Index of the first chunk within its probe radius, per row of XORed hash pairs: the
    chunk whose join found the pair first."""
    chunk_d = np.bitwise_count(np.ascontiguousarray(xor).view(np.uint16))
    first: Ints = np.argmax(chunk_d <= flips[None, :], axis=1).astype(np.int64)
    return first
