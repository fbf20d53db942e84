"""Clean a TIFF by writing a new one: the pages' image data copied byte for byte, fresh
directories holding only what a decoder needs.

Why our own writer:

* Pillow's TIFF re-save copies almost every tag it read (serial numbers, 136 XMP tags,
  IPTC, Photoshop blocks and the thumbnail survive in ``photoprism__example.tif``, see
  ``shared/research/audit.md``), and it decodes and re-compresses the pixels.
* tifffile (BSD) writes new files from decoded arrays: it re-compresses too, and cannot
  copy a page's compressed strips or tiles as they are.
* exiftool (Perl, GPL/Artistic, an external program) leaves IFD0 Make, Model, Software
  and ModifyDate behind unless told ``-CommonIFD0=``, and keeps whatever tag it does not
  know.

A TIFF is a set of directories pointing at data anywhere in the file, so editing one in
place would leave every dropped tag's bytes behind; writing a new file from an allow-list
drops everything not named, including tags no one has a name for.  Raw camera files that
look like TIFF (DNG, CR2, NEF, ARW, ORF, RW2, PEF) are refused: their decoders need the
camera model and maker notes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Piece, Refused, Removal, RemovalKind
from geotrace.evidence.tiff import (
    BIG_ENDIAN_MAGIC,
    EXIF_IFD,
    GPS_IFD,
    IPTC_TAG,
    LITTLE_ENDIAN_MAGIC,
    MAKER_NOTE,
    MAX_ENTRIES,
    SUB_IFDS,
    TYPE_SIZES,
    XMP_TAG,
)

#: Longest chain of pages followed (a multi-page fax or scan has tens), and most
#: sub-directories looked into for raw data.
MAX_PAGES = 1024
MAX_SUB_IFDS = 64

ORIENTATION = 0x0112
ICC_PROFILE = 0x8773
NEW_SUBFILE_TYPE, OLD_SUBFILE_TYPE = 0x00FE, 0x00FF
WIDTH, HEIGHT, COMPRESSION, PHOTOMETRIC = 0x0100, 0x0101, 0x0103, 0x0106
STRIP_OFFSETS, STRIP_COUNTS = 0x0111, 0x0117
TILE_OFFSETS, TILE_COUNTS = 0x0144, 0x0145
JPEG_INTERCHANGE = 0x0201
DNG_VERSION = 0xC612

#: Tags a decoder needs to turn the copied strips or tiles back into the same pixels.
DECODER_TAGS = frozenset(
    {
        NEW_SUBFILE_TYPE,  # tells a transparency mask from a page
        WIDTH,
        HEIGHT,
        0x0102,  # BitsPerSample
        COMPRESSION,
        PHOTOMETRIC,
        0x010A,  # FillOrder
        STRIP_OFFSETS,
        0x0115,  # SamplesPerPixel
        0x0116,  # RowsPerStrip
        STRIP_COUNTS,
        0x011A,  # XResolution
        0x011B,  # YResolution
        0x011C,  # PlanarConfiguration
        0x0124,  # T4Options (fax)
        0x0125,  # T6Options (fax)
        0x0128,  # ResolutionUnit
        0x012D,  # TransferFunction
        0x013D,  # Predictor
        0x013E,  # WhitePoint
        0x013F,  # PrimaryChromaticities
        0x0140,  # ColorMap
        0x0142,  # TileWidth
        0x0143,  # TileLength
        TILE_OFFSETS,
        TILE_COUNTS,
        0x014C,  # InkSet
        0x014E,  # NumberOfInks
        0x0152,  # ExtraSamples
        0x0153,  # SampleFormat
        0x0154,  # SMinSampleValue
        0x0155,  # SMaxSampleValue
        0x015B,  # JPEGTables
        0x0211,  # YCbCrCoefficients
        0x0212,  # YCbCrSubSampling
        0x0213,  # YCbCrPositioning
        0x0214,  # ReferenceBlackWhite
    }
)

#: A page is stored in strips or in tiles; the other layout's tags would mislead a decoder.
STRIP_LAYOUT = frozenset({STRIP_OFFSETS, STRIP_COUNTS, 0x0116})
TILE_LAYOUT = frozenset({0x0142, 0x0143, TILE_OFFSETS, TILE_COUNTS})

#: What a dropped tag was, for the inventory; a tag not listed is "other", or "exif" in
#: the range of the EXIF tables (0x9000-0xA4FF: capture times, serials, Windows XP tags).
NAMED_TAGS: dict[int, tuple[RemovalKind, str]] = {
    EXIF_IFD: ("exif", "ExifIFD"),
    GPS_IFD: ("exif", "GPS"),
    0xA005: ("exif", "InteropIFD"),
    0x010D: ("exif", "DocumentName"),
    0x010E: ("exif", "ImageDescription"),
    0x010F: ("exif", "Make"),
    0x0110: ("exif", "Model"),
    ORIENTATION: ("exif", "Orientation"),
    0x011D: ("exif", "PageName"),
    0x0131: ("exif", "Software"),
    0x0132: ("exif", "DateTime"),
    0x013B: ("exif", "Artist"),
    0x013C: ("exif", "HostComputer"),
    0x8298: ("exif", "Copyright"),
    0xFDE8: ("exif", "OwnerName"),  # Adobe Camera Raw's copies of the EXIF owner and serial
    0xFDE9: ("exif", "SerialNumber"),
    XMP_TAG: ("xmp", "XMP"),
    IPTC_TAG: ("iptc", "IPTC"),
    0x8649: ("iptc", "Photoshop"),
    ICC_PROFILE: ("icc", "ICC profile"),
    MAKER_NOTE: ("makernotes", "MakerNote"),
    0xC634: ("makernotes", "DNGPrivateData"),
    SUB_IFDS: ("preview", "SubIFDs"),
    JPEG_INTERCHANGE: ("thumbnail", "JPEGInterchangeFormat"),
    0x0202: ("thumbnail", "JPEGInterchangeFormatLength"),
    0x935C: ("other", "ImageSourceData (Photoshop layers)"),
}
_POINTERS = frozenset({EXIF_IFD, GPS_IFD, 0xA005})

#: Marks of raw sensor data: colour-filter-array or linear-raw photometrics, the makers'
#: own compressions, the CFA pattern tags and DNG's version tag.
RAW_PHOTOMETRIC = frozenset({32803, 34892})
RAW_COMPRESSION = frozenset({32767, 32769, 32770, 32867, 34316, 34713, 65000, 65535})
RAW_TAGS = frozenset({DNG_VERSION, 0x828D, 0x828E})
RAW_REASON = (
    "this is a raw camera file (DNG, CR2, NEF, ARW, ORF, RW2, PEF or similar): its decoder "
    "needs the camera model and maker notes that identify the camera, so it cannot be "
    "cleaned without damage; export it to TIFF or JPEG first, or use --reencode"
)


@dataclass(slots=True)
class _Entry:
    tag: int
    type: int
    count: int
    entry_at: int  # absolute offset of the 12-byte entry
    value_at: int  # absolute offset of the value (inside the entry when it fits)
    size: int  # bytes of the value; -1 when the type is unknown


@dataclass(slots=True)
class _Page:
    index: int
    at: int
    size: int  # bytes of the directory itself
    entries: dict[int, _Entry]
    extra: list[_Entry]  # repeated tags: dropped


@dataclass(slots=True)
class _Out:
    """One page of the new file: its tags and the image blocks to copy."""

    tags: list[_Entry]  # sorted by tag, values copied from the original
    blocks: list[tuple[int, int]]  # (offset, length) of each strip or tile, in order
    offsets_tag: int


def clean_tiff(buf: Buffer, keep: Keep) -> Cleaned:
    """A new TIFF with every full-resolution page of ``buf`` and nothing else; raises
    :class:`Refused` for raw camera files, BigTIFF and damaged structure."""
    view = memoryview(buf)
    try:
        return _clean(view, keep)
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        raise Refused(f"the TIFF structure is damaged ({exc})") from None


def _clean(view: memoryview, keep: Keep) -> Cleaned:
    order = _byte_order(view)
    pages = _read_chain(view, order)
    removed: list[Removal] = []
    if _is_raw(view, order, pages):
        raise Refused(RAW_REASON)
    outs: list[_Out] = []
    kept: set[str] = set()
    blocks = copied = 0
    for page in pages:
        out = _keep_page(view, order, page, keep, removed, kept)
        if out is None:
            continue
        outs.append(out)
        blocks += len(out.blocks)
        copied += sum(length for _, length in out.blocks)
        if copied > len(view) or blocks > len(view) // 2:
            # Only pages sharing one block list get here; the output would outgrow the
            # input without bound.
            raise Refused("the TIFF is damaged: its image blocks overlap or repeat")
    if not outs:
        raise Refused("the TIFF holds only previews or thumbnails, no full picture to keep")
    pieces = _write(view, order, outs)
    return Cleaned(pieces, tuple(removed), tuple(sorted(kept)))


def _byte_order(view: memoryview) -> str:
    head = bytes(view[:4])
    if head in (b"II+\0", b"MM\0+"):
        raise Refused(
            "BigTIFF files (the variant for images over 4 GB) are not supported; "
            "convert it to a regular TIFF or use --reencode"
        )
    if head in (b"IIRO", b"IIRS", b"MMOR", b"IIU\0"):
        raise Refused(RAW_REASON)  # Olympus ORF, Panasonic RW2
    if len(view) < 8:
        raise Refused("the file is too short to be a TIFF")
    if head in LITTLE_ENDIAN_MAGIC:
        if bytes(view[8:10]) == b"CR":
            raise Refused(RAW_REASON)  # Canon CR2 marks itself after the header
        return "<"
    if head in BIG_ENDIAN_MAGIC:
        return ">"
    raise Refused("the file is not a TIFF")


def _read_dir(view: memoryview, order: str, at: int, name: str) -> tuple[_Page, int]:
    """One directory at ``at`` and the offset of the next (0: none)."""
    if at < 8 or at + 2 > len(view):
        raise Refused(f"the TIFF is damaged: {name} points past the end of the file")
    (n,) = struct.unpack_from(order + "H", view, at)
    if n > MAX_ENTRIES:
        raise Refused(f"the TIFF is damaged: {name} claims {n} tags")
    end = at + 2 + 12 * n
    if end + 4 > len(view):
        raise Refused(f"the TIFF is damaged: {name} is cut short")
    entries: dict[int, _Entry] = {}
    extra: list[_Entry] = []
    for i, (tag, typ, count, rel) in enumerate(
        struct.iter_unpack(order + "HHII", view[at + 2 : end])
    ):
        entry_at = at + 2 + 12 * i
        unit = TYPE_SIZES.get(typ)
        size = -1 if unit is None else unit * count
        value_at = entry_at + 8 if 0 <= size <= 4 else rel
        if size > 4 and rel + size > len(view):
            size = -1  # the value is past the end: unusable, as an unknown type is
        entry = _Entry(tag, typ, count, entry_at, value_at, size)
        if tag in entries:
            extra.append(entry)
        else:
            entries[tag] = entry
    (nxt,) = struct.unpack_from(order + "I", view, end)
    return _Page(0, at, end + 4 - at, entries, extra), nxt


def _read_chain(view: memoryview, order: str) -> list[_Page]:
    (at,) = struct.unpack_from(order + "I", view, 4)
    pages: list[_Page] = []
    seen: set[int] = set()
    while at:
        if at in seen:
            raise Refused("the TIFF is damaged: its pages point back to each other in a loop")
        if len(pages) >= MAX_PAGES:
            raise Refused(f"the TIFF has more than {MAX_PAGES} pages")
        seen.add(at)
        page, at = _read_dir(view, order, at, f"page {len(pages) + 1}")
        page.index = len(pages)
        pages.append(page)
    return pages


def _ints(view: memoryview, order: str, entry: _Entry | None, what: str) -> list[int]:
    """A SHORT or LONG array; any other type in a tag the layout depends on is damage."""
    if entry is None:
        return []
    if entry.type not in (3, 4, 13) or entry.size < 0:
        raise Refused(f"the TIFF is damaged: its {what} cannot be read")
    fmt = f"{order}{entry.count}{'H' if entry.type == 3 else 'I'}"
    return list(struct.unpack_from(fmt, view, entry.value_at))


def _first(view: memoryview, order: str, page: _Page, tag: int, default: int) -> int:
    """The first value of a SHORT or LONG tag, or ``default``."""
    entry = page.entries.get(tag)
    if entry is None or entry.type not in (3, 4, 13) or entry.size <= 0:
        return default
    (value,) = struct.unpack_from(order + ("H" if entry.type == 3 else "I"), view, entry.value_at)
    return int(value)


def _is_raw(view: memoryview, order: str, pages: list[_Page]) -> bool:
    """Raw sensor data in a page or in a sub-directory (NEF and ARW keep it there, behind
    a JPEG preview in IFD0); at most MAX_SUB_IFDS sub-directories are read."""
    candidates = list(pages)
    pointers: set[int] = set()
    for page in pages:
        entry = page.entries.get(SUB_IFDS)
        if entry is not None and entry.type in (4, 13) and entry.size > 0:
            count = min(entry.count, MAX_SUB_IFDS - len(pointers))
            pointers.update(struct.unpack_from(f"{order}{count}I", view, entry.value_at))
    for ptr in sorted(pointers):
        try:
            candidates.append(_read_dir(view, order, ptr, "SubIFD")[0])
        except Refused:
            continue  # an unreadable sub-directory is dropped with the SubIFDs tag
    return any(
        RAW_TAGS & p.entries.keys()
        or _first(view, order, p, PHOTOMETRIC, 0) in RAW_PHOTOMETRIC
        or _first(view, order, p, COMPRESSION, 1) in RAW_COMPRESSION
        for p in candidates
    )


def _keep_page(
    view: memoryview, order: str, page: _Page, keep: Keep, removed: list[Removal], kept: set[str]
) -> _Out | None:
    """The page's new directory, or None when the whole page goes (a preview)."""
    where = f"page {page.index + 1}"
    entries = page.entries
    reduced = _first(view, order, page, NEW_SUBFILE_TYPE, 0) & 1
    has_data = STRIP_OFFSETS in entries or TILE_OFFSETS in entries
    if reduced or _first(view, order, page, OLD_SUBFILE_TYPE, 1) == 2:
        removed.append(Removal("thumbnail", f"{where} (reduced-resolution)", page.at, page.size))
        return None
    if not has_data:
        if page.index == 0 and JPEG_INTERCHANGE not in entries:
            raise Refused("the TIFF's first page has no image data")
        kind: RemovalKind = "thumbnail" if JPEG_INTERCHANGE in entries else "other"
        removed.append(Removal(kind, f"{where} (no image strips)", page.at, page.size))
        return None
    if _first(view, order, page, COMPRESSION, 1) == 6:
        raise Refused(
            "the TIFF uses the obsolete 'old-style JPEG' compression, whose data can hide "
            "a whole JPEG with its own metadata; convert it first or use --reencode"
        )
    if WIDTH not in entries or HEIGHT not in entries:
        raise Refused(f"the TIFF is damaged: {where} has no width or height")
    offsets_tag, counts_tag = (
        (TILE_OFFSETS, TILE_COUNTS) if TILE_OFFSETS in entries else (STRIP_OFFSETS, STRIP_COUNTS)
    )
    offsets = _ints(view, order, entries.get(offsets_tag), f"{where} image offsets")
    counts = _ints(view, order, entries.get(counts_tag), f"{where} image byte counts")
    if len(offsets) != len(counts) or not offsets:
        raise Refused(
            f"the TIFF is damaged: {where} has {len(offsets)} image blocks "
            f"but {len(counts)} lengths"
        )
    for off, length in zip(offsets, counts, strict=True):
        if length and off + length > len(view):
            raise Refused(f"the TIFF is cut short: {where}'s image data runs past the end")
    other_layout = STRIP_LAYOUT if offsets_tag == TILE_OFFSETS else TILE_LAYOUT
    tags: list[_Entry] = []
    for tag, entry in sorted(entries.items()):
        wanted = (
            (tag in DECODER_TAGS and tag not in other_layout)
            or (tag == ORIENTATION and keep.orientation)
            or (tag == ICC_PROFILE and keep.icc)
        )
        if wanted and entry.size < 0:
            raise Refused(f"the TIFF is damaged: {where} tag 0x{tag:04X} cannot be read")
        if not wanted:
            removed.append(_removal(view, order, where, entry))
            continue
        if tag == ORIENTATION:
            kept.add("orientation")
        elif tag == ICC_PROFILE:
            kept.add("icc")
        tags.append(entry)
    removed.extend(_removal(view, order, where, e, "repeated ") for e in page.extra)
    return _Out(tags, list(zip(offsets, counts, strict=True)), offsets_tag)


