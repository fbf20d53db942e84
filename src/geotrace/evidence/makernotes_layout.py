"""Which vendor layout a maker note has, chosen by its header and the camera's Make.

Why apart: exiftool's MakerNotes table is one ordered list of tests in which a vendor is
often matched only to stop a later, wrong match; kept in that order here, it reads
against exiftool's source line by line.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from geotrace.evidence import reconyx
from geotrace.evidence.makernotes_tables import (
    CANON,
    FUJIFILM,
    KODAK8,
    MOTOROLA,
    NIKON,
    NINTENDO,
    NONE,
    OLYMPUS,
    PANASONIC,
    PENTAX,
    RICOH,
    SAMSUNG,
    SIGMA,
    SONY,
)
from geotrace.evidence.makernotes_walk import Table


@dataclass(frozen=True, slots=True)
class Layout:
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


def note_layout(note: bytes, make: str, model: str) -> Layout | None:
    """exiftool's MakerNotes table, in its order, for the vendors that carry serials.

    Vendors matched only to stop a later, wrong match (Apple, Casio, Kodak, ...) map to
    an empty table: they hold no serial exiftool knows of.
    """
    if note.startswith(b"Apple iOS\0"):
        return Layout("Apple", NONE)
    if note.startswith(b"Nikon\0\x02"):
        return Layout("Nikon", NIKON, ifd_at=18, from_note=True, shift=10)
    if make.startswith("Canon"):
        return Layout("Canon", CANON, fix="canon")
    if make.startswith("CASIO") or note.startswith((b"QVC\0", b"DCI\0")):
        return Layout("Casio", NONE)
    if note.startswith(b"[ae_dbg_info:") or make == "DJI":
        return Layout("DJI", NONE)
    if make.startswith("FLIR Systems"):
        return Layout("FLIR", NONE)
    if note.startswith((b"FUJIFILM", b"GENERALE")):
        return _fujifilm(note)
    if make == "Hasselblad" or make.upper().startswith("EASTMAN KODAK") or "kodak" in make.lower():
        return _kodak(note, make, model)
    if re.match(r"(Konica Minolta|Minolta)", make, re.IGNORECASE):
        if note.startswith((b"MINOL\0", b"CAMER\0")):
            return Layout("Olympus", OLYMPUS, ifd_at=8)
        return Layout("Minolta", NONE)
    if note.startswith(b"MOT\0"):
        return Layout("Motorola", MOTOROLA, ifd_at=8, from_note=True)
    if note.startswith(b"Nikon\0\x01"):
        return Layout("Nikon", NONE)
    if re.match(r"NIKON", make, re.IGNORECASE):
        return Layout("Nikon", NIKON)
    if make == "Nintendo":
        return Layout("Nintendo", NINTENDO)
    return _layout_rest(note, make, model)


def _layout_rest(note: bytes, make: str, model: str) -> Layout | None:
    if note.startswith((b"OLYMP\0", b"EPSON\0")):
        return Layout("Olympus", OLYMPUS, ifd_at=8)
    if note.startswith(b"OLYMPUS\0"):
        return Layout("Olympus", OLYMPUS, ifd_at=12, from_note=True)
    if note.startswith(b"OM SYSTEM\0"):
        return Layout("Olympus", OLYMPUS, ifd_at=16, from_note=True)
    if note.startswith(b"LEICA"):
        return Layout("Leica", NONE)
    if note.startswith(b"Panasonic"):
        if model == "DC-FT7":
            return Layout("Panasonic", PANASONIC, ifd_at=12, shift=12)
        return Layout("Panasonic", PANASONIC, ifd_at=12)
    if note.startswith(b"AOC\0"):
        order = {b"II": "<", b"MM": ">"}.get(note[4:6], "<")
        return Layout("Pentax", PENTAX, ifd_at=6, order=order, fix="generic")
    if note.startswith(b"PENTAX \0"):
        return Layout("Pentax", PENTAX, ifd_at=10, from_note=True)
    if reconyx.is_reconyx(note, make):
        return Layout(reconyx.GROUP, NONE)  # fixed binary layouts: see _note_serials
    if re.match(rb"RICOH\0(II|MM)", note):
        return Layout("Pentax", PENTAX, ifd_at=8, from_note=True)
    if re.match(r"(PENTAX )?RICOH", make):
        type2 = re.match(rb"MM\0\x2a\0\0\0\x08\0.\0\0|II\x2a\0\x08\0\0\0.\0\0\0", note, re.DOTALL)
        if (
            model == "RICOH WG-M1"
            or type2
            or not re.match(rb"(Ricoh|      |MM\0\x2a|II\x2a\0)", note, re.IGNORECASE)
        ):
            return Layout("Ricoh", NONE)
        return Layout("Ricoh", RICOH, ifd_at=8)
    if re.match(rb"STMN\d{3}", note):
        return Layout("Samsung", NONE)
    if make.upper() == "SAMSUNG" and re.match(
        rb"(\0.\0\x01\0\x07\0{3}\x04|.\0\x01\0\x07\0\x04\0{3})0100", note, re.DOTALL
    ):
        return Layout("Samsung", SAMSUNG, fix="generic")
    if re.match(r"(SIGMA|FOVEON)", make):
        if not note.startswith((b"SIGMA", b"FOVEON")):
            return None
        return Layout("Sigma", SIGMA, ifd_at=10)
    return _layout_sony(note, make, model)


def _layout_sony(note: bytes, make: str, model: str) -> Layout | None:
    if re.match(rb"SONY (DSC|CAM|MOBILE)|\0\0SONY PIC\0|VHAB     \0", note):
        return Layout("Sony", SONY, ifd_at=12)
    if note.startswith(b"SONY PI\0"):
        return Layout("Olympus", OLYMPUS, ifd_at=12)
    if note.startswith(b"PREMI\0"):
        return Layout("Olympus", OLYMPUS, ifd_at=8)
    if note.startswith(b"SONY PIC\0"):
        return Layout("Sony", NONE)
    hasselblad = make.startswith("HASSELBLAD") and re.match(r"(HV|Stellar|Lusso|Lunar)", model)
    if (make.startswith("SONY") or hasselblad) and not note.startswith(b"\x01\x00"):
        return Layout("Sony", SONY)
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


def _kodak(note: bytes, make: str, model: str) -> Layout:
    """Kodak's type 8 notes, an IFD (8a) or a TIFF header then an IFD whose offsets count
    from the note (8c), hold the serial in SubIFD0; 8b (PixPro) needs a patched IFD."""
    if "kodak" not in make.lower() or _kodak_unread(note, make, model):
        return Layout("Kodak", NONE)
    if re.match(
        rb"\0[\x02-\x7f]..\0[\x01-\x0c]\0\0|[\x02-\x7f]\0..[\x01-\x0c]\0..\0\0", note, re.DOTALL
    ):
        return Layout("Kodak", KODAK8)
    if re.match(rb"MM\0\x2a\0\0\0\x08\0.\0\0", note, re.DOTALL):
        return Layout("Kodak", NONE)
    if re.match(rb"MM\0\x2a\0\0\0\x08|II\x2a\0\x08\0\0\0", note):
        return Layout("Kodak", KODAK8, ifd_at=8, from_note=True)
    return Layout("Kodak", NONE)


def _fujifilm(note: bytes) -> Layout | None:
    """FujiFilm: little-endian offset to the IFD at byte 8, counted from the note."""
    if len(note) < 12:
        return None
    (start,) = struct.unpack_from("<I", note, 8)
    return Layout("FujiFilm", FUJIFILM, ifd_at=start, from_note=True, order="<")
