"""The types every reader shares: what the walk yields, what a reader is handed and yields.

An export document (Telegram's ``result.json``, a twarc2 JSONL, an X archive's
``tweets.js``) is an original like any photo: ingest keeps its bytes in the media store
and hands its reader an :class:`ExportFile` over the stored copy.  Each format lives in
its own module (``telegram.py``, ``vk.py`` …) as an :class:`ExportReader`, registered in
``registry.py``.  Readers yield records (posts, accounts) and findings (:class:`Refusal`:
one bad item, or a doubt about a kept one, with where it was in the file); they never
raise for bad input.  This module imports no reader, so every reader may import it and
the registry may import every reader without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from geotrace.records import REFUSAL, Account, Post, Severity
from geotrace.sources.encoding import utf8_opener


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
    """An input or item that was not read, and why; it becomes a problem record.

    A reader also reports here a doubt about an item it kept whole (a coordinate order
    that puts the point on the Arctic ice, a time that disagrees with the id): it says so
    with ``severity`` :data:`~geotrace.records.NOTE`, where it raises the doubt, so that
    nothing downstream keeps a list of which codes are only doubts.
    """

    path: str
    code: str
    message: str
    severity: Severity = REFUSAL


#: What a reader yields.
Record = Post | Account | Refusal

#: Bytes given to ``sniff``: enough for any format's tell-tale keys, small enough to read
#: for every ``.json`` in a folder of thousands.
SNIFF_BYTES = 64 * 1024


@dataclass(slots=True)
class Meter:
    """Bytes read so far from a document's streams, for the progress bar."""

    consumed: int = 0


class CountingReader:
    """A binary stream that counts what is read through it (see :class:`Meter`)."""

    def __init__(self, raw: IO[bytes], meter: Meter) -> None:
        self._raw = raw
        self._meter = meter

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._meter.consumed += len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self._raw.readline(limit)
        self._meter.consumed += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Settlement(Protocol):
    """A settlement found by name (``geodata.gazetteer.settlement_named`` gives these)."""

    @property
    def name(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def country(self) -> str: ...
    @property
    def population(self) -> int: ...


#: ``place(city, country)``: the settlement a document names, or None when there is none
#: by that name (in that country, an ISO code or a name, when one is given).
PlaceLookup = Callable[[str, str | None], Settlement | None]


@dataclass(frozen=True)
class ExportFile:
    """One export document as a reader sees it.

    ``name`` is the path the case records for it (a file path, or ``archive.zip!/data/
    tweets.js``).  ``open()`` gives its bytes, counted into ``meter``; ``sibling(rel)``
    opens another file of the same export by a path relative to this document's folder
    (the X archive's ``account.js`` beside ``tweets.js``), or None when there is none.
    ``place`` finds a settlement by name, for documents that name a city and no point
    (Instagram's ``account_based_in.json``): the caller hands in the gazetteer, which
    belongs to the resolve stage and is not imported by this read stage.  None: no
    gazetteer, nothing placed by name.
    """

    name: str
    size: int
    opener: Callable[[], IO[bytes]]
    sibling: Callable[[str], ExportFile | None] = field(default=lambda rel: None)
    meter: Meter = field(default_factory=Meter)
    place: PlaceLookup | None = None

    def __post_init__(self) -> None:
        # A UTF-16/32 document (Windows Notepad's "Unicode") reaches every reader as UTF-8.
        object.__setattr__(self, "opener", utf8_opener(self.opener))

    def open(self) -> CountingReader:
        return CountingReader(self.opener(), self.meter)


@dataclass(frozen=True)
class ExportReader:
    """A format: its name and version (recorded with every source it read), the file
    suffixes it claims, how it is recognised, and the generator that reads it.

    ``suffixes`` (lower case, with the dot) put a document among those sniffed at all:
    the registry's union of them is what ingest holds to be an export rather than a
    photo; ``sniff(name, head)`` then judges the name and first bytes itself.
    """

    name: str
    version: str
    suffixes: tuple[str, ...]
    sniff: Callable[[str, bytes], bool]
    read: Callable[[ExportFile], Iterator[Record]]
