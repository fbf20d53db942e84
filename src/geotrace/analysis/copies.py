"""Which pictures of a case are copies of one another: hashes first, pixels where they fail.

Stage A compares perceptual hashes (geotrace.evidence.fingerprint) of every region with
every other, exactly, through the Hamming index: PDQ with its eight dihedral variants
(mirrors, quarter turns) of the whole frame and of the content box (the picture inside
borders, captions or a phone's UI), and pHash, which forgives mild crops.  Stage B covers
what hashes miss by construction (crops of 10-30 %, small rotations, screenshots):
the nearest pictures by a layout descriptor are candidates, checked with local features.
Every hash match is checked the same way, however close: the next frame of a video is
6 PDQ bits from its neighbour, closer than most re-encodes, and only the pixel check
tells a copy from another shot of the scene.  The one exception is a video's keyframe,
which no pixel check can read: a close PDQ match with one is taken on the hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geotrace.analysis.hamming import HammingIndex
from geotrace.analysis.provenance import CopyEdge, components
from geotrace.evidence.layout import descriptors
from geotrace.evidence.print_table import VARIANTS, PrintTable

#: ThreatExchange's PDQ match threshold (of 256 bits), and pHash's usual one (of 64).
PDQ_RADIUS = 31
PHASH_RADIUS = 10
#: Below this PDQ quality a region is nearly flat (a plain graphic, a dark frame) and its
#: hash matches unrelated flat pictures: such matches are checked, not trusted.
TRUSTED_QUALITY = 50
#: A PDQ match this close is close whatever the region (see :func:`close`).
CLOSE_PDQ = 16
#: Below this PDQ quality a region is blank or near-uniform (see :func:`plain`).  PDQ
#: quality measured by ``bench/plain.py``: blank and flat pictures 0 (white, grey,
#: black, a black video frame, the shared corpus's 37 blank sample files), a flat
#: colour under JPEG noise or a white page with a line of small text 0-2, a real video's
#: white frame with one small dot and a smooth gradient wallpaper 3; the least detailed
#: real pictures 9 (a colour-swirl wallpaper; a photo under a 50-px Gaussian blur), 13 (a
#: foggy photo), 33 (the provenance set's motion-blurred clock, 10 keypoints).
PLAIN_QUALITY = 6
#: What the output says of a picture a hash matched but that nothing joined for lack of
#: detail (see :func:`plain`).
TOO_PLAIN = "too little detail to compare: a blank or near-uniform picture"

#: What a match through the query's dihedral variant k says of the query: variant k of a
#: picture is the picture with a turn or mirror undone, so a query whose variant k
#: matches a stored picture is that picture turned or mirrored this way (measured with
#: pdqhash 0.2.8 on Pillow's transposes; rotations are as seen on screen).
DIHEDRAL = (
    None,
    "rotated 90° clockwise",
    "rotated 180°",
    "rotated 90° counter-clockwise",
    "mirrored top-bottom",
    "mirrored left-right",
    "mirrored on the main diagonal",
    "mirrored on the anti-diagonal",
)


def turned(variant: int, query_is_a: bool) -> dict[str, object]:
    """The ``dihedral`` detail of an edge: which of its two files is the other turned."""
    name = DIHEDRAL[variant]
    return {} if name is None else {"dihedral": f"{'a' if query_is_a else 'b'} is the other {name}"}


@dataclass(frozen=True, slots=True)
class HashHits:
    """Region pairs within the radius: ``a`` < ``b`` owners, with the distance, method
    (0 PDQ, 1 pHash) and the dihedral variant of ``a``'s region that matched."""

    a: npt.NDArray[np.int64]
    b: npt.NDArray[np.int64]
    distance: npt.NDArray[np.int64]
    method: npt.NDArray[np.int8]
    variant: npt.NDArray[np.int8]


