"""The stage runner: a stage added in one module runs, resumes after a kill, redoes an
older version's results, and costs only the item a crash hit; every executor gives the
same case rows (Dask on a LocalCluster of 2 workers included)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from geotrace import api
from geotrace.pipeline import registry
from tests.casekit import REPO, integrity, kill_after_a_page
from tests.pipeline import toy_stage

DEMO = REPO / "demo"


def _copy(case: Path, dest: Path) -> Path:
    shutil.copy(case, dest)
    return dest


def _rows(case: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(case) as db:
        return db.execute(sql).fetchall()


def _lengths(case: Path) -> list[tuple[object, ...]]:
    return _rows(case, "SELECT post, version, length, error FROM toy_lengths ORDER BY post")


def _expected(case: Path, version: str = "1") -> list[tuple[object, ...]]:
    posts = _rows(case, "SELECT id, text FROM posts ORDER BY id")
    return [(post, version, len(str(text)), None) for post, text in posts]


def test_a_stage_in_one_module_runs_and_redoes_an_older_version(
    toy: toy_stage.TextLengths, exports_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _copy(exports_case, tmp_path / "toy.case")
    expected = _expected(case)
    assert len(expected) > 2 * toy.page_size  # several pages
    (first,) = api.run([toy.name], case, executor="local")
    assert first.done == len(expected) and first.failed == 0
    assert _lengths(case) == expected
    (again,) = api.run([toy.name], case, executor="processes", workers=2)
    assert again.done == 0  # nothing lacks a current result
    monkeypatch.setattr(toy_stage.TextLengths, "version", "2")
    (redone,) = api.run([toy.name], case, executor="processes", workers=2)
    assert redone.done == len(expected)
    assert _lengths(case) == _expected(case, "2")


def test_a_crash_costs_only_its_item(
    toy: toy_stage.TextLengths, exports_case: Path, tmp_path: Path
) -> None:
    """One item raises, one kills its worker process, one is lost by the computation:
    every other item of their tasks and pages is kept in its place, and the three are
    recorded with their reason (not retried for ever)."""
    case = _copy(exports_case, tmp_path / "crash.case")
    with sqlite3.connect(case) as db:
        ids = [i for (i,) in db.execute("SELECT id FROM posts ORDER BY id")]
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.RAISES, ids[1]))
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.DIES, ids[4]))
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.DROPS, ids[6]))
    (summary,) = api.run([toy.name], case, executor="processes", workers=2)
    assert summary.done == len(ids) and summary.failed == 3
    assert summary.problems == {"toy_failed": 3}
    rows = {post: (n, error) for post, _, n, error in _lengths(case)}
    assert rows[ids[1]] == (-1, "ValueError: toy failure")
    assert rows[ids[4]][0] == -1 and "died" in str(rows[ids[4]][1])
    assert rows[ids[6]] == (-1, "no single result")  # its neighbours' kept in their place
    bad = (ids[1], ids[4], ids[6])
    good = [row for row in _expected(case) if row[0] not in bad]
    assert [row for row in _lengths(case) if row[0] not in bad] == good
    # In this process, the exception still costs only its item.
    local = _copy(exports_case, tmp_path / "local.case")
    with sqlite3.connect(local) as db:
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.RAISES, ids[1]))
    (alone,) = api.run([toy.name], local, executor="local")
    assert alone.failed == 1 and len(_lengths(local)) == len(ids)


KILL_AFTER_FIRST_PAGE = kill_after_a_page(
    "tests.pipeline.toy_stage",
    "TextLengths",
    "from geotrace.pipeline import registry\nfrom tests.pipeline import toy_stage\n"
    "registry.register(toy_stage.STAGE)",
)


def _geotrace(prelude: str, *args: str, out: Path) -> int:
    """The real command in a process of its own, after ``prelude``; output to a file (a
    killed run's leftover workers must not keep a pipe open)."""
    code = f"{prelude}\nimport sys\nfrom geotrace.cli import app\nsys.argv[0] = 'geotrace'\napp()"
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
    with out.open("w") as log:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], stdout=log, stderr=log, env=env, timeout=300
        )
    return done.returncode


def test_a_kill_after_a_page_then_a_rerun_completes(
    toy: toy_stage.TextLengths, exports_case: Path, tmp_path: Path
) -> None:
    case = _copy(exports_case, tmp_path / "killed.case")
    code = _geotrace(
        KILL_AFTER_FIRST_PAGE,
        "run",
        toy.name,
        "--case",
        str(case),
        "--executor",
        "local",
        out=tmp_path / "log",
    )
    assert code == -signal.SIGKILL
    assert integrity(case) == "ok"
    assert len(_lengths(case)) == toy.page_size  # the first page, committed, and no more
    (rest,) = api.run([toy.name], case, executor="local")
    assert rest.done == len(_expected(case)) - toy.page_size
    assert _lengths(case) == _expected(case)


