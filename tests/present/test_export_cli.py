"""The command line end to end on the bundled demo, and the sightings writers."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from geotrace.places.queries import SIGHTING_FIELDS
from geotrace.present.geojson import write_geojson
from geotrace.present.table import write_csv, write_jsonl
from tests.casekit import DEMO, demo_copy

runner = CliRunner()
PUBLIC_KEYS = {"path", "sha256", "kind", "mime", "gps", "taken", "device", "problems"}


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SIGHTING_FIELDS)
    row.update(id=1, lat=48.5, lon=37.9, radius_m=50.0, method="exif_gps", evidence={"tags": []})
    row.update(changes)
    return row


def check_geojson(doc: dict[str, Any]) -> None:
    """The parts of RFC 7946 a sightings file uses: Points, [lon, lat], in range."""
    assert doc["type"] == "FeatureCollection"
    for f in doc["features"]:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = f["properties"]
        assert (props["lon"], props["lat"]) == (lon, lat)
        assert props["radius_m"] > 0 and props["method"] and "evidence" in props


def test_geojson_writer_puts_lon_first() -> None:
    out = io.StringIO()
    assert write_geojson([_row(), _row(id=2, lat=-33.4, lon=-70.6)], out) == 2
    doc = json.loads(out.getvalue())
    check_geojson(doc)
    assert doc["features"][1]["geometry"]["coordinates"] == [-70.6, -33.4]
    empty = io.StringIO()
    write_geojson([], empty)
    assert json.loads(empty.getvalue()) == {"type": "FeatureCollection", "features": []}


def test_csv_writer_defuses_formulas_and_keeps_a_header() -> None:
    out = io.StringIO()
    write_csv([_row(media_path='=HYPERLINK("http://x")', lat=-1.5)], out, SIGHTING_FIELDS)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["media_path"].startswith("'=")
    assert row["lat"] == "-1.5"
    assert json.loads(row["evidence"]) == {"tags": []}
    empty = io.StringIO()
    write_csv([], empty, SIGHTING_FIELDS)
    assert empty.getvalue().strip() == ",".join(SIGHTING_FIELDS)


def test_jsonl_writer() -> None:
    out = io.StringIO()
    write_jsonl([_row(), _row(id=2)], out)
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [1, 2]


@pytest.fixture()
def ingested(tmp_path: Path) -> Path:
    case = tmp_path / "demo.case"
    result = runner.invoke(
        app, ["ingest", str(demo_copy(tmp_path / "photos")), "--case", str(case)]
    )
    assert result.exit_code == 0, result.output
    assert "new sightings" in result.output
    return case


def test_sightings_in_three_formats(ingested: Path, tmp_path: Path) -> None:
    with sqlite3.connect(ingested) as db:
        (n,) = db.execute("SELECT count(*) FROM sightings").fetchone()
    assert n >= 4  # the demo holds four photos and a video with a usable fix
    geo = tmp_path / "s.geojson"
    result = runner.invoke(
        app, ["sightings", "--case", str(ingested), "--format", "geojson", "-o", str(geo)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(geo.read_text())
    check_geojson(doc)
    assert len(doc["features"]) == n
    beijing = [f for f in doc["features"] if "goexif__sample1" in f["properties"]["media_path"]]
    assert beijing and beijing[0]["geometry"]["coordinates"] == pytest.approx(
        [116.39083, 39.91556], abs=1e-4
    )
    assert {f["properties"]["method"] for f in doc["features"]} >= {"exif_gps", "video_gps"}

    table = runner.invoke(app, ["sightings", "--case", str(ingested), "--format", "csv"])
    assert table.exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(table.stdout)))) == n

    lines = runner.invoke(app, ["sightings", "--case", str(ingested), "--format", "jsonl"])
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert len(records) == n and set(records[0]) == set(SIGHTING_FIELDS)


def test_inspect_json_is_one_public_object_per_line() -> None:
    result = runner.invoke(app, ["inspect", "--json", str(DEMO)])
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == len(list(DEMO.iterdir()))
    assert all(set(o) == PUBLIC_KEYS for o in objects)
    with_gps = [o for o in objects if o["gps"] is not None]
    assert len(with_gps) >= 5


def test_inspect_table_lists_every_file() -> None:
    result = runner.invoke(
        app, ["inspect", str(DEMO / "goexif__sample1.jpg")], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert "goexif__sample1.jpg" in result.stdout and "39.915" in result.stdout


def test_exit_codes(ingested: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["verify", "--case", str(ingested)]).exit_code == 0
    stored = next(p for p in (tmp_path / "demo.case.media").rglob("*") if len(p.name) == 64)
    os.chmod(stored, 0o644)
    stored.write_bytes(b"tampered")
    result = runner.invoke(app, ["verify", "--case", str(ingested)])
    assert result.exit_code == 1 and "altered" in result.stdout
    missing = runner.invoke(app, ["verify", "--case", str(tmp_path / "nope.case")])
    assert missing.exit_code == 2
    assert (
        runner.invoke(app, ["sightings", "--case", str(ingested), "--format", "shp"]).exit_code == 2
    )
    skipped = runner.invoke(app, ["ingest", str(tmp_path / "absent"), "--case", str(ingested)])
    assert skipped.exit_code == 1 and "not_found" in skipped.stdout


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled photos and exports, as `make demo` ingests them."""
    case = tmp_path_factory.mktemp("demo") / "demo.case"
    api.ingest([DEMO, DEMO.parent / "exports"], case)
    return case


