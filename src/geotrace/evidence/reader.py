"""Entry point of the metadata reader: bytes in, MediaMetadata out, never an exception.

Large files are memory-mapped, so a 4 GB video costs only the pages its atoms sit on, and
the SHA-256 is computed over the same mapping.  Every reader below is bounded; anything they
did not foresee is still caught here and recorded as a problem, because one hostile file
must never stop a batch of a hundred thousand.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from geotrace.evidence import clock, containers, gps, makernotes, vendor
from geotrace.evidence.quicktime import read_video
from geotrace.evidence.sniff import sniff
from geotrace.evidence.tiff import (
    IPTC_TAG,
    XMP_TAG,
    Ifd,
    Tiff,
    decode_text,
    directories,
    format_number,
    ifd1,
    parse_tiff,
)
from geotrace.evidence.xmp import MAX_XMP_BYTES, parse_xmp
from geotrace.geo import format_offset
from geotrace.records import (
    UNKNOWN_ZONE_WINDOW,
    Device,
    GpsFix,
    MediaMetadata,
    Problem,
    Taken,
    iso,
)

READER_VERSION = "1"

MAKE, MODEL, SOFTWARE = 0x010F, 0x0110, 0x0131
JPG_FROM_RAW = 0x002E  # Panasonic RW2: the embedded JPEG, with the full EXIF
DNG_VERSION = 0xC612
DATETIME_ORIGINAL, OFFSET_ORIGINAL, SUBSEC_ORIGINAL = 0x9003, 0x9011, 0x9291
#: Serial tags of the EXIF/TIFF/DNG tables, named as exiftool names them; the group is the
#: directory they were found in.  0xC62F is DNG's CameraSerialNumber, 0xFDE9 Adobe Camera
#: Raw's copy of it.
EXIF_SERIALS = {
    0xA431: "SerialNumber",
    0xA435: "LensSerialNumber",
    0xC62F: "SerialNumber",
    0xFDE9: "SerialNumber",
}
#: XMP properties exiftool names other than by their local name.
XMP_RENAMED = {"exifEX:BodySerialNumber": "SerialNumber"}


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file as inspect reports it: identity (sha256, size) and what it says."""

    path: str
    sha256: str
    size: int
    meta: MediaMetadata


#: Files up to this size are read whole; larger ones are memory-mapped.  Mapping a photo
#: costs more than copying it (the map, its page faults and the unmap: up to ~30 us more
#: for a 150 KB JPEG; ``bench/metadata.py`` times the whole reader), while a video of
#: gigabytes must not be copied.
READ_WHOLE_UP_TO = 1024 * 1024


