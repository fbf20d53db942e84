"""What one picture or video gives away, read the way an investigator would read it.

Three readings, each already written for something else, turned around: the metadata
reader (where, when, which device), the lossless cleaner run without writing (every block
that would be removed: thumbnails, XMP, maker notes, QuickTime keys, timed tracks,
trailers), and the text stage over the file's name and, where Tesseract is installed, over
the words the picture shows.  A thumbnail or preview is read again on its own: a cropped
photo's thumbnail can still hold the uncropped scene's GPS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from geotrace.audit.cleaned import Buffer, Cleaned, Refused, Removal
from geotrace.audit.cleaners import clean
from geotrace.audit.findings import AuditSeverity, Finding
from geotrace.evidence.reader import metadata_blocks, read_buffer
from geotrace.evidence.sniff import sniff
from geotrace.evidence.tiff import decode_text, directories, parse_tiff
from geotrace.geo import format_offset
from geotrace.records import MediaMetadata, iso

#: EXIF tags naming a person (exiftool's names): the owner a camera was registered to.
OWNER_TAGS = {0x013B: "Artist", 0x8298: "Copyright", 0xA430: "OwnerName", 0x9C9D: "XPAuthor"}
#: XMP properties naming a person; matched on the packet's text (element or attribute form).
_XMP_OWNER = re.compile(
    rb"(dc:creator|dc:rights|xmpRights:Owner|aux:OwnerName|exifEX:CameraOwnerName"
    rb"|photoshop:Credit|Iptc4xmpCore:CiEmailWork)"
    rb"(?:=\"([^\"]{1,200})\"|>\s*(?:<rdf:(?:Seq|Bag|Alt)>\s*<rdf:li[^>]{0,80}>)?([^<]{1,200})<)"
)
#: Severity and words of each kind of block a cleaner removes.
_BLOCKS: dict[str, tuple[AuditSeverity, str]] = {
    "exif": ("medium", "EXIF block (positions, times, device, serials live here)"),
    "xmp": ("medium", "XMP packet (editing history, often GPS, times, device)"),
    "iptc": ("medium", "IPTC / Photoshop block (captions, credits, places)"),
    "icc": ("low", "ICC colour profile (its date and maker can hint at the device)"),
    "makernotes": ("medium", "maker notes (vendor data: serials, counters, settings)"),
    "thumbnail": ("medium", "embedded thumbnail (can show the picture before a crop)"),
    "preview": ("medium", "embedded preview or second image"),
    "comment": ("low", "comment or text chunk"),
    "trailer": ("medium", "data after the picture (a motion-photo video, gain map, or hidden)"),
    "time": ("high", "creation/modification time in the container"),
    "keys": ("high", "QuickTime keys (location, device, creation date of phones)"),
    "user_data": ("medium", "user data box (camera, software, sometimes location)"),
    "timed_metadata": ("high", "timed-metadata track (GPS or motion track, subtitles)"),
    "name": ("low", "handler or encoder name (can name the camera)"),
    "free": ("low", "free space whose bytes can hold old metadata"),
    "other": ("low", "other block no decoder needs"),
}


def audit_buffer(buf: Buffer, path: str, place_of: Any = None) -> list[Finding]:
    """Every finding of one file's bytes (no OCR, no case: :mod:`geotrace.audit.run` adds
    them).  ``place_of(lat, lon) -> str`` names a position; None leaves it as numbers."""
    meta = read_buffer(buf, path)
    found = _metadata(path, meta, place_of)
    found.extend(_owner(path, buf, meta))
    try:
        cleaned: Cleaned | None = clean(buf, path)
    except Refused as exc:
        cleaned = None
        found.append(
            Finding(path, "cannot_clean", "high", f"scrub cannot clean this file: {exc}", False)
        )
    if cleaned is not None:
        found.extend(_blocks(path, buf, cleaned.removed, place_of))
    return found


def _metadata(path: str, meta: MediaMetadata, place_of: Any) -> list[Finding]:
    found = []
    fix = meta.gps
    if fix is not None:
        where = f"{fix.lat:.6f}, {fix.lon:.6f}"
        if fix.usable and place_of is not None:
            where += f" ({place_of(fix.lat, fix.lon)})"
        elif not fix.usable:
            where += " (a placeholder, not a real fix)"
        data = {"lat": fix.lat, "lon": fix.lon, "alt_m": fix.alt_m, "source": fix.source}
        sev: AuditSeverity = "high" if fix.usable else "low"
        found.append(Finding(path, "gps", sev, f"GPS position {where}", True, data))
    taken = meta.taken
    if taken is not None:
        when = iso(taken.local) or iso(taken.utc) or "?"
        if taken.offset is not None:
            when += f" (zone UTC{format_offset(taken.offset)}: where the camera was set)"
        data = {"local": iso(taken.local), "utc": iso(taken.utc), "basis": taken.basis}
        found.append(Finding(path, "capture_time", "high", f"taken {when}", True, data))
    device = meta.device
    for tag, serial in device.serials.items():
        found.append(
            Finding(path, "serial", "high", f"serial {tag} = {serial}", True, {"tag": tag})
        )
    if device.make or device.model:
        name = " ".join(p for p in (device.make, device.model) if p)
        data = {"make": device.make, "model": device.model}
        found.append(Finding(path, "device", "medium", f"made by {name}", True, data))
    if device.software:
        found.append(
            Finding(
                path,
                "software",
                "low",
                f"software {device.software}",
                True,
                {"software": device.software},
            )
        )
    return found


def _owner(path: str, buf: Buffer, meta: MediaMetadata) -> list[Finding]:
    """Names of people in EXIF and XMP: the reader does not keep them, so read here."""
    fmt = sniff(bytes(buf[:64]), path)
    try:
        blocks = metadata_blocks(buf, fmt.container)
    except Exception:  # the reader already reported this file's structure; owners are extra
        return []
    names: dict[str, str] = {}
    for data, base in blocks.exif[:1]:
        tiff = parse_tiff(data, base)
        if tiff is None:
            continue
        for _, ifd in directories(tiff):
            for tag, label in OWNER_TAGS.items():
                raw = ifd.raw(tag)
                if raw and label not in names:
                    text = _owner_text(tag, raw)
                    if text:
                        names[label] = text
    for packet in blocks.xmp:
        for m in _XMP_OWNER.finditer(packet):
            label = m.group(1).decode()
            value = (m.group(2) or m.group(3) or b"").decode("utf-8", "replace").strip()
            if value and label not in names:
                names[label] = value
    return [
        Finding(path, "owner", "high", f"{label} = {value}", True, {"tag": label})
        for label, value in names.items()
    ]


def _owner_text(tag: int, raw: bytes) -> str:
    if tag == 0x9C9D:  # XPAuthor: UCS-2 little-endian, whatever the TIFF's byte order
        return raw.decode("utf-16-le", "replace").strip("\0 ")
    return decode_text(raw).strip("\0 ")


def _blocks(path: str, buf: Buffer, removed: Iterable[Removal], place_of: Any) -> list[Finding]:
    """One finding per kind of block the cleaner would remove (with where each was), and
    the metadata of every embedded picture read on its own."""
    by_kind: dict[str, list[Removal]] = {}
    for r in removed:
        by_kind.setdefault(r.kind, []).append(r)
    found = []
    for kind, blocks in by_kind.items():
        severity, words = _BLOCKS.get(kind, ("low", kind))
        where = ", ".join(sorted({b.where for b in blocks})[:6])
        data = {
            "blocks": [{"where": b.where, "offset": b.offset, "length": b.length} for b in blocks]
        }
        found.append(Finding(path, kind, severity, f"{words}: {where}", True, data))
        if kind in ("thumbnail", "preview", "trailer"):
            found.extend(_embedded(path, buf, blocks, place_of))
    return found


def _embedded(path: str, buf: Buffer, blocks: list[Removal], place_of: Any) -> list[Finding]:
    """Read each embedded JPEG on its own; a view, not a copy (a motion photo's trailer is
    a whole video)."""
    view = memoryview(buf)
    found = []
    for b in blocks:
        inner = view[b.offset : b.offset + b.length]
        start = bytes(inner[:4096]).find(b"\xff\xd8\xff")
        if start < 0:
            continue
        meta = read_buffer(inner[start:], f"{path} {b.where}")
        for f in _metadata(f"{path} [{b.where}]", meta, place_of):
            if f.kind in ("gps", "capture_time", "serial", "device"):
                found.append(
                    Finding(
                        path,
                        f"embedded_{f.kind}",
                        f.severity,
                        f"{b.where} has its own {f.evidence}",
                        True,
                        f.data,
                    )
                )
    return found
