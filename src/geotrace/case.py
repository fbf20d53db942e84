"""The case store: one SQLite file plus a content-addressed media folder beside it.

``investigation.case`` is a plain SQLite database (open it with ``sqlite3`` or Datasette)
and ``investigation.case.media/`` holds the originals (see :mod:`geotrace.mediastore`).

Why it survives ``kill -9``: the database runs in rollback-journal mode with
``synchronous=FULL``, so a transaction is either wholly on disk or wholly undone at the
next open; each input item's rows (source, media, sighting, problems, custody) are written
in one transaction, after its original is already safely in the media folder; and every
insert is ``INSERT OR IGNORE`` against a key made from content (sha256, path, method), so
a re-run completes an interrupted ingest without duplicating anything.  Rollback journal
rather than WAL keeps the case a single file that can be copied and handed on.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from geotrace.mediastore import MediaStore
from geotrace.records import CustodyEntry, Media, Problem, Sighting, Source, iso

#: Each entry migrates the schema from version i to i+1; never edit one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE media (
        sha256         TEXT PRIMARY KEY,
        kind           TEXT NOT NULL,
        mime           TEXT,
        size           INTEGER NOT NULL,
        first_path     TEXT NOT NULL,
        stored_as      TEXT NOT NULL,
        reader         TEXT NOT NULL,
        reader_version TEXT NOT NULL,
        metadata       TEXT NOT NULL,
        added_at       TEXT NOT NULL
    );
    CREATE TABLE sources (
        id             INTEGER PRIMARY KEY,
        path           TEXT NOT NULL,
        kind           TEXT NOT NULL,
        container      TEXT,
        size           INTEGER NOT NULL,
        sha256         TEXT NOT NULL REFERENCES media(sha256),
        reader         TEXT NOT NULL,
        reader_version TEXT NOT NULL,
        ingested_at    TEXT NOT NULL,
        UNIQUE (path, sha256)
    );
    CREATE INDEX sources_sha256 ON sources(sha256);
    CREATE TABLE sightings (
        id                 INTEGER PRIMARY KEY,
        media_sha256       TEXT NOT NULL REFERENCES media(sha256),
        method             TEXT NOT NULL,
        lat                REAL NOT NULL,
        lon                REAL NOT NULL,
        alt_m              REAL,
        radius_m           REAL NOT NULL,
        at_utc             TEXT,
        at_local           TEXT,
        time_basis         TEXT NOT NULL,
        time_uncertainty_s REAL,
        confidence         REAL NOT NULL,
        evidence           TEXT NOT NULL,
        UNIQUE (media_sha256, method)
    );
    CREATE TABLE problems (
        id      INTEGER PRIMARY KEY,
        sha256  TEXT NOT NULL DEFAULT '',
        path    TEXT NOT NULL,
        code    TEXT NOT NULL,
        message TEXT NOT NULL,
        UNIQUE (sha256, path, code, message)
    );
    CREATE TABLE custody_log (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        action TEXT NOT NULL,
        sha256 TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL
    );
    """,
    # 2: the resolve stage's answer per sighting (geotrace.places); derived, so it can
    # always be rebuilt, and it goes with its sighting.
    """
    CREATE TABLE places (
        sighting_id       INTEGER PRIMARY KEY REFERENCES sightings(id) ON DELETE CASCADE,
        places_version    TEXT NOT NULL,
        country_de_jure   TEXT,
        country_de_facto  TEXT,
        admin1_code       TEXT,
        admin1_name       TEXT,
        border_confidence TEXT,
        place             TEXT NOT NULL
    );
    CREATE INDEX places_country ON places(country_de_jure, country_de_facto, admin1_code);
    """,
)

TABLES = ("sources", "media", "sightings", "places", "problems", "custody_log")

#: The fields of a sighting as :meth:`Case.sightings` gives them, in order.
SIGHTING_FIELDS = (
    "id",
    "media_sha256",
    "media_path",
    "media_kind",
    "method",
    "lat",
    "lon",
    "alt_m",
    "radius_m",
    "at_utc",
    "at_local",
    "time_basis",
    "time_uncertainty_s",
    "confidence",
    "evidence",
    "country_de_jure",
    "country_de_facto",
    "admin1_code",
    "border_confidence",
    "place",
)


def now_utc() -> datetime:
    """The current instant, for ``ingested_at`` and the custody log."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Written:
    """What one item's transaction added (False where the row already existed)."""

    new_source: bool
    new_media: bool
    new_sighting: bool


