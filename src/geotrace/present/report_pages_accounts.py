"""The accounts' pages of a paged report: where each sighting lands, and the pages written,
in this process or in several.

:func:`layout` reads the report's order once (the accounts with their counts, then every
sighting's id, 8 bytes each, kept as NumPy arrays with the page each lands on, so that a
timeline entry can link to a sighting on another page); each page then reads its own rows
by id (:func:`page_rows`), so that memory holds a page of rows, never the case's.  The
pages are independent of each other, so :func:`write_accounts` can hand runs of accounts
to worker processes, each with its own read-only connection; the bytes are the same
whatever the number of workers (``bench/report_scale.py`` measures what they gain).
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geotrace.errors import InputError
from geotrace.places.queries import SIGHTING_FIELDS, decode_json, unplaced_reason
from geotrace.present.markup import Markup, el, join
from geotrace.present.people_layers import Key, timeline_table
from geotrace.present.report import (
    CSP,
    CSS,
    ROWS_PER_TABLE,
    _outlines,
    _sighting_table,
    plural,
    sighting_row,
)
from geotrace.present.svgmap import Outlines, svg_map
from geotrace.sql import FIRST_POST_OF_MEDIA, latest_name
from geotrace.store.case import Case

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
    #: Sightings per page.
    rows: int
    name: str = ""

    @property
    def title(self) -> str:
        if not self.account_id:
            return "Files carried by no post"
        name = f" ({self.name})" if self.name else ""
        return f"{self.platform} {self.account_id}{name}"

    @property
    def pages(self) -> int:
        return -(-self.count // self.rows)

    def page_name(self, page: int) -> str:
        return f"a{self.number}-{page}.html"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where every sighting lands: accounts in order, ids in report order, and for the
    ids sorted, the page file each is on (for links from timelines)."""

    accounts: list[Account]
    rows: int
    ids: NDArray[np.int64]
    sorted_ids: NDArray[np.int64]
    sorted_pages: NDArray[np.int32]
    page_names: list[str]

    def page_of(self, sighting: int) -> str | None:
        at = int(np.searchsorted(self.sorted_ids, sighting))
        if at < self.sorted_ids.size and int(self.sorted_ids[at]) == sighting:
            return self.page_names[int(self.sorted_pages[at])]
        return None


def layout(case: Case, rows: int) -> Layout:
    """Two queries: the accounts with their counts and dates, then every id in order;
    pages of ``rows`` sightings."""
    accounts: list[Account] = []
    start = 0
    for number, (platform, account_id, count, first, last) in enumerate(
        case.db.execute(ACCOUNTS_SQL), 1
    ):
        accounts.append(
            Account(number, str(platform), str(account_id), int(count), first, last, start, rows)
        )
        start += int(count)
    cursor = case.db.execute(IDS_SQL)
    ids = np.fromiter((sid for (sid,) in cursor), dtype=np.int64, count=start)
    names = [a.page_name(p) for a in accounts for p in range(1, a.pages + 1)]
    counts = np.array([a.count for a in accounts], dtype=np.int64)
    pages = np.array([a.pages for a in accounts], dtype=np.int64)
    # The page index of each id in report order, without a loop over the ids: the
    # account's first page plus the id's rank in its account over the page size.
    first_page = np.concatenate(([0], np.cumsum(pages)[:-1])) if len(accounts) else pages
    account_of = np.repeat(np.arange(len(accounts)), counts)
    starts = np.array([a.start for a in accounts], dtype=np.int64)
    rank = np.arange(start, dtype=np.int64) - starts[account_of] if start else account_of
    page = (first_page[account_of] + rank // rows).astype(np.int32)
    order = np.argsort(ids, kind="stable")
    return Layout(accounts, rows, ids, ids[order], page[order], names)


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
class Counts:
    """What the index counts while the pages are written (summed over workers)."""

    countries: Counter[tuple[str, str]] = field(default_factory=Counter)
    regions: Counter[tuple[str, str]] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)
    characters: int = 0
    files: int = 0
    #: Account number -> the name its first sighting gives it.
    names: dict[int, str] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.countries.update(other.countries)
        self.regions.update(other.regions)
        self.methods.update(other.methods)
        self.characters += other.characters
        self.files += other.files
        self.names.update(other.names)


class Pages:
    """Pages written into ``part``, counted."""

    def __init__(self, part: Path, counts: Counts) -> None:
        self.part = part
        self.counts = counts

    def write(self, name: str, text: str) -> None:
        with (self.part / name).open("w", encoding="utf-8", newline="") as f:
            f.write(text)
        self.counts.characters += len(text)
        self.counts.files += 1


