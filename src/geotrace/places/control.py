"""Who controlled the ground: a dated control-of-territory layer the user supplies.

No packaged dataset records the areas occupied since 2014/2022 (Natural Earth marks only
Crimea), and front lines move weekly, so geotrace never ships one: the user gives a GeoJSON
or KML file of polygons with a property naming who controls each, and a date.  Every answer
names that file (with its sha256) and date, so a reader can tell "occupied on 2022-08-01 per
the investigator's map" from a border fact.

The file is hostile input like any other: KML is parsed with defusedxml (entity expansion
and DTDs refused), and a feature that cannot be used becomes a ``ControlProblem`` while the
rest of the layer still loads.  Only a file that cannot be read at all raises
``ControlLayerError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
import numpy.typing as npt
import shapely
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from geotrace.errors import ControlLayerError

#: Property names tried, in order, for who controls a polygon when no field is given.
LABEL_FIELDS = ("controlled_by", "control", "status", "side", "name")
#: Property names tried for the layer's date (top level, or shared by every feature).
DATE_FIELDS = ("date", "as_of", "valid_at", "valid_on", "updated")
#: Pieces larger than this many vertices are cut in four: point-in-polygon on a front-line
#: polygon of 100 k vertices is slow in any tree, on small pieces it is fast.
MAX_PIECE_VERTICES = 256
#: A control layer is a map, not a data dump: refuse files above this before parsing.
MAX_FILE_BYTES = 256 * 2**20

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True, slots=True)
class ControlProblem:
    """One feature that was skipped or changed, and why; the rest of the layer is used."""

    code: str
    message: str
    location: str


@dataclass(frozen=True, slots=True)
class _Feature:
    geometry: BaseGeometry | None
    properties: Mapping[str, str]
    location: str
    problem: ControlProblem | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ControlLayer:
    """Polygons labelled with who controlled them, from one named, hashed, dated file."""

    name: str
    sha256: str
    date: dt.date | None
    field: str
    labels: npt.NDArray[np.object_]  # label of each tree piece
    tree: shapely.STRtree
    problems: tuple[ControlProblem, ...]

    @property
    def source(self) -> str:
        """The file, as every answer names it: ``name sha256:<hex>``."""
        return f"{self.name} sha256:{self.sha256}"

    def describe(self) -> str:
        """Source and date in one line, for answers and reports."""
        when = self.date.isoformat() if self.date else "date unknown"
        return f"{self.source} ({when}, field {self.field!r})"

    @classmethod
    def load(
        cls, path: str | Path, date: dt.date | str | None = None, field: str | None = None
    ) -> ControlLayer:
        """Read a GeoJSON FeatureCollection or a KML file of (Multi)Polygons.

        ``field`` names the property holding who controls each polygon; by default the first
        of ``LABEL_FIELDS`` that any feature has.  ``date`` (a date or ISO string) wins over
        a date in the file (top-level property, or one shared by every feature) and over one
        in the file name (``2022-08-01`` or ``20220801``).
        """
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ControlLayerError(f"{path.name}: {size} bytes, more than {MAX_FILE_BYTES}")
            data = path.read_bytes()
        except OSError as e:
            raise ControlLayerError(f"{path.name}: cannot read: {e.strerror or e}") from e
        if path.suffix.lower() == ".kml" or data.lstrip()[:1] == b"<":
            file_dates, features = _read_kml(data, path.name)
        else:
            file_dates, features = _read_geojson(data, path.name)
        label_field = field or _detect_field(features)
        problems: list[ControlProblem] = []
        geoms: list[BaseGeometry] = []
        labels: list[str] = []
        for feature, label in _labelled(features, label_field, problems):
            for piece in _pieces(feature.geometry):
                geoms.append(piece)
                labels.append(label)
        layer_date = _layer_date(date, file_dates, features, path.name, problems)
        return cls(
            name=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            date=layer_date,
            field=label_field,
            labels=np.array(labels, dtype=object),
            tree=shapely.STRtree(geoms),
            problems=tuple(problems),
        )

    def lookup(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[str | None]:
        """Who controls each point per this layer; None outside every polygon.

        One STRtree query for all points.  A point inside polygons with different labels
        (an overlap, or exactly on a shared edge) gets them all, sorted, joined by " | ":
        the layer itself does not decide, so neither does geotrace.
        """
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = (np.atleast_1d(np.asarray(lon, dtype=np.float64)) + 180.0) % 360.0 - 180.0
        out: list[str | None] = [None] * len(lat_a)
        if not len(self.labels):
            return out
        point_idx, piece_idx = self.tree.query(shapely.points(lon_a, lat_a), "intersects")
        if not len(point_idx):
            return out
        order = np.lexsort((piece_idx, point_idx))
        point_idx, piece_idx = point_idx[order], piece_idx[order]
        starts = np.flatnonzero(np.r_[True, point_idx[1:] != point_idx[:-1]])
        for i, group in zip(point_idx[starts], np.split(piece_idx, starts[1:]), strict=True):
            found = set(self.labels[group].tolist())
            out[int(i)] = found.pop() if len(found) == 1 else " | ".join(sorted(found))
        return out


def _pieces(geometry: BaseGeometry | None) -> Iterator[BaseGeometry]:
    """Cut a polygon into pieces of at most ``MAX_PIECE_VERTICES`` vertices (quadrants)."""
    if geometry is None or geometry.is_empty:
        return
    if shapely.get_num_coordinates(geometry) <= MAX_PIECE_VERTICES:
        yield geometry
        return
    x0, y0, x1, y1 = geometry.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    for box in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
        part = shapely.clip_by_rect(geometry, *box)
        if part.is_empty:
            continue
        if shapely.get_num_coordinates(part) >= shapely.get_num_coordinates(geometry):
            yield part  # cannot shrink (degenerate); keep it whole rather than recurse forever
            continue
        yield from _pieces(part)


def _polygon(geometry: BaseGeometry) -> tuple[BaseGeometry | None, str | None]:
    """Keep polygonal geometry only, repaired if invalid; else say why not."""
    if geometry.is_empty:
        return None, "empty geometry"
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return None, f"{geometry.geom_type} is not a polygon"
    if not geometry.is_valid:
        repaired = shapely.make_valid(geometry)
        polygons = shapely.get_parts(repaired)
        kept = [p for p in polygons if p.geom_type in ("Polygon", "MultiPolygon")]
        if not kept:
            return None, "invalid polygon that cannot be repaired"
        return shapely.union_all(kept), None
    return geometry, None


def _feature(
    props: Mapping[str, str], geometry: BaseGeometry | None, location: str, error: str | None
) -> _Feature:
    if error is None and geometry is not None:
        geometry, error = _polygon(geometry)
    if error is not None:
        return _Feature(None, props, location, ControlProblem("bad-geometry", error, location))
    return _Feature(geometry, props, location)


def _text_props(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, str | int | float)}


def _read_geojson(data: bytes, name: str) -> tuple[dict[str, str], list[_Feature]]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ControlLayerError(f"{name}: not JSON: {e}") from e
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise ControlLayerError(f"{name}: not a GeoJSON FeatureCollection")
    top = _text_props(doc.get("properties")) | _text_props(doc)
    features: list[_Feature] = []
    for n, raw in enumerate(doc["features"]):
        location = f"feature {n}"
        if not isinstance(raw, dict):
            features.append(_feature({}, None, location, "not a GeoJSON object"))
            continue
        props = _text_props(raw.get("properties"))
        geometry: BaseGeometry | None = None
        error = None
        try:
            geometry = shapely.from_geojson(json.dumps(raw.get("geometry")))
        except (GEOSException, ValueError, TypeError) as e:
            error = f"unreadable geometry: {e}"
        if geometry is None and error is None:
            error = "no geometry"
        features.append(_feature(props, geometry, location, error))
    return top, features


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> Iterator[Element]:
    return (e for e in element.iter() if _local(e.tag) == name)


def _ring(element: Element | None) -> list[tuple[float, float]]:
    """``lon,lat[,alt]`` tuples of a KML LinearRing's coordinates."""
    if element is None:
        return []
    coords = next(_children(element, "coordinates"), None)
    text = (coords.text or "") if coords is not None else ""
    return [(float(p.split(",")[0]), float(p.split(",")[1])) for p in text.split()]


