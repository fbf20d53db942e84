"""One Telegram Desktop message as a post: its instant, its author's and chat's ids, its
geotag, files and links; for ``telegram.py``, which finds the messages and their chats.

Kept apart from the document's byte stream and layout so that what a message means (the
exporter's wall clock, the bare and peer ids of the two API eras, the placeholder for a
file not exported) reads in one place; see ``telegram.py`` for what tdesktop gets wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geotrace.records import Account, Geotag, Instant, Link, MediaRef, Post
from geotrace.sources.common import checked_point, unix_instant
from geotrace.sources.jsonitem import Readable
from geotrace.sources.telegram_clock import PairedClock

PLATFORM = "telegram"


#: A sent location carries no accuracy in the export (the API's ``accuracy_radius`` is
#: dropped): a phone's fix (a few to tens of metres in a town) or a pin dropped on a map
#: at street zoom; 50 m covers either, and is what the Telethon reader uses for the same
#: message read from the API.
POINT_RADIUS_M = 50.0


#: A venue's coordinates are the place's registered pin (Foursquare, Google), not the
#: sender's: a square, station or mall extends ~100 m around it.
VENUE_RADIUS_M = 100.0


#: Half-width of an instant whose zone is the exporter's offset read from the 1970
#: placeholder: that is the zone's offset on 1 January 1970, and the offset at the
#: message's date differs by DST or by later law.  Over 2013-2025 it stays within 1 h for
#: 560 of the 597 tzdata zones (Windows applies today's rules to 1970, which leaves only
#: DST); the rest (Alaska, Greenland, Mongolia, date-line islands) can be 2-25 h off.
INFERRED_OFFSET_UNCERTAINTY_S = 3600.0


#: A wall time of an unknown zone: UTC-12 to UTC+14.
UNKNOWN_ZONE_UNCERTAINTY_S = 14 * 3600.0


#: What tdesktop writes instead of a path for a file it did not save (``pushPath``); the
#: sentence may follow a label (``contact_vcard``), so it is matched as a suffix.
MISSING_FILE = (
    "(File not included. Change data exporting settings to download.)",
    "(File exceeds maximum size. Change data exporting settings to download.)",
    "(File unavailable, please try again later)",
    "(Photo not included. Change data exporting settings to download.)",
    "(Photo exceeds maximum size. Change data exporting settings to download.)",
    "(Photo unavailable, please try again later)",
)


#: Chat types by the peer kind of their id (``DialogInfo::Type`` in tdesktop).
USER_CHATS = frozenset(
    {"saved_messages", "replies", "personal_chat", "bot_chat", "verification_codes"}
)
CHANNEL_CHATS = frozenset(
    {"private_supergroup", "public_supergroup", "private_channel", "public_channel"}
)
BROADCAST_CHATS = frozenset({"private_channel", "public_channel"})


#: Before 64-bit ids (tdesktop 3.1) a chat's ``id`` was the exporter's internal peer id:
#: ``1 << 32 | user id`` or ``2 << 32 | chat or channel id`` (``export_data_types.cpp``).
USER_SHIFT = 1 << 32
CHAT_SHIFT = 2 << 32


@dataclass(frozen=True, slots=True)
class _Chat:
    """A chat header as read before its messages; ``id`` None when it could not be read."""

    section: str | None  # "chats" | "left_chats" | None (a single-chat export)
    index: int
    id: object
    name: str | None
    type: str | None

    def where(self) -> str:
        """Where its message list is: ``chats.list[2].messages``, or ``messages``."""
        if self.section is None:
            return "messages"
        return f"{self.section}.list[{self.index}].messages"


# -- time -----------------------------------------------------------------------------------------


_EPOCH_EDITED = re.compile(rb'"edited": "(19(?:70-01-01|69-12-31)T\d\d:\d\d(?::\d\d)?)"')


def exporter_offset(stream: Readable) -> timedelta | None:
    """The exporting machine's UTC offset, from the first "never edited" placeholder
    (epoch 0 written as local time); None when the document has ``date_unixtime`` (it
    needs none) or betrays nothing.  One pass of ``bytes.find`` over the file: it stops at
    the first message of an old export, at the first ``date_unixtime`` of a new one, and
    reads to the end (about 1 s/GB) only when neither is there."""
    carry = b""
    while True:
        data = stream.read(1 << 20)
        if not data:
            return None
        buf = carry + data
        unixtime = buf.find(b'"date_unixtime"')
        at = buf.find(b'"edited": "19')
        while at >= 0 and (unixtime < 0 or at < unixtime):
            match = _EPOCH_EDITED.match(buf, at)
            if match is not None:
                offset = _epoch_offset(match.group(1).decode("ascii"))
                if offset is not None:
                    return offset
            elif len(buf) - at < 40:
                break  # the value may be cut off: look again with the next block
            at = buf.find(b'"edited": "19', at + 1)
        if unixtime >= 0 and (at < 0 or unixtime < at):
            return None
        carry = buf[at:] if at >= 0 and len(buf) - at < 40 else buf[-40:]


def _epoch_offset(wall: str) -> timedelta | None:
    try:
        offset = datetime.fromisoformat(wall) - datetime(1970, 1, 1)
    except ValueError:
        return None
    return offset if abs(offset) <= timedelta(hours=14) else None


def message_instant(
    message: dict[str, Any],
    offset: timedelta | None,
    paired: Callable[[], PairedClock] | None = None,
) -> Instant | None:
    """``date_unixtime`` when there; else ``date`` (the exporter's wall clock) pinned by the
    offsets measured on the same document's messages that give both (``paired``, built
    when first needed: see ``telegram_clock``), else by the 1970 placeholder's offset,
    else kept as a wall time of an unknown zone."""
    stamp = message.get("date_unixtime")
    if stamp is not None:  # (unix_instant(None) would raise and catch: slow per message)
        stated = unix_instant(stamp, "date_unixtime")
        if stated is not None:
            return stated
    date = message.get("date")
    if not isinstance(date, str):
        return None
    try:
        local = datetime.fromisoformat(date)
    except ValueError:
        return None
    if local.tzinfo is not None:  # not what tdesktop writes, but then it is absolute
        return Instant(local.astimezone(UTC), None, "platform_utc", 0.0, "date")
    measured = paired().instant(local) if paired is not None else None
    if measured is not None:
        return measured
    if offset is None:
        return Instant(None, local, "unknown_zone", UNKNOWN_ZONE_UNCERTAINTY_S, "date")
    try:
        utc = (local - offset).replace(tzinfo=UTC)
    except OverflowError:  # a date at the edge of year 1 or 9999: not a post time
        return None
    return Instant(
        utc, local, "exporter_offset_inferred", INFERRED_OFFSET_UNCERTAINTY_S, "date+edited_1970"
    )


# -- accounts and ids -----------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def peer_id(value: object) -> str | None:
    """A sender or forward origin as tdesktop writes it now (``user123``, ``channel123``,
    ``chat123``).  An integer is an exporter from before layer 119, when a message's
    ``from_id`` could only be a user's id (``fromId = data.vfrom_id.v``)."""
    if _is_int(value):
        return f"user{value}"
    return _text_or_none(value)


