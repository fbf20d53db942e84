"""Camera serial numbers from EXIF maker notes, named and printed as exiftool names them.

Why: most camera bodies never fill EXIF's BodySerialNumber; the serial an investigator
needs to tie photos to one device sits in the vendor's private maker note, whose layout
differs per vendor (header, where its IFD starts, what its offsets count from, which
byte order). This module follows exiftool's rules for each layout (exiftool 12.57,
``MakerNotes.pm``) so that ``group:tag -> value`` matches ``exiftool -json -n -G1 -a``:

* keys are exiftool's family-1 group and tag name (``Canon:SerialNumber``);
* values are what exiftool's JSON holds: ASCII up to its first NUL, ``undefined``
  bytes with every NUL dropped, integers in decimal, several numbers space-separated;
* when one group holds a tag twice, the one read last wins, as in exiftool's JSON.

Only tags whose exiftool name contains "SerialNumber" are read.  Tags that exiftool
places at firmware-dependent offsets (Canon 5D Mark III lens serial) are left out
rather than guessed.  Every offset is bounds-checked by :func:`read_ifd`; a maker note
can open at most one level of sub-directories, so no input can make the walk loop.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from geotrace.evidence import reconyx
from geotrace.evidence.tiff import (
    MAKER_NOTE,
    MAX_ENTRIES,
    TYPE_SIZES,
    Entry,
    Ifd,
    Tiff,
    decode_text,
    format_number,
    read_ifd,
)
from geotrace.records import Problem

#: Longest value read as a serial; real ones are under 64 bytes, a hostile count is not.
MAX_SERIAL_BYTES = 1024
#: Deepest sub-directory followed inside a maker note (Olympus: Main > MainInfo > Equipment).
MAX_DEPTH = 3
_MODEL_TAG = 0x0110
_PRINT_IM = 0x0E00
DNG_PRIVATE_DATA = 0xC634
_INT_TYPES = {1, 3, 4, 6, 8, 9}
_JSON_NUMBER = re.compile(r"-?(\d|[1-9]\d{1,14})(\.\d{1,16})?([eE][-+]?\d{1,3})?")


def json_text(data: bytes) -> str:
    """Bytes as they come out of ``exiftool -json`` read back by Python's ``json``.

    ``decode_text`` drops NULs and padding as exiftool does; exiftool then writes a string
    that looks like a number (``1.50``) as a JSON number, which reads back as ``1.5``.
    The truth we are measured against went through exactly that path.
    """
    text = decode_text(data)
    if _JSON_NUMBER.fullmatch(text) and not text.lstrip("-").isdigit():
        return repr(float(text))
    return text


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What a handler needs besides its entry: the camera, the directory's base, a log.

    ``base`` is the absolute position the current directory's offsets count from; a
    sub-directory that counts from elsewhere gets a copy with its own.
    """

    make: str
    model: str
    base: int
    problems: list[Problem]
    depth: int = 0


