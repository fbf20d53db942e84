"""Tables of posts from research tools: 4CAT's CSV and flat NDJSON rows, or any CSV with a
column mapping the user gives.

A table says nothing about itself, so recognition is strict: a document is taken for a
4CAT table only when its header has an id, 4CAT's ``unix_timestamp`` and a ``body``
column; any other CSV is left alone (a spreadsheet of addresses is not a feed of posts).
4CAT writes two times per row: ``timestamp`` is ``datetime.fromtimestamp()`` on the
*server's* zone (wall clock, no offset) and ``unix_timestamp`` the instant; only the
latter is read.  Coordinates come in three shapes depending on the 4CAT datasource:
``lat``/``lng`` columns, Instagram's ``location_latlong`` ("lat,lng"), and X's
``long_lat`` ("lon, lat": longitude first).

Rows stream one at a time (csv module over decoded lines); a bad row is a refusal with
its line number and the rest goes on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from geotrace.errors import ColumnsError
from geotrace.geo import parse_iso
from geotrace.records import (
    UNKNOWN_ZONE_WINDOW,
    Account,
    Geotag,
    Instant,
    Link,
    MediaRef,
    Post,
    PostBasis,
)
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.columns import COLUMN_NAMES
from geotrace.sources.common import checked_point, iso_instant, unix_instant
from geotrace.sources.jsonstream import BOM, json_lines

# -- a stream whose first bytes were read to decide how to parse it ---------------------
# (shared by telethon.py and meta.py; it belongs beside SkipBom in jsonstream.py)


class ByteStream(Protocol):
    def read(self, n: int = -1) -> bytes: ...

    def readline(self, limit: int = -1) -> bytes: ...


#: Bytes read ahead to see how a document starts (its first key, ``[`` or ``{``).
PEEK_BYTES = 4096


class Replay:
    """A binary stream whose first bytes were already read, handed back before the rest,
    so that a reader can look at a document's start without opening it twice."""

    def __init__(self, head: bytes, rest: ByteStream) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(n)
        if n < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        if len(data) < n:
            data += self._rest.read(n - len(data))
        return data

    def readline(self, limit: int = -1) -> bytes:
        if not self._head:
            return self._rest.readline(limit)
        cut = self._head.find(b"\n")
        if cut >= 0:
            line, self._head = self._head[: cut + 1], self._head[cut + 1 :]
            return line
        line, self._head = self._head, b""
        return line + self._rest.readline(limit)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def peek(stream: ByteStream) -> tuple[bytes, Replay]:
    """The first :data:`PEEK_BYTES` of a stream and a stream that still starts at byte 0."""
    head = stream.read(PEEK_BYTES)
    return head, Replay(head, stream)


def first_byte(head: bytes) -> bytes:
    """The first byte that is not a byte-order mark or white space (b"" if none)."""
    body = head[len(BOM) :] if head.startswith(BOM) else head
    body = body.lstrip()
    return body[:1]


# -- column mappings ----------------------------------------------------------------------

#: What a mapping may name: field -> the column holding it.  ``unix_time`` is Unix seconds
#: (UTC), ``iso_time`` an ISO 8601 time with a zone; ``at`` either of those or a wall time
#: with no zone, read by the table's :class:`WallClock`; ``lat_lon``/``lon_lat`` one column
#: with both numbers (comma or space between) in that order; ``radius_m`` each row's own
#: radius; ``chat`` qualifies the id (Telegram's message ids are per chat); ``platform`` a
#: per-row platform name.
FIELDS = (
    "id",
    "unix_time",
    "iso_time",
    "at",
    "radius_m",
    "text",
    "author_id",
    "author_handle",
    "author_name",
    "chat",
    "url",
    "media_url",
    "lat",
    "lon",
    "lat_lon",
    "lon_lat",
    "place",
    "platform",
    "reply_to",
)

