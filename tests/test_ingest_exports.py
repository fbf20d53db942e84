"""Platform exports through the whole pipeline: document kept, posts streamed into the
case, geotags become sightings with their places, re-ingest adds only what is new,
a kill between batches loses nothing, files a post names are kept only inside what the
user gave, and the ``posts``/``accounts`` commands answer from the case."""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import geotrace.ingest_export as ingest_export
import geotrace.store.case as case_module
from geotrace import api
from geotrace.cli import app
from geotrace.ingest import ingest
from geotrace.pipeline import registry
from geotrace.sources import registry as reader_registry
from geotrace.sources import vk
from geotrace.sources.base import ExportFile
from geotrace.sql import MigrationSet
from geotrace.store.case import Case
from geotrace.store.core import CORE
from tests.casekit import REPO, counts, demo_copy, duplicates, has_schema, integrity
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
VK = EXPORTS / "vk_api_json"
WALL_GEO = "vknet_Wall_Get_Geo_NormalCase.json"


def _vk_folder(tmp_path: Path) -> Path:
    require_shared(EXPORTS)
    folder = tmp_path / "vk"
    shutil.copytree(VK, folder)
    return folder


def _db(case: Path) -> sqlite3.Connection:
    return sqlite3.connect(case)


def test_a_repost_geotag_places_the_original_author_not_the_reposter(tmp_path: Path) -> None:
    case = tmp_path / "inv.case"
    summary = api.ingest([_vk_folder(tmp_path) / WALL_GEO], case)
    assert summary.exports == 1 and summary.new_posts == 2
    with _db(case) as db:
        rows = db.execute(
            "SELECT p.post_id, a.account_id, s.lat, s.lon, s.method, s.at_utc, pl.country_de_jure"
            " FROM sightings s JOIN posts p ON p.id = s.post JOIN accounts a ON a.id = p.account"
            " JOIN places pl ON pl.sighting_id = s.id"
        ).fetchall()
        assert rows == [
            (
                "-42895313_128",
                "-42895313",
                47.282735079717,
                39.697793677442,
                "platform_geotag",
                "2014-04-19T13:45:46Z",
                "RU",
            )
        ]
        link = db.execute(
            "SELECT p.post_id, l.kind, l.target_post FROM links l JOIN posts p ON p.id = l.post"
        ).fetchall()
        assert link == [("1563369_1164", "repost_of", "-42895313_128")]
    by_account = {a["account_id"]: a for a in api.accounts(case)}
    assert by_account["-42895313"]["sightings"] == 1
    assert by_account["1563369"]["sightings"] == 0
    # the document itself is an original of the case, and the posts point at it
    with _db(case) as db:
        (kind, reader) = db.execute("SELECT kind, reader_version FROM media").fetchone()
    assert kind == "export" and reader.startswith("vk_api/")


def test_reingest_and_a_newer_export_add_only_what_is_new(tmp_path: Path) -> None:
    folder = _vk_folder(tmp_path)
    whole = json.loads((folder / WALL_GEO).read_text("utf-8-sig"))
    older = json.loads(json.dumps(whole))
    older["response"]["items"] = []  # an export made before the repost was made
    first = tmp_path / "older" / "wall.json"
    first.parent.mkdir()
    first.write_text(json.dumps(older), "utf-8")
    case = tmp_path / "inv.case"
    api.ingest([first], case)
    before = counts(case)
    assert before["posts"] == 0
    again = api.ingest([first], case)
    assert again.new_posts == 0 and counts(case) == before
    newer = api.ingest([folder / WALL_GEO], case)
    assert newer.new_posts == 2
    once_more = api.ingest([folder / WALL_GEO], case)
    assert once_more.new_posts == 0 and once_more.posts == 0  # not even read again
    assert duplicates(case) == 0


def test_a_kill_between_batches_is_finished_by_the_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _vk_folder(tmp_path)
    case = tmp_path / "inv.case"
    complete = tmp_path / "complete.case"
    api.ingest([folder], complete)

    import geotrace.ingest_export as ie

    monkeypatch.setattr(ie, "POST_BATCH", 1)
    calls = {"n": 0}
    real = Case.put_posts

    def dies_on_third(self: Case, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as a kill would: nothing after this runs
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Case, "put_posts", dies_on_third)
    with pytest.raises(KeyboardInterrupt), Case(case, write=True) as opened:
        ingest(opened, [folder])
    monkeypatch.setattr(Case, "put_posts", real)
    with _db(case) as db:
        marks = db.execute("SELECT count(*) FROM media WHERE reader_version LIKE '%+incomplete'")
        assert marks.fetchone()[0] == 1
    api.ingest([folder], case)
    assert integrity(case) == "ok" and duplicates(case) == 0
    assert counts(case)["posts"] == counts(complete)["posts"]
    assert counts(case)["sightings"] == counts(complete)["sightings"]
    with _db(case) as db:
        marks = db.execute("SELECT count(*) FROM media WHERE reader_version LIKE '%+incomplete'")
        assert marks.fetchone()[0] == 0


