"""The HEIF and movie cleaners on the real corpus and on files built here.

On every heif/ and video/ file, and every malformed/ file that sniffs as one, a cleaner
either refuses with a reason or gives a file of the same size in which geotrace's reader
finds no location, time or device, exiftool 13.59 finds no metadata tag beyond structure,
the decoded picture (HEIF) or the first five frames (movies) are unchanged, and cleaning
again is a fixed point: no removal at all and the same bytes.
"""

from __future__ import annotations

import io
import json
import mmap
import re
import struct
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.audit.cleaned import Cleaned, Keep, Refused, assemble
from geotrace.audit.heif import HEIF_MIMES, clean_heif
from geotrace.audit.movie import clean_movie
from geotrace.evidence.reader import read_buffer
from geotrace.evidence.sniff import sniff
from tests.conftest import require_shared

av = pytest.importorskip("av", reason="PyAV decodes the movies' frames here")
pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif decodes HEIC here")
imagecodecs = pytest.importorskip("imagecodecs", reason="imagecodecs decodes AVIF here")

EXIFTOOL13 = Path("/opt/exiftool13/node_modules/exiftool-vendored.pl/bin/exiftool")
Cleaner = Callable[[Any, Keep], Cleaned]
NOTHING = Keep()
#: Files whose original no decoder here reads, so "pixels unchanged" has nothing to compare:
#: exiftool's 623-byte sample holds a stub HEVC stream libheif rejects.
UNDECODABLE = {"exiftool__QuickTime.heic"}


def cleaner_of(data: bytes, name: str) -> Cleaner | None:
    fmt = sniff(data[:64], name)
    if fmt.container == "video":
        return clean_movie
    if fmt.container == "bmff" and fmt.mime in HEIF_MIMES:
        return clean_heif
    return None


def leaks(out: bytes) -> list[str]:
    meta = read_buffer(out, "cleaned")
    found = [k for k in ("gps", "taken") if getattr(meta, k) is not None]
    found += [k for k in ("make", "model", "software") if getattr(meta.device, k)]
    return found + (["serials"] if meta.device.serials else [])


def fixed_point(cleaner: Cleaner, out: bytes) -> None:
    """A cleaned file cleaned again: nothing removed (every neutralised box is a ``free``
    box of zeros, every date and name already zero) and not one byte changed."""
    again = cleaner(out, NOTHING)
    assert again.removed == ()
    assert assemble(out, again.pieces) == out


def picture(data: bytes) -> np.ndarray | str:
    """The primary image as decoded, or the decoder's error."""
    try:
        return np.asarray(pillow_heif.open_heif(io.BytesIO(data)))
    except Exception as exc:  # AV1 is not in pillow-heif's wheel: libavif through imagecodecs
        if b"avif" not in data[:32]:
            return type(exc).__name__
    try:
        return np.asarray(imagecodecs.avif_decode(data))
    except Exception as exc:  # the comparison wants the failure, whatever it is
        return type(exc).__name__


def frames(data: bytes, n: int = 5) -> list[np.ndarray] | str:
    """The first ``n`` frames of the first video stream (none: an empty list), or the error."""
    out: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data)) as movie:
            video = [s for s in movie.streams if s.type == "video"]
            if not video:
                return out
            for frame in movie.decode(video[0]):
                out.append(frame.to_ndarray(format="rgb24"))
                if len(out) == n:
                    break
    except Exception as exc:  # the comparison wants the failure, whatever it is
        return type(exc).__name__
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a.shape == b.shape and (a == b).all())


# -- the real corpus ------------------------------------------------------------------


def corpus_files() -> list[Path]:
    """heif/ and video/ files, and malformed/ files that sniff as HEIF or movie; JPEG XL
    files (in heif/) belong to the JPEG XL cleaner."""
    root = require_shared()
    paths = [*sorted((root / "heif").iterdir()), *sorted((root / "video").iterdir())]
    paths += sorted((root / "malformed").iterdir())
    return [p for p in paths if cleaner_of(p.read_bytes()[:64], p.name)]


