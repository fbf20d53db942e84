"""Remove a PNG's metadata chunks and keep, byte for byte, every chunk a renderer reads.

Why our own walker: Pillow rewrites a PNG by decoding and compressing it again (the
pixels survive, the IDAT bytes and any chunk it does not know do not), exiftool is a Perl
program under the Artistic/GPL licence, and no maintained permissive Python library
copies chunks without inflating them.  A PNG is a flat list of CRC-guarded chunks, so the
cleaned file is the original's kept chunks copied whole, their CRCs included even when
wrong (a decoder then sees exactly what it saw before).
"""

from __future__ import annotations

import struct
import zlib

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Piece, Refused, Removal, RemovalKind
from geotrace.audit.exifmin import (
    exif_orientation,
    exif_removals,
    is_minimal,
    minimal_exif,
    turned_note,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNKS = 1 << 20  # an animated PNG has one fdAT per frame and strip: generous
#: Ancillary chunks that change what is shown: transparency, colour, gamma, size, animation.
RENDERED = frozenset(
    (
        *(b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"hIST"),
        *(b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT"),
    )
)
TEXT = frozenset((b"tEXt", b"zTXt", b"iTXt"))
#: Text keywords that hold a metadata block rather than a comment (ImageMagick's raw
#: profiles, XMP's own keyword); every other keyword is a comment.
TEXT_KINDS: dict[bytes, RemovalKind] = {
    b"XML:com.adobe.xmp": "xmp",
    b"Raw profile type exif": "exif",
    b"Raw profile type APP1": "exif",
    b"Raw profile type xmp": "xmp",
    b"Raw profile type iptc": "iptc",
    b"Raw profile type 8bim": "iptc",
    b"Raw profile type icc": "icc",
    b"Raw profile type icm": "icc",
}


def clean_png(buf: Buffer, keep: Keep) -> Cleaned:
    """The PNG without its metadata chunks; raises :class:`Refused` when its chunk
    structure is damaged before the end of the image."""
    size = len(buf)
    if size < 8 or bytes(buf[:8]) != SIGNATURE:
        raise Refused("This is not a PNG file (its signature is missing).")
    pieces: list[Piece] = [(0, 8)]
    removed: list[Removal] = []
    kept: list[str] = []
    notes: list[str] = []
    orientation: int | None = None
    has_minimal = False
    idat_at: int | None = None  # index in pieces of the first IDAT
    pos = 8
    for n in range(MAX_CHUNKS):
        if pos + 12 > size:
            if pos < size or n == 0:
                _damaged(n, pos, size, pieces, notes)
            notes.append("The PNG has no IEND chunk: it may be cut short.")
            break
        length, ctype = struct.unpack_from(">I4s", buf, pos)
        if not ctype.isalpha() or (n == 0 and ctype != b"IHDR"):
            raise Refused(f"The PNG's chunk structure is damaged at byte {pos}.")
        end = pos + 12 + length
        where = f"{ctype.decode()} chunk"
        if end > size:
            if ctype[0] & 0x20 and ctype not in RENDERED:
                removed.append(Removal("other", f"cut-off {where}", pos, size - pos))
                notes.append("The PNG is cut short inside a metadata chunk; dropped.")
            else:
                _damaged(n, pos, size, pieces, notes)
            break
        if ctype == b"IDAT" and idat_at is None:
            idat_at = len(pieces)
        if not ctype[0] & 0x20 or ctype in RENDERED:
            pieces.append((pos, end))
        elif ctype == b"iCCP" and keep.icc:
            pieces.append((pos, end))
            kept.append("ICC profile")
        elif ctype == b"eXIf":
            orientation = orientation or exif_orientation(_tiff(buf, pos, end))
            if keep.orientation and not has_minimal and is_minimal(_tiff(buf, pos, end)):
                has_minimal = True
                pieces.append((pos, end))
            else:
                removed.extend(exif_removals(_tiff(buf, pos, end), 0, where, pos, end - pos))
        else:
            removed.append(Removal(_kind(buf, ctype, pos, end), where, pos, end - pos))
        pos = end
        if ctype == b"IEND":
            if pos < size:
                removed.append(Removal("trailer", "after IEND", pos, size - pos))
            break
    else:
        raise Refused(f"The PNG has more than {MAX_CHUNKS} chunks; it was not cleaned.")
    if idat_at is None:
        raise Refused("The PNG holds no image data (no IDAT chunk).")
    if keep.orientation and orientation is not None:
        kept.append(f"Orientation {orientation}")
        if not has_minimal:
            pieces.insert(
                idat_at,
                chunk(b"eXIf", minimal_exif(orientation)),
            )
    elif not keep.orientation:
        notes.extend(turned_note(orientation))
    return Cleaned(tuple(pieces), tuple(removed), tuple(kept), tuple(notes))


def chunk(ctype: bytes, body: bytes) -> bytes:
    """One PNG chunk with its CRC (over type and body)."""
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def _tiff(buf: Buffer, pos: int, end: int) -> bytes:
    """An eXIf body: a bare TIFF, or (some writers) one behind "Exif\\0\\0"."""
    body = bytes(buf[pos + 8 : end - 4])
    return body[6:] if body.startswith(b"Exif\0\0") else body


def _kind(buf: Buffer, ctype: bytes, pos: int, end: int) -> RemovalKind:
    if ctype == b"tIME":
        return "time"
    if ctype == b"iCCP":
        return "icc"
    if ctype in TEXT:
        keyword = bytes(buf[pos + 8 : min(end - 4, pos + 8 + 80)]).partition(b"\0")[0]
        return TEXT_KINDS.get(keyword, "comment")
    return "other"


def _damaged(n: int, pos: int, size: int, pieces: list[Piece], notes: list[str]) -> None:
    """The file ends inside a chunk the renderer needs: before the header it is no PNG;
    after it, a cut-off image that is kept as it is (the decoder sees the same bytes)."""
    if n == 0:
        raise Refused("The PNG ends before its header chunk.")
    pieces.append((pos, size))
    notes.append("The PNG is cut short inside its image data; kept as it is.")