def _bare_peer(value: object) -> str | None:
    """``channel123`` -> ``123``: the form a chat's own ``id`` (and so a post id) takes."""
    if _is_int(value):
        return str(value)
    if isinstance(value, str):
        digits = value.lstrip("abcdefghijklmnopqrstuvwxyz")
        return digits if digits.lstrip("-").isdigit() else None
    return None


def chat_account_id(chat_type: str | None, chat_id: int, shifted: bool | None) -> str:
    """The chat as an account, in the ``from_id`` form when the id allows it.

    ``shifted`` says whether this document writes tdesktop's old internal peer ids (True:
    its messages give ``from_id`` as integers; False: it has ``date_unixtime``, so it is
    from after 64-bit ids; None: unknown).  A group or channel id at or above ``2 << 32``
    is always the old form (bare channel ids are far below it); a user id in the old range
    is also a plausible new bare id, so it is decoded only when ``shifted``.  An id that
    cannot be put in that form is kept as written.
    """
    if chat_type in USER_CHATS:
        prefix, shift = "user", USER_SHIFT
    elif chat_type == "private_group":
        prefix, shift = "chat", CHAT_SHIFT
    elif chat_type in CHANNEL_CHATS:
        prefix, shift = "channel", CHAT_SHIFT
    else:
        return str(chat_id)
    if shift <= chat_id < 2 * shift and (shifted or shift == CHAT_SHIFT):
        return f"{prefix}{chat_id - shift}"
    if chat_id < USER_SHIFT or shifted is False:
        return f"{prefix}{chat_id}"
    return str(chat_id)


