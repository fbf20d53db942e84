"""The EXIF a cleaned still keeps when the user asks for its orientation, and what an EXIF
block held that the user should hear about.

``--keep orientation`` exists because viewers turn a photo by its EXIF Orientation; with
the block gone, a portrait shot shows lying on its side (ExifCleaner #168, #209).  The
smallest EXIF that carries it is one TIFF directory with one entry, written here rather
than by trimming the original block: a trimmed block would still hold whatever its
offsets point at (maker notes, thumbnails) unless every value were moved, which is a
TIFF writer, and one entry needs none.
"""

from __future__ import annotations

import struct

from geotrace.audit.cleaned import Removal
from geotrace.evidence.tiff import MAKER_NOTE, Tiff, ifd1, parse_tiff

ORIENTATION = 0x0112
_SHORT = 3
#: IFD1 tags that point at a thumbnail: JPEGInterchangeFormat, StripOffsets.
_THUMBNAIL_TAGS = (0x0201, 0x0111)


def minimal_exif(orientation: int, big_endian: bool = False) -> bytes:
    """A TIFF structure whose IFD0 holds only Orientation (SHORT, inline), no next IFD."""
    order = ">" if big_endian else "<"
    head = b"MM\0*" if big_endian else b"II*\0"
    entry = struct.pack(order + "HHIHH", ORIENTATION, _SHORT, 1, orientation, 0)
    return head + struct.pack(order + "IH", 8, 1) + entry + struct.pack(order + "I", 0)


def _parse(block: bytes | memoryview, base: int) -> Tiff | None:
    try:
        return parse_tiff(block, base)
    except (struct.error, ValueError):  # a hostile block must cost a refusal, not a crash
        return None


def exif_orientation(block: bytes | memoryview, base: int = 0) -> int | None:
    """Orientation (1-8) from IFD0 of the TIFF at ``block[base:]``; None if absent or
    not one of the eight values a viewer knows."""
    tiff = _parse(block, base)
    if tiff is None or tiff.ifd0 is None:
        return None
    e = tiff.ifd0.entries.get(ORIENTATION)
    if e is None or e.type not in (_SHORT, 4) or e.count < 1:
        return None
    values = tiff.ifd0.numbers(ORIENTATION)
    value = values[0] if values else None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def is_minimal(block: bytes | memoryview, base: int = 0) -> bool:
    """Whether the TIFF at ``block[base:]`` is exactly what :func:`minimal_exif` writes, so
    that cleaning a cleaned file with ``--keep orientation`` keeps it instead of removing
    and writing it again (a cleaned file is a fixed point)."""
    tail = bytes(block[base:])
    if len(tail) != 26:
        return False
    orientation = exif_orientation(tail)
    return orientation is not None and tail == minimal_exif(orientation, tail[:2] == b"MM")


def exif_removals(
    block: bytes | memoryview, base: int, where: str, offset: int, length: int
) -> list[Removal]:
    """The ``exif`` removal of one block, plus ``thumbnail`` and ``makernotes`` when it
    holds them: the user hears that a preview (which may show the uncropped scene) and
    the maker's private notes (serials) went with it."""
    found = [Removal("exif", where, offset, length)]
    tiff = _parse(block, base)
    if tiff is None or tiff.ifd0 is None:
        return found
    try:
        first = ifd1(tiff, [])
    except (struct.error, ValueError):
        first = None
    if first is not None and any(t in first.entries for t in _THUMBNAIL_TAGS):
        found.append(Removal("thumbnail", f"{where} IFD1 thumbnail", offset, length))
    if tiff.exif is not None and MAKER_NOTE in tiff.exif.entries:
        found.append(Removal("makernotes", f"{where} maker note", offset, length))
    return found


def turned_note(orientation: int | None) -> list[str]:
    """The note a user needs when a picture shot turned loses its orientation tag: viewers
    will show it as stored, on its side or upside down (ExifCleaner #168, #209)."""
    if orientation is None or orientation == 1:
        return []
    return [
        f"The picture was stored turned (orientation {orientation}) and that tag is removed:"
        " it will show turned; scrub with --keep orientation to keep the tag alone."
    ]
