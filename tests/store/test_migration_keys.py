"""Migrations check the case's foreign keys after a step that moves rows, and only then:
the check reads every keyed row (tens of seconds at ten million posts), and a step that
only adds an index or an empty table cannot break a key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from geotrace.pipeline.registry import stages
from geotrace.pipeline.runner import open_case
from geotrace.sql import MigrationSet, Step
from geotrace.store import core
from geotrace.store.case import Case
from geotrace.store.migrations import moves_rows


def test_a_step_that_leaves_a_dangling_key_is_refused(tmp_path: Path) -> None:
    open_case(tmp_path / "c.case", write=True, create=True).close()
    case = Case(tmp_path / "c.case", write=True)
    try:
        bad = MigrationSet(
            "toy",
            (
                Step("0001_toy", "CREATE TABLE toy (m TEXT REFERENCES media(sha256));"),
                Step("0002_orphan", "INSERT INTO toy VALUES ('not a media');"),
            ),
        )
        with pytest.raises(sqlite3.IntegrityError, match="0002_orphan"):
            case.migrate(bad)
        # The first step stands, the second was rolled back and is still pending.
        assert case.db.execute("SELECT count(*) FROM toy").fetchone() == (0,)
        assert case.schema()["toy"] == "0001_toy"
    finally:
        case.close()


def test_only_steps_that_move_rows_are_checked() -> None:
    assert moves_rows(Step("x", "INSERT INTO t SELECT * FROM u;"))
    assert moves_rows(Step("x", "CREATE TABLE n (a);\nDROP TABLE t;\nALTER TABLE n RENAME TO t;"))
    assert moves_rows(Step("x", "update t set a = 1;"))
    assert not moves_rows(Step("x", "CREATE INDEX i ON t(a);\nDROP INDEX j;"))
    assert not moves_rows(Step("x", "CREATE TABLE t (a TEXT REFERENCES media(sha256));"))
    # The shipped steps that only add indexes are the ones spared.
    spared = {
        s.name
        for owner in (core.CORE, *(stage.migrations for stage in stages().values()))
        for s in owner.steps
        if not moves_rows(s)
    }
    assert {"0004_posts_chat", "0002_places_region"} <= spared
    assert "0002_exports" not in spared
