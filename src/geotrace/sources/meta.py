"""Meta's "Download your information" JSON: Instagram posts, stories and reels, and
Facebook's posts/check-ins file.

Three things about these exports shape the reader:

- Mojibake: every string is its UTF-8 bytes written as ``\\u00XX`` code points ("Un Taxi
  \\u00f0\\u009f\\u0087\\u00a8…" is "Un Taxi 🇨🇴").  Each string the reader hands on (text,
  labels, media metadata) is repaired with ``s.encode("latin-1").decode("utf-8")``, and
  kept as it is when that fails (a real "é" does not survive the round trip, so it is
  left alone).  ``Post.raw`` stays verbatim, as parsed, mojibake included: it is the
  record of what the file said.
- No post ids and no owner: the files hold only the archive owner's own items and name
  neither.  Instagram media URIs end in the media's id (``…_n_18032017582961826.jpg``),
  which is stable across re-exports, so a post is named by its first media's id; a
  Facebook post, which may have no media, by a hash of its timestamp, first URI and text.
  The author stays None: the owner's username lives elsewhere in the export
  (``personal_information``) and is a handle, not the stable id an account needs.
- Media URIs are relative to the export's root, not to the JSON's folder
  (``media/posts/202405/x.jpg`` beside ``your_instagram_activity/content/posts_1.json``);
  they are rewritten relative to the document (``../../media/posts/…``) from where the
  document sits under the export's known top folders.

EXIF inside ``media_metadata`` (``date_time_original`` is camera wall time with no zone)
is kept in the media's metadata, never taken for the post's time; a ``latitude`` /
``longitude`` pair in it is the camera's own fix and becomes an ``exif_point`` geotag.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from geotrace.records import Geotag, MediaRef, Post
from geotrace.sources.base import ExportFile, ExportReader, Record, Refusal
from geotrace.sources.common import checked_point, unix_instant
from geotrace.sources.generic import first_byte, peek
from geotrace.sources.jsonstream import json_items

#: Instagram's containers of media-like items -> the kind of post each item is.
IG_CONTAINERS = {
    "ig_stories": "story",
    "ig_reels_media": "reel",
    "ig_archived_post_media": "archived_post",
    "ig_profile_picture": "profile_photo",
}

#: A phone camera's GPS fix as stored in the photo: a few metres in the open, tens near
#: buildings; 50 m also covers a fix a little stale when the shutter fired.
EXIF_RADIUS_M = 50.0
#: A check-in's place with a street address is a venue's pin (a building, a square).
VENUE_RADIUS_M = 100.0
#: A check-in place with no address is often a city or area page, pinned at its centre.
AREA_RADIUS_M = 15_000.0

_IG_ARRAY = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\[\s*\{\s*"media"\s*:\s*\[\s*\{\s*"uri"\s*:')
_IG_OBJECT = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"(' + "|".join(IG_CONTAINERS).encode() + rb')"\s*:\s*\['
)
_FB_POSTS = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*\[\s*\{\s*"timestamp"\s*:\s*\d+\s*,\s*"(?:attachments|data|title|tags)"'
)
#: The media id at the end of an Instagram URI's file name.
_MEDIA_ID = re.compile(r"_(\d{10,})(?:\.\w+)?$")

#: Top folders of the exports, under which the JSON documents sit.
EXPORT_TOPS = ("your_instagram_activity", "your_facebook_activity")
#: Older layouts: the documents sit one folder below the root.
OLD_FOLDERS = ("content", "posts", "stories")


def sniff_instagram(name: str, head: bytes) -> bool:
    if not name.lower().endswith(".json"):
        return False
    return _IG_ARRAY.match(head) is not None or _IG_OBJECT.match(head) is not None


def sniff_facebook(name: str, head: bytes) -> bool:
    """The documented key order (``timestamp`` first), or the file's own name with a list
    of objects that have a ``timestamp`` when the order differs."""
    lower = name.lower()
    if not lower.endswith(".json"):
        return False
    if _FB_POSTS.match(head) is not None:
        return True
    base = lower.replace("\\", "/").rsplit("/", 1)[-1]
    return base.startswith("your_posts") and first_byte(head) == b"[" and b'"timestamp"' in head


# -- strings ------------------------------------------------------------------------------


def fix_text(text: str) -> str:
    """Meta's mojibake undone; the text as it is when it was not mojibake."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def fix_all(value: Any) -> Any:
    """:func:`fix_text` over every key and string of a parsed JSON value (a new value)."""
    if isinstance(value, str):
        return fix_text(value)
    if isinstance(value, dict):
        return {fix_text(k): fix_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fix_all(v) for v in value]
    return value


def _text(value: object) -> str | None:
    return fix_text(value) if isinstance(value, str) and value else None


# -- paths --------------------------------------------------------------------------------


def root_prefix(doc_name: str) -> str:
    """What leads from the document's folder back to the export's root (``../../``), from
    where it sits under the export's top folders; "" when that cannot be told."""
    inner = doc_name.rsplit("!/", 1)[-1].replace("\\", "/")
    folders = inner.split("/")[:-1]
    for top in EXPORT_TOPS:
        if top in folders:
            last = len(folders) - 1 - folders[::-1].index(top)
            return "../" * (len(folders) - last)
    if folders and folders[-1] in OLD_FOLDERS:
        return "../"
    return ""


