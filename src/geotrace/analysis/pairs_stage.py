"""The pixel-check stage: what local features say of a pair of pictures, kept per pair.

The copy search (:mod:`geotrace.analysis.find_copies`) asks for the pairs it wants judged
(``request``); the stage checks those without a verdict of the current version and keeps
each verdict in ``verified_pairs``, so that asking again, or after adding a few files,
redoes only what is new.  Run with no request (``geotrace run pairs``), it redoes the
verdicts an older version gave.

A task computes each of its pictures' features once, and a page is in (part, a, b) order,
the copy search's partition of its candidate graph (see ``find_copies.Parts``), so that the
pairs of one part fall in the tasks of one worker, which keeps their features; features
never cross a process boundary.  Two JPEGs with the same coded image data (a copy whose
metadata alone was edited: 28 % of the checks of a copy-heavy case, research/scale.md)
are called copies on that digest, with no features computed (``same_pixels``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from geotrace.analysis.copy_components import route
from geotrace.analysis.verify import (
    STAGE_VERSION,
    Features,
    Verdict,
    local_features,
    open_upright,
    verify,
)
from geotrace.evidence.fingerprint import exif_orientation
from geotrace.evidence.reader import opened
from geotrace.pipeline.stage import Context, Stage
from geotrace.sql import MigrationSet, Step

MIGRATIONS = MigrationSet(
    "pairs",
    (
        # What the pixel check said of a candidate pair (a copy, another shot, unrelated).
        Step(
            "0001_verified_pairs",
            """
    CREATE TABLE verified_pairs (
        a        TEXT NOT NULL REFERENCES media(sha256),
        b        TEXT NOT NULL REFERENCES media(sha256),
        version  TEXT NOT NULL,
        relation TEXT NOT NULL,
        detail   TEXT NOT NULL,
        PRIMARY KEY (a, b),
        CHECK (a < b)
    );
    """,
            legacy=4,
        ),
    ),
)

#: A pair to check: (a, stored file of a, b, stored file of b, part, plain), a < b by
#: sha256; ``part``: the piece of the candidate graph it belongs to (its route), ``plain``:
#: one side is too plain for identical pixels to make a copy (copies.plain).
Pair = tuple[str, str, str, str, int, bool]
#: A pair as the copy search asks for it: (part, a, b, plain), sorted.
Ask = tuple[int, str, str, bool]
#: Its verdict: (a, b, the verdict as the case keeps it).
Judged = tuple[str, str, dict[str, Any]]

#: The verdict on a pair one side of which cannot be decoded here.
UNDECODABLE: dict[str, Any] = {"relation": "unrelated", "transformation": "not decodable"}
#: Pairs asked about in one query of the case.
ASK = 400


def features(path: Path) -> Features:
    """A picture's local features, as the pixel check compares them."""
    image, size = open_upright(path)
    return local_features(image, size)


def features_or_none(path: Path) -> Features | None:
    """:func:`features`, or None where the picture cannot be decoded (the fingerprint
    stage recorded why)."""
    try:
        return features(path)
    except Exception:  # undecodable here too: the fingerprint stage recorded why
        return None


def verdict_json(v: Verdict) -> dict[str, Any]:
    """A verdict as the case keeps it and the output shows it (JSON-ready)."""
    out: dict[str, Any] = {
        "relation": v.relation,
        "inliers": v.inliers,
        "ncc": None if v.ncc is None else round(v.ncc, 3),
        "transformation": v.description,
    }
    if v.transform is not None:
        out["rotation_deg"] = round(v.transform.rotation_deg, 1)
        out["scale"] = round(v.transform.scale, 3)
        out["mirrored"] = v.transform.mirrored
    if v.overlap is not None:
        out["a_in_b"] = round(v.overlap.a_in_b, 3)
        out["b_in_a"] = round(v.overlap.b_in_a, 3)
    if v.motion is not None:
        out["cells_moved"] = [v.motion.moved, v.motion.cells]
        out["parts_moved"] = v.motion.parts_moved
    return out


