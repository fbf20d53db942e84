"""Resolve a user's own table of points (``lat,lon[,radius_m]`` CSV), streaming.

Rows are read and answered a batch at a time, so a table of millions of rows takes
bounded memory.  Every input column is kept and the place fields are appended; a row
whose position cannot be read keeps its place empty and says why in ``flags``, so no row
is ever lost from the output.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from geotrace.places import PLACE_FIELDS, resolve
from geotrace.places.control import ControlLayer

BATCH = 50_000


@dataclass(slots=True)
class TableSummary:
    rows: int = 0
    invalid: int = 0


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def resolve_csv(
    src: TextIO,
    out: TextIO,
    *,
    control: ControlLayer | None = None,
    progress: Callable[[int], None] | None = None,
) -> TableSummary:
    """Copy ``src`` to ``out`` with the place fields appended to every row."""
    reader = csv.DictReader(src)
    columns = list(reader.fieldnames or [])
    if "lat" not in columns or "lon" not in columns:
        raise ValueError(f"the table needs 'lat' and 'lon' columns; it has {columns}")
    extra = [f for f in PLACE_FIELDS if f not in columns]
    writer = csv.DictWriter(out, fieldnames=columns + extra, lineterminator="\n")
    writer.writeheader()
    summary = TableSummary()
    rows: Iterator[dict[str, Any]] = iter(reader)
    while batch := list(islice(rows, BATCH)):
        _answer(batch, control, summary)
        writer.writerows(_cells(r) for r in batch)
        if progress is not None:
            progress(summary.rows)
    return summary


def _answer(
    batch: list[dict[str, Any]], control: ControlLayer | None, summary: TableSummary
) -> None:
    good: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    radii: list[float] = []
    for i, row in enumerate(batch):
        summary.rows += 1
        lat, lon = _number(row.get("lat")), _number(row.get("lon"))
        if lat is None or lon is None:
            summary.invalid += 1
            row["flags"] = [f"row_invalid: lat {row.get('lat')!r}, lon {row.get('lon')!r}"]
            continue
        good.append(i)
        lats.append(lat)
        lons.append(lon)
        radii.append(_number(row.get("radius_m")) or math.nan)
    if not good:
        return
    answers = resolve(lats, lons, radii, control=control)
    for i, place in zip(good, answers.rows(), strict=True):
        for key, value in place.items():
            batch[i].setdefault(key, value)


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """Nested answers (area shares, flags) as JSON in one cell."""
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
        for k, v in row.items()
    }
