"""UTF-16 and UTF-32 export documents, handed to every reader as UTF-8.

Windows Notepad's "Unicode" save writes UTF-16 (little-endian with a byte-order mark;
"Unicode big endian", FE FF); RFC 8259 allows only UTF-8 between systems, so every
reader (and msgspec, ijson, the byte searches of the Telegram repairs) expects UTF-8.
The transcoding is done once, where a document is opened (:func:`utf8_opener`) and where
its first bytes are sniffed (:func:`utf8_head`), so that no reader needs to know.  It
streams: an incremental decoder, one read at a time.  A UTF-16 code unit that is no
character (a lone surrogate) becomes U+FFFD; the original bytes stay in the case.

Without a byte-order mark the encoding is told as RFC 4627 did: a JSON text starts with
an ASCII character, so its first four bytes show where the zero bytes are.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from typing import IO

#: Byte-order marks, longest first (UTF-32 LE's starts with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


#: Where the zero bytes of an ASCII first character fall (1: a zero byte).
_ZEROS = {
    b"\1\1\1\0": "utf-32-be",
    b"\0\1\1\1": "utf-32-le",
    b"\1\0\1\0": "utf-16-be",
    b"\0\1\0\1": "utf-16-le",
}


def wide_encoding(head: bytes) -> tuple[str, int] | None:
    """The UTF-16/32 encoding of a document and the length of its byte-order mark, from
    its first four bytes; None for UTF-8 (or anything else)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    first = head[:4]
    if len(first) < 4 or b"\0" not in first:
        return None
    guess = _ZEROS.get(bytes(int(b == 0) for b in first))
    return None if guess is None else (guess, 0)


def utf8_head(head: bytes) -> bytes:
    """A document's first bytes as UTF-8 (unchanged when they are not UTF-16/32); a
    character cut at the end of the head is left out."""
    found = wide_encoding(head)
    if found is None:
        return head
    name, bom = found
    decoder = codecs.getincrementaldecoder(name)(errors="replace")
    return decoder.decode(head[bom:]).encode("utf-8")


class Utf8Reader:
    """A UTF-16/32 binary stream read as UTF-8 bytes, one read at a time.

    Linear in the document, however long its lines: what was taken is skipped by an
    offset, not cut off a copy, and a line longer than one read is gathered in pieces
    and joined once (a buffer grown by ``+=`` made a 16 MiB line 16 times slower than
    a 4 MiB one).
    """

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(name)(errors="replace")
        self._buf = b""
        self._pos = 0  # what of _buf was handed on
        self._eof = False

    def _more(self, size: int) -> bytes:
        """The next read of the raw stream, decoded ("" at its end)."""
        data = self._raw.read(size)
        self._eof = not data
        return self._decoder.decode(data, final=self._eof).encode("utf-8")

    def read(self, n: int = -1) -> bytes:
        parts = [self._buf[self._pos :]]
        have = len(parts[0])
        while not self._eof and (n < 0 or have < n):
            parts.append(self._more(-1 if n < 0 else max(n - have, 1 << 16)))
            have += len(parts[-1])
        data = b"".join(parts)
        cut = len(data) if n < 0 else n
        self._buf, self._pos = data, cut
        return data[:cut]

    def readline(self, limit: int = -1) -> bytes:
        parts: list[bytes] = []
        while True:
            at = self._buf.find(b"\n", self._pos)
            if at >= 0 or self._eof:
                end = at + 1 if at >= 0 else len(self._buf)
                break
            parts.append(self._buf[self._pos :])
            self._buf, self._pos = self._more(1 << 16), 0
        parts.append(self._buf[self._pos : end])
        self._pos = end
        line = b"".join(parts)
        if 0 <= limit < len(line):  # the rest of the line is read next
            self._buf, self._pos = line[limit:] + self._buf[self._pos :], 0
            line = line[:limit]
        return line

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Utf8Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _peek(raw: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """The first four bytes, and a stream that still starts with them."""
    peek = getattr(raw, "peek", None)
    if peek is not None:
        return peek(4)[:4], raw
    head = raw.read(4)
    if raw.seekable():
        raw.seek(0)
        return head, raw
    return head, io.BufferedReader(_Prefixed(head, raw))


class _Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, first: bytes, rest: IO[bytes]) -> None:
        self._first = first
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._first or self._rest.read(len(buffer))
        data, self._first = data[: len(buffer)], data[len(buffer) :]
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._rest.close()
        super().close()


def utf8_opener(opener: Callable[[], IO[bytes]]) -> Callable[[], IO[bytes]]:
    """An opener whose streams are UTF-8: a UTF-16/32 document is transcoded, any other
    stream is handed on as it is (after a peek at its first bytes)."""

    def opened() -> IO[bytes]:
        raw = opener()
        head, stream = _peek(raw)
        found = wide_encoding(head)
        if found is None:
            return stream
        name, bom = found
        stream.read(bom)
        return Utf8Reader(stream, name)  # type: ignore[return-value]

    return opened
