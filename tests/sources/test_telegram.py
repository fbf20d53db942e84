"""Telegram Desktop JSON export reader, on the real samples and on broken variants of them.

Expected values come from a plain ``json.load`` of each sample (fine in a test), so every
message of every sample must come out as a post with the id, place in the file and time
the export gives it.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Geotag, Link, MediaRef, Post
from geotrace.sources import telegram as tg
from geotrace.sources.base import ExportFile, Record, Refusal
from geotrace.sources.jsonstream import scan
from geotrace.sources.telegram_message import chat_account_id, exporter_offset
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
DESKTOP = EXPORTS / "telegram_desktop_json"
NAMES = ("2020-01", "2021-05", "2023-01", "2023-10_audio-video", "2024-08", "2025-12")


def sample(name: str) -> Path:
    require_shared(EXPORTS)
    return DESKTOP / f"chm_telegram_{name}.result.json"


def doc_of(path: Path) -> ExportFile:
    return ExportFile(str(path), path.stat().st_size, lambda: path.open("rb"))


def read(path: Path) -> list[Record]:
    return list(tg.read(doc_of(path)))


def read_bytes(tmp_path: Path, data: bytes, name: str = "result.json") -> list[Record]:
    path = tmp_path / name
    path.write_bytes(data)
    return read(path)


def posts(records: list[Record]) -> list[Post]:
    return [r for r in records if isinstance(r, Post)]


def refusals(records: list[Record]) -> list[Refusal]:
    return [r for r in records if isinstance(r, Refusal)]


def reference(obj: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(location, chat, message) for every message, as the export lays them out."""
    if "messages" in obj:
        return [(f"messages[{j}]", obj, m) for j, m in enumerate(obj["messages"])]
    out = []
    for section in ("chats", "left_chats"):
        for i, chat in enumerate(obj.get(section, {}).get("list", [])):
            for j, message in enumerate(chat["messages"]):
                out.append((f"{section}.list[{i}].messages[{j}]", chat, message))
    return out


def location_of(data: bytes, message_id: int) -> str:
    return next(loc for loc, _, m in reference(json.loads(data)) if m["id"] == message_id)


def plain(text: object) -> str:
    if isinstance(text, str):
        return text
    assert isinstance(text, list)
    return "".join(p if isinstance(p, str) else p["text"] for p in text)


# -- recognition ------------------------------------------------------------------------------


def test_sniff_accepts_the_desktop_samples_and_nothing_else_in_the_corpus() -> None:
    require_shared(EXPORTS)
    files = sorted(p for p in EXPORTS.rglob("*") if p.is_file() and p.suffix != ".md")
    assert len(files) > 20
    for path in files:
        expected = path.parent.name == "telegram_desktop_json"
        assert tg.sniff(path.name, path.read_bytes()[:65536]) is expected, path


def test_sniff_takes_a_single_chat_export_and_refuses_near_misses() -> None:
    chat = b'{\n "name": "A",\n "type": "personal_chat",\n "id": 5,\n "messages": [\n  {\n'
    assert tg.sniff("result.json", chat + b'   "id": 1, "type": "message", "date": "2020')
    assert tg.sniff("result.json", b"\xef\xbb\xbf" + chat)
    assert not tg.sniff("result.jsonl", chat)
    assert not tg.sniff("x.json", b'{"name": "A", "id": 5, "messages": [{"text": "hi"}]}')
    assert not tg.sniff("x.json", b'{"about": "x", "response": {"items": []}}')
    assert not tg.sniff("x.json", b'[{"id": 1}]')
    assert not tg.sniff("x.json", b'{"a":' + b"[" * 65000)  # no blow-up on a bracket bomb


