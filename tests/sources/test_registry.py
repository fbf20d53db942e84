"""The reader registry (issue 16, point 3): built-ins and installed readers found the same
way, one suffix list, and findings that carry their own severity."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from geotrace.records import NOTE, REFUSAL
from geotrace.sources import registry
from geotrace.sources.base import SNIFF_BYTES, ExportFile, Refusal
from geotrace.sources.registry import ReaderPluginError, detect, export_suffixes, readers
from geotrace.sources.twitter import TWITTER_V1
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"

#: The codes ``ingest.EXPORT_NOTES`` listed before issue 16: what ingest counted as a doubt
#: about a kept item rather than a loss.  The readers now say so themselves.
FORMER_NOTES = frozenset(
    {
        "geotag_order_suspect",
        "geotag_conflict",
        "geotag_unresolved",
        "time_conflict",
        "stream_notice",
        "api_error",
        "vk_items_skipped",
        "owner_unknown",
    }
)

#: A third party's reader, as another package would ship it: GPX tracks, one post per
#: ``<trkpt>``; a point with no ``lat`` is refused, a point with no time kept with a note.
PLUGIN = """
import re
from geotrace.records import NOTE, Post
from geotrace.sources.base import ExportReader, Refusal

POINT = re.compile(rb'<trkpt( lat="[^"]*")?[^>]*>(<time>)?')

def sniff(name, head):
    return b"<gpx" in head

def read(doc):
    with doc.open() as stream:
        data = stream.read()
    for n, found in enumerate(POINT.finditer(data)):
        where = f"{doc.name}#trkpt[{n}]"
        if found.group(1) is None:
            yield Refusal(where, "gpx_point_invalid", "a point with no lat")
            continue
        if found.group(2) is None:
            yield Refusal(where, "gpx_time_missing", "a point with no time", NOTE)
        yield Post("gpx", f"{doc.name}/{n}", "track_point", None, None, "", {}, where)

GPX = ExportReader("gpx_track", "1", (".gpx",), sniff, read)
"""

GPX = b"""<?xml version="1.0"?>
<gpx version="1.1"><trk><trkseg>
<trkpt lat="48.2" lon="16.37"><time>2024-05-01T10:00:00Z</time></trkpt>
<trkpt lon="16.38"><time>2024-05-01T10:01:00Z</time></trkpt>
<trkpt lat="48.21" lon="16.39"></trkpt>
</trkseg></trk></gpx>
"""


def _fresh() -> None:
    registry.readers.cache_clear()
    registry.export_suffixes.cache_clear()


def _install(site: Path, name: str, entry: str, module: str | None) -> None:
    """A distribution on ``site`` as pip would leave it: its dist-info with the entry
    point, and its module."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{registry.GROUP}]\n{entry}\n")
    if module is not None:
        (site / f"{name}.py").write_text(module)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on ``sys.path`` to install packages into; the registry forgets them after."""
    where = tmp_path / "site"
    where.mkdir()
    monkeypatch.syspath_prepend(str(where))
    _fresh()
    yield where
    for name in [m for m in sys.modules if m.startswith("geotrace_gpx")]:
        del sys.modules[name]
    _fresh()


def test_an_installed_reader_is_found_like_a_builtin(site: Path, tmp_path: Path) -> None:
    _install(site, "geotrace_gpx", "gpx = geotrace_gpx:GPX", PLUGIN)
    names = [reader.name for reader in readers()]
    # After every specific built-in, before the catch-all table reader.
    assert names.index("gpx_track") == len(names) - 2 and names[-1] == "generic_table"
    assert ".gpx" in export_suffixes()
    track = tmp_path / "walk.gpx"
    track.write_bytes(GPX)
    reader = detect(track.name, GPX[:SNIFF_BYTES])
    assert reader is not None and reader.name == "gpx_track"


def test_builtins_claim_the_suffixes_ingest_always_sniffed() -> None:
    _fresh()
    assert export_suffixes() == (".csv", ".js", ".json", ".jsonl", ".ndjson", ".plt", ".tsv")
    assert {reader.name for reader in readers()} >= {"telegram_desktop", "plt_track"}


def test_an_installed_reader_that_cannot_load_stops_with_its_name(site: Path) -> None:
    _install(site, "geotrace_gpx_broken", "gpx = geotrace_gpx_missing:GPX", None)
    with pytest.raises(ReaderPluginError, match=r"'gpx'.*geotrace_gpx_missing"):
        readers()


def test_an_installed_reader_that_is_no_reader_is_refused(site: Path) -> None:
    _install(site, "geotrace_gpx_odd", "gpx = geotrace_gpx_odd:GPX", "GPX = 42\n")
    with pytest.raises(ReaderPluginError, match="not an ExportReader"):
        readers()


def test_ingest_counts_as_skipped_only_what_a_reader_calls_a_refusal(
    site: Path, tmp_path: Path
) -> None:
    """No list of note codes in ingest: an installed reader's own note leaves the exit
    code alone, its refusal sets it."""
    from geotrace.ingest import ingest
    from geotrace.store.case import Case

    _install(site, "geotrace_gpx", "gpx = geotrace_gpx:GPX", PLUGIN)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "walk.gpx").write_bytes(GPX)
    with Case(tmp_path / "case.geotrace", write=True) as case:
        summary = ingest(case, [folder])
    assert summary.posts == 2
    assert summary.problems == {"gpx_point_invalid": 1, "gpx_time_missing": 1}
    assert summary.skipped == 1


def _export_file(path: Path) -> ExportFile:
    def sibling(rel: str) -> ExportFile | None:
        other = path.parent / rel
        return _export_file(other) if other.is_file() else None

    return ExportFile(str(path), path.stat().st_size, lambda: path.open("rb"), sibling=sibling)


def _findings(paths: list[Path]) -> dict[str, set[str]]:
    """Each finding code the built-in readers raise on these documents, with the
    severities it came with."""
    _fresh()
    seen: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        reader = detect(path.name, path.read_bytes()[:SNIFF_BYTES])
        for record in reader.read(_export_file(path)) if reader is not None else ():
            if isinstance(record, Refusal):
                seen[record.code].add(record.severity)
    return seen


def test_readers_say_a_doubt_is_a_note_where_they_raise_it(tmp_path: Path) -> None:
    """The shared exports, and an X v1.1 file damaged to raise the doubts they lack: a
    code the old list named is a note, every other code a refusal, always the same."""
    require_shared(EXPORTS)
    statuses = json.loads(
        (EXPORTS / "twitter_api_v1" / "twitter-to-sqlite_tweets.json").read_bytes()
    )
    statuses[0]["created_at"] = "Wed Sep 04 15:51:55 +0000 2019"  # two hours off its id
    statuses[1]["coordinates"] = {"type": "Point", "coordinates": [13.4, 52.5]}  # not Manhattan
    statuses[2] = {"limit": {"track": 3}}  # a stream's notice where a status would be
    damaged = tmp_path / "tweets.json"
    damaged.write_text(json.dumps(statuses))
    assert detect(damaged.name, damaged.read_bytes()[:SNIFF_BYTES]) is TWITTER_V1
    seen = _findings([*sorted(p for p in EXPORTS.rglob("*") if p.is_file()), damaged])
    assert {"time_conflict", "geotag_conflict", "geotag_order_suspect", "api_error"} <= set(seen)
    assert any(code not in FORMER_NOTES for code in seen)  # refusals are met too
    for code, severities in seen.items():
        assert severities == {NOTE if code in FORMER_NOTES else REFUSAL}, code
