"""A bounded reader for TIFF/EXIF image file directories (IFDs).

Why our own and not Pillow's or exifread's (measured in ``bench/readers.py``):

* Pillow turns a zero denominator into NaN and a bad entry into a lost directory, and it
  does not read maker notes, which is where most camera bodies keep their serial number.
* exifread reads a few makers' notes but is several times slower than this module, stops
  at the first malformed directory, and returns ratios with zero denominators as 0.
* Both hide *why* something was unreadable; an investigator needs the reason on record.

The reader decodes entry headers eagerly and values lazily, caps every count, follows no
offset twice (IFD loops), and never reads past the buffer: a hostile file costs at most
``MAX_ENTRIES`` entries per directory and ``MAX_IFDS`` directories.
"""

from __future__ import annotations

import codecs
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from geotrace.records import Problem

MAX_ENTRIES = 1024
MAX_IFDS = 64
#: Size in bytes of each TIFF field type; the value is kept inline when count*size <= 4.
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_ENTRY = {o: struct.Struct(o + "HHII") for o in "<>"}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 11: "f", 12: "d", 13: "I"}

#: TIFF and the raw formats that only change its magic number (Olympus ORF, Panasonic RW2).
LITTLE_ENDIAN_MAGIC = (b"II*\0", b"IIRO", b"IIRS", b"IIU\0")
BIG_ENDIAN_MAGIC = (b"MM\0*", b"MMOR")

# Tags that point to other directories.
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
MAKER_NOTE = 0x927C
XMP_TAG = 0x02BC
IPTC_TAG = 0x83BB
SUB_IFDS = 0x014A


@dataclass(slots=True)
class Entry:
    """One directory entry: where its value lives, decoded on demand.

    Not frozen: a photo has hundreds of entries, building them is the reader's inner loop,
    and a frozen dataclass's ``__init__`` costs 2.5x more (measured).
    """

    tag: int
    type: int
    count: int
    offset: int  # absolute offset of the value in the buffer


@dataclass(slots=True)
class Ifd:
    """One directory with the buffer, byte order and base its offsets are relative to."""

    buf: bytes | memoryview
    order: str  # "<" or ">"
    entries: dict[int, Entry]
    offset: int = 0

    def raw(self, tag: int) -> bytes | None:
        e = self.entries.get(tag)
        if e is None:
            return None
        size = TYPE_SIZES.get(e.type, 1) * e.count
        return bytes(self.buf[e.offset : e.offset + size])

    def text(self, tag: int) -> str | None:
        """ASCII (or UNDEFINED holding text) up to the first NUL, as exiftool prints it."""
        data = self.raw(tag)
        if data is None:
            return None
        return decode_text(data.split(b"\0", 1)[0])

    def numbers(self, tag: int) -> list[float] | list[int] | None:
        """Integer or float values; None when the entry is absent or of another type."""
        e = self.entries.get(tag)
        if e is None or e.type not in _INT_FORMATS:
            return None
        fmt = f"{self.order}{e.count}{_INT_FORMATS[e.type]}"
        return list(struct.unpack_from(fmt, self.buf, e.offset))

    def rationals(self, tag: int) -> list[tuple[int, int]] | None:
        """RATIONAL/SRATIONAL values as (numerator, denominator); never divided here."""
        e = self.entries.get(tag)
        if e is None or e.type not in (5, 10):
            return None
        fmt = f"{self.order}{2 * e.count}{'I' if e.type == 5 else 'i'}"
        flat = struct.unpack_from(fmt, self.buf, e.offset)
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def pointer(self, tag: int) -> int | None:
        vals = self.numbers(tag)
        if not vals or not isinstance(vals[0], int):
            return None
        return vals[0]


@dataclass(slots=True)
class Tiff:
    """The directories of one TIFF structure (an EXIF block, a TIFF/DNG file)."""

    buf: bytes | memoryview
    base: int
    order: str
    ifd0: Ifd | None = None
    exif: Ifd | None = None
    gps: Ifd | None = None
    sub_ifds: list[Ifd] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    def read_ifd(self, rel_offset: int, name: str, base: int | None = None) -> Ifd | None:
        """Read the directory at ``rel_offset`` (relative to ``base``), or record why not."""
        base = self.base if base is None else base
        pos = base + rel_offset
        if pos in self._seen:
            self.problems.append(Problem("ifd_loop", f"{name}: directory at {pos} already read"))
            return None
        if len(self._seen) >= MAX_IFDS:
            self.problems.append(Problem("ifd_limit", f"{name}: more than {MAX_IFDS} IFDs"))
            return None
        self._seen.add(pos)
        ifd = read_ifd(self.buf, pos, base, self.order, name, self.problems)
        return ifd


