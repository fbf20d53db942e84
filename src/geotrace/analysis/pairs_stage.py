"""The pixel-check stage: what local features say of a pair of pictures, kept per pair.

The copy search (:mod:`geotrace.analysis.find_copies`) asks for the pairs it wants judged
(``request``); the stage checks those without a verdict of the current version and keeps
each verdict in ``verified_pairs``, so that asking again, or after adding a few files,
redoes only what is new.  Run with no request (``geotrace run pairs``), it redoes the
verdicts an older version gave.

A task computes each of its pictures' features once, and a page is in (a, b) order, so
that the pairs of one picture mostly fall in one task; features never cross a process
boundary.
"""

from __future__ import annotations

import json
import os
import sqlite3
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from geotrace.analysis.verify import (
    STAGE_VERSION,
    Features,
    Verdict,
    local_features,
    open_upright,
    verify,
)
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

#: A pair to check: (a, stored file of a, b, stored file of b), a < b by sha256.
Pair = tuple[str, str, str, str]
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
#: most 1,024 sets each (the old run-wide cache), at least 64.
FEATURE_BYTES = 350_000
FEATURES_BUDGET = 1 << 30
FEATURES_KEPT = max(64, min(1024, FEATURES_BUDGET // (FEATURE_BYTES * (os.cpu_count() or 1))))


@lru_cache(maxsize=FEATURES_KEPT)
def kept_features(path: str) -> Features | None:
    """:func:`features_or_none`, remembered by this process: a memo of a pure function of
    the stored file (content-addressed, so never stale), which changes no result."""
    return features_or_none(Path(path))


def check_page(pairs: Sequence[Pair]) -> list[Judged]:
    """The stage's pure computation: each picture's features once, then every pair."""
    found: dict[str, Features | None] = {}
    for a, path_a, b, path_b in pairs:
        for sha, path in ((a, path_a), (b, path_b)):
            if sha not in found:
                found[sha] = kept_features(path)
    out: list[Judged] = []
    for a, _, b, _ in pairs:
        fa, fb = found[a], found[b]
        verdict = dict(UNDECODABLE) if fa is None or fb is None else verdict_json(verify(fa, fb))
        out.append((a, b, verdict))
    return out


class Pairs(Stage[Pair, Judged]):
    """Pixel-check verdicts of the pairs the copy search asks about."""

    name = "pairs"
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
        """``request``'s pairs (a, b), a < b, sorted, that lack a verdict of this version;
        with no request, the pairs whose verdict an older version gave."""
        if request is None:
            rows = db.execute(
                "SELECT v.a, ma.stored_as, v.b, mb.stored_as FROM verified_pairs v"
                " JOIN media ma ON ma.sha256 = v.a JOIN media mb ON mb.sha256 = v.b"
                " WHERE v.version IS NOT ? AND (v.a, v.b) > (?, ?) ORDER BY v.a, v.b LIMIT ?",
                (self.version, *(after or ("", "")), limit),
            )
            return [
                (a, str(context.media_root / ra), b, str(context.media_root / rb))
                for a, ra, b, rb in rows
            ]
        start = 0 if after is None else _after(request, after)
        lacking: list[tuple[str, str]] = []
        while start < len(request) and len(lacking) < limit:
            asked = [(str(a), str(b)) for a, b in request[start : start + ASK]]
            start += ASK
            done = set(verdicts(db, self.version, asked))
            lacking += [p for p in asked if p not in done]
        lacking = lacking[:limit]
        stored = _stored(db, {sha for pair in lacking for sha in pair})
        return [
            (a, str(context.media_root / stored[a]), b, str(context.media_root / stored[b]))
            for a, b in lacking
        ]

    def route(self, task: Sequence[Pair]) -> int:
        """By the task's first picture: a page is in (a, b) order, so that the checks of
        one picture go to the worker that has its features (see ``kept_features``)."""
        return int(task[0][0][:8], 16)

    def key(self, item: Pair) -> tuple[str, str]:
        return (item[0], item[2])

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


def _after(request: Sequence[Any], key: tuple[str, str]) -> int:
    """The position in the sorted ``request`` just past ``key``."""
    return bisect_right([tuple(p) for p in request], tuple(key))


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