def test_an_export_inside_a_zip_is_read_from_its_member(tmp_path: Path) -> None:
    folder = _vk_folder(tmp_path)
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / WALL_GEO, f"vk/{WALL_GEO}")
    case = tmp_path / "inv.case"
    summary = api.ingest([archive], case)
    assert summary.new_posts == 2
    (post,) = [p for p in api.posts(case) if p["post_id"] == "-42895313_128"]
    assert post["source"] == f"{archive}!/vk/{WALL_GEO}"


def test_migrating_a_version_2_case_keeps_sightings_and_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = demo_copy(tmp_path / "photos")
    case = tmp_path / "old.case"
    with monkeypatch.context() as old_schema:  # a case written by the version-2 code
        old_schema.setattr(case_module, "CORE", MigrationSet("core", CORE.steps[:1]))
        places_alone = tuple(s for s in registry.BUILTIN if s.startswith("geotrace.places"))
        old_schema.setattr(registry, "BUILTIN", places_alone)
        old_schema.setattr(Case, "_put_sighting", _v2_put_sighting)
        old_schema.setattr(Case, "ensure_indexes", lambda self: None)  # no posts in v2
        with Case(case, write=True) as opened:
            ingest(opened, [photos])
    with _db(case) as db:  # its bookkeeping as the numbered migrations kept it
        db.execute("DROP TABLE migrations")
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        db.execute("INSERT INTO schema_version VALUES (1, 'then'), (2, 'then')")
        before = db.execute(
            "SELECT id, media_sha256, lat, lon FROM sightings ORDER BY id"
        ).fetchall()
        placed = db.execute("SELECT count(*) FROM places").fetchone()[0]
    assert before and placed == len(before)
    with Case(case, write=True):
        pass  # opening for writing migrates the core
    redone = api.run(["places", "fingerprints", "pairs"], case)  # and a stage, its own
    assert redone[0].done == 0  # the places of version 2 are current: none recomputed
    with _db(case) as db:
        after = db.execute(
            "SELECT id, media_sha256, lat, lon FROM sightings ORDER BY id"
        ).fetchall()
        assert db.execute("SELECT count(*) FROM places").fetchone()[0] == placed
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert has_schema(case)
    assert after == before and integrity(case) == "ok"
    reference = tmp_path / "new.case"
    api.ingest([photos], reference)
    migrated, fresh = api.sightings(case), api.sightings(reference)
    assert [(s["media_sha256"], s["place"]) for s in migrated] == [
        (s["media_sha256"], s["place"]) for s in fresh
    ]


def _v2_put_sighting(self: Case, s: object, post: int | None = None) -> bool:
    """The version-2 insert (no ``post`` column), for building an old case."""
    from geotrace.records import Sighting, iso

    assert isinstance(s, Sighting)
    cur = self.db.execute(
        "INSERT OR IGNORE INTO sightings (media_sha256, method, lat, lon, alt_m, radius_m,"
        " at_utc, at_local, time_basis, time_uncertainty_s, confidence, evidence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            s.media_sha256,
            s.method,
            s.lat,
            s.lon,
            s.alt_m,
            s.radius_m,
            iso(s.at_utc),
            iso(s.at_local),
            s.time_basis,
            s.time_uncertainty_s,
            s.confidence,
            json.dumps(s.evidence),
        ),
    )
    return cur.rowcount == 1


