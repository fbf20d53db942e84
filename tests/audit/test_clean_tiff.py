"""The TIFF cleaner on the corpus' TIFFs and on TIFFs built here: pixels identical,
nothing identifying left for geotrace's reader or for exiftool, raws and damage refused."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import imagecodecs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, TiffImagePlugin

from geotrace.audit.cleaned import Cleaned, Keep, Refused, assemble
from geotrace.audit.exiftool import ExifTool, probe_exiftool, read_back
from geotrace.audit.tiff_clean import clean_tiff
from geotrace.evidence.reader import read_buffer
from geotrace.evidence.sniff import sniff
from tests.conftest import PHOTOS, require_shared

#: What each TIFF-like corpus file must give: None = cleaned, else words of the refusal.
CORPUS = {
    "other/exiftool__ExifTool.tif": None,
    "other/photoprism__example.tif": None,
    "malformed/exifrs__yaminabe.tif": None,
    "other/exiv2__IMG_1361.dng": "raw camera file",
    "malformed/exiv2__2018-01-09-exiv2-crash-001.tiff": "BigTIFF",
    "malformed/mei__crash-15e5cd044a709974fb9a9f73998d3132cecdcbdb.fuzzed": "damaged",
}
NO_KEEP = Keep()
EXIFTOOL13 = Path("/opt/exiftool13/node_modules/exiftool-vendored.pl/bin/exiftool")


# --- a small TIFF writer, for files Pillow cannot make --------------------------------

_FMT = {1: "B", 3: "H", 4: "I", 5: "I", 16: "Q"}
_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 16: 8}
Tags = dict[int, tuple[int, Sequence[int] | bytes]]


def build(
    pages: list[tuple[Tags, list[bytes]]], order: str = "<", tiles: bool = False
) -> tuple[bytearray, list[int]]:
    """A TIFF with each page's blocks as strips (or tiles) and its directory; returns the
    bytes and where each directory starts.  Offsets and counts given in the tags win; a
    page whose tags hold 0xFFFF is left out of the chain (a sub-directory to point at)."""
    out = bytearray(b"II*\0" if order == "<" else b"MM\0*") + bytes(4)
    link, dirs = 4, []
    offsets_tag, counts_tag = (324, 325) if tiles else (273, 279)
    for tags, blocks in pages:
        offsets = []
        for block in blocks:
            offsets.append(len(out))
            out += block
        out += bytes(len(out) & 1)
        tags = {offsets_tag: (4, offsets), counts_tag: (4, [len(b) for b in blocks]), **tags}
        linked = 0xFFFF not in tags
        tags.pop(0xFFFF, None)
        at = len(out)
        dirs.append(at)
        if linked:
            struct.pack_into(order + "I", out, link, at)
        values_at = at + 2 + 12 * len(tags) + 4
        ifd, values = struct.pack(order + "H", len(tags)), b""
        for tag, (typ, vals) in sorted(tags.items()):
            raw = (
                vals
                if isinstance(vals, bytes)
                else struct.pack(f"{order}{len(vals)}{_FMT[typ]}", *vals)
            )
            count = len(raw) // _SIZE[typ]
            if len(raw) <= 4:
                ifd += struct.pack(order + "HHI", tag, typ, count) + raw.ljust(4, b"\0")
            else:
                ifd += struct.pack(order + "HHII", tag, typ, count, values_at + len(values))
                values += raw + bytes(len(raw) & 1)
        if linked:
            link = at + len(ifd)
        out += ifd + bytes(4) + values
    return out, dirs


def gray(width: int, height: int, **extra: tuple[int, Sequence[int] | bytes]) -> Tags:
    tags: Tags = {
        256: (3, [width]),
        257: (3, [height]),
        258: (3, [8]),
        259: (3, [1]),
        262: (3, [1]),
        277: (3, [1]),
        278: (3, [height]),
    }
    tags.update({int(k[1:], 16): v for k, v in extra.items()})
    return tags


def ramp(n: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 256 for i in range(n))


# --- checks ------------------------------------------------------------------------------


def frames(data: bytes) -> list[tuple[tuple[int, ...], bytes]]:
    """The stored pixels of every page, decoded by libtiff (imagecodecs), up to the first
    page it cannot decode: Pillow would turn them by the Orientation tag first."""
    found = []
    for index in range(16):
        try:
            pixels = imagecodecs.tiff_decode(data, index=index)
        except (IndexError, imagecodecs.TiffError):
            break
        found.append((pixels.shape, pixels.tobytes()))
    return found


def cleaned(data: bytes, keep: Keep = NO_KEEP) -> tuple[Cleaned, bytes]:
    result = clean_tiff(data, keep)
    return result, assemble(data, result.pieces)


def assert_clean(out: bytes, keep: Keep = NO_KEEP) -> None:
    """geotrace's reader finds nothing, and cleaning again changes nothing."""
    meta = read_buffer(out)
    assert meta.gps is None and meta.taken is None, meta
    assert meta.device.make is None and meta.device.model is None, meta.device
    assert meta.device.software is None and not meta.device.serials, meta.device
    again, out2 = cleaned(out, keep)
    assert again.removed == () and out2 == out


