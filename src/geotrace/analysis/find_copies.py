"""The copy search over a case, end to end: hashes, candidates, pixel checks, groups.

The pure parts are in :mod:`geotrace.analysis.copies` (hash matching) and
:mod:`geotrace.analysis.verify` (the pixel check); this module reads the case and asks the
pairs stage (:mod:`geotrace.analysis.pairs_stage`) for the checks, which it runs on the
chosen executor and keeps in the case, so that asking again, or after adding a few files,
redoes only what is new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from geotrace.analysis.appearances import appearances, file_facts
from geotrace.analysis.copies import (
    PLAIN_QUALITY,
    TOO_PLAIN,
    TOO_PLAIN_RELATION,
    FilePair,
    Hit,
    Neighbours,
    candidate_pairs,
    file_pairs,
    hash_edge,
    hash_hits,
    hash_ranks,
    labels_of,
    layout_neighbours,
    plain,
    plain_edge,
    query_hits,
    sure_edges,
)
from geotrace.analysis.copy_components import part_of, plan
from geotrace.analysis.pairs_stage import (
    IDENTICAL,
    UNDECODABLE,
    features,
    features_or_none,
    verdict_json,
    verdicts,
)
from geotrace.analysis.pairs_stage import (
    STAGE as PAIRS,
)
from geotrace.analysis.provenance import (
    CopyEdge,
    components,
    describe,
    groups,
    held_only_inside,
)
from geotrace.analysis.verify import Features, verify
from geotrace.evidence.fingerprint import Fingerprint
from geotrace.evidence.fingerprint_stage import VERSION as PRINT_VERSION
from geotrace.evidence.layout import rank
from geotrace.evidence.print_table import PrintTable, load_prints
from geotrace.pipeline.executors import Executor
from geotrace.pipeline.runner import run
from geotrace.pipeline.stage import Progress
from geotrace.store.case import Case

#: Nearest pictures by layout descriptor that each picture is checked against.
CANDIDATES = 3
#: Feature sets of a question about one picture kept at once (``find_of``).
CACHED = 1024


@dataclass(frozen=True, slots=True)
class Found:
    """Groups of copies (each a list of sha256, two or more) and the edges joining them;
    ``plain``: the pictures a hash matched that are in no group for lack of detail
    (copies.plain), each to be said so rather than left out."""

    groups: list[list[str]]
    edges: list[CopyEdge]
    checked: int  # pixel checks run now (not taken from the case)
    plain: list[str]


def find_all(
    case: Case,
    executor: Executor,
    deep: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Found:
    """Every group of copies in the case.  ``deep`` adds the candidates no hash joined
    (crops, small rotations, screenshots): each picture's nearest by layout, checked.

    The hash matches, then the candidates, are checked in rounds, each picture's nearest
    not yet in its group first: once a crop has joined its source, its other copies need
    no check against the crop, and a picture with a dozen copies costs a dozen checks,
    not a dozen squared.
    """
    table = load_prints(case.db, PRINT_VERSION)
    pairs = file_pairs(table, hash_hits(table))
    evidence = {(p.a, p.b): p for p in pairs}
    edges = sure_edges(table, pairs)
    near = layout_neighbours(table, CANDIDATES) if deep else None
    checks = Checks(executor, progress, _parts(table, pairs, near, _same(table, edges), executor))
    checked = _rounds(
        case, table, hash_ranks([p for p in pairs if not p.sure]), edges, evidence, checks
    )
    if near is not None:
        # Candidates are taken past the pictures the hashes already put in one group, and
        # each picture is asked about once, however many files hold it.
        joined, same = labels_of(table, edges), _same(table, edges)
        candidates = candidate_pairs(table, joined, CANDIDATES, near, same)
        checked += _rounds(case, table, candidates, edges, evidence, checks)
    found = [g for g in groups(table.shas, edges) if len(g) > 1]
    checked += _against_largest(case, table, found, edges, evidence, checks)
    found = [g for g in groups(table.shas, edges) if len(g) > 1]
    found, confirmed = _confirmed(case, table, found, edges, checks)
    return Found(found, edges, checked + confirmed, _alone(found, edges))


def _parts(
    table: PrintTable,
    pairs: Sequence[FilePair],
    near: Neighbours | None,
    same: npt.NDArray[np.int64],
    executor: Executor,
) -> npt.NDArray[np.int64]:
    """Where each picture's checks run (copy_components.plan): over every hash match and
    the layout candidates as they would be if every hash match joined its two pictures,
    which is what the rounds mostly find; a pair the plan did not foresee is checked
    where its first picture's are."""
    n = len(table.shas)
    hashed = np.array([(p.a, p.b) for p in pairs], dtype=np.int64).reshape(-1, 2)
    links = [hashed]
    if near is not None:
        joined = components(n, hashed)
        foreseen = candidate_pairs(table, joined, CANDIDATES, near, same)
        links.append(np.array([(a, b) for a, b, _ in foreseen], dtype=np.int64).reshape(-1, 2))
    return plan(n, np.concatenate(links), int(getattr(executor, "workers", 1)))


