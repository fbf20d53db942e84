"""A toy stage, as a third party would write one: its own table, its own computation, and
nothing edited outside this module (tests/pipeline/test_runner.py registers it)."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from geotrace.pipeline.stage import Context, Stage
from geotrace.sql import MigrationSet, Step

#: A post's text containing this raises in the computation; this kills the worker.
RAISES = "TOY-RAISES"
DIES = "TOY-DIES"
#: ... and this one is left out of the results (a computation that loses an item).
DROPS = "TOY-DROPS"

Item = tuple[int, str]
Result = tuple[int, int, str | None]


def lengths(page: Sequence[Item]) -> list[Result]:
    """Each post's text length (the pure computation)."""
    out: list[Result] = []
    for post, text in page:
        if DIES in text:
            os._exit(9)  # a worker that dies, as a decoder's crash kills one
        if RAISES in text:
            raise ValueError("toy failure")
        if DROPS in text:
            continue
        out.append((post, len(text), None))
    return out


class TextLengths(Stage[Item, Result]):
    name = "toy_lengths"
    version = "1"
    migrations = MigrationSet(
        "toy_lengths",
        (
            Step(
                "0001_lengths",
                "CREATE TABLE toy_lengths (post INTEGER PRIMARY KEY REFERENCES posts(id),"
                " version TEXT NOT NULL, length INTEGER, error TEXT)",
            ),
        ),
    )
    compute = staticmethod(lengths)
    page_size = 4
    chunk_size = 2

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Item]:
        rows = db.execute(
            "SELECT p.id, p.text FROM posts p LEFT JOIN toy_lengths t ON t.post = p.id"
            " WHERE t.version IS NOT ? AND p.id > ? ORDER BY p.id LIMIT ?",
            (self.version, after or 0, limit),
        )
        return [(int(i), str(t)) for i, t in rows]

    def key(self, item: Item) -> int:
        return item[0]

    def failed(self, item: Item, reason: str) -> Result:
        return (item[0], -1, reason)

    def write(self, db: sqlite3.Connection, results: Sequence[Result]) -> Counter[str]:
        db.executemany(
            "INSERT OR REPLACE INTO toy_lengths VALUES (?, ?, ?, ?)",
            [(post, self.version, n, error) for post, n, error in results],
        )
        failed = sum(error is not None for _, _, error in results)
        return Counter({"toy_failed": failed}) if failed else Counter()


STAGE = TextLengths()
