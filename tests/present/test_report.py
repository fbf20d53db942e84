"""export.report and export.svgmap: the evidence report, built from real cases.

The demo case is ingested from the bundled files; the hostile case from a real Telegram
export and a real photo, renamed and rewritten to carry script; the large case is written
straight into the store (one post, many geotags) to measure the report at scale.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace import api
from geotrace.pipeline.runner import open_case
from geotrace.places.queries import sightings
from geotrace.present.markup import esc
from geotrace.present.outlines import SHIPPED
from geotrace.present.report import ReportSummary, chromium, html_to_pdf, write_report
from geotrace.present.svgmap import prepare_outlines, svg_map
from geotrace.store.case import Case
from tests.browser import ARTIFACTS, offline_page
from tests.casekit import REPO

DEMO = REPO / "demo"
SVG = "{http://www.w3.org/2000/svg}"

#: A hand-made FeatureCollection: two squares around the demo's points and one far away.
OUTLINES: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"iso": "AA"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[68, 40], [71, 40], [71, 42], [68, 42], [68, 40]]],
            },
        },
        {
            "type": "Feature",
            "properties": {"iso": "BB"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [[[[0, -60], [10, -60], [10, -50], [0, -50], [0, -60]]]],
            },
        },
    ],
}


def report(case_path: Path, **kwargs: Any) -> tuple[str, ReportSummary]:
    out = io.StringIO()
    with Case(case_path) as case:
        summary = write_report(case, out, outlines=OUTLINES, **kwargs)
    return out.getvalue(), summary


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = tmp_path_factory.mktemp("demo") / "t.case"
    api.ingest([DEMO / "photos", DEMO / "exports"], case)
    return case


@pytest.fixture(scope="module")
def demo_html(demo_case: Path) -> str:
    return report(demo_case)[0]


def sections(html: str) -> list[str]:
    """Each account's part of the report."""
    part = html[html.index('id="accounts"') : html.index('id="methods"')]
    return part.split('<h3 id="a')[1:]


def test_every_sighting_is_in_the_report_once(demo_case: Path, demo_html: str) -> None:
    with Case(demo_case) as case:
        rows = list(sightings(case.db))
        accounts = {(r["platform"], r["account_id"]) for r in rows}
    # 10 from files and geotags; 3 a Telegram post's text names (в г. Москве, в г. Ялте, в Дубае)
    assert len(rows) == 13 and sum(r["method"] == "text_toponym" for r in rows) == 3
    assert demo_html.count('<tr class="sighting"') == len(rows)
    for row in rows:
        assert demo_html.count(f'id="s{row["id"]}"') == 1
        assert f"{row['lat']:.6f}, {row['lon']:.6f}" in demo_html
    assert len(sections(demo_html)) == len(accounts)
    # the evidence of a photo and of a geotag: sha256, file, basis, place
    assert "c3034419772b425134fd69f5cdc43143038b36c9202d8a93ca74d207da09aa2e" in demo_html
    assert "goexif__sample1.jpg" in demo_html and "gps_clock, ±1 s" in demo_html
    assert "chats.list[0].messages[29]" in demo_html  # where in the export the post is
    assert "UZ-TK Tashkent" in demo_html and "Yunusobod" in demo_html


def test_attribution_custody_and_problems(demo_case: Path, demo_html: str) -> None:
    assert "GeoNames (https://www.geonames.org/), CC BY 4.0" in demo_html
    assert "Natural Earth" in demo_html and "public domain" in demo_html
    assert "ODbL-1.0" in demo_html
    with sqlite3.connect(demo_case) as db:
        sources = db.execute("SELECT sha256, path FROM sources").fetchall()
        problems = db.execute("SELECT code, message FROM problems").fetchall()
        custody = db.execute("SELECT count(*) FROM custody_log").fetchone()[0]
    assert len(sources) == 11 and len(problems) == 4
    for sha, path in sources:
        assert sha in demo_html and esc(path) in demo_html
    custody_part = demo_html[demo_html.index('id="custody"') :]
    assert custody_part.count("<tr>") - 1 - 1 == len(sources) + custody  # minus two headers
    problem_part = demo_html[demo_html.index('id="problems"') : demo_html.index('id="attribution"')]
    for code, message in problems:
        assert esc(message) in problem_part
        assert f"<td>{code}</td><td>1</td>" in problem_part  # the count by code
    assert "gps_null_island" in problem_part


