"""The Python API; the command line (``geotrace.cli``) is a thin layer over it, one to one.

>>> from geotrace import api
>>> summary = api.ingest(["photos/", "export.zip"], "inv.case")
>>> with open("sightings.geojson", "w") as out:
...     api.sightings("inv.case", format="geojson", output=out)
>>> api.verify("inv.case").ok
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, overload

from geotrace.api_audit import audit as audit
from geotrace.api_audit import scrub as scrub
from geotrace.api_people import crossings as crossings
from geotrace.api_people import links as links
from geotrace.api_people import silence as silence
from geotrace.api_people import stays as stays
from geotrace.api_people import subject as subject
from geotrace.api_people import together as together
from geotrace.api_people import tracks as tracks
from geotrace.api_text import mentions as mentions
from geotrace.errors import InputError, NoInput
from geotrace.evidence import FileReport, read_file, report_to_json
from geotrace.present.basemap import DEFAULT_BUDGET
from geotrace.sources import Refusal, ZipLimits, find_files

# Start-up (issue 15): a command imports what it uses when it runs, so that ``--help`` and
# ``inspect`` do not load OpenCV, Shapely, the map and report writers, nor the case store
# (SQLite, msgspec, the media store: ``_open_case``).  Only the metadata reader and the
# file walk are imported here.
if TYPE_CHECKING:
    from geotrace.ingest import IngestSummary
    from geotrace.ingest_export import ExportProgress
    from geotrace.pipeline.executors import Executor
    from geotrace.pipeline.stage import Progress, StageSummary
    from geotrace.places.table import TableSummary
    from geotrace.present.mapview import MapSummary
    from geotrace.present.report import ReportSummary
    from geotrace.sources.base import ExportReader
    from geotrace.store.case import Case

FORMATS = ("jsonl", "csv", "geojson", "kml")


def inspect(
    paths: Iterable[str | Path], *, workers: int | None = None
) -> Iterator[FileReport | Refusal]:
    """Read every file under the given files and folders; nothing is stored.

    Archives are not expanded here (``ingest`` does that): inspect shows files as they are.
    Files are read by ``workers`` processes (default: one per core) and yielded in the
    order they were found, so the output of a run is the same whatever the parallelism.
    """
    return _read_all(paths, workers, _inspect_one)


def inspect_json(
    paths: Iterable[str | Path], *, workers: int | None = None
) -> Iterator[str | Refusal]:
    """``inspect``, as the lines of ``inspect --json`` (README, "inspect --json format").

    Each line is serialised by the worker that read the file: shipping a string back
    costs a fraction of shipping the records (measured: 1.4x to 1.9x the single-process
    speed on two cores).
    """
    return _read_all(paths, workers, _inspect_json_one)


def _read_all(
    paths: Iterable[str | Path],
    workers: int | None,
    read: Callable[[Path | Refusal], _T],
) -> Iterator[_T]:
    n = workers if workers is not None else (os.cpu_count() or 1)
    found = find_files(paths)
    head = list(islice(found, PARALLEL_FROM))
    if n <= 1 or len(head) < PARALLEL_FROM:  # a pool costs more than a few files
        yield from (read(path) for path in chain(head, found))
        return
    # fork is cheap and the parent holds nothing a child could corrupt.  Paths go to the
    # pool a batch at a time: Pool.imap would otherwise list every path of the walk at once.
    from geotrace.geo import load_zones

    load_zones()
    with get_context("fork").Pool(n) as pool:
        batch = head
        while batch:
            yield from pool.imap(read, batch, chunksize=INSPECT_CHUNK)
            batch = list(islice(found, INSPECT_BATCH))


_T = TypeVar("_T")
#: Files per task sent to an inspect worker: large enough to amortise the hand-off.
INSPECT_CHUNK = 32
#: Paths handed to the pool at a time, which bounds the memory a huge walk can take.
INSPECT_BATCH = 4096
#: Fewer files than this are read in-process: forking and joining a pool costs ~0.1 s.
PARALLEL_FROM = 64


def _inspect_one(found: Path | Refusal) -> FileReport | Refusal:
    if isinstance(found, Refusal):
        return found
    try:
        return read_file(found)
    except Exception as exc:  # a reader bug costs this file, not the listing
        return Refusal(str(found), "reader_error", f"{type(exc).__name__}: {exc}")


def _inspect_json_one(found: Path | Refusal) -> str | Refusal:
    report = _inspect_one(found)
    if isinstance(report, Refusal):
        return report
    return json.dumps(report_to_json(report), ensure_ascii=False)


def _open_case(case: str | Path, *, write: bool = False, create: bool = False) -> Case:
    """The case, opened through the runner (a write-open makes every stage's tables);
    only ``ingest`` creates one (``create``): ``copies`` or ``run`` on a mistyped path must
    say there is no case, not leave an empty one there."""
    from geotrace.pipeline.runner import open_case

    return open_case(Path(case), write=write, create=create)


def ingest(
    paths: Iterable[str | Path],
    case: str | Path,
    *,
    limits: ZipLimits | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    export_progress: ExportProgress | None = None,
    stage_progress: Callable[[Progress], None] | None = None,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    workers: int | None = None,
) -> IngestSummary:
    """Ingest files, folders, zip archives and platform exports into a case (created if
    missing, unless none of the inputs exists: then ``NoInput`` is raised and nothing is
    made); see ``geotrace.ingest.ingest`` for the progress callbacks.

    ``columns`` reads every CSV/TSV/JSON Lines table as the user's own table of points or
    posts: name -> column, names from ``sources.columns.COLUMN_NAMES`` (``lat``, ``lon``,
    ``at``, ``account``, ``id``, ``text``, ``radius_m``, ``url``, ``platform`` …).  An
    ``at`` with ``Z`` or an offset, or in Unix seconds, is UTC; a wall time is read in
    ``tz`` (an IANA zone) when given, else in the zone of the row's own position, else kept
    with basis ``unknown_zone``.  A name it does not know, a column a given table lacks, or
    a ``tz`` that is no zone raise ``ColumnsError`` before anything is stored.

    The stages that end an ingest (places, fingerprints, ...) run on ``executor``:
    ``processes`` (a fork pool of ``workers``, the default), ``local`` (this process) or
    ``dask`` (a local cluster, or the scheduler at ``scheduler``).
    """
    from geotrace.ingest import ingest as _ingest
    from geotrace.store.case import is_case

    paths = list(paths)
    table = None if columns is None and tz is None else _user_table(paths, columns, tz)
    if not any(os.path.exists(p) for p in paths) and not is_case(Path(case)):
        named = ", ".join(str(p) for p in paths) or "no input given"
        raise NoInput(f"nothing to ingest ({named}: no such file or folder); no case made")
    with (
        _open_case(case, write=True, create=True) as opened,
        _executor(executor, scheduler, workers) as pool,
    ):
        return _ingest(
            opened, paths, limits, progress, export_progress, stage_progress, table, pool
        )


@contextmanager
def _executor(name: str, scheduler: str | None, workers: int | None) -> Iterator[Executor]:
    """The executor a command was given, closed when the command ends."""
    from geotrace.pipeline.executors import executor

    pool = executor(name, workers=workers, scheduler=scheduler)
    try:
        yield pool
    finally:
        pool.close()


def run(
    stages: Iterable[str],
    case: str | Path,
    *,
    executor: str = "processes",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> list[StageSummary]:
    """Bring the named registered stages up to date in a case, in the order given: what
    lacks a result of a stage's current version is computed (all of it after a version
    change; nothing when it is up to date); see ``geotrace.pipeline.runner``."""
    from geotrace.pipeline.registry import stage
    from geotrace.pipeline.runner import run_named

    chosen = [stage(name) for name in stages]
    with _open_case(case, write=True) as opened, _executor(executor, scheduler, workers) as pool:
        return run_named(opened, chosen, pool, progress)


def _user_table(
    paths: list[str | Path], columns: Mapping[str, str] | None, tz: str | None
) -> ExportReader:
    """The reader of ``ingest(columns=…, tz=…)``, checked against the tables given."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from geotrace.errors import ColumnsError
    from geotrace.geo import zone_at
    from geotrace.sources.base import SNIFF_BYTES
    from geotrace.sources.generic import WallClock, check_columns, user_table

    if columns is None:
        raise ColumnsError("--tz applies to the tables read with --columns")
    try:
        stated = ZoneInfo(tz) if tz is not None else None
    except (ZoneInfoNotFoundError, ValueError):
        raise ColumnsError(f"--tz: {tz!r} is no IANA time zone (e.g. Europe/Kyiv)") from None
    reader = user_table(columns, WallClock(stated, zone_at), tz or "zone of each row's position")
    for path in (Path(p) for p in paths):
        if path.is_file() and reader.sniff(path.name, b""):
            with path.open("rb") as f:
                check_columns(str(path), f.read(SNIFF_BYTES), columns)
    return reader