def _shifted_era(message: dict[str, Any]) -> bool | None:
    if "date_unixtime" in message:
        return False
    sender = message.get("from_id", message.get("actor_id"))
    if _is_int(sender):
        return True
    return None


def _owner(fields: dict[str, object]) -> Account | None:
    """The exporting account (``personal_information``), when the head holds it."""
    user_id = fields.get("user_id")
    if not _is_int(user_id) or not user_id:
        return None
    names = [fields.get("first_name"), fields.get("last_name")]
    name = " ".join(n for n in names if isinstance(n, str) and n) or None
    handle = _text_or_none(fields.get("username"))
    return Account(PLATFORM, f"user{user_id}", handle.removeprefix("@") if handle else None, name)


# -- one message ----------------------------------------------------------------------------------


#: Senders remembered per chat, so that a chat's thousands of messages by the same few
#: people share one :class:`Account` each; cleared when a huge group exceeds it.
_AUTHOR_CACHE = 4096


@dataclass(slots=True)
class _ChatContext:
    """A chat while its messages are read: its post-id prefix, its account (decided at its
    first message, which tells the id era) and the senders seen in it."""

    chat: _Chat
    key: str | None
    offset: timedelta | None
    paired: Callable[[], PairedClock] | None = None
    account: Account | None = None
    skipped: int = 0
    authors: dict[tuple[object, object], Account | None] = field(default_factory=dict)


def _chat_context(
    chat: _Chat, offset: timedelta | None, paired: Callable[[], PairedClock] | None
) -> _ChatContext:
    cid = _as_int(chat.id)
    key = str(cid) if cid is not None else _text_or_none(chat.id)
    return _ChatContext(chat, key, offset, paired)