def test_methods_cite_their_figures(demo_html: str) -> None:
    methods = demo_html[demo_html.index('id="methods"') : demo_html.index('id="problems"')]
    for name in ("exif_gps", "xmp_gps", "video_gps", "platform_geotag", "text_toponym"):
        assert f"<td>{name}</td>" in methods
    for basis in ("offset_tag", "gps_clock", "unknown_zone", "exporter_offset_inferred"):
        assert f"<td>{basis}</td>" in methods
    assert "168/168" in methods and "bench/RESULTS.md" in methods
    assert "47.6 %" in methods  # reverse_geocoder near borders, bench/places.py
    assert "F1 0.956-0.969 (ru)" in methods  # reading the text, bench/text.py


def test_two_runs_give_the_same_bytes(demo_case: Path, demo_html: str) -> None:
    again, _ = report(demo_case)
    assert again == demo_html
    settings = {"generated_at": "2026-11-23T12:00:00Z", "outlines": "de_jure 0.05"}
    stamped, _ = report(demo_case, settings=settings)
    assert stamped != demo_html and "Generated 2026-11-23T12:00:00Z" in stamped
    assert stamped == report(demo_case, settings=dict(reversed(settings.items())))[0]


def test_each_account_map_has_one_mark_per_sighting(demo_html: str) -> None:
    total = 0
    for part in sections(demo_html):
        svg = part[part.index("<svg") : part.index("</svg>") + 6]
        root = ET.fromstring(svg)  # well-formed XML, not just text
        marks = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "mark"]
        assert len(marks) == part.count('<tr class="sighting"') >= 1
        total += len(marks)
    assert total == demo_html.count('<tr class="sighting"')
    assert demo_html.count('class="land"') >= 1  # the Tashkent square is drawn


PAYLOADS = ("<script>alert(1)</script>", '<img src=x onerror="alert(2)">')


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real photo under a file name that is markup, and a Telegram post (with a geotag)
    whose text and author are markup."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(DEMO / "photos" / "goexif__sample1.jpg", root / f"{PAYLOADS[1]}.jpg")
    data = json.loads((DEMO / "exports" / "chm_telegram_2020-01.result.json").read_text("utf-8"))
    for chat in data["chats"]["list"]:
        for message in chat["messages"]:
            if "location_information" in message:
                message["text"] = f"{PAYLOADS[0]} & {PAYLOADS[1]}"
                message["from"] = "</td></tr></table><script>alert(3)</script>"
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    case = root / "h.case"
    api.ingest([root / "result.json", root / f"{PAYLOADS[1]}.jpg"], case)
    return report(case)[0]


def test_hostile_text_and_names_render_as_text(hostile_html: str) -> None:
    assert "<script" not in hostile_html.lower()
    assert "<img" not in hostile_html.lower()
    assert 'onerror="' not in hostile_html
    assert esc(PAYLOADS[0]) in hostile_html  # the post text, shown
    assert esc(PAYLOADS[1]) + ".jpg" in hostile_html  # the file name, shown
    assert esc("</td></tr></table><script>alert(3)</script>") in hostile_html  # the author
    assert "script-src" not in hostile_html and "default-src 'none'" in hostile_html


def test_svg_map_marks_circles_and_clipped_outlines() -> None:
    outlines = prepare_outlines(OUTLINES)
    lat = np.array([41.0, 41.2, 41.3, 41.31, 40.9])
    lon = np.array([69.0, 69.1, 69.2, 69.25, 69.5])
    radius = np.array([50.0, 5_000.0, 100.0, 20_000.0, 50.0])
    svg = svg_map(lat, lon, radius, outlines, labels=[f"<b>{i}</b>" for i in range(5)])
    root = ET.fromstring(svg)
    circles = list(root.iter(f"{SVG}circle"))
    marks = [c for c in circles if c.get("class") == "mark"]
    radii = [c for c in circles if c.get("class") == "radius"]
    assert len(marks) == 5
    assert len(radii) == 2  # the 50 m and 100 m circles are under a pixel at this scale
    assert [m.findtext(f"{SVG}title") for m in marks] == [f"<b>{i}</b>" for i in range(5)]
    (land,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "land"]
    width, height = int(root.get("width", 0)), int(root.get("height", 0))
    xy = np.array(re.findall(r"(-?[\d.]+) (-?[\d.]+)", land.get("d", "")), dtype=float)
    # clipped to the view: the square is larger than the view, the far one is dropped
    assert xy[:, 0].min() >= 0 and xy[:, 0].max() <= width
    assert xy[:, 1].min() >= 0 and xy[:, 1].max() <= height
    assert svg == svg_map(lat, lon, radius, outlines, labels=[f"<b>{i}</b>" for i in range(5)])
    # no point at all: a world view, still valid
    assert ET.fromstring(svg_map([], [], [], outlines)).get("width") == "720"


