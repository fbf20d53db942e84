"""Rebuild the border data shipped in ``src/geotrace/geodata/data/`` from ``../shared/geodata``.

geotrace must answer "which country, which oblast" offline and fast, so this script does the
expensive geometry once, here, and ships the results:

* ``admin0.npz`` / ``admin0.json`` - Natural Earth 10m admin-0, German point of view (the
  *de jure* layer: Crimea is UA).  ISO_A2_EH is the code; units without one (-99: Bir Tawil,
  the UK bases on Cyprus, ...) get ``X-<ADM0_A3>``, the convention the admin-1 layer uses too.
* ``admin1.npz`` / ``admin1.json`` - Natural Earth 10m admin-1 (the *de facto* layer: Crimea's
  country is RU there, its ISO 3166-2 code stays UA-43).
* ``borders.npz`` - the land borders: every line shared by two de jure polygons of different
  countries, tagged with the pair of codes (the lines the distances are measured to).

Each polygon layer is stored twice over, cheaply: a grid of ``CELL_DEG`` cells that says which
feature owns a cell outright (most land), and the polygons cut into one small piece per mixed
cell (coasts and borders).  Point-in-polygon then costs a table look-up for most points and a
test against a piece of a few dozen vertices for the rest - cutting is what makes it fast.

Geometries are stored without pickle: Shapely's ragged-array form (coordinates + offsets),
coordinates quantised to 1e-7 degree (about 1 cm) as delta-encoded int32, which compresses well.

Usage: ``python scripts/build_places_data.py [--shared PATH] [--out PATH]``
(needs the ``data`` extra: ``pip install -e '.[data]'``).
"""

from __future__ import annotations

import argparse
import gzip
import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapefile  # pyshp: build-time only
import shapely

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import lines as border_lines
from geotrace.geodata.lines import unit_vectors

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "geodata"
DEFAULT_OUT = REPO / "src" / "geotrace" / "geodata" / "data"

QUANTUM = 1e-7
CELL_DEG = 0.25
# Coarse-to-fine cutting, so no cut touches a huge polygon.  Every level must divide 180
# and 360 and the level above it: with 16 degrees the last column stopped at 172 E and
# Chukotka, New Zealand and Fiji east of it fell out of the grid.
LEVELS = (15.0, 5.0, 1.0, CELL_DEG)
NLAT, NLON = round(180 / CELL_DEG), round(360 / CELL_DEG)
assert all(180 % a == 0 and a % b == 0 for a, b in pairwise(LEVELS)), LEVELS
OUTSIDE, MIXED = -1, -2


