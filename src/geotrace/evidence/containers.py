"""Find the metadata blocks (EXIF, XMP, IPTC, vendor segments) inside image containers.

Only container headers are read; pixels never are, so a decompression bomb costs nothing.
Each walker is bounded by the buffer and by a count of segments or chunks.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from geotrace.evidence import bmff
from geotrace.records import Problem

MAX_SEGMENTS = 4096
EXIF_HEADER = b"Exif\0\0"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\0"
XMP_EXT_HEADER = b"http://ns.adobe.com/xmp/extension/\0"
PHOTOSHOP_HEADER = b"Photoshop 3.0\0"
CR3_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")


@dataclass(slots=True)
class Blocks:
    """Raw metadata blocks of one file, in the order a reader should prefer them."""

    exif: list[tuple[bytes | memoryview, int]] = field(default_factory=list)
    #: CR3 keeps IFD0, the EXIF directory, the maker note and GPS as separate TIFFs.
    cr3: dict[str, bytes] = field(default_factory=dict)
    xmp: list[bytes] = field(default_factory=list)
    iptc: list[bytes] = field(default_factory=list)
    vendor: list[tuple[int, bytes]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def jpeg_blocks(buf: bytes | memoryview, start: int = 2) -> Blocks:
    """Walk JPEG markers up to the first scan; APPn payloads sorted into blocks."""
    out = Blocks()
    pos = start
    n = 0
    extended: dict[bytes, dict[int, bytes]] = {}
    size = len(buf)
    while pos + 4 <= size:
        n += 1
        if n > MAX_SEGMENTS:
            out.problems.append(Problem("segment_limit", f"more than {MAX_SEGMENTS} segments"))
            break
        if buf[pos] != 0xFF:
            # Junk after a segment whose length was wrong: resume at the next marker,
            # as exiftool does, rather than lose every segment after it.
            nxt = bytes(buf[pos : min(size, pos + 65536)]).find(b"\xff")
            out.problems.append(Problem("jpeg_junk", f"no marker at offset {pos}; skipped"))
            if nxt < 0:
                break
            pos += nxt
            continue
        marker = buf[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: no metadata after
            break
        (length,) = struct.unpack_from(">H", buf, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > size:
            # A cut segment's offsets point into nothing; like exiftool, read none of it.
            out.problems.append(
                Problem(
                    "jpeg_segment_truncated", f"segment 0x{marker:02X} at {pos} runs past the end"
                )
            )
            break
        payload = bytes(buf[pos + 4 : end])
        _sort_segment(marker, payload, out, extended)
        pos = end
    for chunks in extended.values():
        out.xmp.append(b"".join(chunks[k] for k in sorted(chunks)))
    return out


def _sort_segment(
    marker: int, payload: bytes, out: Blocks, extended: dict[bytes, dict[int, bytes]]
) -> None:
    if marker == 0xE1 and payload.startswith(EXIF_HEADER):
        out.exif.append((payload, 6))
    elif marker == 0xE1 and payload.startswith(XMP_HEADER):
        out.xmp.append(payload[len(XMP_HEADER) :])
    elif marker == 0xE1 and payload.startswith(XMP_EXT_HEADER):
        body = payload[len(XMP_EXT_HEADER) :]
        if len(body) >= 40:
            guid, offset = body[:32], struct.unpack_from(">I", body, 36)[0]
            extended.setdefault(guid, {})[offset] = body[40:]
    elif marker == 0xED and payload.startswith(PHOTOSHOP_HEADER):
        out.iptc.extend(_photoshop_iptc(payload[len(PHOTOSHOP_HEADER) :]))
    elif 0xE0 <= marker <= 0xEF:
        out.vendor.append((marker, payload))


def _photoshop_iptc(data: bytes) -> list[bytes]:
    """IPTC-IIM blocks (resource 0x0404) inside Photoshop image resources ("8BIM")."""
    found = []
    pos = 0
    for _ in range(MAX_SEGMENTS):
        if pos + 12 > len(data) or data[pos : pos + 4] != b"8BIM":
            break
        (rid,) = struct.unpack_from(">H", data, pos + 4)
        name_len = data[pos + 6]
        pos += 7 + name_len + ((name_len + 1) & 1)  # Pascal string padded to even
        if pos + 4 > len(data):
            break
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if rid == 0x0404:
            found.append(data[pos : pos + length])
        pos += length + (length & 1)
    return found


def _chunks(
    buf: bytes | memoryview, pos: int, limit: int, riff: bool, problems: list[Problem]
) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each chunk of a PNG or RIFF (WebP) file.

    PNG: big-endian length, type, body, CRC.  RIFF: type, little-endian length, body,
    a pad byte when the length is odd.
    """
    kind = "riff" if riff else "png"
    for _ in range(MAX_SEGMENTS):
        if pos + 8 > limit:
            return
        if riff:
            ctype, length = struct.unpack_from("<4sI", buf, pos)
        else:
            length, ctype = struct.unpack_from(">I4s", buf, pos)
        body, end = pos + 8, pos + 8 + length
        if end > len(buf):
            problems.append(Problem(f"{kind}_chunk_truncated", f"chunk {ctype!r} at {pos}"))
            return
        yield ctype, body, end
        pos = end + ((length & 1) if riff else 4)


