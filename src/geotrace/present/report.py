"""The evidence report: one self-contained HTML file that says what the case shows and why.

What investigators publish must survive scrutiny, so the report carries, beside every
sighting, what it rests on (the file's sha256, the source document, the post, the tags),
how uncertain it is (radius, time basis and window, border confidence), how each method
was measured, what was refused, and the chain of custody.  It is built from the case
alone, in a stable order, with no clock reading (a time appears only when the caller
passes one in ``settings``): the same case gives the same bytes, so anyone holding the
case can re-run it and compare.

Post text and file names are hostile.  Every value goes through :func:`esc` on its way
into the page (:class:`Markup` marks what is already safe, so nothing is escaped twice or
forgotten), the page has no script, and its Content-Security-Policy forbids scripts and
every fetch, so that a slip would still run nothing and call nobody.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from geotrace import __version__
from geotrace.geo import format_duration
from geotrace.places.queries import place_versions, sightings, unplaced_reason
from geotrace.present.markup import Markup, dl, el, join, lines, table
from geotrace.present.outlines import country_outlines
from geotrace.present.people_layers import (
    Key,
    PeopleLayers,
    timeline_note,
    timeline_table,
    timelines,
)
from geotrace.present.report_methods import attribution_section, methods_section
from geotrace.present.svgmap import Outlines, prepare_outlines, svg_map
from geotrace.store.case import Case

#: Post text shown per sighting; the rest is in the case (``geotrace posts``).
TEXT_CHARS = 1_000
CHROMIUM = Path("/usr/bin/chromium")
PDF_TIMEOUT_S = 180
#: Headless Chromium kept off the network (it otherwise calls Google at start-up).
OFFLINE_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)
#: Outline simplification of the maps: 0.05 degree (~5 km) is finer than a page shows.
OUTLINE_TOLERANCE_DEG = 0.05


def seconds(value: float | None) -> str:
    """A time uncertainty as people read it: ±1 s, ±1 h, ±14 h; unknown when None."""
    return "unknown" if value is None else f"±{format_duration(value, exact=True)}"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def number(value: float | None, digits: int = 6) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def as_text(value: object) -> str:
    """Nested values (evidence fields, radius shares) as stable compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What a report holds."""

    sightings: int
    accounts: int
    sources: int
    problems: int
    characters: int
    #: Files in the folder of pages beside the index; 0 for a single file.
    pages: int = 0


@dataclass(slots=True)
class _Account:
    """One account's part of the report, gathered in one pass over the sightings."""

    platform: str
    account_id: str
    name: str
    rows: list[Markup] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    radius: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    first: str | None = None
    last: str | None = None

    @property
    def title(self) -> str:
        if not self.account_id:
            return "Files carried by no post"
        name = f" ({self.name})" if self.name else ""
        return f"{self.platform} {self.account_id}{name}"


def _clip(text: str) -> str:
    if len(text) <= TEXT_CHARS:
        return text
    return f"{text[:TEXT_CHARS]}… ({len(text) - TEXT_CHARS} more characters in the case)"


#: Evidence fields the row already shows under their own names.
SHOWN_EVIDENCE = frozenset({"media_sha256", "platform", "post_id"})


def _shares(shares: Mapping[str, float] | None) -> str:
    """Countries the uncertainty circle touches, with their share ("" = sea)."""
    if not shares:
        return ""
    parts = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{code or 'sea'} {share:.0%}" for code, share in parts)


