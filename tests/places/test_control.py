"""User-supplied control layers: GeoJSON and KML, malformed features, hostile XML."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely

from geotrace.places.control import ControlLayer, ControlLayerError


def _square(x0: float, y0: float, size: float) -> list[list[list[float]]]:
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def _geojson(path: Path, features: list[object], **top: object) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **top}))
    return path


def _feature(geometry: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_geojson_layer_answers_per_point(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path / "front_2022-08-01.geojson",
        [
            _feature(
                {"type": "Polygon", "coordinates": _square(37.0, 47.0, 1.0)}, controlled_by="RU"
            ),
            _feature(
                {"type": "Polygon", "coordinates": _square(38.0, 47.0, 1.0)}, controlled_by="UA"
            ),
            _feature(
                {"type": "MultiPolygon", "coordinates": [_square(30.0, 50.0, 0.5)]},
                controlled_by="UA",
            ),
        ],
    )
    layer = ControlLayer.load(path)
    assert layer.date == date(2022, 8, 1)
    assert layer.field == "controlled_by"
    assert layer.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert layer.source == f"front_2022-08-01.geojson sha256:{layer.sha256}"
    assert "2022-08-01" in layer.describe()
    assert layer.problems == ()
    got = layer.lookup(
        np.array([47.5, 47.5, 50.2, 10.0, 47.5]), np.array([37.5, 38.5, 30.2, 10.0, 38.0])
    )
    # The last point lies on the shared edge: both answers, not a pick.
    assert got == ["RU", "UA", "UA", None, "RU | UA"]


def test_malformed_features_are_problems_not_crashes(tmp_path: Path) -> None:
    bowtie = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    path = _geojson(
        tmp_path / "layer.geojson",
        [
            _feature(
                {"type": "Polygon", "coordinates": _square(37.0, 47.0, 1.0)}, status="occupied"
            ),
            _feature({"type": "Polygon", "coordinates": [[["x", 1]]]}, status="occupied"),
            _feature({"type": "Point", "coordinates": [37.5, 47.5]}, status="occupied"),
            _feature(None, status="occupied"),
            "not a feature",
            _feature({"type": "Polygon", "coordinates": _square(40.0, 47.0, 1.0)}),
            _feature({"type": "Polygon", "coordinates": bowtie}, status="contested"),
        ],
        date="2023-02-01",
    )
    layer = ControlLayer.load(path)
    assert layer.field == "status" and layer.date == date(2023, 2, 1)
    codes = sorted((p.code, p.location) for p in layer.problems)
    assert codes == [
        ("bad-geometry", "feature 1"),
        ("bad-geometry", "feature 2"),
        ("bad-geometry", "feature 3"),
        ("bad-geometry", "feature 4"),
        ("no-label", "feature 5"),
    ]
    # The self-intersecting bow tie is repaired, not dropped.
    assert layer.lookup([47.5, 0.5], [37.5, 0.2]) == ["occupied", "contested"]


def test_explicit_field_and_date_win(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path / "layer-20220101.geojson",
        [_feature({"type": "Polygon", "coordinates": _square(0, 0, 1)}, name="zone A", side="X")],
    )
    layer = ControlLayer.load(path, date="2022-09-30", field="name")
    assert layer.date == date(2022, 9, 30) and layer.lookup([0.5], [0.5]) == ["zone A"]
    # By default "side" comes before "name" (LABEL_FIELDS), and the date from the file name.
    default = ControlLayer.load(path)
    assert default.date == date(2022, 1, 1) and default.lookup([0.5], [0.5]) == ["X"]
    with pytest.raises(ControlLayerError):
        ControlLayer.load(path, date="last week")


def test_undated_layer_says_so(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path / "layer.geojson",
        [_feature({"type": "Polygon", "coordinates": _square(0, 0, 1)}, controlled_by="X")],
    )
    layer = ControlLayer.load(path)
    assert layer.date is None and [p.code for p in layer.problems] == ["no-date"]
    assert "date unknown" in layer.describe()


def test_large_polygons_are_cut_and_still_answer_exactly(tmp_path: Path) -> None:
    circle = shapely.Point(35.0, 48.0).buffer(2.0, quad_segs=1000)
    path = _geojson(
        tmp_path / "big_2024-01-01.geojson",
        [_feature(json.loads(shapely.to_geojson(circle)), controlled_by="RU")],
    )
    layer = ControlLayer.load(path)
    assert len(layer.labels) > 16
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(45.5, 50.5, 20_000), rng.uniform(32.5, 37.5, 20_000)
    inside = shapely.contains_xy(circle, lon, lat)
    got = layer.lookup(lat, lon)
    assert [g == "RU" for g in got] == inside.tolist()


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document>
  <name>front</name>
  <ExtendedData><Data name="date"><value>2022-11-12</value></Data></ExtendedData>
  <Placemark>
    <name>left bank</name>
    <ExtendedData><Data name="status"><value>occupied</value></Data></ExtendedData>
    <MultiGeometry>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        33.0,46.0,0 34.0,46.0,0 34.0,46.5,0 33.0,46.5,0 33.0,46.0,0
      </coordinates></LinearRing></outerBoundaryIs>
      <innerBoundaryIs><LinearRing><coordinates>
        33.4,46.2 33.6,46.2 33.6,46.3 33.4,46.3 33.4,46.2
      </coordinates></LinearRing></innerBoundaryIs></Polygon>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        35.0,46.0 35.5,46.0 35.5,46.5 35.0,46.0
      </coordinates></LinearRing></outerBoundaryIs></Polygon>
    </MultiGeometry>
  </Placemark>
  <Placemark>
    <name>right bank</name>
    <ExtendedData><Data name="status"><value>liberated</value></Data></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      32.0,46.6 33.0,46.6 33.0,47.0 32.0,47.0 32.0,46.6
    </coordinates></LinearRing></outerBoundaryIs></Polygon>
  </Placemark>
  <Placemark><name>a pin</name><Point><coordinates>33.5,46.7</coordinates></Point></Placemark>
  <Placemark><name>broken</name><Polygon><outerBoundaryIs><LinearRing>
    <coordinates>33.0,abc 1,2</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document>
</kml>
"""