# -- every message, as the export gives it -----------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_message_of_every_sample_is_a_post(name: str) -> None:
    path = sample(name)
    expected = reference(json.loads(path.read_bytes()))
    records = read(path)
    assert refusals(records) == []
    got = posts(records)
    assert [p.location for p in got] == [loc for loc, _, _ in expected]
    assert [p.post_id for p in got] == [f"{c['id']}/{m['id']}" for _, c, m in expected]
    assert [p.raw for p in got] == [m for _, _, m in expected]
    assert [p.kind for p in got] == [m["type"] for _, _, m in expected]
    assert [p.text for p in got] == [plain(m["text"]) for _, _, m in expected]
    assert all(p.platform == "telegram" and p.url is None for p in got)
    assert [p.chat.name if p.chat else None for p in got] == [c.get("name") for _, c, _ in expected]


def test_2020_01_counts_chats_and_the_inferred_exporter_offset() -> None:
    path = sample("2020-01")
    got = posts(read(path))
    assert len(got) == 50
    assert sum(p.kind == "service" for p in got) == 8
    assert len({p.chat for p in got}) == 4
    for post in got:
        at = post.posted_at
        assert at is not None and at.local is not None and at.utc is not None
        assert at.basis == "exporter_offset_inferred"
        assert at.source == "date+edited_1970"
        assert at.uncertainty_s == 3600
        assert at.local == datetime.fromisoformat(post.raw["date"])  # type: ignore[arg-type]
        assert at.utc == (at.local - timedelta(hours=5)).replace(tzinfo=UTC)
    with path.open("rb") as f:
        assert exporter_offset(f) == timedelta(hours=5)


@pytest.mark.parametrize("name", ["2023-01", "2023-10_audio-video", "2024-08", "2025-12"])
def test_newer_exports_are_platform_utc_from_date_unixtime(name: str) -> None:
    for post in posts(read(sample(name))):
        at = post.posted_at
        assert at is not None
        assert at.basis == "platform_utc" and at.source == "date_unixtime"
        assert at.uncertainty_s == 0
        assert at.utc == datetime.fromtimestamp(int(post.raw["date_unixtime"]), UTC)  # type: ignore[arg-type]


def test_2021_05_string_ids_and_offset() -> None:
    got = posts(read(sample("2021-05")))
    assert [p.post_id for p in got] == ["123123123/4720", "123123123/4721", "123123123/4730"]
    assert [p.author.account_id if p.author else None for p in got] == [
        "user22222222",
        "channel8112233",
        "user44444444",
    ]
    assert {p.posted_at.basis for p in got if p.posted_at} == {"exporter_offset_inferred"}
    assert got[0].chat == Account("telegram", "chat123123123", None, "My Group")


def test_without_date_unixtime_or_1970_placeholder_the_zone_is_unknown(tmp_path: Path) -> None:
    data = sample("2023-01").read_bytes()
    stripped = re.sub(rb'\n *"date_unixtime": "\d+",', b"", data)
    assert b"date_unixtime" not in stripped and b'"edited"' not in stripped
    got = posts(read_bytes(tmp_path, stripped))
    assert len(got) == 6
    for post in got:
        at = post.posted_at
        assert at is not None
        assert (at.basis, at.utc, at.uncertainty_s) == ("unknown_zone", None, 14 * 3600)
        assert at.local == datetime.fromisoformat(post.raw["date"])  # type: ignore[arg-type]


def test_a_west_of_greenwich_exporter_and_a_placeholder_found_late(tmp_path: Path) -> None:
    data = sample("2020-01").read_bytes()
    west = data.replace(b'"1970-01-01T05:00:00"', b'"1969-12-31T19:00:00"')
    # Keep only the last placeholder: the offset must still hold for every message before it.
    last = west.rfind(b'"edited": "1969-12-31T19:00:00",')
    head = re.sub(rb'\n *"edited": "1969-12-31T19:00:00",', b"", west[:last])
    got = posts(read_bytes(tmp_path, head + west[last:]))
    assert len(got) == 50
    first = got[0].posted_at
    assert first is not None and first.basis == "exporter_offset_inferred"
    assert first.utc == datetime(2016, 11, 9, 5, 26, 24, tzinfo=UTC)  # 00:26:24 at UTC-5


