"""geotrace ingest of N real pictures against exiftool reading the same files, in one run.

The issue's target (issue 20, point 2): **ingest >= 300 pictures/s on 2 cores**, store +
read + place + fingerprint, kill-safe, with a peak RSS flat in the case size.  The
pictures are ``bench/picture_cases.py``'s (the method of ``../shared/research/scale.md``:
the provenance set and the photo corpus, each file with its own EXIF), built once per size
and reused by every run.  Each run is its own process:

    geotrace ingest FOLDER --case CASE       # instrumented: see ``child`` below
    exiftool -json -n -r FOLDER              # the peer: metadata only, one process

and prints, per size: pictures/s (wall, interpreter start-up included) and the same
without start-up and the fixed cost of the place layers ("steady"), CPU seconds of the
whole process tree (user + sys) and by stage per picture, peak RSS (the largest of the
tree's summed VmRSS sampled every 50 ms: shared pages count once per process, so it errs
high), and the ratio geotrace / exiftool in pictures/s.  On a machine shared with other
work the wall times say little; "CPU-bound on 2 idle cores" (n / (CPU s / 2)) is what the
CPU spent allows at best, start-up included.  The machine's load average is
printed before each run: wall times move with it, CPU seconds much less.

Stages (CPU ms a picture): ``walk`` (the parent from the first file to the last group
committed: stat, hash in place, copy into ``tmp/``, syncs, record), of it ``copy``
(``MediaStore.stage``: read + hash + write), ``sync`` (``put_many``: the two filesystem
syncs and renames), ``record`` (``Case.record_many``: the group's transaction) and
``read`` (the group's reading and fingerprints: the whole tree's CPU while it ran, its
workers included); then each stage the runner ran after the walk (``places``,
``fingerprints``: what the walk left to do), again tree CPU.

Run:  python bench/ingest_pictures.py [--sizes 1000 5000] [--runs 3] [--executor processes]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = 300.0  # pictures/s, issue 20
TICK = os.sysconf("SC_CLK_TCK")


# --- the process tree --------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _stat_cpu(pid: int) -> float:
    """utime + stime of a live process, in seconds (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu() -> float:
    """CPU seconds of this process, its live descendants and those it reaped."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = sum(_stat_cpu(pid) for pid in _descendants(os.getpid()))
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime + live


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """The peak of the summed VmRSS of ``pid`` and its descendants, every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.05):
            pids = [self.pid, *_descendants(self.pid)]
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in pids))

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak_kb


# --- the instrumented ingest (a child process) ---------------------------------------------


