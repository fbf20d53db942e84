"""Country outlines for base maps, from the Natural Earth data the package already ships.

A map that must open with the network cut needs its own base layer, and the one that matters
to the founding question is the border itself, de jure and de facto side by side.  The shipped
layers (``geodata/data/admin0``, ``admin1``) are cut into one piece per 0.25 degree grid cell for
fast point queries; turning them back into outlines is a polygon union of ~370 k pieces, ~40 s
of GEOS overlay.  That is paid once, at build time, by ``python -m geotrace.present.outlines``,
which writes ``web/outlines.json.gz`` (both layers at ``SHIPPED_TOLERANCE_DEG``); a map or a
report then reads a few hundred kilobytes.  A finer tolerance than the shipped one is rebuilt
from the data (slow, cached per process); a coarser one simplifies the shipped outlines.

De facto is the de jure layer with every admin-1 unit whose de facto country (as the admin-1
layer records it, see ``places.borders.Admin1Hits``) differs from the country its code names
moved across: Crimea and Sevastopol to RU, Northern Cyprus, Somaliland, Kashmir and the other
``X-`` units to their own entries.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from geotrace.geodata import DATA

WEB = Path(__file__).with_name("web")
SHIPPED = WEB / "outlines.json.gz"
SHIPPED_TOLERANCE_DEG = 0.05
#: Snap-rounding grid of the union: far below the tolerance, and keeps the overlay robust.
UNION_GRID_DEG = 1e-5
#: Decimals kept in the GeoJSON: 0.001 degree (~110 m) is 1/50 of the shipped tolerance.
DECIMALS = 3
LAYERS = ("de_jure", "de_facto")

Geoms = npt.NDArray[Any]


def country_outlines(
    layer: str = "de_jure", tolerance_deg: float = SHIPPED_TOLERANCE_DEG
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of simplified country outlines (properties ``iso``, ``name``).

    ``layer`` is "de_jure" or "de_facto".  The result is a fresh copy: callers may mutate it.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, not {layer!r}")
    if not tolerance_deg > 0:
        raise ValueError("tolerance_deg must be positive")
    return copy.deepcopy(_outlines(layer, float(tolerance_deg)))


@cache
def shared_layers() -> tuple[dict[str, Any], dict[str, Any]]:
    """The de jure outlines and the de facto layer as changes to them (``layer_changes``),
    shared between callers and never to be mutated: a map reads them once per page, and a
    deep copy of the world (0.4 M lists) cost more than a second each time."""
    jure = _outlines("de_jure", SHIPPED_TOLERANCE_DEG)
    return jure, layer_changes(jure, _outlines("de_facto", SHIPPED_TOLERANCE_DEG))


@cache
def _outlines(layer: str, tolerance: float) -> dict[str, Any]:
    if tolerance >= SHIPPED_TOLERANCE_DEG and SHIPPED.exists():
        shipped = _shipped()[layer]
        if tolerance == SHIPPED_TOLERANCE_DEG:
            return shipped
        return _simplified(shipped, tolerance)
    return build(tolerance)[layer]


@cache
def _shipped() -> dict[str, dict[str, Any]]:
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    jure = data["de_jure"]
    return {"de_jure": jure, "de_facto": apply_changes(jure, data["de_facto_changes"])}


def layer_changes(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """``other`` as the features of ``base`` it drops and those it adds: the two layers differ
    in a few countries, and neither the package nor a page should carry the world twice."""
    before = {f["properties"]["iso"]: f for f in base["features"]}
    add = [f for f in other["features"] if before.get(f["properties"]["iso"]) != f]
    kept = {f["properties"]["iso"] for f in other["features"]} - {
        f["properties"]["iso"] for f in add
    }
    return {"drop": sorted(set(before) - kept), "add": add}


def apply_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The layer ``layer_changes`` described (the page's script does the same)."""
    drop = set(changes["drop"])
    features = [f for f in base["features"] if f["properties"]["iso"] not in drop]
    return {"type": "FeatureCollection", "features": features + list(changes["add"])}


def _simplified(collection: dict[str, Any], tolerance: float) -> dict[str, Any]:
    features = collection["features"]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in features], dtype=object)
    return _collection(
        [f["properties"]["iso"] for f in features],
        [f["properties"]["name"] for f in features],
        shapely.simplify(geoms, tolerance, preserve_topology=True),
    )


