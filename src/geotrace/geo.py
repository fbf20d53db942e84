"""Geometry and time helpers every layer shares, each defined once.

Nothing here knows about cases, stages or platforms, so any module may import it; two copies
of a radius or a parser drift apart, and then two answers for one place or instant differ.
No NumPy: the command line's ``--help`` imports this (through the clock) and must stay light;
the per-array forms live with their callers' data (:mod:`geotrace.geodata`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzfpy import get_tz

#: Mean Earth radius (IUGG R1), for every distance on the sphere.
EARTH_RADIUS_KM = 6371.0088
EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000.0

#: Units of a duration as people read one, largest first.
_UNITS = (("d", 86_400), ("h", 3_600), ("min", 60))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): callers compare a handful of points, where
    ``math`` beats building arrays."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def parse_iso(text: str) -> datetime:
    """ISO 8601 text as platforms and the case write it, ``Z`` read as UTC; a zoneless text
    gives a naive datetime (a wall time, which callers must not take for UTC).  Raises
    ``ValueError`` for text that is not ISO 8601."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_or_none(text: str | None) -> datetime | None:
    """``parse_iso`` for a column that may be empty: None for no text, bad text still raises."""
    return parse_iso(text) if text else None


def epoch(at_utc: object) -> int | None:
    """An ISO 8601 instant as whole seconds since 1970 (None: none, or not an instant)."""
    if not at_utc:
        return None
    try:
        return round(parse_iso(str(at_utc)).timestamp())
    except ValueError:
        return None


def format_offset(offset: timedelta) -> str:
    """timedelta to "+HH:MM", as OffsetTimeOriginal writes it."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return f"{sign}{hh:02d}:{mm:02d}"


def format_duration(seconds: float, *, exact: bool = False) -> str:
    """A span read at a glance, in the largest unit it reaches: "1.5 h", "-2.0 d", "45 s".

    The terminal rounds to one decimal and goes up to days; ``exact`` (the report's
    uncertainties, "14 h", "1.25 h") keeps the digits that matter and stops at hours.
    """
    units = _UNITS[1:] if exact else _UNITS
    size_s = abs(seconds)
    for unit, size in units:
        if size_s >= size:
            return f"{'-' if seconds < 0 else ''}{size_s / size:{'g' if exact else '.1f'}} {unit}"
    return f"{seconds:{'g' if exact else '.0f'}} s"


def zone_name(lat: float, lon: float) -> str:
    """The IANA zone name of a point ("" where tzfpy has none), from tzfpy's polygons shipped
    inside its wheel (offline); tzfpy takes longitude first, which this spares callers."""
    name: str = get_tz(lon, lat)
    return name


def zone_at(lat: float, lon: float) -> ZoneInfo | None:
    """The IANA zone of a point.

    tzfpy answers in ~1.3 µs once its index is loaded; loading it takes ~0.1 s, on the
    first call (``load_zones`` does it up front, e.g. before forking workers).
    """
    name = zone_name(lat, lon)
    return zone(name) if name else None


def load_zones() -> None:
    """Load the time-zone index now, so that forked workers share it instead of each
    loading its own copy."""
    get_tz(0.0, 0.0)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    """ZoneInfo keeps only a few zones strongly cached; re-reading tzdata costs 80 µs."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
