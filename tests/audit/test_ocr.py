"""OCR of a picture's visible text: real Tesseract on rendered Cyrillic, and every way it fails."""

from __future__ import annotations

import hashlib
import shutil
import stat
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from geotrace.audit.ocr import (
    Tesseract,
    _parse_tsv,
    find_tesseract,
    read_visible_text,
)
from geotrace.evidence.text.reading import read_text
from tests.conftest import PHOTOS, require_shared

SIGN = "в/ч 3219, г. Донецк, 64-я ОМСБр"
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)


@pytest.fixture(scope="module")
def tesseract() -> Tesseract:
    tool = find_tesseract()
    if tool is None:
        pytest.skip("tesseract is not installed (apt install tesseract-ocr tesseract-ocr-rus)")
    if "rus" not in tool.languages:
        pytest.skip(f"{tool.path} has no Russian language data (tesseract-ocr-rus)")
    return tool


@pytest.fixture(scope="module")
def sign() -> Image.Image:
    """The sign as a phone would photograph it: dark text, 48 px high, on a light board."""
    font_path = next((f for f in FONTS if Path(f).exists()), None)
    if font_path is None:
        pytest.skip(f"no Cyrillic TrueType font found (looked for {', '.join(FONTS)})")
    font = ImageFont.truetype(font_path, 48)
    image = Image.new("RGB", (1100, 140), (235, 232, 220))
    ImageDraw.Draw(image).text((30, 40), SIGN, font=font, fill=(20, 20, 30))
    return image


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_reads_the_sign(tool: Tesseract, path: Path) -> float:
    before = _digest(path)
    result = read_visible_text(tool, path, timeout_s=30)
    assert result.ran, result.error
    assert _digest(path) == before  # the original is only read
    assert "Донецк" in result.text
    assert result.confidence is not None and result.confidence > 70
    reading = read_text(result.text)
    assert {u.text for u in reading.units} >= {"в/ч 3219", "64-я ОМСБр"}
    donetsk = [p for p in reading.places if p.text == "Донецк"]
    assert donetsk and donetsk[0].geonameid == 709717 and donetsk[0].admin1 == "UA-14"
    return result.seconds


def test_png_sign_gives_the_unit_and_the_place(
    tesseract: Tesseract, sign: Image.Image, tmp_path: Path
) -> None:
    path = tmp_path / "sign.png"
    sign.save(path)
    assert _assert_reads_the_sign(tesseract, path) < 10


def test_heic_is_decoded_through_a_temporary_png(
    tesseract: Tesseract, sign: Image.Image, tmp_path: Path
) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed")
    pillow_heif.register_heif_opener()
    path = tmp_path / "sign.heic"
    sign.save(path, quality=90)
    assert "heic" not in tesseract.formats
    _assert_reads_the_sign(tesseract, path)


