"""Defects that photos from outside the corpus showed (issue 15, point 6), rebuilt from
the shared samples: each case is a real file changed here in memory the way the outside
file differed, and read as exiftool reads it (or better, where exiftool is wrong).
"""

from __future__ import annotations

import struct
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geotrace.evidence import bmff, read_buffer
from geotrace.evidence.clock import parse_datetime, parse_offset, resolve
from geotrace.evidence.containers import XMP_HEADER, jpeg_blocks
from geotrace.evidence.sightings import sighting_from
from geotrace.evidence.tiff import TYPE_SIZES, Ifd, parse_tiff
from geotrace.records import GpsFix, MediaMetadata, Problem
from tests.conftest import PHOTOS, require_shared

#: GPS with a date (basis gps_clock), altitude, Canon maker note, serials.
EXIF_DONOR = "jpeg/photoprism__ferriswheel_colorful.jpg"
#: A PNG with no metadata of its own to hide the donor's.
PLAIN_PNG = "other/exiftool__PNG.png"
#: An XMP sidecar whose only position is in XMP.
XMP_DONOR = "other/immich__iso-value-array.xmp"
DTO, OFFSET_ORIGINAL, SUBSEC_ORIGINAL = 0x9003, 0x9011, 0x9291
GPS_ALT_REF, GPS_TIME, GPS_DATE = 0x05, 0x07, 0x1D


def _bytes(name: str) -> bytes:
    require_shared()
    return (PHOTOS / name).read_bytes()


def _codes(meta: MediaMetadata) -> set[str]:
    return {p.code for p in meta.problems}


def _tiff_at(data: bytes) -> int:
    """Where the TIFF header of a JPEG's EXIF block starts, in the file."""
    return data.index(b"Exif\0\0") + 6


def _entry(data: bytes, directory: str, tag: int) -> tuple[int, int, int]:
    """(position of the 12-byte entry, position of its value, its byte count) in the file."""
    tiff = parse_tiff(data, _tiff_at(data))
    assert tiff is not None
    ifd = getattr(tiff, directory)
    assert isinstance(ifd, Ifd) and tag in ifd.entries, (directory, hex(tag))
    (count,) = struct.unpack_from(ifd.order + "H", data, ifd.offset)
    for i in range(count):
        at = ifd.offset + 2 + 12 * i
        if struct.unpack_from(ifd.order + "H", data, at)[0] == tag:
            entry = ifd.entries[tag]
            return at, entry.offset, entry.count * TYPE_SIZES[entry.type]
    raise AssertionError(hex(tag))


def _order(data: bytes | bytearray) -> str:
    return "<" if data[_tiff_at(bytes(data))] == ord("I") else ">"


def _put_text(data: bytearray, directory: str, tag: int, text: bytes) -> None:
    """Overwrite a string tag in place, NUL-padded or cut to the room it has."""
    _, at, size = _entry(bytes(data), directory, tag)
    data[at : at + size] = text[:size].ljust(size, b"\0")


# --- 1. EXIF and XMP in PNG text chunks (ImageMagick's raw profiles) --------------------


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _raw_profile_chunk(ctype: bytes, profile: bytes, payload: bytes) -> bytes:
    """ImageMagick's layout: "\\nTYPE\\n  LENGTH\\n" then 36 bytes of hex per line."""
    lines = b"\n".join(payload[i : i + 36].hex().encode() for i in range(0, len(payload), 36))
    text = b"\n" + profile + b"\n" + b"%8d" % len(payload) + b"\n" + lines + b"\n"
    keyword = b"Raw profile type " + profile + b"\0"
    if ctype == b"tEXt":
        return _chunk(ctype, keyword + text)
    if ctype == b"zTXt":
        return _chunk(ctype, keyword + b"\0" + zlib.compress(text))
    return _chunk(ctype, keyword + b"\1\0" + b"\0" + b"\0" + zlib.compress(text))  # iTXt


def _png_with(chunk: bytes) -> bytes:
    """The plain shared PNG with ``chunk`` right after its header chunk."""
    png = _bytes(PLAIN_PNG)
    ihdr_end = 8 + 8 + struct.unpack_from(">I", png, 8)[0] + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def _exif_payload() -> bytes:
    """The donor JPEG's APP1 EXIF payload: "Exif\\0\\0" and its TIFF."""
    payload, skip = jpeg_blocks(_bytes(EXIF_DONOR)).exif[0]
    assert skip == 6
    return bytes(payload)


@pytest.mark.parametrize("ctype", [b"tEXt", b"zTXt", b"iTXt"])
@pytest.mark.parametrize("profile", [b"APP1", b"exif"])
@pytest.mark.parametrize("header", [True, False], ids=["exif-header", "bare-tiff"])
def test_exif_in_a_png_raw_profile_is_read_as_in_the_jpeg(
    ctype: bytes, profile: bytes, header: bool
) -> None:
    payload = _exif_payload()
    png = _png_with(_raw_profile_chunk(ctype, profile, payload if header else payload[6:]))
    got = read_buffer(png, "raw-profile.png")
    # The same EXIF in a JPEG of its own (the donor's XMP would add serials of its own).
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    want = read_buffer(b"\xff\xd8" + app1 + b"\xff\xd9", "exif-only.jpg")
    assert got.mime == "image/png"
    assert want.gps is not None and got.gps == want.gps
    assert got.taken == want.taken and got.device == want.device
    assert _codes(got) == _codes(want)


