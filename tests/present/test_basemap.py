"""export.basemap: the user's raster tiles (MBTiles, and PMTiles made from it by the
``pmtiles`` package's own converter), cut to a page's budget; refused with a reason when they
cannot serve; never a crash on a damaged file."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from geotrace.present.basemap import BasemapError, image_kind, open_tileset, tile_range
from tests.casekit import REPO

KYIV = (50.4501, 30.5234)
#: Kyiv's tile at zoom 6 in the XYZ scheme (OpenStreetMap's tile 6/37/21).
KYIV_Z6 = (37, 21)


def colour(z: int) -> tuple[int, int, int]:
    return (40 * z % 256, 120, 200)


def png(z: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour(z)).save(buffer, "PNG")
    return buffer.getvalue()


def write_mbtiles(
    path: Path, *, fmt: str = "png", max_zoom: int = 6, extra: bytes | None = None
) -> Path:
    """Zoom 0-3 for the world, 4 and up for the 3x3 tiles around Kyiv; TMS rows, as the
    MBTiles spec has them."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
        " tile_data BLOB)"
    )
    meta = {
        "name": "test <b>tiles</b>",
        "format": fmt,
        "attribution": '<img src=x onerror="window.__pwned=9">© test',
        "bounds": "-180,-85,180,85",
        "minzoom": "0",
        "maxzoom": str(max_zoom),
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    for z in range(max_zoom + 1):
        n = 1 << z
        if z <= 3:
            cells = [(x, y) for x in range(n) for y in range(n)]
        else:
            x0, _, y0, _ = tile_range(z, KYIV[1], KYIV[0], KYIV[1], KYIV[0])
            cells = [(x0 + dx, y0 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        data = png(z)
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, n - 1 - y, data) for x, y in cells]
        )
    if extra is not None:
        db.execute("INSERT INTO tiles VALUES (2, 0, 0, ?)", (extra,))
    db.commit()
    db.close()
    return path


@pytest.fixture
def mbtiles(tmp_path: Path) -> Path:
    return write_mbtiles(tmp_path / "t.mbtiles")


def test_tile_range_is_the_osm_scheme() -> None:
    lat, lon = KYIV
    x0, x1, y0, y1 = tile_range(6, lon, lat, lon, lat)
    assert (x0, y0) == (x1, y1) == KYIV_Z6
    assert tile_range(0, -180, -85, 180, 85) == (0, 0, 0, 0)
    assert tile_range(1, -180, -85, 180, 85) == (0, 1, 0, 1)
    assert tile_range(2, 0.1, 0.1, 0.1, 0.1) == (2, 2, 1, 1)  # just north-east of (0, 0)


def test_mbtiles_levels_rows_and_budget(mbtiles: Path) -> None:
    tiles = open_tileset(mbtiles)
    try:
        assert (tiles.kind, tiles.min_zoom, tiles.max_zoom) == ("png", 0, 6)
        embedded = tiles.embed([KYIV[0]], [KYIV[1]])
        assert embedded.zooms == [0, 1, 2, 3, 4, 5, 6]
        # the world to zoom 3; above it only the tile of the point and its 0.5° margin
        assert len(embedded.tiles) == 1 + 4 + 16 + 64 + 3
        # points 8° apart east-west take in the neighbouring tiles at zoom 6 (5.6° wide)
        wide = tiles.embed([KYIV[0], KYIV[0]], [KYIV[1] - 4, KYIV[1] + 4])
        assert {k for k in wide.tiles if k.startswith("6/")} == {
            f"6/{KYIV_Z6[0] + dx}/{KYIV_Z6[1]}" for dx in (-1, 0, 1)
        }
        key = f"6/{KYIV_Z6[0]}/{KYIV_Z6[1]}"  # the TMS row came back as the XYZ row
        assert Image.open(io.BytesIO(base64.b64decode(embedded.tiles[key]))).getpixel(
            (5, 5)
        ) == colour(6)
        assert embedded.mime == "image/png" and not embedded.cut
        # A budget of about three levels: the first levels whole, the rest left out, said.
        small = tiles.embed(
            [KYIV[0]], [KYIV[1]], budget=sum(len(png(z)) * 4**z for z in range(3)) + 10
        )
        assert small.zooms == [0, 1, 2] and small.cut
        assert "zoom 3 and above left out" in small.note()
        # Points elsewhere than the set's tiles: the low levels, nothing from the others.
        far = tiles.embed([-33.9], [18.4])
        assert far.zooms == [0, 1, 2, 3, 4, 5, 6] and len(far.tiles) == 85
    finally:
        tiles.close()


