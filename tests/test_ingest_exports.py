"""Platform exports through the whole pipeline: document kept, posts streamed into the
case, geotags become sightings with their places, re-ingest adds only what is new,
a kill between batches loses nothing, files a post names are kept only inside what the
user gave, and the ``posts``/``accounts`` commands answer from the case."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import geotrace.case as case_module
import geotrace.ingest as ingest_module
import geotrace.ingest_export as ingest_export
from geotrace import api
from geotrace.case import MIGRATIONS, Case
from geotrace.cli import app
from geotrace.ingest import ingest
from geotrace.ingest_fingerprints import FingerprintSummary
from geotrace.sources import vk
from geotrace.sources.exports import ExportFile
from tests.casekit import REPO, counts, demo_copy, duplicates, integrity
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
        old_schema.setattr(case_module, "MIGRATIONS", MIGRATIONS[:2])
        old_schema.setattr(Case, "_put_sighting", _v2_put_sighting)
        old_schema.setattr(Case, "ensure_indexes", lambda self: None)  # no posts in v2
        old_schema.setattr(  # nor fingerprints (migration 4)
            ingest_module, "fingerprint_media", lambda case, **_: FingerprintSummary()
        )
        with Case(case, write=True) as opened:
            ingest(opened, [photos])
    with _db(case) as db:
        assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 2
        before = db.execute(
            "SELECT id, media_sha256, lat, lon FROM sightings ORDER BY id"
        ).fetchall()
        placed = db.execute("SELECT count(*) FROM places").fetchone()[0]
    assert before and placed == len(before)
    with Case(case, write=True):
        pass  # opening for writing migrates
    with _db(case) as db:
        after = db.execute(
            "SELECT id, media_sha256, lat, lon FROM sightings ORDER BY id"
        ).fetchall()
        assert db.execute("SELECT count(*) FROM places").fetchone()[0] == placed
        version = db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        assert version == len(MIGRATIONS)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
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
    assert [r["post_id"] for r in rows] == ["'-42895313_128"]  # "-" guarded against formulas
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

    monkeypatch.setattr(vk, "READERS", tuple(replace(r, read=broken) for r in vk.READERS))
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
