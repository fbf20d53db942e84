"""Device keys and links on the real photos corpus, with exiftool's output as the oracle.

Files are read with geotrace's reader and turned into the object the case stores
(``report_to_json``, as ingest does); exiftool's ``exiftool.json`` for the same files says
independently which serials and identifiers they carry.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from geotrace.analysis.devices import DeviceKey, device_keys, device_links
from geotrace.evidence import read_file, report_to_json

PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "photos"

pytestmark = pytest.mark.skipif(
    not (PHOTOS / "exiftool.json").exists(), reason=f"photos corpus not found at {PHOTOS}"
)

#: Software strings of the corpus written by an editor or converter, labelled by hand from
#: the product each names (not by running the module's pattern).
EDITOR_STRINGS = {
    "ACDSee Pro 7",
    "Adobe Bridge CS5",
    "Adobe Photoshop 21.0 (Macintosh)",
    "Adobe Photoshop 21.1 (Macintosh)",
    "Adobe Photoshop 7.0",
    "Adobe Photoshop Album 2.0",
    "Adobe Photoshop CC 2015 (Macintosh)",
    "Adobe Photoshop CC 2015.5 (Macintosh)",
    "Adobe Photoshop CC 2017 (Macintosh)",
    "Adobe Photoshop CC 2019 (Macintosh)",
    "Adobe Photoshop CS6 (Macintosh)",
    "Adobe Photoshop Elements 12.0 Macintosh",
    "Adobe Photoshop Elements 5.0",
    "Adobe Photoshop Lightroom 6.1 (Windows)",
    "GIMP 2.10.14",
    "GIMP 2.10.30",
    "GIMP 2.10.36",
    "GIMP 2.4.5",
    "GIMP 2.6.11",
    "GIMP 2.8.16",
    "GIMP 2.9.5",
    "GIMP 2.99.5",
    "GraphicConverter",
    "LIBFORMAT (c) Pierre-e Gougelet",
    "LightZone",
    "Microsoft Windows Photo Viewer 10.0.19041.1",
    "Nikon Transfer 1.1 W",
    "Opanda PowerExif",
    "PIL",
    "Perfectly Clear Complete v3 3.6.3.1351",
    "QuickTime 7.7.1",
    "SIGMA PhotoPro 2.0.0.1586",
    "digiKam-0.9.0-beta3",
    "paint.net 4.2.13",
    "paint.net 4.3.12",
    "Lavf57.71.100",
}

NOT_DEVICE = ("Format", "Flash", "Extender", "Filter", "Accessory")


@cache
def exiftool() -> dict[str, dict[str, Any]]:
    entries = json.loads((PHOTOS / "exiftool.json").read_text())
    return {e["SourceFile"]: e for e in entries}


@cache
def stored(path: str) -> dict[str, Any]:
    """The metadata object the case keeps for this file (``report_to_json``, as ingest
    stores it)."""
    return report_to_json(read_file(PHOTOS / path))


def keys_of(path: str, kind: str) -> list[DeviceKey]:
    return [k for k in device_keys(stored(path)) if k.kind == kind]


def serial_of(key: DeviceKey) -> str:
    return key.value.rpartition("|")[2].partition(":")[2]


def exif_serials(entry: dict[str, Any], lens: bool) -> set[str]:
    """exiftool's body (or lens) serials, without the all-zero and empty ones."""
    out = set()
    for tag, value in entry.items():
        name = tag.partition(":")[2]
        part = name.replace("SerialNumber", "")
        if "SerialNumber" not in name or any(w in part for w in NOT_DEVICE):
            continue
        text = str(value).strip()
        if ("Lens" in part) == lens and text.strip("0"):
            out.add(text)
    return out


def matches(exif: str, key: str) -> bool:
    """exiftool's print of a serial against the key's: case, zero padding and Nikon's
    "NO= " prefix aside, the same characters."""
    text = " ".join(exif.upper().split())
    return key in (text, text.lstrip("0"), re.sub(r"^NO=\s*", "", text))


@pytest.mark.parametrize("lens", [False, True], ids=["body", "lens"])
def test_serial_keys_are_exactly_the_serials_exiftool_sees(lens: bool) -> None:
    kind = "same_lens" if lens else "same_camera"
    checked = 0
    for path, entry in exiftool().items():
        expected = exif_serials(entry, lens)
        got = {serial_of(k) for k in keys_of(path, kind)}
        for serial in expected:
            assert any(matches(serial, g) for g in got), (path, serial, got)
        for g in got:
            assert any(matches(serial, g) for serial in expected), (path, g, expected)
        checked += bool(expected)
    assert checked >= (3 if lens else 30)