def test_an_unknown_stage_or_executor_is_a_clear_error(exports_case: Path, tmp_path: Path) -> None:
    case = _copy(exports_case, tmp_path / "c.case")
    with pytest.raises(registry.UnknownStage, match="known: text, places, fingerprints, pairs"):
        api.run(["nothing"], case)
    from geotrace.pipeline.executors import ExecutorError

    with pytest.raises(ExecutorError, match="one of local, processes, dask"):
        api.run(["places"], case, executor="threads")
    with pytest.raises(ExecutorError, match="--scheduler is for the dask executor"):
        api.run(["places"], case, scheduler="tcp://127.0.0.1:1")


# -- every executor, the same case -----------------------------------------------------------

#: The tables the stages write, as compared between executors.
STAGE_ROWS = {
    "places": "SELECT sighting_id, places_version, place FROM places ORDER BY 1",
    "fingerprints": "SELECT * FROM fingerprints ORDER BY sha256",
    "fingerprint_regions": "SELECT * FROM fingerprint_regions ORDER BY sha256, at_s, region",
    "verified_pairs": "SELECT * FROM verified_pairs ORDER BY a, b",
    "problems": "SELECT sha256, path, code, message FROM problems ORDER BY 1, 2, 3, 4",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's photos and exports, with a mirrored, resized copy of one photo (a copy
    for the pixel checks to find) and a file that is not a picture at all."""
    folder = tmp_path_factory.mktemp("executors") / "in"
    shutil.copytree(DEMO / "photos", folder / "photos")
    shutil.copytree(DEMO / "exports", folder / "exports")
    source = folder / "photos" / "mei__HTC Desire.jpg"
    with Image.open(source) as image:
        copy = ImageOps.mirror(image.convert("RGB"))
        copy.thumbnail((400, 400))
        copy.save(folder / "photos" / "mirrored.jpg", quality=80)
    (folder / "photos" / "broken.jpg").write_bytes(source.read_bytes()[:2000])
    return folder


def _case_rows(case: Path) -> dict[str, list[tuple[object, ...]]]:
    return {table: _rows(case, sql) for table, sql in STAGE_ROWS.items()}


def _built(inputs: Path, case: Path, executor: str) -> tuple[dict[str, object], list[object]]:
    api.ingest([inputs], case, executor=executor, workers=2)
    groups = api.copies(case, executor=executor, workers=2)
    return _case_rows(case), groups  # type: ignore[return-value]


def test_every_executor_gives_the_same_case(inputs: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    local = _built(inputs, tmp_path / "local.case", "local")
    rows, groups = local
    assert rows["fingerprints"] and rows["places"] and rows["verified_pairs"]
    assert any(len(g["members"]) == 2 for g in groups)  # the mirrored copy was found
    assert any(code == "fingerprint_failed" for *_, code, _ in rows["problems"])
    assert _built(inputs, tmp_path / "processes.case", "processes") == local
    assert _built(inputs, tmp_path / "dask.case", "dask") == local


#: The text stage: the first stage after an ingest that runs on the executor (an ingest
#: fingerprints its pictures as it reads them, on the executor too, inside its own
#: transactions; places are computed in process).
KILL_AFTER_A_TEXT_PAGE = kill_after_a_page(
    "geotrace.evidence.text_stage", "Text", "_Stage.page_size = 2"
)


def test_a_kill_during_a_dask_run_leaves_a_case_a_rerun_completes(
    inputs: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    complete = tmp_path / "complete.case"
    api.ingest([inputs], complete, executor="local")
    case = tmp_path / "killed.case"
    code = _geotrace(
        KILL_AFTER_A_TEXT_PAGE,
        "ingest",
        str(inputs),
        "--case",
        str(case),
        "--executor",
        "dask",
        out=tmp_path / "log",
    )
    assert code == -signal.SIGKILL, (tmp_path / "log").read_text()
    assert integrity(case) == "ok"
    assert len(_rows(case, "SELECT * FROM text_readings")) == 2  # one page, no more
    api.ingest([inputs], case, executor="dask", workers=2)
    assert _case_rows(case) == _case_rows(complete)
    readings = "SELECT * FROM text_readings ORDER BY post"
    assert _rows(case, readings) == _rows(complete, readings)
