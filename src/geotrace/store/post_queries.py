"""Questions to a case about posts and accounts (the tables migration 3 added).

Kept apart from :mod:`geotrace.store.case`, which owns the schema and the writes: these are
read-only queries, each a streaming cursor so that a million posts are never in memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from geotrace.errors import InputError
from geotrace.geo import parse_iso
from geotrace.sql import latest_name
from geotrace.store.case import Case

#: The fields of a post as :func:`posts` gives them; JSON Lines adds ``raw``.
POST_FIELDS = (
    "platform",
    "post_id",
    "kind",
    "url",
    "posted_utc",
    "posted_local",
    "time_basis",
    "time_uncertainty_s",
    "time_source",
    "account_id",
    "account_name",
    "chat_id",
    "chat_name",
    "text",
    "media",
    "links",
    "sightings",
    "source",
    "location",
)

#: The fields of an account as :func:`accounts` gives them.
ACCOUNT_FIELDS = (
    "platform",
    "account_id",
    "names",
    "posts",
    "first_post_utc",
    "last_post_utc",
    "posts_without_utc",
    "posts_in_chat",
    "sightings",
)


def account_ids(case: Case, account: str) -> list[int]:
    """Row ids of the accounts a user's ``--account`` names: ``platform:id``, an id, a
    handle (with or without ``@``) or a display name, as any export showed it."""
    handle = account.removeprefix("@")
    rows = case.db.execute(
        "SELECT a.id FROM accounts a WHERE a.account_id = ? OR a.platform || ':' ||"
        " a.account_id = ? OR a.id IN (SELECT n.account FROM account_names n"
        " WHERE n.handle = ? COLLATE NOCASE OR n.name = ?)",
        (account, account, handle, account),
    )
    return [int(i) for (i,) in rows]


def utc_bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """``--since``/``--until`` (a date, or a date and time; UTC unless an offset is given)
    as [low, high) in the text form ``posted_utc`` is stored in, where text order is time
    order.  ``until`` is inclusive: its whole second, or its whole day for a bare date."""
    low = None if since is None else _utc(since).isoformat()
    high = None
    if until is not None:
        step = timedelta(days=1) if len(until.strip()) <= 10 else timedelta(seconds=1)
        high = (_utc(until) + step).isoformat()
    return low, high


def _utc(text: str) -> datetime:
    try:
        when = parse_iso(text.strip())
    except ValueError as exc:
        raise InputError(
            f"--since/--until: {text!r} is not a date (YYYY-MM-DD[THH:MM:SS])"
        ) from exc
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.replace(microsecond=0)


def posts(
    case: Case,
    account: str | None = None,
    since: str | None = None,
    until: str | None = None,
    *,
    raw: bool = False,
) -> Iterator[dict[str, Any]]:
    """Posts in time order, with their media, provenance links and sighting count.

    With ``since``/``until`` only posts with a UTC instant in the range come out: a post
    whose zone is unknown cannot honestly be said to fall inside a range of instants.
    """
    where: list[str] = []
    params: list[object] = []
    if account is not None:
        ids = account_ids(case, account)
        marks = ",".join("?" * len(ids))
        where.append(f"(p.account IN ({marks}) OR p.chat IN ({marks}))" if ids else "0")
        params += ids + ids
    low, high = utc_bounds(since, until)
    if low is not None:
        where.append("p.posted_utc >= ?")
        params.append(low)
    if high is not None:
        where.append("p.posted_utc < ?")
        params.append(high)
    query = (
        "SELECT p.id, p.platform, p.post_id, p.kind, p.url, p.posted_utc, p.posted_local,"
        " p.time_basis, p.time_uncertainty_s, p.time_source, a.account_id,"
        f" {latest_name('a')}, c.account_id, {latest_name('c')}, p.text,"
        " (SELECT json_group_array(json_object('ref', pm.ref, 'kind', pm.kind, 'sha256',"
        "   pm.sha256, 'path', pm.path, 'missing', pm.missing))"
        "   FROM post_media pm WHERE pm.post = p.id),"
        " (SELECT json_group_array(json_object('kind', l.kind, 'post_id',"
        "   nullif(l.target_post, ''), 'account_id', nullif(l.target_account, ''),"
        "   'name', nullif(l.target_name, ''), 'at', l.target_at))"
        "   FROM links l WHERE l.post = p.id),"
        " (SELECT count(*) FROM sightings s WHERE s.post = p.id),"
        " (SELECT s.path FROM sources s WHERE s.sha256 = p.source_sha256 ORDER BY s.id LIMIT 1),"
        " p.location, p.raw"
        " FROM posts p LEFT JOIN accounts a ON a.id = p.account"
        " LEFT JOIN accounts c ON c.id = p.chat"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY p.posted_utc IS NULL, p.posted_utc, p.id"
    )
    for row in case.db.execute(query, params):
        record = dict(zip(POST_FIELDS, row[1:-1], strict=True))
        record["media"] = json.loads(record["media"])
        record["links"] = json.loads(record["links"])
        if raw:
            record["raw"] = json.loads(row[-1])
        yield record


def accounts(case: Case) -> Iterator[dict[str, Any]]:
    """Every account with its names over time, posts, first and last post, and the
    sightings that place it: its posts' geotags and the GPS of media its posts carried.

    One grouped pass per question, joined here by account: the same answer as one query
    with a subquery per account, which walked every post of every account three times
    and scanned every post per account for its chat count: 186 s at 100k posts and 10k
    accounts, growing as posts x accounts; this, 7 CPU-s at 10M posts and 100k accounts
    (bench/analytics.py on bench/bigcase.py's case).
    """
    db = case.db
    # msgspec, not json.loads: 100k lists of names (strict JSON: SQLite wrote them).
    names: dict[int, str] = dict(
        db.execute(
            "SELECT account, json_group_array(json_object('handle', nullif(handle, ''),"
            " 'name', nullif(name, ''), 'first_seen', first_seen, 'last_seen', last_seen))"
            " FROM (SELECT * FROM account_names"
            "       ORDER BY account, first_seen IS NULL, first_seen, handle, name)"
            " GROUP BY account"
        )
    )
    posted = {
        int(a): tuple(rest)
        for a, *rest in db.execute(
            "SELECT account, count(*), min(posted_utc), max(posted_utc), sum(posted_utc IS NULL)"
            " FROM posts WHERE account IS NOT NULL GROUP BY account"
        )
    }
    in_chat = dict(
        db.execute(
            "SELECT chat, count(*) FROM posts WHERE chat IS NOT NULL GROUP BY chat"
        ).fetchall()
    )
    seen: Counter[int] = Counter()
    for account, count in db.execute(
        "SELECT q.account, count(*) FROM sightings s JOIN posts q ON q.id = s.post"
        " WHERE s.post IS NOT NULL AND q.account IS NOT NULL GROUP BY q.account"
    ):
        seen[int(account)] += int(count)
    for account, count in db.execute(
        "SELECT q.account, count(DISTINCT s.id) FROM sightings s"
        " JOIN post_media pm ON pm.sha256 = s.media_sha256 JOIN posts q ON q.id = pm.post"
        " WHERE s.post IS NULL AND q.account IS NOT NULL GROUP BY q.account"
    ):
        seen[int(account)] += int(count)
    found = []
    for row_id, platform, account_id in db.execute("SELECT id, platform, account_id FROM accounts"):
        count, first, last, untimed = posted.get(row_id, (0, None, None, 0))
        found.append(
            {
                "platform": platform,
                "account_id": account_id,
                "names": msgspec.json.decode(names.get(row_id, "[]")),
                "posts": count,
                "first_post_utc": first,
                "last_post_utc": last,
                "posts_without_utc": untimed,
                "posts_in_chat": in_chat.get(row_id, 0),
                "sightings": seen[row_id],
            }
        )
    found.sort(key=lambda r: (-r["posts"], r["platform"], r["account_id"]))
    yield from found
