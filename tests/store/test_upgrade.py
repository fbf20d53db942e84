"""A case written by the last release opens with today's code, is upgraded in place, and
reads back what that release said of it (issue 16, point 2).

The case is no blob in the repository: ``scripts/build_release_case.py`` builds it, once
a session, with the release's own code taken from git history, and writes the release's
own answers beside it.  Two answers changed on purpose since that release (issue 15), and
the test maps the release's answer to today's shape for them, naming the change:
``regions`` says why unplaced sightings have no country (7ef3476, c8c936b) and
``copies`` no longer joins blank pictures on their hash (326dfff).  Everything else must
be equal as it was.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from geotrace import api
from geotrace.pipeline.registry import stages
from tests.casekit import REPO, counts, duplicates, has_schema
from tests.conftest import SHARED, require_shared

SCRIPT = REPO / "scripts" / "build_release_case.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_release_case", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _script()


@dataclass(frozen=True)
class Release:
    """What the script built: the folder, its manifest, and the release's answers."""

    root: Path
    manifest: dict[str, Any]
    said: dict[str, Any]

    def copy_case(self, dest: Path) -> Path:
        """The release's case (database and media folder) copied to ``dest``: each test
        upgrades its own copy; the inputs stay where the release read them."""
        name = str(self.manifest["case"])
        shutil.copyfile(self.root / name, dest / name)
        shutil.copytree(self.root / f"{name}.media", dest / f"{name}.media")
        return dest / name


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    root = tmp_path_factory.mktemp("release")
    try:
        manifest = BUILD.build(root, shared=SHARED)
    except BUILD.NoHistory as exc:
        pytest.skip(f"no case of the last release to upgrade: {exc}")
    said = json.loads((root / "release.json").read_text(encoding="utf-8"))
    return Release(root, manifest, said)


def _today(case: Path, root: Path) -> dict[str, Any]:
    """Today's API on ``case``, normalised as the script normalised the release's."""
    found = {
        "sightings": api.sightings(case),
        "posts": list(api.posts(case, raw=True)),
        "regions": api.regions(case),
        "accounts": api.accounts(case),
        "copies": api.copies(case, executor="local"),
    }
    normalised: dict[str, Any] = BUILD.normalise(found, root)
    return normalised


