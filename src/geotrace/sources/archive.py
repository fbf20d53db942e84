"""Zip archives, member by member, refusing every member that could hurt.

Nothing is extracted to disk here: each member is offered as a stream capped at its
declared size, and the case store copies it into its own media folder.  The checks run on
the central directory before a byte is decompressed, so a bomb costs nothing to refuse:

- a name with ``..`` or an absolute/drive path (it would escape any folder it landed in);
- a symlink (Unix mode bits in the external attributes);
- an encrypted member (we cannot read it, and must say so rather than store garbage);
- a declared size over ``max_member_bytes``, a compression ratio over ``max_ratio`` (for
  members big enough for the ratio to matter), a running total over ``max_total_bytes``,
  and members past ``max_members``;
- members whose data overlap another's, or run into the central directory: the
  overlapping-entry bomb (David Fifield's "better zip bomb": thousands of entries over one
  shared deflate stream, 4 GiB from 205 KB, each member small and of a plain ratio);
- a running total over ``max_ratio`` times the archive's own size (at least
  ``archive_floor_bytes``): the work an archive may cost is bounded by its size, whatever
  trick its entries play;
- while reading, more bytes than declared (the reader in ``case.py`` stops at
  ``Item.max_bytes``) or a CRC error from :mod:`zipfile`.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

from geotrace.sources.base import Item, Refusal

_DRIVE = re.compile(r"^[A-Za-z]:")
#: A local file header: signature, 22 bytes we do not need, name and extra field lengths.
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Caps for one archive; generous for real exports, tiny against a bomb."""

    max_members: int = 200_000
    max_member_bytes: int = 8 * 2**30  # a long 4K video
    max_total_bytes: int = 64 * 2**30
    max_ratio: float = 100.0  # media barely compress; 200 MB of zeros compress ~1000:1
    ratio_floor_bytes: int = 2**20  # below this a high ratio is harmless (text, JSON)
    archive_floor_bytes: int = 256 * 2**20  # any archive may expand this far, whatever its size


def is_zip(path: Path) -> bool:
    """A ``.zip`` file with a zip central directory; other zip-based formats stay whole."""
    return path.suffix.lower() == ".zip" and zipfile.is_zipfile(path)


def member_refusal(info: zipfile.ZipInfo, limits: ZipLimits) -> tuple[str, str] | None:
    """(code, message) if this member must not be read, judged from its header alone."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return "archive_absolute_path", f"absolute path {info.filename!r}"
    if ".." in PurePosixPath(name).parts:
        return "archive_path_traversal", f"path leaves the archive: {info.filename!r}"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "archive_symlink", f"symbolic link {info.filename!r}"
    if info.flag_bits & 0x1:
        return "archive_encrypted", f"encrypted member {info.filename!r}"
    if info.file_size > limits.max_member_bytes:
        return "archive_member_too_large", (
            f"declares {info.file_size} bytes, limit {limits.max_member_bytes}"
        )
    if info.file_size > limits.ratio_floor_bytes and (
        info.compress_size == 0 or info.file_size / info.compress_size > limits.max_ratio
    ):
        return "archive_bomb", (
            f"{info.compress_size} bytes expand to {info.file_size}, "
            f"ratio over {limits.max_ratio:g}"
        )
    return None


def _data_end(fp: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where a member's compressed data ends: its local header (as written there, whose
    name and extra field may differ from the central directory's) plus its data."""
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) == _LOCAL_HEADER.size and header[:4] == _LOCAL_SIGNATURE:
        name_len, extra_len = (int(n) for n in _LOCAL_HEADER.unpack(header)[1:])
    else:  # no header there: zipfile refuses the member when it is opened
        name_len, extra_len = len(info.orig_filename.encode()), len(info.extra)
    return info.header_offset + _LOCAL_HEADER.size + name_len + extra_len + info.compress_size


def overlaps(zf: zipfile.ZipFile, infos: Sequence[zipfile.ZipInfo]) -> dict[int, str]:
    """Why each member (by index in ``infos``) shares its bytes with another member or
    runs into the central directory; judged from headers alone, in one sweep by offset.

    Every member of an overlapping pair is named: the one holding the shared stream is
    as much a part of the bomb as the entries quoting it.
    """
    if zf.fp is None:
        return {}
    spans = sorted((info.header_offset, _data_end(zf.fp, info), i) for i, info in enumerate(infos))
    found: dict[int, str] = {}
    reach, owner = 0, -1  # the furthest end so far, and whose it is
    for start, end, i in spans:
        if end > zf.start_dir:
            found[i] = (
                f"data of {infos[i].filename!r} (bytes {start}-{end}) runs into the central "
                f"directory at {zf.start_dir}"
            )
        if owner >= 0 and start < reach:
            found.setdefault(i, f"data overlaps member {infos[owner].filename!r}")
            found.setdefault(owner, f"data overlaps member {infos[i].filename!r}")
        if end > reach:
            reach, owner = end, i
    return found


def members(zf: zipfile.ZipFile, display: str, limits: ZipLimits) -> Iterator[Item | Refusal]:
    """Every file member of an open archive as an Item, or a Refusal with its reason."""
    total = 0
    files = [i for i in zf.infolist() if not i.is_dir()]
    infos = files[: limits.max_members]
    overlapping = overlaps(zf, infos)
    size = os.fstat(zf.fp.fileno()).st_size if zf.fp is not None else 0
    budget = max(limits.max_ratio * size, limits.archive_floor_bytes)
    for index, info in enumerate(infos):
        path = f"{display}!/{info.filename}"
        refused = member_refusal(info, limits)
        if refused is None and index in overlapping:
            refused = ("archive_overlap", overlapping[index])
        if refused is None and total + info.file_size > limits.max_total_bytes:
            refused = ("archive_total_too_large", f"archive expands past {limits.max_total_bytes}")
        if refused is None and total + info.file_size > budget:
            refused = (
                "archive_expands_too_far",
                f"the members so far expand to {total} bytes and this one to "
                f"{info.file_size} more: past {budget:.0f}, {limits.max_ratio:g} times the "
                f"archive's {size} bytes (at least {limits.archive_floor_bytes})",
            )
        if refused is not None:
            yield Refusal(path, *refused)
            continue
        total += info.file_size
        yield Item(path, "archive_member", partial(zf.open, info), display, info.file_size)
    if len(files) > limits.max_members:
        yield Refusal(
            display,
            "archive_too_many_members",
            f"{len(files) - limits.max_members} members past the first {limits.max_members} "
            "were not read",
        )
