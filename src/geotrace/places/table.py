"""Resolve a user's own table of points (``lat,lon[,radius_m]`` CSV), streaming.

Rows are read and answered a batch at a time, so a table of millions of rows takes
bounded memory.  Every input column is kept and the place fields are appended; a row
whose position cannot be read keeps its place empty and says why in ``flags``, so no row
is ever lost from the output.  The rows are handed back, not written: the one CSV writer
that defuses formulas is the present stage's (``geotrace.present.table``), and resolving
does not import upwards.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO, cast

from geotrace.errors import InputError
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


@dataclass(slots=True)
class ResolvedTable:
    """The output's columns (the input's, then the place fields it lacks) and its rows,
    answered as they are read; ``summary`` counts them as they go."""

    columns: list[str]
    rows: Iterator[dict[str, Any]]
    summary: TableSummary


def resolve_table(
    src: TextIO,
    *,
    control: ControlLayer | None = None,
    progress: Callable[[int], None] | None = None,
) -> ResolvedTable:
    """``src``'s rows with the place fields appended to every one; a table without
    ``lat`` and ``lon`` columns is refused here, before anything is written."""
    reader = csv.DictReader(src)
    columns = list(reader.fieldnames or [])
    if "lat" not in columns or "lon" not in columns:
        raise InputError(f"the table needs 'lat' and 'lon' columns; it has {columns}")
    summary = TableSummary()
    extra = [f for f in PLACE_FIELDS if f not in columns]
    return ResolvedTable(columns + extra, _answered(reader, control, summary, progress), summary)


def _answered(
    rows: Iterator[dict[str, Any]],
    control: ControlLayer | None,
    summary: TableSummary,
    progress: Callable[[int], None] | None,
) -> Iterator[dict[str, Any]]:
    while batch := list(islice(rows, BATCH)):
        _answer(batch, control, summary)
        yield from batch
        if progress is not None:
            progress(summary.rows)


def _answer(
    batch: list[dict[str, Any]], control: ControlLayer | None, summary: TableSummary
) -> None:
    good: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    radii: list[float] = []
    overflow: list[tuple[int, list[str]]] = []
    for i, row in enumerate(batch):
        summary.rows += 1
        # DictReader keys the cells past the header with None, which the row's type hides.
        if (cells := cast(dict[str | None, Any], row).pop(None, None)) is not None:
            overflow.append((i, cells))
        lat, lon = _number(row.get("lat")), _number(row.get("lon"))
        if lat is None or lon is None:
            summary.invalid += 1
            row["flags"] = [f"row_invalid: lat {row.get('lat')!r}, lon {row.get('lon')!r}"]
            continue
        good.append(i)
        lats.append(lat)
        lons.append(lon)
        radii.append(_number(row.get("radius_m")) or math.nan)
    if good:
        answers = resolve(lats, lons, radii, control=control)
        for i, place in zip(good, answers.rows(), strict=True):
            for key, value in place.items():
                batch[i].setdefault(key, value)
    for i, cells in overflow:  # kept and said, never dropped by a column-keyed writer
        flags = batch[i].get("flags")
        said = flags if isinstance(flags, list) else [flags] if flags else []
        batch[i]["flags"] = [*said, f"row_extra_cells: {cells!r}"]