def test_exporter_offset_reads_across_block_boundaries() -> None:
    filler = b" " * ((1 << 20) - 20)
    data = filler + b'"edited": "1970-01-01T03:30:00"'
    assert exporter_offset(io.BytesIO(data)) == timedelta(hours=3, minutes=30)
    assert (
        exporter_offset(io.BytesIO(b'"date_unixtime": "1", "edited": "1970-01-01T03:00:00"'))
        is None
    )
    assert exporter_offset(io.BytesIO(b'"edited": "2019-01-01T03:00:00"')) is None


# -- geotags ----------------------------------------------------------------------------------


def test_tashkent_live_location_comes_out_exactly() -> None:
    got = {p.post_id: p for p in posts(read(sample("2020-01")))}
    post = got["8123123123/129455"]
    assert post.geotags == (
        Geotag(41.311194, 69.279725, 50.0, "live_location", "location_information", None),
    )
    assert post.author == Account("telegram", "user666666666", None, "Iiiii Kkkkkkkkkk")
    assert post.posted_at is not None
    assert post.posted_at.utc == datetime(2019, 9, 24, 15, 47, 19, tzinfo=UTC)
    assert sum(bool(p.geotags) for p in got.values()) == 1


_TASHKENT = re.compile(
    rb'"location_information": \{\s*"latitude": 41.311194,\s*'
    rb'"longitude": 69.279725\s*\},'
)


def test_live_location_without_a_point_gives_no_geotag(tmp_path: Path) -> None:
    data = _TASHKENT.sub(b'"location_information": null,', sample("2020-01").read_bytes())
    records = read_bytes(tmp_path, data)
    assert refusals(records) == []
    assert len(posts(records)) == 50
    assert not any(p.geotags for p in posts(records))


def test_venue_and_an_invalid_point(tmp_path: Path) -> None:
    data = sample("2020-01").read_bytes()
    venue = data.replace(
        b'"live_location_period_seconds": 132,',
        b'"place_name": "Chorsu Bazaar", "address": "Tashkent",',
    )
    (post,) = [p for p in posts(read_bytes(tmp_path, venue)) if p.geotags]
    assert post.geotags == (
        Geotag(
            41.311194, 69.279725, 100.0, "venue", "location_information", "Chorsu Bazaar, Tashkent"
        ),
    )
    bad = data.replace(b'"latitude": 41.311194', b'"latitude": 141.311194')
    records = read_bytes(tmp_path, bad, "bad.json")
    assert len(posts(records)) == 50
    (refusal,) = refusals(records)
    assert refusal.code == "geotag_invalid"
    assert refusal.path.endswith(f"#{location_of(data, 129455)}.location_information")
    assert "out of range" in refusal.message


# -- accounts, media, links -------------------------------------------------------------------


def test_authors_chats_and_the_exporting_account() -> None:
    records = read(sample("2020-01"))
    assert records[0] == Account("telegram", "user11111111", "frozenspider", "Aaaaa Aaaaaaaaaaa")
    got = posts(records)
    # Integer from_id/actor_id (before layer 119) is a user's id.
    assert got[0].author == Account("telegram", "user22222222", None, "Wwwwww Www")
    assert all(p.author is None or p.author.account_id.startswith("user") for p in got)
    newest = posts(read(sample("2025-12")))
    assert newest[0].chat == Account("telegram", "chat123123123", None, "Dummy Private Group")
    assert newest[-1].chat == Account("telegram", "channel123456789", None, "Dummy Public Channel")
    assert newest[-1].author is not None
    assert newest[-1].author.account_id == "channel1123456789"


def test_chat_account_ids_follow_the_id_era() -> None:
    f = chat_account_id
    assert f("public_channel", 123, False) == "channel123"
    assert f("personal_chat", 5555555555, False) == "user5555555555"  # a new 64-bit user id
    assert f("personal_chat", (1 << 32) + 777, True) == "user777"  # old shifted peer id
    assert f("personal_chat", (1 << 32) + 777, None) == str((1 << 32) + 777)  # ambiguous
    assert f("private_supergroup", (2 << 32) + 42, None) == "channel42"
    assert f("private_group", (2 << 32) + 42, True) == "chat42"
    assert f("private_group", 8123123123, True) == "8123123123"  # fits no form: as written
    assert f(None, 7, False) == "7"


