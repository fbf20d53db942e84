"""The evidence report of a large case: an index and printable pages instead of one file.

One file costs about 0.72 KB and 0.14 ms a sighting, and headless Chromium parses about
1 MB of HTML a second on the 2-core VM (``bench/present.py``: 71.5 MB at 100,000 sightings
took 77 s to load); at 10 million sightings it would be a 7 GB page that nothing opens.
So above :data:`PAGED_ABOVE` sightings, ``report.html`` becomes an index (the case
summary, counts per country and region, every account with its counts, dates and a link,
methods, problems counted by code, attribution, the chain of custody counted) and a
folder beside it, ``report_files/``, holds every account's sightings in pages of at most
:data:`PAGE_ROWS`, each with the page's map, previous/next links and the print style of
the single report, so that an account's evidence prints page by page; the long lists
(problems, sources, custody log) are paged the same way.

Memory stays bounded by a page, not the case: one query lays the report out (the
accounts with their counts, then every sighting's id in report order, 8 bytes each, kept
as a NumPy array with the page it lands on, so that a timeline entry can link to a
sighting on another page), and each page then reads its own rows by id.  No list of rows,
posts or problems is ever held whole.  The same case gives the same bytes, as the single
file does; every value goes through :func:`~geotrace.present.markup.esc` the same way
(the rows are rendered by the single report's own :func:`sighting_row`).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from geotrace import __version__
from geotrace.errors import InputError
from geotrace.places.queries import SIGHTING_FIELDS, decode_json, unplaced_reason
from geotrace.present.markup import Markup, dl, el, join, table
from geotrace.present.people_layers import PeopleLayers, timeline_note, timeline_table, timelines
from geotrace.present.report import (
    CSP,
    CSS,
    ROWS_PER_TABLE,
    ReportSummary,
    _custody_facts,
    _outlines,
    _sighting_table,
    outlines_label,
    plural,
    sighting_row,
    write_report,
)
from geotrace.present.report_methods import attribution_section, methods_section
from geotrace.present.svgmap import Outlines, svg_map
from geotrace.sql import FIRST_POST_OF_MEDIA, latest_name
from geotrace.store.case import Case

#: Above this many sightings a report written to a file is paged.  10,000 sightings make
#: a single file of about 7 MB, which headless Chromium parses in about 7 s on the 2-core
#: VM (1 MB/s, ``bench/present.py``); beyond it the single file is no longer a page one
#: opens, and a page of :data:`PAGE_ROWS` opens in under a second.
PAGED_ABOVE = 10_000
#: Sightings per page: about 0.7 MB, under a second to open, some 200 printed sheets.
PAGE_ROWS = 1_000
#: The file that marks a folder as written here, so that a re-run replaces it (and never
#: a folder of the user's that happens to carry the name).
MARKER = ".geotrace-report"

_FROM_ACCOUNT = (
    " FROM sightings s"
    f" LEFT JOIN posts po ON po.id = coalesce(s.post, {FIRST_POST_OF_MEDIA})"
    " LEFT JOIN accounts a ON a.id = po.account"
)
#: The single report's account order (``_gather``): accounts by platform and id, files
#: carried by no post last; SQLite compares UTF-8 bytes, which orders as Python's str.
_ACCOUNT_ORDER = (
    "coalesce(a.account_id, '') = '', coalesce(po.platform, ''), coalesce(a.account_id, '')"
)
ACCOUNTS_SQL = (
    "SELECT coalesce(po.platform, ''), coalesce(a.account_id, ''), count(*),"
    f" min(s.at_utc), max(s.at_utc){_FROM_ACCOUNT}"
    f" GROUP BY 1, 2 ORDER BY {_ACCOUNT_ORDER}"
)
#: Every sighting in report order: by account, then as ``sightings`` orders them.
IDS_SQL = f"SELECT s.id{_FROM_ACCOUNT} ORDER BY {_ACCOUNT_ORDER}, s.at_utc IS NULL, s.at_utc, s.id"
#: One page's rows: the fields of ``places.queries.sightings`` and the post's
#: (``Case.sighted_posts``), for the ids given.
PAGE_SQL = (
    "SELECT s.id, s.media_sha256, m.first_path, m.kind, s.method, s.lat, s.lon,"
    " s.alt_m, s.radius_m, s.at_utc, s.at_local, s.time_basis, s.time_uncertainty_s,"
    " s.confidence, s.evidence, p.country_de_jure, p.country_de_facto, p.admin1_code,"
    " p.border_confidence, p.place, po.platform, po.post_id, a.account_id,"
    f" {latest_name('a')},"
    " po.text, po.url, po.location, po.posted_utc, po.time_basis,"
    " (SELECT src.path FROM sources src WHERE src.sha256 = po.source_sha256"
    "  ORDER BY src.id LIMIT 1)"
    " FROM sightings s LEFT JOIN media m ON m.sha256 = s.media_sha256"
    " LEFT JOIN places p ON p.sighting_id = s.id"
    f" LEFT JOIN posts po ON po.id = coalesce(s.post, {FIRST_POST_OF_MEDIA})"
    " LEFT JOIN accounts a ON a.id = po.account"
    " WHERE s.id IN ({marks})"
)

SOURCE_HEADERS = (
    "#",
    "path",
    "kind",
    "container",
    "bytes",
    "sha256",
    "reader",
    "version",
    "ingested (UTC)",
)
#: The long lists, paged like the sightings: (file stem, title, headers, query).
LISTS = (
    (
        "problems",
        "Problems met",
        ("code", "path", "sha256", "reason"),
        "SELECT code, path, sha256, message FROM problems ORDER BY code, path, sha256, message",
    ),
    (
        "sources",
        "Sources",
        SOURCE_HEADERS,
        "SELECT id, path, kind, container, size, sha256, reader, reader_version, ingested_at"
        " FROM sources ORDER BY id",
    ),
    (
        "custody",
        "Custody log",
        ("#", "at (UTC)", "action", "sha256", "detail"),
        "SELECT id, at, action, sha256, detail FROM custody_log ORDER BY id",
    ),
)

PAGE_CSS = (
    CSS
    + "nav.pages{margin:.5em 0;padding:.3em 0;border-bottom:1px solid #bbb}"
    + "nav.pages a,nav.pages span{margin-right:1em}"
    + "@media print{nav.pages{display:none}}\n"
)


@dataclass(slots=True)
class Account:
    """One account's place in the paged report: its sightings are ``ids[start:stop]``."""

    number: int
    platform: str
    account_id: str
    count: int
    first: str | None
    last: str | None
    start: int
    name: str = ""

    @property
    def title(self) -> str:
        if not self.account_id:
            return "Files carried by no post"
        name = f" ({self.name})" if self.name else ""
        return f"{self.platform} {self.account_id}{name}"

    @property
    def pages(self) -> int:
        return -(-self.count // PAGE_ROWS)

    def page_name(self, page: int) -> str:
        return f"a{self.number}-{page}.html"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where every sighting lands: accounts in order, ids in report order, and for the
    ids sorted, the page file each is on (for links from timelines)."""

    accounts: list[Account]
    ids: NDArray[np.int64]
    sorted_ids: NDArray[np.int64]
    sorted_pages: NDArray[np.int32]
    page_names: list[str]

    def page_of(self, sighting: int) -> str | None:
        at = int(np.searchsorted(self.sorted_ids, sighting))
        if at < self.sorted_ids.size and int(self.sorted_ids[at]) == sighting:
            return self.page_names[int(self.sorted_pages[at])]
        return None


def layout(case: Case) -> Layout:
    """Two queries: the accounts with their counts and dates, then every id in order."""
    accounts: list[Account] = []
    start = 0
    for number, (platform, account_id, count, first, last) in enumerate(
        case.db.execute(ACCOUNTS_SQL), 1
    ):
        accounts.append(
            Account(number, str(platform), str(account_id), int(count), first, last, start)
        )
        start += int(count)
    cursor = case.db.execute(IDS_SQL)
    ids = np.fromiter((sid for (sid,) in cursor), dtype=np.int64, count=start)
    names = [a.page_name(p) for a in accounts for p in range(1, a.pages + 1)]
    counts = np.array([a.count for a in accounts], dtype=np.int64)
    pages = np.array([a.pages for a in accounts], dtype=np.int64)
    # The page index of each id in report order, without a loop over the ids: the
    # account's first page plus the id's rank in its account over PAGE_ROWS.
    first_page = np.concatenate(([0], np.cumsum(pages)[:-1])) if len(accounts) else pages
    account_of = np.repeat(np.arange(len(accounts)), counts)
    starts = np.array([a.start for a in accounts], dtype=np.int64)
    rank = np.arange(start, dtype=np.int64) - starts[account_of] if start else account_of
    page = (first_page[account_of] + rank // PAGE_ROWS).astype(np.int32)
    order = np.argsort(ids, kind="stable")
    return Layout(accounts, ids, ids[order], page[order], names)


def page_rows(case: Case, ids: NDArray[np.int64]) -> Iterator[tuple[dict[str, Any], Any]]:
    """The rows of one page, in the order of ``ids``: (sighting as ``sightings`` gives it,
    its post as ``sighted_posts`` gives it or None)."""
    marks = ",".join("?" * len(ids))
    found: dict[int, tuple[Any, ...]] = {
        int(r[0]): r for r in case.db.execute(PAGE_SQL.format(marks=marks), ids.tolist())
    }
    n = len(SIGHTING_FIELDS)
    for sid in ids.tolist():
        row = found.pop(sid)
        record = dict(zip(SIGHTING_FIELDS, row[:n], strict=True))
        record["evidence"] = decode_json(record["evidence"])
        record["place"] = decode_json(record["place"]) if record["place"] else None
        yield record, (tuple(row[n:]) if record["post_id"] else None)


_LINK = re.compile(r'href="#s(\d+)"')


def relink(html: str, layout: Layout, here: str, prefix: str = "") -> Markup:
    """Point a timeline's sighting links (``#s<id>``) at the page that holds the row.
    Only our own markup can carry ``href="``: text is escaped (``&quot;``)."""

    def to(match: re.Match[str]) -> str:
        name = layout.page_of(int(match.group(1)))
        if name is None or name == here:
            return match.group(0)
        return f'href="{prefix}{name}#s{match.group(1)}"'

    return Markup(_LINK.sub(to, html))


def document(title: str, *body: object) -> str:
    """A whole page: the single report's head (CSP: no script, no fetch), and the body."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{el('title', title)}<style>{PAGE_CSS}</style></head><body>\n"
        + join(body)
        + "\n</body></html>\n"
    )


def pager(index: str, where: str, page: int, pages: int, name: Callable[[int], str]) -> Markup:
    """The index link, where this page is, and the previous and next pages."""
    parts: list[Markup] = [el("a", "index", href=index, cls="index"), el("span", where)]
    parts.append(el("span", f"page {page} of {pages}"))
    if page > 1:
        parts.append(el("a", "previous", href=name(page - 1), rel="prev"))
    if page < pages:
        parts.append(el("a", "next", href=name(page + 1), rel="next"))
    return el("nav", *parts, cls="pages")


@dataclass(slots=True)
class _Counts:
    """What the index counts while the pages are written."""

    countries: Counter[tuple[str, str]]
    regions: Counter[tuple[str, str]]
    methods: Counter[str]


class _Folder:
    """The pages, written into a hidden folder beside the final one and swapped in at the
    end, so that a failed run leaves the previous report whole."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.part = final.with_name(f".{final.name}.part")
        self.characters = 0
        self.files = 0
        check_folder(final)
        shutil.rmtree(self.part, ignore_errors=True)
        self.part.mkdir(parents=True)
        (self.part / MARKER).write_text("written by geotrace report\n", "utf-8")

    def write(self, name: str, text: str) -> None:
        with (self.part / name).open("w", encoding="utf-8", newline="") as f:
            f.write(text)
        self.characters += len(text)
        self.files += 1

    def commit(self) -> None:
        old = self.final.with_name(f".{self.final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.final.exists():
            self.final.rename(old)
        self.part.rename(self.final)
        shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        shutil.rmtree(self.part, ignore_errors=True)


def check_folder(folder: Path) -> None:
    """Refuse to replace a folder that this module did not write."""
    if folder.exists() and not (folder / MARKER).is_file():
        raise InputError(
            f"{folder} exists and was not written by geotrace report: not replaced"
            " (move it, or write the report under another name)"
        )


def pages_folder(path: Path) -> Path:
    """Where the pages of the report written to ``path`` go: ``report_files`` beside
    ``report.html``, as browsers save a page."""
    return path.with_name(f"{path.stem}_files")


def remove_stale_pages(path: Path) -> None:
    """A small report replaces a paged one: the old pages go (only if written here)."""
    folder = pages_folder(path)
    if folder.is_dir() and (folder / MARKER).is_file():
        shutil.rmtree(folder)


def _account_pages(
    case: Case,
    plan: Layout,
    account: Account,
    shapes: Outlines,
    timeline: list[Markup] | None,
    counts: _Counts,
    folder: _Folder,
    index: str,
) -> None:
    """Write one account's pages, one page of rows in memory at a time."""
    span = f"{account.first} to {account.last}" if account.first else "no timed sighting"
    where = f"account {account.number} of {len(plan.accounts)}"
    for page in range(1, account.pages + 1):
        lo = account.start + (page - 1) * PAGE_ROWS
        hi = min(account.start + account.count, lo + PAGE_ROWS)
        rows: list[Markup] = []
        lat: list[float] = []
        lon: list[float] = []
        radius: list[float] = []
        labels: list[str] = []
        for row, post in page_rows(case, plan.ids[lo:hi]):
            if page == 1 and not rows:
                account.name = row.get("account_name") or ""
            rows.append(sighting_row(row, post))
            lat.append(row["lat"])
            lon.append(row["lon"])
            radius.append(row["radius_m"])
            labels.append(f"#{row['id']} {row['at_utc'] or 'time unknown'}")
            place = row.get("place") or {}
            why = unplaced_reason(row.get("place"))
            jure = why or row["country_de_jure"]
            counts.countries[(jure, row.get("country_de_facto") or "–")] += 1
            admin1 = " ".join(x for x in (row.get("admin1_code"), place.get("admin1_name")) if x)
            counts.regions[(jure, admin1 or "–")] += 1
            counts.methods[row["method"]] += 1
        here = account.page_name(page)
        nav = pager(index, where, page, account.pages, account.page_name)
        first, last = lo - account.start + 1, hi - account.start
        note = (
            f"{plural(account.count, 'sighting')}, {span}; this page holds sightings"
            f" {first} to {last} in time order (sightings with no time last). The map shows"
            " this page's points (dot), their uncertainty circles where wider than a pixel,"
            " and the track in time order."
        )
        svg = svg_map(
            lat, lon, radius, shapes, labels=labels, title=f"Sightings of {account.title}"
        )
        body = [
            nav,
            el("h2", account.title, id=f"a{account.number}"),
            el("p", note, cls="note"),
            Markup(svg),
            relink(timeline_table(timeline), plan, here) if timeline and page == 1 else "",
            *(
                _sighting_table(rows[start : start + ROWS_PER_TABLE])
                for start in range(0, len(rows), ROWS_PER_TABLE)
            ),
            nav,
        ]
        title = f"{account.title}, page {page} of {account.pages}"
        folder.write(here, document(title, *body))


def _list_pages(case: Case, folder: _Folder, index: str) -> dict[str, tuple[int, int]]:
    """The problems, sources and custody log in pages of :data:`PAGE_ROWS` rows, read
    from a cursor a page at a time; (rows, pages) per list."""
    found: dict[str, tuple[int, int]] = {}
    for stem, title, headers, sql in LISTS:
        total = int(case.db.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])
        pages = max(1, -(-total // PAGE_ROWS))

        def name(page: int, stem: str = stem) -> str:
            return f"{stem}-{page}.html"

        cursor = case.db.execute(sql)
        for page in range(1, pages + 1):
            rows = cursor.fetchmany(PAGE_ROWS)
            nav = pager(index, title, page, pages, name)
            first = (page - 1) * PAGE_ROWS + 1
            note = f"{total} in all; this page holds {first} to {first + len(rows) - 1}."
            body = [
                nav,
                el("h2", title),
                el("p", note if rows else "none", cls="note"),
                table(headers, rows, cls=stem),
                nav,
            ]
            folder.write(name(page), document(f"{title}, page {page} of {pages}", *body))
        found[stem] = (total, pages)
    return found


ACCOUNT_HEADERS = ("account", "sightings", "first (UTC)", "last (UTC)", "pages")


def account_row(account: Account, prefix: str) -> tuple[object, ...]:
    """An account in the accounts table, linked to its first page."""
    link = el("a", account.title, href=f"{prefix}{account.page_name(1)}")
    return (link, account.count, account.first or "", account.last or "", account.pages)


def _accounts_pages(plan: Layout, folder: _Folder, index: str) -> int:
    """Every account, in report order, in pages of :data:`PAGE_ROWS`; how many pages."""
    pages = max(1, -(-len(plan.accounts) // PAGE_ROWS))

    def name(page: int) -> str:
        return f"accounts-{page}.html"

    for page in range(1, pages + 1):
        chunk = plan.accounts[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
        nav = pager(index, "Accounts", page, pages, name)
        rows = [account_row(a, "") for a in chunk]
        note = f"{len(plan.accounts)} accounts with sightings, in the order of their pages."
        body = [nav, el("h2", "Accounts"), el("p", note, cls="note")]
        body += [table(ACCOUNT_HEADERS, rows, cls="accounts"), nav]
        folder.write(name(page), document(f"Accounts, page {page} of {pages}", *body))
    return pages


def _index(
    case: Case,
    plan: Layout,
    counts: _Counts,
    account_pages: int,
    lists: Mapping[str, tuple[int, int]],
    extra: Iterable[Markup],
    custody: Markup,
    prefix: str,
) -> Iterator[Markup]:
    """The index's sections, after the title and the table of contents."""
    totals = case.counts()
    span = case.db.execute("SELECT min(at_utc), max(at_utc) FROM sightings").fetchone()
    untimed = case.db.execute("SELECT count(*) FROM sightings WHERE at_utc IS NULL").fetchone()
    sightings = int(plan.ids.size)
    with_sightings = sum(1 for a in plan.accounts if a.account_id)
    facts = [
        ("sources (files read)", totals["sources"]),
        ("media (distinct originals)", totals["media"]),
        ("posts", totals["posts"]),
        ("sightings", sightings),
        ("accounts", f"{totals['accounts']} in the case, {with_sightings} with sightings"),
        ("time span (UTC)", f"{span[0]} to {span[1]}" if span[0] else "no timed sighting"),
        ("sightings without a time", int(untimed[0])),
        ("problems", totals["problems"]),
        ("methods", ", ".join(f"{m} {n}" for m, n in sorted(counts.methods.items()))),
        ("pages", f"{len(plan.page_names)} of at most {PAGE_ROWS} sightings, in {prefix}"),
    ]

    def by_count(counter: Counter[tuple[str, str]]) -> list[tuple[str, str, int]]:
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(a, b, n) for (a, b), n in ranked]

    yield el("h2", "Summary", id="summary")
    yield dl(facts)
    yield el("h3", "Countries")
    yield el(
        "p",
        "Where the points lie by internationally recognised borders (de jure) and by the"
        " administration Natural Earth records (de facto).",
        cls="note",
    )
    yield table(("de jure", "de facto", "sightings"), by_count(counts.countries))
    yield el("h3", "Regions")
    yield table(("de jure", "region (admin-1)", "sightings"), by_count(counts.regions))
    yield el("h2", "Sightings per account", id="accounts")
    yield el(
        "p",
        "Every sighting of the case, once, under the account whose post carried it, in time"
        f" order (sightings with no time last), in pages of at most {PAGE_ROWS}: follow an"
        " account's link; each page prints on its own.",
        cls="note",
    )
    yield from extra
    accounts = plan.accounts
    if len(accounts) > PAGE_ROWS:
        # A table of every account would make the index grow with the case again.
        accounts = sorted(accounts, key=lambda a: (-a.count, a.number))[:PAGE_ROWS]
        yield el(
            "p",
            f"The {PAGE_ROWS} accounts with the most sightings; all {len(plan.accounts)},"
            f" in the order of their pages, are listed in {plural(account_pages, 'page')}: ",
            el("a", "accounts", href=f"{prefix}accounts-1.html"),
            ".",
            cls="note",
        )
    yield table(ACCOUNT_HEADERS, [account_row(a, prefix) for a in accounts], cls="accounts")
    yield methods_section()
    problems, problem_pages = lists["problems"]
    yield el("h2", "Problems met", id="problems")
    yield el(
        "p",
        "What was refused, unreadable or doubtful, as the case recorded it; none of these"
        f" became a sighting unless the sighting says so. All {problems}, with their paths"
        f" and reasons, are listed in {plural(problem_pages, 'page')}: ",
        el("a", "problems", href=f"{prefix}problems-1.html"),
        ".",
        cls="note",
    )
    yield table(("code", "count"), sorted(case.problem_counts().items()))
    yield attribution_section()
    yield custody
    for stem, heading, one, many in (
        ("sources", "Sources", "source", "sources"),
        ("custody", "Custody log", "entry", "entries"),
    ):
        rows, pages = lists[stem]
        yield el("h3", heading)
        yield el(
            "p",
            f"{rows} {one if rows == 1 else many}, in {plural(pages, 'page')}: ",
            el("a", f"{stem} page 1", href=f"{prefix}{stem}-1.html"),
            ".",
            cls="note",
        )


def write_paged(
    case: Case,
    out: TextIO,
    path: Path,
    *,
    settings: Mapping[str, object],
    outlines: Mapping[str, Any] | None,
    people: PeopleLayers | None,
) -> ReportSummary:
    """Write the index of ``case`` to ``out`` (the file ``path`` will be) and its pages
    into the folder beside ``path``; see the module's docstring."""
    final = pages_folder(path)
    folder = _Folder(final)
    try:
        plan = layout(case)
        index = f"../{path.name}"
        prefix = f"{final.name}/"
        shapes = _outlines(outlines)
        events = timelines(people) if people is not None else {}
        counts = _Counts(Counter(), Counter(), Counter())
        for account in plan.accounts:
            key = (account.platform, account.account_id)
            timeline = events.pop(key, None)
            _account_pages(case, plan, account, shapes, timeline, counts, folder, index)
        account_pages = _accounts_pages(plan, folder, index)
        lists = _list_pages(case, folder, index)
        other = [
            el("h3", f"{platform} {ident}", id=f"t-{platform}-{ident}")
            + relink(timeline_table(rows), plan, "", prefix)
            for (platform, ident), rows in sorted(events.items())
        ]
        extra = [el("p", timeline_note(people), cls="note")] if people is not None else []
        extra += other
        custody = _custody_facts(case, settings, outlines_label(outlines))
        title = f"geotrace evidence report: {case.path.name}"
        generated = settings.get("generated_at")
        toc = el(
            "nav",
            el(
                "ol",
                *(
                    el("li", el("a", label, href=f"#{anchor}"))
                    for anchor, label in (
                        ("summary", "Summary"),
                        ("accounts", "Sightings per account"),
                        ("methods", "Methods"),
                        ("problems", "Problems met"),
                        ("attribution", "Attribution"),
                        ("custody", "Chain of custody"),
                    )
                ),
            ),
        )
        head = el(
            "p",
            f"Generated {generated} by geotrace {__version__}."
            if generated
            else f"Generated by geotrace {__version__} from the case alone; no generation time"
            " is recorded, so that a re-run gives the same bytes.",
            f" The case holds {plan.ids.size} sightings, more than one page shows, so this"
            f" index links to {folder.files} pages in {prefix}; keep the two together.",
            cls="note",
        )
        html = document(
            title,
            el("h1", title),
            head,
            toc,
            *_index(case, plan, counts, account_pages, lists, extra, custody, prefix),
        )
        out.write(html)
        folder.commit()
    except BaseException:
        folder.abandon()
        raise
    problems, _ = lists["problems"]
    sources, _ = lists["sources"]
    return ReportSummary(
        int(plan.ids.size),
        len(plan.accounts),
        sources,
        problems,
        len(html) + folder.characters,
        pages=folder.files,
    )


def write_report_at(
    case: Case,
    out: TextIO,
    path: Path,
    *,
    settings: Mapping[str, object] | None = None,
    outlines: Mapping[str, Any] | None = None,
    people: PeopleLayers | None = None,
) -> ReportSummary:
    """The report of ``case`` for the file ``path`` (``out`` is what becomes it): today's
    single file up to :data:`PAGED_ABOVE` sightings, byte for byte, else an index to
    ``out`` and pages in the folder beside ``path`` (``report_files`` for
    ``report.html``).  Arguments as for :func:`~geotrace.present.report.write_report`."""
    path = Path(path)
    count = int(case.db.execute("SELECT count(*) FROM sightings").fetchone()[0])
    if count > PAGED_ABOVE:
        shown = dict(settings or {})
        return write_paged(case, out, path, settings=shown, outlines=outlines, people=people)
    summary = write_report(case, out, settings=settings, outlines=outlines, people=people)
    remove_stale_pages(path)
    return summary
