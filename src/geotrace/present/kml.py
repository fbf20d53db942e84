"""Sightings as KML 2.2 for Google Earth and GIS tools: a colour per account, times on the slider.

Why the shape it has:

- **Every sighting in the first folder.**  GDAL, and QGIS and GeoPandas through it, read
  each KML folder as a layer and open the *first* one by default; with a folder per
  account the demo case opened as 1 of its 78 points.  So the document holds two folders:
  ``sightings`` (every placemark, in time order, coloured by its account's style, the
  account in ``ExtendedData``) and then ``uncertainty circles``.  Google Earth shows the
  same points and the same colours; an account is told apart by colour and balloon rather
  than by a folder of its own.
- **Streamed.**  Rows arrive in time order, but KML wants every ``Style`` (one per account,
  known only at the end) before the first folder, and the circles after the points.
  Each placemark is therefore rendered as soon as its row arrives and spilled into a
  private temporary SQLite database (``sqlite3.connect("")``: it lives in a small page
  cache and overflows to a temporary file), keyed by (kind, arrival order); the document
  is then written from it in order.  Memory stays bounded for any number of rows.
- **Hostile text, twice.**  Everything that reaches the file is XML-escaped, and characters
  XML 1.0 cannot carry (control characters, lone surrogates) become U+FFFD.  A KML
  ``description`` is *HTML* to Google Earth, so its values are HTML-escaped first and the
  result XML-escaped again: a post text holding ``<script>`` shows as text.  The balloon is
  pinned to that description (``BalloonStyle``), because Google Earth's default balloon
  would render the raw ``ExtendedData`` values as HTML.  Placemark and folder names carry
  no data from the input at all (time and method only).
- **Every evidence field in ``ExtendedData``**, each value as the case holds it (numbers
  with ``repr`` so that they read back bit-exact, dicts as JSON, ``None`` left out), so GDAL,
  QGIS and fastkml users get the data and not just a picture.
- **Time.**  ``<TimeStamp><when>`` is the UTC instant (``...Z``) when it is known, so the time
  slider works; a sighting without one has no time primitive and Google Earth shows it at
  every time.  The time's basis and uncertainty are in the data and the description.
- **Altitude.**  It is written as the third coordinate but the altitude mode stays KML's
  default ``clampToGround``: phone GPS heights are often off by tens of metres, and drawn
  ``absolute`` they would float or sink; the value is kept, not drawn.
- **Uncertainty circles** (``circles_from_m``): a sighting whose radius is at least that
  many metres (1 km by default: a city-level platform geotag, not a GPS fix) also gets a
  polygon of its radius, in the circles folder with the same time and style, so a viewer
  sees that "here" means "somewhere in this city".  Small radii get none: a 50 m circle is
  invisible at the zoom where the point matters and would double the file.
- **No icon URL.**  Styles set colours only: an ``Icon href`` would make Google Earth fetch
  an image from the network, and geotrace's outputs work offline.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import math
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import Any, TextIO

import numpy as np

from geotrace.geo import EARTH_RADIUS_M

KML_NS = "http://www.opengis.net/kml/2.2"
#: Characters XML 1.0 cannot carry at all, not even as references (the complement of its
#: ``Char`` production, spelt positively: a positive class is three times faster to search).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Those, plus what must be escaped in character data.
_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}

#: Distinct, colour-blind-friendlier colours (Okabe-Ito, then Tableau), as RRGGBB.
PALETTE = (
    "E69F00",
    "56B4E9",
    "009E73",
    "F0E442",
    "0072B2",
    "D55E00",
    "CC79A7",
    "1F77B4",
    "FF7F0E",
    "2CA02C",
    "D62728",
    "9467BD",
    "8C564B",
    "E377C2",
    "17BECF",
    "BCBD22",
)
#: Sightings that no account posted (photos from folders) are grey.
FILES_COLOUR = "808080"

#: Vertices of an uncertainty circle (the ring closes on the first one again).
CIRCLE_VERTICES = 36


def _clean(text: str) -> str:
    """Text with what XML (and UTF-8: lone surrogates) cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _escape_char(match: re.Match[str]) -> str:
    return _ESCAPES.get(match.group(), "\ufffd")


