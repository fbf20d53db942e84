"""Who was together: exact against brute force on real GeoLife tracks and random mixes, and
the checkpoint case by hand."""

from __future__ import annotations

import numpy as np
import pytest

from geotrace.analysis import together
from geotrace.analysis.points import Points, haversine_m
from tests.analysis.trackkit import geolife_points, tracks_dir

DAY = 86400.0


def brute_force(
    tracks: list[Points], space_margin_m: float, time_margin_s: float
) -> set[tuple[int, int, int, int]]:
    """Every pair of points of two different tracks passing the test, by looking at all of
    them (blocks of rows against whole tracks, so memory stays small)."""
    pairs: set[tuple[int, int, int, int]] = set()
    for ta, a in enumerate(tracks):
        for tb in range(ta + 1, len(tracks)):
            b = tracks[tb]
            for lo in range(0, len(a), 256):
                i = np.arange(lo, min(lo + 256, len(a)))[:, None]
                j = np.arange(len(b))[None, :]
                d = haversine_m(a.lat[i], a.lon[i], b.lat[j], b.lon[j])
                ok = (d <= a.radius_m[i] + b.radius_m[j] + space_margin_m) & (
                    np.abs(a.t[i] - b.t[j]) <= a.u[i] + b.u[j] + time_margin_s
                )
                for x, y in zip(*np.nonzero(ok), strict=True):
                    pairs.add((ta, tb, int(i[x, 0]), int(j[0, y])))
    return pairs


def as_set(found: together.Encounters) -> set[tuple[int, int, int, int]]:
    rows = zip(found.track_a, found.track_b, found.index_a, found.index_b, strict=True)
    out = {(int(a), int(b), int(i), int(j)) for a, b, i, j in rows}
    assert len(out) == len(found), "a pair came back twice"
    return out


def check_found(found: together.Encounters, tracks: list[Points]) -> None:
    """The returned fields agree with the points they name, and the order is the promised one."""
    a = [tracks[k] for k in found.track_a]
    b = [tracks[k] for k in found.track_b]
    ta = np.array([p.t[i] for p, i in zip(a, found.index_a, strict=True)])
    tb = np.array([p.t[i] for p, i in zip(b, found.index_b, strict=True)])
    assert np.array_equal(found.t_a, ta) and np.array_equal(found.t_b, tb)
    assert np.allclose(found.dt_s, np.abs(ta - tb))
    assert np.all(found.track_a < found.track_b)
    assert np.all((found.score >= 0) & (found.score <= 1))
    key = np.lexsort(
        (found.index_b, found.index_a, (found.t_a + found.t_b) / 2, found.track_b, found.track_a)
    )
    assert np.array_equal(key, np.arange(len(found)))


def geolife_pair(radius_m: float, u: float, moved: bool) -> list[Points]:
    """GeoLife users 000 and 001 as they are, or with 001 moved in time and space so that
    the middle of its track lies on the middle of 000's (other parts of the tracks meet)."""
    root = tracks_dir() / "geolife_long"
    a = geolife_points(root / "000", radius_m=radius_m, u=u)
    b = geolife_points(root / "001", radius_m=radius_m, u=u)
    if moved:
        i, j = len(a) // 2, len(b) // 2
        b = Points.build(
            t=b.t + (a.t[i] - b.t[j]),
            lat=b.lat + (a.lat[i] - b.lat[j]),
            lon=b.lon + (a.lon[i] - b.lon[j]),
            radius_m=b.radius_m,
            u=b.u,
        )
    return [a, b]


@pytest.mark.parametrize(
    ("radius_m", "u", "space", "time", "moved"),
    [
        (0.0, 0.0, 200.0, 1800.0, False),  # exact points, the default margins, as they are
        (15.0, 1.0, 200.0, 1800.0, False),
        (2000.0, 3600.0, 200.0, 1800.0, False),
        (0.0, 0.0, 0.0, 0.0, True),  # exact, no margins: only coincidences (the moved pair)
        (15.0, 1.0, 50.0, 60.0, True),
        (2000.0, 3600.0, 0.0, 0.0, True),
    ],
)
def test_geolife_against_brute_force(
    radius_m: float, u: float, space: float, time: float, moved: bool
) -> None:
    tracks = geolife_pair(radius_m, u, moved)
    # The two users overlap in time (both log on 2008-10-23 and -24 in Beijing), so there
    # is something to find as they are; moved, other parts of the tracks meet.
    assert tracks[0].t.max() > tracks[1].t.min() and tracks[1].t.max() > tracks[0].t.min()
    found = together.encounters(tracks, space, time)
    truth = brute_force(tracks, space, time)
    assert as_set(found) == truth
    check_found(found, tracks)
    assert len(truth) > 0  # the case is not vacuous