def quantise(geoms: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Round every coordinate to the 1e-7 degree grid the shipped files store exactly."""
    return shapely.transform(geoms, lambda c: np.round(c / QUANTUM) * QUANTUM)


def read_admin0(path: Path) -> tuple[npt.NDArray[Any], dict[str, list[str]]]:
    reader = shapefile.Reader(str(path), encoding="utf-8")
    geoms, cols = [], {"iso2": [], "name_en": [], "name": []}
    for shape_rec in reader.iterShapeRecords():
        rec = shape_rec.record
        code = rec["ISO_A2_EH"]
        cols["iso2"].append(code if code != "-99" else f"X-{rec['ADM0_A3']}")
        cols["name_en"].append(rec["NAME_EN"])
        cols["name"].append(rec["NAME"])
        geoms.append(shapely.geometry.shape(shape_rec.shape.__geo_interface__))
    return shapely.make_valid(quantise(np.array(geoms, dtype=object))), cols


def read_admin1(path: Path) -> tuple[npt.NDArray[Any], dict[str, list[Any]]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("code", "name", "name_uk", "name_ru", "country_de_facto", "gn_id", "wikidata")
    }
    for feat in features:
        p = feat["properties"]
        iso_a2 = p["iso_a2"]
        cols["code"].append(p["iso_3166_2"])
        cols["name"].append(p["name"] or "")
        cols["name_uk"].append(p["name_uk"] or "")
        cols["name_ru"].append(p["name_ru"] or "")
        # The dev labels' convention for units with no ISO country (Somaliland, Kashmir...).
        cols["country_de_facto"].append(iso_a2 if iso_a2.isalpha() else f"X-{p['adm0_a3']}")
        cols["gn_id"].append(p["gn_id"] if p["gn_id"] and p["gn_id"] > 0 else None)
        cols["wikidata"].append(p["wikidataid"] or None)
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    return shapely.make_valid(quantise(geoms)), cols


def cell_boxes(size: float, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> Any:
    return shapely.box(
        cols * size - 180, rows * size - 90, (cols + 1) * size - 180, (rows + 1) * size - 90
    )


def cut(
    geoms: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.int16], npt.NDArray[Any], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Grid owner table plus the pieces of every feature in every mixed fine cell.

    Returns (grid [NLAT, NLON] of feature index / OUTSIDE / MIXED, pieces, piece feature
    index, piece fine-cell index), pieces sorted by cell.
    """
    grid = np.full((NLAT, NLON), OUTSIDE, dtype=np.int16)
    work_feat = np.arange(len(geoms), dtype=np.int32)
    work_geom = geoms
    for level, size in enumerate(LEVELS):
        xmin, ymin, xmax, ymax = shapely.bounds(work_geom).T
        r0 = np.floor((ymin + 90) / size).astype(np.int64)
        r1 = np.minimum(np.floor((ymax + 90) / size).astype(np.int64), round(180 / size) - 1)
        c0 = np.floor((xmin + 180) / size).astype(np.int64)
        c1 = np.minimum(np.floor((xmax + 180) / size).astype(np.int64), round(360 / size) - 1)
        counts = (r1 - r0 + 1) * (c1 - c0 + 1)
        owner = np.repeat(np.arange(len(work_geom)), counts)
        k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        width = (c1 - c0 + 1)[owner]
        rows, cols = r0[owner] + k // width, c0[owner] + k % width
        boxes = cell_boxes(size, rows, cols)
        shapely.prepare(work_geom)
        full = shapely.contains_properly(work_geom[owner], boxes)
        touch = shapely.intersects(work_geom[owner], boxes) & ~full
        scale = round(size / CELL_DEG)
        for r, c, f in zip(rows[full], cols[full], work_feat[owner[full]], strict=True):
            grid[r * scale : (r + 1) * scale, c * scale : (c + 1) * scale] = f
        pieces = shapely.intersection(work_geom[owner[touch]], boxes[touch])
        keep = shapely.area(pieces) > 0
        work_geom, work_feat = pieces[keep], work_feat[owner[touch]][keep]
        cell = (rows * round(360 / size) + cols)[touch][keep]
        if level == len(LEVELS) - 1:
            fine_cell = cell
    assert (grid.reshape(-1)[fine_cell] == OUTSIDE).all(), "features overlap"
    grid.reshape(-1)[fine_cell] = MIXED
    order = np.argsort(fine_cell, kind="stable")
    pieces = quantise(shapely.make_valid(work_geom[order]))
    return grid, pieces, work_feat[order], fine_cell[order].astype(np.int32)


def ragged(geoms: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
    """Shapely's ragged-array form, coordinates as delta-encoded int32 quanta."""
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    q = np.round(coords / QUANTUM).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64)).astype(np.int32)
    out = {"coords_delta": delta, "geom_type": np.array(int(kind))}
    for i, off in enumerate(offsets):
        out[f"offsets{i}"] = off.astype(np.int32)
    return out


