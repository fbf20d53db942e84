"""The ``tracks`` stage: every track's legs, each with the least speed it needs.

A leg joins two consecutive sightings of one account (or subject's witnesses) in time
order; its minimum speed allows for both radii and both time windows
(:func:`geotrace.analysis.legs.legs`), so a leg is flagged only when even that speed is
impossible by road or by air.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from geotrace.analysis.legs import legs
from geotrace.analysis.point_queries import Track
from geotrace.analysis.track_stage import TrackStage, Value, analysis_of, tables, utc_text

COLUMNS = (
    ("from_sighting", "INTEGER"),
    ("to_sighting", "INTEGER"),
    ("from_post", "INTEGER"),
    ("to_post", "INTEGER"),
    ("from_utc", "TEXT"),
    ("to_utc", "TEXT"),
    ("from_uncertainty_s", "REAL"),
    ("to_uncertainty_s", "REAL"),
    ("from_lat", "REAL"),
    ("from_lon", "REAL"),
    ("from_radius_m", "REAL"),
    ("to_lat", "REAL"),
    ("to_lon", "REAL"),
    ("to_radius_m", "REAL"),
    ("distance_m", "REAL"),
    ("gap_m", "REAL"),
    ("dt_s", "REAL"),
    ("min_speed_kmh", "REAL"),
    ("flag", "TEXT"),
    ("from_witness", "TEXT"),
    ("to_witness", "TEXT"),
)


def _witness(track: Track, i: int) -> str:
    platform, account_id = track.witness[i]
    return f"{platform}:{account_id}" if platform else ""


def track_legs(track: Track, params: Mapping[str, Value]) -> list[tuple[Any, ...]]:
    """One row per leg of the track."""
    p = track.points
    found = legs(p)
    rows = []
    for k, i in enumerate(found.start.tolist()):
        j = i + 1
        speed = float(found.min_speed_ms[k]) * 3.6
        rows.append(
            (
                int(p.sighting[i]),
                int(p.sighting[j]),
                p.post_of(i),
                p.post_of(j),
                utc_text(p.t[i]),
                utc_text(p.t[j]),
                float(p.u[i]),
                float(p.u[j]),
                float(p.lat[i]),
                float(p.lon[i]),
                float(p.radius_m[i]),
                float(p.lat[j]),
                float(p.lon[j]),
                float(p.radius_m[j]),
                float(found.distance_m[k]),
                float(found.gap_m[k]),
                float(found.dt_s[k]),
                speed if speed != float("inf") else None,
                str(found.flag[k]),
                _witness(track, i),
                _witness(track, j),
            )
        )
    return rows


class Tracks(TrackStage):
    """Legs between consecutive sightings, with impossible ones flagged."""

    name = "tracks"
    version = "1"
    columns = COLUMNS
    defaults: ClassVar[dict[str, Value]] = {}
    migrations = tables(name, COLUMNS)
    compute = staticmethod(analysis_of(track_legs))


STAGE = Tracks()
