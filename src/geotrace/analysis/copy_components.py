"""Where the copy search's pixel checks run: its candidate graph cut into one piece a worker.

A check needs the local features of its two pictures (~11 ms each to compute, ~350 KB to
keep); each worker of the pairs stage keeps those it computed (``pairs_stage.kept_features``).
When the checks of one picture go to several workers, each computes its features: issue 16
measured 1,700 computations for 904 pictures on two workers (bench/RESULTS.md).  So the
search plans once, before any check, where each picture's checks run: the graph of every
pair it may check (hash matches, and the pictures nearest by layout) is ordered so that
joined pictures sit close (reverse Cuthill-McKee: breadth first, component by component),
and that order is cut into one contiguous piece per worker, so that a component lies in one
piece and a huge one is split into pieces of equal size (its cut edges cost a second
computation, the price of keeping every core busy); each piece is cut again into blocks, and
the checks are asked block by block, every piece's block i before any block i + 1, so that
each page of checks keeps all workers busy and a worker meets a block's pictures together.

A pair's part says both (:func:`part_of`): ``route`` = its piece (the pairs stage's route),
and the order of the checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

#: Pieces (workers) a plan may have at most: a part is block x MAX_PIECES + piece.
MAX_PIECES = 1024
#: Pictures a block: the checks of a block's pictures come together, so that a worker's
#: kept features (at least 64 pictures, 1,024 on most machines) hold them.
BLOCK = 256

Ints = npt.NDArray[np.int64]


def plan(n: int, edges: Ints, pieces: int, block: int = BLOCK) -> Ints:
    """The part of each of ``n`` pictures (see the module) under ``edges`` ((k, 2) picture
    indexes), for ``pieces`` workers.  Pictures in no edge get part 0: no check asks them."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    pieces = max(1, min(MAX_PIECES, pieces))
    parts = np.zeros(n, dtype=np.int64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if n == 0 or not len(edges):
        return parts
    both = np.concatenate([edges, edges[:, ::-1]])
    graph = coo_matrix((np.ones(len(both), dtype=np.int8), (both[:, 0], both[:, 1])), (n, n))
    csr = graph.tocsr()
    order = reverse_cuthill_mckee(csr, symmetric_mode=True).astype(np.int64)
    touched = np.zeros(n, dtype=np.bool_)
    touched[edges.ravel()] = True
    order = order[touched[order]]
    position = np.arange(len(order), dtype=np.int64)
    piece = np.searchsorted(_cuts(csr, order, pieces), position, side="right")
    if pieces > 1:
        owner = np.zeros(n, dtype=np.int64)
        owner[order] = piece
        owner = _refined(csr, owner, order, pieces)
        # Each piece in its RCM order again: its blocks stay runs of joined pictures.
        resorted = np.lexsort((position, owner[order]))
        order, piece = order[resorted], owner[order][resorted]
    start = np.searchsorted(piece, piece, side="left")  # where each one's piece starts
    parts[order] = ((position - start) // max(1, block)) * MAX_PIECES + piece
    return parts


#: Rounds of :func:`_refined`, and how far a piece may outgrow an equal share.
REFINE_ROUNDS = 8
SLACK = 0.05


def _refined(graph: Any, owner: Ints, order: Ints, pieces: int) -> Ints:
    """Pictures moved to the piece that holds most of their neighbours where that cuts
    fewer pairs (a vectorised Kernighan-Lin: per round and per pair of pieces, the best
    movers each way, in equal numbers, plus the room the slack leaves): the cut of a
    breadth-first order lies across a whole level of the graph, most of which sits
    better on one side."""
    owner = owner.copy()
    cap = int(np.ceil(len(order) * (1 + SLACK) / pieces))
    for _ in range(REFINE_ROUNDS):
        onehot = np.zeros((graph.shape[0], pieces), dtype=np.float32)
        onehot[order, owner[order]] = 1.0
        counts = np.asarray(graph.astype(np.float32) @ onehot)[order]
        here = owner[order]
        best = counts.argmax(axis=1)
        gain = counts[np.arange(len(order)), best] - counts[np.arange(len(order)), here]
        sizes = np.bincount(here, minlength=pieces)
        moved = False
        for src in range(pieces):
            for dst in range(src + 1, pieces):
                go = np.flatnonzero((here == src) & (best == dst) & (gain > 0))
                back = np.flatnonzero((here == dst) & (best == src) & (gain > 0))
                go = go[np.argsort(-gain[go], kind="stable")]
                back = back[np.argsort(-gain[back], kind="stable")]
                swap = min(len(go), len(back))
                extra_go = max(0, min(len(go) - swap, cap - sizes[dst]))
                extra_back = max(0, min(len(back) - swap, cap - sizes[src]))
                take_go, take_back = go[: swap + extra_go], back[: swap + extra_back]
                owner[order[take_go]], owner[order[take_back]] = dst, src
                sizes[src] += len(take_back) - len(take_go)
                sizes[dst] += len(take_go) - len(take_back)
                moved = moved or bool(len(take_go) or len(take_back))
        if not moved:
            break
    return owner


def _cuts(graph: Any, order: Ints, pieces: int) -> Ints:
    """Where ``order`` is cut into ``pieces``: at equal sizes, each cut moved to the nearest
    end of a component within a quarter of a piece (a component is then never split that
    need not be)."""
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(graph, directed=False)
    ordered = labels[order]
    ends = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1  # a component starts there
    size = len(order) / pieces
    ideal = np.round(np.arange(1, pieces) * size).astype(np.int64)
    if not len(ends):
        return ideal
    near = ends[np.clip(np.searchsorted(ends, ideal), 0, len(ends) - 1)]
    before = ends[np.clip(np.searchsorted(ends, ideal) - 1, 0, len(ends) - 1)]
    near = np.where(np.abs(before - ideal) < np.abs(near - ideal), before, near)
    return np.where(np.abs(near - ideal) <= size / 4, near, ideal)


def part_of(parts: Ints, a: int, b: int) -> int:
    """A pair's part: its first picture's, so that the checks of a picture met first as
    ``a`` stay where its features are."""
    return int(parts[a])


def route(part: int) -> int:
    """The piece (worker) of a part."""
    return part % MAX_PIECES
