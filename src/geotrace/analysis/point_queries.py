"""The case's queries behind the analyses of people: whose sightings, and when they posted.

A sighting belongs to the account of its post, or, for a picture's own GPS, to the account
that first posted the picture (:data:`geotrace.sql.FIRST_POST_OF_MEDIA`: whose picture it
is).  A sighting of a file no post carries belongs to nobody and is left out of every
track (the commands count them and say how to follow them: assign them to a subject).

Times come out as seconds since 1970 UTC with a half-width: a wall time with no zone is
read as if it were UTC with :data:`geotrace.records.UNKNOWN_ZONE_WINDOW` added to its
uncertainty, so that it still counts, at its honest width.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from geotrace.analysis.points import F64, LOCAL_TIME_KNOWN_S, Points
from geotrace.places.queries import PLACE_COLUMNS, PLACE_JOIN
from geotrace.records import UNKNOWN_ZONE_WINDOW
from geotrace.sql import FIRST_POST_OF_MEDIA, latest_name

#: A track's name: (platform, account id); a subject's platform is :data:`SUBJECT`.
TrackKey = tuple[str, str]
SUBJECT = "subject"

_UNZONED_S = UNKNOWN_ZONE_WINDOW.total_seconds()
#: Seconds since 1970 of an ISO text column, in SQL (julianday is in every SQLite;
#: ``unixepoch(..., 'subsec')`` only from 3.42).
_EPOCH = "(julianday({0}) - 2440587.5) * 86400.0"
#: The columns of a sighting as :func:`_points` reads them (``o``: the owner's row).
_SIGHTING = (
    "s.id, o.post, s.lat, s.lon, s.radius_m,"
    f" {_EPOCH.format('coalesce(s.at_utc, s.at_local)')}, s.at_utc IS NULL,"
    f" coalesce(s.time_uncertainty_s, 0), s.confidence, {PLACE_COLUMNS}"
)
#: Each sighting with the post that makes it someone's.
_OWNED = f"SELECT s.id AS sid, coalesce(s.post, {FIRST_POST_OF_MEDIA}) AS post FROM sightings s"


@dataclass(frozen=True, slots=True)
class Track:
    """One account's (or subject's) timed sightings, with who witnessed each: the account
    itself, or for a subject every account whose material shows it."""

    key: TrackKey
    name: str | None
    points: Points
    witness: tuple[TrackKey, ...]


def _offset_hours(text: str | None) -> float:
    """ "+05:30" to 5.5 (NaN for no offset)."""
    if not text or len(text) < 6:
        return float("nan")
    sign = -1.0 if text[0] == "-" else 1.0
    return sign * (int(text[1:3]) + int(text[4:6]) / 60.0)


def _points(rows: Sequence[tuple[object, ...]]) -> Points:
    """Points from rows of :data:`_SIGHTING` (at least one row with a time)."""
    cols = list(zip(*rows, strict=True))
    # julianday's arithmetic leaves ~10 us of noise: instants are kept to the millisecond.
    t = np.round(np.asarray(cols[5], dtype=np.float64), 3)
    unzoned = np.asarray(cols[6], dtype=bool)
    u = np.asarray(cols[7], dtype=np.float64) + np.where(unzoned, _UNZONED_S, 0.0)
    offsets = {text: _offset_hours(text) for text in set(cols[13])}
    offset = np.array([offsets[o] for o in cols[13]], dtype=np.float64)
    local_hour = np.where(u <= LOCAL_TIME_KNOWN_S, np.mod(t / 3600.0 + offset, 24.0), np.nan)
    return Points.build(
        sighting=cols[0],
        post=[-1 if p is None else p for p in cols[1]],
        lat=cols[2],
        lon=cols[3],
        radius_m=cols[4],
        t=t,
        u=u,
        local_hour=local_hour,
        confidence=cols[8],
        country_de_jure=[c or "" for c in cols[9]],
        country_de_facto=[c or "" for c in cols[10]],
        admin1=[c or "" for c in cols[11]],
        border_confidence=[c or "" for c in cols[12]],
    )


def _as_of_clause(as_of: float | None) -> tuple[str, tuple[float, ...]]:
    """Nothing after ``as_of`` is seen: a sighting counts once its window has begun."""
    if as_of is None:
        return "", ()
    return f" AND {_EPOCH.format('coalesce(s.at_utc, s.at_local)')} <= ?", (as_of,)


def account_tracks(
    db: sqlite3.Connection,
    after: TrackKey | None,
    limit: int,
    *,
    as_of: float | None = None,
    only: Iterable[TrackKey] | None = None,
) -> list[Track]:
    """Up to ``limit`` accounts with timed sightings, in (platform, account id) order after
    ``after``, each with its points.

    Accounts are taken in key order a batch at a time and only their sightings are read
    (through their posts): a page costs its accounts' posts, never every sighting of the
    case (at 1M sightings a pass over them all, for each page, made one account's track
    take minutes; bench/analytics.py)."""
    when, args = _as_of_clause(as_of)
    chosen: dict[int, TrackKey] = {}
    grouped: dict[int, list[tuple[object, ...]]] = {}
    for batch in _account_batches(db, after, max(limit, 64), only):
        marks = ",".join("?" * len(batch))
        ids = list(batch)
        rows = db.execute(
            f"SELECT po.account, {_SIGHTING} FROM ({_owned_by(marks)}) o"
            f" JOIN sightings s ON s.id = o.sid JOIN posts po ON po.id = o.post {PLACE_JOIN}"
            " WHERE coalesce(s.at_utc, s.at_local) IS NOT NULL"
            + when
            + f" AND po.account IN ({marks})",
            (*ids, *ids, *args, *ids),
        )
        found: dict[int, list[tuple[object, ...]]] = {}
        for account, *sighting in rows:
            found.setdefault(int(account), []).append(tuple(sighting))
        for row_id, key in batch.items():
            if row_id in found and len(chosen) < limit:
                chosen[row_id] = key
                grouped[row_id] = found[row_id]
        if len(chosen) == limit:
            break
    keys = sorted((key, a) for a, key in chosen.items())
    names = _names(db, [a for _, a in keys])
    return [
        Track(key, names.get(a), _points(grouped[a]), (key,) * len(grouped[a])) for key, a in keys
    ]


def _owned_by(marks: str) -> str:
    """SQL for the sightings that can belong to the accounts ``marks`` stands for (given
    twice): their posts' own, and those of the media their posts carried, each with its
    owning post (the media's first post, which may be another account's: the caller keeps
    the rows whose owning post is of its accounts)."""
    return (
        "SELECT s.id AS sid, s.post AS post FROM posts po JOIN sightings s ON s.post = po.id"
        f" WHERE po.account IN ({marks})"
        f" UNION SELECT s.id, {FIRST_POST_OF_MEDIA} FROM posts po"
        " JOIN post_media pm ON pm.post = po.id"
        " JOIN sightings s ON s.media_sha256 = pm.sha256 AND s.post IS NULL"
        f" WHERE po.account IN ({marks})"
    )


def _account_batches(
    db: sqlite3.Connection, after: TrackKey | None, size: int, only: Iterable[TrackKey] | None
) -> Iterator[dict[int, TrackKey]]:
    """Accounts after ``after`` in key order (only those of ``only``, when given), as
    batches of row id -> key."""
    start = ("", "") if after is None else after
    if only is not None:
        wanted = sorted(key for key in set(only) if key > start)
        found: dict[int, TrackKey] = {}
        for key in wanted:
            row = db.execute(
                "SELECT id FROM accounts WHERE platform = ? AND account_id = ?", key
            ).fetchone()
            if row is not None:
                found[int(row[0])] = key
        for i in range(0, len(found), size):
            yield dict(list(found.items())[i : i + size])
        return
    while True:
        rows = db.execute(
            "SELECT id, platform, account_id FROM accounts WHERE (platform, account_id) > (?, ?)"
            " ORDER BY platform, account_id LIMIT ?",
            (*start, size),
        ).fetchall()
        if not rows:
            return
        yield {int(i): (str(p), str(a)) for i, p, a in rows}
        start = (str(rows[-1][1]), str(rows[-1][2]))


def _names(db: sqlite3.Connection, accounts: Sequence[int]) -> dict[int, str]:
    """The latest display name (else handle) of each account."""
    found: dict[int, str] = {}
    for start in range(0, len(accounts), 500):
        chunk = accounts[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row_id, name in db.execute(
            f"SELECT a.id, {latest_name('a')} FROM accounts a WHERE a.id IN ({marks})", chunk
        ):
            if name:
                found[int(row_id)] = str(name)
    return found


def subject_tracks(
    db: sqlite3.Connection, members: dict[str, tuple[list[str], list[int]]], as_of: float | None
) -> list[Track]:
    """Each subject's route: the sightings of its media, of its posts and of the media its
    posts carry, each with the account that witnessed it (('', '') for a file no post
    carries).  ``members``: subject name -> (media sha256s, post row ids)."""
    when, args = _as_of_clause(as_of)
    found: list[Track] = []
    for name in sorted(members):
        media, posts = members[name]
        marks_m, marks_p = ",".join("?" * len(media)), ",".join("?" * len(posts))
        rows = db.execute(
            f"SELECT a.platform, a.account_id, {_SIGHTING} FROM ({_OWNED}) o"
            f" JOIN sightings s ON s.id = o.sid LEFT JOIN posts po ON po.id = o.post"
            f" LEFT JOIN accounts a ON a.id = po.account {PLACE_JOIN}"
            " WHERE coalesce(s.at_utc, s.at_local) IS NOT NULL"
            f" AND (s.media_sha256 IN ({marks_m}) OR s.post IN ({marks_p})"
            f" OR s.media_sha256 IN (SELECT sha256 FROM post_media WHERE post IN ({marks_p})))"
            + when,
            (*media, *posts, *posts, *args),
        ).fetchall()
        if not rows:
            continue
        points = _points([row[2:] for row in rows])
        by_id = {int(row[2]): (str(row[0] or ""), str(row[1] or "")) for row in rows}
        witness = tuple(by_id[int(i)] for i in points.sighting)
        found.append(Track((SUBJECT, name), name, points, witness))
    return found


def unowned_sightings(db: sqlite3.Connection) -> int:
    """Sightings that belong to no account (files no post carries)."""
    row = db.execute(
        f"SELECT count(*) FROM ({_OWNED}) o LEFT JOIN posts po ON po.id = o.post"
        " WHERE po.account IS NULL"
    ).fetchone()
    return int(row[0])


@dataclass(frozen=True, slots=True)
class PostTimes:
    """When one account posted: window centres and half-widths, seconds since 1970 UTC."""

    key: TrackKey
    name: str | None
    t: F64
    u: F64


def post_times(
    db: sqlite3.Connection,
    after: TrackKey | None,
    limit: int,
    *,
    as_of: float | None = None,
    only: Iterable[TrackKey] | None = None,
) -> list[PostTimes]:
    """Up to ``limit`` accounts' posting instants, in (platform, account id) order after
    ``after``: every post with a time counts, a time-only one (an X archive's header) too.

    Read a batch of accounts at a time through the posts' account index, in its order
    (time, then row): a page costs its accounts' posts, not a sort of every post of the
    case (bench/analytics.py)."""
    clause = (
        ""
        if as_of is None
        else f" AND {_EPOCH.format('coalesce(p.posted_utc, p.posted_local)')} <= ?"
    )
    grouped: dict[int, tuple[TrackKey, list[float], list[float]]] = {}
    for batch in _account_batches(db, after, max(limit, 64), only):
        marks = ",".join("?" * len(batch))
        rows = db.execute(
            f"SELECT p.account, {_EPOCH.format('coalesce(p.posted_utc, p.posted_local)')},"
            " p.posted_utc IS NULL, coalesce(p.time_uncertainty_s, 0) FROM posts p"
            f" WHERE p.account IN ({marks})"
            " AND coalesce(p.posted_utc, p.posted_local) IS NOT NULL"
            + clause
            + " ORDER BY p.account, p.posted_utc, p.id",
            (*batch, *(() if as_of is None else (as_of,))),
        )
        found: dict[int, tuple[list[float], list[float]]] = {}
        for row_id, t, unzoned, u in rows:
            entry = found.setdefault(int(row_id), ([], []))
            entry[0].append(round(float(t), 3))
            entry[1].append(float(u) + (_UNZONED_S if unzoned else 0.0))
        for row_id, key in batch.items():
            if row_id in found and len(grouped) < limit:
                grouped[row_id] = (key, *found[row_id])
        if len(grouped) == limit:
            break
    names = _names(db, list(grouped))
    return [
        PostTimes(
            key, names.get(a), np.asarray(ts, dtype=np.float64), np.asarray(us, dtype=np.float64)
        )
        for a, (key, ts, us) in grouped.items()
    ]
