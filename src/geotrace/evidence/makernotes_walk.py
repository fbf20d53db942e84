"""The generic half of maker-note reading: how one entry's value is printed, the handler
kinds every vendor table is built from, and the bounded walk over a directory.

Why apart from the vendor tables: these rules are exiftool's for every maker note
(``-n`` printing, JSON's number round trip, its checks on suspicious entries), so they are
written once; a vendor's table then reads as that vendor's tags only.  The walk opens at
most :data:`MAX_DEPTH` levels of sub-directory, so no input can make it loop.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from geotrace.evidence.tiff import TYPE_SIZES, Entry, Ifd, decode_text, format_number, read_ifd
from geotrace.records import Problem

#: Longest value read as a serial; real ones are under 64 bytes, a hostile count is not.
MAX_SERIAL_BYTES = 1024
#: Deepest sub-directory followed inside a maker note (Olympus: Main > MainInfo > Equipment).
MAX_DEPTH = 3
_INT_TYPES = {1, 3, 4, 6, 8, 9}
_JSON_NUMBER = re.compile(r"-?(\d|[1-9]\d{1,14})(\.\d{1,16})?([eE][-+]?\d{1,3})?")


def json_text(data: bytes) -> str:
    """Bytes as they come out of ``exiftool -json`` read back by Python's ``json``.

    ``decode_text`` drops NULs and padding as exiftool does; exiftool then writes a string
    that looks like a number (``1.50``) as a JSON number, which reads back as ``1.5``.
    The truth we are measured against went through exactly that path.
    """
    text = decode_text(data)
    if _JSON_NUMBER.fullmatch(text) and not text.lstrip("-").isdigit():
        return repr(float(text))
    return text


@dataclass(frozen=True, slots=True)
class Ctx:
    """What a handler needs besides its entry: the camera, the directory's base, a log.

    ``base`` is the absolute position the current directory's offsets count from; a
    sub-directory that counts from elsewhere gets a copy with its own.
    """

    make: str
    model: str
    base: int
    problems: list[Problem]
    depth: int = 0


#: A handler turns one directory entry into zero or more (tag name, value) pairs.
Handler = Callable[[Ifd, Entry, Ctx], Iterator[tuple[str, str]]]
Table = dict[int, Handler]


def entry_bytes(ifd: Ifd, entry: Entry) -> bytes:
    size = TYPE_SIZES.get(entry.type, 1) * entry.count
    return bytes(ifd.buf[entry.offset : entry.offset + min(size, MAX_SERIAL_BYTES)])


def as_read(ifd: Ifd, entry: Entry) -> bytes | None:
    """The bytes exiftool starts from: ASCII cut at its NUL; None past the size cap."""
    if TYPE_SIZES.get(entry.type, 1) * entry.count > MAX_SERIAL_BYTES:
        return None
    raw = entry_bytes(ifd, entry)
    return raw.split(b"\0", 1)[0] if entry.type == 2 else raw


def entry_value(ifd: Ifd, entry: Entry, padding: bytes = b"") -> str | None:
    """The value as exiftool -n prints it; None for rationals, unknown types, huge counts.

    ``padding``: bytes a tag's exiftool ValueConv strips from the end of its text.
    """
    data = as_read(ifd, entry)
    if data is None:
        return None
    if entry.type in (2, 7):
        return json_text(data.rstrip(padding) if padding else data)
    if entry.type in _INT_TYPES or entry.type in (11, 12):
        numbers = ifd.numbers(entry.tag)
        return None if numbers is None else " ".join(format_number(n) for n in numbers)
    return None


def plain(name: str, padding: bytes = b"") -> Handler:
    def handler(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
        value = entry_value(ifd, entry, padding)
        if value is not None:
            yield name, value

    return handler


def trailing_spaces_trimmed(name: str) -> Handler:
    """Panasonic: exiftool's ValueConv strips trailing spaces even under -n."""

    def handler(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
        value = entry_value(ifd, entry)
        if value is not None:
            yield name, value.rstrip(" ")

    return handler


def binary_field(ifd: Ifd, entry: Entry, at: int, size: int | None) -> bytes | None:
    """``size`` bytes at ``at`` inside a binary-data block; None when the block is short.

    ``size`` None means "to the end of the block" (exiftool's bare ``string`` format).
    """
    block = entry_bytes(ifd, entry) if entry.type in TYPE_SIZES else b""
    if size is None:
        return block[at:] if at < len(block) else None
    return block[at : at + size] if at + size <= len(block) else None


def hex_field(name: str, at: int, size: int, skip_zero_prefix: bool = False) -> Handler:
    """Canon lens serials: raw bytes shown as hex (exiftool's ValueConv ``unpack H*``)."""

    def handler(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
        data = binary_field(ifd, entry, at, size)
        if data is not None and not (skip_zero_prefix and data[:4] == b"\0\0\0\0"):
            yield name, data.hex()

    return handler


def string_field(name: str, at: int, size: int | None) -> Handler:
    """A fixed-position string inside a binary-data block, cut at its first NUL."""

    def handler(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
        data = binary_field(ifd, entry, at, size)
        if data is not None:
            yield name, json_text(data.split(b"\0", 1)[0])

    return handler


def guess_order(buf: bytes | memoryview, pos: int, order: str) -> str:
    """exiftool's guess for 'Unknown' byte order: an entry count like 0x0d00 is swapped."""
    if pos < 0 or pos + 2 > len(buf):
        return order
    (count,) = struct.unpack_from(order + "H", buf, pos)
    if count & 0xFF00 and (count >> 8) > (count & 0xFF):
        return ">" if order == "<" else "<"
    return order


def sub_walk(
    ifd: Ifd, pos: int, order: str | None, table: Table, ctx: Ctx
) -> Iterator[tuple[str, str]]:
    """Walk a sub-directory at absolute ``pos`` whose offsets count from ``ctx.base``.

    Olympus nests its main table inside itself; the depth cap stops a crafted loop.
    """
    if ctx.depth >= MAX_DEPTH:
        ctx.problems.append(Problem("makernote_depth", f"maker note nested past {MAX_DEPTH}"))
        return
    order = guess_order(ifd.buf, pos, ifd.order) if order is None else order
    sub = read_ifd(ifd.buf, pos, ctx.base, order, "MakerNote sub-IFD", ctx.problems)
    if sub is not None:
        yield from walk(sub, table, replace(ctx, depth=ctx.depth + 1))


def _first_type_known(ifd: Ifd) -> bool:
    """exiftool drops a whole directory whose first entry has an unknown type."""
    if ifd.offset + 6 > len(ifd.buf):
        return False
    (typ,) = struct.unpack_from(ifd.order + "H", ifd.buf, ifd.offset + 4)
    return typ in TYPE_SIZES


def _suspicious(ifd: Ifd, entry: Entry, ctx: Ctx) -> bool:
    """exiftool skips a value stored inside the TIFF header or over its own directory."""
    size = TYPE_SIZES[entry.type] * entry.count
    if size <= 4:
        return False
    (count,) = struct.unpack_from(ifd.order + "H", ifd.buf, ifd.offset)
    end = ifd.offset + 2 + 12 * count
    return entry.offset - ctx.base < 8 or (entry.offset < end and entry.offset + size > ifd.offset)


def walk(ifd: Ifd, table: Table, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """Entries in file order, so that a repeated name keeps the value read last."""
    if not _first_type_known(ifd):
        ctx.problems.append(Problem("makernote_bad_ifd", "maker-note IFD: unknown first type"))
        return
    for tag, entry in ifd.entries.items():
        handler = table.get(tag)
        if handler is not None and not _suspicious(ifd, entry, ctx):
            yield from handler(ifd, entry, ctx)
