"""ISO base media file format (MP4, MOV, 3GP, HEIF, AVIF, CR3, JPEG XL) box walking.

One bounded walker serves every container built from boxes.  No permissively licensed,
maintained Python library reads HEIF items or QuickTime user data without decoding
(pillow-heif needs a complete, valid file and libheif; pymediainfo drops Apple's keys and
3GPP ``loci``; hachoir is GPL), and the structure is a few dozen lines, so it is ours.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from geotrace.records import Problem

MAX_BOXES = 4096
#: Padding boxes (``free``, ``skip``, QuickTime's ``wide``) hold nothing and are not counted
#: against MAX_BOXES: an editor that pads ``moov`` with thousands of them before ``udta``
#: would otherwise hide the location behind the cap.  Each costs one 8-byte header read
#: and builds no Box, so their own cap, 256 times the other, still bounds the work a
#: hostile run of tiny ones can cause (the test's 8 MiB run of them reads in under 2 s).
PADDING = frozenset((b"free", b"skip", b"wide"))
MAX_PADDING_BOXES = 1 << 20
MAX_DEPTH = 8
#: Boxes whose children are boxes (``meta`` is a full box: 4 bytes of version/flags first,
#: except in QuickTime, where it is not; ``child_start`` sniffs which).
CONTAINERS = {b"moov", b"udta", b"trak", b"mdia", b"minf", b"meta", b"dinf", b"iprp", b"ipco"}


@dataclass(frozen=True, slots=True)
class Box:
    type: bytes
    start: int  # offset of the box header
    body: int  # offset of the payload
    end: int  # one past the last byte (clipped to the buffer)
    truncated: bool


def iter_boxes(
    buf: bytes | memoryview, start: int, end: int, problems: list[Problem], where: str = ""
) -> Iterator[Box]:
    """Yield the boxes laid out between ``start`` and ``end``; stop at the first bad header.

    Padding boxes are stepped over, not yielded: no reader wants them.
    """
    pos = start
    n = padding = 0
    end = min(end, len(buf))
    while pos + 8 <= end:
        size, typ = struct.unpack_from(">I4s", buf, pos)
        if typ in PADDING and 8 <= size <= end - pos:
            padding += 1
            if padding > MAX_PADDING_BOXES:
                problems.append(
                    Problem("box_limit", f"{where}: more than {MAX_PADDING_BOXES} padding boxes")
                )
                return
            pos += size
            continue
        n += 1
        if n > MAX_BOXES:
            problems.append(Problem("box_limit", f"{where}: more than {MAX_BOXES} boxes"))
            return
        header = 8
        if size == 1:
            if pos + 16 > end:
                problems.append(Problem("box_truncated", f"{where}: 64-bit size cut off"))
                return
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            problems.append(
                Problem("box_invalid", f"{where}: box {typ!r} at {pos} has size {size}")
            )
            return
        box_end = pos + size
        truncated = box_end > end
        if truncated:
            problems.append(
                Problem("box_truncated", f"{where}: box {typ!r} at {pos} runs past the end")
            )
        yield Box(typ, pos, pos + header, min(box_end, end), truncated)
        if truncated:
            return
        pos = box_end


def meta_children_start(buf: bytes | memoryview, box: Box) -> int:
    """ISO ``meta`` is a full box (4 bytes of version/flags); QuickTime's is not."""
    if box.body + 8 <= box.end and bytes(buf[box.body + 4 : box.body + 8]) in (
        b"hdlr",
        b"keys",
        b"ilst",
    ):
        return box.body
    return box.body + 4


def children(buf: bytes | memoryview, box: Box, problems: list[Problem]) -> Iterator[Box]:
    start = meta_children_start(buf, box) if box.type == b"meta" else box.body
    yield from iter_boxes(buf, start, box.end, problems, box.type.decode("latin-1"))


def find_path(
    buf: bytes | memoryview, boxes: list[Box], path: list[bytes], problems: list[Problem]
) -> Iterator[Box]:
    """Every box reached by following ``path`` (types) down from ``boxes``."""
    if not path or len(path) > MAX_DEPTH:
        return
    for box in boxes:
        if box.type != path[0]:
            continue
        if len(path) == 1:
            yield box
        else:
            yield from find_path(buf, list(children(buf, box, problems)), path[1:], problems)