def test_posts_and_accounts_commands(tmp_path: Path) -> None:
    folder = _vk_folder(tmp_path)
    case = tmp_path / "inv.case"
    api.ingest([folder], case)
    runner = CliRunner()
    every = runner.invoke(app, ["posts", "--case", str(case)])
    assert every.exit_code == 0, every.output
    lines = [json.loads(line) for line in every.stdout.splitlines()]
    assert len(lines) == counts(case)["posts"]
    times = [p["posted_utc"] for p in lines]
    assert times == sorted(times)
    assert all("raw" in p for p in lines)
    one = runner.invoke(
        app,
        ["posts", "--case", str(case), "--account", "-42895313", "--format", "csv"],
    )
    assert one.exit_code == 0, one.output
    rows = list(csv.DictReader(io.StringIO(one.stdout)))
    # a VK id is not a formula: written as it is, it joins with the JSONL export
    assert [r["post_id"] for r in rows] == ["-42895313_128"]
    assert rows[0]["text"].startswith("Мы оформляем храм")
    day = runner.invoke(
        app, ["posts", "--case", str(case), "--since", "2014-04-19", "--until", "2014-04-19"]
    )
    ids = sorted(json.loads(line)["post_id"] for line in day.stdout.splitlines())
    assert ids == ["-42895313_128", "1563369_1164"]
    bad = runner.invoke(app, ["posts", "--case", str(case), "--since", "yesterday"])
    assert bad.exit_code == 2
    table = runner.invoke(app, ["accounts", "--case", str(case), "--json"])
    assert table.exit_code == 0
    accounts = [json.loads(line) for line in table.stdout.splitlines()]
    assert sum(a["posts"] for a in accounts) == len(lines) - _posts_without_author(case)


def _posts_without_author(case: Path) -> int:
    with _db(case) as db:
        return int(db.execute("SELECT count(*) FROM posts WHERE account IS NULL").fetchone()[0])


