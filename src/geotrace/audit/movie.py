"""Lossless metadata cleaner for QuickTime, MP4, 3GP and M4V movies.

Everything is neutralised in place (see ``isobmff`` for why no box is dropped): user data
(``udta``), Keys/ItemList metadata (``meta``), XMP and vendor ``uuid`` boxes and the
payload of padding boxes become zeros inside ``free`` boxes; the creation and modification
times of the movie, track and media headers become 0 ("not set"); handler and compressor
names and the vendor codes beside them are zeroed ("GoPro AVC encoder" names the camera).
Tracks whose handler is not picture or sound (Apple ``mebx`` location, GoPro ``gpmd``,
Google ``camm``, DJI subtitle telemetry, timecode, which is often the time of day) are
renamed ``free`` with their samples in ``mdat`` zeroed, found through the track's own
sample tables: that GPS is in no header and no other scrubber removes it.  The track
matrix (a video's rotation) is kept: it is how the player turns the picture.

No maintained permissive library does this: ffmpeg's ``-map_metadata -1 -c copy`` remuxes
(rewrites timestamps, adds its own ``Encoder`` tag, keeps data tracks unless told) and is an
external program; exiftool (Perl, GPL/Artistic) leaves timed-metadata tracks and the
header dates; mutagen only edits ``ilst``.
"""

from __future__ import annotations

import contextlib
import struct

from geotrace.audit.cleaned import Buffer, Cleaned, Keep, Refused, Removal
from geotrace.audit.isobmff import (
    PADDING,
    Edits,
    clean_top,
    first,
    fourcc,
    full_box,
    handler_type,
    hdlr_name,
    inside,
    overlaps,
    uuid_kind,
    walk,
    zero_spans,
)
from geotrace.evidence.bmff import Box

#: Track handlers a player needs; every other track is metadata to a viewer.
KEEP_HANDLERS = frozenset((b"vide", b"soun", b"auxv", b"pict", b"hint", b"odsm", b"sdsm", b"clcp"))
VISUAL = frozenset((b"vide", b"auxv", b"pict"))
#: Children a player reads, per level; anything else at these levels is neutralised.
MOOV_KEEP = frozenset((b"mvhd", b"trak", b"iods", b"mvex", b"rmra", b"ctab", b"clip"))
TRAK_KEEP = frozenset(
    (
        b"tkhd",
        b"edts",
        b"mdia",
        b"tref",
        b"tapt",
        b"load",
        b"imap",
        b"matt",
        b"clip",
        b"txas",
        b"trgr",
    )
)
MDIA_KEEP = frozenset((b"mdhd", b"hdlr", b"minf"))  # not elng: a locale ("uk-UA")
#: ISO 639-2 "und" (undetermined) packed as mdhd stores it: three 5-bit letters - 0x60.
UND = struct.pack(">H", (ord("u") - 0x60) << 10 | (ord("n") - 0x60) << 5 | (ord("d") - 0x60))
MINF_KEEP = frozenset(
    (b"vmhd", b"smhd", b"hmhd", b"nmhd", b"gmhd", b"sthd", b"hdlr", b"dinf", b"stbl")
)
#: Where a sound sample entry's children start, by its QuickTime version (0 is ISO's).
SOUND_FIELDS = {0: 28, 1: 44, 2: 64}
#: 3GPP TS 26.244 decoder configurations, whose first field is the encoder's vendor.
VENDOR_CONFIGS = frozenset((b"damr", b"d263", b"dawp", b"devc", b"dqcp", b"dsmv", b"d3gp"))
#: A sample table bigger than this many entries is not a real movie's (an hour at 240 fps
#: is under a million samples); it bounds the memory a hostile table can ask for.
MAX_ENTRIES = 1 << 24
ROTATION_KEPT = "orientation (the track matrix: how the player turns the picture)"