def test_tables_are_whole_when_stdout_is_not_a_terminal(demo_case: Path) -> None:
    """CliRunner's stdout is not a terminal, as in a pipe, make demo or CI logs: Rich cut
    every table to 80 columns there (`2015-12-05T…`)."""
    photo = DEMO / "goexif__sample1.jpg"
    shown = runner.invoke(app, ["inspect", str(photo)]).stdout
    (read,) = [json.loads(line) for line in api.inspect_json([photo])]
    assert read["taken"]["utc"][:19] in shown and "…" not in shown
    assert any(str(photo) in line for line in shown.splitlines())  # the path on one line
    listed = runner.invoke(app, ["accounts", "--case", str(demo_case)]).stdout
    assert "…" not in listed
    for account in api.accounts(demo_case):
        assert f" {account['platform']} " in listed and f" {account['account_id']} " in listed
    regions = runner.invoke(app, ["regions", "--case", str(demo_case)]).stdout
    assert "…" not in regions
    for region in api.regions(demo_case):
        assert region["first_utc"] is None or region["first_utc"] in regions


def test_a_row_without_a_country_says_why(demo_case: Path, tmp_path: Path) -> None:
    """The demo's swapped tweet geotag (88.0 N, 42.8 E: the Arctic Ocean) showed as a
    `– / ?` country row with no reason, in regions and in the report."""
    unplaced = [r for r in api.regions(demo_case) if not r["country_de_jure"]]
    assert [r["not_placed"] for r in unplaced] == [
        "not placed: at sea or in a lake (nearest land: GL); flagged latlon_swapped_suspect"
    ]
    assert all(r["not_placed"] is None for r in api.regions(demo_case) if r["country_de_jure"])
    shown = runner.invoke(app, ["regions", "--case", str(demo_case)]).stdout
    assert unplaced[0]["not_placed"] in shown
    report = tmp_path / "report.html"
    with report.open("w", encoding="utf-8") as out:
        api.report(demo_case, out)
    assert "not placed: at sea or in a lake (nearest land: GL)" in report.read_text()


def test_help_summaries_are_whole_sentences_on_one_line() -> None:
    """Rich kept a docstring's line breaks and wrapped again at 80 columns, breaking the
    command list mid-sentence (`KML (with` / `times, ...`)."""
    shown = runner.invoke(app, ["--help"]).stdout
    for command in app.registered_commands:
        summary = (command.callback.__doc__ or "").split("\n\n")[0].strip()
        assert "\n" not in summary and summary.endswith("."), summary
        assert any(summary in line for line in shown.splitlines()), summary
        name = command.name or command.callback.__name__.rstrip("_")
        detail = runner.invoke(app, [name, "--help"])
        assert detail.exit_code == 0 and summary in detail.stdout


def test_a_summary_is_one_line_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    """Rich cut every printed line at 80 columns off a terminal: the ingest summary came out
    in two pieces in make demo, pipes and CI logs."""
    case = tmp_path / "c.case"
    done = CliRunner().invoke(
        app, ["ingest", str(demo_copy(tmp_path / "photos")), "--case", str(case)]
    )
    first = done.stdout.splitlines()[0]
    assert len(first) > 80
    assert "files read" in first and first.endswith("skipped")
