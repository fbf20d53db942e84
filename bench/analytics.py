"""Case analytics at ten million posts: geotrace's regions, accounts, timeline and the
per-account series of tracks and silence, beside DuckDB on a Parquet copy, in one run.

    .venv/bin/python bench/bigcase.py --out /tmp/h20/big/big.case      # the fixture, ~8 min
    .venv/bin/python bench/analytics.py --case /tmp/h20/big/big.case   # 3 runs each
    .venv/bin/python bench/analytics.py --case /tmp/h20/big/small.case --runs 1

What is timed, each ``--runs`` times, interleaved so that a shared machine's noise hits
all alike (median and [min-max] of wall and CPU seconds):

* ``cli``: the command end to end in a fresh process, its output to /dev/null
  (``geotrace regions``, ``accounts --json``, ``posts --account A``, ``tracks --account A``,
  ``silence --account A``); ``--table`` adds ``accounts`` as a Rich table (a minute and
  more at 100k accounts: the table, not the query);
* ``api``: the same through :mod:`geotrace.api` in this process (the query and the
  rows, no start-up);
* ``series``: the per-account reads alone (:func:`point_queries.account_tracks` and
  :func:`point_queries.post_times` for one account), what tracks and silence pay before
  they compute;
* ``duckdb``: the same questions in DuckDB over a Parquet copy of the columns they read
  (written once per case into ``--parquet``, its export time printed: what a derived
  cache would pay after every ingest), in this process (``duckdb``) and in a fresh one
  (``duckdb-cli``: import, open, query, fetch).  pandas is not installed here, so its
  ``read_sql`` + ``groupby`` is not run.

tracks and silence are asked with a new ``--as-of`` each run, so that each run computes
(the stages keep answers by parameters and as-of).  The account is the one with the most
posts unless ``--account`` names another.  CPU is user + system of this process (api,
series, duckdb) or of the child (cli, duckdb-cli); on the shared 2-core machine, compare
CPU, and wall only within one run.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

GEOTRACE = [sys.executable, "-m", "geotrace"]

#: The Parquet copy: each table's columns that the questions read.
EXPORT = {
    "sightings": "SELECT id, post, media_sha256, lat, lon, radius_m, at_utc, at_local,"
    " time_uncertainty_s, confidence FROM sightings",
    "places": "SELECT sighting_id, country_de_jure, country_de_facto, admin1_code,"
    " admin1_name, border_confidence FROM places",
    "posts": "SELECT id, platform, post_id, kind, account, chat, url, posted_utc, posted_local,"
    " time_basis, time_uncertainty_s, time_source, text, raw, location FROM posts",
    "accounts": "SELECT id, platform, account_id FROM accounts",
    "account_names": "SELECT account, handle, name, first_seen, last_seen FROM account_names",
    "post_media": "SELECT post, sha256 FROM post_media",
}

#: DuckDB's answer to each question (``$A``: the account's row id).
DUCK = {
    "regions": """
        SELECT p.country_de_jure, p.country_de_facto, p.admin1_code, p.admin1_name,
               count(*), min(s.at_utc), max(s.at_utc), sum((p.border_confidence = 'high')::int)
        FROM '{d}/sightings.parquet' s LEFT JOIN '{d}/places.parquet' p
          ON p.sighting_id = s.id
        GROUP BY ALL ORDER BY 5 DESC""",
    "accounts": """
        WITH posted AS (SELECT account, count(*) n, min(posted_utc) f, max(posted_utc) l,
                               sum((posted_utc IS NULL)::int) u
                        FROM '{d}/posts.parquet' WHERE account IS NOT NULL GROUP BY account),
             chats AS (SELECT chat, count(*) c FROM '{d}/posts.parquet'
                       WHERE chat IS NOT NULL GROUP BY chat),
             own AS (SELECT q.account, count(*) k FROM '{d}/sightings.parquet' s
                     JOIN '{d}/posts.parquet' q ON q.id = s.post GROUP BY q.account),
             media AS (SELECT q.account, count(DISTINCT s.id) k
                       FROM '{d}/sightings.parquet' s
                       JOIN '{d}/post_media.parquet' pm ON pm.sha256 = s.media_sha256
                       JOIN '{d}/posts.parquet' q ON q.id = pm.post
                       WHERE s.post IS NULL GROUP BY q.account),
             names AS (SELECT account, list(struct_pack(handle, name, first_seen, last_seen)
                                            ORDER BY first_seen) ns
                       FROM '{d}/account_names.parquet' GROUP BY account)
        SELECT a.platform, a.account_id, names.ns, coalesce(posted.n, 0), posted.f, posted.l,
               coalesce(posted.u, 0), coalesce(chats.c, 0),
               coalesce(own.k, 0) + coalesce(media.k, 0)
        FROM '{d}/accounts.parquet' a LEFT JOIN posted ON posted.account = a.id
        LEFT JOIN chats ON chats.chat = a.id LEFT JOIN own ON own.account = a.id
        LEFT JOIN media ON media.account = a.id LEFT JOIN names ON names.account = a.id
        ORDER BY 4 DESC, 1, 2""",
    "posts": """
        SELECT * FROM '{d}/posts.parquet' WHERE account = $A OR chat = $A
        ORDER BY posted_utc IS NULL, posted_utc, id""",
    "track": """
        WITH owned AS (
            SELECT s.id sid, s.post owner FROM '{d}/sightings.parquet' s
            JOIN '{d}/posts.parquet' q ON q.id = s.post WHERE q.account = $A
            UNION
            SELECT s.id, (SELECT pm2.post FROM '{d}/post_media.parquet' pm2
                          JOIN '{d}/posts.parquet' fp ON fp.id = pm2.post
                          WHERE pm2.sha256 = s.media_sha256
                          ORDER BY fp.posted_utc, fp.id LIMIT 1)
            FROM '{d}/posts.parquet' q JOIN '{d}/post_media.parquet' pm ON pm.post = q.id
            JOIN '{d}/sightings.parquet' s ON s.media_sha256 = pm.sha256 AND s.post IS NULL
            WHERE q.account = $A)
        SELECT s.id, o.owner, s.lat, s.lon, s.radius_m, s.at_utc, s.time_uncertainty_s,
               s.confidence, p.country_de_jure, p.country_de_facto, p.admin1_code,
               p.border_confidence
        FROM owned o JOIN '{d}/sightings.parquet' s ON s.id = o.sid
        JOIN '{d}/posts.parquet' q ON q.id = o.owner
        LEFT JOIN '{d}/places.parquet' p ON p.sighting_id = s.id
        WHERE q.account = $A AND coalesce(s.at_utc, s.at_local) IS NOT NULL
        ORDER BY s.at_utc, s.id""",
    "series": """
        SELECT epoch(coalesce(posted_utc, posted_local)::TIMESTAMP), time_uncertainty_s
        FROM '{d}/posts.parquet' WHERE account = $A ORDER BY posted_utc, id""",
}


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn`` in this process."""
    cpu, wall = _cpu_self(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, _cpu_self() - cpu


def timed_child(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh process, its output discarded."""
    cpu, wall = _cpu_children(), time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-800:]}")
    return time.perf_counter() - wall, _cpu_children() - cpu


def export_parquet(case: Path, folder: Path, reuse: bool = False) -> float:
    """Write the Parquet copy (once per case file: keyed by its size and mtime, as a
    derived cache would be; ``reuse``: any copy there, since tracks and silence write their
    answers into the case, which changes neither the rows copied nor their answers); the
    seconds it took, 0.0 when it was already there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stat = case.stat()
    mark = folder / f"{case.name}.{stat.st_size}.{int(stat.st_mtime)}.done"
    if mark.exists() or (reuse and any(folder.glob("*.done"))):
        return 0.0
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    db = sqlite3.connect(f"file:{case}?mode=ro", uri=True)
    for table, query in EXPORT.items():
        cursor = db.execute(query)
        names = [d[0] for d in cursor.description]
        writer = None
        while rows := cursor.fetchmany(500_000):
            batch = pa.table(dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)))
            if writer is None:
                writer = pq.ParquetWriter(folder / f"{table}.parquet", batch.schema)
            writer.write_table(batch.cast(writer.schema))
        if writer is not None:
            writer.close()
    db.close()
    for old in folder.glob("*.done"):
        old.unlink()
    mark.touch()
    return time.perf_counter() - started


