"""The resynchronising item reader (``sources/jsonstream.py``), on exports built from the
real shared samples and damaged in the test: one bad item costs that item alone."""

from __future__ import annotations

import io
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from geotrace import api
from geotrace.records import Post
from geotrace.sources import jsonstream, meta, telegram, twitter, vk
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.jsonstream import json_items
from geotrace.sources.registry import detect
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
MESSAGES = 400
DAMAGED = 200  # the index of the damaged message
FIRST_ID = 70000


def _sample(rel: str) -> bytes:
    require_shared(EXPORTS)
    return (EXPORTS / rel).read_bytes()


def _telegram_export() -> tuple[bytes, dict[str, Any]]:
    """A 400-message chat export made of the real 2023-01 sample's messages with new ids,
    written as tdesktop writes (one key per line, indent 1)."""
    account = json.loads(_sample("telegram_desktop_json/chm_telegram_2023-01.result.json"))
    chat = account["chats"]["list"][0]
    real = chat["messages"]
    chat["messages"] = [
        dict(real[k % len(real)], id=FIRST_ID + k, text=f"message {k}") for k in range(MESSAGES)
    ]
    return json.dumps(chat, ensure_ascii=False, indent=1).encode(), chat


def _read(reader: ExportReader | Callable[..., Any], tmp_path: Path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    doc = ExportFile(str(path), len(data), lambda: path.open("rb"))
    read = reader.read if isinstance(reader, ExportReader) else reader
    return list(read(doc))


def _posts(records: list[Record]) -> list[Post]:
    return [r for r in records if isinstance(r, Post)]


def _refusals(records: list[Record]) -> list[Refusal]:
    return [r for r in records if isinstance(r, Refusal)]


def _ids(records: list[Record]) -> list[int]:
    return [int(p.post_id.rsplit("/", 1)[1]) for p in _posts(records)]


def _damage_text(data: bytes, new: bytes) -> bytes:
    old = f'"text": "message {DAMAGED}"'.encode()
    assert data.count(old) == 1
    return data.replace(old, b'"text": ' + new)


def _damage_value(data: bytes, key: bytes, new: bytes) -> bytes:
    """The damaged message with one more member, ``key: new``, before its text."""
    old = f'"text": "message {DAMAGED}"'.encode()
    return data.replace(old, b'"' + key + b'": ' + new + b", " + old)


DEEP = b"[" * (jsonstream.MAX_DEPTH + 50) + b"]" * (jsonstream.MAX_DEPTH + 50)

#: (name, damage, message kept?) -- the eight variants of issue 15.
VARIANTS: list[tuple[str, Callable[[bytes], bytes], bool]] = [
    ("raw control character", lambda d: _damage_text(d, b'"a\x01b\x1fc"'), True),
    ("invalid UTF-8", lambda d: _damage_text(d, b'"caf\xe9 \xff"'), False),
    ("NaN", lambda d: _damage_value(d, b"width", b"NaN"), True),
    ("Infinity", lambda d: _damage_value(d, b"height", b"-Infinity"), True),
    ("1e400", lambda d: _damage_value(d, b"duration_seconds", b"1e400"), True),
    (
        "id 10^30",
        lambda d: d.replace(b'"id": %d,' % (FIRST_ID + DAMAGED), b'"id": 1' + b"0" * 30 + b","),
        True,
    ),
    ("too deep", lambda d: _damage_text(d, DEEP), False),
    ("\\x01 escape", lambda d: _damage_text(d, b'"a\\x01b"'), True),
]


@pytest.mark.parametrize("name,damage,kept", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_one_bad_message_costs_that_message_alone(
    tmp_path: Path, name: str, damage: Callable[[bytes], bytes], kept: bool
) -> None:
    data, _ = _telegram_export()
    broken = damage(data)
    assert broken != data
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    ids = _ids(records)
    others = [FIRST_ID + k for k in range(MESSAGES) if k != DAMAGED]
    if kept:
        assert len(ids) == MESSAGES
        assert [i for i in ids if i in others] == others
        assert not [r for r in _refusals(records) if r.code == "json_broken"]
        return
    assert ids == others
    (refusal,) = _refusals(records)
    assert refusal.code == "json_broken"
    assert refusal.path.endswith(f"#messages[{DAMAGED}]")
    offset = broken.index(b'"id": %d,' % (FIRST_ID + DAMAGED))
    start = broken.rindex(b"{", 0, offset)
    assert f"byte {start}" in refusal.message and f"id {FIRST_ID + DAMAGED}" in refusal.message


def test_a_huge_id_goes_into_a_case(tmp_path: Path) -> None:
    """10^30 is valid JSON: the message is a post, stored, and the other 399 with it."""
    data, _ = _telegram_export()
    broken = VARIANTS[5][1](data)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "result.json").write_bytes(broken)
    case = tmp_path / "c.case"
    api.ingest([tmp_path / "in"], case)
    with sqlite3.connect(case) as db:
        ids = [r[0] for r in db.execute("SELECT post_id FROM posts")]
    assert len(ids) == MESSAGES
    assert any(i.endswith("/1" + "0" * 30) for i in ids)


@pytest.mark.parametrize("seed", range(6))
def test_a_cut_keeps_every_complete_message_before_it(tmp_path: Path, seed: int) -> None:
    data, chat = _telegram_export()
    start = data.index(b'"messages"')
    cut = random.Random(seed).randrange(start + 20, len(data) - 10)
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data[:cut], "result.json")
    decoder = json.JSONDecoder()
    complete = []
    at = data.index(b"[", start) + 1
    text = data.decode()
    for message in chat["messages"]:  # the messages whose closing brace is before the cut
        at = text.index("{", at)
        _, end = decoder.raw_decode(text, at)
        if len(text[:end].encode()) > cut:
            break
        complete.append(message["id"])
        at = end
    assert _ids(records) == complete
    assert [r.code for r in _refusals(records)] == ["json_broken"]


