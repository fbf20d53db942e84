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
- while reading, more bytes than declared (the reader in ``case.py`` stops at
  ``Item.max_bytes``) or a CRC error from :mod:`zipfile`.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from geotrace.sources.items import Item, Refusal

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Caps for one archive; generous for real exports, tiny against a bomb."""

    max_members: int = 200_000
    max_member_bytes: int = 8 * 2**30  # a long 4K video
    max_total_bytes: int = 64 * 2**30
    max_ratio: float = 100.0  # media barely compress; 200 MB of zeros compress ~1000:1
    ratio_floor_bytes: int = 2**20  # below this a high ratio is harmless (text, JSON)


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


def members(zf: zipfile.ZipFile, display: str, limits: ZipLimits) -> Iterator[Item | Refusal]:
    """Every file member of an open archive as an Item, or a Refusal with its reason."""
    total = 0
    infos = [i for i in zf.infolist() if not i.is_dir()]
    for info in infos[: limits.max_members]:
        path = f"{display}!/{info.filename}"
        refused = member_refusal(info, limits)
        if refused is None and total + info.file_size > limits.max_total_bytes:
            refused = ("archive_total_too_large", f"archive expands past {limits.max_total_bytes}")
        if refused is not None:
            yield Refusal(path, *refused)
            continue
        total += info.file_size
        yield Item(path, "archive_member", partial(zf.open, info), display, info.file_size)
    if len(infos) > limits.max_members:
        yield Refusal(
            display,
            "archive_too_many_members",
            f"{len(infos) - limits.max_members} members past the first {limits.max_members} "
            "were not read",
        )