def hash_hits(table: PrintTable) -> HashHits:
    """Every region pair of two different pictures within the PDQ or the pHash radius;
    except that of a crowd of regions with the same hashes (``CROWD`` or more: a picture
    reposted thousands of times, its metadata alone edited) only the first is compared
    with the others' regions, and every other member is matched with it alone, at
    distance 0: 10,000 reposts give 10,000 pairs, not 50 million."""
    found: list[tuple[Ints, Ints, Ints, int, int]] = []  # a, b, distance, method, variant
    if len(table):
        kept, crowd = _crowds(table)
        pdq0 = table.pdq[kept, 0, :]
        pdq = HammingIndex(pdq0)
        i, j, d = pdq.pairs(PDQ_RADIUS)
        found.append((kept[i], kept[j], d.astype(np.int64), 0, 0))
        for v in range(1, VARIANTS):
            q, ids, d = pdq.query_many(np.ascontiguousarray(table.pdq[kept, v, :]), PDQ_RADIUS)
            found.append((kept[q], kept[ids], d.astype(np.int64), 0, v))
        i, j, d = HammingIndex(table.phash[kept].reshape(-1, 1)).pairs(PHASH_RADIUS)
        found.append((kept[i], kept[j], d.astype(np.int64), 1, 0))
        member, first = crowd
        found.append((first, member, np.zeros(len(member), np.int64), 0, 0))
    ra = np.concatenate([f[0] for f in found] or [_NONE])
    rb = np.concatenate([f[1] for f in found] or [_NONE])
    d = np.concatenate([f[2] for f in found] or [_NONE])
    method = np.concatenate([np.full(len(f[0]), f[3], np.int8) for f in found] or [_NONE8])
    variant = np.concatenate([np.full(len(f[0]), f[4], np.int8) for f in found] or [_NONE8])
    keep = table.owner[ra] != table.owner[rb]
    return HashHits(ra[keep], rb[keep], d[keep], method[keep], variant[keep])


#: Regions with the same hashes from which on only the first is compared (hash_hits).
CROWD = 64


def _crowds(table: PrintTable) -> tuple[Ints, tuple[Ints, Ints]]:
    """The regions compared with one another (every one but the later members of a crowd
    of the same PDQ and pHash), and each later member with its crowd's first region."""
    n = len(table)
    key = np.concatenate([table.pdq[:, 0, :], table.phash.view(np.uint8).reshape(n, 8)], axis=1)
    _, first, inverse, counts = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.ravel()
    rows = np.arange(n, dtype=np.int64)
    crowded = counts[inverse] >= CROWD
    later = crowded & (rows != first[inverse])
    return rows[~later], (rows[later], first[inverse][later].astype(np.int64))


Ints = npt.NDArray[np.int64]
_NONE: Ints = np.zeros(0, dtype=np.int64)
_NONE8 = np.zeros(0, dtype=np.int8)


@dataclass(frozen=True, slots=True)
class FilePair:
    """The best hash evidence for two pictures (indexes into ``table.shas``, a < b)."""

    a: int
    b: int
    method: str
    distance: int
    sure: bool  # accepted without a pixel check (a video's keyframe, see file_pairs)
    detail: dict[str, object]
    #: Close enough to stand where the pixel check has no say (see :func:`close`).
    close: bool
    #: PDQ quality of the less detailed of the two regions matched (see :func:`plain`).
    quality: int


def file_pairs(table: PrintTable, hits: HashHits) -> list[FilePair]:
    """One entry per picture pair: its closest PDQ match if any (else pHash), and
    whether it is taken without a pixel check: a close match with a video's keyframe."""
    if not len(hits.a):
        return []
    oa, ob = table.owner[hits.a], table.owner[hits.b]
    swap = oa > ob
    first = np.where(swap, ob, oa)
    second = np.where(swap, oa, ob)
    ra = np.where(swap, hits.b, hits.a)
    rb = np.where(swap, hits.a, hits.b)
    # Best first: PDQ before pHash, then the smallest distance.
    order = np.lexsort((hits.distance, hits.method, second, first))
    key = first[order] * len(table.shas) + second[order]
    lead = order[np.r_[True, key[1:] != key[:-1]]]
    quality = np.minimum(table.quality[ra], table.quality[rb])
    keyframe = (table.at_s[ra] > 0) | (table.at_s[rb] > 0)
    out = []
    for k in lead.tolist():
        pdq = hits.method[k] == 0
        distance = int(hits.distance[k])
        near = close(pdq, distance, int(quality[k]))
        sure = bool(keyframe[k]) and near
        detail: dict[str, object] = {
            "regions": [_region_name(table, int(ra[k])), _region_name(table, int(rb[k]))],
        }
        detail.update(turned(int(hits.variant[k]), not bool(swap[k])))
        out.append(
            FilePair(
                int(first[k]),
                int(second[k]),
                "pdq" if pdq else "phash",
                distance,
                sure,
                detail,
                near,
                int(quality[k]),
            )
        )
    return out


