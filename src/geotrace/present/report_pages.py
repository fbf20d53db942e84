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

import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from geotrace import __version__
from geotrace.present.markup import Markup, dl, el, table
from geotrace.present.people_layers import PeopleLayers, timeline_note, timeline_table, timelines
from geotrace.present.report import (
    CUSTODY_HEADERS,
    SOURCE_HEADERS,
    ReportSummary,
    contents,
    custody_facts,
    outlines_label,
    plural,
    write_report,
)
from geotrace.present.report_methods import attribution_section, methods_section
from geotrace.present.report_pages_accounts import (
    MARKER,
    Account,
    Counts,
    Folder,
    Layout,
    document,
    layout,
    pager,
    relink,
    write_accounts,
)
from geotrace.store.case import Case

#: Above this many sightings a report written to a file is paged.  Headless Chromium
#: parses about 1 MB of report a second on the 2-core VM (``bench/present.py``); 10,000
#: sightings of ``bench/bigcase.py`` make a single file of 10.7 MB that loaded in 5.4 s
#: there (``bench/report_scale.py --sizes 10000``), 100,000 one of 84 MB that took 101 s:
#: past about ten thousand the single file is no longer a page one opens.
PAGED_ABOVE = 10_000
#: Sightings per page: 0.68-0.70 MB, loaded in 0.2-0.7 s at 100k and 1M sightings
#: (``bench/report_scale.py``); a few hundred printed sheets.
PAGE_ROWS = 1_000
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
        CUSTODY_HEADERS,
        "SELECT id, at, action, sha256, detail FROM custody_log ORDER BY id",
    ),
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


def _list_pages(case: Case, folder: Folder, index: str, size: int) -> dict[str, tuple[int, int]]:
    """The problems, sources and custody log in pages of ``size`` rows, read
    from a cursor a page at a time; (rows, pages) per list."""
    found: dict[str, tuple[int, int]] = {}
    for stem, title, headers, sql in LISTS:
        total = int(case.db.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])
        pages = max(1, -(-total // size))

        def name(page: int, stem: str = stem) -> str:
            return f"{stem}-{page}.html"

        cursor = case.db.execute(sql)
        for page in range(1, pages + 1):
            rows = cursor.fetchmany(size)
            nav = pager(index, title, page, pages, name)
            first = (page - 1) * size + 1
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


def _accounts_pages(plan: Layout, folder: Folder, index: str) -> int:
    """Every account, in report order, in pages of ``plan.rows``; how many pages."""
    pages = max(1, -(-len(plan.accounts) // plan.rows))

    def name(page: int) -> str:
        return f"accounts-{page}.html"

    for page in range(1, pages + 1):
        chunk = plan.accounts[(page - 1) * plan.rows : page * plan.rows]
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
    counts: Counts,
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
        ("pages", f"{len(plan.page_names)} of at most {plan.rows} sightings, in {prefix}"),
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
        f" order (sightings with no time last), in pages of at most {plan.rows}: follow an"
        " account's link; each page prints on its own.",
        cls="note",
    )
    yield from extra
    accounts = plan.accounts
    if len(accounts) > plan.rows:
        # A table of every account would make the index grow with the case again.
        accounts = sorted(accounts, key=lambda a: (-a.count, a.number))[: plan.rows]
        yield el(
            "p",
            f"The {plan.rows} accounts with the most sightings; all {len(plan.accounts)},"
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
    workers: int | None = 1,
) -> ReportSummary:
    """Write the index of ``case`` to ``out`` (the file ``path`` will be) and its pages
    into the folder beside ``path``; see the module's docstring."""
    final = pages_folder(path)
    folder = Folder(final, Counts())
    try:
        plan = layout(case, PAGE_ROWS)
        index = f"../{path.name}"
        prefix = f"{final.name}/"
        events = timelines(people) if people is not None else {}
        write_accounts(case, plan, outlines, events, folder, index, workers)
        for account in plan.accounts:
            events.pop((account.platform, account.account_id), None)
        counts = folder.counts
        account_pages = _accounts_pages(plan, folder, index)
        lists = _list_pages(case, folder, index, plan.rows)
        other = [
            el("h3", f"{platform} {ident}", id=f"t-{platform}-{ident}")
            + relink(timeline_table(rows), plan, "", prefix)
            for (platform, ident), rows in sorted(events.items())
        ]
        extra = [el("p", timeline_note(people), cls="note")] if people is not None else []
        extra += other
        custody = custody_facts(case, settings, outlines_label(outlines))
        title = f"geotrace evidence report: {case.path.name}"
        generated = settings.get("generated_at")
        toc = contents()
        head = el(
            "p",
            f"Generated {generated} by geotrace {__version__}."
            if generated
            else f"Generated by geotrace {__version__} from the case alone; no generation time"
            " is recorded, so that a re-run gives the same bytes.",
            f" The case holds {plan.ids.size} sightings, more than one page shows, so this"
            f" index links to {folder.counts.files} pages in {prefix}; keep the two together.",
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
        len(html) + folder.counts.characters,
        pages=folder.counts.files,
    )


def write_report_at(
    case: Case,
    out: TextIO,
    path: Path,
    *,
    settings: Mapping[str, object] | None = None,
    outlines: Mapping[str, Any] | None = None,
    people: PeopleLayers | None = None,
    workers: int | None = 1,
) -> ReportSummary:
    """The report of ``case`` for the file ``path`` (``out`` is what becomes it): today's
    single file up to :data:`PAGED_ABOVE` sightings, byte for byte, else an index to
    ``out`` and pages in the folder beside ``path`` (``report_files`` for
    ``report.html``).  Arguments as for :func:`~geotrace.present.report.write_report`;
    ``workers`` processes write the accounts' pages (None: one per core)."""
    path = Path(path)
    count = int(case.db.execute("SELECT count(*) FROM sightings").fetchone()[0])
    if count > PAGED_ABOVE:
        shown = dict(settings or {})
        return write_paged(
            case, out, path, settings=shown, outlines=outlines, people=people, workers=workers
        )
    summary = write_report(case, out, settings=settings, outlines=outlines, people=people)
    remove_stale_pages(path)
    return summary
