"""GPS tracks in PLT (GeoLife, OziExplorer): every fix a point with its time, a bad line alone
refused (issue 15, point 13: a GeoLife-style track could not be read at all)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from geotrace import api
from geotrace.records import Post
from geotrace.sources.base import ExportFile, Refusal
from geotrace.sources.geolife import read
from geotrace.sources.registry import detect
from tests.conftest import SHARED, require_shared

GEOLIFE = SHARED / "corpora" / "tracks" / "trackintel" / "geolife"
TRACK = GEOLIFE / "000" / "Trajectory" / "20081024020959.plt"


def _doc(path: Path, name: str | None = None) -> ExportFile:
    return ExportFile(name or str(path), path.stat().st_size, lambda: path.open("rb"))


def _fixes(path: Path) -> list[list[str]]:
    lines = path.read_text().splitlines()[6:]
    return [line.split(",") for line in lines if line.strip()]


def test_a_geolife_track_is_read_fix_by_fix_in_utc(tmp_path: Path) -> None:
    require_shared(TRACK)
    fixes = _fixes(TRACK)
    assert detect(TRACK.name, TRACK.read_bytes()[:4096]) is not None
    records = list(read(_doc(TRACK)))
    posts = [r for r in records if isinstance(r, Post)]
    assert not [r for r in records if isinstance(r, Refusal)]
    assert len(posts) == len(fixes) == 244
    for post, fix in zip(posts, fixes, strict=True):
        (tag,) = post.geotags
        assert (tag.lat, tag.lon) == (float(fix[0]), float(fix[1]))
        assert post.posted_at is not None
        assert post.posted_at.basis == "gps_clock"
        assert post.posted_at.utc == datetime.fromisoformat(f"{fix[5]}T{fix[6]}").replace(
            tzinfo=UTC
        )
        assert post.author is not None and post.author.account_id == "000"
    # ingested: one sighting a fix, placed in Beijing, under the user's account
    folder = tmp_path / "geolife"
    shutil.copytree(GEOLIFE / "000", folder / "000")
    case = tmp_path / "t.case"
    summary = api.ingest([folder], case)
    assert summary.exit_code == 0
    rows = api.sightings(case)
    assert len(rows) == 244
    assert {r["admin1_code"] for r in rows} == {"CN-BJ"}
    assert {r["account_id"] for r in rows} == {"000"}


def test_a_damaged_line_costs_that_fix_alone(tmp_path: Path) -> None:
    lines = require_shared(TRACK).read_bytes().splitlines(keepends=True)
    lines[20] = b"40.0083,not a number,0,492,39745.09,2008-10-24,02:11:00\r\n"
    lines[30] = b"95.0,116.3,0,492,39745.09,2008-10-24,02:12:00\r\n"  # latitude out of range
    lines[40] = b"garbage\r\n"
    damaged = tmp_path / "000" / "Trajectory" / TRACK.name
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"".join(lines))
    records = list(read(_doc(damaged)))
    refused = [r for r in records if isinstance(r, Refusal)]
    assert [r.path.rsplit("#", 1)[1] for r in refused] == ["line 21", "line 31", "line 41"]
    assert len([r for r in records if isinstance(r, Post)]) == 244 - 3


def test_an_ozi_track_keeps_its_wall_time_of_unknown_zone(tmp_path: Path) -> None:
    lines = require_shared(TRACK).read_bytes().splitlines(keepends=True)
    lines[0] = b"OziExplorer Track Point File Version 2.1\r\n"
    ozi = tmp_path / "walk.plt"
    ozi.write_bytes(b"".join(lines))
    posts = [r for r in read(_doc(ozi)) if isinstance(r, Post)]
    first = posts[0].posted_at
    assert first is not None and first.utc is None and first.basis == "unknown_zone"
    assert first.local == datetime(2008, 10, 24, 2, 9, 59)
    assert posts[0].author is not None and posts[0].author.account_id == "walk"


def test_a_plt_no_reader_claims_is_said(tmp_path: Path) -> None:
    other = tmp_path / "notes.plt"
    other.write_text("not a track\n1,2,3\n")
    summary = api.ingest([other], tmp_path / "x.case")
    assert summary.problems["export_unrecognised"] == 1
