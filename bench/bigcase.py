"""Generate a large synthetic case: the 10M-post / 1M-sighting fixture of issue 20.

    .venv/bin/python bench/bigcase.py --out /tmp/h20/big/big.case          # 10M / 1M / 100k
    .venv/bin/python bench/bigcase.py --small --out /tmp/h20/big/small.case # 100k / 10k / 10k

Why synthetic: no corpus holds ten million posts, and the analytics, the map and the report
must be measured at that scale (bench/analytics.py, bench/map_scale.py).  The rows have the
shapes an ingest writes (one export document per platform, accounts with names over time,
posts with their raw item, platform geotags and pictures' GPS, each picture carried by a
post), so every command opens the result as any case; only the originals are absent (the
pictures' bytes were never there: ``media`` rows name files the case's folder lacks).

* accounts: ``--accounts`` across telegram, vk and x; a third renamed once;
* posts: Zipf-like counts per account (rank r gets ~ 1/(r+10)^1.1, every account >= 1),
  instants uniform over two years, written grouped by account in time order, as an export
  per account writes them;
* sightings: per account ~ its share of posts, on a random walk that starts somewhere in
  Ukraine, Belarus or western Russia; 70 % platform geotags of a post, 30 % a picture's GPS
  (a ``media`` row, carried by a post through ``post_media``);
* places: computed by the real places stage through the runner.

Written with the journal off and foreign keys unchecked (a bench fixture, rebuilt at will),
then the case's own indexes built once; the result is an ordinary case.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from geotrace.pipeline.executors import Local
from geotrace.pipeline.registry import stage
from geotrace.pipeline.runner import open_case, run

PLATFORMS = ("telegram", "vk", "x")
#: Two years of posts, ending 2026-01-01T00:00:00Z (seconds since 1970).
END_S = 1_767_225_600
SPAN_S = 2 * 365 * 86400
CHUNK = 500_000
PHRASES = (
    "колона техніки на трасі",
    "вечір, все спокійно",
    "проїхали блокпост",
    "на позиціях",
    "доброе утро всем",
    "погода сегодня хорошая",
    "новые фото",
    "дорога на север",
    "ждем приказа",
    "наконец дома",
    "morning run",
    "convoy passing by",
)
#: Walk start box: lat 46..57, lon 24..45 (Ukraine, Belarus, western Russia).
BOX = (46.0, 57.0, 24.0, 45.0)
#: Random-walk step (degrees, one sigma) between consecutive sightings of an account.
STEP_DEG = 0.03


def _say(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)


def post_counts(rng: np.random.Generator, posts: int, accounts: int) -> npt.NDArray[np.int64]:
    """Zipf-like posts per account summing to ``posts`` (every account at least one),
    in a random order of accounts so that row id says nothing of an account's size."""
    if posts < accounts:
        raise SystemExit("--posts must be at least --accounts")
    weights = 1.0 / (np.arange(accounts) + 10.0) ** 1.1
    counts = 1 + np.floor(weights / weights.sum() * (posts - accounts)).astype(np.int64)
    counts[0] += posts - int(counts.sum())
    return rng.permutation(counts)


def _iso(seconds: npt.NDArray[np.int64]) -> list[str]:
    """Seconds since 1970 as the case writes instants (``2025-03-01T12:00:00Z``)."""
    texts = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), "Z")
    return [str(t) for t in texts.tolist()]


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


