"""The fingerprint stage: perceptual hashes of every picture and video in the case.

Run at the end of each ingest, after the originals are in: fingerprints are derived data
(like places), so the stage pages through what lacks a fingerprint of the current version,
computes a page on every core, and commits it in one transaction.  A kill loses at most a
page, a newer algorithm redoes everything, and a re-run does nothing.  A file that cannot
be decoded gets a fingerprint row with its error (so it is not retried forever) and a
problem record, committed with the page; it never stops the batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from geotrace.case import Case
from geotrace.evidence.fingerprint import VERSION as PRINT_VERSION
from geotrace.evidence.fingerprint import (
    ImageError,
    Region,
    decode,
    fingerprint_image,
)
from geotrace.evidence.keyframes import keyframes
from geotrace.evidence.layout import LAYOUT_VERSION, layout_of
from geotrace.records import PictureFingerprint, RegionPrint

#: The stage's version: the hashes' and the candidate descriptor's, together.
VERSION = f"{PRINT_VERSION}; {LAYOUT_VERSION}"

#: Files fingerprinted and committed together: a kill loses at most this many.
PAGE = 512
#: Files per task handed to a worker: enough to amortise the hand-off (~50 ms of work).
CHUNK = 16


@dataclass(slots=True)
class FingerprintSummary:
    """What one run of the stage did."""

    done: int = 0
    failed: int = 0


def fingerprint_media(
    case: Case,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FingerprintSummary:
    """Fingerprint every picture and video of the case that lacks a current fingerprint.

    ``progress(done, known)`` is called after each page; ``known`` grows as pages are
    listed, since the stage never lists a million files at once.
    """
    summary = FingerprintSummary()
    n = workers if workers is not None else (os.cpu_count() or 1)
    page = case.unfingerprinted(VERSION, limit=PAGE)
    while page:
        prints = _compute(page, n)
        case.put_fingerprints(VERSION, prints)
        summary.done += len(prints)
        summary.failed += sum(fp.error is not None for fp in prints)
        if progress is not None:
            progress(summary.done, summary.done + len(page))
        page = case.unfingerprinted(VERSION, after=page[-1][0], limit=PAGE)
    return summary


def _compute(page: Sequence[tuple[str, str, Path, str]], workers: int) -> list[PictureFingerprint]:
    """A page's fingerprints, always computed in worker processes: decoders (FFmpeg's
    above all) parse hostile bytes, and a crash inside one must cost that file, not the
    run, or every re-run would die on the same file.  When a worker dies, the page is
    done again one file per process to find the file that kills it."""
    jobs = [(sha, kind, str(stored)) for sha, kind, stored, _ in page]
    try:
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("fork")) as pool:
            return list(pool.map(fingerprint_one, jobs, chunksize=CHUNK))
    except BrokenProcessPool:
        return [_alone(job) for job in jobs]


def _alone(job: tuple[str, str, str]) -> PictureFingerprint:
    try:
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
            return pool.submit(fingerprint_one, job).result()
    except BrokenProcessPool:
        return PictureFingerprint(job[0], None, None, (), error="the decoder crashed on it")


def fingerprint_one(job: tuple[str, str, str]) -> PictureFingerprint:
    """One original's fingerprint; never raises, since one hostile file must cost only
    itself (the error becomes the row's ``error`` and a problem record)."""
    sha, kind, path = job
    try:
        if kind == "video":
            return _video(sha, Path(path))
        image, size = decode(Path(path))
        fp = fingerprint_image(image, size)
        return PictureFingerprint(
            sha, *size, _regions(fp.frame, fp.content, 0.0), layout_of(image, fp)
        )
    except ImageError as exc:
        return PictureFingerprint(sha, None, None, (), error=str(exc))
    except Exception as exc:  # a decoder bug on a hostile file: recorded, not fatal
        return PictureFingerprint(sha, None, None, (), error=f"{type(exc).__name__}: {exc}")


def _video(sha: str, path: Path) -> PictureFingerprint:
    """A video's keyframes, each fingerprinted like a still: a frame grabbed from a clip
    and posted as a photo is then found like any other copy."""
    regions: list[RegionPrint] = []
    size: tuple[int, int] | None = None
    for at_s, image, full in keyframes(path):
        fp = fingerprint_image(image, full)
        size = full
        regions += _regions(fp.frame, fp.content, at_s)
    if size is None:
        return PictureFingerprint(sha, None, None, (), error="no decodable video frame")
    return PictureFingerprint(sha, *size, tuple(regions))


def _regions(frame: Region, content: Region | None, at_s: float) -> tuple[RegionPrint, ...]:
    found = [("frame", frame)] if content is None else [("frame", frame), ("content", content)]
    return tuple(RegionPrint(at_s, name, r.box, r.pdq, r.quality, r.phash) for name, r in found)