@contextmanager
def opened(path: str | Path) -> Iterator[bytes | mmap.mmap]:
    """A file's bytes: read whole up to ``READ_WHOLE_UP_TO``, memory-mapped beyond (a file
    that shrank meanwhile is what was read).  The reader, the scrubber and the audit read
    files this one way."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= READ_WHOLE_UP_TO:
            yield fh.read(size)
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield mm


def read_file(path: str | Path) -> FileReport:
    """Hash and read one file (no pixel decoding): small files read whole, large ones
    through a memory map, so a 4 GB video costs only the pages its atoms sit on."""
    name = str(Path(path))
    with opened(name) as buf:
        return FileReport(name, hashlib.sha256(buf).hexdigest(), len(buf), read_buffer(buf, name))


def read_buffer(buf: bytes | memoryview | mmap.mmap, name: str = "") -> MediaMetadata:
    """Read metadata from the bytes of one file; ``name`` is only used in messages."""
    fmt = sniff(bytes(buf[:64]), name)
    problems: list[Problem] = []
    try:
        if fmt.container == "video":
            return _video(buf, fmt.kind, fmt.mime, problems)
        return _still(buf, fmt.kind, fmt.mime, fmt.container, problems)
    except Exception as exc:  # the last line of defence: record, never crash the batch
        problems.append(
            Problem("reader_error", f"{type(exc).__name__} while reading {name or 'file'}: {exc}")
        )
        return MediaMetadata(fmt.kind, fmt.mime, None, None, Device(), tuple(problems))


def metadata_blocks(buf: Any, container: str) -> containers.Blocks:
    """The raw EXIF, XMP, IPTC and vendor blocks of a file whose container ``sniff`` named."""
    view = memoryview(buf)
    if container == "jpeg":
        return containers.jpeg_blocks(view)
    if container == "png":
        return containers.png_blocks(view)
    if container == "webp":
        return containers.webp_blocks(view)
    if container == "tiff":
        return containers.Blocks(exif=[(view, 0)])
    if container == "exv":
        return containers.exv_blocks(view)
    if container == "raf":
        return containers.raf_blocks(view)
    if container == "bmff":
        return containers.bmff_blocks(view)
    if container == "xmp":
        return containers.Blocks(xmp=[bytes(view[: MAX_XMP_BYTES + 1])])  # over: refused
    return containers.Blocks()


def _still(
    buf: Any, kind: str, mime: str | None, container: str, problems: list[Problem]
) -> MediaMetadata:
    blocks = metadata_blocks(buf, container)
    problems.extend(blocks.problems)
    tiff = _exif(blocks, problems)
    if tiff is not None and container == "tiff" and tiff.ifd0 is not None:
        if mime == "image/tiff" and DNG_VERSION in tiff.ifd0.entries:
            mime = "image/x-adobe-dng"
        xmp_tag = tiff.ifd0.raw(XMP_TAG)
        if xmp_tag:
            blocks.xmp.append(xmp_tag)
        iptc_tag = tiff.ifd0.raw(IPTC_TAG)
        if iptc_tag:
            blocks.iptc.append(iptc_tag)
    xmp: dict[str, str] = {}
    for packet in blocks.xmp:
        for k, v in parse_xmp(packet, problems).items():
            xmp.setdefault(k, v)
    info = vendor.vendor_metadata(blocks.vendor) if blocks.vendor else None
    if info is not None:
        problems.extend(info.problems)

    fix = gps_utc = None
    if tiff is not None and tiff.gps is not None:
        fix = gps.exif_fix(tiff.gps, problems)
        gps_utc = gps.gps_instant(tiff.gps, problems)
    if fix is None and xmp:
        fix = gps.xmp_fix(xmp, problems)
    if gps_utc is None and xmp:
        gps_utc = gps.xmp_instant(xmp, problems)
    if fix is not None and gps_utc is not None:
        fix = replace(fix, utc=gps_utc)
    if fix is not None and not fix.usable:
        gps_utc = None  # a dummy fix's clock is as much a placeholder as its position
    make, model, software = _device_strings(tiff, xmp, problems)
    local, offset, source = _capture_time(tiff, make, xmp, blocks.iptc, info, problems)
    taken = clock.resolve(local, offset, source, fix, gps_utc, problems)

    serials = _serials(tiff, make, xmp, problems)
    if tiff is not None and mime == "image/x-panasonic-rw2":
        for key, value in _jpg_from_raw_serials(tiff, problems).items():
            serials.setdefault(key, value)
    cmt3 = parse_tiff(blocks.cr3["CMT3"]) if "CMT3" in blocks.cr3 else None
    if cmt3 is not None:  # CR3 keeps Canon's maker note as a TIFF of its own
        found, more = makernotes.canon_cmt3_serials(cmt3, model)
        serials.update(found)
        problems.extend(more)
    if info is not None:
        serials.update(info.serials)
    device = Device(make, model, software, serials)
    return MediaMetadata(kind, mime, fix, taken, device, tuple(problems))


def _exif(blocks: containers.Blocks, problems: list[Problem]) -> Tiff | None:
    """The first readable EXIF block; CR3's four CMT boxes are joined into one."""
    if blocks.cr3:
        return _cr3(blocks.cr3, problems)
    for data, base in blocks.exif:
        tiff = parse_tiff(data, base)
        if tiff is None:
            problems.append(Problem("exif_invalid", "EXIF block has no TIFF header"))
            continue
        problems.extend(tiff.problems)
        return tiff
    return None


def _cr3(cmt: dict[str, bytes], problems: list[Problem]) -> Tiff | None:
    parts = {k: parse_tiff(v, 0) for k, v in cmt.items() if k != "CMT3"}
    main = parts.get("CMT1")
    if main is None:
        return None
    for key, attr in (("CMT2", "exif"), ("CMT4", "gps")):
        part = parts.get(key)
        if part is not None:
            setattr(main, attr, part.ifd0)
            problems.extend(part.problems)
    problems.extend(main.problems)
    return main


def _first_text(ifds: list[Ifd | None], tag: int, fallback: str | None) -> str | None:
    """exiftool's preference: the first directory holding the tag wins, even if empty;
    only a tag no directory holds falls back (to XMP)."""
    for ifd in ifds:
        if ifd is not None and tag in ifd.entries:
            return (ifd.text(tag) or "").strip() or None
    return fallback or None


