"""The map of a large case: a small page and a folder of tiles beside it, still offline.

One HTML file holding every sighting is 20.6 MB at 100,000 sightings and would be ~2 GB at
10 million: no browser opens that.  Past ``TILED_ABOVE`` sightings ``-o map.html`` writes
``map.html`` and ``map_files/`` beside it (as a browser's "save page complete" does):

* a quadtree of the sightings, cut where a cell holds at most ``LEAF_MAX`` of them: each
  leaf is a *point tile*, a script ``p/<leaf>.js`` holding its sightings' popup fields;
* per zoom, *bubbles*: the sightings counted in cells of zoom + ``BUBBLE_DEPTH`` (32 px on
  screen), only where the point tiles are still too small to show; ``a/<zoom>/<x>-<y>.js``;
* ``i/<shard>.js``: sighting id -> point tile, ``ID_SHARD`` ids a file, for the search box.

Tiles are scripts, not JSON, because Chromium refuses fetch and XHR of ``file://`` URLs and
allows ``<script src>``.  Every value in them is escaped as ``mapview.script_json`` escapes
it (no ``<``, ``>`` or ``&``; see ``js``), and the page puts them on screen with
``textContent`` only, exactly as the one-file map does: posts are hostile.

Memory is flat in the number of sightings: two streamed passes over the case in one read
transaction.  The first counts sightings per cell of zoom ``FINE_Z`` (~600 m) with NumPy,
which is all the quadtree and the bubbles need; the second sorts each ``CHUNK`` of rows by
point tile (an argsort) and appends the chunk's part of every tile to its file.
"""

from __future__ import annotations

import html
import shutil
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import msgspec
import numpy as np
import numpy.typing as npt

from geotrace.places.control import ControlLayer
from geotrace.present.basemap import DEFAULT_BUDGET, TileSet
from geotrace.present.mapview import (
    ATTRIBUTION,
    NO_ACCOUNT,
    TEXT_CAP,
    MapSummary,
    _account,
    _fill,
    _leaflet,
    _packed_control,
    _packed_outlines,
    _packed_tiles,
    _settlement,
    _web,
    app_js,
    named_in_text,
    script_json,
)
from geotrace.present.mapview import case_map as one_file_map
from geotrace.present.outlines import shared_layers
from geotrace.present.packing import COORD_DECIMALS, epoch, number
from geotrace.present.people_layers import PeopleLayers

#: Past this many sightings the map is a page and a folder.  At 50,000 the one file is
#: ~10 MB and opens in under a second (100,000: 20.6 MB, 1.6 s; bench/present.py); past it
#: the load time grows linearly and the thumbnails' budget is spread thinner, while the
#: tiled page opens in the same time at any size (bench/map_scale.py).
TILED_ABOVE = 50_000
#: Sightings of one point tile at most: a view shows point tiles of its zoom or coarser,
#: at most ~24 of them on a 1280x800 screen, so at most ~24,000 points drawn and ~10 MB
#: of tiles read (records are ~400 bytes).
LEAF_MAX = 1_000
#: The finest cell (zoom 16: ~600 m at the equator); a cell holding more than LEAF_MAX
#: sightings is a point tile all the same, there being nothing finer to cut.
FINE_Z = 16
#: Bubbles at zoom z count the sightings of cells of zoom z + 3: 32 px on screen.
BUBBLE_DEPTH = 3
#: Bubble files hold the cells of one tile of zoom z - 2 (1,024 px): a view reads <= ~9.
GROUP_UP = 2
#: Rows read, sorted and written at once: ~9 KB of Python objects a row (the decoded place
#: and evidence), so ~45 MB; 20,000 took 190 MB more at 1M sightings (bench/map_scale.py).
CHUNK = 5_000
#: Characters of tiles held before they are written (~4 bytes each at most).
BUFFER = 16 * 2**20
#: Ids per file of the id index.
ID_SHARD = 4_096
#: The file that says a folder is a map's (only such a folder is ever replaced).
MARKER = "GEOTRACE-MAP-FOLDER.txt"
#: The popup fields of a sighting, in the order a point tile's records hold them.
RECORD = (
    "id",
    "lat",
    "lon",
    "radius_m",
    "t",
    "method",
    "confidence",
    "time_uncertainty_s",
    "account",
    "at_local",
    "utc_offset",
    "time_basis",
    "country_de_jure",
    "country_de_facto",
    "admin1",
    "settlement",
    "border_confidence",
    "timezone",
    "platform",
    "post_id",
    "sha256",
    "source",
    "text",
)

