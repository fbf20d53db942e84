"""Stays and bases: where a person stopped, and where they keep coming back.

A *stay* is trackintel's sliding staypoint (Li et al. 2008, ``generate_staypoints(method=
"sliding")``), so that an investigator who checks us against the field's reference tool on
dense GPS gets the same answer: the first sighting is an anchor; the run grows while every
later sighting stays within ``distance_m`` of the anchor; the first sighting outside ends
the run, which is a stay when it lasted ``duration_s``; that sighting is the next anchor.
A silence longer than the gap threshold restarts the anchor and emits nothing (trackintel's
behaviour: the person was not seen staying).  What we add is the sighting's uncertainty
(a disc and a time window, not a fix) and the last, open stay: the place a person was last
seen is often the one that matters, so it is never dropped.

A *base* is where the account returns: the visits (stays, and brief stationary sightings
such as a lone post) clustered by overlapping discs and ranked by how many of the days the
account was seen it was seen there, a vague sighting counting less than a sharp one.

Speed: trackintel walks the points one by one in Python (19 s for 1M fixes, measured in
``../shared/research/people.md``).  Here every sighting's break against its next
:data:`NEAR` sightings is computed at once; the walk then jumps from anchor to anchor, and
only an anchor whose run is longer than that searches further, in growing vectorised
blocks.  ``bench/stays_oracle.py`` measures both on the same million fixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geotrace.analysis.points import Points, haversine_m
from geotrace.geo import EARTH_RADIUS_M
from geotrace.geodata.lines import kd_tree, unit_vectors

F64 = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
Flags = npt.NDArray[np.bool_]

#: Breaks looked for at once for every sighting: a moving track breaks within one or two
#: fixes; runs longer than this (the stays themselves) search on in blocks.  On
#: bench/stays_oracle.py's million fixes 4, 8 and 16 took 0.72, 0.70 and 0.77 s.
NEAR = 8

#: trackintel's default gap (15 min): a dense GPS track behaves exactly as trackintel.
TRACKINTEL_GAP_S = 900.0

#: A silence this many times the track's median interval breaks a run: far outside the
#: track's own rhythm, yet a sparse account posting daily is not cut at every post.
GAP_RHYTHM = 50.0

#: Local hours that count as night (20:00-06:00): where an account sleeps is the strongest
#: sign of where it lives, and these hours hold sleep in most places and seasons.
NIGHT_START_H = 20.0
NIGHT_END_H = 6.0

_DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class Stay:
    """One stay: sightings ``first..last`` (indices into the points, inclusive).

    ``first_utc`` is the first sighting's instant; ``last_utc`` is Li's "until the first
    sighting outside" when that sighting followed closely (the person is taken to have
    stayed until then), else the last sighting's instant (nothing says longer).  Instants
    are the centres of the sightings' windows, as trackintel's are the fixes' times: a
    GPS logger's 1 s uncertainty must not move a stay's start off the fix that began it.
    ``open``: no sighting outside the stay was seen after it: the track ends there, or
    falls silent for longer than the gap threshold.
    """

    first: int
    last: int
    lat: float
    lon: float
    radius_m: float
    first_utc: float
    last_utc: float
    open: bool


@dataclass(frozen=True, slots=True)
class Base:
    """A place the account returns to.

    How an investigator reads it: ``weight`` 0.6 means the account was seen here on 60 % of
    the days it was seen at all (a sighting whose disc is wider than the base's distance
    counts in proportion, so a city-wide post weighs less than a GPS fix); ``nights`` counts
    only sightings whose local time is known, so a base with nights is where it sleeps;
    ``members`` are the sightings to open as evidence.
    """

    lat: float
    lon: float
    radius_m: float
    days: int
    nights: int
    weight: float
    first_utc: float
    last_utc: float
    members: Index


def gap_threshold(points: Points, gap_s: float | None) -> float:
    """The silence that breaks a run: ``gap_s``, or by default the larger of trackintel's
    15 min and :data:`GAP_RHYTHM` times the track's median interval."""
    if gap_s is not None:
        return gap_s
    if len(points) < 2:
        return TRACKINTEL_GAP_S
    return max(TRACKINTEL_GAP_S, GAP_RHYTHM * float(np.median(np.diff(points.t))))


def _chord2(angle_m: F64) -> F64:
    """The squared 3-D chord of a great-circle distance in metres (inf past half the
    globe): comparing chords on unit vectors is the haversine test without a sine per pair."""
    theta = np.asarray(angle_m, dtype=np.float64) / EARTH_RADIUS_M
    return np.where(theta >= np.pi, np.inf, 4.0 * np.sin(np.minimum(theta, np.pi) / 2.0) ** 2)