class Phases:
    """Seconds by phase: ``cpu`` of the main thread for the parent's own phases, ``tree``
    (the process tree's CPU) for phases whose work runs in workers, and wall."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.tree: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, phase: str, tree: bool = False) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing(phase, tree):
                return original(*args, **kwargs)

        setattr(owner, name, timed)

    @contextmanager
    def timing(self, phase: str, tree: bool = False) -> Iterator[None]:
        wall, cpu = time.perf_counter(), (tree_cpu() if tree else time.thread_time())
        try:
            yield
        finally:
            used = (tree_cpu() if tree else time.thread_time()) - cpu
            (self.tree if tree else self.cpu)[phase] = (
                self.tree.get(phase, 0.0) if tree else self.cpu.get(phase, 0.0)
            ) + used
            self.wall[phase] = self.wall.get(phase, 0.0) + time.perf_counter() - wall


def child(folder: Path, case: Path, executor: str) -> None:
    """Ingest ``folder`` into ``case`` with every phase timed; one JSON line on stdout."""
    start = time.perf_counter()
    from geotrace import api
    from geotrace import ingest as ingest_module
    from geotrace.pipeline import runner
    from geotrace.store.case import Case
    from geotrace.store.media import MediaStore

    imported = time.perf_counter() - start
    phases = Phases()
    phases.wrap(MediaStore, "stage", "copy")
    phases.wrap(MediaStore, "put_many", "sync")
    phases.wrap(Case, "record_many", "record")
    phases.wrap(ingest_module, "_known_file", "hash_in_place")
    if not hasattr(ingest_module, "ingest_read"):  # before issue 20: read in the parent
        phases.wrap(ingest_module, "read_stored", "read")
    marks: dict[str, float] = {}
    inner, run = ingest_module.ingest, runner.run

    def timed_ingest(*args: Any, **kwargs: Any) -> Any:
        marks["walk"], marks["walk_tree"] = time.perf_counter(), tree_cpu()
        marks["walk_main"] = time.thread_time()
        return inner(*args, **kwargs)

    def timed_run(case_: Any, stage: Any, *args: Any, **kwargs: Any) -> Any:
        if "walk_s" not in marks:
            marks["walk_s"] = time.perf_counter() - marks["walk"]
            marks["walk_tree_cpu_s"] = tree_cpu() - marks["walk_tree"]
            marks["walk_main_cpu_s"] = time.thread_time() - marks["walk_main"]
        with phases.timing(stage.name, tree=True):
            return run(case_, stage, *args, **kwargs)

    ingest_module.ingest = timed_ingest
    runner.run = timed_run  # type: ignore[assignment]
    opened = time.perf_counter()
    summary = api.ingest(sorted(p for p in folder.iterdir() if p.is_dir()), case, executor=executor)
    total = time.perf_counter() - start
    print(
        json.dumps(
            {
                "import_s": imported,
                "total_s": total,
                "open_s": marks["walk"] - opened,
                "walk_s": marks.get("walk_s", 0.0),
                "walk_tree_cpu_s": marks.get("walk_tree_cpu_s", 0.0),
                "walk_main_cpu_s": marks.get("walk_main_cpu_s", 0.0),
                "cpu": phases.cpu,
                "tree": phases.tree,
                "wall": phases.wall,
                "new_media": summary.new_media,
                "fingerprinted": summary.fingerprinted,
                "placed": summary.placed,
                "skipped": summary.skipped,
            }
        )
    )


# --- the runs ------------------------------------------------------------------------------


def _timed(
    cmd: list[str], stdout: Any = subprocess.PIPE, env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the process tree, peak tree RSS kB, stdout) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    peak = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err[-2000:]}")
    return wall, cpu, max(peak, after.ru_maxrss), out or ""


def pictures(n: int, work: Path) -> Path:
    """The folder of n built pictures (built once, kept for later runs)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import picture_cases  # bench/, not a package

    folder = work / f"pictures{n}"
    if not (folder / "cases.csv").exists():
        picture_cases.build(n, folder)
    return folder


def one_run(
    n: int, folder: Path, work: Path, executor: str, src: Path | None = None
) -> dict[str, Any]:
    """One ingest of ``folder`` (with the geotrace of ``src`` when given: an older
    checkout, for before/after in one run), then exiftool on the same files."""
    case = work / f"run{n}.case"
    shutil.rmtree(case.with_name(case.name + ".media"), ignore_errors=True)
    case.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    cmd = [sys.executable, __file__, "--child", str(folder), str(case), "--executor", executor]
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src)}
    wall, cpu, rss, out = _timed(cmd, env=env)
    details = json.loads(out.strip().splitlines()[-1])
    exif = [shutil.which("exiftool") or "exiftool", "-json", "-n", "-r", "-q", "-q"]
    ex_wall, ex_cpu, _, _ = _timed([*exif, *map(str, subfolders)], subprocess.DEVNULL)
    fixed = details["import_s"] + details["open_s"] + details["wall"].get("places", 0.0)
    return {
        "n": n,
        "load": load,
        "wall": wall,
        "cpu": cpu,
        "rss_mb": rss / 1000,
        "per_s": n / wall,
        "steady_per_s": n / max(1e-9, wall - fixed),
        "exiftool_wall": ex_wall,
        "exiftool_cpu": ex_cpu,
        "exiftool_per_s": n / ex_wall,
        "details": details,
    }