Floats = npt.NDArray[np.float64]
Keys = npt.NDArray[np.uint64]


def folder_beside(out: TextIO) -> Path | None:
    """``map_files`` for a page written to ``map.html``; None where ``out`` is no file.

    The command writes the page as ``.map.html.part`` and renames it when done
    (``cli_console.writing``): the folder is named after the page's final name."""
    name = getattr(out, "name", None)
    if not isinstance(name, str) or not name:
        return None
    path = Path(name)
    if path.name.startswith(".") and path.name.endswith(".part"):
        path = path.with_name(path.name[1:-5])
    return path.with_name(f"{path.stem}_files")


def positions(rows: Iterable[tuple[Any, Any]]) -> tuple[Floats, Floats, npt.NDArray[np.bool_]]:
    """(lat, lon) pairs as arrays rounded like the one-file map's, longitudes wrapped to
    [-180, 180], and which rows are drawable (a finite position, |lat| <= 90)."""
    try:
        both = np.asarray(list(rows), dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):  # a text in a REAL column: read row by row
        both = np.array(
            [[number(a) or np.nan, number(b) or np.nan] for a, b in rows], dtype=np.float64
        ).reshape(-1, 2)
    lat, lon = np.round(both[:, 0], COORD_DECIMALS), np.round(both[:, 1], COORD_DECIMALS)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90)
    wrap = np.abs(lon) > 180
    lon[wrap] = (lon[wrap] + 180.0) % 360.0 - 180.0
    return lat, lon, ok


def _spread(v: Keys) -> Keys:
    """The 16 low bits of ``v`` moved to the even bits (half of a Morton code)."""
    v = v & np.uint64(0xFFFF)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _squeeze(v: Keys) -> Keys:
    """The inverse of ``_spread``: the even bits of ``v`` packed to 16."""
    v = v & np.uint64(0x55555555)
    for shift, mask in ((1, 0x33333333), (2, 0x0F0F0F0F), (4, 0x00FF00FF), (8, 0x0000FFFF)):
        v = (v | (v >> np.uint64(shift))) & np.uint64(mask)
    return v


def cells(lat: Floats, lon: Floats) -> Keys:
    """The Morton code of each position's Web Mercator cell at ``FINE_Z``: a cell's
    ancestor at zoom z is ``code >> 2 * (FINE_Z - z)``, and sorting groups every tile."""
    side = 2**FINE_Z
    x = (lon + 180.0) / 360.0
    phi = np.radians(np.clip(lat, -85.0511287798, 85.0511287798))
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / np.pi) / 2.0
    ix = np.clip(np.floor(x * side), 0, side - 1).astype(np.uint64)
    iy = np.clip(np.floor(y * side), 0, side - 1).astype(np.uint64)
    return _spread(ix) | (_spread(iy) << np.uint64(1))