@pytest.mark.parametrize("seed", range(6))
def test_a_quote_inserted_costs_only_the_message_it_falls_in(tmp_path: Path, seed: int) -> None:
    data, chat = _telegram_export()
    rng = random.Random(seed)
    k = rng.randrange(10, MESSAGES - 10)
    mid = data.index(b'"id": %d,' % (FIRST_ID + k))
    at = rng.randrange(mid, data.index(b"}", mid))
    broken = data[:at] + b'"' + data[at:]
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    ids = _ids(records)
    assert set(ids) >= {m["id"] for m in chat["messages"]} - {FIRST_ID + k}
    assert len(_refusals(records)) <= 1


def _long_message(size: int) -> bytes:
    data, _ = _telegram_export()
    return _damage_text(data, b'"' + b"x" * size + b'"')


def _seconds(tmp_path: Path, data: bytes) -> float:
    t = time.perf_counter()
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "result.json")
    assert len(_posts(records)) == MESSAGES
    return time.perf_counter() - t


def test_a_long_message_reads_in_linear_time(tmp_path: Path) -> None:
    small, large = _long_message(10 << 20), _long_message(20 << 20)
    ratio = min(_seconds(tmp_path, large) for _ in range(3)) / min(
        _seconds(tmp_path, small) for _ in range(3)
    )
    assert ratio < 3


def test_an_item_over_the_cap_is_refused_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstream, "MAX_ITEM_BYTES", 1 << 20)
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, _long_message(3 << 20), "result.json")
    assert _ids(records) == [FIRST_ID + k for k in range(MESSAGES) if k != DAMAGED]
    (refusal,) = _refusals(records)
    assert refusal.code == "item_too_large" and refusal.path.endswith(f"#messages[{DAMAGED}]")


def test_a_utf16_document_reads_as_its_utf8_original(tmp_path: Path) -> None:
    data, _ = _telegram_export()
    want = _ids(_read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "result.json"))
    from geotrace.sources.registry import detect

    # Notepad's "Unicode" (LE with a BOM), "Unicode big endian", no BOM at all, UTF-32.
    for encoding, bom in (("utf-16", b""), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""),
                          ("utf-32", b"")):  # fmt: skip
        wide = bom + data.decode().encode(encoding)
        assert detect("result.json", wide[:65536]) is telegram.TELEGRAM_DESKTOP
        assert _ids(_read(telegram.TELEGRAM_DESKTOP, tmp_path, wide, "result.json")) == want


