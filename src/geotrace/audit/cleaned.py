"""The shape every lossless cleaner returns, so that scrub and audit share one walker.

A cleaner never returns a whole new file: it returns *pieces*, each either literal bytes
or a ``(start, end)`` range of the original to copy.  Writing the pieces streams a 4 GB
video through a few megabytes of memory, and the same list, run without writing, is the
audit's inventory of what a file holds ("what would be removed").
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

#: What a removed block was, in the words the audit and the scrub summary use.
RemovalKind = Literal[
    "exif",  # an EXIF/TIFF block: GPS, times, device, serials, maker notes
    "xmp",
    "iptc",  # IPTC-IIM or a Photoshop resource block
    "icc",
    "makernotes",
    "thumbnail",  # a small preview image, often with its own EXIF
    "preview",  # a large preview or secondary image (MPF, gain map, motion photo)
    "comment",  # JPEG COM, PNG text chunks
    "trailer",  # bytes after the end of the image
    "time",  # a creation/modification time zeroed in place
    "keys",  # QuickTime Keys/ItemList metadata
    "user_data",  # QuickTime/MP4 udta
    "timed_metadata",  # a metadata track (GPS, gyro, subtitles)
    "name",  # a handler or compressor name zeroed in place
    "free",  # padding whose bytes could hold old metadata, zeroed
    "other",  # a block no decoder needs, of a kind not listed above
]

Buffer = bytes | memoryview | mmap.mmap
Piece = bytes | tuple[int, int]  # literal bytes, or [start, end) of the original to copy


class Refused(Exception):
    """The file cannot be cleaned without re-encoding or at all; ``str()`` says why, in a
    user's words ("raw formats keep the camera model the decoder needs")."""


@dataclass(frozen=True, slots=True)
class Keep:
    """What the user asked to keep (``--keep orientation,icc``); by default nothing."""

    orientation: bool = False
    icc: bool = False


#: The default: keep nothing.
KEEP_NOTHING = Keep()


@dataclass(frozen=True, slots=True)
class Removal:
    """One block removed (or neutralised in place) and where it was in the original."""

    kind: RemovalKind
    where: str  # as a user would find it: "APP1 Exif", "eXIf chunk", "moov/udta", "item 3 Exif"
    offset: int  # first byte of the block in the original
    length: int


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A cleaned file as pieces, what was removed, what was kept and what the user must
    know that is still there (a note is a sentence, not a code)."""

    pieces: tuple[Piece, ...]
    removed: tuple[Removal, ...] = ()
    kept: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def size(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in self.pieces)


def assemble(buf: Buffer, pieces: Iterable[Piece]) -> bytes:
    """The cleaned file in memory (tests, small files)."""
    view = memoryview(buf)
    return b"".join(p if isinstance(p, bytes) else bytes(view[p[0] : p[1]]) for p in pieces)


def write_pieces(buf: Buffer, pieces: Iterable[Piece], out: BinaryIO) -> int:
    """Stream the pieces to ``out``; returns the number of bytes written."""
    view = memoryview(buf)
    n = 0
    for p in pieces:
        chunk = p if isinstance(p, bytes) else view[p[0] : p[1]]
        out.write(chunk)
        n += len(chunk)
    return n


def patched(length: int, patches: Iterable[tuple[int, bytes]]) -> tuple[Piece, ...]:
    """Pieces for an in-place rewrite: the original with ``patches`` (offset, new bytes of
    the same length as the old) laid over it.  Patches must not overlap."""
    pieces: list[Piece] = []
    pos = 0
    for offset, data in sorted(patches, key=lambda p: p[0]):
        if offset < pos or offset + len(data) > length:
            raise ValueError(f"patch at {offset} overlaps another or runs past the end")
        if offset > pos:
            pieces.append((pos, offset))
        pieces.append(data)
        pos = offset + len(data)
    if pos < length:
        pieces.append((pos, length))
    return tuple(pieces)