@overload
def posts(
    case: str | Path,
    *,
    account: str | None = None,
    since: str | None = None,
    until: str | None = None,
    raw: bool = False,
) -> Iterator[dict[str, Any]]: ...


@overload
def posts(
    case: str | Path,
    *,
    account: str | None = None,
    since: str | None = None,
    until: str | None = None,
    format: str,
    output: TextIO | None = None,
) -> int: ...


def posts(
    case: str | Path,
    *,
    account: str | None = None,
    since: str | None = None,
    until: str | None = None,
    raw: bool = False,
    format: str | None = None,
    output: TextIO | None = None,
) -> Iterator[dict[str, Any]] | int:
    """Posts in time order (see ``geotrace.store.post_queries.POST_FIELDS``), optionally of one
    account (``platform:id``, id, handle or name; also the posts in that chat or channel)
    and within ``since``/``until`` (UTC dates or instants, inclusive).

    Given a ``format``, as the ``posts`` command: written to ``output`` (default stdout) as
    ``jsonl`` (with each post's raw item) or ``csv``, and counted."""
    if format is None:
        return _posts(case, account, since, until, raw)
    from geotrace.present.table import write_csv, write_jsonl
    from geotrace.store.post_queries import POST_FIELDS

    if format not in ("jsonl", "csv"):
        raise InputError(f"unknown format {format!r}; one of jsonl, csv")
    rows = _posts(case, account, since, until, format == "jsonl")
    out = sys.stdout if output is None else output
    if format == "csv":
        return write_csv(rows, out, POST_FIELDS)
    return write_jsonl(rows, out)


