"""Every stage of geotrace as a case grows, beside imagededup and exiftool (issue 20).

For each size (default 1k, 5k, 20k and 50k pictures; ``--sizes 1000,5000``) a case folder
of real pictures is built with ``picture_cases.py`` (each picture a new file with its own
EXIF fix and time: the method of ``../shared/research/scale.md``), then each command runs
as a process of its own and is timed:

- ``geotrace ingest`` (store + read + place + fingerprint), ``copies --format jsonl``,
  ``map``, ``report``, ``regions``, and ``inspect --json`` (the reading alone);
- **imagededup** PHash: ``encode_image`` of every file then ``find_duplicates`` (its
  default threshold, 10), one process, as ``provenance.py`` runs it (without torch);
- **exiftool** ``-json -n -r`` over the folder (what ``inspect`` compares with).

Per command: wall seconds, CPU seconds (user + sys of the process and every child it
waited for, as GNU time reports them (``os.wait4`` without it): fork pools and Dask's
local workers count) and peak RSS (``ru_maxrss``: the largest single process of the tree,
not their sum), and the load average when it started (the machine is shared: compare rows of
one run, and trust CPU seconds over wall).

Then the ratios the issue's targets are about: finding copies end to end (ingest +
copies) against imagededup's encode + find, in wall and CPU; ingest in pictures/s;
copies' CPU growth exponent between consecutive sizes (beside n log n's at the same
sizes); peak RSS by size.  Last, on the provenance set, the right pairs of geotrace and of
imagededup, scored by ``provenance.py`` (imported, not copied).

    python bench/scale.py --sizes 1000 [--executor dask] [--json out.json] [--keep]

imagededup is installed without torch: ``pip install imagededup --no-deps && pip install
PyWavelets tqdm scikit-learn`` (bench/README.md); exiftool from Debian's
libimage-exiftool-perl.  Without either, its rows say so and the rest still runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import picture_cases
import provenance

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1000, 5000, 20_000, 50_000)

#: imagededup's PHash over the files listed in argv[1]: encode each, then find pairs.
IMAGEDEDUP = """
import json, sys
sys.path.insert(0, sys.argv[2])
from provenance import _import_phash
files = open(sys.argv[1]).read().split("\\n")
hasher = _import_phash()(verbose=False)
encodings = {f: hasher.encode_image(image_file=f) for f in files if f}
found = hasher.find_duplicates(
    encoding_map={f: e for f, e in encodings.items() if e}, max_distance_threshold=10
)
pairs = sum(len(v) for v in found.values()) // 2
print(json.dumps({"encoded": sum(1 for e in encodings.values() if e), "pairs": pairs}))
"""


@dataclass
class Timed:
    """One command's cost."""

    size: int
    step: str
    wall_s: float
    cpu_s: float
    rss_mb: float
    load: float
    rc: int
    note: str = ""


@dataclass
class Run:
    """Everything one run measured."""

    sizes: list[int]
    executor: str
    machine: str
    commit: str
    rows: list[Timed] = field(default_factory=list)
    provenance: dict[str, dict[str, object]] = field(default_factory=dict)


#: GNU time: the command's own peak RSS (a child forked from this process would count
#: this process's memory as its own until it execs: ru_maxrss keeps that high mark).
GNU_TIME = "/usr/bin/time"


def timed(size: int, step: str, command: Sequence[str], out: Path, log: Path) -> Timed:
    """Run ``command`` with stdout to ``out``: its wall seconds, CPU seconds (user + sys of
    it and every child it waited for) and peak RSS, from GNU time (wait4 of the command
    when it is not installed: the RSS then has this process's size as a floor)."""
    load = os.getloadavg()[0]
    stats = out.with_suffix(".time")
    gnu = Path(GNU_TIME).exists()
    wrapped = [GNU_TIME, "-o", str(stats), "-f", "%U %S %M", *command] if gnu else list(command)
    start = time.perf_counter()
    with out.open("wb") as stdout, log.open("ab") as stderr:
        stderr.write(f"\n$ {' '.join(command)}\n".encode())
        stderr.flush()
        proc = subprocess.Popen(wrapped, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    cpu, rss_kb = usage.ru_utime + usage.ru_stime, float(usage.ru_maxrss)
    if gnu and stats.exists():
        user, system, rss = stats.read_text().split()[-3:]
        cpu, rss_kb = float(user) + float(system), float(rss)
    return Timed(
        size,
        step,
        round(wall, 2),
        round(cpu, 2),
        round(rss_kb / 1024, 1),
        round(load, 1),
        proc.returncode,
    )


def geotrace_command() -> list[str]:
    exe = Path(sys.executable).with_name("geotrace")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "geotrace"]


