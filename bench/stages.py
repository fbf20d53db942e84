"""The stage runner's overhead: the places stage on each executor, against the loop it
replaced, on the same case.

Issue 16 moved the three "page through what lacks version V, compute, commit" loops into
one runner (``geotrace.pipeline.runner``) that computes pages on an executor.  What a user
would otherwise run is the loop of the previous release: ``resolve`` over batches of
50,000 sightings in this process, one transaction per batch (``in-process loop`` below,
written here from ``ingest.place_sightings`` of 4c52eb3).  The stage as shipped computes
in the running process (``Places.in_process``), whatever the executor; with that lifted,
``fork pool`` ships tasks of ``Places.chunk_size`` sightings to the workers (both cores
here) and the answers back by pickle, ``dask`` to a LocalCluster of one single-threaded
worker per core.  Measured 2026-12-05 (2 cores, 100,000 sightings): the pool is faster
on two free cores (x0.71 of the loop's wall time, +10 % CPU), but its workers, forked
after an ingest has read a large export, hold that memory again (bench/ingest.py: 235 ->
430 MB summed RSS, +75 MiB PSS at 200,000 messages); the stage stays in process, as the
previous release's loop was, until issue 20 weighs the two at scale.

Case: ``--n`` sightings of one post, spread over Ukraine (as ``tests/present/test_report``'s
large case), places deleted before each run; every run's places must be identical.

    .venv/bin/python bench/stages.py --n 100000 --runs 3

Prints wall and CPU seconds (this process and its children) per run, the median and the
spread, and each executor's ratio to the in-process loop.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from geotrace.pipeline.executors import executor
from geotrace.pipeline.runner import open_case, run
from geotrace.places import resolve
from geotrace.places.stage import STAGE as PLACES

BATCH = 50_000
COLUMNS = ("country_de_jure", "country_de_facto", "admin1_code", "admin1_name", "border_confidence")


def build(path: Path, n: int) -> Path:
    """A case of one post with ``n`` geotags, written straight into the store."""
    rng = np.random.default_rng(7)
    with open_case(path, write=True, create=True) as case:
        db = case.db
        sha = "ab" * 32
        db.execute(
            "INSERT INTO media VALUES (?, 'other', NULL, 1, 'x.json', 'x', 'r', '1', '{}', 'now')",
            (sha,),
        )
        db.execute(
            "INSERT INTO posts (id, platform, post_id, kind, posted_utc, time_basis, text, raw,"
            " source_sha256, location) VALUES (1, 'telegram', '1/1', 'message',"
            " '2022-01-01T00:00:00Z', 'platform_utc', 'hi', '{}', ?, 'x#1')",
            (sha,),
        )
        lat, lon = 44.5 + rng.random(n) * 7.5, 22.5 + rng.random(n) * 17.5
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO sightings (post, method, lat, lon, radius_m, at_utc, time_basis,"
            " confidence, evidence) VALUES (1, 'platform_geotag', ?, ?, 50, ?, 'platform_utc',"
            " 0.6, '{}')",
            [
                (float(a), float(o), f"2022-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z")
                for i, (a, o) in enumerate(zip(lat, lon, strict=True))
            ],
        )
        db.execute("COMMIT")
    return path


def old_loop(case_path: Path) -> None:
    """The previous release's place loop: in this process, 50,000 at a time."""
    with open_case(case_path, write=True) as case:
        todo = case.db.execute(
            "SELECT s.id, s.lat, s.lon, s.radius_m, s.at_utc, s.time_basis FROM sightings s"
            " LEFT JOIN places p ON p.sighting_id = s.id"
            " WHERE p.places_version IS NOT ? ORDER BY s.id",
            (PLACES.version,),
        ).fetchall()
        for start in range(0, len(todo), BATCH):
            ids, lat, lon, radius, at, basis = zip(*todo[start : start + BATCH], strict=True)
            answers = resolve(
                np.array(lat),
                np.array(lon),
                np.array(radius),
                at=[datetime.fromisoformat(t.replace("Z", "+00:00")) if t else None for t in at],
                from_local=[b == "location_timezone" for b in basis],
            )
            with case.transaction():
                case.db.executemany(
                    "INSERT OR REPLACE INTO places (sighting_id, places_version,"
                    " country_de_jure, country_de_facto, admin1_code, admin1_name,"
                    " border_confidence, place) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            i,
                            PLACES.version,
                            *(p.get(k) for k in COLUMNS),
                            json.dumps(p, ensure_ascii=False),
                        )
                        for i, p in zip(ids, answers.rows(), strict=True)
                    ],
                )


def staged(name: str, here: bool = True) -> Callable[[Path], None]:
    """The runner on the executor ``name``; ``here=False`` lifts the stage's ``in_process``
    to measure what shipping its tasks to workers would cost."""

    def go(case_path: Path) -> None:
        pool = executor(name)
        kept = type(PLACES).in_process
        type(PLACES).in_process = here
        try:
            with open_case(case_path, write=True) as case:
                run(case, PLACES, pool)
        finally:
            type(PLACES).in_process = kept
            pool.close()

    return go


def places_of(case: Path) -> str:
    with sqlite3.connect(case) as db:
        rows = db.execute("SELECT sighting_id, place FROM places ORDER BY 1").fetchall()
    return json.dumps(rows)


def cpu() -> float:
    own, children = os.times()[:2], os.times()[2:4]
    return sum(own) + sum(children)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also the dask executor")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-stages-"))
    try:
        case = build(folder / "big.case", args.n)
        candidates: dict[str, Callable[[Path], None]] = {
            "in-process loop (4c52eb3)": old_loop,
            "runner (in process, shipped)": staged("processes"),
            "runner, fork pool": staged("processes", here=False),
        }
        if args.dask:
            candidates["runner, dask"] = staged("dask", here=False)
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in candidates}
        answers: set[str] = set()
        for _ in range(args.runs):
            for label, go in candidates.items():  # interleaved: noise hits all alike
                with sqlite3.connect(case) as db:
                    db.execute("DELETE FROM places")
                wall, spent = time.perf_counter(), cpu()
                go(case)
                times[label].append((time.perf_counter() - wall, cpu() - spent))
                answers.add(places_of(case))
        base = statistics.median(w for w, _ in times["in-process loop (4c52eb3)"])
        print(f"places stage, {args.n:,} sightings, {os.cpu_count()} cores, {args.runs} runs")
        for label, runs in times.items():
            walls = [w for w, _ in runs]
            cpus = [c for _, c in runs]
            print(
                f"  {label:28s} wall {statistics.median(walls):6.2f} s"
                f" [{min(walls):.2f}-{max(walls):.2f}]  cpu {statistics.median(cpus):6.2f} s"
                f"  x{statistics.median(walls) / base:.2f} of the loop"
            )
        print("identical places in every run:", len(answers) == 1)
        sys.exit(0 if len(answers) == 1 else 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
