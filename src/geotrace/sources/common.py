"""What every export reader needs the same way: instants, checked coordinates, areas.

One implementation each, so that "a platform's UTC" or "a bounding box's radius" means the
same thing whichever platform said it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from geotrace.geo import distance_m, parse_iso
from geotrace.records import Geotag, Instant


def unix_instant(value: object, source: str) -> Instant | None:
    """A platform's Unix seconds (int, float or a string of digits) as an instant, or None
    when the value is absent or not a plausible time (before 1990, or not a number)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or not 631_152_000 <= seconds < 32_503_680_000:
        return None  # before 1990 or after 3000: a placeholder or garbage, not a post time
    utc = datetime.fromtimestamp(seconds, UTC)
    return Instant(utc, None, "platform_utc", 0.0, source)


def iso_instant(text: object, source: str) -> Instant | None:
    """An ISO 8601 time with a zone (``Z`` or an offset) as an instant; None when absent or
    when it has no zone (a wall time is not a platform UTC and must not pass for one)."""
    if not isinstance(text, str):
        return None
    try:
        parsed = parse_iso(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return Instant(parsed.astimezone(UTC), None, "platform_utc", 0.0, source)


def checked_point(lat: object, lon: object) -> tuple[float, float] | str:
    """(lat, lon) as floats, or why they are not a position: not numbers, out of range, or
    the (0, 0) placeholder several platforms write for "no position"."""
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"coordinates are not numbers: {lat!r}, {lon!r}"
    if not (math.isfinite(la) and math.isfinite(lo)):
        return f"coordinates are not finite: {lat!r}, {lon!r}"
    if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
        return f"coordinates out of range: lat {la}, lon {lo}"
    if la == 0.0 and lo == 0.0:
        return "coordinates are (0, 0), a placeholder for no position"
    return la, lo


def bbox_geotag(
    west: float, south: float, east: float, north: float, source: str, label: str | None
) -> Geotag | str:
    """A place's bounding box as a geotag: its centre, with the radius of the circle that
    holds the whole box (centre to corner), so that the true position is inside it.

    A box crossing the antimeridian (west > east) is centred across it.
    """
    for lat in (south, north):
        if not -90.0 <= lat <= 90.0:
            return f"bounding box latitude out of range: {lat}"
    if south > north:
        return f"bounding box south {south} is north of north {north}"
    width = (east - west) % 360.0 if west > east else east - west
    lon = west + width / 2.0
    if lon > 180.0:  # only a box across the antimeridian: wrapping others costs precision
        lon -= 360.0
    lat = (south + north) / 2.0
    radius = max(
        distance_m(lat, lon, c_lat, c_lon) for c_lat in (south, north) for c_lon in (west, east)
    )
    return Geotag(lat, lon, max(radius, 1.0), "place_bbox", source, label)