@dataclass
class Corpus:
    """Every corpus file through its cleaner once, and where the outputs were written
    (one folder, for the single exiftool call)."""

    results: dict[str, tuple[bytes, Cleaned | str]]  # name: (original, result or reason)
    folder: Path
    seconds: float

    def outputs(self) -> dict[str, tuple[bytes, bytes, Cleaned]]:
        return {
            name: (data, assemble(data, result.pieces), result)
            for name, (data, result) in self.results.items()
            if isinstance(result, Cleaned)
        }


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    results: dict[str, tuple[bytes, Cleaned | str]] = {}
    seconds = 0.0
    for path in corpus_files():
        data = path.read_bytes()
        cleaner = cleaner_of(data, path.name)
        assert cleaner is not None
        start = time.perf_counter()
        try:
            result: Cleaned | str = cleaner(data, NOTHING)
        except Refused as exc:
            result = str(exc)
        seconds += time.perf_counter() - start
        results[path.name] = (data, result)
    corpus = Corpus(results, tmp_path_factory.mktemp("isobmff"), seconds)
    for name, (_, out, _) in corpus.outputs().items():
        (corpus.folder / name).write_bytes(out)
    return corpus


def test_real_files_clean_or_refuse_with_a_reason(cleaned: Corpus) -> None:
    refused = {k: v for k, (_, v) in cleaned.results.items() if isinstance(v, str)}
    assert all(len(reason) > 20 for reason in refused.values())
    # every real HEIC/AVIF and movie is cleaned; only damaged files are refused
    real = {p.name for p in corpus_files() if p.parent.name in ("heif", "video")}
    assert not real & set(refused)
    # a movie cut off inside its header is refused, never half-cleaned
    assert "moov" in refused["derived__with-gps.mp4.truncated-in-xyz.mp4"]
    assert len(cleaned.outputs()) >= 25
    assert cleaned.seconds < 2.0  # ~12 MB of HEIC and movies: linear, or far over


def test_cr3_and_jpeg_xl_are_not_claimed() -> None:
    root = require_shared()
    for path in [*root.glob("heif/*.jxl"), root / "other" / "exiftool__CanonRaw.cr3"]:
        with pytest.raises(Refused, match=r"JPEG XL|Canon CR3"):
            clean_heif(path.read_bytes(), NOTHING)


def test_cleaned_files_say_nothing_to_geotrace(cleaned: Corpus) -> None:
    for name, (data, out, result) in cleaned.outputs().items():
        assert len(out) == len(data), name
        assert leaks(out) == [], name
        assert result.removed or not leaks(data), name


def test_libheif_finds_no_metadata_item_or_thumbnail(cleaned: Corpus) -> None:
    opened = 0
    for name, (data, out, _) in cleaned.outputs().items():
        if cleaner_of(data, name) is not clean_heif:
            continue
        info = pillow_heif.open_heif(io.BytesIO(out)).info  # reads the item table only
        assert not info.get("exif") and not info.get("xmp"), name
        assert info["metadata"] == [] and info["thumbnails"] == [], name
        opened += 1
    assert opened >= 10


def test_cleaning_twice_changes_nothing(cleaned: Corpus) -> None:
    for name, (data, out, _) in cleaned.outputs().items():
        cleaner = cleaner_of(data, name)
        assert cleaner is not None
        fixed_point(cleaner, out)


def test_pictures_and_frames_unchanged(cleaned: Corpus) -> None:
    def decode(item: tuple[str, tuple[bytes, bytes, Cleaned]]) -> tuple[str, Any, Any]:
        name, (data, out, _) = item
        decoder = frames if sniff(data[:64], name).container == "video" else picture
        return name, decoder(data), decoder(out)

    with ThreadPoolExecutor(max_workers=8) as pool:  # libheif and FFmpeg release the GIL
        decoded = list(pool.map(decode, cleaned.outputs().items()))
    compared = 0
    for name, before, after in decoded:
        assert same(before, after), name
        if name in UNDECODABLE:
            assert isinstance(before, str), f"{name} decodes now: take it off UNDECODABLE"
        compared += not isinstance(before, str) and bool(len(before))
    assert compared >= 17  # 8 HEIC/AVIF + 9 movies with frames


