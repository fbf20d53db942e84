"""The case store when things fail around it (issue 15): a kill in the fingerprint stage,
a disk that fills, a --case that is another application's file or cannot be written."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from geotrace.errors import CaseFull
from geotrace.store.case import Case
from tests.casekit import REPO, counts, demo_copy, duplicates, integrity, kill_after_a_page
from tests.conftest import PHOTOS, require_shared

runner = CliRunner()
JPEG = PHOTOS / "jpeg"


def _geotrace(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real command in a process of its own, after ``prelude`` (Python)."""
    code = f"{prelude}\nimport sys\nfrom geotrace.cli import app\nsys.argv[0] = 'geotrace'\napp()"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )


def _one_line_error(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in lines[0], stderr


def _problems(case: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(case) as db:
        return db.execute("SELECT sha256, path, code FROM problems ORDER BY path, code").fetchall()


# -- 4: kill -9 in the fingerprint stage -----------------------------------------------


@pytest.fixture(scope="module")
def undecodable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 shared JPEGs cut off after their first 3,000 bytes (headers read, pixels gone)
    and 5 whole ones: 30 pictures that fail to fingerprint."""
    jpegs = sorted(p for p in require_shared(JPEG).glob("*.jpg") if p.stat().st_size > 20_000)
    folder = tmp_path_factory.mktemp("prints") / "in"
    folder.mkdir()
    for n, jpeg in enumerate(jpegs[:35]):
        data = jpeg.read_bytes()
        (folder / f"{n:02d}.jpg").write_bytes(data if n >= 30 else data[:3000])
    return folder


KILL_AFTER_A_PAGE = kill_after_a_page("geotrace.evidence.fingerprint_stage", "Fingerprints")


def test_a_kill_after_a_fingerprint_page_keeps_its_problems(
    undecodable: Path, tmp_path: Path
) -> None:
    """SIGKILL the real ingest the moment a page of fingerprints is committed: the page's
    fingerprint_failed problems are on disk with it (they were committed after, one by
    one, and a re-run found the pictures done: lost for good)."""
    complete = tmp_path / "complete.case"
    api.ingest([undecodable], complete)
    failed = [p for p in _problems(complete) if p[2] == "fingerprint_failed"]
    assert len(failed) >= 30  # the cut ones, and any whole sample the decoder refuses

    case = tmp_path / "killed.case"
    done = _geotrace("ingest", str(undecodable), "--case", str(case), prelude=KILL_AFTER_A_PAGE)
    assert done.returncode == -signal.SIGKILL
    assert integrity(case) == "ok"
    with sqlite3.connect(case) as db:
        (errors,) = db.execute("SELECT count(*) FROM fingerprints WHERE error IS NOT NULL")
        assert errors == (len(failed),)
    assert _problems(case) == _problems(complete)
    api.ingest([undecodable], case)
    assert _problems(case) == _problems(complete) and duplicates(case) == 0


# -- 5: a disk that fills --------------------------------------------------------------


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a real filesystem that fills (root and mount(8) needed)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount = shutil.which("mount")
    if os.geteuid() != 0 or mount is None:
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def test_a_full_disk_is_fatal_blames_no_input_and_a_rerun_completes(
    small_disk: Path, tmp_path: Path
) -> None:
    """12 MB of shared photos into a 2 MiB filesystem: one line saying the case's disk
    is full, exit 2, nothing recorded against the inputs (they were called unreadable
    and SQLite's "cannot rollback" shown), the case consistent; once there is room, a
    re-run gives what a run on a roomy disk gives."""
    photos = require_shared(JPEG)
    case = small_disk / "full.case"
    done = _geotrace("ingest", str(photos), "--case", str(case))
    assert done.returncode == 2
    _one_line_error(done.stderr, "no space left on the case's disk")
    assert integrity(case) == "ok"
    assert [p for p in _problems(case) if p[0] == ""] == []  # no input blamed
    assert list((small_disk / "full.case.media" / "tmp").iterdir()) == []  # space given back
    assert api.verify(case).ok

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    roomy = tmp_path / "roomy.case"
    api.ingest([photos], roomy)
    api.ingest([photos], case)
    assert counts(case) == counts(roomy) and duplicates(case) == 0
    assert [p[1:] for p in _problems(case)] == [p[1:] for p in _problems(roomy)]


def test_a_full_database_is_fatal_and_leaves_the_case_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), by a page limit a few pages
    past the empty case: CaseFull, not "cannot rollback - no transaction is active", and
    a re-run without the limit completes."""
    photos = demo_copy(tmp_path / "photos")
    migrate = Case._migrate

    def capped(self: Case) -> None:
        migrate(self)
        (pages,) = self.db.execute("PRAGMA page_count").fetchone()
        self.db.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(Case, "_migrate", capped)
    case = tmp_path / "inv.case"
    with pytest.raises(CaseFull, match="no space left on the case's disk"):
        api.ingest([photos], case)
    assert integrity(case) == "ok"
    assert [p for p in _problems(case) if p[0] == ""] == []  # no input blamed
    monkeypatch.setattr(Case, "_migrate", migrate)
    api.ingest([photos], case)
    clean = tmp_path / "clean.case"
    api.ingest([photos], clean)
    assert counts(case) == counts(clean) and duplicates(case) == 0


def test_a_rerun_clears_the_refusals_that_no_longer_hold(tmp_path: Path) -> None:
    """A mistyped folder, then the folder made; an archive member that did not inflate,
    then the archive rebuilt whole: what the first run could not read is read by the
    second, and the first run's not_found / archive_member_unreadable go."""
    photos = demo_copy(tmp_path / "photos")
    names = sorted(p.name for p in photos.iterdir())
    archive = tmp_path / "album.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for name in names[:3]:
            zf.write(photos / name, name)
    data = bytearray(archive.read_bytes())
    first = data.index((photos / names[0]).read_bytes()[:64])
    data[first + 200] ^= 0xFF  # the first member's CRC no longer matches
    archive.write_bytes(bytes(data))
    later = tmp_path / "later"
    case = tmp_path / "inv.case"

    api.ingest([archive, later], case)
    before = {(path, code) for sha, path, code in _problems(case) if sha == ""}
    member = f"{archive}!/{names[0]}"
    assert before == {(member, "archive_member_unreadable"), (str(later), "not_found")}

    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for name in names[:3]:
            zf.write(photos / name, name)
    shutil.copytree(photos, later)
    summary = api.ingest([archive, later], case)
    assert summary.skipped == 0
    assert [p for p in _problems(case) if p[0] == ""] == []
    with sqlite3.connect(case) as db:
        assert db.execute("SELECT 1 FROM sources WHERE path = ?", (member,)).fetchone()


# -- 9: a --case that is not a case, or cannot be written -------------------------------


def _history(path: Path) -> None:
    """A browser-history-like database, in WAL mode as Firefox keeps places.sqlite."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        db.execute("INSERT INTO moz_places (url) VALUES ('https://example.org/')")
    db.close()


def _own_media(path: Path) -> None:
    """Another application's database with a ``media`` table of its own."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE media (id INTEGER PRIMARY KEY, file TEXT)")
    db.close()


def _own_schema_version(path: Path) -> None:
    """A ``schema_version`` table, as many applications keep, not geotrace's."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (version TEXT)")
    db.close()


def _application_id(path: Path) -> None:
    """No table yet, but marked as another application's file."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1234")
    db.close()


def _text(path: Path) -> None:
    path.write_text("not a database " * 20)


@pytest.mark.parametrize(
    "make", [_history, _own_media, _own_schema_version, _application_id, _text]
)
@pytest.mark.parametrize("command", [["ingest", str(REPO / "demo" / "photos")], ["sightings"]])
def test_another_applications_file_is_refused_and_left_byte_identical(
    tmp_path: Path, make: object, command: list[str]
) -> None:
    foreign = tmp_path / "other.sqlite"
    assert callable(make)
    make(foreign)
    before = sorted(p.name for p in tmp_path.iterdir())
    digest = hashlib.sha256(foreign.read_bytes()).hexdigest()
    result = runner.invoke(app, [*command, "--case", str(foreign)])
    assert result.exit_code == 2, result.output
    _one_line_error(result.stderr, "not a geotrace case")
    assert hashlib.sha256(foreign.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -journal, -wal, .media


def test_a_mistyped_input_leaves_no_new_case(tmp_path: Path) -> None:
    case = tmp_path / "new.case"
    result = runner.invoke(app, ["ingest", str(tmp_path / "no" / "such"), "--case", str(case)])
    assert result.exit_code == 2
    _one_line_error(result.stderr, "nothing to ingest", "no such file or folder")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_place_of_the_case_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "inv.case"
    folder.mkdir()
    result = runner.invoke(app, ["ingest", str(REPO / "demo" / "photos"), "--case", str(folder)])
    assert result.exit_code == 2
    _one_line_error(result.stderr, "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.case"]


@pytest.fixture()
def read_only_case(tmp_path: Path) -> Iterator[Path]:
    """A case made by an ingest, in a folder then made read-only: a read-only tmpfs for
    root (whom file modes do not stop), the folder's and file's modes for anyone else."""
    folder = tmp_path / "ro"
    folder.mkdir()
    root = os.geteuid() == 0
    if root:
        made = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    case = folder / "inv.case"
    api.ingest([REPO / "demo" / "photos"], case)
    try:
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            case.chmod(0o444)
            folder.chmod(0o555)
        yield case
    finally:
        if root:
            subprocess.run(["umount", "--lazy", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def test_a_read_only_case_refuses_writes_in_one_line_and_still_answers_reads(
    read_only_case: Path,
) -> None:
    photos = str(REPO / "demo" / "photos")
    result = runner.invoke(app, ["ingest", photos, "--case", str(read_only_case)])
    assert result.exit_code == 2
    _one_line_error(result.stderr, "cannot write the case")
    for command in (["sightings"], ["posts"], ["regions"], ["accounts"], ["verify"]):
        done = runner.invoke(app, [*command, "--case", str(read_only_case)])
        assert done.exit_code == 0, (command, done.output)
    new = runner.invoke(app, ["ingest", photos, "--case", str(read_only_case.parent / "n.case")])
    assert new.exit_code == 2
    _one_line_error(new.stderr, "cannot write the case")


FORK_THEN_DIE = """
import os, signal, sys, time
from pathlib import Path
from geotrace.store.case import Case
case = Case(Path(sys.argv[1]), write=True)
if os.fork() == 0:  # a worker, as a fork pool starts one, that outlives its parent
    time.sleep(20)
    os._exit(0)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_writers_forked_worker_does_not_hold_the_case(tmp_path: Path) -> None:
    """A worker forked by an ingest inherits the writer lock's descriptor; killed, the
    ingest left it holding the case until it ended, and the re-run was refused as busy."""
    case = tmp_path / "inv.case"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", FORK_THEN_DIE, str(case)],
        env=env,
        timeout=60,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert done.returncode == -signal.SIGKILL
    with Case(case, write=True) as reopened:  # at once, while the worker still sleeps
        assert reopened.counts()["media"] == 0


@pytest.mark.parametrize("command", [["copies"], ["run", "places"]])
def test_a_command_on_a_case_that_is_not_there_makes_none(
    command: list[str], tmp_path: Path
) -> None:
    """``copies`` and ``run`` write to a case, but only ``ingest`` creates one: on a
    mistyped path they left an empty case behind and said it held nothing."""
    case = tmp_path / "mistyped.case"
    result = runner.invoke(app, [*command, "--case", str(case)])
    assert result.exit_code == 2
    _one_line_error(result.stderr, "no case at")
    assert list(tmp_path.iterdir()) == []