def _device_strings(
    tiff: Tiff | None, xmp: dict[str, str], problems: list[Problem]
) -> tuple[str | None, str | None, str | None]:
    """Make, model, software; IFD1 is a last resort, where nothing else names the camera
    (exiftool reads it as a low-priority directory)."""
    ifds = [tiff.ifd0, tiff.exif] if tiff is not None else []
    make = _first_text(ifds, MAKE, xmp.get("tiff:Make"))
    model = _first_text(ifds, MODEL, xmp.get("tiff:Model"))
    if tiff is not None and (make is None or model is None):
        last = [ifd1(tiff, problems)]
        make = make or _first_text(last, MAKE, None)
        model = model or _first_text(last, MODEL, None)
    return make, model, _first_text(ifds, SOFTWARE, None)


def _jpg_from_raw_serials(tiff: Tiff, problems: list[Problem]) -> dict[str, str]:
    """Serials of the JPEG a Panasonic RW2 embeds, whose maker note is the only copy of
    the body's internal serial; exiftool reads that JPEG as a document of the file."""
    jpeg = tiff.ifd0.raw(JPG_FROM_RAW) if tiff.ifd0 is not None else None
    if not jpeg or not jpeg.startswith(b"\xff\xd8"):
        return {}
    inner: list[Problem] = []
    meta = _still(jpeg, "image", "image/jpeg", "jpeg", inner)
    problems.extend(Problem(p.code, f"JpgFromRaw: {p.message}") for p in meta.problems)
    return dict(meta.device.serials)


def _serials(
    tiff: Tiff | None, make: str | None, xmp: dict[str, str], problems: list[Problem]
) -> dict[str, str]:
    out: dict[str, str] = {}
    if tiff is not None:
        for group, ifd in directories(tiff):
            for tag, name in EXIF_SERIALS.items():
                if tag in ifd.entries:
                    out.setdefault(f"{group}:{name}", _tag_string(ifd, tag))
        found, more = makernotes.maker_serials(tiff, make)
        out.update(found)
        problems.extend(more)
    for key, value in xmp.items():
        prefix, _, local = key.partition(":")
        if "SerialNumber" in local:
            out[f"XMP-{prefix}:{XMP_RENAMED.get(key, local[:1].upper() + local[1:])}"] = value
    return out


def _tag_string(ifd: Ifd, tag: int) -> str:
    """Any tag's value as exiftool -n prints it: text as text, numbers space-separated."""
    nums = ifd.numbers(tag)
    if nums is not None:
        return " ".join(format_number(n) for n in nums)
    return (ifd.text(tag) or "").rstrip()


def _capture_time(
    tiff: Tiff | None,
    make: str | None,
    xmp: dict[str, str],
    iptc: list[bytes],
    info: vendor.VendorInfo | None,
    problems: list[Problem],
) -> tuple[datetime | None, timedelta | None, str]:
    """DateTimeOriginal, in exiftool's order: EXIF, XMP (with XMP's SubSecTimeOriginal),
    IPTC, vendor segments, then the maker note's (Reconyx: priority 0 in exiftool)."""
    if tiff is not None:
        for name, ifd in (("ExifIFD", tiff.exif), ("IFD0", tiff.ifd0)):
            if ifd is None or DATETIME_ORIGINAL not in ifd.entries:
                continue
            text = ifd.text(DATETIME_ORIGINAL)
            subsec = tiff.exif.text(SUBSEC_ORIGINAL) if tiff.exif is not None else None
            parsed = clock.parse_datetime(text, subsec)
            if parsed is None:
                problems.append(
                    Problem("datetime_invalid", f"{name} DateTimeOriginal {text!r} is not a date")
                )
                continue
            offset_text = tiff.exif.text(OFFSET_ORIGINAL) if tiff.exif is not None else None
            offset = clock.parse_offset(offset_text)
            if offset_text and offset_text.strip() and offset is None:
                problems.append(
                    Problem(
                        "offset_invalid", f"OffsetTimeOriginal {offset_text!r} is not an offset"
                    )
                )
            source = f"exif:{name}:DateTimeOriginal"
            if offset is None and info is not None:
                return _vendor_zone(parsed[0], info.datetime_original, source)
            return parsed[0], offset, source
    maker = makernotes.maker_datetime_original(tiff, make) if tiff is not None else None
    candidates = [
        ("xmp:exif:DateTimeOriginal", xmp.get("exif:DateTimeOriginal")),
        ("iptc:DateCreated+TimeCreated", _iptc_datetime(iptc)),
        ("vendor:DateTimeOriginal", info.datetime_original if info else None),
        ("makernote:DateTimeOriginal", maker),
    ]
    for source, text in candidates:
        if text:
            subsec = xmp.get("exif:SubSecTimeOriginal") if source.startswith("xmp:") else None
            parsed = clock.parse_datetime(text, subsec)
            if parsed is not None:
                return parsed[0], parsed[1], source
            problems.append(Problem("datetime_invalid", f"{source} {text!r} is not a date"))
    return None, None, ""


