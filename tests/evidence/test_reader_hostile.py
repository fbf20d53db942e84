"""Hostile and damaged files: problems on record, never a crash, a hang or a wrong fix.

``read_buffer`` has a last-resort handler that turns any exception into a
``reader_error`` problem; these tests demand that it is never needed, i.e. that every
parser met the damage on its own terms.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.evidence import read_buffer, read_file
from tests.conftest import PHOTOS, require_shared

MALFORMED = sorted((PHOTOS / "malformed").glob("*")) if PHOTOS.exists() else []
#: One real file per container, to mutate.
SEEDS = [
    "jpeg/exiftool__GPS.jpg",
    "jpeg/exiftool__Canon.jpg",
    "jpeg/immich__thompson-springs.jpg",
    "heif/exiv2__Stonehenge.heic",
    "heif/exifpy__test_0001.jxl",
    "other/exifr__png_with_exif_and_gps.png",
    "other/exiftool__RIFF.webp",
    "other/exiftool__ExifTool.tif",
    "other/immich__iso-value-array.xmp",
    "video/jcodec__itunes.mov",
    "video/photoprism__quicktime-hvc1.mov",
]


def _codes(meta: object) -> set[str]:
    return {p.code for p in meta.problems}  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", MALFORMED, ids=[p.name for p in MALFORMED])
def test_malformed_corpus_is_read_without_crashing(path: Path) -> None:
    require_shared()
    started = time.perf_counter()
    report = read_file(path)
    assert time.perf_counter() - started < 2.0
    assert "reader_error" not in _codes(report.meta), report.meta.problems


def test_damage_is_reported_not_hidden() -> None:
    """Each kind of damage in the corpus yields the problem that names it."""
    require_shared()
    expect = {
        "derived__with-location.jpg.zero-denominator.jpg": "gps_zero_denominator",
        "exifcleaner__sample.jpg": "gps_ref_missing",
        "photoprism__buggy_panorama.jpg": "gps_out_of_range",
        "goexif__geodegrees_as_string.jpg": "gps_as_text",
        "photoprism__image-2011.jpg": "gps_null_island",
        "derived__Apple.jpg.truncated-in-gps-ifd.jpg": "jpeg_segment_truncated",
        "derived__with-gps.mp4.truncated-in-xyz.mp4": "box_truncated",
    }
    for name, code in expect.items():
        meta = read_file(PHOTOS / "malformed" / name).meta
        assert code in _codes(meta), (name, meta.problems)
        if code in ("gps_null_island", "gps_as_text", "gps_out_of_range"):
            assert meta.gps is not None and not meta.gps.usable
        elif code.startswith("gps_"):
            assert meta.gps is None


def test_empty_and_tiny_inputs() -> None:
    for data in (b"", b"\xff", b"\xff\xd8", b"\xff\xd8\xff", b"RIFF", b"\0\0\0\x08ftyp", b"II*\0"):
        meta = read_buffer(data, "tiny")
        assert "reader_error" not in _codes(meta)
        assert meta.gps is None


def test_not_a_number_is_never_a_position() -> None:
    sidecar = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'exif:GPSLatitude="nan" exif:GPSLongitude="inf"/></rdf:RDF></x:xmpmeta>'
    )
    meta = read_buffer(sidecar, "nan.xmp")
    assert meta.gps is None and "gps_unreadable" in _codes(meta)


def test_xml_bombs_in_xmp_are_refused() -> None:
    bomb = (
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="&c;"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    meta = read_buffer(b"<?xpacket begin?>" + bomb, "bomb.xmp")
    assert meta.device.make is None
    assert any("EntitiesForbidden" in p.message for p in meta.problems), meta.problems


def _seed_bytes() -> list[bytes]:
    require_shared()
    return [(PHOTOS / s).read_bytes() for s in SEEDS]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    seeds = _seed_bytes()
    data = bytearray(seeds[draw(st.integers(0, len(seeds) - 1))])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "zero" and data:
            data[at : at + 4] = b"\0\0\0\0"
    return bytes(data)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_real_files_never_break_the_reader(data: bytes) -> None:
    meta = read_buffer(data, "mutant")
    assert "reader_error" not in _codes(meta), meta.problems
    if meta.gps is not None and meta.gps.usable:
        assert -90 <= meta.gps.lat <= 90 and -180 <= meta.gps.lon <= 180


def test_an_empty_iinf_box_at_the_end_of_a_heic_is_a_problem_not_a_crash() -> None:
    """A HEIC cut right after an ``iinf`` header of 8 bytes: its version byte lies past the
    end (found by the mutation test above; it raised IndexError: reader_error)."""
    data = bytearray((require_shared() / "heif" / "exiv2__Stonehenge.heic").read_bytes())
    at = data.find(b"iinf")
    cut = data[: at + 4]
    cut[at - 4 : at] = (8).to_bytes(4, "big")
    codes = _codes(read_buffer(bytes(cut), "cut.heic"))
    assert "reader_error" not in codes
    assert "box_truncated" in codes