class Folder(Pages):
    """The pages, written into a hidden folder beside the final one and swapped in at the
    end, so that a failed run leaves the previous report whole."""

    def __init__(self, final: Path, counts: Counts) -> None:
        check_folder(final)
        super().__init__(final.with_name(f".{final.name}.part"), counts)
        self.final = final
        shutil.rmtree(self.part, ignore_errors=True)
        self.part.mkdir(parents=True)
        (self.part / MARKER).write_text("written by geotrace report\n", "utf-8")

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


def account_pages(
    case: Case,
    plan: Layout,
    account: Account,
    shapes: Outlines,
    timeline: list[Markup] | None,
    folder: Pages,
    index: str,
) -> None:
    """Write one account's pages, one page of rows in memory at a time."""
    span = f"{account.first} to {account.last}" if account.first else "no timed sighting"
    where = f"account {account.number} of {len(plan.accounts)}"
    counts = folder.counts
    for page in range(1, account.pages + 1):
        lo = account.start + (page - 1) * plan.rows
        hi = min(account.start + account.count, lo + plan.rows)
        rows: list[Markup] = []
        lat: list[float] = []
        lon: list[float] = []
        radius: list[float] = []
        labels: list[str] = []
        for row, post in page_rows(case, plan.ids[lo:hi]):
            if page == 1 and not rows:
                account.name = row.get("account_name") or ""
                counts.names[account.number] = account.name
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


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker needs to write a run of accounts' pages."""

    case: Path
    part: Path
    plan: Layout
    outlines: Mapping[str, Any] | None
    events: dict[Key, list[Markup]]
    index: str


_JOB: list[Job] = []


def _start(job: Job) -> None:
    _JOB[:] = [job]


def _write_run(run: tuple[int, int]) -> Counts:
    """In a worker: the pages of accounts ``run[0]`` to ``run[1]`` (list positions)."""
    job = _JOB[0]
    counts = Counts()
    shapes = _outlines(job.outlines)
    with Case(job.case) as case:
        for account in job.plan.accounts[run[0] : run[1]]:
            key = (account.platform, account.account_id)
            timeline = job.events.get(key)
            account_pages(
                case, job.plan, account, shapes, timeline, Pages(job.part, counts), job.index
            )
    return counts


def runs(plan: Layout, parts: int) -> list[tuple[int, int]]:
    """Consecutive runs of accounts of about equal sightings, ``parts`` of them at most."""
    sizes = np.array([a.count for a in plan.accounts], dtype=np.int64)
    if not sizes.size:
        return []
    cuts = np.searchsorted(np.cumsum(sizes), np.linspace(0, sizes.sum(), parts + 1)[1:-1])
    bounds = sorted({0, *(int(c) + 1 for c in cuts), sizes.size})
    return [(a, b) for a, b in pairwise(bounds) if a < b]


#: Runs per worker: a few, so that one account far larger than the rest does not leave
#: the other workers idle for long.
RUNS_PER_WORKER = 4


def write_accounts(
    case: Case,
    plan: Layout,
    outlines: Mapping[str, Any] | None,
    events: Mapping[Key, list[Markup]],
    folder: Folder,
    index: str,
    workers: int | None = 1,
) -> None:
    """Every account's pages into ``folder``, counted into ``folder.counts``; with
    ``workers`` > 1 in that many processes (None: one per core), each reading the case
    through its own read-only connection."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(workers, len(plan.accounts))
    mine = {(a.platform, a.account_id) for a in plan.accounts}
    own = {k: v for k, v in events.items() if k in mine}
    if workers <= 1:
        shapes = _outlines(outlines)
        for account in plan.accounts:
            timeline = own.get((account.platform, account.account_id))
            account_pages(case, plan, account, shapes, timeline, folder, index)
        return
    job = Job(case.path, folder.part, plan, outlines, own, index)
    # Forked where the system can (the runner's pool does the same): nothing to re-import
    # or re-pickle, and no __main__ to re-run, which a spawned worker needs and a script
    # read from stdin cannot give.  The child opens its own connection; it never touches
    # the one it inherits.
    context = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(job,)
    ) as pool:
        for found in pool.map(_write_run, runs(plan, workers * RUNS_PER_WORKER)):
            folder.counts.add(found)
    for account in plan.accounts:
        account.name = folder.counts.names.get(account.number, "")
