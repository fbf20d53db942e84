"""VKontakte: what an item's ``geo``, photos and attachments say, for ``vk.py``.

A place's ``title``/``city``/``country`` stay a label beside the coordinates, never a
position of their own; a photo's own lat/long is a point of its own; the largest size of a
photo is the one kept as its URL.  Also the small conversions every VK item needs
(ids, texts, why an item failed), shared with ``vk.py``, which imports this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from geotrace.geo import distance_m
from geotrace.records import Geotag, MediaRef
from geotrace.sources.base import Refusal
from geotrace.sources.common import checked_point

#: A post's geo point is either the phone's position when the post was written (the OS
#: location service: GPS 5-20 m, Wi-Fi or cell fixes 20-50 m) or a point the author picked
#: on VK's map at street zoom; 50 m covers both.  The 12 decimals VK writes are not precision.
POINT_RADIUS_M = 50.0


#: A photo's ``lat``/``long`` is its EXIF GPS read at upload or a point set on the map in the
#: album editor: the same two origins as a post's point, so the same radius.
PHOTO_RADIUS_M = 50.0


#: A VK place (check-in venue) pin stands for a building, a square or a park; whoever checked
#: in may be anywhere in it.
VENUE_RADIUS_M = 150.0


#: Errors a malformed item raises in conversion; each becomes a refusal for that item.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


#: VK's photo size letters, smallest first; used only when sizes carry no dimensions.
SIZE_RANK = {letter: rank for rank, letter in enumerate("smopqrxyzw")}


#: Types a JSON number parses to (bool excluded: ``True * 9`` is no area).
NUMBERS = (int, float)


#: Legacy (API < 5.77) photo URL keys, largest first.
LEGACY_SIZES = ("photo_2560", "photo_1280", "photo_807", "photo_604", "photo_130", "photo_75")


#: What a non-photo attachment's metadata keeps, when present.
ATTACHMENT_KEYS = ("id", "owner_id", "title", "date", "ext", "size", "duration")


#: A photo's full id in a ``photos_list`` attachment: owner (negative: community), number.
_PHOTO_ID = re.compile(r"-?\d{1,20}_\d{1,20}")


def _text(value: object) -> str | None:
    """A label as text with its HTML entities decoded, None when absent or not text."""
    if not isinstance(value, str):
        return None
    value = html.unescape(value).strip()
    return value or None


def _vk_id(value: object, field: str) -> int:
    """A VK id (signed: negative = community) as an int; int-valued text or floats pass."""
    if type(value) is int:  # not bool: True is no id
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"{field} is not an integer id: {value!r:.60}")


def _place_label(place: object) -> str | None:
    """The place's title, city and country joined, each once: a claim of its own, which
    may name another town than the coordinates are in."""
    if not isinstance(place, dict):
        return None
    label = ""
    for key in ("title", "city", "country"):
        part = _text(place.get(key))  # older API versions give city/country as ids: skipped
        if part and part not in label:
            label = f"{label}, {part}" if label else part
    return label or None


def _coordinates(value: object) -> tuple[object, object]:
    """``"lat lon"`` (API 5.x: one string, lat first) or ``{latitude, longitude}`` (newer)."""
    if isinstance(value, str):
        parts = value.split()
        if len(parts) != 2:
            raise ValueError(f"coordinates are not two numbers: {value!r:.80}")
        return parts[0], parts[1]
    if isinstance(value, dict):
        return value.get("latitude"), value.get("longitude")
    raise ValueError(f"coordinates are neither text nor an object: {value!r:.80}")


def _geo_tags(geo: object, source: str) -> tuple[list[Geotag], list[str]]:
    """A post's ``geo`` as geotags, and why any part of it is not a position.

    The place's own ``latitude``/``longitude`` are usually 0 (VK fills them only for a
    check-in venue): zeros are ignored, a real venue pin becomes a ``venue`` geotag when it
    is not the same point as the coordinates.
    """
    tags: list[Geotag] = []
    problems: list[str] = []
    if not isinstance(geo, dict):
        return tags, [f"{source} is not an object: {geo!r:.80}"]
    place = geo.get("place")
    label = _place_label(place)
    coords = geo.get("coordinates")
    if coords is not None:
        try:
            checked = checked_point(*_coordinates(coords))
        except ValueError as exc:
            checked = str(exc)
        if isinstance(checked, str):
            problems.append(f"{source}.coordinates: {checked}")
        else:
            tags.append(
                Geotag(
                    checked[0], checked[1], POINT_RADIUS_M, "point", f"{source}.coordinates", label
                )
            )
    if isinstance(place, dict):
        lat, lon = place.get("latitude"), place.get("longitude")
        if lat not in (None, 0, 0.0) or lon not in (None, 0, 0.0):
            venue = checked_point(lat, lon)
            if isinstance(venue, str):
                problems.append(f"{source}.place: {venue}")
            elif not any(distance_m(t.lat, t.lon, *venue) < 1.0 for t in tags):
                tags.append(
                    Geotag(venue[0], venue[1], VENUE_RADIUS_M, "venue", f"{source}.place", label)
                )
    return tags, problems


def _photo_tag(photo: Mapping[str, Any], source: str) -> Geotag | str | None:
    """A photo's own ``lat``/``long`` (None when it has none)."""
    if "lat" not in photo and "long" not in photo:
        return None
    checked = checked_point(photo.get("lat"), photo.get("long"))
    if isinstance(checked, str):
        return f"{source}: {checked}"
    return Geotag(checked[0], checked[1], PHOTO_RADIUS_M, "photo_point", source)


