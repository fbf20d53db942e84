"""The Hamming index must return exactly what a brute-force scan returns: every stored hash
within the radius and no other, for any radius, any size, any amount of duplication.

The reference here is deliberately independent of NumPy's popcount: Python integers and
``int.bit_count``, one pair at a time.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geotrace.analysis.hamming as hamming
from geotrace.analysis.hamming import HammingIndex, as_words, chunk_flips, pack_bits

BENCH_SET = Path("/tmp/dupbench/set")


def as_ints(words: np.ndarray) -> list[int]:
    return [int.from_bytes(row.tobytes(), "little") for row in np.atleast_2d(words)]


def brute(stored: np.ndarray, query: np.ndarray, radius: int) -> dict[int, int]:
    q = as_ints(query)[0]
    found = {}
    for k, h in enumerate(as_ints(stored)):
        d = (h ^ q).bit_count()
        if d <= radius:
            found[k] = d
    return found


def brute_pairs(stored: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    ints = as_ints(stored)
    out = set()
    for i, a in enumerate(ints):
        for j in range(i + 1, len(ints)):
            d = (a ^ ints[j]).bit_count()
            if d <= radius:
                out.add((i, j, d))
    return out


def flip(h: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """A copy of one hash with exactly the given bit positions flipped."""
    out = h.copy()
    for p in positions.tolist():
        out[p // 64] ^= np.uint64(1) << np.uint64(p % 64)
    return out


def planted_set(
    seed: int, n: int, words: int, radius: int, dup: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random hashes, then for each query one stored hash at exactly ``radius`` bits
    and one at ``radius + 1`` (the boundary both sides), and ``dup`` exact duplicates."""
    rng = np.random.default_rng(seed)
    bits = 64 * words
    stored = rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=(3, words), dtype=np.uint64)
    extra = []
    for q in queries:
        for r in (radius, radius + 1):
            if r <= bits:
                extra.append(flip(q, rng.choice(bits, r, replace=False)))
        extra.extend([q.copy()] * dup)
    if extra:
        stored = np.concatenate([stored, np.array(extra, dtype=np.uint64)])
    return stored[rng.permutation(len(stored))], queries


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 120),
    words=st.sampled_from([1, 4]),
    radius=st.one_of(st.integers(0, 40), st.sampled_from([10, 31, 63, 64, 255, 256, 300])),
    dup=st.integers(0, 3),
)
def test_query_and_pairs_equal_brute_force(
    seed: int, n: int, words: int, radius: int, dup: int
) -> None:
    stored, queries = planted_set(seed, n, words, radius, dup)
    # Small indexes are scanned by default: check the probing too, on the same data.
    for scan_words in (hamming._SCAN_WORDS, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hamming, "_SCAN_WORDS", scan_words)
            check_against_brute_force(stored, queries, radius)


def check_against_brute_force(stored: np.ndarray, queries: np.ndarray, radius: int) -> None:
    index = HammingIndex(stored)
    for q in queries:
        ids, d = index.query(q, radius)
        assert dict(zip(ids.tolist(), d.tolist(), strict=True)) == brute(stored, q, radius)
        assert list(zip(d.tolist(), ids.tolist(), strict=True)) == sorted(
            zip(d.tolist(), ids.tolist(), strict=True)
        ), "nearest first, ties by id"

    many = index.query_many(queries, radius)
    expected = {
        (k, i, d) for k, q in enumerate(queries) for i, d in brute(stored, q, radius).items()
    }
    got = set(zip(many.query_idx.tolist(), many.ids.tolist(), many.distances.tolist(), strict=True))
    assert got == expected and len(many.ids) == len(expected)

    pairs = index.pairs(radius)
    got_pairs = list(zip(pairs.i.tolist(), pairs.j.tolist(), pairs.distances.tolist(), strict=True))
    assert set(got_pairs) == brute_pairs(stored, radius)
    assert got_pairs == sorted(got_pairs) and len(got_pairs) == len(set(got_pairs))


