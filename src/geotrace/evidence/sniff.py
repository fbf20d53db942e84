"""Tell a file's format from its first bytes; extensions lie, on purpose or not."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    kind: str  # "image" | "video" | "other"
    mime: str | None
    container: str  # which block walker reads it


_HEIF_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic-sequence",
    b"mif1": "image/heif",
    b"msf1": "image/heif-sequence",
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"crx ": "image/x-canon-cr3",
    b"jxl ": "image/jxl",
}
_QT_TOP = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(head: bytes, name: str = "") -> Format:
    """``head`` is at least the first 64 bytes of the file (fewer if it is shorter).

    The name only breaks a tie the bytes cannot: a movie with no ``ftyp`` is QuickTime
    unless it is called .mp4, as exiftool decides it too.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return Format("image", "image/jpeg", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Format("image", "image/png", "png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Format("image", "image/webp", "webp")
    if head[:4] in (b"II*\0", b"MM\0*"):
        return Format("image", "image/tiff", "tiff")
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return Format("image", "image/x-olympus-orf", "tiff")
    if head[:4] == b"IIU\0":
        return Format("image", "image/x-panasonic-rw2", "tiff")
    if head[:4] in (b"II+\0", b"MM\0+"):  # BigTIFF: not a camera format; type only
        return Format("image", "image/tiff", "none")
    if head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return Format("image", "image/jxl", "bmff")
    if head.startswith(b"\xff\x0a"):
        return Format("image", "image/jxl", "none")
    if head.startswith(b"FUJIFILMCCD-RAW "):
        return Format("image", "image/x-fujifilm-raf", "raf")
    if head.startswith(b"\xff\x01Exiv2"):
        return Format("other", "image/x-exv", "exv")
    if head[4:8] == b"ftyp":
        return _ftyp(head)
    if len(head) >= 8 and head[4:8] in _QT_TOP and struct.unpack(">I", head[:4])[0] >= 8:
        mp4 = name.lower().endswith((".mp4", ".m4v"))
        return Format("video", "video/mp4" if mp4 else "video/quicktime", "video")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Format("image", "image/gif", "none")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<?xpacket", b"<x:xmpmeta", b"<rdf:RDF")) or (
        stripped.startswith(b"<?xml") and b"adobe:ns:meta" in head
    ):
        return Format("other", "application/rdf+xml", "xmp")
    return Format("other", None, "none")


def _ftyp(head: bytes) -> Format:
    major = head[8:12]
    brands = [major] + [head[i : i + 4] for i in range(16, min(len(head), 64) - 3, 4)]
    for brand in brands:
        if brand in _HEIF_BRANDS:
            mime = _HEIF_BRANDS[brand]
            return Format("image", mime, "bmff")
        if brand == b"qt  ":
            return Format("video", "video/quicktime", "video")
        if brand.startswith(b"3gp") or brand.startswith(b"3g2"):
            return Format(
                "video", "video/3gpp2" if brand.startswith(b"3g2") else "video/3gpp", "video"
            )
    if major in (b"M4A ", b"M4B ", b"F4A "):
        return Format("other", "audio/mp4", "video")
    return Format("video", "video/mp4", "video")