#: exiftool groups that are structure (file type, movie/track headers, HEIF item table).
STRUCTURE_GROUPS = re.compile(r"^(ExifTool|System|File|QuickTime|Track\d+|Meta|Composite)$")
ZERO_DATE = "0000:00:00 00:00:00"
DATES = re.compile(r"^(Track|Media)?(Create|Modify)Date$")
FORBIDDEN = re.compile(
    r"^GPS|Serial|^(Make|Model|Software|Encoder|ContentIdentifier|CompressorName|"
    r"HandlerDescription|MakerNotes?)$|Vendor|Thumbnail|PreviewImage"
)


def residuals(record: dict[str, Any]) -> list[str]:
    found = []
    for key, value in record.items():
        if key == "SourceFile":
            continue
        group, _, tag = key.partition(":")
        if not STRUCTURE_GROUPS.match(group):
            found.append(key)  # Keys, UserData, ItemList, XMP-*, IFD0, GPS, ICC, MakerNotes...
        elif value not in ("", ZERO_DATE) and (FORBIDDEN.search(tag) or DATES.match(tag)):
            found.append(f"{key}={value}")  # an emptied name or a zeroed date says nothing
    return found


@pytest.mark.skipif(not EXIFTOOL13.exists(), reason=f"exiftool 13.59 not at {EXIFTOOL13}")
def test_exiftool_finds_only_structure(cleaned: Corpus) -> None:
    files = sorted(str(p) for p in cleaned.folder.iterdir())
    run = subprocess.run(
        [str(EXIFTOOL13), "-json", "-a", "-G1", "-ee", "-q", "-q", *files],
        capture_output=True,
        check=False,
        timeout=60,
    )
    records = json.loads(run.stdout)
    assert len(records) == len(cleaned.outputs())
    left = {Path(r["SourceFile"]).name: residuals(r) for r in records}
    assert {k: v for k, v in left.items() if v} == {}


# -- files built here -----------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def u32(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


def hdlr(kind: bytes, name: bytes) -> bytes:
    return full(b"hdlr", u32(0) + kind + b"appl" + bytes(8) + name)


def iso639(code: str) -> bytes:
    return struct.pack(">H", sum((ord(c) - 0x60) << (10 - 5 * i) for i, c in enumerate(code)))


UKR = iso639("ukr")


def track(handler: bytes, entry: bytes, offset: int, sizes: list[int], stco: bool = True) -> bytes:
    """One track whose samples are one chunk at ``offset``."""
    stbl = box(
        b"stbl",
        full(b"stsd", u32(1) + entry)
        + full(b"stsc", u32(1, 1, len(sizes), 1))
        + full(b"stsz", u32(0, len(sizes), *sizes))
        + (full(b"stco", u32(1, offset)) if stco else b""),
    )
    mdia = box(
        b"mdia",
        full(b"mdhd", u32(3_700_000_000, 3_700_000_001, 1000, 40) + UKR + bytes(2))
        + hdlr(handler, b"GoPro AVC encoder\0")
        + box(b"minf", stbl),
    )
    return box(b"trak", full(b"tkhd", u32(3_700_000_000, 3_700_000_000, 1) + bytes(68)) + mdia)


AVC1 = box(
    b"avc1",
    bytes(6)
    + b"\0\1"
    + bytes(4)
    + b"appl"
    + bytes(8)
    + b"\0\x40\0\x40"
    + bytes(14)
    + (b"\x11GoPro AVC encoder").ljust(32, b"\0")
    + b"\0\x18\xff\xff",
)
GPMD = box(b"gpmd", bytes(6) + b"\0\1")
VIDEO, GPS = b"V" * 16, b"GPS+48.85+002.29"