def clean_movie(buf: Buffer, keep: Keep) -> Cleaned:
    """The movie with its metadata neutralised in place, or Refused.

    ``keep`` has nothing to act on here: the rotation is always kept and a movie holds
    no ICC profile outside its sample entries, which stay.
    """
    del keep
    try:
        edits = Edits(buf)
        top = clean_top(buf, edits, frozenset((b"moov",)))
        moovs = [b for b in top if b.type == b"moov"]
        if not moovs:
            raise Refused("the file has no movie header ('moov'), so it is not a playable movie")
        if len(moovs) > 1:
            raise Refused("the file has two movie headers; a reader could take either")
        clean_moov(buf, moovs[0], [b for b in top if b.type == b"mdat"], edits)
        edits.kept.append(ROTATION_KEPT)
        return Cleaned(edits.pieces(), tuple(edits.removed), tuple(edits.kept), tuple(edits.notes))
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        raise Refused(f"the movie's structure is damaged ({exc}); not cleaned") from exc


def clean_moov(buf: Buffer, moov: Box, mdats: list[Box], edits: Edits) -> None:
    """Neutralise the metadata of one ``moov`` (a movie's, or a HEIF image sequence's)."""
    if moov.truncated:
        raise Refused("the file is cut off inside its movie header ('moov'); not cleaned")
    meta_spans: list[tuple[int, int]] = []
    kept_chunks: list[tuple[int, int]] = []
    kids = walk(buf, moov.body, moov.end, "moov")
    _strip(buf, kids, "moov", MOOV_KEEP, edits)
    tracks = 0
    for box in kids:
        if box.type == b"mvhd":
            _times(buf, box, edits, "moov/mvhd")
        elif box.type == b"trak":
            tracks += 1
            _trak(buf, box, edits, f"moov/trak {tracks}", meta_spans, kept_chunks)
    if not inside(meta_spans, mdats):
        raise Refused(
            "a metadata track points outside the media data ('mdat'); the file looks damaged"
        )
    _check_overlap(meta_spans, kept_chunks)


def _strip(buf: Buffer, boxes: list[Box], where: str, keep: frozenset[bytes], edits: Edits) -> None:
    """The part every level shares: padding zeroed, user data, Keys and uuid boxes and
    any box a player does not read there neutralised."""
    for box in boxes:
        name = fourcc(box.type)
        if box.type in PADDING:
            edits.padding(box, where)
        elif box.type == b"cmov":
            raise Refused("the movie header is compressed ('cmov'); not cleaned")
        elif box.type == b"udta":
            edits.neutralise(box, "user_data", f"{where}/udta")
        elif box.type == b"meta":
            edits.neutralise(box, "keys", f"{where}/meta")
        elif box.type == b"uuid":
            edits.neutralise(box, uuid_kind(buf, box), f"{where}/uuid")
        elif box.type not in keep:
            edits.neutralise(box, "other", f"{where}/{name}")


def _times(buf: Buffer, box: Box, edits: Edits, where: str) -> None:
    """Creation and modification times of mvhd/tkhd/mdhd (32-bit in version 0, 64 in 1)."""
    version = full_box(buf, box, 8)
    width = 16 if version == 1 else 8
    if box.body + 4 + width > box.end:
        raise Refused(f"{where} is too short for its dates")
    edits.zero(box.body + 4, box.body + 4 + width, "time", where)


def _language(buf: Buffer, mdhd: Box, edits: Edits, where: str) -> None:
    """Set a track's language to "und": a phone writes its owner's locale there."""
    at = mdhd.body + (32 if buf[mdhd.body] == 1 else 20)
    if at + 2 <= mdhd.end and bytes(buf[at : at + 2]) != UND:
        edits.patches.append((at, UND))
        edits.removed.append(Removal("other", f"{where} language", at, 2))