def top_account(case: Path) -> tuple[int, str, int]:
    """The account with the most posts: (row id, account id, posts)."""
    db = sqlite3.connect(f"file:{case}?mode=ro", uri=True)
    row_id, account_id, posts = db.execute(
        "SELECT a.id, a.account_id, count(*) FROM posts p JOIN accounts a ON a.id = p.account"
        " GROUP BY p.account ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    db.close()
    return int(row_id), str(account_id), int(posts)


def row_of(case: Path, account_id: str) -> int:
    db = sqlite3.connect(f"file:{case}?mode=ro", uri=True)
    (row_id,) = db.execute("SELECT id FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
    db.close()
    return int(row_id)


def plan(case: Path, account: str, table: bool) -> dict[str, list[str] | None]:
    """Each measured command's argv (None: measured in this process only)."""
    c = str(case)
    found: dict[str, list[str] | None] = {
        "regions": [*GEOTRACE, "regions", "--case", c],
        "accounts": [*GEOTRACE, "accounts", "--case", c, "--json"],
        "posts": [*GEOTRACE, "posts", "--case", c, "--account", account],
        "tracks": [*GEOTRACE, "tracks", "--case", c, "--account", account, "--format", "jsonl"],
        "silence": [*GEOTRACE, "silence", "--case", c, "--account", account, "--format", "jsonl"],
    }
    if table:
        found["accounts-table"] = [*GEOTRACE, "accounts", "--case", c]
    return found


def as_of_argv(argv: list[str], run: int) -> list[str]:
    """tracks and silence asked as of a new instant each run: each run computes."""
    if argv[3] in ("tracks", "silence"):
        return [*argv, "--as-of", f"2026-01-01T00:00:{run:02d}Z"]
    return argv


def api_call(name: str, case: Path, account: str, run: int) -> Callable[[], object]:
    from geotrace import api

    when = f"2026-01-01T00:01:{run:02d}Z"
    calls: dict[str, Callable[[], object]] = {
        "regions": lambda: api.regions(case),
        "accounts": lambda: api.accounts(case),
        "posts": lambda: list(api.posts(case, account=account, raw=True)),
        "tracks": lambda: api.tracks(case, account=account, as_of=when),
        "silence": lambda: api.silence(case, account=account, as_of=when),
    }
    return calls[name]


def series_call(name: str, case: Path, key: tuple[str, str]) -> Callable[[], object]:
    from geotrace.analysis import point_queries
    from geotrace.pipeline.runner import open_case

    def read() -> object:
        with open_case(case) as opened:
            fn = point_queries.account_tracks if name == "tracks" else point_queries.post_times
            found = fn(opened.db, None, 256, only=[key])
        assert found, f"no {name} series for {key}"
        return found

    return read


def duck_call(name: str, folder: Path, row_id: int) -> Callable[[], object]:
    import duckdb

    query = DUCK[name].format(d=folder)

    def run() -> object:
        with duckdb.connect() as con:
            return con.execute(query, {"A": row_id} if "$A" in query else None).fetchall()

    return run


def duck_child(name: str, folder: Path, row_id: int) -> list[str]:
    query = DUCK[name].format(d=folder).replace("$A", str(row_id))
    code = "import duckdb, sys; duckdb.sql(sys.argv[1]).fetchall()"
    return [sys.executable, "-c", code, query]


def measurements(
    name: str,
    cli: list[str] | None,
    run: int,
    case: Path,
    account: str,
    key: tuple[str, str],
    row_id: int,
    parquet: Path,
) -> dict[str, Callable[[], tuple[float, float]]]:
    """How one question is measured in one run: each way, a function giving wall and CPU."""
    found: dict[str, Callable[[], tuple[float, float]]] = {}
    if cli is not None:
        found["cli"] = lambda: timed_child(as_of_argv(cli, run))
    if name.endswith("-table"):
        return found
    found["api"] = lambda: timed(api_call(name, case, account, run))
    if name in ("tracks", "silence"):
        found["series"] = lambda: timed(series_call(name, case, key))
    duck = {"tracks": "track", "silence": "series"}.get(name, name)
    found["duckdb"] = lambda: timed(duck_call(duck, parquet, row_id))
    found["duckdb-cli"] = lambda: timed_child(duck_child(duck, parquet, row_id))
    return found


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} [{min(values):.2f}-{max(values):.2f}]"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, required=True)
    parser.add_argument("--account", help="an account id (default: the one with most posts)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parquet", type=Path, default=Path("/tmp/h20/H3/parquet"))
    parser.add_argument(
        "--reuse-parquet", action="store_true", help="keep the Parquet copy there, if any"
    )
    parser.add_argument("--table", action="store_true", help="also time the Rich table")
    parser.add_argument("--only", nargs="*", help="these questions only")
    args = parser.parse_args(argv)
    case: Path = args.case
    if args.account is None:
        row_id, account, posts = top_account(case)
    else:
        account, row_id, posts = args.account, row_of(case, args.account), -1
    platform, account_id = (
        sqlite3.connect(f"file:{case}?mode=ro", uri=True)
        .execute("SELECT platform, account_id FROM accounts WHERE id = ?", (row_id,))
        .fetchone()
    )
    key = (str(platform), str(account_id))
    print(f"case {case} ({case.stat().st_size / 1e9:.2f} GB); account {account} ({posts} posts)")
    exported = export_parquet(case, args.parquet, args.reuse_parquet)
    print(f"parquet copy in {args.parquet}: {exported:.1f} s to write (0: already there)")

    commands = plan(case, account, args.table)
    names = [n for n in commands if not args.only or n in args.only]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for run in range(args.runs):
        for name in names:
            for how, fn in measurements(
                name, commands[name], run, case, account, key, row_id, args.parquet
            ).items():
                wall, cpu = fn()
                times.setdefault((name, how), []).append((wall, cpu))
                print(f"  run {run + 1} {name:15} {how:10} wall {wall:7.2f} cpu {cpu:7.2f}")
    print(
        f"\n{'question':15} {'how':10} {'wall s: median [min-max]':>26}"
        f" {'cpu s: median [min-max]':>26}"
    )
    for (name, how), values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(f"{name:15} {how:10} {summary(walls):>26} {summary(cpus):>26}")
    print("\nratios (CPU, median): geotrace / DuckDB on Parquet")
    for name in names:
        for ours, theirs in (("api", "duckdb"), ("cli", "duckdb-cli"), ("series", "duckdb")):
            if (name, ours) in times and (name, theirs) in times:
                a = statistics.median(c for _, c in times[(name, ours)])
                b = statistics.median(c for _, c in times[(name, theirs)])
                print(f"{name:15} {ours:>7} / {theirs:10} {a / max(b, 1e-9):7.1f}x")


if __name__ == "__main__":
    main()