def _question_marks(err: UnicodeError) -> tuple[str, int]:
    """exiftool's JSON writer (``FixUTF8``) turns each byte of bad UTF-8 into '?'."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "?" * (err.end - err.start), err.end


codecs.register_error("geotrace-exiftool-utf8", _question_marks)


def decode_text(data: bytes) -> str:
    """Any string value's bytes as ``exiftool -json`` shows them: NULs dropped, bad UTF-8
    as "?".

    The one decoder for every string tag (EXIF, maker notes, vendor blocks, QuickTime,
    IPTC), so that a value padded with NULs reads the same wherever it sits.  Garbage
    inside a value stays visible as "?", as in exiftool; padding of another kind is a
    tag's own rule (Canon's InternalSerialNumber drops trailing 0xFF, ``makernotes``).
    """
    return data.replace(b"\0", b"").decode("utf-8", "geotrace-exiftool-utf8")


def read_ifd(
    buf: bytes | memoryview,
    pos: int,
    base: int,
    order: str,
    name: str,
    problems: list[Problem],
    *,
    count_fmt: str = "H",
) -> Ifd | None:
    """Parse one directory at absolute ``pos``; value offsets are relative to ``base``."""
    n_size = struct.calcsize(count_fmt)
    if pos < 0 or pos + n_size > len(buf):
        problems.append(Problem("ifd_out_of_bounds", f"{name}: offset {pos} is past the end"))
        return None
    (n,) = struct.unpack_from(order + count_fmt, buf, pos)
    if n > MAX_ENTRIES:
        problems.append(
            Problem("ifd_too_many_entries", f"{name}: {n} entries, limit {MAX_ENTRIES}")
        )
        return None
    entries: dict[int, Entry] = {}
    start = pos + n_size
    available = (len(buf) - start) // 12
    if available < n:
        problems.append(
            Problem("ifd_truncated", f"{name}: {n} entries declared, {max(available, 0)} present")
        )
        n = max(available, 0)
    size_of = TYPE_SIZES.get
    limit = len(buf)
    for i, (tag, typ, count, rel) in enumerate(
        _ENTRY[order].iter_unpack(buf[start : start + 12 * n])
    ):
        size = size_of(typ)
        if size is None:
            continue  # unknown type: exiftool skips these too
        total = size * count
        if total <= 4:
            value_at = start + 12 * i + 8
        else:
            value_at = base + rel
            if value_at + total > limit:
                problems.append(
                    Problem(
                        "tag_out_of_bounds",
                        f"{name}: tag 0x{tag:04x} value at {value_at} (+{total}) is past the end",
                    )
                )
                continue
        if tag not in entries:
            entries[tag] = Entry(tag, typ, count, value_at)
    return Ifd(buf, order, entries, pos)


def parse_tiff(buf: bytes | memoryview, base: int = 0) -> Tiff | None:
    """Read IFD0, the EXIF and GPS directories and DNG sub-IFDs of a TIFF structure.

    Returns None (and nothing else) when ``buf[base:]`` is not a TIFF header; problems
    met inside a valid header are on the returned object.
    """
    if base + 8 > len(buf):
        return None
    mark = bytes(buf[base : base + 4])
    if mark in LITTLE_ENDIAN_MAGIC:
        order = "<"
    elif mark in BIG_ENDIAN_MAGIC:
        order = ">"
    else:
        return None
    (first,) = struct.unpack_from(order + "I", buf, base + 4)
    tiff = Tiff(buf, base, order)
    tiff.ifd0 = tiff.read_ifd(first, "IFD0")
    if tiff.ifd0 is None:
        return tiff
    for tag, attr, name in ((EXIF_IFD, "exif", "ExifIFD"), (GPS_IFD, "gps", "GPS")):
        ptr = tiff.ifd0.pointer(tag)
        if ptr is not None:
            setattr(tiff, attr, tiff.read_ifd(ptr, name))
    if tiff.gps is None and tiff.exif is not None:
        # A few writers put the GPS pointer in the EXIF directory; exiftool follows it.
        ptr = tiff.exif.pointer(GPS_IFD)
        if ptr is not None:
            tiff.gps = tiff.read_ifd(ptr, "GPS")
    subs = tiff.ifd0.numbers(SUB_IFDS)
    for sub_ptr in (subs or [])[:8]:
        if isinstance(sub_ptr, int):
            sub = tiff.read_ifd(sub_ptr, "SubIFD")
            if sub is not None:
                tiff.sub_ifds.append(sub)
    return tiff


def ifd1(tiff: Tiff, problems: list[Problem]) -> Ifd | None:
    """IFD1, the directory IFD0 links to (a JPEG's thumbnail, a TIFF's second page).

    Read on demand, not by :func:`parse_tiff`: only a file whose IFD0 does not name the
    camera needs it (a scanner that writes its Model in IFD1 alone), and every JPEG has one.
    """
    ifd0 = tiff.ifd0
    if ifd0 is None or ifd0.offset + 2 > len(tiff.buf):
        return None
    (count,) = struct.unpack_from(ifd0.order + "H", tiff.buf, ifd0.offset)
    at = ifd0.offset + 2 + 12 * count
    if at + 4 > len(tiff.buf):
        return None
    (rel,) = struct.unpack_from(ifd0.order + "I", tiff.buf, at)
    if rel == 0:
        return None
    before = len(tiff.problems)
    found = tiff.read_ifd(rel, "IFD1")
    problems.extend(tiff.problems[before:])
    return found


def directories(tiff: Tiff) -> Iterator[tuple[str, Ifd]]:
    """The directories that hold camera facts, in exiftool's order of preference."""
    for name, ifd in (("ExifIFD", tiff.exif), ("IFD0", tiff.ifd0)):
        if ifd is not None:
            yield name, ifd
    for sub in tiff.sub_ifds:
        yield "SubIFD", sub


def format_number(value: float | int) -> str:
    """Print a number the way exiftool's ``-n`` does (Perl ``%.15g``, Inf/NaN spelled out)."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    text = f"{value:.15g}"
    return text
