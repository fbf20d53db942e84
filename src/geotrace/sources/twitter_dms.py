"""An X archive's direct messages: ``data/direct-messages.js`` and ``direct-messages-group.js``,
and their headers (``direct-message-headers.js``, ``direct-message-group-headers.js``).

``window.YTD.direct_messages.part0 = [{"dmConversation": {"conversationId", "messages":
[{"messageCreate": {"id", "senderId", "recipientId", "text", "createdAt", "mediaUrls",
"urls", "reactions"}}, ...]}}]``: who wrote to whom and when, often the most revealing
part of an archive and, until now, stored as an "other" file.

- Each ``messageCreate`` is a post of kind ``direct_message``: the DM id is unique on X
  (a snowflake, so ``createdAt`` is checked against it as a tweet's is), the author is
  ``senderId`` (the archive's owner, named by ``account.js`` beside the file, when it is
  them), the chat is the conversation as an account (as a Telegram chat is), and
  ``recipientId`` and ``reactions`` stay in the raw item.  ``mediaUrls`` are the media's
  ``ton.twitter.com`` addresses; the archive keeps the files as
  ``direct_messages_media/<message id>-<file name>`` (``direct_messages_group_media`` for
  groups), which the reference points at when the file is there.
- A group conversation also holds events with no id of their own: ``joinConversation``
  (someone added the owner), ``participantsJoin``, ``participantsLeave``,
  ``conversationNameUpdate``.  Each is still someone active in the conversation at a known
  instant, so it is kept as a post of its own kind (``dm_join_conversation`` ...) named
  ``<conversation>/<event>/<createdAt>``, its author the ``initiatingUserId`` when there is
  one, the whole event in the raw item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geotrace.records import HEADER_KIND, Account, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import iso_instant
from geotrace.sources.twitter import _archive_file, _archive_owner, _js_global, archive_items
from geotrace.sources.twitter_tweet import PEEK_BYTES, PLATFORM, _id_text, _opt_str, _posted

#: The archive files' global names -> the folder their media are kept in.
DM_FILES = {
    "YTD.direct_messages": "direct_messages_media",
    "YTD.direct_messages_group": "direct_messages_group_media",
    "YTD.direct_message_headers": "direct_messages_media",
    "YTD.direct_message_group_headers": "direct_messages_group_media",
}
#: The files of headers only (id, sender, recipient, time: no text), as tweet-headers.js is
#: to tweets.js: each a post of kind ``header``, which the full message replaces.
HEADER_FILES = frozenset({"YTD.direct_message_headers", "YTD.direct_message_group_headers"})

MESSAGE_KIND = "direct_message"

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def sniff(name: str, head: bytes) -> bool:
    prefix, eq, _ = head[:PEEK_BYTES].partition(b"=")
    return bool(eq) and _js_global(prefix) in DM_FILES


@dataclass(frozen=True, slots=True)
class _Dms:
    """One document's context: its owner (from ``account.js``) and its media folder."""

    doc: ExportFile
    owner: Account | None
    media: str
    kind: str  # MESSAGE_KIND, or HEADER_KIND in a headers file


def _account(user_id: str | None, owner: Account | None) -> Account | None:
    if user_id is None:
        return None
    if owner is not None and owner.account_id == user_id:
        return owner  # account.js gives the handle and name
    return Account(PLATFORM, user_id)


def _message(
    event: dict[str, Any], chat: Account, location: str, where: str, how: _Dms
) -> list[Record]:
    post_id = _id_text(event.get("id"))
    if post_id is None:
        return [Refusal(where, "item_invalid", f"message id is not an id: {event.get('id')!r:.60}")]
    notes: list[Refusal] = []
    stated = event.get("createdAt")
    found = iso_instant(stated, "createdAt")
    posted = _posted(found.utc if found else None, stated, post_id, where, notes)
    if posted is not None and posted.source == "created_at":
        posted.source = "createdAt"  # a new instant, built for this message: named as written
    urls = event.get("mediaUrls")
    refs = tuple(
        MediaRef(path=_archive_file(how.doc, how.media, post_id, url), url=url)
        for url in (u for u in (urls if isinstance(urls, list) else ()) if _opt_str(u))
    )
    text = event.get("text")
    post = Post(
        PLATFORM,
        post_id,
        how.kind,
        _account(_id_text(event.get("senderId")), how.owner),
        posted,
        text if isinstance(text, str) else "",
        event,
        location,
        None,  # a DM has no public address
        chat,
        (),
        refs,
    )
    return [post, *notes]


def _event(
    key: str, event: dict[str, Any], chat: Account, location: str, where: str, owner: Account | None
) -> list[Record]:
    """An id-less group event as a post of its own kind (see the module docstring)."""
    stated = event.get("createdAt")
    posted = iso_instant(stated, "createdAt")
    if posted is None:
        return [Refusal(where, "time_invalid", f"{key}.createdAt is not a time: {stated!r:.80}")]
    post_id = f"{chat.account_id}/{key}/{stated}"
    author = _account(_id_text(event.get("initiatingUserId")), owner)
    kind = "dm_" + _CAMEL.sub("_", key).lower()
    return [Post(PLATFORM, post_id, kind, author, posted, "", event, location, None, chat)]


def _conversation(item: Any, index: int, how: _Dms) -> Iterator[Record]:
    doc = how.doc
    where = f"{doc.name}#[{index}]"
    conversation = item.get("dmConversation") if isinstance(item, dict) else None
    if not isinstance(conversation, dict):
        yield Refusal(where, "item_invalid", "item has no dmConversation object")
        return
    chat_id = _opt_str(conversation.get("conversationId"))
    messages = conversation.get("messages")
    if chat_id is None or not isinstance(messages, list):
        yield Refusal(where, "item_invalid", "dmConversation has no conversationId or messages")
        return
    chat = Account(PLATFORM, chat_id)
    for number, entry in enumerate(messages):
        location = f"[{index}].dmConversation.messages[{number}]"
        at = f"{doc.name}#{location}"
        if not isinstance(entry, dict) or len(entry) != 1:
            yield Refusal(at, "item_invalid", "message is not an object with one event")
            continue
        ((key, event),) = entry.items()
        if not isinstance(event, dict):
            yield Refusal(at, "item_invalid", f"{key} is not an object")
        elif key == "messageCreate":
            yield from _message(event, chat, f"{location}.{key}", at, how)
        else:
            yield from _event(key, event, chat, f"{location}.{key}", at, how.owner)


def read(doc: ExportFile) -> Iterator[Record]:
    owner = _archive_owner(doc)
    for entry in archive_items(doc, DM_FILES):
        if isinstance(entry, Refusal):
            yield entry
            continue
        name, index, item = entry
        kind = HEADER_KIND if name in HEADER_FILES else MESSAGE_KIND
        yield from _conversation(item, index, _Dms(doc, owner, DM_FILES[name], kind))


DIRECT_MESSAGES = ExportReader("twitter_direct_messages", "1", (".js",), sniff, read)

READERS: tuple[ExportReader, ...] = (DIRECT_MESSAGES,)