def test_kml_layer(tmp_path: Path) -> None:
    path = tmp_path / "kherson.kml"
    path.write_text(KML, encoding="utf-8")
    layer = ControlLayer.load(path)
    assert layer.field == "status" and layer.date == date(2022, 11, 12)
    assert [(p.code, p.location) for p in layer.problems] == [
        ("bad-geometry", "Placemark 2 ('a pin')"),
        ("bad-geometry", "Placemark 3 ('broken')"),
    ]
    got = layer.lookup(
        np.array([46.1, 46.25, 46.1, 46.8, 40.0]), np.array([33.2, 33.5, 35.4, 32.5, 30.0])
    )
    # The second point is in the polygon's hole.
    assert got == ["occupied", None, "occupied", "liberated", None]
    assert layer.lookup([46.1], [33.2 + 360.0]) == ["occupied"]


def test_kml_entity_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE kml [\n<!ENTITY a "aaaaaaaaaa">\n'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">\n'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + ']>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&i;</name></Document></kml>'
    )
    path = tmp_path / "bomb.kml"
    path.write_text(bomb)
    with pytest.raises(ControlLayerError, match="hostile XML"):
        ControlLayer.load(path)


def test_unreadable_files_raise_a_clear_error(tmp_path: Path) -> None:
    for name, text in (
        ("a.geojson", "{not json"),
        ("b.geojson", '{"type": "Point"}'),
        ("c.kml", "<kml>"),
    ):
        (tmp_path / name).write_text(text)
        with pytest.raises(ControlLayerError, match=name):
            ControlLayer.load(tmp_path / name)
    with pytest.raises(ControlLayerError, match="cannot read"):
        ControlLayer.load(tmp_path / "missing.geojson")
