"""Sightings as an RFC 7946 GeoJSON FeatureCollection (opens in QGIS, geojson.io, Leaflet).

Each sighting is a Point at ``[lon, lat]`` (RFC 7946 order) with every field of the
sighting as a property, ``radius_m`` included, so that a map can draw the uncertainty.
The altitude stays a property (``alt_m``) rather than a third coordinate: RFC 7946 heights
are above the WGS 84 ellipsoid, EXIF altitudes above sea level, and they differ by tens
of metres.  Features are written one at a time, so memory does not grow with the case.
A value that is not a finite number (a NaN a hostile export carried into the evidence)
becomes ``null``: ``NaN`` is not JSON (RFC 8259), and one would make the whole file unreadable
to strict parsers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, TextIO


def feature(row: dict[str, Any]) -> dict[str, Any]:
    """One sighting row as a GeoJSON Feature."""
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": dict(row),
    }


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinity, however deep, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> str:
    """Strict JSON: the common case in one call, the rare NaN cleaned on a second."""
    try:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(finite(obj), ensure_ascii=False, allow_nan=False)


def write_geojson(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write a FeatureCollection; return the number of features."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    count = 0
    for row in rows:
        out.write(",\n" if count else "")
        out.write(dumps(feature(row)))
        count += 1
    out.write("\n]}\n")
    return count


#: The two ends of a row that is a line, by the names its columns have.
_ENDS = (
    ("from_lat", "from_lon", "to_lat", "to_lon"),
    ("last_lat", "last_lon", "first_lat", "first_lon"),
    ("lat", "lon", "other_lat", "other_lon"),
)


def geometry(row: dict[str, Any]) -> dict[str, Any] | None:
    """The row's shape: a line between its two sightings, else its point, else none."""
    for a, b, c, d in _ENDS:
        if row.get(a) is not None and row.get(c) is not None:
            return {"type": "LineString", "coordinates": [[row[b], row[a]], [row[d], row[c]]]}
    if row.get("lat") is not None and row.get("lon") is not None:
        return {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    return None