def test_pmtiles_from_the_official_converter_gives_the_same_tiles(
    mbtiles: Path, tmp_path: Path
) -> None:
    from pmtiles.convert import mbtiles_to_pmtiles

    pm = tmp_path / "t.pmtiles"
    mbtiles_to_pmtiles(str(mbtiles), str(pm), 6)
    a, b = open_tileset(mbtiles), open_tileset(pm)
    try:
        assert (b.kind, b.min_zoom, b.max_zoom) == ("png", 0, 6)
        assert b.attribution == a.attribution
        assert b.embed([KYIV[0]], [KYIV[1]]).tiles == a.embed([KYIV[0]], [KYIV[1]]).tiles
    finally:
        a.close()
        b.close()


def test_refusals_say_why(tmp_path: Path) -> None:
    vector = write_mbtiles(tmp_path / "v.mbtiles", fmt="pbf", max_zoom=1)
    with pytest.raises(BasemapError, match="vector tiles"):
        open_tileset(vector)
    text = tmp_path / "t.mbtiles"
    text.write_text("not tiles")
    with pytest.raises(BasemapError, match="not an MBTiles"):
        open_tileset(text)
    broken = tmp_path / "b.mbtiles"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    with pytest.raises(BasemapError, match="not a readable MBTiles"):
        open_tileset(broken)
    with pytest.raises(BasemapError, match="cannot read"):
        open_tileset(tmp_path / "absent.pmtiles")
    empty = sqlite3.connect(tmp_path / "e.mbtiles")
    empty.execute("CREATE TABLE metadata (name, value)")
    empty.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
    empty.commit()
    empty.close()
    with pytest.raises(BasemapError, match="no tile"):
        open_tileset(tmp_path / "e.mbtiles")


def test_a_tile_that_is_not_an_image_is_left_out_and_counted(tmp_path: Path) -> None:
    path = write_mbtiles(tmp_path / "x.mbtiles", max_zoom=3, extra=b"<html>not a png</html>")
    tiles = open_tileset(path)
    try:
        embedded = tiles.embed([], [])
    finally:
        tiles.close()
    assert embedded.not_images == 1 and "1 tile(s) left out: not png images" in embedded.note()
    assert image_kind(png(0)) == "png" and image_kind(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"


@pytest.fixture(scope="module")
def pmtiles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmtiles.convert import mbtiles_to_pmtiles

    root = tmp_path_factory.mktemp("pmtiles")
    source = write_mbtiles(root / "src.mbtiles", max_zoom=5)
    mbtiles_to_pmtiles(str(source), str(root / "src.pmtiles"), 5)
    return root / "src.pmtiles"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=8))))
def test_damaged_pmtiles_are_refused_never_crash(
    pmtiles_file: Path, cuts: list[tuple[int, bytes]]
) -> None:
    data = bytearray(pmtiles_file.read_bytes())
    for at, junk in cuts:
        at %= len(data)
        data[at : at + len(junk)] = junk
    path = pmtiles_file.with_name("fuzz.pmtiles")
    path.write_bytes(bytes(data))
    try:
        tiles = open_tileset(path)
    except BasemapError:
        return
    try:
        tiles.embed([KYIV[0]], [KYIV[1]])
    except BasemapError:
        pass
    finally:
        tiles.close()


def test_map_command_with_tiles_and_without_a_usable_file(
    mbtiles: Path, pmtiles_file: Path, tmp_path: Path
) -> None:
    case = tmp_path / "t.case"
    api.ingest([REPO / "demo" / "photos"], case)
    runner = CliRunner()
    out = tmp_path / "map.html"
    result = runner.invoke(
        app, ["map", "--case", str(case), "-o", str(out), "--basemap", str(mbtiles)]
    )
    assert result.exit_code == 0, result.output
    assert "base map test <b>tiles</b>: zoom 0-" in result.output
    page = out.read_text("utf-8")
    data = json.loads(page.split('id="geotrace-data">', 1)[1].split("</script>", 1)[0])
    assert data["basemap"]["attribution"].startswith("&lt;img src=x")
    assert "0/0/0" in data["basemap"]["tiles"]
    bad = tmp_path / "bad.pmtiles"
    bad.write_bytes(pmtiles_file.read_bytes()[:60])
    again = tmp_path / "again.html"
    result = runner.invoke(
        app, ["map", "--case", str(case), "-o", str(again), "--basemap", str(bad)]
    )
    assert result.exit_code == 2 and "not a readable PMTiles" in result.output
    assert not again.exists() and list(tmp_path.glob(".again*")) == []
