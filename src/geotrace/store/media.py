"""The case's media folder: originals kept byte-exact, named by their sha256.

Layout: ``CASE.media/ab/cd/<sha256>`` (two levels of fan-out keep folders small).  Every
write goes to ``tmp/`` first, is hashed while it is copied (so what is stored is exactly
what was hashed and later read), fsynced, made read-only, then moved into place with
``os.replace`` and the folder fsynced: a kill at any moment leaves either no file or the
whole file under its final name, never a partial original.  Many small originals are
staged together and made durable by two filesystem syncs instead of two fsyncs each
(:meth:`MediaStore.put_many`), with the same guarantee.  Leftovers in ``tmp/`` from a
killed run are removed when the next writer takes the lock.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import tempfile
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from geotrace.errors import CaseBusy, CaseError, CaseFull, CaseUnwritable

CHUNK = 1 << 20
#: What a write to the case's disk fails with and reading an input never does: the
#: store's failure, fatal for the run, not a problem of the input being copied.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


class TooLarge(Exception):
    """A stream gave more bytes than it was allowed to (a zip member lying about its size)."""


@dataclass(frozen=True, slots=True)
class Blob:
    """An original as stored: its hash, size and file."""

    sha256: str
    size: int
    path: Path


def hash_stream(stream: IO[bytes], max_bytes: int | None = None) -> tuple[str, int]:
    """(sha256, size) of a stream, read in bounded chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(f"more than the {max_bytes} bytes declared")
        digest.update(chunk)
    return digest.hexdigest(), size


def disk_error(exc: OSError, root: Path) -> CaseError:
    """The fatal error for a write to the case's folder ``root`` that failed."""
    if exc.errno in DISK_ERRNOS - {errno.EROFS}:
        return CaseFull(f"no space left on the case's disk ({root}): {exc.strerror}")
    return CaseUnwritable(f"cannot write the case at {root}: {exc.strerror or exc}")


def _raise_if_disk(exc: OSError, root: Path) -> None:
    if exc.errno in DISK_ERRNOS:
        raise disk_error(exc, root) from None


@dataclass(frozen=True, slots=True)
class Staged:
    """An original copied into ``tmp/`` and hashed, waiting to be moved into place."""

    sha256: str
    size: int
    tmp: Path


def _fsync_path(path: Path) -> None:
    """fsync a file or a folder (a folder's fsync makes the names in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _libc_syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(fd)``: one call flushes every dirty page and name of a
    filesystem (glibc has it; ``os`` does not wrap it)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast(Callable[[int], int], function)


_SYNCFS = _libc_syncfs()


def _flush(syncfs: Callable[[int], int], path: Path) -> None:
    """Flush the filesystem holding ``path``; an error is raised, never ignored."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
    finally:
        os.close(fd)


class MediaStore:
    """Content-addressed, write-once storage of originals beside a case file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock: IO[bytes] | None = None

    def relpath(self, sha256: str) -> str:
        """Where an original lives, relative to the media folder."""
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path_of(self, sha256: str) -> Path:
        """The stored file for a hash (it may be missing: see ``verify``)."""
        return self.root / self.relpath(sha256)

    def has(self, sha256: str) -> bool:
        """Whether the original for this hash is in the store."""
        return self.path_of(sha256).is_file()

    def lock(self) -> None:
        """Take the writer lock (released by close or by the process dying) and tidy tmp/."""
        tmp = self.root / "tmp"
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            handle = (self.root / ".lock").open("ab")
        except OSError as exc:
            raise disk_error(exc, self.root) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise CaseBusy(f"{self.root} is being written by another process") from None
        self._lock = handle
        _LOCKED.add(self)
        self._tidy()

    def _tidy(self) -> None:
        """Remove copies in tmp/ that never made it into place (a killed or failed run):
        on a full disk they hold the space a re-run needs."""
        for leftover in (self.root / "tmp").iterdir():
            leftover.unlink()

    def forget_lock(self) -> None:
        """In a forked child: close the inherited descriptor of the writer lock without
        releasing the lock, so that the lock dies with the parent and not with the child
        (flock holds while any descriptor of the open file remains).  Done in every
        forked child (see ``_LOCKED``): a worker of a killed ingest that outlives it by a
        moment must not hold the case against the re-run."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def close(self) -> None:
        """Tidy tmp/ and release the writer lock."""
        _LOCKED.discard(self)
        if self._lock is not None:
            self._tidy()
            self._lock.close()
            self._lock = None

    def put(self, opener: Callable[[], IO[bytes]], max_bytes: int | None = None) -> Blob:
        """Copy a stream into the store atomically; return what was stored."""
        (blob,) = self.put_many([self.stage(opener, max_bytes)], sync=False)
        return blob

    def stage(self, opener: Callable[[], IO[bytes]], max_bytes: int | None = None) -> Staged:
        """Copy a stream into ``tmp/``, hashing it on the way; not yet durable nor in place.

        Nothing is read twice: what :meth:`put_many` moves into place is exactly what
        was hashed here.
        """
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp", prefix="put-")
        except OSError as exc:
            raise disk_error(exc, self.root) from None
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out, opener() as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(f"more than the {max_bytes} bytes declared")
                    digest.update(chunk)
                    out.write(chunk)
            return Staged(digest.hexdigest(), size, tmp)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            _raise_if_disk(exc, self.root)  # else the input's error: raised as it is
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_many(self, staged: Sequence[Staged], sync: bool = True) -> list[Blob]:
        """Move staged copies into place, each durable before its name and its name
        durable before this returns (the rule that lets rows follow).

        With ``sync`` (and Linux's ``syncfs``) the whole batch costs two filesystem
        syncs: one for the data before any rename, one for the renamed names.  Without
        it, or without ``syncfs``, each file and its folder are fsynced one by one: the
        price of a lone large original is its copy, not its sync, but tiny ones cost
        their syncs (see :class:`geotrace.ingest.MediaGroup` and ``bench/archive.py``).
        """
        syncfs = _SYNCFS if sync else None
        try:
            if syncfs is not None:
                _flush(syncfs, self.root)
            blobs = [self._place(s, fsync=syncfs is None) for s in staged]
            if syncfs is not None:
                _flush(syncfs, self.root)
            return blobs
        except OSError as exc:
            raise disk_error(exc, self.root) from None  # only the case's disk is written here
        finally:
            for s in staged:
                s.tmp.unlink(missing_ok=True)

    def _place(self, staged: Staged, fsync: bool) -> Blob:
        """Rename one staged copy to its content address (or drop it: already there)."""
        final = self.path_of(staged.sha256)
        if not final.is_file():
            if fsync:
                _fsync_path(staged.tmp)
            os.chmod(staged.tmp, 0o444)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.tmp, final)
            if fsync:
                _fsync_path(final.parent)
        return Blob(staged.sha256, staged.size, final)


#: The stores this process holds the writer lock of: a forked child (a pool worker, an
#: export's reader) forgets each lock at once, so that it is released the moment this
#: process ends, whatever its children are still doing.
_LOCKED: weakref.WeakSet[MediaStore] = weakref.WeakSet()


def _forget_locks_in_child() -> None:
    for store in list(_LOCKED):
        store.forget_lock()


os.register_at_fork(after_in_child=_forget_locks_in_child)
