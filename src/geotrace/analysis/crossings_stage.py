"""The ``crossings`` stage: when each track left one country or region and entered another.

De jure and de facto are both followed (Crimea is UA de jure and RU de facto, so a trip
from Rostov to Simferopol crosses one border and not the other), and admin-1 regions; each
event has the window in which it happened, between the last sighting on one side and the
first on the other, and the border confidence of the weaker of the two
(:func:`geotrace.analysis.crossings.crossings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from geotrace.analysis.crossings import crossings
from geotrace.analysis.point_queries import Track
from geotrace.analysis.track_stage import TrackStage, Value, analysis_of, tables, utc_text

COLUMNS = (
    ("level", "TEXT"),
    ("left_code", "TEXT"),
    ("entered_code", "TEXT"),
    ("after_utc", "TEXT"),
    ("before_utc", "TEXT"),
    ("confidence", "TEXT"),
    ("last_sighting", "INTEGER"),
    ("first_sighting", "INTEGER"),
    ("last_post", "INTEGER"),
    ("first_post", "INTEGER"),
    ("last_lat", "REAL"),
    ("last_lon", "REAL"),
    ("first_lat", "REAL"),
    ("first_lon", "REAL"),
)


def track_crossings(track: Track, params: Mapping[str, Value]) -> list[tuple[Any, ...]]:
    """One row per change of country (de jure, de facto) or admin-1 region, in time order."""
    p = track.points
    rows = []
    for c in crossings(p):
        i, j = c.last_index, c.first_index
        rows.append(
            (
                c.level,
                c.left,
                c.entered,
                utc_text(c.after_utc),
                utc_text(c.before_utc),
                c.confidence,
                int(p.sighting[i]),
                int(p.sighting[j]),
                p.post_of(i),
                p.post_of(j),
                float(p.lat[i]),
                float(p.lon[i]),
                float(p.lat[j]),
                float(p.lon[j]),
            )
        )
    return rows


class Crossings(TrackStage):
    """Border and region crossings with their windows."""

    name = "crossings"
    version = "1"
    columns = COLUMNS
    defaults: ClassVar[dict[str, Value]] = {}
    migrations = tables(name, COLUMNS)
    compute = staticmethod(analysis_of(track_crossings))


STAGE = Crossings()
