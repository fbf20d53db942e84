"""Helpers for the case-store tests: small real inputs and a look inside a case file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from geotrace.pipeline.registry import stages
from geotrace.store import core, migrations

#: The core tables and those of the built-in stages.
TABLES = (*core.TABLES, "places", "fingerprints", "fingerprint_regions", "verified_pairs")

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "photos"


def demo_copy(dest: Path) -> Path:
    """The bundled demo photos (in the repo, so no skip needed), copied to ``dest``."""
    shutil.copytree(DEMO, dest)
    return dest


def counts(case: Path) -> dict[str, int]:
    """Rows per table, read with plain sqlite3 as any other tool would."""
    with sqlite3.connect(case) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def integrity(case: Path) -> str:
    with sqlite3.connect(case) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def has_schema(case: Path) -> bool:
    """Whether every migration has been committed (a kill can land between two)."""
    owners = [core.CORE, *(stage.migrations for stage in stages().values())]
    with sqlite3.connect(case) as db:
        return not any(migrations.pending(db, owner) for owner in owners)


def duplicates(case: Path) -> int:
    """Rows that repeat a content key; a correct case has none."""
    keys = {
        "sources": "path, sha256",
        # a media's sighting is keyed by (media, method), a post's by (post, method, point)
        "sightings": "coalesce(media_sha256, 'post ' || post), method,"
        " CASE WHEN post IS NULL THEN 0 ELSE lat END, CASE WHEN post IS NULL THEN 0 ELSE lon END",
        "posts": "platform, post_id",
        "accounts": "platform, account_id",
        "post_media": "post, ref",
        "links": "post, kind, target_post, target_account, target_name",
        "problems": "sha256, path, code, message",
    }
    with sqlite3.connect(case) as db:
        return sum(
            db.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {t} GROUP BY {k} HAVING count(*) > 1)"
            ).fetchone()[0]
            for t, k in keys.items()
        )


def kill_after_a_page(module: str, stage: str, setup: str = "") -> str:
    """Python to run before a command: SIGKILL the process the moment a transaction that
    wrote a page of the stage class ``module.stage`` is committed (after ``setup``)."""
    return f"""
import os, signal
from contextlib import contextmanager
from {module} import {stage} as _Stage
from geotrace.store.case import Case
{setup}
write, transaction, wrote = _Stage.write, Case.transaction, []
def write_and_mark(self, db, results):
    wrote.append(len(results))
    return write(self, db, results)
@contextmanager
def commit_then_die(self):
    with transaction(self):
        yield
    if wrote:
        os.kill(os.getpid(), signal.SIGKILL)
_Stage.write = write_and_mark
Case.transaction = commit_then_die
"""