def _alone(found: Sequence[Sequence[str]], edges: Sequence[CopyEdge]) -> list[str]:
    """The pictures with a hash match too plain to join (copies.plain_edge) that no group
    holds."""
    grouped = {sha for group in found for sha in group}
    ends = {x for e in edges if e.relation == TOO_PLAIN_RELATION for x in (e.a, e.b)}
    return sorted(ends - grouped)


def _same(table: PrintTable, edges: Sequence[CopyEdge]) -> npt.NDArray[np.int64]:
    """Labels of the files that hold one picture: joined by a sure hash match (the same
    pixels or a re-encode) or found to have the same coded pixels.  A verdict on one of
    them is the verdict on all: a copy-heavy case (a picture posted four times) otherwise
    checks each of them against the same neighbours (bench/scale.py)."""
    one = [e for e in edges if e.relation == "copy" and _one_picture(e)]
    return labels_of(table, one)


def _one_picture(edge: CopyEdge) -> bool:
    if edge.method == "local_features":
        return bool(edge.detail.get("transformation") == IDENTICAL["transformation"])
    return "pixel_check" not in edge.detail  # a sure match, not one the check had no say on


def _against_largest(
    case: Case,
    table: PrintTable,
    found: list[list[str]],
    edges: list[CopyEdge],
    evidence: dict[tuple[int, int], FilePair],
    checks: Checks,
) -> int:
    """Each member of each group checked against the group's largest picture where the
    two were not judged yet; the verdicts join ``edges``.  Gives the number of checks.

    Why: the motion check sees only what the smaller picture resolves, and the rounds
    stop at a picture's first copy verdict.  The next frame of a clip joins through a
    480-px repost of the first frame (nothing moves at that size) unless it also meets
    the first frame itself, where its people visibly moved; that verdict then keeps the
    two apart (provenance.groups)."""
    index = {sha: i for i, sha in enumerate(table.shas)}
    judged = {_pair(a, b) for a, b in _judged(table, edges)}
    same = _same(table, edges)
    asks: list[tuple[int, int]] = []
    for group in found:
        rows = [index[sha] for sha in group]
        largest = _largest(table, rows)
        # One file of each picture: the largest's own files, and a picture whose file was
        # judged against it already, have their verdict.
        done = {same[largest]} | {same[i] for i in rows if _pair(i, largest) in judged}
        for i in rows:
            if i != largest and same[i] not in done:
                done.add(same[i])
                asks.append(_pair(i, largest))
    if not asks:
        return 0
    verdicts, ran = _checked(case, table, asks, checks)
    edges += [
        edge
        for (a, b), verdict in verdicts.items()
        # No fallback to the hash here: the two are in one group already.
        if verdict["relation"] != "unrelated"
        and (edge := _edge(table.shas[a], table.shas[b], verdict, evidence.get((a, b)))) is not None
    ]
    return ran


def _largest(table: PrintTable, rows: Sequence[int]) -> int:
    """The picture of ``rows`` with the most pixels (the first by digest on a tie)."""
    return max(rows, key=lambda i: (int(table.sizes[i].prod()), -i))


def _rounds(
    case: Case,
    table: PrintTable,
    ranked: Sequence[tuple[int, int, int]],
    edges: list[CopyEdge],
    evidence: dict[tuple[int, int], FilePair],
    checks: Checks,
) -> int:
    """Check ``ranked`` pairs (a, b, rank) rank by rank up to CANDIDATES, skipping pairs
    that the edges found so far have put in one group or already judged; the verdicts
    join ``edges``.  Gives the number of checks run."""
    checked = 0
    judged = {_pair(a, b) for a, b in _judged(table, edges)}
    for nearest in range(CANDIDATES):
        joined = labels_of(table, edges)
        check = [
            (a, b)
            for a, b, r in ranked
            if r == nearest and joined[a] != joined[b] and (a, b) not in judged
        ]
        if not check:
            continue
        verdicts, ran = _checked(case, table, check, checks)
        checked += ran
        for (a, b), verdict in verdicts.items():
            edge = _edge(table.shas[a], table.shas[b], verdict, evidence.get((a, b)))
            edges += [edge] if edge is not None else []
    return checked