PLANS = pytest.mark.parametrize("plan", ["chosen", "split", "whole"])


def force(plan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of keeping pairs within one track out (split tracks by bits, or search
    whole classes and drop them) must give the same, exact answer."""
    cost = {"chosen": together._PAIR_COST_PER_POINT, "split": 0.0, "whole": float("inf")}
    monkeypatch.setattr(together, "_PAIR_COST_PER_POINT", cost[plan])


@PLANS
def test_dense_tracks_agree_with_brute_force(plan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several copies of a real dense track, moved a little: hundreds of same-track pairs
    per point within 30 min, none of which may come back, and every cross pair once."""
    force(plan, monkeypatch)
    root = tracks_dir() / "geolife_long"
    base = geolife_points(root / "000", radius_m=10.0, u=2.0)
    keep = base.t < base.t[0] + 4 * 3600  # the first hours, to keep the oracle quick
    base = base.take(keep)
    rng = np.random.default_rng(3)
    tracks = [
        Points.build(
            t=base.t + rng.uniform(-600, 600),
            lat=base.lat + rng.uniform(-0.002, 0.002),
            lon=base.lon + rng.uniform(-0.002, 0.002),
            radius_m=10.0,
            u=2.0,
        )
        for _ in range(5)
    ]
    found = together.encounters(tracks)
    assert as_set(found) == brute_force(tracks, together.SPACE_MARGIN_M, together.TIME_MARGIN_S)
    check_found(found, tracks)


def random_tracks(rng: np.random.Generator, count: int) -> list[Points]:
    """Mixed material: GPS-like fixes, precise photos, city-wide and oblast-wide sightings,
    windows of seconds to 14 h, all in one region and one week so that many pairs meet."""
    tracks = []
    for _ in range(count):
        n = int(rng.integers(0, 60))
        kind = rng.integers(0, 4, n)
        radius = np.choose(
            kind,
            [
                rng.uniform(0, 30, n),
                rng.uniform(30, 500, n),
                rng.uniform(500, 20_000, n),
                rng.uniform(20_000, 200_000, n),
            ],
        )
        u = np.choose(
            rng.integers(0, 4, n),
            [
                np.zeros(n),
                rng.uniform(0, 120, n),
                rng.uniform(120, 7200, n),
                np.full(n, 14 * 3600.0),
            ],
        )
        tracks.append(
            Points.build(
                t=1.6e9 + rng.uniform(0, 7 * DAY, n),
                lat=48.0 + rng.normal(0, 0.05, n) + rng.integers(0, 3, n) * 0.5,
                lon=37.5 + rng.normal(0, 0.05, n),
                radius_m=radius,
                u=u,
            )
        )
    return tracks


@PLANS
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mix_against_brute_force(
    seed: int, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    force(plan, monkeypatch)
    rng = np.random.default_rng(seed)
    tracks = random_tracks(rng, 12)
    for space, time in [(together.SPACE_MARGIN_M, together.TIME_MARGIN_S), (0.0, 0.0)]:
        found = together.encounters(tracks, space, time)
        truth = brute_force(tracks, space, time)
        assert as_set(found) == truth
        assert len(truth) > 50
        check_found(found, tracks)


def checkpoint(t_b: float, radius_m: float = 50.0, u: float = 60.0) -> list[Points]:
    """Two accounts at a checkpoint near Kupiansk: account A posts there at noon (and earlier
    elsewhere), account B 80 m away 20 minutes later, then both go elsewhere."""
    noon = 1.7e9
    a = Points.build(
        t=[noon - DAY, noon, noon + DAY],
        lat=[50.45, 49.7100, 49.0],
        lon=[30.52, 37.6200, 36.2],
        radius_m=radius_m,
        u=u,
        sighting=[11, 12, 13],
    )
    b = Points.build(
        t=[noon - 2 * DAY, t_b, noon + 3 * DAY],
        lat=[55.75, 49.7100 + 80 / 111_195, 47.1],
        lon=[37.62, 37.6200, 33.5],
        radius_m=radius_m,
        u=u,
        sighting=[21, 22, 23],
    )
    return [a, b]


def test_two_accounts_at_one_checkpoint() -> None:
    tracks = checkpoint(1.7e9 + 20 * 60)
    found = together.encounters(tracks)
    assert len(found) == 1
    (m,) = together.meetings(found)
    assert (m.track_a, m.track_b) == (0, 1)
    assert tracks[0].sighting[m.index_a] == 12 and tracks[1].sighting[m.index_b] == 22
    assert m.at_a == 1.7e9 and m.at_b == 1.7e9 + 20 * 60
    assert abs(m.distance_m - 80.0) < 0.5
    assert m.score > 0.99  # two 50 m discs 80 m apart, 20 min: together beyond doubt
    assert together.co_travel(tracks, 0, 1) == pytest.approx(m.score / 3)
    assert together.co_travel(tracks, 0, 1, found) == pytest.approx(m.score / 3)


def test_same_place_three_days_apart_is_no_meeting() -> None:
    found = together.encounters(checkpoint(1.7e9 + 3 * DAY))
    assert len(found) == 0 and together.meetings(found) == []


def test_wide_discs_barely_touching_score_lower() -> None:
    """Discs whose reach just covers the distance say little; tight ones close by say much."""

    def one(radius_m: float, d_m: float, u: float, dt: float) -> float:
        a = Points.build(t=[0.0], lat=[49.0], lon=[37.0], radius_m=radius_m, u=u)
        b = Points.build(t=[dt], lat=[49.0 + d_m / 111_195], lon=[37.0], radius_m=radius_m, u=u)
        found = together.encounters([a, b])
        assert len(found) == 1
        return float(found.score[0])

    tight = one(20.0, 50.0, 60.0, 300.0)
    barely = one(5_000.0, 10_150.0, 60.0, 300.0)
    concentric_wide = one(5_000.0, 0.0, 60.0, 300.0)
    late = one(20.0, 50.0, 14 * 3600.0, 27 * 3600.0)
    assert tight > 0.99
    # Wide discs say little even when concentric: two uniform 5 km discs on one centre are
    # within 200 m of each other with chance ~ pi S^2 / (pi R^2) = (200/5000)^2 = 0.0016.
    assert concentric_wide == pytest.approx((200 / 5000) ** 2, rel=0.1)
    assert barely < concentric_wide
    assert late < 0.01  # windows that barely touch


def test_meetings_merge_runs_and_pick_best_evidence() -> None:
    """A shared ride (a fix every minute for an hour), then a second meeting two days later:
    two meetings, each with its closest pair."""
    t = 1.7e9 + np.arange(60) * 60.0
    lat = 49.0 + np.arange(60) * 0.001
    a = Points.build(t=np.r_[t, t[0] + 2 * DAY], lat=np.r_[lat, 50.0], lon=37.0, radius_m=10.0)
    off = np.where(np.arange(60) == 25, 0.0, 100 / 111_195)
    b = Points.build(
        t=np.r_[t + 5, t[0] + 2 * DAY + 600], lat=np.r_[lat + off, 50.0], lon=37.0, radius_m=10.0
    )
    found = together.encounters([a, b])
    first, second = together.meetings(found)
    assert (first.first, second.last) == (0, len(found) - 1)
    assert first.last + 1 == second.first
    assert (first.index_a, first.index_b) == (25, 25) and first.distance_m < 1.0
    assert (second.index_a, second.index_b) == (60, 60)
    assert first.begin_t == t[0] and first.end_t >= t[-1]
    shares = together.co_travel_all([a, b], found)
    assert shares.accompanied_a[0] == 61 and shares.accompanied_b[0] == 61
    assert len(together.meetings(found, merge_s=3 * DAY)) == 1  # a longer merge joins them
