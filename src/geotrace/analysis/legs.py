"""Legs between a track's consecutive sightings, and the ones no vehicle could have made.

A jump between two sightings is evidence only when even the most forgiving reading of
them is impossible: the person stood at the near edges of both discs and had the whole
of both time windows to travel.  So a leg's speed is the *minimum* consistent with the
evidence, ``max(0, d - r_i - r_j) / (|t_j - t_i| + u_i + u_j)``: two wide circles far
apart, or two undated photos, are never flagged for being far apart; two GPS fixes a
second apart on different continents are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geotrace.analysis.points import F64, Points, haversine_m

#: Fastest average a person can keep over a leg by road, in m/s: 200 km/h.  Above every
#: posted speed limit (Europe's highest outside the unlimited Autobahn is 150 km/h) and
#: above what unlimited Autobahn traffic averages, so a flag says "not by car" even for a
#: fast driver.  High-speed rail (Sapsan, Moscow-St Petersburg, 250 km/h top, about
#: 170 km/h average) stays under it; a flag means a plane, or an error in the evidence.
ROAD_MS = 200 / 3.6
#: Fastest ground speed of any passenger flight, in m/s: 1,400 km/h.  Airliners cruise at
#: about 900 km/h through the air; the strongest jet streams add up to about 400 km/h (the
#: subsonic ground-speed records, about 1,300 km/h, were transatlantic flights with a
#: storm behind them).  A leg faster than this, at its most forgiving, was not travelled
#: by a person: the evidence (a place, a time or an identity) is wrong.
AIR_MS = 1400 / 3.6

FASTER_THAN_ROAD = "faster_than_road"
FASTER_THAN_AIR = "faster_than_air"


@dataclass(frozen=True, slots=True)
class Legs:
    """One entry per consecutive pair (i, i + 1) of a track's points, in time order.

    ``gap_m`` is the least distance the person must have covered (the discs' edges apart,
    0 when they touch), ``min_speed_ms`` the least speed that covers it in the most time
    the two windows allow: 0 when the discs touch, infinite when they do not and both
    instants are exact and equal.  ``flag`` is '', ``faster_than_road`` or
    ``faster_than_air``.
    """

    start: npt.NDArray[np.intp]
    distance_m: F64
    gap_m: F64
    dt_s: F64
    min_speed_ms: F64
    flag: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.start.shape[0])


def legs(points: Points, road_ms: float = ROAD_MS, air_ms: float = AIR_MS) -> Legs:
    """Every leg of ``points`` (one track, sorted by time) with the least speed it needs."""
    n = max(len(points) - 1, 0)
    start = np.arange(n, dtype=np.intp)
    a, b = slice(0, n), slice(1, n + 1)
    distance = haversine_m(points.lat[a], points.lon[a], points.lat[b], points.lon[b])
    gap = np.maximum(0.0, distance - points.radius_m[a] - points.radius_m[b])
    dt = np.abs(points.t[b] - points.t[a])
    most_time = dt + points.u[a] + points.u[b]
    speed = np.zeros(n, dtype=np.float64)
    moved = gap > 0
    np.divide(gap, most_time, out=speed, where=moved & (most_time > 0))
    speed[moved & (most_time <= 0)] = np.inf
    flag = np.where(
        speed > air_ms, FASTER_THAN_AIR, np.where(speed > road_ms, FASTER_THAN_ROAD, "")
    ).astype(f"<U{len(FASTER_THAN_ROAD)}")
    return Legs(start, distance, gap, dt, speed, flag)
