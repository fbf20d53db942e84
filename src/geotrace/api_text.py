"""Reading the text: the API of ``mentions`` (re-exported by :mod:`geotrace.api`).

Two inputs, one output shape.  A case: its ``text`` stage is brought up to date (and
``places`` for the sightings it adds), then each post's reading is written with the post's
id, account and time.  A user's own texts: JSON Lines of ``{"id", "text"}`` read as a
stream, each line read alone; a malformed line is a problem with its line number, skipped,
and the rest goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from geotrace.errors import InputError

if TYPE_CHECKING:
    from geotrace.store.case import Case

#: The columns of ``mentions --format csv``: one row per finding.
CSV_COLUMNS = (
    "post",
    "account",
    "posted_utc",
    "lang",
    "what",
    "start",
    "end",
    "text",
    "kind",
    "relation",
    "confidence",
    "geonameid",
    "admin1",
    "country",
    "region",
    "lat",
    "lon",
    "radius_m",
)
FORMATS = ("jsonl", "csv")


@dataclass(slots=True)
class TextsRead:
    """What ``mentions --jsonl`` did: lines written, and each line skipped with why."""

    written: int = 0
    problems: list[str] = field(default_factory=list)


def mentions(
    case: str | Path | None = None,
    *,
    account: str | None = None,
    jsonl: str | Path | None = None,
    units: bool = False,
    format: str = "jsonl",
    output: TextIO | None = None,
) -> int | TextsRead:
    """Places (with relation, resolution and radius), units and casualty cues of each
    post's text (``case``, optionally one ``account``), or of each line of ``jsonl``;
    with ``units``, the units the case's posts name, each with the accounts naming it."""
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    out = sys.stdout if output is None else output
    if jsonl is not None:
        if case is not None or account is not None or units:
            raise InputError("--jsonl reads a file of texts: no --case, --account or --units")
        return read_jsonl(Path(jsonl), out, format)
    if case is None:
        raise InputError("give --case CASE, or --jsonl FILE of texts")
    from geotrace.pipeline.executors import Local
    from geotrace.pipeline.registry import stage
    from geotrace.pipeline.runner import open_case, run

    with open_case(Path(case), write=True) as opened:
        for name in ("text", "places"):
            run(opened, stage(name), Local())
        if units:
            return _write(_unit_groups(opened), out, format)
        return _write(case_readings(opened, account), out, format)


def read_jsonl(path: Path, out: TextIO, format: str) -> TextsRead:
    """Each line ``{"id": ..., "text": ...}`` read and written as it comes (memory flat)."""
    from geotrace.present.table import write_csv, write_jsonl

    done = TextsRead()
    rows = _read_lines(path, done)
    if format == "csv":
        write_csv((flat for row in rows for flat in _flat(row)), out, CSV_COLUMNS)
    else:
        write_jsonl(rows, out)
    return done


def _read_lines(path: Path, done: TextsRead) -> Iterator[dict[str, Any]]:
    from geotrace.evidence.text.reading import read_text

    try:
        lines = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    with lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('not an object with a "text" string')
            except ValueError as exc:
                done.problems.append(f"line {number}: {str(exc)[:200]}")
                continue
            done.written += 1
            yield read_text(item["text"]).json(item.get("id"))


def case_readings(case: Case, account: str | None) -> Iterator[dict[str, Any]]:
    """Each read post of the case (or of one account) in time order, with its findings."""
    from geotrace.sql import latest_name
    from geotrace.store.post_queries import account_ids

    where, args = "", []
    if account is not None:
        owners = account_ids(case, account)  # as posts --account reads it
        if not owners:
            raise InputError(f"no account {account!r} in the case")
        where, args = f" AND p.account IN ({','.join('?' * len(owners))})", owners
    posts = case.db.execute(
        "SELECT p.id, p.platform || ':' || p.post_id, a.platform || ':' || a.account_id,"
        f" {latest_name('a')}, p.posted_utc, p.url, r.lang, r.casualty FROM posts p"
        " JOIN text_readings r ON r.post = p.id LEFT JOIN accounts a ON a.id = p.account"
        f" WHERE r.lang IS NOT NULL{where} ORDER BY p.posted_utc IS NULL, p.posted_utc, p.id",
        args,
    )
    for post, ident, owner, name, utc, url, lang, casualty in posts:
        found: dict[str, list[Any]] = {"place": [], "unit": [], "casualty": []}
        for what, detail in case.db.execute(
            "SELECT what, detail FROM mentions WHERE post = ? ORDER BY n", (post,)
        ):
            found[what].append(json.loads(detail))
        yield {
            "id": ident,
            "account": owner,
            "account_name": name,
            "posted_utc": utc,
            "url": url,
            "lang": lang,
            "places": found["place"],
            "units": found["unit"],
            "casualty": json.loads(casualty),
            "casualty_cues": found["casualty"],
        }


def _unit_groups(case: Case) -> Iterator[dict[str, Any]]:
    """Units named in the case, most accounts first: a unit two accounts name links them."""
    rows = case.db.execute(
        "SELECT m.key, group_concat(DISTINCT m.text),"
        " group_concat(DISTINCT a.platform || ':' || a.account_id),"
        " count(DISTINCT p.account), count(DISTINCT m.post),"
        " group_concat(DISTINCT p.platform || ':' || p.post_id)"
        " FROM mentions m JOIN posts p ON p.id = m.post LEFT JOIN accounts a ON a.id = p.account"
        " WHERE m.what = 'unit' GROUP BY m.key ORDER BY count(DISTINCT p.account) DESC,"
        " count(DISTINCT m.post) DESC, m.key"
    )
    for key, texts, accounts, n_accounts, n_posts, posts in rows:
        yield {
            "unit": key,
            "written": sorted(set(texts.split(","))),
            "accounts": sorted((accounts or "").split(",")) if accounts else [],
            "n_accounts": n_accounts,
            "n_posts": n_posts,
            "posts": sorted(posts.split(",")),
        }


def _write(rows: Iterator[dict[str, Any]], out: TextIO, format: str) -> int:
    from geotrace.present.table import write_csv, write_jsonl

    if format == "jsonl":
        return write_jsonl(rows, out)
    counted = _Counted(rows)
    write_csv((flat for row in counted for flat in _flat(row)), out, CSV_COLUMNS)
    return counted.n


class _Counted:
    """Rows passed through, counted: CSV writes one line per finding, not per post."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self.rows, self.n = rows, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            self.n += 1
            yield row


def _flat(found: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A reading as CSV rows, one per finding (a post with none still gets one row)."""
    if "unit" in found:  # a unit group of --units
        yield {"what": "unit", "text": found["unit"], "account": found["accounts"]}
        return
    base = {
        "post": found["id"],
        "account": found.get("account"),
        "posted_utc": found.get("posted_utc"),
        "lang": found["lang"],
    }
    findings = [("place", p) for p in found["places"]]
    findings += [("unit", u) for u in found["units"]]
    findings += [("casualty", c) for c in found["casualty_cues"]]
    if not findings:
        yield base
    for what, item in findings:
        yield {**base, **item, "what": what}
