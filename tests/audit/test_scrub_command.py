"""``geotrace scrub`` end to end: what it writes where, what it never touches, and that a
copy which still holds something identifying is deleted rather than kept.

The cleaners' own byte-level checks are in ``test_clean_*.py``; here the command's promises:
originals untouched, names kept, folders mirrored, nothing overwritten, exit codes, and the
read-back that stands between a cleaning bug and a published photo.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from geotrace import api
from geotrace.audit import scrub as scrub_module
from geotrace.audit.cleaned import Cleaned
from geotrace.cli import app
from geotrace.evidence.reader import read_file
from tests.casekit import DEMO

GPS_JPEG = DEMO / "elodie__with-location.jpg"  # GPS, capture time, camera


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def jpeg_with_exif(path: Path) -> Path:
    """A small JPEG whose EXIF names a camera and the time it was taken."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Canon", "EOS 5D", "2022:02:24 05:00:00"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(path, exif=exif.tobytes())
    return path


def test_a_folder_is_mirrored_names_kept_originals_untouched(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(GPS_JPEG, src / "IMG_20151205_085926.jpg")
    jpeg_with_exif(src / "sub" / "b.jpg")
    before = {p: sha(p) for p in src.rglob("*.jpg")}
    os.utime(src / "sub" / "b.jpg", (1_000_000_000, 1_000_000_000))

    done = api.scrub([src], tmp_path / "out", exiftool=False)

    assert (done.cleaned, done.refused, done.failed) == (2, 0, 0)
    assert {p: sha(p) for p in src.rglob("*.jpg")} == before
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg")) == [
        "IMG_20151205_085926.jpg",
        "sub/b.jpg",
    ]
    for copy in out.rglob("*.jpg"):
        meta = read_file(copy).meta
        assert meta.gps is None and meta.taken is None and meta.device.make is None
    # the copy's file time is the scrub's, never the original's (it would date the photo)
    assert (out / "sub" / "b.jpg").stat().st_mtime > 1_000_000_000 + 86400
    assert not list(out.rglob(".*.part"))


def test_pixels_are_the_originals(tmp_path: Path) -> None:
    done = api.scrub([GPS_JPEG], tmp_path, exiftool=False)
    (one,) = done.files
    assert one.status == "cleaned" and one.output is not None
    with Image.open(GPS_JPEG) as a, Image.open(one.output) as b:
        assert a.tobytes() == b.tobytes()
    assert Path(one.output).stat().st_size < GPS_JPEG.stat().st_size
    assert any(r.startswith("exif") for r in one.removed)


def test_nothing_is_overwritten_and_the_output_cannot_be_an_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / GPS_JPEG.name).write_bytes(b"someone's file")
    done = api.scrub([GPS_JPEG], out, exiftool=False)
    assert done.files[0].status == "refused" and "exists" in done.files[0].reason
    assert (out / GPS_JPEG.name).read_bytes() == b"someone's file"
    with pytest.raises(Exception, match="output folder"):
        api.scrub([out], out, exiftool=False)


def test_the_output_folder_inside_the_input_is_not_walked(tmp_path: Path) -> None:
    shutil.copy(GPS_JPEG, tmp_path / "a.jpg")
    first = api.scrub([tmp_path], tmp_path / "clean", exiftool=False)
    assert first.cleaned == 1
    assert [Path(f.source).name for f in first.files] == ["a.jpg"]
    # run again into another folder: the first copy is now an input, with nothing to remove
    again = {
        Path(f.source).relative_to(tmp_path).as_posix(): f
        for f in api.scrub([tmp_path], tmp_path / "clean2", exiftool=False).files
    }
    assert sorted(again) == ["a.jpg", "clean/a.jpg"]
    assert again["clean/a.jpg"].removed == () and again["a.jpg"].removed


def test_unknown_and_unreadable_inputs_are_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "anim.gif").write_bytes(b"GIF89a" + bytes(40))
    done = api.scrub([tmp_path, tmp_path / "missing.jpg"], tmp_path / "out", exiftool=False)
    reasons = {Path(f.source).name: f.reason for f in done.files}
    assert done.refused == 3 and done.cleaned == 0
    assert "GIF" in reasons["anim.gif"]
    assert "geotrace can clean" in reasons["notes.txt"]
    assert "no such file" in reasons["missing.jpg"]
    assert not list((tmp_path / "out").iterdir())


