"""Ingest: items from the read stage -> originals in the media store -> rows in the case.

The order per item is what makes a kill harmless: (1) the original is copied into the
media store atomically, (2) it is read from the stored copy (so the metadata describes
exactly the bytes kept), (3) all its rows go into the case in one transaction.  A kill
before (3) leaves at most an original with no rows, which the re-run finds and records.

One bad item never stops the run: any error while reading it becomes a problem record.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geotrace import ingest_read
from geotrace.errors import GeotraceError
from geotrace.evidence.reader import READER_VERSION
from geotrace.ingest_export import (
    READER as EXPORT_READER,
)
from geotrace.ingest_export import (
    ExportProgress,
    ingest_root,
    read_export,
    reader_for,
    referenced_item,
    version_of,
)
from geotrace.pipeline.executors import Executor, Processes
from geotrace.pipeline.registry import stages
from geotrace.pipeline.runner import ProgressCallback, prepare, run_after_ingest
from geotrace.pipeline.stage import Stage, StageSummary
from geotrace.records import REFUSAL, Media, MediaMetadata, Problem, Sighting, Source
from geotrace.sources import Item, Refusal, ZipLimits, find_files
from geotrace.sources.base import ExportReader
from geotrace.sources.folder import expand
from geotrace.store.case import Case
from geotrace.store.media import Blob, Staged, TooLarge, hash_stream

READER = "geotrace.evidence"


@dataclass(slots=True)
class IngestSummary:
    """What one ingest run did; ``skipped`` counts items that could not be kept or read."""

    files: int = 0
    items: int = 0
    new_sources: int = 0
    new_media: int = 0
    new_sightings: int = 0
    skipped: int = 0
    exports: int = 0
    posts: int = 0
    new_posts: int = 0
    new_links: int = 0
    media_linked: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    #: What each stage run at the end of the ingest did, by stage name.
    stages: dict[str, StageSummary] = field(default_factory=dict)

    def done(self, stage: str) -> int:
        """Items the stage called ``stage`` computed in this run (0 if it did not run)."""
        found = self.stages.get(stage)
        return 0 if found is None else found.done

    @property
    def placed(self) -> int:
        """Sightings placed in this run."""
        return self.done("places")

    @property
    def fingerprinted(self) -> int:
        """Pictures and videos fingerprinted in this run."""
        return self.done("fingerprints")

    @property
    def fingerprint_failed(self) -> int:
        """Pictures and videos that could not be fingerprinted in this run."""
        found = self.stages.get("fingerprints")
        return 0 if found is None else found.failed

    @property
    def exit_code(self) -> int:
        """0 when every item was kept and read, 1 when some were skipped (see README)."""
        return 1 if self.skipped else 0


def read_stored(blob: Blob, name: str) -> tuple[MediaMetadata, dict[str, Any]]:
    """Metadata of a stored original, and its public JSON form; never raises (see
    :func:`geotrace.ingest_read.read_stored`)."""
    meta, public = ingest_read.read_stored(blob.path, blob.sha256, blob.size, name)
    return meta, public


def _known_file(
    case: Case, item: Item, version: str, stat: os.stat_result | None = None
) -> tuple[str, int] | None:
    """(sha256, size) of a plain file already in the case, read by this reader version.

    Hashing in place first spares a re-run from copying every file again.  Given the
    file's ``stat``, only a path the case already holds a source of that size for is
    hashed: a new file would be read twice, once to hash it, once to copy it (the copy
    is hashed too, and dropped when its bytes turn out to be in the case).
    """
    if item.kind == "archive_member":
        return None
    if stat is not None and not case.has_source(item.path, stat.st_size):
        return None
    with item.open() as stream:
        sha, size = hash_stream(stream)
    if case.media_reader_version(sha) == version and case.media.has(sha):
        return sha, size
    return None


def ingest_item(
    case: Case,
    item: Item,
    summary: IngestSummary,
    root: str = "/",
    export_progress: ExportProgress | None = None,
    table: ExportReader | None = None,
    group: MediaGroup | None = None,
) -> None:
    """Keep, read and record one item (see the module docstring for the order).

    An export document (read by the reader ``sources.registry`` picks) is kept the same
    way and then streamed into posts; ``root`` bounds the files its posts may name;
    ``table`` reads the user's own tables (``ingest --columns``).  A document no reader
    claims is kept as an original and recorded as not read (``export_unrecognised``),
    every run it is met.
    A media item joins ``group`` (recorded when the group is flushed), or is recorded
    at once as a group of one.
    """
    found = reader_for(item, table)
    if isinstance(found, ExportReader):
        _ingest_export(case, item, found, summary, root, export_progress)
        return
    own = group or MediaGroup(case, summary)
    own.add(item, () if found is None else (found,))
    if group is None:
        own.flush()
        own.finish()


#: A group commit holds at most this many items (refusals included) or staged bytes: a
#: kill redoes at most one group, and ``tmp/`` never holds more than this.
GROUP_ITEMS = 1_000
GROUP_BYTES = 64 * 2**20
#: While a group is read on the executor the next one is staged: smaller groups keep the
#: workers busy from the start and the parent's syncs in the shadow of their work
#: (bench/ingest_pictures.py: ~180 pictures of ~90 KB cost two syncs and a commit, a few
#: ms, against ~0.35 s of reading and fingerprints on two workers).  Tiny files keep the
#: item limit: their cost is the syncs.
READ_GROUP_BYTES = 16 * 2**20


#: What :meth:`Case.record_many` writes for one item.
ItemRows = tuple[Source, Media | None, Sighting | None, tuple[Problem, ...]]


@dataclass(frozen=True, slots=True)
class _Kept:
    """A media item whose bytes are staged (or already in the case), its rows to come."""

    item: Item
    sha256: str
    size: int
    staged: Staged | None
    notes: tuple[Problem, ...]  # about the source, not its bytes: recorded whatever the reading


@dataclass(slots=True)
class _Placed:
    """A group whose originals are durable and in place, being read: its rows to write."""

    kept: list[_Kept]
    refused: list[tuple[str, str, Problem]]
    reads: dict[int, int]  # index in ``kept`` -> index in the reads
    results: Future[list[ingest_read.Read]] | list[ingest_read.Read]


class MediaGroup:
    """Media items kept and recorded together (a group commit).

    Each item's bytes are staged as it is met (an archive member's stream lives only
    while its archive is open); :meth:`flush` makes every staged original durable with
    two filesystem syncs and moves them into place; then they are read from their
    stored copies (on ``executor`` when one is given: see :mod:`geotrace.ingest_read`)
    while the next group is staged, and all their rows, with the refusals met meanwhile,
    are written in one transaction, by :meth:`finish` (called by the next flush).  The
    kill rule holds for a group as for one item: no row before its original is durable,
    and a re-run finds what a kill left (originals with no rows) and records it.
    100,000 ten-byte members took 568 s with two fsyncs and a transaction per item, 26 s
    in groups (``bench/archive.py``, 2-core VM).
    """

    def __init__(
        self, case: Case, summary: IngestSummary, executor: Executor | None = None
    ) -> None:
        self.case = case
        self.summary = summary
        self.executor = executor
        self._kept: list[_Kept] = []
        self._refused: list[tuple[str, str, Problem]] = []
        self._bytes = 0
        self._placed: _Placed | None = None
        self.prints = _print_stage() if executor is not None else None
        #: What the fingerprints computed while reading gave (merged into the stage's).
        self.printed = StageSummary("fingerprints")

    @property
    def full(self) -> bool:
        """Whether the group should be flushed before it takes more."""
        size = GROUP_BYTES if self.executor is None else READ_GROUP_BYTES
        return len(self._kept) + len(self._refused) >= GROUP_ITEMS or self._bytes >= size

    def add(self, item: Item, notes: tuple[Problem, ...] = ()) -> None:
        """Stage one media item's bytes (or find them in the case); raises what reading
        the input raises, leaving nothing behind for this item.  ``notes`` (and a
        change met while reading) are problems of the source, each counted as skipped:
        the item is kept, but not all of it was read as it is."""
        before = _stat_before(item)
        known = _known_file(self.case, item, READER_VERSION, before)
        staged = None
        if known is not None:
            sha, size = known
        else:
            staged = self.case.media.stage(item.open, item.max_bytes)
            sha, size = staged.sha256, staged.size
            self._bytes += size
        changed = _changed_while_read(item, before, size)
        if changed is not None:
            notes += (changed,)
        self.summary.skipped += len(notes)
        self.summary.problems.update(note.code for note in notes)
        self._kept.append(_Kept(item, sha, size, staged, notes))

    def refuse(self, refusal: Refusal) -> None:
        """An input that was not read, recorded with the group (see :func:`refuse`)."""
        self._refused.append(("", refusal.path, Problem(refusal.code, refusal.message)))
        self.summary.skipped += 1
        self.summary.problems[refusal.code] += 1

    def flush(self) -> None:
        """Make the group's originals durable, start reading them, and record the group
        before (this one is recorded by the next flush, or :meth:`finish`).

        An error here is the case's (its disk, its database), never one input's: it
        propagates, and the group's staged copies are removed.
        """
        kept, refused = self._kept, self._refused
        self._kept, self._refused, self._bytes = [], [], 0
        if not kept and not refused:
            return
        staged = [k.staged for k in kept if k.staged is not None]
        # One file: its own two fsyncs cost less than flushing the whole filesystem.
        blobs = iter(self.case.media.put_many(staged, sync=len(staged) > 1))
        before = self._placed
        # Bytes the group before is reading get their media row with it: not read twice.
        reading = set() if before is None else {before.kept[i].sha256 for i in before.reads}
        jobs: list[ingest_read.ReadJob] = []
        reads: dict[int, int] = {}
        for i, k in enumerate(kept):
            blob = None if k.staged is None else next(blobs)
            if blob is None or blob.sha256 in reading:
                continue
            reading.add(blob.sha256)  # the same bytes twice in a group are read once
            if self.case.media_reader_version(blob.sha256) == READER_VERSION:
                continue
            reads[i] = len(jobs)
            jobs.append(
                ingest_read.ReadJob(
                    str(blob.path), k.item.path, blob.sha256, blob.size, self.prints is not None
                )
            )
        results: Future[list[ingest_read.Read]] | list[ingest_read.Read]
        if self.executor is None:
            results = [ingest_read.read_one(job) for job in jobs]
        else:
            results = ingest_read.read_later(self.executor, jobs)
        # The group before is recorded while this one is read: the workers never wait
        # for the parent's transaction.
        try:
            self.finish()
        finally:
            self._placed = _Placed(kept, refused, reads, results)

    def finish(self) -> None:
        """Write the rows of the group being read, in one transaction (waiting for its
        reading to end); a no-op when there is none."""
        placed, self._placed = self._placed, None
        if placed is None:
            return
        results = placed.results
        reads = results if isinstance(results, list) else results.result()
        rows: list[ItemRows] = []
        refused = placed.refused
        for i, k in enumerate(placed.kept):
            source = Source(
                k.item.path, k.item.kind, k.size, k.sha256, READER, READER_VERSION, k.item.container
            )
            at = placed.reads.get(i)
            if at is None:
                rows.append((source, None, None, ()))
            else:
                read = reads[at]
                self.summary.problems.update(p.code for p in read.problems)
                rows.append((source, read.media, read.sighting, read.problems))
            refused.extend((k.sha256, k.item.path, note) for note in k.notes)
        prints = [r.fingerprint for r in reads if r.fingerprint is not None]
        stage = self.prints

        def write_prints(db: sqlite3.Connection) -> None:
            if stage is not None and prints:
                found = stage.write(db, prints)
                self.printed.done += len(prints)
                self.printed.failed += sum(found.values())
                self.printed.problems.update(found)

        for written in self.case.record_many(rows, refused, write_prints):
            self.summary.new_sources += written.new_source
            self.summary.new_media += written.new_media
            self.summary.new_sightings += written.new_sighting

    def abandon(self) -> None:
        """Forget the group being read, once its reading has ended (the run failed: its
        originals are in place without rows, which the re-run records)."""
        placed, self._placed = self._placed, None
        if placed is not None and not isinstance(placed.results, list):
            placed.results.exception()  # waits; what it raised no longer matters


def _print_stage() -> Stage[Any, Any] | None:
    """The fingerprint stage when an ingest ends with it (then pictures are fingerprinted
    as they are read, and the stage finds them done); None when it is not registered."""
    from geotrace.evidence.fingerprint_stage import Fingerprints

    found = stages().get("fingerprints")
    if isinstance(found, Fingerprints) and found.after_ingest:
        return found
    return None


def _stat_before(item: Item) -> os.stat_result | None:
    """A file's stat before it is read; None for an archive member (its CRC guards it)
    or a file already gone (opening it will say so)."""
    if item.container is not None:
        return None
    try:
        return os.stat(item.path)
    except OSError:
        return None


def _changed_while_read(item: Item, before: os.stat_result | None, size: int) -> Problem | None:
    """Why the bytes read may not be the file as it is, if its size or modification
    time moved during the read, or the read gave another size than the stat said."""
    if before is None:
        return None
    try:
        after = os.stat(item.path)
        now = f"now {after.st_size} bytes"
        same = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    except OSError as exc:
        now, same = f"now unreadable ({exc.strerror})", False
    if same and size == before.st_size:
        return None
    return Problem(
        "changed_while_read",
        f"the file changed while it was read ({before.st_size} bytes before, {now}): "
        f"the original kept is the {size} bytes read",
    )


def _ingest_export(
    case: Case,
    item: Item,
    reader: ExportReader,
    summary: IngestSummary,
    root: str,
    progress: ExportProgress | None,
) -> None:
    summary.exports += 1
    version = version_of(reader)
    known = _known_file(case, item, version)
    if known is not None:  # read whole before: only a new name for the same bytes
        sha, size = known
        source = Source(item.path, item.kind, size, sha, EXPORT_READER, version, item.container)
        summary.new_sources += case.record(source, None, None, ()).new_source
        return
    before = _stat_before(item)
    blob = case.media.put(item.open, item.max_bytes)
    changed = _changed_while_read(item, before, blob.size)
    if changed is not None:  # the posts are read from the bytes kept, and say which
        case.refuse(item.path, changed, blob.sha256)
        summary.skipped += 1
        summary.problems[changed.code] += 1
    if case.media_reader_version(blob.sha256) == version:
        source = Source(
            item.path, item.kind, blob.size, blob.sha256, EXPORT_READER, version, item.container
        )
        summary.new_sources += case.record(source, None, None, ()).new_source
        return

    def refused(location: str, problem: Problem) -> None:
        summary.skipped += problem.severity == REFUSAL  # a note leaves the exit code alone
        summary.problems[problem.code] += 1

    counts = read_export(case, item, blob, reader, root, refused, progress)
    summary.new_sources += 1
    summary.new_media += 1
    summary.posts += counts.posts
    summary.new_posts += counts.new_posts
    summary.new_sightings += counts.new_sightings
    summary.new_links += counts.links


def refuse(
    case: Case, refusal: Refusal, summary: IngestSummary, group: MediaGroup | None = None
) -> None:
    """Record an item that was not read, as a problem: with ``group``'s rows when one is
    given (an archive of 100,000 corrupt members is not 100,000 transactions)."""
    if group is not None:
        group.refuse(refusal)
        return
    case.refuse(refusal.path, Problem(refusal.code, refusal.message))
    summary.skipped += 1
    summary.problems[refusal.code] += 1


def ingest(
    case: Case,
    paths: Iterable[str | Path],
    limits: ZipLimits | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    export_progress: ExportProgress | None = None,
    stage_progress: ProgressCallback | None = None,
    table: ExportReader | None = None,
    executor: Executor | None = None,
) -> IngestSummary:
    """Ingest files, folders and zip archives into an open (writable) case.

    ``progress(path, done, total)`` is called after each file found on disk (an archive
    counts as one file, however many members it holds); ``export_progress(document,
    bytes read, bytes in all, posts)`` after each batch of posts an export document gives.
    Files that posts name and the walk did not meet (the user gave ``result.json``, not
    its folder) are ingested after the walk, then posts are linked to their media.
    Each group of originals is read (and its pictures fingerprinted) on ``executor``
    (default: a fork pool; see :mod:`geotrace.ingest_read`) while the next is copied.
    Last come the registered stages that end an ingest (places of new sightings,
    fingerprints of what the reading left, ...), on the same executor, with
    ``stage_progress(event)`` after each page.  ``table`` reads every CSV/TSV/JSON Lines
    table met (``sources.generic.user_table``).
    """
    summary = IngestSummary()
    files: list[tuple[Path, str]] = []
    for given in paths:
        root = ingest_root(str(given))
        if os.path.exists(given):  # an earlier run's "not found" no longer holds
            case.clear_refusals(os.path.abspath(given))
        for found in find_files([os.path.abspath(given)], skip=case.own_files()):
            if isinstance(found, Refusal):
                refuse(case, found, summary)
            else:
                files.append((found, root))
    running = executor or Processes()
    try:
        running.start()  # before the reading thread gives it work (Processes.start)
        printed = _walk(case, files, summary, limits, progress, export_progress, table, running)
        case.ensure_indexes()
        for stage in run_after_ingest(case, running, stage_progress):
            if stage.stage == printed.stage:  # the pictures fingerprinted as they were read
                stage.done += printed.done
                stage.failed += printed.failed
                stage.problems.update(printed.problems)
            summary.stages[stage.stage] = stage
            summary.problems.update(stage.problems)
    finally:
        if executor is None:
            running.close()
    return summary


def _walk(
    case: Case,
    files: list[tuple[Path, str]],
    summary: IngestSummary,
    limits: ZipLimits | None,
    progress: Callable[[str, int, int], None] | None,
    export_progress: ExportProgress | None,
    table: ExportReader | None,
    executor: Executor,
) -> StageSummary:
    """Every file found, then the files posts name, their media read on ``executor``;
    what the fingerprints computed while reading gave."""
    group = MediaGroup(case, summary, executor)
    try:
        _walk_group(case, files, summary, limits, progress, export_progress, table, group)
    except BaseException:
        group.abandon()
        raise
    return group.printed


def _walk_group(
    case: Case,
    files: list[tuple[Path, str]],
    summary: IngestSummary,
    limits: ZipLimits | None,
    progress: Callable[[str, int, int], None] | None,
    export_progress: ExportProgress | None,
    table: ExportReader | None,
    group: MediaGroup,
) -> None:
    if group.prints is not None:
        prepare(case, group.prints)  # its rows are written with the media's
    for done, (path, root) in enumerate(files, start=1):
        summary.files += 1
        for entry in expand(path, limits or ZipLimits()):
            _ingest_entry(case, entry, summary, root, export_progress, table, group)
            if group.full:
                group.flush()
        if progress is not None:
            progress(str(path), done, len(files))
    group.flush()
    group.finish()
    if summary.exports:
        summary.media_linked = case.link_post_media()
        page = case.unlinked_media_paths()
        while page:
            for named in page:
                item = referenced_item(named)
                if item is not None:
                    summary.files += 1
                    _ingest_entry(case, item, summary, "/", None, group=group)
                    if group.full:
                        group.flush()
            group.flush()
            group.finish()
            page = case.unlinked_media_paths(after=page[-1])
        summary.media_linked += case.link_post_media()


def _ingest_entry(
    case: Case,
    entry: Item | Refusal,
    summary: IngestSummary,
    root: str,
    export_progress: ExportProgress | None,
    table: ExportReader | None = None,
    group: MediaGroup | None = None,
) -> None:
    """One item of the walk, with every failure of the input turned into a refusal;
    media items and the walk's refusals join ``group`` when one is given."""
    if isinstance(entry, Refusal):
        refuse(case, entry, summary, group)
        return
    summary.items += 1
    try:
        ingest_item(case, entry, summary, root, export_progress, table, group)
    except (sqlite3.Error, GeotraceError):
        raise  # the case itself failed (its disk is full...): fatal, not one bad item
    except TooLarge as exc:
        refuse(case, Refusal(entry.path, "archive_size_mismatch", str(exc)), summary, group)
    except Exception as exc:  # unreadable input: I/O error, zip CRC, bad compression
        code = "archive_member_unreadable" if entry.container else "unreadable"
        refused = Refusal(entry.path, code, f"{type(exc).__name__}: {exc}")
        refuse(case, refused, summary, group)