def test_a_long_line_of_a_utf16_json_lines_file_reads_in_linear_time(tmp_path: Path) -> None:
    """The UTF-16 reader grew each line with ``+=``: a 32 MiB line took 16 times as long
    as an 8 MiB one (quadratic), where plain UTF-8 lines are read by the file's own C."""
    from geotrace.sources import telethon

    lines = _sample("telegram_telethon_json/generated_telethon-1.45.0_to_json.jsonl").splitlines()

    def seconds(mib: int) -> float:
        item = json.loads(lines[2])
        item["message"] = "x" * (mib << 20)
        wide = b"\n".join([*lines[:2], json.dumps(item).encode(), *lines[3:]]).decode()
        data = wide.encode("utf-16")
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            records = _read(telethon.READERS[0], tmp_path, data, "dump.jsonl")
            best = min(best, time.perf_counter() - start)
        assert len(_posts(records)) == len(lines) and not _refusals(records)
        assert max(len(p.text) for p in _posts(records)) == mib << 20
        return best

    assert seconds(32) < 8 * seconds(8)


# -- the other formats ----------------------------------------------------------------------


def _replace_nth(data: bytes, old: bytes, new: bytes, n: int) -> bytes:
    at = -1
    for _ in range(n + 1):
        at = data.index(old, at + 1)
    return data[:at] + new + data[at + len(old) :]


def test_a_damaged_tweet_in_an_archive_costs_that_tweet(tmp_path: Path) -> None:
    data = _sample("twitter_archive/milahu104_deleted-tweets.js")
    reader = twitter.TWITTER_ARCHIVE
    good = _posts(_read(reader, tmp_path, data, "deleted-tweets.js"))
    # A raw control character in the sixth tweet's text: strict JSON refuses it.
    broken = _replace_nth(data, b'"full_text" : "', b'"full_text" : "\x01\\q', 5)
    records = _read(reader, tmp_path, broken, "deleted-tweets.js")
    got = {p.post_id for p in _posts(records)}
    lost = {p.post_id for p in good} - got
    assert len(lost) == 1 and len(got) == len(good) - 1
    assert [r.code for r in _refusals(records)] == ["json_broken"]


def test_a_damaged_vk_post_costs_that_post(tmp_path: Path) -> None:
    data = _sample("vk_api_json/vknet_NewsFeed_Search_NextFrom_NotNull.json")
    good = {p.post_id for p in _posts(_read(vk.VK_API, tmp_path, data, "r.json"))}
    broken = _replace_nth(data, b'"date": ', b'"date": 12x', 1)  # the second item
    records = _read(vk.VK_API, tmp_path, broken, "r.json")
    got = {p.post_id for p in _posts(records)}
    assert len(good - got) == 1 and got < good
    (refusal,) = [r for r in _refusals(records) if r.code == "json_broken"]
    assert "byte" in refusal.message


def test_a_damaged_instagram_post_costs_that_post(tmp_path: Path) -> None:
    data = _sample("instagram_dyi_json/yummyhopper_posts_1.json")
    reader = meta.INSTAGRAM
    good = _posts(_read(reader, tmp_path, data, "posts_1.json"))
    broken = _replace_nth(data, b'"creation_timestamp": ', b'"creation_timestamp": --', 1)
    records = _read(reader, tmp_path, broken, "posts_1.json")
    got = _posts(records)
    assert len(got) == len(good) - 1
    assert [p.location for p in got] == [p.location for p in good if p.location != "[1]"]