def sighting_row(row: Mapping[str, Any], post: tuple[Any, ...] | None) -> Markup:
    """One sighting as a table row: when, where, how, place and evidence."""
    place = row.get("place") or {}
    when = [
        row["at_utc"] or "time unknown",
        f"basis {row['time_basis']}, {seconds(row['time_uncertainty_s'])}",
    ]
    if row.get("at_local"):
        offset = place.get("utc_offset") or ""
        when.append(f"local {row['at_local']} {offset}".rstrip())
    where = [f"{number(row['lat'])}, {number(row['lon'])}", f"±{row['radius_m']:g} m"]
    if row.get("alt_m") is not None:
        where.append(f"alt {row['alt_m']:g} m")
    border = place.get("border_confidence") or row.get("border_confidence")
    km = place.get("distance_to_border_km")
    if km is not None:
        border = f"{border} ({km:.1f} km to {place.get('neighbour_country') or 'border'})"
    settlement = place.get("settlement")
    if settlement and place.get("settlement_km") is not None:
        settlement = f"{settlement} ({place['settlement_km']:.1f} km)"
    admin1 = " ".join(x for x in (row.get("admin1_code"), place.get("admin1_name")) if x)
    where_is = lines(
        [
            ("de jure", row.get("country_de_jure")),
            ("de facto", row.get("country_de_facto")),
            ("control", place.get("control")),
            ("oblast", admin1),
            ("settlement", settlement),
            ("border", border),
            ("zone", place.get("timezone")),
            ("shares", _shares(place.get("radius_shares"))),
            ("flags", ", ".join(map(str, place.get("flags") or ()))),
        ]
    )
    evidence = dict(row.get("evidence") or {})
    proof = [
        ("sha256", row.get("media_sha256")),
        ("file", row.get("media_path")),
    ]
    if row.get("post_id"):
        proof.append(("post", f"{row.get('platform')} {row['post_id']}"))
    text = None
    if post is not None:
        text, url, location, _posted, _basis, source = post
        proof += [("source", source), ("in source", location), ("url", url)]
    proof += [
        (str(k), as_text(v))
        for k, v in sorted(evidence.items())
        if k not in SHOWN_EVIDENCE and v is not None
    ]
    if text:
        proof.append(("text", el("q", _clip(text))))
    return el(
        "tr",
        el("td", str(row["id"])),
        el("td", "\n".join(when)),
        el("td", "\n".join(where)),
        el("td", f"{row['method']}\nconfidence {row['confidence']:g}"),
        el("td", where_is),
        el("td", lines(proof), cls="evidence"),
        cls="sighting",
        id=f"s{row['id']}",
    )


SIGHTING_HEADERS = ("#", "time (UTC)", "position", "method", "place", "evidence")
#: The chain of custody's tables: the sources, and the log (the paged report's lists too).
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
CUSTODY_HEADERS = ("#", "at (UTC)", "action", "sha256", "detail")
#: Sightings per table (see :func:`_sighting_table`).
ROWS_PER_TABLE = 200


def _gather(case: Case) -> tuple[list[_Account], Counter[tuple[str, str]], Counter[str], int]:
    """One pass: every sighting rendered into its account, with the summary's counts."""
    accounts: dict[tuple[str, str], _Account] = {}
    countries: Counter[tuple[str, str]] = Counter()
    methods: Counter[str] = Counter()
    posts = case.sighted_posts()
    total = 0
    for row in sightings(case.db):
        key = (row.get("platform") or "", row.get("account_id") or "")
        account = accounts.get(key)
        if account is None:
            account = accounts[key] = _Account(key[0], key[1], row.get("account_name") or "")
        info = posts.get((str(key[0]), str(row["post_id"]))) if row.get("post_id") else None
        account.rows.append(sighting_row(row, info))
        account.lat.append(row["lat"])
        account.lon.append(row["lon"])
        account.radius.append(row["radius_m"])
        account.labels.append(f"#{row['id']} {row['at_utc'] or 'time unknown'}")
        if row["at_utc"]:
            account.first = account.first or row["at_utc"]
            account.last = row["at_utc"]
        why = unplaced_reason(row.get("place"))
        countries[(why or row["country_de_jure"], row.get("country_de_facto") or "–")] += 1
        methods[row["method"]] += 1
        total += 1
    # Accounts in a stable order; files carried by no post last.
    ordered = sorted(accounts.values(), key=lambda a: (not a.account_id, a.platform, a.account_id))
    return ordered, countries, methods, total


