"""Sightings as GeoParquet 1.1: typed columns for pandas/DuckDB/Polars, a geometry for QGIS.

Why it is written this way:

- **Typed, not stringly.**  Coordinates, radius, confidence and uncertainty are float64;
  ``at_utc`` is ``timestamp[us, UTC]`` so that tools compare and bin instants without
  parsing; ``at_local`` stays text (a wall-clock time with no zone is not an instant);
  ``evidence`` and ``place`` are JSON text (DuckDB's ``->>``, pandas' ``json.loads``), so the
  schema does not change with what a place resolver or an evidence reader adds.
- **GeoParquet 1.1.**  A ``geometry`` column of WKB points in longitude/latitude (CRS84,
  the spec's default, so no ``crs`` member) and the ``geo`` file metadata, with the bounding
  box of the points, so GeoPandas, QGIS/GDAL and DuckDB's spatial extension open it as
  geometry.  The ``geo`` entry is written when the file is closed (the box is known only then),
  and the Arrow schema is not stored beside it (``store_schema=False``): pyarrow would read
  that stored copy, which cannot hold the late ``geo``, and hide it.  The Parquet types alone
  say the same (``TIMESTAMP(isAdjustedToUTC=true)`` reads back as ``timestamp[us, UTC]``).
  The WKB is built with NumPy as one buffer per row group (21 bytes a point: byte
  order, type, x, y) and handed to Arrow without a copy: no Python loop over points.
  Altitude stays a column, as in the GeoJSON output (a height above sea level is not a
  CRS84 ellipsoidal height).
- **Bounded memory.**  Rows are gathered into row groups of ``ROW_GROUP`` and each group is
  written as it fills; the file is written beside its final name and renamed into place at
  the end, so a crash never leaves a half file that looks whole.
- **pyarrow is optional** (the ``parquet`` extra: a ~50 MB wheel, 170 MB installed, as much as
  SciPy and OpenCV, the largest core dependencies, together; for one output format), so it is
  imported here, when a Parquet file is asked for, and a missing install says which extra
  to add.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from geotrace.errors import MissingExtra
from geotrace.geo import parse_iso

#: Rows per row group: ~16k sightings is a few MB of Arrow data, big enough for good
#: compression and column statistics, small enough to keep memory flat.
ROW_GROUP = 16_384

FLOAT_FIELDS = ("lat", "lon", "alt_m", "radius_m", "time_uncertainty_s", "confidence")
JSON_FIELDS = ("evidence", "place")
#: Column order: the fields ``places.queries.sightings`` yields, then the geometry.
#: Spelt out, not imported: the file's schema is an interface, and a field the case gains
#: should be a decision here (a test compares the two), not a silent change to every file.
FIELDS = (
    "id",
    "media_sha256",
    "media_path",
    "media_kind",
    "method",
    "lat",
    "lon",
    "alt_m",
    "radius_m",
    "at_utc",
    "at_local",
    "time_basis",
    "time_uncertainty_s",
    "confidence",
    "evidence",
    "country_de_jure",
    "country_de_facto",
    "admin1_code",
    "border_confidence",
    "place",
    "platform",
    "post_id",
    "account_id",
    "account_name",
)

_SURROGATE = re.compile("[\ud800-\udfff]")

#: A little-endian WKB Point: byte order 1, geometry type 1, then x and y.
WKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _arrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, imported on demand (no stubs: typed as Any)."""
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError as exc:
        raise MissingExtra("Parquet output needs pyarrow: pip install 'geotrace[parquet]'") from exc


def schema(pa: Any) -> Any:
    """The Arrow schema of a sightings file (``geo`` metadata is added when closing)."""
    types = {name: pa.string() for name in FIELDS}
    types.update({name: pa.float64() for name in FLOAT_FIELDS})
    types["id"] = pa.int64()
    types["at_utc"] = pa.timestamp("us", tz="UTC")
    return pa.schema([*(pa.field(name, types[name]) for name in FIELDS), ("geometry", pa.binary())])