@pytest.mark.parametrize(("profile", "prefix"), [(b"APP1", XMP_HEADER), (b"xmp", b"")])
def test_xmp_in_a_png_raw_profile_is_read(profile: bytes, prefix: bytes) -> None:
    sidecar = _bytes(XMP_DONOR)
    png = _png_with(_raw_profile_chunk(b"zTXt", profile, prefix + sidecar))
    got, want = read_buffer(png, "xmp-profile.png"), read_buffer(sidecar, XMP_DONOR)
    assert want.gps is not None and got.gps == want.gps
    assert got.taken == want.taken


def test_a_broken_raw_profile_is_a_problem_not_a_silence() -> None:
    text = b"\nAPP1\n      40\nnot hex at all\n"
    got = read_buffer(_png_with(_chunk(b"tEXt", b"Raw profile type APP1\0" + text)), "bad.png")
    assert got.gps is None
    assert "png_profile_invalid" in _codes(got), got.problems


# --- 2. GPSAltitudeRef missing: EXIF's default, above sea level ------------------------


def test_altitude_without_its_reference_is_above_sea_level() -> None:
    data = bytearray(_bytes(EXIF_DONOR))
    want = read_buffer(bytes(data), EXIF_DONOR).gps
    assert want is not None and want.alt_m is not None
    entry, _, _ = _entry(bytes(data), "gps", GPS_ALT_REF)
    struct.pack_into(_order(data) + "H", data, entry, 0xFEED)  # the entry is no longer the ref
    got = read_buffer(bytes(data), "no-altitude-ref.jpg")
    assert got.gps is not None and got.gps.alt_m == abs(want.alt_m)
    assert not any("altitude" in p.code for p in got.problems), got.problems


def test_an_altitude_reference_of_nonsense_refuses_the_altitude_only() -> None:
    data = bytearray(_bytes(EXIF_DONOR))
    _, value_at, _ = _entry(bytes(data), "gps", GPS_ALT_REF)
    data[value_at] = 7
    got = read_buffer(bytes(data), "bad-altitude-ref.jpg")
    want = read_buffer(_bytes(EXIF_DONOR), EXIF_DONOR).gps
    assert got.gps is not None and want is not None
    assert got.gps.alt_m is None and (got.gps.lat, got.gps.lon) == (want.lat, want.lon)
    assert "gps_altitude_ref_invalid" in _codes(got)


# --- 3. Padded serial numbers -----------------------------------------------------------


def _canon_serial_at(data: bytes) -> tuple[int, int]:
    """(position, size) of Canon's InternalSerialNumber string in the 1D Mark III sample."""
    serial = read_buffer(data).device.serials["Canon:InternalSerialNumber"]
    at = data.index(serial.encode() + b"\0")
    return at, 16


@pytest.mark.parametrize(
    "padding",
    [b"\xff" * 16, b"\xff\xff" + b"\0" * 14, b"\0\xa3\xb2\x01\xff\xfe" + b"\0" * 10],
    ids=["0xff-to-the-end", "0xff-then-nul", "nul-then-garbage"],
)
def test_a_padded_serial_reads_as_the_serial(padding: bytes) -> None:
    """Canon writes InternalSerialNumber in 16 bytes; the Kiss X3 pads it with 0xFF (an
    outside file read ``L0709447UU??????``), and bytes after the NUL are not the value."""
    data = bytearray(_bytes("jpeg/exiftool__Canon1DmkIII.jpg"))
    at, size = _canon_serial_at(bytes(data))
    serial = bytes(data[at : size + at]).split(b"\0")[0]
    data[at : at + size] = (serial + padding)[:size]
    got = read_buffer(bytes(data), "padded-serial.jpg").device.serials
    assert got["Canon:InternalSerialNumber"] == serial.decode()


# --- 4. One instant: local - offset == utc, the camera's drift beside them -------------


def test_gps_clock_local_offset_and_utc_agree_and_the_drift_is_kept() -> None:
    data = _bytes(EXIF_DONOR)
    meta = read_buffer(data, EXIF_DONOR)
    taken = meta.taken
    assert taken is not None and taken.basis == "gps_clock"
    assert taken.local is not None and taken.offset is not None and taken.utc is not None
    assert taken.clock_drift is not None and taken.clock_drift != timedelta(0)
    assert (taken.local - taken.offset).replace(tzinfo=UTC) == taken.utc
    assert meta.gps is not None and taken.utc == meta.gps.utc
    _, at, size = _entry(data, "exif", DTO)
    written = parse_datetime(data[at : at + size].split(b"\0")[0].decode(), "010")
    assert written is not None and taken.local + taken.clock_drift == written[0]
    sighting = sighting_from(meta, "0" * 64)
    assert sighting is not None and sighting.at_local == taken.local
    assert sighting.evidence["clock_drift_s"] == taken.clock_drift.total_seconds()


# --- 5. A date with no instant costs the date, not the file ----------------------------

#: OffsetTimeOriginal, DateTimeOriginal, GPS date and time and a fix, all in EXIF.
WITH_OFFSET = "jpeg/pillow__ultrahdr.jpg"
#: Calendar dates that datetime holds but whose instant, once pinned to UTC, it cannot.
OVERFLOWING = [(b"9999:12:31 23:59:59", b"-05:00"), (b"0001:01:01 00:00:00", b"+05:00")]
#: Not dates at all.
NOT_DATES = [b"0000:00:00 00:00:00", b"2021:13:01 00:00:00", b"9999:12:31 23:59:60"]


