"""Entry point of the metadata reader: bytes in, MediaMetadata out, never an exception."""

from __future__ import annotations

import hashlib
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geotrace.records import MediaMetadata

READER_VERSION = "1"


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file as inspect reports it: identity (sha256, size) and what it says."""

    path: str
    sha256: str
    size: int
    meta: MediaMetadata


def read_buffer(buf: bytes | memoryview | mmap.mmap, name: str = "") -> MediaMetadata:
    """Read metadata from the bytes of one file; ``name`` is only used in messages."""
    raise NotImplementedError  # filled in by the evidence work in progress


def read_file(path: str | Path) -> FileReport:
    """Hash and read one file through a memory map (no copy, no pixel decoding)."""
    raise NotImplementedError  # filled in by the evidence work in progress


def report_to_json(report: FileReport) -> dict[str, Any]:
    """The public ``inspect --json`` object (README, "inspect --json format")."""
    raise NotImplementedError  # filled in by the evidence work in progress