#: 4CAT's column names per field, first found wins (from its datasources' ``map_item``:
#: telegram, instagram, tiktok, twitterv2 …).  ``timestamp`` is deliberately absent.
FOURCAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "unix_time": ("unix_timestamp",),
    "text": ("body",),
    "author_id": ("author_id",),
    "author_handle": ("author",),
    "author_name": ("author_fullname", "author_name"),
    "chat": ("chat",),
    "url": ("url", "link"),
    "media_url": ("image_url", "media_url"),
    "lat": ("lat", "latitude"),
    "lon": ("lng", "lon", "long", "longitude"),
    "lat_lon": ("location_latlong",),
    "lon_lat": ("long_lat",),
    "place": ("location_name", "place_name"),
    "platform": ("platform", "source_platform"),
    "reply_to": ("reply_to",),
}
FOURCAT_REQUIRED = ("id", "unix_time", "text")

#: A table's coordinates: a 4CAT ``lat``/``lng`` or X ``long_lat`` is a device point or a
#: dropped pin (tens of metres: 50); Instagram's ``location_latlong`` is a location page's
#: pin, a venue at best (100), a whole city at worst: the label says which.
POINT_RADIUS_M = 50.0
VENUE_RADIUS_M = 100.0

PLATFORM_UNKNOWN = "unknown"
#: The platform of a user's own table (``ingest --columns``) with no ``platform`` column.
PLATFORM_TABLE = "table"

#: A radius larger than half the Earth's circumference says nothing.
MAX_RADIUS_M = 20_037_509.0
#: A cell of digits (and one point): Unix seconds, UTC.
_UNIX = re.compile(r"\d+(?:\.\d*)?")


def fourcat_mapping(columns: list[str]) -> dict[str, str] | None:
    """The 4CAT mapping resolved against a header, or None when the header lacks an id, a
    Unix time or a body: then it is not a 4CAT table of posts."""
    present = set(columns)
    mapping = {}
    for field_name, names in FOURCAT_COLUMNS.items():
        for name in names:
            if name in present:
                mapping[field_name] = name
                break
    if not all(f in mapping for f in FOURCAT_REQUIRED):
        return None
    if "author_username" in present and "author_id" not in mapping and "author" in present:
        # 4CAT's Telegram rows: ``author`` is the sender's numeric id, the handle apart.
        mapping["author_id"], mapping["author_handle"] = "author", "author_username"
    return mapping


# -- recognising ------------------------------------------------------------------------


def _first_line(head: bytes) -> str | None:
    body = head[len(BOM) :] if head.startswith(BOM) else head
    cut = body.find(b"\n")
    if cut < 0:
        return None
    return body[:cut].decode("utf-8", "replace").rstrip("\r")


def _delimiter(name: str, header_line: str) -> str:
    """Tab for .tsv; otherwise comma, or semicolon when the header has more of those (a
    spreadsheet saved in a locale whose decimal mark is the comma)."""
    if name.lower().endswith(".tsv"):
        return "\t"
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header(name: str, head: bytes) -> list[str] | None:
    line = _first_line(head)
    if line is None:
        return None
    try:
        row = next(csv.reader([line], delimiter=_delimiter(name, line)))
    except (csv.Error, StopIteration):
        return None
    return [c.strip() for c in row]


def sniff(name: str, head: bytes) -> bool:
    lower = name.lower()
    if lower.endswith((".csv", ".tsv")):
        columns = _header(name, head)
        return columns is not None and fourcat_mapping(columns) is not None
    if lower.endswith((".ndjson", ".jsonl", ".json")):
        if first_byte(head) != b"{":
            return False
        line = _first_line(head)
        if line is None:
            return False
        try:
            row = json.loads(line)
        except ValueError:
            return False
        return isinstance(row, dict) and fourcat_mapping(list(row)) is not None
    return False


# -- one row ------------------------------------------------------------------------------


