"""One track's sightings as arrays: what every analysis of people's movements reads.

A sighting is not a GPS fix: it is "somewhere within ``radius_m`` of (lat, lon), sometime
within ``u`` seconds of ``t``".  Every analysis of movement (legs, stays, crossings,
meetings) takes that uncertainty as part of the point, so the arrays carry it beside the
position, and the ids of the sightings and posts they came from, so that every result
names its evidence.  Pure data: no case, no SQL (the case's queries are in
:mod:`geotrace.analysis.point_queries`), so that the analyses are pure functions that run
anywhere the runner sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from geotrace.geo import EARTH_RADIUS_M

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Text = npt.NDArray[np.str_]

#: A local time counts as known (for "night") when the instant is this sure: the brief's
#: "within ~2 h".
LOCAL_TIME_KNOWN_S = 2 * 3600.0


@dataclass(frozen=True, slots=True)
class Points:
    """One track's sightings, sorted by ``t`` (then by sighting id), all arrays of one length.

    ``t`` is the centre of the time window in seconds since 1970 UTC and ``u`` its
    half-width (a GPS clock: 1 s; a photo with no zone: 14 h).  ``local_hour`` is the hour
    of the day (0-24, fractional) at the sighting's place, NaN where the local time is not
    known within :data:`LOCAL_TIME_KNOWN_S`.  Countries are ISO 3166-1 alpha-2 codes, ''
    where unknown; ``border_confidence`` is the places stage's word (high, medium, low).
    """

    sighting: I64
    post: I64  # posts.id, -1 for a sighting of a file with no post
    lat: F64
    lon: F64
    radius_m: F64
    t: F64
    u: F64
    local_hour: F64
    confidence: F64
    country_de_jure: Text
    country_de_facto: Text
    admin1: Text
    border_confidence: Text

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def post_of(self, i: int) -> int | None:
        """The post row id of point ``i``, None for a sighting of a file no post carries."""
        post = int(self.post[i])
        return None if post < 0 else post

    def take(self, index: npt.NDArray[np.intp] | Flags | slice) -> Points:
        """The points at ``index`` (an index array, a mask or a slice), in that order."""
        return Points(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def build(
        cls,
        *,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        t: npt.ArrayLike,
        radius_m: npt.ArrayLike = 0.0,
        u: npt.ArrayLike = 0.0,
        sighting: npt.ArrayLike | None = None,
        post: npt.ArrayLike | None = None,
        local_hour: npt.ArrayLike = np.nan,
        confidence: npt.ArrayLike = 1.0,
        country_de_jure: npt.ArrayLike = "",
        country_de_facto: npt.ArrayLike = "",
        admin1: npt.ArrayLike = "",
        border_confidence: npt.ArrayLike = "",
    ) -> Points:
        """Points from columns (scalars broadcast), sorted by time: the one way to make them,
        for the case's queries, tests and benches alike."""
        times = np.asarray(t, dtype=np.float64)
        n = times.shape[0]

        def column(value: npt.ArrayLike, dtype: type) -> Any:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        ids = np.arange(n, dtype=np.int64) if sighting is None else column(sighting, np.int64)
        order = np.lexsort((ids, times))
        return cls(
            sighting=ids[order],
            post=column(-1 if post is None else post, np.int64)[order],
            lat=column(lat, np.float64)[order],
            lon=column(lon, np.float64)[order],
            radius_m=column(radius_m, np.float64)[order],
            t=times[order],
            u=column(u, np.float64)[order],
            local_hour=column(local_hour, np.float64)[order],
            confidence=column(confidence, np.float64)[order],
            country_de_jure=column(country_de_jure, np.str_)[order],
            country_de_facto=column(country_de_facto, np.str_)[order],
            admin1=column(admin1, np.str_)[order],
            border_confidence=column(border_confidence, np.str_)[order],
        )


def haversine_m(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> F64:
    """Great-circle distance in metres, element by element (the per-array form of
    :func:`geotrace.geo.distance_m`, same radius)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a))), dtype=np.float64)
