"""Named migration sets: the core tables' and each stage's, applied and recorded apart.

As in sqlite-utils' ``migrations.py``: every owner of tables (the store's core, each stage)
keeps an ordered set of named steps, and the case records which steps of which set it has
applied.  A new stage brings its own set and never edits the core's; a new step is appended,
never an old one edited.

Cases written before the sets existed (up to issue 15) kept one sequence of numbered
migrations in ``schema_version``; each step that one of those made names its old number
(``legacy``), so that an old case is adopted, not rebuilt: the step is recorded as applied
and its SQL is not run again.  The tables themselves did not change.
"""

from __future__ import annotations

import re
import sqlite3

from geotrace.sql import MigrationSet, Step

#: Where a case records the steps it has applied.
TABLE = "migrations"

CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (migration_set TEXT NOT NULL, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL, PRIMARY KEY (migration_set, name))"
)


def applied(db: sqlite3.Connection, owner: str) -> set[str]:
    """Names of the steps of ``owner``'s set the case has applied (none in a new case)."""
    if not _exists(db, TABLE):
        return set()
    rows = db.execute(f"SELECT name FROM {TABLE} WHERE migration_set = ?", (owner,))
    return {str(name) for (name,) in rows}


def last_steps(db: sqlite3.Connection) -> dict[str, str]:
    """Each set's last applied step (steps are named in order: ``0002_...``); a case
    written before the sets gives its numbered version as ``legacy``."""
    found = {}
    if _exists(db, TABLE):
        rows = db.execute(f"SELECT migration_set, max(name) FROM {TABLE} GROUP BY 1 ORDER BY 1")
        found = {str(owner): str(step) for owner, step in rows}
    legacy = legacy_versions(db)
    if legacy:
        found["legacy"] = str(max(legacy))
    return found


def legacy_versions(db: sqlite3.Connection) -> dict[int, str]:
    """The numbered migrations a case written before the sets applied, with when."""
    if not _exists(db, "schema_version"):
        return {}
    rows = db.execute("SELECT version, applied_at FROM schema_version")
    return {int(version): str(at) for version, at in rows}


def pending(db: sqlite3.Connection, owner: MigrationSet) -> list[Step]:
    """The steps of ``owner`` this case lacks, in order."""
    done = applied(db, owner.name)
    return [step for step in owner.steps if step.name not in done]


def record(db: sqlite3.Connection, owner: MigrationSet, step: Step, at: str) -> None:
    """Note ``step`` as applied (inside the caller's transaction)."""
    db.execute(CREATE)
    db.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?)", (owner.name, step.name, at))


def run(db: sqlite3.Connection, step: Step) -> None:
    """Run a step's statements (inside the caller's transaction).  A trigger's body holds
    ``;`` of its own: pieces are joined until SQLite calls the statement complete."""
    statement = ""
    for piece in step.sql.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


#: Statements after which a step's rows may break a foreign key: the rest (CREATE TABLE,
#: CREATE INDEX, CREATE TRIGGER, DROP INDEX) add structure over rows already checked.
_MOVES_ROWS = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|ALTER|DROP\s+TABLE)\b", re.IGNORECASE)


def moves_rows(step: Step) -> bool:
    """Whether a step can leave a row whose foreign key points nowhere, so that the case's
    keys must be checked before it is committed.  The check reads every row of every
    table with a key: 24-44 s on a ten-million-post case (``bench/bigcase.py``) for a
    step that only adds an index."""
    return _MOVES_ROWS.search(step.sql) is not None


def _exists(db: sqlite3.Connection, table: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return found.fetchone() is not None