def test_media_paths_placeholders_and_metadata() -> None:
    got = {p.post_id: p for p in posts(read(sample("2023-10_audio-video")))}
    audio = got["123123123/11112"]
    assert audio.media == (
        MediaRef(
            path="audio_file.mp3",
            kind="audio_file",
            metadata={
                "mime_type": "audio/mpeg",
                "duration_seconds": 123,
                "performer": "Audio Performer",
                "title": "Song Name",
            },
        ),
        MediaRef(path="audio_file.mp3_thumb.jpg", kind="thumbnail"),
    )
    got_2020 = posts(read(sample("2020-01")))
    missing = [m for p in got_2020 for m in p.media if m.missing]
    fields = [p.raw.get(k) for p in got_2020 for k in ("photo", "file", "thumbnail")]
    assert len(missing) == sum(isinstance(v, str) and v.startswith("(File ") for v in fields)
    assert len(missing) == 15
    assert {m.missing for m in missing} == {
        "(File not included. Change data exporting settings to download.)"
    }
    assert all(m.path is None for m in missing)
    unavailable = [m for p in posts(read(sample("2024-08"))) for m in p.media if m.missing]
    assert [m.missing for m in unavailable] == ["(File unavailable, please try again later)"]
    photo = posts(read(sample("2023-01")))[-1].media
    assert photo == (
        MediaRef(
            kind="photo",
            metadata={"width": 640, "height": 640},
            missing=("(File not included. Change data exporting settings to download.)"),
        ),
    )


def test_forwards_and_replies() -> None:
    got = {p.post_id: p for p in posts(read(sample("2020-01")))}
    assert Link("forward_of", name="Varlamov.ru") in got["8123123123/132894"].links
    (reply,) = [p for p in got.values() if "reply_to_message_id" in p.raw]
    assert reply.links == (Link("reply_to", post_id="8123123123/39739"),)
    newest = posts(read(sample("2025-12")))
    assert newest[1].links == (
        Link("forward_of", account_id="channel123123123", name="This Should Not Matter"),
    )


# -- both roots ---------------------------------------------------------------------------


def _single_chat(index: int, **dump: Any) -> tuple[bytes, dict[str, Any]]:
    chat = json.loads(sample("2020-01").read_bytes())["chats"]["list"][index]
    return json.dumps(chat, ensure_ascii=False, **dump).encode(), chat


@pytest.mark.parametrize(
    "dump", [{"indent": 1}, {"separators": (",", ":")}, {"indent": 2, "sort_keys": True}]
)
def test_single_chat_export(tmp_path: Path, dump: dict[str, Any]) -> None:
    data, chat = _single_chat(1, **dump)
    assert tg.sniff("result.json", data[:65536])
    got = posts(read_bytes(tmp_path, data))
    assert [p.post_id for p in got] == [f"{chat['id']}/{m['id']}" for m in chat["messages"]]
    assert [p.location for p in got] == [f"messages[{j}]" for j in range(len(chat["messages"]))]
    assert got[0].chat is not None
    # Sorted keys put "name" after "messages": only what precedes the messages is known.
    assert got[0].chat.name == (None if dump.get("sort_keys") else chat["name"])