def test_json_items_keeps_the_ijson_prefixes() -> None:
    doc = b'{"a": 1, "statuses": [{"x": 1}, {"x": 2}], "error": {"code": 5}}'
    assert list(json_items(io.BytesIO(doc), "statuses.item", "d")) == [{"x": 1}, {"x": 2}]
    assert list(json_items(io.BytesIO(doc), "error", "d")) == [{"code": 5}]
    assert list(json_items(io.BytesIO(doc), "", "d")) == [json.loads(doc)]
    assert list(json_items(io.BytesIO(b"\xef\xbb\xbf[1, 2]"), "item", "d")) == [1, 2]
    (*values, trailing) = json_items(io.BytesIO(b"[1, 2] x"), "item", "d")
    assert values == [1, 2] and isinstance(trailing, Refusal)


def test_a_byte_added_after_a_message_costs_nothing_but_a_refusal(tmp_path: Path) -> None:
    """A whole message followed by damage is kept; the stray bytes are one refusal."""
    data, _ = _telegram_export()
    end = data.index(b"\n  }", data.index(b'"id": %d,' % (FIRST_ID + DAMAGED))) + 3
    broken = data[: end + 1] + b"x\xff" + data[end + 1 :]
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert _ids(records) == [FIRST_ID + k for k in range(MESSAGES)]
    (refusal,) = _refusals(records)
    assert refusal.code == "json_broken" and f"byte {end + 1}" in refusal.message


# -- damage above the items (issue 15, point 1) ---------------------------------------------


def _damage_key(data: bytes, section: bytes, key: bytes, n: int) -> tuple[bytes, int]:
    """A non-UTF-8 byte in the ``n``-th ``key`` line (``key`` with its indent) after
    ``section``, as the bench's byte damage leaves it (the key is no string: the structure
    above the items breaks), and where."""
    at = data.index(section)
    for _ in range(n + 1):
        at = data.index(key + b": ", at + 1)
    at += len(key) - 2  # the key's last letter
    return data[:at] + b"\xa0" + data[at + 1 :], at


@pytest.mark.parametrize(
    "name,section,key,n",
    [
        ("2023-01", b'"contacts"', b'\n    "phone_number"', 1),  # a section before chats
        ("2023-01", b'"about"', b'\n "contacts"', 0),  # a top-level key
        ("2025-12", b'"list"', b'\n    "name"', 1),  # the second chat's first member
        ("2020-01", b'"chats"', b'\n    "type"', 2),  # the third chat's header
    ],
)
def test_damage_above_the_messages_costs_no_message(
    tmp_path: Path, name: str, section: bytes, key: bytes, n: int
) -> None:
    """A broken key above the items made the rest of the document one refusal; now the
    reader resumes at the next member of the container the damage is in (its learnt
    ``,\\n    "``), and every message keeps its own chat: resuming by the item separator
    alone handed the third chat's messages to the second."""
    data = _sample(f"telegram_desktop_json/chm_telegram_{name}.result.json")
    broken, at = _damage_key(data, section, key, n)
    good = [p.post_id for p in _posts(_read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "a.json"))]
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert [p.post_id for p in _posts(records)] == good
    (refusal,) = _refusals(records)
    colon = broken.index(b":", at)
    assert refusal.code == "json_broken" and f"before byte {colon}" in refusal.message


def test_a_broken_first_message_is_resynchronised(tmp_path: Path) -> None:
    """The item separator is learnt from the first item's indent: a bracket lost in the
    first message no longer costs every message after it."""
    data, chat = _telegram_export()
    first = data.index(b'"id": %d,' % FIRST_ID)
    opening = data.index(b'"text_entities": [', first) + len(b'"text_entities": ')
    broken = data[:opening] + data[opening + 1 :]  # its '[' lost: '}' closes the array
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert _ids(records) == [m["id"] for m in chat["messages"][1:]]
    (refusal,) = _refusals(records)
    assert refusal.path.endswith("#messages[0]") and f"id {FIRST_ID}" in refusal.message


