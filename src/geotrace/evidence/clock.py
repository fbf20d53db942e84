"""Pin a capture time to UTC, and say on what basis (DESIGN.md, rule 3).

EXIF capture times are wall-clock times with no zone.  In order of trust: an offset the
camera wrote; the GPS receiver's clock (satellite time, independent of how the camera
was set), which also measures the camera clock's drift; the zone of the photo's own
location at that date; otherwise the zone is unknown and no UTC instant is invented.

The rule every :class:`Taken` keeps: whenever ``offset`` and ``utc`` are both known,
``local - offset == utc`` exactly.  With basis ``gps_clock`` that makes ``local`` the GPS
instant on the camera's zone, not the camera's reading; the camera's reading is
``local + clock_drift`` (its clock minus the GPS clock, seen on the same zone), so that
nothing the file says is lost and a consumer never has to choose between two instants.
With basis ``offset_tag``, ``local`` is the camera's reading and ``clock_drift`` (when
the file also has a GPS stamp) is how far its UTC lies from the GPS clock's.

A date can be a real calendar date and still have no instant: 9999-12-31 23:00 at UTC-05
is in the year 10000.  Such a capture time is refused with a problem naming it, and the
rest of the file (the GPS clock included) is still read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from geotrace.geo import format_offset, zone_at
from geotrace.records import UNKNOWN_ZONE_WINDOW, GpsFix, Problem, Taken

#: ASCII digits only: a date in other scripts' digits is not what EXIF or XMP writes.
_DATETIME = re.compile(
    r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$", re.ASCII)
MAX_OFFSET = timedelta(hours=14)
QUARTER_HOUR = timedelta(minutes=15)
#: A camera clock further than this from the GPS clock is reported as a problem.
DRIFT_WARNING = timedelta(minutes=2)


def parse_datetime(
    text: str | None, subsec: str | None = None
) -> tuple[datetime, timedelta | None] | None:
    """EXIF/XMP/QuickTime date-time text to (naive local time, offset if written)."""
    if not text:
        return None
    m = _DATETIME.match(text)
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        return None
    digits = (frac or "")[1:]
    if not digits and subsec:
        digits = subsec.strip()
    if digits.isascii() and digits.isdigit():  # "²" is a digit to isdigit, not to int
        local = local.replace(microsecond=int((digits + "000000")[:6]))
    offset = None
    if zone == "Z":
        offset = timedelta(0)
    elif zone:
        offset = parse_offset(zone)
    return local, offset


def parse_offset(text: str | None) -> timedelta | None:
    """ "+05:30" to a timedelta; None for anything that is not a real-world offset."""
    if not text:
        return None
    m = _OFFSET.match(text)
    if m is None:
        return None
    sign, hh, mm = m.groups()
    value = timedelta(hours=int(hh), minutes=int(mm))
    if value > MAX_OFFSET or int(mm) >= 60:
        return None
    return -value if sign == "-" else value


def resolve(
    local: datetime | None,
    offset: timedelta | None,
    source: str,
    fix: GpsFix | None,
    gps_utc: datetime | None,
    problems: list[Problem],
) -> Taken | None:
    """Choose the best basis available for one capture time.

    ``gps_utc`` is the GPS receiver's instant, None when absent or untrustworthy; ``fix``
    gives the location whose zone is the fallback.  A capture time whose instant falls
    outside the years 1-9999 is refused with a problem naming it, and the GPS instant
    alone (when there is one) stands in its place.
    """
    found: list[Problem] = []
    try:
        taken = _resolve(local, offset, source, fix, gps_utc, found)
    except OverflowError:
        written = f"{local}{format_offset(offset) if offset is not None else ''}"
        against = f" against the GPS instant {gps_utc}" if gps_utc is not None else ""
        problems.append(
            Problem(
                "datetime_out_of_range",
                f"{source or 'capture time'} {written!r}{against} has no instant within the "
                "years 1-9999: the capture time is refused",
            )
        )
        return _resolve(None, None, "", fix, gps_utc, problems)
    problems.extend(found)
    return taken


def _resolve(
    local: datetime | None,
    offset: timedelta | None,
    source: str,
    fix: GpsFix | None,
    gps_utc: datetime | None,
    problems: list[Problem],
) -> Taken | None:
    if local is None:
        if gps_utc is None:
            return None
        return Taken(None, gps_utc, None, "gps_clock", timedelta(0), "gps")
    if offset is not None:
        utc = (local - offset).replace(tzinfo=UTC)
        drift = _drift(utc, gps_utc)
        return Taken(local, utc, offset, "offset_tag", timedelta(0), source, drift)
    zone = zone_at(fix.lat, fix.lon) if fix is not None and fix.usable else None
    if gps_utc is not None:
        return _gps_clock(local, gps_utc, zone, source, problems)
    if zone is not None:
        return _from_zone(local, zone, source, problems)
    return Taken(local, None, None, "unknown_zone", UNKNOWN_ZONE_WINDOW, source)


def _gps_clock(
    local: datetime, gps_utc: datetime, zone: ZoneInfo | None, source: str, problems: list[Problem]
) -> Taken:
    """UTC from the GPS receiver; the camera's zone and drift measured against it.

    The offset is the one the camera clock was running on: the location's own zone when
    the camera is within the hour of it (the residue is drift), else the quarter-hour
    nearest to what the camera shows (a camera left on home time or on UTC).  ``local`` is
    the GPS instant on that zone, so that ``local - offset == utc``; the camera's reading
    minus it is the drift, which is also the uncertainty of the instant (a GPS stamp can
    be stale).  With no zone and a camera over 14 h from UTC there is no offset: ``local``
    stays the camera's reading and no drift is measured.
    """
    delta = local - gps_utc.replace(tzinfo=None)
    zone_offset = gps_utc.astimezone(zone).utcoffset() if zone is not None else None
    offset: timedelta | None
    if zone_offset is not None and abs(delta - zone_offset) < timedelta(hours=1):
        offset = zone_offset
    else:
        offset = _round_offset(delta)
        if offset is not None and zone_offset is not None:
            problems.append(
                Problem(
                    "camera_zone_mismatch",
                    f"camera clock runs on UTC{format_offset(offset)} but the zone at the "
                    f"photo's position is UTC{format_offset(zone_offset)}",
                )
            )
        offset = offset if offset is not None else zone_offset
    if offset is None:
        return Taken(local, gps_utc, None, "gps_clock", timedelta(seconds=1), source)
    drift = delta - offset
    if abs(drift) > DRIFT_WARNING:
        problems.append(
            Problem(
                "camera_clock_drift",
                f"camera clock is {_fmt(drift)} off the GPS clock; the GPS instant is used",
            )
        )
    on_zone = (gps_utc + offset).replace(tzinfo=None)
    uncertainty = max(abs(drift), timedelta(seconds=1))
    return Taken(on_zone, gps_utc, offset, "gps_clock", uncertainty, source, drift)


def _from_zone(local: datetime, zone: ZoneInfo, source: str, problems: list[Problem]) -> Taken:
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    off0, off1 = first.utcoffset(), second.utcoffset()
    assert off0 is not None and off1 is not None
    uncertainty = timedelta(0)
    if off0 != off1:
        # Inside a DST change the wall time is ambiguous (or never existed).
        uncertainty = abs(off0 - off1)
        problems.append(
            Problem("ambiguous_local_time", f"{local} falls in a DST change in {zone.key}")
        )
    utc = first.astimezone(UTC)
    return Taken(local, utc, off0, "location_timezone", uncertainty, source)


def _round_offset(delta: timedelta) -> timedelta | None:
    rounded = QUARTER_HOUR * round(delta / QUARTER_HOUR)
    return rounded if abs(rounded) <= MAX_OFFSET else None


def _drift(utc: datetime, gps_utc: datetime | None) -> timedelta | None:
    return utc - gps_utc if gps_utc is not None else None


def _fmt(delta: timedelta) -> str:
    sign = "-" if delta < timedelta(0) else "+"
    secs = abs(delta.total_seconds())
    return f"{sign}{int(secs // 3600)}h{int(secs % 3600 // 60):02d}m{secs % 60:04.1f}s"