def test_a_document_without_line_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-written compact export: pieces are cut mid-line (here every 64 KiB instead of
    every MiB), never inside a chat opener or an escape, and every message still lands in
    its own chat."""
    monkeypatch.setattr(tg, "_MAX_LINE", 1 << 16)
    obj = json.loads(sample("2020-01").read_bytes())
    for chat in obj["chats"]["list"]:
        chat["messages"] = [
            dict(m, id=m["id"] * 1000 + k, text=f"{plain(m['text'])}\x01")
            for k in range(40)
            for m in chat["messages"]
        ]
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    data = data.replace(b"\\u0001", b"\\x01")  # as tdesktop writes a control character
    assert b"\n" not in data and len(data) > 6 << 16
    got = posts(read_bytes(tmp_path, data))
    expected = reference(obj)
    assert [p.post_id for p in got] == [f"{c['id']}/{m['id']}" for _, c, m in expected]
    assert [p.location for p in got] == [loc for loc, _, _ in expected]
    assert all(p.text.endswith("\x01") for p in got)


def test_left_chats_are_read_in_the_same_pass(tmp_path: Path) -> None:
    obj = json.loads(sample("2025-12").read_bytes())
    obj["left_chats"] = {"about": "left", "list": [obj["chats"]["list"].pop()]}
    data = json.dumps(obj, ensure_ascii=False, indent=1).encode()
    got = posts(read_bytes(tmp_path, data))
    assert [p.location for p in got] == [loc for loc, _, _ in reference(obj)]
    assert [p.location for p in got][-1] == "left_chats.list[0].messages[0]"
    left = obj["left_chats"]["list"][0]
    assert got[-1].post_id == f"{left['id']}/{left['messages'][0]['id']}" == "123456789/11111000"
    assert got[-1].chat == Account("telegram", "channel123456789", None, "Dummy Public Channel")


def test_a_chat_without_an_id_is_one_refusal(tmp_path: Path) -> None:
    data = sample("2020-01").read_bytes().replace(b'"id": 9777777777,', b"")
    records = read_bytes(tmp_path, data)
    (refusal,) = refusals(records)
    assert refusal.code == "chat_unreadable"
    assert refusal.path.endswith("#chats.list[1].messages")
    skipped = len(json.loads(data)["chats"]["list"][1]["messages"])
    assert refusal.message.startswith(f"{skipped} messages skipped")
    assert len(posts(records)) == 50 - skipped


# -- broken real-world output ------------------------------------------------------------------


_STUFF = b'"this contains a lot of stuff: "'


def drain(stream: tg._ExportStream) -> bytes:
    out = []
    while piece := stream.read(1000):
        out.append(piece)
    return b"".join(out)


def test_control_character_escapes_are_repaired(tmp_path: Path) -> None:
    data = sample("2023-01").read_bytes()
    broken = data.replace(_STUFF, b'"this contains\\x01 a lot of \\\\x41 stuff:\\x1F "')
    with pytest.raises(ValueError):
        json.loads(broken)
    records = read_bytes(tmp_path, broken)
    assert refusals(records) == []
    post = posts(records)[2]
    assert post.text.startswith("this contains\x01 a lot of \\x41 stuff:\x1f 😁")


def test_line_separator_with_stray_bytes_is_repaired(tmp_path: Path) -> None:
    # tdesktop writes U+2028 as \u2028 and then the character's raw bytes 80 A8 again.
    data = sample("2020-01").read_bytes()
    broken = data.replace('"Видел)"'.encode(), b'"\xd0\x92\\u2028\x80\xa8\xd0\xb8\\u2029\x80\xa9"')
    with pytest.raises(UnicodeDecodeError):
        broken.decode("utf-8")
    records = read_bytes(tmp_path, broken)
    assert refusals(records) == []
    assert "В\u2028и\u2029" in [p.text for p in posts(records)]


def test_a_chat_opener_written_with_an_escape_is_still_its_chat(tmp_path: Path) -> None:
    # Keys are decoded as JSON, so an escaped "messages" key is the message list (the
    # byte-level opener search this replaced refused the whole chat).
    data = sample("2020-01").read_bytes()
    hidden = data.replace(b'"messages": [', b'"m\\u0065ssages": [', 1)
    records = read_bytes(tmp_path, hidden)
    assert refusals(records) == []
    assert posts(records) == posts(read_bytes(tmp_path, data, "plain.json"))


def test_unquoted_document_id_is_repaired(tmp_path: Path) -> None:
    data = sample("2023-01").read_bytes()
    broken = data.replace(
        b'"document_id": "chats/chat_004/stickers/sticker (62).webp"',
        b'"document_id": video_files/sticker (2).webm',
    )
    records = read_bytes(tmp_path, broken)
    assert refusals(records) == []
    post = posts(records)[2]
    assert post.raw["text"][1] == {  # type: ignore[index]
        "type": "custom_emoji",
        "text": "😁",
        "document_id": "video_files/sticker (2).webm",
    }


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 13, 64, 4096])
def test_repairs_and_chat_switches_hold_at_any_read_size(chunk: int) -> None:
    data = sample("2020-01").read_bytes()
    seen_text = '"text": "Видел)"'.encode()
    data = data.replace(seen_text, '"text": "\\x0C\\\\x0CВидел)"'.encode())
    link = b'"text": "http://cs5.pikabu.ru/post_img/big/2015/12/04/5/1449210847155432089.jpg"'
    data = data.replace(link, link + b',\n "document_id": stickers/x\\y "z" (2).webm')
    stream = tg._ExportStream(io.BytesIO(data), chunk=chunk)
    repaired = drain(stream)
    whole = tg._ExportStream(io.BytesIO(data), chunk=1 << 20)
    assert repaired == drain(whole)
    assert stream.escapes == whole.escapes > 0 and stream.document_ids == whole.document_ids == 1
    # The chat of every item is the one whose header encloses it, whatever the read size.
    stream = tg._ExportStream(io.BytesIO(data), chunk=chunk)
    seen = [tg._chat_of(found.frames).id for found in scan(stream, tg._ACCOUNT_PATHS, "x")]
    obj = json.loads(repaired)
    assert seen == [c["id"] for _, c, _ in reference(obj)]


def test_truncated_file_keeps_the_messages_before_the_cut(tmp_path: Path) -> None:
    data = sample("2020-01").read_bytes()
    cut = data.find(b'"id": 132894')
    records = read_bytes(tmp_path, data[:cut])
    got = posts(records)
    expected = reference(json.loads(data))
    last = [m["id"] for _, _, m in expected].index(129455)
    assert [p.raw for p in got] == [m for _, _, m in expected[: last + 1]]
    # The refusal names the message the cut falls in, the one after the last kept.
    assert isinstance(records[-1], Refusal) and records[-1].code == "json_broken"
    assert records[-1].path.endswith(f"#{location_of(data, 132894)}")
    assert "ends inside this item" in records[-1].message


def test_bom_and_a_garbage_message(tmp_path: Path) -> None:
    data = sample("2025-12").read_bytes()
    assert posts(read_bytes(tmp_path, b"\xef\xbb\xbf" + data, "bom.json")) == posts(
        read_bytes(tmp_path, data, "plain.json")
    )
    garbage = data.replace(b'"id": 11112,', b'"id": "eleven",', 1)
    records = read_bytes(tmp_path, garbage, "garbage.json")
    assert len(posts(records)) == 5
    (refusal,) = refusals(records)
    assert refusal.code == "item_invalid"
    assert refusal.path.endswith("#chats.list[0].messages[1]")


def test_not_an_export_is_one_refusal(tmp_path: Path) -> None:
    records = read_bytes(tmp_path, b'{"response": {"items": []}}')
    assert [r.code for r in refusals(records)] == ["not_telegram_export"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_samples_never_raise(data: st.DataObject) -> None:
    require_shared(EXPORTS)
    name = data.draw(st.sampled_from(["2023-01", "2021-05", "2025-12"]))
    original = bytearray(sample(name).read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(original) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if action == "flip":
            original[at] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del original[at : at + data.draw(st.integers(1, 64))]
        elif action == "insert":
            original[at:at] = data.draw(
                st.sampled_from(
                    [
                        b"\\x01",
                        b"{",
                        b"[[[[",
                        b'"messages": [',
                        b'"left_chats": {',
                        b"\\",
                        b'"document_id": a b\n',
                        b"\xff",
                        b"null",
                        b'"edited": "1970-01-01T',
                    ]
                )
            )
        else:
            del original[at:]
        if not original:
            original = bytearray(b"{")
    buffer = bytes(original)
    doc = ExportFile("mutated.json", len(buffer), lambda: io.BytesIO(buffer))
    for record in tg.read(doc):
        assert isinstance(record, Post | Account | Refusal)


@pytest.mark.parametrize("indent", [None, 1])
def test_the_last_message_of_every_chat_is_read(tmp_path: Path, indent: int | None) -> None:
    """The item that closes its array was handed on after the array's frame was gone: a
    chat of one message, or the last message of any chat but the first of an account
    export, made the reader raise and the whole document was lost."""
    account = json.loads(sample("2023-01").read_bytes())
    chat = account["chats"]["list"][0]
    alone = {**chat, "id": 777, "messages": chat["messages"][:1]}
    account["chats"]["list"] = [chat, alone, {**chat, "id": 778}]
    for document, chats in ((account, account["chats"]["list"]), (alone, [alone])):
        data = json.dumps(document, indent=indent, ensure_ascii=False).encode()
        records = read_bytes(tmp_path, data)
        assert [p.post_id for p in posts(records)] == [
            f"{c['id']}/{m['id']}" for c in chats for m in c["messages"]
        ]
        assert refusals(records) == []


# -- a damaged head (issue 15, point 1) -------------------------------------------------------


def _every_post_id(data: bytes) -> list[str]:
    return [f"{c['id']}/{m['id']}" for _, c, m in reference(json.loads(data))]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("damage", [b'"', b"\xa8", b"\x06"])
def test_a_damaged_byte_in_about_keeps_the_export_a_telegram_one(
    tmp_path: Path, name: str, damage: bytes
) -> None:
    """ijson stopped at the first bad byte of the head, so a byte in the account's
    ``about`` line made the export "not Telegram": every message was lost, and detection
    called the file export_unrecognised.  tdesktop's one-member-a-line layout still names
    the root."""
    data = sample(name).read_bytes()
    at = data.index(b'"about": "') + 20
    broken = data[:at] + damage + data[at + (damage != b'"') :]
    assert tg.sniff("result.json", broken[:65536])
    records = read_bytes(tmp_path, broken)
    assert [p.post_id for p in posts(records)] == _every_post_id(data)
    owner = json.loads(data)["personal_information"]["user_id"]
    assert [a.account_id for a in records if isinstance(a, Account)] == [f"user{owner}"]


def test_a_damaged_chat_export_head_is_still_a_chat(tmp_path: Path) -> None:
    chat = json.loads(sample("2023-01").read_bytes())["chats"]["list"][0]
    data = json.dumps(chat, indent=1, ensure_ascii=False).encode()
    at = data.index(b'"name": "') + 9
    broken = data[:at] + b"\xff" + data[at + 1 :]  # invalid UTF-8 in the chat's name
    assert tg.sniff("result.json", broken)
    got = [p.post_id for p in posts(read_bytes(tmp_path, broken))]
    assert got == [f"{chat['id']}/{m['id']}" for m in chat["messages"]]


def test_the_layout_fallback_takes_no_near_miss() -> None:
    """Other JSON with tdesktop's indent, damaged or not, is still not Telegram."""
    for doc in (
        {"about": "x\xff", "response": {"items": []}},
        {"about": "x", "contacts": {"list": []}, "count": 1},  # one section, not an export
        {"name": "A", "id": 5, "messages": [{"text": "hi", "date": "2020-01-01"}]},
        {"type": "photo", "id": 5, "messages": []},
    ):
        data = json.dumps(doc, indent=1).encode()
        assert not tg.sniff("x.json", data[:20] + b"\xff" + data[21:]), doc


