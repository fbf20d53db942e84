"""X/Twitter: the account archive (``data/*.js``), API v1.1 statuses, API v2 pages (twarc2).

Three shapes of one platform, read by three readers that share what a tweet means: its id
is the post id, its ``created_at`` is UTC (and checked against the instant the id itself
encodes), its coordinates are claims with honest radii.  What differs is where the parts
are: the archive wraps v1.1 statuses in JavaScript and leaves out the author (the archive's
owner, found beside it in ``account.js``); v1.1 nests the user, the retweeted and quoted
originals in each status; v2 keeps users, places, media and referenced tweets in a
page-level ``includes`` that every tweet of that page points into.

Coordinate order is where tweets mislead: v1.1 ``coordinates`` and v2 ``geo.coordinates``
are GeoJSON ``[lon, lat]``, the deprecated v1.1 ``geo`` is ``[lat, lon]``.  Points are read
in the documented order and never silently swapped; a point that only makes sense swapped
is kept as documented with a ``geotag_order_suspect`` note naming the other reading.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import IO, Any, cast

from geotrace.geo import distance_m
from geotrace.records import (
    NOTE,
    Account,
    Geotag,
    Instant,
    Link,
    LinkKind,
    MediaRef,
    Post,
    iso,
)
from geotrace.sources.base import CountingReader, ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import bbox_geotag, checked_point, iso_instant
from geotrace.sources.jsonstream import BOM, json_items, json_lines

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

#: Two claimed points closer than this (degrees) are the same point written twice.
SAME_POINT_DEG = 1e-5

#: ``created_at`` is the id's own instant truncated to the second; further apart than this
#: and one of the two was altered.
TIME_TOLERANCE_S = 2.0

#: Snowflake ids (since 2010-11-04) carry their creation time in ms since this epoch.
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
#: Older sequential ids (< 3e10) decode to the first seconds after the epoch: not times.
SNOWFLAKE_MIN_MS = 86_400_000

#: Embedded statuses read at most this deep (a retweet's original, the quote inside it).
MAX_DEPTH = 2

#: Accounts kept built per document (a timeline repeats its user): bounded, not per file.
ACCOUNT_CACHE = 4096

#: Bytes read to find the archive's ``window.YTD.x.partN =`` prefix or a document's start.
PEEK_BYTES = 4096

#: What a malformed item can raise while it is converted; anything else is a bug.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)

BLANK = b" \t\r\n" + BOM

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

_V1_CREATED = re.compile(
    rb'"created_at"\s*:\s*"[A-Z][a-z]{2} [A-Z][a-z]{2} [0-3]\d [0-2]\d:[0-5]\d:[0-6]\d'
    rb' [+-]\d{4} \d{4}"'
)
_STATUSES_ROOT = re.compile(rb'\{\s*"statuses"\s*:')
_JS_GLOBAL = re.compile(r"window\.(?:(YTD\.[A-Za-z0-9_]+)\.part\d+|(__THAR_CONFIG))")

#: Archive data files holding tweets: (post kind, folder of their media beside the file).
ARCHIVE_TWEET_FILES = {
    "YTD.tweets": ("tweet", "tweets_media"),
    "YTD.tweet": ("tweet", "tweets_media"),  # archives before 2020: data/tweet.js
    "YTD.deleted_tweets": ("deleted_tweet", "deleted_tweets_media"),
    "YTD.community_tweet": ("tweet", "community_tweet_media"),
}
#: Archive files that name the owner.
ARCHIVE_OWNER_FILES = ("YTD.account", "__THAR_CONFIG")

#: v1.1 streaming notices: lines of a status stream that are not statuses.
STREAM_NOTICES = ("delete", "scrub_geo", "limit", "status_withheld", "user_withheld", "warning")

_V2_LINKS: dict[str, LinkKind] = {
    "retweeted": "repost_of",
    "quoted": "quote_of",
    "replied_to": "reply_to",
}


# -- streams ------------------------------------------------------------------------------


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


def _js_global(prefix: bytes) -> str | None:
    """``YTD.tweets`` for ``window.YTD.tweets.part0``, ``__THAR_CONFIG`` for the manifest."""
    text = prefix.strip(BLANK).decode("ascii", "replace")
    match = _JS_GLOBAL.fullmatch(text.strip())
    return None if match is None else match.group(1) or match.group(2)


def _js_split(stream: CountingReader) -> tuple[str, _Rejoined] | None:
    """The archive file's global name and a stream of the JSON after its ``=``, read
    without loading the file; None when the prefix is not an archive's."""
    buf = b""
    while b"=" not in buf and len(buf) < PEEK_BYTES:
        chunk = stream.read(512)
        if not chunk:
            break
        buf += chunk
    prefix, eq, rest = buf.partition(b"=")
    name = _js_global(prefix) if eq else None
    return None if name is None else (name, _Rejoined(rest, stream))