def _kml_polygons(placemark: Element) -> BaseGeometry:
    polygons = []
    for polygon in _children(placemark, "Polygon"):
        outer = next(_children(polygon, "outerBoundaryIs"), None)
        holes = [_ring(inner) for inner in _children(polygon, "innerBoundaryIs")]
        polygons.append(shapely.Polygon(_ring(outer), holes))
    if not polygons:
        kinds = sorted({_local(e.tag) for e in placemark.iter()} & {"Point", "LineString"})
        raise ValueError(f"{' and '.join(kinds) or 'no geometry'}, not a polygon")
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _kml_props(element: Element) -> dict[str, str]:
    """``name``, ``description`` and ExtendedData (Data/value and SchemaData/SimpleData)."""
    props: dict[str, str] = {}
    for child in element:
        if _local(child.tag) in ("name", "description") and child.text:
            props[_local(child.tag)] = child.text.strip()
    for data in _children(element, "Data"):
        value = next(_children(data, "value"), None)
        if data.get("name") and value is not None and value.text:
            props[str(data.get("name"))] = value.text.strip()
    for simple in _children(element, "SimpleData"):
        if simple.get("name") and simple.text:
            props[str(simple.get("name"))] = simple.text.strip()
    return props


def _read_kml(data: bytes, name: str) -> tuple[dict[str, str], list[_Feature]]:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        raise ControlLayerError(f"{name}: refused, hostile XML ({type(e).__name__})") from e
    except ParseError as e:
        raise ControlLayerError(f"{name}: not XML: {e}") from e
    document = next(_children(root, "Document"), root)
    top = {k: v for k, v in _kml_props(document).items() if k in DATE_FIELDS}
    features: list[_Feature] = []
    for n, placemark in enumerate(_children(root, "Placemark")):
        props = _kml_props(placemark)
        location = f"Placemark {n}" + (f" ({props['name']!r})" if "name" in props else "")
        geometry: BaseGeometry | None = None
        error = None
        try:
            geometry = _kml_polygons(placemark)
        except (ValueError, IndexError, GEOSException) as e:
            error = str(e)
        features.append(_feature(props, geometry, location, error))
    return top, features


