"""Legs: the least speed the evidence allows, flagged only when even that is impossible."""

from __future__ import annotations

import numpy as np
import pytest

from geotrace.analysis.legs import AIR_MS, ROAD_MS, legs
from geotrace.analysis.points import Points, haversine_m
from geotrace.geo import distance_m
from tests.analysis.trackkit import geolife_points, tracks_dir

KYIV = (50.4501, 30.5234)
KHARKIV = (49.9935, 36.2304)
VLADIVOSTOK = (43.1155, 131.8855)
HOUR = 3600.0


def two(a: tuple[float, float], b: tuple[float, float], dt: float, **kw: float) -> Points:
    return Points.build(lat=[a[0], b[0]], lon=[a[1], b[1]], t=[0.0, dt], **kw)


def test_a_fourteen_hour_window_makes_a_flight_possible() -> None:
    """Kyiv to Vladivostok (about 7,100 km) two hours apart: impossible for exact clocks,
    possible by air (and not by road) when each photo is only known within ±14 h."""
    km = distance_m(*KYIV, *VLADIVOSTOK) / 1000
    assert 7_000 < km < 7_500
    exact = legs(two(KYIV, VLADIVOSTOK, 2 * HOUR, u=1.0))
    assert exact.flag.tolist() == ["faster_than_air"]
    assert exact.min_speed_ms[0] == pytest.approx(km * 1000 / (2 * HOUR + 2))
    undated = legs(two(KYIV, VLADIVOSTOK, 2 * HOUR, u=14 * HOUR))
    assert undated.flag.tolist() == ["faster_than_road"]
    assert undated.min_speed_ms[0] == pytest.approx(km * 1000 / (30 * HOUR))
    # Kyiv to Kharkiv (about 410 km) in an hour: a plane with exact times, a car with ±14 h.
    assert legs(two(KYIV, KHARKIV, HOUR, u=1.0)).flag.tolist() == ["faster_than_road"]
    assert legs(two(KYIV, KHARKIV, HOUR, u=14 * HOUR)).flag.tolist() == [""]


def test_wide_discs_far_apart_are_not_a_jump() -> None:
    """Two 5 km discs 8 km apart a minute apart overlap: no distance has to be covered."""
    a = (50.0, 30.0)
    b = (50.0 + 8_000 / 111_195, 30.0)  # 8 km north (111,195 m per degree of latitude)
    wide = legs(two(a, b, 60.0, radius_m=5_000.0))
    assert wide.distance_m[0] == pytest.approx(8_000, rel=1e-3)
    assert wide.gap_m[0] == 0.0
    assert wide.min_speed_ms[0] == 0.0
    assert wide.flag.tolist() == [""]
    # The same places as 100 m discs: 7.8 km in a minute is 130 m/s, faster than a car.
    tight = legs(two(a, b, 60.0, radius_m=100.0))
    assert tight.gap_m[0] == pytest.approx(7_800, rel=1e-3)
    assert ROAD_MS < tight.min_speed_ms[0] < AIR_MS
    assert tight.flag.tolist() == ["faster_than_road"]


def test_equal_times_and_degenerate_tracks() -> None:
    same = legs(two(KYIV, KYIV, 0.0))
    assert (same.gap_m[0], same.dt_s[0], same.min_speed_ms[0]) == (0.0, 0.0, 0.0)
    assert same.flag.tolist() == [""]
    apart = legs(two(KYIV, KHARKIV, 0.0))  # two exact instants, two cities: nobody
    assert apart.min_speed_ms[0] == np.inf
    assert apart.flag.tolist() == ["faster_than_air"]
    assert legs(two(KYIV, KHARKIV, 0.0, u=HOUR)).min_speed_ms[0] < AIR_MS
    for n in (0, 1):
        empty = legs(Points.build(lat=[1.0] * n, lon=[2.0] * n, t=[0.0] * n))
        assert len(empty) == 0 and empty.flag.shape == (0,)


def test_every_leg_against_the_formula() -> None:
    """Random legs of every kind against the definition, computed pair by pair."""
    rng = np.random.default_rng(3)
    n = 500
    p = Points.build(
        lat=rng.uniform(44, 52, n),
        lon=rng.uniform(22, 40, n),
        t=rng.uniform(0, 30 * 86_400, n),
        radius_m=rng.choice([0.0, 50.0, 5_000.0, 50_000.0], n),
        u=rng.choice([0.0, 1.0, 3_600.0, 50_400.0], n),
    )
    got = legs(p)
    assert got.start.tolist() == list(range(n - 1))
    for i in range(n - 1):
        d = distance_m(p.lat[i], p.lon[i], p.lat[i + 1], p.lon[i + 1])
        gap = max(0.0, d - p.radius_m[i] - p.radius_m[i + 1])
        dt = p.t[i + 1] - p.t[i]
        speed = gap / (dt + p.u[i] + p.u[i + 1]) if gap else 0.0
        flag = (
            "faster_than_air" if speed > AIR_MS else "faster_than_road" if speed > ROAD_MS else ""
        )
        assert got.distance_m[i] == pytest.approx(d, rel=1e-9)
        assert got.gap_m[i] == pytest.approx(gap, rel=1e-9, abs=1e-6)
        assert got.dt_s[i] == pytest.approx(dt)
        assert got.min_speed_ms[i] == pytest.approx(speed, rel=1e-9, abs=1e-12)
        assert got.flag[i] == flag
    assert {"", "faster_than_road", "faster_than_air"} == set(got.flag.tolist())


@pytest.mark.parametrize("user", ["geolife_long/000", "geolife_long/001", "geolife/000"])
def test_geolife_flags_only_gps_spikes(user: str) -> None:
    """A real dense GPS track at a fix's honest 15 m: nothing a car could not do, except
    GeoLife's own glitches.  Each flagged leg (one in each of the two long users) was
    looked at: a fix or two 1.5-1.8 km off the track right after a gap in logging (a cold
    start), the track before and after it within 100 m of each other.  The test checks
    that shape for every flag, so a real fast leg would fail it."""
    points = geolife_points(tracks_dir() / user, radius_m=15.0)
    got = legs(points)
    assert not (got.flag == "faster_than_air").any()
    flagged = np.flatnonzero(got.flag != "")
    assert len(flagged) <= 1
    for i in flagged:
        assert any(_is_spike(points, k) for k in (i, i + 1)), i


def _is_spike(points: Points, k: int, reach_m: float = 300.0) -> bool:
    """Whether ``k`` is in a short excursion: its neighbours within ``reach_m`` of it form
    a run whose two sides are over 1 km from it and within 100 m of each other."""

    def dist(i: int, j: int) -> float:
        return float(
            haversine_m(points.lat[[i]], points.lon[[i]], points.lat[[j]], points.lon[[j]])[0]
        )

    lo, hi = k, k
    while lo > 0 and dist(lo - 1, k) < reach_m:
        lo -= 1
    while hi < len(points) - 1 and dist(hi + 1, k) < reach_m:
        hi += 1
    before, after = lo - 1, hi + 1
    if before < 0 or after >= len(points) or hi - lo > 3:
        return False
    return dist(before, k) > 1_000 and dist(after, k) > 1_000 and dist(before, after) < 100
