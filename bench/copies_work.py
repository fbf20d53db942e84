"""What ``geotrace copies`` does on an ingested case: CPU, feature computations, checks.

Issue 20 asks that each picture's local features be computed once per component of the
candidate graph (issue 16 measured 1,700 computations for 904 pictures), and that pairs
with identical pixels be judged without a pixel check.  This runs the whole-case search
(``api.copies``) on a fresh copy of ``--case`` (its pixel verdicts deleted), in this
process with the fork pool of ``--workers``, counting every feature computation in the
workers (the feature function is wrapped before the pool forks), and prints:

- CPU seconds (user + sys of this process and its waited-for workers) and wall seconds;
- feature computations, distinct pictures, computations per picture;
- checks run (verdicts written), of them called identical pixels without a check, and
  the verdicts whose two files have the same coded image data (what the shortcut can
  take: :func:`geotrace.analysis.pairs_stage.coded_digest`, when this tree has it);
- a digest of the groups (sorted member digests), to compare two trees' results.

Run with ``PYTHONPATH=<tree>/src`` to measure another tree on the same case:

    .venv/bin/python bench/copies_work.py --case /tmp/x/provenance.case [--runs 2]

The case: ``bench/provenance.py --set SET --only geotrace --keep`` keeps one
(``<work>/provenance.case``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_once(case: Path, workers: int, log: Path) -> dict[str, Any]:
    import geotrace
    from geotrace import api
    from geotrace.analysis import pairs_stage

    original = pairs_stage.features_or_none

    def counted(path: Path) -> Any:
        with open(log, "a") as out:  # one short line per call, appended (O_APPEND)
            out.write(f"{os.getpid()} {Path(path).name}\n")
        return original(path)

    pairs_stage.features_or_none = counted  # type: ignore[assignment]
    log.write_text("")
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    groups = api.copies(case, workers=workers)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    pairs_stage.features_or_none = original  # type: ignore[assignment]
    calls = [line.split() for line in log.read_text().splitlines()]
    members = sorted(
        ",".join(sorted(str(m["sha256"]) for m in g["members"])) for g in groups if "note" not in g
    )
    db = sqlite3.connect(case)
    rows = db.execute("SELECT a, b, detail FROM verified_pairs").fetchall()
    stored = dict(db.execute("SELECT sha256, stored_as FROM media").fetchall())
    media = Path(geotrace.__file__)
    root = case.with_name(case.name + ".media")
    identical = sum("identical pixels" in json.loads(d)["transformation"] for _, _, d in rows)
    same_data = _same_coded(rows, stored, root)
    return {
        "tree": str(media.parent),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "features": len(calls),
        "pictures": len({c[1] for c in calls}),
        "per_picture": round(len(calls) / max(1, len({c[1] for c in calls})), 2),
        "max_one_picture": max(Counter(c[1] for c in calls).values(), default=0),
        "workers_seen": len({c[0] for c in calls}),
        "checks": len(rows),
        "identical_verdicts": identical,
        "same_coded_data": same_data,
        "groups": len(members),
        "groups_digest": hashlib.sha256("\n".join(members).encode()).hexdigest()[:16],
    }


def _same_coded(rows: list[Any], stored: dict[str, str], root: Path) -> int | None:
    try:
        from geotrace.analysis.pairs_stage import coded_digest
    except ImportError:
        return None
    return sum(
        (d := coded_digest(str(root / stored[a]))) is not None
        and d == coded_digest(str(root / stored[b]))
        for a, b, _ in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--case", type=Path, required=True, help="an ingested case")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="copies-work-") as tmp:
        for _ in range(args.runs):
            case = Path(tmp) / "case"
            media = case.with_name(case.name + ".media")
            shutil.rmtree(media, ignore_errors=True)
            shutil.copyfile(args.case, case)
            # The originals are content-addressed and only read: hard links will do.
            shutil.copytree(
                args.case.with_name(args.case.name + ".media"), media, copy_function=os.link
            )
            db = sqlite3.connect(case)
            db.execute("DELETE FROM verified_pairs")
            db.commit()
            db.close()
            print(json.dumps(run_once(case, args.workers, Path(tmp) / "features.log")), flush=True)


if __name__ == "__main__":
    main()