def _kind(uri: str, metadata: dict[str, Any]) -> str | None:
    if "photo_metadata" in metadata:
        return "photo"
    if "video_metadata" in metadata:
        return "video"
    ext = uri.rsplit(".", 1)[-1].lower() if "." in uri.rsplit("/", 1)[-1] else ""
    if ext in ("jpg", "jpeg", "png", "webp", "heic", "gif"):
        return "photo"
    if ext in ("mp4", "mov", "m4v", "webm"):
        return "video"
    return None


# -- media and their EXIF -----------------------------------------------------------------


#: (refusal code, reason) of something in an item that could not be read.
Problem = tuple[str, str]


def _exif_geotags(
    metadata: dict[str, Any], source_prefix: str
) -> tuple[list[Geotag], list[Problem]]:
    """The camera fixes in a media's ``exif_data`` lists, and why any given is not one."""
    tags: list[Geotag] = []
    problems: list[Problem] = []
    for key in ("photo_metadata", "video_metadata"):
        block = metadata.get(key)
        exif_list = block.get("exif_data") if isinstance(block, dict) else None
        if not isinstance(exif_list, list):
            continue
        for exif in exif_list:
            if not isinstance(exif, dict):
                continue
            lat, lon = exif.get("latitude"), exif.get("longitude")
            if lat is None and lon is None:
                continue
            checked = checked_point(lat, lon)
            if isinstance(checked, str):
                problems.append(("geotag_invalid", f"{source_prefix}{key}.exif_data: {checked}"))
                continue
            source = f"{source_prefix}{key}.exif_data.latitude"
            tags.append(Geotag(checked[0], checked[1], EXIF_RADIUS_M, "exif_point", source))
    return tags, problems


def _media(
    entry: object, prefix: str, source_prefix: str
) -> tuple[MediaRef | None, list[Geotag], list[Problem]]:
    """A media entry as a reference to its file, its EXIF geotags, and problems."""
    if not isinstance(entry, dict):
        return None, [], [("media_invalid", "media entry is not an object")]
    uri = entry.get("uri")
    raw_meta = entry.get("media_metadata")
    metadata = fix_all(raw_meta) if isinstance(raw_meta, dict) else {}
    tags, problems = _exif_geotags(metadata, source_prefix)
    if not isinstance(uri, str) or not uri:
        return None, tags, [*problems, ("media_invalid", "media entry has no uri")]
    ref = MediaRef(path=prefix + fix_text(uri), kind=_kind(uri, metadata), metadata=metadata)
    return ref, tags, problems


def _unique(tags: list[Geotag]) -> tuple[Geotag, ...]:
    return tuple(dict.fromkeys(tags))


def _refusals(where: str, problems: list[Problem]) -> list[Record]:
    return [Refusal(where, code, reason) for code, reason in problems]


# -- Instagram ----------------------------------------------------------------------------


def instagram_post_id(uri: str) -> str:
    """The media id at the end of a URI's file name; the URI itself when it has none."""
    name = uri.rsplit("/", 1)[-1]
    found = _MEDIA_ID.search(name)
    return found.group(1) if found else uri


def _instagram(item: object, kind: str, prefix: str, location: str, where: str) -> list[Record]:
    """A post (a ``media`` list with the title and time on top or in its first entry) or a
    story-like item (one media entry itself)."""
    if not isinstance(item, dict):
        return [Refusal(where, "item_invalid", "item is not an object")]
    listed = item.get("media")
    entries = listed if isinstance(listed, list) else [item]
    first = entries[0] if entries else None
    if not isinstance(first, dict) or not isinstance(first.get("uri"), str):
        return [Refusal(where, "item_invalid", "no media with a uri")]
    top = item if "creation_timestamp" in item else first
    source = "creation_timestamp" if top is item else "media[0].creation_timestamp"
    posted_at = unix_instant(top.get("creation_timestamp"), source)
    title = item.get("title") if "title" in item else first.get("title")
    refs: list[MediaRef] = []
    tags: list[Geotag] = []
    problems: list[Problem] = []
    for entry in entries:
        ref, entry_tags, entry_problems = _media(entry, prefix, "media_metadata.")
        if ref is not None:
            refs.append(ref)
        tags.extend(entry_tags)
        problems.extend(entry_problems)
    refusals: list[Record] = []
    if posted_at is None:
        refusals.append(
            Refusal(where, "time_invalid", f"{source} {top.get('creation_timestamp')!r}")
        )
    post = Post(
        platform="instagram",
        post_id=instagram_post_id(first["uri"]),
        kind=kind,
        author=None,
        posted_at=posted_at,
        text=_text(title) or "",
        raw=item,
        location=location,
        geotags=_unique(tags),
        media=tuple(refs),
    )
    return [post, *refusals, *_refusals(where, problems)]


