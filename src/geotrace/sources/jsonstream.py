"""Streaming JSON for the export readers: documents through ijson, JSON Lines by line.

Memory stays bounded by the largest single item, never the file: ijson's C backend
(yajl2) yields each array element as it completes.  What every exporter gets wrong is
handled here once: a UTF-8 byte-order mark (VK SDK dumps, Windows tools), a JSON Lines
file whose last line was cut off (twarc's streaming output), a document that breaks
part-way, after which ijson cannot resume (the items before the break are kept and the
break becomes a refusal), and hostile nesting (see :data:`MAX_DEPTH`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import ijson
import numpy as np

from geotrace.sources.items import Refusal

BOM = b"\xef\xbb\xbf"

#: Deepest nesting a document may have.  Real exports nest a dozen levels; ijson's C
#: backend keeps a prefix string per open level, so its memory grows with the square of
#: the depth (measured: 10,000 levels, 250 MB; 50,000, 6 GB): a 100 KB file of ``[``
#: could take the machine down.  At this depth ijson holds a few megabytes.
MAX_DEPTH = 1_000

#: Every byte but the five that decide nesting outside strings (deleted by translate).
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = np.zeros(256, np.int64)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1


class Readable(Protocol):
    """What the readers hand these functions: a binary stream (``ExportFile.open()``)."""

    def read(self, n: int = -1, /) -> bytes: ...


class TooDeep(ValueError):
    """A document nests deeper than :data:`MAX_DEPTH`."""


class Guarded:
    """A binary stream with a leading UTF-8 byte-order mark removed (ijson rejects it) and
    its nesting depth watched, so that ijson never meets a document that would exhaust
    memory (see :data:`MAX_DEPTH`).

    Why not ijson itself: it has no depth limit.  The watch costs two C-speed passes
    (``replace`` for escapes, ``translate`` down to the quote and bracket bytes) and a
    NumPy cumulative sum over what is left, 100-140 MB/s on real exports; it is exact
    across read boundaries (a run of backslashes split between reads is carried over).
    """

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        head = raw.read(len(BOM))
        self._pending = b"" if head == BOM else head
        self._depth = 0
        self._in_string = False
        self._backslashes = b""

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson's probe for bytes or text: must not consume anything
            return b""
        if self._pending:
            data, self._pending = self._pending, b""
            if n < 0 or len(data) < n:
                data += self._raw.read(-1 if n < 0 else n - len(data))
        else:
            data = self._raw.read(n)
        self._watch(data)
        return data

    def _watch(self, chunk: bytes) -> None:
        data = self._backslashes + chunk
        trailing = len(data) - len(data.rstrip(b"\\"))
        if trailing:  # an escape split between two reads: decide it with the next one
            data, self._backslashes = data[:-trailing], data[-trailing:]
        else:
            self._backslashes = b""
        if b"\\" in data:  # escaped backslashes, then escaped quotes, decide no nesting
            data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        structure = data.translate(None, _NOT_STRUCTURE)
        if not structure:
            return
        codes = np.frombuffer(structure, np.uint8)
        quotes = np.cumsum(codes == ord('"')) + self._in_string
        depth = np.cumsum(_STEP[codes] * ((quotes & 1) == 0)) + self._depth
        if int(depth.max()) > MAX_DEPTH:
            raise TooDeep(f"nesting deeper than {MAX_DEPTH} levels")
        self._depth = int(depth[-1])
        self._in_string = bool(quotes[-1] & 1)


def json_items(stream: Readable, prefix: str, where: str) -> Iterator[Any | Refusal]:
    """Every value at ``prefix`` (ijson syntax: ``chats.list.item``), then, if the document
    breaks, one refusal naming ``where`` and the reason.

    Numbers come as ``float``/``int`` (not ``Decimal``), so raw items serialise as JSON.
    """
    try:
        yield from ijson.items(Guarded(stream), prefix, use_float=True)
    except (ijson.JSONError, UnicodeDecodeError, TooDeep) as exc:
        yield Refusal(where, "json_broken", f"document unreadable after this point: {exc}")


def json_lines(stream: Iterable[bytes], where: str) -> Iterator[tuple[int, Any] | Refusal]:
    """(line number, value) for every line of a JSON Lines file; a bad line is a refusal
    at ``where:line N`` and the rest goes on.  Blank lines are skipped.  A line nested
    past Python's recursion limit is a bad line too, not a crash."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            cut = "" if line.endswith(b"\n") else " (last line, cut off)"
            yield Refusal(f"{where}:line {number}", "json_line_invalid", f"{exc}{cut}")
