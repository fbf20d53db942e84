"""The core tables of a case: what was read (sources, media, sightings, posts, accounts,
problems, the custody log), as the ``core`` migration set.

Derived results live in their stages' own sets (``geotrace.places.stage``,
``geotrace.evidence.fingerprint_stage``, ``geotrace.analysis.pairs_stage``): nothing here
names a stage's table.  The numbers in ``legacy`` are the ``schema_version`` of the single
sequence cases kept up to issue 15 (see :mod:`geotrace.store.migrations`).
"""

from __future__ import annotations

from geotrace.sql import MigrationSet, Step

CORE = MigrationSet(
    "core",
    (
        Step(
            "0001_initial",
            """
    CREATE TABLE media (
        sha256         TEXT PRIMARY KEY,
        kind           TEXT NOT NULL,
        mime           TEXT,
        size           INTEGER NOT NULL,
        first_path     TEXT NOT NULL,
        stored_as      TEXT NOT NULL,
        reader         TEXT NOT NULL,
        reader_version TEXT NOT NULL,
        metadata       TEXT NOT NULL,
        added_at       TEXT NOT NULL
    );
    CREATE TABLE sources (
        id             INTEGER PRIMARY KEY,
        path           TEXT NOT NULL,
        kind           TEXT NOT NULL,
        container      TEXT,
        size           INTEGER NOT NULL,
        sha256         TEXT NOT NULL REFERENCES media(sha256),
        reader         TEXT NOT NULL,
        reader_version TEXT NOT NULL,
        ingested_at    TEXT NOT NULL,
        UNIQUE (path, sha256)
    );
    CREATE INDEX sources_sha256 ON sources(sha256);
    CREATE TABLE sightings (
        id                 INTEGER PRIMARY KEY,
        media_sha256       TEXT NOT NULL REFERENCES media(sha256),
        method             TEXT NOT NULL,
        lat                REAL NOT NULL,
        lon                REAL NOT NULL,
        alt_m              REAL,
        radius_m           REAL NOT NULL,
        at_utc             TEXT,
        at_local           TEXT,
        time_basis         TEXT NOT NULL,
        time_uncertainty_s REAL,
        confidence         REAL NOT NULL,
        evidence           TEXT NOT NULL,
        UNIQUE (media_sha256, method)
    );
    CREATE TABLE problems (
        id      INTEGER PRIMARY KEY,
        sha256  TEXT NOT NULL DEFAULT '',
        path    TEXT NOT NULL,
        code    TEXT NOT NULL,
        message TEXT NOT NULL,
        UNIQUE (sha256, path, code, message)
    );
    CREATE TABLE custody_log (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        action TEXT NOT NULL,
        sha256 TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL
    );
    """,
            legacy=1,
        ),
        # 3: what platform exports say (geotrace.sources.base).  Accounts keep every
        # handle and name seen with when; posts keep their raw item and where in which source
        # file it was; post_media links posts to originals by the path the export gives
        # (sha256 filled once the file is in the case); links are provenance between posts.
        # Sightings are rebuilt so that a platform geotag (a post, no media) can be one; text
        # columns in UNIQUE keys use '' for "unknown" because SQLite keeps NULLs distinct.
        Step(
            "0002_exports",
            """
    CREATE TABLE accounts (
        id         INTEGER PRIMARY KEY,
        platform   TEXT NOT NULL,
        account_id TEXT NOT NULL,
        UNIQUE (platform, account_id)
    );
    CREATE TABLE account_names (
        account    INTEGER NOT NULL REFERENCES accounts(id),
        handle     TEXT NOT NULL,
        name       TEXT NOT NULL,
        first_seen TEXT,
        last_seen  TEXT,
        UNIQUE (account, handle, name)
    );
    CREATE TABLE posts (
        id                 INTEGER PRIMARY KEY,
        platform           TEXT NOT NULL,
        post_id            TEXT NOT NULL,
        kind               TEXT NOT NULL,
        account            INTEGER REFERENCES accounts(id),
        chat               INTEGER REFERENCES accounts(id),
        url                TEXT,
        posted_utc         TEXT,
        posted_local       TEXT,
        time_basis         TEXT NOT NULL,
        time_uncertainty_s REAL,
        time_source        TEXT,
        text               TEXT NOT NULL,
        raw                TEXT NOT NULL,
        source_sha256      TEXT NOT NULL REFERENCES media(sha256),
        location           TEXT NOT NULL,
        UNIQUE (platform, post_id)
    );
    CREATE INDEX IF NOT EXISTS posts_account ON posts(account, posted_utc);
    CREATE TABLE post_media (
        post     INTEGER NOT NULL REFERENCES posts(id),
        ref      TEXT NOT NULL,
        path     TEXT,
        sha256   TEXT REFERENCES media(sha256),
        kind     TEXT,
        missing  TEXT,
        metadata TEXT NOT NULL,
        UNIQUE (post, ref)
    );
    CREATE INDEX post_media_sha256 ON post_media(sha256);
    CREATE INDEX post_media_unlinked ON post_media(path) WHERE sha256 IS NULL;
    CREATE TABLE links (
        post           INTEGER NOT NULL REFERENCES posts(id),
        kind           TEXT NOT NULL,
        target_post    TEXT NOT NULL,
        target_account TEXT NOT NULL,
        target_name    TEXT NOT NULL,
        target_at      TEXT,
        UNIQUE (post, kind, target_post, target_account, target_name)
    );
    CREATE INDEX links_target ON links(target_post);
    CREATE TABLE sightings_v3 (
        id                 INTEGER PRIMARY KEY,
        media_sha256       TEXT REFERENCES media(sha256),
        post               INTEGER REFERENCES posts(id),
        method             TEXT NOT NULL,
        lat                REAL NOT NULL,
        lon                REAL NOT NULL,
        alt_m              REAL,
        radius_m           REAL NOT NULL,
        at_utc             TEXT,
        at_local           TEXT,
        time_basis         TEXT NOT NULL,
        time_uncertainty_s REAL,
        confidence         REAL NOT NULL,
        evidence           TEXT NOT NULL,
        CHECK (media_sha256 IS NOT NULL OR post IS NOT NULL)
    );
    INSERT INTO sightings_v3 (id, media_sha256, method, lat, lon, alt_m, radius_m, at_utc,
        at_local, time_basis, time_uncertainty_s, confidence, evidence)
        SELECT id, media_sha256, method, lat, lon, alt_m, radius_m, at_utc, at_local,
        time_basis, time_uncertainty_s, confidence, evidence FROM sightings;
    DROP TABLE sightings;
    ALTER TABLE sightings_v3 RENAME TO sightings;
    CREATE UNIQUE INDEX sightings_of_media ON sightings(media_sha256, method)
        WHERE post IS NULL;
    CREATE UNIQUE INDEX sightings_of_post ON sightings(post, method, lat, lon)
        WHERE post IS NOT NULL;
    """,
            legacy=3,
        ),
        # Subjects: something many people photographed (a launcher, a vehicle, a unit),
        # named by the user, with the media and posts the user assigned to it; input, not
        # derived, so they live with the records (geotrace.analysis.subjects).
        Step(
            "0003_subjects",
            """
    CREATE TABLE subjects (
        id       INTEGER PRIMARY KEY,
        name     TEXT NOT NULL UNIQUE,
        added_at TEXT NOT NULL
    );
    CREATE TABLE subject_members (
        subject  INTEGER NOT NULL REFERENCES subjects(id),
        sha256   TEXT REFERENCES media(sha256),
        post     INTEGER REFERENCES posts(id),
        given_as TEXT NOT NULL,
        added_at TEXT NOT NULL,
        CHECK ((sha256 IS NULL) != (post IS NULL)),
        UNIQUE (subject, sha256, post)
    );
    """,
        ),
        # The posts in a chat or channel: ``posts --account`` matches a chat too, and the
        # accounts table counts them; without an index each is a scan of every post (at
        # 10M posts, one timeline took minutes; bench/analytics.py).  Partial: most posts
        # are in no chat.
        Step(
            "0004_posts_chat",
            """
    CREATE INDEX IF NOT EXISTS posts_chat ON posts(chat) WHERE chat IS NOT NULL;
    """,
        ),
    ),
)

#: The core tables, for counts.
TABLES = (
    "sources",
    "media",
    "sightings",
    "problems",
    "custody_log",
    "accounts",
    "posts",
    "post_media",
    "links",
)
