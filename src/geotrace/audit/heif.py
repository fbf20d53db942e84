"""Lossless metadata cleaner for HEIF stills and sequences: HEIC, HEIF, AVIF.

A HEIF file is a table of items (``meta``: ``iinf`` names them, ``iloc`` says where their
bytes are) and the bytes themselves (mostly in ``mdat``).  Metadata items are Exif (GPS,
times, serials, maker notes), ``mime`` items (XMP, or anything else a writer stored) and
``uri ``/``jumb`` items (C2PA manifests); thumbnails are small image items tied to the
picture by a ``thmb`` reference, often with their own Exif.  Each is neutralised in place
(``isobmff`` says why nothing is moved): its payload zeroed through ``iloc`` (``mdat`` or
``idat``), its ``infe`` item type changed to ``free`` (a type no reader acts on: libheif
and exiftool skip it) and the references from it renamed ``free``, so no reader finds
even an empty Exif.  Image items, grids, alpha/depth/gain-map images and their properties
are structure and stay; so do ``irot``/``imir``: in HEIF the orientation is a property of
the picture that the decoder applies, not a tag, so it is always kept.

The ICC profile (``colr`` of type ``prof``/``rICC``) is removed unless the user keeps it:
it is a vendor's profile with the vendor and a date in it, and removing it changes no
decoded pixel, but a Display P3 picture then shows as sRGB (less saturated), so the
result says so.  ``colr`` of type ``nclx`` (how YUV becomes RGB) is structure and stays.

pillow-heif cannot do this: saving re-encodes the picture and copies the Exif and XMP
into the new file by default; exiftool (Perl, GPL/Artistic) rewrites the whole file.
Canon CR3 is refused (the raw decoder needs the boxes where Canon keeps the serial, owner
and dates) and JPEG XL is not a HEIF file (it has its own cleaner).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Refused, Removal, RemovalKind
from geotrace.audit.isobmff import (
    PADDING,
    Edits,
    clean_top,
    first,
    fourcc,
    full_box,
    hdlr_name,
    inside,
    overlaps,
    walk,
)
from geotrace.audit.movie import clean_moov
from geotrace.evidence.bmff import Box

HEIF_MIMES = frozenset(
    ("image/heic", "image/heif", "image/avif", "image/heic-sequence", "image/heif-sequence")
)
#: ``meta`` children a decoder reads; anything else in ``meta`` is neutralised.
META_KEEP = frozenset(
    (b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"iprp", b"idat", b"dinf", b"grpl", b"ipro")
)
NEUTRAL = b"free"
ORIENTATION_KEPT = "orientation (irot/imir: in HEIF the decoder turns the picture itself)"
ICC_NOTE = (
    "The ICC colour profile was removed: pixels are unchanged, but a wide-gamut (Display "
    "P3) picture may now look less saturated. Keep it with --keep icc; it names the "
    "profile's maker and a date, not the camera."
)
ICC_KEPT = "ICC colour profile (asked for)"
CR3_REFUSAL = (
    "Canon CR3 raw files keep the camera serial, owner name, capture times and hundreds "
    "of maker-note tags in boxes the raw decoder needs; they cannot be cleaned losslessly"
)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    type: bytes
    type_at: int  # offset of the 4-byte item type in its infe (-1: version 0/1 infe)
    infe: Box
    content_type: bytes


def clean_heif(buf: Buffer, keep: Keep) -> Cleaned:
    """The HEIF file with its metadata neutralised in place, or Refused."""
    try:
        _check_brands(buf)
        edits = Edits(buf)
        boxes = clean_top(buf, edits, frozenset((b"meta", b"moov")))
        mdats = [b for b in boxes if b.type == b"mdat"]
        metas = [b for b in boxes if b.type == b"meta"]
        moovs = [b for b in boxes if b.type == b"moov"]
        if not metas and not moovs:
            raise Refused("the file has no HEIF item table ('meta'), so it holds no picture")
        for meta in metas:
            if meta.truncated:
                raise Refused("the file is cut off inside its item table ('meta'); not cleaned")
            _meta(buf, meta, mdats, keep, edits)
        for moov in moovs:
            clean_moov(buf, moov, mdats, edits)
        edits.kept.append(ORIENTATION_KEPT)
        return Cleaned(edits.pieces(), tuple(edits.removed), tuple(edits.kept), tuple(edits.notes))
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        raise Refused(f"the HEIF structure is damaged ({exc}); not cleaned") from exc


def _check_brands(buf: Buffer) -> None:
    head = bytes(buf[:64])
    if head[4:8] == b"JXL ":
        raise Refused("JPEG XL is not a HEIF file; it is cleaned by the JPEG XL cleaner")
    if head[4:8] != b"ftyp" or len(head) < 16:
        raise Refused("the file does not start with a HEIF file-type box")
    (size,) = struct.unpack_from(">I", head, 0)
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    if b"crx " in brands:
        raise Refused(CR3_REFUSAL)
    if b"jxl " in brands:
        raise Refused("JPEG XL is not a HEIF file; it is cleaned by the JPEG XL cleaner")


def _meta(buf: Buffer, meta: Box, mdats: list[Box], keep: Keep, edits: Edits) -> None:
    full_box(buf, meta)
    kids = walk(buf, meta.body + 4, meta.end, "meta")
    for box in kids:
        if box.type in PADDING:
            edits.padding(box, "meta")
        elif box.type == b"hdlr":
            hdlr_name(buf, box, edits, "meta")
        elif box.type not in META_KEEP:
            kind: RemovalKind = "xmp" if box.type in (b"xml ", b"bxml") else "other"
            edits.neutralise(box, kind, f"meta/{fourcc(box.type)}")
    iinf, iloc, iref = first(kids, b"iinf"), first(kids, b"iloc"), first(kids, b"iref")
    items = _items(buf, iinf) if iinf else {}
    refs = _refs(buf, iref) if iref else []
    primary = _primary(buf, first(kids, b"pitm"))
    gone = _metadata_items(items, refs, primary)
    idat = first(kids, b"idat")
    places = _locations(buf, iloc, idat) if iloc else {}
    kept = [s for i, spans in places.items() if i not in gone for s in spans if s is not None]
    for item_id, kind in gone.items():
        item = items[item_id]
        spans = places.get(item_id, [])
        if None in spans:
            raise Refused(f"item {item_id} is built from other items; not cleaned")
        located = [s for s in spans if s is not None]
        if overlaps(located, kept):
            raise Refused(f"item {item_id} shares bytes with the picture; not cleaned")
        if not inside(located, [*mdats, *([idat] if idat else [])]):
            raise Refused(f"item {item_id} points outside the media data; not cleaned")
        where = f"item {item_id} {fourcc(item.type) if item.type else 'entry'}"
        if item.type_at >= 0:
            edits.patches.append((item.type_at, NEUTRAL))
        else:  # version 0/1 entry: no type, only a name and a content type; zero both
            edits.zeros.append((item.infe.body + 8, item.infe.end))
        edits.zeros.extend(located)
        offset = min((a for a, _ in located), default=item.infe.start)
        length = sum(b - a for a, b in located) or item.infe.end - item.infe.start
        edits.removed.append(Removal(kind, where, offset, length))
    for ref in refs:
        if ref.from_id in gone:
            edits.patches.append((ref.box.start + 4, NEUTRAL))
    _properties(buf, first(kids, b"iprp"), keep, edits)
    if any(r.type == b"auxl" for r in refs):
        edits.kept.append("auxiliary images (alpha, depth, HDR gain map): part of the picture")


@dataclass(frozen=True, slots=True)
class Ref:
    box: Box
    type: bytes
    from_id: int
    to_ids: tuple[int, ...]


def _items(buf: Buffer, iinf: Box) -> dict[int, Item]:
    version = full_box(buf, iinf, 2)
    start = iinf.body + 4 + (2 if version == 0 else 4)
    out: dict[int, Item] = {}
    for infe in walk(buf, start, iinf.end, "iinf"):
        if infe.type != b"infe":
            continue
        v = full_box(buf, infe, 4)
        p = infe.body + 4
        if v >= 2:
            wide = v >= 3
            if p + (4 if wide else 2) + 6 > infe.end:
                raise Refused(f"an item entry at byte {infe.start} is too short")
            item_id = int.from_bytes(buf[p : p + (4 if wide else 2)], "big")
            at = p + (4 if wide else 2) + 2
            typ = bytes(buf[at : at + 4])
            strings = bytes(buf[at + 4 : infe.end]).split(b"\0")
            content = strings[1].strip() if typ == b"mime" and len(strings) > 1 else b""
            out[item_id] = Item(item_id, typ, at, infe, content)
        else:  # version 0/1: ID, protection index, name, content type
            item_id = int.from_bytes(buf[p : p + 2], "big")
            strings = bytes(buf[p + 4 : infe.end]).split(b"\0")
            content = strings[1].strip() if len(strings) > 1 else b""
            out[item_id] = Item(item_id, b"mime" if content else b"", -1, infe, content)
    return out


def _refs(buf: Buffer, iref: Box) -> list[Ref]:
    version = full_box(buf, iref)
    width = 2 if version == 0 else 4
    out = []
    for box in walk(buf, iref.body + 4, iref.end, "iref"):
        p = box.body
        if p + width + 2 > box.end:
            raise Refused(f"an item reference at byte {box.start} is too short")
        from_id = int.from_bytes(buf[p : p + width], "big")
        (count,) = struct.unpack_from(">H", buf, p + width)
        p += width + 2
        if p + count * width > box.end:
            raise Refused(f"an item reference at byte {box.start} runs past its box")
        to = tuple(
            int.from_bytes(buf[q : q + width], "big") for q in range(p, p + count * width, width)
        )
        out.append(Ref(box, box.type, from_id, to))
    return out


def _primary(buf: Buffer, pitm: Box | None) -> int | None:
    if pitm is None:
        return None
    version = full_box(buf, pitm, 2)
    width = 2 if version == 0 else 4
    if pitm.body + 4 + width > pitm.end:
        return None
    return int.from_bytes(buf[pitm.body + 4 : pitm.body + 4 + width], "big")


def _metadata_items(
    items: dict[int, Item], refs: list[Ref], primary: int | None
) -> dict[int, RemovalKind]:
    """Items to neutralise, with their kind: metadata by type, thumbnails by reference
    (and the tiles of a thumbnail grid that nothing else uses)."""
    gone: dict[int, RemovalKind] = {}
    for item in items.values():
        if item.type == b"Exif":
            gone[item.id] = "exif"
        elif item.type == b"mime":
            xmp = item.content_type.startswith(b"application/rdf+xml")
            gone[item.id] = "xmp" if xmp else "other"
        elif item.type in (b"uri ", b"jumb", b"xml "):
            gone[item.id] = "other"
    thumbs = {r.from_id for r in refs if r.type == b"thmb"} - {primary}
    derived: dict[int, set[int]] = {}
    for r in refs:
        if r.type == b"dimg":
            derived.setdefault(r.from_id, set()).update(r.to_ids)
    needed = set(derived.get(primary, set())) if primary is not None else set()
    for item_id in thumbs & set(items):
        gone[item_id] = "thumbnail"
        for tile in derived.get(item_id, set()) - needed - {primary}:
            if tile in items:
                gone[tile] = "thumbnail"
    return gone


def _locations(buf: Buffer, iloc: Box, idat: Box | None) -> dict[int, list[tuple[int, int] | None]]:
    """Every item's extents as absolute ``[start, end)`` (clipped to the file); None for
    an extent built from other items (construction method 2), which has no bytes of its
    own to zero.  Extents in another file (a data reference) have no bytes here at all."""
    version = full_box(buf, iloc, 4)
    p = iloc.body + 4
    (sizes,) = struct.unpack_from(">H", buf, p)
    off_size, len_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    idx_size = sizes & 15 if version in (1, 2) else 0
    p += 2
    count_width = 2 if version < 2 else 4
    count = int.from_bytes(buf[p : p + count_width], "big")
    p += count_width
    n = len(buf)
    out: dict[int, list[tuple[int, int] | None]] = {}

    def read(width: int) -> int:
        nonlocal p
        if width == 0:
            return 0
        if width not in (2, 4, 8) or p + width > iloc.end:
            raise Refused("the HEIF item location table is malformed; not cleaned")
        value = int.from_bytes(buf[p : p + width], "big")
        p += width
        return value

    for _ in range(count):
        item_id = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        external = read(2) != 0
        base = read(base_size)
        spans: list[tuple[int, int] | None] = out.setdefault(item_id, [])
        for _ in range(read(2)):
            read(idx_size)
            off, length = read(off_size), read(len_size)
            if external:
                continue
            if method == 2:
                spans.append(None)
                continue
            if method == 1:
                if idat is None:
                    raise Refused(f"item {item_id} lies in a missing 'idat' box; not cleaned")
                origin, limit = idat.body, idat.end
            else:
                origin, limit = 0, n
            start = origin + base + off
            end = limit if length == 0 else min(start + length, limit)
            if start < end:
                spans.append((start, end))
    return out


def _properties(buf: Buffer, iprp: Box | None, keep: Keep, edits: Edits) -> None:
    """Remove ICC profiles unless kept.

    iPhones mark ``colr`` essential ("a reader that does not know it must not show the
    item"); a ``free`` property still marked essential would stop every decoder, so the
    essential bit of each association with a removed profile is cleared as well.
    """
    if iprp is None:
        return
    kids = walk(buf, iprp.body, iprp.end, "iprp")
    ipco = first(kids, b"ipco")
    if ipco is None:
        return
    props = walk(buf, ipco.body, ipco.end, "ipco")
    essential = _essential(buf, first(kids, b"ipma"))
    for index, prop in enumerate(props, start=1):
        if prop.type in PADDING:
            edits.padding(prop, "ipco")
        if prop.type != b"colr" or bytes(buf[prop.body : prop.body + 4]) not in (b"prof", b"rICC"):
            continue
        if keep.icc:
            if ICC_KEPT not in edits.kept:
                edits.kept.append(ICC_KEPT)
            continue
        edits.neutralise(prop, "icc", f"ipco property {index} colr ICC profile")
        for at in essential.get(index, []):
            edits.patches.append((at, bytes((buf[at] & 0x7F,))))
        if ICC_NOTE not in edits.notes:
            edits.notes.append(ICC_NOTE)


def _essential(buf: Buffer, ipma: Box | None) -> dict[int, list[int]]:
    """Per property index, the offsets of the associations that mark it essential (the
    flag is the top bit of the association's first byte)."""
    if ipma is None:
        return {}
    version = full_box(buf, ipma, 4)
    flags = int.from_bytes(buf[ipma.body + 1 : ipma.body + 4], "big")
    width, bits = (2, 15) if flags & 1 else (1, 7)
    p = ipma.body + 4
    (count,) = struct.unpack_from(">I", buf, p)
    p += 4
    out: dict[int, list[int]] = {}
    for _ in range(count):
        p += 2 if version < 1 else 4
        if p + 1 > ipma.end:
            raise Refused("the HEIF property table is cut short; not cleaned")
        n = buf[p]
        p += 1
        if p + n * width > ipma.end:
            raise Refused("the HEIF property table is cut short; not cleaned")
        for q in range(p, p + n * width, width):
            value = int.from_bytes(buf[q : q + width], "big")
            if value >> bits:
                out.setdefault(value & ((1 << bits) - 1), []).append(q)
        p += n * width
    return out
