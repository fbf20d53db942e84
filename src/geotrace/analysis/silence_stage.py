"""The ``silence`` stage: is each account's current silence unusual for that account?

One row per account as of an instant (the command's ``--as-of``, else now): the last post,
the gap since, and the probability of a gap at least that long given the account's own
history before it (:func:`geotrace.analysis.silence.silence`); then, with ``--history``,
every past gap scored with only the history before it.  Posts count at their time's
uncertainty, time-only posts (an X archive's headers) included.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from geotrace.analysis import point_queries
from geotrace.analysis import silence as scorer
from geotrace.analysis.point_queries import PostTimes, TrackKey
from geotrace.analysis.track_stage import Ask, TrackStage, Value, analysis_of, tables, utc_text

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


class Silence(TrackStage):
    """Each account's silence against its own rhythm, and its past silences."""

    name = "silence"
    version = "1"
    columns = COLUMNS
    defaults = DEFAULTS
    migrations = tables(name, COLUMNS)
    compute = staticmethod(analysis_of(account_silence))

    def ask(self, request: Sequence[Any] | None) -> Ask:
        """As asked; ``geotrace run silence`` (no request): as of now, to the hour."""
        ask: Ask = request[0] if request else Ask()
        if ask.as_of is None:
            return Ask(ask.params, time.time() // 3600 * 3600, ask.tracks)
        return ask

    def digest(self, track: Any) -> str:
        """The posting instants and their widths: a new post is a new answer."""
        h = hashlib.blake2b(digest_size=12)
        h.update(np.ascontiguousarray(track.t).tobytes())
        h.update(np.ascontiguousarray(track.u).tobytes())
        return h.hexdigest()

    def tracks(
        self, db: sqlite3.Connection, after: TrackKey | None, limit: int, ask: Ask
    ) -> list[Any]:
        """Accounts' posting instants (not their sightings) after ``after``."""
        return point_queries.post_times(db, after, limit, as_of=ask.as_of, only=ask.tracks)


STAGE = Silence()
