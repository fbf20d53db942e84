"""The exchange formats, read back by the tools their users run: KML through GDAL (pyogrio's
LIBKML driver) and the OGC KML 2.2 schema, GeoJSON through the ``geojson`` package,
GeoParquet through pyarrow, shapely and DuckDB; on the bundled demo case and hostile rows."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace import api
from geotrace.places.queries import SIGHTING_FIELDS, sightings
from geotrace.present import geojson as geojson_export
from geotrace.present import kml, parquet
from geotrace.records import iso
from geotrace.store.case import Case
from tests.casekit import REPO

#: What an adversary can put in a name, a path or a post: markup, CDATA's end, entities,
#: quotes, control characters (\x01 \x08 \x1f and U+FFFE cannot be carried by XML at all),
#: a carriage return that XML parsers would turn into \n if written raw, and non-Latin text.
HOSTILE = (
    "Evil <script>alert(1)</script> & <img src=x onerror=alert(2)> ]]> &amp; \"q\" 'a'"
    " \x01\x08\x1f\x7f \ufffe \r\n Бахмут 🇺🇦 end"
)
#: The same text as an XML document can carry it.
HOSTILE_IN_XML = "".join("\ufffd" if c in "\x01\x08\x1f\ufffe" else c for c in HOSTILE)


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The sightings of a real case: the bundled photos and Telegram/VK/twarc exports."""
    case = tmp_path_factory.mktemp("demo") / "demo.case"
    api.ingest([REPO / "demo" / "photos", REPO / "demo" / "exports"], case)
    with Case(case) as opened:
        rows = list(sightings(opened.db))
    assert (
        len(rows) >= 8
        and any(r["account_id"] for r in rows)
        and any(r["at_utc"] is None for r in rows)
    )
    return rows