def read_instagram(doc: ExportFile) -> Iterator[Record]:
    prefix = root_prefix(doc.name)
    with doc.open() as counted:
        head, stream = peek(counted)
        container = _IG_OBJECT.match(head)
        if container is not None:
            key = container.group(1).decode()
            ijson_prefix, kind, label = f"{key}.item", IG_CONTAINERS[key], key
        elif first_byte(head) == b"[":
            ijson_prefix, kind, label = "item", "post", ""
        else:
            yield Refusal(doc.name, "format_unknown", "not an Instagram posts or stories list")
            return
        for index, item in enumerate(json_items(stream, ijson_prefix, doc.name)):
            if isinstance(item, Refusal):
                yield item
                continue
            location = f"{label}[{index}]"
            yield from _guarded(_instagram, item, kind, prefix, location, f"{doc.name}#{location}")


# -- Facebook -----------------------------------------------------------------------------


def _place_geotag(place: dict[str, Any]) -> tuple[Geotag | None, str | None]:
    coordinate = place.get("coordinate")
    if not isinstance(coordinate, dict):
        return None, None  # a place named without coordinates
    checked = checked_point(coordinate.get("latitude"), coordinate.get("longitude"))
    if isinstance(checked, str):
        return None, f"place.coordinate: {checked}"
    name, address = _text(place.get("name")), _text(place.get("address"))
    radius = VENUE_RADIUS_M if address else AREA_RADIUS_M
    label = ", ".join(p for p in (name, address) if p) or None
    source = "attachments.data.place.coordinate"
    return Geotag(checked[0], checked[1], radius, "venue", source, label), None


def facebook_post_id(timestamp: object, first_uri: str, text: str) -> str:
    """A Facebook DYI post has no id: a hash of what identifies it, stable across
    re-exports as long as the post is not edited."""
    digest = hashlib.sha1(f"{timestamp}\x1f{first_uri}\x1f{text}".encode()).hexdigest()
    return f"dyi-{digest[:20]}"


def _listed(obj: dict[str, Any], key: str) -> list[Any]:
    """A list member (absent or null: empty); anything else is not the documented shape."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{key} is a {type(value).__name__}, not a list")
    return value


def _facebook(item: object, prefix: str, location: str, where: str) -> list[Record]:
    if not isinstance(item, dict):
        return [Refusal(where, "item_invalid", "item is not an object")]
    timestamp = item.get("timestamp")
    posted_at = unix_instant(timestamp, "timestamp")
    texts = [
        fixed
        for d in _listed(item, "data")
        if isinstance(d, dict)
        if (fixed := _text(d.get("post"))) is not None
    ]
    text = "\n\n".join(texts) or _text(item.get("title")) or ""
    refs: list[MediaRef] = []
    tags: list[Geotag] = []
    problems: list[Problem] = []
    first_uri = ""
    for attachment in _listed(item, "attachments"):
        for data in _listed(attachment, "data") if isinstance(attachment, dict) else ():
            if not isinstance(data, dict):
                continue
            if isinstance(data.get("media"), dict):
                ref, media_tags, media_problems = _media(
                    data["media"], prefix, "attachments.data.media.media_metadata."
                )
                if ref is not None:
                    refs.append(ref)
                    first_uri = first_uri or data["media"]["uri"]
                tags.extend(media_tags)
                problems.extend(media_problems)
            if isinstance(data.get("place"), dict):
                tag, why = _place_geotag(data["place"])
                if tag is not None:
                    tags.append(tag)
                if why is not None:
                    problems.append(("geotag_invalid", why))
    refusals: list[Record] = []
    if posted_at is None:
        refusals.append(Refusal(where, "time_invalid", f"timestamp {timestamp!r}"))
    post = Post(
        platform="facebook",
        post_id=facebook_post_id(timestamp, first_uri, text),
        kind="post",
        author=None,
        posted_at=posted_at,
        text=text,
        raw=item,
        location=location,
        geotags=_unique(tags),
        media=tuple(refs),
    )
    return [post, *refusals, *_refusals(where, problems)]


def read_facebook(doc: ExportFile) -> Iterator[Record]:
    prefix = root_prefix(doc.name)
    with doc.open() as counted:
        _, stream = peek(counted)
        for index, item in enumerate(json_items(stream, "item", doc.name)):
            if isinstance(item, Refusal):
                yield item
                continue
            location = f"[{index}]"
            yield from _guarded(_facebook, item, prefix, location, f"{doc.name}#{location}")


def _guarded(convert: Callable[..., list[Record]], *args: Any) -> list[Record]:
    """``convert(*args)``, or one refusal (at ``args[-1]``) when the item's shape is not
    the one expected (a string where a list was, …)."""
    try:
        return convert(*args)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return [Refusal(args[-1], "item_invalid", f"{type(exc).__name__}: {exc}")]


INSTAGRAM = ExportReader("instagram_dyi", "1", (".json",), sniff_instagram, read_instagram)
FACEBOOK = ExportReader("facebook_dyi", "1", (".json",), sniff_facebook, read_facebook)

READERS: tuple[ExportReader, ...] = (INSTAGRAM, FACEBOOK)
