"""The Dask executor on a 2-worker LocalCluster: a real folder of photos ingested and its
copies searched give the same case, row for row, as the fork pool; a task that raises or
kills its worker costs only its item, with the reason kept."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from geotrace import api
from tests.casekit import REPO
from tests.pipeline import toy_stage

pytest.importorskip("distributed", reason="the dask extra (dask[distributed]) is not installed")

PHOTOS = REPO.parent / "shared" / "corpora" / "photos" / "jpeg"

#: Columns that say when a run happened, not what it found.
WHEN = {"added_at", "ingested_at", "applied_at"}


def every_row(case: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, sorted, without the columns that say when a run happened
    (and the custody log's time and row number)."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    with sqlite3.connect(case) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for table in tables:
            columns = [
                c
                for _, c, *_ in db.execute(f'PRAGMA table_info("{table}")')
                if c not in WHEN and not (table == "custody_log" and c in ("id", "at"))
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            found = db.execute(f'SELECT {listed} FROM "{table}"').fetchall()
            rows[table] = sorted(found, key=repr)
    return rows


@pytest.mark.skipif(not PHOTOS.is_dir(), reason=f"the photo corpus is not at {PHOTOS}")
def test_dask_gives_the_fork_pools_case_on_real_photos(tmp_path: Path) -> None:
    """79 camera and phone JPEGs (and a few broken ones), a mirrored copy of one of
    them: ingest and copies on each executor, then every table compared."""
    folder = tmp_path / "in"
    shutil.copytree(PHOTOS, folder)
    from PIL import Image, ImageOps

    with Image.open(folder / "exifpy__DSCN0021.jpg") as image:
        mirrored = ImageOps.mirror(image.convert("RGB"))
        mirrored.thumbnail((500, 500))
        mirrored.save(folder / "mirrored.jpg", quality=85)
    found = {}
    for executor in ("processes", "dask"):
        case = tmp_path / f"{executor}.case"
        api.ingest([folder], case, executor=executor, workers=2)
        groups = api.copies(case, executor=executor, workers=2)
        found[executor] = (every_row(case), groups)
    rows, groups = found["processes"]
    assert len(rows["media"]) >= 70 and rows["fingerprints"] and rows["places"]
    assert any(len(g["members"]) >= 2 for g in groups)  # the mirrored copy, at least
    assert rows["verified_pairs"]
    for table, dask_rows in found["dask"][0].items():
        assert dask_rows == rows[table], table
    assert found["dask"][1] == groups


def test_a_task_that_raises_or_kills_its_worker_costs_its_item_on_dask(
    toy: toy_stage.TextLengths, exports_case: Path, tmp_path: Path
) -> None:
    case = tmp_path / "dask.case"
    shutil.copy(exports_case, case)
    with sqlite3.connect(case) as db:
        ids = [i for (i,) in db.execute("SELECT id FROM posts ORDER BY id")]
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.RAISES, ids[1]))
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.DIES, ids[5]))
        db.execute("UPDATE posts SET text = ? WHERE id = ?", (toy_stage.DROPS, ids[6]))
        posts = dict(db.execute("SELECT id, text FROM posts"))
    (summary,) = api.run([toy.name], case, executor="dask", workers=2)
    assert summary.done == len(ids) and summary.failed == 3
    with sqlite3.connect(case) as db:
        rows = {p: (n, e) for p, n, e in db.execute("SELECT post, length, error FROM toy_lengths")}
    assert rows.pop(ids[1]) == (-1, "ValueError: toy failure")
    length, reason = rows.pop(ids[5])
    assert length == -1 and "KilledWorker" in str(reason)
    assert rows.pop(ids[6]) == (-1, "no single result")
    # Every other item, its neighbours on a killed worker included, has its own result.
    assert rows == {p: (len(str(posts[p])), None) for p in ids if p not in (ids[1], ids[5], ids[6])}


def test_a_running_scheduler_is_used_by_its_address(
    toy: toy_stage.TextLengths, exports_case: Path, tmp_path: Path
) -> None:
    """--scheduler: the command's client joins that cluster (its versions checked) and
    leaves it running."""
    import distributed

    case = tmp_path / "remote.case"
    shutil.copy(exports_case, case)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
    ) as cluster:
        (summary,) = api.run([toy.name], case, executor="dask", scheduler=cluster.scheduler_address)
        assert cluster.scheduler.workers  # still there for the next command
    with sqlite3.connect(case) as db:
        texts = dict(db.execute("SELECT id, text FROM posts"))
        rows = dict(db.execute("SELECT post, length FROM toy_lengths"))
    assert summary.done == len(texts) and rows == {p: len(str(t)) for p, t in texts.items()}
