"""Dask's throughput with 2 workers against 1, and what a Dask task costs (issue 20).

The issue's target: **with 2 workers, >= 1.7x the throughput of 1**, measured in one run.
On a case of N real pictures (``picture_cases.py``; default 300), ingested and searched
for copies once, two CPU-bound stages are redone through the stage runner on a
``LocalCluster`` of 1 and then 2 single-threaded workers, alternating, ``--repeats``
times (the machine is shared: each ratio is taken between neighbouring runs, and the
spread is printed):

- ``fingerprints``: every fingerprint deleted, then the stage (decode + hashes + layout);
- ``pairs``: every verdict deleted, then the copy search of ``copies`` (``find_all``),
  whose pixel checks (ORB features and matching, the ``pairs`` stage) are nearly all of
  its CPU; items = the checks it made.

Per run: wall seconds, items/s, and the CPU seconds the workers spent (their own
``getrusage``, asked of each worker before and after).

Also measured, for the executor's docstring:

- the cost of a task: 1,000 no-op tasks of 16 items through ``Dask.map``, 1 and 2 workers;
- places in the client or on a worker: ``place_page`` over 10,000 sightings in this
  process, against the same task sent to a warmed worker (pickling the sightings there
  and the answers back): why ``in_process`` stages stay in the client under Dask.

    python bench/dask_workers.py [--n 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import picture_cases
from geotrace import api
from geotrace.pipeline.executors import Dask
from geotrace.pipeline.registry import stage
from geotrace.pipeline.runner import open_case, run


def worker_cpu() -> float:
    """This worker's CPU seconds so far (runs on each worker)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def warm(_: Sequence[Any]) -> list[Any]:
    """Import what the stages need, once per worker, before anything is timed."""
    import geotrace.analysis.pairs_stage
    import geotrace.evidence.fingerprint_stage
    import geotrace.places.stage  # noqa: F401

    return [None]


def noop(task: Sequence[Any]) -> list[Any]:
    return [None] * len(task)


def _cpu(pool: Dask) -> float:
    return float(sum(pool.client.run(worker_cpu).values()))


def redo(case_path: Path, name: str, pool: Dask) -> tuple[float, float, float, int]:
    """Wall seconds, worker CPU seconds and items of one stage, redone from nothing:
    ``fingerprints`` through the runner, the pixel checks (the ``pairs`` stage) through
    the copy search that asks for them, every verdict deleted first (so they are asked
    in the search's own pieces and routes, as a user's run asks them)."""
    from geotrace.analysis.find_copies import find_all

    with open_case(case_path, write=True) as case:
        with case.transaction():
            if name == "fingerprints":
                case.db.execute("DELETE FROM fingerprint_regions")
                case.db.execute("DELETE FROM fingerprints")
            else:
                case.db.execute("DELETE FROM verified_pairs")
        before, client = _cpu(pool), time.process_time()
        start = time.perf_counter()
        if name == "fingerprints":
            done = run(case, stage(name), pool).done
        else:
            find_all(case, pool, True, None)
            (done,) = case.db.execute("SELECT count(*) FROM verified_pairs").fetchone()
        wall = time.perf_counter() - start
        return wall, _cpu(pool) - before, time.process_time() - client, int(done)


def task_cost(workers: int, tasks: int = 1000) -> float:
    """Milliseconds a no-op task of 16 items costs through ``Dask.map``."""
    pool = Dask(workers)
    try:
        pool.map(warm, [[0]] * workers)
        work = [[("a" * 64, f"/cases/x/{i}", j) for j in range(16)] for i in range(tasks)]
        start = time.perf_counter()
        pool.map(noop, work)
        return (time.perf_counter() - start) / tasks * 1e3
    finally:
        pool.close()


