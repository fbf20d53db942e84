"""The map page in a real headless Chromium with the network cut: it draws every sighting,
its time slider filters, a popup opens, and hostile post text stays text.

Needs Debian's ``chromium`` and Playwright's Python package (``pip install playwright``; its
own browser download is not used); skips, saying which is missing, without them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from geotrace import api
from geotrace.places import ControlLayer
from geotrace.present import mapview
from tests.browser import ARTIFACTS, offline_page
from tests.casekit import REPO
from tests.present.test_basemap import colour, write_mbtiles

CONTROL_LABEL = '<img src=x onerror="window.__pwned=3">'
PAYLOADS = ("<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=2">')


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("map")
    case = tmp / "t.case"
    api.ingest([str(REPO / "demo" / "photos"), str(REPO / "demo" / "exports")], case)
    rows, thumbs = mapview.case_rows(case)
    assert rows, "the demo case has sightings"
    hostile = [
        {
            **rows[0],
            "id": 10_000 + k,
            "text": text,
            "lat": 10.0 + k,
            "lon": 10.0,
            "radius_m": 10.0,
            "account_id": "hostile",
            "account_name": text,
            "platform": "telegram",
        }
        for k, text in enumerate(PAYLOADS)
    ]
    control = tmp / "front-2022-08-01.geojson"
    square = [[9.0, 9.0], [12.0, 9.0], [12.0, 12.0], [9.0, 12.0], [9.0, 9.0]]
    feature = {"properties": {"controlled_by": CONTROL_LABEL}, "type": "Feature"}
    feature["geometry"] = {"type": "Polygon", "coordinates": [square]}
    control.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = io.StringIO()
    summary = mapview.write_map(
        rows + hostile,
        out,
        title=PAYLOADS[0],
        thumbnails=thumbs,
        control=ControlLayer.load(control),
    )
    path = tmp / "map.html"
    path.write_text(out.getvalue(), "utf-8")
    assert summary.sightings == len(rows) + len(hostile)
    return path, summary.sightings


def test_map_in_chromium(page_file: tuple[Path, int]) -> None:
    path, expected = page_file
    url = path.as_uri()
    requests: list[str] = []
    with offline_page(requests, path) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        assert errors == []
        state = page.evaluate("() => ({...window.geotraceMap})")
        assert state["total"] == expected
        assert state["shown"] == expected
        assert state["drawn"] == expected  # the first view fits every sighting
        assert page.evaluate("() => window.geotraceMap.drawnCount()") == expected
        assert page.evaluate("() => window.__pwned") is None

        # The slider: pull "to" to the start, fewer points; back to the end, all of them.
        def slide(value: int) -> dict[str, int]:
            page.eval_on_selector(
                "#t-to",
                "(el, v) => { el.value = String(v);"
                " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                value,
            )
            shown: dict[str, int] = page.evaluate("() => ({...window.geotraceMap})")
            return shown

        narrowed = slide(0)
        assert 0 < narrowed["shown"] < expected
        assert narrowed["drawn"] == narrowed["shown"]
        assert slide(1000)["drawn"] == expected

        # A popup, opened by a real click on a hostile sighting's dot.
        hostile = expected - 1
        page.click("#show-circles")  # circles off: nothing but the dot under the mouse
        box = page.locator("#map").bounding_box()
        assert box is not None
        xy = page.evaluate(f"() => window.geotraceMap.screenPoint({hostile})")
        page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
        page.wait_for_selector(".gt-popup", timeout=5_000)
        assert page.evaluate("() => window.geotraceMap.popup") == hostile
        text = page.inner_text(".gt-popup .text")
        assert text == PAYLOADS[1]  # shown as text, whole
        assert page.locator(".gt-popup img[src='x']").count() == 0
        assert PAYLOADS[1] in page.inner_text(".gt-popup table")  # the account name too
        assert page.title() == PAYLOADS[0]  # the title, as text
        assert CONTROL_LABEL in page.inner_text("#control-legend")  # the user layer's too
        page.wait_for_timeout(200)  # an onerror would have fired by now
        assert page.evaluate("() => window.__pwned") is None
        page.get_by_label("Countries, de facto (Natural Earth admin-1)").check()
        page.wait_for_timeout(100)
        assert errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_browser.png"))
        # The hooks are read-only.
        page.evaluate("() => { try { window.geotraceMap.total = 0 } catch (e) {} }")
        assert page.evaluate("() => window.geotraceMap.total") == expected
    assert (ARTIFACTS / "map_browser.png").stat().st_size > 10_000
    assert set(requests) == {url}, "the page asked for nothing but itself"


def test_user_tiles_in_chromium(tmp_path: Path) -> None:
    """The user's MBTiles under the sightings: tiles drawn from the page itself, a tile
    past the last embedded level cut from its ancestor, the file's attribution as text."""
    tiles = write_mbtiles(tmp_path / "t.mbtiles", max_zoom=4)
    case = tmp_path / "t.case"
    api.ingest([str(REPO / "demo" / "photos")], case)
    path = tmp_path / "map.html"
    with path.open("w", encoding="utf-8") as out:
        summary = api.map(case, out, basemap=tiles)
    assert summary.basemap is not None and "zoom 0-4" in summary.basemap
    requests: list[str] = []
    with offline_page(requests, path) as page:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)

        def tile_colours() -> list[list[int]]:
            page.wait_for_timeout(300)  # tiles decode asynchronously
            colours: list[list[int]] = page.evaluate(
                "() => [...document.querySelectorAll('canvas.leaflet-tile')]"
                ".map(c => [...c.getContext('2d').getImageData(128, 128, 1, 1).data])"
            )
            return colours

        def zoom_to(z: int) -> None:  # with the map's own buttons
            while (now := page.evaluate("() => window.geotraceMap.zoom")) != z:
                page.click(".leaflet-control-zoom-in" if now < z else ".leaflet-control-zoom-out")
                page.wait_for_timeout(50)

        zoom_to(2)
        assert [*colour(2), 255] in tile_colours()
        zoom_to(7)  # no tile at zoom 7: each one shown is cut from an embedded ancestor
        opaque = [c for c in tile_colours() if c[3] == 255]
        assert opaque and all(c[:3] in (list(colour(3)), list(colour(4))) for c in opaque)
        attribution = page.inner_text(".leaflet-control-attribution")
        assert '<img src=x onerror="window.__pwned=9">' in attribution
        assert page.evaluate("() => window.__pwned") is None
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_user_tiles.png"))
    assert set(requests) == {path.as_uri()}