def multipolygons(geoms: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Keep only the polygonal parts (cuts can leave slivers of lines) as MultiPolygons."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON.value
    parts, index = parts[poly], index[poly]
    out = np.empty(len(geoms), dtype=object)
    grouped = np.split(parts, np.flatnonzero(np.diff(index)) + 1)
    out[np.unique(index)] = [shapely.multipolygons(g) for g in grouped]
    assert all(g is not None for g in out), "a piece lost all its area"
    return out


def land_borders(geoms: npt.NDArray[Any], codes: list[str]) -> tuple[npt.NDArray[Any], list[str]]:
    """Lines shared by two polygons of different countries, with their ``A|B`` pair."""
    bounds = shapely.boundary(geoms)
    tree = shapely.STRtree(bounds)
    left, right = tree.query(bounds, predicate="intersects")
    pairs = (left < right) & (np.array(codes)[left] != np.array(codes)[right])
    left, right = left[pairs], right[pairs]
    shared = shapely.line_merge(shapely.intersection(bounds[left], bounds[right]))
    lines, index = shapely.get_parts(shared, return_index=True)
    is_line = shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING.value
    lines, index = lines[is_line], index[is_line]
    tags = ["|".join(sorted((codes[left[i]], codes[right[i]]))) for i in index]
    return lines, tags


def border_tiers(lines: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """Per grid cell, the first distance tier whose bound covers every point of the cell.

    Upper bound: the centre's distance plus the centre-to-corner distance.  Shipping it spares
    every query at run time a ring search that would find nothing.
    """
    rows, cols = np.divmod(np.arange(NLAT * NLON), NLON)
    lat = (rows + 0.5) * CELL_DEG - 90
    lon = (cols + 0.5) * CELL_DEG - 180
    angle, _ = border_lines._distance(border_lines._tiers(quantise(lines)), unit_vectors(lat, lon))
    corner = unit_vectors(np.minimum(np.abs(lat) + CELL_DEG / 2, 90), lon + CELL_DEG / 2)
    half_diag = 2 * np.arcsin(np.linalg.norm(corner - unit_vectors(np.abs(lat), lon), axis=1) / 2)
    upper_km = (angle + half_diag) * EARTH_RADIUS_KM * 1.001
    assert (half_diag * EARTH_RADIUS_KM <= border_lines.CELL_SLACK_KM / 2).all()
    tier = np.searchsorted(np.array(border_lines.BOUNDS_KM), upper_km, side="left")
    return tier.reshape(NLAT, NLON).astype(np.uint8)


def save(path: Path, **arrays: npt.NDArray[Any]) -> None:
    np.savez_compressed(path, allow_pickle=False, **arrays)


def save_layer(path: Path, geoms: npt.NDArray[Any]) -> None:
    """A polygon layer as its owner grid plus the pieces of its mixed cells."""
    grid, pieces, feature, cell = cut(geoms)
    save(
        path,
        grid=grid,
        feature=feature.astype(np.int16),
        cell=cell,
        **ragged(multipolygons(pieces)),
    )


def build(shared: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ne = shared / "naturalearth"

    geoms0, cols0 = read_admin0(ne / "ne_10m_admin_0_countries_deu.shp")
    save_layer(out / "admin0.npz", geoms0)
    lines, tags = land_borders(geoms0, cols0["iso2"])
    pair_names = sorted(set(tags))
    pair_index = np.array([pair_names.index(t) for t in tags], dtype=np.int16)
    save(out / "borders.npz", pair=pair_index, tier=border_tiers(lines), **ragged(lines))
    cols0_out: dict[str, Any] = {
        **cols0,
        "border_pairs": pair_names,
        "cell_deg": CELL_DEG,
        "quantum": QUANTUM,
    }
    (out / "admin0.json").write_text(json.dumps(cols0_out, ensure_ascii=False), "utf-8")

    geoms1, cols1 = read_admin1(ne / "ne_10m_admin_1_states_provinces.geojson.gz")
    save_layer(out / "admin1.npz", geoms1)
    cols1_out: dict[str, Any] = {**cols1, "cell_deg": CELL_DEG, "quantum": QUANTUM}
    (out / "admin1.json").write_text(json.dumps(cols1_out, ensure_ascii=False), "utf-8")

    for f in sorted(out.iterdir()):
        print(f"{f.name:14} {f.stat().st_size / 2**20:6.2f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    build(args.shared, args.out)


if __name__ == "__main__":
    main()
