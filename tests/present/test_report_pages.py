"""export.report, paged: a large case's report as an index and pages, built from a case.

The case is written straight into the store (accounts, posts with hostile text, photos
carried by a post and by none, places, untimed sightings, problems, sources, custody), and
the thresholds are lowered so that a few hundred sightings page as millions would.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace.errors import InputError
from geotrace.pipeline.runner import open_case
from geotrace.present import report_pages, report_pages_accounts
from geotrace.present.markup import esc
from geotrace.present.report import ReportSummary, write_report
from geotrace.present.report_pages import write_report_at
from geotrace.store.case import Case
from tests.analysis.test_people_commands import table_case
from tests.present.test_people_map import people_rows
from tests.present.test_report import OUTLINES

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
#: Sightings of each account's posts (the hostile one's id is markup).
ACCOUNTS = {("telegram", "u1"): 250, ("telegram", "u2"): 100, ("vk", SCRIPT): 7}
PHOTOS_OF_U2 = 3
LOOSE_PHOTOS = 2
PROBLEMS = 230
ROWS = 100


def paged_case(path: Path) -> Path:
    """Accounts of 250, 100 (+3 photos its post carries) and 7 sightings, 2 photos no post
    carries, every 9th sighting without a time, every 4th placed in UA-63; 230 problems."""
    rng = np.random.default_rng(11)
    with open_case(path, write=True, create=True) as case:
        db = case.db
        db.execute("BEGIN")
        export = "e" * 64
        db.execute(
            "INSERT INTO media VALUES (?, 'other', NULL, 1, ?, 'x', 'r', '1', '{}', 'now')",
            (export, f"{IMG}.json"),
        )
        db.execute(
            "INSERT INTO sources (path, kind, size, sha256, reader, reader_version,"
            " ingested_at) VALUES (?, 'file', 1, ?, 'r', '1', '2026-01-01T00:00:00Z')",
            (f"exports/{IMG}.json", export),
        )
        sighting = 0
        for number, ((platform, ident), n) in enumerate(ACCOUNTS.items(), 1):
            db.execute("INSERT INTO accounts VALUES (?, ?, ?)", (number, platform, ident))
            db.execute(
                "INSERT INTO account_names VALUES (?, ?, ?, NULL, '2022-01-01T00:00:00Z')",
                (number, f"h{number}", f"{SCRIPT} name {number}"),
            )
            db.execute(
                "INSERT INTO posts (id, platform, post_id, kind, account, posted_utc,"
                " time_basis, text, raw, source_sha256, location) VALUES (?, ?, ?,"
                " 'message', ?, '2022-01-01T00:00:00Z', 'platform_utc', ?, '{}', ?, ?)",
                (number, platform, f"p{number}", number, f"{SCRIPT} & {IMG}", export, "x#1"),
            )
            for _ in range(n):
                sighting += 1
                at = None if sighting % 9 == 0 else f"2022-01-{1 + sighting % 28:02d}T00:00:00Z"
                db.execute(
                    "INSERT INTO sightings (post, method, lat, lon, radius_m, at_utc,"
                    " time_basis, time_uncertainty_s, confidence, evidence) VALUES (?,"
                    " 'platform_geotag', ?, ?, 50, ?, 'platform_utc', 0, 0.6, ?)",
                    (number, 48 + rng.random(), 36 + rng.random(), at, json.dumps({"n": IMG})),
                )
        for i in range(PHOTOS_OF_U2 + LOOSE_PHOTOS):
            sha = f"{i:064x}"
            db.execute(
                "INSERT INTO media VALUES (?, 'image', 'image/jpeg', 1, ?, 'y', 'r', '1',"
                " '{}', 'now')",
                (sha, f"{SCRIPT}{i}.jpg"),
            )
            if i < PHOTOS_OF_U2:
                db.execute(
                    "INSERT INTO post_media (post, ref, sha256, metadata) VALUES (2, ?, ?, '{}')",
                    (f"r{i}", sha),
                )
            db.execute(
                "INSERT INTO sightings (media_sha256, method, lat, lon, radius_m, at_utc,"
                " time_basis, time_uncertainty_s, confidence, evidence) VALUES (?,"
                " 'exif_gps', 49.5, 36.5, 10, '2022-02-01T00:00:00Z', 'gps_clock', 1, 0.9,"
                " '{}')",
                (sha,),
            )
        db.execute(
            "INSERT INTO places SELECT id, 'v1', 'UA', 'UA', 'UA-63', 'Kharkiv', 'high',"
            ' \'{"country_de_jure": "UA", "admin1_name": "Kharkiv"}\''
            " FROM sightings WHERE id % 4 = 0"
        )
        db.executemany(
            "INSERT INTO problems (sha256, path, code, message) VALUES ('', ?, ?, ?)",
            [(f"p{i}{IMG}", f"code{i % 3}", f"{SCRIPT} {i}") for i in range(PROBLEMS)],
        )
        db.execute(
            "INSERT INTO custody_log (at, action, detail) VALUES ('2026-01-01T00:00:00Z',"
            " 'ingest', ?)",
            (SCRIPT,),
        )
        db.execute("COMMIT")
    return path


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_pages, "PAGED_ABOVE", 50)
    monkeypatch.setattr(report_pages, "PAGE_ROWS", ROWS)


def write(case_path: Path, index: Path, **kwargs: Any) -> ReportSummary:
    with Case(case_path) as case, index.open("w", encoding="utf-8") as out:
        return write_report_at(case, out, index, outlines=OUTLINES, **kwargs)


def files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*.html"))}


@pytest.fixture
def paged(tmp_path: Path, small_pages: None) -> tuple[Path, Path, ReportSummary]:
    case = paged_case(tmp_path / "p.case")
    index = tmp_path / "out" / "report.html"
    index.parent.mkdir()
    summary = write(case, index)
    return case, index, summary


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_small_case_is_the_single_file_unchanged(tmp_path: Path) -> None:
    """Below the threshold the path changes nothing: the same characters as a stream, no
    folder; and a stale folder of pages (ours) goes, a folder of the user's stays."""
    case = paged_case(tmp_path / "p.case")
    stream = io.StringIO()
    with Case(case) as opened:
        expected = write_report(opened, stream, outlines=OUTLINES)
    index = tmp_path / "report.html"
    (tmp_path / "report_files").mkdir()
    (tmp_path / "report_files" / report_pages.MARKER).write_text("x")
    summary = write(case, index)
    assert index.read_text("utf-8") == stream.getvalue()
    assert summary == expected and summary.pages == 0
    assert not (tmp_path / "report_files").exists()
    (tmp_path / "report_files").mkdir()  # not ours: no marker
    write(case, index)
    assert (tmp_path / "report_files").is_dir()


