"""Remove the metadata boxes of a JPEG XL container; keep its codestream boxes whole.

Why our own walker: no maintained permissive Python library rewrites a JPEG XL
container without decoding it (imagecodecs and Pillow plugins re-encode), and exiftool
is a Perl program under the Artistic/GPL licence.  The container is a flat list of
ISOBMFF boxes, so the cleaned file is the kept boxes copied as ranges of the original.

Orientation and colour live in the codestream header, which is kept, so ``--keep``
changes nothing here: a JPEG XL viewer ignores an Exif orientation by the format's rule.
"""

from __future__ import annotations

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Piece, Refused, Removal, RemovalKind
from geotrace.audit.exifmin import exif_removals
from geotrace.evidence.bmff import PADDING, iter_boxes
from geotrace.records import Problem

SIGNATURE = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
BARE = b"\xff\x0a"
#: Signature, file type, conformance level, codestream (whole or in parts), frame index.
KEPT = frozenset((b"JXL ", b"ftyp", b"jxll", b"jxlc", b"jxlp", b"jxli"))
CODESTREAM = frozenset((b"jxlc", b"jxlp"))
KINDS: dict[bytes, RemovalKind] = {
    b"Exif": "exif",
    b"xml ": "xmp",
    b"jumb": "other",  # JUMBF: C2PA provenance manifests
    b"jhgm": "preview",  # an HDR gain map: a second image
}
BOX_NOTES = {
    b"jbrd": "The JPEG reconstruction data was removed (it holds the original JPEG's "
    "metadata segments): the original JPEG can no longer be rebuilt bit for bit.",
}
CODESTREAM_NOTE = (
    "Orientation and colour space are part of the JPEG XL codestream header and were kept."
)


def clean_jxl(buf: Buffer, keep: Keep) -> Cleaned:
    """The JPEG XL without Exif, XMP, JUMBF, compressed metadata and unknown boxes; a
    bare codestream has none and is returned whole.  ``keep`` has nothing to keep apart
    (see the module docstring)."""
    size = len(buf)
    head = bytes(buf[:12])
    if head.startswith(BARE):
        return Cleaned(
            ((0, size),),
            notes=("A bare JPEG XL codestream holds no metadata boxes; " + CODESTREAM_NOTE,),
        )
    if head != SIGNATURE:
        raise Refused("This is not a JPEG XL file (its signature is missing).")
    pieces: list[Piece] = []
    removed: list[Removal] = []
    notes: list[str] = []
    problems: list[Problem] = []
    pos = 0
    codestream = False
    for box in iter_boxes(memoryview(buf), 0, size, problems, "JPEG XL"):
        if box.start > pos:  # padding boxes the walker stepped over
            removed.append(Removal("free", "free/skip boxes", pos, box.start - pos))
        where = f"{box.type.decode('latin-1')!r} box"
        if box.type in KEPT:
            pieces.append((box.start, box.end))
            codestream = codestream or box.type in CODESTREAM
            if box.truncated:
                notes.append("The JPEG XL file is cut short; its last box is kept as it is.")
        elif box.type == b"Exif":
            # The body is a 4-byte offset to the TIFF header, then the TIFF.
            body = bytes(buf[box.body : box.end])
            skip = 4 + int.from_bytes(body[:4], "big") if len(body) >= 4 else len(body)
            removed.extend(exif_removals(body, skip, where, box.start, box.end - box.start))
        else:
            inner = bytes(buf[box.body : box.body + 4]) if box.type == b"brob" else box.type
            removed.append(
                Removal(KINDS.get(inner, "other"), where, box.start, box.end - box.start)
            )
            if box.type in BOX_NOTES:
                notes.append(BOX_NOTES[box.type])
        pos = box.end
    if not codestream:
        raise Refused("The JPEG XL container's boxes are damaged before its image data.")
    if pos < size:
        padding = bytes(buf[pos + 4 : pos + 8]) in PADDING and not problems
        kind: RemovalKind = "free" if padding else "trailer"
        removed.append(Removal(kind, "after the last box", pos, size - pos))
    notes.append(CODESTREAM_NOTE)
    return Cleaned(tuple(pieces), tuple(removed), (), tuple(notes))