def _rows(case: Path, tables: list[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` (default: all), sorted, with its columns' names first."""
    with sqlite3.connect(case) as db:
        if tables is None:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: [
                tuple(c[1] for c in db.execute(f"PRAGMA table_info({t})")),
                *sorted(db.execute(f"SELECT * FROM {t}"), key=repr),
            ]
            for t in tables
        }


def _without_text_sightings(case: Path, tmp_path: Path) -> Path:
    """A copy of the upgraded case without the sightings the text stage added: what the
    release's own answers are compared with (the release did not read texts)."""
    copy = tmp_path / "without-texts" / case.name
    copy.parent.mkdir()
    shutil.copyfile(case, copy)
    (copy.parent / f"{case.name}.media").symlink_to(case.parent / f"{case.name}.media")
    with sqlite3.connect(copy) as db:
        db.execute(
            "DELETE FROM places WHERE sighting_id IN"
            " (SELECT id FROM sightings WHERE method = 'text_toponym')"
        )
        db.execute("DELETE FROM sightings WHERE method = 'text_toponym'")
    return copy


def _upgrade(case: Path) -> None:
    """What a user's next command does to an old case: every stage brought up to date."""
    api.run(list(stages()), case, executor="local")


def _regions_as_today(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The release's regions in today's shape, for comparing: one row for all sightings
    without a country (7ef3476 and c8c936b split it by the reason, in ``not_placed``)."""
    placed = [r for r in regions if r["country_de_jure"] is not None]
    unplaced = [r for r in regions if r["country_de_jure"] is None]
    merged = []
    if unplaced:
        firsts = [r["first_utc"] for r in unplaced if r["first_utc"] is not None]
        lasts = [r["last_utc"] for r in unplaced if r["last_utc"] is not None]
        merged.append(
            {
                **{k: None for k in ("admin1_code", "admin1_name", "country_de_facto")},
                "country_de_jure": None,
                "sightings": sum(r["sightings"] for r in unplaced),
                "high_confidence": sum(r["high_confidence"] for r in unplaced),
                "first_utc": min(firsts, default=None),
                "last_utc": max(lasts, default=None),
            }
        )
    rows = [{k: v for k, v in r.items() if k != "not_placed"} for r in placed + merged]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def _check_copies(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """Today's groups are the release's, but for blank pictures (326dfff): those the
    release joined on their hash alone are each listed alone, with a note saying why."""
    alone = {g["members"][0]["sha256"] for g in new if "note" in g}
    assert all(len(g["members"]) == 1 for g in new if "note" in g)
    blank = [g for g in old if {m["sha256"] for m in g["members"]} & alone]
    for group in blank:  # a blank group of the release holds nothing but blank pictures
        assert {m["sha256"] for m in group["members"]} <= alone, group["members"]
    assert {m["sha256"] for g in blank for m in g["members"]} == alone
    assert [g for g in new if "note" not in g] == [g for g in old if g not in blank]


def test_the_release_case_is_upgraded_in_place_and_reads_the_same(
    release: Release, tmp_path: Path
) -> None:
    """Opened by today's code, the release's case gets today's migration sets, every row
    it held is still there unchanged, its originals verify, and today's sightings, posts,
    accounts, regions and copies are the release's own answers."""
    case = release.copy_case(tmp_path)
    before = _rows(case)
    _upgrade(case)
    assert has_schema(case)
    after = _rows(case, list(before))
    texts = {row[0] for row in after["sightings"][1:] if row[3] == "text_toponym"}
    assert len(texts) == 3  # the places a Telegram post's text names: a new stage's rows
    after["sightings"] = [r for r in after["sightings"] if r[0] not in texts]
    after["places"] = [r for r in after["places"] if r[0] not in texts]
    assert after == before
    assert api.verify(case).ok
    old, new = release.said, _today(_without_text_sightings(case, tmp_path), release.root)
    for name in ("sightings", "posts", "accounts"):
        assert new[name] == old[name], name
    assert _regions_as_today(new["regions"]) == _regions_as_today(old["regions"])
    _check_copies(old["copies"], new["copies"])


def test_a_second_open_of_the_upgraded_case_changes_nothing(
    release: Release, tmp_path: Path
) -> None:
    """The upgrade happens once: opening the upgraded case again (the stages, copies)
    changes no row of any table, its own migration records included."""
    case = release.copy_case(tmp_path)
    _upgrade(case)
    first = _rows(case)
    answers = _today(case, release.root)
    _upgrade(case)
    assert _today(case, release.root) == answers
    assert _rows(case) == first


def test_reingesting_the_release_inputs_adds_nothing(release: Release, tmp_path: Path) -> None:
    """Today's ingest of the very inputs the release read, into the release's case: no
    row repeats a content key, and no table grows (every input is known by its hash)."""
    case = release.copy_case(tmp_path)
    _upgrade(case)  # the text stage reads the posts the release kept: once
    before = counts(case)
    inputs = [release.root / p for p in release.manifest["inputs"]]
    api.ingest(inputs, case, executor="local")
    assert duplicates(case) == 0
    assert counts(case) == before


def test_the_release_case_holds_what_the_comparison_needs(release: Release) -> None:
    """The comparison is only as good as the case: with ../shared, the release found
    sightings placed in countries, posts of every platform read, and a group of copies of
    one photo (its three edits) apart from another shot of the same place."""
    require_shared(SHARED / "corpora")
    said = release.said
    assert release.manifest["shared"]
    assert {"IT", "UA", "RU"} <= {r["country_de_jure"] for r in said["regions"]}
    platforms = {p["platform"] for p in said["posts"]}
    assert {"telegram", "vk", "twitter", "instagram"} <= platforms, platforms
    paths = [sorted(Path(m["path"]).name for m in g["members"]) for g in said["copies"]]
    assert ["cropped.jpg", "exifpy__DSCN0021.jpg", "mirrored.jpg", "resized.jpg"] in paths
    assert not any("exifpy__DSCN0040.jpg" in p for p in paths)