def test_a_copy_that_keeps_anything_is_deleted_and_the_file_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaner bug (here: one that copies the file whole) must not reach the user."""

    def careless(buf: object, name: str = "", keep: object = None) -> Cleaned:
        return Cleaned(((0, len(buf)),))  # type: ignore[arg-type]

    monkeypatch.setattr(scrub_module, "clean", careless)
    done = api.scrub([GPS_JPEG], tmp_path / "out", exiftool=False)
    (one,) = done.files
    assert one.status == "failed" and one.output is None
    assert any("GPS" in r for r in one.residuals)
    assert any("capture time" in r for r in one.residuals)
    assert not list((tmp_path / "out").iterdir())


def test_keep_orientation_keeps_only_the_orientation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "Apple"
    src = tmp_path / "turned.jpg"
    Image.new("RGB", (40, 20), (0, 90, 200)).save(src, exif=exif.tobytes())
    done = api.scrub([src], tmp_path / "out", keep="orientation", exiftool=False)
    (one,) = done.files
    assert one.status == "cleaned"
    with Image.open(one.output or "") as im:
        kept = im.getexif()
    assert dict(kept) == {0x0112: 6}
    with pytest.raises(Exception, match="--keep takes"):
        api.scrub([src], tmp_path / "o2", keep="gps")


def test_reencode_is_the_only_lossy_path_and_says_so(tmp_path: Path) -> None:
    """A BMP has no lossless cleaner: refused by default, re-encoded when asked."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(src / "scan.bmp")
    # the copy is a PNG (a format whose cleaner can check it), named so
    refused = api.scrub([src], tmp_path / "a", exiftool=False)
    assert refused.refused == 1
    done = api.scrub([src], tmp_path / "b", reencode=True, exiftool=False)
    (one,) = done.files
    assert one.status == "cleaned" and one.reencoded
    assert any("re-encoded" in n for n in one.notes)
    assert one.output == str(tmp_path / "b" / "scan.bmp.png")
    with Image.open(one.output) as a, Image.open(src / "scan.bmp") as b:
        assert a.format == "PNG" and a.convert("RGB").tobytes() == b.tobytes()


def test_the_command_prints_each_file_and_exits_1_when_some_were_refused(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(GPS_JPEG, src / "a.jpg")
    (src / "b.txt").write_text("x")
    result = CliRunner().invoke(
        app, ["scrub", str(src), "-o", str(tmp_path / "out"), "--no-exiftool", "--format", "jsonl"]
    )
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert {(Path(x["source"]).name, x["status"]) for x in lines} == {
        ("a.jpg", "cleaned"),
        ("b.txt", "refused"),
    }
    assert "1 cleaned, 1 refused, 0 failed" in result.stderr
    ok = CliRunner().invoke(app, ["scrub", str(src / "a.jpg"), "-o", str(tmp_path / "o2")])
    assert ok.exit_code == 0, ok.stderr


def test_exiftool_reads_every_copy_back_where_installed(tmp_path: Path) -> None:
    from geotrace.audit.exiftool import find_exiftool

    if find_exiftool() is None:
        pytest.skip("exiftool is not installed: its read-back cannot be tested here")
    done = api.scrub([GPS_JPEG], tmp_path / "out")
    (one,) = done.files
    assert one.status == "cleaned", one.residuals
    assert any(c.startswith("exiftool") for c in one.checked_by)
    assert done.exiftool is not None


def test_bytes_in_memory_round_trip(tmp_path: Path) -> None:
    """The pieces a cleaner returns assemble to the same bytes the command writes."""
    from geotrace.audit.cleaned import assemble
    from geotrace.audit.cleaners import clean

    data = GPS_JPEG.read_bytes()
    cleaned = clean(data, GPS_JPEG.name)
    done = api.scrub([GPS_JPEG], tmp_path, exiftool=False)
    assert Path(done.files[0].output or "").read_bytes() == assemble(data, cleaned.pieces)
    assert cleaned.size() == len(assemble(data, cleaned.pieces))
    assert io.BytesIO(assemble(data, cleaned.pieces)).read(2) == b"\xff\xd8"


def test_damaged_image_data_is_copied_not_cut(tmp_path: Path) -> None:
    """A bad marker inside the image data (a held-out camera file had one) is damage a
    decoder reads past: the copy keeps it byte for byte and decodes to the same pixels."""
    import numpy as np

    noise = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=90)
    data = bytearray(out.getvalue())
    sos = data.index(b"\xff\xda")
    middle = sos + (len(data) - sos) // 2
    data[middle:middle] = b"\xff\x05"  # a reserved marker where entropy data should be
    src = tmp_path / "damaged.jpg"
    src.write_bytes(bytes(data))
    done = api.scrub([src], tmp_path / "out", exiftool=False)
    (one,) = done.files
    assert one.status == "cleaned" and any("damaged stretch" in n for n in one.notes)
    copy = Path(one.output or "").read_bytes()
    assert copy == bytes(data)  # nothing to remove, nothing cut