def test_files_named_by_posts_stay_inside_what_was_given(tmp_path: Path) -> None:
    """A result.json naming ``../secret.jpg`` must not pull that file into the case."""
    require_shared(EXPORTS)
    sample = EXPORTS / "telegram_desktop_json" / "chm_telegram_2023-10_audio-video.result.json"
    data = json.loads(sample.read_text("utf-8"))
    export = tmp_path / "export"
    (export / "files").mkdir(parents=True)
    secret = tmp_path / "secret.jpg"
    shutil.copy(next((Path(__file__).parents[1] / "demo" / "photos").glob("*.jpg")), secret)
    inside = export / "files" / "inside.jpg"
    shutil.copy(secret, inside)
    messages = data["chats"]["list"][0]["messages"]
    messages[0]["file"] = "../../secret.jpg"
    messages[1]["file"] = "files/inside.jpg"
    (export / "result.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    case = tmp_path / "inv.case"
    summary = api.ingest([export / "result.json"], case)
    assert summary.media_linked >= 1
    with _db(case) as db:
        paths = {p for (p,) in db.execute("SELECT path FROM sources")}
        media = dict(db.execute("SELECT ref, coalesce(sha256, missing) FROM post_media"))
    assert str(inside) in paths and str(secret) not in paths
    assert media["../../secret.jpg"].startswith("not read")
    assert len(media["files/inside.jpg"]) == 64


def test_reading_in_a_second_process_gives_the_same_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large documents are read in a forked child (ingest_export._forked); the case it
    writes must be the one the in-process path writes, row for row."""
    folder = _vk_folder(tmp_path)
    inline, forked = tmp_path / "inline.case", tmp_path / "forked.case"
    api.ingest([folder], inline)
    monkeypatch.setattr(ingest_export, "FORK_FROM", 0)
    monkeypatch.setattr(ingest_export, "POST_BATCH", 2)  # several batches cross the pipe
    api.ingest([folder], forked)
    assert counts(forked) == counts(inline)
    strip = ("source",)
    assert [{k: v for k, v in p.items() if k not in strip} for p in api.posts(forked)] == [
        {k: v for k, v in p.items() if k not in strip} for p in api.posts(inline)
    ]


@pytest.mark.parametrize("fork_from", [0, 2**60])
def test_a_reader_that_crashes_costs_its_document_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork_from: int
) -> None:
    folder = _vk_folder(tmp_path)
    (folder / "photo.jpg").write_bytes(next((REPO / "demo" / "photos").glob("*.jpg")).read_bytes())

    def broken(doc: ExportFile) -> Iterator[Any]:
        yield from ()
        raise RuntimeError("reader bug")

    patched = tuple(
        replace(r, read=broken) if r in vk.READERS else r for r in reader_registry.readers()
    )
    monkeypatch.setattr(reader_registry, "readers", lambda: patched)
    monkeypatch.setattr(ingest_export, "FORK_FROM", fork_from)
    case = tmp_path / "inv.case"
    summary = api.ingest([folder], case)
    assert summary.exit_code == 1
    assert summary.problems["unreadable"] == summary.exports  # every VK document
    assert counts(case)["posts"] == 0
    with _db(case) as db:
        kinds = {k for (k,) in db.execute("SELECT kind FROM media")}
    assert "image" in kinds  # the rest of the folder was still read


def test_a_run_killed_during_a_bulk_load_gets_its_index_back(tmp_path: Path) -> None:
    """A large export drops the posts' account index while it loads; the next ingest,
    whatever it holds, builds it again."""
    case = tmp_path / "inv.case"
    with Case(case, write=True) as opened:
        opened.bulk_posts()  # as a run killed mid-export would leave it
    api.ingest([demo_copy(tmp_path / "photos")], case)
    with _db(case) as db:
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "posts_account" in names


def test_a_bulk_load_checks_its_foreign_keys_once_at_the_end(tmp_path: Path) -> None:
    """A bulk load writes with foreign keys off (a third of the write cost); a row that
    points nowhere is still caught, by the one check that builds the index again, and
    the keys are enforced row by row again after it."""
    with Case(tmp_path / "fk.case", write=True) as opened:
        opened.bulk_posts()
        with opened.db:
            opened.db.execute(
                "INSERT INTO links (post, kind, target_post, target_account, target_name)"
                " VALUES (4242, 'reply_to', 'x/1', '', '')"
            )
        with pytest.raises(sqlite3.IntegrityError, match="links row"):
            opened.ensure_indexes()
        opened.db.execute("DELETE FROM links")
        opened.ensure_indexes()
        assert opened.db.execute("PRAGMA foreign_keys").fetchone() == (1,)
        with pytest.raises(sqlite3.IntegrityError):
            opened.db.execute(
                "INSERT INTO links (post, kind, target_post, target_account, target_name)"
                " VALUES (4242, 'reply_to', 'x/1', '', '')"
            )


# -- documents stored but not read (issue 15, point 3) ---------------------------------------

ARCHIVE = EXPORTS / "twitter_archive"
HISTORIES = SHARED / "corpora" / "histories"
TRACKS = SHARED / "corpora" / "tracks" / "trackintel"
#: milahu104's account id, from the archive's own README.
MILAHU = "1964312974236991488"


def _archive_parts(folder: Path) -> tuple[Path, Path, dict[str, str]]:
    """An X archive's ``data/tweets.js`` (the real deleted-tweets bytes under the tweets
    global) and its ``data/tweet-headers.js``: a header for each tweet, plus one real
    header of a tweet the archive does not hold.  Returns both and each tweet's text."""
    require_shared(ARCHIVE)
    data = folder / "data"
    data.mkdir(parents=True)
    raw = (ARCHIVE / "milahu104_deleted-tweets.js").read_bytes()
    tweets = data / "tweets.js"
    tweets.write_bytes(raw.replace(b"window.YTD.deleted_tweets.part0", b"window.YTD.tweets.part0"))
    items = json.loads(raw.split(b"=", 1)[1])
    texts = {i["tweet"]["id_str"]: html.unescape(i["tweet"]["full_text"]) for i in items}
    headers = [
        {"tweet": {"tweet_id": i["tweet"]["id_str"], "user_id": MILAHU, "created_at": c}}
        for i in items
        if (c := i["tweet"]["created_at"])
    ]
    other = (HISTORIES / "larsbrinkhoff_tweet-headers.js").read_bytes()
    headers.append(json.loads(other.split(b"=", 1)[1])[0])
    path = data / "tweet-headers.js"
    path.write_text("window.YTD.tweet_headers.part0 = " + json.dumps(headers, indent=2))
    return tweets, path, texts


@pytest.mark.parametrize("headers_first", [True, False])
def test_tweet_headers_and_full_tweets_are_one_post_either_order(
    tmp_path: Path, headers_first: bool
) -> None:
    tweets, headers, texts = _archive_parts(tmp_path / "archive")
    case = tmp_path / "inv.case"
    for path in (headers, tweets) if headers_first else (tweets, headers):
        assert api.ingest([path], case).exit_code == 0
    with _db(case) as db:
        rows = db.execute(
            "SELECT p.post_id, p.kind, p.text, a.account_id, p.time_basis FROM posts p"
            " LEFT JOIN accounts a ON a.id = p.account"
        ).fetchall()
    assert len(rows) == len(texts) + 1  # one post per tweet id, and the header-only one
    full = {post_id: (kind, text, author) for post_id, kind, text, author, _ in rows}
    for post_id, text in texts.items():
        assert full[post_id] == ("tweet", text, MILAHU)
    (alone,) = [r for r in rows if r[0] not in texts]
    assert alone[1:] == ("header", "", "3128746474", "platform_utc")


