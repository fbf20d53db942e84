"""The commands of people end to end: a case ingested from real tracks, histories and small
tables, then ``tracks``, ``stays``, ``crossings``, ``together``, ``silence``, ``subject``
through the API and the command line, with the JSON fields the checks read."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from tests.analysis.trackkit import tracks_dir

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpora"
COLUMNS = {
    "id": "id",
    "at": "at",
    "account": "account",
    "lat": "lat",
    "lon": "lon",
    "radius_m": "radius_m",
}


def table_case(tmp_path: Path, rows: list[tuple[str, str, str, float, float, float]]) -> Path:
    """A case of geotagged posts from a table: (id, at, account, lat, lon, radius_m)."""
    table = tmp_path / "posts.csv"
    with table.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "at", "account", "lat", "lon", "radius_m"])
        writer.writerows(rows)
    case = tmp_path / "c.case"
    api.ingest([table], case, columns=COLUMNS, executor="local")
    return case


@pytest.fixture(scope="module")
def geolife_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("geolife")
    shutil.copytree(tracks_dir() / "geolife_long" / "000", folder / "000")
    shutil.copytree(tracks_dir() / "geolife_long" / "001", folder / "001")
    case = folder / "c.case"
    api.ingest([folder / "000", folder / "001"], case, executor="local")
    return case


def expected_staypoints() -> dict[str, list[tuple[str, str]]]:
    """trackintel's staypoints of geolife_long (sliding, 25 m, 5 min; its test fixture,
    written before trackintel had a gap threshold: no gap)."""
    found: dict[str, list[tuple[str, str]]] = {}
    with (tracks_dir() / "geolife_long" / "sp_tpls.csv").open() as f:
        for row in csv.DictReader(f):
            if row["type"] == "staypoint":
                when = [
                    row[k].replace(" ", "T").replace("+00:00", "Z")
                    for k in ("started_at", "finished_at")
                ]
                found.setdefault(f"{int(row['user_id']):03d}", []).append((when[0], when[1]))
    return found


def test_stays_reproduce_trackintel_on_geolife(geolife_case: Path) -> None:
    rows = api.stays(geolife_case, distance_m=25, duration_s=300, gap_s=1e9)
    assert isinstance(rows, list)
    for user, expected in expected_staypoints().items():
        closed = [
            (r["first_utc"], r["last_utc"])
            for r in rows
            if r["account_id"] == user and not r["open"]
        ]
        assert closed == expected, user
    assert {"platform", "account_id", "lat", "lon", "radius_m", "first_utc", "last_utc"} <= set(
        rows[0]
    )


def test_commands_write_jsonl_and_geojson(geolife_case: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(
        app,
        [
            "stays",
            "--case",
            str(geolife_case),
            "--account",
            "000",
            "--distance-m",
            "25",
            "--duration-s",
            "300",
            "--format",
            "jsonl",
        ],
    )
    assert shown.exit_code == 0, shown.output
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert rows and {r["account_id"] for r in rows} == {"000"}
    legs = runner.invoke(app, ["tracks", "--case", str(geolife_case), "--format", "geojson"])
    assert legs.exit_code == 0, legs.output
    features = json.loads(legs.stdout)["features"]
    assert features[0]["geometry"]["type"] == "LineString"
    # Every leg joins consecutive sightings of one account: sightings - 1 legs per account.
    per = {r["account_id"] for r in (f["properties"] for f in features)}
    assert per == {"000", "001"}
    assert len(features) == 4241 - 2


def test_as_of_sees_nothing_after(geolife_case: Path) -> None:
    rows = api.stays(geolife_case, as_of="2008-10-24T00:00:00Z")
    assert isinstance(rows, list) and rows
    assert max(r["last_utc"] for r in rows) <= "2008-10-24T00:00:00Z"
    with pytest.raises(Exception, match="no zone"):
        api.stays(geolife_case, as_of="2008-10-24T00:00:00")


def test_belgorod_to_kharkiv_is_a_crossing_with_its_window(tmp_path: Path) -> None:
    case = table_case(
        tmp_path,
        [
            ("1", "2022-02-23T18:00:00Z", "soldier", 50.5997, 36.5983, 50.0),  # Belgorod
            ("2", "2022-02-24T03:00:00Z", "soldier", 50.4300, 36.6000, 50.0),  # near the border, RU
            ("3", "2022-02-25T09:00:00Z", "soldier", 49.9935, 36.2304, 50.0),  # Kharkiv
        ],
    )
    rows = api.crossings(case)
    assert isinstance(rows, list)
    jure = [r for r in rows if r["level"] == "country_de_jure"]
    assert [(r["left_code"], r["entered_code"]) for r in jure] == [("RU", "UA")]
    assert jure[0]["after_utc"] == "2022-02-24T03:00:00Z"
    assert jure[0]["before_utc"] == "2022-02-25T09:00:00Z"
    admin = [(r["left_code"], r["entered_code"]) for r in rows if r["level"] == "admin1"]
    assert admin == [("RU-BEL", "UA-63")]


def test_crimea_crosses_de_jure_not_de_facto(tmp_path: Path) -> None:
    case = table_case(
        tmp_path,
        [
            ("1", "2023-05-01T08:00:00Z", "driver", 47.2357, 39.7015, 100.0),  # Rostov-on-Don
            ("2", "2023-05-02T20:00:00Z", "driver", 44.9521, 34.1024, 100.0),  # Simferopol
        ],
    )
    rows = api.crossings(case)
    assert isinstance(rows, list)
    levels = {r["level"]: (r["left_code"], r["entered_code"]) for r in rows}
    assert levels["country_de_jure"] == ("RU", "UA")
    assert "country_de_facto" not in levels


def test_two_accounts_at_one_checkpoint_are_together(tmp_path: Path) -> None:
    case = table_case(
        tmp_path,
        [
            ("1", "2023-03-01T10:00:00Z", "alpha", 48.5950, 38.0000, 30.0),
            ("2", "2023-03-01T10:15:00Z", "bravo", 48.5955, 38.0005, 30.0),
            ("3", "2023-03-04T10:00:00Z", "charlie", 48.5950, 38.0000, 30.0),
        ],
    )
    rows = api.together(case)
    assert isinstance(rows, list)
    assert len(rows) == 1
    row = rows[0]
    assert sorted(row["accounts"]) == ["alpha", "bravo"]
    assert len(row["at_utc"]) == 2 and row["distance_m"] < 100
    out = io.StringIO()
    api.together(case, format="csv", output=out)
    assert "alpha" in out.getvalue()


def test_subject_route_from_many_witnesses(tmp_path: Path) -> None:
    case = table_case(
        tmp_path,
        [
            ("1", "2014-07-17T09:00:00Z", "witness_a", 47.9900, 37.8000, 50.0),
            ("2", "2014-07-17T12:00:00Z", "witness_b", 48.0100, 38.7500, 50.0),
            ("3", "2014-07-17T13:00:00Z", "witness_c", 48.0300, 38.7700, 50.0),
        ],
    )
    first = next(iter(api.posts(case)))["platform"]
    runner = CliRunner()
    done = runner.invoke(
        app, ["subject", "add", "launcher", f"{first}:1", f"{first}:2", "--case", str(case)]
    )
    assert done.exit_code == 0, done.output
    legs = api.tracks(case, account="launcher")
    assert isinstance(legs, list) and len(legs) == 1
    assert (legs[0]["from_witness"], legs[0]["to_witness"]) == (
        f"{first}:witness_a",
        f"{first}:witness_b",
    )
    bad = runner.invoke(app, ["subject", "add", "launcher", "no-such-post", "--case", str(case)])
    assert bad.exit_code == 2


def test_silence_of_real_histories(tmp_path: Path) -> None:
    source = SHARED / "histories" / "timlinux_tweet-headers.js"
    if not source.is_file():
        pytest.skip(f"needs {source}")
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(source, folder / "tweet-headers.js")
    case = tmp_path / "c.case"
    api.ingest([folder], case, executor="local")
    now = api.silence(case, as_of="2023-12-31T00:00:00Z")
    assert isinstance(now, list) and len(now) == 1
    row = now[0]
    assert {"platform", "account_id", "last_post_utc", "gap_s", "p", "verdict"} <= set(row)
    assert row["verdict"] in ("silent", "ordinary", "insufficient_history")
    past = api.silence(case, as_of="2023-12-31T00:00:00Z", history=True)
    assert isinstance(past, list) and past and all("p" in r for r in past)


def test_links_join_two_files_of_one_camera(tmp_path: Path) -> None:
    photos = SHARED / "photos" / "jpeg"
    names = ["elodie__with-location.jpg", "elodie__with-location-inv.jpg", "exiftool__Canon.jpg"]
    if not all((photos / n).is_file() for n in names):
        pytest.skip(f"needs {photos}")
    for name in names:
        shutil.copy(photos / name, tmp_path / name)
    case = tmp_path / "c.case"
    api.ingest([tmp_path / n for n in names], case, executor="local")
    rows = api.links(case)
    assert isinstance(rows, list)
    cameras = [r for r in rows if r["kind"] == "same_camera"]
    assert len(cameras) == 1
    assert sorted(Path(f["path"]).name for f in cameras[0]["files"]) == sorted(names[:2])
    assert cameras[0]["value"].endswith("body:1823901365")


def test_impossible_legs_are_the_flagged_ones(geolife_case: Path) -> None:
    every = api.tracks(geolife_case)
    flagged = api.tracks(geolife_case, impossible=True)
    assert isinstance(every, list) and isinstance(flagged, list)
    assert flagged == [leg for leg in every if leg["flag"]]
    assert 0 < len(flagged) < len(every)
