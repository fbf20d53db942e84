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
from geotrace.analysis.track_stage import TrackStage, Value, analysis_of, tables, utc_texts

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


def _witnesses(track: Track) -> list[str]:
    """Each point's witness as ``platform:account_id`` ('' for nobody's file)."""
    return [
        f"{platform}:{account_id}" if platform else "" for platform, account_id in track.witness
    ]


def track_legs(track: Track, params: Mapping[str, Value]) -> list[tuple[Any, ...]]:
    """One row per leg of the track, built column by column (a dense GPS track has a
    leg per fix)."""
    p = track.points
    found = legs(p)
    i = found.start
    j = i + 1
    posts = [None if x < 0 else x for x in p.post.tolist()]
    when = utc_texts(p.t)
    witness = _witnesses(track)
    speed = found.min_speed_ms * 3.6
    columns = (
        p.sighting[i].tolist(),
        p.sighting[j].tolist(),
        [posts[k] for k in i.tolist()],
        [posts[k] for k in j.tolist()],
        [when[k] for k in i.tolist()],
        [when[k] for k in j.tolist()],
        p.u[i].tolist(),
        p.u[j].tolist(),
        p.lat[i].tolist(),
        p.lon[i].tolist(),
        p.radius_m[i].tolist(),
        p.lat[j].tolist(),
        p.lon[j].tolist(),
        p.radius_m[j].tolist(),
        found.distance_m.tolist(),
        found.gap_m.tolist(),
        found.dt_s.tolist(),
        [None if v == float("inf") else v for v in speed.tolist()],
        found.flag.tolist(),
        [witness[k] for k in i.tolist()],
        [witness[k] for k in j.tolist()],
    )
    return list(zip(*columns, strict=True))


class Tracks(TrackStage):
    """Legs between consecutive sightings, with impossible ones flagged."""

    name = "tracks"
    version = "1"
    columns = COLUMNS
    defaults: ClassVar[dict[str, Value]] = {}
    migrations = tables(name, COLUMNS)
    compute = staticmethod(analysis_of(track_legs))


STAGE = Tracks()
