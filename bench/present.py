"""geotrace's map and report of a 100,000-sighting case, beside folium on the same points.

Issue 7: ``geotrace map`` and ``geotrace report`` for a case of 100,000 sightings, the time
to generate each and the HTML's size, beside the same points written by folium (what an
investigator scripting it would use: ``folium.plugins.FastMarkerCluster``, which is folium's
answer for many points), in one run; and, where Debian's chromium and Playwright's Python
package are installed, the time until each page has drawn its points with the network cut
(folium's page loads Leaflet from a CDN, so offline it draws nothing: said, not hidden).

The case is built by ingesting a generated Telethon JSON Lines dump: 100,000 messages of 50
accounts, each a geotag (``MessageMediaGeo``) on a random walk through Ukraine and Russia,
with an accuracy radius on a fifth of them, the shape of the real sample in
``../shared/corpora/exports/telegram_telethon_json``.

Run:  python bench/present.py [--n 100000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scoring import dist_version, markdown_table, work_folder

ACCOUNTS = 50
FOLIUM_DRAWN = "document.querySelectorAll('.leaflet-marker-icon').length > 0"
CHROMIUM = Path("/usr/bin/chromium")
#: A page that is not ready in this long is recorded as not loading ("-").
LOAD_LIMIT_S = 240.0


def write_dump(path: Path, n: int, seed: int = 7) -> None:
    """``n`` Telethon ``Message`` lines, each with a geotag, from ``ACCOUNTS`` users."""
    rng = random.Random(seed)
    starts = [(rng.uniform(46.0, 52.0), rng.uniform(24.0, 45.0)) for _ in range(ACCOUNTS)]
    where = list(starts)
    when = datetime(2022, 2, 20, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            who = rng.randrange(ACCOUNTS)
            lat, lon = where[who]
            lat, lon = lat + rng.gauss(0, 0.05), lon + rng.gauss(0, 0.05)
            where[who] = (lat, lon)
            when += timedelta(seconds=rng.randint(1, 120))
            message = {
                "_": "Message",
                "id": 1000 + i,
                "peer_id": {"_": "PeerChannel", "channel_id": 1234567890},
                "date": when.isoformat(),
                "message": f"позиція {i} <b>колона</b> & техніка",
                "from_id": {"_": "PeerUser", "user_id": 7_000_000 + who},
                "fwd_from": None,
                "media": {
                    "_": "MessageMediaGeo",
                    "geo": {
                        "_": "GeoPoint",
                        "long": round(lon, 6),
                        "lat": round(lat, 6),
                        "access_hash": rng.randint(-(2**62), 2**62),
                        "accuracy_radius": rng.choice((None, None, None, None, 50, 500)),
                    },
                },
                "entities": [],
                "views": rng.randint(10, 90_000),
            }
            out.write(json.dumps(message, ensure_ascii=False) + "\n")


def geotrace(*args: str) -> float:
    exe = Path(sys.executable).with_name("geotrace")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "geotrace"]
    start = time.perf_counter()
    subprocess.run([*command, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def folium_map(case: Path, out: Path) -> float:
    """The same sightings with folium's FastMarkerCluster (timing includes reading them)."""
    import folium
    from folium.plugins import FastMarkerCluster

    from geotrace import api

    start = time.perf_counter()
    rows = api.sightings(case)
    points = [(r["lat"], r["lon"]) for r in rows]
    fmap = folium.Map(location=points[0], zoom_start=5)
    FastMarkerCluster(points).add_to(fmap)
    fmap.save(str(out))
    return time.perf_counter() - start


def load_seconds(page: Path, ready: str, limit_s: float = LOAD_LIMIT_S) -> float | None:
    """Seconds until ``ready`` (a JavaScript expression) is true in headless chromium with
    the network cut; None when chromium or Playwright is absent, or it never gets ready."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context()
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        tab = context.new_page()
        start = time.perf_counter()
        try:
            tab.goto(page.as_uri(), wait_until="load", timeout=limit_s * 1000)
            tab.wait_for_function(ready, timeout=limit_s * 1000)
        except Exception:
            return None
        finally:
            elapsed = time.perf_counter() - start
            browser.close()
    return elapsed


def versions() -> str:
    return (
        f"Python {platform.python_version()}; geotrace {dist_version('geotrace')}, folium "
        f"{dist_version('folium')}, playwright {dist_version('playwright')}; "
        f"{os.cpu_count()} CPUs; {platform.platform()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="sightings (default 100,000)")
    parser.add_argument("--keep", action="store_true", help="keep the case and the pages")
    args = parser.parse_args(argv)
    with work_folder("geotrace-present-", args.keep) as work:
        print(versions())
        dump = work / "messages.jsonl"
        write_dump(dump, args.n)
        case = work / "present.case"
        ingest_s = geotrace("ingest", str(dump), "--case", str(case))
        print(f"case: {args.n:,} geotagged messages ingested in {ingest_s:.1f} s")
        pages = {
            "geotrace map": (
                work / "map.html",
                lambda p: geotrace("map", "--case", str(case), "-o", str(p)),
            ),
            "geotrace report": (
                work / "report.html",
                lambda p: geotrace("report", "--case", str(case), "-o", str(p)),
            ),
            "folium FastMarkerCluster": (work / "folium.html", lambda p: folium_map(case, p)),
        }
        ready = {
            "geotrace map": "window.geotraceMap && window.geotraceMap.drawnCount() > 0",
            "geotrace report": "document.readyState === 'complete'",
            "folium FastMarkerCluster": FOLIUM_DRAWN,
        }
        rows, seconds = [], {}
        for name, (out, make) in pages.items():
            try:
                seconds[name] = make(out)
            except (ImportError, subprocess.CalledProcessError) as exc:
                rows.append([name, "not run", "", "", f"{type(exc).__name__}: {exc}"])
                continue
            load = load_seconds(out, ready[name])
            rows.append(
                [
                    name,
                    f"{seconds[name]:.1f}",
                    f"{out.stat().st_size / 2**20:.1f}",
                    "-" if load is None else f"{load:.1f}",
                    "self-contained" if "geotrace" in name else "Leaflet from a CDN",
                ]
            )
        print(markdown_table(["output", "generate s", "HTML MB", "load s (offline)", "note"], rows))
        if "geotrace map" in seconds and "folium FastMarkerCluster" in seconds:
            ratio = seconds["folium FastMarkerCluster"] / seconds["geotrace map"]
            print(f"\nfolium s / geotrace map s = {ratio:.2f}x")
        return 0


if __name__ == "__main__":
    sys.exit(main())