def _detect_field(features: Iterable[_Feature]) -> str:
    keys = set().union(*(f.properties.keys() for f in features))
    return next((f for f in LABEL_FIELDS if f in keys), LABEL_FIELDS[0])


def _labelled(
    features: Iterable[_Feature], field: str, problems: list[ControlProblem]
) -> Iterator[tuple[_Feature, str]]:
    for feature in features:
        if feature.problem is not None:
            problems.append(feature.problem)
            continue
        label = feature.properties.get(field, "").strip()
        if not label:
            problems.append(ControlProblem("no-label", f"no {field!r} property", feature.location))
            continue
        yield feature, label


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _layer_date(
    given: dt.date | str | None,
    top: Mapping[str, str],
    features: list[_Feature],
    filename: str,
    problems: list[ControlProblem],
) -> dt.date | None:
    if isinstance(given, dt.date):
        return given
    if given is not None:
        parsed = _parse_date(given)
        if parsed is None:
            raise ControlLayerError(f"{given!r} is not an ISO date (YYYY-MM-DD)")
        return parsed
    for key in DATE_FIELDS:
        if key in top and (parsed := _parse_date(top[key])) is not None:
            return parsed
        shared = {f.properties.get(key) for f in features}
        if len(shared) == 1 and (value := shared.pop()) and (parsed := _parse_date(value)):
            return parsed
    match = _DATE_IN_NAME.search(filename)
    if match:
        parsed = _parse_date("-".join(match.groups()))
        if parsed is not None:
            return parsed
    problems.append(
        ControlProblem("no-date", "no date given, in the file or in its name", filename)
    )
    return None
