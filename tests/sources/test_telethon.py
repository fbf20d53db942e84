"""Telethon dumps (``Message.to_json()`` lines, arrays) and 4CAT's Telegram NDJSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Link, Post
from geotrace.sources.base import ExportFile, Refusal
from geotrace.sources.telethon import TELETHON
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
SAMPLE = EXPORTS / "telegram_telethon_json" / "generated_telethon-1.45.0_to_json.jsonl"
CHANNEL = Account("telegram", "channel1234567890")


def _doc(name: str, data: bytes) -> ExportFile:
    return ExportFile(name, len(data), lambda: io.BytesIO(data))


def _read(name: str, data: bytes) -> list[Any]:
    return list(TELETHON.read(_doc(name, data)))


def _posts(records: list[Any]) -> dict[str, Post]:
    return {r.post_id: r for r in records if isinstance(r, Post)}


def _sample_lines() -> list[bytes]:
    require_shared(EXPORTS)
    return SAMPLE.read_bytes().splitlines()


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _check_sample_posts(posts: dict[str, Post]) -> None:
    assert list(posts) == [f"1234567890/{n}" for n in range(101, 107)]
    geo = posts["1234567890/101"]
    assert geo.text == "Колонна техники у въезда в город"
    assert geo.posted_at is not None and geo.posted_at.utc == _utc(2022, 3, 1, 9, 15)
    assert geo.posted_at.basis == "platform_utc" and geo.posted_at.uncertainty_s == 0.0
    assert geo.chat == geo.author  # a broadcast post: the channel is its author
    assert geo.author is not None and geo.author.account_id == "channel1234567890"
    (tag,) = geo.geotags
    assert (tag.lat, tag.lon, tag.radius_m, tag.kind) == (55.7558, 37.6173, 50.0, "point")
    venue = posts["1234567890/102"].geotags[0]
    assert (venue.lat, venue.lon, venue.radius_m, venue.kind) == (50.4501, 30.5234, 100.0, "venue")
    assert venue.label == "Майдан Незалежності, Kyiv"
    live = posts["1234567890/104"].geotags[0]
    assert (live.lat, live.lon, live.radius_m, live.kind) == (
        49.9935,
        36.2304,
        10.0,
        "live_location",
    )
    forward = posts["1234567890/103"]
    assert forward.links == (
        Link(
            "forward_of",
            post_id="987654321/4455",
            account_id="channel987654321",
            at=forward.links[0].at,
        ),
    )
    assert forward.links[0].at is not None
    assert forward.links[0].at.utc == _utc(2022, 2, 27, 7, 0)
    assert [m.kind for m in forward.media] == ["photo"]
    assert forward.media[0].metadata["id"] == 5555
    assert posts["1234567890/105"].kind == "service"
    assert posts["1234567890/106"].geotags == ()  # GeoPointEmpty: no position sent


def test_sample_lines() -> None:
    require_shared(EXPORTS)
    records = _read(SAMPLE.name, SAMPLE.read_bytes())
    assert all(isinstance(r, Post) for r in records)
    posts = _posts(records)
    _check_sample_posts(posts)
    first = posts["1234567890/101"]
    assert first.location == "line 1"
    assert first.url == "https://t.me/c/1234567890/101"
    assert first.raw["views"] == 5321  # raw is the item as parsed


def test_json_array_of_messages() -> None:
    lines = _sample_lines()
    data = b"[\n" + b",\n".join(lines) + b"\n]\n"
    records = _read("dump.json", data)
    assert TELETHON.sniff("dump.json", data[:65536])
    _check_sample_posts(_posts(records))
    assert [r.location for r in records] == [f"[{i}]" for i in range(6)]


def _to_4cat(value: Any, root: bool = True) -> Any:
    """A Telethon ``to_json`` object re-serialised the way 4CAT's ``serialize_obj`` does:
    ``_type`` on nested objects only, datetimes as float Unix seconds."""
    if isinstance(value, list):
        return [_to_4cat(v, False) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "_":
            continue
        if key in ("date", "edit_date") and isinstance(item, str):
            out[key] = datetime.fromisoformat(item).timestamp()
        else:
            out[key] = _to_4cat(item, False)
    if not root and "_" in value:
        out["_type"] = value["_"]
    return out


def test_4cat_ndjson_variant() -> None:
    lines = []
    for line in _sample_lines():
        message = json.loads(line)
        if message["_"] == "MessageService":
            continue  # 4CAT skips service messages
        item = _to_4cat(message)
        item["_chat"] = {
            "_type": "Channel",
            "id": 1234567890,
            "title": "Demo channel",
            "username": "demo_channel",
        }
        item["_sender"] = None
        lines.append(json.dumps(item, ensure_ascii=False).encode())
    data = b"\n".join(lines) + b"\n"
    assert b'"_type": "PeerChannel"' in data and b'"_":' not in data
    assert TELETHON.sniff("telegram-dataset.ndjson", data[:65536])
    posts = _posts(_read("telegram-dataset.ndjson", data))
    assert len(posts) == 5
    first = posts["1234567890/101"]
    assert first.posted_at is not None and first.posted_at.utc == _utc(2022, 3, 1, 9, 15)
    assert first.posted_at.source == "date"
    assert first.chat == Account("telegram", "channel1234567890", "demo_channel", "Demo channel")
    assert first.url == "https://t.me/demo_channel/101"
    assert first.geotags[0].lat == 55.7558 and first.geotags[0].lon == 37.6173
    assert posts["1234567890/102"].geotags[0].label == "Майдан Незалежності, Kyiv"
    assert posts["1234567890/104"].geotags[0].kind == "live_location"
    forward = posts["1234567890/103"].links[0]
    assert forward.post_id == "987654321/4455"
    assert forward.at is not None and forward.at.utc == _utc(2022, 2, 27, 7, 0)


def _message(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "_": "Message",
        "id": 7,
        "peer_id": {"_": "PeerUser", "user_id": 42},
        "date": "2023-05-01T10:00:00+00:00",
        "message": "hi",
        "out": False,
        "from_id": None,
        "fwd_from": None,
        "reply_to": None,
        "media": None,
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_private_chat_authors_and_replies() -> None:
    data = b"\n".join(
        [
            _message(),
            _message(id=8, out=True),
            _message(
                id=9,
                from_id={"_": "PeerUser", "user_id": 5},
                peer_id={"_": "PeerChat", "chat_id": 77},
                reply_to={
                    "_": "MessageReplyHeader",
                    "reply_to_msg_id": 3,
                    "reply_to_peer_id": None,
                },
            ),
            _message(
                id=10,
                from_id=5,
                to_id={"_": "PeerChannel", "channel_id": 9},
                peer_id=None,
                reply_to_msg_id=4,
            ),
        ]
    )
    posts = _posts(_read("x.jsonl", data))
    assert posts["42/7"].author == Account("telegram", "user42")  # the other party
    assert posts["42/8"].author is None  # sent by the dumping account, id unknown
    assert posts["42/7"].url is None
    group = posts["77/9"]
    assert group.author == Account("telegram", "user5")
    assert group.chat == Account("telegram", "chat77")
    assert group.links == (Link("reply_to", post_id="77/3"),)
    old = posts["9/10"]  # Telethon before layer 119: ``to_id``, integer ``from_id``
    assert old.author == Account("telegram", "user5")
    assert old.links == (Link("reply_to", post_id="9/4"),)


def test_bad_geo_is_refused_and_the_post_kept() -> None:
    media = {"_": "MessageMediaGeo", "geo": {"_": "GeoPoint", "long": 30.0, "lat": 95.0}}
    zero = {"_": "MessageMediaGeo", "geo": {"_": "GeoPoint", "long": 0, "lat": 0}}
    records = _read("x.jsonl", _message(media=media) + b"\n" + _message(id=8, media=zero))
    assert [type(r).__name__ for r in records] == ["Post", "Refusal", "Post", "Refusal"]
    assert records[0].geotags == ()
    assert records[1].code == "geotag_invalid" and records[1].path == "x.jsonl#line 1"
    assert "out of range" in records[1].message
    assert "placeholder" in records[3].message


def test_broken_lines_bom_and_truncation() -> None:
    lines = _sample_lines()
    data = (
        b"\xef\xbb\xbf"
        + lines[0]
        + b"\n"
        + b'{"_": "Message", "id": }\n'
        + lines[1]
        + b"\n"
        + b'"just a string"\n'
        + b'{"_": "MessageEmpty", "id": 3}\n'
        + lines[2][:200]
    )
    records = _read("dump.jsonl", data)
    kinds = [(type(r).__name__, getattr(r, "code", None)) for r in records]
    assert kinds == [
        ("Post", None),
        ("Refusal", "json_line_invalid"),
        ("Post", None),
        ("Refusal", "item_invalid"),
        ("Refusal", "not_a_message"),
        ("Refusal", "json_line_invalid"),
    ]
    assert records[1].path == "dump.jsonl:line 2"
    assert "cut off" in records[5].message
    assert records[2].location == "line 3"


def test_broken_array_keeps_what_came_before() -> None:
    lines = _sample_lines()
    data = b"[" + b",".join(lines)[: len(lines[0]) + len(lines[1]) + 50]
    records = _read("dump.json", data)
    assert [type(r).__name__ for r in records] == ["Post", "Post", "Refusal"]
    assert records[2].code == "json_broken"


def test_sniff_accepts_only_the_telethon_sample() -> None:
    require_shared(EXPORTS)
    files = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file()]
    assert len(files) > 25
    for path in files:
        head = path.read_bytes()[:65536]
        assert TELETHON.sniff(path.name, head) == (path == SAMPLE), path


def test_sniff_rejects_lookalikes() -> None:
    assert not TELETHON.sniff("x.jsonl", b'{"peer_id": 5, "_": "Message"}\n')
    assert not TELETHON.sniff("x.csv", _message())
    assert not TELETHON.sniff("x.json", b"  " + b"garbage" + _message())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sample_never_raises(data: st.DataObject) -> None:
    if not SAMPLE.exists():
        return
    blob = bytearray(SAMPLE.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(blob) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            blob[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del blob[at : at + data.draw(st.integers(1, 400))]
        else:
            blob[at:at] = data.draw(
                st.sampled_from(
                    [
                        b"\n",
                        b"{",
                        b"]",
                        b"null",
                        b'"_": "GeoPoint"',
                        b"1e999",
                        b"\xff",
                        b'"lat": "x"',
                    ]
                )
            )
        if not blob:
            break
    name = data.draw(st.sampled_from(["d.jsonl", "d.json"]))
    payload = bytes(blob) if data.draw(st.booleans()) else b"[" + bytes(blob) + b"]"
    for record in _read(name, payload):
        assert isinstance(record, Post | Account | Refusal)


def test_doc_path_in_refusals(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(_message(peer_id={"_": "PeerChannel"}))
    doc = ExportFile(str(path), path.stat().st_size, lambda: path.open("rb"))
    (refusal,) = list(TELETHON.read(doc))
    assert isinstance(refusal, Refusal)
    assert refusal.path == f"{path}#line 1" and refusal.code == "item_invalid"
