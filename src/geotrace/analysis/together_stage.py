"""The ``together`` stage: which accounts (or subjects) can have been in one place at one
time, and how often.

Its work is the whole case at once (every track against every other: an encounter
needs both), so it has one item, keyed by its parameters and ``--as-of``, redone when any
track's points change.  The search is :func:`geotrace.analysis.together.encounters`
(time-sorted slabs and a k-d tree, never all pairs); repeated encounters of one pair are
merged into meetings, each with its best evidence pair, and each pair gets a co-travel
score over the whole track.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from geotrace.analysis import together
from geotrace.analysis.point_queries import Track
from geotrace.analysis.track_stage import Ask, TrackStage, Value, digest, tables, utc_text
from geotrace.pipeline.stage import Context

COLUMNS = (
    ("other_platform", "TEXT"),
    ("other_account_id", "TEXT"),
    ("at_utc", "TEXT"),
    ("other_at_utc", "TEXT"),
    ("distance_m", "REAL"),
    ("score", "REAL"),
    ("encounters", "INTEGER"),
    ("co_travel", "REAL"),
    ("sighting", "INTEGER"),
    ("other_sighting", "INTEGER"),
    ("post", "INTEGER"),
    ("other_post", "INTEGER"),
    ("lat", "REAL"),
    ("lon", "REAL"),
    ("other_lat", "REAL"),
    ("other_lon", "REAL"),
)

DEFAULTS: dict[str, Value] = {
    "space_margin_m": together.SPACE_MARGIN_M,
    "time_margin_s": together.TIME_MARGIN_S,
}
#: The one item's key: the whole case.
CASE = ("", "")
#: Work: (every track, parameters, digest of them all).
Work = tuple[tuple[Track, ...], str, str]
#: Its answer: (the case's key, parameters, digest, rows, why it failed or None); each row
#: is (platform, account_id of the pair's first track, *columns).
Answer = tuple[tuple[str, str], str, str, list[tuple[Any, ...]], str | None]


def case_meetings(page: Sequence[Work]) -> list[Answer]:
    """The pure computation: every meeting of every pair of tracks, as rows of the first
    track of the pair."""
    answers: list[Answer] = []
    for tracks, params, sig in page:
        given = json.loads(params)
        points = [t.points for t in tracks]
        found = together.encounters(
            points, float(given["space_margin_m"]), float(given["time_margin_s"])
        )
        shares = together.co_travel_all(points, found)
        share = {
            (int(a), int(b)): float(v)
            for a, b, v in zip(shares.track_a, shares.track_b, shares.share, strict=True)
        }
        rows: list[tuple[Any, ...]] = []
        for m in together.meetings(found):
            a, b = tracks[m.track_a], tracks[m.track_b]
            pa, pb = a.points, b.points
            i, j = m.index_a, m.index_b
            rows.append(
                (
                    *a.key,
                    *b.key,
                    utc_text(m.at_a),
                    utc_text(m.at_b),
                    m.distance_m,
                    m.score,
                    m.last - m.first + 1,
                    share[(m.track_a, m.track_b)],
                    int(pa.sighting[i]),
                    int(pb.sighting[j]),
                    pa.post_of(i),
                    pb.post_of(j),
                    float(pa.lat[i]),
                    float(pa.lon[i]),
                    float(pb.lat[j]),
                    float(pb.lon[j]),
                )
            )
        answers.append((CASE, params, sig, rows, None))
    return answers


class Together(TrackStage):
    """Meetings between tracks, scored by the overlap of their discs and windows."""

    name = "together"
    version = "1"
    columns = COLUMNS
    defaults = DEFAULTS
    migrations = tables(name, COLUMNS)
    compute = staticmethod(case_meetings)
    chunk_size = 1
    page_size = 1

    def todo(  # type: ignore[override]
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Work]:
        """The whole case, once, when its tracks changed since the kept answer."""
        if after is not None:
            return []
        ask = self.ask(request)
        params = ask.key(self.defaults)
        tracks: list[Track] = []
        cursor = None
        while batch := self.tracks(db, cursor, 10_000, Ask(as_of=ask.as_of)):
            tracks += batch
            cursor = batch[-1].key
        sig = hashlib.blake2b("".join(digest(t) for t in tracks).encode(), digest_size=12)
        if self.answered(db, CASE, params, sig.hexdigest()):
            return []
        return [(tuple(tracks), params, sig.hexdigest())]

    def key(self, item: Any) -> Any:
        return CASE

    def write(self, db: sqlite3.Connection, results: Sequence[Any]) -> Counter[str]:
        """Replace the case's meetings under these parameters (every pair's: a pair that
        no longer meets must not keep its old rows)."""
        problems: Counter[str] = Counter()
        for key, params, sig, rows, error in results:
            db.execute(f"DELETE FROM {self.name} WHERE params = ?", (params,))
            problems += self.keep(db, key, params, sig, rows, error)
        return problems

    def rows(self, db: sqlite3.Connection, ask: Ask, where: str = "") -> list[dict[str, Any]]:
        """Meetings, each once, with both accounts (``accounts``) and both instants
        (``at_utc``); with ``ask.tracks``, those where either side is asked about."""
        wanted = None if ask.tracks is None else set(ask.tracks)
        found = []
        for row in super().rows(db, Ask(ask.params, ask.as_of), where):
            a = (row["platform"], row["account_id"])
            b = (row["other_platform"], row["other_account_id"])
            if wanted is None or a in wanted or b in wanted:
                row["accounts"] = [row["account_id"], row["other_account_id"]]
                row["at_utc"] = [row["at_utc"], row["other_at_utc"]]
                found.append(row)
        return found


STAGE = Together()
