"""Remove every metadata segment of a JPEG and keep, byte for byte, what its decoder reads.

Why our own walker: Pillow can only re-encode (a second lossy generation), exiftool is a
Perl program under the Artistic/GPL licence that refuses damaged JPEGs and MPF gain-map
files (``research/audit.md``), and no maintained permissive Python library drops JPEG
segments without decoding.  A JPEG is a flat list of segments, so keeping the ones a
decoder needs (tables, frame and scan headers, entropy-coded data) and copying them as
ranges of the original is short and cannot change a pixel.

Junk between segments is skipped the way libjpeg's ``next_marker`` skips it (to the next
0xFF followed by a byte that is neither 0x00 nor 0xFF), so the decoder sees the same
segments after cleaning as before.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Piece, Refused, Removal, RemovalKind
from geotrace.audit.exifmin import (
    exif_orientation,
    exif_removals,
    is_minimal,
    minimal_exif,
    turned_note,
)

MAX_SEGMENTS = 1 << 16
EXIF = b"Exif\0"
XMP = (b"http://ns.adobe.com/xap/1.0/\0", b"http://ns.adobe.com/xmp/extension/\0")
#: Segments a decoder reads: DHT, DAC, DQT, DNL, DRI, DHP, EXP and the frame headers.
TABLES = frozenset((0xC4, 0xCC, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF))
FRAMES = frozenset((*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)))
#: JPEG extensions (JPEG-LS SOF55 and LSE among them): read by the decoders that know them.
EXTENSIONS = frozenset(range(0xF0, 0xFE))
#: The end of entropy-coded data: 0xFF then anything but stuffing, a fill byte or RSTn.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
#: The next marker after junk, as libjpeg finds it.
_MARKER = re.compile(rb"\xff+[^\x00\xff]")
_JFIF_HEADER = 18  # marker, length, "JFIF\0", version, units, densities, thumbnail size


@dataclass(slots=True)
class _Walk:
    """What the walk gathers: pieces, removals, and where an orientation block would go."""

    buf: Buffer
    keep: Keep
    pieces: list[Piece] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    orientation: int | None = None
    damaged: bool = False
    has_minimal: bool = False
    insert_at: int = 1  # index into pieces: after SOI, or after a leading JFIF

    def drop(self, kind: RemovalKind, where: str, start: int, end: int) -> None:
        self.removed.append(Removal(kind, where, start, end - start))


def clean_jpeg(buf: Buffer, keep: Keep) -> Cleaned:
    """The JPEG without its metadata; raises :class:`Refused` when its structure before
    the image data cannot be read (the file is then not one a decoder would show)."""
    size = len(buf)
    if size < 4 or bytes(buf[:3]) != b"\xff\xd8\xff":
        raise Refused("This is not a JPEG file (it does not start with a JPEG marker).")
    w = _Walk(buf, keep, pieces=[(0, 2)])
    _walk(w, size)
    if keep.orientation and w.orientation is not None and not w.has_minimal:
        payload = EXIF + b"\0" + minimal_exif(w.orientation)
        w.pieces.insert(w.insert_at, b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    if keep.orientation and w.orientation is not None:
        w.kept.append(f"Orientation {w.orientation}")
    elif keep.orientation:
        w.notes.append("The file had no orientation tag; none was written.")
    else:
        w.notes.extend(turned_note(w.orientation))
    return Cleaned(_merge(w.pieces), tuple(w.removed), tuple(w.kept), tuple(w.notes))


def _walk(w: _Walk, size: int) -> None:
    """Segments from SOI to EOI; entropy-coded data is stepped over with a regex search
    (in C), so a 20 MB photo costs one pass, not a Python loop per byte."""
    buf = w.buf
    pos = 2
    in_image = False  # a scan was seen: damage from here on is a cut-off image, not junk
    frame = False
    for _ in range(MAX_SEGMENTS):
        if pos >= size:
            if not in_image:
                raise Refused("The JPEG ends before its image data begins.")
            w.notes.append("The image has no end marker; its bytes are copied as they are.")
            return
        if buf[pos] != 0xFF or pos + 1 >= size or buf[pos + 1] in (0x00, 0xFF):
            m = _MARKER.search(buf, pos)
            if m is None:
                if not in_image:
                    raise Refused("The JPEG's structure is damaged before its image data.")
                w.drop("trailer", "bytes after the image", pos, size)
                return
            nxt = m.end() - 2
            if bytes(buf[pos:nxt]).strip(b"\xff"):  # fill bytes alone hold nothing
                w.drop("other", "bytes between segments", pos, nxt)
            pos = nxt
            continue
        marker = buf[pos + 1]
        if marker == 0xD9:
            w.pieces.append((pos, pos + 2))
            if not in_image:
                raise Refused("The JPEG holds no image: it ends before any image data.")
            _trailer(w, pos + 2, size)
            return
        if _damage(marker):
            if not in_image:
                raise Refused(f"The JPEG has an unexpected marker 0x{marker:02X} at byte {pos}.")
            # Damaged image data: a decoder reads on past it, and so, byte for byte, do we
            # (dropping the rest as a trailer left a photo that no longer decoded).
            nxt = pos
            while nxt < size and _damage(buf[nxt + 1]):  # one piece, however many bad markers
                m = _SCAN_END.search(buf, nxt + 2)
                nxt = size if m is None else m.start()
            w.pieces.append((pos, nxt))
            if not w.damaged:
                w.damaged = True
                w.notes.append("The image data holds a damaged stretch; it is copied as it is.")
            pos = nxt
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 1:  # standalone: no length
            w.pieces.append((pos, pos + 2))
            pos += 2
            continue
        # A length cut off counts as a segment past the end.
        end = size + 1 if pos + 4 > size else pos + 2 + struct.unpack_from(">H", buf, pos + 2)[0]
        if end > size or end < pos + 4:
            if not in_image:
                what = "runs past the end of the file" if end > size else "is impossible"
                raise Refused(
                    f"The JPEG is damaged: the length of segment 0x{marker:02X} at byte "
                    f"{pos} {what}."
                )
            _cut(w, marker, pos, size)
            return
        if marker == 0xDA:
            if not frame:
                raise Refused("The JPEG has image data but no frame header before it.")
            in_image = True
            pos = _scan(w, pos, end, size)
            continue
        frame = frame or marker in FRAMES
        if marker in TABLES or marker in FRAMES or marker in EXTENSIONS:
            w.pieces.append((pos, end))
        elif marker == 0xFE:
            w.drop("comment", "COM", pos, end)
        else:
            _app(w, marker, pos, end)
        pos = end
    raise Refused(f"The JPEG has more than {MAX_SEGMENTS} segments; it was not cleaned.")


def _damage(marker: int) -> bool:
    """A marker no JPEG holds there (reserved, or a second SOI): damage, not structure."""
    return marker == 0xD8 or 0x02 <= marker < 0xC0


def _scan(w: _Walk, pos: int, header_end: int, size: int) -> int:
    """Keep the scan header and its entropy-coded data; returns where the next marker is."""
    m = _SCAN_END.search(w.buf, header_end)
    end = size if m is None else m.start()
    w.pieces.append((pos, end))
    return end


def _cut(w: _Walk, marker: int, pos: int, size: int) -> None:
    """A segment after the first scan runs past the end: the file was cut short there."""
    if 0xE0 <= marker <= 0xEF or marker == 0xFE:
        w.drop("other", f"cut-off segment 0x{marker:02X}", pos, size)
    else:
        w.pieces.append((pos, size))
    w.notes.append("The file is cut short after its image data began; kept as it is.")


def _trailer(w: _Walk, pos: int, size: int) -> None:
    """Whatever follows the image: another JPEG (MPF preview, gain map) or anything else
    (a motion photo's video, a vendor's block)."""
    if pos < size:
        kind: RemovalKind = "preview" if bytes(w.buf[pos : pos + 2]) == b"\xff\xd8" else "trailer"
        w.drop(kind, "after the end of the image", pos, size)


def _app(w: _Walk, marker: int, pos: int, end: int) -> None:
    """One APPn segment: kept when a decoder reads it, otherwise removed by its kind."""
    payload = bytes(w.buf[pos + 4 : min(end, pos + 4 + 40)])
    name = f"APP{marker - 0xE0}"
    if marker == 0xE0 and payload.startswith(b"JFIF\0"):
        _jfif(w, pos, end)
    elif marker == 0xE0 and payload.startswith(b"JFXX\0"):
        w.drop("thumbnail", f"{name} JFXX thumbnail", pos, end)
    elif marker == 0xE1 and payload.startswith(EXIF):
        _exif(w, pos, end)
    elif marker == 0xE1 and payload.startswith(XMP):
        w.drop("xmp", f"{name} XMP", pos, end)
    elif marker == 0xE2 and payload.startswith(b"ICC_PROFILE\0"):
        if w.keep.icc:
            w.pieces.append((pos, end))
            if "ICC profile" not in w.kept:
                w.kept.append("ICC profile")
        else:
            w.drop("icc", f"{name} ICC profile", pos, end)
    elif marker == 0xE2 and payload.startswith(b"MPF\0"):
        w.drop("preview", f"{name} MPF (index of further images)", pos, end)
    elif marker == 0xED and payload.startswith(b"Photoshop 3.0\0"):
        w.drop("iptc", f"{name} Photoshop/IPTC", pos, end)
    elif marker == 0xEE and payload.startswith(b"Adobe"):
        w.pieces.append((pos, end))  # its transform flag says whether the data is YCbCr
        w.kept.append("APP14 Adobe (colour transform)")
    else:
        label = payload[:12].split(b"\0")[0].decode("ascii", "replace").strip()
        w.drop("other", f"{name} {label}".rstrip(), pos, end)


def _jfif(w: _Walk, pos: int, end: int) -> None:
    """JFIF's density is what some viewers size the picture by; its thumbnail is not."""
    leading = len(w.pieces) == 1
    if end - pos <= _JFIF_HEADER:
        w.pieces.append((pos, end))
    else:
        thumb = bytes(w.buf[pos + 16 : pos + 18])
        kind: RemovalKind = "thumbnail" if thumb[0] * thumb[1] else "other"
        w.pieces.append(b"\xff\xe0\x00\x10" + bytes(w.buf[pos + 4 : pos + 16]) + b"\0\0")
        w.drop(kind, "APP0 JFIF thumbnail", pos + _JFIF_HEADER, end)
    w.kept.append("APP0 JFIF")
    if leading:
        w.insert_at = 2


def _exif(w: _Walk, pos: int, end: int) -> None:
    block = w.buf[pos + 4 : end]
    if w.orientation is None:
        w.orientation = exif_orientation(block, 6)
    if w.keep.orientation and not w.has_minimal and is_minimal(block, 6):
        w.has_minimal = True
        w.pieces.append((pos, end))
        return
    w.removed.extend(exif_removals(block, 6, "APP1 Exif", pos, end - pos))


def _merge(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Adjacent ranges joined: a photo's dozens of kept segments become a few copies."""
    out: list[Piece] = []
    for p in pieces:
        last = out[-1] if out else None
        if isinstance(p, tuple) and isinstance(last, tuple) and last[1] == p[0]:
            out[-1] = (last[0], p[1])
        else:
            out.append(p)
    return tuple(out)