def test_index_lists_every_account_and_every_link_resolves(
    paged: tuple[Path, Path, ReportSummary],
) -> None:
    _, index, summary = paged
    folder = index.parent / "report_files"
    html = index.read_text("utf-8")
    pages = files(folder)
    total = sum(ACCOUNTS.values()) + PHOTOS_OF_U2 + LOOSE_PHOTOS
    assert summary.sightings == total and summary.accounts == len(ACCOUNTS) + 1
    assert summary.pages == len(pages)
    accounts = html[html.index('class="accounts"') : html.index('id="methods"')]
    for platform, ident in ACCOUNTS:
        assert f"{esc(platform)} {esc(ident)} ({esc(SCRIPT)} name" in accounts
    assert "Files carried by no post" in accounts
    # 250 → 3 pages, 100 + 3 photos → 2, 7 → 1, 2 loose photos → 1
    assert re.findall(r"<td>(\d+)</td></tr>", accounts) == ["3", "2", "1", "1"]
    assert "<td>103</td>" in accounts and "<td>250</td>" in accounts
    # every link of the index and of every page names a file that exists, at an id it has
    documents = {index: html} | {folder / name: text for name, text in pages.items()}
    checked = 0
    for path, text in documents.items():
        for href in hrefs(text):
            target, _, anchor = href.partition("#")
            goal = (path.parent / target).resolve() if target else path
            assert goal in documents, (path.name, href)
            if anchor:
                assert f'id="{anchor}"' in documents[goal], (path.name, href)
            checked += 1
    assert checked > 50
    # the problems summarised by code, the long lists paged
    assert "<td>code0</td><td>77</td>" in html and "<td>code2</td><td>76</td>" in html
    assert {n for n in pages if not n.startswith("a")} == {
        "problems-1.html",
        "problems-2.html",
        "problems-3.html",
        "sources-1.html",
        "custody-1.html",
    }
    for name in ("problems-1.html", "problems-2.html"):
        assert pages[name].count("<tr><td>code") == ROWS
    assert pages["problems-3.html"].count("<tr><td>code") == PROBLEMS - 2 * ROWS
    # the index counts countries and regions from the rows it paged
    placed = total // 4
    assert f"<td>UA</td><td>UA-63 Kharkiv</td><td>{placed}</td>" in html