def _removal(view: memoryview, order: str, where: str, entry: _Entry, prefix: str = "") -> Removal:
    tag = entry.tag
    kind, name = NAMED_TAGS.get(tag, ("exif" if 0x9000 <= tag <= 0xA4FF else "other", ""))
    name = prefix + (name or f"tag 0x{tag:04X}")
    at, length = (entry.value_at, entry.size) if entry.size > 4 else (entry.entry_at, 12)
    if tag in _POINTERS and entry.type in (4, 13) and entry.size == 4:
        (ptr,) = struct.unpack_from(order + "I", view, entry.value_at)
        if ptr >= 8 and ptr + 2 <= len(view):
            (n,) = struct.unpack_from(order + "H", view, ptr)
            at, length = ptr, min(2 + 12 * n + 4, len(view) - ptr)
    return Removal(kind, f"{where} {name}", at, length)


def _write(view: memoryview, order: str, outs: list[_Out]) -> tuple[Piece, ...]:
    """Header, then per page: directory, out-of-line values, image blocks."""
    magic = b"II*\0" if order == "<" else b"MM\0*"
    pieces: list[Piece] = [magic + struct.pack(order + "I", 8)]
    pos = 8
    for i, out in enumerate(outs):
        n = len(out.tags)
        dir_size = 2 + 12 * n + 4
        sizes = [_value_size(e, out) for e in out.tags]
        values_size = sum(_padded(size) for size in sizes if size > 4)
        data_at = pos + dir_size + values_size
        new_offsets: list[int] = []
        cursor = data_at
        for _, length in out.blocks:
            new_offsets.append(cursor)
            cursor += length
        end = cursor + (cursor & 1)
        if end >= 1 << 32:
            raise Refused("the cleaned TIFF would exceed 4 GB, the format's limit")
        directory = bytearray(struct.pack(order + "H", n))
        values: list[Piece] = []
        value_pos = pos + dir_size
        for entry, size in zip(out.tags, sizes, strict=True):
            if entry.tag == out.offsets_tag:
                typ, count = 4, len(new_offsets)
                data: Piece = struct.pack(f"{order}{count}I", *new_offsets)
            else:
                typ, count = entry.type, entry.count
                data = (entry.value_at, entry.value_at + entry.size)
            directory += struct.pack(order + "HHI", entry.tag, typ, count)
            if size <= 4:
                raw = data if isinstance(data, bytes) else bytes(view[data[0] : data[1]])
                directory += raw.ljust(4, b"\0")
            else:
                directory += struct.pack(order + "I", value_pos)
                values.append(data)
                if size & 1:
                    values.append(b"\0")
                value_pos += _padded(size)
        directory += struct.pack(order + "I", end if i + 1 < len(outs) else 0)
        pieces.append(bytes(directory))
        pieces.extend(values)
        for offset, length in out.blocks:
            if length:
                _append_range(pieces, offset, offset + length)
        if cursor & 1:
            pieces.append(b"\0")
        pos = end
    return tuple(pieces)


def _value_size(entry: _Entry, out: _Out) -> int:
    return 4 * len(out.blocks) if entry.tag == out.offsets_tag else entry.size


def _padded(size: int) -> int:
    return size + (size & 1)


def _append_range(pieces: list[Piece], start: int, end: int) -> None:
    """Join a block to the previous one when they were adjacent in the original."""
    last = pieces[-1]
    if isinstance(last, tuple) and last[1] == start:
        pieces[-1] = (last[0], end)
    else:
        pieces.append((start, end))
