"""X/Twitter readers on the real samples and on broken variants built from their bytes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Post
from geotrace.sources.base import SNIFF_BYTES, ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import distance_m
from geotrace.sources.twitter import READERS, TWITTER_ARCHIVE, TWITTER_V1
from geotrace.sources.twitter_v2 import TWITTER_V2
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
ARCHIVE = EXPORTS / "twitter_archive"
V1 = EXPORTS / "twitter_api_v1" / "twitter-to-sqlite_tweets.json"
V2 = EXPORTS / "twitter_api_v2_twarc2"
DELETED = ARCHIVE / "milahu104_deleted-tweets.js"


def export_file(path: Path) -> ExportFile:
    """The document as ingest hands it over, siblings looked up beside it on disk."""

    def sibling(rel: str) -> ExportFile | None:
        other = path.parent / rel
        return export_file(other) if other.is_file() else None

    return ExportFile(str(path), path.stat().st_size, lambda: path.open("rb"), sibling=sibling)


def read(reader: ExportReader, path: Path) -> list[Record]:
    return list(reader.read(export_file(path)))


def posts(records: list[Record]) -> list[Post]:
    return [r for r in records if isinstance(r, Post)]


def refusals(records: list[Record], code: str | None = None) -> list[Refusal]:
    return [r for r in records if isinstance(r, Refusal) and code in (None, r.code)]


def by_id(records: list[Record]) -> dict[str, Post]:
    return {p.post_id: p for p in posts(records)}


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def v1_statuses() -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = json.loads(V1.read_bytes())
    return statuses


def point(lon_lat: list[float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": lon_lat}


# -- which reader takes which sample ----------------------------------------------------------


def expected_reader(path: Path) -> str | None:
    folder = path.parent.name
    if folder == "twitter_api_v1":
        return "twitter_v1"
    if folder == "twitter_api_v2_twarc2":
        return "twitter_v2"
    if folder == "twitter_archive" and path.suffix == ".js":
        # account-timezone.js names no zone here and no post: left as a plain original.
        return None if "timezone" in path.name else "twitter_archive"
    return None


def test_each_sample_is_taken_by_exactly_the_right_reader() -> None:
    require_shared(EXPORTS)
    samples = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file() and p.parent != EXPORTS]
    assert len(samples) == 30
    for path in samples:
        head = path.read_bytes()[:SNIFF_BYTES]
        taken = [r.name for r in READERS if r.sniff(path.name, head)]
        want = expected_reader(path)
        assert taken == ([want] if want else []), path


# -- API v1.1 -------------------------------------------------------------------------------------


def test_v1_statuses_retweets_and_quotes_become_posts() -> None:
    require_shared(EXPORTS)
    statuses = v1_statuses()
    embedded = [s[k] for s in statuses for k in ("retweeted_status", "quoted_status") if k in s]
    records = read(TWITTER_V1, V1)
    assert refusals(records) == []
    assert [p.post_id for p in posts(records)] == [
        "1169246717864136705",
        "1169242008432644097",
        "1169196446043664385",
        "1168529001599533057",
        "861696799362478085",
    ]
    assert len(posts(records)) == len(statuses) + len(embedded) == 5
    found = by_id(records)
    retweet = found["1169246717864136705"]
    assert retweet.author == Account("twitter", "12497", "simonw", "Simon Willison")
    assert retweet.posted_at is not None
    assert retweet.posted_at.utc == datetime(2019, 9, 4, 13, 51, 55, tzinfo=UTC)
    assert retweet.posted_at.basis == "platform_utc"
    assert retweet.url == "https://x.com/simonw/status/1169246717864136705"
    assert "carbon capture & utilization" in retweet.text  # &amp; made plain
    (repost,) = retweet.links
    assert (repost.kind, repost.post_id, repost.account_id, repost.name) == (
        "repost_of",
        "1169242008432644097",
        "22737278",
        "drvox",
    )
    assert repost.at is not None and repost.at.utc == datetime(2019, 9, 4, 13, 33, 12, tzinfo=UTC)
    assert found["1169242008432644097"].author == Account(
        "twitter", "22737278", "drvox", "David Roberts"
    )
    assert found["1169242008432644097"].location == "[0].retweeted_status"
    (quote,) = found["1168529001599533057"].links
    assert (quote.kind, quote.post_id, quote.name) == ("quote_of", "861696799362478085", "bwhitman")
    (reply,) = found["1169196446043664385"].links
    assert (reply.kind, reply.post_id, reply.account_id) == (
        "reply_to",
        "1169079390577319937",
        "82016165",
    )
    (media,) = found["1169196446043664385"].media
    assert media.url == "https://pbs.twimg.com/media/BwEmlDHCMAEGwu_.jpg" and media.kind == "photo"


def test_v1_manhattan_place_is_an_area_with_an_honest_radius() -> None:
    require_shared(EXPORTS)
    (tag,) = by_id(read(TWITTER_V1, V1))["1169196446043664385"].geotags
    assert (tag.kind, tag.label) == ("place_bbox", "Manhattan, NY")
    assert tag.source == "place.bounding_box"
    # Centre inside Manhattan (the island's own extent), radius reaching every corner of
    # the 10 km x 21 km box -- and no more than that.
    assert 40.70 < tag.lat < 40.88 and -74.02 < tag.lon < -73.91
    corner = max(
        distance_m(tag.lat, tag.lon, la, lo)
        for la in (40.683935, 40.877483)
        for lo in (-74.026675, -73.910408)
    )
    assert corner <= tag.radius_m < corner + 1.0
    assert 11_000 < tag.radius_m < 12_500


def _v1_variant(tmp_path: Path, edit: dict[str, Any]) -> list[Record]:
    statuses = v1_statuses()
    statuses[1].update(edit)
    return read(TWITTER_V1, write(tmp_path / "tweets.json", json.dumps(statuses).encode()))


def test_v1_coordinates_are_lon_lat_and_geo_is_lat_lon(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    empire = {"coordinates": point([-73.9857, 40.7484]), "geo": point([40.7484, -73.9857])}
    records = _v1_variant(tmp_path, empire)
    assert refusals(records) == []
    exact, area = by_id(records)["1169196446043664385"].geotags
    assert (exact.lat, exact.lon, exact.kind, exact.source) == (
        40.7484,
        -73.9857,
        "point",
        "coordinates",
    )
    assert exact.radius_m == 50.0
    assert area.label == "Manhattan, NY"
    # Only the deprecated geo: read reversed, as documented.
    records = _v1_variant(tmp_path, {"geo": point([40.7484, -73.9857])})
    exact, _ = by_id(records)["1169196446043664385"].geotags
    assert (exact.lat, exact.lon, exact.source) == (40.7484, -73.9857, "geo")
    # geo disagreeing with coordinates: coordinates kept, the conflict said.
    records = _v1_variant(tmp_path, {**empire, "geo": point([-73.9857, 40.7484])})
    (conflict,) = refusals(records, "geotag_conflict")
    assert conflict.path.endswith("#[1]") and "coordinates kept" in conflict.message
    assert by_id(records)["1169196446043664385"].geotags[0].lat == 40.7484


def test_v1_point_outside_its_place_and_invalid_points(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    records = _v1_variant(tmp_path, {"coordinates": point([13.4, 52.5])})  # Berlin, in "Manhattan"
    assert len(refusals(records, "geotag_conflict")) == 1
    assert len(by_id(records)["1169196446043664385"].geotags) == 2
    records = _v1_variant(tmp_path, {"coordinates": point([200.0, 95.0])})
    (bad,) = refusals(records, "geotag_invalid")
    assert "out of range" in bad.message and bad.path.endswith("#[1]")
    assert [t.kind for t in by_id(records)["1169196446043664385"].geotags] == ["place_bbox"]


def test_v1_json_lines_garbage_and_truncation(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    lines = [json.dumps(s) for s in v1_statuses()]
    doc = write(
        tmp_path / "stream.jsonl",
        "\n".join([lines[0], "[1, 2]", "not json", lines[1], lines[2][:500]]).encode(),
    )
    assert TWITTER_V1.sniff(doc.name, doc.read_bytes()[:SNIFF_BYTES])
    records = read(TWITTER_V1, doc)
    assert [p.location for p in posts(records)] == ["line 1", "line 1.retweeted_status", "line 4"]
    assert [r.code for r in refusals(records)] == [
        "item_invalid",
        "json_line_invalid",
        "json_line_invalid",
    ]
    assert "cut off" in refusals(records)[-1].message
    # A garbage item in the middle of an array: refused, the rest read.
    statuses: list[Any] = v1_statuses()
    statuses.insert(1, "garbage")
    records = read(TWITTER_V1, write(tmp_path / "a.json", json.dumps(statuses).encode()))
    assert len(posts(records)) == 5
    assert [(r.path.rsplit("#", 1)[1], r.code) for r in refusals(records)] == [
        ("[1]", "item_invalid")
    ]


def test_time_checked_against_the_id(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    statuses = v1_statuses()
    statuses[0]["created_at"] = "Wed Sep 04 15:51:55 +0000 2019"  # two hours off its id
    statuses[1]["created_at"] = "yesterday"
    del statuses[2]["created_at"]
    records = read(TWITTER_V1, write(tmp_path / "t.json", json.dumps(statuses).encode()))
    assert [r.code for r in refusals(records)] == ["time_conflict", "time_invalid"]
    found = by_id(records)
    late = found["1169246717864136705"].posted_at
    assert late is not None and late.utc == datetime(2019, 9, 4, 15, 51, 55, tzinfo=UTC)
    for post_id in ("1169196446043664385", "1168529001599533057"):
        from_id = found[post_id].posted_at
        assert from_id is not None and from_id.source == "id" and from_id.uncertainty_s == 1.0
    stamp = found["1169196446043664385"].posted_at
    assert stamp is not None and stamp.utc is not None
    assert stamp.utc.replace(microsecond=0) == datetime(2019, 9, 4, 10, 32, 10, tzinfo=UTC)


# -- API v2 / twarc2 ---------------------------------------------------------------------------


def expected_v2(path: Path) -> tuple[int, int, int]:
    """(posts, api errors, unreadable lines) counted with plain json: each page's data
    tweets plus the included tweets not already among them."""
    n_posts = n_errors = n_bad = 0
    for line in path.read_bytes().splitlines():
        try:
            page = json.loads(line)
        except ValueError:
            n_bad += 1
            continue
        data = page["data"] if isinstance(page["data"], list) else [page["data"]]
        ids = {t["id"] for t in data} | {t["id"] for t in page["includes"].get("tweets", [])}
        n_posts += len(ids)
        n_errors += len(page.get("errors", []))
    return n_posts, n_errors, n_bad


def test_v2_counts_on_every_sample() -> None:
    require_shared(EXPORTS)
    seen = {}
    for path in sorted(V2.glob("*.jsonl")):
        records = read(TWITTER_V2, path)
        n_posts, n_errors, n_bad = expected_v2(path)
        assert len(posts(records)) == n_posts, path.name
        assert len(refusals(records, "api_error")) == n_errors, path.name
        assert len(refusals(records, "json_line_invalid")) == n_bad, path.name
        assert refusals(records, "item_invalid") == [], path.name
        seen[path.name] = (n_posts, n_errors, n_bad)
    assert seen["twarc-csv_2sets.jsonl"] == (276, 1, 0)
    assert seen["twarc-csv_cotweet.jsonl"] == (1, 0, 0)  # the tweet includes itself: once
    assert seen["twarc-csv_streaming_output_with_error.jsonl"] == (11, 0, 1)


def test_v2_truncated_stream_keeps_the_other_seven_lines() -> None:
    require_shared(EXPORTS)
    records = read(TWITTER_V2, V2 / "twarc-csv_streaming_output_with_error.jsonl")
    data = [p for p in posts(records) if p.location.endswith(" data")]
    assert [p.location for p in data] == [f"line {n} data" for n in range(1, 8)]
    (cut,) = refusals(records, "json_line_invalid")
    assert cut.path.endswith(":line 8") and "cut off" in cut.message
    malawi = by_id(records)["1377650090978992134"].geotags[0]
    assert malawi.label == "Malawi" and malawi.radius_m > 400_000  # a country is an area
    (quote,) = by_id(records)["1377650090978992134"].links
    assert (quote.kind, quote.post_id) == ("quote_of", "1377640162566496258")


def test_v2_places_resolved_through_includes() -> None:
    require_shared(EXPORTS)
    berlin_post = by_id(read(TWITTER_V2, V2 / "twarc-csv_geo_tweets.jsonl"))["1501963039859363843"]
    (berlin,) = berlin_post.geotags
    assert (berlin.kind, berlin.label) == ("place_bbox", "Berlin, Germany")
    assert 52.338079 < berlin.lat < 52.675323 and 13.088304 < berlin.lon < 13.760909
    assert 29_000 < berlin.radius_m < 30_000
    assert berlin_post.author == Account("twitter", "495430242", "IgorBrigadir", "Igor Brigadir 🇺🇦")
    assert berlin_post.posted_at is not None
    assert berlin_post.posted_at.utc == datetime(2022, 3, 10, 16, 47, 48, tzinfo=UTC)
    (reply,) = berlin_post.links
    assert (reply.kind, reply.post_id, reply.account_id, reply.name) == (
        "reply_to",
        "1501958949863661574",
        "2919151",
        "j2bryson",
    )
    records = read(TWITTER_V2, V2 / "twarc-csv_2sets.jsonl")
    (soledad,) = by_id(records)["1440716277845139456"].geotags
    assert soledad.label == "Soledad, Colombia"
    assert 10.85 < soledad.lat < 10.93 and -74.84 < soledad.lon < -74.73
    # Page 2 names places it did not include: said, not dropped silently.
    assert len(refusals(records, "geotag_unresolved")) == 2
    (error,) = refusals(records, "api_error")
    assert error.path.endswith("#line 1") and "suspended" in error.message


def test_v2_88_north_is_kept_as_documented_and_flagged() -> None:
    require_shared(EXPORTS)
    records = read(TWITTER_V2, V2 / "twarc-csv_geo_tweets.jsonl")
    (tag,) = by_id(records)["1249702384659554308"].geotags
    assert (tag.lat, tag.lon) == (88.01785747, 42.77810097)  # [lon, lat] as documented
    # Posted through Instagram: the pin of a picked place, not the phone's fix.
    assert (tag.kind, tag.radius_m) == ("venue", 5000.0)
    (suspect,) = refusals(records, "geotag_order_suspect")
    assert suspect.path.endswith("#line 1 data[0]")
    assert "swapped it would be lat 42.77810097, lon 88.01785747" in suspect.message


def test_v2_media_and_flattened_lines(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    (video,) = by_id(read(TWITTER_V2, V2 / "twarc-csv_media_tweet.jsonl"))[
        "1558553189766631429"
    ].media
    assert video.kind == "video" and video.url is not None and "1280x720" in video.url
    assert video.metadata["media_key"] == "7_1558552952549277696"
    assert (video.metadata["width"], video.metadata["height"]) == (1280, 720)
    # twarc2 flatten: one tweet per line, expansions merged in.
    page = json.loads((V2 / "twarc-csv_geo_tweets.jsonl").read_bytes().splitlines()[1])
    users = {u["id"]: u for u in page["includes"]["users"]}
    tweet = page["data"][0]
    flat = {
        **tweet,
        "author": users[tweet["author_id"]],
        "geo": {**tweet["geo"], **page["includes"]["places"][0]},
        "referenced_tweets": [
            {**r, **page["includes"]["tweets"][0]} for r in tweet["referenced_tweets"]
        ],
        "__twarc": page["__twarc"],
    }
    doc = write(tmp_path / "flat.jsonl", json.dumps(flat).encode() + b"\n")
    assert [r.name for r in READERS if r.sniff(doc.name, doc.read_bytes())] == ["twitter_v2"]
    records = read(TWITTER_V2, doc)
    assert refusals(records) == []
    flat_post, original = posts(records)
    assert flat_post.post_id == "1501963039859363843" and flat_post.location == "line 1"
    assert flat_post.author is not None and flat_post.author.handle == "IgorBrigadir"
    assert flat_post.geotags[0].label == "Berlin, Germany"
    assert original.post_id == "1501958949863661574"
    assert original.location == "line 1.referenced_tweets[0]"


# -- the account archive -------------------------------------------------------------------------


def test_archive_deleted_tweets_without_owner() -> None:
    require_shared(EXPORTS)
    body = DELETED.read_bytes()
    items = json.loads(body[body.index(b"[") :])
    records = read(TWITTER_ARCHIVE, DELETED)
    assert refusals(records) == []
    assert len(posts(records)) == len(items) == 47
    first = posts(records)[0]
    assert (first.post_id, first.kind, first.location) == (
        "2029583929812873669",
        "deleted_tweet",
        "[0].tweet",
    )
    assert first.author is None  # no account.js beside the sample: unknown, not guessed
    assert first.url == "https://x.com/i/web/status/2029583929812873669"
    assert first.posted_at is not None
    assert first.posted_at.utc == datetime(2026, 3, 5, 15, 44, 51, tzinfo=UTC)
    assert first.raw["deleted_at"] == "Thu Mar 05 16:08:05 +0000 2026"
    assert first.text == "@Dominik_Kettner niemand will für israel kämpfen"
    assert sum(1 for p in posts(records) for link in p.links if link.kind == "reply_to") == 43
    retweets = [p for p in posts(records) if p.text.startswith("RT @")]
    assert retweets and all(
        p.links[0].kind == "repost_of" and p.links[0].account_id for p in retweets
    )


def test_archive_owner_from_sibling_account_or_manifest(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    data = tmp_path / "data"
    write(data / "account.js", (ARCHIVE / "twitter-to-sqlite_account.js").read_bytes())
    tweets = write(data / "deleted-tweets.js", DELETED.read_bytes())
    write(data / "deleted_tweets_media" / "2027737443122769985-HCP4VPIWkAADmOs.jpg", b"jpeg")
    records = read(TWITTER_ARCHIVE, tweets)
    owner = Account("twitter", "12497", "simonw", "Simon Willison")
    assert all(p.author == owner for p in posts(records)) and len(posts(records)) == 47
    assert posts(records)[0].url == "https://x.com/simonw/status/2029583929812873669"
    (photo,) = [m for p in posts(records) for m in p.media if m.path]
    assert photo.path == "deleted_tweets_media/2027737443122769985-HCP4VPIWkAADmOs.jpg"
    assert photo.url == "https://pbs.twimg.com/media/HCP4VPIWkAADmOs.jpg"
    (data / "account.js").unlink()
    write(data / "manifest.js", (ARCHIVE / "milahu104_manifest.js").read_bytes())
    authors = {p.author for p in posts(read(TWITTER_ARCHIVE, tweets))}
    assert authors == {Account("twitter", "1964312974236991488", "milahu104", "Milan Hauth")}
    assert read(TWITTER_ARCHIVE, ARCHIVE / "twitter-to-sqlite_account.js") == [owner]


def test_archive_prefix_variants(tmp_path: Path) -> None:
    require_shared(EXPORTS)
    body = DELETED.read_bytes()
    old = body.replace(b"window.YTD.deleted_tweets.part0", b"window.YTD.tweet.part0", 1)
    for variant in (old, b"\xef\xbb\xbf" + old, old.replace(b"\n", b"\r\n")):
        doc = write(tmp_path / "tweet.js", variant)
        assert TWITTER_ARCHIVE.sniff(doc.name, variant[:SNIFF_BYTES])
        records = read(TWITTER_ARCHIVE, doc)
        assert refusals(records) == [] and len(posts(records)) == 47
        assert {p.kind for p in posts(records)} == {"tweet"}
    # The oldest tweet.js held bare statuses, without the {"tweet": …} wrapper.
    items = json.loads(body[body.index(b"[") :])
    bare = b"window.YTD.tweet.part0 = " + json.dumps([i["tweet"] for i in items]).encode()
    records = read(TWITTER_ARCHIVE, write(tmp_path / "bare.js", bare))
    assert len(posts(records)) == 47 and posts(records)[0].location == "[0]"
    # No prefix: one refusal; cut short: the tweets before the cut, then one refusal.
    (missing,) = read(TWITTER_ARCHIVE, write(tmp_path / "x.js", body[body.index(b"[") :]))
    assert isinstance(missing, Refusal) and missing.code == "js_prefix_missing"
    records = read(TWITTER_ARCHIVE, write(tmp_path / "cut.js", body[: len(body) // 2]))
    assert 20 < len(posts(records)) < 27
    assert [r.code for r in refusals(records)] == ["json_broken"]


# -- hostile bytes ------------------------------------------------------------------------------


MUTATED = {
    "twitter_api_v1/twitter-to-sqlite_tweets.json": TWITTER_V1,
    "twitter_api_v2_twarc2/twarc-csv_geo_tweets.jsonl": TWITTER_V2,
    "twitter_api_v2_twarc2/twarc-csv_streaming_output_with_error.jsonl": TWITTER_V2,
    "twitter_archive/milahu104_deleted-tweets.js": TWITTER_ARCHIVE,
    "twitter_archive/milahu104_manifest.js": TWITTER_ARCHIVE,
}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sample=st.sampled_from(sorted(MUTATED)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 255), st.integers(0, 3)), min_size=1, max_size=8
    ),
    cut=st.floats(0.05, 1.0),
)
def test_mutated_samples_never_raise(
    tmp_path: Path, sample: str, edits: list[tuple[float, int, int]], cut: float
) -> None:
    require_shared(EXPORTS)
    data = bytearray((EXPORTS / sample).read_bytes())
    for where, byte, how in edits:
        at = int(where * (len(data) - 1))
        if how == 0:
            data[at] = byte
        elif how == 1:
            del data[at : at + byte]
        elif how == 2:
            data[at:at] = bytes([byte]) * 3
        else:
            data[at:at] = b'"coordinates": [1e999, "x"], "geo": {"place_id": 7}, '
    mutated = bytes(data[: int(len(data) * cut)])
    doc = write(tmp_path / "mutated" / Path(sample).name, mutated)
    # The sample's own reader (whatever its sniffer now says) and any that claims it.
    chosen = {MUTATED[sample], *(r for r in READERS if r.sniff(doc.name, mutated[:SNIFF_BYTES]))}
    for reader in chosen:
        for record in reader.read(export_file(doc)):
            assert isinstance(record, Post | Account | Refusal)


def test_indented_documents_and_arrays(tmp_path: Path) -> None:
    """Pages and statuses saved with json.dump(indent=…) rather than as JSON Lines."""
    require_shared(EXPORTS)
    page = json.loads((V2 / "twarc-csv_geo_tweets.jsonl").read_bytes().splitlines()[1])
    doc = write(tmp_path / "page.json", json.dumps(page, indent=2).encode())
    assert [r.name for r in READERS if r.sniff(doc.name, doc.read_bytes())] == ["twitter_v2"]
    records = read(TWITTER_V2, doc)
    assert refusals(records) == []
    assert [p.location for p in posts(records)] == ["data[0]", "includes.tweets[0]"]
    assert posts(records)[0].geotags[0].label == "Berlin, Germany"
    pages = [
        json.loads(line) for line in (V2 / "twarc-csv_two_tweets.jsonl").read_bytes().splitlines()
    ] * 2
    records = read(TWITTER_V2, write(tmp_path / "pages.json", json.dumps(pages).encode()))
    assert [p.location for p in posts(records)] == [
        "[0] data[0]",
        "[0] includes.tweets[0]",
        "[1] data[0]",
        "[1] includes.tweets[0]",
    ]
    statuses = v1_statuses()
    doc = write(tmp_path / "status.json", json.dumps(statuses[1], indent=4).encode())
    assert [r.name for r in READERS if r.sniff(doc.name, doc.read_bytes())] == ["twitter_v1"]
    (single,) = read(TWITTER_V1, doc)
    assert isinstance(single, Post) and single.location == "root"
    search = {"statuses": statuses, "search_metadata": {"count": 3}}
    records = read(TWITTER_V1, write(tmp_path / "search.json", json.dumps(search).encode()))
    assert [p.location for p in posts(records)][:2] == [
        "statuses[0]",
        "statuses[0].retweeted_status",
    ]
    assert len(posts(records)) == 5 and refusals(records) == []


def test_archive_geotags_written_as_strings(tmp_path: Path) -> None:
    """The archive writes every number as a string; geotags are read all the same."""
    require_shared(EXPORTS)
    body = DELETED.read_bytes()
    items = json.loads(body[body.index(b"[") :])
    tweet = items[0]["tweet"]
    tweet["coordinates"] = {"type": "Point", "coordinates": ["-73.9857", "40.7484"]}
    tweet["geo"] = {"type": "Point", "coordinates": ["40.7484", "-73.9857"]}
    tweet["source"] = '<a href="http://foursquare.com" rel="nofollow">Foursquare</a>'
    ring = [
        ["-74.026675", "40.683935"],
        ["-73.910408", "40.683935"],
        ["-73.910408", "40.877483"],
        ["-74.026675", "40.877483"],
    ]
    tweet["place"] = {
        "full_name": "Manhattan, NY",
        "place_type": "city",
        "bounding_box": {"type": "Polygon", "coordinates": [ring]},
    }
    items[1]["tweet"]["place"] = {
        "full_name": "Cafe",
        "place_type": "poi",
        "bounding_box": {"type": "Polygon", "coordinates": [[["13.4", "52.5"]] * 4]},
    }
    items[2]["tweet"]["coordinates"] = {"type": "Point", "coordinates": ["east", "north"]}
    doc = write(
        tmp_path / "deleted-tweets.js",
        b"window.YTD.deleted_tweets.part0 = " + json.dumps(items, indent=2).encode(),
    )
    records = read(TWITTER_ARCHIVE, doc)
    checkin, area = posts(records)[0].geotags
    # A check-in app's pin is the picked venue, not the phone: a venue with a city radius.
    assert (checkin.lat, checkin.lon, checkin.kind, checkin.radius_m) == (
        40.7484,
        -73.9857,
        "venue",
        5000.0,
    )
    assert area.label == "Manhattan, NY" and area.kind == "place_bbox"
    (cafe,) = posts(records)[1].geotags
    assert (cafe.kind, cafe.lat, cafe.radius_m) == ("venue", 52.5, 100.0)
    assert abs(cafe.lon - 13.4) < 1e-9  # bbox_geotag's antimeridian wrap moves the last bits
    (bad,) = refusals(records)
    assert (bad.code, bad.path) == ("geotag_invalid", f"{doc}#[2].tweet")
    assert len(posts(records)) == 47


# -- tweet-headers.js: the account's whole rhythm -------------------------------------------

HISTORIES = SHARED / "corpora" / "histories"


def test_tweet_headers_are_time_only_posts_of_their_author() -> None:
    from geotrace.records import HEADER_KIND
    from geotrace.sources.registry import detect

    path = require_shared(HISTORIES) / "larsbrinkhoff_tweet-headers.js"
    data = path.read_bytes()
    reader = detect("data/tweet-headers.js", data[:SNIFF_BYTES])
    assert reader is not None and reader.name == "twitter_tweet_headers"
    records = read(reader, path)
    headers = posts(records)
    listed = data.count(b'"tweet_id"')
    assert len(headers) == listed == len({p.post_id for p in headers})
    assert not refusals(records)  # every created_at agrees with its id's own clock
    first = headers[0]
    assert first.post_id == "1692853332837118055" and first.kind == HEADER_KIND
    assert first.platform == "twitter" and first.text == "" and not first.geotags
    assert first.author == Account("twitter", "3128746474")
    assert first.posted_at is not None and first.posted_at.basis == "platform_utc"
    assert first.posted_at.utc == datetime(2023, 8, 19, 10, 57, 40, tzinfo=UTC)
    assert first.raw == {
        "tweet": {
            "tweet_id": "1692853332837118055",
            "user_id": "3128746474",
            "created_at": "Sat Aug 19 10:57:40 +0000 2023",
        }
    }


def test_deleted_tweet_headers_are_read_as_headers(tmp_path: Path) -> None:
    # data/deleted-tweet-headers.js (larsbrinkhoff/twitter-data, 25 items) is the same
    # list under another global, each item with a deleted_at: built here from the shared
    # headers, each deletion stamped with its tweet's own time.
    from geotrace.records import HEADER_KIND
    from geotrace.sources.registry import detect

    data = (require_shared(HISTORIES) / "larsbrinkhoff_tweet-headers.js").read_bytes()
    deleted = data.replace(b"YTD.tweet_headers.", b"YTD.deleted_tweet_headers.", 1)
    deleted = re.sub(rb'("created_at" : "([^"]+)")', rb'\1,\n      "deleted_at" : "\2"', deleted)
    path = write(tmp_path / "data" / "deleted-tweet-headers.js", deleted)
    reader = detect(path.name, deleted[:SNIFF_BYTES])
    assert reader is not None and reader.name == "twitter_tweet_headers"
    records = read(reader, path)
    headers = posts(records)
    assert not refusals(records)
    assert len(headers) == data.count(b'"tweet_id"') == deleted.count(b'"deleted_at"')
    first = headers[0]
    assert (first.post_id, first.kind) == ("1692853332837118055", HEADER_KIND)
    assert first.author == Account("twitter", "3128746474")
    assert first.posted_at is not None
    assert first.posted_at.utc == datetime(2023, 8, 19, 10, 57, 40, tzinfo=UTC)
    assert first.raw["tweet"]["deleted_at"] == "Sat Aug 19 10:57:40 +0000 2023"


def test_a_damaged_header_is_refused_alone(tmp_path: Path) -> None:
    path = require_shared(HISTORIES) / "timlinux_tweet-headers.js"
    data = path.read_bytes()
    listed = data.count(b'"tweet_id"')
    damaged = data.replace(b'"tweet_id" : "', b'"tweet_id" : "x', 1)
    # The second header's created_at moved four years away from its id's own clock.
    damaged = damaged.replace(b"Jul 21 23:54:22 +0000 2023", b"Jul 21 23:54:22 +0000 2019", 1)
    from geotrace.sources.twitter_headers import TWEET_HEADERS

    records = read(TWEET_HEADERS, write(tmp_path / "data" / "tweet-headers.js", damaged))
    assert len(posts(records)) == listed - 1
    assert [r.code for r in refusals(records)] == ["item_invalid", "time_conflict"]
    assert "[0].tweet" in refusals(records)[0].path


# -- direct-messages.js and direct-messages-group.js: who wrote to whom, when ----------------

# larsbrinkhoff/twitter-data @ bedf1fa56839650efa7cc704303a21bfb18bc833 (no licence stated;
# the owner published the archive): two messages of data/direct-messages.js's conversation
# 2901732671-3128746474, the first group conversation of data/direct-messages-group.js with
# its participantsSnapshot cut to 3 of 51 ids, and data/account.js without its e-mail.
LARS_DMS = b"""window.YTD.direct_messages.part0 = [
  {
    "dmConversation" : {
      "conversationId" : "2901732671-3128746474",
      "messages" : [
        {
          "messageCreate" : {
            "recipientId" : "2901732671",
            "reactions" : [ ],
            "urls" : [ ],
            "text" : "Sorry, I don't.  Everyone I know uses Linux.",
            "mediaUrls" : [ ],
            "senderId" : "3128746474",
            "id" : "1621023658620735493",
            "createdAt" : "2023-02-02T05:52:12.066Z"
          }
        },
        {
          "messageCreate" : {
            "recipientId" : "3128746474",
            "reactions" : [ ],
            "urls" : [
              {
                "url" : "https://t.co/i3pqnQ8dN4",
                "expanded" : "https://twitter.com/messages/media/1620793225798713353",
                "display" : "pic.twitter.com/i3pqnQ8dN4"
              }
            ],
            "text" : "Actually never mind I seem to have gotten simh with PDP 7 working, where do I go from here now? https://t.co/i3pqnQ8dN4",
            "mediaUrls" : [ "https://ton.twitter.com/dm/1620793225798713353/1620793140624953347/srZaHjAC.jpg" ],
            "senderId" : "2901732671",
            "id" : "1620793225798713353",
            "createdAt" : "2023-02-01T14:36:32.821Z"
          }
        }
      ]
    }
  }
]"""  # noqa: E501
LARS_GROUP = b"""window.YTD.direct_messages_group.part0 = [
  {
    "dmConversation" : {
      "conversationId" : "1592446877601247234",
      "messages" : [
        {
          "messageCreate" : {
            "reactions" : [ ],
            "urls" : [
              {
                "url" : "https://t.co/LmJlrR37pP",
                "expanded" : "https://t.me/+85254255832",
                "display" : "t.me/+85254255832"
              }
            ],
            "text" : "Hello, are you looking for a part-time job now?",
            "mediaUrls" : [ ],
            "senderId" : "1590567553612619777",
            "id" : "1592446882453680132",
            "createdAt" : "2022-11-15T09:18:17.736Z"
          }
        },
        {
          "joinConversation" : {
            "initiatingUserId" : "1590567553612619777",
            "participantsSnapshot" : [
              "16800053",
              "3128746474",
              "92105013"
            ],
            "createdAt" : "2022-11-15T09:18:16.933Z"
          }
        }
      ]
    }
  }
]"""
LARS_ACCOUNT = b"""window.YTD.account.part0 = [
  {
    "account" : {
      "createdVia" : "web",
      "username" : "larsbrinkhoff",
      "accountId" : "3128746474",
      "createdAt" : "2015-03-30T10:38:02.103Z",
      "accountDisplayName" : "Lars Brinkhoff"
    }
  }
]"""


def test_direct_messages_are_posts_of_their_sender_in_their_conversation(
    tmp_path: Path,
) -> None:
    from geotrace.sources.registry import detect

    write(tmp_path / "data" / "account.js", LARS_ACCOUNT)
    kept = write(
        tmp_path / "data" / "direct_messages_media" / "1620793225798713353-srZaHjAC.jpg", b""
    )
    path = write(tmp_path / "data" / "direct-messages.js", LARS_DMS)
    reader = detect(path.name, LARS_DMS[:SNIFF_BYTES])
    assert reader is not None and reader.name == "twitter_direct_messages"
    records = read(reader, path)
    assert not refusals(records)
    sent, received = posts(records)
    assert [p.post_id for p in (sent, received)] == ["1621023658620735493", "1620793225798713353"]
    assert {p.kind for p in (sent, received)} == {"direct_message"}
    assert sent.author == Account("twitter", "3128746474", "larsbrinkhoff", "Lars Brinkhoff")
    assert received.author == Account("twitter", "2901732671")
    assert sent.chat == received.chat == Account("twitter", "2901732671-3128746474")
    assert received.posted_at is not None and received.posted_at.basis == "platform_utc"
    assert received.posted_at.utc == datetime(2023, 2, 1, 14, 36, 32, 821000, tzinfo=UTC)
    assert received.raw["recipientId"] == "3128746474"
    assert received.text.startswith("Actually never mind")
    (photo,) = received.media
    assert photo.url is not None and photo.url.endswith("/srZaHjAC.jpg")
    assert photo.path == kept.relative_to(path.parent).as_posix()


def test_group_dms_keep_their_join_events_as_posts(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "direct-messages-group.js", LARS_GROUP)
    from geotrace.sources.registry import detect

    reader = detect(path.name, LARS_GROUP[:SNIFF_BYTES])
    assert reader is not None and reader.name == "twitter_direct_messages"
    records = read(reader, path)
    assert not refusals(records)
    message, joined = posts(records)
    group = Account("twitter", "1592446877601247234")
    assert (message.kind, message.chat, message.media) == ("direct_message", group, ())
    assert joined.kind == "dm_join_conversation" and joined.chat == group
    assert joined.author == Account("twitter", "1590567553612619777")
    assert joined.posted_at is not None
    assert joined.posted_at.utc == datetime(2022, 11, 15, 9, 18, 16, 933000, tzinfo=UTC)
    assert joined.raw["participantsSnapshot"] == ["16800053", "3128746474", "92105013"]
    # A damaged message is refused alone; the conversation's other events are kept.
    damaged = LARS_GROUP.replace(b'"id" : "1592446882453680132"', b'"id" : "x"')
    records = read(reader, write(tmp_path / "d" / "direct-messages-group.js", damaged))
    assert [p.kind for p in posts(records)] == ["dm_join_conversation"]
    assert [r.code for r in refusals(records)] == ["item_invalid"]
    assert "messages[0]" in refusals(records)[0].path


def test_dm_headers_are_headers_that_the_full_messages_replace(tmp_path: Path) -> None:
    """direct-message-headers.js (id, sender, recipient, time; no text) was unrecognised:
    each is a header post, and the full DM read before or after is the one post kept."""
    from geotrace import api
    from geotrace.sources.registry import detect

    headers = re.sub(rb'\s*"(text|mediaUrls|urls|reactions)" : (".*?"|\[[^\]]*\]),', b"", LARS_DMS)
    headers = headers.replace(b"YTD.direct_messages.", b"YTD.direct_message_headers.")
    assert b'"text"' not in headers
    path = write(tmp_path / "h" / "data" / "direct-message-headers.js", headers)
    reader = detect(path.name, headers[:SNIFF_BYTES])
    assert reader is not None and reader.name == "twitter_direct_messages"
    records = read(reader, path)
    assert not refusals(records)
    assert [(p.post_id, p.kind, p.text) for p in posts(records)] == [
        ("1621023658620735493", "header", ""),
        ("1620793225798713353", "header", ""),
    ]
    full = write(tmp_path / "f" / "data" / "direct-messages.js", LARS_DMS)
    for order in ([path, full], [full, path]):
        case = tmp_path / f"{order[0].parent.parent.name}.case"
        for document in order:
            api.ingest([document], case)
        kept = {p["post_id"]: (p["kind"], p["text"]) for p in api.posts(case)}
        assert {kind for kind, _ in kept.values()} == {"direct_message"}
        assert kept["1620793225798713353"][1].startswith("Actually never mind")
