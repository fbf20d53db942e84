"""Queries of the places stage's table: sightings with their place, and the regions.

Beside the stage (:mod:`geotrace.places.stage`), since no other module may read its table;
with plain ``sqlite3``, since ``places`` sits below the store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from geotrace.sql import FIRST_POST_OF_MEDIA, latest_name

#: The fields of a sighting as :func:`sightings` gives them, in order.
SIGHTING_FIELDS = (
    "id",
    "media_sha256",
    "media_path",
    "media_kind",
    "method",
    "lat",
    "lon",
    "alt_m",
    "radius_m",
    "at_utc",
    "at_local",
    "time_basis",
    "time_uncertainty_s",
    "confidence",
    "evidence",
    "country_de_jure",
    "country_de_facto",
    "admin1_code",
    "border_confidence",
    "place",
    "platform",
    "post_id",
    "account_id",
    "account_name",
)


#: What ``regions`` counts per group of sightings.
_REGION_COLUMNS = (
    "p.country_de_jure, p.country_de_facto, p.admin1_code, p.admin1_name,"
    " count(*), min(s.at_utc), max(s.at_utc), sum(p.border_confidence = 'high')"
)


def decode_json(text: str) -> Any:
    """msgspec's decoder (3x json.loads: maps and reports read 100k rows), with json's as
    the fallback for the NaN that ``json.dumps`` writes and strict JSON forbids."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


def unplaced_reason(place: Mapping[str, Any] | None) -> str | None:
    """Why a sighting has no de jure country, in words for a table row (None when it has
    one): a blank country cell reads as a bug, and counted among the countries it reads as
    a country of its own.  Distances are left out so that sightings group by the reason."""
    if place is None:
        return "not placed: no place computed yet (ingest again)"
    if place.get("country_de_jure"):
        return None
    nearest = place.get("nearest_country")
    reason = "not placed: at sea or in a lake" + (f" (nearest land: {nearest})" if nearest else "")
    flags = [str(f) for f in place.get("flags") or []]
    return reason + (f"; flagged {', '.join(flags)}" if flags else "")


def sightings(db: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every sighting as a flat dict, with the name its media was first seen under."""
    cur = db.execute(
        "SELECT s.id, s.media_sha256, m.first_path, m.kind, s.method, s.lat, s.lon,"
        " s.alt_m, s.radius_m, s.at_utc, s.at_local, s.time_basis, s.time_uncertainty_s,"
        " s.confidence, s.evidence, p.country_de_jure, p.country_de_facto, p.admin1_code,"
        " p.border_confidence, p.place, po.platform, po.post_id, a.account_id,"
        f" {latest_name('a')}"
        " FROM sightings s LEFT JOIN media m ON m.sha256 = s.media_sha256"
        " LEFT JOIN places p ON p.sighting_id = s.id"
        f" LEFT JOIN posts po ON po.id = coalesce(s.post, {FIRST_POST_OF_MEDIA})"
        " LEFT JOIN accounts a ON a.id = po.account"
        " ORDER BY s.at_utc IS NULL, s.at_utc, s.id"
    )
    for row in cur:
        record = dict(zip(SIGHTING_FIELDS, row, strict=True))
        record["evidence"] = decode_json(record["evidence"])
        record["place"] = decode_json(record["place"]) if record["place"] else None
        yield record


def regions(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Sightings per de jure country, de facto country and admin-1 unit; those with no
    country (or no place yet) grouped by why, said in ``not_placed``.

    Two queries: the placed rows, then the rest with their place's JSON read for the
    reason.  In one query SQLite reads that JSON for every row of every group, which
    doubles the time of the country table of a large case.  The placed rows are grouped
    from the places' region index, in its order (``CROSS JOIN`` keeps the places as the
    outer loop, whatever statistics a case holds): no place's JSON read, no sort.
    """
    placed = db.execute(
        f"SELECT {_REGION_COLUMNS}, 1, NULL, NULL"
        " FROM places p CROSS JOIN sightings s ON s.id = p.sighting_id"
        " WHERE p.country_de_jure != '' GROUP BY 1, 2, 3, 4"
    )
    unplaced = db.execute(
        f"SELECT {_REGION_COLUMNS}, p.sighting_id IS NOT NULL,"
        " json_extract(p.place, '$.nearest_country'), json_extract(p.place, '$.flags')"
        " FROM sightings s LEFT JOIN places p ON p.sighting_id = s.id"
        " WHERE coalesce(p.country_de_jure, '') = '' GROUP BY 1, 2, 3, 4, 9, 10, 11"
    )
    keys = (
        "country_de_jure",
        "country_de_facto",
        "admin1_code",
        "admin1_name",
        "sightings",
        "first_utc",
        "last_utc",
        "high_confidence",
    )
    found = []
    for *values, has_place, nearest, flags in [*placed, *unplaced]:
        region = dict(zip(keys, values, strict=True))
        flagged = decode_json(flags) if flags else []
        place = dict(region, nearest_country=nearest, flags=flagged) if has_place else None
        found.append(dict(region, not_placed=unplaced_reason(place)))
    found.sort(key=lambda r: (-r["sightings"], r["country_de_jure"] or "", r["admin1_code"] or ""))
    return found


def place_versions(db: sqlite3.Connection) -> list[str]:
    """The versions of the places the case holds (one, unless a run was interrupted
    between a new version's pages)."""
    rows = db.execute("SELECT DISTINCT places_version FROM places ORDER BY 1")
    return [str(version) for (version,) in rows]


#: What an analysis above the resolve layer may read of a sighting's place (``s``: the
#: sighting): de jure and de facto country, admin-1 code, border confidence and the UTC
#: offset of the place at the sighting's instant, in that order.
PLACE_COLUMNS = (
    "p.country_de_jure, p.country_de_facto, p.admin1_code, p.border_confidence,"
    " json_extract(p.place, '$.utc_offset')"
)
#: The join that gives :data:`PLACE_COLUMNS` (a sighting with no place yet gets NULLs).
PLACE_JOIN = "LEFT JOIN places p ON p.sighting_id = s.id"
