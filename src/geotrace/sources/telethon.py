"""Telegram as Telethon-based scrapers dump it: ``Message.to_json()`` one per line (or a
JSON array of them), and 4CAT's Telegram NDJSON.

The two differ in how they serialise the same objects: Telethon tags every object with
``"_"`` and writes datetimes as ISO 8601 with ``+00:00``; 4CAT's ``serialize_obj`` tags
nested objects with ``"_type"`` (the message itself with nothing), writes datetimes as
float Unix seconds and keeps the resolved sender and chat (``_sender``, ``_chat``) that
give handles and names.  Both are the same instants in UTC.

Accounts and post ids are written the way the Telegram Desktop export writes them
(``channel<id>``, ``user<id>``, ``chat<id>``; post ``<bare chat id>/<message id>``), so
that a channel read from both a Desktop export and a Telethon dump is one chat in the case.
Geo media give the position with ``long`` before ``lat``: they are read by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from geotrace.records import Account, Geotag, Instant, Link, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import checked_point, iso_instant, unix_instant
from geotrace.sources.generic import first_byte, peek
from geotrace.sources.jsonstream import json_items, json_lines

PLATFORM = "telegram"

#: Peer type -> (its id key, the account id prefix Telegram Desktop writes).
PEERS = {
    "PeerChannel": ("channel_id", "channel"),
    "PeerUser": ("user_id", "user"),
    "PeerChat": ("chat_id", "chat"),
}

#: A sent location with no ``accuracy_radius``: a phone's fix (a few to tens of metres in
#: a town) or a pin dropped on a map at street zoom; 50 m covers either.
POINT_RADIUS_M = 50.0
#: A venue's coordinates are the place's registered pin (Foursquare, Google), not the
#: sender's: a square, station or mall extends ~100 m around it.
VENUE_RADIUS_M = 100.0

#: Geo media type -> geotag kind.
GEO_MEDIA = {
    "MessageMediaGeo": "point",
    "MessageMediaGeoLive": "live_location",
    "MessageMediaVenue": "venue",
}

_PEER_AT_START = re.compile(
    rb'"(?:peer_id|to_id)"\s*:\s*\{[^{}]*?"_(?:type)?"\s*:\s*"Peer(?:Channel|User|Chat)"'
)


def sniff(name: str, head: bytes) -> bool:
    """A message's ``peer_id`` object with a Telethon type tag (``_`` or 4CAT's ``_type``)
    is the tell-tale: no other export names peers that way."""
    if not name.lower().endswith((".json", ".jsonl", ".ndjson")):
        return False
    if first_byte(head) not in (b"{", b"["):
        return False
    return _PEER_AT_START.search(head) is not None


def _tag(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return None
    tag = obj.get("_") or obj.get("_type")
    return tag if isinstance(tag, str) else None


def _number(value: object) -> int | None:
    """An integer id (a bool is not one; ``type is`` also keeps this cheap)."""
    return value if type(value) is int else None


def _peer(obj: object) -> tuple[str, int] | None:
    """(account prefix, bare id) of a peer; an integer is an old Telethon's user id, and a
    4CAT peer replaced by the resolved entity still carries ``channel_id``/``user_id``."""
    number = _number(obj)
    if number is not None:
        return "user", number
    if not isinstance(obj, dict):
        return None
    known = PEERS.get(_tag(obj) or "")
    candidates = (known,) if known else tuple(PEERS.values())
    for key, prefix in candidates:
        number = _number(obj.get(key))
        if number is not None:
            return prefix, number
    return None


def _when(value: object, source: str) -> Instant | None:
    """Telethon's ISO 8601 (or ``str(datetime)``) or 4CAT's float Unix seconds."""
    if isinstance(value, str):
        return iso_instant(value, source)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return unix_instant(value, source)
    return None


def _entity_names(entity: object, number: int) -> tuple[str | None, str | None]:
    """Handle and name from a 4CAT resolved ``_sender``/``_chat`` when it is that peer."""
    if not isinstance(entity, dict) or entity.get("id") != number:
        return None, None
    handle = entity.get("username")
    title = entity.get("title")
    if not isinstance(title, str):
        parts = [entity.get("first_name"), entity.get("last_name")]
        title = " ".join(p for p in parts if isinstance(p, str) and p) or None
    return (handle if isinstance(handle, str) and handle else None), title or None


def _account(peer: tuple[str, int], entity: object = None) -> Account:
    handle, name = _entity_names(entity, peer[1])
    return Account(PLATFORM, f"{peer[0]}{peer[1]}", handle, name)


def _geotag(media: dict[str, Any]) -> tuple[Geotag | None, str | None]:
    """The position of geo media, or why the position given is not one."""
    kind = GEO_MEDIA.get(_tag(media) or "")
    geo = media.get("geo")
    if kind is None or not isinstance(geo, dict) or _tag(geo) != "GeoPoint":
        return None, None  # not geo media, or GeoPointEmpty: no position was sent
    checked = checked_point(geo.get("lat"), geo.get("long"))
    if isinstance(checked, str):
        return None, checked
    accuracy = _number(geo.get("accuracy_radius"))
    stated = float(accuracy) if accuracy is not None and accuracy > 0 else None
    label = None
    if kind == "venue":
        radius = max(stated or 0.0, VENUE_RADIUS_M)
        parts = (media.get("title"), media.get("address"))
        label = ", ".join(p for p in parts if isinstance(p, str) and p) or None
    else:
        radius = stated or POINT_RADIUS_M
    return Geotag(checked[0], checked[1], radius, kind, "media.geo", label), None


def _media_refs(media: dict[str, Any]) -> tuple[MediaRef, ...]:
    """The file a message carries: never in the dump itself, so only what Telegram says
    about it (the photo or document object, verbatim)."""
    photo = media.get("photo")
    if isinstance(photo, dict) and _tag(photo) == "Photo":
        return (MediaRef(kind="photo", metadata=photo),)
    document = media.get("document")
    if isinstance(document, dict) and _tag(document) == "Document":
        mime = document.get("mime_type")
        kind = mime.split("/", 1)[0] if isinstance(mime, str) and "/" in mime else "document"
        return (MediaRef(kind="photo" if kind == "image" else kind, metadata=document),)
    return ()


def _links(item: dict[str, Any], chat: tuple[str, int]) -> tuple[Link, ...]:
    links: list[Link] = []
    fwd = item.get("fwd_from")
    if isinstance(fwd, dict):
        origin = _peer(fwd.get("from_id"))
        post = _number(fwd.get("channel_post"))
        name = fwd.get("from_name")
        links.append(
            Link(
                "forward_of",
                post_id=f"{origin[1]}/{post}"
                if origin and origin[0] == "channel" and post
                else None,
                account_id=f"{origin[0]}{origin[1]}" if origin else None,
                name=name if isinstance(name, str) else None,
                at=_when(fwd.get("date"), "fwd_from.date"),
            )
        )
    reply = item.get("reply_to")
    if isinstance(reply, dict):
        target = _number(reply.get("reply_to_msg_id"))
        where = _peer(reply.get("reply_to_peer_id")) or chat
        if target is not None:
            links.append(Link("reply_to", post_id=f"{where[1]}/{target}"))
        elif (story_peer := _peer(reply.get("peer"))) is not None:
            links.append(Link("reply_to", account_id=f"{story_peer[0]}{story_peer[1]}"))
    elif (target := _number(item.get("reply_to_msg_id"))) is not None:
        links.append(Link("reply_to", post_id=f"{chat[1]}/{target}"))  # before layer 120
    return tuple(links)


def _url(chat: tuple[str, int], handle: str | None, message_id: int) -> str | None:
    if handle:
        return f"https://t.me/{handle}/{message_id}"
    if chat[0] == "channel":
        return f"https://t.me/c/{chat[1]}/{message_id}"  # opens for members of the channel
    return None


def convert(item: object, location: str, where: str) -> list[Record]:
    """One message as a post (first) and the refusals of what in it could not be read;
    a single refusal when it is not a message at all."""
    try:
        return _convert(item, location, where)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [Refusal(where, "item_invalid", f"{type(exc).__name__}: {exc}")]


def _convert(item: object, location: str, where: str) -> list[Record]:
    if not isinstance(item, dict):
        return [Refusal(where, "item_invalid", "item is not an object")]
    tag = _tag(item)
    if tag not in ("Message", "MessageService", None):
        return [Refusal(where, "not_a_message", f"a {tag}, not a message")]
    message_id = _number(item.get("id"))
    chat = _peer(item.get("peer_id") or item.get("to_id"))
    if message_id is None or chat is None:
        return [Refusal(where, "item_invalid", "no integer id or no peer_id: not a message")]
    service = tag == "MessageService" or (tag is None and bool(item.get("action")))
    refusals: list[Record] = []
    posted_at = _when(item.get("date"), "date")
    if posted_at is None:
        refusals.append(Refusal(where, "time_invalid", f"date {item.get('date')!r}"))
    chat_account = _account(chat, item.get("_chat"))
    sender = _peer(item.get("from_id"))
    if sender is not None:
        author: Account | None = _account(sender, item.get("_sender"))
    elif chat[0] == "channel" or (chat[0] == "user" and not item.get("out")):
        # A broadcast post has no sender but the channel; in a private chat an incoming
        # message is the other party's (Telethon's own ``sender_id`` rule).
        author = chat_account
    else:
        author = None
    geotags: tuple[Geotag, ...] = ()
    media_refs: tuple[MediaRef, ...] = ()
    media = item.get("media")
    if isinstance(media, dict):
        geotag, why = _geotag(media)
        if why is not None:
            refusals.append(Refusal(where, "geotag_invalid", why))
        geotags = (geotag,) if geotag is not None else ()
        media_refs = _media_refs(media)
    text = item.get("message")
    post = Post(
        platform=PLATFORM,
        post_id=f"{chat[1]}/{message_id}",
        kind="service" if service else "message",
        author=author,
        posted_at=posted_at,
        text=text if isinstance(text, str) else "",
        raw=item,
        location=location,
        url=_url(chat, chat_account.handle, message_id),
        chat=chat_account,
        geotags=geotags,
        media=media_refs,
        links=_links(item, chat),
    )
    return [post, *refusals]


def read(doc: ExportFile) -> Iterator[Record]:
    with doc.open() as counted:
        head, stream = peek(counted)
        if first_byte(head) == b"[":
            for index, value in enumerate(json_items(stream, "item", doc.name)):
                if isinstance(value, Refusal):
                    yield value
                else:
                    yield from convert(value, f"[{index}]", f"{doc.name}#[{index}]")
            return
        for entry in json_lines(stream, doc.name):
            if isinstance(entry, Refusal):
                yield entry
            else:
                number, value = entry
                yield from convert(value, f"line {number}", f"{doc.name}#line {number}")


TELETHON = ExportReader("telethon", "1", (".json", ".jsonl", ".ndjson"), sniff, read)

READERS: tuple[ExportReader, ...] = (TELETHON,)
