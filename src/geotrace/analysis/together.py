"""Who was together: pairs of sightings of two tracks that can have been one place at one time.

Two sightings (discs of radius ``r`` around a centre, windows of half-width ``u`` around an
instant) can have been together when ``d <= r_a + r_b + space_margin_m`` and
``|t_a - t_b| <= u_a + u_b + time_margin_s``.  The search is exact: every pair that passes
the test is returned and nothing else, but no pair of points is ever looked at unless a
k-d tree says it is near, so a million sightings take seconds, not a trillion tests.

Three things keep the k-d trees honest on mixed material:

* Points are put in classes by their reach (radius and half-window, each with half the
  margin, rounded up to a power of two), so that a GPS fix is never searched with the reach
  of an oblast-wide, day-wide sighting: each pair of classes is searched with the largest
  reach in it, which is at most twice any of its points' own, per axis.
* Each pair of classes is one search in four dimensions (unit-sphere xyz, time), scaled so
  that the reach is 1 on every axis and searched as a box (the max norm): the box holds
  every chord and every time difference the exact test can accept, plus millimetres and a
  millisecond of slack for rounding, and the exact test then drops the rest.
* Pairs within one track are never encounters, and a dense track has hundreds of its own
  points within half an hour and 200 m of each point.  Where the count of such pairs (known
  in advance from the times alone) would cost more than the searches that avoid them, the
  tracks are split by the bits of their number: at bit ``k``, tracks whose numbers agree
  above ``k`` and differ at ``k`` are searched against each other (a fifth coordinate keeps
  the groups apart), so every pair of different tracks is searched exactly once, at the
  highest bit where their numbers differ, and no pair within a track is searched at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt
from scipy.special import chndtr

from geotrace.analysis.points import Points, haversine_m
from geotrace.geo import EARTH_RADIUS_M
from geotrace.geodata.lines import kd_tree, unit_vectors

F64 = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

#: "At one checkpoint": a checkpoint with its queue, a building, a village square; and a
#: phone's GPS in a town errs by tens of metres, so two people side by side can read 100 m
#: apart.
SPACE_MARGIN_M = 200.0
#: "At one checkpoint": two posts of one stop (a queue, a meal, a handover) are minutes to
#: half an hour apart.
TIME_MARGIN_S = 30 * 60.0
#: Encounters of one pair less than this apart (by the middle of their two instants) are one
#: meeting: real accounts' median gap between posts is 0.06-5.9 h (``research/people.md``,
#: 8 X archives), so encounters 6 h apart are mostly consecutive posts of one occasion.
MERGE_S = 6 * 3600.0

#: Slack added to the search box beyond the exact test's reach, so that rounding in the unit
#: vectors and the scaled times never drops a pair (a chord of 1e-9 is 6 mm; 1 ms): the
#: exact test decides, the box only has to hold every pair it accepts.
_CHORD_SLACK = 1e-9
_TIME_SLACK_S = 1e-3
#: Query points per search, so that the candidates of one search stay small: ~25 per point
#: on the 1M bench (1.2M candidates, ~30 MB); 200,000 was no faster (``bench/people.py``).
_CHUNK = 50_000
#: Splitting by bits pays when the pairs within one track (counted from the times alone)
#: exceed this many times (bits x points): on the 1M bench (fixes every 1-5 min) splitting
#: always took 32 s against 12.6 s never (~20 own pairs a point, split rightly not chosen);
#: on 200,000 5-second GPS fixes (~700 own pairs a point) 9.4 s against 29.7 s.
_PAIR_COST_PER_POINT = 3.0


@dataclass(frozen=True, slots=True)
class Encounters:
    """Pairs of points of two different tracks that pass the test, one entry per pair.

    ``track_a < track_b`` always; the pairs are sorted by (track_a, track_b, middle of the
    two instants, index_a, index_b), so that :func:`meetings` can cut runs out of them and
    name them by position.  ``t_a`` and ``t_b`` are the two points' instants (window centres).
    """

    track_a: Index
    track_b: Index
    index_a: Index
    index_b: Index
    t_a: F64
    t_b: F64
    distance_m: F64  # centre to centre
    dt_s: F64  # |t_a - t_b|
    score: F64  # see pair_score

    def __len__(self) -> int:
        return int(self.track_a.shape[0])

    def take(self, index: Index | npt.NDArray[np.bool_] | slice) -> Encounters:
        """The encounters at ``index`` (keeps the sort order when ``index`` is ascending)."""
        return Encounters(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


@dataclass(frozen=True, slots=True)
class Meeting:
    """Encounters of one pair of tracks, none more than ``merge_s`` after the one before.

    ``first``..``last`` (both included) are positions in the :class:`Encounters` it was
    cut from; the best evidence pair is the one with the highest score (then the shortest
    distance, the smallest time difference, the earliest).  ``begin_t``/``end_t`` span
    every instant of its evidence.
    """

    track_a: int
    track_b: int
    first: int
    last: int
    at_a: float
    at_b: float
    index_a: int
    index_b: int
    distance_m: float
    score: float
    begin_t: float
    end_t: float


@dataclass(frozen=True, slots=True)
class CoTravel:
    """For every pair of tracks that met: how much of each one the other accompanies.

    ``accompanied_a`` counts track_a's points with at least one encounter with track_b;
    ``share_a`` is the mean over all track_a's points of its best encounter score with
    track_b (0 where none), i.e. the expected share of track_a's sightings at which track_b
    was with it.  ``share`` is that of the track with fewer points (track_a on a tie).
    """

    track_a: Index
    track_b: Index
    accompanied_a: npt.NDArray[np.int64]
    accompanied_b: npt.NDArray[np.int64]
    share_a: F64
    share_b: F64
    share: F64


def encounters(
    tracks: Sequence[Points],
    space_margin_m: float = SPACE_MARGIN_M,
    time_margin_s: float = TIME_MARGIN_S,
) -> Encounters:
    """Every pair of points of two different tracks whose discs (plus the space margin) and
    windows (plus the time margin) overlap, with its distance, time difference and score."""
    if space_margin_m < 0 or time_margin_s < 0:
        raise ValueError("margins must be >= 0")
    sizes = np.array([len(p) for p in tracks], dtype=np.intp)
    track = np.repeat(np.arange(len(tracks), dtype=np.intp), sizes)
    index = np.concatenate([np.arange(n, dtype=np.intp) for n in sizes] or [np.zeros(0, np.intp)])

    def column(name: str) -> F64:
        parts = [np.asarray(getattr(p, name), dtype=np.float64) for p in tracks]
        return np.concatenate(parts) if parts else np.zeros(0)

    lat, lon, radius, t, u = (column(n) for n in ("lat", "lon", "radius_m", "t", "u"))
    xyz = unit_vectors(lat, lon).reshape(-1, 3)
    reach_r = radius + space_margin_m / 2
    reach_u = u + time_margin_s / 2
    klass = _classes(reach_r, reach_u)
    members = [np.flatnonzero(klass == k) for k in range(int(klass.max(initial=-1)) + 1)]
    members = [m[np.argsort(t[m], kind="stable")] for m in members if m.size]

    found: list[tuple[Index, Index, F64, F64]] = []
    for ci, c in enumerate(members):
        for d in members[ci:]:
            same = c is d
            space = float(reach_r[c].max() + reach_r[d].max())
            window = float(reach_u[c].max() + reach_u[d].max())
            for p, q in _class_pairs(xyz, t, track, c, d, same, space, window):
                distance = haversine_m(lat[p], lon[p], lat[q], lon[q])
                keep = (distance <= radius[p] + radius[q] + space_margin_m) & (
                    np.abs(t[p] - t[q]) <= u[p] + u[q] + time_margin_s
                )
                p, q, distance = p[keep], q[keep], distance[keep]
                p, q = np.where(track[p] < track[q], p, q), np.where(track[p] < track[q], q, p)
                score = pair_score(
                    distance,
                    np.abs(t[p] - t[q]),
                    radius[p],
                    radius[q],
                    u[p],
                    u[q],
                    space_margin_m,
                    time_margin_s,
                )
                found.append((p, q, distance, score))
    p, q, distance, score = (
        np.concatenate([f[k] for f in found]) if found else np.zeros(0, dtype)
        for k, dtype in enumerate((np.intp, np.intp, np.float64, np.float64))
    )
    found.clear()
    order = np.lexsort((index[q], index[p], (t[p] + t[q]) / 2, track[q], track[p]))
    p, q = p[order], q[order]
    return Encounters(
        track_a=track[p],
        track_b=track[q],
        index_a=index[p],
        index_b=index[q],
        t_a=t[p],
        t_b=t[q],
        distance_m=distance[order],
        dt_s=np.abs(t[p] - t[q]),
        score=score[order],
    )


def pair_score(
    distance_m: F64,
    dt_s: F64,
    radius_a: F64,
    radius_b: F64,
    u_a: F64,
    u_b: F64,
    space_margin_m: float = SPACE_MARGIN_M,
    time_margin_s: float = TIME_MARGIN_S,
) -> F64:
    """The chance that the two were within the margins of each other, if each was anywhere
    in its disc and its window with equal chance (space and time independent).

    This is what "together" means here (within the margins), so exact points within them
    score 1, two 50 m discs 80 m apart score ~1, and two 5 km discs that barely touch score
    ~0 however well their windows agree: the score falls with the distance and with the
    vagueness of either point, never because of the margins alone.  In space each disc is
    taken as a Gaussian of the same spread (variance r^2/4 per axis, the uniform disc's) so
    that the distance between the two is a Rice variable, whose law is the non-central
    chi-square; in time the difference of two uniform windows is trapezoidal, exactly.
    """
    spread2 = (radius_a**2 + radius_b**2) / 4
    sharp = spread2 <= 0
    safe = np.where(sharp, 1.0, spread2)
    near = chndtr(space_margin_m**2 / safe, 2.0, distance_m**2 / safe)
    space = np.where(sharp, (distance_m <= space_margin_m).astype(np.float64), near)
    wide, narrow = np.maximum(u_a, u_b), np.minimum(u_a, u_b)
    time = (
        1.0
        - _beyond(time_margin_s - dt_s, wide, narrow)
        - _beyond(time_margin_s + dt_s, wide, narrow)
    )
    return np.asarray(np.clip(space * time, 0.0, 1.0), dtype=np.float64)


def _beyond(z: F64, wide: F64, narrow: F64) -> F64:
    """P(V > z) for V the sum of uniform [-wide, wide] and [-narrow, narrow] (wide >= narrow):
    the trapezoid's tail, piece by piece so that a zero-width window needs no division."""
    y = np.abs(z)
    inner, outer = wide - narrow, wide + narrow
    ramp = (outer - y) ** 2 / np.where(narrow > 0, 8 * wide * narrow, 1.0)
    flat = (wide - y) / np.where(wide > 0, 2 * wide, 1.0)
    tail = np.where(y >= outer, 0.0, np.where(y >= inner, ramp, flat))
    return np.asarray(np.where(z >= 0, tail, 1.0 - tail), dtype=np.float64)


def meetings(found: Encounters, merge_s: float = MERGE_S) -> list[Meeting]:
    """Runs of one pair's encounters (as :func:`encounters` sorts them) with no gap over
    ``merge_s`` between consecutive ones, each with its best evidence pair."""
    n = len(found)
    if n == 0:
        return []
    middle = (found.t_a + found.t_b) / 2
    new = np.ones(n, dtype=bool)
    new[1:] = (
        (found.track_a[1:] != found.track_a[:-1])
        | (found.track_b[1:] != found.track_b[:-1])
        | (np.diff(middle) > merge_s)
    )
    if np.any(~new[1:] & (np.diff(middle) < 0)):
        raise ValueError("encounters are not in the order encounters() returns them")
    start = np.flatnonzero(new)
    stop = np.append(start[1:], n)
    run = np.cumsum(new) - 1
    position = np.arange(n)
    best_order = np.lexsort((position, found.dt_s, found.distance_m, -found.score, run))
    best = best_order[start]  # each run's rows are contiguous in best_order, from its start
    earliest = np.minimum.reduceat(np.minimum(found.t_a, found.t_b), start)
    latest = np.maximum.reduceat(np.maximum(found.t_a, found.t_b), start)
    return [
        Meeting(
            track_a=int(found.track_a[b]),
            track_b=int(found.track_b[b]),
            first=int(s),
            last=int(e) - 1,
            at_a=float(found.t_a[b]),
            at_b=float(found.t_b[b]),
            index_a=int(found.index_a[b]),
            index_b=int(found.index_b[b]),
            distance_m=float(found.distance_m[b]),
            score=float(found.score[b]),
            begin_t=float(lo),
            end_t=float(hi),
        )
        for s, e, b, lo, hi in zip(start, stop, best, earliest, latest, strict=True)
    ]


def co_travel_all(tracks: Sequence[Points], found: Encounters) -> CoTravel:
    """How much each pair of tracks that met accompany each other over their whole tracks.

    A share is over points, not over time: a point is one piece of evidence, and weighting
    by the time to the next would let one months-long gap of a sparse account decide; each
    point counts with its best score, so that a vague sighting that merely can have been
    together adds little.  The shorter track's share is the one that says "travelled
    together": a sparse account whose every sighting is beside a dense GPS track travelled
    with it, though it accompanies only a few of the track's points.
    """
    sizes = np.array([len(p) for p in tracks], dtype=np.int64)
    key = found.track_a.astype(np.int64) * max(1, len(tracks)) + found.track_b
    pairs, pair = np.unique(key, return_inverse=True)
    track_a = (pairs // max(1, len(tracks))).astype(np.intp)
    track_b = (pairs % max(1, len(tracks))).astype(np.intp)

    def side(index: Index, size: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], F64]:
        order = np.lexsort((index, pair))
        first = np.ones(order.size, dtype=bool)
        first[1:] = (pair[order][1:] != pair[order][:-1]) | (index[order][1:] != index[order][:-1])
        start = np.flatnonzero(first)
        best = np.maximum.reduceat(found.score[order], start) if start.size else np.zeros(0)
        owner = pair[order][start]
        count = np.bincount(owner, minlength=pairs.size).astype(np.int64)
        total = np.bincount(owner, weights=best, minlength=pairs.size)
        return count, total / np.maximum(size, 1)

    accompanied_a, share_a = side(found.index_a, sizes[track_a])
    accompanied_b, share_b = side(found.index_b, sizes[track_b])
    return CoTravel(
        track_a=track_a,
        track_b=track_b,
        accompanied_a=accompanied_a,
        accompanied_b=accompanied_b,
        share_a=share_a,
        share_b=share_b,
        share=np.where(sizes[track_b] < sizes[track_a], share_b, share_a),
    )


def co_travel(
    tracks: Sequence[Points],
    a: int,
    b: int,
    found: Encounters | None = None,
    space_margin_m: float = SPACE_MARGIN_M,
    time_margin_s: float = TIME_MARGIN_S,
) -> float:
    """The co-travel share (:class:`CoTravel`'s ``share``) of tracks ``a`` and ``b``: from
    ``found`` when given (cheap), else from a search of the two tracks alone."""
    lo, hi = sorted((a, b))
    two = [tracks[lo], tracks[hi]]
    if found is None:
        pair = encounters(two, space_margin_m, time_margin_s)
    else:
        mine = found.take((found.track_a == lo) & (found.track_b == hi))
        n = len(mine)
        pair = replace(mine, track_a=np.zeros(n, np.intp), track_b=np.ones(n, np.intp))
    shares = co_travel_all(two, pair)
    return float(shares.share[0]) if shares.share.size else 0.0


def _classes(reach_r: F64, reach_u: F64) -> Index:
    """A class per point by its reach rounded up to a power of two (1 m and 1 s at least) in
    space and in time, numbered densely."""
    kr = np.ceil(np.log2(np.maximum(reach_r, 1.0))).astype(np.int64)
    ku = np.ceil(np.log2(np.maximum(reach_u, 1.0))).astype(np.int64)
    _, klass = np.unique(kr * 4096 + ku, return_inverse=True)
    return np.asarray(klass.reshape(-1), dtype=np.intp)


def _class_pairs(
    xyz: F64,
    t: F64,
    track: Index,
    c: Index,
    d: Index,
    same: bool,
    space_m: float,
    window_s: float,
) -> Iterator[tuple[Index, Index]]:
    """Candidate pairs (p in class c, q in class d, different tracks, each pair once) whose
    chord and time difference are within the classes' largest reach, in pieces of at most
    :data:`_CHUNK` points of c (both sorted by time)."""
    chord = 2 * np.sin(min(space_m / (2 * EARTH_RADIUS_M), np.pi / 2)) + _CHORD_SLACK
    window = window_s + _TIME_SLACK_S
    _, number = np.unique(np.concatenate([track[c], track[d]]), return_inverse=True)
    tc, td = number[: c.size], number[c.size :]
    split = _split_pays(t[c], tc, t[d], td, window)
    bits = max(1, int(tc.max(initial=0) if same else max(tc.max(), td.max())).bit_length())
    times_d = t[d]
    for lo in range(0, c.size, _CHUNK):
        part = np.arange(lo, min(lo + _CHUNK, c.size))
        t0 = float(t[c[part[0]]])
        near = np.arange(
            np.searchsorted(times_d, t0 - window, "left"),
            np.searchsorted(times_d, float(t[c[part[-1]]]) + window, "right"),
        )
        if not near.size:
            continue

        if not split:
            p, q = _box_join(
                _scaled(xyz, t, c[part], np.zeros(part.size, np.intp), chord, t0, window),
                _scaled(xyz, t, d[near], np.zeros(near.size, np.intp), chord, t0, window),
            )
            i, j = part[p], near[q]
            keep = tc[i] < td[j] if same else tc[i] != td[j]
            yield c[i[keep]], d[j[keep]]
            continue
        for bit in range(bits):
            sides = [(0, 1)] if same else [(0, 1), (1, 0)]
            for side_c, side_d in sides:
                left = part[(tc[part] >> bit) & 1 == side_c]
                right = near[(td[near] >> bit) & 1 == side_d]
                if not left.size or not right.size:
                    continue
                p, q = _box_join(
                    _scaled(xyz, t, c[left], tc[left] >> (bit + 1), chord, t0, window),
                    _scaled(xyz, t, d[right], td[right] >> (bit + 1), chord, t0, window),
                )
                yield c[left[p]], d[right[q]]


def _scaled(
    xyz: F64, t: F64, rows: Index, group: Index, chord: float, t0: float, window: float
) -> F64:
    """Points in the search's space: reach 1 on every axis, groups 3 apart (never within a
    box of half-width 1 of each other)."""
    out = np.empty((rows.size, 5))
    out[:, :3] = xyz[rows] / chord
    out[:, 3] = (t[rows] - t0) / window
    out[:, 4] = group * 3.0
    return out


def _split_pays(tc: F64, kc: Index, td: F64, kd: Index, window: float) -> bool:
    """Whether splitting tracks by bits costs less than searching, then dropping, the pairs
    within one track: those are at most the pairs of one track within the window, counted
    here from the times alone (an estimate for a choice of plan, so float keys will do)."""
    bits = max(1, int(max(kc.max(initial=0), kd.max(initial=0))).bit_length())
    if not tc.size or not td.size:
        return False
    low = min(float(tc.min()), float(td.min()))
    apart = max(float(tc.max()), float(td.max())) - low + 4 * window + 1.0
    key_c = kc * apart + (tc - low)
    key_d = np.sort(kd * apart + (td - low))
    own = np.searchsorted(key_d, key_c + window, "right") - np.searchsorted(
        key_d, key_c - window, "left"
    )
    return float(own.sum()) > _PAIR_COST_PER_POINT * bits * (tc.size + td.size)


def _box_join(left: F64, right: F64) -> tuple[Index, Index]:
    """Rows of ``left`` and ``right`` within 1 of each other on every axis."""
    found = kd_tree(left).sparse_distance_matrix(
        kd_tree(right), 1.0, p=np.inf, output_type="ndarray"
    )
    return found["i"].astype(np.intp), found["j"].astype(np.intp)