# -- messages without date_unixtime beside messages with it (issue 15) --------------------------


def _strip_unixtime(data: bytes, message_id: int) -> bytes:
    """The message's ``date_unixtime`` line removed, as in a merged or buggy export."""
    stripped = re.sub(
        rb'("id": %d,\n\s+"type": "\w+",\n\s+"date": "[^"]+"),\n\s+"date_unixtime": "\d+"'
        % message_id,
        rb"\1",
        data,
    )
    assert stripped != data
    return stripped


def _shift_date(data: bytes, message_id: int, hours: int) -> bytes:
    """The message's wall-clock ``date`` moved, its ``date_unixtime`` kept: the exporting
    machine's offset changed (a DST change) before that message."""
    pattern = re.compile(rb'("id": %d,\n\s+"type": "\w+",\n\s+"date": ")([^"]+)"' % message_id)
    match = pattern.search(data)
    assert match is not None
    moved = datetime.fromisoformat(match.group(2).decode()) + timedelta(hours=hours)
    return pattern.sub(match.group(1) + moved.isoformat().encode() + b'"', data)


def _instant_of(records: list[Record], message_id: int) -> Any:
    post = next(p for p in posts(records) if p.post_id.endswith(f"/{message_id}"))
    return post.posted_at


def test_a_message_without_unixtime_takes_the_offset_of_its_paired_neighbours(
    tmp_path: Path,
) -> None:
    # 2025-12: chat messages 11111..11115 one second apart, each with both times (a UTC
    # machine).  11113 loses its date_unixtime: it lay between 11112 and 11114.
    data = sample("2025-12").read_bytes()
    truth = datetime.fromtimestamp(1665499753, UTC)
    at = _instant_of(read_bytes(tmp_path, _strip_unixtime(data, 11113)), 11113)
    assert (at.basis, at.utc, at.uncertainty_s) == ("exporter_offset_inferred", truth, 0.0)
    assert "11112" in at.source and "11114" in at.source


