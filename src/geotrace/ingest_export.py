"""Ingest one export document: keep its bytes, stream its posts into the case in batches.

The document is an original like any photo: it goes into the media store first and is
read from the stored copy, so every post row points at bytes the case holds.  Posts are
written a batch at a time (one transaction each); the document's media row stays marked
incomplete until the last batch is in, so a kill part-way makes the next run read the
document again, and the keyed inserts make that re-read add only what was missing.  A
document already read whole by the same reader version is not read again at all: a
re-ingest of an export costs one hash.

Files the posts name (Telegram's ``photos/…``, an X archive's ``tweets_media/…``) are
resolved against the document's folder and kept only inside what the user chose to
ingest: a hostile export cannot make the case copy ``../../../home/user/.ssh/id_rsa``.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import pickle
import posixpath
import queue
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast

import msgspec

from geotrace.evidence.geotags import sightings_from_post
from geotrace.pipeline.executors import die_with_parent
from geotrace.records import Account, Link, Media, MediaRef, Post, Problem, Source, iso
from geotrace.sources import Item
from geotrace.sources.archive import ZipLimits, member_refusal, overlaps
from geotrace.sources.base import SNIFF_BYTES, ExportFile, ExportReader, Settlement
from geotrace.sources.generic import TABLE_SUFFIXES
from geotrace.sources.registry import detect, export_suffixes, reader_names
from geotrace.store.case import Case
from geotrace.store.media import Blob
from geotrace.store.post_rows import AccountSeen, LinkRow, MediaLink, PostBundle

READER = "geotrace.sources"

#: Posts per write transaction: large enough that the disk syncs do not dominate, small
#: enough that a batch's memory is a few megabytes.
POST_BATCH = 5_000
#: ... and at most about this many characters of raw items and text: 5,000 tweets with
#: their includes are 20 MB, four times what a batch of Telegram messages holds, and a
#: batch is held three times over (being read, crossing the pipe, being written).
BATCH_CHARS = 4_000_000

#: Documents at least this large are read in a second process (see :func:`_forked`);
#: below it, starting one costs more than it saves.
FORK_FROM = 8 * 2**20


#: Placeholder recorded for a file a post names outside the folder given to ingest.
OUTSIDE = "not read: the path leaves the folder given to ingest"

#: ``progress(document, bytes read, bytes in all, posts so far)``
ExportProgress = Callable[[str, int, int, int], None]


@dataclass(slots=True)
class ExportCounts:
    """What reading one document added, for the ingest summary."""

    posts: int = 0
    new_posts: int = 0
    new_sightings: int = 0
    links: int = 0
    refused: int = 0


#: How an unclaimed document is named in its problem, by suffix (an installed reader's
#: own suffix is named as such: see :func:`reader_for`).
DOCUMENT_KINDS = {
    ".json": "JSON document",
    ".jsonl": "JSON Lines document",
    ".ndjson": "JSON Lines document",
    ".js": "JavaScript document",
    ".csv": "CSV table",
    ".tsv": "TSV table",
    ".plt": "PLT track",
}


def reader_for(item: Item, table: ExportReader | None = None) -> ExportReader | Problem | None:
    """The export reader for an item, from its name and first bytes; None for media.

    ``table`` is the reader of the user's own tables (``ingest --columns``): it takes
    every CSV/TSV/JSON Lines document.  A JSON, JS or table document that no reader
    claims is a problem (``export_unrecognised``): it is still kept as an original, but
    it was given to be read and was not, and the user must hear of it.
    """
    name = item.path.rsplit("!/", 1)[-1]
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in export_suffixes():
        return None
    if table is not None and table.sniff(name, b""):
        return table
    with item.open() as stream:
        head = stream.read(SNIFF_BYTES)
    reader = detect(name, head)
    if reader is not None:
        return reader
    hint = "; a table of your own is read with ingest --columns" if suffix in TABLE_SUFFIXES else ""
    return Problem(
        "export_unrecognised",
        f"{DOCUMENT_KINDS.get(suffix, f'{suffix} document')} not recognised as any export format"
        f" (tried: {', '.join(reader_names())}){hint}",
    )


def version_of(reader: ExportReader) -> str:
    """The reader version recorded with a document's source and media rows."""
    return f"{reader.name}/{reader.version}"


