"""Subjects: one object, many witnesses.  The user names a thing (a launcher, a vehicle, a
unit) and says which pictures and posts show it; the thing's route is then made of every
witness's sightings, each with who saw it where and when.

Items are given as investigators hold them: a file on disk (found in the case by its
SHA-256, so a renamed copy works), a SHA-256 or an unambiguous prefix of one, or a post as
``platform:post_id``, its URL, or a post id that only one platform has.  Nothing the case
does not hold is accepted: a route built from a file the case never read would have no
evidence behind it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from geotrace.errors import InputError
from geotrace.records import iso

_HEX = re.compile(r"[0-9a-f]{8,64}")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resolve(db: sqlite3.Connection, item: str) -> tuple[str | None, int | None]:
    """(media sha256, None) or (None, post row id) for one item as the user gave it."""
    path = Path(item)
    if path.is_file():
        sha = _file_sha256(path)
        if db.execute("SELECT 1 FROM media WHERE sha256 = ?", (sha,)).fetchone():
            return sha, None
        raise InputError(f"{item}: this file is not in the case (ingest it first)")
    lowered = item.lower()
    if _HEX.fullmatch(lowered):
        shas = [
            r[0]
            for r in db.execute(
                "SELECT sha256 FROM media WHERE sha256 >= ? AND sha256 < ? LIMIT 2",
                (lowered, lowered + "g"),
            )
        ]
        if len(shas) == 1:
            return str(shas[0]), None
        if len(shas) > 1:
            raise InputError(f"{item}: more than one file of the case starts so; give more digits")
    posts = _posts(db, item)
    if len(posts) == 1:
        return None, posts[0]
    if len(posts) > 1:
        raise InputError(f"{item}: posts of several platforms have this id; give platform:id")
    raise InputError(f"{item}: no file, SHA-256 or post of the case is so named")


def _posts(db: sqlite3.Connection, item: str) -> list[int]:
    """Post row ids that ``item`` names: a URL, ``platform:post_id``, or a bare id."""
    rows = db.execute("SELECT id FROM posts WHERE url = ?", (item,)).fetchall()
    if not rows and ":" in item:
        platform, post_id = item.split(":", 1)
        rows = db.execute(
            "SELECT id FROM posts WHERE platform = ? AND post_id = ?", (platform, post_id)
        ).fetchall()
    if not rows:
        rows = db.execute("SELECT id FROM posts WHERE post_id = ? LIMIT 2", (item,)).fetchall()
    return [int(r[0]) for r in rows]


def add(db: sqlite3.Connection, name: str, items: Sequence[str]) -> int:
    """Assign ``items`` to the subject ``name`` (made if new), all or none: a typo in
    one item leaves the subject as it was.  Returns how many were new to it."""
    if not name.strip():
        raise InputError("a subject needs a name")
    if not items:
        raise InputError("give at least one file, SHA-256 or post to assign")
    resolved = [(_resolve(db, item), item) for item in items]
    now = iso(datetime.now(UTC))
    db.execute("INSERT OR IGNORE INTO subjects (name, added_at) VALUES (?, ?)", (name, now))
    (subject,) = db.execute("SELECT id FROM subjects WHERE name = ?", (name,)).fetchone()
    before = db.total_changes
    db.executemany(
        "INSERT OR IGNORE INTO subject_members (subject, sha256, post, given_as, added_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(subject, sha, post, given, now) for (sha, post), given in resolved],
    )
    return db.total_changes - before


def members(
    db: sqlite3.Connection, names: Sequence[str] | None = None
) -> dict[str, tuple[list[str], list[int]]]:
    """Each subject's (media sha256s, post row ids), all subjects or those named."""
    found: dict[str, tuple[list[str], list[int]]] = {}
    for name, sha, post in db.execute(
        "SELECT s.name, m.sha256, m.post FROM subjects s"
        " JOIN subject_members m ON m.subject = s.id ORDER BY s.name, m.rowid"
    ):
        if names is not None and name not in names:
            continue
        media, posts = found.setdefault(str(name), ([], []))
        if sha is not None:
            media.append(str(sha))
        else:
            posts.append(int(post))
    return found


def listing(db: sqlite3.Connection) -> list[dict[str, object]]:
    """Every subject with what was assigned to it, as given."""
    rows = db.execute(
        "SELECT s.name, s.added_at, count(m.rowid), group_concat(m.given_as, '\n')"
        " FROM subjects s LEFT JOIN subject_members m ON m.subject = s.id"
        " GROUP BY s.id ORDER BY s.name"
    )
    return [
        {"subject": n, "added_at": a, "members": c, "given_as": (g or "").split("\n")}
        for n, a, c, g in rows
    ]
