"""X/Twitter API v2 pages (twarc2 JSONL: pages, stream lines, ``flatten`` output).

v2 keeps users, places, media and referenced tweets in a page-level ``includes`` that
every tweet of that page points into; a page's ``errors[]`` are said, not dropped.  What a
tweet means is shared with the archive and v1.1 readers (``twitter_tweet.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from geotrace.records import NOTE, Account, Geotag, Link, LinkKind, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import iso_instant
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

_V2_LINKS: dict[str, LinkKind] = {
    "retweeted": "repost_of",
    "quoted": "quote_of",
    "replied_to": "reply_to",
}


def _bbox(place: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """v2 ``geo.bbox``: ``[w, s, e, n]``."""
    geo = place.get("geo")
    if geo is None:
        return None
    w, s, e, n = geo["bbox"]
    return float(w), float(s), float(e), float(n)


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


TWITTER_V2 = ExportReader(
    "twitter_v2", VERSION, (".json", ".jsonl", ".ndjson"), _sniff_v2, _read_v2
)
