"""Reading a group's originals on the executor (geotrace.ingest_read): the same case rows
whatever the executor and the group size, a task that dies costs no row, and a kill while
a group is being read leaves a case that a re-run completes without duplicates."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from geotrace import api, ingest, ingest_read
from geotrace.evidence import fingerprint_stage
from geotrace.pipeline.executors import Failed, Local, Processes
from tests.casekit import counts, duplicates, has_schema, integrity
from tests.conftest import PHOTOS, require_shared

REPO = Path(__file__).resolve().parents[1]
#: Columns that say when, not what: left out of every comparison (and the problems'
#: rowid, which follows the order rows were written in, not what they say).
WHEN = {"ingested_at", "added_at", "at", "applied_at"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Corpus pictures (each twice: a copy under another name is one media), malformed
    files (fingerprint failures, reader problems) and a file that is no picture."""
    folder = tmp_path_factory.mktemp("read") / "in"
    folder.mkdir()
    jpegs = sorted(require_shared(PHOTOS / "jpeg").glob("*.jpg"))[:24]
    for i, path in enumerate(jpegs):
        (folder / f"{i:02d}.jpg").write_bytes(path.read_bytes())
    (folder / "again.jpg").write_bytes(jpegs[3].read_bytes())
    for path in sorted((PHOTOS / "malformed").iterdir())[:12]:
        (folder / f"bad_{path.name}").write_bytes(path.read_bytes())
    (folder / "notes.txt").write_text("not a picture\n")
    return folder