def test_a_track_over_the_180th_meridian_goes_the_short_way(tmp_path: Path) -> None:
    """Anadyr to Nome to Anadyr: the track crosses the Bering Strait, not the world."""
    stops = [(64.73, 177.51), (64.50, -165.41), (64.74, 177.49)]
    rows = [
        {
            "id": k + 1,
            "lat": lat,
            "lon": lon,
            "radius_m": None,
            "at_utc": f"2022-03-0{k + 1}T12:00:00Z",
            "method": "platform_geotag",
            "confidence": 0.6,
            "platform": "telegram",
            "account_id": "walker",
        }
        for k, (lat, lon) in enumerate(stops)
    ]
    path = tmp_path / "map.html"
    with path.open("w", encoding="utf-8") as out:
        mapview.write_map(rows, out, title="Bering")
    requests: list[str] = []
    with offline_page(requests, path) as page:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        assert page.evaluate("() => window.geotraceMap.drawn") == 3
        a = page.evaluate("() => window.geotraceMap.screenPoint(0)")
        b = page.evaluate("() => window.geotraceMap.screenPoint(1)")
        assert abs(a["x"] - b["x"]) > 400  # the points sit at the two ends of the world
        alpha = page.evaluate(
            "([x, y]) => document.querySelector('.gt-canvas').getContext('2d')"
            ".getImageData(x, y, 1, 1).data[3]",
            [round((a["x"] + b["x"]) / 2), round((a["y"] + b["y"]) / 2)],
        )
        assert alpha == 0  # nothing drawn half way between them, over the Atlantic side
    assert set(requests) == {path.as_uri()}