def _confirmed(
    case: Case,
    table: PrintTable,
    found: list[list[str]],
    edges: list[CopyEdge],
    checks: Checks,
) -> tuple[list[list[str]], int]:
    """Each group without the files that are in it only inside a container and that the
    pixel check, asked directly, does not call copies of the group's core (see
    provenance.held_only_inside): they leave as groups of their own."""
    index = {sha: i for i, sha in enumerate(table.shas)}
    asks: list[tuple[int, int]] = []
    for group in found:
        core, doubtful = held_only_inside(group, edges)
        asks += [_pair(index[core], index[x]) for x in doubtful]
    if not asks:
        return found, 0
    verdicts, ran = _checked(case, table, asks, checks)
    out = []
    for group in found:
        core, doubtful = held_only_inside(group, edges)
        gone = {x for x in doubtful if verdicts[_pair(index[core], index[x])]["relation"] != "copy"}
        for sha in gone:
            a, b = sorted((sha, core))
            edges.append(CopyEdge(a, b, "local_features", "not_confirmed", None, {"core": core}))
        kept = [x for x in group if x not in gone]
        out += [kept] if len(kept) > 1 else []
    return out, ran


def _judged(table: PrintTable, edges: Sequence[CopyEdge]) -> list[tuple[int, int]]:
    """The pairs whose pixel check left an edge (a verdict, or a plain pair's refusal)."""
    index = {sha: i for i, sha in enumerate(table.shas)}
    return [
        (index[e.a], index[e.b])
        for e in edges
        if e.method == "local_features" or e.relation == TOO_PLAIN_RELATION
    ]


