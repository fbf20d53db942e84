"""Reading a group's stored originals on the executor, while the parent stages the next.

Why: the parent is the case's one writer, and it used to read every stored original
itself, one after another, then leave the fingerprints to a stage that decoded the same
files again after the walk.  Reading is a pure function of a stored file, so a group's
reading goes to the stage executor in tasks of :data:`CHUNK` files (in a fork pool, or on
Dask workers that see the case folder), each file read once for its metadata and, for a
picture, decoded once for its fingerprint, while the parent copies the next group into
``tmp/``.  The parent still writes every row, in the group's one transaction: the kill rule
of :mod:`geotrace.ingest` is unchanged.

A task whose worker dies (a decoder crashing on a hostile picture) or raises is read again
here, without fingerprints: the metadata reader is pure Python, and the fingerprint stage
that ends the ingest redoes those pictures one at a time, where a crash costs only itself.
``bench/ingest_pictures.py`` measures the whole.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geotrace.evidence import FileReport, read_buffer, report_to_json
from geotrace.evidence.fingerprint_stage import fingerprint_one
from geotrace.evidence.sightings import sighting_from
from geotrace.pipeline.executors import Executor, Failed
from geotrace.records import Device, Media, MediaMetadata, PictureFingerprint, Problem, Sighting

#: Files per task: ~4 ms of work a picture (bench/ingest_pictures.py) against a hand-off
#: of ~2.6 ms a task on Dask (issue 20).
CHUNK = 32


@dataclass(frozen=True, slots=True)
class ReadJob:
    """One stored original to read: its file, the name it was met under, its hash and
    size, and whether to fingerprint it when it is a picture."""

    stored: str
    name: str
    sha256: str
    size: int
    fingerprint: bool


@dataclass(frozen=True, slots=True)
class Read:
    """What reading one stored original gave: its rows, and its fingerprint when asked
    for and the file is a picture."""

    media: Media
    sighting: Sighting | None
    problems: tuple[Problem, ...]
    fingerprint: PictureFingerprint | None


def read_stored(path: Path, sha256: str, size: int, name: str) -> tuple[MediaMetadata, Any]:
    """Metadata of a stored original, and its public JSON form; never raises.

    The reader promises not to raise, but the case must survive a reader bug too: the
    original is already kept, so the failure is recorded and the run goes on.
    """
    try:
        with path.open("rb") as f:
            if size == 0:
                meta = read_buffer(b"", name)
            else:
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                    meta = read_buffer(buf, name)
        return meta, report_to_json(FileReport(name, sha256, size, meta))
    except Exception as exc:  # a reader bug must not cost the rest of the run
        problem = Problem("reader_error", f"{type(exc).__name__}: {exc}")
        meta = MediaMetadata("other", None, None, None, Device(), (problem,))
        return meta, _minimal_json(name, sha256, problem)


def _minimal_json(name: str, sha256: str, problem: Problem) -> dict[str, Any]:
    """The public JSON shape for a file the reader could not handle."""
    return {
        "path": name,
        "sha256": sha256,
        "kind": "other",
        "mime": None,
        "gps": None,
        "taken": None,
        "device": {"make": None, "model": None, "software": None, "serials": {}},
        "problems": [{"code": problem.code, "message": problem.message}],
    }


def read_one(job: ReadJob) -> Read:
    """One stored original read (and fingerprinted, see :class:`ReadJob`); never raises
    (``fingerprint_one`` turns a decoder's error into the fingerprint's ``error``)."""
    meta, public = read_stored(Path(job.stored), job.sha256, job.size, job.name)
    media = Media(job.sha256, meta.kind, meta.mime, job.size, job.name, public)
    printed = None
    if job.fingerprint and meta.kind == "image":
        printed = fingerprint_one((job.sha256, meta.kind, job.stored))
    return Read(media, sighting_from(meta, job.sha256), meta.problems, printed)


def read_page(jobs: Sequence[ReadJob]) -> list[Read]:
    """The task an executor runs: each job read, in order (pure: no case, no SQL)."""
    return [read_one(job) for job in jobs]


def _unprinted(job: ReadJob) -> Read:
    return read_one(ReadJob(job.stored, job.name, job.sha256, job.size, fingerprint=False))


def read_all(executor: Executor, jobs: Sequence[ReadJob]) -> list[Read]:
    """Every job read on ``executor``, in order; a task that failed there is read in this
    process without fingerprints (see the module docstring)."""
    tasks = [list(jobs[i : i + CHUNK]) for i in range(0, len(jobs), CHUNK)]
    if not tasks:
        return []
    try:
        outcomes: Sequence[list[Any] | Failed] = executor.map(read_page, tasks)
    except Exception:  # an executor that cannot run tasks at all: read them here
        outcomes = [Failed("the executor failed")] * len(tasks)
    out: list[Read] = []
    for task, outcome in zip(tasks, outcomes, strict=True):
        if isinstance(outcome, Failed) or len(outcome) != len(task):
            out.extend(_unprinted(job) for job in task)
        else:
            out.extend(outcome)
    return out


#: The one thread that waits for the executor while the parent stages the next group.
#: It lives as long as the process: a fork pool's workers die with the thread that
#: forked them (``PR_SET_PDEATHSIG`` is per thread), and they must outlive the walk, for
#: the stages that follow it.
_WAITER: ThreadPoolExecutor | None = None


def read_later(executor: Executor, jobs: Sequence[ReadJob]) -> Future[list[Read]]:
    """:func:`read_all` in the background: the parent goes on staging meanwhile."""
    global _WAITER
    if _WAITER is None:
        _WAITER = ThreadPoolExecutor(1, thread_name_prefix="geotrace-read")
    return _WAITER.submit(read_all, executor, list(jobs))
