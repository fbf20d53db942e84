"""Each picture's nearest by layout descriptor without comparing every pair: an IVF index.

The copy search checks each picture against its nearest few by layout descriptor
(:func:`geotrace.analysis.copies.layout_neighbours`).  All against all is exact and
quadratic: 6.5 CPU-s at 20k pictures, ~4.5 CPU-hours at a million (research/scale.md).
Above ``copies.EXACT_UP_TO`` pictures the search goes through an inverted file instead, in
NumPy alone: a spherical k-means quantiser (the descriptors are unit vectors compared by
dot product) trained on a sample, each picture filed under its nearest cell and compared
with the pictures filed under its ``PROBE`` nearest cells (one BLAS product a cell and a
batch of pictures).  With sqrt(n) cells the work grows as n^1.5: the assignment, n x
sqrt(n) cells, and the search, n x PROBE x sqrt(n) pictures.  Recall
against the exact search and CPU are measured by bench/candidates.py; deterministic (seeded),
so that the same case gives the same candidates.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]

#: Cells per square root of the number of pictures (bench/candidates.py).
CELLS_PER_ROOT = 1.0
#: Cells each picture looks in for its nearest (its own first).
PROBE = 8
#: Rows x probes searched at once (bounds the candidates held: x wide x 12 bytes).
QUERIES = 1 << 18
#: k-means: sample points a cell, rounds, and the seed.
TRAIN_PER_CELL = 32
ROUNDS = 8
SEED = 20261206
#: Scores held at once (floats): 64 MB.
SCORES = 1 << 24


def nearest(
    matrix: npt.NDArray[np.uint8] | Floats,
    wide: int,
    *,
    cells: int | None = None,
    probe: int = PROBE,
) -> Ints:
    """The ``wide`` rows of ``matrix`` (n, d; uint8 descriptors or unit floats) most
    similar to each row by dot product, best first (a row is usually among its own),
    approximately: each row is filed under its nearest of ``cells`` k-means cells
    (default ``CELLS_PER_ROOT`` x sqrt(n)) and compared with the rows filed under its
    ``probe`` nearest cells.  A row with fewer than ``wide`` candidates is padded with its
    best, repeated."""
    x = _unit(matrix)
    n = len(x)
    wide = min(wide, n)
    count = max(1, min(n, cells or round(CELLS_PER_ROOT * np.sqrt(n))))
    probe = min(probe, count)
    centroids = _kmeans(x, count)
    looked = _top(x, centroids, probe)  # (n, probe) cells of each row, its own first
    members = _lists(looked[:, 0], np.arange(n, dtype=np.int64), count)
    out = np.empty((n, wide), dtype=np.int64)
    chunk = max(1, QUERIES // probe)
    for start in range(0, n, chunk):
        rows = np.arange(start, min(n, start + chunk), dtype=np.int64)
        out[rows] = _searched(x, rows, looked[rows], members, wide)
    return out


def _searched(x: Floats, rows: Ints, looked: Ints, members: list[Ints], wide: int) -> Ints:
    """The ``wide`` best of each of ``rows`` among the members of the cells it looks in:
    per cell, one product of the rows that look there by the cell's members."""
    probe = looked.shape[1]
    found = np.zeros((len(rows), probe * wide), dtype=np.int64)
    scores = np.full((len(rows), probe * wide), -np.inf, dtype=np.float32)
    flat = looked.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(len(members) + 1))
    for cell in np.unique(flat).tolist():
        which = order[bounds[cell] : bounds[cell + 1]]  # (row, pass) slots, flattened
        inside = members[cell]
        if not len(inside):
            continue
        local, pass_ = which // probe, which % probe
        k = min(wide, len(inside))
        s = x[rows[local]] @ x[inside].T
        top = _ranked(s, k)
        cols = pass_[:, None] * wide + np.arange(k)
        found[local[:, None], cols] = inside[top]
        scores[local[:, None], cols] = np.take_along_axis(s, top, axis=1)
    best = _ranked(scores, wide)
    out: Ints = np.take_along_axis(found, best, axis=1)
    short = np.take_along_axis(scores, best, axis=1) == -np.inf
    out[short] = np.repeat(out[:, :1], wide, axis=1)[short]  # padding: the best, again
    return out


def _unit(matrix: npt.NDArray[np.uint8] | Floats) -> Floats:
    x = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def _kmeans(x: Floats, count: int) -> Floats:
    """Spherical k-means on a seeded sample: ``count`` unit centroids."""
    rng = np.random.default_rng(SEED)
    sample = x[rng.choice(len(x), size=min(len(x), count * TRAIN_PER_CELL), replace=False)]
    centroids = sample[rng.choice(len(sample), size=count, replace=False)].copy()
    for _ in range(ROUNDS):
        label = _top(sample, centroids, 1)[:, 0]
        sums = np.zeros_like(centroids)
        np.add.at(sums, label, sample)
        empty = np.flatnonzero(~np.bincount(label, minlength=count).astype(bool))
        sums[empty] = sample[rng.choice(len(sample), size=len(empty), replace=False)]
        centroids = _unit(sums)
    return centroids


def _top(x: Floats, y: Floats, k: int) -> Ints:
    """Each row of ``x``'s ``k`` best rows of ``y`` by dot product, best first."""
    out = np.empty((len(x), k), dtype=np.int64)
    block = max(1, SCORES // max(1, len(y)))
    for start in range(0, len(x), block):
        scores = x[start : start + block] @ y.T
        out[start : start + block] = _ranked(scores, k)
    return out


def _ranked(scores: Floats, k: int) -> Ints:
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(-scores, top, axis=1).argsort(axis=1, kind="stable")
    out: Ints = np.take_along_axis(top, order, axis=1).astype(np.int64)
    return out


def _lists(keys: Ints, values: Ints, count: int) -> list[Ints]:
    """``values`` grouped by ``keys`` (0 .. count - 1), each group sorted."""
    order = np.lexsort((values, keys))
    bounds = np.searchsorted(keys[order], np.arange(count + 1))
    grouped = values[order]
    return [grouped[bounds[i] : bounds[i + 1]] for i in range(count)]