def test_a_bracket_hidden_in_a_chats_last_message_keeps_the_next_chat_its_own(
    tmp_path: Path,
) -> None:
    """A quote inserted before a poll answer's ``{`` (the last message of the first chat
    of the 2020-01 sample) hides that bracket: the scan took the chat's closing brackets
    for the message's own, and the break came in the second chat's header.  The reader
    resumed at the second chat's ``"type"`` inside the first chat's frame, so the second
    chat's messages were read with the first chat's id (wrong post ids); and the chats
    list had learnt no member separator (its first chat's indent was read without its
    ``{``).  Now it resumes at the second chat, and only the poll is refused."""
    data = _sample("telegram_desktop_json/chm_telegram_2020-01.result.json")
    at = data.index(b"{", data.index(b'"answers": ['))
    broken = data[:at] + b'"' + data[at:]
    good = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "a.json")
    poll = json.loads(data)["chats"]["list"][0]["messages"][-1]
    assert "poll" in poll  # the chat's last message
    want = [p.post_id for p in _posts(good) if not p.post_id.endswith(f"/{poll['id']}")]
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert [p.post_id for p in _posts(records)] == want
    refused = [r for r in _refusals(records) if r.code == "json_broken"]
    assert len(refused) == 2 and f"id {poll['id']}" in refused[0].message


def _damage_nth(data: bytes, old: bytes, new: bytes, n: int) -> bytes:
    at = -1
    for _ in range(n + 1):
        at = data.index(old, at + 1)
    return data[:at] + new + data[at + len(old) :]


def test_a_chats_messages_key_one_byte_off_is_read_where_its_place_says_so(
    tmp_path: Path,
) -> None:
    """A byte lost from the third chat's ``"messages"`` key dropped its messages without a
    word.  The chats before it had that key at the same member index, so ``"messaes"``
    there can only be it: its messages are read, with their own chat's ids."""
    data = _sample("telegram_desktop_json/chm_telegram_2020-01.result.json")
    broken = _damage_nth(data, b'"messages": [', b'"messaes": [', 2)
    good = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "a.json")
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert [p.post_id for p in _posts(records)] == [p.post_id for p in _posts(good)]
    assert _refusals(records) == _refusals(good)


@pytest.mark.parametrize("key", [b'"messages": [', b'"chats": {'])
def test_a_path_key_one_byte_off_with_nothing_to_confirm_it_is_a_refusal(
    tmp_path: Path, key: bytes
) -> None:
    """In the first chat (no chat before it to show the key's place), or for ``"chats"``
    itself, a damaged key is not guessed: what it holds is one refusal that names the key,
    where the messages were dropped silently before; the other chats are read."""
    data = _sample("telegram_desktop_json/chm_telegram_2020-01.result.json")
    damaged = key.replace(b"a", b"", 1)
    broken = _damage_nth(data, key, damaged, 0)
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    chats = json.loads(data)["chats"]["list"]
    kept = [] if key.startswith(b'"chats"') else chats[1:]
    assert _ids(records) == [m["id"] for c in kept for m in c["messages"]]
    (refusal,) = _refusals(records)
    at = broken.index(damaged) + len(damaged) - 3  # the colon
    assert refusal.path.endswith(f"#byte {at}") and damaged[1:-4].decode() in refusal.message


@pytest.mark.parametrize("name", ["2021-05", "2023-01"])
def test_a_cut_just_after_the_last_message_keeps_it(tmp_path: Path, name: str) -> None:
    """A document cut just after its last message's closing brace: that message is whole
    and was refused as "the document ends inside this item"; now it is kept, and the cut
    is one refusal."""
    data = _sample(f"telegram_desktop_json/chm_telegram_{name}.result.json")
    end = data.rindex(b"\n     }") + len(b"\n     }")
    good = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "a.json")
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data[:end], "result.json")
    assert [p.post_id for p in _posts(records)] == [p.post_id for p in _posts(good)]
    (refusal,) = _refusals(records)
    assert refusal.path.endswith(f"#byte {end}") and "ends before" in refusal.message


