"""The tiled map of a large case (``present/maptiles.py``): past ``TILED_ABOVE`` sightings
``map.html`` and ``map_files/`` beside it.  The threshold and the point tiles' size are
lowered here so that a case of 600 ingested posts is "large" and cut into many tiles.

The page is checked in a real headless Chromium with the network cut (Debian's
``chromium`` and Playwright's Python package; the browser tests skip, saying which is
missing, without them): bubbles at low zoom, points when zoomed in, a sighting found by its
id opens its popup, hostile post text and account names stay text.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geotrace import api
from geotrace.present import maptiles
from tests.browser import ARTIFACTS, offline_page
from tests.present.test_basemap import write_mbtiles

POSTS = 600
LEAF_MAX = 40
PAYLOADS = ("<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=2">')
CONTROL_LABEL = '<img src=x onerror="window.__pwned=3">'
#: Kyiv: half of the posts within a few kilometres, the rest spread over Ukraine.
KYIV = (50.45, 30.52)


def telegram_export(path: Path, n: int = POSTS) -> None:
    """A Telegram channel export of ``n`` geotagged posts, the last two hostile (their text
    and their sender's name)."""
    rng = np.random.default_rng(20)
    lat = np.r_[rng.normal(KYIV[0], 0.03, n // 2), rng.uniform(45.0, 52.0, n - n // 2)]
    lon = np.r_[rng.normal(KYIV[1], 0.05, n // 2), rng.uniform(23.0, 40.0, n - n // 2)]
    messages = []
    for i in range(n):
        hostile = PAYLOADS[i - (n - 2)] if i >= n - 2 else None
        messages.append(
            {
                "id": i + 1,
                "type": "message",
                "date": "2022-03-01T00:00:00",
                "date_unixtime": str(1_646_092_800 + 600 * i),
                "from": hostile or f"soldier {i % 5}",
                "from_id": f"user{i % 5}" if hostile is None else f"hostile{i}",
                "location_information": {
                    "latitude": round(float(lat[i]), 6),
                    "longitude": round(float(lon[i]), 6),
                },
                "text": hostile or f"post number {i}",
            }
        )
    chat = {"name": "channel", "type": "public_channel", "id": 777, "messages": messages}
    path.write_text(json.dumps(chat), "utf-8")


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    tmp = tmp_path_factory.mktemp("tiles")
    telegram_export(tmp / "channel.result.json")
    case = tmp / "t.case"
    api.ingest([str(tmp / "channel.result.json")], case)
    page = tmp / "map.html"
    control = tmp / "front-2022-03-01.geojson"
    square = [[29.0, 49.0], [32.0, 49.0], [32.0, 52.0], [29.0, 52.0], [29.0, 49.0]]
    feature = {"type": "Feature", "properties": {"controlled_by": CONTROL_LABEL}}
    feature["geometry"] = {"type": "Polygon", "coordinates": [square]}
    control.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(maptiles, "TILED_ABOVE", 100)
        mp.setattr(maptiles, "LEAF_MAX", LEAF_MAX)
        with page.open("w", encoding="utf-8") as out:
            summary = api.map(
                case,
                out,
                title=PAYLOADS[0],
                control=control,
                basemap=write_mbtiles(tmp / "t.mbtiles", max_zoom=4),
            )
        yield page, summary


def _calls(path: Path, name: str) -> list[list[Any]]:
    """The arguments of each ``G.<name>(...)`` call in a tile script (one call a line)."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        match = re.fullmatch(rf"G\.{name}\((.*)\);", line)
        assert match, line[:80]
        out.append(json.loads(f"[{match.group(1)}]"))
    return out


def test_every_sighting_in_one_point_tile_and_the_id_index(tiled: tuple[Path, Any]) -> None:
    page, summary = tiled
    folder = page.with_name("map_files")
    assert summary.folder == str(folder) and summary.sightings == POSTS
    assert summary.basemap is not None and "zoom 0-4" in summary.basemap
    assert (folder / maptiles.MARKER).is_file()
    data = json.loads(
        re.search(r'id="geotrace-data">(.*?)</script>', page.read_text("utf-8"), re.S)[1]  # type: ignore[index]
    )
    leaves = data["leaves"]
    assert len(leaves["n"]) > 4  # cut in many tiles
    seen: dict[int, int] = {}
    for k, n in enumerate(leaves["n"]):
        records = [r for call in _calls(folder / "p" / f"{k}.js", "p") for r in call[1]]
        assert len(records) == n
        assert n <= LEAF_MAX or leaves["z"][k] == maptiles.FINE_Z
        for r in records:
            assert r[0] not in seen
            seen[r[0]] = k
    assert len(seen) == POSTS
    index = {}
    for shard in data["id_shards"]:
        for _, ids, tiles in _calls(folder / "i" / f"{shard}.js", "i"):
            index.update(zip(ids, tiles, strict=True))
    assert index == seen
    # bubbles at zoom 0 count every sighting (no point tile is as coarse as zoom 0)
    counted = sum(sum(c[2][2]) for c in _calls(folder / "a" / "0" / "0-0.js", "a"))
    assert counted == POSTS


def test_no_tile_carries_markup(tiled: tuple[Path, Any]) -> None:
    """Hostile text is escaped in the tiles as in the one-file map: no ``<`` at all."""
    page, _ = tiled
    texts = [p.read_text("utf-8") for p in page.with_name("map_files").rglob("*.js")]
    assert all("<" not in t and ">" not in t and "&" not in t for t in texts)
    assert any("\\u003cscript\\u003ewindow.__pwned=1" in t for t in texts)
    assert "<script>window.__pwned" not in page.read_text("utf-8")


def test_folder_named_after_the_page_and_never_a_strangers(tmp_path: Path) -> None:
    with (tmp_path / ".map.html.part").open("w") as part:  # the command's temporary name
        assert maptiles.folder_beside(part) == tmp_path / "map_files"
    assert maptiles.folder_beside(io.StringIO()) is None
    stranger = tmp_path / "map_files"
    stranger.mkdir()
    with pytest.raises(ValueError, match="not a geotrace map"):
        maptiles._Folder(stranger)


def test_quadtree_cuts_dense_cells_only() -> None:
    lat = np.r_[np.full(500, 50.45), np.linspace(45, 52, 50)]
    lon = np.r_[np.full(500, 30.52), np.linspace(23, 40, 50)]
    counts = maptiles.CellCounts()
    counts.add(maptiles.cells(lat[:300], lon[:300]), lat[:300], lon[:300])
    counts.add(maptiles.cells(lat[300:], lon[300:]), lat[300:], lon[300:])
    tree = maptiles.quadtree(counts, leaf_max=40)
    assert tree.n.sum() == 550
    # the 500 sightings at one spot cannot be cut: one tile at the finest zoom holds them
    assert 500 in tree.n.tolist() and tree.z[tree.n.tolist().index(500)] == maptiles.FINE_Z
    assert all(n <= 40 for n, z in zip(tree.n, tree.z, strict=True) if z < maptiles.FINE_Z)


def _files(page: Path) -> list[Path]:
    return [page, *page.with_name("map_files").rglob("*.js")]


def test_tiled_map_in_chromium(tiled: tuple[Path, Any]) -> None:
    page_path, _ = tiled
    requests: list[str] = []
    with offline_page(requests, *_files(page_path)) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        state = page.evaluate("() => ({...window.geotraceMap})")
        assert state["total"] == POSTS
        assert state["bubbles"] > 0 and state["bubbleSum"] > 0  # counted, at low zoom
        assert state["bubbleSum"] + state["drawn"] <= POSTS
        assert page.title() == PAYLOADS[0]
        # the user's layers, as in the one-file map: tiles drawn, the control label as text
        assert page.locator("canvas.leaflet-tile").count() > 0
        assert CONTROL_LABEL in page.inner_text("#control-legend")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_tiles_bubbles.png"))

        # zoomed in on Kyiv: the sightings themselves, no bubble left
        page.evaluate(f"() => window.geotraceMap.zoomTo({KYIV[0]}, {KYIV[1]}, 15)")
        page.wait_for_timeout(100)
        state = page.evaluate("() => ({...window.geotraceMap})")
        assert state["drawn"] > 0 and state["bubbles"] == 0

        # a sighting found by its id, typed into the search box: its popup, its fields
        page.fill("#search", "123")
        page.click("#search-go")
        page.wait_for_function("() => window.geotraceMap.popup === 123", timeout=5_000)
        popup = page.inner_text(".gt-popup")
        assert "sighting id\t123" in popup and "platform_geotag" in popup
        assert page.inner_text(".gt-popup .text") == "post number 122"
        xy = page.evaluate("() => window.geotraceMap.screenPoint(123)")
        assert xy is not None  # and drawn under it

        # hostile text and account names, found by id: text, whole, nothing run
        for k, payload in enumerate(PAYLOADS):
            sid = POSTS - 1 + k
            assert page.evaluate(f"() => window.geotraceMap.search({sid})") is True
            assert page.inner_text(".gt-popup .text") == payload
            assert payload in page.inner_text(".gt-popup table")
            assert page.locator(".gt-popup img[src='x']").count() == 0
        page.wait_for_timeout(200)  # an onerror would have fired by now
        assert page.evaluate("() => window.__pwned") is None

        # an id that is not there says so
        assert page.evaluate("() => window.geotraceMap.search(99999999)") is False
        assert "no sighting 99999999" in page.inner_text("#search-result")
        assert page.evaluate("() => window.geotraceMap.scripts.failed") == 0
        assert errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_tiles.png"))
    allowed = {p.as_uri() for p in _files(page_path)}
    assert set(requests) <= allowed and page_path.as_uri() in requests


def test_map_command_writes_page_and_folder(
    tiled: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``geotrace map -o map.html`` past the threshold: the page, ``map_files/`` named after
    it (not after the command's temporary ``.map.html.part``), and, written again, its own
    folder replaced; the layers of people, left out of a tiled map, are never computed."""
    from typer.testing import CliRunner

    from geotrace import api_people
    from geotrace.cli import app

    case = tiled[0].with_name("t.case")
    monkeypatch.setattr(maptiles, "TILED_ABOVE", 100)

    def no_people(_: Any) -> None:
        raise AssertionError("the layers of people are not read for a tiled map")

    monkeypatch.setattr(api_people, "layers", no_people)
    page = tmp_path / "out" / "map.html"
    page.parent.mkdir()
    for _ in range(2):
        result = CliRunner().invoke(app, ["map", "--case", str(case), "-o", str(page)])
        assert result.exit_code == 0, result.output
        assert f"{POSTS} sightings, tiled" in result.output
    assert sorted(p.name for p in page.parent.iterdir()) == ["map.html", "map_files"]
    assert (page.with_name("map_files") / maptiles.MARKER).is_file()
    assert 'id="geotrace-data"' in page.read_text("utf-8")


def test_tile_json_escapes_as_the_one_file_map() -> None:
    from geotrace.present.mapview import script_json

    value = [1, None, 2.5, {"k": [*PAYLOADS, 'a&b \u2028\u2029 " \\ é \x01 </script']}]
    assert maptiles.js(value).decode("utf-8") == script_json(value)
    assert json.loads(maptiles.js(value)) == value