def _outlines(given: Mapping[str, Any] | None) -> Outlines:
    """The shipped de jure country outlines, or those given (tests, other layers)."""
    if given is None:
        given = country_outlines(layer="de_jure", tolerance_deg=OUTLINE_TOLERANCE_DEG)
    return prepare_outlines(given)


CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
h1{font-size:1.6em}h2{border-bottom:2px solid #333;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border:1px solid #bbb;padding:2px 4px;vertical-align:top;text-align:left}
th{background:#eee}td{overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content auto;gap:0 .5em;margin:0}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
td.evidence{font-size:11px}
table.sightings{table-layout:fixed}
@media screen{table.sightings{content-visibility:auto;contain-intrinsic-size:auto 30000px}}
table.sightings td{white-space:pre-line}
table.timeline td{white-space:pre-line;font-size:12px}
table.timeline th:nth-child(1){width:17em}
table.sightings th:nth-child(1){width:5em}table.sightings th:nth-child(2){width:17em}
table.sightings th:nth-child(3),table.sightings th:nth-child(4){width:11em}
table.sightings th:nth-child(5){width:22em}
q{white-space:pre-wrap}
svg.map{max-width:100%;height:auto;border:1px solid #888}
.sea{fill:#eef4f8}.land{fill:#f4f1e8;stroke:#8a8a8a;stroke-width:.6;fill-rule:evenodd}
.track{fill:none;stroke:#c33;stroke-width:1;stroke-opacity:.6}
.radius{fill:#c33;fill-opacity:.12;stroke:#c33;stroke-width:.5}
.mark{fill:#c33;stroke:#fff;stroke-width:1}
.scale path{stroke:#000;stroke-width:2}.scale text{font-size:11px}
.note{color:#555}
@media print{tr{break-inside:avoid}h2{break-before:page}}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _counts(case: Case, sql: str) -> int:
    return int(case.db.execute(sql).fetchone()[0])


def _summary(
    case: Case,
    accounts: list[_Account],
    countries: Counter[tuple[str, str]],
    methods: Counter[str],
    total: int,
) -> Markup:
    counts = case.counts()
    span = case.db.execute("SELECT min(at_utc), max(at_utc) FROM sightings").fetchone()
    untimed = _counts(case, "SELECT count(*) FROM sightings WHERE at_utc IS NULL")
    with_sightings = sum(1 for a in accounts if a.account_id)
    facts = [
        ("sources (files read)", counts["sources"]),
        ("media (distinct originals)", counts["media"]),
        ("posts", counts["posts"]),
        ("sightings", total),
        ("accounts", f"{counts['accounts']} in the case, {with_sightings} with sightings"),
        ("time span (UTC)", f"{span[0]} to {span[1]}" if span[0] else "no timed sighting"),
        ("sightings without a time", untimed),
        ("problems", counts["problems"]),
        ("methods", ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))),
    ]
    by_country = table(
        ("de jure", "de facto", "sightings"),
        [(j, f, n) for (j, f), n in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))],
    )
    index = table(
        ("account", "sightings", "first (UTC)", "last (UTC)"),
        [
            (el("a", a.title, href=f"#a{i}"), len(a.rows), a.first or "", a.last or "")
            for i, a in enumerate(accounts, 1)
        ],
    )
    return join(
        [
            el("h2", "Summary", id="summary"),
            dl(facts),
            el("h3", "Countries"),
            el(
                "p",
                (
                    "Where the points lie by internationally recognised borders (de jure) and"
                    " by the "
                    "administration Natural Earth records (de facto)."
                ),
                cls="note",
            ),
            by_country,
            el("h3", "Accounts"),
            index,
        ]
    )


def _account_section(
    i: int, account: _Account, outlines: Outlines, timeline: list[Markup] | None = None
) -> Markup:
    span = f"{account.first} to {account.last}" if account.first else "no timed sighting"
    svg = svg_map(
        account.lat,
        account.lon,
        account.radius,
        outlines,
        labels=account.labels,
        title=f"Sightings of {account.title}",
    )
    return join(
        [
            el("h3", account.title, id=f"a{i}"),
            el(
                "p",
                (
                    f"{plural(len(account.rows), 'sighting')}, {span}. The map shows every"
                    " point (dot), its uncertainty circle where it is wider than a pixel, and"
                    " the track in time order."
                ),
                cls="note",
            ),
            Markup(svg),
            timeline_table(timeline) if timeline else "",
            *(
                _sighting_table(account.rows[start : start + ROWS_PER_TABLE])
                for start in range(0, len(account.rows), ROWS_PER_TABLE)
            ),
        ]
    )


def _other_timelines(events: Mapping[Key, list[Markup]]) -> Markup:
    """Timelines of tracks with no sighting section of their own: subjects (an object
    seen by many accounts), and accounts known only from others' meetings."""
    return join(
        el("h3", f"{platform} {ident}", id=f"t-{platform}-{ident}") + timeline_table(rows) + "\n"
        for (platform, ident), rows in sorted(events.items())
    )


def _sighting_table(rows: list[Markup]) -> Markup:
    """Rows in tables of a few hundred, each with fixed column widths and skipped by the
    browser until scrolled near (``content-visibility``): one 100,000-row table must be
    laid out whole before the page shows, a run of small ones need not."""
    return el(
        "table",
        el("thead", el("tr", *(el("th", h) for h in SIGHTING_HEADERS))),
        el("tbody", join(rows)),
        cls="sightings",
    )


def _problems(case: Case) -> Markup:
    rows = case.db.execute(
        "SELECT code, path, sha256, message FROM problems ORDER BY code, path, sha256, message"
    ).fetchall()
    counts = case.problem_counts()
    return join(
        [
            el("h2", "Problems met", id="problems"),
            el(
                "p",
                (
                    "What was refused, unreadable or doubtful, as the case recorded it; none "
                    "of these"
                    " became a sighting unless the sighting says so."
                ),
                cls="note",
            ),
            table(("code", "count"), sorted(counts.items())),
            table(("code", "path", "sha256", "reason"), rows, cls="problems"),
        ]
    )


def custody_facts(case: Case, settings: Mapping[str, object], outlines: str) -> Markup:
    """The chain of custody's heading, facts and settings: the part a paged report's
    index shows whole (its sources and log are paged)."""
    schema = "; ".join(f"{owner} {step}" for owner, step in case.schema().items())
    places = place_versions(case.db)
    shown = {k: as_text(v) for k, v in sorted(settings.items())}
    return join(
        [
            el("h2", "Chain of custody", id="custody"),
            dl(
                [
                    ("case", case.path.name),
                    ("geotrace", __version__),
                    ("case schema", schema),
                    ("places data", ", ".join(map(str, places))),
                    ("map outlines", outlines),
                    (
                        "check",
                        (
                            "geotrace verify --case CASE re-hashes every original against the"
                            " sha256 "
                            "below."
                        ),
                    ),
                ]
            ),
            el("h3", "Settings"),
            table(("setting", "value"), shown.items()) if shown else el("p", "none", cls="note"),
        ]
    )


def _custody(case: Case, settings: Mapping[str, object], outlines: str) -> Markup:
    sources = case.db.execute(
        "SELECT id, path, kind, container, size, sha256, reader, reader_version, ingested_at"
        " FROM sources ORDER BY id"
    ).fetchall()
    log = case.db.execute("SELECT id, at, action, sha256, detail FROM custody_log ORDER BY id")
    return join(
        [
            custody_facts(case, settings, outlines),
            el("h3", "Sources"),
            table(
                SOURCE_HEADERS,
                sources,
                cls="sources",
            ),
            el("h3", "Custody log"),
            table(CUSTODY_HEADERS, log, cls="custody"),
        ]
    )


def outlines_label(outlines: Mapping[str, Any] | None) -> str:
    """What the chain of custody says of the maps' outlines."""
    if outlines is None:
        return f"Natural Earth de jure, simplified to {OUTLINE_TOLERANCE_DEG:g} degree"
    return "given by the caller"


def write_report(
    case: Case,
    out: TextIO,
    *,
    settings: Mapping[str, object] | None = None,
    outlines: Mapping[str, Any] | None = None,
    people: PeopleLayers | None = None,
) -> ReportSummary:
    """Write the evidence report of ``case`` to ``out``; the same case and settings give
    the same characters.  ``settings`` are shown in the chain of custody (pass the
    generation time there if the report should carry one); ``outlines`` replaces the
    shipped country outlines (a GeoJSON FeatureCollection); ``people`` gives each account
    a timeline (see ``people_layers``).  One file whatever the size of the case:
    ``report_pages.write_report_at`` pages a large one."""
    settings = dict(settings or {})
    accounts, countries, methods, total = _gather(case)
    events = timelines(people) if people is not None else {}
    shapes = _outlines(outlines)
    title = f"geotrace evidence report: {case.path.name}"
    generated = settings.get("generated_at")
    toc = contents()
    written = 0

    def put(part: str) -> None:
        nonlocal written
        out.write(part)
        written += len(part)

    put(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{el('title', title)}<style>{CSS}</style></head><body>\n"
    )
    put(el("h1", title) + "\n")
    put(
        el(
            "p",
            f"Generated {generated} by geotrace {__version__}."
            if generated
            else f"Generated by geotrace {__version__} from the case alone; no generation time"
            " is recorded, so that a re-run gives the same bytes.",
            cls="note",
        )
        + toc
        + "\n"
    )
    put(_summary(case, accounts, countries, methods, total) + "\n")
    put(el("h2", "Sightings per account", id="accounts") + "\n")
    put(
        el(
            "p",
            (
                "Every sighting of the case, once, under the account whose post carried it, "
                "in time "
                "order (sightings with no time last)."
            ),
            cls="note",
        )
        + (el("p", timeline_note(people), cls="note") if people is not None else "")
        + "\n"
    )
    for i, account in enumerate(accounts, 1):
        key = (account.platform, account.account_id)
        put(_account_section(i, account, shapes, events.pop(key, None)) + "\n")
    put(_other_timelines(events))
    put(methods_section() + "\n")
    put(_problems(case) + "\n")
    put(attribution_section() + "\n")
    put(_custody(case, settings, outlines_label(outlines)) + "\n")
    put("</body></html>\n")
    problems = int(case.db.execute("SELECT count(*) FROM problems").fetchone()[0])
    sources = int(case.db.execute("SELECT count(*) FROM sources").fetchone()[0])
    return ReportSummary(total, len(accounts), sources, problems, written)


def chromium() -> Path | None:
    """The Debian Chromium binary when this machine has it."""
    found = CHROMIUM if CHROMIUM.is_file() else None
    return found if found and os.access(found, os.X_OK) else None


def html_to_pdf(html: Path, pdf: Path) -> bool:
    """Print the report to PDF with headless Chromium, offline; False when the machine
    has no Chromium (or it failed), so that the caller can say it cannot render PDF.

    The flags keep Chromium off the network (it otherwise calls Google at start-up); the
    page's own Content-Security-Policy forbids scripts and fetches (``--blink-settings=
    scriptEnabled=false`` would be simpler, but Chromium 156 then prints no PDF at all).
    A fresh profile each time, so that nothing of a previous run leaks in."""
    binary = chromium()
    if binary is None:
        return False
    pdf = Path(pdf).resolve()
    with tempfile.TemporaryDirectory(prefix="geotrace-pdf-") as profile:
        command = [
            str(binary),
            *OFFLINE_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to start as root otherwise
        command.append(Path(html).resolve().as_uri())
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 0


#: The report's sections, in order (their anchors and titles).
SECTIONS = (
    ("summary", "Summary"),
    ("accounts", "Sightings per account"),
    ("methods", "Methods"),
    ("problems", "Problems met"),
    ("attribution", "Attribution"),
    ("custody", "Chain of custody"),
)


def contents() -> Markup:
    """The table of contents: the single file's, and the paged report's index."""
    items = (el("li", el("a", label, href=f"#{anchor}")) for anchor, label in SECTIONS)
    return el("nav", el("ol", *items))
