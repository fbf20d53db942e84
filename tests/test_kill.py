"""kill -9 during an ingest, for real: the case must open, pass integrity_check, hold no
duplicates, and a re-run must complete it to exactly what an uninterrupted run gives."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from geotrace import api
from tests.casekit import counts, duplicates, has_schema, integrity
from tests.conftest import PHOTOS, require_shared

COPIES = 40


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~40 distinct files: corpus JPEGs with a few bytes appended after the image."""
    jpegs = sorted(require_shared(PHOTOS / "jpeg").glob("*.jpg"))
    folder = tmp_path_factory.mktemp("kill") / "in"
    folder.mkdir()
    for i in range(COPIES):
        data = jpegs[i % len(jpegs)].read_bytes() + f"copy {i}".encode()
        (folder / f"{i:02d}.jpg").write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def complete(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Row counts of an uninterrupted ingest, the target of every re-run."""
    case = tmp_path_factory.mktemp("clean") / "clean.case"
    api.ingest([inputs], case)
    return counts(case)


def _ingest_then_kill(inputs: Path, case: Path, delay: float) -> bool:
    """Start ``geotrace ingest``, SIGKILL it ``delay`` s after the case file appears.

    Returns whether it was still running when killed.
    """
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "geotrace", "ingest", str(inputs), "--case", str(case)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not case.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    running = proc.poll() is None  # poll() reaps a finished child: then there is none to kill
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return running


def test_kill_at_random_moments_then_rerun(
    inputs: Path, complete: dict[str, int], tmp_path: Path
) -> None:
    rng = random.Random(20140817)
    delays = [0.0, 0.01] + [rng.uniform(0.0, 0.5) for _ in range(6)]
    interrupted = 0
    for trial, delay in enumerate(delays):
        case = tmp_path / f"trial{trial}.case"
        interrupted += _ingest_then_kill(inputs, case, delay)
        if not case.exists():
            continue
        assert integrity(case) == "ok", f"trial {trial}, killed after {delay:.3f}s"
        if has_schema(case):  # else killed before every migration committed
            assert counts(case)["media"] <= complete["media"]
            assert duplicates(case) == 0
            assert api.verify(case).ok  # an original is always in place before its rows

        summary = api.ingest([inputs], case)
        assert summary.skipped == 0
        assert counts(case) == complete, f"trial {trial}, killed after {delay:.3f}s"
        assert duplicates(case) == 0 and integrity(case) == "ok"
        assert list(Path(f"{case}.media", "tmp").iterdir()) == []
    assert interrupted >= 3, "too few kills landed during an ingest to prove anything"


TELEGRAM = PHOTOS.parent / "exports" / "telegram_desktop_json" / "chm_telegram_2023-01.result.json"
MESSAGES = 60_000  # about 30 MB: read in a forked child, in a dozen batches


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Telegram export of the real 2023-01 sample's messages, repeated with new ids and
    times, some with the sample's own geotag added so that sightings are written too."""
    data = json.loads(require_shared(TELEGRAM).read_text("utf-8"))
    chat = data["chats"]["list"][0]
    seeds = [m for m in chat["messages"] if m["type"] == "message"]
    messages = []
    for i in range(MESSAGES):
        message = dict(seeds[i % len(seeds)], id=i + 1)
        message["date_unixtime"] = str(1_672_531_200 + 60 * i)
        if i % 100 == 0:
            message["location_information"] = {"latitude": 50.45, "longitude": 30.52}
        messages.append(message)
    chat["messages"] = messages
    folder = tmp_path_factory.mktemp("export") / "in"
    folder.mkdir()
    path = folder / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return folder


def test_kill_during_an_export_then_rerun(big_export: Path, tmp_path: Path) -> None:
    complete_case = tmp_path / "complete.case"
    api.ingest([big_export], complete_case)
    target = counts(complete_case)
    assert target["posts"] == MESSAGES and target["sightings"] == MESSAGES // 100
    rng = random.Random(19140628)
    interrupted = 0
    for trial, delay in enumerate(rng.uniform(0.3, 2.0) for _ in range(3)):
        case = tmp_path / f"export{trial}.case"
        interrupted += _ingest_then_kill(big_export, case, delay)
        if not case.exists():
            continue
        assert integrity(case) == "ok", f"trial {trial}, killed after {delay:.3f}s"
        if has_schema(case):
            assert counts(case)["posts"] <= MESSAGES and duplicates(case) == 0
        api.ingest([big_export], case)
        # the custody log rightly says the interrupted document was read again
        rows, logged = counts(case), counts(case)["custody_log"]
        assert {**rows, "custody_log": 0} == {**target, "custody_log": 0}, f"trial {trial}"
        assert logged >= target["custody_log"]
        assert duplicates(case) == 0 and integrity(case) == "ok"
    assert interrupted >= 2, "too few kills landed during the export to prove anything"


TINY = 10_000  # members of ten bytes: kept and recorded a thousand at a time


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip of many ten-byte members, and a few corpus photos whose rows hold sightings."""
    jpegs = sorted(require_shared(PHOTOS / "jpeg").glob("*.jpg"))[:5]
    folder = tmp_path_factory.mktemp("tiny") / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "tiny.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(TINY):
            zf.writestr(f"m/{i:05d}.txt", b"%010d" % i)
            if i % 2_000 == 0:
                zf.write(jpegs[i // 2_000], f"photos/{i:05d}.jpg")
    return folder


def test_kill_during_a_many_member_archive_then_rerun(tiny_archive: Path, tmp_path: Path) -> None:
    complete_case = tmp_path / "complete.case"
    api.ingest([tiny_archive], complete_case)
    target = counts(complete_case)
    assert target["sources"] == TINY + 5 + 1 and target["media"] == TINY + 5 + 1
    rng = random.Random(20150217)
    interrupted = 0
    for trial, delay in enumerate(rng.uniform(0.2, 2.0) for _ in range(3)):
        case = tmp_path / f"tiny{trial}.case"
        interrupted += _ingest_then_kill(tiny_archive, case, delay)
        if not case.exists():
            continue
        assert integrity(case) == "ok", f"trial {trial}, killed after {delay:.3f}s"
        if has_schema(case):  # rows only for originals already durable and in place
            assert counts(case)["sources"] <= target["sources"] and duplicates(case) == 0
            assert api.verify(case).ok
        summary = api.ingest([tiny_archive], case)
        assert summary.skipped == 0
        assert counts(case) == target, f"trial {trial}, killed after {delay:.3f}s"
        assert duplicates(case) == 0 and integrity(case) == "ok"
        assert list(Path(f"{case}.media", "tmp").iterdir()) == []
    assert interrupted >= 2, "too few kills landed during the archive to prove anything"