class Case:
    """An open case; use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path, *, write: bool = False) -> None:
        self.path = Path(path)
        self.media = MediaStore(self.path.with_name(self.path.name + ".media"))
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.media.lock()
        elif not self.path.is_file():
            raise FileNotFoundError(f"no case at {self.path}")
        # Readers open read-write too: only a writer can roll back the journal a killed
        # ingest left, and SQLite does that on open; "rw" never creates a missing file.
        uri = "file:" + quote(str(self.path)) + ("" if write else "?mode=rw")
        try:
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
            if write:
                self.db.execute("PRAGMA journal_mode = DELETE")
                self.db.execute("PRAGMA synchronous = FULL")
                self._migrate()
        except BaseException:
            self.media.close()  # not a case (or a broken one): give the lock back
            raise

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction: wholly on disk or wholly undone (see the module docstring)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the database and release the writer lock."""
        self.db.close()
        self.media.close()

    def _migrate(self) -> None:
        """Bring the schema up to date, one migration per transaction."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        (current,) = self.db.execute(
            "SELECT coalesce(max(version), 0) FROM schema_version"
        ).fetchone()
        for version in range(current + 1, len(MIGRATIONS) + 1):
            with self._transaction():
                for statement in MIGRATIONS[version - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO schema_version VALUES (?, ?)", (version, iso(now_utc()))
                )
                if version == 1:
                    self._log(CustodyEntry(now_utc(), "case_created", "", {}))

    # -- writes ------------------------------------------------------------------------

    def media_reader_version(self, sha256: str) -> str | None:
        """The reader version a media was read with, or None if it is not in the case."""
        row = self.db.execute("SELECT reader_version FROM media WHERE sha256 = ?", (sha256,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def record(
        self,
        source: Source,
        media: Media | None,
        sighting: Sighting | None,
        problems: Sequence[Problem],
    ) -> Written:
        """Write one item in one transaction.

        ``media`` is None when the bytes are already in the case, read by this reader
        version: then only the source (a new name for known bytes) is added.  A media
        read by an older reader version is read again: its sighting and problems are
        replaced, in the same transaction, so no stale reading survives beside the new.
        """
        with self._transaction():
            new_media = media is not None and self._put_media(media, source)
            cur = self.db.execute(
                "INSERT OR IGNORE INTO sources"
                " (path, kind, container, size, sha256, reader, reader_version, ingested_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source.path,
                    source.kind,
                    source.container,
                    source.size,
                    source.sha256,
                    source.reader,
                    source.reader_version,
                    iso(now_utc()),
                ),
            )
            new_source = cur.rowcount == 1
            new_sighting = sighting is not None and self._put_sighting(sighting)
            if media is not None:
                for problem in problems:
                    self._put_problem(media.sha256, media.first_path, problem)
        return Written(new_source, new_media, new_sighting)

    def refuse(self, path: str, problem: Problem, sha256: str = "") -> bool:
        """Record an input that was not read; True if the problem is new."""
        with self._transaction():
            added = self._put_problem(sha256, path, problem)
        return added

    def _put_media(self, media: Media, source: Source) -> bool:
        """Insert or re-read a media row; True if its bytes are new to the case."""
        previous = self.media_reader_version(media.sha256)
        if previous is not None:
            self.db.execute("DELETE FROM sightings WHERE media_sha256 = ?", (media.sha256,))
            self.db.execute("DELETE FROM problems WHERE sha256 = ?", (media.sha256,))
        self.db.execute(
            "INSERT OR REPLACE INTO media"
            " (sha256, kind, mime, size, first_path, stored_as, reader, reader_version,"
            "  metadata, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
            "  coalesce((SELECT added_at FROM media WHERE sha256 = ?), ?))",
            (
                media.sha256,
                media.kind,
                media.mime,
                media.size,
                media.first_path,
                self.media.relpath(media.sha256),
                source.reader,
                source.reader_version,
                json.dumps(media.metadata, ensure_ascii=False),
                media.sha256,
                iso(now_utc()),
            ),
        )
        action = "stored" if previous is None else "reread"
        detail = {"path": source.path, "size": media.size, "reader_version": source.reader_version}
        self._log(CustodyEntry(now_utc(), action, media.sha256, detail))
        return previous is None

    def _put_sighting(self, s: Sighting) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO sightings"
            " (media_sha256, method, lat, lon, alt_m, radius_m, at_utc, at_local, time_basis,"
            "  time_uncertainty_s, confidence, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.media_sha256,
                s.method,
                s.lat,
                s.lon,
                s.alt_m,
                s.radius_m,
                iso(s.at_utc),
                iso(s.at_local),
                s.time_basis,
                s.time_uncertainty_s,
                s.confidence,
                json.dumps(s.evidence, ensure_ascii=False),
            ),
        )
        return cur.rowcount == 1

    def _put_problem(self, sha256: str, path: str, problem: Problem) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO problems (sha256, path, code, message) VALUES (?, ?, ?, ?)",
            (sha256, path, problem.code, problem.message),
        )
        return cur.rowcount == 1

    def _log(self, entry: CustodyEntry) -> None:
        detail = json.dumps(entry.detail, ensure_ascii=False)
        self.db.execute(
            "INSERT INTO custody_log (at, action, sha256, detail) VALUES (?, ?, ?, ?)",
            (iso(entry.at), entry.action, entry.sha256, detail),
        )

    # -- queries -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def problem_counts(self) -> dict[str, int]:
        """Problems in the case, by code."""
        rows = self.db.execute("SELECT code, count(*) FROM problems GROUP BY code ORDER BY code")
        return {str(code): int(n) for code, n in rows}

    def sightings(self) -> Iterator[dict[str, Any]]:
        """Every sighting as a flat dict, with the name its media was first seen under."""
        cur = self.db.execute(
            "SELECT s.id, s.media_sha256, m.first_path, m.kind, s.method, s.lat, s.lon,"
            " s.alt_m, s.radius_m, s.at_utc, s.at_local, s.time_basis, s.time_uncertainty_s,"
            " s.confidence, s.evidence, p.country_de_jure, p.country_de_facto, p.admin1_code,"
            " p.border_confidence, p.place"
            " FROM sightings s JOIN media m ON m.sha256 = s.media_sha256"
            " LEFT JOIN places p ON p.sighting_id = s.id"
            " ORDER BY s.at_utc IS NULL, s.at_utc, s.id"
        )
        for row in cur:
            record = dict(zip(SIGHTING_FIELDS, row, strict=True))
            record["evidence"] = json.loads(record["evidence"])
            record["place"] = json.loads(record["place"]) if record["place"] else None
            yield record

    def unplaced_sightings(
        self, version: str
    ) -> list[tuple[int, float, float, float, str | None, str]]:
        """(id, lat, lon, radius_m, at_utc, time_basis) of sightings lacking a current place."""
        rows = self.db.execute(
            "SELECT s.id, s.lat, s.lon, s.radius_m, s.at_utc, s.time_basis FROM sightings s"
            " LEFT JOIN places p ON p.sighting_id = s.id"
            " WHERE p.places_version IS NOT ? ORDER BY s.id",
            (version,),
        )
        return [(int(i), float(a), float(o), float(r), t, str(b)) for i, a, o, r, t, b in rows]

    def put_places(self, version: str, places: Sequence[tuple[int, dict[str, Any]]]) -> int:
        """Store resolved places, replacing older versions, in one transaction."""
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO places (sighting_id, places_version, country_de_jure,"
                " country_de_facto, admin1_code, admin1_name, border_confidence, place)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        version,
                        p.get("country_de_jure"),
                        p.get("country_de_facto"),
                        p.get("admin1_code"),
                        p.get("admin1_name"),
                        p.get("border_confidence"),
                        json.dumps(p, ensure_ascii=False),
                    )
                    for sid, p in places
                ],
            )
        return len(places)

    def regions(self) -> list[dict[str, Any]]:
        """Sightings per de jure country, de facto country and admin-1 unit."""
        rows = self.db.execute(
            "SELECT p.country_de_jure, p.country_de_facto, p.admin1_code, p.admin1_name,"
            " count(*), min(s.at_utc), max(s.at_utc),"
            " sum(p.border_confidence = 'high')"
            " FROM sightings s JOIN places p ON p.sighting_id = s.id"
            " GROUP BY 1, 2, 3, 4 ORDER BY count(*) DESC, 1, 3"
        )
        keys = (
            "country_de_jure",
            "country_de_facto",
            "admin1_code",
            "admin1_name",
            "sightings",
            "first_utc",
            "last_utc",
            "high_confidence",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def originals(self) -> Iterator[tuple[str, int, Path]]:
        """(sha256, size, stored file) of every original the case holds."""
        for sha, size, rel in self.db.execute("SELECT sha256, size, stored_as FROM media"):
            yield str(sha), int(size), self.media.root / rel
