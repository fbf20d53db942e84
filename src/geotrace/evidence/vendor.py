"""Serials and capture times that vendors keep in their own JPEG APPn segments.

Why: thermal cameras (FLIR, InfiRay) and action cameras (GoPro) write the body's serial
number, and FLIR the only capture time with a zone, outside EXIF, in private segments
that no maintained Python library reads.  The layouts and the way values are printed
follow exiftool 12.57 (``FLIR.pm``, ``GoPro.pm``, ``InfiRay.pm``), whose ``-json -n``
output is our truth:

* FLIR: APP1 ``FLIR\\0`` chunks, concatenated by chunk number, hold an FFF file whose
  record directory points at a CameraInfo record (serials, DateTimeOriginal).
* GoPro: APP6 ``GoPro\\0`` holds GPMF key-length-value data; CASN is the serial.
* InfiRay: an APP2 ``IJPEG`` header marks the file; APP9 then holds the sensor block.

Every length and offset is checked against the bytes at hand; nothing here raises.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from geotrace.evidence.makernotes_walk import json_text
from geotrace.records import Problem

APP1, APP2, APP6, APP9 = 0xE1, 0xE2, 0xE6, 0xE9
_FFF_HEADER = 0x40
_FFF_ENTRY = 0x20
_FLIR_CAMERA_INFO = 0x20
#: (offset, size, tag) of the CameraInfo strings exiftool names *SerialNumber.
_FLIR_SERIALS = (
    (0x104, 16, "CameraSerialNumber"),
    (0x1A0, 16, "LensSerialNumber"),
    (0x21C, 32, "FilterSerialNumber"),
)
_FLIR_DATE_AT = 0x384
_INFIRAY_SENSOR_SIZE = 768
_INFIRAY_SERIALS = ((0x0C0, "IRSensorSerialNumber"), (0x240, "VisibleSensorSerialNumber"))
_GPMF_CONTAINERS = {b"DEVC", b"STRM"}
_GPMF_MAX_DEPTH = 8
_GPMF_STRING = 0x63  # 'c'
#: GPMF keys exiftool names CameraSerialNumber and Model (``GoPro.pm``).
GPMF_SERIAL, GPMF_MODEL = b"CASN", b"MINF"


@dataclass(frozen=True, slots=True)
class VendorInfo:
    """What the vendor segments add: serials keyed ``Group:Tag``, FLIR's capture time."""

    serials: dict[str, str] = field(default_factory=dict)
    datetime_original: str | None = None
    problems: list[Problem] = field(default_factory=list)


def _string(data: bytes, at: int, size: int) -> str | None:
    """A fixed-size string field cut at its NUL; None when the block is too short."""
    if at + size > len(data):
        return None
    return json_text(data[at : at + size].split(b"\0", 1)[0])


# --- FLIR ------------------------------------------------------------------------------


def _flir_stream(segments: list[tuple[int, bytes]], problems: list[Problem]) -> bytes | None:
    """Join the FLIR chunks the way exiftool does: by chunk number, once all are there.

    Byte 7 of each chunk holds the chunk count minus one; a chunk that disagrees with
    the first one's count abandons the stream, as exiftool does.
    """
    chunks: dict[int, bytes] = {}
    total, seen = 0, 0
    for marker, payload in segments:
        if marker != APP1 or not payload.startswith(b"FLIR\0") or len(payload) < 8:
            continue
        if seen and payload[7] + 1 != total:
            problems.append(Problem("flir_chunks", "FLIR chunk counts disagree; FLIR ignored"))
            return None
        total, seen = payload[7] + 1, seen + 1
        chunks[payload[6]] = chunks.get(payload[6], b"") + payload[8:]
        if seen >= total:
            return b"".join(chunks[n] for n in sorted(chunks))
    if seen:
        problems.append(Problem("flir_chunks", f"FLIR: {seen} of {total} chunks present"))
    return None


def _fff_order(header: bytes) -> str | None:
    """FFF byte order: the one in which the format version reads as 1xx."""
    for order in (">", "<"):
        (version,) = struct.unpack_from(order + "I", header, 0x14)
        if 100 <= version < 200:
            return order
    return None


def _fff_records(fff: bytes, problems: list[Problem]) -> Iterator[tuple[int, bytes, str]]:
    """(record type, record bytes, byte order) for each record of an FFF directory."""
    if len(fff) < _FFF_HEADER or fff[:4] not in (b"FFF\0", b"AFF\0"):
        problems.append(Problem("flir_not_fff", "FLIR segment does not hold an FFF record"))
        return
    order = _fff_order(fff)
    if order is None:
        problems.append(Problem("flir_version", "unsupported FLIR FFF version"))
        return
    pos, count = struct.unpack_from(order + "II", fff, 0x18)
    if pos + count * _FFF_ENTRY > len(fff):
        problems.append(Problem("flir_truncated", "truncated FLIR FFF directory"))
        return
    for i in range(count):
        entry = pos + i * _FFF_ENTRY
        (kind,) = struct.unpack_from(order + "H", fff, entry)
        if kind == 0:
            continue
        start, length = struct.unpack_from(order + "II", fff, entry + 0x0C)
        if start + length > len(fff):
            problems.append(Problem("flir_record", f"FLIR record 0x{kind:02x} past the end"))
            return
        yield kind, fff[start : start + length], order


