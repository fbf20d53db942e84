"""Scrub: a cleaned copy of each file under an output folder, read back before it counts.

The order of a file's life here is the safety argument.  The original is only read (a
memory map for large files).  The copy is written as ``.name.part`` and becomes ``name``
only after geotrace's own reader finds no GPS, time, device or serial in it and a second
clean of it finds nothing left to remove; then exiftool, where installed, reads every
copy of the batch in one process, and a copy in which it still finds something
identifying is deleted and the file reported as failed.  A copy's file times are the
time of the scrub: copying the original's modification time would give the capture
time away again.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal, TypeVar

from geotrace.audit.cleaned import (
    KEEP_NOTHING,
    Buffer,
    Cleaned,
    Keep,
    Refused,
    assemble,
    write_pieces,
)
from geotrace.audit.cleaners import clean
from geotrace.evidence.reader import READ_WHOLE_UP_TO, opened, read_buffer
from geotrace.sources import Refusal, find_files

Status = Literal["cleaned", "refused", "failed"]

#: Files per exiftool read-back: one Perl start-up (~0.2 s) is shared by the batch, and
#: batches are small enough for the reading of one to overlap the cleaning of the next.
READBACK_BATCH = 128


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """What happened to one input: cleaned (and verified), refused (nothing written), or
    failed (written, then found to keep something identifying, and deleted)."""

    source: str
    output: str | None
    status: Status
    reason: str = ""
    removed: tuple[str, ...] = ()  # "kind: where" of each block removed
    kept: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    residuals: tuple[str, ...] = ()  # what a read-back still found
    checked_by: tuple[str, ...] = ()
    reencoded: bool = False

    def json(self) -> dict[str, Any]:
        """The line ``scrub --format jsonl`` writes for this file."""
        return {
            "source": self.source,
            "output": self.output,
            "status": self.status,
            "reason": self.reason or None,
            "removed": list(self.removed),
            "kept": list(self.kept),
            "notes": list(self.notes),
            "residuals": list(self.residuals),
            "checked_by": list(self.checked_by),
            "reencoded": self.reencoded,
        }


@dataclass(slots=True)
class ScrubSummary:
    """Counts of a scrub run, for the closing line and the exit code."""

    cleaned: int = 0
    refused: int = 0
    failed: int = 0
    exiftool: str | None = None  # "exiftool 13.59" when it read the copies back
    files: list[Scrubbed] = field(default_factory=list)

    def add(self, done: Scrubbed) -> None:
        setattr(self, done.status, getattr(self, done.status) + 1)
        self.files.append(done)


def plan(inputs: Iterable[str | Path], outdir: Path) -> Iterator[tuple[Path, Path] | Refusal]:
    """(original, copy) pairs: a file keeps its name; a folder's files keep their path
    inside it.  The output folder is never walked as input, even when it lies inside one."""
    skip = {os.path.abspath(outdir)}
    seen: set[Path] = set()
    for given in inputs:
        root = Path(given)
        for found in find_files([root], skip):
            if isinstance(found, Refusal):
                yield found
                continue
            rel = Path(found.name) if root.is_file() else found.relative_to(root)
            dest = outdir / rel
            if dest in seen:
                yield Refusal(str(found), "name_taken", f"another input is also written as {dest}")
                continue
            seen.add(dest)
            yield found, dest


def check_copy(buf: Buffer, name: str, keep: Keep) -> list[str]:
    """What geotrace's own reading of a copy still finds; empty when clean.  Two readers:
    the metadata reader (what an investigator's tool would show) and the cleaner run again
    on the copy (a block it would still remove is a block the copy still holds)."""
    meta = read_buffer(buf, name)
    left = []
    if meta.gps is not None:
        left.append("geotrace: GPS position")
    if meta.taken is not None:
        left.append("geotrace: capture time")
    device = meta.device
    for label, value in (
        ("make", device.make),
        ("model", device.model),
        ("software", device.software),
    ):
        if value:
            left.append(f"geotrace: {label} {value!r}")
    left.extend(f"geotrace: serial {k}" for k in device.serials)
    try:
        again = clean(buf, name, keep)
    except Refused as exc:
        left.append(f"geotrace: the copy cannot be walked again ({exc})")
    else:
        left.extend(f"geotrace: {r.kind} still in {r.where}" for r in again.removed)
    return left


def scrub_one(source: Path, dest: Path, keep: Keep, reencode: bool = False) -> Scrubbed:
    """Clean one file into ``dest`` and check the copy with geotrace's own reader."""
    if dest.exists() or dest.is_symlink():
        return Scrubbed(str(source), None, "refused", f"{dest} exists: it is not overwritten")
    try:
        with opened(source) as buf:
            try:
                done = clean(buf, source.name, keep)
            except Refused as exc:
                if not reencode:
                    return Scrubbed(str(source), None, "refused", str(exc))
                from geotrace.audit.reencode import reencoded

                done, suffix = reencoded(buf, source.name, str(exc))  # or Refused
                if suffix is not None:
                    dest = dest.with_name(dest.name + suffix)
                    if dest.exists() or dest.is_symlink():
                        return Scrubbed(str(source), None, "refused", f"{dest} exists")
                return _write_checked(source, dest, done, Keep(), buf, True)
            return _write_checked(source, dest, done, keep, buf, False)
    except Refused as exc:
        return Scrubbed(str(source), None, "refused", str(exc))
    except OSError as exc:
        return Scrubbed(str(source), None, "refused", f"cannot read or write: {exc}")


def _write_checked(
    source: Path, dest: Path, done: Cleaned, keep: Keep, buf: Buffer, lossy: bool
) -> Scrubbed:
    """Check the copy, then put it in place under its name, never over another file.

    A copy up to ``READ_WHOLE_UP_TO`` is checked in memory, the very bytes then written (one
    file open fewer: a third of the time per photo); a larger one is written first and
    checked through a memory map of what is on disk."""
    result = Scrubbed(
        str(source),
        str(dest),
        "cleaned",
        removed=tuple(f"{r.kind}: {r.where}" for r in done.removed),
        kept=done.kept,
        notes=done.notes,
        checked_by=("geotrace",),
        reencoded=lossy,
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    try:
        if done.size() <= READ_WHOLE_UP_TO:
            data = assemble(buf, done.pieces)
            left = check_copy(data, dest.name, keep)
            if not left:
                with part.open("xb") as out:
                    out.write(data)
        else:
            with part.open("xb") as out:
                write_pieces(buf, done.pieces, out)
            with opened(part) as copy:
                left = check_copy(copy, dest.name, keep)
        if left:
            return replace(
                result,
                output=None,
                status="failed",
                reason="something remains",
                residuals=tuple(left),
            )
        try:
            os.link(part, dest)  # unlike a rename, never replaces a file that appeared meanwhile
        except FileExistsError:
            return Scrubbed(str(source), None, "refused", f"{dest} exists: it is not overwritten")
        except OSError:  # a file system without hard links
            part.replace(dest)
        return result
    finally:
        part.unlink(missing_ok=True)


def scrub_all(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    *,
    keep: Keep = KEEP_NOTHING,
    reencode: bool = False,
    exiftool: bool = True,
    workers: int | None = None,
    progress: Callable[[Scrubbed], None] | None = None,
) -> ScrubSummary:
    """Scrub every file under ``inputs`` into ``outdir``; see the module docstring.

    exiftool's reading is the slow half (Perl reads a JPEG in ~5 ms where geotrace
    cleans and checks it in ~1.5 ms; ``bench/scrub.py``), so it runs beside the cleaning:
    a batch's read-back goes to a thread (the subprocess releases the GIL) while the next
    batch is cleaned, with up to one exiftool per core.  Results still come in file order.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ScrubSummary()
    one = partial(_scrub_item, keep=keep, reencode=reencode)
    readers = max(1, os.cpu_count() or 1)
    pending: deque[Future[list[Scrubbed]]] = deque()

    def emit(done: list[Scrubbed]) -> None:
        for each in done:
            summary.add(each)
            if progress is not None:
                progress(each)

    pairs = plan(inputs, out)
    first = list(islice(pairs, READBACK_BATCH))
    # The pool is forked before any thread starts: a fork while a thread holds a lock (the
    # exiftool thread's subprocess) can leave a worker waiting on it for ever.
    with _mapper(workers, len(first)) as mapped, ThreadPoolExecutor(readers) as threads:
        tool = threads.submit(_exiftool) if exiftool else None
        for batch in chain([first] if first else [], _batches(pairs, READBACK_BATCH)):
            done = list(mapped(one, batch))
            if tool is None:
                emit(done)
                continue
            pending.append(threads.submit(_read_back, tool, done, keep))
            while pending and (pending[0].done() or len(pending) > readers):
                emit(pending.popleft().result())
        while pending:
            emit(pending.popleft().result())
        found = None if tool is None else tool.result()
    summary.exiftool = None if found is None else f"exiftool {found.version}"
    return summary


def _exiftool() -> Any:
    from geotrace.audit.exiftool import find_exiftool

    return find_exiftool()


def _batches(items: Iterator[_T], n: int) -> Iterator[list[_T]]:
    while batch := list(islice(items, n)):
        yield batch


_T = TypeVar("_T")
#: Fewer files than this are cleaned in-process: forking and joining a pool costs ~0.1 s.
PARALLEL_FROM = 64


@contextmanager
def _mapper(workers: int | None, first: int) -> Iterator[Callable[..., Iterable[Scrubbed]]]:
    """``map`` in this process, or over a fork pool of ``workers`` (default: one per core)
    when the first batch (``first`` files) is big enough to pay for one; in file order
    either way, so that the output of a run is the same whatever the parallelism."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1 or first < PARALLEL_FROM:
        yield map
        return
    with get_context("fork").Pool(n) as pool:
        yield partial(pool.imap, chunksize=8)


def _scrub_item(item: tuple[Path, Path] | Refusal, keep: Keep, reencode: bool) -> Scrubbed:
    if isinstance(item, Refusal):
        return Scrubbed(item.path, None, "refused", item.message)
    return scrub_one(item[0], item[1], keep, reencode)


def _read_back(probe: Future[Any], done: list[Scrubbed], keep: Keep) -> list[Scrubbed]:
    """exiftool's reading of the batch's copies; a copy it finds anything in is deleted."""
    from geotrace.audit.exiftool import read_back

    tool = probe.result()
    if tool is None:
        return done
    written = [Path(d.output) for d in done if d.status == "cleaned" and d.output]
    found = read_back(tool, written, keep=keep) if written else {}
    checked = []
    for one in done:
        if one.status != "cleaned" or one.output is None:
            checked.append(one)
            continue
        label = f"exiftool {tool.version}"
        left = found.get(Path(one.output), [])
        if left:
            Path(one.output).unlink(missing_ok=True)
            residuals = tuple(f"exiftool: {r.category} {r.tag}={r.value}" for r in left)
            one = replace(
                one, output=None, status="failed", reason="something remains", residuals=residuals
            )
        checked.append(replace(one, checked_by=(*one.checked_by, label)))
    return checked
