"""The layout candidate search: exact (all against all) vs the IVF index, CPU and recall.

Issue 20: the copy search's candidate search was all against all (6.5 CPU-s at 20k
pictures, ~4.5 CPU-hours at 1M, research/scale.md); above ``copies.EXACT_UP_TO`` pictures
it now goes through :mod:`geotrace.analysis.candidates`.  This prints, at each size, the
CPU seconds of each (this process: ``time.process_time``, BLAS threads included) and the
index's recall against the exact search on the k nearest (k = 4: the 3 candidates and the
picture itself; k = 20: what a row is read to, ``k + 1 + LOOK_PAST``), tie-aware: a
neighbour the index gives counts when it scores at least the exact k-th's score; and
recall@4 apart for the rows whose exact 4th nearest is copy-like (cosine >= ``COPY_LIKE``)
and for the others, whose nearest are all far (a random layout: nothing to find there).

Descriptors: the real ones of an ingested case (``--case``: the provenance set's, 904
pictures), a third of each size replicated with noise (Gaussian on the square-rooted
histogram, sigma 0.002 to 0.02, then renormalised and quantised as evidence/layout.py does:
copies of one picture, cosine 0.97-0.9997 to it; the set's own nearest neighbours have a
median cosine of 0.993), a third blends of two real ones with noise (other pictures like
them), a third random layouts (Dirichlet histograms through the same transform).  The
exact search is run whole up to ``--exact-up-to`` rows; above, on ``--sample`` query rows
against all, its CPU extrapolated to every row (marked ``~``), and recall measured on
those rows.

    .venv/bin/python bench/candidates.py --case CASE [--sizes 20000 50000 200000]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from geotrace.analysis.candidates import nearest
from geotrace.evidence.layout import DESC_BYTES, descriptors

COLOUR = 128  # hsv bins, then 32 texture bins (evidence/layout.py)
#: A neighbour this close could be a copy the layout search is for: on the provenance set
#: the cosine of a query and its source is >= 0.92 for 95 % of crops, borders, captions,
#: 5-degree rotations and screenshots (0.73 the least); grey and colour-shifted copies,
#: 0.50-0.92, are the hashes' to find.
COPY_LIKE = 0.9


def real_descriptors(case: Path) -> npt.NDArray[np.uint8]:
    db = sqlite3.connect(case)
    rows = [r[0] for r in db.execute("SELECT descriptor FROM fingerprints") if r[0]]
    return descriptors(rows)


def _quantised(v: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    v = np.maximum(v, 0.0)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return np.round(v * 255).astype(np.uint8)


def synthetic(real: npt.NDArray[np.uint8], n: int, seed: int) -> npt.NDArray[np.uint8]:
    """n descriptors: a third noisy replicas of ``real`` (copies of its pictures), a third
    blends of two real ones with noise (new pictures like them), a third random layouts."""
    rng = np.random.default_rng(seed)
    third = n // 3
    base = real[rng.integers(0, len(real), third)].astype(np.float64) / 255.0
    sigma = rng.uniform(0.002, 0.02, (third, 1))
    replicas = _quantised(base + rng.normal(0.0, 1.0, base.shape) * sigma)
    one = real[rng.integers(0, len(real), third)].astype(np.float64) / 255.0
    two = real[rng.integers(0, len(real), third)].astype(np.float64) / 255.0
    w = rng.uniform(0.0, 1.0, (third, 1))
    blends = _quantised(w * one + (1 - w) * two + rng.normal(0.0, 0.01, one.shape))
    rest = n - 2 * third
    colour = rng.dirichlet(np.full(COLOUR, 0.08), rest)
    texture = rng.dirichlet(np.full(DESC_BYTES - COLOUR, 0.5), rest)
    randoms = _quantised(np.sqrt(np.concatenate([colour, texture], axis=1)))
    out = np.concatenate([replicas, blends, randoms])
    return out[rng.permutation(n)]


def exact(
    x: npt.NDArray[np.float32], rows: npt.NDArray[np.int64], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The exact k best of every row of ``rows`` against all, and the k-th's score."""
    out = np.empty((len(rows), k), dtype=np.int64)
    kth = np.empty(len(rows), dtype=np.float32)
    block = max(1, (1 << 24) // len(x))
    for start in range(0, len(rows), block):
        scores = x[rows[start : start + block]] @ x.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        s = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-s, axis=1, kind="stable")
        out[start : start + block] = np.take_along_axis(top, order, axis=1)
        kth[start : start + block] = s.min(axis=1)
    return out, kth


def recall(
    x: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    found: npt.NDArray[np.int64],
    kth: npt.NDArray[np.float32],
    k: int,
) -> float:
    scores = np.einsum("ij,ikj->ik", x[rows], x[found[rows, :k]])
    hits = np.array([len(np.unique(f)) for f in found[rows, :k]])  # duplicates (padding)
    good = (scores >= kth[:, None] - 1e-6).sum(axis=1)
    return float(np.minimum(good, hits).sum() / (k * len(rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--case", type=Path, required=True, help="an ingested case")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000, 200_000])
    parser.add_argument("--exact-up-to", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--probe", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    real = real_descriptors(args.case)
    print(f"{len(real)} real descriptors from {args.case}")
    print(
        "| n | exact CPU s | index CPU s | speed-up | recall@4 | recall@20"
        " | recall@4, rows with a copy-like 4th (share) | recall@4, the others | rows scored |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    previous: tuple[int, float] | None = None
    for n in args.sizes:
        data = synthetic(real, n, args.seed)
        x = data.astype(np.float32)
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        whole = n <= args.exact_up_to
        rows = np.arange(n) if whole else np.random.default_rng(1).choice(n, args.sample, False)
        start = time.process_time()
        truth, kth20 = exact(x, rows, 20)
        exact_s = (time.process_time() - start) * (1 if whole else n / len(rows))
        start = time.process_time()
        kwargs = {} if args.probe is None else {"probe": args.probe}
        found = nearest(data, 20, **kwargs)
        index_s = time.process_time() - start
        kth4 = np.einsum("ij,ij->i", x[rows], x[truth[:, 3]])
        r4 = recall(x, rows, found, kth4, 4)
        r20 = recall(x, rows, found, kth20, 20)
        near = kth4 >= COPY_LIKE
        r4_near = recall(x, rows[near], found, kth4[near], 4)
        r4_far = recall(x, rows[~near], found, kth4[~near], 4) if (~near).any() else 1.0
        mark = "" if whole else "~"
        print(
            f"| {n:,} | {mark}{exact_s:.1f} | {index_s:.1f} | {exact_s / index_s:.0f}x"
            f" | {r4:.3f} | {r20:.3f} | {r4_near:.3f} ({near.mean():.2f}) | {r4_far:.3f}"
            f" | {len(rows):,} |",
            flush=True,
        )
        if previous is not None:
            growth = math.log(index_s / previous[1]) / math.log(n / previous[0])
            print(f"|   index growth since {previous[0]:,}: n^{growth:.2f} | | | | | | |")
        previous = (n, index_s)


if __name__ == "__main__":
    main()