def _pair(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def find_of(
    case: Case, query: Fingerprint, query_path: Path, query_descriptor: bytes, exclude: str = ""
) -> Found:
    """The pictures of the case that are copies of one picture (in the case or not).

    The query's own matches first: its hash matches and its nearest pictures by layout,
    checked with local features (a close match with a video's keyframe is taken on the
    hash).  Then copies of those copies, by close hash matches, each checked against the
    member it matched, up to ``HOPS`` steps: a crop that only its uncropped repost
    resembles is still found, at the cost of one index query and a check a member.
    """
    table = load_prints(case.db, PRINT_VERSION)
    regions = [query.frame] if query.content is None else [query.frame, query.content]
    names = ["frame", "content"]
    pdq = np.frombuffer(b"".join(r.pdq for r in regions), dtype=np.uint8).reshape(-1, 8, 32)
    phash = np.array([r.phash for r in regions], dtype=np.uint64)
    quality = [r.quality for r in regions]
    me = exclude or "outside"
    hits = [h for h in query_hits(table, pdq, phash) if table.shas[h.picture] != exclude]
    edges = [
        CopyEdge(me, table.shas[h.picture], h.method, "copy", h.distance, h.detail(table, names))
        for h in hits
        if h.sure(table, quality)
    ]
    joined = {h.picture for h in hits if h.sure(table, quality)}
    near = [int(i) for i in rank(query_descriptor, _descriptors(table), CANDIDATES + 1)]
    candidates = ({h.picture for h in hits} | set(near)) - joined
    check = sorted(i for i in candidates if table.shas[i] != exclude)
    query_features = features(query_path)
    hashed = {h.picture: h for h in hits}
    stored = _stored_features(case)
    for i in check:
        proposal = _proposal(table, hashed.get(i), names, quality)
        edge = _checked_edge(me, query_features, table.shas[i], stored(table.shas[i]), proposal)
        edges += [edge] if edge is not None else []
        if edge is not None and edge.relation == "copy":
            joined.add(i)
    edges += _hops(table, joined, exclude, stored)
    edges += _members_against_largest(table, edges, me, stored)
    # The query's group as find_all would form it: a repost that matches the query and
    # also a frame whose parts moved against the query goes with the one it matches best.
    shas = sorted({sha for e in edges for sha in (e.a, e.b)} | {me})
    mine = next(g for g in groups(shas, edges) if me in g)
    members = [sha for sha in mine if sha != me]
    found = [[me, *members]] if members else []
    return Found(found, edges, len(check), [sha for sha in _alone(found, edges) if sha == me])


def _members_against_largest(
    table: PrintTable, edges: list[CopyEdge], me: str, stored: Callable[[str], Features | None]
) -> list[CopyEdge]:
    """The query's copies checked against the largest of them where not judged yet (see
    :func:`_against_largest`: a small query matches two frames of a clip alike)."""
    index = {sha: i for i, sha in enumerate(table.shas)}
    copies = sorted({sha for e in edges if e.relation == "copy" for sha in (e.a, e.b)} - {me})
    if len(copies) < 2:
        return []
    largest = table.shas[_largest(table, [index[sha] for sha in copies])]
    judged = {frozenset((e.a, e.b)) for e in edges if e.method == "local_features"}
    out = []
    for sha in copies:
        if sha != largest and frozenset((sha, largest)) not in judged:
            edge = _checked_edge(largest, stored(largest), sha, stored(sha), None)
            out += [edge] if edge is not None else []
    return out


def _stored_features(case: Case) -> Callable[[str], Features | None]:
    """Features of the case's pictures by digest, the last CACHED kept: one question
    about a picture checks its copies against it, then again against the largest."""

    @lru_cache(maxsize=CACHED)
    def stored(sha: str) -> Features | None:
        return features_or_none(stored_path(case, sha))

    return stored


#: Steps from the query's own copies to copies of copies (sure hash matches only).
HOPS = 2


def _checked_edge(
    a: str, features: Features | None, b: str, other: Features | None, hashed: Proposal | None
) -> CopyEdge | None:
    """:func:`_edge` of the pixel check of two pictures given their features (None: not
    decodable)."""
    if features is None or other is None:
        return _edge(a, b, UNDECODABLE, hashed)
    return _edge(a, b, verdict_json(verify(features, other)), hashed)


def _hops(
    table: PrintTable, start: set[int], exclude: str, stored: Callable[[str], Features | None]
) -> list[CopyEdge]:
    """Close hash matches of the members' own regions, ``HOPS`` steps out, each checked
    against the member it matched (taken on the hash with a video's keyframe)."""
    seen, frontier, edges = set(start), set(start), []
    for _ in range(HOPS):
        rows = np.flatnonzero(np.isin(table.owner, sorted(frontier)))
        if not len(rows):
            break
        names = [_region_label(table, int(r)) for r in rows]
        quality = table.quality[rows].tolist()
        found = query_hits(table, table.pdq[rows], table.phash[rows])
        frontier = set()
        for h in found:
            if h.picture in seen or table.shas[h.picture] == exclude:
                continue
            if not h.close(table, quality):
                continue
            source = table.shas[int(table.owner[rows[h.region]])]
            keyframe = table.at_s[rows[h.region]] > 0 or h.sure(table, quality)
            if keyframe:
                detail = h.detail(table, names)
                edge: CopyEdge | None = hash_edge(
                    source, table.shas[h.picture], h.method, h.distance, detail
                )
            else:
                target = table.shas[h.picture]
                proposal = _proposal(table, h, names, quality)
                edge = _checked_edge(source, stored(source), target, stored(target), proposal)
            seen.add(h.picture)
            if edge is not None:
                edges.append(edge)
            if edge is not None and edge.relation == "copy":
                frontier.add(h.picture)
    return edges


def _region_label(table: PrintTable, row: int) -> str:
    return "content" if table.content[row] else "frame"


def _descriptors(table: PrintTable) -> list[bytes]:
    return [d or b"" for d in table.descriptors]


class Proposal(Protocol):
    """The hash match that proposed a pixel check (a :class:`FilePair`, or a query's
    :class:`Hit` as :func:`_proposal` gives it)."""

    @property
    def method(self) -> str: ...
    @property
    def distance(self) -> int: ...
    @property
    def detail(self) -> dict[str, object]: ...
    @property
    def close(self) -> bool: ...
    @property
    def quality(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _HitProposal:
    method: str
    distance: int
    detail: dict[str, object]
    close: bool
    quality: int


def _proposal(
    table: PrintTable, hit: Hit | None, names: Sequence[str], quality: Sequence[int]
) -> Proposal | None:
    if hit is None:
        return None
    return _HitProposal(
        hit.method,
        hit.distance,
        hit.detail(table, names),
        hit.close(table, quality),
        hit.quality(table, quality),
    )


def _edge(a: str, b: str, verdict: dict[str, Any], hashed: Proposal | None) -> CopyEdge | None:
    """A pixel check's verdict as an edge, with the hash match that proposed it; None
    when they are unrelated, except that a close hash match stands where the check had
    no say (too few keypoints, not decodable), and that a hash match of a plain region
    is kept as the reason the two were not joined."""
    relation = str(verdict["relation"])
    if relation == "unrelated":
        if hashed is not None and plain(hashed.quality):
            return plain_edge(a, b, hashed.method, hashed.distance, hashed.detail, hashed.quality)
        if hashed is None or not hashed.close:
            return None
        no_say = str(verdict["transformation"])
        return hash_edge(a, b, hashed.method, hashed.distance, hashed.detail, no_say)
    detail = dict(verdict)
    if hashed is not None:
        detail["hash"] = {"method": hashed.method, "distance": hashed.distance, **hashed.detail}
    return CopyEdge(a, b, "local_features", relation, None, detail)


def stored_path(case: Case, sha: str) -> Path:
    """The stored original of a picture of the case."""
    (rel,) = case.db.execute("SELECT stored_as FROM media WHERE sha256 = ?", (sha,)).fetchone()
    return case.media.root / str(rel)


# -- the checks: the pairs stage, on the chosen executor ----------------------------------


@dataclass(slots=True)
class Checks:
    """Where a search's pixel checks run (the executor, and each picture's part there:
    copy_components.plan), and its count of them for ``progress``."""

    executor: Executor
    progress: Callable[[int], None] | None = None
    parts: npt.NDArray[np.int64] | None = None
    checks: int = 0


def _checked(
    case: Case, table: PrintTable, pairs: Sequence[tuple[int, int]], checks: Checks
) -> tuple[dict[tuple[int, int], dict[str, Any]], int]:
    """Verdicts for ``pairs`` (picture indexes, a < b), from the case where it has them,
    else from the pairs stage; and how many checks ran now."""
    shas = table.shas  # in sha256 order: a < b as indexes is a < b as digests
    plain = _plain_pictures(table)
    parts = np.zeros(len(shas), np.int64) if checks.parts is None else checks.parts
    asked = sorted(
        {(part_of(parts, a, b), shas[a], shas[b], bool(plain[a] or plain[b])) for a, b in pairs}
    )

    def counted(event: Progress) -> None:
        if checks.progress is not None:
            checks.progress(checks.checks + event.done)

    ran = run(case, PAIRS, checks.executor, counted, request=asked).done
    checks.checks += ran
    known = verdicts(case.db, PAIRS.version, [(a, b) for _, a, b, _ in asked])
    return {(a, b): known[(shas[a], shas[b])] for a, b in pairs}, ran


def _plain_pictures(table: PrintTable) -> npt.NDArray[np.bool_]:
    """Per picture, whether any region of it is too plain to compare (copies.plain): two
    blank pictures of one shade and size may have the same coded data without one being
    a copy of the other, so that the pairs stage's identical-pixel shortcut is not theirs."""
    out = np.zeros(len(table.shas), dtype=np.bool_)
    out[table.owner[table.quality < PLAIN_QUALITY]] = True
    return out


def described(
    case: Case, found: Found, outside: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each group as the ``copies`` output gives it (see provenance.describe), largest
    first; then each of ``found.plain`` alone, its hash matches as its edges and a
    ``note`` saying why nothing joined it.  ``outside`` is what is known of a query
    picture that is not in the case."""
    out = [_described(case, group, found.edges, outside) for group in found.groups]
    for sha in found.plain:
        out.append({**_described(case, [sha], found.edges, outside), "note": TOO_PLAIN})
    return out


def _described(
    case: Case, group: Sequence[str], edges: Sequence[CopyEdge], outside: dict[str, Any] | None
) -> dict[str, Any]:
    members = [sha for sha in group if sha != "outside"]
    seen = appearances(case, members)
    facts: dict[str, dict[str, Any]] = dict(file_facts(case, members))
    listed = list(members)
    if outside is not None and "outside" in group:
        facts["outside"] = outside
        listed = ["outside", *members]
    return describe(listed, edges, seen, facts)


def copies_of_file(case: Case, path: Path) -> list[dict[str, Any]]:
    """The groups of copies in the case of a picture outside it (``copies --of``, and the
    audit's copies that still carry metadata); :class:`OSError` or
    :class:`~geotrace.evidence.fingerprint.ImageError` when it is not a readable picture."""
    from geotrace.analysis.appearances import facts_of
    from geotrace.evidence import read_file, report_to_json
    from geotrace.evidence.fingerprint import decode, fingerprint_image
    from geotrace.evidence.layout import layout_of
    from geotrace.store.media import hash_stream

    report = report_to_json(read_file(path))
    with path.open("rb") as f:
        sha, size = hash_stream(f)
    outside = {
        "sha256": sha,
        **facts_of(report, str(path), size, str(report["kind"])),
        "outside": True,
    }
    small, dims = decode(path)
    fp = fingerprint_image(small, dims)
    return described(case, find_of(case, fp, path, layout_of(small, fp), ""), outside)