def _exif_chunk(data: bytes, out: Blocks) -> None:
    """PNG eXIf and WebP EXIF hold a bare TIFF, or (some writers) one behind "Exif\\0\\0"."""
    out.exif.append((data, 6 if data.startswith(EXIF_HEADER) else 0))


def png_blocks(buf: bytes | memoryview) -> Blocks:
    """PNG chunks: eXIf, and the text chunks (tEXt, zTXt, iTXt) that hold metadata."""
    out = Blocks()
    for ctype, body, end in _chunks(buf, 8, len(buf), False, out.problems):
        if ctype == b"eXIf":
            _exif_chunk(bytes(buf[body:end]), out)
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            _png_text(ctype, buf, body, end, out)
        elif ctype == b"IEND":
            break
    return out


#: Text chunks read, by keyword: XMP's own, and ImageMagick's hex-encoded profiles
#: ("APP1" is its older name for "exif", and may hold XMP instead).  Profiles that hold
#: nothing read here (icc, icm) are left alone, as is every other keyword.
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
RAW_PROFILES = (b"exif", b"APP1", b"xmp", b"iptc", b"8bim")
RAW_PROFILE_PREFIX = b"Raw profile type "
MAX_PNG_TEXT = 16 * 1024 * 1024
_RAW_PROFILE = re.compile(rb"\n(.*?)\n\s*(\d{1,15})\n(.*)", re.DOTALL)


def _png_text(ctype: bytes, buf: bytes | memoryview, body: int, end: int, out: Blocks) -> None:
    """One tEXt/zTXt/iTXt chunk: its text, inflated, sorted into blocks.

    tEXt is keyword NUL text; zTXt keyword NUL method zlib-text; iTXt keyword NUL flag
    method language NUL translated-keyword NUL text, zlib-compressed when flag is 1.  The
    keyword (at most 79 bytes) is looked at before anything else is copied.
    """
    keyword = bytes(buf[body : min(end, body + 80)]).partition(b"\0")[0]
    profile = keyword.removeprefix(RAW_PROFILE_PREFIX)
    if keyword != PNG_XMP_KEYWORD and (profile == keyword or profile not in RAW_PROFILES):
        return
    where = f"PNG {ctype.decode()} {keyword.decode('latin-1')!r} at {body - 8}"
    rest = bytes(buf[body + len(keyword) + 1 : end])
    compressed = ctype == b"zTXt"
    if ctype == b"zTXt":
        rest = rest[1:]
    elif ctype == b"iTXt":
        compressed = rest[:1] == b"\1"
        parts = rest[2:].split(b"\0", 2)  # language, translated keyword, text
        if len(parts) < 3:
            out.problems.append(Problem("png_text_invalid", f"{where}: iTXt header cut short"))
            return
        rest = parts[2]
    if compressed:
        inflater = zlib.decompressobj()
        try:
            rest = inflater.decompress(rest, MAX_PNG_TEXT)
        except zlib.error as exc:
            out.problems.append(Problem("png_text_invalid", f"{where}: {exc}"))
            return
        if inflater.unconsumed_tail:
            out.problems.append(
                Problem("png_text_too_large", f"{where}: inflates past {MAX_PNG_TEXT} bytes")
            )
            return
    if keyword == PNG_XMP_KEYWORD:
        out.xmp.append(rest)
    else:
        _raw_profile(profile, rest, where, out)


def _raw_profile(profile: bytes, text: bytes, where: str, out: Blocks) -> None:
    """ImageMagick's "\\nTYPE\\n   LENGTH\\nHEX...", decoded as exiftool's PNG.pm does.

    An exif or APP1 profile holds "Exif\\0\\0" and a TIFF, a bare TIFF, or (APP1) an XMP
    packet behind its APP1 namespace; an iptc profile holds IPTC-IIM or Photoshop
    resources; an 8bim profile Photoshop resources; an xmp profile the packet itself.
    """
    m = _RAW_PROFILE.match(text)
    try:
        data = bytes.fromhex(re.sub(rb"\s+", b"", m[3]).decode("ascii")) if m else None
    except ValueError:
        data = None
    if m is None or data is None:
        out.problems.append(Problem("png_profile_invalid", f"{where}: not a hex profile"))
        return
    if int(m[2]) != len(data):
        out.problems.append(
            Problem(
                "png_profile_length",
                f"{where}: says {int(m[2])} bytes, holds {len(data)}; read as it is",
            )
        )
    if profile == b"xmp":
        out.xmp.append(data)
    elif profile == b"8bim" or (profile == b"iptc" and not data.startswith(b"\x1c")):
        out.iptc.extend(_photoshop_iptc(data))
    elif profile == b"iptc":
        out.iptc.append(data)
    elif data.startswith(XMP_HEADER):
        out.xmp.append(data[len(XMP_HEADER) :])
    elif data.startswith(EXIF_HEADER) or data[:4] in (b"II*\0", b"MM\0*"):
        _exif_chunk(data, out)
    else:
        out.problems.append(
            Problem("png_profile_unknown", f"{where}: holds neither EXIF, TIFF nor XMP")
        )