def _pieces(name: str) -> tuple[Geoms, npt.NDArray[np.int64], dict[str, Any]]:
    """Every piece of a layer and every cell a feature owns outright, as (geometry, feature)."""
    meta: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text("utf-8"))
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as npz:
        coords = np.cumsum(npz["coords_delta"], axis=0, dtype=np.int32) * meta["quantum"]
        offsets = tuple(
            npz[f"offsets{i}"].astype(np.int64) for i in range(3) if f"offsets{i}" in npz
        )
        kind = shapely.GeometryType(int(npz["geom_type"]))
        feature = npz["feature"].astype(np.int64)
        grid = npz["grid"]
    pieces = shapely.from_ragged_array(kind, coords, offsets)
    d, ncols = meta["cell_deg"], grid.shape[1]
    flat = grid.reshape(-1)
    cells = np.flatnonzero(flat >= 0)
    row, col = np.divmod(cells, ncols)
    boxes = shapely.box(col * d - 180, row * d - 90, (col + 1) * d - 180, (row + 1) * d - 90)
    geoms = np.concatenate([boxes, pieces])
    owner = np.concatenate([flat[cells].astype(np.int64), feature])
    return geoms, owner, meta


def _unions(geoms: Geoms, owner: npt.NDArray[np.int64], wanted: list[int]) -> list[Any]:
    """The union of each wanted feature's pieces and cells (one overlay per feature)."""
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    out = []
    for k in wanted:
        lo, hi = np.searchsorted(sorted_owner, [k, k + 1])
        out.append(shapely.union_all(geoms[order[lo:hi]], grid_size=UNION_GRID_DEG))
    return out


def build(tolerance: float = SHIPPED_TOLERANCE_DEG) -> dict[str, dict[str, Any]]:
    """Both layers from the shipped Natural Earth pieces: the slow path (~40 s)."""
    geoms, owner, meta = _pieces("admin0")
    iso, names = list(meta["iso2"]), list(meta["name_en"])
    countries = _unions(geoms, owner, list(range(len(iso))))

    a1_geoms, a1_owner, a1 = _pieces("admin1")
    moved = [
        i
        for i, (code, facto) in enumerate(zip(a1["code"], a1["country_de_facto"], strict=True))
        if facto and code.split("-")[0] != facto
    ]
    facto = list(countries)
    facto_iso, facto_names = list(iso), list(names)
    for i, unit in zip(moved, _unions(a1_geoms, a1_owner, moved), strict=True):
        # Only the outlines the unit overlaps change: an overlay snaps every vertex it sees.
        facto = [
            shapely.difference(g, unit, grid_size=UNION_GRID_DEG)
            if shapely.area(shapely.intersection(g, unit)) > 0
            else g
            for g in facto
        ]
        target = a1["country_de_facto"][i]
        if target in facto_iso:
            j = facto_iso.index(target)
            facto[j] = shapely.union(facto[j], unit, grid_size=UNION_GRID_DEG)
        else:
            facto_iso.append(target)
            facto_names.append(a1["name"][i])
            facto.append(unit)
    return {
        "de_jure": _collection(iso, names, _simplify(countries, tolerance)),
        "de_facto": _collection(facto_iso, facto_names, _simplify(facto, tolerance)),
    }


def _simplify(geoms: list[Any], tolerance: float) -> Geoms:
    arr = np.array(geoms, dtype=object)
    out: Geoms = shapely.simplify(arr, tolerance, preserve_topology=True)
    return out


def _collection(iso: list[str], names: list[str], geoms: Geoms) -> dict[str, Any]:
    """Non-empty outlines as GeoJSON features, coordinates rounded to ``DECIMALS``."""
    geoms = shapely.set_precision(geoms, 10.0**-DECIMALS, mode="valid_output")
    features = []
    for code, name, geom in zip(iso, names, geoms, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"iso": code, "name": name},
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_shipped(path: Path = SHIPPED) -> int:
    """Rebuild the shipped outlines file; the bytes written."""
    layers = build(SHIPPED_TOLERANCE_DEG)
    shipped = {
        "de_jure": layers["de_jure"],
        "de_facto_changes": layer_changes(layers["de_jure"], layers["de_facto"]),
    }
    data = json.dumps(shipped, separators=(",", ":")).encode("utf-8")
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(packed)
    return len(packed)


if __name__ == "__main__":  # pragma: no cover - the build step
    size = write_shipped(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED)
    print(f"wrote {size} bytes")