def test_documents_no_reader_claims_are_kept_and_said(tmp_path: Path) -> None:
    folder = _vk_folder(tmp_path)  # holds vknet_Models_Geo.json, a bare geo object
    shutil.copy(ARCHIVE / "milahu104_account-timezone.js", folder)
    shutil.copy(TRACKS / "geolife" / "geolife_staypoints.csv", folder)
    case = tmp_path / "inv.case"
    summary = api.ingest([folder], case)
    assert summary.problems["export_unrecognised"] == 3
    assert summary.exit_code == 1
    with _db(case) as db:
        said = dict(
            db.execute(
                "SELECT path, message FROM problems WHERE code = 'export_unrecognised'"
            ).fetchall()
        )
        kept = {Path(p).name for (p,) in db.execute("SELECT first_path FROM media")}
    names = {Path(p).name: m for p, m in said.items()}
    assert set(names) == {
        "vknet_Models_Geo.json",
        "milahu104_account-timezone.js",
        "geolife_staypoints.csv",
    }
    assert set(names) <= kept  # still kept as originals
    assert names["vknet_Models_Geo.json"].startswith("JSON document not recognised")
    assert "tried: telegram_desktop" in names["milahu104_account-timezone.js"]
    assert "ingest --columns" in names["geolife_staypoints.csv"]
    again = api.ingest([folder], case)  # still not read: said again, no duplicate problem
    assert again.problems["export_unrecognised"] == 3 and again.exit_code == 1
    assert duplicates(case) == 0


# -- a user's own table (issue 15, point 13) -------------------------------------------------

GEOLIFE = TRACKS / "geolife" / "000" / "Trajectory" / "20081024020959.plt"


def _geolife_csv(dest: Path) -> tuple[Path, list[list[str]]]:
    """The real GeoLife track as a CSV: its 6 header lines dropped, date and time joined
    (GeoLife writes them in UTC, its README says, with no zone in the cells)."""
    lines = require_shared(GEOLIFE).read_text().splitlines()[6:]
    fixes = [line.split(",") for line in lines if line.strip()]
    with dest.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Latitude", "Longitude", "Altitude ft", "When"])
        out.writerows(
            [[lat, lon, alt, f"{day} {clock}"] for lat, lon, _, alt, _, day, clock in fixes]
        )
    return dest, fixes


def _table_posts(case: Path) -> list[tuple[Any, ...]]:
    with _db(case) as db:
        return db.execute(
            "SELECT p.post_id, p.posted_utc, p.posted_local, p.time_basis, a.account_id,"
            " s.lat, s.lon, s.radius_m, s.time_basis FROM posts p"
            " LEFT JOIN accounts a ON a.id = p.account LEFT JOIN sightings s ON s.post = p.id"
            " ORDER BY p.id"
        ).fetchall()


def test_a_geolife_track_is_read_with_columns_and_a_stated_zone(tmp_path: Path) -> None:
    track, fixes = _geolife_csv(tmp_path / "track.csv")
    runner = CliRunner()
    case = tmp_path / "utc.case"
    args = [
        "ingest",
        str(track),
        "--case",
        str(case),
        "--columns",
        "lat=Latitude,lon=Longitude,at=When",
    ]
    done = runner.invoke(app, [*args, "--tz", "UTC"])
    assert done.exit_code == 0, done.output
    rows = _table_posts(case)
    assert len(rows) == len(fixes)
    lat, lon, _, _, _, day, clock = fixes[0]
    assert rows[0][0] == "track.csv#line 2"
    assert rows[0][1] == f"{day}T{clock}Z" and rows[0][3] == "user_stated_zone"
    assert (rows[0][5], rows[0][6], rows[0][7]) == (float(lat), float(lon), 50.0)
    assert {r[8] for r in rows} == {"user_stated_zone"}
    # No --tz: the wall time is read in the zone of the fix itself (Beijing, UTC+8).
    local = tmp_path / "local.case"
    assert runner.invoke(app, [*args[:3], str(local), *args[4:]]).exit_code == 0
    first = _table_posts(local)[0]
    assert first[3] == "location_timezone" and first[8] == "location_timezone"
    beijing = datetime.fromisoformat(f"{day}T{clock}") - timedelta(hours=8)
    assert first[1] == beijing.isoformat() + "Z"
    assert first[2] == f"{day}T{clock}"
    again = runner.invoke(app, [*args, "--tz", "UTC"])  # the same table again adds nothing
    assert again.exit_code == 0 and len(_table_posts(case)) == len(fixes)