def read_export(
    case: Case,
    item: Item,
    blob: Blob,
    reader: ExportReader,
    root: str,
    problems: Callable[[str, Problem], None],
    progress: ExportProgress | None = None,
) -> ExportCounts:
    """Stream a stored export document's records into the case (see the module docstring).

    ``problems(location, problem)`` is told of every item the reader refused.
    """
    source = Source(
        item.path, item.kind, blob.size, blob.sha256, READER, version_of(reader), item.container
    )
    meta: dict[str, object] = {
        "path": item.path,
        "sha256": blob.sha256,
        "kind": "export",
        "export": {"reader": reader.name, "version": reader.version},
    }
    case.start_export(
        source, Media(blob.sha256, "export", _mime(item.path), blob.size, item.path, meta)
    )
    counts = ExportCounts()
    forked = blob.size >= FORK_FROM and sys.platform.startswith("linux")
    if forked:
        case.bulk_posts()
    batches = _forked(reader, item, blob, root) if forked else _batches(reader, item, blob, root)
    for bundles, accounts, refused, consumed in batches:
        counts.posts += len(bundles)
        counts.refused += len(refused)
        for location, problem in refused:
            problems(location, problem)
        written = case.put_posts(blob.sha256, bundles, accounts, refused)
        counts.new_posts += written.posts
        counts.new_sightings += written.sightings
        counts.links += written.links
        if progress is not None:
            progress(item.path, consumed, blob.size, counts.posts)
    meta["export"] = {
        "reader": reader.name,
        "version": reader.version,
        "posts": counts.posts,
        "refused": counts.refused,
    }
    case.finish_export(source, meta, ())
    return counts


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _mime(path: str) -> str:
    if path.lower().endswith((".csv", ".tsv")):
        return "text/csv"
    if path.lower().endswith(".js"):
        return "text/javascript"
    return "application/json"


#: (posts, accounts met alone, refusals, bytes of the document read so far)
Batch = tuple[list[PostBundle], list[AccountSeen], list[tuple[str, Problem]], int]


def _batches(reader: ExportReader, item: Item, blob: Blob, root: str) -> Iterator[Batch]:
    """The document's records, converted for the store, a batch at a time."""
    doc = ExportFile(
        item.path,
        blob.size,
        _opener(blob.path),
        sibling=partial(_sibling, item, root),
        place=_settlement_named,
    )
    bundles: list[PostBundle] = []
    accounts: list[AccountSeen] = []
    refused: list[tuple[str, Problem]] = []
    chars = 0
    for record in reader.read(doc):
        if isinstance(record, Post):
            bundle = _bundle(record, item, root)
            bundles.append(bundle)
            chars += len(record.text) + len(cast(str, bundle[0][RAW_AT]))
        elif isinstance(record, Account):
            accounts.append(_seen(record))
        else:
            refused.append((record.path, Problem(record.code, record.message, record.severity)))
        if len(bundles) >= POST_BATCH or len(refused) >= POST_BATCH or chars >= BATCH_CHARS:
            yield bundles, accounts, refused, doc.meter.consumed
            bundles, accounts, refused, chars = [], [], [], 0
    yield bundles, accounts, refused, doc.meter.consumed


def _settlement_named(name: str, country: str | None) -> Settlement | None:
    """The gazetteer's look-up by name, for the documents that name a city (see
    ``ExportFile.place``); imported when one asks, as most exports never do."""
    from geotrace.geodata.gazetteer import settlement_named

    return settlement_named(name, country)


