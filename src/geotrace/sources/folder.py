"""Files and folders, walked recursively, with zip archives expanded member by member.

Symbolic links inside a folder are not followed (they could loop or lead outside what the
user chose) and FIFOs, sockets and devices are never opened (reading one could block
forever); each becomes a refusal, so nothing is skipped silently.  Paths keep the form
they were given in (``inspect`` shows them as typed); ``ingest`` passes absolute ones so
that a source row says where the file was, whatever the working directory.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import IO

from geotrace.sources.archive import ZipLimits, is_zip, members
from geotrace.sources.base import Item, Refusal


def _classify(path: Path) -> Path | Refusal:
    """The path if it is a regular file we may open, else why not."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return Refusal(str(path), "unreadable", exc.strerror or str(exc))
    if stat.S_ISLNK(mode):
        return Refusal(str(path), "symlink_skipped", "links inside folders are not followed")
    if not stat.S_ISREG(mode):
        return Refusal(str(path), "not_a_regular_file", "a FIFO, socket or device, not a file")
    return path


def find_files(
    paths: Iterable[str | Path], skip: Container[str] = frozenset()
) -> Iterator[Path | Refusal]:
    """Every regular file under the given files and folders, in a stable (sorted) order.

    A path named on the command line is followed even if it is a link: the user chose it.
    ``skip`` holds absolute paths that are not inputs (the case's own database and media
    folder, when the case lies inside a folder given to ingest): neither read nor walked.
    """
    for given in paths:
        root = Path(given)
        if os.path.abspath(root) in skip:
            continue
        if root.is_file():
            yield root
        elif root.is_dir():
            errors: list[OSError] = []
            for folder, dirs, files in os.walk(root, onerror=errors.append):
                dirs[:] = sorted(
                    d for d in dirs if os.path.abspath(os.path.join(folder, d)) not in skip
                )
                for name in dirs:
                    if os.path.islink(os.path.join(folder, name)):
                        yield _classify(Path(folder, name))
                for name in sorted(files):
                    if os.path.abspath(os.path.join(folder, name)) not in skip:
                        yield _classify(Path(folder, name))
            for exc in errors:
                yield Refusal(str(exc.filename), "unreadable", exc.strerror or str(exc))
        else:
            yield Refusal(str(root), "not_found", "no such file or folder")


def expand(path: Path, limits: ZipLimits) -> Iterator[Item | Refusal]:
    """One file as items: itself, and if it is a zip archive, each of its members."""
    display = str(path)

    def opener() -> IO[bytes]:
        return path.open("rb")

    if not is_zip(path):
        yield Item(display, "file", opener)
        return
    yield Item(display, "archive", opener)
    try:
        with zipfile.ZipFile(path) as zf:
            yield from members(zf, display, limits)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        yield Refusal(display, "archive_unreadable", f"{type(exc).__name__}: {exc}")


def walk(paths: Iterable[str | Path], limits: ZipLimits | None = None) -> Iterator[Item | Refusal]:
    """Every item under the given paths; see :func:`find_files` and :func:`expand`."""
    for found in find_files(paths):
        if isinstance(found, Refusal):
            yield found
        else:
            yield from expand(found, limits or ZipLimits())