def large_case(path: Path, n: int) -> Path:
    """A case of one account's post with ``n`` geotags, written straight into the store."""
    rng = np.random.default_rng(7)
    with open_case(path, write=True, create=True) as case:
        db = case.db
        sha = "ab" * 32
        db.execute(
            "INSERT INTO media VALUES (?, 'other', NULL, 1, 'x.json', 'x', 'r', '1', '{}', 'now')",
            (sha,),
        )
        db.execute("INSERT INTO accounts VALUES (1, 'telegram', 'user1')")
        db.execute(
            "INSERT INTO posts (id, platform, post_id, kind, account, posted_utc, time_basis,"
            " text, raw, source_sha256, location) VALUES (1, 'telegram', '1/1', 'message', 1,"
            " '2022-01-01T00:00:00Z', 'platform_utc', 'hi', '{}', ?, 'x#1')",
            (sha,),
        )
        lat = 48 + rng.random(n) * 4
        lon = 30 + rng.random(n) * 8
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO sightings (post, method, lat, lon, radius_m, at_utc, time_basis,"
            " time_uncertainty_s, confidence, evidence) VALUES (1, 'platform_geotag', ?, ?,"
            " 50, ?, 'platform_utc', 0, 0.6, '{}')",
            [
                (float(a), float(o), f"2022-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z")
                for i, (a, o) in enumerate(zip(lat, lon, strict=True))
            ],
        )
        db.execute("COMMIT")
    return path


def test_large_case(tmp_path: Path) -> None:
    n = 20_000
    case = large_case(tmp_path / "big.case", n)
    started = time.perf_counter()
    html, summary = report(case)
    took = time.perf_counter() - started
    assert summary.sightings == n and summary.accounts == 1
    assert html.count('<tr class="sighting"') == n
    assert html.count('class="mark"') == n
    assert took < 20, took  # measured ~3 s on the 2-core VM


@pytest.mark.skipif(chromium() is None, reason="no /usr/bin/chromium: PDF cannot be rendered")
def test_pdf(tmp_path: Path, demo_html: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(demo_html, "utf-8")
    assert html_to_pdf(page, tmp_path / "report.pdf")
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    # Printing lays out every sighting table as it is: the screen's content-visibility
    # (which reserves 30,000 px per unseen table) made the same report 55 pages.
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # (40: the three text sightings of one long Telegram post each quote its text.)
    assert 5 <= pages <= 40, pages


def test_no_chromium_means_no_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geotrace.present.report as module

    monkeypatch.setattr(module, "CHROMIUM", tmp_path / "no-chromium")
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>", "utf-8")
    assert html_to_pdf(page, tmp_path / "r.pdf") is False
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.skipif(
    not SHIPPED.exists(), reason="outlines not built (python -m geotrace.present.outlines)"
)
def test_default_outlines_are_the_shipped_ones(demo_case: Path) -> None:
    out = io.StringIO()
    with Case(demo_case) as case:
        write_report(case, out)
    html = out.getvalue()
    # land under every map but the one of the order-suspect tweet, read at 88 degrees north
    assert html.count('class="land"') == len(sections(html)) - 1 == 5
    assert "Natural Earth de jure, simplified to 0.05 degree" in html
    assert len(html) < 1_000_000  # outlines simplified to the view, not the whole coast


def test_report_in_chromium(tmp_path: Path, hostile_html: str) -> None:
    """A report of 5,000 sightings (25 tables) and the hostile report, in a real browser with
    the network cut: every row is in the page, the last one shows when its link is followed,
    nothing runs and nothing is fetched."""
    n = 5_000
    big = tmp_path / "big.html"
    big.write_text(report(large_case(tmp_path / "big.case", n))[0], "utf-8")
    hostile = tmp_path / "hostile.html"
    hostile.write_text(hostile_html, "utf-8")
    requests: list[str] = []
    with offline_page(requests, big, hostile) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(big.as_uri())
        assert page.locator("tr.sighting").count() == n
        assert page.locator("table.sightings").count() == -(-n // 200)
        first = page.locator("#s1").bounding_box()
        assert first is not None and first["height"] > 20  # a real row, laid out
        page.goto(f"{big.as_uri()}#s{n}")
        last = page.locator(f"#s{n}")
        last.wait_for()
        assert page.evaluate(f"() => document.getElementById('s{n}').getBoundingClientRect().top")
        assert last.is_visible() and "platform_geotag" in last.inner_text()
        page.goto(hostile.as_uri())
        page.wait_for_timeout(200)  # an onerror or a script would have run by now
        body = page.inner_text("body")
        assert PAYLOADS[0] in body and f"{PAYLOADS[1]}.jpg" in body
        assert page.locator("img").count() == 0 and dialogs == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report_browser.png"), full_page=True)
    assert set(requests) == {big.as_uri(), hostile.as_uri()}, "nothing else was asked for"
