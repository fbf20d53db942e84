"""The case's analytics at scale: accounts, timelines and the per-account series of tracks
and silence, on a case written by ``bench/bigcase.py`` (the generator of the 10M-post
fixture, here at a few thousand posts).

Each answer is checked against its definition (the one-query SQL the accounts table had
before it was split, a full pass over every track), and each per-account question is
checked to cost that account's rows, not the case's: the property that keeps it in seconds
at ten million posts (bench/analytics.py measures the seconds).
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace.analysis import point_queries
from geotrace.pipeline.runner import open_case
from geotrace.store import post_queries
from geotrace.store.case import Case

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bigcase.py"

#: The accounts table as one query with a subquery per account: its definition.
ACCOUNTS_DEFINITION = (
    "SELECT a.id, a.platform, a.account_id,"
    " (SELECT json_group_array(json_object('handle', nullif(n.handle, ''), 'name',"
    "   nullif(n.name, ''), 'first_seen', n.first_seen, 'last_seen', n.last_seen))"
    "   FROM (SELECT * FROM account_names WHERE account = a.id"
    "         ORDER BY first_seen IS NULL, first_seen) n),"
    " count(p.id), min(p.posted_utc), max(p.posted_utc),"
    " sum(p.id IS NOT NULL AND p.posted_utc IS NULL),"
    " (SELECT count(*) FROM posts q WHERE q.chat = a.id),"
    " (SELECT count(*) FROM sightings s JOIN posts q ON q.id = s.post"
    "   WHERE q.account = a.id)"
    " + (SELECT count(DISTINCT s.id) FROM posts q JOIN post_media pm ON pm.post = q.id"
    "   JOIN sightings s ON s.media_sha256 = pm.sha256 AND s.post IS NULL"
    "   WHERE q.account = a.id)"
    " FROM accounts a LEFT JOIN posts p ON p.account = a.id"
    " GROUP BY a.id ORDER BY count(p.id) DESC, a.platform, a.account_id"
)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated case (6,000 posts, 600 sightings, 300 accounts, places computed), with
    a few posts moved into chats, some posts without a UTC instant, and one picture carried
    by posts of two accounts (it is the first poster's)."""
    spec = importlib.util.spec_from_file_location("bigcase", BENCH)
    assert spec is not None and spec.loader is not None
    bigcase = importlib.util.module_from_spec(spec)
    sys.modules["bigcase"] = bigcase
    spec.loader.exec_module(bigcase)
    case = tmp_path_factory.mktemp("big") / "big.case"
    bigcase.build(case, posts=6_000, sightings=600, accounts=300)
    with sqlite3.connect(case) as db:
        db.execute("UPDATE posts SET chat = 1 + id % 7 WHERE id % 50 = 0")
        db.execute(
            "UPDATE posts SET posted_local = substr(posted_utc, 1, 19), posted_utc = NULL,"
            " time_basis = 'unknown_zone' WHERE id % 97 = 0"
        )
        sha, post = db.execute("SELECT sha256, post FROM post_media LIMIT 1").fetchone()
        other = db.execute(
            "SELECT max(id) FROM posts WHERE account != (SELECT account FROM posts WHERE id = ?)",
            (post,),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO post_media (post, ref, path, sha256, kind, missing, metadata)"
            " VALUES (?, 'again.jpg', NULL, ?, 'photo', NULL, '{}')",
            (other, sha),
        )
    return case


@pytest.fixture
def opened(big: Path) -> Iterator[Case]:
    with open_case(big) as case:
        yield case


@contextmanager
def steps(db: sqlite3.Connection) -> Iterator[list[int]]:
    """Counts SQLite's virtual-machine steps (by the thousand) while the block runs."""
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0

    db.set_progress_handler(tick, 1000)
    try:
        yield counted
    finally:
        db.set_progress_handler(None, 0)


def test_accounts_answer_as_their_definition(opened: Case) -> None:
    fields = post_queries.ACCOUNT_FIELDS
    expected = []
    for row in opened.db.execute(ACCOUNTS_DEFINITION):
        record = dict(zip(fields, row[1:], strict=True))
        record["names"] = json.loads(record["names"])
        expected.append(record)
    found = list(post_queries.accounts(opened))
    assert found == expected
    assert sum(r["posts_in_chat"] for r in found) == 120
    assert sum(r["posts_without_utc"] for r in found) == 61
    assert sum(r["sightings"] for r in found) == 601  # one picture counts for two accounts
    assert any(len(r["names"]) == 2 for r in found)


