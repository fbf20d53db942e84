"""GPS tracks in OziExplorer's PLT format, the one Microsoft's GeoLife data set uses.

A ``.plt`` holds six header lines (the first names the writer: ``Geolife trajectory`` or
``OziExplorer Track Point File Version 2.x``), then one fix a line:
``lat,lon,code,altitude_ft,days_since_1899-12-30,date,time``.  GeoLife documents its times
as GMT, so a GeoLife fix is pinned to UTC by the logger's own clock (basis ``gps_clock``);
OziExplorer writes the PC's clock with no zone, so an Ozi fix keeps its wall time
(``unknown_zone``) and says so.  Each fix becomes a post of kind ``track_point`` by the
track's owner: GeoLife's user folder (``000/Trajectory/x.plt``), else the file's name.
That is the shape the rest of the pipeline already reads (a table row with a point), so a
track joins a case's sightings like any geotagged post.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from geotrace.records import UNKNOWN_ZONE_WINDOW, Account, Geotag, Instant, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import checked_point

PLATFORM = "gps_track"
GEOLIFE = b"Geolife trajectory"
OZI = b"OziExplorer Track Point File"
#: Lines before the first fix, whatever their content (the format's fixed header).
HEADER_LINES = 6
#: A consumer GPS logger's fix under open sky is good to ~5 m (95 %); Beijing's streets,
#: where GeoLife was logged, spread it to 10-20 m: 15 m as the radius of one fix.
FIX_RADIUS_M = 15.0
#: The logger's clock is GPS time, written to the second.
FIX_UNCERTAINTY_S = 1.0
#: OziExplorer's day count starts here (Delphi's ``TDateTime`` epoch).
DELPHI_EPOCH = datetime(1899, 12, 30)
#: A fix per line is a few dozen bytes: a longer line is not a fix, and is not kept.
MAX_LINE = 4096


def sniff(name: str, head: bytes) -> bool:
    """A ``.plt`` whose first line names GeoLife or OziExplorer."""
    return name.lower().endswith(".plt") and head.lstrip(b"\xef\xbb\xbf").startswith((GEOLIFE, OZI))


def _owner(doc: ExportFile) -> tuple[str, str]:
    """(account id, track name): GeoLife keeps each user's tracks in ``<user>/Trajectory/``."""
    path = PurePosixPath(doc.name.rsplit("!/", 1)[-1].replace("\\", "/"))
    if path.parent.name.lower() == "trajectory" and path.parent.parent.name:
        return path.parent.parent.name, path.stem
    return path.stem, path.stem


def _wall(fields: list[str]) -> datetime:
    """The fix's wall time: the date and time columns when there, else the day count."""
    if len(fields) >= 7 and fields[5].strip() and fields[6].strip():
        return datetime.fromisoformat(f"{fields[5].strip()}T{fields[6].strip()}")
    days = float(fields[4])
    if not math.isfinite(days) or not 0 < days < 2_958_466:  # 1899 .. 9999
        raise ValueError(f"day count out of range: {fields[4]!r}")
    return DELPHI_EPOCH + timedelta(days=days)


def _fix(fields: list[str], utc: bool, source: str) -> tuple[Geotag, Instant] | str:
    """The fix's point and instant, or why the line is not a fix."""
    if len(fields) < 5:
        return f"{len(fields)} fields, a fix has at least 5 (lat, lon, code, altitude, days)"
    point = checked_point(fields[0].strip(), fields[1].strip())
    if isinstance(point, str):
        return point
    try:
        wall = _wall(fields)
    except (ValueError, OverflowError) as exc:
        return f"no time: {exc}"
    tag = Geotag(point[0], point[1], FIX_RADIUS_M, "track_point", "lat,lon")
    if utc:
        return tag, Instant(wall.replace(tzinfo=UTC), None, "gps_clock", FIX_UNCERTAINTY_S, source)
    return tag, Instant(None, wall, "unknown_zone", UNKNOWN_ZONE_WINDOW.total_seconds(), source)


def read(doc: ExportFile) -> Iterator[Record]:
    """Every fix of the track as a post with its point; a bad line is refused alone."""
    account_id, track = _owner(doc)
    owner = Account(PLATFORM, account_id, None, None)
    yield owner
    utc = True
    with doc.open() as stream:
        for number, line in enumerate(stream, start=1):
            if number == 1:
                utc = line.lstrip(b"\xef\xbb\xbf").startswith(GEOLIFE)
            if number <= HEADER_LINES or not line.strip():
                continue
            where = f"{doc.name}#line {number}"
            if len(line) > MAX_LINE:
                yield Refusal(where, "item_invalid", f"a line of {len(line)} bytes is no fix")
                continue
            fields = line.decode("utf-8", "replace").split(",")
            fix = _fix(fields, utc, "date,time" if len(fields) >= 7 else "days")
            if isinstance(fix, str):
                yield Refusal(where, "item_invalid", fix)
                continue
            tag, at = fix
            raw: dict[str, object] = {"fields": [f.strip() for f in fields]}
            yield Post(
                PLATFORM,
                f"{account_id}/{track}/{number}",
                "track_point",
                owner,
                at,
                "",
                raw,
                f"line {number}",
                geotags=(tag,),
            )


PLT = ExportReader(name="plt_track", version="1", suffixes=(".plt",), sniff=sniff, read=read)

READERS: tuple[ExportReader, ...] = (PLT,)