def heif_items(
    buf: bytes | memoryview, meta: Box, problems: list[Problem]
) -> dict[str, list[bytes]]:
    """Payloads of a HEIF/AVIF ``meta`` box's Exif and XMP items, by kind ("exif", "xmp")."""
    kids = list(children(buf, meta, problems))
    wanted: dict[int, str] = {}
    for iinf in (b for b in kids if b.type == b"iinf"):
        if iinf.body + 6 > iinf.end:  # a full box header and an entry count, at the least
            problems.append(Problem("box_truncated", f"iinf at {iinf.start} has no item list"))
            continue
        version = buf[iinf.body]
        first = iinf.body + 4 + (2 if version == 0 else 4)
        for infe in iter_boxes(buf, first, iinf.end, problems, "iinf"):
            kind = _infe_kind(buf, infe)
            if kind is not None:
                wanted[kind[0]] = kind[1]
    if not wanted:
        return {}
    idat = next((b for b in kids if b.type == b"idat"), None)
    out: dict[str, list[bytes]] = {}
    for iloc in (b for b in kids if b.type == b"iloc"):
        for item_id, data in _iloc_items(buf, iloc, idat, set(wanted), problems):
            out.setdefault(wanted[item_id], []).append(data)
    return out


def _infe_kind(buf: bytes | memoryview, infe: Box) -> tuple[int, str] | None:
    if infe.type != b"infe" or infe.body + 12 > infe.end:
        return None
    version = buf[infe.body]
    if version < 2:
        return None
    p = infe.body + 4
    if version == 2:
        (item_id,) = struct.unpack_from(">H", buf, p)
        p += 2
    else:
        (item_id,) = struct.unpack_from(">I", buf, p)
        p += 4
    p += 2  # protection index
    item_type = bytes(buf[p : p + 4])
    if item_type == b"Exif":
        return item_id, "exif"
    if item_type == b"mime":
        rest = bytes(buf[p + 4 : infe.end])
        parts = rest.split(b"\0")
        if len(parts) > 1 and parts[1].strip() == b"application/rdf+xml":
            return item_id, "xmp"
    return None


def _iloc_items(
    buf: bytes | memoryview,
    iloc: Box,
    idat: Box | None,
    wanted: set[int],
    problems: list[Problem],
) -> Iterator[tuple[int, bytes]]:
    p = iloc.body
    end = iloc.end
    if p + 8 > end:
        return
    version = buf[p]
    p += 4
    sizes = struct.unpack_from(">H", buf, p)[0]
    p += 2
    off_size, len_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    idx_size = sizes & 15 if version in (1, 2) else 0
    if version < 2:
        count = struct.unpack_from(">H", buf, p)[0]
        p += 2
    else:
        count = struct.unpack_from(">I", buf, p)[0]
        p += 4

    def read(n: int) -> int:
        nonlocal p
        if n == 0:
            return 0
        if n not in (2, 4, 8) or p + n > end:
            raise ValueError("bad iloc field")
        value = int.from_bytes(buf[p : p + n], "big")
        p += n
        return value

    try:
        for _ in range(min(count, MAX_BOXES)):
            item_id = read(2) if version < 2 else read(4)
            method = read(2) & 15 if version in (1, 2) else 0
            read(2)  # data reference index
            base = read(base_size)
            n_ext = read(2)
            chunks = []
            for _ in range(min(n_ext, 64)):
                if idx_size:
                    read(idx_size)
                off = read(off_size)
                length = read(len_size)
                chunks.append((base + off, length))
            if item_id not in wanted:
                continue
            origin = idat.body if (method == 1 and idat is not None) else 0
            data = b""
            for off, length in chunks:
                a = origin + off
                if length == 0:  # "the rest of the file"
                    length = len(buf) - a
                if a >= len(buf):
                    problems.append(
                        Problem("item_out_of_bounds", f"HEIF item {item_id} lies past the end")
                    )
                    break
                if a + length > len(buf):
                    problems.append(
                        Problem("item_truncated", f"HEIF item {item_id} is cut off by the end")
                    )
                data += bytes(buf[a : a + length])
            if data:
                yield item_id, data
    except (ValueError, struct.error):
        problems.append(Problem("iloc_invalid", "HEIF item location table is malformed"))