def _vendor_zone(
    local: datetime, vendor_text: str | None, source: str
) -> tuple[datetime, timedelta | None, str]:
    """EXIF's zoneless DateTimeOriginal, with the zone (and milliseconds) of the vendor's
    record of the same instant.

    Why: a FLIR camera writes DateTimeOriginal twice, in EXIF without a zone and in its
    CameraInfo as Unix time with the zone it was set to; exiftool prefers the latter.  The
    zone is taken only when both show the same wall clock to the second, so it is one
    clock's reading.  A zone of 0 is taken as stated, as exiftool does: the file cannot
    tell UTC from a zone never set (DJI's Zenmuse cores write 0 and EXIF on UTC).
    """
    parsed = clock.parse_datetime(vendor_text) if vendor_text else None
    if parsed is None or parsed[1] is None:
        return local, None, source
    stated, offset = parsed
    if stated.replace(microsecond=0) != local.replace(microsecond=0):
        return local, None, source
    zoned = f"{source}, zone from vendor:DateTimeOriginal"
    return (local if local.microsecond else stated), offset, zoned


def _iptc_datetime(blocks: list[bytes]) -> str | None:
    """IPTC-IIM 2:55 DateCreated (CCYYMMDD) + 2:60 TimeCreated (HHMMSS±HHMM)."""
    for data in blocks:
        fields: dict[int, bytes] = {}
        pos = 0
        while pos + 5 <= len(data) and data[pos] == 0x1C:
            record, dataset = data[pos + 1], data[pos + 2]
            length = int.from_bytes(data[pos + 3 : pos + 5], "big")
            if length & 0x8000:
                break  # extended length: not used for dates
            if record == 2:
                fields.setdefault(dataset, data[pos + 5 : pos + 5 + length])
            pos += 5 + length
        date, time = fields.get(55), fields.get(60)
        if date and time and len(date) >= 8:  # a day alone is not a capture time
            d = decode_text(date)
            t = decode_text(time)
            m = re.match(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", t)
            if m is None:
                continue
            zone = f"{m[4][:3]}:{m[4][3:]}" if m[4] else ""
            return f"{d[:4]}:{d[4:6]}:{d[6:8]} {m[1]}:{m[2]}:{m[3]}{zone}"
    return None


def _video(buf: Any, kind: str, mime: str | None, problems: list[Problem]) -> MediaMetadata:
    info = read_video(memoryview(buf))
    problems.extend(info.problems)
    fix: GpsFix | None = None
    if info.location is not None:
        lat, lon, alt, source = info.location
        fix = gps.checked_fix(lat, lon, alt, source, radius_m=info.accuracy_m, problems=problems)
    taken: Taken | None = None
    parsed = clock.parse_datetime(info.creation) if info.creation else None
    if parsed is not None and parsed[1] is not None:
        taken = clock.resolve(parsed[0], parsed[1], info.creation_source or "", fix, None, problems)
    elif info.movie_created is not None:
        taken = Taken(
            None,
            info.movie_created,
            None,
            "container_utc",
            UNKNOWN_ZONE_WINDOW,
            "quicktime:mvhd",
        )
    elif parsed is not None:
        taken = clock.resolve(parsed[0], None, info.creation_source or "", fix, None, problems)
    device = Device(info.make, info.model, info.software, info.serials)
    return MediaMetadata(kind, mime, fix, taken, device, tuple(problems))


def report_to_json(report: FileReport) -> dict[str, Any]:
    """The public ``inspect --json`` object (README, "inspect --json format")."""
    meta = report.meta
    fix = meta.gps
    taken = meta.taken
    return {
        "path": report.path,
        "sha256": report.sha256,
        "kind": meta.kind,
        "mime": meta.mime,
        "gps": None
        if fix is None
        else {
            "lat": fix.lat,
            "lon": fix.lon,
            "alt_m": fix.alt_m,
            "source": fix.source,
            "utc": iso(fix.utc),
        },
        "taken": None
        if taken is None
        else {
            "local": iso(taken.local),
            "utc": iso(taken.utc),
            "offset": format_offset(taken.offset) if taken.offset is not None else None,
            "basis": taken.basis,
            "clock_drift_s": None
            if taken.clock_drift is None
            else taken.clock_drift.total_seconds(),
        },
        "device": {
            "make": meta.device.make,
            "model": meta.device.model,
            "software": meta.device.software,
            "serials": dict(meta.device.serials),
        },
        "problems": [{"code": p.code, "message": p.message} for p in meta.problems],
    }