def _text(value: object) -> str:
    """``text`` is a string, or a list of strings and entity objects whose ``text`` is the
    shown text (links, bold, mentions ...): joined plain."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    parts: list[str] = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


def _geotag(message: dict[str, Any]) -> Geotag | str | None:
    """The message's location, venue or live location; a reason when its coordinates are
    not a position; None when it has none (a live location with ``null`` has no point).

    A live location's point is its last update: the message is edited as the sender moves
    (in the 2020-01 sample ``edited`` - ``date`` == ``live_location_period_seconds``), so
    the sender was there at some instant between ``date`` and ``edited``.
    """
    location = message.get("location_information")
    if location is None:
        return None
    if not isinstance(location, dict):
        return f"location_information is not an object: {location!r:.80}"
    point = checked_point(location.get("latitude"), location.get("longitude"))
    if isinstance(point, str):
        return point
    names = (message.get("place_name"), message.get("address"))
    label = ", ".join(n for n in names if isinstance(n, str) and n) or None
    if "live_location_period_seconds" in message:
        kind, radius = "live_location", POINT_RADIUS_M
    elif "place_name" in message or "address" in message:
        kind, radius = "venue", VENUE_RADIUS_M
    else:
        kind, radius = "point", POINT_RADIUS_M
    return Geotag(point[0], point[1], radius, kind, "location_information", label)


_MEDIA_KEYS = frozenset({"photo", "file", "thumbnail", "contact_vcard"})


_LINK_KEYS = frozenset({"forwarded_from", "forwarded_from_id", "saved_from", "reply_to_message_id"})


_PHOTO_META = ("width", "height", "photo_file_size", "self_destruct_period_seconds")


_FILE_META = (
    "file_name",
    "file_size",
    "mime_type",
    "duration_seconds",
    "width",
    "height",
    "sticker_emoji",
    "self_destruct_period_seconds",
)


def _media_ref(value: object, kind: str, meta: dict[str, object]) -> MediaRef | None:
    if not isinstance(value, str) or not value:
        return None
    if value.endswith(MISSING_FILE):
        return MediaRef(kind=kind, missing=value, metadata=meta)
    return MediaRef(path=value, kind=kind, metadata=meta)


def _media(message: dict[str, Any]) -> tuple[MediaRef, ...]:
    refs: list[MediaRef | None] = []
    if "photo" in message:
        meta = {k: message[k] for k in _PHOTO_META if k in message}
        refs.append(_media_ref(message["photo"], "photo", meta))
    if "file" in message:
        media_type = message.get("media_type")
        keys = _FILE_META + (("performer", "title") if media_type == "audio_file" else ())
        meta = {k: message[k] for k in keys if k in message}
        refs.append(_media_ref(message["file"], _text_or_none(media_type) or "file", meta))
    if "thumbnail" in message:
        refs.append(_media_ref(message["thumbnail"], "thumbnail", {}))
    if "contact_vcard" in message:
        refs.append(_media_ref(message["contact_vcard"], "contact_vcard", {}))
    return tuple(ref for ref in refs if ref is not None)


def _links(message: dict[str, Any], chat_key: str) -> tuple[Link, ...]:
    links: list[Link] = []
    if "forwarded_from" in message or "forwarded_from_id" in message:
        # A hidden sender is ``"forwarded_from": null``: still a forward, of no one known.
        links.append(
            Link(
                "forward_of",
                account_id=peer_id(message.get("forwarded_from_id")),
                name=_text_or_none(message.get("forwarded_from")),
            )
        )
    if "saved_from" in message:
        links.append(Link("forward_of", name=_text_or_none(message.get("saved_from"))))
    reply = message.get("reply_to_message_id")
    if _is_int(reply):
        peer = message.get("reply_to_peer_id")
        target = _bare_peer(peer) if peer is not None else chat_key
        if target is not None:
            links.append(Link("reply_to", post_id=f"{target}/{reply}"))
    return tuple(links)


def _author(message: dict[str, Any], service: bool, context: _ChatContext) -> Account | None:
    id_key, name_key = ("actor_id", "actor") if service else ("from_id", "from")
    if service and message.get(id_key) is None:
        id_key, name_key = "from_id", "from"  # proximity_reached names its ``from``
    raw_id, raw_name = message.get(id_key), message.get(name_key)
    if raw_id is None:
        # A channel post without a sender (older exports) is the channel's.
        return context.account if context.chat.type in BROADCAST_CHATS else None
    authors = context.authors
    try:
        return authors[raw_id, raw_name]
    except KeyError:
        pass
    except TypeError:  # an id or name that is a list or object: garbage, not remembered
        return None
    account_id = peer_id(raw_id)
    author = (
        None if account_id is None else Account(PLATFORM, account_id, None, _text_or_none(raw_name))
    )
    if len(authors) >= _AUTHOR_CACHE:
        authors.clear()
    authors[raw_id, raw_name] = author
    return author


def _convert(
    message: object, context: _ChatContext, location: str
) -> tuple[Post | None, str | None]:
    """The post and why its geotag was refused (None), or no post and why.

    Called for every message: the common case (no geotag, media or links) is kept to
    dictionary lookups and the objects a post is made of.
    """
    if not isinstance(message, dict):
        return None, "message is not an object"
    message_id = message.get("id")
    if type(message_id) is not int or context.key is None:  # bool is no message id
        return None, f"no integer message id: {message_id!r:.40}"
    if context.account is None:
        chat_id = _as_int(context.chat.id)
        account_id = (
            context.key
            if chat_id is None
            else chat_account_id(context.chat.type, chat_id, _shifted_era(message))
        )
        context.account = Account(PLATFORM, account_id, None, context.chat.name)
    kind = message.get("type")
    if type(kind) is not str or not kind:
        kind = "message"
    text = message.get("text")
    geotag = _geotag(message) if "location_information" in message else None
    post = Post(  # positional: a frozen dataclass is built per message, keep it cheap
        PLATFORM,
        f"{context.key}/{message_id}",
        kind,
        _author(message, kind == "service", context),
        message_instant(message, context.offset, context.paired),
        text if type(text) is str else _text(text),
        message,
        location,
        None,  # url: the export names no public link for a message
        context.account,
        (geotag,) if isinstance(geotag, Geotag) else (),
        _media(message) if _MEDIA_KEYS & message.keys() else (),
        _links(message, context.key) if _LINK_KEYS & message.keys() else (),
    )
    return post, geotag if isinstance(geotag, str) else None
