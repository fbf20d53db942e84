"""The analyses of people as KML 2.2 (Google Earth's time slider): a stay is its point and
circle, a leg, crossing or meeting the line between its sightings, a silence a placemark
with no place; each row's instants are its time span.  Apart from
:mod:`geotrace.present.people` because the circles need NumPy, which ``--help`` must not
load (tests/test_startup.py).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, TextIO

from geotrace.present.geojson import geometry
from geotrace.present.kml import (
    KML_NS,
    assign_colours,
    cdata,
    circle_ring,
    data_value,
    style,
    xml_attr,
    xml_text,
)

#: A row's time span on the KML slider, by the names its columns have (first pair found).
_SPANS = (
    ("first_utc", "last_utc"),
    ("from_utc", "to_utc"),
    ("after_utc", "before_utc"),
    ("start_utc", "end_utc"),
)


def _kind(row: dict[str, Any]) -> str:
    """What a row is, for a placemark's name: words of ours, never the input's."""
    if "kind" in row and row["kind"] in ("stay", "base", "current", "past_gap", "cohort"):
        return str({"current": "silence", "past_gap": "past silence"}.get(row["kind"], row["kind"]))
    if "from_lat" in row:
        return "leg, " + ("impossible" if row.get("flag") else "possible")
    if "left_code" in row:
        return "crossing"
    if "other_account_id" in row:
        return "meeting"
    return "row"


def _span(row: dict[str, Any]) -> tuple[str | None, str | None]:
    for a, b in _SPANS:
        if row.get(a) or row.get(b):
            return row.get(a), row.get(b)
    at = row.get("at_utc")
    if isinstance(at, list) and at:
        return min(at), max(at)
    return None, None


def _placemark(row: dict[str, Any], style_id: str) -> str:
    """One row: its line or point (and circle), time span, balloon and every field."""
    begin, end = _span(row)
    when = "".join(
        f"<{tag}>{xml_text(v)}</{tag}>" for tag, v in (("begin", begin), ("end", end)) if v
    )
    name = " ".join(x for x in (_kind(row), begin, end if end != begin else None) if x)
    shape = geometry(row)
    geom = ""
    if shape is not None:
        coords = " ".join(f"{x!r},{y!r}" for x, y in _coords(shape))
        tag = "Point" if shape["type"] == "Point" else "LineString"
        geom = f"<{tag}><coordinates>{coords}</coordinates></{tag}>"
        radius = row.get("radius_m")
        if tag == "Point" and isinstance(radius, int | float) and radius > 0:
            ring = circle_ring(float(row["lat"]), float(row["lon"]), float(radius))
            points = " ".join(f"{x:.6f},{y:.6f}" for x, y in ring.tolist())
            geom = (
                f"<MultiGeometry>{geom}<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                f"{points}</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry>"
            )
    shown = {k: v for k, v in row.items() if v is not None and v != ""}
    balloon = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(data_value(v))}</td></tr>"
        for k, v in shown.items()
    )
    data = "".join(
        f'<Data name="{xml_attr(k)}"><value>{xml_text(data_value(v))}</value></Data>'
        for k, v in shown.items()
    )
    return (
        f"<Placemark><name>{xml_text(name)}</name>"
        f"<description>{cdata(f'<table>{balloon}</table>')}</description>"
        + (f"<TimeSpan>{when}</TimeSpan>" if when else "")
        + f"<styleUrl>#{style_id}</styleUrl><ExtendedData>{data}</ExtendedData>{geom}"
        "</Placemark>\n"
    )


def _coords(shape: dict[str, Any]) -> list[list[float]]:
    coords = shape["coordinates"]
    return [coords] if shape["type"] == "Point" else list(coords)


def write_kml(rows: Sequence[dict[str, Any]], out: TextIO) -> int:
    """KML 2.2: one folder of placemarks in the rows' order, a style per account."""
    keys = sorted({(str(r["platform"]), str(r["account_id"])) for r in rows})
    colours = assign_colours(keys)
    ids = {key: f"a{n}" for n, key in enumerate(keys)}
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<kml xmlns="{KML_NS}">\n<Document><name>geotrace people</name>\n')
    for key in keys:
        out.write(style(ids[key], colours[key]))
    out.write("<Folder><name>rows</name>\n")
    for row in rows:
        out.write(_placemark(row, ids[(str(row["platform"]), str(row["account_id"]))]))
    out.write("</Folder>\n</Document>\n</kml>\n")
    return len(rows)