def build(out: Path, posts: int, sightings: int, accounts: int, seed: int = 20) -> dict[str, float]:
    """Write the case to ``out`` (replacing it) and return its figures."""
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    for stale in (out, out.with_name(out.name + "-journal")):
        stale.unlink(missing_ok=True)
    with open_case(out, write=True, create=True):
        pass  # every registered stage's tables, the application id, the custody entry
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    db.execute("DROP INDEX IF EXISTS posts_account")
    db.execute("BEGIN")
    now = "2026-01-02T00:00:00Z"

    # Export documents: one per platform, each a source and a media row.
    export_sha = [f"{i + 1:02x}" * 32 for i in range(len(PLATFORMS))]
    for i, (platform, sha) in enumerate(zip(PLATFORMS, export_sha, strict=True)):
        path = f"/exports/{platform}/result.json"
        db.execute(
            "INSERT INTO media VALUES (?, 'export', 'application/json', ?, ?, ?,"
            " 'geotrace.sources', ?, '{}', ?)",
            (sha, 10**9, path, f"{sha[:2]}/{sha[2:4]}/{sha}", f"{platform}/1", now),
        )
        db.execute(
            "INSERT INTO sources VALUES (?, ?, 'file', NULL, ?, ?, 'geotrace.sources', ?, ?)",
            (i + 1, path, 10**9, sha, f"{platform}/1", now),
        )

    # Accounts and their names over time.
    platform_of = rng.choice(len(PLATFORMS), size=accounts, p=[0.6, 0.25, 0.15])
    account_ids = [f"u{i:07d}" for i in range(accounts)]
    db.executemany(
        "INSERT INTO accounts (id, platform, account_id) VALUES (?, ?, ?)",
        zip(range(1, accounts + 1), [PLATFORMS[p] for p in platform_of], account_ids, strict=True),
    )
    half = END_S - SPAN_S // 2
    old, new = _iso(np.array([END_S - SPAN_S, half])), _iso(np.array([half, END_S]))
    names = [(a + 1, f"h{a}", f"Name {a}", old[0], old[1]) for a in range(accounts)]
    names += [(a + 1, f"h{a}", f"Name {a} (new)", new[0], new[1]) for a in range(0, accounts, 3)]
    db.executemany("INSERT INTO account_names VALUES (?, ?, ?, ?, ?)", names)
    _say(f"{accounts:,} accounts, {len(names):,} names", started)

    # Posts: grouped by account, in time order within it.
    counts = post_counts(rng, posts, accounts)
    owner = np.repeat(np.arange(accounts), counts)  # 0-based account index of each post
    at = END_S - SPAN_S + rng.integers(0, SPAN_S, size=posts)
    order = np.lexsort((at, owner))
    at = at[order]
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seq = np.arange(posts) - np.repeat(first, counts)  # index within its account
    phrase = rng.integers(0, len(PHRASES), size=posts)
    for lo, hi in _chunks(posts):
        whens = _iso(at[lo:hi])
        rows = []
        for k, a, s, when, ph in zip(
            range(lo, hi),
            owner[lo:hi].tolist(),
            seq[lo:hi].tolist(),
            whens,
            phrase[lo:hi].tolist(),
            strict=True,
        ):
            p = int(platform_of[a])
            text = f"{PHRASES[ph]} #{s}"
            raw = f'{{"id":{s},"date":"{when}","from_id":"{account_ids[a]}","text":"{text}"}}'
            rows.append(
                (
                    k + 1,
                    PLATFORMS[p],
                    f"{account_ids[a]}/{s}",
                    "message",
                    a + 1,
                    when,
                    text,
                    raw,
                    export_sha[p],
                    f"messages[{s}]",
                )
            )
        db.executemany(
            "INSERT INTO posts (id, platform, post_id, kind, account, chat, url, posted_utc,"
            " posted_local, time_basis, time_uncertainty_s, time_source, text, raw,"
            " source_sha256, location) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, NULL,"
            " 'platform_utc', 0.5, 'date', ?, ?, ?, ?)",
            rows,
        )
        _say(f"posts {hi:,}/{posts:,}", started)

    _sightings(db, rng, counts, first, at, platform_of, account_ids, sightings, now)
    _say("sightings written", started)
    db.execute(
        "INSERT INTO custody_log (at, action, sha256, detail) VALUES (?, 'bench_bigcase', '', ?)",
        (now, f'{{"posts": {posts}, "sightings": {sightings}, "accounts": {accounts}}}'),
    )
    db.execute("COMMIT")
    db.execute("CREATE INDEX IF NOT EXISTS posts_account ON posts(account, posted_utc)")
    _say("posts' account index built", started)
    broken = db.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:
        raise SystemExit(f"foreign key broken: {broken}")
    db.close()  # no ANALYZE: an ingested case has no statistics, and plans must be its
    _say("checked", started)
    written = time.monotonic() - started

    with open_case(out, write=True) as case:
        placed = run(case, stage("places"), Local())
    _say(f"places: {placed.done:,} placed, {placed.failed} failed", started)
    return {
        "seconds": time.monotonic() - started,
        "seconds_rows": written,
        "bytes": out.stat().st_size,
        "posts": posts,
        "sightings": sightings,
        "accounts": accounts,
    }