def _posts(
    case: str | Path, account: str | None, since: str | None, until: str | None, raw: bool
) -> Iterator[dict[str, Any]]:
    from geotrace.store.post_queries import posts as _query

    with _open_case(case) as opened:
        yield from _query(opened, account, since, until, raw=raw)


def accounts(case: str | Path) -> list[dict[str, Any]]:
    """Every account in a case: names over time, posts, first/last post, sightings."""
    from geotrace.store.post_queries import accounts as _accounts

    with _open_case(case) as opened:
        return list(_accounts(opened))


@overload
def sightings(case: str | Path) -> list[dict[str, Any]]: ...


@overload
def sightings(
    case: str | Path, *, format: str, output: TextIO | str | Path | None = None
) -> int: ...


def sightings(
    case: str | Path,
    *,
    format: str | None = None,
    output: TextIO | str | Path | None = None,
) -> list[dict[str, Any]] | int:
    """Every sighting in a case, as flat dicts (see ``geotrace.places.queries.SIGHTING_FIELDS``).

    Given a ``format``, as the ``sightings`` command: written and counted, ``jsonl``,
    ``csv``, ``geojson`` or ``kml`` to the text stream ``output`` (default stdout), or
    ``parquet`` (GeoParquet 1.1, the ``parquet`` extra: pyarrow) to the path ``output``."""
    from geotrace.places import queries

    if format is None:
        with _open_case(case) as opened:
            return list(queries.sightings(opened.db))
    if format == "parquet":
        if not isinstance(output, str | Path):
            raise InputError("parquet is written to a file: give its path as output")
        from geotrace.present.parquet import write_parquet

        with _open_case(case) as opened:
            return write_parquet(queries.sightings(opened.db), Path(output))
    if isinstance(output, str | Path):
        raise InputError(f"{format} is written to a text stream: give an open file as output")
    return _write_sightings(case, format, sys.stdout if output is None else output)


def problem_counts(case: str | Path) -> dict[str, int]:
    """Problems recorded in a case, by code."""
    with _open_case(case) as opened:
        return opened.problem_counts()