# -- small conversions --------------------------------------------------------------------


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


def _tweet_id(obj: dict[str, Any]) -> str | None:
    return _id_text(obj.get("id_str")) or _id_text(obj.get("id"))


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


def _v1_time(text: Any) -> datetime | None:
    """``Thu Mar 05 15:44:51 +0000 2026`` (v1.1, the archive) as an aware UTC datetime, or
    None.  Split by hand: ``strptime`` would cost more than the rest of the tweet."""
    if not isinstance(text, str):
        return None
    parts = text.split()
    if len(parts) != 6:
        return None
    month, clock, zone = _MONTHS.get(parts[1]), parts[3].split(":"), parts[4]
    if month is None or len(clock) != 3 or len(zone) != 5 or zone[0] not in "+-":
        return None
    try:
        at = datetime(
            int(parts[5]),
            month,
            int(parts[2]),
            int(clock[0]),
            int(clock[1]),
            int(clock[2]),
            tzinfo=UTC,
        )
        if zone == "+0000":  # what the platform always writes
            return at
        shift = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:]))
        return at - shift if zone[0] == "+" else at + shift
    except (ValueError, OverflowError):
        return None


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


# -- geotags ------------------------------------------------------------------------------


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


def _ring_box(place: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """v1.1 ``bounding_box``: a GeoJSON Polygon of ``[lon, lat]`` corners -> w, s, e, n."""
    box = place.get("bounding_box")
    if box is None:
        return None
    ring = box["coordinates"][0]
    lons = [float(corner[0]) for corner in ring]
    lats = [float(corner[1]) for corner in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _bbox(place: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """v2 ``geo.bbox``: ``[w, s, e, n]``."""
    geo = place.get("geo")
    if geo is None:
        return None
    w, s, e, n = geo["bbox"]
    return float(w), float(s), float(e), float(n)


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


def _v1_geotags(status: dict[str, Any], where: str, notes: list[Refusal]) -> tuple[Geotag, ...]:
    """``coordinates`` ([lon, lat]) first; the deprecated ``geo`` ([lat, lon]) only when
    ``coordinates`` is absent, and a ``geotag_conflict`` when the two disagree."""
    stated, place = status.get("coordinates"), status.get("place")
    if stated is None and place is None and status.get("geo") is None:
        return ()  # most tweets
    app = _app(status.get("source"))
    point = None
    if stated is not None:
        pair = _pair(stated)
        if pair is None:
            notes.append(
                Refusal(where, "geotag_invalid", f"coordinates: not a point: {stated!r:.80}")
            )
        else:
            point = _point(pair[1], pair[0], "coordinates", app, where, notes)
            if point is not None:
                _order_check(point, "[lon, lat]", where, notes)
    old = _pair(status.get("geo"))
    if old is not None:
        geo = _point(old[0], old[1], "geo", app, where, notes)
        if geo is not None and point is None:
            point = geo
            _order_check(geo, "[lat, lon]", where, notes)
        elif (
            geo is not None
            and point is not None
            and (
                abs(geo.lat - point.lat) > SAME_POINT_DEG
                or abs(geo.lon - point.lon) > SAME_POINT_DEG
            )
        ):
            notes.append(
                Refusal(
                    where,
                    "geotag_conflict",
                    f"coordinates [lon, lat] say lat {point.lat}, lon {point.lon}"
                    f" but geo [lat, lon] says lat {geo.lat}, lon {geo.lon}; coordinates kept",
                    NOTE,
                )
            )
    area = (
        _place(place, _ring_box, "place.bounding_box", where, notes)
        if isinstance(place, dict)
        else None
    )
    _cross_check(point, area, where, notes)
    return tuple(tag for tag in (point, area) if tag is not None)


# -- media --------------------------------------------------------------------------------


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


def _archive_file(doc: ExportFile, folder: str, post_id: str, url: str | None) -> str | None:
    """The archive's copy of a tweet's media (``tweets_media/<tweet id>-<file name>``, the
    archive README's convention) when it is there; archives without media leave it out."""
    if not url:
        return None
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    rel = f"{folder}/{post_id}-{name}"
    return rel if name and doc.sibling(rel) is not None else None


def _v1_media(
    entities: Any, post_id: str, doc: ExportFile, folder: str | None
) -> tuple[MediaRef, ...]:
    items = entities.get("media") if isinstance(entities, dict) else None
    if not isinstance(items, list):
        return ()
    refs = []
    for item in items:
        if not isinstance(item, dict):
            continue
        info = item.get("video_info")
        video = _best_video(info.get("variants")) if isinstance(info, dict) else None
        url = video or _opt_str(item.get("media_url_https")) or _opt_str(item.get("media_url"))
        meta = {k: item[k] for k in ("id_str", "expanded_url", "media_url_https") if k in item}
        path = _archive_file(doc, folder, post_id, url) if folder else None
        refs.append(MediaRef(path=path, url=url, kind=_opt_str(item.get("type")), metadata=meta))
    return tuple(refs)


# -- API v1.1 statuses and archive tweets ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tweets:
    """How one document's statuses are read: the archive names no author in its tweets
    (``owner`` stands in) and keeps their media in a folder beside the file."""

    doc: ExportFile
    owner: Account | None = None
    kind: str = "tweet"
    media_dir: str | None = None
    archive: bool = False
    #: Accounts already built, by (id, handle, name): a timeline repeats one user.
    accounts: dict[tuple[str, str | None, str | None], Account] = field(default_factory=dict)


def _v1_user(
    user: Any, cache: dict[tuple[str, str | None, str | None], Account] | None = None
) -> Account | None:
    if not isinstance(user, dict):
        return None
    account_id = _tweet_id(user)
    if account_id is None:
        return None
    key = (account_id, _opt_str(user.get("screen_name")), _opt_str(user.get("name")))
    if cache is None:
        return Account(PLATFORM, *key)
    known = cache.get(key)
    if known is None:
        if len(cache) >= ACCOUNT_CACHE:
            cache.clear()
        known = cache[key] = Account(PLATFORM, *key)
    return known


def _link_to(kind: LinkKind, original: dict[str, Any]) -> Link:
    author = _v1_user(original.get("user"))
    at = _v1_time(original.get("created_at"))
    return Link(
        kind,
        _tweet_id(original),
        author.account_id if author else None,
        author.handle if author else None,
        Instant(at, None, "platform_utc", 0.0, "created_at") if at else None,
    )


def _manual_retweet(text: str, status: dict[str, Any]) -> Link | None:
    """``RT @name: …`` without a ``retweeted_status`` (every retweet in an archive, old
    manual retweets): the original author, from the mention that names them."""
    if not text.startswith("RT @"):
        return None
    handle = text[4:].split(":", 1)[0].strip()
    entities = status.get("entities")
    mentions = entities.get("user_mentions") if isinstance(entities, dict) else None
    for mention in mentions if isinstance(mentions, list) else ():
        if isinstance(mention, dict) and str(mention.get("screen_name", "")).lower() == (
            handle.lower()
        ):
            return Link("repost_of", None, _tweet_id(mention), handle)
    return Link("repost_of", None, None, handle or None)


def _v1_links(status: dict[str, Any], text: str) -> tuple[Link, ...]:
    links = []
    retweeted = status.get("retweeted_status")
    repost = (
        _link_to("repost_of", retweeted)
        if isinstance(retweeted, dict)
        else (_manual_retweet(text, status))
    )
    if repost is not None:
        links.append(repost)
    quoted = status.get("quoted_status")
    if isinstance(quoted, dict):
        links.append(_link_to("quote_of", quoted))
    elif quoted_id := _id_text(status.get("quoted_status_id_str")):
        links.append(Link("quote_of", quoted_id))
    reply_id = _id_text(status.get("in_reply_to_status_id_str"))
    reply_user = _id_text(status.get("in_reply_to_user_id_str"))
    if reply_id or reply_user:
        links.append(
            Link("reply_to", reply_id, reply_user, _opt_str(status.get("in_reply_to_screen_name")))
        )
    return tuple(links)


def _status(status: Any, location: str, how: _Tweets, depth: int, out: list[Record]) -> None:
    """One status as a post, its notes after it, then its embedded originals."""
    where = f"{how.doc.name}#{location}"
    if not isinstance(status, dict):
        out.append(Refusal(where, "item_invalid", "status is not a JSON object"))
        return
    post_id = _tweet_id(status)
    if post_id is None:
        notice = next((key for key in STREAM_NOTICES if key in status), None)
        if notice:
            out.append(Refusal(where, "stream_notice", f"{notice}: {status[notice]!r:.200}", NOTE))
        else:
            out.append(Refusal(where, "item_invalid", "status has no id_str/id"))
        return
    notes: list[Refusal] = []
    # Archive tweets carry no user: their author is the archive's owner (None when no
    # account.js or manifest.js came with the file -- unknown, not guessed).
    author = how.owner if depth == 0 and how.archive else _v1_user(status.get("user"), how.accounts)
    extended = status.get("extended_tweet")
    body = extended if isinstance(extended, dict) else status
    text = _text(body.get("full_text") or status.get("full_text") or status.get("text"))
    stated = status.get("created_at")
    posted = _posted(_v1_time(stated), stated, post_id, where, notes)
    geotags = _v1_geotags(status, where, notes)
    entities = body.get("extended_entities") or body.get("entities")
    media = _v1_media(entities, post_id, how.doc, how.media_dir if depth == 0 else None)
    out.append(
        Post(
            PLATFORM,
            post_id,
            how.kind if depth == 0 else "tweet",
            author,
            posted,
            text,
            status,
            location,
            _url(post_id, author.handle if author else None),
            None,
            geotags,
            media,
            _v1_links(status, text),
        )
    )
    out.extend(notes)
    if depth < MAX_DEPTH:
        for key in ("retweeted_status", "quoted_status"):
            inner = status.get(key)
            if isinstance(inner, dict):
                _status(inner, f"{location}.{key}", how, depth + 1, out)


def _guarded(where: str, build: Callable[[list[Record]], object]) -> list[Record]:
    """What ``build`` made of one item; a malformed item ends as a refusal, not a crash."""
    out: list[Record] = []
    try:
        build(out)
    except ITEM_ERRORS as exc:
        out.append(Refusal(where, "item_invalid", f"{type(exc).__name__}: {exc!s:.200}"))
    return out


def _statuses(entries: Iterator[tuple[str, Any] | Refusal], how: _Tweets) -> Iterator[Record]:
    for entry in entries:
        if isinstance(entry, Refusal):
            yield entry
            continue
        location, status = entry
        yield from _guarded(
            f"{how.doc.name}#{location}", partial(_status, status, location, how, 0)
        )


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


def _read_v1(doc: ExportFile) -> Iterator[Record]:
    """A JSON array of statuses (timelines, twitter-to-sqlite), a search response
    (``{"statuses": […]}``), one indented status, or JSON Lines of statuses (twarc 1, the
    v1.1 stream)."""
    how = _Tweets(doc)
    with doc.open() as stream:
        head = stream.read(PEEK_BYTES)
        body = _io(_Rejoined(head, stream))
        start = head.lstrip(BLANK)
        if start[:1] == b"[":
            entries = _numbered(json_items(body, "item", doc.name), "[{}]")
        elif _STATUSES_ROOT.match(start):
            entries = _numbered(json_items(body, "statuses.item", doc.name), "statuses[{}]")
        elif _indented(start):
            entries = _numbered(json_items(body, "", doc.name), "root")
        else:
            entries = _lines(json_lines(body, doc.name))
        yield from _statuses(entries, how)


# -- the account archive --------------------------------------------------------------------


def _owner_account(name: str, item: Any, where: str) -> Account | Refusal:
    """The archive's owner from ``account.js`` (``{"account": {…}}``) or the manifest's
    ``userInfo``."""
    if name == "YTD.account":
        item = item.get("account") if isinstance(item, dict) else None
        keys = ("accountId", "username", "accountDisplayName")
    else:
        keys = ("accountId", "userName", "displayName")
    account_id = _id_text(item.get(keys[0])) if isinstance(item, dict) else None
    if account_id is None or not isinstance(item, dict):
        return Refusal(where, "item_invalid", "no accountId")
    return Account(PLATFORM, account_id, _opt_str(item.get(keys[1])), _opt_str(item.get(keys[2])))


def _owner_records(name: str, body: _Rejoined, doc: ExportFile) -> Iterator[Account | Refusal]:
    prefix = "item" if name == "YTD.account" else "userInfo"
    for index, item in enumerate(json_items(_io(body), prefix, doc.name)):
        if isinstance(item, Refusal):
            yield item
        else:
            yield _owner_account(name, item, f"{doc.name}#{prefix}[{index}]")


def _archive_owner(doc: ExportFile) -> Account | None:
    """The owner named by ``account.js`` or ``manifest.js`` beside the tweets (small files,
    read to their first account)."""
    for rel in ("account.js", "manifest.js"):
        sibling = doc.sibling(rel)
        if sibling is None:
            continue
        with sibling.open() as stream:
            split = _js_split(stream)
            if split is None or split[0] not in ARCHIVE_OWNER_FILES:
                continue
            for record in _owner_records(split[0], split[1], sibling):
                if isinstance(record, Account):
                    return record
    return None


def archive_items(
    doc: ExportFile, names: Collection[str]
) -> Iterator[tuple[str, int, Any] | Refusal]:
    """Each item of an archive file whose global is one of ``names`` (``YTD.tweet_headers``),
    as (that global, index, item); a damaged item is a refusal in its place, and a file of
    another global one refusal."""
    with doc.open() as stream:
        split = _js_split(stream)
        if split is None or split[0] not in names:
            listed = " or ".join(f"`window.{name}.partN =`" for name in names)
            yield Refusal(doc.name, "js_prefix_missing", f"no {listed} prefix")
            return
        name, body = split
        for index, item in enumerate(json_items(_io(body), "item", doc.name)):
            yield item if isinstance(item, Refusal) else (name, index, item)


def _archive_status(item: Any, index: int) -> tuple[str, Any]:
    """Archive items are ``{"tweet": {…}}``; the oldest ``tweet.js`` held bare statuses."""
    if isinstance(item, dict) and isinstance(item.get("tweet"), dict):
        return f"[{index}].tweet", item["tweet"]
    return f"[{index}]", item


def _read_archive(doc: ExportFile) -> Iterator[Record]:
    with doc.open() as stream:
        split = _js_split(stream)
        if split is None:
            yield Refusal(
                doc.name,
                "js_prefix_missing",
                "no `window.YTD.<name>.partN =` or `window.__THAR_CONFIG =` prefix",
            )
            return
        name, body = split
        if name in ARCHIVE_OWNER_FILES:
            yield from _owner_records(name, body, doc)
            return
        if name not in ARCHIVE_TWEET_FILES:
            yield Refusal(doc.name, "js_unsupported", f"{name} is not read by this reader")
            return
        kind, media_dir = ARCHIVE_TWEET_FILES[name]
        owner = _archive_owner(doc)
        how = _Tweets(doc, owner, kind, media_dir, archive=True)
        items = json_items(_io(body), "item", doc.name)
        entries = (
            item if isinstance(item, Refusal) else _archive_status(item, index)
            for index, item in enumerate(items)
        )
        yield from _statuses(entries, how)


# -- API v2 (twarc2) --------------------------------------------------------------------------


@dataclass(slots=True)
class _Includes:
    """One page's expansions, by id; ``order`` keeps the included tweets in file order
    with where each was (they become posts too)."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)

    def account(self, account_id: str) -> Account:
        """The user as an account, built once per page."""
        known = self.accounts.get(account_id)
        if known is None:
            known = self.accounts[account_id] = _v2_user(self.users.get(account_id), account_id)
        return known


def _index(items: Any, key: str) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {
        item[key]: item
        for item in items
        if isinstance(item, dict) and isinstance(item.get(key), str)
    }


def _within(line: str, part: str) -> str:
    """A location inside a page: ``line 5 data[2]``, or ``data[2]`` in a one-page file."""
    return part if line == "root" else f"{line} {part}"


def _page_includes(page: dict[str, Any], line: str) -> _Includes:
    found = page.get("includes")
    if not isinstance(found, dict):
        return _Includes()
    tweets = found.get("tweets")
    order = [
        (_within(line, f"includes.tweets[{i}]"), tweet)
        for i, tweet in enumerate(tweets if isinstance(tweets, list) else ())
        if isinstance(tweet, dict)
    ]
    return _Includes(
        _index(found.get("users"), "id"),
        _index(tweets, "id"),
        _index(found.get("media"), "media_key"),
        _index(found.get("places"), "id"),
        order,
    )


def _flat_collect(tweet: dict[str, Any], inc: _Includes, location: str, depth: int) -> None:
    """twarc2 ``flatten`` merges the expansions into each tweet (``author``,
    ``in_reply_to_user``, the place into ``geo``, ``attachments.media``, the full referenced
    tweets into ``referenced_tweets``): gathered back into page-style includes."""
    for key in ("author", "in_reply_to_user"):
        user = tweet.get(key)
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            inc.users[user["id"]] = user
    geo = tweet.get("geo")
    if isinstance(geo, dict) and isinstance(geo.get("place_id"), str) and "geo" in geo:
        inc.places[geo["place_id"]] = geo
    attachments = tweet.get("attachments")
    if isinstance(attachments, dict):
        inc.media.update(_index(attachments.get("media"), "media_key"))
    refs = tweet.get("referenced_tweets")
    for i, ref in enumerate(refs if isinstance(refs, list) and depth < MAX_DEPTH else ()):
        if (
            isinstance(ref, dict)
            and isinstance(ref.get("id"), str)
            and ("text" in ref or "created_at" in ref)
        ):
            inc.tweets[ref["id"]] = ref
            inc.order.append((f"{location}.referenced_tweets[{i}]", ref))
            _flat_collect(ref, inc, f"{location}.referenced_tweets[{i}]", depth + 1)


def _v2_user(user: Any, account_id: str) -> Account:
    if not isinstance(user, dict):
        return Account(PLATFORM, account_id)
    return Account(PLATFORM, account_id, _opt_str(user.get("username")), _opt_str(user.get("name")))


def _v2_geotags(
    tweet: dict[str, Any], inc: _Includes, where: str, notes: list[Refusal]
) -> tuple[Geotag, ...]:
    geo = tweet.get("geo")
    if not isinstance(geo, dict):
        return ()
    app = _app(tweet.get("source"))
    point = None
    stated = geo.get("coordinates")
    if stated is not None:
        pair = _pair(stated)
        if pair is None:
            notes.append(
                Refusal(where, "geotag_invalid", f"geo.coordinates: not a point: {stated!r:.80}")
            )
        else:
            point = _point(pair[1], pair[0], "geo.coordinates", app, where, notes)
            if point is not None:
                _order_check(point, "[lon, lat]", where, notes)
    area = None
    place_id = geo.get("place_id")
    if place_id is not None:
        place = inc.places.get(place_id) if isinstance(place_id, str) else None
        if place is None:
            notes.append(
                Refusal(
                    where,
                    "geotag_unresolved",
                    f"geo.place_id {place_id!r} is not in the page's includes.places",
                    NOTE,
                )
            )
        else:
            area = _place(place, _bbox, "includes.places.geo.bbox", where, notes)
    _cross_check(point, area, where, notes)
    return tuple(tag for tag in (point, area) if tag is not None)


def _v2_media(attachments: Any, inc: _Includes) -> tuple[MediaRef, ...]:
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    refs = []
    for key in keys if isinstance(keys, list) else ():
        if not isinstance(key, str):
            continue
        item = inc.media.get(key)
        if item is None:
            refs.append(MediaRef(metadata={"media_key": key}))
            continue
        # A video is its best MP4, not the still the API also names.
        url = (
            _opt_str(item.get("url"))
            or _best_video(item.get("variants"))
            or _opt_str(item.get("preview_image_url"))
        )
        meta = {
            k: item[k]
            for k in (
                "media_key",
                "width",
                "height",
                "duration_ms",
                "alt_text",
                "preview_image_url",
            )
            if item.get(k) is not None
        }
        refs.append(MediaRef(url=url, kind=_opt_str(item.get("type")), metadata=meta))
    return tuple(refs)


def _v2_links(tweet: dict[str, Any], inc: _Includes) -> tuple[Link, ...]:
    links = []
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else ():
        kind = _V2_LINKS.get(str(ref.get("type"))) if isinstance(ref, dict) else None
        if kind is None:
            continue
        ref_id = _id_text(ref.get("id"))
        original = inc.tweets.get(ref_id) if ref_id else None
        author_id = _id_text(original.get("author_id")) if original else None
        author = inc.users.get(author_id) if author_id else None
        at = iso_instant(original.get("created_at"), "created_at") if original else None
        links.append(
            Link(kind, ref_id, author_id, _opt_str(author.get("username")) if author else None, at)
        )
    reply_user = _id_text(tweet.get("in_reply_to_user_id"))
    if reply_user and not any(link.kind == "reply_to" for link in links):
        user = inc.users.get(reply_user)
        links.append(
            Link("reply_to", None, reply_user, _opt_str(user.get("username")) if user else None)
        )
    return tuple(links)


def _v2_tweet(
    tweet: Any, location: str, inc: _Includes, doc: ExportFile, seen: set[str], out: list[Record]
) -> None:
    """One v2 tweet (or a user object, from user lookups) as records, unless ``seen``
    already holds its id."""
    where = f"{doc.name}#{location}"
    if not isinstance(tweet, dict):
        out.append(Refusal(where, "item_invalid", "tweet is not a JSON object"))
        return
    post_id = _id_text(tweet.get("id"))
    if post_id is None:
        out.append(Refusal(where, "item_invalid", "tweet has no id"))
        return
    if post_id in seen:
        return
    seen.add(post_id)
    if "username" in tweet and "text" not in tweet:
        out.append(_v2_user(tweet, post_id))
        return
    notes: list[Refusal] = []
    author_id = _id_text(tweet.get("author_id"))
    author = inc.account(author_id) if author_id else None
    note = tweet.get("note_tweet")  # the whole text of a long tweet; ``text`` is cut
    text = _text(
        note.get("text") if isinstance(note, dict) and note.get("text") else tweet.get("text")
    )
    stated = tweet.get("created_at")
    found = iso_instant(stated, "created_at")
    posted = _posted(found.utc if found else None, stated, post_id, where, notes)
    geotags = _v2_geotags(tweet, inc, where, notes)
    out.append(
        Post(
            PLATFORM,
            post_id,
            "tweet",
            author,
            posted,
            text,
            tweet,
            location,
            _url(post_id, author.handle if author else None),
            None,
            geotags,
            _v2_media(tweet.get("attachments"), inc),
            _v2_links(tweet, inc),
        )
    )
    out.extend(notes)


def _api_error(error: Any) -> str:
    if not isinstance(error, dict):
        return f"{error!r:.200}"
    what = error.get("detail") or error.get("title") or error.get("message") or "error"
    resource = " ".join(str(error[k]) for k in ("resource_type", "resource_id") if k in error)
    return f"{what} ({resource})" if resource else str(what)


def _v2_page(page: Any, line: str, doc: ExportFile) -> Iterator[Record]:
    """One page at ``line`` (``line 5``, ``[2]`` in an array of pages, ``root``): an API
    page (``data`` a list), a stream message (``data`` one tweet) or a flattened tweet;
    the page's errors first, then its tweets, then the included tweets no data item
    already gave (each tweet once per page)."""
    where = f"{doc.name}#{line}"
    if not isinstance(page, dict):
        yield Refusal(where, "item_invalid", "page is not a JSON object")
        return
    errors = page.get("errors")
    for error in errors if isinstance(errors, list) else ():
        yield Refusal(where, "api_error", _api_error(error), NOTE)
    data = page.get("data")
    if data is None and "id" in page:
        inc = _Includes()
        yield from _guarded(where, lambda out: _flat_collect(page, inc, line, 0))
        tweets = [(line, page)]
    else:
        inc = _page_includes(page, line)
        if isinstance(data, list):
            tweets = [(_within(line, f"data[{i}]"), tweet) for i, tweet in enumerate(data)]
        else:
            tweets = [(_within(line, "data"), data)] if data is not None else []
    seen: set[str] = set()
    for location, tweet in [*tweets, *inc.order]:
        yield from _guarded(
            f"{doc.name}#{location}", partial(_v2_tweet, tweet, location, inc, doc, seen)
        )


def _read_v2(doc: ExportFile) -> Iterator[Record]:
    """twarc2's JSON Lines (a page, a stream message or a flattened tweet per line), or a
    page saved as one indented document, or a JSON array of pages."""
    with doc.open() as stream:
        head = stream.read(PEEK_BYTES)
        body = _io(_Rejoined(head, stream))
        start = head.lstrip(BLANK)
        if start[:1] == b"[":
            pages = _numbered(json_items(body, "item", doc.name), "[{}]")
        elif _indented(start):
            pages = _numbered(json_items(body, "", doc.name), "root")
        else:
            pages = _lines(json_lines(body, doc.name))
        for entry in pages:
            if isinstance(entry, Refusal):
                yield entry
            else:
                yield from _v2_page(entry[1], entry[0], doc)


# -- recognising the documents ----------------------------------------------------------------


def _sniff_archive(name: str, head: bytes) -> bool:
    prefix, eq, _ = head[:PEEK_BYTES].partition(b"=")
    found = _js_global(prefix) if eq else None
    return found in ARCHIVE_TWEET_FILES or found in ARCHIVE_OWNER_FILES


def _sniff_v1(name: str, head: bytes) -> bool:
    """Statuses: ``id_str`` and a v1.1 ``created_at`` in a document that starts as JSON
    (the archive's tweets, the same shape, start with ``window.``)."""
    start = head.lstrip(BLANK)[:1]
    return start in (b"[", b"{") and b'"id_str"' in head and _V1_CREATED.search(head) is not None


#: Keys only a v2 tweet page has.  ``author_id`` alone is not enough: yt-dlp's comments
#: have one too.
_V2_STRONG = (b'"__twarc"', b'"edit_history_tweet_ids"', b'"matching_rules"', b'"newest_id"')
_V2_PAIRED = (b'"conversation_id"', b'"referenced_tweets"')


def _sniff_v2(name: str, head: bytes) -> bool:
    """JSON holding v2 tweet keys and no v1.1 date."""
    if head.lstrip(BLANK)[:1] not in (b"{", b"[") or _V1_CREATED.search(head) is not None:
        return False
    return any(key in head for key in _V2_STRONG) or (
        b'"author_id"' in head and any(key in head for key in _V2_PAIRED)
    )


TWITTER_ARCHIVE = ExportReader("twitter_archive", VERSION, (".js",), _sniff_archive, _read_archive)
TWITTER_V2 = ExportReader(
    "twitter_v2", VERSION, (".json", ".jsonl", ".ndjson"), _sniff_v2, _read_v2
)
TWITTER_V1 = ExportReader(
    "twitter_v1", VERSION, (".json", ".jsonl", ".ndjson"), _sniff_v1, _read_v1
)

READERS: tuple[ExportReader, ...] = (TWITTER_ARCHIVE, TWITTER_V2, TWITTER_V1)
