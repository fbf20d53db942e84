"""Following people at scale: geotrace's stays, legs and encounters against trackintel and
MovingPandas on the same synthetic fixes, in one run.

The synthetic set is ``../shared/research/people.md``'s: ``--users`` people (1,000) in a
30 km square round Kyiv, each alternating stays of 30 min-12 h (a fix every 1-5 min, 20 m
of GPS noise) with moves at 10 m/s to the next stay (a fix every 30 s), ``--fixes`` fixes
in all (1,000,000).  A stay is "within 100 m for 5 min" for both tools, with trackintel's
15 min gap (``stays(..., gap_s=900)``), so geotrace's closed stays must number trackintel's
staypoints.  What is compared:

* ``stays``: :func:`geotrace.analysis.stays.stays` per user against trackintel 1.4's
  ``generate_staypoints(method="sliding", dist_threshold=100, time_threshold=5)``;
* ``legs``: :func:`geotrace.analysis.legs.legs` per user (20 m discs, 1 s windows)
  against MovingPandas' ``TrajectoryCollection.add_speed``, on the first users only
  (``--mpd-fixes``, 100,000: it takes ~11 s per 100,000 fixes), compared in points/s;
* ``together``: :func:`geotrace.analysis.together.encounters` over every user's track
  at once (no peer has co-location).

Each side runs in a fresh child process (trackintel and MovingPandas in their own venv,
``--peers``, never a dependency of geotrace) reading the same ``.npz``, so that each
reports its own peak RSS (``ru_maxrss``: imports, data and work).  ``wall`` and ``cpu``
time the work from the loaded arrays (building the tool's input included); ``core`` the
call alone (trackintel's ``generate_staypoints``, MovingPandas' ``add_speed``, geotrace's
per-user calls without ``Points.build``).  Runs are interleaved so that the shared
machine's noise hits all alike; a stage not yet importable is skipped with its reason.

    .venv/bin/python bench/people.py                     # 1M fixes, 3 runs
    .venv/bin/python bench/people.py --fixes 100000 --runs 1
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PEERS = Path("/work/venv-peers/bin/python")
STAY_M, STAY_S, GAP_S = 100.0, 300.0, 900.0
KYIV = (50.45, 30.52)
HALF_SIDE_M = 15_000.0
M_PER_DEG = 111_195.0  # metres per degree of latitude on geotrace's sphere
NOISE_M = 20.0
SPEED_MS = 10.0
START = 1_646_092_800.0  # 2022-03-01T00:00:00Z

Arrays = dict[str, np.ndarray]


def synthesise(fixes: int, users: int, seed: int = 17) -> Arrays:
    """The research note's set, sorted by user then time (see the module docstring)."""
    rng = np.random.default_rng(seed)
    per_user = np.full(users, fixes // users)
    per_user[: fixes % users] += 1
    cols: dict[str, list[np.ndarray]] = {"user": [], "t": [], "x": [], "y": []}

    def place() -> np.ndarray:
        return rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, 2)

    for user, wanted in enumerate(per_user):
        now, here, have = START + rng.uniform(0, 86_400), place(), 0
        while have < wanted:
            length = rng.uniform(1_800, 43_200)
            steps = rng.uniform(60, 300, int(length // 60) + 2)
            at = now + np.concatenate(([0.0], np.cumsum(steps)))
            at = at[at <= now + length]
            xy = here + rng.normal(0, NOISE_M, (len(at), 2))
            there = place()
            trip = float(np.hypot(*(there - here))) / SPEED_MS
            moving = np.arange(30.0, trip, 30.0)
            share = (moving / trip)[:, None]
            xy = np.vstack(
                [xy, here + share * (there - here) + rng.normal(0, NOISE_M, (len(moving), 2))]
            )
            at = np.concatenate([at, now + length + moving])
            cols["t"].append(at)
            cols["x"].append(xy[:, 0])
            cols["y"].append(xy[:, 1])
            cols["user"].append(np.full(len(at), user))
            have += len(at)
            now, here = now + length + trip, there
        extra = have - wanted
        if extra:
            for k in cols:
                cols[k][-1] = cols[k][-1][: len(cols[k][-1]) - extra]
    x, y = np.concatenate(cols["x"]), np.concatenate(cols["y"])
    lat = KYIV[0] + y / M_PER_DEG
    return {
        "user": np.concatenate(cols["user"]).astype(np.int64),
        "t": np.round(np.concatenate(cols["t"])),  # whole seconds, as GPS logs and pandas
        "lat": lat,
        "lon": KYIV[1] + x / (M_PER_DEG * np.cos(np.radians(lat))),
    }


# --- children: each runs one side once and prints one JSON line ------------------------


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _bounds(user: np.ndarray) -> list[tuple[int, int]]:
    cut = np.flatnonzero(np.diff(user)) + 1
    return list(itertools.pairwise([0, *cut.tolist(), len(user)]))


def child_geotrace(op: str, data: Arrays) -> dict[str, Any]:
    from geotrace.analysis.points import Points

    if op == "stays":
        from geotrace.analysis.stays import stays

        def call(p: Points) -> list[Any]:
            return stays(p, STAY_M, STAY_S, gap_s=GAP_S)

        radius, u = 0.0, 0.0
    elif op == "legs":
        from geotrace.analysis.legs import legs

        call, radius, u = legs, 20.0, 1.0
    else:
        from geotrace.analysis import together

        radius, u = NOISE_M, 1.0
    core = 0.0
    wall, cpu = time.perf_counter(), _cpu()
    tracks = [
        Points.build(
            lat=data["lat"][a:b], lon=data["lon"][a:b], t=data["t"][a:b], radius_m=radius, u=u
        )
        for a, b in _bounds(data["user"])
    ]
    if op == "together":
        start = time.perf_counter()
        found = together.encounters(tracks, together.SPACE_MARGIN_M, together.TIME_MARGIN_S)
        core = time.perf_counter() - start
        result: dict[str, Any] = {"encounter_pairs": len(found.track_a)}
    else:
        answers = []
        for p in tracks:
            start = time.perf_counter()
            answers.append(call(p))
            core += time.perf_counter() - start
        if op == "stays":
            closed = [s.first_utc for a in answers for s in a if not s.open]
            result = {"closed": len(closed), "start_sum": int(sum(closed))}
        else:
            result = {"flagged": int(sum((a.flag != "").sum() for a in answers))}
    return {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu, "core": core, **result}


def child_trackintel(data: Arrays) -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd
    import trackintel as ti

    wall, cpu = time.perf_counter(), _cpu()
    frame = gpd.GeoDataFrame(
        {"user_id": data["user"], "tracked_at": pd.to_datetime(data["t"], unit="s", utc=True)},
        geometry=gpd.points_from_xy(data["lon"], data["lat"]),
        crs="EPSG:4326",
    )
    pfs = ti.io.read_positionfixes_gpd(frame, geom_col="geometry")
    start = time.perf_counter()
    _, sp = pfs.generate_staypoints(
        method="sliding",
        dist_threshold=STAY_M,
        time_threshold=STAY_S / 60,
        gap_threshold=GAP_S / 60,
    )
    core = time.perf_counter() - start
    return {
        "wall": time.perf_counter() - wall,
        "cpu": _cpu() - cpu,
        "core": core,
        "closed": len(sp),
        "start_sum": int(sum(at.timestamp() for at in sp["started_at"])),
    }


def child_movingpandas(data: Arrays) -> dict[str, Any]:
    import geopandas as gpd
    import movingpandas as mpd
    import pandas as pd

    wall, cpu = time.perf_counter(), _cpu()
    frame = gpd.GeoDataFrame(
        {"user_id": data["user"], "tracked_at": pd.to_datetime(data["t"], unit="s")},
        geometry=gpd.points_from_xy(data["lon"], data["lat"]),
        crs="EPSG:4326",
    )
    tc = mpd.TrajectoryCollection(frame, traj_id_col="user_id", t="tracked_at")
    start = time.perf_counter()
    tc.add_speed(overwrite=True)
    core = time.perf_counter() - start
    return {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu, "core": core}


def child(side: str, path: Path, limit: int) -> None:
    import warnings

    warnings.simplefilter("ignore")
    with np.load(path) as f:
        data = {k: f[k][:limit] for k in f.files}
    tool, op = side.split(":")
    if tool == "geotrace":
        out = child_geotrace(op, data)
    elif tool == "trackintel":
        out = child_trackintel(data)
    else:
        out = child_movingpandas(data)
    out["points"] = len(data["t"])
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


# --- the parent -------------------------------------------------------------------------


def spawn(python: Path, side: str, path: Path, limit: int) -> dict[str, Any] | str:
    """One side once, in a fresh process; its JSON, or why it could not run."""
    done = subprocess.run(
        [str(python), __file__, "--child", side, "--data", str(path), "--limit", str(limit)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def importable(module: str) -> str | None:
    try:
        __import__(module)
    except ImportError as e:
        return str(e)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--mpd-fixes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", type=Path, default=PEERS, help="python of the peers' venv")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.limit)
        return

    data = synthesise(args.fixes, args.users)
    mpd_fixes = min(args.mpd_fixes, args.fixes)
    mpd_fixes = int(np.searchsorted(data["user"], data["user"][mpd_fixes - 1], side="right"))
    here = Path(sys.executable)
    sides: dict[str, tuple[Path, int]] = {}
    for op, module in [
        ("stays", "geotrace.analysis.stays"),
        ("legs", "geotrace.analysis.legs"),
        ("together", "geotrace.analysis.together"),
    ]:
        why = importable(module)
        if why is None:
            sides[f"geotrace:{op}"] = (here, args.fixes)
        else:
            print(f"skipped geotrace {op}: {why}")
    sides["trackintel:stays"] = (args.peers, args.fixes)
    sides["movingpandas:legs"] = (args.peers, mpd_fixes)
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
    with tempfile.TemporaryDirectory(prefix="bench-people-") as folder:
        path = Path(folder) / "fixes.npz"
        np.savez(path, **data)
        for _ in range(args.runs):
            for side, (python, limit) in sides.items():  # interleaved
                got = spawn(python, side, path, limit)
                if isinstance(got, str):
                    print(f"{side} failed: {got}")
                    continue
                results[side].append(got)
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, list[dict[str, Any]]]) -> None:
    def med(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    def spread(side: str, key: str) -> str:
        values = [r[key] for r in results[side]]
        return f"{statistics.median(values):7.2f} [{min(values):.2f}-{max(values):.2f}]"

    print(
        f"people: {args.fixes:,} fixes, {args.users:,} users, {os.cpu_count()} cores,"
        f" {args.runs} runs (median [min-max])"
    )
    print(
        f"  {'side':20s} {'points':>9s} {'wall s':>20s} {'cpu s':>20s} {'core s':>20s}"
        f" {'peak RSS MB':>12s} {'points/s':>11s}  answer"
    )
    rate: dict[str, float] = {}
    for side, runs in results.items():
        if not runs:
            continue
        points = runs[0]["points"]
        rate[side] = points / med(side, "wall")
        answer = {
            k: v for k, v in runs[0].items() if k not in ("wall", "cpu", "core", "points", "rss_mb")
        }
        print(
            f"  {side:20s} {points:9,d} {spread(side, 'wall'):>20s} {spread(side, 'cpu'):>20s}"
            f" {spread(side, 'core'):>20s} {med(side, 'rss_mb'):12.0f} {rate[side]:11,.0f}"
            f"  {json.dumps(answer) if answer else ''}"
        )
    ratios: list[tuple[str, str, Callable[[str], float]]] = [
        ("geotrace:stays", "trackintel:stays", lambda s: rate[s]),
        ("geotrace:legs", "movingpandas:legs", lambda s: rate[s]),
    ]
    for ours, theirs, of in ratios:
        if ours in rate and theirs in rate:
            print(
                f"  {ours} / {theirs}: x{of(ours) / of(theirs):,.1f} points/s,"
                f" peak RSS x{med(ours, 'rss_mb') / med(theirs, 'rss_mb'):.2f}"
                f" ({results[ours][0]['points']:,} against {results[theirs][0]['points']:,} points)"
            )
    if "geotrace:legs" in rate and "trackintel:stays" in rate:
        ratio = rate["geotrace:legs"] / rate["trackintel:stays"]
        print(f"  geotrace:legs / trackintel:stays: x{ratio:,.1f} points/s")
    if results.get("geotrace:stays") and results.get("trackintel:stays"):
        ours_n, ours_s = (results["geotrace:stays"][0][k] for k in ("closed", "start_sum"))
        theirs_n, theirs_s = (results["trackintel:stays"][0][k] for k in ("closed", "start_sum"))
        print(
            f"  closed stays {ours_n:,} vs trackintel staypoints {theirs_n:,}:"
            f" {'same' if ours_n == theirs_n else 'DIFFERENT'} counts,"
            f" {'same' if ours_s == theirs_s else 'DIFFERENT'} sum of start times"
        )


if __name__ == "__main__":
    main()
