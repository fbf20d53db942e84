"""Videos as yt-dlp describes them: one ``.info.json`` per video (``--write-info-json``)
or one JSON object per line (``-j``), and ``-J`` playlist dumps with their ``entries``.

yt-dlp normalises every site to the same fields, so one reader serves YouTube, TikTok,
VK video and the rest; the platform is the extractor (``extractor_key`` lower-cased:
"youtube").  Time: ``timestamp`` is the upload instant (Unix, UTC).  Often, for YouTube
always in older versions, only ``upload_date`` (``YYYYMMDD``, a UTC date) is there: the
instant is then known to the day, noon UTC +/- 12 h (basis ``utc_day``).  ``location`` is
free text ("where the video was filmed", as the uploader typed it), not a position: it
stays in the raw item.  ``release_timestamp`` (a premiere) is not the upload and is kept
in the raw only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from geotrace.records import Account, Instant, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import unix_instant
from geotrace.sources.generic import first_byte
from geotrace.sources.jsonstream import json_items, json_lines

#: Half a day: an ``upload_date`` pins the instant only to its UTC date.
DAY_HALF_S = 43_200.0

#: Keys only yt-dlp (and youtube-dl) write; ``format_id`` shows in the head even when a
#: long ``formats`` list pushes ``extractor_key`` past the bytes sniffed.
_MARKERS = (b'"extractor_key"', b'"webpage_url_basename"', b'"format_id"')
_DATE = re.compile(r"\d{8}")

#: Facts about the downloaded file worth keeping with its reference.
FILE_FACTS = (
    "ext",
    "format_id",
    "duration",
    "width",
    "height",
    "fps",
    "vcodec",
    "acodec",
    "filesize",
    "filesize_approx",
)


def sniff(name: str, head: bytes) -> bool:
    lower = name.lower()
    if not lower.endswith((".json", ".jsonl", ".ndjson")) or first_byte(head) != b"{":
        return False
    if lower.endswith(".info.json") and b'"id"' in head:
        return True
    return any(marker in head for marker in _MARKERS)


def _platform(info: dict[str, Any]) -> str:
    key = info.get("extractor_key")
    if isinstance(key, str) and key:
        return key.lower()
    extractor = info.get("extractor")
    if isinstance(extractor, str) and extractor:
        return extractor.split(":", 1)[0].lower()
    return "unknown"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return _text(value)


def day_instant(text: object, source: str) -> Instant | None:
    """A ``YYYYMMDD`` UTC date as noon UTC with a 12 h half-width; None when not a date."""
    if not isinstance(text, str) or _DATE.fullmatch(text) is None:
        return None
    try:
        day = datetime(int(text[:4]), int(text[4:6]), int(text[6:]), 12, tzinfo=UTC)
    except ValueError:
        return None
    return Instant(day, None, "utc_day", DAY_HALF_S, source)


def _posted_at(info: dict[str, Any]) -> tuple[Instant | None, str | None]:
    stamp, date = info.get("timestamp"), info.get("upload_date")
    if stamp is not None:
        at = unix_instant(stamp, "timestamp")
        if at is not None:
            return at, None
    if date is not None:
        at = day_instant(date, "upload_date")
        if at is not None:
            return at, None
    if stamp is None and date is None:
        return None, None
    return None, f"timestamp {stamp!r}, upload_date {date!r}: neither is a time"


def _author(info: dict[str, Any], platform: str) -> Account | None:
    """The channel: its stable id (``channel_id``, else ``uploader_id``), the handle
    (``uploader_id``, "@name" on YouTube since 2023) and the display name."""
    channel_id, uploader_id = _id_text(info.get("channel_id")), _id_text(info.get("uploader_id"))
    account_id = channel_id or uploader_id
    if account_id is None:
        return None
    handle = uploader_id if uploader_id != account_id else _text(info.get("channel_handle"))
    name = _text(info.get("channel")) or _text(info.get("uploader"))
    return Account(platform, account_id, handle, name)


def _media(info: dict[str, Any]) -> tuple[MediaRef, ...]:
    """The downloaded file, named as yt-dlp wrote it beside its ``.info.json`` (the same
    output template), with what yt-dlp says of it."""
    written = _text(info.get("_filename")) or _text(info.get("filename"))
    facts = {k: info[k] for k in FILE_FACTS if info.get(k) is not None}
    if written is None and not facts:
        return ()
    path = written.replace("\\", "/").rsplit("/", 1)[-1] if written else None
    return (MediaRef(path=path, kind="video", metadata=facts),)


def convert(info: object, location: str, where: str) -> list[Record]:
    """One video as a post (first) and the refusals of what in it could not be read; a
    playlist dump gives its entries' posts."""
    try:
        return _convert(info, location, where)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [Refusal(where, "item_invalid", f"{type(exc).__name__}: {exc}")]


def _convert(info: object, location: str, where: str) -> list[Record]:
    if not isinstance(info, dict):
        return [Refusal(where, "item_invalid", "item is not an object")]
    entries = info.get("entries")
    if isinstance(entries, list):
        records: list[Record] = []
        for index, entry in enumerate(entries):
            records.extend(
                convert(entry, f"{location}.entries[{index}]", f"{where}.entries[{index}]")
            )
        return records
    video_id = _id_text(info.get("id"))
    if video_id is None:
        return [Refusal(where, "item_invalid", "no video id")]
    platform = _platform(info)
    posted_at, why = _posted_at(info)
    title, description = _text(info.get("title")), _text(info.get("description"))
    post = Post(
        platform=platform,
        post_id=video_id,
        kind="video",
        author=_author(info, platform),
        posted_at=posted_at,
        text="\n\n".join(t for t in (title, description) if t),
        raw=info,
        location=location,
        url=_text(info.get("webpage_url")),
        media=_media(info),
    )
    return [post] if why is None else [post, Refusal(where, "time_invalid", why)]


def read(doc: ExportFile) -> Iterator[Record]:
    with doc.open() as stream:
        if doc.name.lower().endswith(".info.json"):
            for value in json_items(stream, "", doc.name):
                if isinstance(value, Refusal):
                    yield value
                else:
                    yield from convert(value, "$", f"{doc.name}#$")
            return
        for entry in json_lines(stream, doc.name):
            if isinstance(entry, Refusal):
                yield entry
            else:
                number, value = entry
                yield from convert(value, f"line {number}", f"{doc.name}#line {number}")


YTDLP = ExportReader("ytdlp_info", "1", (".json", ".jsonl", ".ndjson"), sniff, read)

READERS: tuple[ExportReader, ...] = (YTDLP,)
