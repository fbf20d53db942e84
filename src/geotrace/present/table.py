"""Sightings, posts and users' tables as rows: JSON Lines (lossless) and CSV (for spreadsheets).

Every CSV geotrace writes goes through :func:`write_csv`, because a CSV is opened in a
spreadsheet and its cells come from adversaries (post texts, file names, the user's own
columns).  The rules (OWASP's CSV-injection advice):

- **Quoting.**  Lines end in CRLF (RFC 4180).  Python's writer quotes a cell holding a
  character of its line terminator, so ``\\r`` and ``\\n`` always force quotes: with a bare
  ``\\n`` terminator it left a lone ``\\r`` unquoted, and spreadsheets start a new row there
  whose first cell (``=cmd|' /C calc'!A0``) was never checked.  The delimiter and quotes
  force quotes too, as ever.
- **Prefix.**  A cell whose text starts with ``= + - @``, TAB, CR or LF is prefixed with
  ``'``, so a spreadsheet shows it instead of evaluating it, *unless the whole cell is a
  plain number or a VK-style id* (``-42895313``, ``-33.9``, ``1e-05``, ``-42895313_128``):
  digits with at most a sign, a decimal point, an exponent, or ``_`` between digit runs.
  Such a cell has no name, reference or operator for a formula to act on, and leaving it
  as it is keeps VK's negative owner and post ids, and negative coordinates, equal to the
  JSON Lines export's, so the two join.  Anything else starting with those characters
  (``-2+3``, ``-inf``, ``+cmd|...``) gets the prefix.
- Nested values (the evidence pointer, media lists, flags) go into one cell as JSON;
  the header is written under the same rules (``resolve`` copies the user's column names).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: A whole cell that no spreadsheet can evaluate as more than a number (see above).
PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|-?\d+(?:_\d+)+")


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One JSON object per line; return the number of rows."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def csv_cell(value: object) -> str:
    """A value as the text of a safe CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, fields: Sequence[str]) -> int:
    """A header line of ``fields`` (even with no rows), then one line per row; return the
    number of rows.  Open a file for ``out`` with ``newline=""`` (the csv module's rule:
    elsewhere than POSIX, text mode would turn the ``\\n`` inside a cell into ``\\r\\n``)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(f) for f in fields])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(f)) for f in fields])
        count += 1
    return count
