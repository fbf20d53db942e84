"""``geotrace audit``: each finding present where the bytes (or the case) hold it, absent
where they don't.  Files from the shared corpus and the demo; a case built from a table of
posts whose captions name a village and a brigade and whose hours betray a zone."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from geotrace import api
from geotrace.audit import run as audit_run
from geotrace.audit.findings import Finding
from geotrace.cli import app
from tests.casekit import DEMO
from tests.conftest import PHOTOS, require_shared


def findings(*paths: Path, ocr: bool = False, **options: object) -> list[Finding]:
    found = list(api.audit(list(paths), ocr=ocr, **options))  # type: ignore[arg-type]
    assert all(isinstance(f, Finding) for f in found), found
    return found  # type: ignore[return-value]


def kinds(found: list[Finding], subject: str | None = None) -> set[str]:
    return {f.kind for f in found if subject is None or f.subject == subject}


def test_a_phone_photo_gives_its_place_time_device_and_blocks() -> None:
    found = findings(DEMO / "elodie__with-location.jpg")
    by_kind = {f.kind: f for f in found}
    assert {"gps", "capture_time", "serial", "device", "exif", "thumbnail", "xmp", "iptc"} <= set(
        by_kind
    )
    gps = by_kind["gps"]
    assert gps.severity == "high" and gps.removable is True
    assert "Sunnyvale" in gps.evidence and abs(gps.data["lat"] - 37.3667) < 1e-3
    assert "UTC-08:00" in by_kind["capture_time"].evidence
    assert by_kind["serial"].data["tag"] == "XMP-aux:SerialNumber"
    # most serious first
    ranks = ["high", "medium", "low", "info"]
    assert [ranks.index(f.severity) for f in found] == sorted(
        ranks.index(f.severity) for f in found
    )


def test_a_file_with_nothing_says_so_and_claims_nothing() -> None:
    found = findings(DEMO / "elodie__no-exif.jpg")
    assert kinds(found) == {"nothing_found"}


def test_a_placeholder_fix_is_reported_low_not_as_a_place() -> None:
    found = findings(DEMO / "mei__Samsung GT-I9000 (Galaxy S).jpg")
    gps = next(f for f in found if f.kind == "gps")
    assert gps.severity == "low" and "placeholder" in gps.evidence


def test_a_video_gives_its_keys_times_and_track_names() -> None:
    found = findings(DEMO / "mei__with-gps.mp4")
    assert {"gps", "capture_time", "keys", "user_data", "time"} <= kinds(found)
    assert next(f for f in found if f.kind == "gps").data["source"]


def test_owner_names_are_found_in_exif(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x013B], exif[0x8298] = "Ivan Petrov", "(c) Ivan Petrov"
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", exif=exif.tobytes())
    owners = {f.evidence for f in findings(tmp_path / "a.jpg") if f.kind == "owner"}
    assert owners == {"Artist = Ivan Petrov", "Copyright = (c) Ivan Petrov"}


def test_a_dated_file_name_is_a_finding_scrub_does_not_remove(tmp_path: Path) -> None:
    shutil.copy(DEMO / "elodie__no-exif.jpg", tmp_path / "PXL_20230101_123456789.jpg")
    (name,) = [
        f for f in findings(tmp_path / "PXL_20230101_123456789.jpg") if f.kind == "file_name"
    ]
    assert name.removable is False and "2023-01-01T12:34:56" in name.evidence
    assert name.data["clock"] == "utc"


def test_without_tesseract_the_audit_says_the_check_did_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit_run, "_tesseract", lambda: None)
    found = findings(DEMO / "elodie__no-exif.jpg", ocr=True)
    (ocr,) = [f for f in found if f.kind == "visible_text"]
    assert ocr.severity == "info" and "not installed" in ocr.evidence


def test_every_corpus_file_is_audited_or_refused_without_a_crash() -> None:
    require_shared()
    files = sorted(p for p in PHOTOS.rglob("*") if p.is_file())
    found = list(api.audit([PHOTOS], ocr=False))
    subjects = {f.subject if isinstance(f, Finding) else f.path for f in found}
    assert subjects == {str(p) for p in files}
    gps = {Path(f.subject).name for f in found if isinstance(f, Finding) and f.kind == "gps"}
    assert {"exiftool__GPS.jpg", "mei__with-gps.mp4", "exifr__png_with_exif_and_gps.png"} <= gps
    assert "elodie__no-exif.jpg" not in gps


def test_the_jsonl_lines_carry_subject_kind_severity_and_evidence() -> None:
    result = CliRunner().invoke(
        app, ["audit", str(DEMO / "goexif__sample1.jpg"), "--no-ocr", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert {"subject", "kind", "severity", "evidence", "removable"} <= set(lines[0])
    assert any(x["kind"] == "gps" and x["lat"] == pytest.approx(39.9156, abs=1e-3) for x in lines)
    text = CliRunner().invoke(app, ["audit", str(DEMO / "goexif__sample1.jpg"), "--no-ocr"])
    assert "Beijing" in text.stdout and text.exit_code == 0
    missing = CliRunner().invoke(app, ["audit", "/nonexistent/file.jpg", "--no-ocr"])
    assert missing.exit_code == 1 and "skipped" in missing.stderr


# -- the case's side -----------------------------------------------------------------------

#: A soldier whose days run 07:00-23:00 at UTC+3, and a caption naming a village and a brigade.
CAPTION = "Мы под Дебальцево, 64-я ОМСБр, все живы."


def soldier_rows(n: int = 150, offset_h: int = 3, seed: int = 7) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    start = datetime(2015, 1, 10, tzinfo=UTC)
    rows = []
    for i in range(n):
        day = int(rng.integers(0, 40))
        local_hour = float(rng.uniform(7, 23))
        at = start + timedelta(days=day, hours=local_hour - offset_h)
        text = CAPTION if i == 0 else f"Пост номер {i}, обычный день."
        rows.append([f"s{i}", at.strftime("%Y-%m-%dT%H:%M:%SZ"), "soldier", text])
    return rows


@pytest.fixture(scope="module")
def soldier_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audit")
    table = folder / "posts.csv"
    with table.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "at", "account", "text"])
        writer.writerows(soldier_rows())
    case = folder / "c.case"
    columns = {"id": "id", "at": "at", "account": "account", "text": "text"}
    api.ingest([table], case, columns=columns, executor="local")
    return case


def test_a_caption_naming_a_village_and_a_brigade(soldier_case: Path) -> None:
    found = findings(case=soldier_case)
    first = [f for f in found if f.subject.endswith(":s0")]
    place = next(f for f in first if f.kind == "text_place")
    assert "Дебальцево" in place.data["text"] and place.data["relation"] == "near"
    assert place.severity == "high" and place.data["place"] == "UA-14"
    unit = next(f for f in first if f.kind == "text_unit")
    assert "64" in unit.data["text"] and unit.severity == "high"
    others = [f for f in found if f.subject.startswith("post") and not f.subject.endswith(":s0")]
    assert not [f for f in others if f.kind in ("text_place", "text_unit")]


def test_posting_hours_give_the_accounts_zone(soldier_case: Path) -> None:
    found = findings(case=soldier_case, account="soldier")
    (hours,) = [f for f in found if f.kind == "posting_hours"]
    # awake 07-23 puts the middle of the night at 03:00, an hour before the typical
    # profile's trough: the verdict may read an hour east, and says "give or take"
    assert abs(hours.data["utc_offset_h"] - 3) <= 1 and hours.data["strength"] != "none"
    assert hours.subject.startswith("account ") and hours.severity in ("medium", "low")
    assert f"UTC+{hours.data['utc_offset_h']}" in hours.evidence


def test_an_unknown_account_is_an_error(soldier_case: Path) -> None:
    with pytest.raises(Exception, match="no account"):
        findings(case=soldier_case, account="nobody")


def test_a_copy_in_the_case_that_still_carries_metadata(tmp_path: Path) -> None:
    """A scrubbed picture is clean, but the case holds the original: the audit says so."""
    case = tmp_path / "c.case"
    api.ingest([DEMO / "goexif__sample1.jpg"], case, executor="local")
    done = api.scrub([DEMO / "goexif__sample1.jpg"], tmp_path / "clean", exiftool=False)
    clean = Path(done.files[0].output or "")
    found = findings(clean, case=case)
    own = kinds(found, str(clean))
    assert "gps" not in own and "exif" not in own
    (copy,) = [f for f in found if f.kind == "copy_with_metadata"]
    assert copy.severity == "high" and set(copy.data["carries"]) == {"gps", "taken", "camera"}


def test_a_preview_after_the_picture_is_read_for_its_own_metadata(tmp_path: Path) -> None:
    """A clean-looking picture followed by a second JPEG (an MPF preview, a motion photo's
    frame) that still holds the GPS: the audit reads the preview on its own."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)})
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(first)
    Image.new("RGB", (8, 8), (9, 9, 9)).save(second, exif=exif.tobytes())
    joined = tmp_path / "joined.jpg"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    found = findings(joined)
    own = {f.kind for f in found}
    assert "gps" not in own  # the picture itself has none
    (embedded,) = [f for f in found if f.kind == "embedded_gps"]
    assert embedded.severity == "high" and abs(embedded.data["lat"] - 50.45) < 1e-6
    done = api.scrub([joined], tmp_path / "out", exiftool=False)
    assert Path(done.files[0].output or "").read_bytes() == first.read_bytes()
