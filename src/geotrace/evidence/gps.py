"""GPS positions from EXIF and XMP, refused rather than guessed when they are nonsense.

Every refusal is a problem with a reason: a zero denominator (Pillow silently yields NaN),
a missing hemisphere reference (the sign is unknowable), an out-of-range value, the (0, 0)
dummy many phones write before a fix, or coordinates stored as text.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from geotrace.evidence.clock import parse_datetime
from geotrace.evidence.tiff import Ifd
from geotrace.records import GpsFix, Problem

LAT_REF, LAT, LON_REF, LON, ALT_REF, ALT, TIME, DATE, H_ERROR = 1, 2, 3, 4, 5, 6, 7, 0x1D, 0x1F
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:/\d+)?")
_XMP_COORD = re.compile(
    r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEWnsew])\s*$"
)


def exif_fix(gps: Ifd, problems: list[Problem]) -> GpsFix | None:
    """The signed fix in an EXIF GPS directory, with altitude and stated accuracy.

    The GPS instant is read apart (``gps_instant``): a receiver can log time without a
    position, and the caller decides whether a dummy fix's clock can be trusted.
    """
    if LAT not in gps.entries and LON not in gps.entries:
        if gps.entries:
            problems.append(Problem("gps_no_position", "GPS directory holds no coordinates"))
        return None
    as_text = False
    lat = _coordinate(gps, LAT, "latitude", problems)
    lon = _coordinate(gps, LON, "longitude", problems)
    if lat is None or lon is None:
        return None
    if lat[1] or lon[1]:
        as_text = True
        problems.append(
            Problem("gps_as_text", "GPS coordinates are stored as text, not rationals: flagged")
        )
    signed = _apply_refs(lat[0], lon[0], gps.text(LAT_REF), gps.text(LON_REF), problems)
    if signed is None:
        return None
    return checked_fix(
        signed[0],
        signed[1],
        _altitude(gps, problems),
        "exif",
        radius_m=_h_error(gps),
        flagged=as_text,
        problems=problems,
    )


def checked_fix(
    lat: float,
    lon: float,
    alt: float | None,
    source: str,
    *,
    problems: list[Problem],
    utc: datetime | None = None,
    radius_m: float | None = None,
    flagged: bool = False,
) -> GpsFix | None:
    """Range checks shared by every source of coordinates.

    Impossible positions are kept, flagged, as the file states them (so that nothing is
    hidden from the user and the GPS time stamp beside them survives) but never used.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)):
        problems.append(
            Problem("gps_unreadable", f"{source} position {lat}, {lon} is not a number")
        )
        return None
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        problems.append(
            Problem(
                "gps_out_of_range",
                f"{source} position {lat}, {lon} is outside the globe: flagged, not used",
            )
        )
        flagged = True
    elif lat == 0.0 and lon == 0.0:
        problems.append(
            Problem("gps_null_island", f"{source} position is exactly 0, 0: a dummy, not a fix")
        )
        flagged = True
    return GpsFix(lat, lon, alt, source, utc, not flagged, radius_m)


def _coordinate(
    gps: Ifd, tag: int, what: str, problems: list[Problem]
) -> tuple[float, bool] | None:
    """Degrees from (d, m, s) rationals, or from text as some writers store it."""
    entry = gps.entries.get(tag)
    if entry is None:
        problems.append(Problem("gps_incomplete", f"GPS {what} is missing"))
        return None
    parts: list[float] = []
    rats = gps.rationals(tag)
    from_text = False
    if rats is not None:
        for num, den in rats[:3]:
            if den == 0:
                problems.append(
                    Problem("gps_zero_denominator", f"GPS {what} has a zero denominator ({num}/0)")
                )
                return None
        # Floats, not Fractions: 1e-15 relative error is far below any receiver's.
        parts = [num / den for num, den in rats[:3]]
    elif entry.type in (2, 7):
        from_text = True
        parts = _text_parts(gps.text(tag) or "")
    if not parts:
        problems.append(Problem("gps_unreadable", f"GPS {what} has no readable value"))
        return None
    value = (
        parts[0]
        + (parts[1] / 60 if len(parts) > 1 else 0)
        + (parts[2] / 3600 if len(parts) > 2 else 0)
    )
    return value, from_text


def _text_parts(text: str) -> list[float]:
    out = []
    for token in _NUMBER.findall(text)[:3]:
        num, _, den = token.partition("/")
        if den == "0":
            return []
        out.append(float(num) / (float(den) if den else 1.0))
    return out


def _apply_refs(
    lat: float, lon: float, lat_ref: str | None, lon_ref: str | None, problems: list[Problem]
) -> tuple[float, float] | None:
    lr = (lat_ref or "").strip().upper()[:1]
    gr = (lon_ref or "").strip().upper()[:1]
    if lr not in ("N", "S") or gr not in ("E", "W"):
        problems.append(
            Problem(
                "gps_ref_missing",
                f"hemisphere reference missing or invalid (lat {lat_ref!r}, lon {lon_ref!r}): "
                "the sign of the position is unknown",
            )
        )
        return None
    return (-lat if lr == "S" else lat), (-lon if gr == "W" else lon)