def _cell(row: Mapping[str, object], column: str | None) -> str | None:
    """A cell as text, None when the column is unmapped, absent or blank."""
    if column is None:
        return None
    value = row.get(column)
    if value.__class__ is str:
        text = value
    elif value is None or isinstance(value, (dict, list)):
        return None
    else:
        text = str(value)
    return text if text and not text.isspace() else None


def _pair(text: str) -> tuple[str, str] | None:
    """Two numbers from "a,b", "a, b" or "a b"."""
    parts = text.replace(",", " ").split()
    return (parts[0], parts[1]) if len(parts) == 2 else None


@dataclass(frozen=True, slots=True)
class Plan:
    """A mapping resolved once per table: the column of each field, or None (no ``id``:
    each row is named by its table's file name and line)."""

    id: str | None = None
    unix_time: str | None = None
    iso_time: str | None = None
    at: str | None = None
    radius_m: str | None = None
    text: str | None = None
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    chat: str | None = None
    url: str | None = None
    media_url: str | None = None
    lat: str | None = None
    lon: str | None = None
    lat_lon: str | None = None
    lon_lat: str | None = None
    place: str | None = None
    platform: str | None = None
    reply_to: str | None = None


def _geotag(row: Mapping[str, object], plan: Plan) -> tuple[Geotag | None, str | None]:
    """The row's position (or why there is none although a coordinate is there)."""
    lat, lon = _cell(row, plan.lat), _cell(row, plan.lon)
    if lat is not None or lon is not None:
        if lat is None or lon is None:
            return None, f"only one coordinate: lat {lat!r}, lon {lon!r}"
        radius = _radius(_cell(row, plan.radius_m))
        if isinstance(radius, str):
            return None, f"{plan.radius_m}: {radius}"
        source = f"{plan.lat}/{plan.lon}"
        return _point(lat, lon, radius, "point", source, _cell(row, plan.place))
    for column, swapped, radius, kind in (
        (plan.lat_lon, False, VENUE_RADIUS_M, "venue"),
        (plan.lon_lat, True, POINT_RADIUS_M, "point"),
    ):
        text = _cell(row, column)
        if column is None or text is None:
            continue
        pair = _pair(text)
        if pair is None:
            return None, f"{column} is not two numbers: {text!r}"
        la, lo = (pair[1], pair[0]) if swapped else pair
        return _point(la, lo, radius, kind, column, _cell(row, plan.place))
    return None, None


def _radius(text: str | None) -> float | str:
    """A row's own radius in metres (the table's default when the cell is empty), or why
    the cell is not one."""
    if text is None:
        return POINT_RADIUS_M
    try:
        radius = float(text)
    except ValueError:
        return f"radius is not a number: {text!r:.40}"
    if not (math.isfinite(radius) and 0.0 < radius <= MAX_RADIUS_M):
        return f"radius is not a distance in metres: {text!r:.40}"
    return radius


def _point(
    lat: str, lon: str, radius: float, kind: str, source: str, label: str | None
) -> tuple[Geotag | None, str | None]:
    checked = checked_point(lat, lon)
    if isinstance(checked, str):
        return None, checked
    return Geotag(checked[0], checked[1], radius, kind, source, label), None


@dataclass(frozen=True, slots=True)
class WallClock:
    """How a user's table turns a wall time (no offset, no ``Z``) into an instant: in the
    zone the user stated (``--tz``, basis ``user_stated_zone``), else in the zone of the
    row's own position (``zone_at``, basis ``location_timezone``, as a photo's clock),
    else not at all: the wall time is kept with basis ``unknown_zone``, never taken for
    UTC.  ``zone_at`` is handed in by the caller: the zone polygons belong to the
    extract stage, which this read stage does not import."""

    stated: ZoneInfo | None = None
    zone_at: Callable[[float, float], ZoneInfo | None] | None = None