def webp_blocks(buf: bytes | memoryview) -> Blocks:
    """RIFF chunks of a WebP: "EXIF" (with or without the JPEG-style Exif header), "XMP "."""
    out = Blocks()
    limit = min(len(buf), 8 + struct.unpack_from("<I", buf, 4)[0])
    for ctype, body, end in _chunks(buf, 12, limit, True, out.problems):
        if ctype == b"EXIF":
            _exif_chunk(bytes(buf[body:end]), out)
        elif ctype == b"XMP ":
            out.xmp.append(bytes(buf[body:end]))
    return out


def exv_blocks(buf: bytes | memoryview) -> Blocks:
    """Exiv2's EXV sidecar: a JPEG without image data, after a 7-byte signature."""
    return jpeg_blocks(buf, 7)


#: FujiFilm RAF: a header naming the camera, then (big-endian, at byte 84) where its JPEG
#: preview starts and how long it is; the preview's APP1 holds the file's only EXIF.
_RAF_PREVIEW_AT = 84


def raf_blocks(buf: bytes | memoryview) -> Blocks:
    """The RAF's embedded JPEG preview, walked as a JPEG, as exiftool's ``ProcessRAF`` reads
    the EXIF, maker note and serial of a Fuji raw (nothing in the header says more)."""
    if len(buf) < _RAF_PREVIEW_AT + 8:
        out = Blocks()
        out.problems.append(Problem("raf_truncated", f"RAF header cut at {len(buf)} bytes"))
        return out
    at, length = struct.unpack_from(">II", buf, _RAF_PREVIEW_AT)
    if at + length > len(buf) or bytes(buf[at : at + 3]) != b"\xff\xd8\xff":
        out = Blocks()
        out.problems.append(
            Problem("raf_preview_invalid", f"RAF preview at {at} (+{length}) is not a JPEG")
        )
        return out
    return jpeg_blocks(memoryview(buf)[at : at + length])


def bmff_blocks(buf: bytes | memoryview) -> Blocks:
    """HEIF/AVIF items, JPEG XL "Exif"/"xml " boxes, CR3 CMT boxes, MP4 XMP uuid."""
    out = Blocks()
    top = list(bmff.iter_boxes(buf, 0, len(buf), out.problems, "file"))
    for box in top:
        if box.type == b"meta":
            items = bmff.heif_items(buf, box, out.problems)
            for data in items.get("exif", []):
                _add_item_exif(data, out)
            out.xmp.extend(items.get("xmp", []))
        elif box.type == b"Exif":
            _add_item_exif(bytes(buf[box.body : box.end]), out)
        elif box.type == b"xml ":
            out.xmp.append(bytes(buf[box.body : box.end]))
        elif box.type == b"brob" and bytes(buf[box.body : box.body + 4]) in (b"Exif", b"xml "):
            out.problems.append(
                Problem("compressed_box", "JPEG XL metadata box is Brotli-compressed; not read")
            )
        elif box.type == b"moov":
            for uuid in bmff.find_path(buf, [box], [b"moov", b"uuid"], out.problems):
                if bytes(buf[uuid.body : uuid.body + 16]) == CR3_UUID:
                    for sub in bmff.iter_boxes(buf, uuid.body + 16, uuid.end, out.problems, "CR3"):
                        if sub.type in (b"CMT1", b"CMT2", b"CMT3", b"CMT4"):
                            out.cr3[sub.type.decode()] = bytes(buf[sub.body : sub.end])
    return out


def _add_item_exif(data: bytes, out: Blocks) -> None:
    """HEIF and JPEG XL prefix the TIFF with a 4-byte offset to its header."""
    if len(data) < 4:
        return
    (skip,) = struct.unpack_from(">I", data, 0)
    start = 4 + skip
    if start + 8 > len(data):
        out.problems.append(Problem("exif_item_invalid", "Exif item offset points past its end"))
        return
    out.exif.append((data, start))