INCIDENTS = (
    "Incident;Date;Latitude;Longitude;Unit;Accuracy;Description\n"
    "I-1;2022-03-01T10:15:00+02:00;47.0951;37.5413;1st Bn;500;Strike reported\n"
    "I-2;2022-03-01 12:00;47.0960;37.5500;1st Bn;;Convoy seen\n"
    "I-3;1646139600;47.1;37.6;2nd Bn;2000;Unix seconds\n"
    "I-4;2022-03-02 09:00;147.1;37.6;2nd Bn;100;Latitude typed wrong\n"
    "I-5;yesterday;47.1;37.6;2nd Bn;100;No time\n"
    "I-6;2022-03-02 09:00;47.1;37.6;2nd Bn;-5;Bad radius\n"
)


def test_an_incident_spreadsheet_with_a_stated_zone_and_bad_rows(tmp_path: Path) -> None:
    sheet = tmp_path / "incidents.csv"
    sheet.write_text(INCIDENTS, encoding="utf-8")
    case = tmp_path / "inv.case"
    columns = {
        "id": "Incident",
        "at": "Date",
        "lat": "Latitude",
        "lon": "Longitude",
        "account": "Unit",
        "radius_m": "Accuracy",
        "text": "Description",
    }
    summary = api.ingest([sheet], case, columns=columns, tz="Europe/Kyiv")
    assert summary.exit_code == 1  # rows were refused
    rows = {r[0]: r for r in _table_posts(case)}
    assert rows["I-1"][1:5] == ("2022-03-01T08:15:00Z", None, "platform_utc", "1st Bn")
    assert rows["I-1"][7] == 500.0
    assert rows["I-2"][1:4] == ("2022-03-01T10:00:00Z", "2022-03-01T12:00:00", "user_stated_zone")
    assert rows["I-2"][7] == 50.0  # no accuracy given: a pin's radius
    assert rows["I-3"][1] == "2022-03-01T13:00:00Z" and rows["I-3"][7] == 2000.0
    for refused in ("I-4", "I-6"):  # kept as posts, their position refused
        assert rows[refused][5] is None
    assert rows["I-5"][1] is None
    with _db(case) as db:
        problems = sorted(db.execute("SELECT code, path FROM problems").fetchall())
    assert problems == [
        ("geotag_invalid", f"{sheet}#line 5"),
        ("geotag_invalid", f"{sheet}#line 7"),
        ("time_invalid", f"{sheet}#line 6"),
    ]


def test_columns_a_table_lacks_are_a_usage_error(tmp_path: Path) -> None:
    sheet = tmp_path / "incidents.csv"
    sheet.write_text(INCIDENTS, encoding="utf-8")
    case = tmp_path / "inv.case"
    runner = CliRunner()
    base = ["ingest", str(sheet), "--case", str(case), "--columns"]
    typo = runner.invoke(app, [*base, "lat=Latitude,lon=Longitud"])
    assert typo.exit_code == 2
    message = " ".join(typo.output.split())
    assert "no column 'Longitud'" in message and "'Longitude'" in message and "'Unit'" in message
    unknown = runner.invoke(app, [*base, "lat=Latitude,lon=Longitude,colour=Unit"])
    assert unknown.exit_code == 2 and "colour" in unknown.output
    zone = runner.invoke(app, [*base, "lat=Latitude,lon=Longitude", "--tz", "Mars/Olympus"])
    assert zone.exit_code == 2 and "Mars/Olympus" in zone.output
    assert not case.exists()  # nothing was stored


def test_a_json_lines_table_is_read_with_columns(tmp_path: Path) -> None:
    lines = [
        {"who": "A", "y": 50.45, "x": 30.52, "t": "2024-05-01T10:00:00Z", "note": "hi"},
        {"who": "A", "y": "north", "x": 30.52, "t": "2024-05-01T11:00:00Z", "note": "bad"},
    ]
    table = tmp_path / "points.jsonl"
    table.write_text("".join(json.dumps(line) + "\n" for line in lines))
    case = tmp_path / "inv.case"
    columns = {"account": "who", "lat": "y", "lon": "x", "at": "t", "text": "note"}
    summary = api.ingest([table], case, columns=columns)
    assert summary.posts == 2 and summary.new_sightings == 1
    assert summary.problems["geotag_invalid"] == 1