def _trak(
    buf: Buffer,
    trak: Box,
    edits: Edits,
    where: str,
    meta_spans: list[tuple[int, int]],
    kept_chunks: list[tuple[int, int]],
) -> None:
    kids = walk(buf, trak.body, trak.end, where)
    mdia = first(kids, b"mdia")
    mdia_kids = walk(buf, mdia.body, mdia.end, f"{where}/mdia") if mdia else []
    hdlr = first(mdia_kids, b"hdlr")
    minf = first(mdia_kids, b"minf")
    minf_kids = walk(buf, minf.body, minf.end, f"{where}/minf") if minf else []
    stbl = first(minf_kids, b"stbl")
    stbl_kids = walk(buf, stbl.body, stbl.end, f"{where}/stbl") if stbl else []
    handler = handler_type(buf, hdlr)
    if handler not in KEEP_HANDLERS:
        label = fourcc(handler) if handler else "no handler"
        fmt = _sample_format(buf, first(stbl_kids, b"stsd"))
        what = f"{where} ({label}{', ' + fmt if fmt else ''})"
        edits.neutralise(trak, "timed_metadata", what)
        spans = chunks(buf, stbl_kids, what)
        zero_spans(edits, spans, "timed_metadata", f"{what} samples in mdat")
        meta_spans.extend(spans)
        return
    _strip(buf, kids, where, TRAK_KEEP, edits)
    _strip(buf, mdia_kids, f"{where}/mdia", MDIA_KEEP, edits)
    _strip(buf, minf_kids, f"{where}/minf", MINF_KEEP, edits)
    for box in kids:
        if box.type == b"tkhd":
            _times(buf, box, edits, f"{where}/tkhd")
    for box in mdia_kids:
        if box.type == b"mdhd":
            _times(buf, box, edits, f"{where}/mdhd")
            _language(buf, box, edits, f"{where}/mdhd")
        elif box.type == b"hdlr":
            hdlr_name(buf, box, edits, f"{where}/mdia")
    for box in minf_kids:
        if box.type == b"hdlr":
            hdlr_name(buf, box, edits, f"{where}/minf")
    stsd = first(stbl_kids, b"stsd")
    if stsd is not None:
        _sample_entries(buf, stsd, handler in VISUAL, edits, where)
    with contextlib.suppress(Refused):  # a player copes or not; the overlap check skips it
        kept_chunks.extend(chunks(buf, stbl_kids, where))


def _sample_format(buf: Buffer, stsd: Box | None) -> str:
    if stsd is None or stsd.body + 16 > stsd.end:
        return ""
    return fourcc(bytes(buf[stsd.body + 12 : stsd.body + 16]))


def _sample_entries(buf: Buffer, stsd: Box, visual: bool, edits: Edits, where: str) -> None:
    """Zero the vendor codes of every sample entry and a visual entry's compressor name.

    Layout (QuickTime, ISO 14496-12 §12.1.3): 6 reserved, data reference index, version,
    revision, vendor (offset 12), ... compressor name, a 32-byte Pascal string at 42; the
    children follow at 78 (visual) or after the sound fields (28, 44 or 64 bytes by the
    sound version).  3GPP decoder configurations (``damr``, ``d263``...) open with the
    encoder's vendor code and version too ("appl", 1): information only, no decoder reads it.
    """
    full_box(buf, stsd, 4)
    for entry in walk(buf, stsd.body + 8, stsd.end, f"{where}/stsd"):
        name = fourcc(entry.type)
        if entry.body + 16 <= entry.end:
            edits.zero(entry.body + 12, entry.body + 16, "name", f"{where}/{name} vendor")
        if visual and entry.body + 74 <= entry.end:
            edits.zero(entry.body + 42, entry.body + 74, "name", f"{where}/{name} compressor")
        if visual:
            kids_at = entry.body + 78
        elif entry.body + 10 <= entry.end:
            kids_at = entry.body + SOUND_FIELDS.get(buf[entry.body + 9], 28)
        else:
            continue
        try:
            kids = walk(buf, kids_at, entry.end, f"{where}/{name}")
        except Refused:
            continue  # a codec's own layout, not boxes: nothing of ours to find there
        for kid in kids:
            if kid.type in VENDOR_CONFIGS:  # vendor (4 bytes) and its encoder's version (1)
                what = f"{where}/{name}/{fourcc(kid.type)} vendor"
                edits.zero(kid.body, min(kid.body + 5, kid.end), "name", what)


