"""The report's per-account timelines: stays, crossings, meetings and silences with their
evidence, from a small table (Belgorod to Kharkiv, a checkpoint, an account fallen silent,
a hostile account name) and from real GeoLife tracks; the same case gives the same bytes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from geotrace import api
from tests.analysis.test_people_commands import table_case
from tests.present.test_people_map import geolife as geolife
from tests.present.test_people_map import people_rows

HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = people_rows()
    rows.append(("9", "2023-03-01T10:05:00Z", HOSTILE, 48.5952, 38.0002, 30.0))
    return table_case(tmp_path_factory.mktemp("report"), rows)


def report(case: Path) -> str:
    out = io.StringIO()
    api.report(case, out)
    return out.getvalue()


def sections(html: str) -> dict[str, str]:
    """Each account section's HTML by its title (the text of its ``h3``)."""
    parts = re.split(r'(?=<h3 id="a\d+">)', html)
    found = {}
    for part in parts[1:]:
        title = re.match(r'<h3 id="a\d+">(.*?)</h3>', part)
        assert title
        found[title.group(1)] = part.split("<h2", 1)[0]
    return found


def sighting_id(case: Path, at_utc: str) -> int:
    (found,) = [s["id"] for s in api.sightings(case) if s["at_utc"] == at_utc]
    return int(found)


def test_timeline_entries_with_their_evidence(table: Path) -> None:
    html = report(table)
    by_title = sections(html)
    platform = api.sightings(table)[0]["platform"]
    soldier = by_title[f"{platform} soldier"]
    crossings = re.findall(r'<tr class="event crossing">(.*?)</tr>', soldier)
    # de jure, de facto and the oblasts (Belgorod to Kharkiv) all change between the two
    assert len(crossings) == 3
    (row,) = [r for r in crossings if "left RU, entered UA (country, de jure)" in r]
    assert "between 2022-02-24T03:00:00Z and 2022-02-25T09:00:00Z" in row
    assert any("left RU-BEL, entered UA-63 (oblast / region)" in r for r in crossings)
    # Its evidence: the last sighting in Russia and the first in Ukraine, linked.
    for at in ("2022-02-24T03:00:00Z", "2022-02-25T09:00:00Z"):
        sid = sighting_id(table, at)
        assert f'href="#s{sid}"' in row and f'id="s{sid}"' in soldier
    # The meeting at the checkpoint, in both accounts' timelines, each its own instant first.
    for me, other, at in (("alpha", "bravo", "10:00"), ("bravo", "alpha", "10:15")):
        rows = re.findall(r'<tr class="event meeting">(.*?)</tr>', by_title[f"{platform} {me}"])
        mine = [r for r in rows if f"with {platform}:{other}:" in r]
        assert len(mine) == 1 and f"2023-03-01T{at}:00Z (here)" in mine[0]
    # The silence: now, as of the custody log's last entry, with its evidence.
    quiet = by_title[f"{platform} quiet"]
    (silent,) = re.findall(r'<tr class="event silence">(.*?)</tr>', quiet)
    assert "silence now: silent" in silent and "since 2022-04-30T09:" in silent
    assert "120 posts before it" in silent
    assert "latest entry of the chain of custody" in html
    # Stays: the quiet account's daily posts at one place.
    assert re.search(r'<tr class="event (stay|base)">', quiet)
    assert "<h3>Following people</h3>" in html  # the methods
    # Hostile account ids are text wherever they appear (meetings name the other side).
    assert HOSTILE not in html
    assert "with " + platform + ":&lt;img src=x onerror=&quot;" in html


def test_same_case_same_bytes(table: Path) -> None:
    first = report(table)
    assert first == report(table)
    # Silence is measured as of the custody log's last entry, never the clock.
    as_of = re.search(r"silence as of (\S+) \(the latest entry of the chain", first)
    assert as_of
    log = re.search(r'<table class="custody">.*?</table>', first, re.S)
    assert log
    latest = max(re.findall(r"<td>(\d{4}-\d\d-\d\dT[\d:.]+Z)</td>", log.group(0)))
    assert as_of.group(1) == latest[:19] + "Z"


def test_geolife_timelines_list_every_stay(geolife: Path) -> None:
    html = report(geolife)
    stays = api.stays(geolife)
    bases = api.stays(geolife, bases=True)
    assert isinstance(stays, list) and isinstance(bases, list)
    for user in ("000", "001"):
        part = sections(html)[f"gps_track {user}"]
        mine = [r for r in stays if r["account_id"] == user]
        assert part.count('<tr class="event stay">') == len(mine) > 0
        assert part.count('<tr class="event base">') == sum(r["account_id"] == user for r in bases)
        # Each stay's evidence starts with its first sighting, which is in the section.
        first = int(mine[0]["sighting_ids"].strip("[]").split(",")[0])
        assert f'href="#s{first}"' in part and f'id="s{first}"' in part
    assert html.count('<tr class="event meeting">') == 2  # one meeting, in both timelines
