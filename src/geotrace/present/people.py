"""The analyses of people as files: JSON Lines, CSV, GeoJSON, KML and a text listing.

Rows are flat dicts, each with ``platform`` and ``account_id``; what is drawn depends on
what the row holds: a stay or a base is its centre (with ``radius_m``), a leg, a crossing
or a meeting the line between its two sightings, a silence has no place (null geometry,
which GeoJSON allows; in KML a placemark with no geometry, which KML allows too).

KML follows ``present.kml``'s rules and uses its writers: every value escaped (and
HTML-escaped again in the balloon), names that hold nothing an adversary wrote (the kind
of row and its instants), a colour per account and no icon URL; a stay or base is also
drawn as its circle, and a row's time span goes on the time slider.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, TextIO

from geotrace.present.geojson import dumps, geometry
from geotrace.present.table import write_csv, write_jsonl


class PeopleFormat(StrEnum):
    """Formats every command of people writes."""

    text = "text"
    jsonl = "jsonl"
    geojson = "geojson"
    csv = "csv"
    kml = "kml"


FORMATS = tuple(PeopleFormat)


def _text(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """One line a row: the account, then every field that has a value."""
    for row in rows:
        head = f"{row['platform']}:{row['account_id']}"
        rest = "  ".join(
            f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v}"
            for k, v in row.items()
            if k not in ("platform", "account_id") and v is not None and v != ""
        )
        out.write(f"{head}  {rest}\n")


def write_rows(rows: Sequence[dict[str, Any]], fmt: str, out: TextIO) -> int:
    """Write ``rows`` in ``fmt``; return how many."""
    if fmt == "jsonl":
        return write_jsonl(rows, out)
    if fmt == "csv":
        fields: dict[str, None] = {}
        for row in rows:
            fields.update(dict.fromkeys(row))
        flat = [
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                for k, v in r.items()
            }
            for r in rows
        ]
        return write_csv(flat, out, list(fields))
    if fmt == "geojson":
        out.write('{"type": "FeatureCollection", "features": [\n')
        for n, row in enumerate(rows):
            feature = {"type": "Feature", "geometry": geometry(row), "properties": row}
            out.write((",\n" if n else "") + dumps(feature))
        out.write("\n]}\n")
        return len(rows)
    if fmt == "text":
        _text(rows, out)
        return len(rows)
    if fmt == "kml":  # its module loads NumPy (circles): only when asked, not at --help
        from geotrace.present.people_kml import write_kml

        return write_kml(rows, out)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