@pytest.mark.parametrize(("written", "offset"), OVERFLOWING + [(d, b"+08:00") for d in NOT_DATES])
def test_a_date_without_an_instant_is_refused_and_the_rest_is_read(
    written: bytes, offset: bytes
) -> None:
    data = bytearray(_bytes(WITH_OFFSET))
    want = read_buffer(bytes(data), WITH_OFFSET)
    _put_text(data, "exif", DTO, written)
    _put_text(data, "exif", OFFSET_ORIGINAL, offset)
    got = read_buffer(bytes(data), "overflow.jpg")
    assert "reader_error" not in _codes(got), got.problems
    assert got.gps == want.gps and got.device == want.device and want.gps is not None
    refusal = [p for p in got.problems if p.code in ("datetime_out_of_range", "datetime_invalid")]
    assert len(refusal) == 1 and written.decode() in refusal[0].message.replace("-", ":")
    assert "DateTimeOriginal" in refusal[0].message
    assert got.taken is not None and got.taken.local is None  # the GPS clock alone stands
    assert got.taken.utc == want.gps.utc and got.taken.basis == "gps_clock"


def test_a_gps_time_stamp_past_the_year_9999_costs_the_stamp_only() -> None:
    data = bytearray(_bytes(EXIF_DONOR))
    want = read_buffer(bytes(data), EXIF_DONOR)
    _put_text(data, "gps", GPS_DATE, b"9999:12:31")
    _, at, _ = _entry(bytes(data), "gps", GPS_TIME)
    struct.pack_into(_order(data) + "6I", data, at, 0xFFFFFFFF, 1, 0, 1, 0, 1)
    got = read_buffer(bytes(data), "gps-overflow.jpg")
    assert "reader_error" not in _codes(got) and "gps_time_invalid" in _codes(got)
    assert got.gps is not None and want.gps is not None
    assert (got.gps.lat, got.gps.lon, got.gps.utc) == (want.gps.lat, want.gps.lon, None)
    assert got.taken is not None and got.taken.basis == "location_timezone"


def _field(top: int, edges: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Two or four digits, drawn often from a field's edges and just past them."""
    width = 4 if top > 99 else 2
    return (st.sampled_from(edges) | st.integers(0, top)).map(lambda n: f"{n:0{width}d}")


#: EXIF-shaped date-times whose fields sit on and past their edges (year 0, 1 and 9999,
#: month 13, day 99, second 60), and text of any shape.
_DATE_TEXT = st.one_of(
    st.tuples(
        _field(9999, (0, 1, 9999)),
        _field(99, (0, 1, 12, 13)),
        _field(99, (0, 1, 28, 29, 31, 32, 99)),
        _field(99, (0, 23, 24)),
        _field(99, (0, 59, 60)),
        _field(99, (0, 59, 60, 61)),
    ).map(lambda f: f"{f[0]}:{f[1]}:{f[2]} {f[3]}:{f[4]}:{f[5]}"),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    st.text(max_size=20),
)
_OFFSET_TEXT = st.one_of(st.from_regex(r"\A[+-][0-9]{2}:[0-9]{2}\Z"), st.text(max_size=6))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from([WITH_OFFSET, EXIF_DONOR]),
    written=_DATE_TEXT,
    offset=_OFFSET_TEXT,
    subsec=st.text(max_size=3),
    gps_date=_DATE_TEXT,
    gps_time=st.lists(st.integers(0, 2**32 - 1), min_size=6, max_size=6),
)
def test_no_date_in_a_real_file_breaks_the_reader(
    seed: str, written: str, offset: str, subsec: str, gps_date: str, gps_time: list[int]
) -> None:
    """Every date field of a real file (capture time, its offset and subseconds, the GPS
    stamps) rewritten: the dates may be refused, the position and device never are."""
    data = bytearray(_bytes(seed))
    want = read_buffer(bytes(data), seed)
    _put_text(data, "exif", DTO, written.encode("utf-8", "surrogatepass"))
    if seed == WITH_OFFSET:
        _put_text(data, "exif", OFFSET_ORIGINAL, offset.encode("utf-8", "surrogatepass"))
    else:
        _put_text(data, "exif", SUBSEC_ORIGINAL, subsec.encode("utf-8", "surrogatepass"))
    _put_text(data, "gps", GPS_DATE, gps_date.encode("utf-8", "surrogatepass"))
    _, at, _ = _entry(bytes(data), "gps", GPS_TIME)
    struct.pack_into(_order(data) + "6I", data, at, *gps_time)
    got = read_buffer(bytes(data), "fuzzed-dates.jpg")
    assert "reader_error" not in _codes(got), got.problems
    assert got.device == want.device
    assert got.gps is not None and want.gps is not None
    assert (got.gps.lat, got.gps.lon, got.gps.alt_m) == (want.gps.lat, want.gps.lon, want.gps.alt_m)
    taken = got.taken
    if taken is not None and taken.local and taken.offset is not None and taken.utc:
        assert (taken.local - taken.offset).replace(tzinfo=UTC) == taken.utc


@settings(max_examples=500, deadline=None)
@example(text="2020:01:01 00:00:00", subsec="\u00b2")  # a digit to str.isdigit, not to int
@given(text=st.text(max_size=40), subsec=st.none() | st.text(max_size=8))
def test_no_date_text_can_raise(text: str, subsec: str | None) -> None:
    parse_offset(text)
    parse_datetime(text, subsec)


