"""The ``stays`` stage: where each track stayed, and its bases (where it returns).

Stays follow trackintel's sliding staypoints on exact dense points and widen with each
sighting's radius (:func:`geotrace.analysis.stays.stays`); bases weigh the places a track
returns to by day and, where the local time is known, by night.  Parameters (distance,
duration, gap) are part of the answer's key, so ``stays --distance-m 50`` and the default
are both kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from geotrace.analysis.point_queries import Track
from geotrace.analysis.stays import bases, stays
from geotrace.analysis.track_stage import TrackStage, Value, analysis_of, tables, utc_text

COLUMNS = (
    ("kind", "TEXT"),
    ("lat", "REAL"),
    ("lon", "REAL"),
    ("radius_m", "REAL"),
    ("first_utc", "TEXT"),
    ("last_utc", "TEXT"),
    ("open", "INTEGER"),
    ("sightings", "INTEGER"),
    ("days", "INTEGER"),
    ("nights", "INTEGER"),
    ("weight", "REAL"),
    ("sighting_ids", "TEXT"),
    ("post_ids", "TEXT"),
)

#: trackintel's defaults (100 m, 5 min); the gap is the track's own (see stays.stays).
DEFAULTS: dict[str, Value] = {"distance_m": 100.0, "duration_s": 300.0, "gap_s": None}


def _evidence(track: Track, members: np.ndarray) -> tuple[int, str, str]:
    p = track.points
    posts = sorted({int(x) for x in p.post[members].tolist() if x >= 0})
    return len(members), json.dumps(p.sighting[members].tolist()), json.dumps(posts)


def track_stays(track: Track, params: Mapping[str, Value]) -> list[tuple[Any, ...]]:
    """The track's stays in time order, then its bases, best first."""
    p = track.points
    gap = params["gap_s"]
    distance, duration = float(params["distance_m"] or 0.0), float(params["duration_s"] or 0.0)
    found = stays(p, distance, duration, None if gap is None else float(gap))
    rows: list[tuple[Any, ...]] = []
    for s in found:
        members = np.arange(s.first, s.last + 1)
        count, ids, posts = _evidence(track, members)
        days = len(np.unique(p.t[members] // 86400))
        first, last = utc_text(s.first_utc), utc_text(s.last_utc)
        kept = (s.lat, s.lon, s.radius_m, first, last, int(s.open), count, days)
        rows.append(("stay", *kept, None, None, ids, posts))
    for b in bases(p, found, distance, duration):
        count, ids, posts = _evidence(track, np.asarray(b.members))
        first, last = utc_text(b.first_utc), utc_text(b.last_utc)
        kept = (b.lat, b.lon, b.radius_m, first, last, 0, count, b.days)
        rows.append(("base", *kept, b.nights, b.weight, ids, posts))
    return rows


class Stays(TrackStage):
    """Stays (consecutive sightings that can be one place) and bases."""

    name = "stays"
    version = "1"
    columns = COLUMNS
    defaults = DEFAULTS
    migrations = tables(name, COLUMNS)
    compute = staticmethod(analysis_of(track_stays))


STAGE = Stays()