def test_a_chat_is_found_through_its_index(opened: Case) -> None:
    """``posts --account`` matches an account's posts or its chat's, and the accounts table
    counts the posts of each chat: both through the chat index, never a scan of every
    post (the old plan, at 10M posts, for each account)."""
    db = opened.db
    for query in (
        "SELECT id FROM posts p WHERE p.account IN (1) OR p.chat IN (1)",
        "SELECT chat, count(*) FROM posts WHERE chat IS NOT NULL GROUP BY chat",
    ):
        plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + query))
        assert "posts_chat" in plan and "SCAN p " not in plan + " ", plan


def _top_account(db: sqlite3.Connection) -> tuple[str, str, int]:
    platform, account_id, posts = db.execute(
        "SELECT a.platform, a.account_id, count(*) FROM posts p JOIN accounts a"
        " ON a.id = p.account GROUP BY a.id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    return str(platform), str(account_id), int(posts)


def _same_track(a: point_queries.Track, b: point_queries.Track) -> None:
    assert (a.key, a.name, a.witness) == (b.key, b.name, b.witness)
    for name in a.points.__dataclass_fields__:
        left, right = getattr(a.points, name), getattr(b.points, name)
        assert np.array_equal(left, right, equal_nan=left.dtype.kind == "f"), name


def _every(fn: Any, db: sqlite3.Connection, limit: int, **kwargs: Any) -> list[Any]:
    """Every page of a paged query, in order."""
    found, after = [], None
    while page := fn(db, after, limit, **kwargs):
        found += page
        after = page[-1].key
    return found


@pytest.mark.parametrize("as_of", [None, 1.75e9])
def test_one_accounts_track_is_its_track_among_all(opened: Case, as_of: float | None) -> None:
    db = opened.db
    every = _every(point_queries.account_tracks, db, 7, as_of=as_of)
    owners = db.execute(
        "SELECT count(DISTINCT po.account) FROM sightings s"
        " JOIN posts po ON po.id = coalesce(s.post, (SELECT min(pm.post) FROM post_media pm"
        " WHERE pm.sha256 = s.media_sha256))"
        + ("" if as_of is None else " WHERE julianday(s.at_utc) <= julianday(?, 'unixepoch')"),
        () if as_of is None else (as_of,),
    ).fetchone()[0]
    assert len(every) == owners
    by_key = {t.key: t for t in every}
    wanted = [every[0].key, every[-1].key, ("x", "nobody"), ("subject", "none")]
    alone = point_queries.account_tracks(db, None, 256, as_of=as_of, only=wanted)
    assert [t.key for t in alone] == sorted(wanted[:2])
    for track in alone:
        _same_track(track, by_key[track.key])


def test_one_accounts_series_cost_its_own_rows(opened: Case) -> None:
    """A track and a posting series of one account are read through that account's posts:
    the steps SQLite takes for the largest account stay within a small multiple of its
    posts, where a pass over the case would be a multiple of every post."""
    db = opened.db
    platform, account_id, posts = _top_account(db)
    total = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert posts * 10 < total
    for fn in (point_queries.account_tracks, point_queries.post_times):
        with steps(db) as counted:
            (found,) = fn(db, None, 256, only=[(platform, account_id)])
        assert found.key == (platform, account_id)
        assert counted[0] * 1000 < 60 * posts, (fn.__name__, counted[0])
    times = point_queries.post_times(db, None, 256, only=[(platform, account_id)])[0]
    assert len(times.t) == posts  # every post of it has an instant, local or UTC
    every = {t.key: t for t in _every(point_queries.post_times, db, 7)}
    assert np.array_equal(every[(platform, account_id)].t, times.t)
    assert np.array_equal(every[(platform, account_id)].u, times.u)


def test_a_timeline_costs_its_own_rows(opened: Case) -> None:
    db = opened.db
    _, account_id, posts = _top_account(db)
    with steps(db) as counted:
        found = list(post_queries.posts(opened, account_id))
    assert len(found) >= posts
    assert [p["posted_utc"] for p in found if p["posted_utc"]] == sorted(
        p["posted_utc"] for p in found if p["posted_utc"]
    )
    assert counted[0] * 1000 < 300 * posts


def test_regions_read_an_index_not_every_place(opened: Case) -> None:
    """The regions' placed rows are grouped from the places' region index (their JSON, a
    kilobyte a sighting, is never read for them), even in a case with statistics, and the
    answer counts every sighting."""
    from geotrace.places import queries

    db = opened.db
    db.execute("ANALYZE")  # statistics (the plan must not depend on them)
    said: list[str] = []
    db.set_trace_callback(said.append)
    try:
        found = queries.regions(db)
    finally:
        db.set_trace_callback(None)
    (placed,) = [q for q in said if "WHERE p.country_de_jure != ''" in q]
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + placed))
    assert "COVERING INDEX places_region" in plan and "TEMP B-TREE" not in plan, plan
    assert sum(r["sightings"] for r in found) == 600
    assert {r["country_de_jure"] for r in found} >= {"UA", "RU", "BY"}
