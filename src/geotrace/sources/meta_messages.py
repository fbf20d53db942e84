"""Meta's "Download your information" message threads: Instagram and Facebook/Messenger.

``<top>/messages/inbox/<thread>/message_1.json`` (``your_instagram_activity/messages/…``
for Instagram, ``messages/…`` or ``your_facebook_activity/messages/…`` for Facebook) is
``{"participants": [{"name"}], "messages": [{"sender_name", "timestamp_ms", "content",
"photos": [{"uri", "creation_timestamp"}], "share": {…}}], "title", "thread_path"}``,
newest message first.  Each message becomes a post of kind ``message``:

- its time is ``timestamp_ms``, UTC milliseconds;
- its author is the sender's *display name*: Meta writes no account id in threads, so
  the account id is ``name:<name>`` -- two people with one name are one account here,
  and a renamed person two; a person must judge, and the prefix says which ids are names;
- its chat is the thread, named by the last part of ``thread_path`` (``adam_930944588310288``:
  the thread's folder, stable when the thread moves between inbox and archive), labelled
  with ``title``.  Both come after the messages, so the file's tail is read first;
- its id is a hash of the thread, ``timestamp_ms``, sender and text (Meta gives none),
  as for a Facebook post (:func:`~geotrace.sources.meta.facebook_post_id`);
- photos, videos, GIFs, audio, files and the sticker are references relative to the
  document, from URIs relative to the export's root (as ``meta.py`` resolves them);
  a ``share`` is a reference by URL, and its ``original_content_owner`` a ``forward_of``
  link by name.

The platform is Instagram when the document sits under ``your_instagram_activity`` or
its messages carry Instagram's ``is_geoblocked_for_viewer``; Facebook otherwise.  Strings
are Meta's mojibake, repaired with ``meta.fix_text``; the raw item stays as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geotrace.records import Account, Link, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import unix_instant
from geotrace.sources.generic import peek
from geotrace.sources.jsonstream import json_items
from geotrace.sources.meta import _guarded, facebook_post_id, fix_text, root_prefix

_THREAD = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"participants"\s*:\s*\[')
#: The thread's members after its messages (the file's last bytes hold them).
_TAIL_MEMBER = re.compile(rb'"(thread_path|title)"\s*:\s*("(?:[^"\\]|\\.)*")')
TAIL_BYTES = 64 * 1024

#: A message's media lists -> the kind of each entry; ``sticker`` is one object.
MEDIA_LISTS = {
    "photos": "photo",
    "videos": "video",
    "gifs": "gif",
    "audio_files": "audio",
    "files": "file",
}


def sniff(name: str, head: bytes) -> bool:
    return (
        name.lower().endswith(".json")
        and _THREAD.match(head) is not None
        and b'"messages"' in head
        and b'"timestamp_ms"' in head
    )


@dataclass(frozen=True, slots=True)
class _Thread:
    platform: str
    chat: Account
    prefix: str  # from the document's folder back to the export's root


def messages_root(doc_name: str) -> str:
    """:func:`~geotrace.sources.meta.root_prefix`, or, for a Facebook export without a top
    folder (``messages/inbox/<thread>/message_1.json``), the way back above ``messages``."""
    prefix = root_prefix(doc_name)
    if prefix:
        return prefix
    folders = doc_name.rsplit("!/", 1)[-1].replace("\\", "/").split("/")[:-1]
    if "messages" in folders:
        return "../" * (len(folders) - folders.index("messages"))
    return ""


def _tail_members(doc: ExportFile) -> dict[str, str]:
    """``thread_path`` and ``title`` from the last :data:`TAIL_BYTES` of the document."""
    tail = b""
    with doc.opener() as raw:
        while chunk := raw.read(1 << 20):
            tail = (tail + chunk)[-TAIL_BYTES:]
    found: dict[str, str] = {}
    for key, value in _TAIL_MEMBER.findall(tail):
        try:
            text = json.loads(value)
        except ValueError:
            continue
        if isinstance(text, str) and text:
            found[key.decode()] = fix_text(text)
    return found


def _thread(doc: ExportFile, head: bytes) -> _Thread:
    members = _tail_members(doc)
    inner = doc.name.rsplit("!/", 1)[-1].replace("\\", "/")
    instagram = "your_instagram_activity/" in inner or b'"is_geoblocked_for_viewer"' in head
    platform = "instagram" if instagram else "facebook"
    folders = inner.split("/")[:-1]
    thread_path = members.get("thread_path") or (folders[-1] if folders else inner)
    chat = Account(platform, thread_path.rstrip("/").rsplit("/", 1)[-1], None, members.get("title"))
    return _Thread(platform, chat, messages_root(doc.name))


def _refs(message: dict[str, Any], prefix: str) -> list[MediaRef]:
    refs: list[MediaRef] = []
    entries = [(kind, e) for key, kind in MEDIA_LISTS.items() for e in message.get(key) or ()]
    if isinstance(message.get("sticker"), dict):
        entries.append(("sticker", message["sticker"]))
    for kind, entry in entries:
        uri = entry.get("uri")
        if not isinstance(uri, str) or not uri:
            continue
        meta = (
            {"creation_timestamp": entry["creation_timestamp"]}
            if "creation_timestamp" in entry
            else {}
        )
        if uri.startswith(("http://", "https://")):
            refs.append(MediaRef(url=uri, kind=kind, metadata=meta))
        else:
            refs.append(MediaRef(path=prefix + fix_text(uri), kind=kind, metadata=meta))
    return refs


def _message(item: object, thread: _Thread, location: str, where: str) -> list[Record]:
    if not isinstance(item, dict):
        return [Refusal(where, "item_invalid", "message is not an object")]
    stamp = item.get("timestamp_ms")
    posted = (
        unix_instant(stamp / 1000, "timestamp_ms")
        if isinstance(stamp, int | float) and not isinstance(stamp, bool)
        else None
    )
    sender = item.get("sender_name")
    name = fix_text(sender) if isinstance(sender, str) and sender else None
    content = item.get("content")
    text = fix_text(content) if isinstance(content, str) else ""
    refs = _refs(item, thread.prefix)
    links: list[Link] = []
    share = item.get("share")
    if isinstance(share, dict):
        link, owner = share.get("link"), share.get("original_content_owner")
        if isinstance(link, str) and link:
            refs.append(MediaRef(url=link, kind="share"))
        if isinstance(owner, str) and owner:
            links.append(Link("forward_of", name=fix_text(owner)))
    post = Post(
        thread.platform,
        facebook_post_id(f"{thread.chat.account_id}/{stamp}", name or "", text),
        "message",
        Account(thread.platform, f"name:{name}", None, name) if name else None,
        posted,
        text,
        item,
        location,
        None,
        thread.chat,
        (),
        tuple(refs),
        tuple(links),
    )
    if posted is None:
        return [post, Refusal(where, "time_invalid", f"timestamp_ms {stamp!r:.60}")]
    return [post]


def read(doc: ExportFile) -> Iterator[Record]:
    with doc.open() as counted:
        head, stream = peek(counted)
        if _THREAD.match(head) is None:
            yield Refusal(doc.name, "format_unknown", "not a Meta message thread")
            return
        thread = _thread(doc, head)
        for index, item in enumerate(json_items(stream, "messages.item", doc.name)):
            if isinstance(item, Refusal):
                yield item
                continue
            location = f"messages[{index}]"
            yield from _guarded(_message, item, thread, location, f"{doc.name}#{location}")


META_MESSAGES = ExportReader("meta_messages", "1", (".json",), sniff, read)

READERS: tuple[ExportReader, ...] = (META_MESSAGES,)