@pytest.mark.parametrize(("words", "radius"), [(4, 31), (4, 0), (1, 10), (4, 5), (1, 17)])
def test_boundary_is_inclusive_and_exact(
    words: int, radius: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The neighbour at exactly r bits is found, the one at r + 1 is not, from every
    chunk: the flipped bits are spread over all chunks, or packed into one."""
    monkeypatch.setattr(hamming, "_SCAN_WORDS", 0)  # probe, even at 5,000 hashes
    rng = np.random.default_rng(words * 100 + radius)
    bits = 64 * words
    background = rng.integers(0, 2**64, size=(5000, words), dtype=np.uint64)
    q = rng.integers(0, 2**64, size=words, dtype=np.uint64)
    spread = rng.choice(bits, radius + 1, replace=False)
    packed = np.arange(radius + 1) + 16 * (words * 4 - 2)  # flips bunched in the last chunks
    packed = packed % bits
    near = [flip(q, spread[:radius]), flip(q, packed[:radius])]
    far = [flip(q, spread), flip(q, packed)]
    stored = np.concatenate([background, near, far])
    index = HammingIndex(stored)
    assert not index._scan_is_cheaper(len(index._probes(radius)[0])), "probing is tested"
    ids, d = index.query(q, radius)
    expected = brute(stored, q, radius)
    assert dict(zip(ids.tolist(), d.tolist(), strict=True)) == expected
    assert {5000, 5001} <= set(expected) and not {5002, 5003} & set(expected)


def test_probe_schedule_is_the_pigeonhole_bound() -> None:
    """Radius 31 over 16 chunks probes every chunk at one flip (ThreatExchange's MIH);
    radius 0 probes a single chunk exactly; radius 10 over 4 chunks: 2, 2, 2, 1."""
    assert chunk_flips(31, 16) == [1] * 16
    assert chunk_flips(0, 16) == [0] + [-1] * 15
    assert chunk_flips(10, 4) == [2, 2, 2, 1]
    for r in range(0, 80):
        flips = chunk_flips(r, 16)
        # Any split of r + 1 differing bits that exceeds every chunk's probe radius needs
        # at least sum(f + 1) bits: that must be more than r for the search to be exact.
        assert sum(f + 1 for f in flips) == r + 1


def test_edge_cases() -> None:
    empty = HammingIndex(np.zeros((0, 4), dtype=np.uint64))
    assert len(empty) == 0 and empty.bits == 256
    assert len(empty.query(np.zeros(4, dtype=np.uint64), 31).ids) == 0
    assert len(empty.query_many(np.zeros((3, 4), dtype=np.uint64), 31).ids) == 0
    assert len(empty.pairs(31).i) == 0

    one = HammingIndex(np.array([[7]], dtype=np.uint64))
    assert one.query(7, 0).ids.tolist() == [0]
    assert one.query(6, 0).ids.tolist() == []
    assert one.query(6, 1).distances.tolist() == [1]
    assert len(one.pairs(64).i) == 0

    same = np.full((50, 4), 0xDEADBEEF, dtype=np.uint64)
    dups = HammingIndex(same)
    assert dups.query(same[0], 0).ids.tolist() == list(range(50))
    pairs = dups.pairs(0)
    assert len(pairs.i) == 50 * 49 // 2 and set(pairs.distances.tolist()) == {0}

    rng = np.random.default_rng(1)
    stored = rng.integers(0, 2**64, size=(300, 4), dtype=np.uint64)
    everything = HammingIndex(stored)
    assert len(everything.query(stored[0], 256).ids) == 300
    assert len(everything.pairs(1000).i) == 300 * 299 // 2
    complement = HammingIndex(np.stack([stored[0], ~stored[0]]))
    assert complement.query(stored[0], 256).distances.tolist() == [0, 256]
    assert complement.query(stored[0], 255).distances.tolist() == [0]

    with pytest.raises(ValueError):
        everything.query(stored[0], -1)
    with pytest.raises(ValueError):
        everything.query(stored[0, :1], 3)  # 64-bit query on a 256-bit index
    with pytest.raises(ValueError):
        HammingIndex(np.zeros((3, 5), dtype=np.uint8))


def test_bounded_steps_with_a_heavy_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster of near-identical hashes fills some buckets: work is cut into steps that
    split it (here 97 candidates a step), and the answer does not change."""
    monkeypatch.setattr(hamming, "_STEP", 97)
    monkeypatch.setattr(hamming, "_SCAN_WORDS", 0)
    rng = np.random.default_rng(5)
    centre = rng.integers(0, 2**64, size=4, dtype=np.uint64)
    cluster = [
        flip(centre, rng.choice(256, int(k), replace=False)) for k in rng.integers(0, 41, 400)
    ]
    stored = np.concatenate(
        [np.array(cluster), rng.integers(0, 2**64, size=(600, 4), dtype=np.uint64)]
    )
    index = HammingIndex(stored)
    ids, d = index.query(centre, 31)
    assert dict(zip(ids.tolist(), d.tolist(), strict=True)) == brute(stored, centre, 31)
    pairs = index.pairs(31)
    assert set(zip(pairs.i.tolist(), pairs.j.tolist(), pairs.distances.tolist(), strict=True)) == (
        brute_pairs(stored, 31)
    )


def test_layouts_agree() -> None:
    """uint8 bytes (the case store's PDQ), signed int64 (its pHash) and 0/1 vectors (what
    pdqhash and imagehash return) index the same hashes."""
    rng = np.random.default_rng(2)
    words = rng.integers(0, 2**64, size=(40, 4), dtype=np.uint64)
    as_bytes = words.view(np.uint8)
    assert np.array_equal(as_words(as_bytes), words)
    bits = np.unpackbits(as_bytes, axis=1).astype(np.int64)  # pdqhash's int 0/1 vector
    packed = pack_bits(bits)
    assert packed.shape == (40, 4)
    a = HammingIndex(words).pairs(120)
    b = HammingIndex(packed).pairs(120)
    assert np.array_equal(a.i, b.i) and np.array_equal(a.distances, b.distances)
    assert np.array_equal(pack_bits(bits[3]), packed[3])

    signed = words[:, 0].view(np.int64)
    assert (signed < 0).any()
    idx = HammingIndex(signed)  # 1-D: N 64-bit pHashes
    assert idx.bits == 64
    assert idx.query(int(signed[7]), 0).ids.tolist() == [7]


def _pdq(path: Path) -> np.ndarray:
    pdqhash = pytest.importorskip("pdqhash")
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (256, 256))
        rgb = np.asarray(im.convert("RGB"))
    bits, _quality = pdqhash.compute(rgb)
    return pack_bits(bits)


def test_real_pdq_hashes_of_the_benchmark_set() -> None:
    """Real PDQ hashes cluster (hard negatives, flat graphics, copies): the index still
    equals brute force on them, and finds the source of re-encoded and resized copies."""
    if not (BENCH_SET / "ground_truth.csv").exists():
        pytest.skip(f"{BENCH_SET} is absent: build it with ../shared/bench/provenance_set.py")
    db_files = sorted((BENCH_SET / "db").glob("*.jpg"))
    with open(BENCH_SET / "ground_truth.csv", newline="") as f:
        truth = [r for r in csv.DictReader(f) if r["type"] in ("jpeg", "resize", "gray")]
    stored = np.stack([_pdq(p) for p in db_files])
    queries = np.stack([_pdq(BENCH_SET / r["query"]) for r in truth])
    index = HammingIndex(stored)

    many = index.query_many(queries, 31)
    reference = np.bitwise_count(queries[:, None, :] ^ stored[None, :, :]).sum(axis=2)
    qi, ids = np.nonzero(reference <= 31)
    assert set(zip(many.query_idx.tolist(), many.ids.tolist(), strict=True)) == set(
        zip(qi.tolist(), ids.tolist(), strict=True)
    )
    pairs = index.pairs(31)
    self_d = np.bitwise_count(stored[:, None, :] ^ stored[None, :, :]).sum(axis=2)
    pi, pj = np.nonzero(np.triu(self_d <= 31, k=1))
    assert pairs.i.tolist() == pi.tolist() and pairs.j.tolist() == pj.tolist()

    names = {p.name: k for k, p in enumerate(db_files)}
    found = {(q, i) for q, i in zip(many.query_idx.tolist(), many.ids.tolist(), strict=True)}
    hits = sum((k, names[Path(r["source"]).name]) in found for k, r in enumerate(truth))
    assert hits / len(truth) > 0.85  # the research note: PDQ ~0.94-0.99 on these types


def test_row_distances_do_not_wrap_at_256() -> None:
    """The four per-word counts of a PDQ row are summed in byte lanes: 4 x 64 = 256 must
    not wrap to 0 (a complement would then look identical)."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**64, size=(6, 4), dtype=np.uint64)
    b = a.copy()
    b[0] = ~a[0]
    b[1, :3] = ~a[1, :3]
    d = hamming._distances(a, b)
    assert d.tolist() == [256, 192, 0, 0, 0, 0]