def close(pdq: bool, distance: int, quality: int) -> bool:
    """A hash match believed where no pixel check can run (a video's keyframe) or where
    the check has no say (a blurred picture with too few keypoints to fit a transform:
    the motion-blurred clock of the provenance set has 10): a PDQ match this close, or
    one between two regions with enough detail to trust; never one of a :func:`plain`
    region."""
    return pdq and not plain(quality) and (distance <= CLOSE_PDQ or quality >= TRUSTED_QUALITY)


def plain(quality: int) -> bool:
    """Too little detail to compare (``TOO_PLAIN``): every blank picture hashes like
    every other of its shade, whatever its size or format (a white PNG and a white JPEG,
    a black photo and a black video frame, a black JPEG and a grey PNG: 0 bits apart),
    and the pixel check finds no keypoints on them either.  Blur is not plainness: PDQ
    hashes a 64 x 64 reduction, where a photo blurred past any keypoint keeps its
    quality (a 14-px blur: 100)."""
    return quality < PLAIN_QUALITY


def hash_ranks(pairs: Sequence[FilePair]) -> list[tuple[int, int, int]]:
    """The hash pairs to check, as :func:`candidate_pairs` gives its own: (a, b, r), r the
    pair's rank among the hash matches of the end that ranks it higher (0 its closest:
    PDQ before pHash, then by distance).  Checked closest first, a picture with a dozen
    copies joins them in one check or two, not a dozen."""
    if not pairs:
        return []
    n = len(pairs)
    a = np.fromiter((p.a for p in pairs), np.int64, n)
    b = np.fromiter((p.b for p in pairs), np.int64, n)
    method = np.fromiter((p.method != "pdq" for p in pairs), np.int64, n)
    distance = np.fromiter((p.distance for p in pairs), np.int64, n)
    end = np.concatenate([a, b])
    order = np.lexsort((np.tile(distance, 2), np.tile(method, 2), end))
    ends = end[order]
    first = np.flatnonzero(np.r_[True, ends[1:] != ends[:-1]])
    place = np.arange(2 * n) - np.repeat(first, np.diff(np.r_[first, 2 * n]))
    rank = np.empty(2 * n, np.int64)
    rank[order] = place
    best = np.minimum(rank[:n], rank[n:])
    return list(zip(a.tolist(), b.tolist(), best.tolist(), strict=True))


def _region_name(table: PrintTable, r: int) -> str:
    name = "content" if table.content[r] else "frame"
    return f"{name}@{table.at_s[r]:g}s" if table.at_s[r] else name


def candidate_pairs(
    table: PrintTable,
    joined: Ints,
    k: int,
    near: Neighbours | None = None,
    same: Ints | None = None,
) -> list[tuple[int, int, int]]:
    """Picture pairs for the pixel check that hashes did not join: each picture's ``k``
    nearest by layout descriptor, skipped where both are already in one group
    (``joined`` labels), as (a, b, r) with a < b and r the rank of the nearer of the two
    among those of its row (0 the nearest), so that the nearest can be checked first.
    ``near``: :func:`layout_neighbours` for ``k``, when the caller has them already.

    ``same`` labels pictures that are one picture (joined by a sure hash match: the same
    pixels, or a re-encode): a row counts each such set once among its ``k`` nearest, and
    each two sets are checked through one pair, their nearest.  Without it a picture
    posted four times checked each of its 3 nearest four times over, each a copy of the
    other's four (bench/scale.py: most of the checks of a copy-heavy case); a verdict on
    one pair of two sets of one picture is the verdict on all their pairs.
    """
    rows, cols = layout_neighbours(table, k) if near is None else near
    if not len(rows):
        return []
    # The nearest are often copies already joined (a picture with a dozen copies has them
    # all at the top): each row holds more than k, and keeps its k nearest not yet joined.
    rows = np.repeat(rows, cols.shape[1]).reshape(cols.shape)
    open_ = (rows != cols) & (joined[rows] != joined[cols])
    if same is not None:
        open_ &= ~_repeated(same[cols], open_)
    rank = np.cumsum(open_, axis=1) - 1
    keep = open_ & (rank < k)
    a, b = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep]
    r = rank[keep]
    if not len(a):
        return []
    # Each pair once, at the best rank either end gave it; with ``same``, each two sets
    # once, through their pair of best rank (then the nearest by index, for determinism).
    ka, kb = (a, b) if same is None else (same[a], same[b])
    ka, kb = np.minimum(ka, kb), np.maximum(ka, kb)
    order = np.lexsort((b, a, r, kb, ka))
    ka, kb, a, b, r = ka[order], kb[order], a[order], b[order], r[order]
    first = np.r_[True, (ka[1:] != ka[:-1]) | (kb[1:] != kb[:-1])]
    a, b, r = a[first], b[first], r[first]
    order = np.lexsort((b, a))
    return list(zip(a[order].tolist(), b[order].tolist(), r[order].tolist(), strict=True))