@settings(max_examples=500, deadline=None)
@given(
    local=st.none() | st.datetimes(),
    offset=st.none() | st.timedeltas(-timedelta(hours=14), timedelta(hours=14)),
    gps_utc=st.none() | st.datetimes(timezones=st.just(UTC)),
    where=st.none() | st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
)
def test_no_capture_time_can_raise(
    local: datetime | None,
    offset: timedelta | None,
    gps_utc: datetime | None,
    where: tuple[float, float] | None,
) -> None:
    """Every basis of ``resolve``, over any wall time, offset, GPS instant and place."""
    fix = GpsFix(where[0], where[1], None, "exif") if where else None
    problems: list[Problem] = []
    taken = resolve(local, offset, "exif:ExifIFD:DateTimeOriginal", fix, gps_utc, problems)
    if taken is not None and taken.local and taken.offset is not None and taken.utc:
        assert (taken.local - taken.offset).replace(tzinfo=UTC) == taken.utc


# --- 6. Padding boxes before a video's user data ----------------------------------------


def _pad_before_udta(video: bytes, padding: bytes) -> bytes:
    """``padding`` inserted in ``moov`` right before ``udta``, the moov size fixed up."""
    problems: list[Problem] = []
    moov = next(b for b in bmff.iter_boxes(video, 0, len(video), problems) if b.type == b"moov")
    udta = next(b for b in bmff.children(video, moov, problems) if b.type == b"udta")
    assert moov.body - moov.start == 8 and not problems
    out = bytearray(video[: udta.start] + padding + video[udta.start :])
    struct.pack_into(">I", out, moov.start, moov.end - moov.start + len(padding))
    return bytes(out)


@pytest.mark.parametrize("name", ["video/mei__with-gps.mp4", "video/mei__FLIR Thermal.mp4"])
def test_thousands_of_free_boxes_do_not_hide_a_video_location(name: str) -> None:
    video = _bytes(name)
    want = read_buffer(video, name)
    assert want.gps is not None
    padded = _pad_before_udta(video, b"\0\0\0\x08free" * 5000)
    got = read_buffer(padded, "padded.mp4")
    assert got.gps == want.gps and got.taken == want.taken
    assert not any(p.code == "box_limit" for p in got.problems), got.problems


def test_a_run_of_a_million_tiny_padding_boxes_ends_fast_and_says_so() -> None:
    name = "video/mei__with-gps.mp4"
    padded = _pad_before_udta(_bytes(name), b"\0\0\0\x08skip" * (bmff.MAX_PADDING_BOXES + 1))
    started = time.perf_counter()
    got = read_buffer(padded, "padding-bomb.mp4")
    assert time.perf_counter() - started < 2.0
    assert "box_limit" in _codes(got) and "reader_error" not in _codes(got)


# --- 7. An XMP packet rewritten in place over a longer one -------------------------------
# metadata-extractor-dotnet's issue 356 PNG: a .NET writer put a shorter packet over the old
# one in its iTXt chunk; the old packet's tail follows ``<?xpacket end?>``.  exiftool reads
# the packet (its DateTimeOriginal was the only capture time); geotrace lost it whole.


def _leftover(packet: bytes) -> bytes:
    """The packet followed by the second half of itself, as the old packet's tail."""
    return packet + packet[len(packet) // 2 :]


@pytest.mark.parametrize("where", ["sidecar", "png-itxt"])
def test_a_packet_followed_by_an_old_packets_tail_is_read(where: str) -> None:
    sidecar = _bytes(XMP_DONOR)
    want = read_buffer(sidecar, XMP_DONOR)
    damaged = _leftover(sidecar)
    if where == "png-itxt":
        damaged = _png_with(_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + damaged))
    got = read_buffer(damaged, f"leftover.{where}")
    assert want.gps is not None and got.gps == want.gps
    assert got.device == want.device and got.taken == want.taken
    assert "xmp_trailing_data" in _codes(got) and "xmp_invalid" not in _codes(got)


def test_a_packet_broken_before_its_end_is_still_refused() -> None:
    sidecar = _bytes(XMP_DONOR)
    cut = sidecar.index(b"</rdf:Description>")
    got = read_buffer(sidecar[:cut] + b"<oops" + sidecar[cut:], "broken.xmp")
    assert got.gps is None and "xmp_invalid" in _codes(got)


# --- 8. FujiFilm RAF: the EXIF is in the raw file's JPEG preview --------------------------
# exiftool's t/images/FujiFilm.raf (FinePix S5Pro): exiftool gives its date, make, model and
# Fuji serial from the preview; geotrace did not know the format and read nothing.
FUJI_JPEG = "jpeg/mei__FujiFilm FinePixS2Pro.jpg"


def _raf_around(jpeg: bytes, at: int = 148, length: int | None = None) -> bytes:
    """The RAF layout of the S5Pro file: magic, format version, camera id and name, then
    the preview's offset and length at byte 84, the preview at ``at``."""
    head = b"FUJIFILMCCD-RAW 0201FF392201" + b"FinePix S2Pro".ljust(32, b"\0") + b"0100"
    head = head.ljust(84, b"\0") + struct.pack(">II", at, len(jpeg) if length is None else length)
    return head.ljust(at, b"\0") + jpeg + b"\0" * 64  # raw sensor data would follow


