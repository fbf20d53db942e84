"""The ``geotrace`` command: a thin layer over :mod:`geotrace.api`, one command per call.

Exit codes, the same for every command:

- 0: everything was read (or verified) and nothing was skipped;
- 1: the command finished, but some items were skipped or refused (``ingest``,
  ``inspect``), or some originals are missing or altered (``verify``); details are in
  the output and, for a case, in its ``problems`` table;
- 2: usage error, or a fatal error: no such case, not a case, case busy, case not
  writable or its disk full, no input found for a new case.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement

from geotrace import api, cli_audit, cli_people
from geotrace.cli_console import (
    CaseOption,
    err,
    fatal_errors,
    out,
    plain_cells,
    write_table,
    writing,
)
from geotrace.errors import ColumnsError, InputError
from geotrace.present import text
from geotrace.present.basemap import DEFAULT_BUDGET
from geotrace.present.table import write_jsonl
from geotrace.sources import Refusal
from geotrace.sources.columns import COLUMN_NAMES

# Start-up: see the note in api.py.  Rich's progress and table modules are imported by the
# commands that draw them (``inspect --json`` off a terminal draws neither).
if TYPE_CHECKING:
    from geotrace.pipeline.stage import Progress as StageProgress

app = typer.Typer(
    help="Where and when: photo and video metadata as evidence, kept in a case.",
    epilog="Exit codes: 0 all read; 1 some items skipped or originals altered; 2 usage or fatal.",
    no_args_is_help=True,
    add_completion=False,
    # Markdown joins a docstring's wrapped lines into one paragraph; "rich" kept its line
    # breaks, which Rich then wrapped again mid-sentence.
    rich_markup_mode="markdown",
)
ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where stages compute: processes (a fork pool, the default), local (this"
        " process) or dask (a local cluster, or --scheduler).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="A Dask scheduler's address (tcp://host:8786), with --executor dask."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Worker processes of the pool or the local Dask cluster (default: one per core).",
    ),
]


class Format(StrEnum):
    """Output formats of ``sightings``."""

    jsonl = "jsonl"
    csv = "csv"
    geojson = "geojson"
    kml = "kml"
    parquet = "parquet"


#: A width no table reaches (Rich measures a table's natural width within it).
UNBOUNDED = 1_000_000


def _print_table(columns: Sequence[str], cells: list[list[str]], fold: int | None = None) -> None:
    """A table on stdout.  On a terminal Rich fits it to the window (column ``fold``
    folding); anywhere else (a pipe, a file, make demo, CI logs) it would cut every cell to
    80 columns (``2015-12-05T…``), so there the table is as wide as its widest row: every
    value whole, on one line, greppable, and written directly where the cells allow it
    (``cli_console.write_table``: Rich took 78 s for 100,000 accounts)."""
    if not out.is_terminal and (plain := plain_cells(cells)) is not None:
        write_table(columns, plain, out.file)
        return
    from rich.table import Column, Table

    table = Table(*(Column(c, overflow="fold") if i == fold else c for i, c in enumerate(columns)))
    for row in cells:
        table.add_row(*row)
    if out.is_terminal:
        out.print(table)
        return
    width = Measurement.get(out, out.options.update_width(UNBOUNDED), table).maximum
    Console(highlight=False, width=width, file=out.file).print(table)


@contextmanager
def _counting(label: str, unit: str) -> Iterator[Callable[[], None]]:
    """A running count on stderr while a terminal watches; elsewhere none, and Rich's
    progress module (and the table module it loads) is not even imported."""
    if not err.is_terminal:
        yield lambda: None
        return
    from rich.progress import MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn(label), MofNCompleteColumn(), TextColumn(unit))
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda: bar.advance(task)


def _refused(refusal: Refusal) -> None:
    err.print(
        f"[yellow]skipped[/yellow] {escape(refusal.path)}: {refusal.code}: "
        f"{escape(refusal.message)}"
    )


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file per line (see README).")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Reader processes (default: one per core).")
    ] = None,
) -> None:
    """Show where, when and by what each file was made; stores nothing."""
    rows: list[list[str]] = []
    skipped = 0
    with _counting("inspect", "files") as advance:
        read = api.inspect_json if as_json else api.inspect
        for found in read(paths, workers=workers):
            advance()
            if isinstance(found, Refusal):
                _refused(found)
                skipped += 1
            elif isinstance(found, str):
                sys.stdout.write(found + "\n")
            else:
                rows.append(text.inspect_row(found))
    if not as_json:
        _print_table(text.INSPECT_COLUMNS, rows, fold=0)
    raise typer.Exit(1 if skipped else 0)


def _name_pairs(text: str) -> dict[str, str]:
    """``lat=Latitude,lon=Longitude`` as a mapping (a column name may hold spaces)."""
    pairs = {}
    for part in text.split(","):
        name, eq, column = part.partition("=")
        if not eq or not name.strip() or not column.strip():
            raise ColumnsError(f"--columns: {part.strip()!r} is not name=column")
        pairs[name.strip()] = column.strip()
    return pairs


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders and zip archives.")],
    case: CaseOption,
    table_columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Read CSV/TSV/JSON Lines tables as your own points or posts: name=column"
            " pairs, e.g. lat=Latitude,lon=Longitude,at=Date,account=Unit,radius_m=Accuracy"
            " (names: " + ", ".join(COLUMN_NAMES) + ").",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="IANA zone of the tables' wall times (no offset), e.g. Europe/Kyiv; without"
            " it each row's own position gives the zone.",
        ),
    ] = None,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Keep every original in the case; record sightings and problems."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with fatal_errors():
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("ingest", total=None)
            reading: dict[str, TaskID] = {}

            def advance(path: str, done: int, total: int) -> None:
                name = escape(Path(path).name[-40:])
                bar.update(task, completed=done, total=total, description=name)

            def read_bytes(doc: str, done: int, total: int, posts: int) -> None:
                if doc not in reading:
                    reading[doc] = bar.add_task(escape(Path(doc).name[-30:]), total=total)
                label = f"{escape(Path(doc).name[-30:])}: {posts:,} posts"
                bar.update(reading[doc], completed=done, description=label)

            def staging(event: StageProgress) -> None:
                if event.stage not in reading:
                    reading[event.stage] = bar.add_task(event.stage, total=None)
                bar.update(reading[event.stage], completed=event.done, total=event.known)

            summary = api.ingest(
                paths,
                case,
                progress=advance,
                export_progress=read_bytes,
                stage_progress=staging,
                columns=None if table_columns is None else _name_pairs(table_columns),
                tz=tz,
                executor=executor,
                scheduler=scheduler,
                workers=workers,
            )
        for line in text.ingest_summary(summary, case, api.problem_counts(case)):
            out.print(line)
    raise typer.Exit(summary.exit_code)


@app.command()
def sightings(
    case: CaseOption,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.jsonl,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the sightings: JSON Lines, CSV, GeoJSON, KML or GeoParquet.

    GeoJSON is RFC 7946; KML carries the times for Google Earth's slider; GeoParquet needs
    -o and the parquet extra."""
    with fatal_errors():
        if fmt is Format.parquet:
            if output is None:
                raise InputError("parquet needs -o FILE")
            count = api.sightings(case, format=fmt.value, output=output)
        elif output is None:
            count = api.sightings(case, format=fmt.value)
        else:
            with writing(output) as f:
                count = api.sightings(case, format=fmt.value, output=f)
    if output is not None:
        err.print(f"{count} sightings written to {escape(str(output))}")


