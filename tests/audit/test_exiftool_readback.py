"""exiftool's read-back: the classifier on hand-made records, both exiftool builds on the
original corpus (categories must match what the files hold), and every way it can fail."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from geotrace.audit import exiftool as et
from geotrace.audit.cleaned import Keep
from geotrace.audit.exiftool import ExifTool, Residual, classify, probe_exiftool, read_back
from tests.conftest import PHOTOS, require_shared

EXIFTOOL13 = Path("/opt/exiftool13/node_modules/exiftool-vendored.pl/bin/exiftool")


def cats(record: dict[str, object], keep: Keep = et.NOTHING_KEPT) -> set[str]:
    return {r.category for r in classify(record, keep)}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("EXIF:GPS:GPSLatitude", 50.45, {"gps"}),
        ("XMP:XMP-exif:GPSLatitude", "50,27.0N", {"gps", "xmp"}),
        ("QuickTime:Keys:GPSCoordinates", "50.45 30.52", {"gps", "keys_user_data"}),
        ("QuickTime:UserData:LocationInformation", "0 0 0", {"gps", "keys_user_data"}),
        ("IPTC:IPTC:City", "Kyiv", {"gps", "iptc"}),
        ("MakerNotes:Canon:SerialNumber", "123", {"serial", "makernotes"}),
        ("APP1:FLIR:CameraSerialNumber", "55", {"serial", "makernotes"}),
        ("EXIF:IFD0:Artist", "Someone", {"owner"}),
        ("IPTC:IPTC:By-line", "Someone", {"owner", "iptc"}),
        ("EXIF:IFD0:Make", "Canon", {"make_model"}),
        ("QuickTime:Keys:Model-eng-US", "iPhone", {"make_model", "keys_user_data"}),
        ("QuickTime:Track1:HandlerVendorID", "appl", {"make_model"}),
        ("QuickTime:Track1:HandlerVendorID", "", set()),
        ("EXIF:ExifIFD:DateTimeOriginal", "2020:01:01 10:00:00", {"time"}),
        ("EXIF:ExifIFD:SubSecTimeOriginal", "123", {"time"}),
        ("QuickTime:QuickTime:CreateDate", "2020:01:01 10:00:00", {"time"}),
        ("QuickTime:Track1:MediaCreateDate", "0000:00:00 00:00:00", set()),
        ("QuickTime:QuickTime:PosterTime", 0, set()),
        ("EXIF:ExifIFD:ExposureTime", 0.01, {"other"}),
        ("EXIF:IFD1:ThumbnailImage", "(Binary data 5000 bytes)", {"thumbnail"}),
        ("MPF:MPImage2:MPImageStart", 1234, {"thumbnail"}),
        ("XMP:XMP-x:XMPToolkit", "Adobe XMP Core", {"software", "xmp"}),
        ("MakerNotes:Canon:FocalLength", 50, {"makernotes"}),
        ("Photoshop:Photoshop:IPTCDigest", "abc", {"iptc"}),
        ("ICC_Profile:ICC_Profile:ProfileDescription", "sRGB", {"icc"}),
        ("ICC_Profile:ICC-header:ProfileDateTime", "1998:02:09 06:49:00", {"time", "icc"}),
        ("EXIF:IFD0:Software", "14.3", {"software"}),
        ("QuickTime:ItemList:Encoder", "Lavf58", {"software", "keys_user_data"}),
        ("QuickTime:Track1:HandlerDescription", "Core Media Video", {"software"}),
        ("QuickTime:Track1:HandlerDescription", "VideoHandler", set()),
        ("QuickTime:Track1:CompressorName", "HEVC", set()),
        ("File:Comment", "hello", {"comment"}),
        ("EXIF:IFD0:ImageDescription", "caption", {"comment"}),
        ("MakerNotes:Apple:ContentIdentifier", "A-B", {"other_identifying", "makernotes"}),
        ("EXIF:ExifIFD:ImageUniqueID", "0123", {"other_identifying"}),
        ("XMP:XMP-xmpMM:DocumentID", "xmp.did:1", {"other_identifying", "xmp"}),
        ("EXIF:IFD0:Orientation", 6, {"other"}),
        ("ExifTool:Error", "File format error", {"exiftool_error"}),
        ("Vendor:Unknown:Something", "x", {"other"}),
    ],
)
def test_classifier(key: str, value: object, expected: set[str]) -> None:
    assert cats({"SourceFile": "x.jpg", key: value}) == expected


@pytest.mark.parametrize(
    "key",
    [
        "ExifTool:ExifToolVersion",
        "ExifTool:Warning",
        "File:System:FileName",
        "File:FileType",
        "File:ImageWidth",
        "Composite:GPSPosition",  # derived from tags that are reported themselves
        "EXIF:IFD0:ImageWidth",
        "EXIF:IFD0:StripOffsets",
        "EXIF:IFD1:BitsPerSample",  # a TIFF's second page
        "JFIF:JFIFVersion",
        "APP14:Adobe:DCTEncodeVersion",
        "PNG:PNG:BitDepth",
        "PNG:PNG-pHYs:PixelsPerUnitX",
        "RIFF:RIFF:VP8Version",
        "QuickTime:QuickTime:MajorBrand",
        "QuickTime:Track1:ImageWidth",
        "QuickTime:QuickTime:HEVCConfigurationVersion",
        "QuickTime:Meta:PrimaryItemReference",
    ],
)
def test_structure_is_ignored(key: str) -> None:
    assert cats({key: 1}) == set()


def test_kept_on_purpose() -> None:
    record = {
        "EXIF:IFD0:Orientation": 6,
        "ICC_Profile:ICC-header:ProfileDateTime": "1998:02:09 06:49:00",
        "ICC_Profile:ICC_Profile:ProfileDescription": "sRGB",
    }
    assert cats(record, Keep(orientation=True, icc=True)) == set()
    assert cats(record, Keep(orientation=True)) == {"time", "icc"}


def test_residual_shape() -> None:
    found = classify({"XMP:XMP-dc:Title": ["a" * 50, "b" * 50]})
    assert [r.category for r in found] == ["comment", "xmp"]
    for residual in found:
        assert residual.tag == "XMP-dc:Title"
        assert len(residual.value) == et.MAX_VALUE and residual.value.startswith("aaa")


# --- real exiftool -------------------------------------------------------------------


def _tools() -> list[ExifTool | str]:
    found: list[ExifTool | str] = [
        ExifTool(str(EXIFTOOL13), "13.59") if EXIFTOOL13.exists() else "exiftool 13 absent"
    ]
    found.append(probe_exiftool({"PATH": os.environ.get("PATH", "")}))
    return found


TOOLS = _tools()
#: Original files, what they hold and what they do not (None: exactly nothing).
EXAMPLES: list[tuple[str, set[str], set[str] | None]] = [
    ("jpeg/exiftool__GPS.jpg", {"gps", "make_model", "time", "thumbnail"}, {"keys_user_data"}),
    ("jpeg/elodie__no-exif.jpg", set(), None),
    ("heif/exiftool__QuickTime.heic", set(), None),
    ("other/exiftool__ExifTool.tif", {"iptc", "icc", "make_model", "owner"}, {"xmp"}),
    ("other/exiv2__IMG_1361.dng", {"makernotes", "thumbnail", "make_model"}, set()),
    ("heif/mei__IMG_2927.HEIC", {"makernotes", "icc", "make_model"}, {"keys_user_data"}),
    ("video/elodie__video.mov", {"keys_user_data", "gps", "time"}, {"makernotes"}),
    ("video/mei__with-gps.mp4", {"keys_user_data", "gps"}, {"icc"}),
]


@pytest.fixture(params=range(len(TOOLS)), ids=["exiftool13", "exiftool_on_path"])
def tool(request: pytest.FixtureRequest) -> ExifTool:
    found = TOOLS[int(request.param)]
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="module")
def corpus_readback() -> dict[str, dict[Path, list[Residual]]]:
    """A few original files per folder (and the examples below), read by each build in
    one exiftool run."""
    root = require_shared()
    chosen = {root / name for name, _, _ in EXAMPLES}
    for folder in ("jpeg", "heif", "other", "video", "malformed"):
        chosen.update(sorted((root / folder).iterdir())[:4])
    paths = sorted(chosen)
    return {
        found.version: read_back(found, paths, timeout=120)
        for found in TOOLS
        if isinstance(found, ExifTool)
    }


def _truth() -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in (PHOTOS / "truth.jsonl").read_text().splitlines()]
    return {row["path"]: row for row in rows}


def test_corpus_categories_match_the_truth(
    tool: ExifTool, corpus_readback: dict[str, dict[Path, list[Residual]]]
) -> None:
    """What truth.jsonl (exiftool's own answers) says a file holds shows up as a residual."""
    results = corpus_readback[tool.version]
    truth = _truth()
    assert len(results) >= 25
    for path, residuals in results.items():
        row = truth[f"{path.parent.name}/{path.name}"]
        found = {r.category for r in residuals}
        dated = [v for v in (row["datetime_original"], row["create_date"]) if v]
        if row["gps"] is not None:
            assert "gps" in found, path
        if row["make"] or row["model"]:
            assert "make_model" in found, path
        if row["serial_numbers"]:
            assert "serial" in found, path
        if any(char in "123456789" for char in "".join(map(str, dated))):
            assert "time" in found, path


@pytest.mark.parametrize(("name", "present", "absent"), EXAMPLES)
def test_corpus_examples(
    tool: ExifTool,
    corpus_readback: dict[str, dict[Path, list[Residual]]],
    name: str,
    present: set[str],
    absent: set[str] | None,
) -> None:
    found = {r.category for r in corpus_readback[tool.version][PHOTOS / name]}
    if absent is None:
        assert found == present  # a file with no metadata at all
    else:
        assert present <= found and not absent & found, found


def _png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def test_odd_names_and_missing_files(tool: ExifTool, tmp_path: Path) -> None:
    names = ["plain.png", "with space.png", "-dash.png", "ünï €.png", "a'b\"c.png"]
    paths = [_png(tmp_path / n) for n in names]
    paths.append(_png(tmp_path / os.fsdecode(b"bad-\xff-utf8.png")))
    missing, newline = tmp_path / "gone.jpg", tmp_path / "line\nbreak.png"
    _png(newline)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    result = read_back(tool, [*paths, missing, newline, empty])
    assert result[empty] == [Residual("exiftool_error", "ExifTool:Error", "File is empty")]
    assert {p: result[p] for p in paths} == {p: [] for p in paths}
    assert [r.category for r in result[missing]] == ["exiftool_error"]
    assert "not found" in result[missing][0].value
    assert "line break" in result[newline][0].value


def test_chunks(tool: ExifTool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(et, "CHUNK", 2)
    paths = [_png(tmp_path / f"{i}.png") for i in range(3)]
    assert read_back(tool, paths) == {p: [] for p in paths}


# --- failures without a real exiftool --------------------------------------------------


def _fake(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "exiftool"
    script.write_text(f'#!/bin/sh\nif [ "$1" = "-ver" ]; then echo 13.01; exit 0; fi\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("echo '[{\"SourceFile\": '", "not JSON"),
        ("echo '{\"a\": 1}'", "not JSON"),
        ("exec sleep 5", "longer than"),
        ("exit 3", "returned nothing"),
    ],
)
def test_broken_exiftool(tmp_path: Path, body: str, words: str) -> None:
    fake = ExifTool(str(_fake(tmp_path, body)), "13.01")
    files = [_png(tmp_path / "a.png"), _png(tmp_path / "b.png")]
    result = read_back(fake, files, timeout=1)
    assert set(result) == set(files)
    for residuals in result.values():
        assert [r.category for r in residuals] == ["exiftool_error"]
        assert words in residuals[0].value


def test_vanished_exiftool(tmp_path: Path) -> None:
    result = read_back(ExifTool(str(tmp_path / "nothing"), "13.0"), [_png(tmp_path / "a.png")])
    assert "did not run" in next(iter(result.values()))[0].value


def test_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old" / "exiftool"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 11.85\n")
    old.chmod(0o755)
    garbage = tmp_path / "garbage"
    garbage.write_text("#!/bin/sh\necho oops\n")
    garbage.chmod(0o755)
    assert "older than 12" in str(probe_exiftool({"PATH": str(old.parent)}))
    assert "version" in str(probe_exiftool({"GEOTRACE_EXIFTOOL": str(garbage), "PATH": ""}))
    assert "not found" in str(probe_exiftool({"GEOTRACE_EXIFTOOL": str(tmp_path / "no")}))
    fine = _fake(tmp_path, "")
    assert probe_exiftool({"GEOTRACE_EXIFTOOL": str(fine)}) == ExifTool(str(fine), "13.01")
    monkeypatch.setenv("GEOTRACE_EXIFTOOL", str(old))
    assert et.find_exiftool() is None
