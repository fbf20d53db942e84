"""What a tweet means, whichever of the three X/Twitter readers meets it.

Shared by ``twitter.py`` (the account archive, API v1.1 statuses) and ``twitter_v2.py``
(API v2 pages): the id is the post id and carries its own instant (``created_at`` is
checked against it), coordinates are claims with honest radii, a place is an area, and
one bad tweet is refused alone (:func:`_guarded`).  See ``twitter.py`` for the shapes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import IO, Any, cast

from geotrace.geo import distance_m
from geotrace.records import NOTE, Geotag, Instant, iso
from geotrace.sources.base import CountingReader, Record, Refusal
from geotrace.sources.common import bbox_geotag, checked_point
from geotrace.sources.jsonstream import BOM

PLATFORM = "twitter"


VERSION = "1"


#: Exact tweet coordinates were the phone's own fix (GPS, Wi-Fi or cell positioning), sent
#: without its accuracy.  Open-sky GPS does 5-10 m, Wi-Fi positioning 20-50 m; most
#: geotagged tweets were sent in towns, so 50 m is the honest outer end of a typical fix.
POINT_RADIUS_M = 50.0


#: Coordinates a check-in app attached when cross-posting (Instagram, Foursquare/Swarm) are
#: the pin of the place the user picked from a list -- a shop, a district or a whole city,
#: the tweet does not say which -- not the phone's position: given a city's radius.
CHECKIN_RADIUS_M = 5_000.0


CHECKIN_APPS = frozenset({"Instagram", "Foursquare", "Foursquare Swarm", "Swarm", "Swarm app"})


#: A venue (place_type ``poi``) has a single point for a bounding box, and a degenerate box
#: would claim 1 m; a venue is a building or a park, so no place is tighter than this.
VENUE_RADIUS_M = 100.0


#: Beyond this latitude there are only a few research stations: a documented-order point
#: up there whose swapped reading is an ordinary latitude is noted (see module docstring).
POLAR_LAT = 84.0


#: ``created_at`` is the id's own instant truncated to the second; further apart than this
#: and one of the two was altered.
TIME_TOLERANCE_S = 2.0


#: Snowflake ids (since 2010-11-04) carry their creation time in ms since this epoch.
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


#: Older sequential ids (< 3e10) decode to the first seconds after the epoch: not times.
SNOWFLAKE_MIN_MS = 86_400_000


#: Embedded statuses read at most this deep (a retweet's original, the quote inside it).
MAX_DEPTH = 2


#: Bytes read to find the archive's ``window.YTD.x.partN =`` prefix or a document's start.
PEEK_BYTES = 4096


#: What a malformed item can raise while it is converted; anything else is a bug.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


BLANK = b" \t\r\n" + BOM


_V1_CREATED = re.compile(
    rb'"created_at"\s*:\s*"[A-Z][a-z]{2} [A-Z][a-z]{2} [0-3]\d [0-2]\d:[0-5]\d:[0-6]\d'
    rb' [+-]\d{4} \d{4}"'
)


class _Rejoined:
    """A binary stream with the bytes already read from it put back in front, so that a
    reader can look at a document's first bytes without opening it twice."""

    def __init__(self, pending: bytes, raw: CountingReader) -> None:
        self._pending = pending
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if not self._pending:
            return self._raw.read(n)
        if n < 0:
            data, self._pending = self._pending + self._raw.read(), b""
            return data
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def readline(self, limit: int = -1) -> bytes:
        if not self._pending:
            return self._raw.readline(limit)
        cut = self._pending.find(b"\n") + 1
        if cut:
            data, self._pending = self._pending[:cut], self._pending[cut:]
            return data
        data, self._pending = self._pending, b""
        return data + self._raw.readline()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def _io(stream: _Rejoined | CountingReader) -> IO[bytes]:
    """The stream as the JSON helpers type it: they only call read/readline/iter."""
    return cast(IO[bytes], stream)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_text(value: Any) -> str | None:
    """An id as the platform's decimal text: a string of digits as written, or an integer.
    Never a float: ``id`` numbers above 2**53 lose their last digits in readers that go
    through doubles (twitter-to-sqlite's sample has such ``id``s), so ``id_str`` comes first."""
    if isinstance(value, str) and 0 < len(value) <= 25 and value.isascii() and value.isdigit():
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return None


