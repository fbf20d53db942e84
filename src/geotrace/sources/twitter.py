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

This module reads the archive and v1.1; ``twitter_v2.py`` reads v2 pages, and what the
three share is in ``twitter_tweet.py``.  :data:`READERS` lists the three.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from geotrace.records import NOTE, Account, Geotag, Instant, Link, LinkKind, MediaRef, Post
from geotrace.sources.base import CountingReader, ExportFile, ExportReader, Record, Refusal
from geotrace.sources.jsonstream import json_items, json_lines
from geotrace.sources.twitter_tweet import (
    _V1_CREATED,
    BLANK,
    MAX_DEPTH,
    PEEK_BYTES,
    PLATFORM,
    VERSION,
    _app,
    _best_video,
    _cross_check,
    _guarded,
    _id_text,
    _indented,
    _io,
    _lines,
    _numbered,
    _opt_str,
    _order_check,
    _pair,
    _place,
    _point,
    _posted,
    _Rejoined,
    _text,
    _url,
)
from geotrace.sources.twitter_v2 import TWITTER_V2

#: Two claimed points closer than this (degrees) are the same point written twice.
SAME_POINT_DEG = 1e-5


#: Accounts kept built per document (a timeline repeats its user): bounded, not per file.
ACCOUNT_CACHE = 4096


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

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


# -- streams ------------------------------------------------------------------------------


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


def _tweet_id(obj: dict[str, Any]) -> str | None:
    return _id_text(obj.get("id_str")) or _id_text(obj.get("id"))


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


# -- geotags ------------------------------------------------------------------------------


def _ring_box(place: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """v1.1 ``bounding_box``: a GeoJSON Polygon of ``[lon, lat]`` corners -> w, s, e, n."""
    box = place.get("bounding_box")
    if box is None:
        return None
    ring = box["coordinates"][0]
    lons = [float(corner[0]) for corner in ring]
    lats = [float(corner[1]) for corner in ring]
    return min(lons), min(lats), max(lons), max(lats)


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


def _statuses(entries: Iterator[tuple[str, Any] | Refusal], how: _Tweets) -> Iterator[Record]:
    for entry in entries:
        if isinstance(entry, Refusal):
            yield entry
            continue
        location, status = entry
        yield from _guarded(
            f"{how.doc.name}#{location}", partial(_status, status, location, how, 0)
        )


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


TWITTER_ARCHIVE = ExportReader("twitter_archive", VERSION, (".js",), _sniff_archive, _read_archive)
TWITTER_V1 = ExportReader(
    "twitter_v1", VERSION, (".json", ".jsonl", ".ndjson"), _sniff_v1, _read_v1
)

READERS: tuple[ExportReader, ...] = (TWITTER_ARCHIVE, TWITTER_V2, TWITTER_V1)
