"""geotrace ingest of one zip of many tiny members: the cost of each kept item.

Every member is an original to keep (content-addressed in the media store) and a set of
rows to record; with a fsync per file and a transaction per item, 100,000 ten-byte
members took 24 minutes (issue 15).  One run writes ``--members`` distinct ten-byte
members (``0000000042``) into a deflated zip, then times, ``--runs`` times, each in a
fresh case and a process of its own:

    python -m geotrace ingest tiny.zip --case CASE

and checks afterwards that the case holds one source per member (plus the archive).
``--src`` runs another checkout's ``src`` folder (``git archive`` of an older commit)
with the same interpreter, for the before/after figures in RESULTS.md.

Run:  python bench/archive.py [--members 10000] [--runs 3] [--src OLD/src] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from scoring import work_folder

SRC = Path(__file__).resolve().parents[1] / "src"


def write_zip(path: Path, members: int) -> None:
    """``members`` distinct ten-byte members, as an exporter would deflate them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"m/{i:07d}.txt", b"%010d" % i)


def ingest_seconds(archive: Path, case: Path, src: Path) -> float:
    """Wall time of one ``geotrace ingest`` in a child process (start-up included)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "geotrace", "ingest", str(archive), "--case", str(case)]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"geotrace ingest exited {done.returncode}")
    return seconds


def sources_in(case: Path) -> int:
    with sqlite3.connect(case) as db:
        return int(db.execute("SELECT count(*) FROM sources").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000, help="members (default 10000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--src", type=Path, default=SRC, help="geotrace source folder to run")
    parser.add_argument("--keep", action="store_true", help="keep the zip and the cases")
    args = parser.parse_args(argv)
    with work_folder("geotrace-archive-", args.keep, what="zip and cases") as work:
        archive = work / "tiny.zip"
        write_zip(archive, args.members)
        print(f"{args.members} members, zip {archive.stat().st_size / 1e6:.1f} MB, src {args.src}")
        times = []
        for run in range(args.runs):
            case = work / f"run{run}.case"
            times.append(ingest_seconds(archive, case, args.src))
            kept = sources_in(case)
            if kept != args.members + 1:
                raise SystemExit(f"run {run}: {kept} sources, expected {args.members + 1}")
            print(f"run {run}: {times[-1]:.2f} s ({args.members / times[-1]:,.0f} members/s)")
        spread = f"{min(times):.2f}-{max(times):.2f}"
        print(f"median {statistics.median(times):.2f} s, spread {spread} s over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
