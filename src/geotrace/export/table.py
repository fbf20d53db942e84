"""Sightings as rows: JSON Lines (lossless) and CSV (for spreadsheets).

CSV cells that hold text starting with ``= + - @`` (a hostile file name can) are prefixed
with ``'`` so that a spreadsheet shows them instead of running them as formulas (the
OWASP advice on CSV injection); numbers are written as they are.  Nested values (the
evidence pointer) go into one cell as JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One JSON object per line; return the number of rows."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def csv_cell(value: object) -> object:
    """A value as a safe CSV cell (see the module docstring)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, fields: Sequence[str]) -> int:
    """A header line of ``fields`` (even with no rows), then one line per row."""
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
        count += 1
    return count