def regions(case: str | Path) -> list[dict[str, Any]]:
    """Sightings per de jure country, de facto country and admin-1 unit."""
    from geotrace.places import queries

    with _open_case(case) as opened:
        return queries.regions(opened.db)


def resolve(
    csv: str | Path,
    out: str | Path,
    *,
    control: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> TableSummary:
    """Answer a ``lat,lon[,radius_m]`` CSV's rows with their places, written to the CSV
    ``out`` (see places.table)."""
    from geotrace.places import ControlLayer
    from geotrace.places.table import resolve_table
    from geotrace.present.table import write_csv

    layer = ControlLayer.load(Path(control)) if control is not None else None
    with (
        open(csv, newline="", encoding="utf-8-sig") as fin,
        open(out, "w", newline="", encoding="utf-8") as fout,
    ):
        try:
            table = resolve_table(fin, control=layer, progress=progress)
            write_csv(table.rows, fout, table.columns)
        except UnicodeDecodeError as exc:  # not a text table: nothing to answer
            raise InputError(f"{csv} is not a UTF-8 CSV table: {exc}") from exc
        return table.summary


def _write_sightings(case: str | Path, fmt: str, out: TextIO) -> int:
    from geotrace.places import queries

    with _open_case(case) as opened:
        rows = queries.sightings(opened.db)
        if fmt == "geojson":
            from geotrace.present.geojson import write_geojson

            return write_geojson(rows, out)
        if fmt == "csv":
            from geotrace.places.queries import SIGHTING_FIELDS
            from geotrace.present.table import write_csv

            return write_csv(rows, out, SIGHTING_FIELDS)
        if fmt == "jsonl":
            from geotrace.present.table import write_jsonl

            return write_jsonl(rows, out)
        if fmt == "kml":
            from geotrace.present.kml import write_kml

            return write_kml(rows, out)
    raise InputError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def copies(
    case: str | Path,
    image: str | None = None,
    *,
    of: str | Path | None = None,
    deep: bool = True,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Groups of copies in a case, largest first: every group, or the group of one
    picture of the case (``image``: its sha256, a prefix of it, or a path it was
    ingested from), or the copies in the case of an outside picture (``of``).  Each
    group gives its files with the metadata each kept, every appearance in time order
    with its basis and delay after the first, the first and those that could be first,
    and the evidence of every edge (hash distance, pixel check, transformation seen).
    ``deep`` also checks, with local features, the pictures no hash joined;
    ``progress(checks)`` is called as the pixel checks of a whole-case search go on; they
    run on ``executor`` (see :func:`ingest`)."""
    from geotrace.analysis.find_copies import (
        copies_of_file,
        described,
        find_all,
        find_of,
        stored_path,
    )
    from geotrace.evidence.fingerprint import ImageError, decode, fingerprint_image
    from geotrace.evidence.layout import layout_of

    with _open_case(case, write=True) as opened:
        if of is None and image is None:
            with _executor(executor, scheduler, workers) as pool:
                return described(opened, find_all(opened, pool, deep, progress))
        try:
            if of is not None:
                return copies_of_file(opened, Path(of))
            sha = _member(opened, str(image))
            path = stored_path(opened, sha)
            small, size = decode(path)
        except (OSError, ImageError) as exc:  # an --of that cannot be read as a picture
            raise InputError(f"cannot read {of or image} as a picture: {exc}") from exc
        fp = fingerprint_image(small, size)
        found = find_of(opened, fp, path, layout_of(small, fp), sha)
        return described(opened, found)


def _member(case: Case, image: str) -> str:
    """The sha256 of a picture of the case named by sha256, prefix or ingested path."""
    if len(image) >= 8 and all(c in "0123456789abcdef" for c in image.lower()):
        rows = case.db.execute(
            "SELECT sha256 FROM media WHERE sha256 >= ? AND sha256 < ? LIMIT 2",
            (image.lower(), image.lower() + "g"),
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
    row = case.db.execute(
        "SELECT sha256 FROM sources WHERE path = ? OR path = ? LIMIT 1",
        (image, os.path.abspath(image)),
    ).fetchone()
    if row is None:
        raise InputError(f"{image!r} is neither a sha256 nor a path of a file in the case")
    return str(row[0])


def map(
    case: str | Path,
    output: TextIO,
    *,
    title: str | None = None,
    control: str | Path | None = None,
    control_date: str | None = None,
    basemap: str | Path | None = None,
    basemap_budget: float = DEFAULT_BUDGET / 2**20,
) -> MapSummary:
    """Write the case's map: one self-contained HTML file that works offline (country
    outlines de jure and de facto, sightings with their uncertainty circles, tracks per
    account, a time range, filters, a popup per sighting), optionally over a dated
    control-of-territory layer (GeoJSON or KML) and the user's raster tiles (MBTiles or
    PMTiles: the zoom levels that fit ``basemap_budget`` MB travel inside the page).

    The layers of people (impossible legs, stays and bases, crossings, meetings, silent
    accounts; see :func:`geotrace.api_people.layers`) are brought up to date first, each a layer to
    switch.  The layers are read before anything is written: a file that cannot serve
    raises ``ControlLayerError`` or ``BasemapError`` (both ``ValueError``) with the reason.

    Past 50,000 sightings (``present.maptiles.TILED_ABOVE``) the map is ``output`` and a
    folder of tiles beside it (``map.html``, ``map_files/``): bubbles of counts at low zoom,
    the sightings themselves zoomed in, a search by sighting id; without thumbnails or the
    layers of people, which are then not computed."""
    from geotrace.api_people import layers as people_layers
    from geotrace.places import ControlLayer
    from geotrace.present.basemap import open_tileset
    from geotrace.present.maptiles import case_map, tiled

    layer = ControlLayer.load(Path(control), control_date) if control is not None else None
    people = None if tiled(case) else people_layers(case)
    tiles = open_tileset(Path(basemap)) if basemap is not None else None
    try:
        return case_map(
            Path(case),
            output,
            title=title,
            control=layer,
            basemap=tiles,
            basemap_budget=int(basemap_budget * 2**20),
            people=people,
        )
    finally:
        if tiles is not None:
            tiles.close()


def report(
    case: str | Path,
    output: TextIO,
    *,
    settings: Mapping[str, object] | None = None,
    path: str | Path | None = None,
    workers: int = 1,
) -> ReportSummary:
    """Write the evidence report of a case: one self-contained, offline HTML file (summary,
    per account a map, a timeline of stays, crossings, impossible legs, meetings and
    silences with their evidence, and every sighting's evidence; methods, problems,
    attribution, chain of custody); the same case gives the same bytes.

    ``path`` is the file ``output`` becomes: given, a case of more than 10,000 sightings
    (``report_pages.PAGED_ABOVE``) is written as an index to ``output`` and each account's
    pages of at most 1,000 sightings in the folder beside it (``report_files/`` for
    ``report.html``), by ``workers`` processes; the summary's ``pages`` counts the files
    there (0 for one file)."""
    from geotrace.api_people import layers as people_layers
    from geotrace.present.report import write_report
    from geotrace.present.report_pages import write_report_at

    people = people_layers(case)
    with _open_case(case) as opened:
        if path is None:
            return write_report(opened, output, settings=settings, people=people)
        return write_report_at(
            opened, output, Path(path), settings=settings, people=people, workers=workers
        )


def report_pdf(html: str | Path, pdf: str | Path) -> bool:
    """Print a report to PDF with headless Chromium; False where the machine cannot."""
    from geotrace.present.report import html_to_pdf

    return html_to_pdf(Path(html), Path(pdf))


@dataclass(slots=True)
class VerifyReport:
    """The outcome of re-hashing every stored original."""

    checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every original is present and hashes to its name."""
        return not self.mismatched and not self.missing


def verify(case: str | Path) -> VerifyReport:
    """Re-hash every original the case holds; report the missing and the altered."""
    from geotrace.store.media import hash_stream

    report = VerifyReport()
    with _open_case(case) as opened:
        for sha, _size, stored in opened.originals():
            report.checked += 1
            try:
                with stored.open("rb") as f:
                    actual, _ = hash_stream(f)
            except FileNotFoundError:
                report.missing.append(sha)
                continue
            if actual != sha:
                report.mismatched.append(sha)
    return report
