"""The fingerprint stage: perceptual hashes of every picture and video in the case.

Run at the end of each ingest, after the originals are in (see
:mod:`geotrace.pipeline.runner` for paging, resume and crash isolation).  A file that cannot
be decoded gets a fingerprint row with its error (so it is not retried for ever) and a
``fingerprint_failed`` problem, committed with the page; it never stops the batch.
Decoders (FFmpeg's above all) parse hostile bytes: the default ``processes`` executor runs
them in worker processes, so that a crash costs only the file it crashed on.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geotrace.evidence.fingerprint import VERSION as PRINT_VERSION
from geotrace.evidence.fingerprint import (
    ImageError,
    Region,
    decode,
    fingerprint_image,
)
from geotrace.evidence.keyframes import keyframes
from geotrace.evidence.layout import LAYOUT_VERSION, layout_of
from geotrace.pipeline.stage import Context, Stage
from geotrace.records import PictureFingerprint, RegionPrint
from geotrace.sql import MigrationSet, Step

#: The stage's version: the hashes' and the candidate descriptor's, together.
VERSION = f"{PRINT_VERSION}; {LAYOUT_VERSION}"
#: The problem of a picture the stage could not decode.
FINGERPRINT_FAILED = "fingerprint_failed"
#: What a file whose decoder killed its worker gets as its error.
CRASHED = "the decoder crashed on it"

MIGRATIONS = MigrationSet(
    "fingerprints",
    (
        # 4: the fingerprint stage's answer per picture (geotrace.evidence.fingerprint).
        # Derived, like places: ``version`` says which algorithm and decoder made it, and a
        # newer version redoes it.  ``error`` records a picture that could not be decoded
        # (then it has no regions); ``descriptor`` is the stage-B candidate descriptor.
        # ``verified_pairs`` keeps what the pixel check said of a candidate pair (a copy,
        # another shot, unrelated), so that a second ``copies`` run does not redo it.
        # A region is the whole frame or the content found inside borders, captions or a
        # phone's UI; ``at_s`` is the keyframe's time in a video, 0 for a still.
        Step(
            "0001_fingerprints",
            """
    CREATE TABLE fingerprints (
        sha256     TEXT PRIMARY KEY REFERENCES media(sha256),
        version    TEXT NOT NULL,
        width      INTEGER,
        height     INTEGER,
        error      TEXT,
        descriptor BLOB
    );
    CREATE TABLE fingerprint_regions (
        sha256  TEXT NOT NULL REFERENCES fingerprints(sha256) ON DELETE CASCADE,
        at_s    REAL NOT NULL,
        region  TEXT NOT NULL,
        x0      INTEGER NOT NULL,
        y0      INTEGER NOT NULL,
        x1      INTEGER NOT NULL,
        y1      INTEGER NOT NULL,
        pdq     BLOB NOT NULL,
        quality INTEGER NOT NULL,
        phash   INTEGER NOT NULL,
        PRIMARY KEY (sha256, at_s, region)
    );
    """,
            legacy=4,
        ),
        # A media read again by a newer reader loses its problems (the store deletes them
        # and logs "reread"): its fingerprint goes too, and the stage redoes it, with its
        # fingerprint_failed problem if it still fails.
        Step(
            "0002_forget_reread",
            """
    CREATE TRIGGER fingerprints_forget_reread AFTER INSERT ON custody_log
    WHEN NEW.action = 'reread' BEGIN
        DELETE FROM fingerprint_regions WHERE sha256 = NEW.sha256;
        DELETE FROM fingerprints WHERE sha256 = NEW.sha256;
    END;
    """,
        ),
    ),
)

#: One picture or video to fingerprint: (sha256, kind, stored file).
Job = tuple[str, str, str]


def signed64(value: int) -> int:
    """An unsigned 64-bit hash as SQLite's signed INTEGER holds it (and back, masked)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint_page(jobs: Sequence[Job]) -> list[PictureFingerprint]:
    """The stage's pure computation: one fingerprint per job, in order."""
    return [fingerprint_one(job) for job in jobs]


class Fingerprints(Stage[Job, PictureFingerprint]):
    """Fingerprints of the case's pictures and videos, by sha256."""

    name = "fingerprints"
    version = VERSION
    migrations = MIGRATIONS
    compute = staticmethod(fingerprint_page)
    #: Files committed together: a kill loses at most this many.
    page_size = 512
    #: Files per task: enough to amortise the hand-off (~50 ms of work a file).
    chunk_size = 16

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Job]:
        """Pictures and videos with no fingerprint of this version, in sha256 order
        (``request`` is not used: every picture of the case is fingerprinted)."""
        rows = db.execute(
            "SELECT m.sha256, m.kind, m.stored_as FROM media m"
            " LEFT JOIN fingerprints f ON f.sha256 = m.sha256"
            " WHERE m.kind IN ('image', 'video') AND m.sha256 > ?"
            " AND f.version IS NOT ? ORDER BY m.sha256 LIMIT ?",
            (after or "", self.version, limit),
        )
        return [(str(sha), str(kind), str(context.media_root / rel)) for sha, kind, rel in rows]

    def key(self, item: Job) -> str:
        return item[0]

    def failed(self, item: Job, reason: str) -> PictureFingerprint:
        return PictureFingerprint(item[0], None, None, (), error=CRASHED)

    def write(self, db: sqlite3.Connection, results: Sequence[PictureFingerprint]) -> Counter[str]:
        """Store fingerprints, replacing older versions, with a ``fingerprint_failed``
        problem for each that has an error (under the path the picture was first seen at).
        In the same transaction: committed apart, a kill between them lost the problems
        for good, since the re-run finds the pictures done.  An older version's problem
        goes with its fingerprint."""
        shas = [(p.sha256,) for p in results]
        db.executemany("DELETE FROM fingerprint_regions WHERE sha256 = ?", shas)
        db.executemany(
            f"DELETE FROM problems WHERE sha256 = ? AND code = '{FINGERPRINT_FAILED}'", shas
        )
        failed = [p for p in results if p.error is not None]
        db.executemany(
            "INSERT OR IGNORE INTO problems (sha256, path, code, message)"
            " SELECT sha256, first_path, ?, ? FROM media WHERE sha256 = ?",
            [(FINGERPRINT_FAILED, p.error, p.sha256) for p in failed],
        )
        db.executemany(
            "INSERT OR REPLACE INTO fingerprints (sha256, version, width, height, error,"
            " descriptor) VALUES (?, ?, ?, ?, ?, ?)",
            [(p.sha256, self.version, p.width, p.height, p.error, p.descriptor) for p in results],
        )
        db.executemany(
            "INSERT INTO fingerprint_regions (sha256, at_s, region, x0, y0, x1, y1, pdq,"
            " quality, phash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (p.sha256, r.at_s, r.region, *r.box, r.pdq, r.quality, signed64(r.phash))
                for p in results
                for r in p.regions
            ],
        )
        return Counter({FINGERPRINT_FAILED: len(failed)}) if failed else Counter()


STAGE = Fingerprints()


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