def measure_size(
    n: int, work: Path, executor: str, workers: int | None, set_dir: Path
) -> list[Timed]:
    """Build the case folder of ``n`` pictures and time every step on it."""
    folder = work / f"pictures-{n}"
    picture_cases.build(n, folder, set_dir=set_dir)
    files = work / f"files-{n}.txt"
    files.write_text("\n".join(str(p) for p in sorted(folder.rglob("*.jpg"))))
    case = work / f"scale-{n}.case"
    log = work / "commands.log"
    gt = geotrace_command()
    on = ["--executor", executor] + (["--workers", str(workers)] if workers else [])
    steps: list[tuple[str, list[str]]] = [
        ("ingest", [*gt, "ingest", str(folder), "--case", str(case), *on]),
        ("copies", [*gt, "copies", "--case", str(case), "--format", "jsonl", *on]),
        ("map", [*gt, "map", "--case", str(case), "--output", str(work / f"map-{n}.html")]),
        ("report", [*gt, "report", "--case", str(case), "--output", str(work / f"rep-{n}.html")]),
        ("regions", [*gt, "regions", "--case", str(case)]),
        ("inspect", [*gt, "inspect", "--json", str(folder)]),
    ]
    rows: list[Timed] = []
    for step, command in steps:
        out = work / f"{step}-{n}.out"
        row = timed(n, step, command, out, log)
        if step == "copies" and row.rc == 0:
            groups = [json.loads(line) for line in out.read_text().splitlines() if line]
            members = sum(len(g.get("members", ())) for g in groups)
            row.note = f"{len(groups)} groups, {members} pictures in them"
        if step == "inspect" and row.rc == 0:
            row.note = f"{sum(1 for _ in out.open())} files read"
        rows.append(row)
        print(_line(row), flush=True)
    peers: list[tuple[str, list[str], str]] = [
        (
            "imagededup",
            [sys.executable, "-c", IMAGEDEDUP, str(files), str(Path(__file__).parent)],
            "imagededup not installed" if not _has_imagededup() else "",
        ),
        (
            "exiftool",
            ["exiftool", "-json", "-n", "-r", str(folder)],
            "" if shutil.which("exiftool") else "exiftool not installed",
        ),
    ]
    for step, command, missing in peers:
        if missing:
            rows.append(Timed(n, step, math.nan, math.nan, math.nan, 0.0, -1, missing))
            print(f"{n:>7} {step:<11} skipped: {missing}")
            continue
        out = work / f"{step}-{n}.out"
        row = timed(n, step, command, out, log)
        if step == "imagededup" and row.rc == 0:
            got = json.loads(out.read_text().splitlines()[-1])
            row.note = f"{got['encoded']} encoded, {got['pairs']} pairs <= 10"
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def _has_imagededup() -> bool:
    """Whether imagededup is installed; without importing it here (provenance's
    ``_import_phash`` replaces its package modules, and cannot run twice)."""
    if "imagededup" in sys.modules:
        return True
    return importlib.util.find_spec("imagededup") is not None


def _line(row: Timed) -> str:
    return (
        f"{row.size:>7} {row.step:<11} wall {row.wall_s:8.1f} s  cpu {row.cpu_s:8.1f} s"
        f"  rss {row.rss_mb:7.0f} MB  load {row.load:4.1f}"
        f"{'' if row.rc == 0 else f'  EXIT {row.rc}'}  {row.note}"
    )


def measure_provenance(set_dir: Path, work: Path) -> dict[str, dict[str, object]]:
    """Right and false pairs of geotrace (ingest + copies) and imagededup on the set."""
    truth = provenance.Truth.load(set_dir)
    found: dict[str, dict[str, object]] = {}
    outcomes = [provenance.run_geotrace(truth, work)]
    if _has_imagededup():
        outcomes.append(provenance.run_imagededup(truth))
    for outcome in outcomes:
        print(f"  provenance set: {outcome.tool} done in {outcome.seconds:.1f} s", flush=True)
        s = provenance.score(truth, outcome)
        found[outcome.tool] = {
            "right": s.right,
            "false": s.false,
            "precision": round(s.precision, 3),
            "min_recall": round(min(s.recall.values()), 3) if s.recall else 0.0,
            "seconds": round(outcome.seconds + sum(outcome.extra_seconds.values()), 1),
        }
    return found


# --- the summary -------------------------------------------------------------------------


def _get(rows: Sequence[Timed], size: int, step: str) -> Timed | None:
    return next((r for r in rows if r.size == size and r.step == step), None)


def exponent(n1: int, t1: float, n2: int, t2: float) -> float:
    """b in t ~ n^b between two sizes."""
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else math.nan


def nlogn_exponent(n1: int, n2: int) -> float:
    """What b an n log n cost shows between the same two sizes."""
    return exponent(n1, n1 * math.log(n1), n2, n2 * math.log(n2))