def test_corpus_list_is_complete() -> None:
    """Every TIFF-like file of other/ and malformed/ has an expectation above."""
    require_shared()
    found = {
        f"{p.parent.name}/{p.name}"
        for folder in ("other", "malformed")
        for p in (PHOTOS / folder).iterdir()
        if sniff(p.read_bytes()[:64], p.name).container == "tiff"
        or p.suffix.lower() in (".tif", ".tiff", ".dng")
    }
    assert found == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file(name: str) -> None:
    data = (require_shared() / name).read_bytes()
    refusal = CORPUS[name]
    if refusal is not None:
        with pytest.raises(Refused, match=refusal):
            clean_tiff(data, Keep())
        return
    assert read_buffer(data).device.make or read_buffer(data).device.serials
    result, out = cleaned(data)
    assert_clean(out)
    assert frames(out) == frames(data) != []
    kinds = {r.kind for r in result.removed}
    assert "exif" in kinds
    assert len(out) < len(data)


def test_photoprism_inventory() -> None:
    """The file Pillow's re-save leaves almost untouched (audit.md) loses every block."""
    data = (require_shared() / "other/photoprism__example.tif").read_bytes()
    result, _ = cleaned(data)
    names = {r.where.split(" ", 2)[2] for r in result.removed}
    assert {"Make", "Model", "Software", "DateTime", "XMP", "IPTC", "Photoshop"} <= names
    assert {"ExifIFD", "GPS", "ICC profile", "Orientation"} <= names
    kept, out = cleaned(data, Keep(orientation=True, icc=True))
    assert kept.kept == ("icc", "orientation")
    with Image.open(io.BytesIO(out)) as im:
        assert im.getexif()[0x0112] == 1
        assert im.info["icc_profile"]


def pillow_tiff(compression: str, nested: bool) -> bytes:
    """A TIFF from Pillow carrying device, owner, times, XMP, ICC and (uncompressed only:
    Pillow's libtiff path cannot write sub-directories) EXIF and GPS directories."""
    im = (
        Image.linear_gradient("L")
        .resize((64, 48))
        .convert("1" if compression == "group4" else "RGB")
    )
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[0x010F], info[0x0110], info[0x0131] = "Canon", "EOS 6D", "Camera 1.0"
    info[0x0132], info[0x013B], info[0x0112] = "2020:01:01 10:00:00", "Someone", 6
    info[700] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
    if nested:
        info[0x8769] = {0x9003: "2020:01:01 10:00:00", 0xA431: "SN123"}
        info[0x8825] = {0: b"\2\2\0\0", 1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression=compression, tiffinfo=info, icc_profile=icc)
    return buf.getvalue()


def test_pillow_exif_gps() -> None:
    data = pillow_tiff("raw", nested=True)
    meta = read_buffer(data)
    assert meta.gps is not None and meta.device.serials  # the test file holds them
    result, out = cleaned(data)
    assert_clean(out)
    assert frames(out) == frames(data) != []
    assert {"exif", "xmp", "icc"} <= {r.kind for r in result.removed}
    with Image.open(io.BytesIO(out)) as im:
        assert 0x0112 not in im.getexif() and "icc_profile" not in im.info
    kept, out = cleaned(data, Keep(orientation=True, icc=True))
    assert kept.kept == ("icc", "orientation")
    assert_clean(out, Keep(orientation=True, icc=True))
    with Image.open(io.BytesIO(out)) as im, Image.open(io.BytesIO(data)) as original:
        assert im.getexif()[0x0112] == 6
        assert im.info["icc_profile"] == original.info["icc_profile"]


