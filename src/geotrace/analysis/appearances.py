"""A picture's appearances as the case records them: the posts that carried its files,
the files' own capture times and metadata, and the posts the platforms link to them.

Read-only queries, like :mod:`geotrace.store.post_queries`; the grouping and ordering themselves
are pure functions in :mod:`geotrace.analysis.provenance`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from geotrace.analysis.provenance import Appearance, uncertainty_for
from geotrace.geo import iso_or_none
from geotrace.sql import latest_name
from geotrace.store.case import Case

#: Link kinds that say "this post shows what that one showed" (see migration 3).
SHARING_LINKS = ("forward_of", "repost_of", "quote_of", "retweet_of")

#: Host parameters per query: SQLite's limit is 32,766, and a group rarely needs many.
CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


_POST_COLUMNS = (
    "p.id, p.platform, p.post_id, p.url, p.posted_utc, p.posted_local, p.time_basis,"
    " p.time_uncertainty_s, p.source_sha256, a.platform || ':' || a.account_id, " + latest_name("a")
)

#: Bases whose times are an exporter's wall clock: every post of one document shares it.
EXPORTER_CLOCKS = frozenset({"unknown_zone", "exporter_offset_inferred"})


def _post(row: tuple[Any, ...], sha256: str | None, via: str) -> Appearance:
    """A post as an appearance.  A wall time of an unknown zone is placed as if it were
    UTC with +-14 h, so that it is ranked honestly instead of dropped; the exporter's
    clock is the document's, shared by its posts."""
    _, platform, post_id, url, posted, local, basis, uncertainty, source, account, name = row
    at = iso_or_none(posted)
    if at is None and local and basis == "unknown_zone":
        at = datetime.fromisoformat(local[:19]).replace(tzinfo=UTC)
    return Appearance(
        "post",
        sha256,
        at,
        str(basis),
        uncertainty_for(str(basis), uncertainty) if at is not None else None,
        platform,
        post_id,
        account,
        name,
        url,
        via,
        f"export {source}" if basis in EXPORTER_CLOCKS else None,
    )


def appearances(case: Case, shas: Sequence[str]) -> list[Appearance]:
    """Every appearance of the files ``shas``: each post that carried one, each file's
    capture time, and the posts the platforms name as what those posts forwarded or
    reposted (one step each way), with the original's time where the link states it."""
    out: list[Appearance] = []
    carried: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(shas):
        marks = ",".join("?" * len(chunk))
        for sha, *row in case.db.execute(
            f"SELECT pm.sha256, {_POST_COLUMNS} FROM post_media pm"
            " JOIN posts p ON p.id = pm.post LEFT JOIN accounts a ON a.id = p.account"
            f" WHERE pm.sha256 IN ({marks}) ORDER BY p.id",
            list(chunk),
        ):
            if row[0] not in carried:
                carried[row[0]] = tuple(row)
                out.append(_post(tuple(row), sha, "file"))
        for sha, meta in case.db.execute(
            f"SELECT sha256, metadata FROM media WHERE sha256 IN ({marks})", list(chunk)
        ):
            taken = json.loads(meta).get("taken") or {}
            if taken.get("utc") or taken.get("local"):
                at = iso_or_none(taken.get("utc"))
                basis = str(taken.get("basis") or "unknown_zone")
                stated = taken.get("uncertainty_s")
                out.append(
                    Appearance(
                        "capture",
                        sha,
                        at,
                        basis,
                        uncertainty_for(basis, stated) if at is not None else None,
                    )
                )
    out += _linked(case, carried)
    return out


def _linked(case: Case, carried: dict[int, tuple[Any, ...]]) -> list[Appearance]:
    """Posts the platforms link to the carrying posts: what they forwarded or reposted
    (found in the case by id, else as the link describes it), and what forwarded them."""
    out: list[Appearance] = []
    kinds = ",".join("?" * len(SHARING_LINKS))
    seen = set(carried)
    ids = list(carried)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        rows = case.db.execute(
            "SELECT l.post, l.kind, l.target_post, l.target_account, l.target_name,"
            " l.target_at, p.platform FROM links l JOIN posts p ON p.id = l.post"
            f" WHERE l.post IN ({marks}) AND l.kind IN ({kinds})",
            [*chunk, *SHARING_LINKS],
        ).fetchall()
        for _, kind, target_post, target_account, target_name, target_at, platform in rows:
            # The original, found in the case by its id, else as the link describes it.
            found = None
            if target_post:
                found = case.db.execute(
                    f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a"
                    " ON a.id = p.account WHERE p.platform = ? AND p.post_id = ?",
                    (platform, target_post),
                ).fetchone()
            if found is not None:
                if found[0] not in seen:
                    seen.add(found[0])
                    out.append(_post(tuple(found), None, f"{kind} (the original)"))
                continue
            at = iso_or_none(target_at)
            out.append(
                Appearance(
                    "post",
                    None,
                    at,
                    "platform_utc" if at is not None else "unknown_zone",
                    0.0 if at is not None else None,
                    platform,
                    target_post or None,
                    f"{platform}:{target_account}" if target_account else None,
                    target_name or None,
                    None,
                    f"{kind} (the original, as the forward describes it)",
                )
            )
        by_id = [carried[i][2] for i in chunk]
        platform_of = {carried[i][2]: carried[i][1] for i in chunk}
        for post_marks in _chunks(by_id):
            marks2 = ",".join("?" * len(post_marks))
            for row in case.db.execute(
                f"SELECT {_POST_COLUMNS}, l.target_post FROM links l JOIN posts p ON p.id = l.post"
                " LEFT JOIN accounts a ON a.id = p.account"
                f" WHERE l.target_post IN ({marks2}) AND l.kind IN ({kinds})",
                [*post_marks, *SHARING_LINKS],
            ):
                *post_row, target = row
                if post_row[0] in seen or platform_of.get(target) != post_row[1]:
                    continue
                seen.add(post_row[0])
                out.append(_post(tuple(post_row), None, "forwarded or reposted it"))
    return out


def file_facts(case: Case, shas: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per file: its first path, size, kind, and which identifying metadata survives in
    it (position, camera, capture time): copies stripped by a platform lose them, and
    the copy that still has them is often the closest to the original."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(shas):
        marks = ",".join("?" * len(chunk))
        for sha, path, size, kind, meta in case.db.execute(
            f"SELECT sha256, first_path, size, kind, metadata FROM media WHERE sha256 IN ({marks})",
            list(chunk),
        ):
            out[sha] = facts_of(json.loads(meta), path, size, kind)
        for sha, path in case.db.execute(
            f"SELECT sha256, path FROM sources WHERE sha256 IN ({marks}) ORDER BY path",
            list(chunk),
        ):
            out[sha]["paths"].append(path)
    return out


def facts_of(meta: dict[str, Any], path: str, size: int, kind: str) -> dict[str, Any]:
    """A file's facts from its metadata as the evidence reader gives it."""
    device = meta.get("device") or {}
    camera = " ".join(x for x in (device.get("make"), device.get("model")) if x) or None
    gps = meta.get("gps") or None
    taken = meta.get("taken") or None
    return {
        "path": path,
        "paths": [],
        "size": size,
        "kind": kind,
        "gps": None if gps is None else {k: gps.get(k) for k in ("lat", "lon")},
        "camera": camera,
        "taken": None if taken is None else taken.get("utc") or taken.get("local"),
    }