def _in_zone(local: datetime, zone: ZoneInfo, basis: PostBasis, column: str) -> Instant:
    """A wall time read in a zone; inside a DST change (a wall time seen twice, or never)
    the change's size is the uncertainty."""
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    off0, off1 = first.utcoffset(), second.utcoffset()
    spread = abs(off0 - off1).total_seconds() if off0 is not None and off1 is not None else 0.0
    return Instant(first.astimezone(UTC), local, basis, spread, f"{column} ({zone.key})")


def _at(text: str, column: str, tag: Geotag | None, clock: WallClock) -> Instant | None:
    """``at``: Unix seconds and ISO 8601 with ``Z`` or an offset are UTC-exact; a wall
    time goes by the table's :class:`WallClock`; None when the cell is not a time."""
    if _UNIX.fullmatch(text):
        return unix_instant(text, column)
    try:
        parsed = parse_iso(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return Instant(parsed.astimezone(UTC), None, "platform_utc", 0.0, column)
    if clock.stated is not None:
        return _in_zone(parsed, clock.stated, "user_stated_zone", column)
    zone = clock.zone_at(tag.lat, tag.lon) if clock.zone_at and tag is not None else None
    if zone is not None:
        return _in_zone(parsed, zone, "location_timezone", column)
    return Instant(None, parsed, "unknown_zone", UNKNOWN_ZONE_WINDOW.total_seconds(), column)


def _instant(
    row: Mapping[str, object], plan: Plan, tag: Geotag | None, clock: WallClock
) -> tuple[Instant | None, str | None]:
    text = _cell(row, plan.at)
    if plan.at is not None and text is not None:
        at = _at(text.strip(), plan.at, tag, clock)
        return (at, None) if at is not None else (None, f"{plan.at} is not a time: {text!r:.60}")
    for column, parse in ((plan.unix_time, unix_instant), (plan.iso_time, iso_instant)):
        text = _cell(row, column)
        if column is None or text is None:
            continue
        at = parse(text.strip(), column)
        if at is None:
            return None, f"{column} is not a time with a known zone: {text!r}"
        return at, None
    return None, None


def row_records(
    row: Mapping[str, object],
    plan: Plan,
    platform: str,
    doc_name: str,
    location: str,
    clock: WallClock = WallClock(),
) -> list[Record]:
    """A row as a post (first) and the refusals of what in it could not be read.  A
    table with no id column names each row by its file name and line, so that ingesting
    the same table again adds nothing."""
    if plan.id is None:
        raw_id: str | None = f"{Path(doc_name.rsplit('!/', 1)[-1]).name}#{location}"
    else:
        raw_id = _cell(row, plan.id)
    if raw_id is None:
        return [
            Refusal(f"{doc_name}#{location}", "item_invalid", f"no post id in column {plan.id!r}")
        ]
    if plan.platform is not None:
        platform = (_cell(row, plan.platform) or platform).strip().lower()
    chat = _cell(row, plan.chat)
    if chat is not None:
        chat = chat.strip()
    post_id = f"{chat}/{raw_id.strip()}" if chat else raw_id.strip()
    refusals: list[Record] = []
    geotag = None
    if plan.lat or plan.lon or plan.lat_lon or plan.lon_lat:
        geotag, why = _geotag(row, plan)
        if why is not None:
            refusals.append(Refusal(f"{doc_name}#{location}", "geotag_invalid", why))
    posted_at, why = _instant(row, plan, geotag, clock)
    if why is not None:
        refusals.append(Refusal(f"{doc_name}#{location}", "time_invalid", why))
    author_id, handle = _cell(row, plan.author_id), _cell(row, plan.author_handle)
    author = None
    if author_id or handle:
        # Without an id column the handle is the only name the table gives the account.
        author = Account(
            platform, (author_id or handle or "").strip(), handle, _cell(row, plan.author_name)
        )
    media_url = _cell(row, plan.media_url)
    reply = _cell(row, plan.reply_to)
    links: tuple[Link, ...] = ()
    if reply is not None:
        links = (Link("reply_to", post_id=f"{chat}/{reply.strip()}" if chat else reply.strip()),)
    post = Post(
        platform=platform,
        post_id=post_id,
        kind="post",
        author=author,
        posted_at=posted_at,
        text=_cell(row, plan.text) or "",
        raw=dict(row),
        location=location,
        url=_cell(row, plan.url),
        chat=Account(platform, chat, chat) if chat else None,
        geotags=(geotag,) if geotag is not None else (),
        media=(MediaRef(url=media_url.strip()),) if media_url else (),
        links=links,
    )
    return [post, *refusals] if refusals else [post]


# -- reading ------------------------------------------------------------------------------


def _decoded_lines(stream: Iterable[bytes], bad: set[int]) -> Iterator[str]:
    """The document's lines as text; a line that is not UTF-8 is noted in ``bad`` (its row
    is refused) and decoded with replacement so that the csv parser can go on."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(number)
            yield line.decode("utf-8", "replace")


def _csv_rows(
    doc: ExportFile, stream: Iterable[bytes]
) -> Iterator[tuple[str, dict[str, str]] | Refusal]:
    """(location, row by column) for every data row, or a refusal for a row that is not
    UTF-8, is malformed, or has another number of cells than the header."""
    bad: set[int] = set()
    lines = _decoded_lines(stream, bad)
    first = next(lines, None)
    if first is None:
        return
    reader = csv.reader(chain([first], lines), delimiter=_delimiter(doc.name, first))
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as exc:
        yield Refusal(f"{doc.name}#line 1", "row_malformed", f"header unreadable: {exc}")
        return
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Refusal(f"{doc.name}#line {start}", "row_malformed", str(exc))
            if reader.line_num < start:
                return  # the parser did not move: nothing more can be read
            continue
        end = reader.line_num
        if not row:
            continue
        where = f"line {start}"
        if bad and any(n in bad for n in range(start, end + 1)):
            yield Refusal(
                f"{doc.name}#{where}",
                "row_encoding",
                "row is not UTF-8 text; re-save the table as UTF-8",
            )
        elif len(row) != len(header):
            yield Refusal(
                f"{doc.name}#{where}",
                "row_malformed",
                f"row has {len(row)} cells, the header {len(header)}",
            )
        else:
            yield where, dict(zip(header, row, strict=True))
        if bad:
            bad.difference_update(range(start, end + 1))


Row = tuple[str, Mapping[str, object]]


def _json_rows(doc: ExportFile, stream: Iterable[bytes]) -> Iterator[Row | Refusal]:
    for entry in json_lines(stream, doc.name):
        if isinstance(entry, Refusal):
            yield entry
            continue
        number, value = entry
        if not isinstance(value, dict):
            yield Refusal(f"{doc.name}#line {number}", "item_invalid", "line is not an object")
            continue
        yield f"line {number}", value


def _rows(doc: ExportFile, stream: Iterable[bytes]) -> Iterator[Row | Refusal]:
    if doc.name.lower().endswith((".csv", ".tsv")):
        yield from _csv_rows(doc, stream)
    else:
        yield from _json_rows(doc, stream)


def read_table(
    doc: ExportFile, mapping: dict[str, str], platform: str, clock: WallClock = WallClock()
) -> Iterator[Record]:
    """Posts from a CSV/TSV or NDJSON table with a column mapping the user gives (field ->
    column, fields from :data:`FIELDS`; without ``id`` rows are named by line).  A
    mapping with unknown fields, or naming columns a CSV's header lacks (a typo would
    otherwise read as empty cells), is refused once, up front; an NDJSON row without a
    mapped key reads as empty there."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        yield Refusal(doc.name, "mapping_invalid", f"unknown fields {unknown}")
        return
    plan = Plan(**mapping)
    table = doc.name.lower().endswith((".csv", ".tsv"))
    with doc.open() as stream:
        for entry in _rows(doc, stream):
            if isinstance(entry, Refusal):
                yield entry
                continue
            where, row = entry
            if table:
                missing = sorted(set(mapping.values()) - row.keys())
                if missing:
                    yield Refusal(doc.name, "mapping_invalid", f"no column {missing} in header")
                    return
                table = False  # every row of a CSV has the header's columns
            yield from row_records(row, plan, platform, doc.name, where, clock)