def movie(
    meta_offset: int | None = None, stco: bool = True, tail: bytes = b"SEFT-trailer"
) -> bytes:
    """ftyp, mdat (a video sample, then a GPS sample), moov (video + gpmd track, udta ©xyz),
    an XMP uuid box, a free box with an old copy of the location, then a trailer."""
    ftyp = box(b"ftyp", b"isom" + u32(0) + b"isom")
    video_at = len(ftyp) + 8
    gps_at = video_at + len(VIDEO)
    mdat = box(b"mdat", VIDEO + GPS)
    moov = box(
        b"moov",
        full(b"mvhd", u32(3_700_000_000, 3_700_000_001, 1000, 40) + bytes(80))
        + track(b"vide", AVC1, video_at, [16])
        + track(b"meta", GPMD, gps_at if meta_offset is None else meta_offset, [4, 12], stco)
        + box(b"udta", box(b"\xa9xyz", b"\0\x12\x15\xc7+48.8583+002.2945/")),
    )
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<x:xmpmeta/>")
    return ftyp + mdat + moov + xmp + box(b"free", b"+48.8583+002.2945/") + tail


def kinds(result: Cleaned) -> list[tuple[str, str]]:
    return [(r.kind, r.where) for r in result.removed]


def test_built_movie_loses_exactly_its_metadata() -> None:
    data = movie()
    assert read_buffer(data).gps is not None
    result = clean_movie(data, NOTHING)
    assert kinds(result) == [
        ("xmp", f"uuid box at {data.index(b'uuid') - 4}"),
        ("free", "file/free"),
        ("trailer", "bytes after the last box"),
        ("user_data", "moov/udta"),
        ("time", "moov/mvhd"),
        ("time", "moov/trak 1/tkhd"),
        ("time", "moov/trak 1/mdhd"),
        ("other", "moov/trak 1/mdhd language"),
        ("name", "moov/trak 1/mdia/hdlr name"),
        ("name", "moov/trak 1/avc1 vendor"),
        ("name", "moov/trak 1/avc1 compressor"),
        ("timed_metadata", "moov/trak 2 (meta, gpmd)"),
        ("timed_metadata", "moov/trak 2 (meta, gpmd) samples in mdat"),
    ]
    out = assemble(data, result.pieces)
    assert len(out) == len(data)
    assert out[28:44] == VIDEO  # the picture's sample is untouched
    assert out[44:60] == bytes(16)  # the GPS sample is zeros
    assert b"GoPro" not in out and b"48.85" not in out and b"xmpmeta" not in out
    assert out.count(iso639("und")) == 1 and UKR not in out[: data.index(b"udta")]
    assert out.endswith(struct.pack(">I4s", len(b"SEFT-trailer"), b"free") + bytes(4))
    assert leaks(out) == []
    assert result.kept == ("orientation (the track matrix: how the player turns the picture)",)
    fixed_point(clean_movie, out)


def test_mapped_file_gives_the_same_pieces(tmp_path: Path) -> None:
    """scrub maps large files; a cleaner must read an mmap as it reads bytes."""
    path = tmp_path / "m.mp4"
    path.write_bytes(movie())
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert clean_movie(mapped, NOTHING) == clean_movie(movie(), NOTHING)


def test_movie_refusals_say_why() -> None:
    with pytest.raises(Refused, match="sample table is incomplete"):
        clean_movie(movie(stco=False), NOTHING)
    with pytest.raises(Refused, match="shares bytes with the picture"):
        clean_movie(movie(meta_offset=28), NOTHING)  # the "GPS" chunk is the video sample
    with pytest.raises(Refused, match="points outside the media data"):
        clean_movie(movie(meta_offset=0), NOTHING)  # zeroing would erase the ftyp header
    data = movie()
    cut = data.index(b"udta") + 4
    with pytest.raises(Refused, match="cut off inside its movie header"):
        clean_movie(data[:cut], NOTHING)
    with pytest.raises(Refused, match="fragmented"):
        clean_movie(data[: data.index(b"uuid") - 4] + box(b"moof", bytes(8)), NOTHING)
    with pytest.raises(Refused, match="no movie header"):
        clean_movie(box(b"ftyp", b"isom" + u32(0)) + box(b"mdat", VIDEO), NOTHING)