def places_here_or_there(n: int = 10_000) -> tuple[float, float, float, float]:
    """Wall and CPU seconds of one places task of ``n`` sightings in this process, then
    sent to a warmed worker (CPU: this process's, pickling and unpickling included, plus
    the worker's)."""
    from geotrace.places.stage import place_page

    rng = random.Random(1)
    items = [
        (i, 47 + rng.random() * 3, 36 + rng.random() * 4, 10.0, "2024-06-01T06:00:00Z", "exif")
        for i in range(n)
    ]
    place_page(items[:10])  # layers loaded here
    cpu, start = time.process_time(), time.perf_counter()
    place_page(items)
    here = (time.perf_counter() - start, time.process_time() - cpu)
    pool = Dask(1)
    try:
        pool.map(place_page, [items[:10]])  # layers loaded there
        before = _cpu(pool)
        cpu, start = time.process_time(), time.perf_counter()
        pool.map(place_page, [items])
        wall = time.perf_counter() - start
        there = (wall, time.process_time() - cpu + _cpu(pool) - before)
    finally:
        pool.close()
    return (*here, *there)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="pictures in the case")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    print(f"# bench/dask_workers.py: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="dask-workers-", dir=args.work))
    try:
        folder = work / "pictures"
        picture_cases.build(args.n, folder)
        case = work / "bench.case"
        start = time.perf_counter()
        api.ingest([folder], case)
        api.copies(case)
        took = time.perf_counter() - start
        print(f"case of {args.n} pictures ingested and searched in {took:.0f} s")
        ratios: dict[str, list[float]] = {"fingerprints": [], "pairs": []}
        ceilings: dict[str, list[float]] = {"fingerprints": [], "pairs": []}
        for repeat in range(args.repeats):
            rates: dict[tuple[str, int], float] = {}
            costs: dict[tuple[str, int], float] = {}
            for workers in (1, 2):
                pool = Dask(workers)
                try:
                    pool.map(warm, [[0]] * (2 * workers))
                    for name in ratios:
                        wall, cpu, client, items = redo(case, name, pool)
                        rates[name, workers] = items / wall
                        costs[name, workers] = cpu / items
                        print(
                            f"  run {repeat + 1}, {workers} worker(s), {name:<12}: {items:5d} items"
                            f" in {wall:6.1f} s wall = {items / wall:6.1f}/s; workers' CPU"
                            f" {cpu:6.1f} s, the client's {client:5.1f} s;"
                            f" load {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
                finally:
                    pool.close()
            for name in ratios:
                ratios[name].append(rates[name, 2] / rates[name, 1])
                ceilings[name].append(2 * costs[name, 1] / costs[name, 2])
        load = os.getloadavg()[0]
        print(f"\n2 workers over 1 (throughput ratio per run; target >= 1.7); load {load:.1f}:")
        for name, values in ratios.items():
            print(
                f"  {name:<12}: median {statistics.median(values):.2f}"
                f" [{min(values):.2f}-{max(values):.2f}] over {len(values)} runs:"
                f" {', '.join(f'{v:.2f}' for v in values)}"
            )
        print(
            "what 2 free cores would give at most (2 x the workers' CPU an item with 1 worker"
            " / with 2: the work a second worker adds, e.g. features computed twice):"
        )
        for name, values in ceilings.items():
            print(
                f"  {name:<12}: median {statistics.median(values):.2f}"
                f" [{min(values):.2f}-{max(values):.2f}]"
            )
        for workers in (1, 2):
            print(f"a no-op task of 16 items, {workers} worker(s): {task_cost(workers):.2f} ms")
        for _ in range(args.repeats):
            wall, cpu, wall_there, cpu_there = places_here_or_there()
            print(
                f"places, 10,000 sightings: in the client {wall:.2f} s wall, {cpu:.2f} CPU-s;"
                f" on a warmed worker {wall_there:.2f} s wall, {cpu_there:.2f} CPU-s"
                f" ({cpu_there / cpu:.1f}x the CPU); load {os.getloadavg()[0]:.1f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
