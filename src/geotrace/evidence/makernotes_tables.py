"""Each vendor's maker-note tags that hold a serial, named and converted as exiftool does.

Why one table per vendor: exiftool's names and ValueConv rules differ per vendor (and per
model inside one), and a table keyed by tag id keeps each rule next to its tag.  The
tables are built from :mod:`makernotes_walk`'s handler kinds; which table a maker note
gets is :mod:`makernotes_layout`'s business.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import replace

from geotrace.evidence.makernotes_walk import (
    Ctx,
    Handler,
    Table,
    as_read,
    binary_field,
    entry_bytes,
    entry_value,
    hex_field,
    json_text,
    plain,
    string_field,
    sub_walk,
    trailing_spaces_trimmed,
)
from geotrace.evidence.tiff import Entry, Ifd

# --- Canon -----------------------------------------------------------------------------


def _canon_serial_info(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x0096: a SerialInfo block for the 5D family, a plain string elsewhere, whose
    trailing 0xFF padding (Kiss X3) exiftool strips: bytes, before they are decoded."""
    if "EOS 5D" in ctx.model:
        yield from string_field("InternalSerialNumber", 9, None)(ifd, entry, ctx)
        return
    yield from plain("InternalSerialNumber", padding=b"\xff")(ifd, entry, ctx)