def test_a_raf_is_read_from_its_jpeg_preview() -> None:
    jpeg = _bytes(FUJI_JPEG)
    want = read_buffer(jpeg, FUJI_JPEG)
    got = read_buffer(_raf_around(jpeg), "DSCF0001.RAF")
    assert got.mime == "image/x-fujifilm-raf" and got.kind == "image"
    assert want.gps is not None and got.gps == want.gps
    assert want.taken is not None and got.taken == want.taken
    assert want.device.make == "FUJIFILM" and got.device == want.device
    assert _codes(got) == _codes(want)


@pytest.mark.parametrize("at", [148, 1 << 31], ids=["length-past-end", "offset-past-end"])
def test_a_raf_preview_pointing_outside_the_file_is_a_problem(at: int) -> None:
    jpeg = _bytes(FUJI_JPEG)
    raf = _raf_around(jpeg, length=len(jpeg) * 2)
    if at != 148:
        raf = raf[:84] + struct.pack(">I", at) + raf[88:]
    got = read_buffer(raf, "DSCF0002.RAF")
    assert got.mime == "image/x-fujifilm-raf" and got.gps is None
    assert "raf_preview_invalid" in _codes(got)


# --- 9. FLIR's zone for EXIF's zoneless DateTimeOriginal ---------------------------------
# exiftool's t/images/FLIR.jpg (FLIR i7) and exifr's issue-exifr-3.jpg (DJI Zenmuse XT):
# EXIF says 14:17:08 with no zone, FLIR's CameraInfo says 14:17:08.253+01:00, the same
# clock.  exiftool gives the FLIR reading; geotrace kept EXIF's and called the zone unknown.
FLIR_DONOR = "jpeg/mei__FLIR Vue Pro 640.jpg"  # FLIR: 2016:06:27 15:29:42.041-04:00


def _flir_segments() -> bytes:
    """The FLIR Vue's APP1 ``FLIR\\0`` segments, whole, in file order."""
    data, pos, out = _bytes(FLIR_DONOR), 2, b""
    while data[pos + 1] != 0xDA:  # up to the scan
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if data[pos + 1] == 0xE1 and data[pos + 4 : pos + 9] == b"FLIR\0":
            out += data[pos : pos + 2 + length]
        pos += 2 + length
    return out


def _exif_photo_with_flir(written: bytes) -> bytes:
    """The EXIF donor, its DateTimeOriginal set to ``written``, the FLIR segments after
    its APP1 (the layout of a FLIR camera's JPEG)."""
    data = bytearray(_bytes(EXIF_DONOR))
    _put_text(data, "exif", DTO, written)
    app1_end = 4 + struct.unpack_from(">H", data, 4)[0]
    return bytes(data[:app1_end]) + _flir_segments() + bytes(data[app1_end:])


def test_exif_time_without_a_zone_takes_the_zone_of_flirs_same_reading() -> None:
    got = read_buffer(_exif_photo_with_flir(b"2016:06:27 15:29:42"), "flir-i7.jpg").taken
    assert got is not None and got.basis == "offset_tag"
    assert got.offset == timedelta(hours=-4)
    assert got.local == datetime(2016, 6, 27, 15, 29, 42, 10000)  # EXIF's own SubSec "01"
    assert got.utc == datetime(2016, 6, 27, 19, 29, 42, 10000, tzinfo=UTC)
    assert "vendor:DateTimeOriginal" in got.source


def test_flirs_zone_is_not_given_to_another_clocks_reading() -> None:
    got = read_buffer(_exif_photo_with_flir(b"2016:06:27 15:29:43"), "flir-late.jpg").taken
    assert got is not None and got.basis != "offset_tag"
    assert got.source == "exif:ExifIFD:DateTimeOriginal"


# --- 10. GoPro MP4: model and serials in the movie's user data ----------------------------
# gpmf-parser's max-heromode.mp4 and karma.mp4: exiftool gives the model (GPMF MINF), body
# serial (GPMF CASN), lens serial (LENS) and serial hash (CAME) of udta; geotrace gave none.
GOPRO_JPEG = "jpeg/exiftool__GoPro.jpg"  # APP6 GPMF: CASN C3221324657219, MINF HERO6 Black