def test_pyav_movie_with_location_and_date(tmp_path: Path) -> None:
    path = tmp_path / "tiny.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata.update(location="+48.8583+002.2945/", creation_time="2024-01-02T03:04:05Z")
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(8):
            image = np.full((64, 64, 3), i * 20, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        out.mux(stream.encode())
    data = path.read_bytes()
    assert read_buffer(data).gps is not None and read_buffer(data).taken is not None
    result = clean_movie(data, NOTHING)
    assert [k for k, _ in kinds(result)] == ["user_data", "time", "time", "time", "name"]
    out = assemble(data, result.pieces)
    assert leaks(out) == []
    assert same(frames(data), frames(out)) and len(frames(out)) == 5
    fixed_point(clean_movie, out)


XMPDATA = b"<x:xmpmeta>GPS</x:xmpmeta>"


def heif() -> tuple[bytes, dict[str, int]]:
    """A HEIF with a primary hvc1 item, an Exif item (in mdat), an XMP item (in idat), a
    thumbnail (thmb), an ICC profile (marked essential, as iPhones do) and a spatial extent."""
    infe = [
        full(b"infe", struct.pack(">HH", 1, 0) + b"hvc1" + b"\0", version=2),
        full(b"infe", struct.pack(">HH", 2, 0) + b"Exif" + b"\0", version=2),
        full(b"infe", struct.pack(">HH", 3, 0) + b"mime" + b"\0application/rdf+xml\0", version=2),
        full(b"infe", struct.pack(">HH", 4, 0) + b"hvc1" + b"\0", version=2),
    ]
    iinf = full(b"iinf", struct.pack(">H", len(infe)) + b"".join(infe))
    iref = full(
        b"iref",
        box(b"thmb", struct.pack(">HHH", 4, 1, 1)) + box(b"cdsc", struct.pack(">HHH", 2, 1, 1)),
    )
    ipco = box(b"ipco", box(b"colr", b"prof" + b"ICC:Apple 2023") + full(b"ispe", u32(64, 64)))
    ipma = full(
        b"ipma", u32(2) + struct.pack(">HBBB", 1, 2, 0x81, 0x82) + struct.pack(">HBB", 4, 1, 0x82)
    )
    iprp = box(b"iprp", ipco + ipma)
    idat = box(b"idat", XMPDATA)

    def iloc(mdat_at: int) -> bytes:
        rows = [
            (1, 0, mdat_at, 10),
            (2, 0, mdat_at + 10, 12),
            (3, 1, 0, len(XMPDATA)),
            (4, 0, mdat_at + 22, 6),
        ]
        body = struct.pack(">HH", 0x4400, len(rows))
        for item_id, method, off, length in rows:
            body += struct.pack(">HHHHII", item_id, method, 0, 1, off, length)
        return full(b"iloc", body, version=1)

    ftyp = box(b"ftyp", b"heic" + u32(0) + b"mif1heic")
    parts = [hdlr(b"pict", b""), full(b"pitm", struct.pack(">H", 1)), iinf, iref, iprp, idat]
    size = len(full(b"meta", b"".join(parts) + iloc(0)))
    mdat_at = len(ftyp) + size + 8
    meta = full(b"meta", b"".join(parts) + iloc(mdat_at))
    payload = b"PICTURE!!!" + b"\0\0\0\0II*\0EXIF" + b"THUMB!"
    data = ftyp + meta + box(b"mdat", payload)
    return data, {"mdat": mdat_at, "idat": data.index(XMPDATA)}


def test_built_heif_items_neutralised() -> None:
    data, at = heif()
    result = clean_heif(data, NOTHING)
    assert kinds(result) == [
        ("name", "meta/hdlr name"),  # the reserved bytes said "appl"
        ("exif", "item 2 Exif"),
        ("xmp", "item 3 mime"),
        ("thumbnail", "item 4 hvc1"),
        ("icc", "ipco property 1 colr ICC profile"),
    ]
    out = assemble(data, result.pieces)
    m = at["mdat"]
    assert out[m : m + 10] == b"PICTURE!!!"  # the picture's bytes
    assert out[m + 10 : m + 28] == bytes(18)  # Exif and thumbnail zeroed in mdat
    assert out[at["idat"] : at["idat"] + 26] == bytes(26)  # XMP zeroed in idat
    assert out.count(b"Exif") == 0 and out.count(b"thmb") == 0 and out.count(b"cdsc") == 0
    assert out.count(b"hvc1") == 1  # only the primary is still a picture
    assert b"ICC:Apple" not in out
    ipma = out.index(b"ipma") + 4
    assert out[ipma + 11 : ipma + 13] == b"\x01\x82"  # colr no longer essential; hvcC is
    assert result.kept[-1].startswith("orientation")
    assert "ICC" in result.notes[0]
    fixed_point(clean_heif, out)


def test_built_heif_keeps_icc_when_asked() -> None:
    data, _ = heif()
    result = clean_heif(data, Keep(icc=True))
    assert "icc" not in [r.kind for r in result.removed]
    assert b"ICC:Apple" in assemble(data, result.pieces)
    assert "ICC colour profile (asked for)" in result.kept


def test_heif_refusals() -> None:
    cr3 = box(b"ftyp", b"crx " + u32(1) + b"crx isom") + box(b"moov", b"")
    with pytest.raises(Refused, match="Canon CR3"):
        clean_heif(cr3, NOTHING)
    jxl = bytes.fromhex("0000000c4a584c200d0a870a") + box(b"ftyp", b"jxl " + u32(0) + b"jxl ")
    with pytest.raises(Refused, match="JPEG XL"):
        clean_heif(jxl, NOTHING)
    data, at = heif()
    with pytest.raises(Refused, match="cut off inside its item table"):
        clean_heif(data[:200], NOTHING)
    exif_row = struct.pack(">HHHHII", 2, 0, 0, 1, at["mdat"] + 10, 12)
    shared = data.replace(exif_row, struct.pack(">HHHHII", 2, 0, 0, 1, at["mdat"] + 8, 12))
    assert shared != data
    with pytest.raises(Refused, match="shares bytes with the picture"):
        clean_heif(shared, NOTHING)
    outside = data.replace(exif_row, struct.pack(">HHHHII", 2, 0, 0, 1, 4, 12))
    with pytest.raises(Refused, match="points outside the media data"):
        clean_heif(outside, NOTHING)


# -- hostile input ---------------------------------------------------------------------


def survive(cleaner: Cleaner, data: bytes) -> None:
    try:
        result = cleaner(data, NOTHING)
    except Refused as exc:
        assert str(exc)
        return
    assert result.size() == len(data)


SEEDS = {"movie": movie(), "heif": heif()[0]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SEEDS)),
    st.integers(0, 2000),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
)
def test_fuzzed_files_clean_or_refuse(seed: str, cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SEEDS[seed])
    for at, value in flips:
        data[at % len(data)] = value
    blob = bytes(data[: max(8, len(data) - cut % len(data))])
    survive(clean_movie if seed == "movie" else clean_heif, blob)