def summary(run: Run) -> str:
    rows = run.rows
    steps = list(dict.fromkeys(r.step for r in rows))
    head = ["step", *(f"{n:,}" for n in run.sizes)]
    table = [head, ["---"] * len(head)]
    for step in steps:
        cells = [step]
        for n in run.sizes:
            r = _get(rows, n, step)
            cells.append(
                "-"
                if r is None or math.isnan(r.wall_s)
                else f"{r.wall_s:.1f} / {r.cpu_s:.1f} / {r.rss_mb:.0f}"
                + ("" if r.rc == 0 else f" (exit {r.rc})")
            )
        table.append(cells)
    out = ["Each cell: wall s / CPU s / peak RSS MB\n"]
    out += ["| " + " | ".join(c) + " |" for c in table] if run.sizes else []
    out.append("\nRatios:")
    for n in run.sizes:
        ingest, copies = _get(rows, n, "ingest"), _get(rows, n, "copies")
        dedup = _get(rows, n, "imagededup")
        reading, exif = _get(rows, n, "inspect"), _get(rows, n, "exiftool")
        if ingest:
            out.append(
                f"  {n:>7,}: ingest {n / ingest.wall_s:.0f} pictures/s wall"
                f" ({ingest.cpu_s / n * 1e3:.1f} CPU-ms a picture)"
            )
        if ingest and copies and dedup and not math.isnan(dedup.wall_s):
            wall = ingest.wall_s + copies.wall_s
            cpu = ingest.cpu_s + copies.cpu_s
            out.append(
                f"  {n:>7,}: finding copies end to end: geotrace {wall:.1f} s wall /"
                f" {cpu:.1f} CPU-s, imagededup {dedup.wall_s:.1f} / {dedup.cpu_s:.1f}:"
                f" geotrace is {dedup.wall_s / wall:.2f}x imagededup's speed"
                f" ({dedup.cpu_s / cpu:.2f}x in CPU)"
            )
        if reading and exif and not math.isnan(exif.wall_s):
            out.append(
                f"  {n:>7,}: reading metadata: inspect {reading.wall_s:.1f} s, exiftool"
                f" {exif.wall_s:.1f} s: {exif.wall_s / reading.wall_s:.1f}x exiftool's speed"
            )
    for step in ("copies", "ingest"):
        for n1, n2 in zip(run.sizes, run.sizes[1:], strict=False):
            a, b = _get(rows, n1, step), _get(rows, n2, step)
            if a and b:
                b_cpu = exponent(n1, a.cpu_s, n2, b.cpu_s)
                out.append(
                    f"  {step} CPU growth {n1:,} -> {n2:,}: n^{b_cpu:.2f}"
                    f" (n log n would be n^{nlogn_exponent(n1, n2):.2f});"
                    f" peak RSS {a.rss_mb:.0f} -> {b.rss_mb:.0f} MB"
                )
    if run.provenance:
        out.append("\nProvenance set (right pairs; false pairs; precision; lowest recall by type):")
        for tool, s in run.provenance.items():
            out.append(
                f"  {tool}: {s['right']} right, {s['false']} false, precision"
                f" {s['precision']}, lowest recall {s['min_recall']}, {s['seconds']} s"
            )
        ours = run.provenance.get("geotrace", {}).get("right")
        theirs = next(
            (s["right"] for tool, s in run.provenance.items() if tool.startswith("imagededup")),
            None,
        )
        if isinstance(ours, int) and isinstance(theirs, int) and theirs:
            out.append(f"  geotrace finds {ours / theirs:.2f}x imagededup's right pairs")
    return "\n".join(out)


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="pictures per case, comma-separated"
    )
    parser.add_argument("--executor", default="processes", help="for ingest and copies")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--set", type=Path, default=picture_cases.DEFAULT_SET)
    parser.add_argument("--work", type=Path, default=None, help="parent of the work folder")
    parser.add_argument("--keep", action="store_true", help="keep the cases and pictures")
    parser.add_argument("--no-provenance", action="store_true", help="skip the set's pairs")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    set_dir = picture_cases.ensure_set(args.set)
    run = Run(
        sizes,
        args.executor,
        f"{platform.node()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        _commit(),
    )
    print(f"# bench/scale.py at {run.commit} on {run.machine}; executor {run.executor}")
    work = Path(tempfile.mkdtemp(prefix="scale-", dir=args.work))
    try:
        for n in sizes:
            run.rows += measure_size(n, work, args.executor, args.workers, set_dir)
            if not args.keep:
                for leftover in work.glob(f"*-{n}*"):
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
        if sizes:
            print("\n" + summary(run), flush=True)
            if args.json:
                args.json.write_text(json.dumps(asdict(run), indent=1))
        if not args.no_provenance:
            run.provenance = measure_provenance(set_dir, work)
            print("\n" + summary(run))
            if args.json:
                args.json.write_text(json.dumps(asdict(run), indent=1))
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r.rc == 0 for r in run.rows if r.rc != -1) else 1


if __name__ == "__main__":
    raise SystemExit(main())
