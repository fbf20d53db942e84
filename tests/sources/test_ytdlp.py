"""yt-dlp ``.info.json`` and ``-j`` lines.

No real info.json could be sampled (none public with a licence): the item below is built
from the field list of yt-dlp's ``extractor/common.py`` (research/exports.md §4d), with a
``formats`` list long enough to push ``extractor_key`` past the bytes a sniff sees.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Post
from geotrace.sources.base import SNIFF_BYTES, ExportFile, Refusal
from geotrace.sources.ytdlp import YTDLP
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"


def _info(**changes: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": "dQw4w9WgXcQ",
        "title": "Convoy on the M-03",
        "formats": [
            {
                "format_id": str(n),
                "url": f"https://rr1---sn.googlevideo.com/videoplayback?n={n}" + "&x" * 300,
                "ext": "mp4",
                "protocol": "https",
                "http_headers": {},
            }
            for n in range(120)
        ],
        "thumbnails": [{"url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"}],
        "description": "Filmed this morning.\nNo edits.",
        "channel_id": "UCuAXFkgsw1L7xaCfnd5JJOw",
        "channel_url": "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        "channel": "Road Watch",
        "uploader": "Road Watch",
        "uploader_id": "@roadwatch",
        "duration": 212,
        "timestamp": 1700000000,
        "upload_date": "20231114",
        "release_timestamp": 1700100000,
        "location": "Kharkiv, Ukraine",
        "live_status": "not_live",
        "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "extractor": "youtube",
        "extractor_key": "Youtube",
        "ext": "mp4",
        "width": 1920,
        "height": 1080,
        "_filename": "downloads/Convoy on the M-03 [dQw4w9WgXcQ].mp4",
        "epoch": 1700200000,
        "_version": {"version": "2026.10.26", "repository": "yt-dlp/yt-dlp"},
    }
    info.update(changes)
    return {k: v for k, v in info.items() if v is not None}


def _read(name: str, data: bytes) -> list[Any]:
    return list(YTDLP.read(ExportFile(name, len(data), lambda: io.BytesIO(data))))


def test_info_json() -> None:
    data = json.dumps(_info(), ensure_ascii=False).encode()
    name = "Convoy on the M-03 [dQw4w9WgXcQ].info.json"
    assert data.index(b'"extractor_key"') > SNIFF_BYTES  # sniffed by the formats' keys
    assert YTDLP.sniff(name, data[:SNIFF_BYTES])
    assert YTDLP.sniff("renamed.json", data[:SNIFF_BYTES])
    (post,) = _read(name, data)
    assert isinstance(post, Post)
    assert (post.platform, post.post_id, post.kind) == ("youtube", "dQw4w9WgXcQ", "video")
    assert post.text == "Convoy on the M-03\n\nFilmed this morning.\nNo edits."
    assert post.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert post.author == Account("youtube", "UCuAXFkgsw1L7xaCfnd5JJOw", "@roadwatch", "Road Watch")
    assert post.posted_at is not None
    assert post.posted_at.utc == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert (post.posted_at.basis, post.posted_at.source) == ("platform_utc", "timestamp")
    assert post.geotags == ()  # "location" is free text, kept in raw only
    assert post.raw["location"] == "Kharkiv, Ukraine"
    assert post.raw["release_timestamp"] == 1700100000
    assert post.location == "$"
    (media,) = post.media
    assert media.path == "Convoy on the M-03 [dQw4w9WgXcQ].mp4"
    assert media.metadata == {"ext": "mp4", "duration": 212, "width": 1920, "height": 1080}


def test_upload_date_only_is_a_utc_day() -> None:
    (post,) = _read("v.info.json", json.dumps(_info(timestamp=None)).encode())
    at = post.posted_at
    assert at is not None
    assert at.utc == datetime(2023, 11, 14, 12, 0, tzinfo=UTC)
    assert (at.basis, at.uncertainty_s, at.source) == ("utc_day", 43200.0, "upload_date")


def test_bad_times_are_refused_and_the_video_kept() -> None:
    records = _read(
        "v.info.json", json.dumps(_info(timestamp="later", upload_date="20231345")).encode()
    )
    assert [type(r).__name__ for r in records] == ["Post", "Refusal"]
    assert records[0].posted_at is None
    assert records[1].code == "time_invalid" and records[1].path == "v.info.json#$"
    (post,) = _read("v.info.json", json.dumps(_info(timestamp=None, upload_date=None)).encode())
    assert post.posted_at is None  # nothing stated: nothing to refuse


def test_json_lines_with_a_broken_line() -> None:
    tiktok = _info(
        id=7300000000000000001,
        extractor="TikTok",
        extractor_key="TikTok",
        channel_id=None,
        uploader_id="6800000000000000000",
        uploader="someone",
        channel=None,
        formats=None,
        _filename=None,
    )
    lines = [
        json.dumps(_info()),
        '{"id": "x", "title": ',
        json.dumps(tiktok),
        json.dumps({"title": "no id", "extractor_key": "Youtube"}),
        json.dumps(_info(id="abc"))[:500],
    ]
    data = ("\n".join(lines)).encode()
    assert YTDLP.sniff("videos.jsonl", data[:SNIFF_BYTES])
    records = _read("videos.jsonl", data)
    kinds = [(type(r).__name__, getattr(r, "code", None)) for r in records]
    assert kinds == [
        ("Post", None),
        ("Refusal", "json_line_invalid"),
        ("Post", None),
        ("Refusal", "item_invalid"),
        ("Refusal", "json_line_invalid"),
    ]
    tik = records[2]
    assert (tik.platform, tik.post_id, tik.location) == ("tiktok", "7300000000000000001", "line 3")
    assert tik.author == Account("tiktok", "6800000000000000000", None, "someone")
    assert records[3].path == "videos.jsonl#line 4"
    assert "cut off" in records[4].message


def test_playlist_dump_gives_its_entries() -> None:
    playlist = {
        "_type": "playlist",
        "id": "PL1",
        "title": "list",
        "extractor_key": "YoutubeTab",
        "entries": [_info(id="a1"), "junk", _info(id="a2", timestamp=None)],
    }
    records = _read("list.info.json", json.dumps(playlist).encode())
    assert [type(r).__name__ for r in records] == ["Post", "Refusal", "Post"]
    assert [r.location for r in records if isinstance(r, Post)] == ["$.entries[0]", "$.entries[2]"]
    assert records[1].path == "list.info.json#$.entries[1]"


def test_truncated_info_json() -> None:
    data = json.dumps(_info()).encode()
    (refusal,) = _read("v.info.json", data[: len(data) // 2])
    assert isinstance(refusal, Refusal) and refusal.code == "json_broken"


def test_sniff_rejects_every_sample() -> None:
    require_shared(EXPORTS)
    files = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file()]
    assert files
    for path in files:
        assert not YTDLP.sniff(path.name, path.read_bytes()[:SNIFF_BYTES]), path


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_info_never_raises(data: st.DataObject) -> None:
    base = _info(formats=[{"format_id": "18", "ext": "mp4"}])
    blob = bytearray(json.dumps(base).encode())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and blob:
            blob[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del blob[at : at + data.draw(st.integers(1, 200))]
        else:
            blob[at:at] = data.draw(
                st.sampled_from(
                    [b"\n", b"null", b'"entries": [1, {}],', b'"upload_date": "2023",', b"1e999"]
                )
            )
    name = data.draw(st.sampled_from(["v.info.json", "v.jsonl"]))
    for record in _read(name, bytes(blob)):
        assert isinstance(record, Post | Account | Refusal)
