"""Remove a WebP's metadata chunks, keep its image chunks byte for byte, and fix the
header flags that announce what remains.

Why our own walker: Pillow re-encodes a WebP to save it (lossy WebP loses a generation),
exiftool is a Perl program under the Artistic/GPL licence and Debian 12's 12.57 cannot
write RIFF files at all (``research/audit.md``), and no maintained permissive Python
library drops RIFF chunks.  A WebP is a RIFF list of chunks, so the cleaned file is the
kept chunks copied whole behind a new RIFF header, with the VP8X flags rewritten: a
decoder that trusts a flag whose chunk is gone may reject the file.
"""

from __future__ import annotations

import struct

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Piece, Refused, Removal, RemovalKind
from geotrace.audit.exifmin import (
    exif_orientation,
    exif_removals,
    is_minimal,
    minimal_exif,
    turned_note,
)

MAX_CHUNKS = 1 << 16
#: Chunks that make up the picture: simple lossy/lossless, extended header, alpha, animation.
IMAGE = frozenset((b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"))
FRAME_DATA = frozenset((b"ALPH", b"VP8 ", b"VP8L"))
IMAGE_DATA = (b"VP8 ", b"VP8L", b"ANMF")
REMOVED: dict[bytes, RemovalKind] = {b"EXIF": "exif", b"XMP ": "xmp", b"ICCP": "icc"}
ICC_FLAG, EXIF_FLAG, XMP_FLAG = 0x20, 0x08, 0x04


def clean_webp(buf: Buffer, keep: Keep) -> Cleaned:
    """The WebP without EXIF, XMP, ICC (unless kept) and unknown chunks; raises
    :class:`Refused` when its image chunks are cut short or it is no WebP."""
    size = len(buf)
    if size < 12 or bytes(buf[:4]) != b"RIFF" or bytes(buf[8:12]) != b"WEBP":
        raise Refused("This is not a WebP file (its RIFF header is missing).")
    riff_end = min(size, 8 + struct.unpack_from("<I", buf, 4)[0])
    body: list[Piece] = []
    removed: list[Removal] = []
    kept: list[str] = []
    notes: list[str] = []
    vp8x: tuple[int, int, int] | None = None  # index in body, start, end: rewritten last
    orientation: int | None = None
    exif_kept = icc_kept = False
    seen: set[bytes] = set()
    pos = 12
    for _ in range(MAX_CHUNKS):
        if pos + 8 > riff_end:
            break
        ctype, length = struct.unpack_from("<4sI", buf, pos)
        end = pos + 8 + length
        where = f"{ctype.decode('latin-1')!r} chunk"
        if end > riff_end:
            if ctype in IMAGE:
                raise Refused("The WebP is cut short inside its image data; it was not cleaned.")
            removed.append(
                Removal(REMOVED.get(ctype, "other"), f"cut-off {where}", pos, size - pos)
            )
            pos = riff_end
            break
        seen.add(ctype)
        if ctype == b"VP8X" and vp8x is None and length >= 10:
            vp8x = (len(body), pos, end)
        if ctype == b"ANMF":
            body.extend(_frame(buf, pos, end, removed))
        elif ctype in IMAGE or (ctype == b"ICCP" and keep.icc):
            body.extend(_padded(pos, end))
            if ctype == b"ICCP":
                icc_kept = True
                kept.append("ICC profile")
        elif ctype == b"EXIF":
            tiff = _tiff(buf, pos + 8, end)
            orientation = orientation or exif_orientation(tiff)
            if keep.orientation and not exif_kept and is_minimal(tiff):
                exif_kept = True
                body.extend(_padded(pos, end))
            else:
                removed.extend(exif_removals(tiff, 0, where, pos, end - pos))
        else:
            removed.append(Removal(REMOVED.get(ctype, "other"), where, pos, end - pos))
        pos = end + (length & 1)
    else:
        raise Refused(f"The WebP has more than {MAX_CHUNKS} chunks; it was not cleaned.")
    if not any(t in IMAGE_DATA for t in seen):
        raise Refused("The WebP holds no image data (no VP8, VP8L or animation frame).")
    if pos < riff_end:
        removed.append(Removal("other", "bytes after the last chunk", pos, riff_end - pos))
    if riff_end < size:
        removed.append(Removal("trailer", "after the RIFF data", riff_end, size - riff_end))
    if keep.orientation and orientation is not None:
        if vp8x is None:
            notes.append(
                "A simple WebP (no extended header) cannot carry an orientation; none was kept."
            )
        else:
            kept.append(f"Orientation {orientation}")
            if not exif_kept:
                exif_kept = True
                tiff = minimal_exif(orientation)
                body.append(b"EXIF" + struct.pack("<I", len(tiff)) + tiff)
    elif not keep.orientation:
        notes.extend(turned_note(orientation))
    if vp8x is not None:
        body[vp8x[0]] = _vp8x(buf, vp8x[1], vp8x[2], icc_kept, exif_kept)
    total = 4 + sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in body)
    return Cleaned(
        (b"RIFF" + struct.pack("<I", total) + b"WEBP", *body),
        tuple(removed),
        tuple(kept),
        tuple(notes),
    )


def _frame(buf: Buffer, pos: int, end: int, removed: list[Removal]) -> list[Piece]:
    """An animation frame with only its alpha and bitstream sub-chunks: the format lets
    a frame carry unknown chunks too, and they go like unknown top-level ones.  A frame
    whose sub-chunks cannot be walked is kept whole, as the decoder reads it."""
    parts: list[Piece] = [(pos + 8, pos + 24)]  # position, size, duration, flags
    sub = pos + 24
    dropped: list[Removal] = []
    while sub + 8 <= end:
        ctype, length = struct.unpack_from("<4sI", buf, sub)
        stop = sub + 8 + length
        if stop > end:
            return _padded(pos, end)
        nxt = min(end, stop + (length & 1))
        if ctype in FRAME_DATA:
            parts.extend(_padded(sub, stop))
        else:
            where = f"{ctype.decode('latin-1')!r} chunk in an animation frame"
            dropped.append(Removal("other", where, sub, nxt - sub))
        sub = nxt
    if not dropped:
        return _padded(pos, end)
    if sub < end:
        dropped.append(Removal("other", "bytes after an animation frame's data", sub, end - sub))
    removed.extend(dropped)
    size = sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in parts)
    return [b"ANMF" + struct.pack("<I", size), *parts]


def _padded(pos: int, end: int) -> list[Piece]:
    """A chunk copied whole; an odd one gets a zero pad byte written, not copied (the
    original's pad may be missing or hold something)."""
    return [(pos, end), b"\0"] if (end - pos) & 1 else [(pos, end)]


def _tiff(buf: Buffer, body: int, end: int) -> bytes:
    """An EXIF chunk's body: a bare TIFF, or (some writers) one behind "Exif\\0\\0"."""
    data = bytes(buf[body:end])
    return data[6:] if data.startswith(b"Exif\0\0") else data


def _vp8x(buf: Buffer, start: int, end: int, icc: bool, exif: bool) -> bytes:
    """The VP8X chunk with its ICC, EXIF and XMP flags saying what the file now holds."""
    data = bytearray(buf[start:end])
    flags = data[8] & ~(ICC_FLAG | EXIF_FLAG | XMP_FLAG)
    data[8] = flags | (ICC_FLAG if icc else 0) | (EXIF_FLAG if exif else 0)
    return bytes(data)
