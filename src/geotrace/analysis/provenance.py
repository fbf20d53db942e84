"""Provenance of a picture: which files are copies of one another, and who showed it first.

Two questions, kept apart because they fail differently:

* *Which files are the same picture* is answered by pixels (fingerprints, then a check of
  the candidate pairs that tells a copy from another shot of the same scene) and by the
  platforms (a forward or a repost names its original).  Groups are the connected
  components of those edges, every edge kept with its own evidence: A~B and B~C make A and
  C one group, and the report says that A and C were never compared directly.
* *Who showed it first* is answered by time, and time has a basis (DESIGN rule 3).  Each
  appearance is a window, ``at ± uncertainty``; the earliest is the one whose window opens
  first, and every appearance whose window overlaps it is named as "order undetermined"
  rather than ranked by a clock nobody can vouch for.  "Earliest" means earliest in the
  material of this case: a gap in the collection is not evidence of absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

#: Bases whose instant is a wall time of an unknown zone, or a container time that cameras
#: often write as local time: the true UTC instant lies anywhere in +-14 h.
WIDE_BASES = frozenset({"unknown_zone", "container_utc"})
WIDE_S = 14 * 3600.0


@dataclass(frozen=True, slots=True)
class Appearance:
    """One time the picture was seen: a post that carried it, or the file's capture time.

    ``uncertainty_s`` is the half-width of the window the true UTC instant lies in; an
    appearance with no UTC instant (no time, or a wall time of an unknown zone) has
    ``at_utc`` None and is listed, never ranked.
    """

    kind: str  # "post" | "capture"
    sha256: str | None  # the file; None for a post the platform links in without its file
    at_utc: datetime | None
    basis: str
    uncertainty_s: float | None
    platform: str | None = None
    post_id: str | None = None
    account: str | None = None  # "platform:id"
    account_name: str | None = None
    url: str | None = None
    via: str = "file"  # how it joined the group: "file", or the platform's link kind
    #: Appearances read off one clock (the posts of one export document whose times are
    #: the exporter's wall clock) share its error: their order and the delays between
    #: them are exact even when each instant is uncertain by hours.  None: a clock of
    #: its own.
    clock: str | None = None

    @property
    def window(self) -> tuple[datetime, datetime] | None:
        """The interval the true instant lies in; None when there is no UTC instant."""
        if self.at_utc is None:
            return None
        half = timedelta(seconds=self.uncertainty_s or 0.0)
        return self.at_utc - half, self.at_utc + half


@dataclass(frozen=True, slots=True)
class Ordered:
    """Appearances in time order, with what can and cannot be said about the first."""

    appearances: tuple[Appearance, ...]  # by window start; those with no UTC instant last
    first: Appearance | None
    undetermined: tuple[Appearance, ...]  # windows overlapping the first's: could be first
    delays: tuple[tuple[float, float] | None, ...]  # per appearance: (s after first, +- s)


def order(appearances: Iterable[Appearance]) -> Ordered:
    """Sort by the opening of each window, name the first, and say where clocks cannot
    decide.

    Why the window's opening and not its middle: a Telegram export's wall time of an
    unknown zone (+-14 h) must not be ranked after an exact UTC post 3 h later only
    because its middle is later; it *could* be first, and is reported as such.
    """
    timed = [a for a in appearances if a.window is not None]
    untimed = [a for a in appearances if a.window is None]
    timed.sort(key=_opening)
    everything = (*timed, *untimed)
    if not timed:
        return Ordered(everything, None, (), tuple(None for _ in everything))
    first = timed[0]
    first_window = first.window
    assert first_window is not None and first.at_utc is not None
    undetermined = tuple(
        a
        for a in timed[1:]
        if (w := a.window) is not None
        and w[0] <= first_window[1]
        and not (_same_clock(a, first) and a.at_utc != first.at_utc)
    )
    delays: list[tuple[float, float] | None] = []
    for a in everything:
        if a.at_utc is None:
            delays.append(None)
            continue
        spread = 0.0 if _same_clock(a, first) else _half(a) + _half(first)
        delays.append(((a.at_utc - first.at_utc).total_seconds(), spread))
    return Ordered(everything, first, undetermined, tuple(delays))


def _same_clock(a: Appearance, b: Appearance) -> bool:
    return a.clock is not None and a.clock == b.clock


def _half(a: Appearance) -> float:
    return a.uncertainty_s or 0.0


def _opening(a: Appearance) -> tuple[datetime, float]:
    window = a.window
    assert window is not None
    return window[0], _half(a)


def uncertainty_for(basis: str, stated: float | None) -> float | None:
    """The half-width to use for an instant: the one stated, else what its basis implies
    (14 h for a zone that is unknown or a container clock that may be local)."""
    if stated is not None:
        return stated
    return WIDE_S if basis in WIDE_BASES else 0.0


@dataclass(frozen=True, slots=True)
class CopyEdge:
    """Two files the evidence calls the same picture (or, with ``relation``
    ``same_scene_other_shot``, explicitly not), with how that was decided."""

    a: str
    b: str
    method: str  # "pdq" | "phash" | "local_features"
    relation: str = "copy"  # "copy" | "same_scene_other_shot"
    distance: int | None = None
    detail: dict[str, object] = field(default_factory=dict)


def groups(members: Sequence[str], edges: Iterable[CopyEdge]) -> list[list[str]]:
    """Groups of copies over ``members`` (each a sorted list, largest group first; files
    with no edge are groups of one), joined along ``copy`` edges, strongest first, except
    where the pixel check says more often that the two groups are other shots of one
    scene than that they are copies.

    Why not plain connected components: a composite (a figure showing two views side by
    side, a collage, a screenshot of a feed) is a true copy of each of its parts, and
    components would then call the two views copies of each other.  Why a vote and not a
    veto: a heavily edited copy (tilted and captioned) compared with another edited copy
    is now and then misjudged as another shot; one such verdict must not cut a picture
    from a dozen copies that each matched it.  Except where parts moved between two
    pictures (verify's motion check): that is a veto, since no copy of the 2,300 pairs
    measured had parts moved against its source, while a small repost of one video frame
    matches the next frame as well as the first (nothing moves at 480 px), so a vote
    would let the next frame in through the repost.
    """
    index = {sha: i for i, sha in enumerate(members)}
    parent = list(range(len(members)))
    inside: dict[int, set[int]] = {i: {i} for i in range(len(members))}
    apart: dict[int, set[int]] = {i: set() for i in range(len(members))}
    moved: dict[int, set[int]] = {i: set() for i in range(len(members))}
    linked: dict[int, set[int]] = {i: set() for i in range(len(members))}
    copies = [e for e in edges if e.a in index and e.b in index]
    for e in copies:
        ia, ib = index[e.a], index[e.b]
        if e.relation == "copy":
            linked[ia].add(ib)
            linked[ib].add(ia)
        elif e.detail.get("parts_moved") is True:
            moved[ia].add(ib)
            moved[ib].add(ia)
        elif _apart(e):
            apart[ia].add(ib)
            apart[ib].add(ia)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def between(kind: dict[int, set[int]], ra: int, rb: int) -> int:
        small, large = sorted((inside[ra], inside[rb]), key=len)
        return sum(len(kind[i] & large) for i in small)

    for e in sorted((e for e in copies if e.relation == "copy"), key=strength):
        ra, rb = root(index[e.a]), root(index[e.b])
        if ra == rb or between(moved, ra, rb) or between(apart, ra, rb) >= between(linked, ra, rb):
            continue
        if len(inside[ra]) < len(inside[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        inside[ra] |= inside.pop(rb)
    return sorted(
        (sorted(members[i] for i in group) for group in inside.values()),
        key=lambda g: (-len(g), g[0]),
    )


#: Below this correlation of the aligned overlap, "another shot" is beyond doubt: a copy
#: that is heavily edited (tilted and captioned, recoloured) can fall to 0.7-0.8 and is
#: then often joined through its other copies, which a weaker verdict must not prevent.
APART_NCC = 0.5
#: ... unless the fit is this strong: then a poor correlation is a picture covered in
#: large part (four stickers: 0.40-0.44 against the copy's own reposts, with 65-389
#: matching keypoints), while another shot that correlates so poorly shares few (the
#: graffiti wall from another viewpoint: 21).
APART_MAX_INLIERS = 60


def _apart(e: CopyEdge) -> bool:
    ncc, inliers = e.detail.get("ncc"), e.detail.get("inliers")
    return (
        e.relation == "same_scene_other_shot"
        and isinstance(ncc, int | float)
        and ncc < APART_NCC
        and not (isinstance(inliers, int) and inliers >= APART_MAX_INLIERS)
    )


#: An edge says "a is inside b" when nearly all of a is in b and b shows much more.
INSIDE_ALL = 0.9
INSIDE_PART = 0.7


def inside_of(e: CopyEdge) -> str | None:
    """The file that an edge says is shown inside the other (a picture inside a
    screenshot, a composite figure, a collage), or None.  From the pixel check's overlap
    shares, or from a hash match of one's whole frame with the other's content box."""
    a_in_b, b_in_a = e.detail.get("a_in_b"), e.detail.get("b_in_a")
    if isinstance(a_in_b, float) and isinstance(b_in_a, float):
        if a_in_b >= INSIDE_ALL and b_in_a < INSIDE_PART:
            return e.a
        if b_in_a >= INSIDE_ALL and a_in_b < INSIDE_PART:
            return e.b
        return None
    regions = e.detail.get("regions")
    if isinstance(regions, list) and len(regions) == 2:
        ra, rb = (str(r).split("@")[0] for r in regions)
        if ra == "frame" and rb == "content":
            return e.a
        if ra == "content" and rb == "frame":
            return e.b
    return None


def held_only_inside(group: Sequence[str], edges: Iterable[CopyEdge]) -> tuple[str, list[str]]:
    """The group's core (the file with most copy edges in it) and the files whose every
    copy edge in the group shows them inside another file: they belong to the group only
    through a container, and a composite of two views would otherwise bring the second
    view into the first's group.  Each is to be checked against the core."""
    members = set(group)
    degree: dict[str, int] = dict.fromkeys(group, 0)
    contained_only: dict[str, bool] = dict.fromkeys(group, True)
    for e in edges:
        if e.relation != "copy" or e.a not in members or e.b not in members:
            continue
        inner = inside_of(e)
        for x in (e.a, e.b):
            degree[x] += 1
            if inner != x:
                contained_only[x] = False
    core = max(group, key=lambda x: (degree[x], x))
    return core, [x for x in group if x != core and contained_only[x] and degree[x]]


def strength(e: CopyEdge) -> tuple[int, float]:
    """Sort key, strongest edge first: close PDQ matches, then by the pixel check's
    correlation, then pHash matches."""
    if e.method == "pdq":
        return 0, float(e.distance or 0)
    ncc = e.detail.get("ncc")
    if isinstance(ncc, int | float):
        return 1, -float(ncc)
    return 2, float(e.distance or 0)


def components(n: int, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Component label of each of ``n`` nodes joined by ``pairs`` (k x 2): scipy's sparse
    graph routine, linear in nodes and edges, where a case holds a million files."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    out: npt.NDArray[np.int64] = labels.astype(np.int64)
    return out


def appearance_record(a: Appearance, delay: tuple[float, float] | None) -> dict[str, object]:
    """An appearance as the ``copies`` output gives it (JSON-ready)."""
    return {
        "kind": a.kind,
        "sha256": a.sha256,
        "at_utc": None if a.at_utc is None else a.at_utc.isoformat().replace("+00:00", "Z"),
        "time_basis": a.basis,
        "time_uncertainty_s": a.uncertainty_s,
        "platform": a.platform,
        "post_id": a.post_id,
        "url": a.url,
        "account": a.account,
        "account_name": a.account_name,
        "via": a.via,
        "after_first_s": None if delay is None else delay[0],
        "after_first_uncertainty_s": None if delay is None else delay[1],
    }


def describe(
    members: Sequence[str],
    edges: Sequence[CopyEdge],
    seen: Sequence[Appearance],
    facts: dict[str, dict[str, object]],
) -> dict[str, object]:
    """One group as the ``copies`` output gives it: its files with what metadata each
    still carries, every appearance in time order with its delay after the first, the
    first and the appearances that could be first, and the evidence of every edge.

    Which metadata survives where matters: platforms strip position, camera and capture
    time from what they serve, so the copy that still has them is often nearest the
    camera, and a group whose only GPS comes from one copy says where that came from.
    """
    inside = set(members)
    ordered = order(seen)
    kept = {
        key: sorted(sha for sha in members if facts.get(sha, {}).get(key))
        for key in ("gps", "camera", "taken")
    }
    return {
        "members": [{"sha256": sha, **facts.get(sha, {})} for sha in members],
        "first": None if ordered.first is None else appearance_record(ordered.first, (0.0, 0.0)),
        "could_be_first": [appearance_record(a, None) for a in ordered.undetermined],
        "appearances": [
            appearance_record(a, d)
            for a, d in zip(ordered.appearances, ordered.delays, strict=True)
        ],
        "edges": [
            {
                "a": e.a,
                "b": e.b,
                "method": e.method,
                "relation": e.relation,
                "distance": e.distance,
                **e.detail,
            }
            for e in edges
            if e.a in inside or e.b in inside
        ],
        "metadata_kept_by": kept,
    }