def _altitude(gps: Ifd, problems: list[Problem]) -> float | None:
    """Metres, signed by GPSAltitudeRef; a missing ref is EXIF's default, 0 (above sea
    level), which is also how exiftool prints the bare GPSAltitude.  A ref that is there
    but neither 0 nor 1 is no default: the sign is unknown and the altitude refused."""
    rats = gps.rationals(ALT)
    if not rats:
        return None
    num, den = rats[0]
    if den == 0:
        problems.append(Problem("gps_altitude_invalid", f"GPS altitude {num}/0 is undefined"))
        return None
    ref = gps.numbers(ALT_REF) if ALT_REF in gps.entries else [0]
    if not ref or ref[0] not in (0, 1):
        shown = ref[0] if ref else "(not a number)"
        problems.append(
            Problem(
                "gps_altitude_ref_invalid",
                f"GPS altitude reference {shown} is neither 0 (above) nor 1 (below sea level)",
            )
        )
        return None
    return (-1 if ref[0] == 1 else 1) * num / den


def _h_error(gps: Ifd) -> float | None:
    rats = gps.rationals(H_ERROR)
    if not rats or rats[0][1] == 0:
        return None
    return rats[0][0] / rats[0][1]


def gps_instant(gps: Ifd, problems: list[Problem]) -> datetime | None:
    """GPSDateStamp + GPSTimeStamp as an aware UTC instant (exact to the microsecond)."""
    date = gps.text(DATE)
    rats = gps.rationals(TIME)
    if not rats or len(rats) < 3:
        return None
    if any(den == 0 for _, den in rats[:3]):
        problems.append(Problem("gps_time_invalid", "GPS time stamp has a zero denominator"))
        return None
    if not date:
        problems.append(
            Problem("gps_time_without_date", "GPS time stamp has no date stamp: not an instant")
        )
        return None
    m = re.match(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})\s*$", date)
    if m is None:
        problems.append(Problem("gps_date_invalid", f"GPS date stamp {date!r} is not a date"))
        return None
    secs = sum(
        (Fraction(n, d) * f for (n, d), f in zip(rats[:3], (3600, 60, 1), strict=True)),
        Fraction(0),
    )
    try:
        day = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        problems.append(Problem("gps_date_invalid", f"GPS date stamp {date!r} is not a date"))
        return None
    try:
        return day + timedelta(microseconds=round(secs * 1_000_000))
    except OverflowError:  # 2**32 hours is 490,000 years: no datetime holds it
        problems.append(
            Problem(
                "gps_time_invalid",
                f"GPS time stamp of {float(secs):.0f} s on {date.strip()} is past the year 9999",
            )
        )
        return None


def xmp_fix(props: dict[str, str], problems: list[Problem]) -> GpsFix | None:
    """exif:GPSLatitude "DD,MM.mmN" / "DD,MM,SSN" (or decimal) forms from an XMP packet."""
    lat_t, lon_t = props.get("exif:GPSLatitude"), props.get("exif:GPSLongitude")
    if not lat_t or not lon_t:
        return None
    lat, lon = _xmp_coord(lat_t, "NS"), _xmp_coord(lon_t, "EW")
    if lat is None or lon is None:
        problems.append(
            Problem("xmp_gps_unreadable", f"XMP GPS {lat_t!r}, {lon_t!r} is not a coordinate")
        )
        return None
    alt = None
    alt_t = props.get("exif:GPSAltitude")
    if alt_t:
        parts = _text_parts(alt_t)
        if parts:
            alt = float(parts[0]) * (
                -1 if props.get("exif:GPSAltitudeRef", "").strip() == "1" else 1
            )
    return checked_fix(lat, lon, alt, "xmp", problems=problems)


def xmp_instant(props: dict[str, str], problems: list[Problem]) -> datetime | None:
    """XMP's exif:GPSTimeStamp is a full date-time (exiftool calls it GPSDateTime)."""
    text = props.get("exif:GPSTimeStamp") or props.get("exif:GPSDateTime")
    parsed = parse_datetime(text)
    if parsed is None:
        return None
    local, off = parsed
    try:
        return (local - (off or timedelta(0))).replace(tzinfo=UTC)
    except OverflowError:
        problems.append(
            Problem("gps_time_invalid", f"XMP GPS time {text!r} is outside the years 1-9999")
        )
        return None


def _xmp_coord(text: str, refs: str) -> float | None:
    m = _XMP_COORD.match(text)
    if m is None:
        try:
            return float(text)  # some writers put signed decimal degrees
        except ValueError:
            return None
    d, mi, s, ref = m.groups()
    value = float(d) + float(mi or 0) / 60 + float(s or 0) / 3600
    if ref.upper() not in refs:
        return None
    return -value if ref.upper() in "SW" else value