@pytest.mark.parametrize(
    "compression", ["raw", "tiff_lzw", "tiff_adobe_deflate", "jpeg", "packbits", "group4"]
)
def test_pillow_compressions(compression: str) -> None:
    """Compressed strips (and JPEG's tables) are copied, never decoded: same pixels."""
    data = pillow_tiff(compression, nested=False)
    _, out = cleaned(data)
    assert_clean(out)
    assert frames(out) == frames(data) != []


def test_multipage_drops_reduced_pages() -> None:
    pages = [
        (gray(16, 16, t10F=(2, b"Canon\0"), tC000=(4, [7])), [ramp(256)]),
        (gray(8, 8, t0FE=(4, [1])), [ramp(64, 1)]),  # reduced resolution
        (gray(16, 16, t0FE=(4, [2])), [ramp(256, 2)]),  # second page of a document
        (gray(16, 16, t0FF=(3, [2])), [ramp(256, 3)]),  # old SubfileType: reduced
    ]
    data, dirs = build(pages, order=">")
    result, out = cleaned(bytes(data))
    assert_clean(out)
    assert frames(out) == [frames(bytes(data))[0], frames(bytes(data))[2]]
    removed = {(r.kind, r.where) for r in result.removed}
    assert ("thumbnail", "page 2 (reduced-resolution)") in removed
    assert ("thumbnail", "page 4 (reduced-resolution)") in removed
    assert ("exif", "page 1 Make") in removed and ("other", "page 1 tag 0xC000") in removed
    assert [r.offset for r in result.removed if r.where.startswith("page 2")] == [dirs[1]]


def test_tiled_big_endian() -> None:
    tiles = [ramp(256, seed) for seed in range(4)]
    # Strip tags beside the tiles: stale pointers a decoder must not see.
    tags = gray(32, 32, t142=(3, [16]), t143=(3, [16]), t111=(4, [0]), t117=(4, [9]))
    data, _ = build([(tags, tiles)], order=">", tiles=True)
    result, out = cleaned(bytes(data))
    assert_clean(out)
    assert {"page 1 tag 0x0111", "page 1 tag 0x0116", "page 1 tag 0x0117"} <= {
        r.where for r in result.removed
    }
    assert out[:4] == b"MM\0*"
    assert frames(out) == frames(bytes(data)) != []
    assert all(tile in out for tile in tiles)


def test_many_strips_is_linear() -> None:
    """60,000 one-row strips clean in well under a second (no quadratic joins)."""
    data, _ = build([(gray(4, 60_000, t116=(3, [1])), [ramp(4)] * 60_000)])
    start = time.perf_counter()
    result = clean_tiff(bytes(data), Keep())
    assert time.perf_counter() - start < 1.0
    assert result.size() > 240_000


def patch(data: bytearray, at: int, tag: int, value: int) -> None:
    """Set the inline LONG value of ``tag`` in the directory at ``at``."""
    (n,) = struct.unpack_from("<H", data, at)
    for i in range(n):
        if struct.unpack_from("<H", data, at + 2 + 12 * i)[0] == tag:
            struct.pack_into("<I", data, at + 2 + 12 * i + 8, value)


def test_repeated_blocks_refused() -> None:
    """200 strips all pointing at one block would make the output outgrow the input."""
    tags = gray(10, 200, t116=(3, [1]), t111=(4, [8] * 200), t117=(4, [100] * 200))
    data, _ = build([(tags, [ramp(100)])])
    with pytest.raises(Refused, match="overlap or repeat"):
        clean_tiff(bytes(data), Keep())


def _nef_like() -> bytes:
    """IFD0 a small preview that points (SubIFDs) at a colour-filter-array raw image."""
    raw_page = (gray(8, 8, t106=(3, [32803]), tFFFF=(3, [0])), [ramp(64)])
    preview = (gray(8, 8, t0FE=(4, [1]), t14A=(4, [0])), [ramp(64, 1)])
    data, dirs = build([preview, raw_page])
    patch(data, dirs[0], 0x14A, dirs[1])
    return bytes(data)