def _atom(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _gopro_user_data() -> bytes:
    """GoPro's udta atoms, the GPMF being the GoPro JPEG's own APP6 payload."""
    jpeg = _bytes(GOPRO_JPEG)
    at = jpeg.index(b"GoPro\0DEVC") + 6
    (length,) = struct.unpack_from(">H", jpeg, at - 8)
    gpmf = jpeg[at : at - 8 + length]
    lens = b"LAJ7061317601275".ljust(48, b"\0")
    came = bytes.fromhex("3c311b4916149da8e1fc56a55a7eccd0")
    return _atom(b"LENS", lens) + _atom(b"CAME", came) + _atom(b"GPMF", gpmf)


def test_a_gopro_videos_user_data_gives_its_model_and_serials() -> None:
    name = "video/mei__with-gps.mp4"
    video = _bytes(name)
    want = read_buffer(video, name)
    got = read_buffer(_pad_before_udta(video, _atom(b"udta", _gopro_user_data())), "GX01.MP4")
    assert got.device.model == "HERO6 Black"
    assert got.device.serials == {
        "UserData:LensSerialNumber": "LAJ7061317601275",
        "UserData:SerialNumberHash": "3c311b4916149da8e1fc56a55a7eccd0",
        "GoPro:CameraSerialNumber": "C3221324657219",
    }
    assert got.gps == want.gps and got.taken == want.taken and _codes(got) == _codes(want)


def test_a_cut_gpmf_atom_costs_its_values_only() -> None:
    name = "video/mei__with-gps.mp4"
    whole = _gopro_user_data()
    head = 8 + 48 + 8 + 16  # the LENS and CAME atoms
    atoms = whole[:head] + _atom(b"GPMF", whole[head + 8 : -300])  # cut inside its DEVC
    got = read_buffer(_pad_before_udta(_bytes(name), _atom(b"udta", atoms)), "cut.mp4")
    assert got.device.model is None and "GoPro:CameraSerialNumber" not in got.device.serials
    assert "gpmf_truncated" in _codes(got)
    assert got.device.serials["UserData:LensSerialNumber"] == "LAJ7061317601275"
    assert got.gps is not None


# --- 11. Maker notes of other layouts, written into a real photo's maker note ------------
# Kodak's DX4900 photo (big-endian EXIF, a 924-byte maker note, a 22-byte Make) carries
# each note below in place of its own, with the Make the layout is chosen by.
NOTE_DONOR = "jpeg/exiftool__Kodak.jpg"
MAKE, MAKER_NOTE = 0x010F, 0x927C


def _with_note(note: bytes, make: bytes, *, drop_date: bool = False) -> bytes:
    """The donor with ``note`` over its maker note, ``make`` as IFD0's Make, and, if asked,
    its DateTimeOriginal entry renamed to a tag nobody reads."""
    data = bytearray(_bytes(NOTE_DONOR))
    _, at, size = _entry(bytes(data), "exif", MAKER_NOTE)
    assert len(note) <= size
    data[at : at + len(note)] = note
    _put_text(data, "ifd0", MAKE, make)
    if drop_date:
        entry, _, _ = _entry(bytes(data), "exif", DTO)
        struct.pack_into(">H", data, entry, 0xEEEE)
    return bytes(data)


def _note_at(data: bytes) -> int:
    """The maker note's offset from the TIFF header (what its pointers count from)."""
    return _entry(data, "exif", MAKER_NOTE)[1] - _tiff_at(data)


def _hyperfire(words: list[int], serial: str, big_endian_date: bool = False) -> bytes:
    """A Reconyx Hyperfire note: little-endian words, the date at word 0x0b as seconds,
    minutes, hours, month, day, year; the serial at byte 42 in UCS-2 (``Reconyx.pm``)."""
    if big_endian_date:
        words = [((w >> 8) | (w << 8)) & 0xFFFF for w in words]
    head = struct.pack("<4H", 0xF101, 3, 3, 0).ljust(22, b"\0")
    return (head + struct.pack("<6H", *words)).ljust(42, b"\0") + (serial + "\0").encode(
        "utf-16-le"
    )


@pytest.mark.parametrize("big_endian_date", [False, True], ids=["le-date", "be-date"])
def test_a_reconyx_hyperfire_note_gives_the_only_date_and_the_serial(
    big_endian_date: bool,
) -> None:
    """Reconyx HC500 on firmware 3.3.0: no EXIF date, no Make; exiftool's date and serial
    come from the maker note, and geotrace had neither."""
    note = _hyperfire([31, 8, 8, 5, 7, 2015], "H500DE01120343", big_endian_date)
    got = read_buffer(_with_note(note, b"", drop_date=True), "IMAG0001.JPG")
    assert got.taken is not None and got.taken.local == datetime(2015, 5, 7, 8, 8, 31)
    assert got.taken.source == "makernote:DateTimeOriginal"
    assert got.device.serials == {"Reconyx:SerialNumber": "H500DE01120343"}


def test_exifs_date_wins_over_the_reconyx_one() -> None:
    note = _hyperfire([0, 0, 10, 3, 16, 2020], "H500EE06130468")
    got = read_buffer(_with_note(note, b"RECONYX"), "IMAG0002.JPG")
    assert got.taken is not None and got.taken.source == "exif:ExifIFD:DateTimeOriginal"
    assert got.device.serials == {"Reconyx:SerialNumber": "H500EE06130468"}


def test_reconyx_hf2_and_ultrafire_notes_give_date_and_serial() -> None:
    hf2 = b"RECONYXH2\0".ljust(0x3E, b"\0") + struct.pack("<6H", 12, 4, 10, 4, 4, 2019)
    hf2 = hf2.ljust(0x7E, b"\0") + "HLPXEL09018779\0".encode("utf-16-le")
    uf = b"RECONYXUF\0".ljust(0x3B, b"\0") + bytes([5, 4, 3, 2, 1, 2018 % 256, 2018 // 256])
    uf = uf.ljust(0x4B, b"\0") + b"UF10EE12345678\0"
    for note, when, serial in (
        (hf2, datetime(2019, 4, 4, 10, 4, 12), "HLPXEL09018779"),
        (uf, datetime(2018, 1, 2, 3, 4, 5), "UF10EE12345678"),
    ):
        got = read_buffer(_with_note(note, b"RECONYX", drop_date=True), "RCNX0001.JPG")
        assert got.taken is not None and got.taken.local == when
        assert got.device.serials == {"Reconyx:SerialNumber": serial}


def test_a_reconyx_date_that_is_no_date_is_refused_and_the_serial_kept() -> None:
    note = _hyperfire([0, 0, 0, 0, 0, 0], "H500DE01120343")
    got = read_buffer(_with_note(note, b"RECONYX", drop_date=True), "IMAG0003.JPG")
    assert got.taken is None and "datetime_invalid" in _codes(got)
    assert got.device.serials == {"Reconyx:SerialNumber": "H500DE01120343"}


def test_a_nintendo_3ds_note_gives_the_internal_serial() -> None:
    """Pillow's sugarshack_bad_mpo_header.jpg: exiftool reads 0x575bbdf3 from CameraInfo."""
    data = _with_note(b"", b"Nintendo")
    info_at = _note_at(data) + 18  # after the one-entry IFD
    camera_info = b"3DS1\x01\0\0\0".ljust(0x18, b"\0") + bytes.fromhex("575bbdf3")
    ifd = struct.pack(">HHHII", 1, 0x1101, 7, 64, info_at) + b"\0\0\0\0"
    got = read_buffer(_with_note(ifd + camera_info.ljust(64, b"\0"), b"Nintendo"), "3ds.jpg")
    assert got.device.serials == {"Nintendo:InternalSerialNumber": "0x575bbdf3"}


@pytest.mark.parametrize("inline", [False, True], ids=["subifd-pointer", "inline-m580"])
def test_a_kodak_tiff_style_note_gives_the_serial_of_subifd0(inline: bool) -> None:
    """Kodak Z1012 IS: the note is a TIFF of its own whose SubIFD0 holds the serial; the
    M580 and later keep SubIFD0 inline, after a byte-order mark."""
    serial = b"KCXHZ81300092\0"
    if inline:  # SubIFD0 at 26 (from the note), offsets from its own first byte
        sub = b"MM" + struct.pack(">HHHII", 1, 0xFA19, 2, len(serial), 20) + b"\0" * 4 + serial
        main = struct.pack(">HHHII", 1, 0xFC00, 7, len(sub), 26)
    else:  # SubIFD0 at 26, offsets from the note
        sub = struct.pack(">HHHII", 1, 0xFA19, 2, len(serial), 44) + b"\0" * 4 + serial
        main = struct.pack(">HHHII", 1, 0xFC00, 4, 1, 26)
    note = b"MM\0*\0\0\0\x08" + main + b"\0" * 4 + sub
    got = read_buffer(_with_note(note, b"EASTMAN KODAK COMPANY"), "kodak.jpg")
    assert got.device.serials == {"Kodak:SerialNumber": "KCXHZ81300092"}


# --- 12. A DNG's copy of the maker note, in DNGPrivateData --------------------------------
# exiftool's t/images/DNG.dng: Adobe's converter keeps the Canon note in IFD0's
# DNGPrivateData ("Adobe\0" "MakN"); exiftool reads Canon's serials there, geotrace did not.
CANON_JPEG = "jpeg/exiftool__Canon.jpg"  # Canon:SerialNumber 560018150


def _tiff_file(entries: list[tuple[int, int, bytes]]) -> bytes:
    """A little-endian TIFF of one IFD; each entry (tag, type, value bytes) with its value
    after the directory (or inline when it fits)."""
    data_at = 8 + 2 + 12 * len(entries) + 4
    ifd, values = struct.pack("<H", len(entries)), b""
    for tag, typ, value in entries:
        count = len(value) // TYPE_SIZES[typ]
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
        else:
            ifd += struct.pack("<HHII", tag, typ, count, data_at + len(values))
            values += value + b"\0" * (len(value) % 2)
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\0\0\0\0" + values


def _dng_with_note_of(jpeg_name: str, camera_raw_pad: bool = False) -> bytes:
    """A DNG holding the JPEG's maker note as Adobe's converter copies it: the byte
    order, the note's original offset, the note (``camera_raw_pad``: Camera Raw's 12
    stray bytes first)."""
    jpeg = _bytes(jpeg_name)
    _, at, size = _entry(jpeg, "exif", MAKER_NOTE)
    order = jpeg[_tiff_at(jpeg) : _tiff_at(jpeg) + 2]
    pad = b"\0\0\0\x01" + b"\x55" * 8 if camera_raw_pad else b""
    makn = order + struct.pack(">I", at - _tiff_at(jpeg)) + pad + jpeg[at : at + size]
    private = b"Adobe\0" + b"MakN" + struct.pack(">I", len(makn)) + makn
    return _tiff_file(
        [
            (MAKE, 2, b"Canon\0"),
            (0x0110, 2, b"Canon EOS 350D DIGITAL\0"),
            (0xC612, 1, b"\x01\x01\0\0"),  # DNGVersion
            (0xC634, 1, private),  # DNGPrivateData
        ]
    )


@pytest.mark.parametrize("camera_raw_pad", [False, True], ids=["dng-converter", "camera-raw"])
def test_a_dngs_private_maker_note_gives_its_serials(camera_raw_pad: bool) -> None:
    want = read_buffer(_bytes(CANON_JPEG), CANON_JPEG).device.serials
    assert want["Canon:SerialNumber"] == "560018150"
    got = read_buffer(_dng_with_note_of(CANON_JPEG, camera_raw_pad), "IMG_0001.dng")
    assert got.mime == "image/x-adobe-dng"
    assert got.device.serials == {k: v for k, v in want.items() if k.startswith("Canon:")}


def test_a_makn_block_longer_than_its_tag_is_not_read() -> None:
    dng = bytearray(_dng_with_note_of(CANON_JPEG))
    at = dng.index(b"MakN") + 4
    struct.pack_into(">I", dng, at, 1 << 30)
    got = read_buffer(bytes(dng), "lying.dng")
    assert got.device.serials == {} and got.device.make == "Canon"


# --- 13. Panasonic RW2: the serial is in the embedded JPEG's maker note -------------------
# exiftool's t/images/Panasonic.rw2: the body's internal serial is only in the JpgFromRaw
# (tag 0x2E), a JPEG with the full EXIF, which exiftool reads as a document of the file.
PANASONIC_JPEG = "jpeg/exiftool__Panasonic.jpg"  # Panasonic:InternalSerialNumber S000407190102


def test_an_rw2s_embedded_jpeg_gives_the_maker_note_serial() -> None:
    jpeg = _bytes(PANASONIC_JPEG)
    entries = [(MAKE, 2, b"Panasonic\0"), (0x0110, 2, b"DMC-LX3\0"), (0x002E, 7, jpeg)]
    rw2 = b"IIU\0" + _tiff_file(entries)[4:]
    got = read_buffer(rw2, "P1000001.RW2")
    assert got.mime == "image/x-panasonic-rw2"
    assert got.device.serials["Panasonic:InternalSerialNumber"] == "S000407190102"
    assert got.device.make == "Panasonic" and got.device.model == "DMC-LX3"


def test_an_rw2s_cut_embedded_jpeg_costs_its_serials_and_says_so() -> None:
    jpeg = _bytes(PANASONIC_JPEG)
    cut = jpeg[: jpeg.index(b"Panasonic\0") + 40]  # inside the maker note
    entries = [(MAKE, 2, b"Panasonic\0"), (0x0110, 2, b"DMC-LX3\0"), (0x002E, 7, cut)]
    got = read_buffer(b"IIU\0" + _tiff_file(entries)[4:], "cut.RW2")
    assert "Panasonic:InternalSerialNumber" not in got.device.serials
    assert any(p.message.startswith("JpgFromRaw: ") for p in got.problems)
    assert got.device.model == "DMC-LX3"


# --- 14. A scanner TIFF whose Model is only in IFD1 ---------------------------------------
# metadata-extractor's ImageTestSuite 0c84d07e...tif (CanoScan N650U): IFD0 names no
# camera, IFD1 does; exiftool gives IFD1's Model, geotrace gave none.


def _two_page_tiff(ifd0: list[tuple[int, int, bytes]], model1: bytes) -> bytes:
    """A TIFF of two directories: ``ifd0``'s entries, then an IFD1 holding only Model."""
    first = _tiff_file(ifd0)
    ifd1_at = len(first)
    (count,) = struct.unpack_from("<H", first, 8)
    link = 8 + 2 + 12 * count
    ifd1 = struct.pack("<HHHII", 1, 0x0110, 2, len(model1), ifd1_at + 18) + b"\0" * 4
    return first[:link] + struct.pack("<I", ifd1_at) + first[link + 4 :] + ifd1 + model1


@pytest.mark.parametrize(
    ("ifd0", "want"),
    [
        ([(0x0100, 3, b"\x80\x02")], "CanoScan N650U/N656U"),
        ([(0x0100, 3, b"\x80\x02"), (0x0110, 2, b"Scanner\0")], "Scanner"),
    ],
    ids=["only-in-ifd1", "ifd0-wins"],
)
def test_the_model_of_ifd1_is_read_only_where_ifd0_names_none(
    ifd0: list[tuple[int, int, bytes]], want: str
) -> None:
    got = read_buffer(_two_page_tiff(ifd0, b"CanoScan N650U/N656U\0"), "scan.tif")
    assert got.device.model == want and not got.problems


def test_a_broken_ifd1_link_is_said_when_it_is_read() -> None:
    data = bytearray(_two_page_tiff([(0x0100, 3, b"\x80\x02")], b"CanoScan\0"))
    struct.pack_into("<I", data, 8 + 2 + 12, 1 << 30)
    got = read_buffer(bytes(data), "scan.tif")
    assert got.device.model is None and "ifd_out_of_bounds" in _codes(got)


# --- 15. XMP's SubSecTimeOriginal beside XMP's DateTimeOriginal ---------------------------
# bep/imagemeta's utf8-in-ztxt.png: the only date is XMP's, 06:07:09, and XMP's
# exif:SubSecTimeOriginal says .57; exiftool gives both, geotrace dropped the fraction.
XMP_DATE_DONOR = "jpeg/superdesk__cp.jpg"  # XMP: exif:DateTimeOriginal="2020-07-08T09:49:13"


def _xmp_packet(extra: bytes) -> bytes:
    """The donor's XMP packet as a sidecar, ``extra`` after its DateTimeOriginal."""
    jpeg = _bytes(XMP_DATE_DONOR)
    start, end = jpeg.index(b"<x:xmpmeta"), jpeg.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    date = b'exif:DateTimeOriginal="2020-07-08T09:49:13"'
    assert date in jpeg[start:end]
    return jpeg[start:end].replace(date, date + extra)


@pytest.mark.parametrize(
    ("extra", "micro"),
    [(b' exif:SubSecTimeOriginal="57"', 570000), (b"", 0), (b' exif:SubSecTimeOriginal="x"', 0)],
    ids=["subsec", "none", "not-digits"],
)
def test_xmps_subseconds_complete_xmps_date(extra: bytes, micro: int) -> None:
    got = read_buffer(_xmp_packet(extra), "cp.xmp").taken
    assert got is not None and got.source == "xmp:exif:DateTimeOriginal"
    assert got.local == datetime(2020, 7, 8, 9, 49, 13, micro)