def table_rows(case: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the columns of ``WHEN`` (nor ids that only
    count rows: the custody log's and the problems')."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(case) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in columns if c not in WHEN]
            if table in ("custody_log", "problems"):
                keep = [c for c in keep if c != "id"]
            rows = db.execute(f"SELECT {', '.join(keep)} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


def _ingest(folder: Path, case: Path, executor: str = "processes") -> ingest.IngestSummary:
    return api.ingest([folder], case, executor=executor, workers=2)


def test_the_same_rows_whatever_the_executor_and_the_group_size(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "local.case"
    summary = _ingest(inputs, local, "local")
    expected = table_rows(local)
    assert expected["fingerprints"] and expected["sightings"] and expected["places"]
    assert any(row[2] == "fingerprint_failed" for row in expected["problems"])
    assert summary.fingerprinted == len(expected["fingerprints"])
    _ingest(inputs, tmp_path / "processes.case")
    assert table_rows(tmp_path / "processes.case") == expected
    # Groups of three items: many groups read while the next is staged.
    monkeypatch.setattr(ingest, "GROUP_ITEMS", 3)
    small = _ingest(inputs, tmp_path / "small.case")
    assert table_rows(tmp_path / "small.case") == expected
    assert small.fingerprinted == summary.fingerprinted
    assert small.new_media == summary.new_media and small.problems == summary.problems
    # A second run reads nothing again and finds every picture done.
    again = _ingest(inputs, tmp_path / "small.case")
    assert again.new_media == 0 and again.fingerprinted == 0
    assert table_rows(tmp_path / "small.case") == expected


class DiesOnEveryTask(Local):
    """An executor whose every task fails, as when a decoder kills its worker."""

    def map(
        self,
        fn: Any,
        tasks: Sequence[Sequence[Any]],
        routes: Sequence[int | None] | None = None,
    ) -> list[list[Any] | Failed]:
        if getattr(fn, "__name__", "") == "read_page":
            return [Failed("a worker process died")] * len(tasks)
        return super().map(fn, tasks, routes)


def test_a_read_task_that_dies_costs_no_row(inputs: Path, tmp_path: Path) -> None:
    """Its files are read again in the parent, without fingerprints; the fingerprint
    stage that ends the ingest does those, one crash costing one file."""
    expected = table_rows(_built(inputs, tmp_path / "local.case", Local()))
    assert table_rows(_built(inputs, tmp_path / "dies.case", DiesOnEveryTask())) == expected


def test_a_decoder_that_kills_its_worker_costs_no_row(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real crash in a forked worker (SIGKILL while decoding one picture): its task is
    read again in the parent, and the stage that ends the ingest fingerprints the rest."""
    expected = table_rows(_built(inputs, tmp_path / "local.case", Local()))
    victim = sorted(inputs.glob("*.jpg"))[5].read_bytes()
    decode = fingerprint_stage.fingerprint_one
    again: list[str] = []  # what the parent read again after a task died
    unprinted = ingest_read._unprinted

    def crashing(job: tuple[str, str, str]) -> Any:
        if Path(job[2]).read_bytes() == victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return decode(job)

    def counted(job: ingest_read.ReadJob) -> ingest_read.Read:
        again.append(job.name)
        return unprinted(job)

    monkeypatch.setattr(ingest_read, "fingerprint_one", crashing)  # forked workers inherit it
    monkeypatch.setattr(ingest_read, "_unprinted", counted)
    executor = Processes(2)
    try:
        crashed = _built(inputs, tmp_path / "crashed.case", executor)
    finally:
        executor.close()
    assert table_rows(crashed) == expected
    # The tasks the dead worker held were read again here (the victim's among them).
    assert any(Path(name).read_bytes() == victim for name in again)


def _built(inputs: Path, case: Path, executor: Any) -> Path:
    from geotrace.pipeline.runner import open_case

    with open_case(case, write=True, create=True) as opened:
        ingest.ingest(opened, [inputs], executor=executor)
    return case


#: ``geotrace ingest`` with groups of four items, each group's reading slowed down, so
#: that a kill lands while a group is being read on the workers.
SLOW_GROUPS = """
import time
from geotrace import ingest, ingest_read
ingest.GROUP_ITEMS = 4
_read = ingest_read.read_page
def slow(jobs):
    time.sleep(0.3)
    return _read(jobs)
ingest_read.read_page = slow
import sys
from geotrace.cli import app
sys.argv[0] = 'geotrace'
app()
"""


def _rows_and_originals(case: Path) -> tuple[int, int]:
    """(sources recorded, originals in the media folder)."""
    try:
        with sqlite3.connect(f"file:{case}?mode=ro", uri=True) as db:
            sources = db.execute("SELECT count(*) FROM sources").fetchone()[0]
    except sqlite3.Error:
        sources = 0
    media = Path(f"{case}.media")
    stored = sum(1 for p in media.glob("??/??/*") if p.is_file()) if media.exists() else 0
    return int(sources), stored


def test_a_kill_while_a_group_is_read_then_rerun(inputs: Path, tmp_path: Path) -> None:
    complete = tmp_path / "complete.case"
    _ingest(inputs, complete)
    target = table_rows(complete)
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
    landed = 0
    for trial in range(3):
        case = tmp_path / f"killed{trial}.case"
        proc = subprocess.Popen(
            [sys.executable, "-c", SLOW_GROUPS, "ingest", str(inputs), "--case", str(case)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 120
        # Kill once (trial + 1) groups are recorded and the next one's originals are in
        # place without rows: that group is being read.
        while proc.poll() is None and time.monotonic() < deadline:
            sources, stored = _rows_and_originals(case)
            if sources >= 4 * (trial + 1) and stored > sources:
                os.kill(proc.pid, signal.SIGKILL)
                landed += 1
                break
            time.sleep(0.01)
        proc.wait()
        assert integrity(case) == "ok"
        assert has_schema(case) and duplicates(case) == 0
        assert counts(case)["sources"] < len(target["sources"])
        assert api.verify(case).ok  # every row's original is in place
        summary = _ingest(inputs, case)
        assert table_rows(case) == target
        assert summary.new_media > 0 and duplicates(case) == 0 and integrity(case) == "ok"
        assert list(Path(f"{case}.media", "tmp").iterdir()) == []
    assert landed == 3, "a kill did not land while a group was read"
