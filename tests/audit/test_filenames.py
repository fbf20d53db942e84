"""File-name clues: each pattern, the spans, invalid dates, hashes and hostile names."""

from __future__ import annotations

import time

import pytest

from geotrace.audit.filenames import MAX_CLUES, name_findings

L, U = "local", "utc"
NOON = "2023-01-01T12:00:00"
NOON34 = "2023-01-01T12:34:56"
AM = "2019-01-01T00:02:03"  # 12 AM, after Ventura's narrow no-break space


def _one(name: str) -> tuple[str, str, str | None, str]:
    clues = name_findings(name)
    assert len(clues) == 1, clues
    clue = clues[0]
    return clue.kind, clue.value, clue.clock, name[clue.start : clue.end]


@pytest.mark.parametrize(
    ("name", "kind", "value", "clock", "source_word"),
    [
        ("PXL_20230101_123456789.jpg", "datetime", "2023-01-01T12:34:56+00:00", U, "Pixel"),
        ("PXL_20230101_123456789.MP.jpg", "datetime", "2023-01-01T12:34:56+00:00", U, "Pixel"),
        ("IMG_20221123_155913_076.jpg", "datetime", "2022-11-23T15:59:13", L, "Telegram"),
        ("IMG_20221123_15913_076.jpg", "date", "2022-11-23", L, "Telegram"),
        ("20230101_123456.jpg", "datetime", NOON34, L, "Samsung"),
        ("IMG_20230101_123456.jpg", "datetime", NOON34, L, "Android"),
        ("VID_20230101_123456.mp4", "datetime", NOON34, L, "Android"),
        ("IMG-20230101-WA0001.jpg", "date", "2023-01-01", L, "WhatsApp"),
        ("VID-20230228-WA0012.mp4", "date", "2023-02-28", L, "WhatsApp"),
        ("Screenshot_20230101-120000.png", "datetime", NOON, L, "Android"),
        ("Screenshot_2014-01-01-12-00-00.png", "datetime", "2014-01-01T12:00:00", L, "Android"),
        ("Screenshot 2023-01-01 at 12.00.00.png", "datetime", NOON, L, "macOS"),
        ("Screen Shot 2019-01-01 at 1.02.03 PM.png", "datetime", "2019-01-01T13:02:03", L, "macOS"),
        ("Screen Shot 2019-01-01 at 12.02.03\u202fAM.png", "datetime", AM, L, "macOS"),
        ("Снимок экрана 2023-01-01 в 12.00.00.png", "datetime", NOON, L, "macOS"),
        ("Screenshot 2023-01-01 120000.png", "datetime", NOON, L, "Windows"),
        ("signal-2023-01-01-120000.jpg", "datetime", NOON, L, "Signal"),
        ("signal-2023-01-01-12-00-00-123.jpg", "datetime", NOON, L, "Signal"),
        ("photo_2023-01-01_12-00-00.jpg", "datetime", NOON, L, "Telegram D"),
        ("photo_12@31-01-2023_12-00-00.jpg", "datetime", "2023-01-31T12:00:00", L, "Telegram D"),
        ("DJI_20230101123456_0001_D.JPG", "datetime", NOON34, L, "DJI"),
        ("FB_IMG_1672574400000.jpg", "epoch", "2023-01-01T12:00:00.000+00:00", U, "Facebook"),
        ("1672574400123.jpg", "epoch", "2023-01-01T12:00:00.123+00:00", U, "milliseconds"),
    ],
)  # fmt: skip
def test_dated_names(name: str, kind: str, value: str, clock: str, source_word: str) -> None:
    clues = name_findings(name)
    assert [(c.kind, c.value, c.clock) for c in clues] == [(kind, value, clock)]
    assert source_word in clues[0].source
    assert clues[0].start == 0 and name[clues[0].end] in "._ "
    assert value[:10] in clues[0].sentence()


def test_screenshot_names_the_app() -> None:
    name = "Screenshot_20230101-120000_Telegram.jpg"
    clues = name_findings(name)
    assert [(c.kind, c.value) for c in clues] == [
        ("datetime", "2023-01-01T12:00:00"),
        ("app", "Telegram"),
    ]
    assert name[clues[0].start : clues[0].end] == "Screenshot_20230101-120000"
    assert name[clues[1].start : clues[1].end] == "Telegram"
    spaced = name_findings("Screenshot_20221123-155913_Telegram X (1).jpg")
    assert spaced[1].value == "Telegram X"
    assert "Telegram X" in spaced[1].sentence()


@pytest.mark.parametrize(
    ("name", "camera"),
    [
        ("DJI_0001.JPG", "DJI"),
        ("GOPR0001.JPG", "GoPro"),
        ("GX010001.MP4", "GoPro"),
        ("DSC_0001.JPG", "Nikon/Sony"),
        ("_DSC1234.ARW", "Nikon/Sony"),
        ("DSCN0001.JPG", "Nikon"),
        ("DSCF0001.RAF", "Fujifilm"),
        ("_MG_1234.CR2", "Canon"),
        ("IMG_1234.HEIC", "iPhone/Canon"),
        ("IMG_E1234.JPG", "iPhone"),
    ],
)
def test_camera_hints(name: str, camera: str) -> None:
    assert _one(name)[:3] == ("camera", camera, None)


def test_folders_are_skipped_and_spans_index_the_whole_name() -> None:
    name = "/sdcard/DCIM/IMG_20230101_2/20230101_123456.jpg"
    clues = name_findings(name)
    assert len(clues) == 1
    assert name[clues[0].start : clues[0].end] == "20230101_123456"
    windows = r"C:\Users\a\Pictures\PXL_20230101_123456789.jpg"
    assert name_findings(windows)[0].value == "2023-01-01T12:34:56+00:00"


@pytest.mark.parametrize(
    "name",
    [
        "99999999_999999.jpg",
        "20231301_123456.jpg",  # month 13
        "20230230_123456.jpg",  # 30 February
        "20230101_246000.jpg",  # 24:60
        "IMG-20230231-WA0001.jpg",
        "PXL_20230101_993456789.jpg",
        "Screen Shot 2019-01-01 at 13.02.03 PM.png",
        "d41d8cd98f00b204e9800998ecf8427e.jpg",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.png",
        "7a1f3c2e-4b5d-4e6f-8a9b-0c1d2e3f4a5b.jpg",
        "holiday photo.jpg",
        "IMG_12345678.jpg",
        "x20230101_123456.jpg",
        "FB_IMG_9999999999999.jpg",
        "0672574400000.jpg",
        "",
    ],
)
def test_no_clue(name: str) -> None:
    assert name_findings(name) == []


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 100_000,
        "IMG_" * 25_000,
        "20230101_" * 11_000,
        "Screenshot_20230101-120000_" + "a" * 100_000,
        "Screen Shot 2019-01-01 at " * 4_000,
        "99999999_999999 " * 6_000,
        "photo_1@" * 12_500,
    ],
)
def test_hostile_names_are_read_in_linear_time(hostile: str) -> None:
    small = hostile[: len(hostile) // 10]
    began = time.perf_counter()
    name_findings(small)
    small_s = time.perf_counter() - began
    began = time.perf_counter()
    clues = name_findings(hostile)
    large_s = time.perf_counter() - began
    assert large_s < 1.0
    assert large_s < 30 * small_s + 0.05
    assert len(clues) <= MAX_CLUES


def test_many_real_clues_are_capped() -> None:
    clues = name_findings("IMG_20230101_123456 " * 5_000)
    assert len(clues) == MAX_CLUES
    assert all(c.value == "2023-01-01T12:34:56" for c in clues)