def _text(value: Any) -> str:
    """Tweet text is HTML-escaped by the platform (``&amp;``, ``&lt;``); made plain once."""
    return html.unescape(value) if isinstance(value, str) else ""


def _app(source: Any) -> str | None:
    """The posting app's name: v2 gives it bare, v1.1 and the archive as an HTML link."""
    if not isinstance(source, str):
        return None
    if source.startswith("<"):
        start = source.find(">") + 1
        end = source.find("<", start)
        return source[start:end] if start and end > start else None
    return source


def _url(post_id: str, handle: str | None) -> str:
    """The tweet's web address; ``i/web/status`` works without knowing the handle."""
    if handle and handle.isascii() and handle.replace("_", "").isalnum():
        return f"https://x.com/{handle}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


def _id_ms(post_id: str) -> int | None:
    """When a snowflake id was made, in Unix ms; None for older sequential ids."""
    ms = int(post_id) >> 22
    return ms + SNOWFLAKE_EPOCH_MS if ms >= SNOWFLAKE_MIN_MS else None


def _ms_time(ms: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _posted(
    at: datetime | None, stated: Any, post_id: str, where: str, notes: list[Refusal]
) -> Instant | None:
    """The post's instant from ``created_at``, checked against the id's own clock; the id's
    instant stands in when ``created_at`` is absent (v2 pages fetched without the field)."""
    made = _id_ms(post_id)
    if at is not None:
        if made is not None and abs(at.timestamp() * 1000 - made) > TIME_TOLERANCE_S * 1000:
            notes.append(
                Refusal(
                    where,
                    "time_conflict",
                    f"created_at {iso(at)} but id {post_id} was made at {iso(_ms_time(made))}",
                    NOTE,
                )
            )
        return Instant(at, None, "platform_utc", 0.0, "created_at")
    if stated is not None:
        notes.append(Refusal(where, "time_invalid", f"created_at is not a time: {stated!r:.80}"))
    made_at = _ms_time(made) if made is not None else None
    if made_at is None:
        return None
    # The id's clock is the platform's own, in ms; a second covers its generators' skew.
    return Instant(made_at, None, "platform_utc", 1.0, "id")


def _pair(value: Any) -> tuple[Any, Any] | None:
    """The two numbers of a ``{"type": "Point", "coordinates": [a, b]}``, as written."""
    coords = value.get("coordinates") if isinstance(value, dict) else None
    if isinstance(coords, list) and len(coords) == 2:
        return coords[0], coords[1]
    return None


def _point(
    lat: Any, lon: Any, source: str, app: str | None, where: str, notes: list[Refusal]
) -> Geotag | None:
    checked = checked_point(lat, lon)
    if isinstance(checked, str):
        notes.append(Refusal(where, "geotag_invalid", f"{source}: {checked}"))
        return None
    if app in CHECKIN_APPS:
        return Geotag(checked[0], checked[1], CHECKIN_RADIUS_M, "venue", source)
    return Geotag(checked[0], checked[1], POINT_RADIUS_M, "point", source)


def _order_check(tag: Geotag, order: str, where: str, notes: list[Refusal]) -> None:
    """Note a point that only makes sense with its two numbers swapped.  It is kept as
    documented (the platform's claim, not ours); the note names the other reading so
    that a person can judge, and the places stage flags it again if it lies at sea."""
    if abs(tag.lat) > POLAR_LAT and abs(tag.lon) <= POLAR_LAT:
        notes.append(
            Refusal(
                where,
                "geotag_order_suspect",
                f"{tag.source} read as documented {order} is lat {tag.lat}, lon {tag.lon} (polar);"
                f" swapped it would be lat {tag.lon}, lon {tag.lat}; kept as documented",
                NOTE,
            )
        )


def _place(
    place: dict[str, Any],
    box_of: Callable[[dict[str, Any]], tuple[float, float, float, float] | None],
    source: str,
    where: str,
    notes: list[Refusal],
) -> Geotag | None:
    """A place tag as an area: the circle holding its bounding box, labelled with its
    name (a separate claim from the box); a venue never tighter than a venue."""
    label = _opt_str(place.get("full_name")) or _opt_str(place.get("name"))
    try:
        box = box_of(place)
    except ITEM_ERRORS as exc:
        notes.append(
            Refusal(
                where,
                "geotag_invalid",
                f"{source}: bounding box of {label!r} unreadable ({exc!r:.80})",
            )
        )
        return None
    if box is None:
        notes.append(
            Refusal(where, "geotag_unresolved", f"place {label!r} has no bounding box", NOTE)
        )
        return None
    west, south, east, north = box
    if not (-180.0 <= west <= 180.0 and -180.0 <= east <= 180.0):
        notes.append(
            Refusal(
                where,
                "geotag_invalid",
                f"{source}: bounding box longitude out of range: {west}, {east}",
            )
        )
        return None
    tag = bbox_geotag(west, south, east, north, source, label)
    if isinstance(tag, str):
        notes.append(Refusal(where, "geotag_invalid", f"{source}: {tag}"))
        return None
    if place.get("place_type") == "poi":
        return replace(tag, kind="venue", radius_m=max(tag.radius_m, VENUE_RADIUS_M))
    return tag if tag.radius_m >= VENUE_RADIUS_M else replace(tag, radius_m=VENUE_RADIUS_M)


def _cross_check(
    point: Geotag | None, area: Geotag | None, where: str, notes: list[Refusal]
) -> None:
    """Exact coordinates outside the place the same tweet names: two claims that cannot
    both be right (both are kept)."""
    if point is None or area is None:
        return
    gap = distance_m(point.lat, point.lon, area.lat, area.lon)
    if gap > area.radius_m + point.radius_m:
        notes.append(
            Refusal(
                where,
                "geotag_conflict",
                f"{point.source} {point.lat}, {point.lon} is {gap / 1000:.1f} km from the centre of"
                f" place {area.label!r}, outside its {area.radius_m / 1000:.1f} km",
                NOTE,
            )
        )


def _best_video(variants: Any) -> str | None:
    """The highest-bitrate MP4 of a video (v1.1 ``bitrate``, v2 ``bit_rate``, the archive
    writes them as strings)."""
    best, best_rate = None, -1
    for variant in variants if isinstance(variants, list) else ():
        if not isinstance(variant, dict) or variant.get("content_type") != "video/mp4":
            continue
        stated: Any = variant.get("bitrate", variant.get("bit_rate", 0))
        try:
            rate = int(stated)
        except (TypeError, ValueError):
            rate = 0
        url = _opt_str(variant.get("url"))
        if url and rate > best_rate:
            best, best_rate = url, rate
    return best


def _guarded(where: str, build: Callable[[list[Record]], object]) -> list[Record]:
    """What ``build`` made of one item; a malformed item ends as a refusal, not a crash."""
    out: list[Record] = []
    try:
        build(out)
    except ITEM_ERRORS as exc:
        out.append(Refusal(where, "item_invalid", f"{type(exc).__name__}: {exc!s:.200}"))
    return out


def _numbered(items: Iterator[Any], pattern: str) -> Iterator[tuple[str, Any] | Refusal]:
    for index, item in enumerate(items):
        yield item if isinstance(item, Refusal) else (pattern.format(index), item)


def _lines(entries: Iterator[tuple[int, Any] | Refusal]) -> Iterator[tuple[str, Any] | Refusal]:
    for entry in entries:
        yield entry if isinstance(entry, Refusal) else (f"line {entry[0]}", entry[1])


def _indented(start: bytes) -> bool:
    """A document that opens with ``{`` alone on its line is one indented JSON value,
    not JSON Lines."""
    return start.split(b"\n", 1)[0].strip() == b"{"
