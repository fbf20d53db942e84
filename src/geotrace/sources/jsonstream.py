"""Streaming JSON for the export readers: documents through ijson, JSON Lines by line.

Memory stays bounded by the largest single item, never the file: ijson's C backend
(yajl2) yields each array element as it completes.  What every exporter gets wrong is
handled here once: a UTF-8 byte-order mark (VK SDK dumps, Windows tools), a JSON Lines
file whose last line was cut off (twarc's streaming output), and a document that breaks
part-way, after which ijson cannot resume: the items before the break are kept and the
break becomes a refusal that says at which byte it happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import ijson

from geotrace.sources.items import Refusal

BOM = b"\xef\xbb\xbf"


class SkipBom:
    """A binary stream with a leading UTF-8 byte-order mark removed (ijson rejects it)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        head = raw.read(len(BOM))
        self._pending = b"" if head == BOM else head

    def read(self, n: int = -1) -> bytes:
        if not self._pending:
            return self._raw.read(n)
        if n < 0:
            data, self._pending = self._pending + self._raw.read(), b""
            return data
        data, self._pending = self._pending[:n], self._pending[n:]
        if len(data) < n:
            data += self._raw.read(n - len(data))
        return data


def json_items(stream: IO[bytes], prefix: str, where: str) -> Iterator[Any | Refusal]:
    """Every value at ``prefix`` (ijson syntax: ``chats.list.item``), then, if the document
    breaks, one refusal naming ``where`` and the reason.

    Numbers come as ``float``/``int`` (not ``Decimal``), so raw items serialise as JSON.
    """
    try:
        yield from ijson.items(SkipBom(stream), prefix, use_float=True)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        yield Refusal(where, "json_broken", f"document unreadable after this point: {exc}")


def json_lines(stream: IO[bytes], where: str) -> Iterator[tuple[int, Any] | Refusal]:
    """(line number, value) for every line of a JSON Lines file; a bad line is a refusal
    at ``where:line N`` and the rest goes on.  Blank lines are skipped."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            cut = "" if line.endswith(b"\n") else " (last line, cut off)"
            yield Refusal(f"{where}:line {number}", "json_line_invalid", f"{exc}{cut}")