class _Apart:
    """The stay test between sightings: apart when the centres are at least ``distance_m``
    plus each disc's excess over it apart.  A radius under the threshold is already
    absorbed by it (a GPS fix's 10 m changes nothing, as in trackintel); above it, the
    discs' excess widens the test, so two 5 km discs that may hold the same spot may be one
    stay while two exact points as far apart are not."""

    def __init__(self, points: Points, distance_m: float) -> None:
        self.xyz = unit_vectors(points.lat, points.lon)
        self.distance_m = distance_m
        self.excess = np.maximum(0.0, points.radius_m - distance_m)
        self.uniform = not bool(self.excess.any())
        self.limit = float(_chord2(np.array([distance_m]))[0])

    def __call__(self, i: Index | int, j: Index) -> Flags:
        d = self.xyz[i] - self.xyz[j]
        return self._test(np.einsum("ij,ij->i", d, d), self.excess[i], self.excess[j])

    def shifted(self, k: int) -> Flags:
        """Every sighting against the one ``k`` later (slices, no gathers: this is the
        bulk of the work)."""
        d = self.xyz[k:] - self.xyz[:-k]
        return self._test(np.einsum("ij,ij->i", d, d), self.excess[:-k], self.excess[k:])

    def _test(self, chord2: F64, excess_i: F64 | np.float64, excess_j: F64) -> Flags:
        if self.uniform:
            return np.asarray(chord2 >= self.limit)
        return np.asarray(chord2 >= _chord2(self.distance_m + excess_i + excess_j))