def _repeated(labels: Ints, open_: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Where a row's label already appeared in an open column before it (column by
    column: a row is ~20 wide, and the (rows, wide, wide) comparison would cost 400 MB at a
    million pictures)."""
    out = np.zeros(labels.shape, dtype=bool)
    for j in range(1, labels.shape[1]):
        out[:, j] = ((labels[:, :j] == labels[:, j : j + 1]) & open_[:, :j]).any(axis=1)
    return out


#: Each picture's nearest by layout: (pictures (m,), their nearest (m, wide)), indexes into
#: ``table.shas``, nearest first (a picture may be among its own).
Neighbours = tuple[Ints, Ints]


def layout_neighbours(table: PrintTable, k: int) -> Neighbours:
    """For each picture with a layout descriptor, the ``k + 1 + LOOK_PAST`` others nearest
    to it (fewer in a smaller case), as :func:`candidate_pairs` reads them.

    All against all, a block of rows at a time (one BLAS product each), up to
    ``EXACT_UP_TO`` pictures: exact, and quadratic (6.5 CPU-s at 20k pictures,
    research/scale.md); beyond, an approximate index (:mod:`geotrace.analysis.candidates`,
    recall measured by bench/candidates.py)."""
    have = np.array([i for i, d in enumerate(table.descriptors) if d], dtype=np.int64)
    if len(have) < 2:
        return _NONE, np.zeros((0, 0), dtype=np.int64)
    matrix = descriptors([table.descriptors[i] or b"" for i in have])
    wide = min(k + 1 + LOOK_PAST, len(have))
    if len(have) > EXACT_UP_TO:
        from geotrace.analysis.candidates import nearest

        return have, have[nearest(matrix, wide)]
    top = _exact_nearest(matrix.astype(np.float32), wide)
    return have, have[top]


def _exact_nearest(matrix: npt.NDArray[np.float32], wide: int) -> Ints:
    """Each row's ``wide`` best rows by dot product, best first (itself included)."""
    out = np.empty((len(matrix), wide), dtype=np.int64)
    block = max(1, SCORES // len(matrix))
    for start in range(0, len(matrix), block):
        scores = matrix[start : start + block] @ matrix.T
        top = np.argpartition(-scores, wide - 1, axis=1)[:, :wide]
        order = np.take_along_axis(-scores, top, axis=1).argsort(axis=1, kind="stable")
        out[start : start + block] = np.take_along_axis(top, order, axis=1)
    return out


#: Pictures up to which the layout candidates are searched all against all (exact, and
#: the same verdicts as ever).  bench/candidates.py: at 20k the exact search takes 6.2
#: CPU-s and the index 1.9, at 200k ~1,090 and 44 (recall@4 0.996-0.997 on pictures with a
#: copy-like neighbour; 0.86 overall, the misses among random layouts whose nearest are
#: all far).
EXACT_UP_TO = 20_000
#: How far past the k nearest a row is read for pictures not yet joined.
LOOK_PAST = 16
#: Scores held at a time (floats): 64 MB, whatever the number of pictures.
SCORES = 1 << 24


def sure_edges(table: PrintTable, pairs: Sequence[FilePair]) -> list[CopyEdge]:
    return [
        hash_edge(table.shas[p.a], table.shas[p.b], p.method, p.distance, p.detail)
        for p in pairs
        if p.sure
    ]


def hash_edge(
    a: str, b: str, method: str, distance: int, detail: dict[str, object], no_say: str = ""
) -> CopyEdge:
    """A copy edge on the hash alone; ``no_say``: why the pixel check could not judge."""
    more = {"pixel_check": f"no say ({no_say}): taken on the hash"} if no_say else {}
    return CopyEdge(a, b, method, "copy", distance, {**detail, **more})


#: The relation of a hash match that a :func:`plain` region made worthless.
TOO_PLAIN_RELATION = "too_plain"


def plain_edge(
    a: str, b: str, method: str, distance: int, detail: dict[str, object], quality: int
) -> CopyEdge:
    """A hash match of a :func:`plain` region that the pixel check did not confirm: not a
    copy, kept so that the output says why the two were not joined."""
    why = {"pdq_quality": quality, "pixel_check": f"{TOO_PLAIN}: not taken on the hash"}
    return CopyEdge(a, b, method, TOO_PLAIN_RELATION, distance, {**detail, **why})


def labels_of(table: PrintTable, edges: Sequence[CopyEdge]) -> npt.NDArray[np.int64]:
    """Group label of each picture of ``table`` under the ``copy`` edges."""
    index = {sha: i for i, sha in enumerate(table.shas)}
    pairs = np.array(
        [(index[e.a], index[e.b]) for e in edges if e.relation == "copy"], dtype=np.int64
    ).reshape(-1, 2)
    return components(len(table.shas), pairs)


@dataclass(frozen=True, slots=True)
class Hit:
    """The closest hash match of a query's region with a picture of ``table``."""

    picture: int
    method: str  # "pdq" | "phash"
    distance: int
    variant: int  # the query region's dihedral variant that matched
    region: int  # the query's region (0 frame, 1 content box)
    row: int  # the stored region (a row of ``table``)

    def close(self, table: PrintTable, quality: Sequence[int]) -> bool:
        """:func:`close` for this match (``quality``: the query regions' PDQ quality)."""
        return close(self.method == "pdq", self.distance, self.quality(table, quality))

    def quality(self, table: PrintTable, quality: Sequence[int]) -> int:
        """PDQ quality of the less detailed of the two regions matched."""
        return min(quality[self.region], int(table.quality[self.row]))

    def sure(self, table: PrintTable, quality: Sequence[int]) -> bool:
        """Taken without a pixel check, as in :func:`file_pairs`: a close match with a
        video's keyframe (the query itself is a picture file)."""
        return bool(table.at_s[self.row] > 0) and self.close(table, quality)

    def detail(self, table: PrintTable, regions: Sequence[str]) -> dict[str, object]:
        out: dict[str, object] = {"regions": [regions[self.region], _region_name(table, self.row)]}
        if self.method == "pdq":
            out.update(turned(self.variant, True))  # the query is the edge's a
        return out


def query_hits(
    table: PrintTable, pdq: npt.NDArray[np.uint8], phash: npt.NDArray[np.uint64]
) -> list[Hit]:
    """Pictures of ``table`` near a query's regions (``pdq`` (q, 8, 32), ``phash`` (q,)),
    the closest match per picture, PDQ before pHash."""
    if not len(table):
        return []
    index = HammingIndex(table.pdq[:, 0, :])
    found: list[tuple[Ints, Ints, Ints, str, int]] = []
    for v in range(VARIANTS):
        q, ids, d = index.query_many(np.ascontiguousarray(pdq[:, v, :]), PDQ_RADIUS)
        found.append((q, ids, d.astype(np.int64), "pdq", v))
    q, ids, d = HammingIndex(table.phash.reshape(-1, 1)).query_many(
        phash.reshape(-1, 1), PHASH_RADIUS
    )
    found.append((q, ids, d.astype(np.int64), "phash", 0))
    best: dict[int, Hit] = {}
    for queries, rows, distances, method, v in found:
        for region, row, dist in zip(
            queries.tolist(), rows.tolist(), distances.tolist(), strict=True
        ):
            hit = Hit(int(table.owner[row]), method, dist, v, region, row)
            old = best.get(hit.picture)
            if old is None or _order(hit) < _order(old):
                best[hit.picture] = hit
    return sorted(best.values(), key=_order)


def _order(hit: Hit) -> tuple[bool, int]:
    return hit.method != "pdq", hit.distance