def wkb_points(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int32, data uint8) of a binary array of WKB points, built vectorised."""
    points = np.empty(len(lon), dtype=WKB_POINT)
    points["order"] = 1
    points["type"] = 1
    points["x"] = lon
    points["y"] = lat
    offsets = np.arange(len(lon) + 1, dtype=np.int32) * WKB_POINT.itemsize
    return offsets, points.view(np.uint8)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value if isinstance(value, str) else str(value)


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _instant(value: object) -> datetime | None:
    """An ``at_utc`` text as an aware instant; None if it is not one (never a guessed zone)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    try:
        parsed = parse_iso(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _instants(pa: Any, values: list[Any]) -> Any:
    """``at_utc`` texts as a timestamp array: Arrow's vectorised ISO-8601 cast, and value by
    value only for a batch that holds something it refuses."""
    target = pa.timestamp("us", tz="UTC")
    if all(v is None or isinstance(v, str) for v in values):
        try:
            return pa.array(values, pa.string()).cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
            pass
    return pa.array([None if v is None else _instant(v) for v in values], target)


def _strings(pa: Any, values: list[str | None]) -> Any:
    """A string array; a text Arrow refuses (a lone surrogate from a hostile JSON) is
    replaced character by character, the rest kept as it is."""
    try:
        return pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowInvalid):
        return pa.array([v if v is None else _SURROGATE.sub("\ufffd", v) for v in values])


class Columns:
    """Rows turned into column lists as they arrive, so a row group holds only its values
    (a sighting's dict, with its nested place, weighs several times its text)."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {name: [] for name in FIELDS}

    def __len__(self) -> int:
        return len(self.values["id"])

    def add(self, row: dict[str, Any]) -> None:
        for name, column in self.values.items():
            value = row.get(name)
            if name in FLOAT_FIELDS:
                column.append(_number(value))
            elif name == "id":
                column.append(
                    value if isinstance(value, int) and not isinstance(value, bool) else None
                )
            elif name == "at_utc":
                column.append(value)
            else:
                column.append(_text(value))

    def batch(self, pa: Any) -> Any:
        """The rows so far as one record batch, with their WKB points; then empty."""
        arrays: dict[str, Any] = {}
        for name, values in self.values.items():
            if name in FLOAT_FIELDS:
                arrays[name] = pa.array(values, pa.float64())
            elif name == "id":
                arrays[name] = pa.array(values, pa.int64())
            elif name == "at_utc":
                arrays[name] = _instants(pa, values)
            else:
                arrays[name] = _strings(pa, values)
            values.clear()
        lon = arrays["lon"].to_numpy(zero_copy_only=False)
        lat = arrays["lat"].to_numpy(zero_copy_only=False)
        offsets, data = wkb_points(lon, lat)
        valid = np.isfinite(lon) & np.isfinite(lat)  # no point where a coordinate is missing
        validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        arrays["geometry"] = pa.Array.from_buffers(
            pa.binary(), len(lon), [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return pa.RecordBatch.from_pydict(arrays, schema=schema(pa))


def geo_metadata(bbox: list[float] | None) -> dict[str, Any]:
    """The GeoParquet 1.1 ``geo`` file metadata for the ``geometry`` column."""
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": ["Point"]}
    if bbox is not None:
        column["bbox"] = bbox
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def _grow(bbox: list[float] | None, lon: np.ndarray, lat: np.ndarray) -> list[float] | None:
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any():
        return bbox
    box = [
        float(lon[finite].min()),
        float(lat[finite].min()),
        float(lon[finite].max()),
        float(lat[finite].max()),
    ]
    if bbox is None:
        return box
    return [min(bbox[0], box[0]), min(bbox[1], box[1]), max(bbox[2], box[2]), max(bbox[3], box[3])]


def write_parquet(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write sightings to a GeoParquet file at ``path``; return how many."""
    pa, pq = _arrow()
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    count = 0
    bbox: list[float] | None = None
    try:
        with pq.ParquetWriter(
            partial, schema(pa), compression="zstd", store_schema=False
        ) as writer:
            pending = Columns()

            def flush() -> None:
                nonlocal bbox
                record_batch = pending.batch(pa)
                bbox = _grow(
                    bbox,
                    record_batch.column("lon").to_numpy(zero_copy_only=False),
                    record_batch.column("lat").to_numpy(zero_copy_only=False),
                )
                writer.write_batch(record_batch, row_group_size=ROW_GROUP)

            for row in rows:
                pending.add(row)
                count += 1
                if len(pending) >= ROW_GROUP:
                    flush()
            if len(pending) or count == 0:
                flush()
            writer.add_key_value_metadata({"geo": json.dumps(geo_metadata(bbox))})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count
