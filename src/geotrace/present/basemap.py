"""A user's own raster base map (MBTiles or PMTiles), cut to what one offline page can carry.

Investigators often hold a local tile set (an OpenStreetMap or satellite extract made with
TileMill, QGIS, gdal2tiles or ``pmtiles convert``) and want it under the sightings without a
tile server.  The page stays one file, so the tiles travel inside it: every zoom level from
the set's lowest up, the whole world while it is small and the sightings' area (with a
margin) after that, until the next level would pass the byte budget.  The page draws a
missing tile from its nearest embedded ancestor, so zooming past the last level blurs
rather than blanks.

Only raster tiles (PNG, JPEG, WebP) can be drawn by the page; vector tiles are refused with
the reason.  A tile whose bytes are not the declared image type is left out and counted.
MBTiles is SQLite (read with the standard library, read-only); PMTiles is read with the
``pmtiles`` package's header and directory decoders, with a cache and a size bound of ours
around them: its ``Reader`` inflates the root directory again for every tile and without a
limit, and a tile set is a file from outside.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import mmap
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geotrace.errors import BasemapError

#: Tile bytes one page carries by default (base64 adds a third in the page).
DEFAULT_BUDGET = 24 * 2**20
#: Zoom levels up to this one are embedded for the whole world (85 tiles in all).
WORLD_ZOOM = 3
#: A level needing more tiles than this is not embedded (nor any above it).
MAX_TILES_PER_ZOOM = 20_000
#: Margin around the sightings' box, as a share of its size (and at least MIN_MARGIN_DEG).
MARGIN = 0.25
MIN_MARGIN_DEG = 0.5
MAX_ZOOM = 22
#: An inflated PMTiles directory larger than this is refused (a directory is kilobytes).
MAX_DIRECTORY_BYTES = 64 * 2**20
WEB_MERCATOR_LAT = 85.05112878

MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
VECTOR = {"pbf", "mvt", "mlt"}


def image_kind(data: bytes) -> str | None:
    """png, jpg or webp from the bytes themselves; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def tile_range(
    z: int, west: float, south: float, east: float, north: float
) -> tuple[int, int, int, int]:
    """The XYZ tiles (x0, x1, y0, y1, inclusive) that cover a lon/lat box at zoom ``z``."""
    n = 1 << z

    def x_of(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180.0) / 360.0 * n)))

    def y_of(lat: float) -> int:
        lat = max(-WEB_MERCATOR_LAT, min(WEB_MERCATOR_LAT, lat))
        r = math.radians(lat)
        y = (1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n
        return min(n - 1, max(0, int(y)))

    return x_of(west), x_of(east), y_of(north), y_of(south)


@dataclass(slots=True)
class EmbeddedTiles:
    """What the page carries: tiles keyed ``z/x/y`` (XYZ), base64, and what was left out."""

    name: str
    kind: str
    attribution: str
    tiles: dict[str, str] = field(default_factory=dict)
    zooms: list[int] = field(default_factory=list)
    bytes: int = 0
    not_images: int = 0
    #: The budget, and whether a level (the next one) was left out for it.
    budget: int = DEFAULT_BUDGET
    cut: bool = False

    @property
    def mime(self) -> str:
        return MIME[self.kind]

    def note(self) -> str:
        """One line for the page and the command line: what is embedded, what is not."""
        if not self.zooms:
            return f"base map {self.name}: no tile fits the budget"
        line = (
            f"base map {self.name}: zoom {self.zooms[0]}-{self.zooms[-1]}, "
            f"{len(self.tiles)} tiles, {self.bytes / 2**20:.1f} MB"
        )
        if self.cut:
            line += (
                f"; zoom {self.zooms[-1] + 1} and above left out "
                f"(over the budget of {self.budget / 2**20:.0f} MB)"
            )
        if self.not_images:
            line += f"; {self.not_images} tile(s) left out: not {self.kind} images"
        return line


@dataclass(frozen=True, slots=True)
class TileSet:
    """An opened tile set: its description and a way to fetch the tiles of one zoom level
    inside a tile range (XYZ rows), as ((x, y), bytes) pairs."""

    path: Path
    name: str
    kind: str
    attribution: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    fetch: Callable[[int, tuple[int, int, int, int]], Iterator[tuple[tuple[int, int], bytes]]]
    close: Callable[[], None]

    def embed(
        self,
        lat: list[float],
        lon: list[float],
        budget: int = DEFAULT_BUDGET,
    ) -> EmbeddedTiles:
        """The levels that fit ``budget``: the world at low zoom, then the box around the
        points given (the whole set where none is given)."""
        out = EmbeddedTiles(self.name, self.kind, self.attribution, budget=budget)
        area = self._area(lat, lon)
        for z in range(self.min_zoom, min(self.max_zoom, MAX_ZOOM) + 1):
            box = self.bounds if z <= WORLD_ZOOM else area
            x0, x1, y0, y1 = tile_range(z, *box)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES_PER_ZOOM:
                break
            level: dict[str, str] = {}
            size = 0
            for (x, y), data in self.fetch(z, (x0, x1, y0, y1)):
                if image_kind(data) != self.kind:
                    out.not_images += 1
                    continue
                level[f"{z}/{x}/{y}"] = base64.b64encode(data).decode("ascii")
                size += len(data)
                if out.bytes + size > budget:
                    break
            if out.bytes + size > budget:
                out.cut = True
                break
            out.tiles.update(level)
            out.bytes += size
            out.zooms.append(z)
        return out

    def _area(self, lat: list[float], lon: list[float]) -> tuple[float, float, float, float]:
        if not lat:
            return self.bounds
        south, north, west, east = min(lat), max(lat), min(lon), max(lon)
        dy = max((north - south) * MARGIN, MIN_MARGIN_DEG)
        dx = max((east - west) * MARGIN, MIN_MARGIN_DEG)
        w, s, e, n = self.bounds
        box = (max(w, west - dx), max(s, south - dy), min(e, east + dx), min(n, north + dy))
        if box[0] > box[2] or box[1] > box[3]:  # the points lie outside the set
            return self.bounds
        return box


def open_tileset(path: Path) -> TileSet:
    """An MBTiles or PMTiles file, told apart by its first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BasemapError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"SQLite format 3\x00"):
        return _mbtiles(path)
    if head.startswith(b"PMTiles"):
        return _pmtiles(path)
    raise BasemapError(f"{path.name}: not an MBTiles (SQLite) or PMTiles file")


def _refuse_vector(path: Path, kind: str) -> None:
    if kind in VECTOR:
        raise BasemapError(
            f"{path.name}: vector tiles ({kind}) cannot be drawn by the offline page; "
            "render them to raster tiles (PNG, JPEG or WebP) first"
        )


def _bounds(value: object) -> tuple[float, float, float, float]:
    """west, south, east, north from MBTiles' "w,s,e,n" text or a list; the world when
    absent or unusable."""
    world = (-180.0, -WEB_MERCATOR_LAT, 180.0, WEB_MERCATOR_LAT)
    try:
        parts = value.split(",") if isinstance(value, str) else value
        w, s, e, n = (float(p) for p in parts)  # type: ignore[attr-defined]
    except (TypeError, ValueError, AttributeError):
        return world
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return world
    return (w, max(s, -WEB_MERCATOR_LAT), e, min(n, WEB_MERCATOR_LAT))


def _mbtiles(path: Path) -> TileSet:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
        zooms = db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        first = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        raise BasemapError(f"{path.name}: not a readable MBTiles file: {exc}") from None
    if zooms[0] is None or first is None:
        raise BasemapError(f"{path.name}: the tile set holds no tile")
    kind = str(meta.get("format") or "").lower().replace("jpeg", "jpg")
    _refuse_vector(path, kind)
    if kind not in MIME:  # MBTiles 1.0 files may not say: the first tile tells
        kind = image_kind(bytes(first[0])) or kind or "unknown"
    _refuse_vector(path, kind)
    if kind not in MIME:
        raise BasemapError(f"{path.name}: tiles of format {kind!r} cannot be drawn")

    def fetch(z: int, rng: tuple[int, int, int, int]) -> Iterator[tuple[tuple[int, int], bytes]]:
        x0, x1, y0, y1 = rng
        top = (1 << z) - 1  # MBTiles rows count from the south (TMS)
        cur = db.execute(
            "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ?"
            " AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?"
            " ORDER BY tile_column, tile_row",
            (z, x0, x1, top - y1, top - y0),
        )
        for x, row, data in cur:
            if isinstance(data, bytes):
                yield (int(x), top - int(row)), data

    return TileSet(
        path=path,
        name=str(meta.get("name") or path.name),
        kind=kind,
        attribution=str(meta.get("attribution") or ""),
        min_zoom=max(0, int(zooms[0])),
        max_zoom=int(zooms[1]),
        bounds=_bounds(meta.get("bounds")),
        fetch=fetch,
        close=db.close,
    )


def _inflate(data: bytes, what: str) -> bytes:
    """gzip data inflated up to MAX_DIRECTORY_BYTES; a bomb is refused, not inflated."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_DIRECTORY_BYTES)
    if inflater.unconsumed_tail:
        raise BasemapError(f"{what}: a directory inflates past {MAX_DIRECTORY_BYTES} bytes")
    return out


def _pmtiles(path: Path) -> TileSet:
    from pmtiles.tile import (
        Compression,
        Entry,
        TileType,
        deserialize_directory,
        deserialize_header,
        find_tile,
        zxy_to_tileid,
    )

    try:
        with path.open("rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        raise BasemapError(f"{path.name}: not a readable PMTiles file: {exc}") from None
    try:
        header = deserialize_header(data[:127])
        kinds = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
        kind = kinds.get(header["tile_type"], header["tile_type"].name.lower())
        _refuse_vector(path, kind)
        if kind not in MIME:
            raise BasemapError(f"{path.name}: tiles of type {kind} cannot be drawn")
        if header["internal_compression"] != Compression.GZIP:
            raise BasemapError(f"{path.name}: directories not gzip-compressed: unsupported")
        raw_meta = data[
            header["metadata_offset"] : header["metadata_offset"] + header["metadata_length"]
        ]
        meta = json.loads(
            _inflate(raw_meta, path.name) if raw_meta[:2] == b"\x1f\x8b" else raw_meta
        )
    except BasemapError:
        data.close()
        raise
    except Exception as exc:  # the decoders raise what they meet: a bad file, in any way
        data.close()
        raise BasemapError(f"{path.name}: not a readable PMTiles file: {exc}") from None
    gzipped_tiles = header["tile_compression"] == Compression.GZIP
    directories: dict[tuple[int, int], list[Entry]] = {}

    def directory(offset: int, length: int) -> list[Entry]:
        if (offset, length) not in directories:
            raw = data[offset : offset + length]
            _inflate(raw, path.name)  # the bound, before the library inflates it again
            directories[(offset, length)] = deserialize_directory(raw)
        return directories[(offset, length)]

    def tile(z: int, x: int, y: int) -> bytes | None:
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = header["root_offset"], header["root_length"]
        for _depth in range(4):
            entry = find_tile(directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length == 0:
                offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
                continue
            start = header["tile_data_offset"] + entry.offset
            blob = bytes(data[start : start + entry.length])
            return gzip.decompress(blob) if gzipped_tiles else blob
        return None

    def fetch(z: int, rng: tuple[int, int, int, int]) -> Iterator[tuple[tuple[int, int], bytes]]:
        x0, x1, y0, y1 = rng
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                try:
                    blob = tile(z, x, y)
                except BasemapError:
                    raise
                except Exception as exc:
                    raise BasemapError(f"{path.name}: tile {z}/{x}/{y}: {exc}") from None
                if blob is not None:
                    yield (x, y), blob

    bounds = (
        header["min_lon_e7"] / 1e7,
        header["min_lat_e7"] / 1e7,
        header["max_lon_e7"] / 1e7,
        header["max_lat_e7"] / 1e7,
    )
    return TileSet(
        path=path,
        name=str(meta.get("name") or path.name) if isinstance(meta, dict) else path.name,
        kind=kind,
        attribution=str(meta.get("attribution") or "") if isinstance(meta, dict) else "",
        min_zoom=int(header["min_zoom"]),
        max_zoom=int(header["max_zoom"]),
        bounds=_bounds(list(bounds)),
        fetch=fetch,
        close=data.close,
    )