def _largest(photo: Mapping[str, Any]) -> tuple[str | None, object, object]:
    """The URL, width and height of a photo's largest copy: ``orig_photo`` (newest API),
    else the ``sizes`` entry with the most pixels (ties and missing dimensions: VK's size
    letters), else the largest legacy ``photo_NNN`` key."""
    orig = photo.get("orig_photo")
    if isinstance(orig, dict) and isinstance(orig.get("url"), str):
        return orig["url"], orig.get("width"), orig.get("height")
    sizes = photo.get("sizes")
    if type(sizes) is list:
        best_area, best_rank = -1.0, -1
        chosen: dict[str, Any] | None = None
        size: Any
        for size in sizes:
            if type(size) is not dict:
                continue
            width: Any = size.get("width")
            height: Any = size.get("height")
            area = width * height if type(width) in NUMBERS and type(height) in NUMBERS else 0
            if area < best_area:
                continue
            letter = size.get("type")
            rank = SIZE_RANK.get(letter, -1) if type(letter) is str else -1
            if (area > best_area or rank > best_rank) and type(size.get("url")) is str:
                best_area, best_rank, chosen = area, rank, size
        if chosen is not None:
            return chosen["url"], chosen.get("width"), chosen.get("height")
    for legacy in LEGACY_SIZES:
        url = photo.get(legacy)
        if isinstance(url, str):
            return url, photo.get("width"), photo.get("height")
    return None, photo.get("width"), photo.get("height")


def _photo_ref(photo: Mapping[str, Any]) -> MediaRef:
    """A photo as media: its largest copy's URL, and what identifies and places it."""
    url, width, height = _largest(photo)
    meta: dict[str, object] = {
        "id": photo.get("id"),
        "owner_id": photo.get("owner_id"),
        "width": width,
        "height": height,
        "date": photo.get("date"),
    }
    if "lat" in photo or "long" in photo:
        meta["lat"], meta["long"] = photo.get("lat"), photo.get("long")
    return MediaRef(
        url=url, kind="photo", metadata={k: v for k, v in meta.items() if v is not None}
    )


def _attachment_ref(kind: str, body: Mapping[str, Any]) -> MediaRef:
    """A video, link, document, poll… as the post shows it: its URL where the API gives one
    (a video's page is built from its ids), and its identifying fields."""
    url = next(
        (
            v
            for v in (body.get("url"), body.get("player"), body.get("view_url"))
            if isinstance(v, str) and v
        ),
        None,
    )
    if url is None and kind == "video":
        url = (
            f"https://vk.com/video{_vk_id(body['owner_id'], 'owner_id')}_{_vk_id(body['id'], 'id')}"
        )
    meta = {key: body[key] for key in ATTACHMENT_KEYS if body.get(key) is not None}
    return MediaRef(url=url, kind=kind, metadata=meta)


def _photos_list(ids: object) -> list[MediaRef]:
    """A ``photos_list`` attachment: photos shown by id only (``["<owner>_<id>", …]``, no
    URL, no point), each kept as a reference to its page.  ``null`` lists none (VkNet's
    ``Get_With_PhotoListAttachment.json`` fixture has it so), which is not damage."""
    if ids is None:
        return []
    if not isinstance(ids, list):
        raise TypeError("photos_list is not a list of photo ids")
    refs = []
    for value in ids:
        if not isinstance(value, str) or _PHOTO_ID.fullmatch(value) is None:
            raise ValueError(f"photos_list holds {value!r:.40}, not an <owner>_<id> photo id")
        refs.append(MediaRef(url=f"https://vk.com/photo{value}", kind="photo"))
    return refs


def _attachments(
    item: Mapping[str, Any], location: str
) -> tuple[list[MediaRef], list[Geotag], list[Refusal]]:
    """A post's attachments as media, the geotags its photos carry, and refusals for
    attachments that are not objects."""
    media: list[MediaRef] = []
    tags: list[Geotag] = []
    problems: list[Refusal] = []
    attachments = item.get("attachments")
    if attachments is None:
        return media, tags, problems
    if not isinstance(attachments, list):
        problems.append(
            Refusal(f"{location}.attachments", "vk_attachment_invalid", "attachments is not a list")
        )
        return media, tags, problems
    for index, attachment in enumerate(attachments):
        where = f"{location}.attachments[{index}]"
        try:
            kind = attachment["type"]
            body = attachment[kind]
            if kind == "photos_list":
                media.extend(_photos_list(body))
                continue
            if not isinstance(body, dict):
                raise TypeError(f"{kind} is not an object")
            if kind != "photo":
                media.append(_attachment_ref(str(kind), body))
                continue
            media.append(_photo_ref(body))
            tag = _photo_tag(body, f"attachments[{index}].photo.lat/long")
        except ITEM_ERRORS as exc:
            problems.append(Refusal(where, "vk_attachment_invalid", _reason(exc)))
            continue
        if isinstance(tag, Geotag):
            tags.append(tag)
        elif tag is not None:
            problems.append(Refusal(where, "geotag_invalid", tag))
    return media, tags, problems


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"
