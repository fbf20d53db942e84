"""A picture reposted 10,000 times: one hash pair a repost, not one a pair of reposts."""

from __future__ import annotations

import numpy as np

from geotrace.analysis.copies import CROWD, file_pairs, hash_hits
from geotrace.evidence.print_table import PrintTable


def _table(pdq: np.ndarray, phash: np.ndarray) -> PrintTable:
    n = len(pdq)
    return PrintTable(
        shas=[f"{i:064x}" for i in range(n)],
        sizes=np.full((n, 2), 640, np.int64),
        descriptors=[None] * n,
        owner=np.arange(n, dtype=np.int64),
        content=np.zeros(n, np.bool_),
        at_s=np.zeros(n),
        boxes=np.zeros((n, 4), np.int64),
        pdq=np.ascontiguousarray(pdq),
        quality=np.full(n, 100, np.int64),
        phash=phash.astype(np.uint64),
    )


def test_ten_thousand_reposts_make_ten_thousand_pairs() -> None:
    rng = np.random.default_rng(3)
    viral = rng.integers(0, 256, (1, 8, 32), dtype=np.uint8)
    others = rng.integers(0, 256, (20, 8, 32), dtype=np.uint8)
    near = viral.copy()
    near[0, 0, 0] ^= 0b111  # a re-encode: 3 bits off
    pdq = np.concatenate([np.repeat(viral, 10_000, axis=0), near, others])
    phash = np.concatenate([np.full(10_001, 12345), rng.integers(0, 2**62, 20)])
    table = _table(pdq, phash)
    hits = hash_hits(table)
    pairs = file_pairs(table, hits)
    assert len(pairs) < 10_100  # all pairs would be ~50 million
    # Every repost is matched with the first, and the re-encode with it too.
    assert {(p.a, p.b) for p in pairs} >= {(0, i) for i in range(1, 10_001)}
    assert next(p for p in pairs if (p.a, p.b) == (0, 10_000)).distance == 3


def test_a_small_crowd_is_compared_pair_by_pair() -> None:
    rng = np.random.default_rng(4)
    same = rng.integers(0, 256, (1, 8, 32), dtype=np.uint8)
    table = _table(np.repeat(same, CROWD - 1, axis=0), np.full(CROWD - 1, 7))
    pairs = file_pairs(table, hash_hits(table))
    assert len(pairs) == (CROWD - 1) * (CROWD - 2) // 2