def read(doc: ExportFile) -> Iterator[Record]:
    """A 4CAT table: the mapping is resolved against the header (CSV) or each row's keys
    (NDJSON, whose rows may differ), the platform from a ``platform`` column if any."""
    with doc.open() as stream:
        plan: Plan | None = None
        keys: set[str] | None = None
        for entry in _rows(doc, stream):
            if isinstance(entry, Refusal):
                yield entry
                continue
            where, row = entry
            if keys is None or row.keys() != keys:
                keys = set(row)
                mapping = fourcat_mapping(list(row))
                plan = Plan(**mapping) if mapping is not None else None
            if plan is None:
                yield Refusal(
                    f"{doc.name}#{where}", "item_invalid", "row has no id, unix_timestamp or body"
                )
                continue
            yield from row_records(row, plan, PLATFORM_UNKNOWN, doc.name, where)


# -- a user's own table (``ingest --columns``) ---------------------------------------------

#: Documents ``--columns`` applies to.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


def user_mapping(columns: Mapping[str, str]) -> dict[str, str]:
    """``--columns`` names (:data:`COLUMN_NAMES`) as the fields :func:`read_table` takes."""
    unknown = sorted(set(columns) - set(COLUMN_NAMES))
    if unknown:
        raise ColumnsError(
            f"--columns: unknown name {', '.join(unknown)}; the names are {', '.join(COLUMN_NAMES)}"
        )
    if ("lat" in columns) != ("lon" in columns):
        raise ColumnsError("--columns: lat and lon go together")
    return {COLUMN_NAMES[name]: column for name, column in columns.items()}


