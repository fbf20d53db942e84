"""Read stage: turn what the user points at into a stream of items, refusing what is unsafe."""

from geotrace.sources.archive import ZipLimits
from geotrace.sources.base import Item, Refusal
from geotrace.sources.folder import find_files, walk

__all__ = ["Item", "Refusal", "ZipLimits", "find_files", "walk"]