#: A handler turns one directory entry into zero or more (tag name, value) pairs.
Handler = Callable[[Ifd, Entry, _Ctx], Iterator[tuple[str, str]]]
Table = dict[int, Handler]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where one vendor's maker-note IFD starts and what its value offsets count from.

    ``ifd_at`` is counted from the maker note's first byte.  ``from_note`` says the
    offsets count from the maker note (plus ``shift``) instead of the TIFF header.
    ``order`` is a fixed byte order, or None to guess it from the entry count as
    exiftool does.  ``fix`` names exiftool's repair of offsets that editors broke;
    "generic" notes are also the ones exiftool checks entry by entry before trusting.
    """

    group: str
    table: Table
    ifd_at: int = 0
    from_note: bool = False
    shift: int = 0
    order: str | None = None
    fix: str | None = None  # "canon" | "generic"


def _raw(ifd: Ifd, entry: Entry) -> bytes:
    size = TYPE_SIZES.get(entry.type, 1) * entry.count
    return bytes(ifd.buf[entry.offset : entry.offset + min(size, MAX_SERIAL_BYTES)])


def _as_read(ifd: Ifd, entry: Entry) -> bytes | None:
    """The bytes exiftool starts from: ASCII cut at its NUL; None past the size cap."""
    if TYPE_SIZES.get(entry.type, 1) * entry.count > MAX_SERIAL_BYTES:
        return None
    raw = _raw(ifd, entry)
    return raw.split(b"\0", 1)[0] if entry.type == 2 else raw


def _value(ifd: Ifd, entry: Entry, padding: bytes = b"") -> str | None:
    """The value as exiftool -n prints it; None for rationals, unknown types, huge counts.

    ``padding``: bytes a tag's exiftool ValueConv strips from the end of its text.
    """
    data = _as_read(ifd, entry)
    if data is None:
        return None
    if entry.type in (2, 7):
        return json_text(data.rstrip(padding) if padding else data)
    if entry.type in _INT_TYPES or entry.type in (11, 12):
        numbers = ifd.numbers(entry.tag)
        return None if numbers is None else " ".join(format_number(n) for n in numbers)
    return None


def _plain(name: str, padding: bytes = b"") -> Handler:
    def handler(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
        value = _value(ifd, entry, padding)
        if value is not None:
            yield name, value

    return handler


def _trailing_spaces_trimmed(name: str) -> Handler:
    """Panasonic: exiftool's ValueConv strips trailing spaces even under -n."""

    def handler(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
        value = _value(ifd, entry)
        if value is not None:
            yield name, value.rstrip(" ")

    return handler


def _binary_field(ifd: Ifd, entry: Entry, at: int, size: int | None) -> bytes | None:
    """``size`` bytes at ``at`` inside a binary-data block; None when the block is short.

    ``size`` None means "to the end of the block" (exiftool's bare ``string`` format).
    """
    block = _raw(ifd, entry) if entry.type in TYPE_SIZES else b""
    if size is None:
        return block[at:] if at < len(block) else None
    return block[at : at + size] if at + size <= len(block) else None


def _hex_field(name: str, at: int, size: int, skip_zero_prefix: bool = False) -> Handler:
    """Canon lens serials: raw bytes shown as hex (exiftool's ValueConv ``unpack H*``)."""

    def handler(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
        data = _binary_field(ifd, entry, at, size)
        if data is not None and not (skip_zero_prefix and data[:4] == b"\0\0\0\0"):
            yield name, data.hex()

    return handler


def _string_field(name: str, at: int, size: int | None) -> Handler:
    """A fixed-position string inside a binary-data block, cut at its first NUL."""

    def handler(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
        data = _binary_field(ifd, entry, at, size)
        if data is not None:
            yield name, json_text(data.split(b"\0", 1)[0])

    return handler


def _guess_order(buf: bytes | memoryview, pos: int, order: str) -> str:
    """exiftool's guess for 'Unknown' byte order: an entry count like 0x0d00 is swapped."""
    if pos < 0 or pos + 2 > len(buf):
        return order
    (count,) = struct.unpack_from(order + "H", buf, pos)
    if count & 0xFF00 and (count >> 8) > (count & 0xFF):
        return ">" if order == "<" else "<"
    return order


def _sub_walk(
    ifd: Ifd, pos: int, order: str | None, table: Table, ctx: _Ctx
) -> Iterator[tuple[str, str]]:
    """Walk a sub-directory at absolute ``pos`` whose offsets count from ``ctx.base``.

    Olympus nests its main table inside itself; the depth cap stops a crafted loop.
    """
    if ctx.depth >= MAX_DEPTH:
        ctx.problems.append(Problem("makernote_depth", f"maker note nested past {MAX_DEPTH}"))
        return
    order = _guess_order(ifd.buf, pos, ifd.order) if order is None else order
    sub = read_ifd(ifd.buf, pos, ctx.base, order, "MakerNote sub-IFD", ctx.problems)
    if sub is not None:
        yield from _walk(sub, table, replace(ctx, depth=ctx.depth + 1))


def _first_type_known(ifd: Ifd) -> bool:
    """exiftool drops a whole directory whose first entry has an unknown type."""
    if ifd.offset + 6 > len(ifd.buf):
        return False
    (typ,) = struct.unpack_from(ifd.order + "H", ifd.buf, ifd.offset + 4)
    return typ in TYPE_SIZES


def _suspicious(ifd: Ifd, entry: Entry, ctx: _Ctx) -> bool:
    """exiftool skips a value stored inside the TIFF header or over its own directory."""
    size = TYPE_SIZES[entry.type] * entry.count
    if size <= 4:
        return False
    (count,) = struct.unpack_from(ifd.order + "H", ifd.buf, ifd.offset)
    end = ifd.offset + 2 + 12 * count
    return entry.offset - ctx.base < 8 or (entry.offset < end and entry.offset + size > ifd.offset)


def _walk(ifd: Ifd, table: Table, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """Entries in file order, so that a repeated name keeps the value read last."""
    if not _first_type_known(ifd):
        ctx.problems.append(Problem("makernote_bad_ifd", "maker-note IFD: unknown first type"))
        return
    for tag, entry in ifd.entries.items():
        handler = table.get(tag)
        if handler is not None and not _suspicious(ifd, entry, ctx):
            yield from handler(ifd, entry, ctx)


# --- Canon -----------------------------------------------------------------------------


def _canon_serial_info(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x0096: a SerialInfo block for the 5D family, a plain string elsewhere, whose
    trailing 0xFF padding (Kiss X3) exiftool strips: bytes, before they are decoded."""
    if "EOS 5D" in ctx.model:
        yield from _string_field("InternalSerialNumber", 9, None)(ifd, entry, ctx)
        return
    yield from _plain("InternalSerialNumber", padding=b"\xff")(ifd, entry, ctx)


def _canon_camera_info(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x000D: only the 5DS layout holds the lens serial at a fixed place."""
    if ctx.model.startswith("Canon EOS 5DS") and entry.type not in (3, 4, 8, 9):
        yield from _hex_field("LensSerialNumber", 0x16B, 5)(ifd, entry, ctx)


_CANON: Table = {
    0x000C: _plain("SerialNumber"),
    0x000D: _canon_camera_info,
    0x0015: _plain("SerialNumberFormat"),
    0x0096: _canon_serial_info,
    0x4019: _hex_field("LensSerialNumber", 0, 5, skip_zero_prefix=True),
}

# --- Nikon, Motorola, Sigma, FujiFilm ---------------------------------------------------

_NIKON: Table = {0x001D: _plain("SerialNumber"), 0x00A0: _plain("SerialNumber")}
_MOTOROLA: Table = {0x5501: _plain("SerialNumber")}
_SIGMA: Table = {0x0002: _plain("SerialNumber")}
_FUJIFILM: Table = {0x0010: _plain("InternalSerialNumber")}
_NONE: Table = {}


def _nintendo_camera_info(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x1101 CameraInfo (3DS): four bytes at 0x18, printed "0x" + hex by exiftool."""
    data = _binary_field(ifd, entry, 0x18, 4)
    if data is not None:
        yield "InternalSerialNumber", "0x" + data.hex()


_NINTENDO: Table = {0x1101: _nintendo_camera_info}

# --- Kodak -----------------------------------------------------------------------------

_KODAK_SUBIFD0: Table = {0xFA19: _plain("SerialNumber")}


def _kodak_subifd0(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0xFC00: a pointer to SubIFD0 (offsets from the note's base), or, from the M580 on,
    the directory inline as undefined bytes after a byte-order mark, its offsets counted
    from its own first byte (exiftool's ``ProcessKodakIFD``)."""
    if entry.type != 7:
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from _sub_walk(ifd, ctx.base + pointer, ifd.order, _KODAK_SUBIFD0, ctx)
        return
    order = {b"II": "<", b"MM": ">"}.get(bytes(ifd.buf[entry.offset : entry.offset + 2]))
    if order is not None:
        sub_ctx = replace(ctx, base=entry.offset)
        yield from _sub_walk(ifd, entry.offset + 2, order, _KODAK_SUBIFD0, sub_ctx)


def _kodak_subifd255(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0xFCFF: SubIFD0's table again, inline, offsets from the maker note's own base."""
    if entry.type == 7:
        yield from _sub_walk(ifd, entry.offset, ifd.order, _KODAK_SUBIFD0, ctx)


_KODAK8: Table = {0xFC00: _kodak_subifd0, 0xFCFF: _kodak_subifd255}

# --- Olympus ---------------------------------------------------------------------------

_OLYMPUS_EQUIPMENT: Table = {
    0x0101: _plain("SerialNumber"),
    0x0102: _plain("InternalSerialNumber"),
    0x0202: _plain("LensSerialNumber"),
    0x0302: _plain("ExtenderSerialNumber"),
    0x1003: _plain("FlashSerialNumber"),
}


def _olympus_sub(table: Callable[[], Table]) -> Handler:
    """Olympus sub-IFDs (0x2010 Equipment, 0x4000 MainInfo) are stored inline as
    undefined bytes, or pointed to by an int32u/IFD offset from the note's base."""

    def handler(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
        if entry.type not in (4, 13):
            yield from _sub_walk(ifd, entry.offset, None, table(), ctx)
            return
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from _sub_walk(ifd, ctx.base + pointer, ifd.order, table(), ctx)

    return handler


_OLYMPUS: Table = {
    0x0404: _plain("SerialNumber"),
    0x101A: _plain("SerialNumber"),
    0x2010: _olympus_sub(lambda: _OLYMPUS_EQUIPMENT),
    0x4000: _olympus_sub(lambda: _OLYMPUS),
}

# --- Panasonic, Pentax, Samsung ---------------------------------------------------------

_PANASONIC: Table = {
    0x0025: _plain("InternalSerialNumber"),
    0x0052: _trailing_spaces_trimmed("LensSerialNumber"),
    0x0054: _trailing_spaces_trimmed("AccessorySerialNumber"),
}


def _pentax_camera_info(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x0215 CameraInfo: int32u words in the maker note's byte order; word 4 is the serial."""
    data = _binary_field(ifd, entry, 16, 4)
    if data is not None:
        yield "InternalSerialNumber", str(struct.unpack(ifd.order + "I", data)[0])


_PENTAX: Table = {0x0215: _pentax_camera_info, 0x0229: _plain("SerialNumber")}


def _samsung_serial(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0xA002 counts only when it starts with five word characters (exiftool's test)."""
    if re.match(rb"\w{5}", _raw(ifd, entry)):
        yield from _plain("SerialNumber")(ifd, entry, ctx)


_SAMSUNG: Table = {0xA002: _samsung_serial, 0xA005: _plain("InternalLensSerialNumber")}

# --- Ricoh -----------------------------------------------------------------------------


def _ricoh_serial_info(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x002C SerialInfo (GXR): body and lens serials at fixed places."""
    yield from _string_field("BodySerialNumber", 16, 16)(ifd, entry, ctx)
    yield from _string_field("LensSerialNumber", 48, 16)(ifd, entry, ctx)


_RICOH_SUBDIR: Table = {0x002C: _ricoh_serial_info}


def _ricoh_serial(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x0005: readable text is the SerialNumber, anything else the internal one in hex."""
    raw, data = _raw(ifd, entry), _as_read(ifd, entry)
    if data is None:
        return
    if re.fullmatch(rb"[-\w ]+\n?", raw):
        yield "SerialNumber", json_text(data)
    else:
        yield "InternalSerialNumber", data.hex()


def _ricoh_subdir(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x2001: "[Ricoh Camera Info]\\0" then a big-endian IFD, inline or by pointer.

    The Caplio RR1 counts that IFD's offsets from the block itself.
    """
    rr1 = re.match(r"Caplio RR1\b", ctx.model) is not None
    if not rr1 and entry.type == 4 and entry.count == 1:
        pointer = ifd.pointer(entry.tag)
        if pointer is not None:
            yield from _sub_walk(ifd, ctx.base + pointer + 20, ">", _RICOH_SUBDIR, ctx)
        return
    if not _raw(ifd, entry).startswith(b"[Ricoh Camera Info]"):
        return
    sub_ctx = replace(ctx, base=entry.offset) if rr1 else ctx
    yield from _sub_walk(ifd, entry.offset + 20, ">", _RICOH_SUBDIR, sub_ctx)


_RICOH: Table = {0x0005: _ricoh_serial, 0x2001: _ricoh_subdir}

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


def _sony_serial(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x2031: exiftool's ValueConv reverses the first four digit pairs, drops a lead 0."""
    value = _value(ifd, entry)
    if value is not None:
        value = re.sub(r"(\d{2})(\d{2})(\d{2})(\d{2})", r"\4\3\2\1", value, count=1)
        yield "SerialNumber", value.removeprefix("0")


def _sony_9050(ifd: Ifd, entry: Entry, ctx: _Ctx) -> Iterator[tuple[str, str]]:
    """0x9050: enciphered block; where the internal serial sits depends on the model."""
    field = _sony_9050_field(ctx.model)
    data = None if field is None else _binary_field(ifd, entry, *field)
    if data is not None:
        yield "InternalSerialNumber", " ".join(str(b) for b in data.translate(_SONY_DECIPHER))


_SONY: Table = {0x2031: _sony_serial, 0x9050: _sony_9050}


# --- Finding the layout ----------------------------------------------------------------


def _layout(note: bytes, make: str, model: str) -> _Layout | None:
    """exiftool's MakerNotes table, in its order, for the vendors that carry serials.

    Vendors matched only to stop a later, wrong match (Apple, Casio, Kodak, ...) map to
    an empty table: they hold no serial exiftool knows of.
    """
    if note.startswith(b"Apple iOS\0"):
        return _Layout("Apple", _NONE)
    if note.startswith(b"Nikon\0\x02"):
        return _Layout("Nikon", _NIKON, ifd_at=18, from_note=True, shift=10)
    if make.startswith("Canon"):
        return _Layout("Canon", _CANON, fix="canon")
    if make.startswith("CASIO") or note.startswith((b"QVC\0", b"DCI\0")):
        return _Layout("Casio", _NONE)
    if note.startswith(b"[ae_dbg_info:") or make == "DJI":
        return _Layout("DJI", _NONE)
    if make.startswith("FLIR Systems"):
        return _Layout("FLIR", _NONE)
    if note.startswith((b"FUJIFILM", b"GENERALE")):
        return _fujifilm(note)
    if make == "Hasselblad" or make.upper().startswith("EASTMAN KODAK") or "kodak" in make.lower():
        return _kodak(note, make, model)
    if re.match(r"(Konica Minolta|Minolta)", make, re.IGNORECASE):
        if note.startswith((b"MINOL\0", b"CAMER\0")):
            return _Layout("Olympus", _OLYMPUS, ifd_at=8)
        return _Layout("Minolta", _NONE)
    if note.startswith(b"MOT\0"):
        return _Layout("Motorola", _MOTOROLA, ifd_at=8, from_note=True)
    if note.startswith(b"Nikon\0\x01"):
        return _Layout("Nikon", _NONE)
    if re.match(r"NIKON", make, re.IGNORECASE):
        return _Layout("Nikon", _NIKON)
    if make == "Nintendo":
        return _Layout("Nintendo", _NINTENDO)
    return _layout_rest(note, make, model)


def _layout_rest(note: bytes, make: str, model: str) -> _Layout | None:
    if note.startswith((b"OLYMP\0", b"EPSON\0")):
        return _Layout("Olympus", _OLYMPUS, ifd_at=8)
    if note.startswith(b"OLYMPUS\0"):
        return _Layout("Olympus", _OLYMPUS, ifd_at=12, from_note=True)
    if note.startswith(b"OM SYSTEM\0"):
        return _Layout("Olympus", _OLYMPUS, ifd_at=16, from_note=True)
    if note.startswith(b"LEICA"):
        return _Layout("Leica", _NONE)
    if note.startswith(b"Panasonic"):
        if model == "DC-FT7":
            return _Layout("Panasonic", _PANASONIC, ifd_at=12, shift=12)
        return _Layout("Panasonic", _PANASONIC, ifd_at=12)
    if note.startswith(b"AOC\0"):
        order = {b"II": "<", b"MM": ">"}.get(note[4:6], "<")
        return _Layout("Pentax", _PENTAX, ifd_at=6, order=order, fix="generic")
    if note.startswith(b"PENTAX \0"):
        return _Layout("Pentax", _PENTAX, ifd_at=10, from_note=True)
    if reconyx.is_reconyx(note, make):
        return _Layout(reconyx.GROUP, _NONE)  # fixed binary layouts: see _note_serials
    if re.match(rb"RICOH\0(II|MM)", note):
        return _Layout("Pentax", _PENTAX, ifd_at=8, from_note=True)
    if re.match(r"(PENTAX )?RICOH", make):
        type2 = re.match(rb"MM\0\x2a\0\0\0\x08\0.\0\0|II\x2a\0\x08\0\0\0.\0\0\0", note, re.DOTALL)
        if (
            model == "RICOH WG-M1"
            or type2
            or not re.match(rb"(Ricoh|      |MM\0\x2a|II\x2a\0)", note, re.IGNORECASE)
        ):
            return _Layout("Ricoh", _NONE)
        return _Layout("Ricoh", _RICOH, ifd_at=8)
    if re.match(rb"STMN\d{3}", note):
        return _Layout("Samsung", _NONE)
    if make.upper() == "SAMSUNG" and re.match(
        rb"(\0.\0\x01\0\x07\0{3}\x04|.\0\x01\0\x07\0\x04\0{3})0100", note, re.DOTALL
    ):
        return _Layout("Samsung", _SAMSUNG, fix="generic")
    if re.match(r"(SIGMA|FOVEON)", make):
        if not note.startswith((b"SIGMA", b"FOVEON")):
            return None
        return _Layout("Sigma", _SIGMA, ifd_at=10)
    return _layout_sony(note, make, model)


def _layout_sony(note: bytes, make: str, model: str) -> _Layout | None:
    if re.match(rb"SONY (DSC|CAM|MOBILE)|\0\0SONY PIC\0|VHAB     \0", note):
        return _Layout("Sony", _SONY, ifd_at=12)
    if note.startswith(b"SONY PI\0"):
        return _Layout("Olympus", _OLYMPUS, ifd_at=12)
    if note.startswith(b"PREMI\0"):
        return _Layout("Olympus", _OLYMPUS, ifd_at=8)
    if note.startswith(b"SONY PIC\0"):
        return _Layout("Sony", _NONE)
    hasselblad = make.startswith("HASSELBLAD") and re.match(r"(HV|Stellar|Lusso|Lunar)", model)
    if (make.startswith("SONY") or hasselblad) and not note.startswith(b"\x01\x00"):
        return _Layout("Sony", _SONY)
    return None


def _kodak_unread(note: bytes, make: str, model: str) -> bool:
    """exiftool's Kodak types 1 to 7, tried before the IFD types: none is read here.

    Type 7 (a serial as the note's first 16 bytes) holds a serial; it is left out.
    """
    eastman = make.startswith("EASTMAN KODAK")
    not_tiff = re.compile(rb"(?!MM|II|AOC)")
    return bool(
        (eastman and note.startswith(b"KDK"))
        or re.match(rb".{8}Eastman Kodak|\x01\0[\0\x01]\0\0\0\x04\0[a-zA-Z]{4}", note, re.DOTALL)
        or (eastman and not_tiff.match(note) and note[12:13] == b"\x07")
        or (make.startswith("Eastman Kodak") and not_tiff.match(note) and note[41:44] == b"JPG")
        or (eastman and re.search(r"CX(4200|4230|4300|4310|6200|6230)|DX3215|DX3700", model))
        or (eastman and re.match(rb"\0(\x1a\x18|\x3a\x08|\x59\xf8|\x14\x80)\0", note))
        or re.match(rb"[CK][A-Z\d]{3} ?[A-Z\d]{1,2}\d{2}[A-Z\d]\d{4}[ \0]", note)
    )


def _kodak(note: bytes, make: str, model: str) -> _Layout:
    """Kodak's type 8 notes, an IFD (8a) or a TIFF header then an IFD whose offsets count
    from the note (8c), hold the serial in SubIFD0; 8b (PixPro) needs a patched IFD."""
    if "kodak" not in make.lower() or _kodak_unread(note, make, model):
        return _Layout("Kodak", _NONE)
    if re.match(
        rb"\0[\x02-\x7f]..\0[\x01-\x0c]\0\0|[\x02-\x7f]\0..[\x01-\x0c]\0..\0\0", note, re.DOTALL
    ):
        return _Layout("Kodak", _KODAK8)
    if re.match(rb"MM\0\x2a\0\0\0\x08\0.\0\0", note, re.DOTALL):
        return _Layout("Kodak", _NONE)
    if re.match(rb"MM\0\x2a\0\0\0\x08|II\x2a\0\x08\0\0\0", note):
        return _Layout("Kodak", _KODAK8, ifd_at=8, from_note=True)
    return _Layout("Kodak", _NONE)


def _fujifilm(note: bytes) -> _Layout | None:
    """FujiFilm: little-endian offset to the IFD at byte 8, counted from the note."""
    if len(note) < 12:
        return None
    (start,) = struct.unpack_from("<I", note, 8)
    return _Layout("FujiFilm", _FUJIFILM, ifd_at=start, from_note=True, order="<")


# --- Repairing moved maker notes -------------------------------------------------------


def _value_blocks(buf: bytes | memoryview, pos: int, order: str) -> list[tuple[int, int, int]]:
    """(tag, raw offset, size) of every out-of-line value, before any base is applied."""
    if pos < 0 or pos + 2 > len(buf):
        return []
    (count,) = struct.unpack_from(order + "H", buf, pos)
    count = min(count, MAX_ENTRIES, max(0, (len(buf) - pos - 2) // 12))
    blocks = []
    for i in range(count):
        tag, typ, n, ptr = struct.unpack_from(order + "HHII", buf, pos + 2 + 12 * i)
        if typ not in TYPE_SIZES:
            break
        size = TYPE_SIZES[typ] * n
        if size > 4:
            blocks.append((tag, ptr, size))
    return blocks


def _canon_shift(buf: bytes | memoryview, start: int, size: int, base: int, order: str) -> int:
    """Canon notes end with a TIFF-like footer holding the note's original offset.

    Editors that move the note without rewriting its offsets leave the footer stale; the
    difference is how far every value moved (exiftool's ``FixBase``).  Some editors move
    the values but not the footer: then the last value ends right at the footer.
    """
    footer = bytes(buf[start + size - 8 : start + size])
    marks = {"<": b"II*\0", ">": b"MM\0*"}
    if size <= 8 or len(footer) < 8 or footer[:4] != marks[order]:
        return 0
    (old,) = struct.unpack_from(order + "I", footer, 4)
    shift = start - base - old
    blocks = _value_blocks(buf, start, order)
    if not shift or not blocks:
        return 0
    last = max(blocks, key=lambda b: (b[1], b[2]))
    end_gap = start - base + size - (last[1] + last[2]) - 8
    return 0 if end_gap in (0, 1) else shift


def _generic_shift(buf: bytes | memoryview, pos: int, base: int, order: str) -> int:
    """exiftool's ``FixBase`` for Pentax and Samsung notes: values should start 4 bytes
    after the IFD; if the smallest offset says otherwise, the base is off by the gap."""
    blocks = _value_blocks(buf, pos, order)
    if not blocks:
        return 0
    for tag, ptr, _size in blocks:
        if tag == _PRINT_IM and bytes(buf[base + ptr : base + ptr + 8]) == b"PrintIM\0":
            return 0
    (count,) = struct.unpack_from(order + "H", buf, pos)
    ifd_len = 2 + 12 * count
    ifd_end = pos - base + ifd_len
    spans: dict[int, int] = {}
    for _tag, ptr, size in blocks:
        spans[ptr] = max(size, spans.get(ptr, 0))
    pointers = sorted(spans)
    lowest, last = pointers[0], None
    for ptr in pointers:
        if last is not None:
            if ptr - last >= ifd_len and abs(ptr - (ifd_end + 4)) <= 4:
                lowest = ptr
            if lowest < 12:
                lowest = ptr
        last = ptr + spans[ptr]
    diff = lowest - ifd_end
    return 0 if diff in (0, 4) else 4 - diff


def _plausible_order(buf: bytes | memoryview, pos: int, order: str) -> str | None:
    """exiftool's ``LocateIFD`` test for notes of unsure layout (Pentax, Samsung).

    The entry count decides the byte order (a zero low byte means swapped); then every
    entry must have a known type and a count below 2**24, or the note is unrecognised
    and exiftool reads nothing from it.
    """
    if pos < 0 or pos + 2 > len(buf):
        return None
    (count,) = struct.unpack_from(order + "H", buf, pos)
    if count and not count & 0xFF:
        order, count = (">" if order == "<" else "<"), count >> 8
    elif count & 0xFF00 or not count or pos + 2 + 12 * count > len(buf):
        return None
    for i in range(count):
        typ, n = struct.unpack_from(order + "HI", buf, pos + 4 + 12 * i)
        if typ == 0 and n == 0 and i:
            continue
        if typ not in TYPE_SIZES or n & 0xFF000000:
            return None
    return order


@dataclass(frozen=True, slots=True)
class _Note:
    """One maker note: where it sits, and the TIFF header position and byte order its
    offsets were written for (moved, in a DNG, with the note)."""

    start: int
    size: int
    base: int
    order: str


def _dng_notes(tiff: Tiff) -> Iterator[_Note]:
    """The maker note Adobe's DNG Converter copies into IFD0's DNGPrivateData.

    Layout (exiftool's ``ProcessAdobeData`` and ``ProcessAdobeMakN``): "Adobe\\0", then
    blocks of a 4-byte name and a big-endian length; "MakN" holds the original byte order,
    the note's original offset, then the note, whose offsets still count from where the
    original TIFF header was.  Camera Raw adds 12 bytes after a JPEG's note: skipped.
    """
    entry = tiff.ifd0.entries.get(DNG_PRIVATE_DATA) if tiff.ifd0 is not None else None
    if entry is None or entry.type not in (1, 7):
        return
    buf, pos = tiff.buf, entry.offset + 6
    end = min(entry.offset + entry.count, len(buf))
    if bytes(buf[entry.offset : pos]) != b"Adobe\0":
        return
    while pos + 8 <= end:
        name = bytes(buf[pos : pos + 4])
        (length,) = struct.unpack_from(">I", buf, pos + 4)
        body, pos = pos + 8, pos + 8 + length
        order = {b"II": "<", b"MM": ">"}.get(bytes(buf[body : body + 2]))
        if name != b"MakN" or pos > end or length < 6 or order is None:
            continue
        (original,) = struct.unpack_from(">I", buf, body + 2)
        skip = 18 if length >= 18 and bytes(buf[body + 6 : body + 10]) == b"\0\0\0\x01" else 6
        yield _Note(body + skip, length - skip, body + skip - original, order)


def _notes(tiff: Tiff) -> Iterator[_Note]:
    entry = tiff.exif.entries.get(MAKER_NOTE) if tiff.exif is not None else None
    if entry is not None:
        yield _Note(
            entry.offset, min(entry.count, len(tiff.buf) - entry.offset), tiff.base, tiff.order
        )
    yield from _dng_notes(tiff)


def _open(
    tiff: Tiff, note: _Note, layout: _Layout, problems: list[Problem]
) -> tuple[Ifd | None, int]:
    """The maker note's own IFD, read with the base and byte order its layout asks for."""
    start, size = note.start, note.size
    pos = start + layout.ifd_at
    base = (start if layout.from_note else note.base) + layout.shift
    order = layout.order or _guess_order(tiff.buf, pos, note.order)
    if layout.fix == "canon":
        base += _canon_shift(tiff.buf, start, size, base, order)
    elif layout.fix == "generic":
        checked = _plausible_order(tiff.buf, pos, layout.order or note.order)
        if checked is None:
            problems.append(Problem("makernote_unrecognized", f"{layout.group} maker note"))
            return None, base
        order = checked
        base += _generic_shift(tiff.buf, pos, base, order)
    return read_ifd(tiff.buf, pos, base, order, f"MakerNote{layout.group}", problems), base


def _head(tiff: Tiff, note: _Note, size: int) -> bytes:
    return bytes(tiff.buf[note.start : note.start + min(note.size, size)])


def _note_serials(
    tiff: Tiff, note: _Note, make: str, model: str, problems: list[Problem]
) -> dict[str, str]:
    layout = _layout(_head(tiff, note, 48), make, model)
    if layout is not None and layout.group == reconyx.GROUP:
        return reconyx.read_note(_head(tiff, note, reconyx.NOTE_BYTES)).serials
    if layout is None or not layout.table:
        return {}
    ifd, base = _open(tiff, note, layout, problems)
    if ifd is None:
        return {}
    ctx = _Ctx(make, model, base, problems)
    try:
        return {f"{layout.group}:{name}": value for name, value in _walk(ifd, layout.table, ctx)}
    except (struct.error, ValueError, OverflowError) as exc:  # defence in depth
        problems.append(Problem("makernote_unreadable", f"{layout.group} maker note: {exc}"))
        return {}


def maker_serials(tiff: Tiff, make: str | None) -> tuple[dict[str, str], list[Problem]]:
    """Every "SerialNumber" tag of the maker note (EXIF's, then a DNG's private copy), as
    ``{"Group:Tag": value}``.

    ``make`` is IFD0's Make (exiftool chooses the layout by it for headerless notes).
    Never raises: what cannot be read is returned as problems.
    """
    problems: list[Problem] = []
    model = (tiff.ifd0.text(_MODEL_TAG) if tiff.ifd0 is not None else None) or ""
    found: dict[str, str] = {}
    for note in _notes(tiff):
        found.update(_note_serials(tiff, note, make or "", model, problems))
    return found, problems


def maker_datetime_original(tiff: Tiff, make: str | None) -> str | None:
    """The capture time a maker note holds where EXIF may hold none (Reconyx trail
    cameras), as exiftool prints it; None for every other note."""
    model = (tiff.ifd0.text(_MODEL_TAG) if tiff.ifd0 is not None else None) or ""
    for note in _notes(tiff):
        layout = _layout(_head(tiff, note, 48), make or "", model)
        if layout is not None and layout.group == reconyx.GROUP:
            return reconyx.read_note(_head(tiff, note, reconyx.NOTE_BYTES)).datetime_original
    return None


def canon_cmt3_serials(cmt3: Tiff, model: str | None) -> tuple[dict[str, str], list[Problem]]:
    """Canon serials of a CR3 file, whose CMT3 box is the maker note as a whole TIFF.

    ``cmt3`` is that box parsed by :func:`parse_tiff`; its IFD0 is Canon's maker-note
    directory, with offsets from the box's own TIFF header.  ``model`` is CMT1's Model.
    """
    problems: list[Problem] = []
    if cmt3.ifd0 is None:
        return {}, problems
    ctx = _Ctx("Canon", model or "", cmt3.base, problems)
    return {f"Canon:{name}": value for name, value in _walk(cmt3.ifd0, _CANON, ctx)}, problems