def hostile_rows(demo_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Real rows with hostile text everywhere text goes, and the edges: no time, the poles
    and the antimeridian, a negative altitude, a city-sized radius, a NaN in the evidence."""
    base = next(r for r in demo_rows if r["account_id"] and r["at_utc"])
    rows = []
    for i, changes in enumerate(
        [
            {"account_name": HOSTILE, "method": HOSTILE},
            {
                "account_id": "evil",
                "account_name": HOSTILE,
                "at_utc": None,
                "at_local": None,
                "time_basis": "unknown_zone",
                "lat": 90.0,
                "lon": -180.0,
                "alt_m": -412.5,
            },
            {
                "account_id": "evil",
                "account_name": HOSTILE,
                "lat": -89.999,
                "lon": 179.9999,
                "radius_m": 25_000.0,
                "at_utc": "2022-02-24T03:59:59.123000Z",
                "evidence": {"text": HOSTILE, "nested": [HOSTILE, {"k": 1.5}]},
            },
        ]
    ):
        row = copy.deepcopy(base)
        row.update(changes, id=1_000_000 + i, media_path=f"/x/{HOSTILE}.jpg")
        row["place"] = dict(row["place"] or {}, settlement=HOSTILE)
        rows.append(row)
    return rows


# --- KML -----------------------------------------------------------------------------


def kml_text(rows: list[dict[str, Any]], **options: Any) -> str:
    out = io.StringIO()
    assert kml.write_kml(rows, out, **options) == len(rows)
    return out.getvalue()


def kml_schema() -> Any:
    """The OGC KML 2.2 schema as pykml ships it (with local atom and xAL imports)."""
    etree = pytest.importorskip("lxml.etree")
    spec = importlib.util.find_spec("pykml")
    if spec is None or spec.origin is None:
        pytest.skip("pykml (the OGC KML 2.2 XSD) is not installed: pip install 'geotrace[test]'")
    xsd = Path(spec.origin).parent / "schemas" / "ogckml22.xsd"
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(xsd), parser))


def test_kml_is_valid_ogc_kml22(demo_rows: list[dict[str, Any]]) -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = kml_schema()
    text = kml_text(demo_rows + hostile_rows(demo_rows))
    doc = etree.fromstring(text.encode("utf-8"), etree.XMLParser(no_network=True))
    assert schema.validate(doc), schema.error_log
    # The check has teeth: the same document with a Style after a Folder is refused.
    broken = text.replace("</Document>", '<Style id="late"/></Document>')
    assert not schema.validate(etree.fromstring(broken.encode("utf-8")))


def gdal_features(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every layer (KML folder) of a file as GDAL's LIBKML driver reads it."""
    pyogrio = pytest.importorskip("pyogrio")
    shapely = pytest.importorskip("shapely")
    from pyogrio.raw import read

    layers: dict[str, list[dict[str, Any]]] = {}
    for layer in pyogrio.list_layers(path)[:, 0]:
        meta, _, geometry, fields = read(path, layer=layer)
        names = list(meta["fields"])
        layers[str(layer)] = [
            {
                **{n: fields[j][i] for j, n in enumerate(names)},
                "geometry": shapely.from_wkb(geometry[i]),
            }
            for i in range(len(geometry))
        ]
    return layers


def test_kml_round_trips_through_gdal_with_times(
    demo_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "demo.kml"
    with path.open("w", encoding="utf-8") as out:
        assert kml.write_kml(iter(demo_rows), out) == len(demo_rows)
    layers = gdal_features(path)
    # Two layers: every sighting in the first (the one GDAL, QGIS and GeoPandas open by
    # default), in time order, then the circles.  It was one layer per account.
    assert list(layers) == ["sightings", "uncertainty circles"]
    pyogrio = pytest.importorskip("pyogrio")
    from pyogrio.raw import read as read_default

    with pytest.warns(UserWarning, match=r"'sightings' \(default\)"):
        default = read_default(path)  # no layer named: what a GIS tool opens
    assert len(default[2]) == len(demo_rows) == len(layers["sightings"])
    assert [int(f["id"]) for f in layers["sightings"]] == [r["id"] for r in demo_rows]
    assert pyogrio.list_layers(path)[0, 0] == "sightings"
    read = {int(f["id"]): f for f in layers["sightings"]}
    for row in demo_rows:
        f = read[row["id"]]
        assert (f.get("account_id"), f.get("platform")) == (row["account_id"], row["platform"])
        if row["at_utc"] is None:
            assert np.isnat(f["timestamp"])
        else:  # GDAL keeps milliseconds; the demo's instants have no finer part
            assert f["timestamp"] == np.datetime64(row["at_utc"].rstrip("Z"), "ms")
        point = f["geometry"]
        assert (point.x, point.y) == (row["lon"], row["lat"])  # bit-exact: repr() floats
        assert point.has_z == (row["alt_m"] is not None)
        assert not point.has_z or point.z == row["alt_m"]
        assert float(f["radius_m"]) == row["radius_m"]
        assert f["method"] == row["method"] and f["time_basis"] == row["time_basis"]
        assert json.loads(f["evidence"]) == row["evidence"]
        assert json.loads(f["place"]) == row["place"]
        assert f.get("media_sha256") == row["media_sha256"]
        assert (f.get("post_id"), f.get("account_name")) == (row["post_id"], row["account_name"])
    # Uncertainty circles for the city-sized platform geotags only (1 km and more), on the
    # slider at the sighting's own time.
    circles = layers["uncertainty circles"]
    big = {r["id"]: r for r in demo_rows if r["radius_m"] >= 1000}
    assert big and sorted(int(f["sighting_id"]) for f in circles) == sorted(big)
    for f in circles:
        row = big[int(f["sighting_id"])]
        assert f["timestamp"] == np.datetime64(row["at_utc"].rstrip("Z"), "ms")
        ring = np.asarray(f["geometry"].exterior.coords)
        centre = np.radians([row["lat"], row["lon"]])
        lat, lon = np.radians(ring[:, 1]), np.radians(ring[:, 0])
        metres = kml.EARTH_RADIUS_M * np.arccos(
            np.sin(centre[0]) * np.sin(lat)
            + np.cos(centre[0]) * np.cos(lat) * np.cos(lon - centre[1])
        )
        assert np.allclose(metres, row["radius_m"], rtol=1e-4)


def test_kml_hostile_text_is_data_not_markup(demo_rows: list[dict[str, Any]]) -> None:
    etree = pytest.importorskip("lxml.etree")
    lxml_html = pytest.importorskip("lxml.html")
    rows = hostile_rows(demo_rows)
    text = kml_text(rows)
    doc = etree.fromstring(text.encode("utf-8"), etree.XMLParser(no_network=True))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    # No input text in a folder's name (it was the account's name, escaped).
    folders = doc.xpath("//k:Folder/k:name/text()", namespaces=ns)
    assert folders == ["sightings", "uncertainty circles"]
    marks = doc.xpath("//k:Placemark[k:Point]", namespaces=ns)
    assert len(marks) == len(rows)
    for mark, row in zip(marks, rows, strict=True):
        data = {
            d.get("name"): d.findtext("k:value", namespaces=ns)
            for d in mark.iterfind("k:ExtendedData/k:Data", namespaces=ns)
        }
        assert data["account_name"] == HOSTILE_IN_XML  # \r kept, \x01 and U+FFFE replaced
        assert data["media_path"] == f"/x/{HOSTILE_IN_XML}.jpg"
        # JSON escapes control characters itself: only U+FFFE (a non-character) is lost.
        assert json.loads(data["place"])["settlement"] == HOSTILE.replace("\ufffe", "\ufffd")
        if isinstance(row["evidence"].get("text"), str):
            nested = json.loads(data["evidence"])["nested"]
            assert nested == [HOSTILE.replace("\ufffe", "\ufffd"), {"k": 1.5}]
        # The label has nothing from the input but the time and the method (escaped).
        label = f"{row['at_utc'] or 'time unknown'} {row['method']}"
        assert mark.findtext("k:name", namespaces=ns) == label.replace(HOSTILE, HOSTILE_IN_XML)
        # Google Earth renders a description as HTML: the hostile text must come out as text.
        balloon = lxml_html.fragment_fromstring(
            mark.findtext("k:description", namespaces=ns), create_parent="div"
        )
        assert not balloon.xpath("//script | //img | //*[@onerror]")
        assert "<script>alert(1)</script>" in balloon.text_content()
        has_time = mark.find("k:TimeStamp/k:when", namespaces=ns)
        assert (has_time is None) == (row["at_utc"] is None)
        if has_time is not None:
            assert has_time.text == row["at_utc"]
    # The default balloon would render ExtendedData as HTML: every style pins it.
    balloons = doc.xpath("//k:Style/k:BalloonStyle/k:text/text()", namespaces=ns)
    assert balloons and set(balloons) == {"$[description]"}


def test_kml_colours_are_distinct_and_do_not_depend_on_row_order(
    demo_rows: list[dict[str, Any]],
) -> None:
    base = next(r for r in demo_rows if r["account_id"])
    rows = [
        dict(base, id=i, account_id=f"acct{i % 9}", account_name=f"n{i % 9}") for i in range(27)
    ]

    def colours(rows: list[dict[str, Any]]) -> dict[str, str]:
        etree = pytest.importorskip("lxml.etree")
        doc = etree.fromstring(kml_text(rows).encode("utf-8"))
        ns = {"k": "http://www.opengis.net/kml/2.2"}
        style = {
            s.get("id"): s.findtext("k:IconStyle/k:color", namespaces=ns)
            for s in doc.iterfind("k:Document/k:Style", namespaces=ns)
        }
        found: dict[str, set[str]] = {}
        for mark in doc.iterfind("k:Document/k:Folder/k:Placemark", namespaces=ns):
            account = mark.findtext("k:ExtendedData/k:Data[@name='account_id']/k:value", None, ns)
            colour = style[mark.findtext("k:styleUrl", namespaces=ns).lstrip("#")]
            found.setdefault(account, set()).add(colour)
        assert all(len(c) == 1 for c in found.values())  # one colour per account
        return {account: c.pop() for account, c in found.items()}

    first = colours(rows)
    assert len(first) == 9 and len(set(first.values())) == 9
    assert colours(rows[::-1]) == first


def test_kml_memory_stays_bounded(tmp_path: Path) -> None:
    """~160 MB of KML from a generator while the process grows by far less: the rows are
    spilled, not held."""
    script = f"""
import os, resource, sys
sys.path.insert(0, {str(REPO / "src")!r})
from geotrace.present.kml import write_kml
def rows():
    for i in range(4000):
        yield {{"id": i, "lat": 48.0 + i * 1e-4, "lon": 37.0, "radius_m": 50.0,
               "method": "exif_gps", "at_utc": "2022-03-01T10:00:00Z",
               "account_id": str(i % 50), "platform": "telegram",
               "media_path": "p" * 20_000 + str(i), "evidence": {{"text": "t" * 20_000}}}}
class Sink:
    size = 0
    def write(self, s):
        self.size += len(s)
write_kml(iter([]), Sink())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sink = Sink()
write_kml(rows(), sink)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(sink.size, grown * 1024)
"""
    env = dict(os.environ, TMPDIR=str(tmp_path))  # SQLite's spill file goes there
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    written, grown = map(int, done.stdout.split())
    assert written > 150e6
    assert grown < 40e6, f"grew by {grown / 1e6:.0f} MB for {written / 1e6:.0f} MB of KML"


# --- GeoJSON -------------------------------------------------------------------------


def test_geojson_validates(demo_rows: list[dict[str, Any]]) -> None:
    geojson = pytest.importorskip("geojson")
    rows = demo_rows + hostile_rows(demo_rows)
    rows[-1]["evidence"]["accuracy"] = math.nan  # not JSON: must become null
    out = io.StringIO()
    assert geojson_export.write_geojson(rows, out) == len(rows)

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON (RFC 8259)")

    doc = json.loads(out.getvalue(), parse_constant=refuse)
    parsed = geojson.loads(out.getvalue())
    assert parsed.is_valid, parsed.errors()
    assert "crs" not in doc  # RFC 7946: CRS84 only, no crs member
    assert len(doc["features"]) == len(rows)
    for feature, row in zip(doc["features"], rows, strict=True):
        assert geojson.GeoJSON.to_instance(feature).is_valid
        assert feature["geometry"] == {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        assert feature["properties"]["at_utc"] == row["at_utc"]
        assert feature["properties"]["account_name"] == row["account_name"]
    assert doc["features"][-1]["properties"]["evidence"]["accuracy"] is None


# --- GeoParquet ----------------------------------------------------------------------


def read_parquet(path: Path) -> tuple[Any, dict[str, Any]]:
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(path)
    return table, json.loads(table.schema.metadata[b"geo"])


def test_parquet_round_trips_with_geometry(demo_rows: list[dict[str, Any]], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    shapely = pytest.importorskip("shapely")
    path = tmp_path / "demo.parquet"
    assert parquet.write_parquet(iter(demo_rows), path) == len(demo_rows)
    table, geo = read_parquet(path)
    assert parquet.FIELDS == SIGHTING_FIELDS  # a field the case gains needs a column here
    assert table.column_names == [*SIGHTING_FIELDS, "geometry"]
    assert str(table.schema.field("at_utc").type) == "timestamp[us, tz=UTC]"
    assert {str(table.schema.field(f).type) for f in parquet.FLOAT_FIELDS} == {"double"}
    got = table.to_pylist()
    assert len(got) == len(demo_rows)
    for back, row in zip(got, demo_rows, strict=True):
        for name in parquet.FIELDS:
            if name == "at_utc":
                assert iso(back[name]) == row[name]
            elif name in parquet.JSON_FIELDS:
                assert (None if back[name] is None else json.loads(back[name])) == row[name]
            else:
                assert back[name] == row[name], name
    points = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    assert (shapely.get_type_id(points) == 0).all()
    assert np.array_equal(shapely.get_x(points), [r["lon"] for r in demo_rows])
    assert np.array_equal(shapely.get_y(points), [r["lat"] for r in demo_rows])
    # GeoParquet 1.1: the metadata readers look for, the bounding box of the points.
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
    assert "crs" not in column  # CRS84, the default
    lons, lats = [r["lon"] for r in demo_rows], [r["lat"] for r in demo_rows]
    assert column["bbox"] == [min(lons), min(lats), max(lons), max(lats)]


def test_parquet_is_geometry_to_duckdb(demo_rows: list[dict[str, Any]], tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "demo.parquet"
    parquet.write_parquet(demo_rows, path)
    got = duckdb.sql(
        "SELECT id, typeof(geometry), geometry::VARCHAR, typeof(at_utc),"
        f" evidence->>'media_sha256' FROM read_parquet('{path}') ORDER BY id"
    ).fetchall()
    by_id = {r["id"]: r for r in demo_rows}
    assert [g[0] for g in got] == sorted(by_id)
    for sid, geometry_type, wkt, time_type, sha in got:
        row = by_id[sid]
        assert geometry_type.startswith("GEOMETRY"), "the geo metadata was not honoured"
        assert wkt == f"POINT ({row['lon']!r} {row['lat']!r})"
        assert time_type == "TIMESTAMP WITH TIME ZONE"
        assert sha == row["evidence"].get("media_sha256")


def test_parquet_edge_rows(demo_rows: list[dict[str, Any]], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    rows = hostile_rows(demo_rows)
    rows[0].update(at_utc="yesterday", account_name="\ud800" + HOSTILE)  # lone surrogate
    rows[1].update(at_utc="2022-02-24T04:00:00")  # no zone: not an instant, never guessed
    rows.append({"id": 7, "lat": None, "lon": float("nan"), "method": "platform_geotag"})
    path = tmp_path / "edge.parquet"
    assert parquet.write_parquet(rows, path) == len(rows)
    table, geo = read_parquet(path)
    got = table.to_pylist()
    assert [g["at_utc"] for g in got[:2]] == [None, None]
    assert iso(got[2]["at_utc"]) == "2022-02-24T03:59:59.123000Z"
    assert got[0]["account_name"] == "\ufffd" + HOSTILE
    assert got[0]["method"] == HOSTILE and json.loads(got[2]["evidence"])["text"] == HOSTILE
    assert got[1]["alt_m"] == -412.5
    assert got[3]["geometry"] is None and got[3]["lat"] is None  # no point, not (0, 0)
    assert geo["columns"]["geometry"]["bbox"] == [-180.0, -89.999, 179.9999, 90.0]


def test_parquet_row_groups_empty_file_and_failure(
    demo_rows: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(parquet, "ROW_GROUP", 1000)
    base = demo_rows[0]
    path = tmp_path / "many.parquet"
    many = (dict(base, id=i, lat=i / 100) for i in range(2500))
    assert parquet.write_parquet(many, path) == 2500
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    assert pq.read_table(path, columns=["lat"]).column("lat").to_pylist() == [
        i / 100 for i in range(2500)
    ]
    empty = tmp_path / "empty.parquet"
    assert parquet.write_parquet([], empty) == 0
    table, geo = read_parquet(empty)
    assert table.num_rows == 0 and "bbox" not in geo["columns"]["geometry"]

    def dies() -> Iterator[dict[str, Any]]:
        yield from (dict(base, id=i) for i in range(1500))
        raise OSError("the case went away")

    with pytest.raises(OSError):
        parquet.write_parquet(dies(), path)
    assert pq.read_table(path).num_rows == 2500  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.parquet", "many.parquet"]