@pytest.mark.parametrize(
    "name,stray",
    [("2023-01", b"T"), ("2024-08", b'"')],
    ids=["a byte in the indent", "a quote before the brace"],
)
def test_stray_bytes_before_a_message_cost_no_message(
    tmp_path: Path, name: str, stray: bytes
) -> None:
    """A byte replacing the indent before a message's ``{`` (``},\\n T  {``), or a quote
    inserted there (which hides the ``{``: the scan then meets its ``"id":`` in the array),
    cost that message; its bytes after the junk decode exactly to its end, so it is kept and
    the stray bytes are one refusal.  The quote also made ``,\\n "``, the root's member
    separator, which resumed the reading at the root and lost the messages after it: a
    separator ending in a key's quote now counts only before a whole key and its colon."""
    data = _sample(f"telegram_desktop_json/chm_telegram_{name}.result.json")
    messages = [m for c in json.loads(data)["chats"]["list"] for m in c["messages"]]
    brace = data.index(b'\n      "id": %d,' % messages[-2]["id"]) - 1
    at = brace - 4  # the indent's second byte: a quote there makes ``,\n "``
    broken = data[:at] + stray + data[at + (stray == b"T") :]
    good = _read(telegram.TELEGRAM_DESKTOP, tmp_path, data, "a.json")
    records = _read(telegram.TELEGRAM_DESKTOP, tmp_path, broken, "result.json")
    assert [p.post_id for p in _posts(records)] == [p.post_id for p in _posts(good)]
    (refusal,) = _refusals(records)
    assert refusal.path.endswith(f".messages[{len(messages) - 2}]")
    assert "bytes before the item" in refusal.message


# Found by mutating the shared samples (a slice of the file copied into itself, one byte
# changed): the resynchronisation looked back to the comma that began the broken item, found
# the member it had just resumed at, and refused the same items again, for ever.
_LOOPS = [
    (
        "2024-08",
        657,
        b'{\n        "type": "plain",\n   (    "text": "Admin msg!"\n       }\n      ]\n     },'
        b'\n     {\n      "id": 11112,\n      "type": "message",\n      "date": "2022-10-11T22:49'
        b':16",\n      "date_unixtime": "',
    ),
    (
        "2023-01",
        3122,
        b'{7:{8\n      "date": "2016-11-17T17:57:40",\n      "date      "text_entities": []\n'
        b'     },\n     {\n      "id": 111111,\n      "type": "message",',
    ),
]


@pytest.mark.parametrize(("sample", "at", "inserted"), _LOOPS)
def test_a_resynchronisation_always_moves_on(sample: str, at: int, inserted: bytes) -> None:
    original = require_shared(
        EXPORTS / "telegram_desktop_json" / f"chm_telegram_{sample}.result.json"
    ).read_bytes()
    damaged = original[:at] + inserted + original[at:]
    doc = ExportFile("result.json", len(damaged), lambda: io.BytesIO(damaged))
    records = list(itertools.islice(telegram.read(doc), 1_000))
    assert len(records) < 100  # the old scanner refused the same two items without end
    kept = {r.post_id for r in records if isinstance(r, Post)}
    assert kept  # and the messages after the damage are read


def test_mutated_exports_end_and_never_raise() -> None:
    """Seeded mutants of every shared JSON sample (cut, bit flip, structural bytes inserted,
    a slice of the file copied into itself, as the fuzzing that found the loop above):
    every reader ends, with at most a few records per byte changed, and never raises."""
    samples = sorted(p for p in require_shared(EXPORTS).rglob("*.js*") if p.is_file())
    rng = random.Random(15)
    for path in samples:
        original = path.read_bytes()
        reader = detect(path.name, original[:65536])
        if reader is None:
            continue
        for _ in range(60):
            data = bytearray(original)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(data))
                op = rng.choice(["cut", "flip", "insert", "dup"])
                if op == "cut":
                    del data[at:]
                elif op == "flip" and data:
                    data[at] ^= 1 << rng.randrange(8)
                elif op == "insert":
                    data[at:at] = bytes(rng.choice(b'{}[]",:\\ \n0e-') for _ in range(4))
                else:
                    data[at:at] = data[rng.randrange(len(data)) :][: rng.randint(1, 300)]
            blob = bytes(data)
            doc = ExportFile(path.name, len(blob), lambda b=blob: io.BytesIO(b))
            records = list(itertools.islice(reader.read(doc), 5_000))
            assert len(records) < 5_000, f"{path.name}: no end in sight"