def test_every_sighting_is_on_exactly_one_page(paged: tuple[Path, Path, ReportSummary]) -> None:
    case, index, _ = paged
    pages = files(index.parent / "report_files")
    with Case(case) as opened:
        ids = [r[0] for r in opened.db.execute("SELECT id FROM sightings")]
    seen: Counter[str] = Counter()
    for text in pages.values():
        found = re.findall(r'<tr class="sighting" id="s(\d+)"', text)
        assert len(found) <= ROWS
        assert text.count('class="mark"') == len(found)  # the page's map: one dot a row
        seen.update(found)
    assert sorted(int(i) for i in seen) == sorted(ids)
    assert set(seen.values()) == {1}
    # in time order within an account, untimed last, across its pages
    u1 = "".join(pages[f"a1-{p}.html"] for p in (1, 2, 3))
    times = re.findall(r'<tr class="sighting" id="s\d+"><td>\d+</td><td>([^\n<]+)', u1)
    timed = [t for t in times if t != "time unknown"]
    assert len(times) == 250 and timed == sorted(timed)
    assert times[len(timed) :] == ["time unknown"] * (250 - len(timed))


def test_paging_links_are_consistent(paged: tuple[Path, Path, ReportSummary]) -> None:
    _, index, _ = paged
    pages = files(index.parent / "report_files")
    stems = Counter(re.sub(r"-\d+\.html$", "", n) for n in pages)
    for stem, count in stems.items():
        for page in range(1, count + 1):
            text = pages[f"{stem}-{page}.html"]
            assert f"page {page} of {count}" in text
            prev = re.findall(r'href="([^"]+)" rel="prev"', text)
            after = re.findall(r'href="([^"]+)" rel="next"', text)
            # the pager is at the top and at the bottom of each page
            assert prev == ([f"{stem}-{page - 1}.html"] * 2 if page > 1 else [])
            assert after == ([f"{stem}-{page + 1}.html"] * 2 if page < count else [])
            assert text.count('href="../report.html"') == 2
            assert "@media print" in text


def test_hostile_text_is_text_on_every_page(paged: tuple[Path, Path, ReportSummary]) -> None:
    _, index, _ = paged
    documents = [index.read_text("utf-8"), *files(index.parent / "report_files").values()]
    for text in documents:
        assert "<script" not in text.lower() and "<img" not in text.lower()
        assert 'onerror="' not in text
        assert "default-src 'none'" in text and "script-src" not in text
    everything = "".join(documents)
    assert f"{esc(SCRIPT)} &amp; {esc(IMG)}" in everything  # a post's text
    assert esc(f"{SCRIPT}3.jpg") in everything  # a file name
    assert esc(f"exports/{IMG}.json") in everything  # a source's path


