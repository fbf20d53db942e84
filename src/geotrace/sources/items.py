"""What the read stage yields: an item to keep and read, or a refusal with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True, slots=True)
class Item:
    """One input whose bytes can be opened as a stream.

    ``open`` is called at most once, while the walk that yielded the item is paused on it
    (an archive member's stream lives only as long as its archive is open).  ``max_bytes``
    caps what may be read: more than that and the item is a lie (a zip member larger than
    its declared size) and must be refused.
    """

    path: str
    kind: str  # "file" | "archive" | "archive_member"
    open: Callable[[], IO[bytes]]
    container: str | None = None
    max_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """An input that was not read, and why; it becomes a problem record."""

    path: str
    code: str
    message: str
