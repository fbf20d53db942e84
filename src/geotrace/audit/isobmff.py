"""What the HEIF and movie cleaners share: a box walker that sees padding, and in-place edits.

Both cleaners neutralise in place instead of rewriting: a box that must go is renamed
``free`` and its payload zeroed, a date or a name is overwritten with zeros of the same
length.  Nothing moves, so no offset anywhere has to change: a movie's ``stco``/``co64``
chunk offsets, a HEIF ``iloc`` table, an ``idat`` reference, a tool's absolute pointers we do
not know of.  A rewrite that drops boxes would have to find and fix every one of those (and
a file of several GB would be streamed twice); ``free`` is the box every reader already
skips.  The cost is the file's size, which stays the same, and that the boxes' shape shows
that something was removed; the bytes that said what are zeros.

``evidence.bmff.iter_boxes`` steps over padding boxes without yielding them, because no
reader wants them; a cleaner must see them, since an editor's ``free`` box often still holds
an old copy of the metadata.  Hence this second walker.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field

from geotrace.audit.cleaned import Buffer, Piece, Refused, Removal, RemovalKind, patched
from geotrace.evidence.bmff import Box

PADDING = frozenset((b"free", b"skip", b"wide"))
#: Boxes in one container; padding counts too.  Real files hold a few dozen per level (a
#: HEIC's ``iinf`` ~60); the cap only bounds the work and memory a hostile file can cause.
MAX_BOXES = 1 << 16
#: Zeros are laid over a box in patches of this size that all share one bytes object, so
#: zeroing a GB trailer costs a list of references, not a GB of memory.
ZERO = bytes(1 << 20)
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
#: Top-level boxes a HEIF or movie reader knows; anything after the last of them is a
#: trailer (Samsung, editors) and anything unknown before it is neutralised.
KNOWN_TOP = frozenset(
    (b"ftyp", b"moov", b"mdat", b"meta", b"free", b"skip", b"wide", b"uuid", b"pnot", b"PICT")
)
#: Streaming (fragmented) layouts keep samples in ``moof`` fragments this cleaner does not walk.
FRAGMENTED = frozenset((b"moof", b"mfra", b"sidx", b"styp", b"ssix", b"prft", b"emsg"))


def walk(buf: Buffer, start: int, end: int, where: str) -> list[Box]:
    """The boxes between ``start`` and ``end``, padding included.

    Refused when a header is invalid or a box runs past its parent: a cleaner that cannot
    see the whole structure cannot say that nothing is left in it.
    """
    out: list[Box] = []
    pos = start
    end = min(end, len(buf))
    while pos < end:
        if pos + 8 > end:
            if is_zero(buf, pos, end):
                break  # QuickTime may close a container with a 32-bit zero terminator
            raise Refused(f"{where} ends in {end - pos} stray bytes; the file looks damaged")
        size, typ = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Refused(f"a box in {where} is cut off; the file looks truncated")
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Refused(
                f"box {fourcc(typ)!r} in {where} at byte {pos} has an impossible "
                "size; the file looks truncated or damaged"
            )
        out.append(Box(typ, pos, pos + header, pos + size, False))
        if len(out) > MAX_BOXES:
            raise Refused(f"{where} holds more than {MAX_BOXES} boxes; not cleaned")
        pos += size
    return out


def walk_top(buf: Buffer) -> tuple[list[Box], int]:
    """Top-level boxes, and where the last one that parses ends (a trailer may follow).

    Unlike ``walk`` a bad header here is not fatal: bytes after the last box a reader can
    parse are a trailer, zeroed as such; a last box that runs past the end is kept (its end
    is clipped: a truncated ``mdat`` is still a movie).
    """
    out: list[Box] = []
    pos, n = 0, len(buf)
    while pos + 8 <= n:
        if len(out) == MAX_BOXES:
            raise Refused(f"the file holds more than {MAX_BOXES} top-level boxes; not cleaned")
        size, typ = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if pos + 16 > n:
                break
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            size = n - pos
        if size < header or not _printable(typ):
            break
        out.append(Box(typ, pos, pos + header, min(pos + size, n), pos + size > n))
        pos = min(pos + size, n)
    if not out:
        raise Refused("the file does not start with a box; it is not a readable ISO media file")
    return out, pos


def fourcc(typ: bytes) -> str:
    """A box type as a user can read it: the text, or its hex when it is not text."""
    return typ.decode("latin-1") if _printable(typ) else typ.hex()


def _printable(typ: bytes) -> bool:
    return all(32 <= c < 127 or c == 0xA9 for c in typ)


def full_box(buf: Buffer, box: Box, need: int = 0) -> int:
    """Version byte of a full box whose payload holds at least ``need`` more bytes."""
    if box.body + 4 + need > box.end:
        raise Refused(f"the {fourcc(box.type)!r} box at byte {box.start} is too short")
    return int(buf[box.body])


def is_zero(buf: Buffer, start: int, end: int) -> bool:
    view = memoryview(buf)
    for a in range(start, end, len(ZERO)):
        b = min(end, a + len(ZERO))
        if view[a:b] != ZERO[: b - a]:
            return False
    return True


@dataclass(slots=True)
class Edits:
    """Patches and removals collected while walking one file."""

    buf: Buffer
    patches: list[tuple[int, bytes]] = field(default_factory=list)
    zeros: list[tuple[int, int]] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def zero(self, start: int, end: int, kind: RemovalKind, where: str) -> None:
        """Zero ``[start, end)``; recorded only when something there was not zero yet."""
        start, end = max(0, start), min(end, len(self.buf))
        if start < end and not is_zero(self.buf, start, end):
            self.zeros.append((start, end))
            self.removed.append(Removal(kind, where, start, end - start))

    def neutralise(self, box: Box, kind: RemovalKind, where: str) -> None:
        """Turn ``box`` into a ``free`` box full of zeros, whatever it was."""
        self.patches.append((box.start + 4, b"free"))
        self.zeros.append((box.body, box.end))
        self.removed.append(Removal(kind, where, box.start, box.end - box.start))

    def padding(self, box: Box, where: str) -> None:
        self.zero(box.body, box.end, "free", f"{where}/{fourcc(box.type)}")

    def pieces(self) -> tuple[Piece, ...]:
        """The patches laid over the original; a named patch wins over zeros it overlaps
        (zeros from a hostile sample table must not erase a box header we rewrote)."""
        out: list[tuple[int, bytes]] = []
        last = 0
        for off, data in sorted(self.patches):
            if off >= last:  # two edits of one field: the first stands
                out.append((off, data))
                last = off + len(data)
        holes = [(off, off + len(data)) for off, data in out]
        j = 0
        for a, b in _merge(self.zeros):  # one sweep: both lists are sorted
            while j < len(holes) and holes[j][1] <= a:
                j += 1
            pos, k = a, j
            while k < len(holes) and holes[k][0] < b:
                _zeros(out, pos, holes[k][0])
                pos = max(pos, holes[k][1])
                k += 1
            _zeros(out, pos, b)
        return patched(len(self.buf), out)


def _zeros(out: list[tuple[int, bytes]], start: int, end: int) -> None:
    out.extend((p, ZERO[: min(len(ZERO), end - p)]) for p in range(start, end, len(ZERO)))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a < b:
            out.append((a, b))
    return out


def uuid_kind(buf: Buffer, box: Box) -> RemovalKind:
    return "xmp" if bytes(buf[box.body : box.body + 16]) == XMP_UUID else "other"


def clean_top(buf: Buffer, edits: Edits, structural: frozenset[bytes]) -> list[Box]:
    """Neutralise what the top level holds besides the boxes a decoder needs; return the
    boxes of the ``structural`` types, which the caller walks itself, and the ``mdat``
    boxes, which are the only place metadata payloads may be zeroed in."""
    boxes, stop = walk_top(buf)
    if any(b.type in FRAGMENTED for b in boxes):
        raise Refused(
            "this is a fragmented (streaming) MP4, whose samples lie in fragments this "
            "cleaner does not walk; not cleaned"
        )
    known = [i for i, b in enumerate(boxes) if b.type in KNOWN_TOP]
    last = known[-1] if known else -1
    mine: list[Box] = []
    for box in boxes[: last + 1]:
        name = fourcc(box.type)
        if box.type in PADDING:
            edits.padding(box, "file")
        elif box.type == b"uuid":
            edits.neutralise(box, uuid_kind(buf, box), f"uuid box at {box.start}")
        elif box.type in structural or box.type == b"mdat":
            mine.append(box)
        elif box.type in (b"pnot", b"PICT"):
            edits.neutralise(box, "thumbnail", f"QuickTime preview {name!r}")
        elif box.type != b"ftyp":
            edits.neutralise(box, "other", f"top-level {name!r} box")
    tail = boxes[last].end if last >= 0 else 0
    if last + 1 < len(boxes) or stop < len(buf):
        _trailer(edits, tail)
    return mine


def _trailer(edits: Edits, start: int) -> None:
    """Bytes after the last box a reader knows become one ``free`` box of zeros (or plain
    zeros when fewer than 8), so a second pass finds a known, empty box there."""
    n = len(edits.buf) - start
    if n >= 8 and n < 1 << 32:
        header = struct.pack(">I4s", n, b"free")
    elif n >= 16:
        header = struct.pack(">I4sQ", 1, b"free", n)
    else:
        header = b""
    view = memoryview(edits.buf)
    if view[start : start + len(header)] == header and is_zero(
        edits.buf, start + len(header), start + n
    ):
        return
    if header:
        edits.patches.append((start, header))
    edits.zeros.append((start + len(header), start + n))
    edits.removed.append(Removal("trailer", "bytes after the last box", start, n))


def zero_spans(edits: Edits, spans: list[tuple[int, int]], kind: RemovalKind, where: str) -> None:
    """Zero many ranges (a metadata track's samples) as one removal.

    Reported whether or not they already hold zeros: they are only reached through a box
    that is being neutralised, which a second pass no longer finds.  Not reading them
    keeps a GB movie's ``mdat`` pages unread.
    """
    n = len(edits.buf)
    clipped = [(max(0, a), min(b, n)) for a, b in spans if min(b, n) > max(0, a)]
    if clipped:
        edits.zeros.extend(clipped)
        first = min(a for a, _ in clipped)
        edits.removed.append(Removal(kind, where, first, sum(b - a for a, b in clipped)))


def hdlr_name(buf: Buffer, hdlr: Box, edits: Edits, where: str) -> None:
    """Zero a handler's name and the 12 reserved bytes before it, where QuickTime writes
    the manufacturer ("appl"); the handler type itself is structure and stays."""
    edits.zero(hdlr.body + 12, hdlr.end, "name", f"{where}/hdlr name")


def handler_type(buf: Buffer, hdlr: Box | None) -> bytes | None:
    if hdlr is None or hdlr.body + 12 > hdlr.end:
        return None
    return bytes(buf[hdlr.body + 8 : hdlr.body + 12])


def first(boxes: list[Box], typ: bytes) -> Box | None:
    return next((b for b in boxes if b.type == typ), None)


def overlaps(spans: list[tuple[int, int]], others: list[tuple[int, int]]) -> bool:
    """Whether any of ``spans`` shares a byte with any of ``others``, in O(n log n): a
    hostile table can list millions of either."""
    if not spans or not others:
        return False
    ordered = sorted(s for s in spans if s[0] < s[1])
    starts = [a for a, _ in ordered]
    reach = []  # the furthest end among ordered[:i + 1], so one bisect answers each query
    far = -1
    for _, b in ordered:
        far = max(far, b)
        reach.append(far)
    for a, b in others:
        i = bisect.bisect_left(starts, b) - 1
        if a < b and i >= 0 and reach[i] > a:
            return True
    return False


def inside(spans: list[tuple[int, int]], regions: list[Box]) -> bool:
    """Whether every span lies within the payload of one of ``regions`` (the ``mdat``
    boxes): a hostile offset table must not make a cleaner zero a box header."""
    bodies = sorted((b.body, b.end) for b in regions)
    starts = [a for a, _ in bodies]
    for a, b in spans:
        i = bisect.bisect_right(starts, a) - 1
        if i < 0 or b > bodies[i][1]:
            return False
    return True
