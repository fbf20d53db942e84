"""The layers of people on the map and in the KML export: a case of real GeoLife tracks and
a small table (Belgorod to Kharkiv, two accounts at one checkpoint, an account that posted
daily and then fell silent), through ``api.map`` and ``--format kml``; the page in a real
headless Chromium where one is installed."""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from tests.analysis.test_people_commands import table_case
from tests.analysis.trackkit import tracks_dir
from tests.browser import offline_page

KML = {"k": "http://www.opengis.net/kml/2.2"}
#: The silent account's home (Donetsk) and its daily posts: 120 days from 2022-01-01, far
#: past the scorer's 90 days and 20 gaps of history, then nothing for years.
HOME = (48.0159, 37.8029)
DAYS = 120
START = datetime(2022, 1, 1, 9, 0, tzinfo=UTC)


def people_rows() -> list[tuple[str, str, str, float, float, float]]:
    rows = [
        ("1", "2022-02-23T18:00:00Z", "soldier", 50.5997, 36.5983, 50.0),  # Belgorod
        ("2", "2022-02-24T03:00:00Z", "soldier", 50.4300, 36.6000, 50.0),  # near the border
        ("3", "2022-02-25T09:00:00Z", "soldier", 49.9935, 36.2304, 50.0),  # Kharkiv
        ("4", "2023-03-01T10:00:00Z", "alpha", 48.5950, 38.0000, 30.0),  # one checkpoint
        ("5", "2023-03-01T10:15:00Z", "bravo", 48.5955, 38.0005, 30.0),
    ]
    for day in range(DAYS):
        at = (START + timedelta(days=day, minutes=day % 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append((str(100 + day), at, "quiet", HOME[0], HOME[1], 30.0))
    return rows


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return table_case(tmp_path_factory.mktemp("people"), people_rows())


@pytest.fixture(scope="module")
def geolife(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("geolife")
    for user in ("000", "001"):
        shutil.copytree(tracks_dir() / "geolife_long" / user, folder / user)
    case = folder / "c.case"
    api.ingest([folder / "000", folder / "001"], case, executor="local")
    return case


def page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="geotrace-data">(.*?)</script>', html)
    assert found, "the page carries its data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def epoch(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_geolife_map_has_stays_legs_and_meetings(geolife: Path) -> None:
    out = io.StringIO()
    summary = api.map(geolife, out)
    people = page_data(out.getvalue())["people"]
    stays = api.stays(geolife)
    bases = api.stays(geolife, bases=True)
    legs = api.tracks(geolife)
    met = api.together(geolife)
    assert isinstance(stays, list) and isinstance(bases, list) and isinstance(legs, list)
    assert isinstance(met, list)
    # Dense GPS of two Beijing walkers: stays, bases, one meeting (they share a campus).
    assert stays and bases and len(met) == 1
    assert len(people["stays"]["w"]) == summary.stays == len(stays) + len(bases)
    assert sum(people["stays"]["base"]) == len(bases)
    assert sorted(people["stays"]["r"]) == sorted(round(r["radius_m"], 1) for r in stays + bases)
    # Only the impossible legs are a layer; the rest is the track line already drawn.
    flagged = [r for r in legs if r["flag"]]
    assert len(people["legs"]["w"]) == summary.flagged_legs == len(flagged) < len(legs) / 100
    assert all(k >= 200 for k in people["legs"]["kmh"])  # faster than road: over 200 km/h
    assert summary.meetings == 1
    assert sorted(
        people["who"][w] for w in (people["meetings"]["w"][0], people["meetings"]["w2"][0])
    ) == [
        "gps_track:000",
        "gps_track:001",
    ]
    # Each track's colour and filter: its own account on the page.
    names = page_data(out.getvalue())["accounts"]
    assert [names[k] for k in people["account"]] == [f"gps_track: {u}" for u in ("000", "001")]
    assert people["crossings"]["w"] == [] and people["silences"]["w"] == []  # Beijing, 2 days


def test_table_map_has_crossing_meeting_and_silence(table: Path) -> None:
    out = io.StringIO()
    summary = api.map(table, out)
    people = page_data(out.getvalue())["people"]
    who = people["who"]
    crossings = people["crossings"]
    texts = people["texts"]
    jure = [
        k for k in range(len(crossings["w"])) if texts[crossings["level"][k]] == "country, de jure"
    ]
    assert len(jure) == 1
    (k,) = jure
    assert who[crossings["w"][k]].endswith(":soldier")
    assert (texts[crossings["left"][k]], texts[crossings["entered"][k]]) == ("RU", "UA")
    # The window: from the last sighting in Russia to the first in Ukraine.
    assert crossings["t"][k] == epoch("2022-02-24T03:00:00Z")
    assert crossings["t2"][k] == epoch("2022-02-25T09:00:00Z")
    assert (crossings["lat2"][k], crossings["lon2"][k]) == (49.9935, 36.2304)
    assert summary.meetings == 1 and summary.crossings == len(crossings["w"])
    meeting = people["meetings"]
    assert sorted(who[meeting[s][0]].split(":")[1] for s in ("w", "w2")) == ["alpha", "bravo"]
    assert meeting["m"][0] < 100
    # Silence as of the case's last custody entry (years after the last daily post): only
    # "quiet" has the history to be scored, and its marker is at its last sighting.
    assert summary.silent == 1
    silences = people["silences"]
    assert who[silences["w"][0]].endswith(":quiet")
    assert (silences["lat"][0], silences["lon"][0]) == HOME
    last = START + timedelta(days=DAYS - 1, minutes=(DAYS - 1) % 7)
    assert silences["last"][0] == round(last.timestamp())
    assert silences["p"][0] < 0.002 and silences["gap"][0] > 365 * 86400
    assert people["as_of"] is not None and people["as_of"] > "2025"


def test_empty_case_map_has_empty_layers(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    case = tmp_path / "e.case"
    api.ingest([empty], case, executor="local")
    out = io.StringIO()
    summary = api.map(case, out)
    people = page_data(out.getvalue())["people"]
    assert summary.sightings == 0 and summary.stays == summary.silent == 0
    assert all(people[k]["w"] == [] for k in ("legs", "stays", "crossings", "meetings"))


def test_kml_format_carries_the_rows(table: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["crossings", "--case", str(table), "--format", "kml"])
    assert shown.exit_code == 0, shown.output
    root = ET.fromstring(shown.stdout)
    marks = root.findall(".//k:Placemark", KML)
    rows = api.crossings(table)
    assert isinstance(rows, list) and len(marks) == len(rows) >= 2
    first = marks[0]
    line = first.find(".//k:LineString/k:coordinates", KML)
    assert line is not None and line.text is not None
    # From the last sighting in Russia to the first in Ukraine, lon,lat.
    ends = [tuple(map(float, p.split(","))) for p in line.text.split()]
    assert ends == [(36.6, 50.43), (36.2304, 49.9935)]
    assert first.findtext("k:TimeSpan/k:begin", namespaces=KML) == "2022-02-24T03:00:00Z"
    data = {
        d.get("name"): d.findtext("k:value", namespaces=KML)
        for d in first.iter(f"{{{KML['k']}}}Data")
    }
    assert data["left_code"] == "RU" and data["entered_code"] == "UA"
    # A stay is its centre and its circle; a silence has no place and still a placemark.
    out = io.StringIO()
    api.stays(table, format="kml", output=out)
    stay = ET.fromstring(out.getvalue()).find(".//k:Placemark", KML)
    assert stay is not None
    assert stay.find(".//k:MultiGeometry/k:Point", KML) is not None
    assert stay.find(".//k:MultiGeometry/k:Polygon", KML) is not None
    out = io.StringIO()
    api.silence(table, as_of="2024-01-01T00:00:00Z", format="kml", output=out)
    silent = ET.fromstring(out.getvalue()).findall(".//k:Placemark", KML)
    assert len(silent) == 4  # one per account, with no geometry
    assert all(m.find("k:Point", KML) is None for m in silent)
    verdicts = sorted(
        d.findtext("k:value", namespaces=KML) or ""
        for m in silent
        for d in m.iter(f"{{{KML['k']}}}Data")
        if d.get("name") == "verdict"
    )
    assert verdicts == ["insufficient_history"] * 3 + ["silent"]


def test_people_layers_in_chromium(table: Path, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    with path.open("w", encoding="utf-8") as out:
        api.map(table, out)
    requests: list[str] = []
    with offline_page(requests, path) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        people = page.evaluate("() => window.geotraceMap.people")
        data = page_data(path.read_text("utf-8"))["people"]
        assert people == {k: len(data[k]["w"]) for k in people}
        assert people["crossings"] >= 2 and people["silences"] == 1
        page.click("#show-stays")  # a layer off: none of it shown, the others still
        assert page.evaluate("() => window.geotraceMap.people")["stays"] == 0
        assert page.evaluate("() => window.geotraceMap.people")["silences"] == 1
        # The silence marker's popup, by a real click on it.
        page.click("#show-circles")
        box = page.locator("#map").bounding_box()
        assert box is not None
        xy = page.evaluate("() => window.geotraceMap.eventPoint('silences', 0)")
        page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
        page.wait_for_selector(".gt-popup", timeout=5_000)
        assert page.evaluate("() => window.geotraceMap.event") == "silences:0"
        assert "quiet" in page.inner_text(".gt-popup")
        assert errors == []
    assert set(requests) == {path.as_uri()}
