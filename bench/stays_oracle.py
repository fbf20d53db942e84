"""geotrace.analysis.stays against trackintel's sliding staypoints, on the same fixes.

Two things, each in one run of this script (geotrace in this process, trackintel in a child
process of ``--peer-python``, the peers' venv: trackintel is never a geotrace dependency):

``agree``: GeoLife users ``geolife/000`` and ``geolife_long/000``, ``/001`` (trackintel's
own test data in ``../shared/corpora/tracks/trackintel``) through both with several
(distance, duration) pairs, gap 15 min, ``include_last=True``: counts, start/end to the
second, centroid distance, and the open (last) stay against trackintel's included last;
the stays geotrace keeps before a silence (trackintel drops them) are counted apart.

``bench``: ``--users`` x ``--fixes`` synthetic fixes (default 1,000 x 1,000): people
alternating stays of 30 min-12 h (a fix every 1-5 min, 20 m noise) and moves at 10 m/s
(a fix every 30 s); stay = 100 m for 5 min.  Times only the staypoint call (geotrace: a
loop over users of ``stays``; trackintel: one ``generate_staypoints`` over all users), and
each process's peak RSS (``ru_maxrss``), with its RSS before the call.

    .venv/bin/python bench/stays_oracle.py agree
    .venv/bin/python bench/stays_oracle.py bench
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TRACKS = ROOT.parent / "shared" / "corpora" / "tracks" / "trackintel"
COMBOS = [(25.0, 300.0), (50.0, 300.0), (100.0, 300.0), (200.0, 600.0)]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peer(args: argparse.Namespace) -> None:
    """Child process (peers' venv): trackintel on the fixes of ``--inp``, answers to ``--out``."""
    import warnings

    import geopandas as gpd
    import pandas as pd
    import trackintel as ti

    warnings.simplefilter("ignore")
    data = np.load(args.inp)
    out: dict[str, list[float]] = {"user": [], "start": [], "end": [], "lat": [], "lon": []}
    timings = []
    for d, dur in json.loads(args.combos):
        gdf = gpd.GeoDataFrame(
            {
                "user_id": data["user"],
                "tracked_at": pd.to_datetime(data["t"], unit="s", utc=True),
            },
            geometry=gpd.points_from_xy(data["lon"], data["lat"]),
            crs="EPSG:4326",
        )
        pfs = ti.Positionfixes(gdf)
        before = rss_mb()
        t0 = time.perf_counter()
        _, sp = pfs.generate_staypoints(
            method="sliding",
            dist_threshold=d,
            time_threshold=dur / 60.0,
            gap_threshold=15.0,
            include_last=True,
        )
        timings.append(
            {"seconds": time.perf_counter() - t0, "rss_before_mb": before, "peak_mb": rss_mb()}
        )
        out["user"] += [float(d) * 1e6 + float(u) for u in sp["user_id"]]
        out["start"] += [x.timestamp() for x in sp["started_at"]]
        out["end"] += [x.timestamp() for x in sp["finished_at"]]
        out["lat"] += list(sp.geometry.y)
        out["lon"] += list(sp.geometry.x)
    np.savez(args.out, **{k: np.array(v) for k, v in out.items()})
    Path(args.out + ".json").write_text(json.dumps(timings))


def run_peer(
    python: str, user: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, combos: list
) -> tuple[dict[str, np.ndarray], list[dict[str, float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = f"{tmp}/in.npz", f"{tmp}/out.npz"
        np.savez(inp, user=user, t=t, lat=lat, lon=lon)
        cmd = [python, __file__, "peer", "--inp", inp, "--out", out]
        subprocess.run([*cmd, "--combos", json.dumps(combos)], check=True)
        got = dict(np.load(out))
        return got, json.loads(Path(out + ".json").read_text())


def agree(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "analysis"))
    from trackkit import geolife_fixes

    from geotrace.analysis.points import Points, haversine_m
    from geotrace.analysis.stays import stays

    for folder in ("geolife/000", "geolife_long/000", "geolife_long/001"):
        fx = geolife_fixes(TRACKS / folder)
        order = np.argsort(fx[:, 0], kind="stable")
        fx = fx[order]
        users = np.zeros(len(fx))
        ti, _ = run_peer(args.peer_python, users, fx[:, 0], fx[:, 1], fx[:, 2], COMBOS)
        pts = Points.build(t=fx[:, 0], lat=fx[:, 1], lon=fx[:, 2])
        for d, dur in COMBOS:
            every = stays(pts, d, dur, 900.0)
            # trackintel has no stay before a silence (geotrace keeps them, open).
            mine = [s for s in every if not s.open or s.last == len(pts) - 1]
            sel = ti["user"] == d * 1e6
            theirs = list(zip(ti["start"][sel], ti["end"][sel], strict=True))
            ours = [(s.first_utc, s.last_utc) for s in mine]
            same = ours == theirs
            far = 0.0
            if same and mine:
                far = float(
                    haversine_m(
                        np.array([s.lat for s in mine]),
                        np.array([s.lon for s in mine]),
                        ti["lat"][sel],
                        ti["lon"][sel],
                    ).max()
                )
            print(
                f"{folder:17s} D={d:5.0f} T={dur / 60:4.0f}min  trackintel {len(theirs):3d}"
                f"  geotrace {len(ours):3d} (+{len(every) - len(mine)} before a silence)"
                f"  identical start/end: {same}  max centre offset {far:.3f} m"
            )


def synthetic(users: int, fixes: int, seed: int) -> tuple[np.ndarray, ...]:
    """Users' fixes: stays (30 min-12 h, a fix every 1-5 min, 20 m noise) and moves of
    1-20 km at 10 m/s with a fix every 30 s, from random places on land-ish latitudes."""
    rng = np.random.default_rng(seed)
    us, ts, las, los = [], [], [], []
    for u in range(users):
        lat0, lon0 = rng.uniform(-50, 60), rng.uniform(-180, 180)
        x = y = 0.0
        t = 1.6e9 + rng.uniform(0, 1e7)
        tt, xx, yy = [], [], []
        count = 0
        while count < fixes:
            stay = rng.uniform(1800, 43200)
            at = t + np.cumsum(rng.uniform(60, 300, size=int(stay / 60) + 1))
            at = at[at <= t + stay]
            tt.append(at)
            xx.append(x + rng.normal(0, 20, at.size))
            yy.append(y + rng.normal(0, 20, at.size))
            dist, head = rng.uniform(1000, 20000), rng.uniform(0, 2 * np.pi)
            steps = np.arange(1, int(dist / 300) + 1)
            tt.append(t + stay + 30.0 * steps)
            xx.append(x + 300.0 * steps * np.cos(head))
            yy.append(y + 300.0 * steps * np.sin(head))
            t, x, y = tt[-1][-1], xx[-1][-1], yy[-1][-1]
            count += at.size + steps.size
        at, ax, ay = (np.concatenate(a)[:fixes] for a in (tt, xx, yy))
        la = lat0 + ay / 111195.0
        us.append(np.full(fixes, u))
        ts.append(at)
        las.append(la)
        los.append(lon0 + ax / (111195.0 * np.cos(np.radians(la))))
    return np.concatenate(us), np.concatenate(ts), np.concatenate(las), np.concatenate(los)


def bench(args: argparse.Namespace) -> None:
    from geotrace.analysis.points import Points
    from geotrace.analysis.stays import stays

    user, t, lat, lon = synthetic(args.users, args.fixes, args.seed)
    n = t.size
    bounds = np.flatnonzero(np.diff(user)) + 1
    tracks = [
        Points.build(t=tt, lat=la, lon=lo)
        for tt, la, lo in zip(
            np.split(t, bounds), np.split(lat, bounds), np.split(lon, bounds), strict=True
        )
    ]
    before = rss_mb()
    t0 = time.perf_counter()
    found = [
        [s for s in stays(p, 100.0, 300.0, 900.0) if not s.open or s.last == len(p) - 1]
        for p in tracks
    ]
    ours_s = time.perf_counter() - t0
    ours_peak = rss_mb()
    ti, timing = run_peer(args.peer_python, user, t, lat, lon, [(100.0, 300.0)])
    theirs = sorted(zip(ti["user"] - 100.0 * 1e6, ti["start"], ti["end"], strict=True))
    ours = sorted((float(u), s.first_utc, s.last_utc) for u, fs in enumerate(found) for s in fs)
    print(f"{n:,} fixes, {args.users} users; stays 100 m / 5 min, gap 15 min")
    print(
        f"geotrace   {ours_s:7.2f} s  {n / ours_s:12,.0f} fixes/s  {len(ours):,} stays"
        f"  RSS {before:.0f} MB before, peak {ours_peak:.0f} MB"
    )
    ti_s = timing[0]["seconds"]
    print(
        f"trackintel {ti_s:7.2f} s  {n / ti_s:12,.0f} fixes/s  {len(theirs):,} staypoints"
        f"  RSS {timing[0]['rss_before_mb']:.0f} MB before, peak {timing[0]['peak_mb']:.0f} MB"
    )
    same = len(ours) == len(theirs) and np.allclose(np.array(ours), np.array(theirs), 0, 1e-3)
    print(f"speed-up {ti_s / ours_s:.1f}x; same stays (user, start, end to 1 ms): {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["agree", "bench", "peer"])
    ap.add_argument("--peer-python", default="/work/venv-peers/bin/python")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--fixes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--inp")
    ap.add_argument("--out")
    ap.add_argument("--combos")
    args = ap.parse_args()
    {"agree": agree, "bench": bench, "peer": peer}[args.mode](args)


if __name__ == "__main__":
    main()
