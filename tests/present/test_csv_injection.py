"""Every CSV geotrace writes is safe in a spreadsheet: no formula runs, no row is split, and
ids that merely start with ``-`` (VK's negative owner ids) still join the JSON Lines export.

The case is built from the shared VK API samples with hostile post texts and group names
put in (in tmp_path), plus a real demo photo under a hostile file name; the CSVs are read
back with Python's csv module and, where LibreOffice is installed, opened by it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from geotrace.cli import app
from geotrace.present.table import write_csv
from tests.casekit import DEMO
from tests.conftest import SHARED, require_shared

runner = CliRunner()
VK = SHARED / "corpora" / "exports" / "vk_api_json"
#: What OWASP's CSV-injection page and its references use, and the issue's CR trick.
PAYLOADS = (
    "hello\r=cmd|' /C calc'!A0",
    "=1+1",
    "+2+3+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "line\n=1+1",
    '=HYPERLINK("http://example.com/x","click")',
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _poison(node: Any, payloads: Iterator[str]) -> None:
    """Every post text (an object with a date and a text) and every group name replaced."""
    if isinstance(node, dict):
        if isinstance(node.get("text"), str) and "date" in node:
            node["text"] = next(payloads)
        for value in node.values():
            _poison(value, payloads)
        for group in node.get("groups") or []:
            if isinstance(group, dict) and "name" in group:
                group["name"] = next(payloads)
    elif isinstance(node, list):
        for value in node:
            _poison(value, payloads)


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared(VK)
    root = tmp_path_factory.mktemp("csvcase")
    exports = root / "vk"
    exports.mkdir()
    payloads = cycle(PAYLOADS)
    for src in sorted(VK.glob("*.json")):
        doc = json.loads(src.read_text(encoding="utf-8-sig"))
        _poison(doc, payloads)
        (exports / src.name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    photos = root / "photos"
    photos.mkdir()
    shutil.copy(DEMO / "goexif__sample1.jpg", photos / "a\r=cmd|' -C calc'!A0.jpg")
    case = root / "hostile.case"
    result = runner.invoke(app, ["ingest", str(exports), str(photos), "--case", str(case)])
    assert result.exit_code in (0, 1), result.output
    return case


def _cli(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def outputs(hostile_case: Path) -> dict[str, tuple[Path, list[dict[str, Any]]]]:
    """name -> (the CSV, the rows it must hold, as the lossless output has them)."""
    out = hostile_case.parent
    case = str(hostile_case)
    found = {}
    for what in ("posts", "sightings"):
        _cli(what, "--case", case, "--format", "csv", "-o", str(out / f"{what}.csv"))
        _cli(what, "--case", case, "--format", "jsonl", "-o", str(out / f"{what}.jsonl"))
        lines = (out / f"{what}.jsonl").read_text(encoding="utf-8").splitlines()
        found[what] = (out / f"{what}.csv", [json.loads(line) for line in lines])
    # resolve copies the user's own columns, header included, and keeps negative numbers.
    points = [
        {"@name": p, "lat": lat, "lon": lon, "id": pid}
        for p, (lat, lon, pid) in zip(
            PAYLOADS,
            cycle([("-33.9", "18.4", "-42895313"), ("50.4501", "30.5234", "-1_2")]),
            strict=False,
        )
    ]
    table = out / "points.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(points[0]))
        writer.writeheader()
        writer.writerows(points)
    _cli("resolve", "--csv", str(table), "--out", str(out / "resolved.csv"))
    found["resolved"] = (out / "resolved.csv", points)
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def _defused(cell: str, original: str) -> bool:
    """The cell shows the original, prefixed with ' only where a spreadsheet would
    evaluate it; a plain number or VK id is left as it is."""
    return cell == original or (cell == "'" + original and original.startswith(FORMULA_START))


def test_csv_module_reads_back_every_row_defused(
    outputs: dict[str, tuple[Path, list[dict[str, Any]]]],
) -> None:
    seen = set()
    for name, (path, expected) in outputs.items():
        with path.open(encoding="utf-8", newline="") as f:
            header, *rows = list(csv.reader(f))
        assert len(rows) == len(expected), name  # no row split at a CR
        for row, want in zip(rows, expected, strict=True):
            cells = dict(zip(header, row, strict=True))
            for key, value in want.items():
                if key in ("raw", "evidence", "place"):
                    continue  # JSON in a cell: starts with { or [
                cell = cells[key if key in cells else "'" + key]
                assert _defused(cell, _text(value)), (name, key, cell, value)
                assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")), (name, key)
                seen.add(cell)
    # The payloads reached the files, and VK's negative ids are there as the JSONL has them.
    assert {"'" + p if p.startswith(FORMULA_START) else p for p in PAYLOADS} <= seen
    assert {"-42895313", "-42895313_128", "-33.9"} <= seen


ODF = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _odf_text(node: ET.Element) -> str:
    """A paragraph's text with ODF's tab, space-run and line-break elements spelt out."""
    parts = [node.text or ""]
    for child in node:
        tag = child.tag.rpartition("}")[2]
        if tag == "tab":
            parts.append("\t")
        elif tag == "s":
            parts.append(" " * int(child.get(f"{{{ODF['text']}}}c", "1")))
        elif tag == "line-break":
            parts.append("\n")
        else:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _fods_rows(path: Path) -> list[list[tuple[str, str | None]]]:
    """(text, formula) of every cell of a flat ODS spreadsheet, row by row."""
    ns = ODF
    rows = []
    for row in ET.parse(path).iter(f"{{{ns['table']}}}table-row"):
        cells = []
        for cell in row.findall("table:table-cell", ns):
            text = "\n".join(_odf_text(p) for p in cell.findall("text:p", ns))
            repeat = int(cell.get(f"{{{ns['table']}}}number-columns-repeated", "1"))
            cells += [(text, cell.get(f"{{{ns['table']}}}formula"))] * min(repeat, 64)
        rows.append(cells)
    return rows


def test_libreoffice_runs_no_formula_and_keeps_ids(
    outputs: dict[str, tuple[Path, list[dict[str, Any]]]], tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is absent: apt-get install libreoffice-calc-nogui")
    paths = [path for path, _ in outputs.values()]
    # Comma, double quote, UTF-8 (76), from line 1; the other options as LibreOffice's
    # defaults have them, which evaluate a cell starting with '=': the harsh case.
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "fods",
            "--outdir",
            str(tmp_path),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    for name, (path, expected) in outputs.items():
        header, *rows = _fods_rows(tmp_path / f"{path.stem}.fods")
        rows = [r for r in rows if any(text for text, _ in r)]
        assert len(rows) == len(expected), name
        names = [text for text, _ in header]
        for row, want in zip(rows, expected, strict=True):
            assert all(formula is None for _, formula in row), (name, row)
            cells = {n: text for n, (text, _) in zip(names, row, strict=False)}
            for key in ("text", "account_name", "media_path", "account_id", "post_id", "id"):
                if key in want and want[key] is not None:
                    original = _text(want[key]).replace("\r\n", "\n").replace("\r", "\n")
                    assert _defused(cells[key], original), (name, key, cells[key], original)
            if name == "resolved":
                assert _defused(cells["'@name"], want["@name"].replace("\r", "\n"))
                assert cells["lat"] == want["lat"]


def test_writer_quotes_every_line_break_and_defuses_the_rest() -> None:
    rows = [{"a": p, "b": n} for p, n in zip(PAYLOADS, cycle(["-42895313", -1.5]), strict=False)]
    rows.append({"a": "-inf", "b": float("-inf")})
    out = io.StringIO(newline="")
    assert write_csv(rows, out, ["a", "b"]) == len(rows)
    header, *back = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert header == ["a", "b"] and len(back) == len(rows)
    for (a, b), row in zip(back, rows, strict=True):
        assert a == ("'" + row["a"] if row["a"].startswith(FORMULA_START) else row["a"])
        assert b == ("'-inf" if row["b"] == float("-inf") else str(row["b"]))


def test_resolve_keeps_cells_past_the_header(tmp_path: Path) -> None:
    """A row longer than its header (a comma in an unquoted note) is kept, and said."""
    src = tmp_path / "points.csv"
    src.write_text("id,lat,lon\nkyiv,50.4501,30.5234,near, the river\nlviv,49.84,24.03\n")
    out = tmp_path / "placed.csv"
    _cli("resolve", "--csv", str(src), "--out", str(out))
    with out.open(encoding="utf-8", newline="") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["kyiv"]["country_de_jure"] == rows["lviv"]["country_de_jure"] == "UA"
    assert "row_extra_cells: ['near', ' the river']" in json.loads(rows["kyiv"]["flags"])