def _flir_time(block: bytes, order: str) -> str | None:
    """CameraInfo 0x384: Unix seconds, milliseconds, zone in minutes west of UTC.

    exiftool prints local wall time with milliseconds and the zone, e.g.
    ``2016:06:27 15:29:42.041-04:00``.
    """
    if len(block) < _FLIR_DATE_AT + 10:
        return None
    seconds, sub = struct.unpack_from(order + "II", block, _FLIR_DATE_AT)
    (west,) = struct.unpack_from(order + "h", block, _FLIR_DATE_AT + 8)
    local = seconds - west * 60
    if local == 0:
        stamp = "0000:00:00 00:00:00"
    else:
        stamp = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=local)).strftime(
            "%Y:%m:%d %H:%M:%S"
        )
    east = -west
    sign = "-" if east < 0 else "+"
    return f"{stamp}.{sub & 0xFFFF:03d}{sign}{abs(east) // 60:02d}:{abs(east) % 60:02d}"


def _flir(
    segments: list[tuple[int, bytes]], problems: list[Problem]
) -> tuple[dict[str, str], str | None]:
    fff = _flir_stream(segments, problems)
    serials: dict[str, str] = {}
    taken = None
    if fff is None:
        return serials, taken
    for kind, block, order in _fff_records(fff, problems):
        if kind != _FLIR_CAMERA_INFO or len(block) < 2:
            continue
        (check,) = struct.unpack_from(order + "H", block, 0)
        info_order = ("<" if order == ">" else ">") if check >= 0x100 else order
        for at, size, name in _FLIR_SERIALS:
            value = _string(block, at, size)
            if value is not None:
                serials[f"FLIR:{name}"] = value
        taken = _flir_time(block, info_order) or taken
    return serials, taken


# --- GoPro -----------------------------------------------------------------------------


def gpmf_strings(
    data: bytes, keys: tuple[bytes, ...], problems: list[Problem], depth: int = 0
) -> Iterator[tuple[bytes, str]]:
    """(key, text) of the 'c' values under ``keys`` in GPMF key-length-value data,
    descending into DEVC/STRM containers.

    One reader for both places GoPro writes GPMF outside its telemetry track: a JPEG's
    APP6 segment and an MP4's ``udta/GPMF`` atom (exiftool reads both with one table).
    """
    pos = 0
    while pos + 8 <= len(data):
        key, fmt, size, repeat = struct.unpack_from(">4sBBH", data, pos)
        length = size * repeat
        pos += 8
        if key == b"\0\0\0\0":
            return  # padding
        if pos + length > len(data):
            name = key.decode("latin-1")
            problems.append(Problem("gpmf_truncated", f"GPMF {name!r} runs past its block"))
            return
        value = data[pos : pos + length]
        if key in _GPMF_CONTAINERS and fmt == 0 and depth < _GPMF_MAX_DEPTH:
            yield from gpmf_strings(value, keys, problems, depth + 1)
        elif key in keys and fmt == _GPMF_STRING and length:
            yield key, _gpmf_text(value, size, repeat)
        pos += (length + 3) & ~3


def _gpmf_text(value: bytes, size: int, repeat: int) -> str:
    """A 'c' value: one string cut at NUL, or (size>1, repeat>1) a list of fixed-width
    strings, each stripped of trailing NULs and spaces, joined as exiftool lists are."""
    if size > 1 and repeat > 1:
        parts = (value[i : i + size] for i in range(0, size * repeat, size))
        return ", ".join(json_text(p.rstrip(b"\0 ")) for p in parts)
    return json_text(value.split(b"\0", 1)[0])


def _gopro(segments: list[tuple[int, bytes]], problems: list[Problem]) -> dict[str, str]:
    serials: dict[str, str] = {}
    for marker, payload in segments:
        if marker == APP6 and payload.startswith(b"GoPro\0"):
            for _key, serial in gpmf_strings(payload[6:], (GPMF_SERIAL,), problems):
                serials["GoPro:CameraSerialNumber"] = serial
    return serials


# --- InfiRay ---------------------------------------------------------------------------


def _infiray(segments: list[tuple[int, bytes]]) -> dict[str, str]:
    """APP9 is read as InfiRay's sensor block only after an APP2 IJPEG header (exiftool)."""
    serials: dict[str, str] = {}
    ijpeg = False
    for marker, payload in segments:
        if marker == APP2 and payload[4:10] == b"IJPEG\0":
            ijpeg = True
        elif marker == APP9 and ijpeg and len(payload) >= _INFIRAY_SENSOR_SIZE:
            for at, name in _INFIRAY_SERIALS:
                value = _string(payload, at, 32)
                if value is not None:
                    serials[f"InfiRay:{name}"] = value
    return serials


def vendor_metadata(segments: list[tuple[int, bytes]]) -> VendorInfo:
    """Vendor serials and FLIR's capture time from a JPEG's APPn segments.

    ``segments`` are (marker byte, payload after the length field) in file order.
    """
    problems: list[Problem] = []
    serials, taken = _flir(segments, problems)
    serials.update(_gopro(segments, problems))
    serials.update(_infiray(segments))
    return VendorInfo(serials, taken, problems)
