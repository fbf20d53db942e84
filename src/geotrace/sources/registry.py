"""Which readers there are: the built-ins and any another package installs, in one list.

A reader is found through an entry point of the group :data:`GROUP`, whose object is an
:class:`~geotrace.sources.base.ExportReader` or a sequence of them (a module's
``READERS``).  The built-ins are entry points too, written here rather than in the
package metadata, and loaded by the same code as a third party's, as datasette loads its
``DEFAULT_PLUGINS``: a reader another package adds needs no edit here.  A package adds
one in its ``pyproject.toml``::

    [project.entry-points."geotrace.readers"]
    my_format = "my_package.my_module:READERS"

The order is the order :func:`detect` tries them: the specific built-ins first, then the
installed ones, then the catch-all table reader, which would otherwise take an installed
reader's CSV or JSON Lines.  This module imports the readers (when first asked, so that
commands that read no export never load them); the readers import only
``sources.base``, never this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from geotrace.errors import GeotraceError
from geotrace.sources.base import ExportReader
from geotrace.sources.encoding import utf8_head

#: The entry-point group a package registers its readers in.
GROUP = "geotrace.readers"

#: The built-in readers, most specific first.
BUILTIN = (
    EntryPoint("telegram", "geotrace.sources.telegram:READERS", GROUP),
    EntryPoint("telethon", "geotrace.sources.telethon:READERS", GROUP),
    EntryPoint("vk_checkins", "geotrace.sources.vk_checkins:READERS", GROUP),
    EntryPoint("vk", "geotrace.sources.vk:READERS", GROUP),
    EntryPoint("twitter", "geotrace.sources.twitter:READERS", GROUP),
    EntryPoint("twitter_headers", "geotrace.sources.twitter_headers:READERS", GROUP),
    EntryPoint("twitter_dms", "geotrace.sources.twitter_dms:READERS", GROUP),
    EntryPoint("meta", "geotrace.sources.meta:READERS", GROUP),
    EntryPoint("meta_location", "geotrace.sources.meta_location:READERS", GROUP),
    EntryPoint("meta_messages", "geotrace.sources.meta_messages:READERS", GROUP),
    EntryPoint("ytdlp", "geotrace.sources.ytdlp:READERS", GROUP),
    EntryPoint("geolife", "geotrace.sources.geolife:READERS", GROUP),
)

#: Tried after every other reader: it takes any table with a recognisable header.
FALLBACK = (EntryPoint("generic", "geotrace.sources.generic:READERS", GROUP),)


class ReaderPluginError(GeotraceError):
    """An installed reader cannot be loaded: every export would be read without it."""


def _load(point: EntryPoint) -> tuple[ExportReader, ...]:
    """The readers an entry point names, checked: a broken package stops the command
    with its name rather than losing its documents as "unrecognised" one by one."""
    try:
        found = point.load()
    except Exception as exc:  # an installed package's import can fail in any way
        raise ReaderPluginError(
            f"reader {point.name!r} ({point.value}) cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    readers = (found,) if isinstance(found, ExportReader) else found
    if not isinstance(readers, Iterable) or not all(isinstance(r, ExportReader) for r in readers):
        raise ReaderPluginError(
            f"reader {point.name!r} ({point.value}) is not an ExportReader or a sequence of them"
        )
    return tuple(readers)


@cache
def readers() -> tuple[ExportReader, ...]:
    """Every reader, in the order :func:`detect` tries them (see the module docstring)."""
    installed = tuple(p for p in entry_points(group=GROUP) if p not in BUILTIN + FALLBACK)
    return tuple(r for point in (*BUILTIN, *installed, *FALLBACK) for r in _load(point))


@cache
def export_suffixes() -> tuple[str, ...]:
    """The names of files worth sniffing: every suffix a reader claims.  Anything else is
    a photo, video or other original."""
    return tuple(sorted({suffix for reader in readers() for suffix in reader.suffixes}))


def reader_names() -> tuple[str, ...]:
    """What :func:`detect` tries, in order: named when a document is claimed by none."""
    return tuple(reader.name for reader in readers())


def detect(name: str, head: bytes) -> ExportReader | None:
    """The reader for a document, judged from its name and first ``SNIFF_BYTES``."""
    if not name.lower().endswith(export_suffixes()):
        return None
    head = utf8_head(head)
    for reader in readers():
        if reader.sniff(name, head):
            return reader
    return None
