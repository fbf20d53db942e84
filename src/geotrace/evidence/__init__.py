"""Evidence stage: what a file itself says about where, when and by what it was made."""

from geotrace.evidence.reader import FileReport, read_buffer, read_file, report_to_json

__all__ = ["FileReport", "read_buffer", "read_file", "report_to_json"]
