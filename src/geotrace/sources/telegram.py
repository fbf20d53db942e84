"""(being written)"""

from __future__ import annotations

from geotrace.sources.exports import ExportReader

READERS: tuple[ExportReader, ...] = ()