def test_copies_of_one_camera_link_as_exiftool_groups_them() -> None:
    paths = sorted(exiftool())
    links = device_links([keys_of(p, "same_camera") for p in paths])
    got = {frozenset(paths[i] for i in link.members) for link in links}
    oracle: dict[str, set[str]] = defaultdict(set)
    for path, entry in exiftool().items():
        for serial in exif_serials(entry, lens=False):
            text = re.sub(r"^NO=\s*", "", serial.upper())
            oracle[str(int(text)) if text.isdigit() else text].add(path)
    expected = {frozenset(group) for group in oracle.values() if len(group) > 1}
    assert got == expected
    # the D5300 picture as HEIC, truncated HEIC, XMP sidecar and WebP: three tags, one key
    d5300 = {p for p in paths if "Stonehenge" in p or "bug1108" in p or "bug1199" in p}
    assert frozenset(d5300) in got and len(d5300) == 4


def test_one_lens_links_and_a_zero_lens_serial_does_not() -> None:
    paths = sorted(exiftool())
    links = device_links([keys_of(p, "same_lens") for p in paths])
    assert [sorted(paths[i] for i in link.members) for link in links] == [
        ["jpeg/photoprism__ferriswheel_colorful.jpg", "other/photoprism__example.tif"]
    ]
    cr3 = "other/exiftool__CanonRaw.cr3"
    assert exiftool()[cr3]["ExifIFD:LensSerialNumber"] == "0000000000"
    assert keys_of(cr3, "same_lens") == []
    assert {k.value for k in keys_of(cr3, "same_camera")} == {
        "Canon|Canon EOS M50|body:613040000565",
        "Canon|Canon EOS M50|internal:CG0156580",
    }


def test_one_serial_from_several_tags_is_one_key_naming_them_all() -> None:
    (key,) = keys_of("jpeg/exifpy__87_OSError.jpg", "same_camera")
    assert key.value == "NIKON CORPORATION|NIKON D70s|body:-1000F46"
    assert key.evidence.split(", ") == [
        "ExifIFD:SerialNumber",
        "Nikon:SerialNumber",
        "XMP-aux:SerialNumber",
        "XMP-exifEX:SerialNumber",
    ]


def test_placeholder_serials_yield_nothing() -> None:
    blanks = ["0", "00000000", "0000000000", "none", "Unknown", "FFFFFFFF", "\0\0\0\0", "  "]
    serials = {f"G{i}:SerialNumber": v for i, v in enumerate(blanks)}
    serials |= {f"L{i}:LensSerialNumber": v for i, v in enumerate(blanks)}
    meta = {"device": {"make": "Canon", "model": "EOS 5D", "serials": serials}}
    assert device_keys(meta) == []
    assert exiftool()["malformed/exiv2__exiv2-bug495.jpg"]["Nikon:SerialNumber"] == ""
    assert device_keys(stored("malformed/exiv2__exiv2-bug495.jpg")) == []


def test_one_serial_of_two_makers_is_two_cameras() -> None:
    def meta(make: str) -> dict[str, Any]:
        return {"device": {"make": make, "model": "X", "serials": {"E:SerialNumber": "1234"}}}

    assert device_links([device_keys(meta("Canon")), device_keys(meta("Nikon"))]) == []


def test_format_code_and_accessories_are_not_device_keys() -> None:
    assert {k.value for k in keys_of("jpeg/exiftool__Canon.jpg", "same_camera")} == {
        "Canon|Canon EOS DIGITAL REBEL|body:560018150"
    }
    flir = device_keys(stored("jpeg/mei__FLIR Vue Pro 640.jpg"))
    assert [(k.kind, k.evidence) for k in flir] == [
        ("same_camera", "FLIR:CameraSerialNumber"),
        ("same_lens", "FLIR:LensSerialNumber"),
    ]


def test_firmware_narrows_only_where_software_is_the_camera_s() -> None:
    seen = 0
    for path, entry in exiftool().items():
        meta = stored(path)["device"]
        software = meta["software"]
        if "IFD0:Software" in entry:
            assert software == str(entry["IFD0:Software"]), path
        firmware = bool(meta["make"] and meta["model"] and software)
        firmware = firmware and software not in EDITOR_STRINGS
        got = keys_of(path, "consistent_with")
        assert len(got) == int(firmware), (path, software, got)
        if got:
            assert got[0].value == f"{meta['make']}|{meta['model']}|fw:{software}"
            seen += 1
    assert seen >= 25


def test_a_file_without_serial_yields_only_its_firmware() -> None:
    path = "jpeg/photoprism__beach_sand.jpg"
    assert not [t for t in exiftool()[path] if "SerialNumber" in t]
    assert device_keys(stored(path)) == [
        DeviceKey("consistent_with", "Apple|iPhone SE|fw:10.2.1", "Make, Model, Software")
    ]
    without_software = stored(path)
    without_software = {
        **without_software,
        "device": {**without_software["device"], "software": None},
    }
    assert device_keys(without_software) == []


