"""Maker-note and vendor-segment serials against exiftool's truth, and under damage.

The containers are opened here with throwaway helpers (find the EXIF TIFF block, split
JPEG segments, find CR3's CMT boxes) so that these tests exercise only
``makernotes`` and ``vendor``; the real container readers are tested elsewhere.
"""

from __future__ import annotations

import json
import struct
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.evidence.makernotes import canon_cmt3_serials, maker_serials
from geotrace.evidence.tiff import parse_tiff
from geotrace.evidence.vendor import vendor_metadata
from tests.conftest import SHARED

PHOTOS = SHARED / "corpora" / "photos"
TRUTH = PHOTOS / "truth.jsonl"
#: Groups the core reader owns; every other group in the truth comes from this code.
CORE_GROUPS = ("ExifIFD", "IFD0", "XMP-")
MAKE, MODEL = 0x010F, 0x0110


def _rows() -> list[dict[str, Any]]:
    if not TRUTH.exists():
        return []
    return [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines()]


ROWS = _rows()
MAKER_ROWS = [r for r in ROWS if any(not k.startswith(CORE_GROUPS) for k in r["serial_numbers"])]
OTHER_ROWS = [r for r in ROWS if r not in MAKER_ROWS]
MUTANT_SOURCES = [
    "jpeg/exiftool__Canon.jpg",
    "jpeg/exiftool__NikonD2Hs.jpg",
    "jpeg/exiftool__Pentax.jpg",
    "jpeg/exiftool__Ricoh2.jpg",
    "jpeg/exiftool__Panasonic.jpg",
    "jpeg/exiftool__Sigma.jpg",
    "jpeg/exiftool__Motorola.jpg",
    "jpeg/exiftool__GoPro.jpg",
    "jpeg/mei__FLIR Vue Pro 640.jpg",
    "malformed/photoprism__snow.jpg",
    "malformed/exiftool__InfiRay.jpg",
]


def _params(rows: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The rows, or one placeholder that skips when ../shared is absent."""
    return [*rows] if rows else [None]


def _expected(row: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in row["serial_numbers"].items() if not k.startswith(CORE_GROUPS)}


def _tiff_start(data: bytes) -> int | None:
    """The EXIF TIFF header: after "Exif\\0\\0" (JPEG, WebP, HEIF), else the first one."""
    at = data.find(b"Exif\0\0")
    while at >= 0:
        if data[at + 6 : at + 10] in (b"II*\0", b"MM\0*"):
            return at + 6
        at = data.find(b"Exif\0\0", at + 1)
    found = [i for i in (data.find(b"II*\0"), data.find(b"MM\0*")) if i >= 0]
    return min(found) if found else None


def _segments(data: bytes) -> list[tuple[int, bytes]]:
    """JPEG APPn segments up to the scan: (marker, payload after the length)."""
    out: list[tuple[int, bytes]] = []
    pos = 2 if data.startswith(b"\xff\xd8") else len(data)
    while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] not in (0xD9, 0xDA):
        (length,) = struct.unpack_from(">H", data, pos + 2)
        out.append((data[pos + 1], data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return out


def _cr3_serials(data: bytes) -> dict[str, str]:
    cmt1, cmt3 = data.find(b"CMT1"), data.find(b"CMT3")
    ifd0 = parse_tiff(data, cmt1 + 4) if cmt1 >= 0 else None
    tiff = parse_tiff(data, cmt3 + 4) if cmt3 >= 0 else None
    if tiff is None:
        return {}
    model = ifd0.ifd0.text(MODEL) if ifd0 is not None and ifd0.ifd0 is not None else None
    return canon_cmt3_serials(tiff, model)[0]


def _serials(data: bytes) -> dict[str, str]:
    """Everything makernotes and vendor find in one file's bytes."""
    if data[4:12] == b"ftypcrx ":
        return _cr3_serials(data)
    found: dict[str, str] = {}
    start = _tiff_start(data)
    tiff = parse_tiff(data, start) if start is not None else None
    if tiff is not None:
        make = tiff.ifd0.text(MAKE) if tiff.ifd0 is not None else None
        found.update(maker_serials(tiff, make)[0])
    found.update(vendor_metadata(_segments(data)).serials)
    return found


def _shared_or_skip() -> None:
    if not TRUTH.exists():
        pytest.skip(f"{TRUTH} is absent: clone the project beside ../shared to run this test")


@pytest.mark.parametrize("row", _params(MAKER_ROWS), ids=lambda r: r["path"] if r else "no-shared")
def test_maker_serials_match_exiftool(row: dict[str, Any] | None) -> None:
    _shared_or_skip()
    assert row is not None
    assert _serials((PHOTOS / row["path"]).read_bytes()) == _expected(row)


@pytest.mark.parametrize("row", _params(OTHER_ROWS), ids=lambda r: r["path"] if r else "no-shared")
def test_no_serial_where_exiftool_has_none(row: dict[str, Any] | None) -> None:
    _shared_or_skip()
    assert row is not None
    assert _serials((PHOTOS / row["path"]).read_bytes()) == {}


def test_flir_time_is_exiftools() -> None:
    _shared_or_skip()
    data = (PHOTOS / "jpeg/mei__FLIR Vue Pro 640.jpg").read_bytes()
    assert vendor_metadata(_segments(data)).datetime_original == "2016:06:27 15:29:42.041-04:00"


def test_flir_missing_chunk_is_a_problem() -> None:
    _shared_or_skip()
    segments = _segments((PHOTOS / "jpeg/mei__FLIR Vue Pro 640.jpg").read_bytes())
    flir = [i for i, (_, payload) in enumerate(segments) if payload.startswith(b"FLIR\0")]
    info = vendor_metadata(segments[: flir[-1]])
    assert info.serials == {} and info.datetime_original is None
    assert [p.code for p in info.problems] == ["flir_chunks"]


_MUTANTS: dict[str, bytes] = {}


def _source(index: int) -> bytes:
    name = MUTANT_SOURCES[index % len(MUTANT_SOURCES)]
    if name not in _MUTANTS:
        _MUTANTS[name] = (PHOTOS / name).read_bytes()
    return _MUTANTS[name]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=24),
    cut=st.floats(min_value=0.0, max_value=1.0),
)
def test_damaged_files_never_raise(index: int, flips: list[tuple[int, int]], cut: float) -> None:
    """Byte flips (biased to the metadata at the front) and cuts: answers or problems,
    never an exception, and quickly."""
    _shared_or_skip()
    data = bytearray(_source(index))
    head = min(len(data), 64 * 1024)
    for at, value in flips:
        data[at % head] = value
    data = data[: max(4, int(len(data) * cut))]
    began = time.perf_counter()
    _serials(bytes(data))
    assert time.perf_counter() - began < 1.0
