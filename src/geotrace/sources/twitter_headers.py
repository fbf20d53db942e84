"""An X archive's ``data/tweet-headers.js``: every tweet's id, author and time, nothing else.

``window.YTD.tweet_headers.part0 = [{"tweet": {"tweet_id", "user_id", "created_at"}}]``
holds the whole posting rhythm of the account -- the input that silence analysis needs --
even where ``tweets.js`` was not kept.  Each header becomes a time-only post: the tweet's
id, its author, its UTC instant (checked against the instant the id encodes, as for full
tweets), no text.  Its kind is :data:`~geotrace.records.HEADER_KIND`, so that the store
lets the full tweet, read before or after from ``tweets.js``, stand for the same post
(see ``Case.put_posts``).

``data/deleted-tweet-headers.js`` (``window.YTD.deleted_tweet_headers``) has the same
items plus ``deleted_at``: the tweets the owner deleted are part of the same rhythm (a
burst of deletions is itself an event), so they are read the same way, ``deleted_at``
kept in the raw item; the full copy in ``deleted-tweets.js`` takes their place as above.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from geotrace.records import HEADER_KIND, Account, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.twitter import _archive_owner, _js_global, _v1_time, archive_items
from geotrace.sources.twitter_tweet import PEEK_BYTES, PLATFORM, _id_text, _posted, _url

#: The archive files' global names: headers of the tweets kept, and of those deleted.
HEADERS = ("YTD.tweet_headers", "YTD.deleted_tweet_headers")


def sniff(name: str, head: bytes) -> bool:
    prefix, eq, _ = head[:PEEK_BYTES].partition(b"=")
    return bool(eq) and _js_global(prefix) in HEADERS


def _header(item: Any, location: str, owner: Account | None, where: str) -> list[Record]:
    """One ``{"tweet": {…}}`` header as a time-only post and its notes."""
    tweet = item.get("tweet") if isinstance(item, dict) else None
    if not isinstance(tweet, dict):
        return [Refusal(where, "item_invalid", "header has no tweet object")]
    post_id = _id_text(tweet.get("tweet_id"))
    if post_id is None:
        return [
            Refusal(where, "item_invalid", f"tweet_id is not an id: {tweet.get('tweet_id')!r:.60}")
        ]
    notes: list[Refusal] = []
    stated = tweet.get("created_at")
    posted = _posted(_v1_time(stated), stated, post_id, where, notes)
    user_id = _id_text(tweet.get("user_id"))
    author = None
    if owner is not None and owner.account_id == user_id:
        author = owner  # account.js beside the file gives the handle and name
    elif user_id is not None:
        author = Account(PLATFORM, user_id)
    handle = author.handle if author is not None else None
    post = Post(
        PLATFORM, post_id, HEADER_KIND, author, posted, "", item, location, _url(post_id, handle)
    )
    return [post, *notes]


def read(doc: ExportFile) -> Iterator[Record]:
    owner = _archive_owner(doc)
    for entry in archive_items(doc, HEADERS):
        if isinstance(entry, Refusal):
            yield entry
            continue
        _, index, item = entry
        location = f"[{index}].tweet"
        yield from _header(item, location, owner, f"{doc.name}#{location}")


TWEET_HEADERS = ExportReader("twitter_tweet_headers", "1", (".js",), sniff, read)

READERS: tuple[ExportReader, ...] = (TWEET_HEADERS,)
