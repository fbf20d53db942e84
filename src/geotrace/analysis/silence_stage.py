"""The ``silence`` stage: is each account's current silence unusual for that account?

One row per account as of an instant (the command's ``--as-of``, else now): the last post,
the gap since, and the probability of a gap at least that long given the account's own
history before it (:func:`geotrace.analysis.silence.silence`); then, with ``--history``,
every past gap scored with only the history before it.  Posts count at their time's
uncertainty, time-only posts (an X archive's headers) included.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from geotrace.analysis import point_queries
from geotrace.analysis import silence as scorer
from geotrace.analysis.point_queries import PostTimes, TrackKey
from geotrace.analysis.track_stage import Ask, TrackStage, Value, tables, utc_text
from geotrace.pipeline.stage import Context

COLUMNS = (
    ("kind", "TEXT"),
    ("last_post_utc", "TEXT"),
    ("gap_s", "REAL"),
    ("p", "REAL"),
    ("verdict", "TEXT"),
    ("posts", "INTEGER"),
    ("rate_per_day", "REAL"),
    ("start_utc", "TEXT"),
    ("end_utc", "TEXT"),
    ("as_of_utc", "TEXT"),
)

DEFAULTS: dict[str, Value] = {"alpha": scorer.ALPHA}
Work = tuple[PostTimes, str, str]


def account_silence(times: PostTimes, params: Mapping[str, Value]) -> list[tuple[Any, ...]]:
    """The account's silence as of the asked instant, then its past gaps."""
    alpha = float(params["alpha"])  # type: ignore[arg-type]
    as_of = float(params["as_of"])  # type: ignore[arg-type]
    now = scorer.silence(times.t, times.u, as_of, alpha)
    rows: list[tuple[Any, ...]] = [
        (
            "current",
            utc_text(now.last_post_utc),
            now.gap_s,
            now.p,
            now.verdict,
            now.posts,
            now.rate_per_day,
            utc_text(now.last_post_utc),
            utc_text(as_of),
            utc_text(as_of),
        )
    ]
    for gap in scorer.history(times.t, times.u, alpha):
        rows.append(
            (
                "past_gap",
                utc_text(gap.start_utc),
                gap.gap_s,
                gap.p,
                gap.verdict,
                None,
                None,
                utc_text(gap.start_utc),
                utc_text(gap.end_utc),
                utc_text(as_of),
            )
        )
    return rows


def silence_page(page: Sequence[Work]) -> list[Any]:
    """The pure computation of a task: each account's rows."""
    return [
        (times.key, params, sig, account_silence(times, json.loads(params)), None)
        for times, params, sig in page
    ]


class Silence(TrackStage):
    """Each account's silence against its own rhythm, and its past silences."""

    name = "silence"
    version = "1"
    columns = COLUMNS
    defaults = DEFAULTS
    migrations = tables(name, COLUMNS)
    compute = staticmethod(silence_page)

    def todo(  # type: ignore[override]
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Work]:
        """Accounts after ``after`` whose answer as of the asked instant is missing."""
        ask: Ask = request[0] if request else Ask()
        if ask.as_of is None:  # ``geotrace run silence``: as of now, to the hour
            ask = Ask(ask.params, time.time() // 3600 * 3600, ask.tracks)
        params = ask.key(self.defaults)
        work: list[Work] = []
        cursor: TrackKey | None = after
        while len(work) < limit:
            found = point_queries.post_times(db, cursor, limit, as_of=ask.as_of, only=ask.tracks)
            if not found:
                break
            for times in found:
                h = hashlib.blake2b(digest_size=12)
                h.update(np.ascontiguousarray(times.t).tobytes())
                h.update(np.ascontiguousarray(times.u).tobytes())
                kept = db.execute(
                    f"SELECT version, digest FROM {self.name}_runs"
                    " WHERE platform = ? AND account_id = ? AND params = ?",
                    (*times.key, params),
                ).fetchone()
                if kept != (self.version, h.hexdigest()):
                    work.append((times, params, h.hexdigest()))
            cursor = found[-1].key
        return work[:limit]

    def key(self, item: Any) -> Any:
        return item[0].key


STAGE = Silence()