class PostFormat(StrEnum):
    """Output formats of ``posts``."""

    jsonl = "jsonl"
    csv = "csv"


@app.command()
def posts(
    case: CaseOption,
    account: Annotated[
        str | None,
        typer.Option(help="platform:id, id, @handle or name; also matches a chat or channel."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC date or instant.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Up to this UTC date or instant, inclusive.")
    ] = None,
    fmt: Annotated[PostFormat, typer.Option("--format", help="Output format.")] = (
        PostFormat.jsonl
    ),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the case's posts in time order, as JSON Lines or CSV.

    JSON Lines carries each post's raw item as the export had it."""

    def write(f: TextIO | None) -> int:
        return api.posts(
            case, account=account, since=since, until=until, format=fmt.value, output=f
        )

    with fatal_errors():
        if output is None:
            count = write(None)
        else:
            with writing(output) as f:
                count = write(f)
    err.print(f"{count} posts written" + (f" to {escape(str(output))}" if output else ""))


class CopiesFormat(StrEnum):
    """Output formats of ``copies``."""

    text = "text"
    jsonl = "jsonl"


@app.command()
def run(
    stages: Annotated[
        list[str],
        typer.Argument(help="Registered stages, in order (places, fingerprints, pairs)."),
    ],
    case: CaseOption,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Compute what the named stages lack; redo older versions' results.

    A stage computes only what is missing or was made by an older version of it; a run
    killed half-way is completed by the next."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with (
        fatal_errors(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar,
    ):
        tasks: dict[str, TaskID] = {}

        def staging(event: StageProgress) -> None:
            if event.stage not in tasks:
                tasks[event.stage] = bar.add_task(event.stage, total=None)
            bar.update(tasks[event.stage], completed=event.done, total=event.known)

        done = api.run(
            stages,
            case,
            executor=executor,
            scheduler=scheduler,
            workers=workers,
            progress=staging,
        )
    for summary in done:
        problems = ", ".join(f"{code} {n}" for code, n in sorted(summary.problems.items()))
        out.print(
            f"{summary.stage}: {summary.done} computed, {summary.failed} failed"
            + (f" ({escape(problems)})" if problems else "")
        )


@app.command()
def copies(
    case: CaseOption,
    image: Annotated[
        str | None,
        typer.Argument(help="A picture of the case: sha256 (or a prefix) or an ingested path."),
    ] = None,
    of: Annotated[
        Path | None, typer.Option("--of", help="An outside picture: its copies in the case.")
    ] = None,
    fmt: Annotated[CopiesFormat, typer.Option("--format", help="Output format.")] = (
        CopiesFormat.text
    ),
    deep: Annotated[
        bool,
        typer.Option(
            "--deep/--hashes-only",
            help="Also check, with local features, the pictures no hash joined (crops, tilts).",
        ),
    ] = True,
    executor: ExecutorOption = "processes",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Show groups of copies of a picture, in order of first appearance.

    Each group gives its appearances with time basis and uncertainty, the transformations
    seen, and the metadata each copy kept."""
    from rich.progress import Progress, TextColumn

    with (
        fatal_errors(),
        Progress(
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("copies: hashes")

        def checking(checks: int) -> None:
            bar.update(task, description=f"copies: {checks:,} pixel checks")

        found = api.copies(
            case,
            image,
            of=of,
            deep=deep,
            progress=checking,
            executor=executor,
            scheduler=scheduler,
            workers=workers,
        )
    if fmt is CopiesFormat.jsonl:
        write_jsonl(found, sys.stdout)
    else:
        for line in text.copies_groups(found):
            out.print(line)
    err.print(text.copies_count(found))


@app.command("map")
def map_(
    case: CaseOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")],
    title: Annotated[str | None, typer.Option(help="The page's title.")] = None,
    control: Annotated[
        Path | None, typer.Option(help="A control-of-territory layer (GeoJSON or KML).")
    ] = None,
    control_date: Annotated[
        str | None, typer.Option(help="The date of that layer, if its file does not say.")
    ] = None,
    basemap: Annotated[
        Path | None,
        typer.Option(help="Raster tiles to draw under the sightings (MBTiles or PMTiles)."),
    ] = None,
    basemap_budget: Annotated[
        float, typer.Option(help="MB of those tiles the page may carry.", min=0)
    ] = DEFAULT_BUDGET / 2**20,
) -> None:
    """Write the case's map: one HTML file that works offline.

    It has a time range, filters and a popup of evidence per sighting."""
    with fatal_errors(), writing(output) as f:
        summary = api.map(
            case,
            f,
            title=title,
            control=control,
            control_date=control_date,
            basemap=basemap,
            basemap_budget=basemap_budget,
        )
    if summary.folder:
        err.print(
            f"{summary.sightings} sightings, tiled: map written to {escape(str(output))},"
            f" its {summary.tiles} tiles to {escape(summary.folder)} (keep them together)"
        )
    else:
        err.print(
            f"{summary.sightings} sightings of {summary.accounts} accounts"
            f" ({summary.thumbnails} thumbnails): map written to {escape(str(output))}"
        )
    if summary.basemap:
        err.print(escape(summary.basemap))


@app.command()
def report(
    case: CaseOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")],
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help="Also print it to PDF beside the HTML (needs chromium)."),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that write a large report's pages (its accounts split among them).",
        ),
    ] = 1,
) -> None:
    """Write the evidence report: offline, printable HTML.

    It holds a summary, the sightings per account with maps, the methods, the problems,
    attribution and the chain of custody.  Above 10,000 sightings the file is an index
    and each account's sightings are in pages of 1,000 in a folder beside it
    (report_files/ for report.html), each page printable; --pdf then prints the index."""
    with fatal_errors(), writing(output) as f:
        summary = api.report(case, f, path=output, workers=workers)
    folder = output.with_name(f"{output.stem}_files")
    paged = f", its {summary.pages} pages in {folder}" if summary.pages else ""
    err.print(
        f"{summary.sightings} sightings of {summary.accounts} accounts:"
        f" report written to {escape(str(output))}{escape(paged)}"
    )
    if pdf:
        target = output.with_suffix(".pdf")
        if not api.report_pdf(output, target):
            err.print("this machine cannot render PDF (no chromium: apt-get install chromium)")
            raise typer.Exit(1)
        err.print(f"PDF written to {escape(str(target))}")
        if summary.pages:
            err.print(
                "the PDF holds the index: an account's sightings print from its pages"
                f" in {escape(str(folder))} (open one in a browser and print it)"
            )


@app.command()
def accounts(
    case: CaseOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the accounts in the case, with names, posts and sightings.

    Names are those seen over time; first and last post are UTC dates."""
    with fatal_errors():
        rows = api.accounts(case)
    if as_json:
        write_jsonl(rows, sys.stdout)
        return
    _print_table(text.ACCOUNT_COLUMNS, list(text.account_rows(rows)), fold=1)


@app.command()
def verify(case: CaseOption) -> None:
    """Re-hash every original; exit 1 if one is missing or altered."""
    with fatal_errors():
        report = api.verify(case)
    for sha in report.missing:
        out.print(f"[red]missing[/red]  {sha}")
    for sha in report.mismatched:
        out.print(f"[red]altered[/red]  {sha}")
    verdict = "[green]ok[/green]" if report.ok else "[red]FAILED[/red]"
    out.print(f"{report.checked} originals checked: {verdict}")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def resolve(
    csv_in: Annotated[Path, typer.Option("--csv", help="CSV with lat, lon[, radius_m] columns.")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write: the input plus places.")],
    control: Annotated[
        Path | None, typer.Option(help="Dated control-of-territory layer (GeoJSON or KML).")
    ] = None,
) -> None:
    """Answer your own table of points with their places.

    Each row gets its country de jure and de facto, oblast, settlement and time zone."""
    from rich.progress import MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("resolve"), MofNCompleteColumn(), TextColumn("rows"))
    with (
        fatal_errors(),
        Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar,
    ):
        task = bar.add_task("resolve", total=None)
        summary = api.resolve(
            csv_in, out, control=control, progress=lambda n: bar.update(task, completed=n)
        )
    message = f"{summary.rows} rows written to {out}"
    if summary.invalid:
        message += f"; {summary.invalid} rows without a readable position (see flags)"
    err.print(escape(message))
    raise typer.Exit(1 if summary.invalid else 0)


@app.command()
def regions(case: CaseOption) -> None:
    """Count sightings per country (de jure, de facto) and admin-1 unit.

    A row without a country says why in its name column (at sea, a suspect point)."""
    with fatal_errors():
        rows = api.regions(case)
    _print_table(text.REGION_COLUMNS, list(text.region_rows(rows)))


# Following people and reading their texts: commands of their own module, kept apart so
# that each module stays readable.
for _command in cli_people.COMMANDS:
    app.command()(_command)
app.add_typer(cli_people.subjects, name="subject")
# Auditing and scrubbing: the other side of the same reading.
for _audit_command in cli_audit.COMMANDS:
    app.command()(_audit_command)