#: Feature sets a worker keeps: the copy search asks about one picture in several rounds
#: and pages, and computing its features (~11 ms) five times over doubled the search's
#: time on the provenance set (bench/RESULTS.md, issue 16).  A set is ~350 KB (most of it
#: the motion check's working image): the workers of one machine keep ~1 GB in all, at
#: least 64 sets each.  Not capped at 1,024 (the old run-wide cache) any more: each worker
#: now checks one piece of the pictures (copy_components), ~n / workers of them, met again
#: in every round; a piece just over the cache is evicted in the order it is read again
#: (bench/copies_work.py, 2,000 pictures on 2 workers: 1.62 computations a picture).
FEATURE_BYTES = 350_000
FEATURES_BUDGET = 1 << 30
FEATURES_KEPT = max(64, FEATURES_BUDGET // (FEATURE_BYTES * (os.cpu_count() or 1)))


@lru_cache(maxsize=FEATURES_KEPT)
def kept_features(path: str) -> Features | None:
    """:func:`features_or_none`, remembered by this process: a memo of a pure function of
    the stored file (content-addressed, so never stale), which changes no result."""
    return features_or_none(Path(path))


def check_page(pairs: Sequence[Pair]) -> list[Judged]:
    """The stage's pure computation: every pair whose two files have the same coded pixels
    (:func:`same_pixels`) without features; then each other picture's features once, and
    every other pair."""
    same = [not plain and same_pixels(pa, pb) for _, pa, _, pb, _, plain in pairs]
    found: dict[str, Features | None] = {}
    for (a, path_a, b, path_b, _, _), shortcut in zip(pairs, same, strict=True):
        for sha, path in ((a, path_a), (b, path_b)):
            if not shortcut and sha not in found:
                found[sha] = kept_features(path)
    out: list[Judged] = []
    for (a, _, b, _, _, _), shortcut in zip(pairs, same, strict=True):
        if shortcut:
            out.append((a, b, dict(IDENTICAL)))
            continue
        fa, fb = found[a], found[b]
        verdict = dict(UNDECODABLE) if fa is None or fb is None else verdict_json(verify(fa, fb))
        out.append((a, b, verdict))
    return out


#: The verdict on two files with the same coded image data and orientation: the same
#: pixels, whatever their metadata says (the shape of :func:`verdict_json`'s).
IDENTICAL: dict[str, Any] = {
    "relation": "copy",
    "inliers": 0,
    "ncc": 1.0,
    "transformation": "identical pixels (the same coded image data: only metadata differs)",
    "rotation_deg": 0.0,
    "scale": 1.0,
    "mirrored": False,
    "a_in_b": 1.0,
    "b_in_a": 1.0,
}


def same_pixels(path_a: str, path_b: str) -> bool:
    """Whether two stored files decode to the same upright pixels without decoding them:
    two JPEGs with the same :func:`coded_digest` and the same EXIF orientation.  Two
    with other orientations are a turned copy, left to the pixel check to say how."""
    digest = coded_digest(path_a)
    if digest is None or digest != coded_digest(path_b):
        return False
    return orientation(path_a) == orientation(path_b)


#: A JPEG marker that ends entropy-coded data: 0xFF then neither a stuffed zero, a
#: restart marker (part of the data) nor another fill byte.
_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
#: Segments walked at most (a hostile file cannot make the walk long).
MAX_SEGMENTS = 4096


@lru_cache(maxsize=4096)
def coded_digest(path: str) -> bytes | None:
    """A digest of what a JPEG decoder reads of ``path``: every segment but APPn and COM
    (metadata: EXIF, XMP, ICC, comments), with the entropy-coded data; Adobe's APP14 is
    kept, since its colour transform changes the decoded colours.  None for another
    format or a JPEG that does not end (its pixels are left to the check).

    Why not the decoded pixels: this reads the stored file once and decodes nothing, and
    a platform that rewrites a picture's metadata keeps its scan data byte for byte.  A
    memo like :func:`kept_features` (the file is content-addressed)."""
    try:
        with opened(path) as buf:
            return _scan_digest(buf)
    except (OSError, ValueError, BufferError):
        return None


def _scan_digest(buf: bytes | Any) -> bytes | None:
    if bytes(buf[:2]) != b"\xff\xd8":
        return None
    with memoryview(buf) as view:
        return _walk(buf, view)


def _walk(buf: bytes | Any, view: memoryview) -> bytes | None:
    digest = hashlib.blake2b(digest_size=20)
    pos, n = 2, len(buf)
    for _ in range(MAX_SEGMENTS):
        if pos + 2 > n or buf[pos] != 0xFF:
            return None
        marker = buf[pos + 1]
        if marker == 0xFF:  # a fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            return digest.digest()
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            digest.update(view[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > n:
            return None
        end = pos + 2 + int.from_bytes(buf[pos + 2 : pos + 4], "big")
        if end > n or end < pos + 4:
            return None
        if not (0xE0 <= marker <= 0xEF and marker != 0xEE) and marker != 0xFE:
            digest.update(view[pos:end])
        pos = end
        if marker == 0xDA:  # SOS: its entropy-coded data runs to the next marker
            found = _MARKER.search(buf, pos)
            stop = n if found is None else found.start()
            digest.update(view[pos:stop])
            pos = stop
    return None


def orientation(path: str) -> int:
    """The EXIF orientation a decoder applies (1 when none or unreadable), as the
    fingerprints read it."""
    try:
        with Image.open(path) as im:
            return exif_orientation(im)
    except Exception:  # not a picture Pillow opens: the decoder sees no orientation either
        return 1


class Pairs(Stage[Pair, Judged]):
    """Pixel-check verdicts of the pairs the copy search asks about."""

    name = "pairs"
    #: The check's own version.  The identical-pixel shortcut does not change it: it
    #: reaches the relation the check gave such pairs ("copy") without the check, so a
    #: case's verdicts stay valid, and an existing case of a million pairs is not made to
    #: redo them all for a shorter description.
    version = STAGE_VERSION
    migrations = MIGRATIONS
    compute = staticmethod(check_page)
    after_ingest = False
    #: Pairs committed together.
    page_size = 1024
    #: Pairs per task, at most (each ~0.1 s of work).
    chunk_size = 8

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Pair]:
        """``request``'s pairs (:data:`Ask`, sorted) that lack a verdict of this version;
        with no request, the pairs whose verdict an older version gave (each its own part
        by its first picture, which keeps (part, a, b) in (a, b) order)."""
        if request is None:
            rows = db.execute(
                "SELECT v.a, ma.stored_as, v.b, mb.stored_as FROM verified_pairs v"
                " JOIN media ma ON ma.sha256 = v.a JOIN media mb ON mb.sha256 = v.b"
                " WHERE v.version IS NOT ? AND (v.a, v.b) > (?, ?) ORDER BY v.a, v.b LIMIT ?",
                (self.version, *(after[1:] if after else ("", "")), limit),
            )
            return [
                (a, str(context.media_root / ra), b, str(context.media_root / rb), _part(a), False)
                for a, ra, b, rb in rows
            ]
        start = 0 if after is None else _after(request, after)
        lacking: list[Ask] = []
        while start < len(request) and len(lacking) < limit:
            asked = [
                (int(p), str(a), str(b), bool(f)) for p, a, b, f in request[start : start + ASK]
            ]
            start += ASK
            done = set(verdicts(db, self.version, [(a, b) for _, a, b, _ in asked]))
            lacking += [q for q in asked if (q[1], q[2]) not in done]
        lacking = lacking[:limit]
        stored = _stored(db, {sha for _, a, b, _ in lacking for sha in (a, b)})
        root = context.media_root
        return [
            (a, str(root / stored[a]), b, str(root / stored[b]), part, plain)
            for part, a, b, plain in lacking
        ]

    def split(self, page: Sequence[Pair]) -> list[list[Pair]]:
        """Runs of ``chunk_size`` pairs, never across two parts (a page is in part order):
        every task of a part is routed to one worker."""
        tasks: list[list[Pair]] = []
        for item in page:
            if tasks and tasks[-1][0][4] == item[4] and len(tasks[-1]) < self.chunk_size:
                tasks[-1].append(item)
            else:
                tasks.append([item])
        return tasks

    def route(self, task: Sequence[Pair]) -> int:
        """By the task's part's piece: the checks of one piece go to the worker that has
        its pictures' features (see ``kept_features``)."""
        return route(task[0][4])

    def key(self, item: Pair) -> tuple[int, str, str]:
        return (item[4], item[0], item[2])

    def failed(self, item: Pair, reason: str) -> Judged:
        return (
            item[0],
            item[2],
            {"relation": "unrelated", "transformation": f"check failed: {reason}"},
        )

    def write(self, db: sqlite3.Connection, results: Sequence[Judged]) -> Counter[str]:
        """Keep the verdicts, replacing older versions'."""
        db.executemany(
            "INSERT OR REPLACE INTO verified_pairs (a, b, version, relation, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            [(a, b, self.version, v["relation"], json.dumps(v)) for a, b, v in results],
        )
        return Counter()


def verdicts(
    db: sqlite3.Connection, version: str, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The verdicts of ``version`` the case keeps for ``pairs`` (a < b)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(pairs), ASK):
        asked = pairs[start : start + ASK]
        values = ", ".join("(?, ?)" for _ in asked)
        rows = db.execute(
            "SELECT a, b, detail FROM verified_pairs WHERE version = ? AND (a, b) IN"
            f" (VALUES {values})",
            (version, *(sha for pair in asked for sha in pair)),
        )
        out.update({(str(a), str(b)): json.loads(detail) for a, b, detail in rows})
    return out


def _after(request: Sequence[Any], key: tuple[int, str, str]) -> int:
    """The position in the sorted ``request`` just past ``key`` (part, a, b)."""
    return bisect_right([tuple(p[:3]) for p in request], tuple(key))


def _part(sha: str) -> int:
    """The part of a pair asked by no search: its first picture's (monotonic in it)."""
    return int(sha[:8], 16)


def _stored(db: sqlite3.Connection, shas: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(shas)
    for start in range(0, len(ordered), ASK):
        part = ordered[start : start + ASK]
        rows = db.execute(
            f"SELECT sha256, stored_as FROM media WHERE sha256 IN ({', '.join('?' * len(part))})",
            part,
        )
        found.update({str(sha): str(rel) for sha, rel in rows})
    return found


STAGE = Pairs()
