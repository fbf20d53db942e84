"""4CAT-style tables (CSV, NDJSON rows) and user-mapped tables.

No 4CAT export could be sampled; the tables below follow the columns of 4CAT's
``map_item`` for Telegram, Instagram and X (research/exports.md §5).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Link, Post
from geotrace.sources.base import SNIFF_BYTES, ExportFile, Refusal
from geotrace.sources.generic import TABLE, Replay, read_table
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"

TELEGRAM_CSV = (
    "id,thread_id,chat,author,author_username,author_name,body,reply_to,views,timestamp,"
    "unix_timestamp,attachment_type\r\n"
    '101,demo_channel,demo_channel,1234,rw_admin,Road Watch,"Convoy, northbound",,5321,'
    "2022-03-01 10:15:00,1646126100,\r\n"
    '102,demo_channel,demo_channel,1234,,,"two\r\nlines",101,,2022-03-01 10:16:30,'
    "1646126190,photo\r\n"
    "103,demo_channel,demo_channel,1234,rw_admin,,bad time,,,2022-03-01 10:17:00,"
    "yesterday,\r\n"
)

INSTAGRAM_CSV = (
    "id,thread_id,body,author,author_fullname,timestamp,type,url,image_url,location_name,"
    "location_latlong,location_city,unix_timestamp,platform\n"
    "C1abc,C1abc,Sunset 🌅,someone,Some One,2024-01-02 21:48:08,photo,"
    "https://www.instagram.com/p/C1abc,https://cdn.example/x.jpg,Plaza de Bolívar,"
    '"4.5981,-74.0760",Bogotá,1704232088,Instagram\n'
)

X_CSV = (
    "id,thread_id,timestamp,unix_timestamp,link,body,author,author_fullname,author_id,long_lat,"
    "place_name,lat\n"
    "1249702384659554308,1249702384659554308,2020-04-13 14:00:00,1586786400,"
    'https://twitter.com/a/status/1249702384659554308,hello,a,A,99,"88.01785747, 42.77810097",'
    "Turpan,\n"
    "1249702384659554309,1249702384659554309,2020-04-13 14:00:00,1586786400,,half,a,A,99,,,"
    "48.1\n"
)


def _read(name: str, data: bytes) -> list[Any]:
    return list(TABLE.read(ExportFile(name, len(data), lambda: io.BytesIO(data))))


def _kinds(records: list[Any]) -> list[tuple[str, str | None]]:
    return [(type(r).__name__, getattr(r, "code", None)) for r in records]


def test_4cat_telegram_csv() -> None:
    data = TELEGRAM_CSV.encode()
    assert TABLE.sniff("telegram.csv", data)
    records = _read("telegram.csv", data)
    assert _kinds(records) == [
        ("Post", None),
        ("Post", None),
        ("Post", None),
        ("Refusal", "time_invalid"),
    ]
    first, second, untimed, refusal = records
    assert (first.platform, first.post_id, first.location) == (
        "unknown",
        "demo_channel/101",
        "line 2",
    )
    assert first.text == "Convoy, northbound"
    assert first.author == Account("unknown", "1234", "rw_admin", "Road Watch")
    assert first.chat == Account("unknown", "demo_channel", "demo_channel")
    at = first.posted_at
    assert at is not None and at.utc == datetime(2022, 3, 1, 9, 15, tzinfo=UTC)
    assert (at.basis, at.source) == ("platform_utc", "unix_timestamp")  # not "timestamp"
    assert second.text == "two\r\nlines" and second.location == "line 3"
    assert second.author == Account("unknown", "1234", None, None)
    assert second.links == (Link("reply_to", post_id="demo_channel/101"),)
    assert untimed.posted_at is None and untimed.location == "line 5"
    assert refusal.path == "telegram.csv#line 5" and "yesterday" in refusal.message
    assert first.raw["timestamp"] == "2022-03-01 10:15:00"


def test_4cat_instagram_csv_venue_and_platform() -> None:
    (post,) = _read("ig.csv", INSTAGRAM_CSV.encode())
    assert post.platform == "instagram" and post.post_id == "C1abc"
    assert post.text == "Sunset 🌅" and post.url == "https://www.instagram.com/p/C1abc"
    (tag,) = post.geotags
    assert (tag.lat, tag.lon, tag.radius_m, tag.kind) == (4.5981, -74.0760, 100.0, "venue")
    assert (tag.label, tag.source) == ("Plaza de Bolívar", "location_latlong")
    assert post.media[0].url == "https://cdn.example/x.jpg"
    assert post.author == Account("instagram", "someone", "someone", "Some One")


def test_4cat_x_csv_long_lat_and_half_coordinates() -> None:
    records = _read("x.csv", X_CSV.encode())
    assert _kinds(records) == [("Post", None), ("Post", None), ("Refusal", "geotag_invalid")]
    tag = records[0].geotags[0]
    assert (tag.lat, tag.lon, tag.kind) == (42.77810097, 88.01785747, "point")  # lon first
    assert records[0].author == Account("unknown", "99", "a", "A")
    assert records[0].url == "https://twitter.com/a/status/1249702384659554308"
    assert records[1].geotags == ()
    assert "only one coordinate" in records[2].message and records[2].path == "x.csv#line 3"


def test_malformed_rows_and_encodings() -> None:
    data = (
        b"\xef\xbb\xbfid,body,unix_timestamp,lat,lng\n"
        b"1,ok,1700000000,91,10\n"
        b"2,too,many,cells,here,x\n"
        b"3,caf\xe9,1700000000,,\n"
        b'4,"unterminated,1700000000,,\n'
        b"5,after,1700000000,,\n"
    )
    assert TABLE.sniff("t.csv", data)
    records = _read("t.csv", data)
    assert _kinds(records)[:4] == [
        ("Post", None),
        ("Refusal", "geotag_invalid"),
        ("Refusal", "row_malformed"),
        ("Refusal", "row_encoding"),
    ]
    assert records[0].post_id == "1" and records[0].geotags == ()
    assert records[2].path == "t.csv#line 3" and records[3].path == "t.csv#line 4"
    # an unterminated quote swallows the rest of the file into one row: refused, no crash
    assert all(isinstance(r, Post | Refusal) for r in records)


def test_semicolon_and_tab_tables() -> None:
    data = b"id;body;unix_timestamp;latitude;longitude\n1;hallo;1700000000;52,1;4,3\n"
    (post, refusal) = _read("eu.csv", data)
    assert post.text == "hallo" and refusal.code == "geotag_invalid"  # decimal commas
    tsv = b"id\tbody\tunix_timestamp\n1\ttab\t1700000000\n"
    assert TABLE.sniff("t.tsv", tsv)
    (post,) = _read("t.tsv", tsv)
    assert post.text == "tab"


def test_ndjson_rows() -> None:
    rows = [
        {
            "id": 5,
            "body": "flat",
            "unix_timestamp": 1700000000.5,
            "lat": 50.45,
            "lng": 30.52,
            "author": "x",
        },
        [1, 2],
        {"id": 6, "body": "no time"},
        {"other": True},
    ]
    data = ("\n".join(json.dumps(r) for r in rows) + "\n{broken").encode()
    assert TABLE.sniff("rows.ndjson", data)
    records = _read("rows.ndjson", data)
    assert _kinds(records) == [
        ("Post", None),
        ("Refusal", "item_invalid"),
        ("Refusal", "item_invalid"),
        ("Refusal", "item_invalid"),
        ("Refusal", "json_line_invalid"),
    ]
    post = records[0]
    assert post.post_id == "5" and post.posted_at is not None
    assert post.posted_at.utc == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    assert (post.geotags[0].lat, post.geotags[0].radius_m) == (50.45, 50.0)


def test_user_mapping() -> None:
    data = (
        b"post,when,message,who,y,x\n"
        b"a1,2024-05-01T10:00:00+02:00,hello,bob,48.85,2.35\n"
        b"a2,2024-05-01 10:00:00,local,bob,,\n"
    )
    doc = ExportFile("mine.csv", len(data), lambda: io.BytesIO(data))
    mapping = {
        "id": "post",
        "iso_time": "when",
        "text": "message",
        "author_handle": "who",
        "lat": "y",
        "lon": "x",
    }
    records = list(read_table(doc, mapping, "vk"))
    assert _kinds(records) == [("Post", None), ("Post", None), ("Refusal", "time_invalid")]
    first = records[0]
    assert first.platform == "vk" and first.author == Account("vk", "bob", "bob")
    assert first.posted_at.utc == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert first.geotags[0].source == "y/x"
    assert records[1].posted_at is None  # no zone: not a platform UTC
    (bad,) = list(read_table(doc, {"id": "post", "colour": "x"}, "vk"))
    assert bad.code == "mapping_invalid"
    (typo,) = list(read_table(doc, {"id": "post", "text": "mesage"}, "vk"))
    assert typo.code == "mapping_invalid" and "mesage" in typo.message


def test_sniff_rejects_unrelated_tables() -> None:
    assert not TABLE.sniff("addresses.csv", b"name,street,city\nA,Main St,Kyiv\n")
    assert not TABLE.sniff("t.csv", b"id,body,timestamp\n1,x,2022-01-01 10:00:00\n")
    assert not TABLE.sniff("t.json", b'{"id": 1, "text": "x", "created_at": 5}\n')
    assert not TABLE.sniff("t.csv", b"id,body,unix_timestamp")  # header never ends
    assert not TABLE.sniff("t.txt", b"id,body,unix_timestamp\n")


def test_sniff_rejects_every_sample() -> None:
    require_shared(EXPORTS)
    files = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file()]
    assert files
    for path in files:
        assert not TABLE.sniff(path.name, path.read_bytes()[:SNIFF_BYTES]), path


def test_replay_gives_the_head_back() -> None:
    raw = io.BytesIO(b"line one\nline two\nline three\n")
    head = raw.read(12)
    replay = Replay(head, raw)
    assert list(replay) == [b"line one\n", b"line two\n", b"line three\n"]
    raw = io.BytesIO(b"abcdefgh")
    replay = Replay(raw.read(3), raw)
    assert replay.read(2) == b"ab" and replay.read(4) == b"cdef" and replay.read() == b"gh"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_tables_never_raise(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from([TELEGRAM_CSV, INSTAGRAM_CSV, X_CSV]))
    blob = bytearray(source.encode())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and blob:
            blob[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del blob[at : at + data.draw(st.integers(1, 80))]
        else:
            blob[at:at] = data.draw(
                st.sampled_from([b'"', b"\n", b",", b"\x00", b"\xff", b"1e999", b"nan", b"\r"])
            )
    name = data.draw(st.sampled_from(["t.csv", "t.tsv", "t.ndjson"]))
    for record in _read(name, bytes(blob)):
        assert isinstance(record, Post | Account | Refusal)
