"""The places stage: the resolve layer's answer for every sighting, in the ``places`` table.

Derived, so it can always be rebuilt, and it goes with its sighting (the table's key
cascades).  The computation is :func:`geotrace.places.resolve`, vectorised over a task's
sightings; the runner (:mod:`geotrace.pipeline.runner`) pages, commits and resumes.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from geotrace.geo import iso_or_none
from geotrace.pipeline.stage import Context, Stage
from geotrace.places import PLACES_VERSION, resolve
from geotrace.sql import MigrationSet, Step

MIGRATIONS = MigrationSet(
    "places",
    (
        # 2: the resolve stage's answer per sighting (geotrace.places); derived, so it can
        # always be rebuilt, and it goes with its sighting.
        Step(
            "0001_places",
            """
    CREATE TABLE places (
        sighting_id       INTEGER PRIMARY KEY REFERENCES sightings(id) ON DELETE CASCADE,
        places_version    TEXT NOT NULL,
        country_de_jure   TEXT,
        country_de_facto  TEXT,
        admin1_code       TEXT,
        admin1_name       TEXT,
        border_confidence TEXT,
        place             TEXT NOT NULL
    );
    CREATE INDEX places_country ON places(country_de_jure, country_de_facto, admin1_code);
""",
            legacy=2,
        ),
        # The regions table groups every sighting by these columns: an index holding them
        # all answers it without reading each place's JSON (1M sightings: 2.3 -> 1.1 CPU-s,
        # bench/analytics.py).  It starts with the columns of the index it replaces.
        Step(
            "0002_places_region",
            """
    DROP INDEX IF EXISTS places_country;
    CREATE INDEX IF NOT EXISTS places_region ON places(country_de_jure, country_de_facto,
        admin1_code, admin1_name, border_confidence);
""",
        ),
    ),
)

#: A sighting to place: (id, lat, lon, radius_m, at_utc, time_basis).
Sighting = tuple[int, float, float, float, str | None, str]
#: Its answer: (sighting id, the ``places`` columns after the version, in order, with the
#: place as JSON), or (sighting id, None, the reason it could not be placed).
Placed = tuple[int, tuple[str | None, ...] | None, str | None]
#: The problem of a sighting whose place could not be computed.
PLACE_FAILED = "place_failed"


def place_page(page: Sequence[Sighting]) -> list[Placed]:
    """The stage's pure computation: every sighting of a task resolved in one pass."""
    ids, lat, lon, radius, at, basis = zip(*page, strict=True)
    answers = resolve(
        np.array(lat),
        np.array(lon),
        np.array(radius),
        at=[iso_or_none(t) for t in at],
        from_local=[b == "location_timezone" for b in basis],
    )
    return [(sid, _columns(row), None) for sid, row in zip(ids, answers.rows(), strict=True)]


def _columns(place: dict[str, Any]) -> tuple[str | None, ...]:
    """A place as the table keeps it, made where it is computed: strings cross from a
    worker several times faster than the dicts they come from (bench/stages.py)."""
    return (
        place.get("country_de_jure"),
        place.get("country_de_facto"),
        place.get("admin1_code"),
        place.get("admin1_name"),
        place.get("border_confidence"),
        json.dumps(place, ensure_ascii=False),
    )


class Places(Stage[Sighting, Placed]):
    """Country de jure and de facto, admin-1, settlement, zone of each sighting."""

    name = "places"
    version = PLACES_VERSION
    migrations = MIGRATIONS
    compute = staticmethod(place_page)
    #: Computed in this process, as before the runner: a fork pool resolves 100,000
    #: sightings in 0.71x the time on two free cores, but its workers, forked after an
    #: ingest has read a large export, hold that memory again (bench/stages.py).
    in_process = True
    #: Sightings per transaction: memory bounded.
    page_size = 50_000
    #: Sightings per task: one vectorised pass each; a task that raises is redone one
    #: sighting at a time, so that only the sighting at fault goes unplaced.
    chunk_size = 10_000

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Sighting]:
        """Sightings lacking a place of this version, in id order (``request`` unused)."""
        rows = db.execute(
            "SELECT s.id, s.lat, s.lon, s.radius_m, s.at_utc, s.time_basis FROM sightings s"
            " LEFT JOIN places p ON p.sighting_id = s.id"
            " WHERE p.places_version IS NOT ? AND s.id > ? ORDER BY s.id LIMIT ?",
            (self.version, -1 if after is None else after, limit),
        )
        return [(int(i), float(a), float(o), float(r), t, str(b)) for i, a, o, r, t, b in rows]

    def key(self, item: Sighting) -> int:
        return item[0]

    def failed(self, item: Sighting, reason: str) -> Placed:
        return (item[0], None, reason)

    def write(self, db: sqlite3.Connection, results: Sequence[Placed]) -> Counter[str]:
        """Store places, replacing older versions; a sighting that could not be placed
        stays without one (the regions say "no place computed yet") and gets a problem."""
        db.executemany(
            "INSERT OR REPLACE INTO places (sighting_id, places_version, country_de_jure,"
            " country_de_facto, admin1_code, admin1_name, border_confidence, place)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, self.version, *p) for sid, p, _ in results if p is not None],
        )
        failed = [(sid, reason) for sid, p, reason in results if p is None]
        db.executemany(
            "INSERT OR IGNORE INTO problems (sha256, path, code, message)"
            " SELECT coalesce(media_sha256, ''), 'sighting ' || id, ?, ? FROM sightings"
            " WHERE id = ?",
            [(PLACE_FAILED, reason, sid) for sid, reason in failed],
        )
        return Counter({PLACE_FAILED: len(failed)}) if failed else Counter()


STAGE = Places()