def test_a_dst_change_between_the_paired_neighbours_widens_the_uncertainty(
    tmp_path: Path,
) -> None:
    # The exporter's clock moved 2 h forward between 11113 and 11114 (11114 and 11115 are
    # written 2 h later than their own date_unixtime): 11113's offset is not known exactly.
    data = sample("2025-12").read_bytes()
    for later in (11114, 11115):
        data = _shift_date(data, later, 2)
    at = _instant_of(read_bytes(tmp_path, _strip_unixtime(data, 11113)), 11113)
    truth = datetime.fromtimestamp(1665499753, UTC)
    assert at.basis == "exporter_offset_inferred" and at.uncertainty_s == 7200.0
    assert abs((at.utc - truth).total_seconds()) <= at.uncertainty_s


def test_a_far_neighbour_leaves_room_for_a_dst_change(tmp_path: Path) -> None:
    # 2023-01: 111113 (2022-10-29) lies 12 days after 111112 and 4 months before 111114,
    # all written by a UTC machine: the offset holds, but a change and back could lie in
    # such a gap, so it is given a DST shift's uncertainty.
    data = sample("2023-01").read_bytes()
    records = read_bytes(tmp_path, _strip_unixtime(data, 111113))
    at = _instant_of(records, 111113)
    assert at.basis == "exporter_offset_inferred"
    assert at.utc == datetime.fromtimestamp(1666993143, UTC) and at.uncertainty_s == 3600.0
    assert "111112" in at.source and "111114" in at.source
    # The other messages keep their own UTC.
    assert _instant_of(records, 111114).basis == "platform_utc"


def test_offsets_come_only_from_the_same_document(tmp_path: Path) -> None:
    # A document with no message giving both times stays "unknown zone", whatever another
    # document measured.
    data = sample("2025-12").read_bytes()
    for message_id in (11111, 11112, 11113, 11114, 11115, 11111000):
        data = _strip_unixtime(data, message_id)
    at = _instant_of(read_bytes(tmp_path, data), 11113)
    assert at.basis == "unknown_zone" and at.utc is None