def test_fuzzed_real_files_clean_or_refuse() -> None:
    """Truncations and byte flips of a real HEIC and a real movie, deterministic."""
    root = require_shared()
    rng = np.random.default_rng(19)
    for name, cleaner in (
        ("heif/exiv2__Stonehenge.heic", clean_heif),
        ("video/mei__sample.3gp", clean_movie),
    ):
        seed = (root / name).read_bytes()[:4096]
        for _ in range(150):
            data = bytearray(seed[: int(rng.integers(8, len(seed)))])
            for at in rng.integers(0, len(data), size=int(rng.integers(1, 5))):
                data[int(at)] = int(rng.integers(0, 256))
            survive(cleaner, bytes(data))


def test_residuals_sorts_exiftool_tags() -> None:
    record = {
        "SourceFile": "x.mov",
        "Keys:GPSCoordinates": "48 deg 51' 30.00\" N",
        "Track1:MediaCreateDate": "2020:01:02 03:04:05",
        "Track1:CompressorName": "",
        "Track2:EncoderVendor": "appl",
        "QuickTime:CreateDate": ZERO_DATE,
        "QuickTime:ImageSpatialExtent": "64x64",
    }
    assert residuals(record) == [
        "Keys:GPSCoordinates",
        "Track1:MediaCreateDate=2020:01:02 03:04:05",
        "Track2:EncoderVendor=appl",
    ]
