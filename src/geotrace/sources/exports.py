"""Platform exports: how a document is recognised and how its reader is called.

An export document (Telegram's ``result.json``, a twarc2 JSONL, an X archive's
``tweets.js``) is an original like any photo: ingest keeps its bytes in the media store
and hands its reader an :class:`ExportFile` over the stored copy.  Each format lives in
its own module (``telegram.py``, ``vk.py`` …) as an :class:`ExportReader`; :data:`READERS`
lists them most specific first, and :func:`detect` picks the first whose ``sniff`` accepts
the document's name and first bytes.  Readers yield records (posts, accounts) and
refusals (one bad item, with where it was in the file); they never raise for bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from geotrace.records import Account, Post
from geotrace.sources.encoding import utf8_head, utf8_opener
from geotrace.sources.items import Refusal

#: What a reader yields.
Record = Post | Account | Refusal

#: Bytes given to ``sniff``: enough for any format's tell-tale keys, small enough to read
#: for every ``.json`` in a folder of thousands.
SNIFF_BYTES = 64 * 1024

#: Names of files worth sniffing; anything else is a photo, video or other original.
EXPORT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".js", ".csv", ".tsv", ".plt")


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
    """A settlement found by name (``places.gazetteer.settlement_named`` gives these)."""

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
    """A format: its name and version (recorded with every source it read), how it is
    recognised, and the generator that reads it."""

    name: str
    version: str
    sniff: Callable[[str, bytes], bool]
    read: Callable[[ExportFile], Iterator[Record]]


def _readers() -> tuple[ExportReader, ...]:
    """Every reader, most specific first: the generic table reader comes last."""
    from geotrace.sources import (
        generic,
        geolife,
        meta,
        meta_location,
        meta_messages,
        telegram,
        telethon,
        twitter,
        twitter_dms,
        twitter_headers,
        vk,
        vk_checkins,
        ytdlp,
    )

    return (
        *telegram.READERS,
        *telethon.READERS,
        *vk_checkins.READERS,
        *vk.READERS,
        *twitter.READERS,
        *twitter_headers.READERS,
        *twitter_dms.READERS,
        *meta.READERS,
        *meta_location.READERS,
        *meta_messages.READERS,
        *ytdlp.READERS,
        *geolife.READERS,
        *generic.READERS,
    )


def reader_names() -> tuple[str, ...]:
    """What :func:`detect` tries, in order: named when a document is claimed by none."""
    return tuple(reader.name for reader in _readers())


def detect(name: str, head: bytes) -> ExportReader | None:
    """The reader for a document, judged from its name and first :data:`SNIFF_BYTES`."""
    if not name.lower().endswith(EXPORT_SUFFIXES):
        return None
    head = utf8_head(head)
    for reader in _readers():
        if reader.sniff(name, head):
            return reader
    return None
