"""The case store: one SQLite file plus a content-addressed media folder beside it.

``investigation.case`` is a plain SQLite database (open it with ``sqlite3`` or Datasette)
and ``investigation.case.media/`` holds the originals (see :mod:`geotrace.store.media`).

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
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from geotrace.errors import CaseError, CaseFull, CaseUnwritable, NotACase
from geotrace.records import (
    HEADER_KIND,
    CustodyEntry,
    Media,
    Problem,
    Sighting,
    Source,
    iso,
)
from geotrace.sql import FIRST_POST_OF_MEDIA, MigrationSet
from geotrace.store import migrations
from geotrace.store.core import CORE, TABLES
from geotrace.store.media import MediaStore, disk_error
from geotrace.store.post_rows import (
    FILL_HEADER,
    HEADER_AUTHOR,
    INSERT_POST,
    AccountSeen,
    LinkRow,
    MediaLink,
    PostBundle,
    PostsWritten,
)


def now_utc() -> datetime:
    """The current instant, for ``ingested_at`` and the custody log."""
    return datetime.now(UTC)


#: SQLite page cache of a writer, in KiB: bounded, and enough for the posts' indexes
#: (measured on 400,000 posts, us a post: 2 MB 38.5, 8 MB 33.1, 16 MB 33.8, 64 MB 43.9).
CACHE_KIB = 16 * 1024
#: The posts' account index, as migration 3 made it (see :meth:`Case.bulk_posts`).
POSTS_ACCOUNT_INDEX = "CREATE INDEX IF NOT EXISTS posts_account ON posts(account, posted_utc)"
#: Account row ids kept in memory while writing posts, at most.
ACCOUNT_CACHE = 100_000
#: Suffix of an export document's reader version while its posts are being written.
INCOMPLETE = "+incomplete"
#: SQLite's ``application_id`` of a case ("GeoT"): the mark, in the file's header, that
#: tells a case from another application's database before anything is written to it.
APPLICATION_ID = 0x47656F54


def is_case(path: Path) -> bool:
    """Whether ``path`` is a geotrace case; False where there is none yet (no file, or an
    empty one: a new case).  Anything else raises :class:`NotACase`, and is only read:
    opening another application's database read-write would change it (a journal, a
    rolled-back transaction) even if geotrace wrote nothing.

    The mark is the header's application id; a case made before it is known by the
    ``schema_version`` table its migrations keep.  A database with no table at all is
    taken as empty, like an empty file.
    """
    if path.is_dir():
        raise NotACase(f"{path} is a folder, not a case file")
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CaseError(f"cannot read the case {path}: {exc.strerror or exc}") from exc
    if not header:
        return False
    if not header.startswith(b"SQLite format 3\0") or len(header) < 100:
        raise NotACase(f"{path} is not a geotrace case (not a SQLite database)")
    application = int.from_bytes(header[68:72], "big")
    if application == APPLICATION_ID:
        return True
    if application != 0:
        owner = f"application id {application:#x}"
    else:
        uri = "file:" + quote(str(path)) + "?mode=ro&immutable=1"  # creates no file
        try:
            with closing(sqlite3.connect(uri, uri=True)) as db:
                tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master")]
                version = [c[1] for c in db.execute("PRAGMA table_info(schema_version)")]
        except sqlite3.DatabaseError as exc:
            raise NotACase(f"{path} is not a geotrace case ({exc})") from exc
        if not tables:
            return False
        if version == ["version", "applied_at"]:
            return True
        owner = "holding " + ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
    raise NotACase(
        f"{path} is not a geotrace case but another application's database ({owner});"
        " it was left untouched"
    )


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """SQLite's errors for a full disk or a case it may not write, as the fatal errors
    they are (an input must never be blamed for them, nor SQLite's wording shown)."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary of an extended code
        if code == sqlite3.SQLITE_FULL:
            raise CaseFull(f"no space left on the case's disk ({path}): {exc}") from exc
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            raise CaseUnwritable(f"cannot write the case {path}: {exc}") from exc
        raise


def _fields(record: Source) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


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
        self._account_ids: dict[tuple[str, str], int] = {}
        self._unchecked = False  # foreign keys off for a bulk load (see bulk_posts)
        if not is_case(self.path) and not write:
            raise FileNotFoundError(f"no case at {self.path}")
        if write:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise disk_error(exc, self.path.parent) from exc
            self.media.lock()
        # Readers open read-write too: only a writer can roll back the journal a killed
        # ingest left, and SQLite does that on open; "rw" never creates a missing file,
        # and falls back to reading where the file or its folder is read-only.
        uri = "file:" + quote(str(self.path)) + ("" if write else "?mode=rw")
        try:
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
            if write:
                with _writing(self.path):
                    self.db.execute("PRAGMA journal_mode = DELETE")
                    self.db.execute("PRAGMA synchronous = FULL")
                    # Index pages of a million posts do not fit SQLite's default 2 MB page
                    # cache; every insert then re-reads B-tree pages (measured: 46 us/post).
                    self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                    self._migrate()
        except BaseException:
            self.media.close()  # not a case (or a broken one): give the lock back
            raise

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: wholly on disk or wholly undone (see the module docstring).

        SQLite itself undoes a transaction that a full disk stopped: then there is none
        left to roll back, and the error to raise is the disk's (see ``_writing``).
        """
        with _writing(self.path):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def own_files(self) -> frozenset[str]:
        """The absolute paths that are this case, not evidence: its database, SQLite's side
        files and its media folder (``geotrace ingest . --case inv.case`` must not read
        the case into itself)."""
        db = os.path.abspath(self.path)
        sides = (db + suffix for suffix in ("-journal", "-wal", "-shm"))
        return frozenset((db, *sides, os.path.abspath(self.media.root)))

    def close(self) -> None:
        """Close the database and release the writer lock."""
        self.db.close()
        self.media.close()

    def _migrate(self) -> None:
        """Mark the file as a case and bring its core tables up to date.  The mark is
        written first, every time: it is also the proof that the case can be written,
        before any original is copied for it."""
        with self.transaction():
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.migrate(CORE)

    def migrate(self, owner: MigrationSet) -> list[str]:
        """Apply the steps of ``owner``'s migration set this case lacks, one transaction
        each, and return their names.  A step a case written before the sets already made
        (its ``legacy`` number is in ``schema_version``) is recorded, not run again.

        A step may rebuild a table (SQLite's documented way to change a column): with
        foreign keys on, dropping the old table would cascade into its children.  The
        pragma is a no-op inside a transaction, so it is set around them, and the keys are
        checked before a step that moves rows is committed (``migrations.moves_rows``).
        """
        todo = migrations.pending(self.db, owner)
        if not todo:
            return []
        legacy = migrations.legacy_versions(self.db)
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            for step in todo:
                with self.transaction():
                    if step.legacy is not None and step.legacy in legacy:
                        migrations.record(self.db, owner, step, legacy[step.legacy])
                        continue
                    migrations.run(self.db, step)
                    check = migrations.moves_rows(step)
                    broken = check and self.db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise sqlite3.IntegrityError(f"{owner.name} {step.name}: {broken[:3]}")
                    migrations.record(self.db, owner, step, iso(now_utc()) or "")
                    if owner is CORE and step is CORE.steps[0]:
                        self._log(CustodyEntry(now_utc(), "case_created", "", {}))
        finally:
            if not self._unchecked:
                self.db.execute("PRAGMA foreign_keys = ON")
        return [step.name for step in todo]

    def schema(self) -> dict[str, str]:
        """The last step each migration set has applied to this case, by set."""
        return migrations.last_steps(self.db)

    # -- writes ------------------------------------------------------------------------

    def media_reader_version(self, sha256: str) -> str | None:
        """The reader version a media was read with, or None if it is not in the case."""
        row = self.db.execute("SELECT reader_version FROM media WHERE sha256 = ?", (sha256,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def has_source(self, path: str, size: int) -> bool:
        """Whether an input at ``path`` of ``size`` bytes was recorded before (a re-run:
        the ingest then hashes it in place before copying it; see ``ingest._known_file``)."""
        row = self.db.execute(
            "SELECT 1 FROM sources WHERE path = ? AND size = ? LIMIT 1", (path, size)
        )
        return row.fetchone() is not None

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
        with self.transaction():
            return self._write_item(source, media, sighting, problems)

    def refuse(self, path: str, problem: Problem, sha256: str = "") -> bool:
        """Record an input that was not read; True if the problem is new."""
        with self.transaction():
            added = self._put_problem(sha256, path, problem)
        return added

    def clear_refusals(self, path: str) -> None:
        """Forget what earlier runs said of a path they could not read (see
        ``_clear_refusals``): for a folder given again that is there now."""
        with self.transaction():
            self._clear_refusals(path)

    def _clear_refusals(self, path: str) -> None:
        """A refusal (no sha256: the bytes were never read) is what one run met at a
        path: missing, unreadable, a member that would not inflate.  Once the path is
        read, it no longer holds; a refusal that still holds is met, and recorded, again.
        Problems of the bytes themselves (with a sha256) stay with them."""
        self.db.execute("DELETE FROM problems WHERE sha256 = '' AND path = ?", (path,))

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

    def _put_sighting(self, s: Sighting, post: int | None = None) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO sightings"
            " (media_sha256, post, method, lat, lon, alt_m, radius_m, at_utc, at_local,"
            "  time_basis, time_uncertainty_s, confidence, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.media_sha256,
                post,
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

    # -- exports -----------------------------------------------------------------------

    def start_export(self, source: Source, media: Media) -> bool:
        """Keep an export document's source and media rows before its posts.

        The media row is marked ``+incomplete`` until :meth:`finish_export`: a kill in
        between leaves a document that the next run reads again (its posts are keyed, so
        nothing doubles) instead of one that looks done.  True if the bytes are new.
        """
        marked = Source(**{**_fields(source), "reader_version": source.reader_version + INCOMPLETE})
        return self.record(marked, media, None, ()).new_media

    def bulk_posts(self) -> None:
        """Prepare for a large export: drop the posts' account index and stop checking
        foreign keys row by row.

        Keeping the index up to date row by row is a third of the write cost, building it
        once after is a second a million posts; the foreign-key lookups are another 18 us a
        post (measured: 49 against 31 us a post written).  Every key a bulk write sets comes
        from a row this connection has just written or read (the account ids, the export's
        media row, the post ids), and :meth:`ensure_indexes` checks them all once at the end.
        :meth:`finish_export` (or the next run, after a kill) builds the index again; queries
        work without it meanwhile, only slower.
        """
        with _writing(self.path):
            self.db.execute("DROP INDEX IF EXISTS posts_account")
        self.db.execute("PRAGMA foreign_keys = OFF")
        self._unchecked = True

    def ensure_indexes(self) -> None:
        """Build what :meth:`bulk_posts` dropped (a no-op when it is there), and check the
        foreign keys it did not: after each export, and at the end of every ingest, in
        case a killed run left the index dropped."""
        with _writing(self.path):
            self.db.execute(POSTS_ACCOUNT_INDEX)
        if self._unchecked:
            for table in ("posts", "post_media", "links", "sightings"):
                broken = self.db.execute(f"PRAGMA foreign_key_check({table})").fetchone()
                if broken is not None:
                    raise sqlite3.IntegrityError(f"{table} row {broken[1]}: no {broken[2]} row")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._unchecked = False

    def finish_export(
        self, source: Source, metadata: dict[str, object], problems: Sequence[Problem]
    ) -> None:
        """Mark an export document as wholly read, with what its reader said of it."""
        self.ensure_indexes()
        with self.transaction():
            self.db.execute(
                "UPDATE media SET reader_version = ?, metadata = ? WHERE sha256 = ?",
                (source.reader_version, json.dumps(metadata, ensure_ascii=False), source.sha256),
            )
            self.db.execute(
                "UPDATE sources SET reader_version = ? WHERE sha256 = ? AND path = ?",
                (source.reader_version, source.sha256, source.path),
            )
            for problem in problems:
                self._put_problem(source.sha256, source.path, problem)

    def put_posts(
        self,
        source_sha256: str,
        bundles: Sequence[PostBundle],
        accounts: Sequence[AccountSeen] = (),
        refused: Sequence[tuple[str, Problem]] = (),
    ) -> PostsWritten:
        """Write a batch of posts, accounts met on their own (an archive's owner) and the
        items the reader refused (location, problem), in one transaction.  A post already
        in the case (same platform and id) is left as it is, with its media, links and
        sightings, unless it is only a header: then the fuller copy takes its row.

        Batches, not one transaction per post: a transaction costs a disk sync (FULL
        synchronous), and exports bring posts by the million.
        """
        written = PostsWritten()
        names: dict[tuple[int, str, str], tuple[str | None, str | None]] = {}
        execute = self.db.execute
        with self.transaction():
            for seen_alone in accounts:
                self._account(seen_alone, None, names)
            for location, problem in refused:
                self._put_problem(source_sha256, location, problem)
            for values, author, chat, media, links, sightings in bundles:
                seen = cast(str | None, values[4])  # posted_utc
                row = (self._account(author, seen, names), self._account(chat, seen, names))
                params = (*row, source_sha256, *values)
                cur = execute(INSERT_POST, params)
                rowid = cur.lastrowid if cur.rowcount == 1 else None
                if rowid is None and values[2] != HEADER_KIND:
                    filled = execute(FILL_HEADER, (*params, values[0], values[1])).fetchone()
                    rowid = None if filled is None else filled[0]
                elif rowid is None and row[0] is not None:
                    execute(HEADER_AUTHOR, (row[0], values[0], values[1]))
                if rowid is not None:
                    written.posts += 1
                    if media or links or sightings:
                        self._put_post_children(rowid, media, links, sightings, written)
            self.db.executemany(
                "INSERT INTO account_names (account, handle, name, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, handle, name) DO UPDATE SET"
                " first_seen = min(coalesce(first_seen, excluded.first_seen),"
                "                  coalesce(excluded.first_seen, first_seen)),"
                " last_seen = max(coalesce(last_seen, excluded.last_seen),"
                "                 coalesce(excluded.last_seen, last_seen))",
                [(*key, first, last) for key, (first, last) in names.items()],
            )
        return written

    def _put_post_children(
        self,
        rowid: int | None,
        media: Sequence[MediaLink],
        links: Sequence[LinkRow],
        sightings: Sequence[Sighting],
        written: PostsWritten,
    ) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO post_media (post, ref, path, kind, missing, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(rowid, *ref) for ref in media],
        )
        for link in links:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO links (post, kind, target_post, target_account,"
                " target_name, target_at) VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, *link),
            )
            written.links += cur.rowcount
        for sighting in sightings:
            written.sightings += self._put_sighting(sighting, rowid)

    def _account(
        self,
        account: AccountSeen | None,
        seen: str | None,
        names: dict[tuple[int, str, str], tuple[str | None, str | None]],
    ) -> int | None:
        """The row id of an account (added if new), noting the handle and name seen."""
        if account is None:
            return None
        platform, account_id, handle, name = account
        key = (platform, account_id)
        rowid = self._account_ids.get(key)
        if rowid is None:
            self.db.execute(
                "INSERT OR IGNORE INTO accounts (platform, account_id) VALUES (?, ?)", key
            )
            (rowid,) = self.db.execute(
                "SELECT id FROM accounts WHERE platform = ? AND account_id = ?", key
            ).fetchone()
            if len(self._account_ids) >= ACCOUNT_CACHE:
                self._account_ids.clear()  # bounded: a firehose can hold millions of authors
            self._account_ids[key] = rowid
        if handle or name:
            name_key = (rowid, handle or "", name or "")
            span = names.get(name_key)
            if span is None:
                names[name_key] = (seen, seen)
            elif seen is not None:
                first, last = span
                names[name_key] = (
                    seen if first is None or seen < first else first,
                    seen if last is None or seen > last else last,
                )
        return int(rowid)

    def link_post_media(self) -> int:
        """Point every post's media reference at the original it names, once that file is
        in the case (by the path the export gave, resolved); return how many were linked."""
        with self.transaction():
            cur = self.db.execute(
                "UPDATE post_media SET sha256 = (SELECT s.sha256 FROM sources s"
                "  WHERE s.path = post_media.path LIMIT 1)"
                " WHERE sha256 IS NULL AND path IS NOT NULL"
                " AND EXISTS (SELECT 1 FROM sources s WHERE s.path = post_media.path)"
            )
        return cur.rowcount

    def unlinked_media_paths(self, after: str = "", limit: int = 10_000) -> list[str]:
        """Paths, in order after ``after``, of files posts name that are not in the case:
        a page at a time, so that an export naming a million files is not held at once."""
        rows = self.db.execute(
            "SELECT DISTINCT path FROM post_media WHERE sha256 IS NULL AND path > ?"
            " ORDER BY path LIMIT ?",
            (after, limit),
        )
        return [str(path) for (path,) in rows]

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

    def sighted_posts(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(platform, post id) -> (text, url, place in its document, posted_utc, time_basis,
        the document's path) for every post that carries a sighting (as ``sightings``
        names it): one query where a lookup per post cost 3 s at 100,000 sightings."""
        rows = self.db.execute(
            "SELECT po.platform, po.post_id, po.text, po.url, po.location, po.posted_utc,"
            " po.time_basis, (SELECT src.path FROM sources src"
            "  WHERE src.sha256 = po.source_sha256 ORDER BY src.id LIMIT 1)"
            " FROM posts po WHERE po.id IN"
            f" (SELECT coalesce(s.post, {FIRST_POST_OF_MEDIA}) FROM sightings s)"
        )
        return {(str(r[0]), str(r[1])): tuple(r[2:]) for r in rows}

    def originals(self) -> Iterator[tuple[str, int, Path]]:
        """(sha256, size, stored file) of every original the case holds."""
        for sha, size, rel in self.db.execute("SELECT sha256, size, stored_as FROM media"):
            yield str(sha), int(size), self.media.root / rel

    # -- many small items in one transaction (group commit) ----------------------------

    def record_many(
        self,
        items: Sequence[tuple[Source, Media | None, Sighting | None, Sequence[Problem]]],
        problems: Sequence[tuple[str, str, Problem]] = (),
        then: Callable[[sqlite3.Connection], object] | None = None,
    ) -> list[Written]:
        """Write many items, and problems as (sha256, path, problem), in one transaction;
        ``then(db)`` writes more rows in it (a stage's results computed with the items:
        the fingerprints of pictures read at ingest), after the items' own.

        A transaction costs disk syncs (FULL synchronous): 100,000 tiny archive members
        at one transaction each spent most of their time there.  The caller makes the
        items' originals durable first, as for :meth:`record`.
        """
        with self.transaction():
            written = [self._write_item(*item) for item in items]
            for sha256, path, problem in problems:
                self._put_problem(sha256, path, problem)
            if then is not None:
                then(self.db)
        return written

    def _write_item(
        self,
        source: Source,
        media: Media | None,
        sighting: Sighting | None,
        problems: Sequence[Problem],
    ) -> Written:
        """One item's rows, inside the caller's transaction (see :meth:`record`)."""
        self._clear_refusals(source.path)
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
