"""The evidence report at 100k and 1M sightings: one file against an index and pages.

Issue 20: at 0.14 ms and 0.72 KB a sighting the single-file report would be ~7 GB at 10M
sightings, a page nothing opens.  This measures, in one run and on the same cases, the
paged report (``present/report_pages.py``: ``report.html`` as an index and
``report_files/`` with each account's pages of at most 1,000 sightings) at 100k and 1M
sightings (in one process, and in ``--workers`` processes), beside today's single file at
100k: CPU seconds (user + sys of a fresh child
process), wall seconds, peak RSS of that process, bytes written, files, the largest page;
and, where Debian's chromium and Playwright are installed, the seconds until the index and
the largest page have loaded in headless Chromium with the network cut.

The cases are ``bench/bigcase.py``'s (accounts on three platforms with Zipf-like activity,
70 % platform geotags, 30 % pictures' GPS, places computed by the real stage): the 1M case
is its default (10M posts, 1M sightings, 100k accounts), the 100k one a tenth of it.  Pass
``--case 1000000=PATH`` to reuse cases already built (they are only read).
The report is written without the people timelines (``api.report`` adds them: their cost
is the tracks' and silences', measured by ``bench/analytics.py``).

Run:  python bench/report_scale.py [--sizes 100000,1000000] [--work DIR] [--case N=PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
LOAD_LIMIT_S = 240.0
#: The single file is measured up to this size (at 1M it is ~0.7 GB and ~140 s).
SINGLE_UP_TO = 100_000


def one(mode: str, case: Path, out: Path) -> dict[str, Any]:
    """In the child: write one report, say what it wrote."""
    from geotrace.present import report_pages
    from geotrace.present.report import write_report
    from geotrace.store.case import Case

    index = out / "report.html"
    started = time.perf_counter()
    with Case(case) as opened, index.open("w", encoding="utf-8", newline="") as f:
        if mode == "single":
            summary = write_report(opened, f)
        else:
            workers = int(mode.removeprefix("paged") or 1)
            summary = report_pages.write_report_at(opened, f, index, workers=workers)
    wall = time.perf_counter() - started
    folder = report_pages.pages_folder(index)
    pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
    largest = max(pages, key=lambda p: p.stat().st_size) if pages else index
    return {
        "sightings": summary.sightings,
        "accounts": summary.accounts,
        "wall_s_in": wall,
        "index_bytes": index.stat().st_size,
        "bytes": index.stat().st_size + sum(p.stat().st_size for p in pages),
        "files": 1 + len(pages),
        "largest": str(largest),
        "largest_bytes": largest.stat().st_size,
    }


def measured(mode: str, case: Path, out: Path) -> dict[str, Any]:
    """Run :func:`one` in a fresh process: its CPU and peak RSS are the report's alone."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--one", mode, str(case), str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    assert child.stdout is not None
    text = child.stdout.read()
    if status != 0:
        raise SystemExit(f"{mode} report of {case} failed ({status})")
    found: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    found |= {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }
    return found


def load_seconds(page: Path) -> float | None:
    """Seconds until ``page`` has loaded in headless Chromium, network cut; None where
    chromium or Playwright is absent or the page never loads."""
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
            tab.goto(page.as_uri(), wait_until="load", timeout=LOAD_LIMIT_S * 1000)
        except Exception:
            return None
        finally:
            elapsed = time.perf_counter() - start
            browser.close()
    return elapsed


def case_of(size: int, given: Path | None, work: Path) -> Path:
    """The case of ``size`` sightings: given, or built with bench/bigcase.py (10 posts and
    a tenth of an account per sighting, as its default 10M / 1M / 100k)."""
    if given is not None:
        return given
    path = work / f"case{size}.case"
    if not path.exists():
        sys.path.insert(0, str(BENCH))
        from bigcase import build

        build(path, posts=10 * size, sightings=size, accounts=max(1, size // 10))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", nargs=3, metavar=("MODE", "CASE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/report_scale"))
    parser.add_argument(
        "--case", action="append", default=[], metavar="SIZE=PATH", help="reuse a built case"
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the load times")
    parser.add_argument("--workers", type=int, default=2, help="also paged with N processes")
    args = parser.parse_args()
    if args.one:
        mode, case, out = args.one
        print(json.dumps(one(mode, Path(case), Path(out))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    given = {int(k): Path(v) for k, v in (c.split("=", 1) for c in args.case)}
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"# report_scale {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()},"
        f" {os.cpu_count()} cores, Python {platform.python_version()}, load"
        f" {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    rows = []
    for size in sizes:
        case = case_of(size, given.get(size), work)
        modes = ["paged", f"paged{args.workers}"] if args.workers > 1 else ["paged"]
        modes += ["single"] if size <= SINGLE_UP_TO else []
        for mode in modes:
            out = work / f"{mode}{size}"
            found = measured(mode, case, out)
            if not args.no_browser:
                found["index_load_s"] = load_seconds(out / "report.html")
                largest = Path(found["largest"])
                paged = mode.startswith("paged")
                found["largest_load_s"] = load_seconds(largest) if paged else None
            rows.append((size, mode, found))
            print(json.dumps({"size": size, "mode": mode, **found}), flush=True)
    print()
    print(
        "| sightings | report | CPU s | wall s | peak RSS MB | MB written | files"
        " | largest file MB | index load s | largest page load s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for _size, mode, f in rows:

        def s(v: float | None) -> str:
            return "-" if v is None else f"{v:.1f}"

        print(
            f"| {f['sightings']:,} | {mode} | {f['cpu_s']:.1f} | {f['wall_s']:.1f}"
            f" | {f['peak_rss_mb']:.0f} | {f['bytes'] / 1e6:.1f} | {f['files']:,}"
            f" | {f['largest_bytes'] / 1e6:.2f} | {s(f.get('index_load_s'))}"
            f" | {s(f.get('largest_load_s'))} |"
        )


if __name__ == "__main__":
    main()
