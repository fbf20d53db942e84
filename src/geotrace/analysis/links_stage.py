"""The ``links`` stage: which files came from one camera, one lens or one capture.

Per file, the device keys its metadata carries (:func:`geotrace.analysis.devices.device_keys`:
body, lens and internal serials, Apple's ContentIdentifier, model + firmware), kept in
``device_keys``; files sharing a key are linked, and through them the accounts that posted
them.  A serial is an exact link; model + firmware only narrows ("consistent with").
Recompressing platforms drop all of these: links come from originals and files sent as
documents.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from geotrace.analysis.devices import DeviceKey, device_keys, device_links
from geotrace.pipeline.stage import Context, Stage
from geotrace.sql import FIRST_POST_OF_MEDIA, MigrationSet, Step

VERSION = "1"

MIGRATIONS = MigrationSet(
    "links",
    (
        Step(
            "0001_device_keys",
            """
    CREATE TABLE device_keys_done (
        sha256  TEXT PRIMARY KEY REFERENCES media(sha256),
        version TEXT NOT NULL
    );
    CREATE TABLE device_keys (
        sha256   TEXT NOT NULL REFERENCES media(sha256),
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        evidence TEXT NOT NULL,
        UNIQUE (sha256, kind, value)
    );
    CREATE INDEX device_keys_value ON device_keys(kind, value);
    """,
        ),
    ),
)

#: One file: (sha256, its metadata as the case keeps it).
Item = tuple[str, str]
#: Its keys: (sha256, keys, why they could not be read or None).
Keys = tuple[str, list[DeviceKey], str | None]


def keys_page(page: Sequence[Item]) -> list[Keys]:
    """The pure computation: each file's device keys."""
    return [(sha, device_keys(json.loads(metadata)), None) for sha, metadata in page]


class Links(Stage[Item, Keys]):
    """Device keys of every file, the ground of the case's device links."""

    name = "links"
    version = VERSION
    migrations = MIGRATIONS
    compute = staticmethod(keys_page)
    #: Reading a few dozen tags of JSON is cheaper than shipping it to a worker.
    in_process = True
    page_size = 5000
    #: Run when links are asked for, as the analyses of people are.
    after_ingest = False
    chunk_size = 1000

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Item]:
        """Files without keys of this version, in sha256 order."""
        rows = db.execute(
            "SELECT m.sha256, m.metadata FROM media m"
            " LEFT JOIN device_keys_done d ON d.sha256 = m.sha256"
            " WHERE m.kind IN ('image', 'video') AND m.sha256 > ?"
            " AND d.version IS NOT ? ORDER BY m.sha256 LIMIT ?",
            (after or "", self.version, limit),
        )
        return [(str(sha), str(metadata)) for sha, metadata in rows]

    def key(self, item: Item) -> str:
        return item[0]

    def failed(self, item: Item, reason: str) -> Keys:
        return (item[0], [], reason)

    def write(self, db: sqlite3.Connection, results: Sequence[Keys]) -> Counter[str]:
        db.executemany("DELETE FROM device_keys WHERE sha256 = ?", [(r[0],) for r in results])
        db.executemany(
            "INSERT OR IGNORE INTO device_keys VALUES (?, ?, ?, ?)",
            [(sha, k.kind, k.value, k.evidence) for sha, keys, _ in results for k in keys],
        )
        db.executemany(
            "INSERT OR REPLACE INTO device_keys_done VALUES (?, ?)",
            [(sha, self.version) for sha, _, _ in results],
        )
        failed = [(sha, error) for sha, _, error in results if error is not None]
        db.executemany(
            "INSERT OR IGNORE INTO problems (sha256, path, code, message)"
            " SELECT sha256, first_path, 'links_failed', ? FROM media WHERE sha256 = ?",
            [(error, sha) for sha, error in failed],
        )
        return Counter({"links_failed": len(failed)}) if failed else Counter()


def links(db: sqlite3.Connection, only: set[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """Every group of two or more files sharing a device key, with the accounts that
    posted them; with ``only``, the groups touching those accounts."""
    rows = db.execute(
        "SELECT k.sha256, k.kind, k.value, k.evidence, m.first_path, a.platform, a.account_id"
        " FROM device_keys k JOIN media m ON m.sha256 = k.sha256"
        f" LEFT JOIN (SELECT s.media_sha256, {FIRST_POST_OF_MEDIA} AS post"
        " FROM (SELECT sha256 AS media_sha256 FROM media) s) f ON f.media_sha256 = k.sha256"
        " LEFT JOIN posts po ON po.id = f.post LEFT JOIN accounts a ON a.id = po.account"
        " WHERE (k.kind, k.value) IN (SELECT kind, value FROM device_keys"
        " GROUP BY kind, value HAVING count(*) > 1) ORDER BY k.sha256"
    ).fetchall()
    keyed = [[DeviceKey(kind, value, evidence)] for _, kind, value, evidence, *_ in rows]
    found = []
    for link in device_links(keyed):
        members = [rows[i] for i in link.members]
        accounts = sorted({(r[5], r[6]) for r in members if r[5] is not None})
        if only is not None and not only.intersection(accounts):
            continue
        first = accounts[0] if accounts else ("", "")
        found.append(
            {
                "platform": first[0],
                "account_id": first[1],
                "kind": link.kind,
                "value": link.value,
                "evidence": sorted({r[3] for r in members}),
                "files": [{"sha256": r[0], "path": r[4]} for r in members],
                "accounts": [f"{p}:{a}" for p, a in accounts],
            }
        )
    return found


STAGE = Links()
