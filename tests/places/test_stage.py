"""Places wired into the pipeline: every sighting gets one, and users' own tables too."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from tests.casekit import demo_copy

runner = CliRunner()


def test_every_sighting_of_an_ingest_gets_its_place(tmp_path: Path) -> None:
    case = tmp_path / "demo.case"
    summary = api.ingest([demo_copy(tmp_path / "photos")], case)
    rows = api.sightings(case)
    assert rows and summary.placed == len(rows)
    for row in rows:
        place = row["place"]
        assert place is not None and row["country_de_jure"] == place["country_de_jure"]
        assert place["timezone"], row
    by_country: dict[str, int] = {}
    for region in api.regions(case):
        by_country[region["country_de_jure"]] = (
            by_country.get(region["country_de_jure"], 0) + region["sightings"]
        )
    assert sum(by_country.values()) == len(rows)
    # The demo holds a photo taken in Beijing and one in Rio de Janeiro.
    assert by_country.get("CN") and by_country.get("BR")
    # A second ingest resolves nothing again.
    assert api.ingest([tmp_path / "photos"], case).placed == 0
    result = runner.invoke(app, ["regions", "--case", str(case)])
    assert result.exit_code == 0 and "CN" in result.output


def test_resolve_csv_keeps_every_row_and_flags_the_unreadable(tmp_path: Path) -> None:
    src = tmp_path / "points.csv"
    src.write_text(
        "id,lat,lon,radius_m\n"
        "kyiv,50.4501,30.5234,\n"
        "sevastopol,44.5888,33.5224,10000\n"
        "bad,north,30.5,\n"
        "kaliningrad,54.7104,20.4522,\n",
        encoding="utf-8",
    )
    out = tmp_path / "places.csv"
    result = runner.invoke(app, ["resolve", "--csv", str(src), "--out", str(out)])
    assert result.exit_code == 1, result.output  # one row had no readable position
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert list(rows) == ["kyiv", "sevastopol", "bad", "kaliningrad"]
    assert (rows["kyiv"]["country_de_jure"], rows["kyiv"]["admin1_code"]) == ("UA", "UA-30")
    assert rows["sevastopol"]["country_de_jure"] == "UA"
    assert rows["sevastopol"]["country_de_facto"] == "RU"
    assert json.loads(rows["sevastopol"]["radius_shares"])
    assert rows["kaliningrad"]["country_de_jure"] == "RU"
    assert rows["bad"]["country_de_jure"] == "" and "row_invalid" in rows["bad"]["flags"]


def test_resolve_csv_without_coordinates_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "points.csv"
    src.write_text("x,y\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["resolve", "--csv", str(src), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
