"""The offline map page: self-contained, hostile text inert, columns faithful to the rows."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import shapely

from geotrace.present import mapview
from geotrace.present.mapview import columns, script_json, write_map
from geotrace.present.outlines import SHIPPED, country_outlines
from tests.casekit import REPO

HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def _row(i: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": i,
        "media_sha256": f"{i:064x}",
        "media_path": f"/evidence/{i}.jpg",
        "media_kind": "image",
        "method": "exif_gps" if i % 2 else "platform_geotag",
        "lat": 48.0 + i * 0.01,
        "lon": 37.5 + i * 0.01,
        "alt_m": None,
        "radius_m": 50.0,
        "at_utc": f"2022-03-{1 + i % 28:02d}T10:00:00Z",
        "at_local": f"2022-03-{1 + i % 28:02d}T13:00:00",
        "time_basis": "offset_tag",
        "time_uncertainty_s": 1.0,
        "confidence": 0.9,
        "evidence": {},
        "country_de_jure": "UA",
        "country_de_facto": "UA",
        "admin1_code": "UA-14",
        "border_confidence": "high",
        "place": {"admin1_name": "Donetsk", "settlement": "Bakhmut", "settlement_km": 1.25},
        "platform": "telegram",
        "post_id": str(i),
        "account_id": f"acc{i % 3}",
        "account_name": f"Account {i % 3}",
    }
    row.update(over)
    return row


def _page(rows: list[dict[str, Any]], **kw: Any) -> tuple[str, mapview.MapSummary]:
    out = io.StringIO()
    summary = write_map(rows, out, title=kw.pop("title", "t"), **kw)
    return out.getvalue(), summary


def _data(page: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="geotrace-data">(.*?)</script>', page, re.S
    )
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_hostile_text_cannot_leave_its_json_element() -> None:
    rows = [_row(0, text=HOSTILE, account_name=HOSTILE, media_path=HOSTILE)]
    page, _ = _page(rows, title=HOSTILE)
    # The payload never appears raw: every "<" of data is \u003c in the JSON and &lt; in HTML.
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page
    assert "&lt;/script&gt;" in page  # the title, HTML-escaped
    data = _data(page)  # the element closes where the template closes it, not earlier
    strings = data["columns"]["strings"]
    assert strings["text"]["values"] == [HOSTILE]  # and the text comes back whole
    assert strings["source"]["values"] == [HOSTILE]
    assert any(HOSTILE in name for name in data["accounts"])


def test_script_json_escapes_what_html_parsers_see() -> None:
    text = script_json({"a": "</SCRIPT>&<!--\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</SCRIPT>&<!--\u2028"}


def test_page_is_self_contained() -> None:
    page, _ = _page([_row(i) for i in range(5)])
    assert "Leaflet 1.9" in page  # the library is inlined from the installed package
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page, re.I)
    assert "sourceMappingURL" not in page
    assert "url(images/" not in page  # Leaflet's control images became data: URIs
    assert "default-src 'none'" in page  # and the CSP forbids any fetch


def test_columns_follow_the_rows() -> None:
    rows = [
        _row(0),
        _row(1, at_utc=None, at_local=None, time_basis="unknown_zone"),
        _row(2, lat=None),  # no position: counted, not drawn
        _row(3, lat=float("nan")),
        _row(4, account_id=None, account_name=None, platform=None, post_id=None),
        _row(5, lon=190.0),
    ]
    data, counts = columns(rows)
    assert counts == {"skipped": 2, "undated": 1}
    assert len(data["lat"]) == 4
    assert data["t"][0] == 1646128800 and data["t"][1] is None
    assert data["lon"][3] == pytest.approx(-170.0)  # wrapped into [-180, 180)
    assert mapview.NO_ACCOUNT in data["account_names"]
    assert set(data["method_names"]) == {"exif_gps", "platform_geotag"}
    settlements = data["strings"]["settlement"]
    assert settlements["values"] == ["Bakhmut (1.2 km)"]
    assert settlements["codes"] == [0, 0, 0, 0]


def test_summary_and_caps() -> None:
    big = mapview.THUMBNAIL_CAP + 1
    thumbs = {f"{0:064x}": b"\xff\xd8\xff" + b"0" * 100, f"{1:064x}": b"\xff\xd8\xff" + b"0" * big}
    thumbs[f"{2:064x}"] = b"<svg onload=alert(1)>"  # not a JPEG: never embedded
    rows = [_row(i, text="x" * (mapview.TEXT_CAP + 50)) for i in range(3)]
    page, summary = _page(rows, thumbnails=thumbs)
    assert (summary.sightings, summary.thumbnails, summary.thumbnails_left_out) == (3, 1, 2)
    assert summary.accounts == 3 and summary.bytes_written == len(page.encode())
    data = _data(page)
    assert list(data["thumbnails"]) == [f"{0:064x}"]
    assert len(data["columns"]["strings"]["text"]["values"][0]) == mapview.TEXT_CAP


def test_make_thumbnail_from_demo_and_junk() -> None:
    photo = REPO / "demo" / "photos" / "goexif__sample1.jpg"
    thumb = mapview.make_thumbnail(photo.read_bytes())
    assert thumb is not None and thumb[:3] == b"\xff\xd8\xff"
    assert len(thumb) < mapview.THUMBNAIL_CAP
    assert mapview.make_thumbnail(b"\xff\xd8\xff\xe0 not really") is None


def test_case_map_of_the_demo(tmp_path: Any) -> None:
    from geotrace import api
    from geotrace.places.queries import sightings
    from geotrace.store.case import Case

    case = tmp_path / "t.case"
    api.ingest([str(REPO / "demo" / d) for d in ("photos", "exports")], case)
    with Case(case) as opened:
        expected = sum(1 for _ in sightings(opened.db))
    out = io.StringIO()
    summary = mapview.case_map(case, out)
    assert summary.sightings == expected > 0
    assert summary.thumbnails > 0
    data = _data(out.getvalue())
    assert data["n"] == expected
    assert any(v for v in data["columns"]["strings"]["text"]["values"])  # post texts joined


def test_outlines_layers() -> None:
    jure = country_outlines("de_jure")
    facto = country_outlines("de_facto")
    iso = {f["properties"]["iso"] for f in jure["features"]}
    assert {"UA", "RU", "DE", "US"} <= iso
    crimea = shapely.Point(34.1, 45.0)  # Simferopol
    by = {
        name: {
            f["properties"]["iso"]: shapely.geometry.shape(f["geometry"]) for f in fc["features"]
        }
        for name, fc in (("jure", jure), ("facto", facto))
    }
    assert by["jure"]["UA"].contains(crimea) and not by["jure"]["RU"].contains(crimea)
    assert by["facto"]["RU"].contains(crimea) and not by["facto"]["UA"].contains(crimea)
    kyiv = shapely.Point(30.52, 50.45)
    assert by["jure"]["UA"].contains(kyiv) and by["facto"]["UA"].contains(kyiv)
    assert all(g.is_valid for g in by["facto"].values())
    # Mutating a result does not change the next one (it is cached).
    jure["features"].clear()
    assert country_outlines("de_jure")["features"]
    coarse = country_outlines("de_jure", 0.2)
    size = len(json.dumps(coarse)), len(json.dumps(country_outlines("de_jure")))
    assert size[0] < size[1]
    with pytest.raises(ValueError):
        country_outlines("control")


def test_outlines_are_shipped_and_small() -> None:
    assert SHIPPED.exists(), "run python -m geotrace.present.outlines"
    assert SHIPPED.stat().st_size < 600_000


def test_packed_outlines_unpack_to_the_outlines() -> None:
    data = _data(_page([_row(0)])[0])["outlines"]
    jure = country_outlines("de_jure")["features"]
    assert [f["iso"] for f in data["de_jure"]] == [f["properties"]["iso"] for f in jure]
    ua = next(f for f in data["de_jure"] if f["iso"] == "UA")
    geometry = next(f["geometry"] for f in jure if f["properties"]["iso"] == "UA")
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    first = ua["p"][0][0]  # the first ring, as the page's script decodes it
    x = y = 0
    ring = []
    for dx, dy in zip(first[::2], first[1::2], strict=True):
        x, y = x + dx, y + dy
        ring.append([x / data["scale"], y / data["scale"]])
    assert [v for xy in ring for v in xy] == pytest.approx([v for xy in polygons[0][0] for v in xy])
    assert "RU" in data["de_facto"]["drop"]
    assert any(f["iso"] == "RU" for f in data["de_facto"]["add"])


def _control_file(path: Any, label: str) -> Any:
    square = [[37.0, 47.0], [39.0, 47.0], [39.0, 49.0], [37.0, 49.0], [37.0, 47.0]]
    doc = {
        "type": "FeatureCollection",
        "properties": {"date": "2022-08-01"},
        "features": [
            {
                "type": "Feature",
                "properties": {"controlled_by": label},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        ],
    }
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_control_layer_overlay(tmp_path: Any) -> None:
    from geotrace.places import ControlLayer

    layer = ControlLayer.load(_control_file(tmp_path / "front.geojson", HOSTILE))
    page, _ = _page([_row(0)], control=layer)
    assert "<img src=x" not in page
    control = _data(page)["control"]
    assert control["source"].startswith("front.geojson sha256:")
    assert [f["label"] for f in control["features"]] == [HOSTILE]
    deltas = control["features"][0]["p"][0][0]
    x = y = 0
    corners = set()
    for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
        x, y = x + dx, y + dy
        corners.add((x / control["scale"], y / control["scale"]))
    assert corners == {(37.0, 47.0), (39.0, 47.0), (39.0, 49.0), (37.0, 49.0)}
    assert _data(_page([_row(0)])[0])["control"] is None
