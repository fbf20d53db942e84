"""Telegram Desktop's machine-readable export (``result.json``), both roots.

"Export Telegram data" writes the whole account (``chats.list[*].messages``, then
``left_chats.list[*].messages``); "Export chat history" writes one chat, and the root
object is that chat.  A chat's ``id``/``name``/``type`` come before its messages, and one
chat may hold a million messages, so messages are taken one at a time by the resynchronising
scanner of ``jsonstream`` (one bad message costs that message), and the chat they belong to
is the scalar members its object had before ``messages``.

What tdesktop gets wrong, per its source (``export_output_json.cpp``) and issues:

- control characters written as ``\\x01`` (tdesktop #27571), U+2028/U+2029 written as
  ``\\u2028`` followed by the character's stray continuation bytes (invalid UTF-8, every
  version) and, in 4.1.1, custom-emoji ``document_id`` values written unquoted (#24961):
  all are repaired in the byte stream before the parser sees them;
- ``date`` is the exporting machine's wall clock with no offset (it even runs backwards at
  a DST change); newer exports add ``date_unixtime``.  Older ones betray the exporter's
  offset through the "never edited" placeholder, epoch 0 in local time
  (``"edited": "1970-01-01T05:00:00"``), which :func:`exporter_offset` finds first; a
  document where only some messages have ``date_unixtime`` gives the offset exactly on
  those, which ``telegram_clock`` measures for the others;
- a file that was not exported is a placeholder sentence where its path would be;
- ``from_id`` was the sender's bare user id (an integer) until the API gave messages a
  peer sender (layer 119, tdesktop 2.5); since then ``user<id>``/``channel<id>``/``chat<id>``.

This module reads the document (its byte stream, its layout, its chats); what one message
means (time, ids, geotag, files, links) is in ``telegram_message.py``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial

import ijson

from geotrace.sources.base import SNIFF_BYTES, ExportFile, ExportReader, Record, Refusal
from geotrace.sources.jsonitem import ITEM, Found, Frame, Readable
from geotrace.sources.jsonstream import BOM, scan
from geotrace.sources.telegram_clock import PairedClock, paired_clock
from geotrace.sources.telegram_message import (
    CHANNEL_CHATS,
    USER_CHATS,
    _Chat,
    _chat_context,
    _ChatContext,
    _convert,
    _is_int,
    _owner,
    exporter_offset,
)

#: Every chat type a chat object may have (``DialogInfo::Type`` in tdesktop).
CHAT_TYPES = USER_CHATS | CHANNEL_CHATS | {"private_group"}
#: Top-level sections of a whole-account export besides ``about`` (``JsonWriter``).
ACCOUNT_SECTIONS = frozenset(
    {
        "personal_information",
        "profile_pictures",
        "stories",
        "profile_music",
        "contacts",
        "frequent_contacts",
        "sessions",
        "web_sessions",
        "other_data",
        "chats",
        "left_chats",
    }
)
MESSAGE_TYPES = frozenset({"message", "service", "unsupported"})


# -- the byte stream the scanner reads ---------------------------------------------------------


_DOCUMENT_ID = b'"document_id": '
_JSON_SCALAR = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false")
_HEX = frozenset(b"0123456789abcdefABCDEF")
#: A piece normally ends at a line end; a file with no line end for this long (re-written
#: compact JSON) is cut anywhere safe instead.
_MAX_LINE = 1 << 20

#: Where the messages are: a chat export's root is the chat; an account export lists its
#: chats, then the chats it has left, both read in one pass.
_CHAT_PATHS = [("messages", ITEM)]
_ACCOUNT_PATHS = [
    ("chats", "list", ITEM, "messages", ITEM),
    ("left_chats", "list", ITEM, "messages", ITEM),
]


def _chat_of(frames: list[Frame]) -> _Chat:
    """The chat enclosing a message, from the scalar members its object had before
    ``messages`` (the scanner's frames: root, or root/section/list/chat)."""
    if len(frames) == 2:
        section, index, header = None, 0, frames[0]
    else:
        section, index, header = frames[0].key, frames[2].index, frames[3]
    name, kind = header.scalar("name"), header.scalar("type")
    return _Chat(
        section,
        index,
        header.scalar("id"),
        name if isinstance(name, str) else None,
        kind if isinstance(kind, str) else None,
    )


class _ExportStream:
    """The export's bytes, repaired (see the module docstring), in pieces that end at a
    line end: tdesktop puts every key on its own line and a JSON string holds no raw line
    end, so no repair is split.  Bytes with no line end are kept as a list of reads (each
    byte is copied once, however long the line) and cut anywhere safe at
    :data:`_MAX_LINE`.  Repairs are counted in :attr:`escapes`, :attr:`document_ids` and
    :attr:`separators`.
    """

    def __init__(self, raw: Readable, *, chunk: int = 1 << 16) -> None:
        self._raw = raw
        self._chunk = chunk
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._ready = b""
        self._eof = False
        self.escapes = 0
        self.document_ids = 0
        self.separators = 0

    def read(self, n: int = -1) -> bytes:
        while not self._ready and not self._eof:
            self._ready = self._produce()
        if n < 0 or n >= len(self._ready):
            out, self._ready = self._ready, b""
        else:
            out, self._ready = self._ready[:n], self._ready[n:]
        return out

    def _produce(self) -> bytes:
        data = self._raw.read(self._chunk)
        if not data:
            self._eof = True
            return self._repair(self._take(b""))
        end = data.rfind(b"\n") + 1
        if end:
            piece = self._take(data[:end])
            self._pending, self._pending_size = [data[end:]], len(data) - end
            return self._repair(piece)
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size < _MAX_LINE:
            return b""
        buf = self._take(b"")
        cut = _compact_cut(buf)
        self._pending, self._pending_size = [buf[cut:]], len(buf) - cut
        return self._repair(buf[:cut])

    def _take(self, last: bytes) -> bytes:
        piece = b"".join((*self._pending, last))
        self._pending, self._pending_size = [], 0
        return piece

    def _repair(self, piece: bytes) -> bytes:
        if b"document_id" in piece:
            piece = self._quote_document_ids(piece)
        if b"\\" in piece:  # one memchr; the searches for the escapes are slower
            if b"\\x" in piece:
                piece = self._escape_controls(piece)
            if b"\\u202" in piece:
                piece = self._drop_separator_tails(piece)
        return piece

    def _drop_separator_tails(self, piece: bytes) -> bytes:
        """``SerializeString`` writes U+2028/U+2029 as ``\\u2028`` and then, as it does not
        skip them, the character's two raw continuation bytes: invalid UTF-8."""
        before = len(piece)
        piece = piece.replace(b"\\u2028\x80\xa8", b"\\u2028")
        piece = piece.replace(b"\\u2029\x80\xa9", b"\\u2029")
        self.separators += (before - len(piece)) // 2
        return piece

    def _quote_document_ids(self, piece: bytes) -> bytes:
        """tdesktop 4.1.1 wrote a custom emoji's file path bare: ``"document_id": video_files/
        sticker (2).webm``, always the object's last key, so the value runs to the line end."""
        parts: list[bytes] = []
        start = 0
        at = piece.find(_DOCUMENT_ID)
        while at >= 0:
            value_at = at + len(_DOCUMENT_ID)
            end = piece.find(b"\n", value_at)
            if end >= 0 and piece[value_at : value_at + 1] not in (b'"', b"{", b"["):
                value = piece[value_at:end].rstrip(b" \t\r")
                if value and not _JSON_SCALAR.fullmatch(value):
                    parts += (piece[start:value_at], _quoted(value))
                    start = value_at + len(value)
                    self.document_ids += 1
            at = piece.find(_DOCUMENT_ID, value_at)
        return b"".join((*parts, piece[start:])) if parts else piece

    def _escape_controls(self, piece: bytes) -> bytes:
        """``\\x01`` -> ``\\u0001``; a backslash that is itself escaped (``\\\\x``) is text."""
        parts: list[bytes] = []
        start = 0
        at = piece.find(b"\\x")
        while at >= 0:
            run = at
            while run > 0 and piece[run - 1] == 0x5C:
                run -= 1
            digits = piece[at + 2 : at + 4]
            if (at - run) % 2 == 0 and len(digits) == 2 and all(b in _HEX for b in digits):
                parts += (piece[start:at], b"\\u00", digits)
                start = at + 4
                self.escapes += 1
            at = piece.find(b"\\x", at + 2)
        return b"".join((*parts, piece[start:])) if parts else piece


def _compact_cut(buf: bytes) -> int:
    """A cut in a buffer with no line end: 64 bytes short of its end, before any backslash
    run near it (an escape, or ``\\u2028`` and its stray bytes, stays whole)."""
    cut = len(buf) - 64
    slash = buf.rfind(b"\\", cut - 8, cut)
    if slash >= 0:
        cut = slash
        while cut > 0 and buf[cut - 1] == 0x5C:
            cut -= 1
    return max(cut, 1)


def _quoted(value: bytes) -> bytes:
    escaped = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\t", b"\\t")
    return b'"' + escaped + b'"'


# -- recognising the document -----------------------------------------------------------------


@dataclass(slots=True)
class _Head:
    """What the first bytes say: which root, and the exporting account when it is there."""

    kind: str | None = None  # "account" | "chat"
    top: dict[str, object] = field(default_factory=dict)
    first_message: dict[str, object] = field(default_factory=dict)
    owner: dict[str, object] = field(default_factory=dict)


def _read_head(head: bytes) -> _Head:
    result = _Head()
    stream = _ExportStream(io.BytesIO(head.removeprefix(BOM)))
    try:
        # Small reads and a cap on the path length: ijson builds every event's prefix, so a
        # bracket bomb ("[[[[..." 64 KiB deep) would cost gigabytes within one read.
        for prefix, event, value in ijson.parse(stream, use_float=True, buf_size=1024):
            if len(prefix) > 256:
                break
            if prefix == "" and event == "map_key":
                result.top.setdefault(value, None)
            elif "." not in prefix and prefix in result.top:
                result.top[prefix] = event if event in ("start_array", "start_map") else value
            elif prefix.startswith("messages.item."):
                result.first_message[prefix[14:]] = value
            elif prefix == "messages.item" and event == "end_map":
                break
            elif prefix.startswith("personal_information."):
                result.owner[prefix[21:]] = value
    except (ijson.JSONError, UnicodeDecodeError):
        pass  # the head ends mid-document, the document is not JSON, or it is damaged
    result.kind = _root_kind(result.top, result.first_message)
    if result.kind is None:
        _read_layout(head, result)
    return result


#: tdesktop's layout (``JsonWriter``: one key a line, one space an indent level): a
#: top-level member, a message's first members in a chat export, the owner's scalars.
_TOP_MEMBER = re.compile(rb'^ "([a-z_]+)": ("(?:[^"\\\n]|\\.)*"|-?\d+|[\[{])', re.M)
_FIRST_MESSAGE = re.compile(rb'^   "type": "(?:message|service|unsupported)",\n   "date": "', re.M)
_OWNER_BLOCK = re.compile(rb'^ "personal_information": \{\n(.*?)^ \}', re.M | re.S)
_OWNER_MEMBER = re.compile(rb'^  "([a-z_]+)": (.*?),?$', re.M)


def _read_layout(head: bytes, result: _Head) -> None:
    """The head of a damaged export, from tdesktop's layout: ijson stops for good at the
    first bad byte, so one damaged byte in ``about`` or in the owner's name would make the
    whole export "not Telegram" (issue 15).  Each top-level member is a line of its own,
    so a damaged byte spoils one line and the others still name the root: two of
    ``about`` and the account sections, or a chat's ``messages`` array with its ``type``,
    or with its ``id`` and a first message typed and dated.  A JSON document written with
    another layout (or another indent) is not taken."""
    top: dict[str, object] = {}
    for key, value in _TOP_MEMBER.findall(head):
        top.setdefault(key.decode(), _layout_value(value))
    sections = ACCOUNT_SECTIONS.intersection(top)
    if sections and len(sections) + ("about" in top) >= 2:
        result.kind = "account"
        block = _OWNER_BLOCK.search(head)
        for key, value in _OWNER_MEMBER.findall(block.group(1) if block else b""):
            result.owner.setdefault(key.decode(), _layout_value(value))
        return
    if top.get("messages") != "start_array":
        return
    if top.get("type") in CHAT_TYPES or (
        _is_int(top.get("id")) and _FIRST_MESSAGE.search(head) is not None
    ):
        result.kind = "chat"


def _layout_value(raw: bytes) -> object:
    """A member's value as the head reading gives it: a scalar, or the event that opens an
    object or array; None when damage made it unreadable."""
    if raw in (b"[", b"{"):
        return "start_array" if raw == b"[" else "start_map"
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _root_kind(top: dict[str, object], first: dict[str, object]) -> str | None:
    if isinstance(top.get("about"), str) and ACCOUNT_SECTIONS.intersection(top):
        return "account"
    if top.get("messages") != "start_array" or not _is_int(top.get("id")):
        return None
    if top.get("type") in CHAT_TYPES:
        return "chat"
    if isinstance(first.get("date"), str) and first.get("type") in MESSAGE_TYPES:
        return "chat"
    return None


def sniff(name: str, head: bytes) -> bool:
    """A ``.json`` whose top level is an account export (``about`` and its sections) or a
    chat (``id``, ``type``, ``messages`` of dated message/service objects)."""
    if not name.lower().endswith(".json"):
        return False
    body = head.removeprefix(BOM).lstrip()
    if not body.startswith(b"{"):
        return False
    return _read_head(head).kind is not None


# -- the document -----------------------------------------------------------------------------


def read(doc: ExportFile) -> Iterator[Record]:
    """Every message of every chat as a post, in file order; a message that cannot be read
    is a refusal (with its byte offset) and the rest goes on (see ``jsonstream``)."""
    with doc.opener() as raw:
        head = _read_head(raw.read(SNIFF_BYTES))
    if head.kind is None:
        yield Refusal(
            doc.name,
            "not_telegram_export",
            "neither an account export nor a chat export at the top level",
        )
        return
    owner = _owner(head.owner)
    if owner is not None:
        yield owner
    with doc.opener() as raw:
        offset = exporter_offset(raw)
    paths = _CHAT_PATHS if head.kind == "chat" else _ACCOUNT_PATHS
    with doc.open() as counted:
        found = scan(_ExportStream(counted), paths, doc.name)
        yield from _messages(doc, found, offset, cache(partial(_paired, doc)))


def _paired(doc: ExportFile) -> PairedClock:
    """The document's measured offsets: read only when a message lacks ``date_unixtime``."""
    with doc.opener() as raw:
        return paired_clock(raw)


def _messages(
    doc: ExportFile,
    found: Iterator[Found],
    offset: timedelta | None,
    paired: Callable[[], PairedClock] | None = None,
) -> Iterator[Record]:
    context: _ChatContext | None = None
    for item in found:
        frames = item.frames
        if frames and (
            context is None
            or context.chat.index != (frames[2].index if len(frames) > 2 else 0)
            or context.chat.section != (frames[0].key if len(frames) > 2 else None)
        ):
            yield from _unread(doc, context)
            context = _chat_context(_chat_of(frames), offset, paired)
        location = f"{context.chat.where()}[{item.index}]" if context and frames else ""
        if item.refusal is not None:
            refusal = item.refusal
            path = f"{doc.name}#{location}" if location else refusal.path
            yield Refusal(path, refusal.code, refusal.message)
            continue
        if context is None:
            continue
        if context.key is None:
            context.skipped += 1
            continue
        try:
            post, problem = _convert(item.value, context, location)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            post, problem = None, f"{type(exc).__name__}: {exc}"
        if post is None:
            yield Refusal(f"{doc.name}#{location}", "item_invalid", problem or "not a message")
            continue
        yield post
        if problem is not None:
            yield Refusal(f"{doc.name}#{location}.location_information", "geotag_invalid", problem)
    yield from _unread(doc, context)


def _unread(doc: ExportFile, context: _ChatContext | None) -> Iterator[Refusal]:
    """One refusal for the messages of a chat whose id could not be read from its header."""
    if context is not None and context.skipped:
        yield Refusal(
            f"{doc.name}#{context.chat.where()}",
            "chat_unreadable",
            f"{context.skipped} messages skipped: the chat's id could not be read "
            "from its header, so they cannot be given post ids",
        )


TELEGRAM_DESKTOP = ExportReader(
    name="telegram_desktop", version="1", suffixes=(".json",), sniff=sniff, read=read
)

READERS: tuple[ExportReader, ...] = (TELEGRAM_DESKTOP,)
