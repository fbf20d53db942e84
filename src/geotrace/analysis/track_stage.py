"""What every per-track analysis shares: one track (an account or a subject) is one item of
work, and a command's parameters and ``--as-of`` are part of the answer's key.

A stage of this kind declares its result columns and a pure function from a track to rows,
as a movingpandas splitter writes one method; this base lists the tracks whose sightings
changed since their last answer (a digest of the points, so a new ingest, a re-placed
sighting or another ``--as-of`` is redone and nothing else), keeps every answer under its
parameters, and reads them back.  The tables are the stage's own: ``<name>`` (the rows)
and ``<name>_runs`` (per track and parameters: version and digest).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from geotrace.analysis import point_queries, subjects
from geotrace.analysis.point_queries import SUBJECT, Track, TrackKey
from geotrace.pipeline.stage import Context, Stage
from geotrace.sql import MigrationSet, Step

#: A parameter's value as kept in the answer's key.
Value = float | str | None


@dataclass(frozen=True, slots=True)
class Ask:
    """What a command asks: parameters (defaults filled in by the stage), the instant the
    answer is as of (None: everything the case holds), and the tracks (None: all)."""

    params: tuple[tuple[str, Value], ...] = ()
    as_of: float | None = None
    tracks: tuple[TrackKey, ...] | None = None

    def key(self, defaults: Mapping[str, Value]) -> str:
        """The answer's key: every parameter, defaults included, and the as-of instant."""
        merged = {**defaults, **dict(self.params), "as_of": self.as_of}
        return json.dumps(merged, sort_keys=True)


#: One item: the track, its parameters (as the key gives them) and its points' digest.
Work = tuple[Track, str, str]
#: Its answer: (track key, parameters, digest, rows, why it failed or None).
Answer = tuple[TrackKey, str, str, list[tuple[Any, ...]], str | None]
#: A stage's analysis of one track (a :class:`Track`, or what its ``tracks`` lists): rows
#: of its columns, in order.
Analysis = Callable[[Any, Mapping[str, Value]], list[tuple[Any, ...]]]


def utc_texts(seconds: npt.ArrayLike) -> list[str | None]:
    """Seconds since 1970 as the case writes instants (ISO 8601, Z, as
    :func:`geotrace.records.iso`), to the second (cut, as an instant written without its
    fraction is); None where not finite.  NumPy's formatting: a track's legs are written
    by the hundred thousand."""
    t = np.asarray(seconds, dtype=np.float64)
    finite = np.isfinite(t)
    whole = np.floor(np.where(finite, t, 0.0)).astype("datetime64[s]")
    texts = np.char.add(np.datetime_as_string(whole, unit="s"), "Z").tolist()
    return [text if ok else None for text, ok in zip(texts, finite.tolist(), strict=True)]


def utc_text(seconds: float | None) -> str | None:
    """One instant as :func:`utc_texts` writes it."""
    return None if seconds is None else utc_texts([seconds])[0]


def digest(track: Track) -> str:
    """What the answer depends on in the points: changed sightings give another digest."""
    p = track.points
    h = hashlib.blake2b(digest_size=12)
    for array in (p.sighting, p.post, p.lat, p.lon, p.radius_m, p.t, p.u, p.local_hour):
        h.update(np.ascontiguousarray(array).tobytes())
    for text in (p.country_de_jure, p.country_de_facto, p.admin1, p.border_confidence):
        h.update("\x1f".join(text.tolist()).encode())
    h.update(repr(track.witness).encode())
    return h.hexdigest()


def analyse_page(analysis: Analysis, page: Sequence[Work]) -> list[Answer]:
    """The pure computation of a task: each track's rows under its parameters."""
    return [
        (track.key, params, sig, analysis(track, json.loads(params)), None)
        for track, params, sig in page
    ]


def tables(name: str, columns: Sequence[tuple[str, str]]) -> MigrationSet:
    """A per-track stage's tables: its rows (keyed by track, parameters and order) and its
    runs (which version answered which digest)."""
    body = ",\n        ".join(f"{column} {kind}" for column, kind in columns)
    return MigrationSet(
        name,
        (
            Step(
                f"0001_{name}",
                f"""
    CREATE TABLE {name} (
        platform   TEXT NOT NULL,
        account_id TEXT NOT NULL,
        params     TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        {body},
        PRIMARY KEY (platform, account_id, params, seq)
    );
    CREATE TABLE {name}_runs (
        platform   TEXT NOT NULL,
        account_id TEXT NOT NULL,
        params     TEXT NOT NULL,
        version    TEXT NOT NULL,
        digest     TEXT NOT NULL,
        error      TEXT,
        PRIMARY KEY (platform, account_id, params)
    );
    """,
            ),
        ),
    )


