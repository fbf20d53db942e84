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