def _stages(run: dict[str, Any]) -> str:
    d, n = run["details"], run["n"]
    parts = [
        f"walk {1e3 * d['walk_tree_cpu_s'] / n:.2f} (parent {1e3 * d['walk_main_cpu_s'] / n:.2f}"
    ]
    for phase in ("hash_in_place", "copy", "sync", "record", "read"):
        if phase in d["cpu"]:
            parts.append(f"{phase} {1e3 * d['cpu'][phase] / n:.2f}")
    parts[-1] += ")"
    away = d["walk_tree_cpu_s"] - d["walk_main_cpu_s"]
    parts.append(f"read+fingerprints in workers {1e3 * away / n:.2f}")
    for stage in ("places", "fingerprints"):
        if stage in d["tree"]:
            parts.append(f"{stage} {1e3 * d['tree'][stage] / n:.2f}")
    return ", ".join(parts)


def _print_run(label: str, i: int, run: dict[str, Any]) -> None:
    n = run["n"]
    print(
        f"n={n} run {i + 1} {label}: load {run['load']:.1f}; {run['per_s']:.0f} pictures/s"
        f" ({run['wall']:.1f} s wall, {run['cpu']:.1f} CPU s, {1e3 * run['cpu'] / n:.2f}"
        f" CPU ms/picture, steady {run['steady_per_s']:.0f}/s, CPU-bound on 2 idle cores"
        f" {2 * n / run['cpu']:.0f}/s, peak RSS"
        f" {run['rss_mb']:.0f} MB); exiftool {run['exiftool_per_s']:.0f} pictures/s"
        f" ({run['exiftool_wall']:.1f} s, {run['exiftool_cpu']:.1f} CPU s);"
        f" ratio {run['per_s'] / run['exiftool_per_s']:.2f}x",
        flush=True,
    )
    print(f"  CPU ms/picture by stage: {_stages(run)}", flush=True)
    print(f"  details: {json.dumps(run['details'])}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--executor", default="processes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/geotrace-ingest-pictures"))
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="the src/ folder of another checkout (git archive REV src | tar -x): each run"
        " ingests with it too, for before/after figures measured in one run",
    )
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.executor)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    met = True
    for n in args.sizes:
        folder = pictures(n, args.work)
        runs, before = [], []
        for i in range(args.runs):
            if args.baseline_src is not None:
                old = one_run(n, folder, args.work, args.executor, args.baseline_src)
                before.append(old)
                _print_run("baseline", i, old)
            run = one_run(n, folder, args.work, args.executor)
            runs.append(run)
            _print_run("geotrace", i, run)
        if before:
            old_speeds = sorted(r["per_s"] for r in before)
            print(
                f"n={n}: baseline {statistics.median(old_speeds):.0f} pictures/s median"
                f" [{old_speeds[0]:.0f}-{old_speeds[-1]:.0f}]; CPU ms/picture median"
                f" {statistics.median(1e3 * r['cpu'] / n for r in before):.2f}",
                flush=True,
            )
        speeds = sorted(r["per_s"] for r in runs)
        ratios = sorted(r["per_s"] / r["exiftool_per_s"] for r in runs)
        median = statistics.median(speeds)
        print(
            f"n={n}: geotrace {median:.0f} pictures/s median [{speeds[0]:.0f}-{speeds[-1]:.0f}]"
            f" over {len(runs)} runs; ratio to exiftool {statistics.median(ratios):.2f}x"
            f" [{ratios[0]:.2f}-{ratios[-1]:.2f}]; CPU ms/picture median"
            f" {statistics.median(1e3 * r['cpu'] / n for r in runs):.2f};"
            f" peak RSS {max(r['rss_mb'] for r in runs):.0f} MB;"
            f" target {TARGET:.0f}/s {'met' if median >= TARGET else 'missed'}",
            flush=True,
        )
        met &= median >= TARGET
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