class TrackStage(Stage[Work, Answer]):
    """A stage whose work is one track at a time (see the module's docstring)."""

    #: The result columns after (platform, account_id, params, seq), with SQL types.
    columns: ClassVar[tuple[tuple[str, str], ...]]
    #: Every parameter with its default: the answer of ``geotrace run NAME``.
    defaults: ClassVar[dict[str, Value]]
    #: Tracks per task: a track's analysis is milliseconds, the hand-off is not.
    chunk_size = 16
    page_size = 256
    #: Asked for by the commands of people (and the map and report), not run by every
    #: ingest: an ingest of a large export must not wait for every account's analyses.
    after_ingest = False

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Work]:
        """Tracks after ``after`` whose answer under the asked parameters is missing, of
        another version, or of other points (``request``: one :class:`Ask`; None: the
        defaults, every track)."""
        ask = self.ask(request)
        params = ask.key(self.defaults)
        work: list[Work] = []
        cursor: TrackKey | None = after
        while len(work) < limit:
            found = self.tracks(db, cursor, limit, ask)
            if not found:
                break
            for track in found:
                sig = self.digest(track)
                if not self.answered(db, track.key, params, sig):
                    work.append((track, params, sig))
            cursor = found[-1].key
        return work[:limit]

    def answered(self, db: sqlite3.Connection, key: TrackKey, params: str, sig: str) -> bool:
        """Whether this version's answer for ``key`` under ``params`` was made from points
        of this digest."""
        kept = db.execute(
            f"SELECT version, digest FROM {self.name}_runs"
            " WHERE platform = ? AND account_id = ? AND params = ?",
            (*key, params),
        ).fetchone()
        return bool(kept == (self.version, sig))

    def ask(self, request: Sequence[Any] | None) -> Ask:
        """The question a run answers: the request's one :class:`Ask`, else the defaults."""
        return request[0] if request else Ask()

    def digest(self, track: Any) -> str:
        """What the answer depends on in a track (see :func:`digest`)."""
        return digest(track)

    def tracks(
        self, db: sqlite3.Connection, after: TrackKey | None, limit: int, ask: Ask
    ) -> list[Any]:
        """The accounts' and subjects' tracks after ``after``, in key order."""
        found = point_queries.account_tracks(db, after, limit, as_of=ask.as_of, only=ask.tracks)
        wanted = None if ask.tracks is None else set(ask.tracks)
        # Only the subjects this page can hold are read: every page asks again.
        later = [
            (name, held)
            for name, held in sorted(subjects.members(db).items())
            if (after is None or (SUBJECT, name) > after)
            and (wanted is None or (SUBJECT, name) in wanted)
        ]
        named = dict(later[:limit])
        if named:
            found += point_queries.subject_tracks(db, named, ask.as_of)
        found.sort(key=lambda track: track.key)
        return found[:limit]

    def key(self, item: Work) -> TrackKey:
        return item[0].key

    def failed(self, item: Any, reason: str) -> Answer:
        return (self.key(item), item[1], item[2], [], reason)

    def write(self, db: sqlite3.Connection, results: Sequence[Answer]) -> Counter[str]:
        """Replace each track's rows under its parameters; a track whose analysis failed
        keeps no rows, its reason in the runs table and a problem."""
        problems: Counter[str] = Counter()
        for key, params, sig, rows, error in results:
            db.execute(
                f"DELETE FROM {self.name} WHERE platform = ? AND account_id = ? AND params = ?",
                (*key, params),
            )
            problems += self.keep(db, key, params, sig, [(*key, *row) for row in rows], error)
        return problems

    def keep(
        self,
        db: sqlite3.Connection,
        key: TrackKey,
        params: str,
        sig: str,
        rows: Sequence[tuple[Any, ...]],
        error: str | None,
    ) -> Counter[str]:
        """Store an answer's rows (each ``(platform, account_id, *columns)``) and its run;
        a failed one gets a problem, under the track (or "case": the key of a whole-case
        answer has no platform)."""
        marks = ", ".join("?" * (4 + len(self.columns)))
        names = ", ".join(c for c, _ in self.columns)
        db.executemany(
            f"INSERT INTO {self.name} (platform, account_id, params, seq, {names})"
            f" VALUES ({marks})",
            [(*row[:2], params, seq, *row[2:]) for seq, row in enumerate(rows)],
        )
        db.execute(
            f"INSERT OR REPLACE INTO {self.name}_runs VALUES (?, ?, ?, ?, ?, ?)",
            (*key, params, self.version, sig, error),
        )
        if error is None:
            return Counter()
        code = f"{self.name}_failed"
        where = f"{key[0]}:{key[1]}" if key[0] else "case"
        db.execute(
            "INSERT OR IGNORE INTO problems (path, code, message) VALUES (?, ?, ?)",
            (where, code, error),
        )
        return Counter({code: 1})

    def rows(self, db: sqlite3.Connection, ask: Ask, where: str = "") -> list[dict[str, Any]]:
        """The stage's answer to ``ask``, as flat dicts, tracks in key order; ``where``, SQL
        over the stage's own columns, keeps only some (a map wants the impossible legs of
        a million, not a million dicts)."""
        names = [c for c, _ in self.columns]
        wanted = None if ask.tracks is None else set(ask.tracks)
        cursor = db.execute(
            f"SELECT platform, account_id, {', '.join(names)} FROM {self.name}"
            f" WHERE params = ? {f'AND ({where})' if where else ''}"
            " ORDER BY platform, account_id, seq",
            (ask.key(self.defaults),),
        )
        found = []
        for platform, account_id, *values in cursor:
            if wanted is None or (platform, account_id) in wanted:
                found.append(
                    {
                        "platform": platform,
                        "account_id": account_id,
                        **dict(zip(names, values, strict=True)),
                    }
                )
        return found


def analysis_of(analysis: Analysis) -> Callable[[Sequence[Work]], list[Answer]]:
    """A stage's ``compute`` from its analysis of one track: picklable by reference."""
    return partial(analyse_page, analysis)