def test_same_bytes_on_a_rerun_and_with_two_workers(
    paged: tuple[Path, Path, ReportSummary],
) -> None:
    case, index, summary = paged
    before = (index.read_text("utf-8"), files(index.parent / "report_files"))
    write(case, index)
    assert (index.read_text("utf-8"), files(index.parent / "report_files")) == before
    assert not list(index.parent.glob(".report_files*"))  # no part or old folder left
    # two processes, each writing runs of accounts (page size and threshold passed on)
    assert write(case, index, workers=2) == summary
    assert (index.read_text("utf-8"), files(index.parent / "report_files")) == before


def test_the_writer_holds_a_page_at_most(
    tmp_path: Path, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By structure: the whole-case readers of the single file are never called, every
    read of sightings asks for one page of ids, every list is read a page at a time."""
    import geotrace.present.report as single

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the paged report read the whole case")

    monkeypatch.setattr(single, "sightings", refuse)
    monkeypatch.setattr(single, "_gather", refuse)
    monkeypatch.setattr(Case, "sighted_posts", refuse)
    asked: list[int] = []
    rows = report_pages_accounts.page_rows

    def counted(case: Case, ids: Any) -> Iterator[Any]:
        asked.append(len(ids))
        return rows(case, ids)

    monkeypatch.setattr(report_pages_accounts, "page_rows", counted)
    fetched: list[int] = []

    class Cursor:
        def __init__(self, cursor: Any) -> None:
            self.cursor = cursor

        def fetchmany(self, n: int) -> list[Any]:
            found = self.cursor.fetchmany(n)
            fetched.append(len(found))
            return list(found)

    list_pages = report_pages._list_pages

    def lists(case: Case, folder: Any, index: str, size: int) -> Any:
        class Db:
            def execute(self, sql: str, *args: Any) -> Any:
                cursor = case.db.execute(sql, *args)
                return cursor if "count(*)" in sql else Cursor(cursor)

        class Wrapped:
            db = Db()

        return list_pages(Wrapped(), folder, index, size)  # type: ignore[arg-type]

    monkeypatch.setattr(report_pages, "_list_pages", lists)
    case = paged_case(tmp_path / "p.case")
    summary = write(case, tmp_path / "report.html")
    assert sum(asked) == summary.sightings and max(asked) == ROWS
    with Case(case) as opened:
        custody = opened.db.execute("SELECT count(*) FROM custody_log").fetchone()[0]
    assert fetched == [ROWS, ROWS, PROBLEMS - 2 * ROWS, 1, custody]  # problems, sources, log


def test_a_folder_of_the_users_is_not_replaced(tmp_path: Path, small_pages: None) -> None:
    case = paged_case(tmp_path / "p.case")
    mine = tmp_path / "report_files"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="not written by geotrace report"):
        write(case, tmp_path / "report.html")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert not list(tmp_path.glob(".report_files*"))


def test_timelines_link_to_the_page_of_each_sighting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real timelines (stays, crossings, meetings) over pages of two rows: every link of
    an entry reaches the page that holds its sighting."""
    from geotrace.api_people import layers

    monkeypatch.setattr(report_pages, "PAGED_ABOVE", 3)
    monkeypatch.setattr(report_pages, "PAGE_ROWS", 2)
    case = table_case(tmp_path, people_rows())
    index = tmp_path / "report.html"
    write(case, index, people=layers(case))
    pages = files(tmp_path / "report_files")
    linked = 0
    for name, text in pages.items():
        for table in re.findall(r'<table class="timeline">.*?</table>', text, re.S):
            for target, sighting in re.findall(r'href="([^"#]*)#s(\d+)"', table):
                holder = target or name
                assert f'id="s{sighting}"' in pages[holder], (name, target, sighting)
                linked += 1
    assert linked >= 5
    assert any(
        t.startswith("a") for t in re.findall(r'href="(a\d+-\d+\.html)#s', "".join(pages.values()))
    )


def test_more_accounts_than_a_page_the_index_shows_the_largest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index must not grow with the case: past a page of accounts it shows those with
    the most sightings and links to every account in pages."""
    monkeypatch.setattr(report_pages, "PAGED_ABOVE", 50)
    monkeypatch.setattr(report_pages, "PAGE_ROWS", 2)
    case = paged_case(tmp_path / "p.case")
    index = tmp_path / "report.html"
    write(case, index)
    html = index.read_text("utf-8")
    shown = html[html.index('class="accounts"') : html.index('id="methods"')]
    assert re.findall(r"</a></td><td>(\d+)</td>", shown) == ["250", "103"]
    assert "The 2 accounts with the most sightings; all 4" in html
    pages = files(tmp_path / "report_files")
    listed = [pages["accounts-1.html"], pages["accounts-2.html"]]
    assert "accounts-3.html" not in pages
    counts = [c for text in listed for c in re.findall(r"</a></td><td>(\d+)</td>", text)]
    assert counts == ["250", "103", "7", str(LOOSE_PHOTOS)]
    assert 'href="a4-1.html"' in listed[1] and 'rel="prev"' in listed[1]


def test_the_report_command_pages_a_large_case(tmp_path: Path, small_pages: None) -> None:
    """``geotrace report -o report.html``: the index, its folder beside it, said; --pdf
    prints the index and says that the accounts print from their pages."""
    import inspect

    from typer.testing import CliRunner

    from geotrace import api
    from geotrace.cli import app
    from geotrace.present.report import chromium

    if "path" not in inspect.signature(api.report).parameters:
        pytest.skip("api.report has no path yet (the api.py/cli.py diff of issue 20, H5)")
    case = paged_case(tmp_path / "p.case")
    index = tmp_path / "report.html"
    args = ["report", "--case", str(case), "-o", str(index), "--workers", "2"]
    done = CliRunner().invoke(app, [*args, *(["--pdf"] if chromium() else [])])
    assert done.exit_code == 0, done.output
    assert "pages in" in done.output and "report_files" in done.output
    assert (tmp_path / "report_files" / "a1-3.html").is_file()
    assert not list(tmp_path.glob(".report*"))  # the part files and folders are gone
    if chromium():
        assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
        assert "the PDF holds the index" in done.output


def test_legs_at_one_instant_do_not_stop_the_report(tmp_path: Path) -> None:
    """Two sightings of one account at one instant, 40 km apart: the tracks table holds no
    speed (zero time); the report says so instead of failing (the single file here)."""
    from geotrace import api

    case = paged_case(tmp_path / "p.case")
    out = io.StringIO()
    api.report(case, out)
    html = out.getvalue()
    assert "impossible leg (faster_than_air): both at the same instant" in html
    assert html.count('<tr class="sighting"') == sum(ACCOUNTS.values()) + 5


def test_paged_report_in_chromium(paged: tuple[Path, Path, ReportSummary]) -> None:
    """In a real browser with the network cut: from the index to an account's first page,
    on to its last by the next links, to the sighting a timeline would link to; nothing
    runs, nothing outside the report is asked for."""
    from tests.browser import offline_page

    _, index, _ = paged
    folder = index.parent / "report_files"
    allowed = [index, *sorted(folder.glob("*.html"))]
    requests: list[str] = []
    with offline_page(requests, *allowed) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        page.goto(index.as_uri())
        page.locator("table.accounts a").first.click()
        page.wait_for_url("**/a1-1.html")
        assert page.locator("tr.sighting").count() == ROWS
        for expected in ("a1-2.html", "a1-3.html"):
            page.locator('nav.pages a[rel="next"]').first.click()
            page.wait_for_url(f"**/{expected}")
        last = page.locator("tr.sighting").last
        assert "time unknown" in last.inner_text()  # the untimed come last
        assert page.locator("tr.sighting").count() == 250 - 2 * ROWS
        assert page.locator('nav.pages a[rel="next"]').count() == 0
        page.locator("nav.pages a.index").first.click()
        page.wait_for_url("**/report.html")
        body = page.inner_text("body")
        assert SCRIPT in body and page.locator("script").count() == 0 and dialogs == []
    assert set(requests) <= {p.as_uri() for p in allowed}, "nothing else was asked for"