def xml_text(value: object) -> str:
    r"""A value as XML character data: escaped, and with what XML cannot hold replaced.

    ``\r`` is written as a reference because XML parsers turn a literal one into ``\n``.
    Most values (numbers, hashes, JSON without markup) need nothing, and one search says so.
    """
    text = value if isinstance(value, str) else str(value)
    return _NEEDS_ESCAPE.sub(_escape_char, text) if _NEEDS_ESCAPE.search(text) else text


def xml_attr(value: object) -> str:
    """A value inside a double-quoted attribute."""
    return xml_text(value).replace('"', "&quot;")


def cdata(text: str) -> str:
    """HTML for a ``description``: in CDATA (half the size of escaped markup).  The values in
    it are HTML-escaped already, so ``]]>`` can only come from the markup, which has none;
    it is split all the same rather than trusted."""
    return "<![CDATA[" + _clean(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def data_value(value: object) -> str:
    """A field's value as the text of a ``Data`` element (JSON for nested values)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float):
        return repr(value)
    return str(value)


@functools.lru_cache(maxsize=256)
def _data_open(name: str) -> str:
    """``<Data name=...><value>`` for a field name (the same few names on every row)."""
    return f'<Data name="{xml_attr(name)}"><value>'


def _data_text(value: object) -> str:
    """``xml_text(data_value(value))``, without the search for numbers (nothing to escape)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return xml_text(data_value(value))


def account_key(row: dict[str, Any]) -> tuple[str, str] | None:
    """Which account a sighting belongs to (platform, id), or None for a plain file."""
    account_id = row.get("account_id")
    if account_id is None or account_id == "":
        return None
    return (str(row.get("platform") or ""), str(account_id))


def account_colour(key: tuple[str, str]) -> int:
    """The palette slot an account prefers: from a hash, so it is the same in every export."""
    digest = hashlib.sha256(f"{key[0]}\0{key[1]}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big") % len(PALETTE)


def assign_colours(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """RRGGBB per account: its preferred slot, else the next free one (distinct until the
    palette runs out, then shared); keys are taken in sorted order so the outcome does not
    depend on the order the rows came in."""
    taken: set[int] = set()
    colours: dict[tuple[str, str], str] = {}
    for key in sorted(keys):
        slot = account_colour(key)
        if len(taken) < len(PALETTE):
            while slot in taken:
                slot = (slot + 1) % len(PALETTE)
            taken.add(slot)
        colours[key] = PALETTE[slot]
    return colours


def kml_colour(rrggbb: str, alpha: int) -> str:
    """KML's ``aabbggrr`` from an ``RRGGBB`` colour."""
    return f"{alpha:02x}{rrggbb[4:6]}{rrggbb[2:4]}{rrggbb[0:2]}".lower()


def circle_ring(lat: float, lon: float, radius_m: float) -> np.ndarray:
    """(n+1, 2) lon/lat of a geodesic circle on the sphere, closed, anticlockwise (KML's
    outer-ring order)."""
    bearing = np.linspace(2 * np.pi, 0.0, CIRCLE_VERTICES, endpoint=False)
    phi, lam = np.radians(lat), np.radians(lon)
    delta = radius_m / EARTH_RADIUS_M
    sin_phi2 = np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(bearing)
    phi2 = np.arcsin(np.clip(sin_phi2, -1.0, 1.0))
    lam2 = lam + np.arctan2(
        np.sin(bearing) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * sin_phi2
    )
    ring = np.column_stack([np.degrees(lam2), np.degrees(phi2)])
    return np.vstack([ring, ring[:1]])


def _row_float(row: dict[str, Any], field: str) -> float | None:
    value = row.get(field)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _when(row: dict[str, Any]) -> str:
    at_utc = row.get("at_utc")
    return f"<TimeStamp><when>{xml_text(at_utc)}</when></TimeStamp>" if at_utc else ""


def placemark_name(row: dict[str, Any]) -> str:
    """Time and method only: a label with nothing an adversary wrote in it."""
    return f"{row.get('at_utc') or 'time unknown'} {row.get('method') or ''}".strip()


def description_html(row: dict[str, Any]) -> str:
    """The balloon: an HTML table whose every value is HTML-escaped (the caller wraps it in
    CDATA, so the XML parser hands Google Earth exactly this)."""
    place = row.get("place") if isinstance(row.get("place"), dict) else None
    uncertainty = row.get("time_uncertainty_s")
    lines = [
        ("time (UTC)", row.get("at_utc") or "unknown"),
        (
            "time basis",
            f"{row.get('time_basis')}"
            + (f" (± {uncertainty} s)" if uncertainty is not None else ""),
        ),
        ("local time", row.get("at_local")),
        ("where", f"{row.get('lat')}, {row.get('lon')} ± {row.get('radius_m')} m"),
        ("method", row.get("method")),
        ("confidence", row.get("confidence")),
        ("settlement", place.get("settlement") if place else None),
        ("admin-1", place.get("admin1_name") if place else row.get("admin1_code")),
        (
            "country (de jure / de facto)",
            f"{row.get('country_de_jure') or '?'} / {row.get('country_de_facto') or '?'}"
            if row.get("country_de_jure") or row.get("country_de_facto")
            else None,
        ),
        ("border confidence", row.get("border_confidence")),
        ("account", row.get("account_name") or row.get("account_id")),
        ("post", f"{row.get('platform')} {row.get('post_id')}" if row.get("post_id") else None),
        ("media", row.get("media_path")),
        ("sha256", row.get("media_sha256")),
    ]
    cells = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"
        for label, value in lines
        if value is not None
    )
    return f"<table>{cells}</table>"


def placemark(row: dict[str, Any], style: str) -> str:
    """One sighting as a ``Placemark`` (a Point unless its coordinates are not numbers)."""
    data = "".join(
        f"{_data_open(name)}{_data_text(value)}</value></Data>"
        for name, value in row.items()
        if value is not None
    )
    lat, lon, alt = _row_float(row, "lat"), _row_float(row, "lon"), _row_float(row, "alt_m")
    point = ""
    if lat is not None and lon is not None:
        coords = f"{lon!r},{lat!r}" + (f",{alt!r}" if alt is not None else "")
        point = f"<Point><coordinates>{coords}</coordinates></Point>"
    return (
        f"<Placemark><name>{xml_text(placemark_name(row))}</name>"
        f"<description>{cdata(description_html(row))}</description>"
        f"{_when(row)}<styleUrl>#{style}</styleUrl>"
        f"<ExtendedData>{data}</ExtendedData>{point}</Placemark>\n"
    )


def circle_placemark(row: dict[str, Any], style: str, radius_m: float) -> str:
    """The uncertainty circle of a sighting: same time and style, the radius as its name."""
    ring = circle_ring(float(row["lat"]), float(row["lon"]), radius_m)
    coords = " ".join(f"{x:.6f},{y:.6f}" for x, y in ring.tolist())  # 0.1 m: plenty
    return (
        f"<Placemark><name>± {xml_text(f'{radius_m:.0f}')} m</name>{_when(row)}"
        f'<styleUrl>#{style}</styleUrl><ExtendedData><Data name="sighting_id"><value>'
        f"{xml_text(row.get('id'))}</value></Data></ExtendedData><Polygon><outerBoundaryIs>"
        f"<LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark>\n"
    )


def style(style_id: str, rrggbb: str) -> str:
    """Points in the account's colour; circles outlined in it, filled faintly."""
    return (
        f'<Style id="{style_id}"><IconStyle><color>{kml_colour(rrggbb, 0xFF)}</color>'
        "<scale>0.8</scale></IconStyle><LabelStyle><scale>0</scale></LabelStyle>"
        f"<LineStyle><color>{kml_colour(rrggbb, 0xFF)}</color><width>1.5</width></LineStyle>"
        f"<PolyStyle><color>{kml_colour(rrggbb, 0x33)}</color></PolyStyle>"
        "<BalloonStyle><text>$[description]</text></BalloonStyle></Style>\n"
    )


#: The spill: placemarks in arrival order (the rowid); the index, built once at the end,
#: reads the points back, then the circles, in that order.  No journal: the database dies
#: with the call.  ``styles`` holds one row per account, in order of first appearance.
_SPILL_SCHEMA = """
PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
CREATE TABLE styles (ord INTEGER PRIMARY KEY, key TEXT UNIQUE, platform TEXT,
                     account_id TEXT);
CREATE TABLE marks (kind INTEGER, xml TEXT);
"""
POINTS_FOLDER = "sightings"
CIRCLES_FOLDER = "uncertainty circles"


def _spill(
    db: sqlite3.Connection, rows: Iterable[dict[str, Any]], circles_from_m: float | None
) -> int:
    """Render every row into the spill database; return how many sightings."""
    styles: dict[str, int] = {}
    count = 0
    batch: list[tuple[int, str]] = []
    for row in rows:
        key = account_key(row)
        style_key = json.dumps(key)
        ord_ = styles.get(style_key)
        if ord_ is None:
            ord_ = styles[style_key] = len(styles)
            platform, account_id = (_clean(key[0]), _clean(key[1])) if key else (None, None)
            db.execute(
                "INSERT INTO styles VALUES (?, ?, ?, ?)", (ord_, style_key, platform, account_id)
            )
        batch.append((0, placemark(row, f"s{ord_}")))
        radius = _row_float(row, "radius_m")
        if (
            circles_from_m is not None
            and radius is not None
            and radius >= circles_from_m
            and _row_float(row, "lat") is not None
            and _row_float(row, "lon") is not None
        ):
            batch.append((1, circle_placemark(row, f"s{ord_}", radius)))
        count += 1
        if len(batch) >= 2048:
            db.executemany("INSERT INTO marks VALUES (?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO marks VALUES (?, ?)", batch)
    db.execute("CREATE INDEX marks_order ON marks (kind)")
    return count


def _document(db: sqlite3.Connection) -> Iterator[str]:
    """The KML text, piece by piece, from the spill database."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<kml xmlns="{KML_NS}">\n<Document><name>geotrace sightings</name>\n'
    styles = db.execute("SELECT ord, platform, account_id FROM styles ORDER BY ord").fetchall()
    colours = assign_colours((str(p), str(a)) for _, p, a in styles if a is not None)
    for ord_, platform, account_id in styles:
        rrggbb = FILES_COLOUR if account_id is None else colours[(str(platform), str(account_id))]
        yield style(f"s{ord_}", rrggbb)
    accounts = sum(a is not None for _, _, a in styles)
    about = f"every sighting in time order, coloured by account ({accounts} accounts" + (
        "; grey: media files that no account in the case posted)" if accounts < len(styles) else ")"
    )
    yield (
        f"<Folder><name>{POINTS_FOLDER}</name>"
        f"<description>{cdata(html.escape(about))}</description>\n"
    )
    in_circles = False
    for kind, xml in db.execute("SELECT kind, xml FROM marks ORDER BY kind, rowid"):
        if kind == 1 and not in_circles:
            in_circles = True
            yield f"</Folder>\n<Folder><name>{CIRCLES_FOLDER}</name>\n"
        yield xml
    yield "</Folder>\n</Document>\n</kml>\n"


def write_kml(
    rows: Iterable[dict[str, Any]], out: TextIO, *, circles_from_m: float | None = 1000.0
) -> int:
    """Write a KML 2.2 document (``out`` must be UTF-8); return the number of sightings.

    ``circles_from_m``: draw the uncertainty circle of sightings at least this imprecise
    (None: never)."""
    with closing(sqlite3.connect("")) as db:
        db.executescript(_SPILL_SCHEMA)
        count = _spill(db, rows, circles_from_m)
        for piece in _document(db):
            out.write(piece)
    return count
