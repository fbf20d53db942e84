"""Camera serial numbers from EXIF maker notes, named and printed as exiftool names them.

Why: most camera bodies never fill EXIF's BodySerialNumber; the serial an investigator
needs to tie photos to one device sits in the vendor's private maker note, whose layout
differs per vendor (header, where its IFD starts, what its offsets count from, which
byte order). This module follows exiftool's rules for each layout (exiftool 12.57,
``MakerNotes.pm``) so that ``group:tag -> value`` matches ``exiftool -json -n -G1 -a``:

* keys are exiftool's family-1 group and tag name (``Canon:SerialNumber``);
* values are what exiftool's JSON holds: ASCII up to its first NUL, ``undefined``
  bytes with every NUL dropped, integers in decimal, several numbers space-separated;
* when one group holds a tag twice, the one read last wins, as in exiftool's JSON.

Only tags whose exiftool name contains "SerialNumber" are read.  Tags that exiftool
places at firmware-dependent offsets (Canon 5D Mark III lens serial) are left out
rather than guessed.  Every offset is bounds-checked by :func:`read_ifd`; a maker note
can open at most one level of sub-directories, so no input can make the walk loop.

The work is split at its seams: :mod:`makernotes_walk` prints and walks entries as
exiftool does for every vendor, :mod:`makernotes_tables` holds each vendor's serial tags,
:mod:`makernotes_layout` tells which vendor a note is; this module finds the notes (EXIF's
and a DNG's copy), repairs offsets that editors moved, and opens them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from geotrace.evidence import reconyx
from geotrace.evidence.makernotes_layout import Layout, note_layout
from geotrace.evidence.makernotes_tables import CANON
from geotrace.evidence.makernotes_walk import Ctx, guess_order, walk
from geotrace.evidence.tiff import MAKER_NOTE, MAX_ENTRIES, TYPE_SIZES, Ifd, Tiff, read_ifd
from geotrace.records import Problem

_MODEL_TAG = 0x0110
_PRINT_IM = 0x0E00
DNG_PRIVATE_DATA = 0xC634


# --- Repairing moved maker notes -------------------------------------------------------


def _value_blocks(buf: bytes | memoryview, pos: int, order: str) -> list[tuple[int, int, int]]:
    """(tag, raw offset, size) of every out-of-line value, before any base is applied."""
    if pos < 0 or pos + 2 > len(buf):
        return []
    (count,) = struct.unpack_from(order + "H", buf, pos)
    count = min(count, MAX_ENTRIES, max(0, (len(buf) - pos - 2) // 12))
    blocks = []
    for i in range(count):
        tag, typ, n, ptr = struct.unpack_from(order + "HHII", buf, pos + 2 + 12 * i)
        if typ not in TYPE_SIZES:
            break
        size = TYPE_SIZES[typ] * n
        if size > 4:
            blocks.append((tag, ptr, size))
    return blocks


def _canon_shift(buf: bytes | memoryview, start: int, size: int, base: int, order: str) -> int:
    """Canon notes end with a TIFF-like footer holding the note's original offset.

    Editors that move the note without rewriting its offsets leave the footer stale; the
    difference is how far every value moved (exiftool's ``FixBase``).  Some editors move
    the values but not the footer: then the last value ends right at the footer.
    """
    footer = bytes(buf[start + size - 8 : start + size])
    marks = {"<": b"II*\0", ">": b"MM\0*"}
    if size <= 8 or len(footer) < 8 or footer[:4] != marks[order]:
        return 0
    (old,) = struct.unpack_from(order + "I", footer, 4)
    shift = start - base - old
    blocks = _value_blocks(buf, start, order)
    if not shift or not blocks:
        return 0
    last = max(blocks, key=lambda b: (b[1], b[2]))
    end_gap = start - base + size - (last[1] + last[2]) - 8
    return 0 if end_gap in (0, 1) else shift


def _generic_shift(buf: bytes | memoryview, pos: int, base: int, order: str) -> int:
    """exiftool's ``FixBase`` for Pentax and Samsung notes: values should start 4 bytes
    after the IFD; if the smallest offset says otherwise, the base is off by the gap."""
    blocks = _value_blocks(buf, pos, order)
    if not blocks:
        return 0
    for tag, ptr, _size in blocks:
        if tag == _PRINT_IM and bytes(buf[base + ptr : base + ptr + 8]) == b"PrintIM\0":
            return 0
    (count,) = struct.unpack_from(order + "H", buf, pos)
    ifd_len = 2 + 12 * count
    ifd_end = pos - base + ifd_len
    spans: dict[int, int] = {}
    for _tag, ptr, size in blocks:
        spans[ptr] = max(size, spans.get(ptr, 0))
    pointers = sorted(spans)
    lowest, last = pointers[0], None
    for ptr in pointers:
        if last is not None:
            if ptr - last >= ifd_len and abs(ptr - (ifd_end + 4)) <= 4:
                lowest = ptr
            if lowest < 12:
                lowest = ptr
        last = ptr + spans[ptr]
    diff = lowest - ifd_end
    return 0 if diff in (0, 4) else 4 - diff


def _plausible_order(buf: bytes | memoryview, pos: int, order: str) -> str | None:
    """exiftool's ``LocateIFD`` test for notes of unsure layout (Pentax, Samsung).

    The entry count decides the byte order (a zero low byte means swapped); then every
    entry must have a known type and a count below 2**24, or the note is unrecognised
    and exiftool reads nothing from it.
    """
    if pos < 0 or pos + 2 > len(buf):
        return None
    (count,) = struct.unpack_from(order + "H", buf, pos)
    if count and not count & 0xFF:
        order, count = (">" if order == "<" else "<"), count >> 8
    elif count & 0xFF00 or not count or pos + 2 + 12 * count > len(buf):
        return None
    for i in range(count):
        typ, n = struct.unpack_from(order + "HI", buf, pos + 4 + 12 * i)
        if typ == 0 and n == 0 and i:
            continue
        if typ not in TYPE_SIZES or n & 0xFF000000:
            return None
    return order


@dataclass(frozen=True, slots=True)
class _Note:
    """One maker note: where it sits, and the TIFF header position and byte order its
    offsets were written for (moved, in a DNG, with the note)."""

    start: int
    size: int
    base: int
    order: str


def _dng_notes(tiff: Tiff) -> Iterator[_Note]:
    """The maker note Adobe's DNG Converter copies into IFD0's DNGPrivateData.

    Layout (exiftool's ``ProcessAdobeData`` and ``ProcessAdobeMakN``): "Adobe\\0", then
    blocks of a 4-byte name and a big-endian length; "MakN" holds the original byte order,
    the note's original offset, then the note, whose offsets still count from where the
    original TIFF header was.  Camera Raw adds 12 bytes after a JPEG's note: skipped.
    """
    entry = tiff.ifd0.entries.get(DNG_PRIVATE_DATA) if tiff.ifd0 is not None else None
    if entry is None or entry.type not in (1, 7):
        return
    buf, pos = tiff.buf, entry.offset + 6
    end = min(entry.offset + entry.count, len(buf))
    if bytes(buf[entry.offset : pos]) != b"Adobe\0":
        return
    while pos + 8 <= end:
        name = bytes(buf[pos : pos + 4])
        (length,) = struct.unpack_from(">I", buf, pos + 4)
        body, pos = pos + 8, pos + 8 + length
        order = {b"II": "<", b"MM": ">"}.get(bytes(buf[body : body + 2]))
        if name != b"MakN" or pos > end or length < 6 or order is None:
            continue
        (original,) = struct.unpack_from(">I", buf, body + 2)
        skip = 18 if length >= 18 and bytes(buf[body + 6 : body + 10]) == b"\0\0\0\x01" else 6
        yield _Note(body + skip, length - skip, body + skip - original, order)


def _notes(tiff: Tiff) -> Iterator[_Note]:
    entry = tiff.exif.entries.get(MAKER_NOTE) if tiff.exif is not None else None
    if entry is not None:
        yield _Note(
            entry.offset, min(entry.count, len(tiff.buf) - entry.offset), tiff.base, tiff.order
        )
    yield from _dng_notes(tiff)


def _open(
    tiff: Tiff, note: _Note, layout: Layout, problems: list[Problem]
) -> tuple[Ifd | None, int]:
    """The maker note's own IFD, read with the base and byte order its layout asks for."""
    start, size = note.start, note.size
    pos = start + layout.ifd_at
    base = (start if layout.from_note else note.base) + layout.shift
    order = layout.order or guess_order(tiff.buf, pos, note.order)
    if layout.fix == "canon":
        base += _canon_shift(tiff.buf, start, size, base, order)
    elif layout.fix == "generic":
        checked = _plausible_order(tiff.buf, pos, layout.order or note.order)
        if checked is None:
            problems.append(Problem("makernote_unrecognized", f"{layout.group} maker note"))
            return None, base
        order = checked
        base += _generic_shift(tiff.buf, pos, base, order)
    return read_ifd(tiff.buf, pos, base, order, f"MakerNote{layout.group}", problems), base


def _head(tiff: Tiff, note: _Note, size: int) -> bytes:
    return bytes(tiff.buf[note.start : note.start + min(note.size, size)])


def _note_serials(
    tiff: Tiff, note: _Note, make: str, model: str, problems: list[Problem]
) -> dict[str, str]:
    layout = note_layout(_head(tiff, note, 48), make, model)
    if layout is not None and layout.group == reconyx.GROUP:
        return reconyx.read_note(_head(tiff, note, reconyx.NOTE_BYTES)).serials
    if layout is None or not layout.table:
        return {}
    ifd, base = _open(tiff, note, layout, problems)
    if ifd is None:
        return {}
    ctx = Ctx(make, model, base, problems)
    try:
        return {f"{layout.group}:{name}": value for name, value in walk(ifd, layout.table, ctx)}
    except (struct.error, ValueError, OverflowError) as exc:  # defence in depth
        problems.append(Problem("makernote_unreadable", f"{layout.group} maker note: {exc}"))
        return {}


def maker_serials(tiff: Tiff, make: str | None) -> tuple[dict[str, str], list[Problem]]:
    """Every "SerialNumber" tag of the maker note (EXIF's, then a DNG's private copy), as
    ``{"Group:Tag": value}``.

    ``make`` is IFD0's Make (exiftool chooses the layout by it for headerless notes).
    Never raises: what cannot be read is returned as problems.
    """
    problems: list[Problem] = []
    model = (tiff.ifd0.text(_MODEL_TAG) if tiff.ifd0 is not None else None) or ""
    found: dict[str, str] = {}
    for note in _notes(tiff):
        found.update(_note_serials(tiff, note, make or "", model, problems))
    return found, problems


def maker_datetime_original(tiff: Tiff, make: str | None) -> str | None:
    """The capture time a maker note holds where EXIF may hold none (Reconyx trail
    cameras), as exiftool prints it; None for every other note."""
    model = (tiff.ifd0.text(_MODEL_TAG) if tiff.ifd0 is not None else None) or ""
    for note in _notes(tiff):
        layout = note_layout(_head(tiff, note, 48), make or "", model)
        if layout is not None and layout.group == reconyx.GROUP:
            return reconyx.read_note(_head(tiff, note, reconyx.NOTE_BYTES)).datetime_original
    return None


def canon_cmt3_serials(cmt3: Tiff, model: str | None) -> tuple[dict[str, str], list[Problem]]:
    """Canon serials of a CR3 file, whose CMT3 box is the maker note as a whole TIFF.

    ``cmt3`` is that box parsed by :func:`parse_tiff`; its IFD0 is Canon's maker-note
    directory, with offsets from the box's own TIFF header.  ``model`` is CMT1's Model.
    """
    problems: list[Problem] = []
    if cmt3.ifd0 is None:
        return {}, problems
    ctx = Ctx("Canon", model or "", cmt3.base, problems)
    return {f"Canon:{name}": value for name, value in walk(cmt3.ifd0, CANON, ctx)}, problems
