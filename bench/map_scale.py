"""The map of a large case: build time, folder size, and how fast headless Chromium opens it.

Issue 20: the map of the generated 10M-post / 1M-sighting case (``bench/bigcase.py``) must
open in headless Chromium in under 5 s, and a sighting found by its id must show its popup.
Past ``maptiles.TILED_ABOVE`` sightings the map is ``map.html`` and ``map_files/`` beside
it (``present/maptiles.py``).  Per case given, in one run:

* the build (``maptiles.case_map``, the map itself; the layers of people that ``api.map``
  reads first are ``bench/people.py``'s) in a fresh process: CPU (user+sys) and wall
  seconds, peak RSS, the page's and the folder's size and file count;
* the load: seconds from navigation until the page is ready (the first view's bubbles and
  point tiles read and drawn), in a fresh headless Chromium with the network cut, ``--loads``
  times, and the page's own clock (script start, ready);
* the search: ``--searches`` sighting ids drawn at random from the case, each typed into
  the page's search hook; seconds until its popup shows, and that the popup is that
  sighting's (its id in the table).

Run (the 1M case first, built by ``python bench/bigcase.py``):

    .venv/bin/python bench/map_scale.py /tmp/h20/big/small.case /tmp/h20/big/big.case
    .venv/bin/python bench/map_scale.py --tiled-above 1000 /tmp/h20/big/small.case

``--tiled-above`` lowers the threshold for a small case (to time the tiled map there).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
BUILD = """
import json, resource, sys, time
from pathlib import Path
from geotrace.present import maptiles
if sys.argv[3] != "-":
    maptiles.TILED_ABOVE = int(sys.argv[3])
start, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    s = maptiles.case_map(Path(sys.argv[1]), out)
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
    "user_sys_s": u.ru_utime + u.ru_stime, "peak_rss_mb": u.ru_maxrss / 1024,
    "sightings": s.sightings, "skipped": s.skipped, "tiles": s.tiles, "folder": s.folder}))
"""


def build(case: Path, page: Path, tiled_above: int | None) -> dict[str, Any]:
    """``case``'s map written to ``page`` in a fresh process, measured by that process."""
    args = [str(case), str(page), "-" if tiled_above is None else str(tiled_above)]
    done = subprocess.run(
        [sys.executable, "-c", BUILD, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["page_mb"] = page.stat().st_size / 2**20
    if result["folder"]:
        files = [f for f in Path(result["folder"]).rglob("*") if f.is_file()]
        result["folder_mb"] = sum(f.stat().st_size for f in files) / 2**20
        result["folder_files"] = len(files)
    return result


def sample_ids(case: Path, k: int, seed: int = 20) -> list[int]:
    """``k`` drawable sighting ids at random (by rowid range, not by reading every id)."""
    db = sqlite3.connect(f"file:{case}?mode=ro", uri=True, timeout=120)
    try:
        lo, hi = db.execute("SELECT min(id), max(id) FROM sightings").fetchone()
        rng, ids = random.Random(seed), []
        while len(ids) < k:
            row = db.execute(
                "SELECT id FROM sightings WHERE id >= ? AND abs(lat) <= 90 ORDER BY id LIMIT 1",
                (rng.randint(lo, hi),),
            ).fetchone()
            if row:
                ids.append(int(row[0]))
        return ids
    finally:
        db.close()


def browse(page: Path, loads: int, ids: list[int]) -> dict[str, Any]:
    """Load times (fresh browser each) and search-to-popup times (in the last one)."""
    from playwright.sync_api import sync_playwright

    from geotrace.present.report import OFFLINE_FLAGS

    times, clocks, searches = [], [], []
    with sync_playwright() as p:
        for n in range(loads):
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=[*OFFLINE_FLAGS, "--no-sandbox"]
            )
            try:
                tab = browser.new_page(viewport={"width": 1280, "height": 800})
                tab.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
                )
                start = time.perf_counter()
                tab.goto(page.as_uri(), wait_until="load", timeout=120_000)
                tab.wait_for_selector("body[data-ready='1']", timeout=120_000)
                times.append(time.perf_counter() - start)
                state = tab.evaluate("() => ({...window.geotraceMap})")
                clocks.append(state["timings"])
                if n < loads - 1:
                    continue
                first_view = {k: state.get(k) for k in ("drawn", "bubbles", "bubbleSum", "zoom")}
                if not tab.evaluate("() => typeof window.geotraceMap.search === 'function'"):
                    continue  # a one-file map: no search box (popups by click only)
                for sid in ids:
                    start = time.perf_counter()
                    found = tab.evaluate(f"() => window.geotraceMap.search({sid})")
                    tab.wait_for_function(f"() => window.geotraceMap.popup === {sid}")
                    shown = f"sighting id\t{sid}" in tab.inner_text(".gt-popup")
                    searches.append(
                        {"id": sid, "s": time.perf_counter() - start, "ok": found and shown}
                    )
            finally:
                browser.close()
    seconds = [s["s"] for s in searches]
    return {
        "load_s": times,
        "load_median_s": statistics.median(times),
        "page_clock_ms": clocks,
        "first_view": first_view,
        "search_median_s": statistics.median(seconds) if seconds else None,
        "search_max_s": max(seconds) if seconds else None,
        "search_all_ok": bool(searches) and all(s["ok"] for s in searches),
        "searches": searches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("/tmp/geotrace-map-scale"))
    parser.add_argument("--tiled-above", type=int, default=None)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--searches", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="open the map already built")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for case in args.cases:
        page = args.out / f"{case.stem}.html"
        saved = args.out / f"{case.stem}.json"
        if args.reuse and saved.exists() and page.exists():
            result: dict[str, Any] = json.loads(saved.read_text("utf-8"))
        else:
            result = {"case": str(case), "build": build(case, page, args.tiled_above)}
        b = result["build"]
        print(
            f"{case.name}: {b['sightings']} sightings; build {b['user_sys_s']:.1f} CPU s"
            f" ({b['wall_s']:.1f} s wall), peak RSS {b['peak_rss_mb']:.0f} MB; page"
            f" {b['page_mb']:.2f} MB"
            + (
                f", folder {b['folder_mb']:.0f} MB in {b['folder_files']} files"
                if b["folder"]
                else ""
            ),
            flush=True,
        )
        if CHROMIUM.exists():
            result["browser"] = r = browse(page, args.loads, sample_ids(case, args.searches))
            found = (
                f"; search by id to popup: median {r['search_median_s']:.2f} s, max"
                f" {r['search_max_s']:.2f} s, all found: {r['search_all_ok']}"
                if r["searches"]
                else ""
            )
            print(
                f"  opens in {r['load_median_s']:.2f} s (median of {args.loads}:"
                f" {', '.join(f'{s:.2f}' for s in r['load_s'])}); first view"
                f" {r['first_view']}{found}",
                flush=True,
            )
        else:
            print("  no /usr/bin/chromium: load and search not measured", flush=True)
        (args.out / f"{case.stem}.json").write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