def _damaged(kind: str) -> bytes:
    data, dirs = build([(gray(16, 16), [ramp(256)])])
    if kind == "strip past end":
        patch(data, dirs[0], 279, 100_000)
    elif kind == "loop":
        (n,) = struct.unpack_from("<H", data, dirs[0])
        struct.pack_into("<I", data, dirs[0] + 2 + 12 * n, dirs[0])
    else:
        del data[dirs[0] + 20 :]
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (build([(gray(8, 8, tC612=(1, [1, 4, 0, 0])), [ramp(64)])])[0], "raw camera file"),
        (build([(gray(8, 8, t106=(3, [32803])), [ramp(64)])])[0], "raw camera file"),
        (build([(gray(8, 8, t103=(3, [34713])), [ramp(64)])])[0], "raw camera file"),
        (b"IIRO\x08\0\0\0" + bytes(64), "raw camera file"),
        (b"IIU\0\x08\0\0\0" + bytes(64), "raw camera file"),
        (b"II*\0\x10\0\0\0CR\2\0" + bytes(64), "raw camera file"),
        (b"II+\0\x08\0\0\0" + bytes(64), "BigTIFF"),
        (build([(gray(8, 8, t103=(3, [6])), [ramp(64)])])[0], "old-style JPEG"),
        (build([(gray(8, 8, t0FE=(4, [1])), [ramp(64)])])[0], "only previews"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "not a TIFF"),
        (b"II*\0", "too short"),
        (b"II*\0\xff\xff\0\0" + bytes(8), "past the end"),
    ],
    ids=[
        "dng",
        "cfa",
        "nef-compression",
        "orf",
        "rw2",
        "cr2",
        "bigtiff",
        "old-jpeg",
        "preview-only",
        "png",
        "short",
        "bad-ifd",
    ],
)
def test_refusals(data: bytes, words: str) -> None:
    with pytest.raises(Refused, match=words):
        clean_tiff(bytes(data), Keep())


@pytest.mark.parametrize(
    ("kind", "words"), [("strip past end", "cut short"), ("loop", "loop"), ("cut", "cut short")]
)
def test_damage_refused(kind: str, words: str) -> None:
    with pytest.raises(Refused, match=words):
        clean_tiff(_damaged(kind), Keep())


def test_raw_in_sub_directory_refused() -> None:
    with pytest.raises(Refused, match="raw camera file"):
        clean_tiff(_nef_like(), Keep())


_FUZZ_BASE, _ = build(
    [
        (gray(8, 8, t10F=(2, b"Canon\0"), t131=(2, b"Camera 1.0\0")), [ramp(32), ramp(32, 5)]),
        (gray(4, 4, t0FE=(4, [1])), [ramp(16)]),
        (gray(8, 8), [ramp(64, 9)]),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_FUZZ_BASE) - 1), st.integers(0, 255)), max_size=8),
    st.integers(1, len(_FUZZ_BASE)),
)
def test_fuzz_never_crashes(flips: list[tuple[int, int]], cut: int) -> None:
    """Any damage gives a refusal or a file that cleans to itself and names no camera."""
    data = bytearray(_FUZZ_BASE)
    for pos, value in flips:
        data[pos] = value
    data = data[:cut]
    try:
        result, out = cleaned(bytes(data))
    except Refused:
        return
    assert result.size() == len(out)
    again, out2 = cleaned(out)
    assert again.removed == () and out2 == out
    assert read_buffer(out).device.make is None


def _exiftool() -> ExifTool:
    if EXIFTOOL13.exists():
        return ExifTool(str(EXIFTOOL13), "13.59")
    found = probe_exiftool()
    if isinstance(found, str):
        pytest.skip(found)
    return found


def test_exiftool_sees_nothing(tmp_path: Path) -> None:
    """exiftool reads no device, time, EXIF/GPS/XMP/IPTC/Photoshop/ICC tag in any output."""
    tool = _exiftool()
    inputs = {}
    if PHOTOS.exists():
        inputs = {n: (PHOTOS / n).read_bytes() for n, why in CORPUS.items() if why is None}
    inputs["pillow.tif"] = pillow_tiff("raw", nested=True)
    inputs["lzw.tif"] = pillow_tiff("tiff_lzw", nested=False)
    paths = []
    for i, data in enumerate(inputs.values()):
        path = tmp_path / f"{i}.tif"
        path.write_bytes(cleaned(data)[1])
        paths.append(path)
    done = subprocess.run(
        [tool.path, "-json", "-a", "-G1", "-n", *map(str, paths)], capture_output=True, check=True
    )
    for record in json.loads(done.stdout):
        for key in record:
            group, _, name = key.partition(":")
            assert not (group == "IFD0" and name in {"Make", "Model", "Software", "ModifyDate"})
            assert group not in {"ExifIFD", "GPS", "IPTC", "Photoshop", "InteropIFD"}, key
            assert not group.startswith(("XMP", "ICC")), key
    assert read_back(tool, paths) == {p: [] for p in paths}