def _sightings(
    db: sqlite3.Connection,
    rng: np.random.Generator,
    counts: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    at: npt.NDArray[np.int64],
    platform_of: npt.NDArray[np.int64],
    account_ids: Sequence[str],
    n: int,
    now: str,
) -> None:
    """``n`` sightings, each of a post of its account (drawn with its share of posts), in
    time order along that account's random walk; 30 % are a picture's GPS."""
    posts = int(counts.sum())
    chosen = np.sort(rng.choice(posts, size=n, replace=False))  # post index, account-major
    owner = np.searchsorted(first, chosen, side="right") - 1
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    seg = np.repeat(starts, np.diff(np.r_[starts, n]))
    steps = rng.normal(0.0, STEP_DEG, size=(n, 2))
    walk = np.cumsum(steps, axis=0)
    walk -= walk[seg] - steps[seg]  # each account's walk starts at its own origin
    lat0 = rng.uniform(BOX[0], BOX[1], size=int(owner.max()) + 1)
    lon0 = rng.uniform(BOX[2], BOX[3], size=int(owner.max()) + 1)
    lat = np.round(lat0[owner] + walk[:, 0], 6)
    lon = np.round(lon0[owner] + walk[:, 1], 6)
    exif = rng.random(n) < 0.3
    taken = at[chosen] - np.where(exif, rng.integers(60, 86400, size=n), 0)
    whens = _iso(taken)
    radius = np.where(exif, rng.uniform(5.0, 30.0, size=n).round(1), 50.0)
    seq = chosen - first[owner]
    lats, lons, radii = lat.tolist(), lon.tolist(), radius.tolist()
    geotag: list[tuple[object, ...]] = []
    media: list[tuple[str, str, str]] = []
    post_media: list[tuple[int, str, str]] = []
    picture = 0
    for i, (k, a, s, is_exif) in enumerate(
        zip(chosen.tolist(), owner.tolist(), seq.tolist(), exif.tolist(), strict=True)
    ):
        platform = PLATFORMS[int(platform_of[a])]
        if is_exif:
            picture += 1
            sha = f"{picture:064x}"
            name = f"photos/{account_ids[a]}_{s}.jpg"
            media.append((sha, name, f"{sha[:2]}/{sha[2:4]}/{sha}"))
            post_media.append((k + 1, name, sha))
            evidence = '{"tag": "GPS", "gps_version": "2.3.0.0"}'
            geotag.append(
                (sha, None, "exif_gps", lats[i], lons[i], radii[i], whens[i], "gps_clock", 0.9,
                 evidence)
            )  # fmt: skip
        else:
            evidence = (
                f'{{"platform": "{platform}", "post_id": "{account_ids[a]}/{s}",'
                ' "field": "location", "kind": "geotag"}'
            )
            geotag.append(
                (None, k + 1, "platform_geotag", lats[i], lons[i], 50.0, whens[i], "platform_utc",
                 0.6, evidence)
            )  # fmt: skip
    db.executemany(
        "INSERT INTO media VALUES (?, 'image', 'image/jpeg', 250000, ?, ?, 'geotrace.evidence',"
        " 'bench/1', '{}', '2026-01-02T00:00:00Z')",
        media,
    )
    db.executemany(
        "INSERT INTO sources (path, kind, container, size, sha256, reader, reader_version,"
        " ingested_at) VALUES (?, 'file', NULL, 250000, ?, 'geotrace.evidence', 'bench/1', ?)",
        [(f"/exports/{name}", sha, now) for sha, name, _ in media],
    )
    db.executemany(
        "INSERT INTO post_media (post, ref, path, sha256, kind, missing, metadata)"
        " VALUES (?, ?, ?, ?, 'photo', NULL, '{}')",
        [(post, ref, f"/exports/{ref}", sha) for post, ref, sha in post_media],
    )
    db.executemany(
        "INSERT INTO sightings (media_sha256, post, method, lat, lon, radius_m, at_utc,"
        " time_basis, confidence, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        geotag,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the case file to write")
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--sightings", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--small", action="store_true", help="100k posts, 10k sightings, 10k accounts"
    )
    args = parser.parse_args(argv)
    if args.small:
        args.posts, args.sightings, args.accounts = 100_000, 10_000, 10_000
    figures = build(args.out, args.posts, args.sightings, args.accounts, args.seed)
    print(
        f"{args.out}: {figures['posts']:,} posts, {figures['sightings']:,} sightings,"
        f" {figures['accounts']:,} accounts; {figures['bytes'] / 1e9:.2f} GB;"
        f" rows {figures['seconds_rows']:.0f} s, with places {figures['seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
