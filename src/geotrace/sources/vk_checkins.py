"""VK ``places.getCheckins``: where a user checked in, and when.

A saved response is ``{"response": {"count": N, "items": [check-in, …]}}`` (or the bare
``{"count", "items"}``); a check-in has ``id`` (``"<user>_<post>"`` in current API
versions), ``user_id``, ``date`` (Unix UTC), ``latitude``/``longitude`` and the place's
``place_id``/``place_title``, and ``post_id`` when it was also a wall post.  Each becomes
a post of kind ``checkin`` by the user at that time, its point a venue pin with the VK
reader's venue radius (a place stands for a building, a square or a park).  Its id is
``checkin<id>``, apart from the wall post's ``<owner>_<id>``: the two are different
records of the platform, and the wall post, read from ``wall.get``, keeps its own text.
VK writes ``0, 0`` for a check-in with no position: refused as a placeholder.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from geotrace.records import Account, Geotag, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import checked_point, unix_instant
from geotrace.sources.jsonstream import BOM, json_items
from geotrace.sources.vk import PLATFORM
from geotrace.sources.vk_media import VENUE_RADIUS_M

_RESPONSE = re.compile(rb'\A\s*\{\s*"response"\s*:')
#: Keys only a check-in has together (a place object has no ``user_id``, a post no
#: ``place_id`` beside ``latitude``).
_TELLS = (
    re.compile(rb'"place_id"\s*:'),
    re.compile(rb'"latitude"\s*:'),
    re.compile(rb'"user_id"\s*:\s*\d'),
    re.compile(rb'"date"\s*:\s*\d'),
)


def _body(head: bytes) -> bytes:
    return head[len(BOM) :] if head.startswith(BOM) else head


def sniff(name: str, head: bytes) -> bool:
    body = _body(head).lstrip()
    if not name.lower().endswith(".json") or body[:1] != b"{":
        return False
    return all(tell.search(body) for tell in _TELLS)


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, (int, str)) else ""
    return text if text and text.replace("_", "").lstrip("-").isdigit() else None


def _checkin(item: Any, location: str, where: str) -> list[Record]:
    if not isinstance(item, dict):
        return [Refusal(where, "vk_item_invalid", f"not an object: {item!r:.60}")]
    checkin, user = _id(item.get("id")), _id(item.get("user_id"))
    if checkin is None or user is None:
        return [Refusal(where, "vk_item_invalid", "check-in has no id or user_id")]
    refusals: list[Record] = []
    posted_at = unix_instant(item.get("date"), "date")
    if posted_at is None:
        why = f"date is not a plausible Unix time: {item.get('date')!r:.40}"
        refusals.append(Refusal(where, "time_invalid", why))
    point = checked_point(item.get("latitude"), item.get("longitude"))
    geotags: tuple[Geotag, ...] = ()
    if isinstance(point, str):
        refusals.append(Refusal(where, "geotag_invalid", f"latitude/longitude: {point}"))
    else:
        label = item.get("place_title")
        label = html.unescape(label).strip() or None if isinstance(label, str) else None
        tag = Geotag(point[0], point[1], VENUE_RADIUS_M, "venue", "latitude/longitude", label)
        geotags = (tag,)
    wall = _id(item.get("post_id"))
    text = item.get("text")
    post = Post(
        platform=PLATFORM,
        post_id=f"checkin{checkin}",
        kind="checkin",
        author=Account(PLATFORM, user),
        posted_at=posted_at,
        text=html.unescape(text) if isinstance(text, str) else "",
        raw=item,
        location=location,
        url=f"https://vk.com/wall{user}_{wall}" if wall else None,
        geotags=geotags,
    )
    return [post, *refusals]


def read(doc: ExportFile) -> Iterator[Record]:
    with doc.opener() as peek:
        head = peek.read(256)
    response = _RESPONSE.match(_body(head)) is not None
    prefix, label = (
        ("response.items.item", "response.items") if response else ("items.item", "items")
    )
    with doc.open() as stream:
        for index, item in enumerate(json_items(stream, prefix, doc.name)):
            if isinstance(item, Refusal):
                yield item
                continue
            location = f"{label}[{index}]"
            yield from _checkin(item, location, f"{doc.name}#{location}")


VK_CHECKINS = ExportReader("vk_checkins", "1", (".json",), sniff, read)

READERS: tuple[ExportReader, ...] = (VK_CHECKINS,)
