"""The inspect API: the same answers, in the same order, whatever the parallelism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from geotrace import api
from geotrace.evidence import FileReport, report_to_json
from tests.conftest import PHOTOS, require_shared


def test_parallel_and_serial_inspect_agree_line_for_line(tmp_path: Path) -> None:
    require_shared()
    # Enough files to take the process-pool path (api.PARALLEL_FROM), from every folder.
    sources = sorted(p for p in PHOTOS.glob("*/*") if p.is_file() and p.suffix != ".json")
    for i, src in enumerate(sources[: api.PARALLEL_FROM + 40]):
        shutil.copyfile(src, tmp_path / f"{i:03d}{src.suffix}")
    serial = list(api.inspect_json([tmp_path], workers=1))
    parallel = list(api.inspect_json([tmp_path], workers=2))
    assert len(serial) == api.PARALLEL_FROM + 40
    assert serial == parallel
    reports = [r for r in api.inspect([tmp_path], workers=2) if isinstance(r, FileReport)]
    assert [json.dumps(report_to_json(r), ensure_ascii=False) for r in reports] == serial
    paths = [json.loads(line)["path"] for line in serial if isinstance(line, str)]
    assert paths == sorted(paths)
