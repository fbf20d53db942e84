"""Location, time and device of QuickTime/MP4/3GP videos, from their movie atoms.

Read by hand (see ``bmff`` for why): Apple's ``keys``/``ilst`` metadata
(``com.apple.quicktime.location.ISO6709``, ``creationdate``, ``make``, ``model``), the
UserData atoms ``©xyz``, ``©day``, ``©mak``, ``©mod``, 3GPP ``loci``, GoPro's serials and
model (``LENS``, ``CAME``, the GPMF in ``GPMF``) and the movie header's creation time.
GPS inside timed metadata tracks (dashcams, drones) is not read here.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from geotrace.evidence import bmff
from geotrace.evidence.makernotes_walk import json_text
from geotrace.evidence.tiff import decode_text
from geotrace.evidence.vendor import GPMF_MODEL, GPMF_SERIAL, gpmf_strings
from geotrace.records import Problem

QT_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
_ISO6709 = re.compile(rb"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?")


@dataclass(slots=True)
class VideoInfo:
    """What the movie atoms say; each value with the atom it came from."""

    location: tuple[float, float, float | None, str] | None = None  # lat, lon, alt, atom
    accuracy_m: float | None = None
    creation: str | None = None  # local time with offset, as written (Apple, ©day)
    creation_source: str | None = None
    movie_created: datetime | None = None  # mvhd, UTC by the specification
    make: str | None = None
    model: str | None = None
    software: str | None = None
    serials: dict[str, str] = field(default_factory=dict)  # "Group:Tag" as exiftool names it
    problems: list[Problem] = field(default_factory=list)


def read_video(buf: bytes | memoryview) -> VideoInfo:
    info = VideoInfo()
    top = list(bmff.iter_boxes(buf, 0, len(buf), info.problems, "file"))
    moov = next((b for b in top if b.type == b"moov"), None)
    if moov is None:
        info.problems.append(Problem("no_movie_header", "no 'moov' atom: no video metadata"))
        return info
    keyed: dict[str, tuple[bytes, int]] = {}
    user: dict[bytes, bytes] = {}
    for box in bmff.children(buf, moov, info.problems):
        if box.type == b"mvhd":
            info.movie_created = _mvhd_time(buf, box)
        elif box.type == b"meta":
            keyed.update(_keyed_items(buf, box, info.problems))
        elif box.type == b"udta":
            for atom in bmff.children(buf, box, info.problems):
                if atom.type == b"meta":
                    keyed.update(_keyed_items(buf, atom, info.problems))
                else:
                    user.setdefault(atom.type, bytes(buf[atom.body : atom.end]))
    _apply_keys(info, keyed)
    _apply_user_data(info, user)
    return info


def _mvhd_time(buf: bytes | memoryview, box: bmff.Box) -> datetime | None:
    if box.body + 12 > box.end:
        return None
    version = buf[box.body]
    if version == 1 and box.body + 12 <= box.end:
        (secs,) = struct.unpack_from(">Q", buf, box.body + 4)
    else:
        (secs,) = struct.unpack_from(">I", buf, box.body + 4)
    if secs == 0 or secs > 200 * 365 * 86400:
        return None  # zero means "not set"; absurd values are junk, not dates
    return QT_EPOCH + timedelta(seconds=secs)


def _keyed_items(
    buf: bytes | memoryview, meta: bmff.Box, problems: list[Problem]
) -> dict[str, tuple[bytes, int]]:
    """Apple ``mdta`` keys joined with their ``ilst`` values; iTunes-style atoms by name."""
    kids = list(bmff.children(buf, meta, problems))
    names: list[str] = []
    for keys in (b for b in kids if b.type == b"keys"):
        pos = keys.body + 8
        for _ in range(min(struct.unpack_from(">I", buf, keys.body + 4)[0], 1024)):
            if pos + 8 > keys.end:
                break
            (size,) = struct.unpack_from(">I", buf, pos)
            if size < 8:
                break
            names.append(decode_text(bytes(buf[pos + 8 : min(pos + size, keys.end)])))
            pos += size
    out: dict[str, tuple[bytes, int]] = {}
    for ilst in (b for b in kids if b.type == b"ilst"):
        for item in bmff.children(buf, ilst, problems):
            index = int.from_bytes(item.type, "big")
            if names and 1 <= index <= len(names):
                name = names[index - 1]
            else:
                name = item.type.decode("latin-1")
            for data in bmff.children(buf, item, problems):
                if data.type == b"data" and data.body + 8 <= data.end:
                    (dtype,) = struct.unpack_from(">I", buf, data.body)
                    out.setdefault(name, (bytes(buf[data.body + 8 : data.end]), dtype & 0xFFFFFF))
                    break
    return out


def _as_text(value: bytes, dtype: int) -> str | None:
    if dtype in (1, 0):  # UTF-8 (0: implicit, used by some writers for text)
        return decode_text(value).strip() or None
    if dtype == 2:
        return value.decode("utf-16-be", "replace").strip("\0").strip() or None
    if dtype == 23 and len(value) == 4:  # big-endian float32
        return repr(struct.unpack(">f", value)[0])
    return None


def _apply_keys(info: VideoInfo, keyed: dict[str, tuple[bytes, int]]) -> None:
    def text(*names: str) -> str | None:
        for n in names:
            if n in keyed:
                value = _as_text(*keyed[n])
                if value:
                    return value
        return None

    loc = text("com.apple.quicktime.location.ISO6709", "\xa9xyz")
    if loc:
        info.location = _parse_iso6709(loc.encode(), "quicktime", info.problems)
    acc = text("com.apple.quicktime.location.accuracy.horizontal")
    if acc:
        try:
            value = float(acc)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value > 0:
            info.accuracy_m = value
        else:
            info.problems.append(Problem("accuracy_invalid", f"location accuracy {acc!r}"))
    created = text("com.apple.quicktime.creationdate")
    if created:
        info.creation, info.creation_source = created, "keys:creationdate"
    info.make = text("com.apple.quicktime.make", "\xa9mak")
    info.model = text("com.apple.quicktime.model", "\xa9mod")
    info.software = text("com.apple.quicktime.software", "\xa9swr")


def _user_text(value: bytes) -> str | None:
    """QuickTime international text: 2-byte length, 2-byte language, then the string."""
    if len(value) < 4:
        return None
    (n,) = struct.unpack_from(">H", value, 0)
    return decode_text(value[4 : 4 + n]).strip() or None


def _apply_user_data(info: VideoInfo, user: dict[bytes, bytes]) -> None:
    if info.location is None and b"\xa9xyz" in user:
        text = _user_text(user[b"\xa9xyz"])
        if text:
            info.location = _parse_iso6709(text.encode(), "quicktime", info.problems)
    if info.location is None and b"loci" in user:
        info.location = _parse_loci(user[b"loci"], info.problems)
    for atom, source in ((b"\xa9day", "userdata:\xa9day"), (b"date", "userdata:date")):
        if info.creation is None and atom in user:
            raw = user[atom]
            text = _user_text(raw) if atom == b"\xa9day" else decode_text(raw).strip(" ")
            if text:
                info.creation, info.creation_source = text, source
    if info.make is None and b"\xa9mak" in user:
        info.make = _user_text(user[b"\xa9mak"])
    if info.model is None and b"\xa9mod" in user:
        info.model = _user_text(user[b"\xa9mod"])
    if info.make is None and user.get(b"TAGS", b"").startswith(b"PENTAX"):
        info.make = decode_text(user[b"TAGS"][:24].split(b"\0")[0]).strip() or None
    if info.software is None and b"\xa9swr" in user:
        info.software = _user_text(user[b"\xa9swr"])
    _apply_gopro(info, user)


def _apply_gopro(info: VideoInfo, user: dict[bytes, bytes]) -> None:
    """GoPro's atoms, printed as exiftool prints them (``QuickTime.pm``, ``GoPro.pm``).

    Why: a GoPro MP4 names its camera nowhere else; its body serial (CASN) and model
    (MINF) sit in the GPMF data of ``udta/GPMF``, the lens serial in ``LENS`` and a hash
    of the body serial in ``CAME`` (exiftool prints that one as hex).
    """
    if b"LENS" in user:
        info.serials["UserData:LensSerialNumber"] = json_text(user[b"LENS"])
    if b"CAME" in user:
        info.serials["UserData:SerialNumberHash"] = user[b"CAME"].hex()
    for key, text in gpmf_strings(user.get(b"GPMF", b""), (GPMF_SERIAL, GPMF_MODEL), info.problems):
        if key == GPMF_SERIAL:
            info.serials["GoPro:CameraSerialNumber"] = text
        elif info.model is None:
            info.model = text or None


def _iso_part(text: bytes, deg_digits: int) -> float:
    """ISO 6709 allows ±DD.D, ±DDMM.M and ±DDMMSS.S (``deg_digits`` is 2 or 3)."""
    sign = -1.0 if text[:1] == b"-" else 1.0
    body = text[1:]
    whole = body.split(b".")[0]
    value = float(body)
    if len(whole) == deg_digits + 2:
        d, m = divmod(value, 100)
        value = d + m / 60
    elif len(whole) == deg_digits + 4:
        d, rest = divmod(value, 10000)
        m, s = divmod(rest, 100)
        value = d + m / 60 + s / 3600
    return sign * value


def _parse_iso6709(
    text: bytes, source: str, problems: list[Problem]
) -> tuple[float, float, float | None, str] | None:
    m = _ISO6709.match(text)
    if m is None:
        problems.append(Problem("location_unparsable", f"{source} location {text[:40]!r}"))
        return None
    lat = _iso_part(m.group(1), 2)
    lon = _iso_part(m.group(2), 3)
    alt = float(m.group(3)) if m.group(3) else None
    return lat, lon, alt, source


def _parse_loci(
    value: bytes, problems: list[Problem]
) -> tuple[float, float, float | None, str] | None:
    """3GPP TS 26.244 ``loci``: full box, language, name, role, then 16.16 lon/lat/alt."""
    pos = 6  # version/flags + packed language
    if value[pos : pos + 2] in (b"\xfe\xff", b"\xff\xfe"):
        end = pos
        while end + 1 < len(value) and value[end : end + 2] != b"\0\0":
            end += 2
        pos = end + 2
    else:
        end = value.find(b"\0", pos)
        pos = end + 1 if end >= 0 else len(value)
    pos += 1  # role
    if pos + 12 > len(value):
        problems.append(Problem("loci_truncated", "3GPP location atom is cut short"))
        return None
    # 16.16 fixed point resolves 1.5e-5 degrees: keep the 5 decimals it can carry.
    lon, lat, alt = (round(v / 65536, 5) for v in struct.unpack_from(">iii", value, pos))
    return lat, lon, alt, "quicktime"