def tile_xy(code: Keys, z: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Tile column and row at zoom ``z`` of Morton codes of that zoom."""
    return _squeeze(code).astype(np.int64), _squeeze(code >> np.uint64(1)).astype(np.int64)


class CellCounts:
    """Sightings per fine cell, with the sums of their coordinates (for bubble centres),
    merged as chunks come: memory grows with the cells occupied, not the sightings."""

    def __init__(self) -> None:
        self.key: Keys = np.zeros(0, np.uint64)
        self.n = np.zeros(0, np.int64)
        self.lat = np.zeros(0, np.float64)
        self.lon = np.zeros(0, np.float64)

    def add(self, key: Keys, lat: Floats, lon: Floats) -> None:
        allkeys = np.concatenate([self.key, key])
        weights = np.concatenate([self.n, np.ones(len(key), np.int64)])
        unique, inverse = np.unique(allkeys, return_inverse=True)
        self.n = np.bincount(inverse, weights, len(unique)).astype(np.int64)
        self.lat = np.bincount(inverse, np.concatenate([self.lat, lat]), len(unique)).astype(
            np.float64
        )
        self.lon = np.bincount(inverse, np.concatenate([self.lon, lon]), len(unique)).astype(
            np.float64
        )
        self.key = unique


@dataclass(frozen=True)
class Quadtree:
    """The point tiles: per fine cell (sorted) its tile; per tile its zoom, x, y, count."""

    fine: Keys
    leaf_of_cell: npt.NDArray[np.int64]
    level_of_cell: npt.NDArray[np.int64]
    z: npt.NDArray[np.int64]
    x: npt.NDArray[np.int64]
    y: npt.NDArray[np.int64]
    n: npt.NDArray[np.int64]

    def leaf(self, key: Keys) -> npt.NDArray[np.int64]:
        """The point tile of each fine cell code (every one was counted)."""
        return self.leaf_of_cell[np.searchsorted(self.fine, key)]


def quadtree(counts: CellCounts, leaf_max: int = LEAF_MAX) -> Quadtree:
    """Cut each tile in four while it holds more than ``leaf_max`` sightings: a fine cell's
    point tile is its ancestor at the coarsest zoom holding at most that many."""
    key, n = counts.key, counts.n
    level = np.full(len(key), FINE_Z, np.int64)
    for z in range(FINE_Z, -1, -1):
        parent = key >> np.uint64(2 * (FINE_Z - z))
        unique, inverse = np.unique(parent, return_inverse=True)
        total = np.bincount(inverse, n, len(unique))[inverse]
        level[total <= leaf_max] = z
    ancestor = key >> (np.uint64(2) * (np.uint64(FINE_Z) - level.astype(np.uint64)))
    pairs = (level.astype(np.uint64) << np.uint64(40)) | ancestor
    first, inverse = np.unique(pairs, return_index=True, return_inverse=True)[1:]
    # tiles in Morton order of their first cell: near tiles get near numbers
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    leaf_of_cell = rank[inverse]
    zs = level[first[order]]
    codes = ancestor[first[order]]
    xs, ys = tile_xy(codes, 0)
    return Quadtree(
        fine=key,
        leaf_of_cell=leaf_of_cell,
        level_of_cell=level,
        z=zs,
        x=xs,
        y=ys,
        n=np.bincount(leaf_of_cell, n, len(order)).astype(np.int64),
    )


def bubbles(counts: CellCounts, tree: Quadtree) -> Iterator[tuple[int, int, int, list[Any]]]:
    """(zoom, x, y, [lats, lons, counts]) per bubble file: at zoom z, the sightings whose
    point tile is finer than z, counted per cell of zoom z + ``BUBBLE_DEPTH``, a file per
    tile of zoom z - ``GROUP_UP``; a bubble sits at its sightings' mean position."""
    for z in range(FINE_Z):
        mask = tree.level_of_cell > z
        if not mask.any():
            continue
        b = min(z + BUBBLE_DEPTH, FINE_Z)
        g = max(z - GROUP_UP, 0)
        cell = counts.key[mask] >> np.uint64(2 * (FINE_Z - b))
        unique, inverse = np.unique(cell, return_inverse=True)
        n = np.bincount(inverse, counts.n[mask], len(unique))
        lat = np.round(np.bincount(inverse, counts.lat[mask], len(unique)) / n, 5)
        lon = np.round(np.bincount(inverse, counts.lon[mask], len(unique)) / n, 5)
        group = unique >> np.uint64(2 * (b - g))
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ends = np.r_[starts[1:], len(group)]
        gx, gy = tile_xy(group[starts], g)
        for s, e, x, y in zip(
            starts.tolist(), ends.tolist(), gx.tolist(), gy.tolist(), strict=True
        ):
            yield z, x, y, [lat[s:e].tolist(), lon[s:e].tolist(), n[s:e].astype(int).tolist()]


def record(row: Mapping[str, Any], lat: float, lon: float, method: int) -> list[Any]:
    """A sighting's popup fields in ``RECORD`` order, valued as the one-file map's popup
    values them (``mapview.columns``)."""
    place = row.get("place") or {}
    text = row.get("text")
    return [
        row.get("id"),
        lat,
        lon,
        number(row.get("radius_m"), 1),
        epoch(row.get("at_utc")),
        method,
        number(row.get("confidence"), 3),
        number(row.get("time_uncertainty_s"), 1),
        _account(row),
        row.get("at_local") or None,
        place.get("utc_offset") or None,
        row.get("time_basis") or None,
        row.get("country_de_jure") or None,
        row.get("country_de_facto") or None,
        place.get("admin1_name") or row.get("admin1_code") or None,
        _settlement(place),
        row.get("border_confidence") or None,
        place.get("timezone") or None,
        row.get("platform") or None,
        row.get("post_id") or None,
        row.get("media_sha256") or None,
        row.get("media_path") or None,
        str(text)[:TEXT_CAP] if text else None,
    ]


def texts(db: Any, rows: list[dict[str, Any]]) -> None:
    """Each row's post ``text`` (as ``mapview.case_rows`` gives it), looked up for one chunk
    by (platform, post id) through the posts' unique index, a query per platform and
    thousand ids, so that no table of every post's text is ever held."""
    wanted: dict[str, set[str]] = {}
    for row in rows:
        if row.get("post_id"):
            wanted.setdefault(str(row.get("platform")), set()).add(str(row["post_id"]))
    found: dict[tuple[str, str], Any] = {}
    for platform, ids in wanted.items():
        listed = sorted(ids)
        for k in range(0, len(listed), 1000):
            part = listed[k : k + 1000]
            marks = ",".join("?" * len(part))
            for post_id, text in db.execute(
                f"SELECT post_id, text FROM posts WHERE platform = ? AND post_id IN ({marks})",
                [platform, *part],
            ):
                found[(platform, str(post_id))] = text
    for row in rows:
        key = (str(row.get("platform")), str(row.get("post_id")))
        text = found.get(key) if row.get("post_id") else None
        row["text"] = None if text is None else str(text)
        if row.get("method") == "text_toponym" and isinstance(row.get("evidence"), dict):
            row["text"] = named_in_text(row["evidence"], row["text"])


#: What ``js`` escapes, and how: as ``mapview.script_json`` does, in UTF-8.
_ESCAPES = (
    (b"&", b"\\u0026"),
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def js(value: Any) -> bytes:
    """``value`` as JSON in UTF-8 that no HTML parser reads as markup: ``script_json``'s
    escapes, on msgspec's encoder (json.dumps was a quarter of the build at 1M sightings).
    Non-finite numbers cannot occur: ``number`` made them None."""
    data = msgspec.json.encode(value)
    for raw, escaped in _ESCAPES:
        data = data.replace(raw, escaped)
    return data


class _Folder:
    """The tiles' folder, built under a temporary name and put in place when complete;
    an existing folder is replaced only where it carries a map's ``MARKER``.

    Appends are held per file up to ``BUFFER`` characters in all, then written a file at a
    time: rows come in time order, so each chunk touches most point tiles, and an open per
    tile and chunk was 240,000 opens at 1M sightings."""

    def __init__(self, final: Path) -> None:
        if final.exists() and not (final / MARKER).is_file():
            raise ValueError(f"{final} exists and is not a geotrace map's folder: not replaced")
        self.final = final
        self.root = final.with_name(f".{final.name}.part")
        shutil.rmtree(self.root, ignore_errors=True)
        for sub in ("p", "a", "i"):
            (self.root / sub).mkdir(parents=True)
        self.pending: dict[str, list[bytes]] = {}
        self.held = 0

    def append(self, rel: str, text: bytes) -> None:
        self.pending.setdefault(rel, []).append(text)
        self.held += len(text)
        if self.held > BUFFER:
            self.flush()

    def flush(self) -> None:
        for rel, texts in self.pending.items():
            with (self.root / rel).open("ab") as f:
                f.write(b"".join(texts))
        self.pending.clear()
        self.held = 0

    def commit(self, page_name: str) -> None:
        self.flush()
        (self.root / MARKER).write_text(
            f"The tiles of the map {page_name}, written by geotrace: open {page_name}.\n"
            "Replaced whenever that map is written again.\n",
            "utf-8",
        )
        old = self.final.with_name(f".{self.final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.final.exists():
            self.final.rename(old)
        self.root.rename(self.final)
        shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def tiled(case_path: str | Path) -> bool:
    """Whether the case's map is a page and a folder of tiles: past ``TILED_ABOVE``
    sightings.  Such a map leaves out the layers of people, so the caller need not bring
    them up to date (minutes of stages at a million sightings)."""
    from geotrace.store.case import Case

    case = Case(Path(case_path))
    try:
        return count_sightings(case.db) > TILED_ABOVE
    finally:
        case.close()


def case_map(
    case_path: str | Path,
    out: TextIO,
    *,
    title: str | None = None,
    control: ControlLayer | None = None,
    basemap: TileSet | None = None,
    basemap_budget: int = DEFAULT_BUDGET,
    people: PeopleLayers | None = None,
) -> MapSummary:
    """The map of a case: up to ``TILED_ABOVE`` sightings the one-file map of
    ``mapview.case_map`` (with ``people``), past it the page and its folder of tiles, named
    after ``out``'s file (``folder_beside``)."""
    from geotrace.store.case import Case

    if not tiled(case_path):
        return one_file_map(
            case_path,
            out,
            title=title,
            control=control,
            basemap=basemap,
            basemap_budget=basemap_budget,
            people=people,
        )
    folder = folder_beside(out)
    if folder is None:
        raise ValueError("a map of this many sightings is a page and a folder: give a file")
    case = Case(Path(case_path))
    try:
        return write_tiled(
            case.db,
            out,
            folder,
            title=title or f"geotrace map: {Path(case_path).name}",
            control=control,
            basemap=basemap,
            basemap_budget=basemap_budget,
        )
    finally:
        case.close()


def count_sightings(db: Any) -> int:
    """The case's sightings, drawable or not (what decides one file or tiles)."""
    return int(db.execute("SELECT count(*) FROM sightings").fetchone()[0])


def _chunks(it: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := [row for _, row in zip(range(size), it, strict=False)]:
        yield chunk


def write_tiled(
    db: Any,
    out: TextIO,
    folder: Path,
    *,
    title: str,
    leaf_max: int | None = None,
    control: ControlLayer | None = None,
    basemap: TileSet | None = None,
    basemap_budget: int = DEFAULT_BUDGET,
) -> MapSummary:
    """Write the tiled map of the case open on ``db``: the folder first, then the page.

    ``db`` is the case's connection; both passes run in one read transaction, so that a
    sighting added meanwhile cannot fall outside the counted cells.  ``control`` and
    ``basemap`` are the one-file map's (``mapview.write_map``), inline in the page; the
    base map's levels are chosen for the box around every sighting."""
    from geotrace.places.queries import sightings

    tiles = _Folder(folder)
    try:
        db.execute("BEGIN")
        try:
            counts, skipped, bounds = _first_pass(db)
            tree = quadtree(counts, LEAF_MAX if leaf_max is None else leaf_max)
            groups: dict[int, list[str]] = {}
            for z, x, y, data in bubbles(counts, tree):
                if z not in groups:
                    (tiles.root / "a" / str(z)).mkdir()
                groups.setdefault(z, []).append(f"{x}-{y}")
                tiles.append(
                    f"a/{z}/{x}-{y}.js",
                    b"G.a(%d,%s,%s);\n" % (z, js(f"{x}-{y}"), js(data)),
                )
            methods: dict[str, int] = {}
            shards: set[int] = set()
            undated = 0
            span: list[int] = []
            for chunk in _chunks(sightings(db), CHUNK):
                lat, lon, ok = positions((r.get("lat"), r.get("lon")) for r in chunk)
                keep = np.flatnonzero(ok)
                rows = [chunk[k] for k in keep.tolist()]
                texts(db, rows)
                leaf = tree.leaf(cells(lat[keep], lon[keep]))
                recs = [
                    record(
                        row,
                        la,
                        lo,
                        methods.setdefault(str(row.get("method") or "unknown"), len(methods)),
                    )
                    for row, la, lo in zip(
                        rows, lat[keep].tolist(), lon[keep].tolist(), strict=True
                    )
                ]
                dated = [r[4] for r in recs if r[4] is not None]
                undated += len(recs) - len(dated)
                if dated:
                    span = (
                        [min(span[0], *dated), max(span[1], *dated)]
                        if span
                        else [min(dated), max(dated)]
                    )
                order = np.argsort(leaf, kind="stable")
                for s, e, tile in _runs(leaf[order]):
                    part = [recs[k] for k in order[s:e].tolist()]
                    tiles.append(f"p/{tile}.js", b"G.p(%d,%s);\n" % (tile, js(part)))
                ids = np.asarray([r[0] for r in recs], dtype=np.int64)
                shard = ids // ID_SHARD
                by = np.argsort(shard, kind="stable")
                for s, e, k in _runs(shard[by]):
                    shards.add(k)
                    pick = by[s:e]
                    tiles.append(
                        f"i/{k}.js",
                        b"G.i(%d,%s,%s);\n" % (k, js(ids[pick].tolist()), js(leaf[pick].tolist())),
                    )
        finally:
            db.execute("COMMIT")
        total = int(counts.n.sum())
        box = ([bounds[0], bounds[2]], [bounds[1], bounds[3]]) if total else ([], [])
        embedded = None if basemap is None else basemap.embed(*box, basemap_budget)
        page = _page(
            title=title,
            folder=folder.name,
            tree=tree,
            groups=groups,
            methods=list(methods),
            shards=sorted(shards),
            bounds=bounds,
            span=span,
            total=total,
            layers={
                "control": None if control is None else _packed_control(control),
                "basemap": None if embedded is None else _packed_tiles(embedded),
            },
            note=(
                f"{total} sightings, tiled: at this size the map is a page and the folder"
                f" {folder.name}/ beside it (keep them together). Counted bubbles where"
                f" sightings are dense; zoom in (or click a bubble) for the sightings"
                f" themselves, or search a sighting by its id. The time, confidence and"
                f" method filters apply to the sightings drawn as points, not to the"
                f" bubbles' counts. {skipped} sighting(s) without a usable position are"
                f" not drawn. Post text is cut at {TEXT_CAP} characters. Left out at this"
                f" size: thumbnails, tracks, the account filter and the layers of people"
                f" (see the report and the people commands)."
                + ("" if embedded is None else f" The {embedded.note()}.")
            ),
        )
        tiles.commit(folder.name.removesuffix("_files") + ".html")
    except BaseException:
        tiles.abandon()
        raise
    written = 0
    for text in page:
        out.write(text)
        written += len(text.encode("utf-8"))
    files = [f.stat().st_size for f in folder.rglob("*.js")]
    return MapSummary(
        sightings=total,
        accounts=0,
        methods=len(methods),
        undated=undated,
        skipped=skipped,
        thumbnails=0,
        thumbnails_left_out=0,
        bytes_written=written + sum(files),
        tiles=len(files),
        folder=str(folder),
        basemap=None if embedded is None else embedded.note(),
    )


def _runs(sorted_keys: npt.NDArray[np.int64]) -> Iterator[tuple[int, int, int]]:
    """(start, end, key) of each run of equal keys in a sorted array."""
    if not len(sorted_keys):
        return
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(sorted_keys)]
    yield from zip(starts.tolist(), ends.tolist(), sorted_keys[starts].tolist(), strict=True)


def _first_pass(db: Any) -> tuple[CellCounts, int, list[float]]:
    """Sightings per fine cell, the undrawable ones counted, and the drawn ones' bounds."""
    counts = CellCounts()
    skipped = 0
    south, west, north, east = 90.0, 180.0, -90.0, -180.0
    cursor = db.execute("SELECT lat, lon FROM sightings")
    while chunk := cursor.fetchmany(CHUNK * 4):
        lat, lon, ok = positions(chunk)
        skipped += int((~ok).sum())
        lat, lon = lat[ok], lon[ok]
        if len(lat):
            counts.add(cells(lat, lon), lat, lon)
            south, north = min(south, float(lat.min())), max(north, float(lat.max()))
            west, east = min(west, float(lon.min())), max(east, float(lon.max()))
    return counts, skipped, [south, west, north, east]


def _page(
    *,
    title: str,
    folder: str,
    tree: Quadtree,
    groups: Mapping[int, list[str]],
    methods: list[str],
    shards: list[int],
    bounds: list[float],
    span: list[int],
    total: int,
    layers: Mapping[str, Any],
    note: str,
) -> Iterator[str]:
    """The page's text: Leaflet, the outlines and the index of the tiles inline."""
    jure, facto_changes = shared_layers()
    data = {
        "n": total,
        "folder": urllib.parse.quote(folder) + "/",
        "fields": RECORD,
        "leaves": {
            "z": tree.z.tolist(),
            "x": tree.x.tolist(),
            "y": tree.y.tolist(),
            "n": tree.n.tolist(),
        },
        "bubbles": {str(z): names for z, names in groups.items()},
        "bubble_group_up": GROUP_UP,
        "fine_z": FINE_Z,
        "id_shard": ID_SHARD,
        "id_shards": shards,
        "methods": methods,
        "bounds": bounds if total else None,
        "time": span or None,
        "no_account": NO_ACCOUNT,
        "outlines": _packed_outlines(jure, facto_changes),
        "outline_names": {
            "de_jure": "Countries, de jure (Natural Earth)",
            "de_facto": "Countries, de facto (Natural Earth admin-1)",
        },
        "attribution": ATTRIBUTION,
        "note": note,
        **layers,
    }
    leaflet_js, css = _leaflet()
    parts = {
        "@@TITLE@@": html.escape(title),
        "@@LEAFLET_CSS@@": css,
        "@@APP_CSS@@": _web("map.css"),
        "@@DATA@@": script_json(data),
        "@@LEAFLET_JS@@": leaflet_js,
        "@@APP_JS@@": app_js("maptiles.js"),
    }
    return _fill(_web("maptiles.html"), parts)