def _forked(reader: ExportReader, item: Item, blob: Blob, root: str) -> Iterator[Batch]:
    """:func:`_batches` run in a forked child, so that reading (ijson and the format's
    conversion) and writing (SQLite) use two cores.

    Why a process and not a thread: the writes are mostly inside ``sqlite3_step``, which
    releases the GIL, but each row takes it back, and against a reader that never blocks
    that hand-over cost more than it saved (measured: 25 s against 21 s for 100,000
    messages).  Batches cross the pipe as plain tuples (see ``case.PostBundle``).  The
    child never writes to the case, lets go of its writer lock, and dies with this
    process (see :func:`_produce`).
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce,
        args=(send, reader, item, blob, root),
        name="geotrace-reader",
    )
    gc.freeze()  # the child's collector then leaves the inherited objects' pages shared
    try:
        child.start()
    finally:
        gc.unfreeze()
    send.close()
    # Batches are taken off the pipe by a thread, up to AHEAD of them, so that the reader
    # goes on while this process waits for the disk at each commit (measured: 6 us a post
    # of the writer's time is that wait).
    ahead: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    taker = threading.Thread(target=_take, args=(receive, ahead, stop), daemon=True)
    taker.start()
    finished = False
    try:
        while True:
            data = ahead.get()
            if data is None:
                child.join()
                raise ChildProcessError(
                    f"the export reader process ended early (exit code {child.exitcode})"
                )
            kind, payload = pickle.loads(data)
            if kind == "error":
                raise payload
            if kind == "done":
                finished = True
                break
            yield payload
    finally:
        stop.set()
        child.join(timeout=5 if finished else 0)
        if child.is_alive():
            child.kill()
            child.join()
        taker.join()
        receive.close()


#: Batches read off the pipe ahead of the writer (each a few megabytes).
AHEAD = 2


def _take(receive: Connection, ahead: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """The taking thread of :func:`_forked`: pickled batches into ``ahead``, then None at
    the end of the pipe."""
    while not stop.is_set():
        try:
            data: bytes | None = receive.recv_bytes()
        except (EOFError, OSError):
            data = None
        while not stop.is_set():
            try:
                ahead.put(data, timeout=0.1)
                break
            except queue.Full:
                continue
        if data is None:
            return


def _produce(
    send: Connection,
    reader: ExportReader,
    item: Item,
    blob: Blob,
    root: str,
) -> None:
    """The child's side of :func:`_forked`: it asks the kernel to kill it with its parent,
    so that a killed ingest leaves no reader behind (the case's writer lock was let go
    at the fork: see ``store.media``)."""
    die_with_parent()
    try:
        for batch in _batches(reader, item, blob, root):
            send.send(("batch", batch))
        send.send(("done", None))
    except BrokenPipeError:
        pass  # the ingest is gone: nothing to tell
    except BaseException as exc:  # a reader bug: the ingest records it, as in-process
        try:
            send.send(("error", exc))
        except Exception:  # the exception itself would not pickle
            send.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


def _seen(account: Account) -> AccountSeen:
    return (account.platform, account.account_id, account.handle, account.name)


def _bundle(post: Post, item: Item, root: str) -> PostBundle:
    """A post as the flat tuples the store writes (see ``case.PostBundle``).

    Most posts have no media, links or geotags: those stay the shared empty tuple, with no
    generator made for them (a tenth of this function's time, measured).
    """
    at = post.posted_at
    values = (
        post.platform,
        post.post_id,
        post.kind,
        post.url,
        *(
            (iso(at.utc), iso(at.local), at.basis, at.uncertainty_s, at.source)
            if at is not None
            else (None, None, "unknown_zone", None, None)
        ),
        post.text,
        raw_json(post.raw),
        post.location,
    )
    return (
        values,
        None if post.author is None else _seen(post.author),
        None if post.chat is None else _seen(post.chat),
        tuple([_media_link(i, ref, item, root) for i, ref in enumerate(post.media)])
        if post.media
        else (),
        tuple([_link_row(link) for link in post.links]) if post.links else (),
        tuple(sightings_from_post(post)) if post.geotags else (),
    )


def _link_row(link: Link) -> LinkRow:
    return (
        link.kind,
        link.post_id or "",
        link.account_id or "",
        link.name or "",
        iso(link.at.utc) if link.at is not None else None,
    )


#: Where the raw item's JSON sits in a bundle's ``posts`` values (see :func:`_bundle`).
RAW_AT = 10

_ENCODER = msgspec.json.Encoder()


def raw_json(raw: dict[str, object]) -> str:
    """A post's raw item as compact JSON text.

    msgspec rather than :func:`json.dumps`: it is the one serialisation every post pays
    for, and msgspec writes the same JSON in a third of the time (measured: 2.3 vs
    7.7 us for a Telegram message).  Anything it cannot encode (a reader bug putting a
    non-JSON value in ``raw``) falls back to ``json.dumps`` with ``str``.
    """
    try:
        return _ENCODER.encode(raw).decode("utf-8")
    except (TypeError, msgspec.EncodeError):
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str)


def _media_link(index: int, ref: MediaRef, item: Item, root: str) -> MediaLink:
    """A post's media reference with the file it names resolved (see module docstring)."""
    metadata = raw_json(ref.metadata)
    key = ref.path or ref.url or f"#{index}"
    if ref.path is None:
        return (key, None, ref.kind, ref.missing, metadata)
    resolved = resolve_ref(item, ref.path, root)
    missing = ref.missing if resolved is not None else OUTSIDE
    return (key, resolved, ref.kind, missing, metadata)


def resolve_ref(item: Item, ref: str, root: str) -> str | None:
    """The path (as the case names files) of a file a document refers to, relative to the
    document's folder; None when it would leave the ingested folder or archive."""
    ref = ref.replace("\\", "/")
    if ref.startswith("/") or (len(ref) > 1 and ref[1] == ":"):
        return None
    if item.container is not None:  # a member of a zip: stay inside the archive
        member = item.path[len(item.container) + 2 :]
        inner = posixpath.normpath(posixpath.join(posixpath.dirname(member), ref))
        if inner == ".." or inner.startswith("../"):
            return None
        return f"{item.container}!/{inner}"
    candidate = os.path.normpath(os.path.join(os.path.dirname(item.path), ref))
    inside = candidate.startswith(root.rstrip(os.sep) + os.sep)
    return candidate if inside else None


def ingest_root(given: str) -> str:
    """The folder whose files a document may name: the folder given, or a given file's."""
    path = os.path.abspath(given)
    return path if os.path.isdir(path) else os.path.dirname(path)


def _sibling(item: Item, root: str, rel: str) -> ExportFile | None:
    """Another file of the same export, by a path relative to the document."""
    resolved = resolve_ref(item, rel, root)
    if resolved is None:
        return None
    if item.container is None:
        path = Path(resolved)
        if not path.is_file() or path.is_symlink():
            return None
        return ExportFile(resolved, path.stat().st_size, _opener(path))
    return _zip_sibling(item.container, resolved[len(item.container) + 2 :])


def _zip_sibling(container: str, member: str) -> ExportFile | None:
    """A member of the archive a document came from, under the same safety checks."""
    try:
        with zipfile.ZipFile(container) as zf:
            info = zf.getinfo(member)
            files = [i for i in zf.infolist() if not i.is_dir()]
            shared = files.index(info) in overlaps(zf, files) if info in files else True
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    if shared or member_refusal(info, ZipLimits()) is not None:
        return None  # (an overlapping member is part of a bomb, refused by the walk too)

    def opener() -> IO[bytes]:
        # The member stream keeps the archive's file open after the ZipFile object goes.
        return zipfile.ZipFile(container).open(info)

    return ExportFile(f"{container}!/{member}", info.file_size, opener)


def referenced_item(path: str) -> Item | None:
    """A file on disk that posts name and the walk did not meet, as an item to ingest."""
    if "!/" in path:
        return None  # an archive's members were all offered by the walk already
    if not os.path.isfile(path) or os.path.islink(path):
        return None
    return Item(path, "file", _opener(Path(path)))
