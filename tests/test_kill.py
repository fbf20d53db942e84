"""kill -9 during an ingest, for real: the case must open, pass integrity_check, hold no
duplicates, and a re-run must complete it to exactly what an uninterrupted run gives."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
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