def test_exif_rotated_photo_is_read_upright(
    tesseract: Tesseract, sign: Image.Image, tmp_path: Path
) -> None:
    """Stored sideways with Orientation 6 (display rotated 90 degrees clockwise), as phones do."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    sign.rotate(90, expand=True).save(path, exif=exif, quality=92)
    _assert_reads_the_sign(tesseract, path)


def test_missing_binary_gives_a_clear_not_run_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GEOTRACE_TESSERACT", str(tmp_path / "no-such-tesseract"))
    assert find_tesseract() is None
    result = read_visible_text(None, tmp_path / "any.jpg", timeout_s=5)
    assert not result.ran and result.text == ""
    assert result.error is not None and result.error.startswith("OCR not run")
    assert "Tesseract is not installed" in result.error
    gone = Tesseract(str(tmp_path / "gone"), "tesseract 5", ("eng",), frozenset({"png"}))
    picture = tmp_path / "p.png"
    Image.new("L", (8, 8), 255).save(picture)
    vanished = read_visible_text(gone, picture, timeout_s=5)
    assert vanished.error is not None and vanished.error.startswith("OCR not run")


def _fake_tesseract(folder: Path, body: str) -> str:
    script = folder / "tesseract"
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


needs_sh = pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX sh")


@needs_sh
def test_env_binary_languages_and_formats_are_probed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = _fake_tesseract(
        tmp_path,
        'case "$1" in\n'
        "--version) printf 'tesseract 9.1.0\\n leptonica-1.84\\n  libjpeg 8d : libpng 1.6\\n';;\n"
        "--list-langs) printf 'List of available languages (3):\\neng\\nosd\\nrus\\n';;\n"
        "esac\n",
    )
    monkeypatch.setenv("GEOTRACE_TESSERACT", fake)
    tool = find_tesseract()
    assert tool is not None and tool.path == fake and tool.version == "tesseract 9.1.0"
    assert tool.languages == ("rus", "eng")
    assert {"jpeg", "png"} <= tool.formats and "webp" not in tool.formats


@needs_sh
def test_a_hung_or_failing_tesseract_is_reported(tmp_path: Path) -> None:
    picture = tmp_path / "p.png"
    Image.new("L", (8, 8), 255).save(picture)
    formats = frozenset({"png"})
    hung = Tesseract(_fake_tesseract(tmp_path, "exec sleep 30\n"), "t", ("eng",), formats)
    slow = read_visible_text(hung, picture, timeout_s=0.5)
    assert slow.error == "OCR not finished: Tesseract took longer than 0.5 s"
    assert slow.seconds < 5
    (tmp_path / "tesseract").unlink()
    broken = _fake_tesseract(tmp_path, "echo 'Error, could not read image' >&2\nexit 1\n")
    failed = read_visible_text(Tesseract(broken, "t", ("eng",), formats), picture, 5)
    assert failed.error == "OCR failed: Error, could not read image"


def test_undecodable_or_missing_pictures_never_raise(tmp_path: Path) -> None:
    tool = Tesseract("/bin/false", "t", ("eng",), frozenset({"png", "jpeg"}))
    junk = tmp_path / "junk.heic"
    junk.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40)
    truncated = tmp_path / "cut.webp"
    truncated.write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 ")
    for path in (junk, truncated, tmp_path / "absent.png"):
        result = read_visible_text(tool, path, timeout_s=5)
        assert result.error is not None and "could not be read" in result.error


def test_no_language_data_is_said() -> None:
    tool = Tesseract("/usr/bin/tesseract", "t", (), frozenset())
    result = read_visible_text(tool, Path("x.png"), timeout_s=5)
    assert result.error is not None and "rus/ukr/eng language data" in result.error


def test_tsv_rows_become_lines_and_blocks_with_mean_confidence() -> None:
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    rows = [
        head + "\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t9\t9\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t90\tв/ч",
        "5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t80\t3219",
        "5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t70\tДонецк",
        '5\t1\t2\t1\t1\t1\t0\t0\t9\t9\t60\t"ОМСБр',
        "5\t1\t2\t1\t1\t2\t0\t0\t9\t9\t95\t ",
    ]
    text, confidence = _parse_tsv("\n".join(rows))
    assert text == 'в/ч 3219\nДонецк\n\n"ОМСБр'
    assert confidence == pytest.approx(75.0)
    assert _parse_tsv("") == ("", None)


def test_a_jpeg_leptonica_refuses_is_read_through_pillow(tesseract: Tesseract) -> None:
    """Stray bytes before a marker: libjpeg warns, Leptonica gives up, Pillow decodes it."""
    folder = require_shared(PHOTOS / "malformed")
    result = read_visible_text(tesseract, folder / "pillow__hopper_bad_exif.jpg", timeout_s=60)
    assert result.ran, result.error
    # Cut off before its last scan: neither decoder reads it, and the reason is libjpeg's.
    cut = read_visible_text(tesseract, PHOTOS / "jpeg" / "pillow__ultrahdr.jpg", timeout_s=60)
    assert cut.error == "OCR failed: Premature end of JPEG file (nor could Pillow decode it)"


def test_the_audit_says_what_the_picture_shows(
    tesseract: Tesseract, sign: Image.Image, tmp_path: Path
) -> None:
    """End to end: ``audit`` reads the sign and names the unit and the city it shows, as
    findings that scrub cannot remove."""
    from geotrace import api
    from geotrace.audit.findings import Finding

    path = tmp_path / "sign.png"
    sign.save(path)
    found = [f for f in api.audit([path], ocr=True) if isinstance(f, Finding)]
    shown = {f.kind: f for f in found}
    assert shown["text_unit"].severity == "high" and shown["text_unit"].removable is False
    assert any(f.kind == "text_place" and f.data["place"] == "UA-14" for f in found)
    assert "3219" in shown["visible_text"].data["text"]


def test_a_decompression_bomb_never_reaches_tesseract(tesseract: Tesseract, tmp_path: Path) -> None:
    """A 900-megapixel PNG of 170 KB: refused with Pillow's reason in milliseconds, where
    Leptonica would have tried to allocate gigabytes."""
    path = tmp_path / "bomb.png"
    Image.new("1", (30_000, 30_000), 1).save(path)
    result = read_visible_text(tesseract, path, 60)
    assert result.error is not None and "DecompressionBomb" in result.error
    assert result.seconds < 5
