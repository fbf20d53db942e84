"""Which files came from one camera, one lens or one capture: keys from stored metadata.

A body or lens serial names one object; two files carrying it were made with it, whoever
posted them.  Apple's ContentIdentifier (maker note 0x0011, exiftool's ``MediaGroupUUID``
before it was renamed; ``com.apple.quicktime.content.identifier`` in the video) names one
Live Photo capture, shared by its still and its video.  Make + model + firmware only
narrows: thousands of phones share it.  Recompressing platforms drop all of these, so the
keys come from originals and files sent as documents.

The input is one media item's metadata as the case keeps it (``media.metadata``, the
``inspect --json`` object of :func:`geotrace.evidence.reader.report_to_json`); only its
``device`` object is read::

    {"make": str | None, "model": str | None, "software": str | None,
     "serials": {"Group:Tag": str}, "identifiers": {"Group:Tag": str}}

``serials`` are keyed as exiftool names them (``ExifIFD:SerialNumber``,
``Nikon:SerialNumber``, ``XMP-aux:LensSerialNumber``).  ``software`` and ``identifiers``
(``Apple:ContentIdentifier``, ``Keys:ContentIdentifier``, ``ExifIFD:ImageUniqueID``) are
read when present; a case whose metadata lacks them simply yields no such keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

DeviceLinkKind = Literal["same_camera", "same_lens", "same_capture", "consistent_with"]

#: Output order of a file's keys: the strongest first.
KIND_ORDER: dict[str, int] = {
    "same_camera": 0,
    "same_lens": 1,
    "same_capture": 2,
    "consistent_with": 3,
}

#: Serial tags that name no part of the camera or its lens.  Canon's SerialNumberFormat is
#: a format code, not a serial; flashes, extenders, filters and accessories move between
#: kits and have no kind of link of their own.
NOT_DEVICE_SERIALS = ("Format", "Flash", "Extender", "Filter", "Accessory")

#: Words that cameras write where they have no serial.  Zeros and other one-character fills
#: are caught by :func:`_placeholder` (in the photos corpus the Canon EOS M50's CR3 has
#: LensSerialNumber "0000000000" for a lens without a serial chip; a Nikon D70 file has an
#: empty SerialNumber; an Olympus E-PL8 empty Flash/Extender serials).
PLACEHOLDER_WORDS = frozenset(
    {"none", "unknown", "n/a", "na", "null", "nil", "default", "serial", "serialnumber"}
)

#: Older Nikon bodies print the serial in the maker note as "NO= 1000f46" while EXIF and
#: Adobe's XMP carry "1000f46" (both in the corpus's ``exifpy__87_OSError.jpg``).
NIKON_PREFIX = re.compile(r"^NO=\s*", re.IGNORECASE)

#: EXIF's ImageUniqueID is, by the standard (EXIF 2.3, tag 0xA420), 128 bits written as 32
#: hex digits; Apple's maker-note ImageUniqueID is a UUID.  Anything else is not the
#: standard's per-picture id: Samsung phones write 11-character codes ("F16QLHF01VB" on an
#: SM-G900F, "R12QSMF00SM" on an SM-G981W) that look like a module or firmware code, and
#: linking on them would join every picture of a model.
UNIQUE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: Software strings that are an editor or converter, not the camera's firmware: an editor
#: that saves a file overwrites the camera's Software tag.  In the photos corpus
#: (``/work/shared/corpora/photos``) 96 files carry Software: 56 from editors (36 strings of
#: 16 programs, all matched here, with the common others) and 40 from cameras and phones,
#: none matched.  A string without a digit ("LightZone", "PIL") is no firmware version.
EDITOR = re.compile(
    r"\b(?:adobe|photoshop|lightroom|camera raw|bridge|gimp|paint\.net|pil|pillow|acdsee"
    r"|digikam|gthumb|shotwell|darktable|rawtherapee|capture one|capture nx|view ?nx"
    r"|transfer|photopro|dxo|luminar|affinity|pixelmator|snapseed|picasa|irfanview|xnview"
    r"|photoscape|imagemagick|graphicsmagick|libvips|exiftool|quicktime|lav[fc][\d.]*|ffmpeg"
    r"|handbrake|windows|microsoft|perfectly clear|opanda|libformat|lightzone"
    r"|graphicconverter|instagram|vsco|facetune|canva|fotor|meitu)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """One thing a file says about what made it, in a form equal across files.

    ``value`` carries make and model with a serial ("Canon|Canon EOS 6D|body:33024001432")
    so that two makers' small serials do not collide; ``evidence`` names the tags.
    """

    kind: str  # DeviceLinkKind
    value: str
    evidence: str


@dataclass(frozen=True, slots=True)
class DeviceLink:
    """Media (indices into the input) sharing one key; always two or more."""

    kind: str  # DeviceLinkKind
    value: str
    members: tuple[int, ...]


def device_keys(metadata: Mapping[str, Any]) -> list[DeviceKey]:
    """The device keys of one media item's stored metadata, strongest first.

    * ``same_camera``: a body, camera, internal or sensor serial.  Its namespace is the tag
      without "SerialNumber" (``body`` for SerialNumber / BodySerialNumber /
      CameraSerialNumber, ``internal`` for InternalSerialNumber, ``hash`` for GoPro's
      hashed one), because a body's internal serial and its printed one are different
      numbers.  The same value from several tags (EXIF and XMP copies) is one key.  A
      file with no make or model keeps empty parts ("||body:…"): it links only to files
      as anonymous (an export that kept only XMP, as ``immich__thompson-springs.jpg``).
    * ``same_lens``: a lens serial, with the body's make and model: without the lens
      model (not stored) a lens serial is unique only within its own model, so a lens
      moved to another body is not linked rather than risk a false one.
    * ``same_capture``: Apple's ContentIdentifier (a Live Photo's still and video), and
      the picture's ImageUniqueID.  The latter is per picture, not per device: it links
      re-encoded copies of one picture whose bytes differ (the corpus holds one Nikon
      D5300 picture as HEIC, WebP and an XMP sidecar, all with one ImageUniqueID).  Both
      say "one capture", not "one owner": an account may post another's picture.
    * ``consistent_with``: make + model + firmware, only when all three are present and
      the Software tag is firmware, not an editor (:data:`EDITOR`).  It only narrows,
      never identifies: every unit of a model on one firmware release shares it.

    Serials are cleaned (NULs and spaces stripped, Nikon's "NO=" dropped, leading zeros
    of an all-digit serial dropped so that a number printed as an integer and zero-padded
    matches, upper-cased) and placeholders dropped (:func:`_placeholder`).
    """
    device = metadata.get("device")
    if not isinstance(device, Mapping):
        return []
    make, model = _text(device.get("make")), _text(device.get("model"))
    found: dict[tuple[str, str], set[str]] = {}

    def add(kind: str, value: str, tag: str) -> None:
        found.setdefault((kind, value), set()).add(tag)

    for tag, raw in _pairs(device.get("serials")):
        name = tag.rpartition(":")[2]
        serial = _serial(raw)
        if serial is None or "SerialNumber" not in name:
            continue
        part = name.replace("SerialNumber", "")
        if any(word in part for word in NOT_DEVICE_SERIALS):
            continue
        space = part.lower() if part not in ("", "Body", "Camera") else "body"
        kind = "same_lens" if "Lens" in part else "same_camera"
        add(kind, f"{make}|{model}|{space}:{serial}", tag)
    for tag, raw in _pairs(device.get("identifiers")):
        name = tag.rpartition(":")[2]
        ident = _text(raw).casefold()
        if _placeholder(ident.replace("-", "")):
            continue
        if name in ("ContentIdentifier", "MediaGroupUUID"):
            add("same_capture", f"apple:content:{ident}", tag)
        elif name == "ImageUniqueID" and UNIQUE_ID.fullmatch(ident):
            add("same_capture", f"image:{ident}", tag)
    software = _text(device.get("software"))
    if make and model and _firmware(software):
        add("consistent_with", f"{make}|{model}|fw:{software}", "Make, Model, Software")
    return [
        DeviceKey(kind, value, ", ".join(sorted(tags)))
        for (kind, value), tags in sorted(
            found.items(), key=lambda kv: (KIND_ORDER[kv[0][0]], kv[0][1])
        )
    ]


def device_links(keys: Sequence[Sequence[DeviceKey]]) -> list[DeviceLink]:
    """Media sharing a key, grouped in one dictionary pass over the keys (no pairs).

    ``keys[i]`` are media item ``i``'s keys; a key listed twice for one item counts once.
    Links come sorted by kind (strongest first) and value, members ascending.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, item in enumerate(keys):
        for key in item:
            members = groups.setdefault((key.kind, key.value), [])
            if not members or members[-1] != i:
                members.append(i)
    shared = [(kv, members) for kv, members in groups.items() if len(members) > 1]
    shared.sort(key=lambda g: (KIND_ORDER.get(g[0][0], len(KIND_ORDER)), g[0][1]))
    return [DeviceLink(kind, value, tuple(members)) for (kind, value), members in shared]


def _text(value: object) -> str:
    """A stored string with NUL padding and runs of spaces removed; '' for anything else.

    Numbers are taken as their text: a JSON writer may have stored a numeric serial as one.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return " ".join(str(value).strip(" \0").split("\0", 1)[0].split())


def _pairs(table: object) -> list[tuple[str, object]]:
    if not isinstance(table, Mapping):
        return []
    return [(str(k), v) for k, v in table.items()]


def _serial(raw: object) -> str | None:
    text = NIKON_PREFIX.sub("", _text(raw)).upper()
    if text.isdigit():
        text = text.lstrip("0")
    return None if _placeholder(text) else text


def _placeholder(text: str) -> bool:
    """Empty, a fill of one character ("0", "00000000", "FFFFFFFF", "-") or a word such as
    "unknown".  Why: many cameras write zeros (or 0xFF, erased flash) where the body or lens
    reports no serial, and every such file would otherwise be "the same camera"."""
    return len(set(text)) <= 1 or text.casefold() in PLACEHOLDER_WORDS


def _firmware(software: str) -> bool:
    return any(c.isdigit() for c in software) and EDITOR.search(software) is None