def chunks(buf: Buffer, stbl: list[Box], where: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` of every chunk of a track, from stsc + stsz/stz2 + stco/co64.

    Refused when the tables are missing or inconsistent: the samples of a GPS track that
    cannot be found cannot be said to be gone.
    """
    stsc, sizes_box = first(stbl, b"stsc"), first(stbl, b"stsz") or first(stbl, b"stz2")
    co = first(stbl, b"stco") or first(stbl, b"co64")
    if stsc is None or sizes_box is None or co is None:
        raise Refused(f"{where}: its sample table is incomplete, so its samples cannot be found")
    offsets = _table(buf, co, 8 if co.type == b"co64" else 4, where)
    constant, sizes = _sizes(buf, sizes_box, where)
    runs = _table(buf, stsc, 12, where)
    out: list[tuple[int, int]] = []
    sample = 0
    for i in range(0, len(runs), 3):
        first_chunk, per_chunk = runs[i], runs[i + 1]
        stop = runs[i + 3] if i + 3 < len(runs) else len(offsets) + 1
        if first_chunk < 1 or (stop <= first_chunk and i + 3 < len(runs)):
            raise Refused(f"{where}: its sample-to-chunk table is out of order")
        for chunk in range(first_chunk, min(stop, len(offsets) + 1)):
            length = per_chunk * constant if constant else sum(sizes[sample : sample + per_chunk])
            sample += per_chunk
            out.append((offsets[chunk - 1], offsets[chunk - 1] + length))
    return out


def _table(buf: Buffer, box: Box, entry: int, where: str, skip: int = 0) -> tuple[int, ...]:
    """A full box's count-prefixed table of 32-bit fields (``entry`` bytes per row;
    ``co64`` rows are one 64-bit field, returned as one value each); ``skip`` bytes of
    other fields come between the version/flags and the count (``stsz``'s constant size)."""
    full_box(buf, box, 4 + skip)
    at = box.body + 4 + skip
    (count,) = struct.unpack_from(">I", buf, at)
    if count > MAX_ENTRIES or at + 4 + count * entry > box.end:
        raise Refused(f"{where}: its {fourcc(box.type)!r} table runs past its box")
    fmt = f">{count}Q" if entry == 8 else f">{count * entry // 4}I"
    return struct.unpack_from(fmt, buf, at + 4)


def _sizes(buf: Buffer, box: Box, where: str) -> tuple[int, tuple[int, ...]]:
    """(constant size, ()) or (0, every sample's size), from ``stsz`` or compact ``stz2``."""
    full_box(buf, box, 8)
    field, count = struct.unpack_from(">II", buf, box.body + 4)
    if box.type == b"stsz":
        if field:
            return field, ()
        return 0, _table(buf, box, 4, where, skip=4)
    bits = field & 0xFF
    if bits not in (4, 8, 16) or count > MAX_ENTRIES:
        raise Refused(f"{where}: its compact sample-size table is invalid")
    need = (count * bits + 7) // 8
    if box.body + 12 + need > box.end:
        raise Refused(f"{where}: its compact sample-size table runs past its box")
    raw = bytes(buf[box.body + 12 : box.body + 12 + need])
    if bits == 16:
        return 0, struct.unpack(f">{count}H", raw)
    if bits == 8:
        return 0, tuple(raw)
    return 0, tuple((raw[i // 2] >> (4 if i % 2 == 0 else 0)) & 15 for i in range(count))


def _check_overlap(meta: list[tuple[int, int]], kept: list[tuple[int, int]]) -> None:
    """Refuse when zeroing a metadata track would erase picture or sound bytes."""
    if overlaps(meta, kept):
        raise Refused(
            "a metadata track shares bytes with the picture or sound; zeroing it "
            "would damage the movie"
        )