def check_columns(name: str, head: bytes, columns: Mapping[str, str]) -> None:
    """Raise :class:`ColumnsError` naming a mapped column the table lacks, with the columns
    it has: the CSV/TSV header, or the keys of a JSON Lines table's first row."""
    body = head[len(BOM) :] if head.startswith(BOM) else head
    line = body.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    have: list[str] = []
    if name.lower().endswith((".csv", ".tsv")):
        have = next(csv.reader([line], delimiter=_delimiter(name, line)), [])
        have = [c.strip() for c in have]
    else:
        try:
            first = json.loads(line)
        except ValueError:
            first = None
        have = list(first) if isinstance(first, dict) else []
    missing = [column for column in columns.values() if column not in have]
    if missing:
        raise ColumnsError(
            f"{name}: no column {', '.join(map(repr, missing))};"
            f" its columns are {', '.join(map(repr, have)) or 'none'}"
        )


def _any_table(name: str, head: bytes) -> bool:
    return name.lower().endswith(TABLE_SUFFIXES)


def user_table(columns: Mapping[str, str], clock: WallClock, zone_rule: str) -> ExportReader:
    """The reader of a user's own tables.  Its version names the mapping and the zone rule
    (``zone_rule``: the stated zone, or how wall times are placed otherwise), so that the
    same table ingested again with another mapping is read again, not taken as known."""
    mapping = user_mapping(columns)
    spec = json.dumps([sorted(mapping.items()), zone_rule]).encode()
    version = f"1+{hashlib.sha256(spec).hexdigest()[:12]}"
    read_user = partial(read_table, mapping=mapping, platform=PLATFORM_TABLE, clock=clock)
    return ExportReader("user_table", version, TABLE_SUFFIXES, _any_table, read_user)


TABLE = ExportReader(
    "generic_table", "1", (".csv", ".tsv", ".json", ".jsonl", ".ndjson"), sniff, read
)

READERS: tuple[ExportReader, ...] = (TABLE,)
