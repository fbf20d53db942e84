"""One item of a streamed JSON document, apart from the scan that finds it: the frames
above it, the item or the refusal that stands for it, its decoding, its id for a refusal.

Pure functions and plain records, so that ``jsonstream.py`` holds only the scanner's state
machine, and a reader that walks frames (``telegram.py``) needs no scanner internals.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from geotrace.sources.base import Refusal

#: A path step that matches every element of an array (ijson's ``item``).
ITEM = None


_ID = re.compile(rb'"id"\s*:\s*"?(-?\d+)')


_DECODER = msgspec.json.Decoder()


class Readable(Protocol):
    """What the readers hand these functions: a binary stream (``ExportFile.open()``)."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(slots=True)
class Frame:
    """One open object or array above the items: where its current member starts and,
    for an object, the key and the scalar members read so far (a chat's ``id``); where it
    opened, and the bytes that start its next member (``,\n    "``), learnt from its
    first member's indent, by which a break inside it is resynchronised."""

    kind: int  # ord("{") or ord("[")
    on_path: bool
    start: int
    key: str | None = None
    index: int = 0
    nested: bool = False  # the current member holds an object or array
    scalars: dict[str, bytes] = field(default_factory=dict)
    opened: int = -1
    separator: bytes | None = None
    path_member: int = -1  # an array's: the member index of its objects' key on the path

    def copy(self) -> Frame:
        return Frame(
            self.kind,
            self.on_path,
            self.start,
            self.key,
            self.index,
            self.nested,
            dict(self.scalars),
            self.opened,
            self.separator,
            self.path_member,
        )

    def scalar(self, key: str) -> object:
        """A scalar member read before the items (None when absent or unreadable)."""
        raw = self.scalars.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None


@dataclass(slots=True)
class Found:
    """An item at the path: its value, or the refusal that stands for it; where its bytes
    start; its index in its array; the frames above it (read them before the next item:
    they move on)."""

    value: Any
    refusal: Refusal | None
    offset: int
    frames: list[Frame]
    index: int = 0


class _Broken(Exception):
    """The structure seen does not fit the document (a closing bracket of the wrong kind,
    a key that is no string): the reader resynchronises."""


class _Closed(Exception):
    """The root value has ended at byte ``end``."""

    def __init__(self, end: int) -> None:
        super().__init__(end)
        self.end = end


def _key(raw: bytes) -> str | None:
    """An object key: the JSON string just before its colon.  Above the items the scan
    is lenient: when damage (a quote lost or added, a comma missing) left other bytes in
    front of the key, the last string before the colon is still the key."""
    try:
        key = json.loads(raw)
    except (ValueError, RecursionError):
        key = None
    if isinstance(key, str):
        return key
    raw = raw.rstrip()
    if not raw.endswith(b'"'):
        return None
    start = len(raw) - 1
    while True:
        start = raw.rfind(b'"', 0, start)
        if start < 0:
            return None
        slashes = start - len(raw[:start].rstrip(b"\\"))
        if slashes % 2 == 0:
            break
    try:
        key = json.loads(raw[start:])
    except (ValueError, RecursionError):
        return None
    return key if isinstance(key, str) else None


def _separator(lead: bytes, first: bytes) -> bytes | None:
    """The bytes that start every member of a pretty-printed container, from the bytes
    before its first (or any) member: a comma, the line end and indent, the member's first
    byte.  No string holds a raw line end and deeper members are indented further, so they
    occur at no other place (see the module docstring); None without a line end."""
    body = lead.lstrip()
    space = lead[: len(lead) - len(body)]
    return b"," + space + first if b"\n" in space and body.startswith(first) else None


def _one_off(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one character replaced, added or lost."""
    if len(a) < len(b):
        a, b = b, a
    if a == b or len(a) - len(b) > 1:
        return False
    i = next((k for k in range(len(b)) if a[k] != b[k]), len(b))
    return a[i + 1 :] == b[i + (len(a) == len(b)) :]


def _item_id(raw: bytes | bytearray) -> str:
    match = _ID.search(raw, 0, 4096)
    return f", id {match.group(1).decode()}" if match else ""


def decode_item(raw: bytes) -> Any:
    """One item's value: msgspec, then the lenient stdlib decoder (see module docstring).
    Raises ValueError (UnicodeDecodeError included) or RecursionError."""
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError:
        pass
    return json.loads(raw.decode("utf-8"), strict=False)


def _parse_path(prefix: str) -> tuple[str | None, ...]:
    if not prefix:
        return ()
    return tuple(ITEM if step == "item" else step for step in prefix.split("."))
