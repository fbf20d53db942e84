"""The case store: originals kept byte-exact, idempotent re-runs, verify, the writer lock."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest

from geotrace import api
from geotrace import ingest as ingest_module
from geotrace.errors import NotACase
from geotrace.store.case import Case
from geotrace.store.media import CaseBusy
from tests.casekit import counts, demo_copy, duplicates, has_schema, integrity


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    return demo_copy(tmp_path / "photos")


def test_ingest_keeps_every_original_byte_exact_and_read_only(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    summary = api.ingest([photos], case)
    files = sorted(p for p in photos.iterdir())
    assert summary.files == summary.new_media == summary.new_sources == len(files)
    assert summary.skipped == 0 and summary.exit_code == 0
    with Case(case) as c:
        for f in files:
            data = f.read_bytes()
            stored = c.media.path_of(hashlib.sha256(data).hexdigest())
            assert stored.read_bytes() == data
            assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list((tmp_path / "inv.case.media" / "tmp").iterdir()) == []
    assert integrity(case) == "ok"


def test_rows_trace_back_to_the_source_path(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    with sqlite3.connect(case) as db:
        rows = db.execute(
            "SELECT s.path, s.kind, s.reader, s.reader_version, m.stored_as, m.metadata"
            " FROM sources s JOIN media m USING (sha256)"
        ).fetchall()
        actions = {a for (a,) in db.execute("SELECT action FROM custody_log")}
    assert has_schema(case)
    assert actions == {"case_created", "stored"}
    assert {Path(p).parent for p, *_ in rows} == {photos}
    for _path, kind, reader, reader_version, stored_as, metadata in rows:
        assert (kind, reader) == ("file", "geotrace.evidence") and reader_version
        assert stored_as.count("/") == 2 and metadata.startswith("{")


def test_ingesting_twice_changes_nothing(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    before = counts(case)
    again = api.ingest([photos], case)
    assert counts(case) == before
    assert (again.new_sources, again.new_media, again.new_sightings) == (0, 0, 0)
    assert duplicates(case) == 0


def test_an_updated_folder_adds_only_what_is_new(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    before = counts(case)
    original = photos / "goexif__sample1.jpg"
    (photos / "new.jpg").write_bytes(original.read_bytes() + b"\0new bytes")
    (photos / "same-bytes-new-name.jpg").write_bytes(original.read_bytes())
    summary = api.ingest([photos], case)
    assert (summary.new_media, summary.new_sources) == (1, 2)
    after = counts(case)
    assert after["media"] == before["media"] + 1
    assert after["sources"] == before["sources"] + 2
    assert after["custody_log"] == before["custody_log"] + 1
    assert duplicates(case) == 0


def test_a_new_reader_version_rereads_in_place(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    before = counts(case)
    monkeypatch.setattr(ingest_module, "READER_VERSION", "next")
    summary = api.ingest([photos], case)
    assert (summary.new_media, summary.new_sources) == (0, 0)  # re-read, not re-ingested
    after = counts(case)
    assert {t: after[t] for t in ("media", "sightings", "problems")} == {
        t: before[t] for t in ("media", "sightings", "problems")
    }
    with sqlite3.connect(case) as db:
        versions = {v for (v,) in db.execute("SELECT DISTINCT reader_version FROM media")}
        (rereads,) = db.execute(
            "SELECT count(*) FROM custody_log WHERE action = 'reread'"
        ).fetchone()
    assert versions == {"next"} and rereads == before["media"]
    assert duplicates(case) == 0


def test_not_a_case_is_refused_and_releases_the_lock(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.case"
    bogus.write_bytes(b"not a database, just bytes" * 100)
    for _ in range(2):
        with pytest.raises(NotACase):  # was SQLite's DatabaseError, raised after the lock
            Case(bogus, write=True)
    assert bogus.read_bytes() == b"not a database, just bytes" * 100


def test_verify_finds_altered_and_missing_originals(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    assert api.verify(case).ok
    with Case(case) as c:
        originals = sorted(c.originals())
    altered, removed = originals[0][2], originals[1][2]
    os.chmod(altered, 0o644)
    with altered.open("r+b") as f:
        f.seek(0)
        f.write(b"X")
    removed.unlink()
    report = api.verify(case)
    assert not report.ok
    assert report.mismatched == [originals[0][0]]
    assert report.missing == [originals[1][0]]
    assert report.checked == len(originals)


def test_a_rerun_restores_a_missing_original(photos: Path, tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    api.ingest([photos], case)
    with Case(case) as c:
        sha, _, stored = next(iter(c.originals()))
    stored.unlink()
    api.ingest([photos], case)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert api.verify(case).ok


def test_zip_members_are_kept_and_the_archive_too(photos: Path, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(photos.iterdir()):
            zf.write(f, f"album/{f.name}")
        zf.writestr("../escape.jpg", b"never")
    case = tmp_path / "inv.case"
    summary = api.ingest([archive], case)
    assert summary.skipped == 1 and summary.exit_code == 1
    assert summary.problems["archive_path_traversal"] == 1
    with sqlite3.connect(case) as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM sources GROUP BY kind").fetchall())
        containers = {c for (c,) in db.execute("SELECT DISTINCT container FROM sources")}
    n = len(list(photos.iterdir()))
    assert kinds == {"archive": 1, "archive_member": n}
    assert containers == {None, str(archive)}
    # the same photos from a folder are the same media: only new source rows
    before = counts(case)
    api.ingest([photos], case)
    assert counts(case)["media"] == before["media"]
    assert counts(case)["sources"] == before["sources"] + n
    assert not (tmp_path / "escape.jpg").exists()


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    with Case(case, write=True), pytest.raises(CaseBusy):
        Case(case, write=True)
    with Case(case, write=True):  # released on close
        pass


def test_reading_a_missing_case_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        api.verify(tmp_path / "none.case")
    assert not (tmp_path / "none.case").exists()


def test_a_case_inside_the_folder_given_is_not_read_into_itself(tmp_path: Path) -> None:
    """``geotrace ingest . --case inv.case``: the walk met the case's own database and its
    media folder (every original again, under store paths) and ingested them as evidence."""
    folder = demo_copy(tmp_path / "work")
    photos = sorted(p.name for p in folder.iterdir())
    case = folder / "inv.case"
    first = api.ingest([folder], case)
    again = api.ingest([folder], case)
    with sqlite3.connect(case) as db:
        paths = sorted(Path(p).name for (p,) in db.execute("SELECT path FROM sources"))
    assert paths == photos
    assert first.files == again.files == len(photos)
    assert again.new_sources == again.new_media == 0