def _canon_camera_info(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x000D: only the 5DS layout holds the lens serial at a fixed place."""
    if ctx.model.startswith("Canon EOS 5DS") and entry.type not in (3, 4, 8, 9):
        yield from hex_field("LensSerialNumber", 0x16B, 5)(ifd, entry, ctx)


CANON: Table = {
    0x000C: plain("SerialNumber"),
    0x000D: _canon_camera_info,
    0x0015: plain("SerialNumberFormat"),
    0x0096: _canon_serial_info,
    0x4019: hex_field("LensSerialNumber", 0, 5, skip_zero_prefix=True),
}

# --- Nikon, Motorola, Sigma, FujiFilm ---------------------------------------------------

NIKON: Table = {0x001D: plain("SerialNumber"), 0x00A0: plain("SerialNumber")}
MOTOROLA: Table = {0x5501: plain("SerialNumber")}
SIGMA: Table = {0x0002: plain("SerialNumber")}
FUJIFILM: Table = {0x0010: plain("InternalSerialNumber")}
NONE: Table = {}


def _nintendo_camera_info(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x1101 CameraInfo (3DS): four bytes at 0x18, printed "0x" + hex by exiftool."""
    data = binary_field(ifd, entry, 0x18, 4)
    if data is not None:
        yield "InternalSerialNumber", "0x" + data.hex()


NINTENDO: Table = {0x1101: _nintendo_camera_info}

# --- Kodak -----------------------------------------------------------------------------

_KODAK_SUBIFD0: Table = {0xFA19: plain("SerialNumber")}


def _kodak_subifd0(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0xFC00: a pointer to SubIFD0 (offsets from the note's base), or, from the M580 on,
    the directory inline as undefined bytes after a byte-order mark, its offsets counted
    from its own first byte (exiftool's ``ProcessKodakIFD``)."""
    if entry.type != 7:
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from sub_walk(ifd, ctx.base + pointer, ifd.order, _KODAK_SUBIFD0, ctx)
        return
    order = {b"II": "<", b"MM": ">"}.get(bytes(ifd.buf[entry.offset : entry.offset + 2]))
    if order is not None:
        sub_ctx = replace(ctx, base=entry.offset)
        yield from sub_walk(ifd, entry.offset + 2, order, _KODAK_SUBIFD0, sub_ctx)


def _kodak_subifd255(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0xFCFF: SubIFD0's table again, inline, offsets from the maker note's own base."""
    if entry.type == 7:
        yield from sub_walk(ifd, entry.offset, ifd.order, _KODAK_SUBIFD0, ctx)


KODAK8: Table = {0xFC00: _kodak_subifd0, 0xFCFF: _kodak_subifd255}

# --- Olympus ---------------------------------------------------------------------------

_OLYMPUS_EQUIPMENT: Table = {
    0x0101: plain("SerialNumber"),
    0x0102: plain("InternalSerialNumber"),
    0x0202: plain("LensSerialNumber"),
    0x0302: plain("ExtenderSerialNumber"),
    0x1003: plain("FlashSerialNumber"),
}


def _olympus_sub(table: Callable[[], Table]) -> Handler:
    """Olympus sub-IFDs (0x2010 Equipment, 0x4000 MainInfo) are stored inline as
    undefined bytes, or pointed to by an int32u/IFD offset from the note's base."""

    def handler(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
        if entry.type not in (4, 13):
            yield from sub_walk(ifd, entry.offset, None, table(), ctx)
            return
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from sub_walk(ifd, ctx.base + pointer, ifd.order, table(), ctx)

    return handler


OLYMPUS: Table = {
    0x0404: plain("SerialNumber"),
    0x101A: plain("SerialNumber"),
    0x2010: _olympus_sub(lambda: _OLYMPUS_EQUIPMENT),
    0x4000: _olympus_sub(lambda: OLYMPUS),
}

# --- Panasonic, Pentax, Samsung ---------------------------------------------------------

PANASONIC: Table = {
    0x0025: plain("InternalSerialNumber"),
    0x0052: trailing_spaces_trimmed("LensSerialNumber"),
    0x0054: trailing_spaces_trimmed("AccessorySerialNumber"),
}


def _pentax_camera_info(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x0215 CameraInfo: int32u words in the maker note's byte order; word 4 is the serial."""
    data = binary_field(ifd, entry, 16, 4)
    if data is not None:
        yield "InternalSerialNumber", str(struct.unpack(ifd.order + "I", data)[0])


PENTAX: Table = {0x0215: _pentax_camera_info, 0x0229: plain("SerialNumber")}


def _samsung_serial(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0xA002 counts only when it starts with five word characters (exiftool's test)."""
    if re.match(rb"\w{5}", entry_bytes(ifd, entry)):
        yield from plain("SerialNumber")(ifd, entry, ctx)


SAMSUNG: Table = {0xA002: _samsung_serial, 0xA005: plain("InternalLensSerialNumber")}

# --- Ricoh -----------------------------------------------------------------------------


def _ricoh_serial_info(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x002C SerialInfo (GXR): body and lens serials at fixed places."""
    yield from string_field("BodySerialNumber", 16, 16)(ifd, entry, ctx)
    yield from string_field("LensSerialNumber", 48, 16)(ifd, entry, ctx)


_RICOH_SUBDIR: Table = {0x002C: _ricoh_serial_info}


def _ricoh_serial(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x0005: readable text is the SerialNumber, anything else the internal one in hex."""
    raw, data = entry_bytes(ifd, entry), as_read(ifd, entry)
    if data is None:
        return
    if re.fullmatch(rb"[-\w ]+\n?", raw):
        yield "SerialNumber", json_text(data)
    else:
        yield "InternalSerialNumber", data.hex()


def _ricoh_subdir(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x2001: "[Ricoh Camera Info]\\0" then a big-endian IFD, inline or by pointer.

    The Caplio RR1 counts that IFD's offsets from the block itself.
    """
    rr1 = re.match(r"Caplio RR1\b", ctx.model) is not None
    if not rr1 and entry.type == 4 and entry.count == 1:
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from sub_walk(ifd, ctx.base + pointer + 20, ">", _RICOH_SUBDIR, ctx)
        return
    if not entry_bytes(ifd, entry).startswith(b"[Ricoh Camera Info]"):
        return
    sub_ctx = replace(ctx, base=entry.offset) if rr1 else ctx
    yield from sub_walk(ifd, entry.offset + 20, ">", _RICOH_SUBDIR, sub_ctx)


RICOH: Table = {0x0005: _ricoh_serial, 0x2001: _ricoh_subdir}

# --- Sony ------------------------------------------------------------------------------

#: Sony enciphers tag 0x9050 byte by byte with c = b**3 mod 249 (bytes 249-255 kept).
_SONY_DECIPHER = bytes.maketrans(
    bytes((b**3) % 249 for b in range(249)) + bytes(range(249, 256)), bytes(range(256))
)
_SONY_9050_TABLE_A = re.compile(
    r"DSC-|Stellar|ILCE-(1|6100|6300|6400|6500|6600|7C|7M3|7M4|7RM2|7RM3A?|7RM4A?|7RM5|7SM2"
    r"|7SM3|9|9M2)|ILCA-99M2|ILME-FX3|ZV-"
)
_SONY_9050_TABLE_B = re.compile(
    r"ILCE-(6100|6300|6400|6500|6600|7C|7M3|7RM2|7RM3A?|7RM4A?|7SM2|9|9M2)|ILCA-99M2|ZV-E10"
)


def _sony_9050_field(model: str) -> tuple[int, int] | None:
    """(offset, size) of InternalSerialNumber in exiftool's Tag9050a/b/c for this model."""
    if not _SONY_9050_TABLE_A.match(model):
        if re.match(r"SLT-|HV|ILCA-", model):
            return 0xF0, 5
        return None if re.match(r"Lunar|NEX-(5N|7|VG20E)", model) else (0x7C, 4)
    if _SONY_9050_TABLE_B.match(model) or re.match(r"ILCE-(7M4|7RM5|7SM3)|ILME-FX3", model):
        return 0x88, 6
    return (0x8A, 6) if model.startswith("ILCE-1") else None


def _sony_serial(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x2031: exiftool's ValueConv reverses the first four digit pairs, drops a lead 0."""
    value = entry_value(ifd, entry)
    if value is not None:
        value = re.sub(r"(\d{2})(\d{2})(\d{2})(\d{2})", r"\4\3\2\1", value, count=1)
        yield "SerialNumber", value.removeprefix("0")


def _sony_9050(ifd: Ifd, entry: Entry, ctx: Ctx) -> Iterator[tuple[str, str]]:
    """0x9050: enciphered block; where the internal serial sits depends on the model."""
    field = _sony_9050_field(ctx.model)
    data = None if field is None else binary_field(ifd, entry, *field)
    if data is not None:
        yield "InternalSerialNumber", " ".join(str(b) for b in data.translate(_SONY_DECIPHER))


SONY: Table = {0x2031: _sony_serial, 0x9050: _sony_9050}