def test_a_live_photo_pair_is_one_capture() -> None:
    """The corpus holds no Live Photo video; the still's id is a real one (exiftool's
    Apple:MediaGroupUUID of IMG_5195.HEIC, maker-note tag 0x0011), the video's is how
    QuickTime's Keys carry it (exiftool: Keys:ContentIdentifier), in lower case here."""
    still_id = exiftool()["heif/exifsamples__IMG_5195.HEIC"]["Apple:MediaGroupUUID"]
    other_id = exiftool()["heif/mei__IMG_2927.HEIC"]["Apple:MediaGroupUUID"]
    still = {"device": {"make": "Apple", "identifiers": {"Apple:MediaGroupUUID": still_id}}}
    video = {"device": {"identifiers": {"Keys:ContentIdentifier": f" {still_id.lower()}\0"}}}
    other = {"device": {"identifiers": {"Apple:ContentIdentifier": other_id}}}
    links = device_links([device_keys(m) for m in (still, other, video)])
    assert links and [(lk.kind, lk.members) for lk in links] == [("same_capture", (0, 2))]
    assert links[0].value == f"apple:content:{still_id.lower()}"


def test_image_unique_id_links_copies_of_one_picture_only() -> None:
    """exiftool's ImageUniqueID tags fed in as the case would store them: the D5300
    picture (HEIC, truncated HEIC, XMP sidecar, WebP) and the D1X picture (JXL, PNG) are
    one capture each; the SD10's two pictures are two; Samsung's 11-character codes are
    not the standard's 128-bit id and link nothing."""
    paths = sorted(exiftool())
    metas = []
    for path in paths:
        ids = {t: v for t, v in exiftool()[path].items() if t.endswith(":ImageUniqueID")}
        metas.append({"device": {"identifiers": ids}})
    keys = [device_keys(m) for m in metas]
    got = {frozenset(paths[i] for i in lk.members) for lk in device_links(keys)}
    assert got == {
        frozenset(
            {
                "heif/exiv2__Stonehenge.heic",
                "malformed/derived__Stonehenge.heic.truncated.heic",
                "other/exiv2__exiv2-bug1108.xmp",
                "other/exiv2__exiv2-bug1199.webp",
            }
        ),
        frozenset({"heif/exiv2__Reagan.jxl", "other/exiv2__ReaganSmallPng.png"}),
    }
    samsung = [i for i, p in enumerate(paths) if "orientation" in p or "GAC103" in p]
    assert len(samsung) == 2 and all(keys[i] == [] for i in samsung)


def test_links_count_an_item_once_and_scale_linearly() -> None:
    dup = [DeviceKey("same_camera", "a", "x"), DeviceKey("same_camera", "a", "y")]
    assert device_links([dup, []]) == []
    n = 300_000
    keys = [
        [DeviceKey("same_camera", f"C|M|body:{i % 1000}", "E:SerialNumber")]
        + ([DeviceKey("consistent_with", f"C|M|fw:{i % 7}", "Make")] if i % 2 else [])
        for i in range(n)
    ]
    start = time.perf_counter()
    links = device_links(keys)
    elapsed = time.perf_counter() - start
    assert [lk.kind for lk in links].count("same_camera") == 1000
    narrow = [lk for lk in links if lk.kind == "consistent_with"]
    assert sum(len(lk.members) for lk in narrow) == n // 2
    for lk in narrow:
        assert {i % 7 for i in lk.members} == {int(lk.value[-1])}
        assert all(i % 2 for i in lk.members)
    first = links[0]
    assert first.members == tuple(range(int(first.value.rpartition(":")[2]), n, 1000))
    assert elapsed < 5.0, elapsed  # ~0.3 s measured on this 2-core machine


def test_a_serial_printed_as_a_number_and_zero_padded_is_one_camera() -> None:
    """Adobe's XMP and EXIF keep Canon's body serial as text with its leading zero
    ("033024001432" in two corpus files); a JSON writer may store it as a number."""
    padded = stored("other/photoprism__example.tif")
    number = {"device": {"make": "Canon", "model": "Canon EOS 6D"}}
    number["device"]["serials"] = {"Canon:SerialNumber": 33024001432}
    links = device_links(
        [keys_of("other/photoprism__example.tif", "same_camera"), device_keys(number)]
    )
    assert padded["device"]["serials"]["ExifIFD:SerialNumber"] == "033024001432"
    assert [(lk.value, lk.members) for lk in links] == [
        ("Canon|Canon EOS 6D|body:33024001432", (0, 1))
    ]