def _runs(points: Points, apart: _Apart, gap: float) -> tuple[Index, Index]:
    """The anchors' runs as (start, stop): sightings ``start..stop-1``; ``stop`` is the
    sighting that broke the run (out of reach, or after a gap), ``n`` for the last run."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    gap_at = np.flatnonzero(np.diff(points.t) > gap) + 1
    idx = np.arange(n)
    pos = np.searchsorted(gap_at, idx, side="right")
    next_gap = np.append(gap_at, n)[pos]
    # first[i]: the first k <= NEAR with i+k out of reach of i (NEAR + 1: none so far).
    first = np.full(n, NEAR + 1, dtype=np.intp)
    for k in range(1, min(NEAR, n - 1) + 1):
        hit = apart.shifted(k) & (first[: n - k] > NEAR)
        first[: n - k][hit] = k
    near = np.minimum(idx + first, next_gap)
    # Known when the break is within reach of the precomputation or the data ends first.
    known = (first <= NEAR) | (next_gap <= idx + NEAR) | (idx + NEAR >= n - 1)
    near = np.where(known, np.minimum(near, n), -1)
    near_list: list[int] = near.tolist()
    next_gap_list: list[int] = next_gap.tolist()
    starts: list[int] = []
    stops: list[int] = []
    s = 0
    while s < n:
        b = near_list[s]
        if b < 0:
            b = _far_break(apart, s, next_gap_list[s])
        starts.append(s)
        stops.append(b)
        s = b
    return np.array(starts, dtype=np.intp), np.array(stops, dtype=np.intp)


def _far_break(apart: _Apart, s: int, bound: int) -> int:
    """The first sighting before ``bound`` out of reach of anchor ``s`` (``bound`` if
    none), searched past :data:`NEAR` in blocks that double: a stay of 10,000 fixes costs a
    dozen vectorised tests, not 10,000 Python steps."""
    lo, size = s + NEAR + 1, 4 * NEAR
    while lo < bound:
        j = np.arange(lo, min(lo + size, bound))
        hit = np.flatnonzero(apart(s, j))
        if hit.size:
            return int(j[hit[0]])
        lo, size = lo + size, size * 2
    return bound


def _discs(points: Points, members: Index, group: Index, groups: int) -> tuple[F64, F64, F64]:
    """Centre and honest radius of each group of sightings (``group[i]`` for ``members[i]``).

    Centre: the precision-weighted (1/r^2, r at least 1 m) mean of the distinct places,
    latitude arithmetic and longitude circular, each place counted once with its best
    weight; with equal radii this is trackintel's centroid of unique coordinates, and a
    place repeated by a device that sat still does not outweigh the rest.  Radius: the
    farthest member centre plus the weighted mean member radius, so the disc holds every
    centre and is never sharper than the sightings (at least the best member's radius).
    """
    lat, lon, r = points.lat[members], points.lon[members], points.radius_m[members]
    w = 1.0 / np.maximum(r, 1.0) ** 2
    order = np.lexsort((-w, lon, lat, group))
    g, la, lo, wo = group[order], lat[order], lon[order], w[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (la[1:] != la[:-1]) | (lo[1:] != lo[:-1])
    g, la, lo, wo = g[new], la[new], lo[new], wo[new]
    total = np.bincount(g, wo, groups)
    c_lat = np.bincount(g, wo * la, groups) / total
    rad = np.radians(lo)
    c_lon = np.degrees(
        np.arctan2(
            np.bincount(g, wo * np.sin(rad), groups), np.bincount(g, wo * np.cos(rad), groups)
        )
    )
    spread = np.zeros(groups)
    np.maximum.at(spread, group, haversine_m(lat, lon, c_lat[group], c_lon[group]))
    mean_r = np.bincount(group, w * r, groups) / np.bincount(group, w, groups)
    return c_lat, c_lon, spread + mean_r


def _ranges(first: Index, last: Index) -> tuple[Index, Index]:
    """Members and group numbers of inclusive index ranges, in order."""
    sizes = last - first + 1
    group = np.repeat(np.arange(first.size), sizes)
    offsets = np.arange(group.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return first[group] + offsets, group


def stays(
    points: Points, distance_m: float = 100.0, duration_s: float = 300.0, gap_s: float | None = None
) -> list[Stay]:
    """The stays of one track, in time order.

    Same thresholds as trackintel (``dist_threshold=distance_m``, ``time_threshold=
    duration_s / 60``, ``gap_threshold=gap_s / 60``): with exact points and ``gap_s=900``
    the closed stays are its staypoints (same start, end and members) and the last one,
    open, is its ``include_last=True`` staypoint.  The duration is tested on window centres,
    from the anchor to the end the stay claims: the sighting that broke it when that
    followed within Li's window (15 min, or ``gap_s``), else the last sighting inside, so a
    post followed by a day's silence is not a day-long stay.

    One departure from trackintel, for the same reason as the last stay: a run that a
    silence cuts is a stay too when it lasted ``duration_s`` before the silence, marked
    open (ended by the data, not by a sighting elsewhere).  trackintel drops it; with wide
    discs that keep a run alive (one GeoLife fix in 10 as a 500 m disc) it dropped an hour
    of stays before each night's silence, and the place an account was last seen before
    falling silent is the one an investigator asks about.
    """
    n = len(points)
    if n == 0:
        return []
    gap = gap_threshold(points, gap_s)
    li_window = TRACKINTEL_GAP_S if gap_s is None else gap_s
    start, stop = _runs(points, _Apart(points, distance_m), gap)
    t = points.t
    last = stop - 1
    closed = stop < n
    after = np.minimum(stop, n - 1)
    by_gap = closed & (t[after] - t[last] > gap)
    follows = closed & (t[after] - t[last] <= li_window)
    end_t = np.where(follows, t[after], t[last])
    keep = end_t - t[start] >= duration_s
    start, last, follows = start[keep], last[keep], follows[keep]
    closed = closed[keep] & ~by_gap[keep]
    if start.size == 0:
        return []
    end_utc = np.where(follows, t[np.minimum(last + 1, n - 1)], t[last])
    members, group = _ranges(start, last)
    lat, lon, radius = _discs(points, members, group, start.size)
    first_utc = t[start]
    return [
        Stay(int(a), int(b), float(la), float(lo), float(r), float(f), float(e), not bool(c))
        for a, b, la, lo, r, f, e, c in zip(
            start, last, lat, lon, radius, first_utc, end_utc, closed, strict=True
        )
    ]


def _visits(
    points: Points, found: Sequence[Stay], apart: _Apart, duration_s: float
) -> tuple[Index, Index, int]:
    """Members and visit numbers of the visits: the stays, and the brief stationary
    sightings outside them (a lone post, three photos in two minutes), so that a sparse
    account that never stays ``duration_s`` in view still has bases.  Sightings outside
    stays are cut into bursts where more than ``duration_s`` passes or a stay intervenes;
    a burst whose sightings all stay with its first is a visit; a burst that moves (fixes
    taken on the road) is not, so that a commute does not chain home to work."""
    n = len(points)
    first = np.array([s.first for s in found], dtype=np.intp)
    last = np.array([s.last for s in found], dtype=np.intp)
    in_stay_members, stay_group = _ranges(first, last)
    inside = np.zeros(n, dtype=bool)
    inside[in_stay_members] = True
    q = np.flatnonzero(~inside)
    if q.size == 0:
        return in_stay_members, stay_group, first.size
    cut = np.ones(q.size, dtype=bool)
    cut[1:] = (np.diff(q) > 1) | (np.diff(points.t[q]) > duration_s)
    burst = np.cumsum(cut) - 1
    heads = q[cut]
    moved = np.zeros(heads.size, dtype=bool)
    np.logical_or.at(moved, burst, apart(heads[burst], q))
    ok = ~moved[burst]
    renumber = np.cumsum(~moved) - 1 + first.size
    members = np.concatenate([in_stay_members, q[ok]])
    group = np.concatenate([stay_group, renumber[burst[ok]]])
    return members, group, first.size + int((~moved).sum())


def bases(
    points: Points, found: Sequence[Stay], distance_m: float = 100.0, duration_s: float = 300.0
) -> list[Base]:
    """Where the account returns, best first (by weight, then nights, then days).

    Visits (see :func:`_visits`) whose discs overlap under the stays' test (``distance_m``
    plus each disc's excess) are one base, transitively (trackintel's ``generate_locations``
    with DBSCAN and one sample does the same on staypoints).  Weight: for each UTC day the
    account was seen, the base gets the best precision of its sightings that day
    (``distance_m / radius``, at most 1), divided by the track's own best per day.  Nights
    come only from sightings whose local hour is known (``points.local_hour`` not NaN, i.e.
    sure within ~2 h): from a UTC time alone a noon post in Vladivostok reads as night.
    """
    if len(points) == 0:
        return []
    apart = _Apart(points, distance_m)
    members, visit, visits = _visits(points, found, apart, duration_s)
    if visits == 0:  # every sighting a moving burst: three cities one post names at once
        return []
    v_lat, v_lon, v_r = _discs(points, members, visit, visits)
    base_of = _cluster(v_lat, v_lon, v_r, distance_m)
    group = base_of[visit]
    count = int(base_of.max()) + 1
    lat, lon, radius = _discs(points, members, group, count)
    t, u = points.t[members], points.u[members]
    day = np.floor(points.t / _DAY_S).astype(np.int64)
    precision = np.minimum(1.0, distance_m / np.maximum(points.radius_m, 1e-9))
    weight, n_days = _best_per_day(group, day[members], precision[members], count)
    track_weight = _best_per_day(np.zeros(day.size, np.intp), day, precision, 1)[0][0]
    weight = weight / track_weight
    nights = _nights(points, members, group, count)
    lo_utc = np.full(count, np.inf)
    hi_utc = np.full(count, -np.inf)
    np.minimum.at(lo_utc, group, t - u)
    np.maximum.at(hi_utc, group, t + u)
    order = np.lexsort((lo_utc, -n_days, -nights, -weight))
    by_base = np.argsort(group, kind="stable")
    split = np.split(members[by_base], np.cumsum(np.bincount(group, minlength=count))[:-1])
    return [
        Base(
            float(lat[b]),
            float(lon[b]),
            float(radius[b]),
            int(n_days[b]),
            int(nights[b]),
            float(weight[b]),
            float(lo_utc[b]),
            float(hi_utc[b]),
            np.sort(split[b]),
        )
        for b in order
    ]


def _best_per_day(
    group: Index, day: npt.NDArray[np.int64], precision: F64, count: int
) -> tuple[F64, npt.NDArray[np.int64]]:
    """Per group: the sum over its distinct days of the day's best precision, and the
    number of those days."""
    order = np.lexsort((-precision, day, group))
    g, d = group[order], day[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (d[1:] != d[:-1])
    best = np.asarray(np.bincount(g[new], precision[order][new], count), dtype=np.float64)
    return best, np.bincount(g[new], minlength=count).astype(np.int64)


def _cluster(lat: F64, lon: F64, radius: F64, distance_m: float) -> Index:
    """Connected components of the visits' discs under the stays' test (k-d tree pairs
    within the widest test, then each pair's own)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = lat.size
    excess = np.maximum(0.0, radius - distance_m)
    xyz = unit_vectors(lat, lon)
    reach = float(_chord2(np.array([distance_m + 2 * excess.max()]))[0])
    pairs = kd_tree(xyz).query_pairs(np.sqrt(min(reach, 4.0)), output_type="ndarray")
    d = xyz[pairs[:, 0]] - xyz[pairs[:, 1]]
    linked = np.einsum("ij,ij->i", d, d) < _chord2(
        distance_m + excess[pairs[:, 0]] + excess[pairs[:, 1]]
    )
    a, b = pairs[linked, 0], pairs[linked, 1]
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.intp)


def _nights(points: Points, members: Index, group: Index, count: int) -> npt.NDArray[np.int64]:
    """Distinct nights per base among sightings with a known local hour at night.  A night
    runs from noon to noon local time, so 23:00 and 02:00 after it are one night."""
    hour = points.local_hour[members]
    night = (hour >= NIGHT_START_H) | (hour < NIGHT_END_H)  # NaN compares False
    if not night.any():
        return np.zeros(count, dtype=np.int64)
    t = points.t[members][night]
    # The zone offset from the local and the UTC hour, folded into -12 h..+12 h (a +13 h
    # zone reads as -11 h: every night of it shifts by one, which keeps their count).
    offset = (hour[night] * 3600.0 - t % _DAY_S + 12 * 3600.0) % _DAY_S - 12 * 3600.0
    night_id = np.floor((t + offset - 12 * 3600.0) / _DAY_S).astype(np.int64)
    pairs = np.unique(np.stack([group[night], night_id]), axis=1)
    return np.bincount(pairs[0], minlength=count).astype(np.int64)
