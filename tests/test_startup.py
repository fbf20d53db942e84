"""Start-up: a command loads what it uses, not every stage's libraries (issue 15, point 10).

Measured before: every command imported OpenCV, NumPy, Shapely and Pillow at start (117 MiB
for ``inspect`` of one file).  Each check runs a fresh interpreter, as a user's shell does.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.casekit import DEMO

HEAVY = ("numpy", "cv2", "shapely", "PIL", "scipy", "pyarrow", "ijson")
#: What ``inspect --json`` off a terminal has no use for either: the case store, Rich's
#: progress bar and tables, the ElementTree parser XMP was once read with.
NOT_FOR_INSPECT = (
    "geotrace.store.case",
    "geotrace.store.media",
    "msgspec",
    "rich.progress",
    "rich.table",
    "xml.etree.ElementTree",
)

_PROBE = """
import json, sys
from geotrace.cli import app
heavy = json.loads(sys.argv[2])
sys.argv = ["geotrace", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``modules`` a fresh process has imported once ``geotrace ARGS`` has run."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args)), json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [("--help",), ("ingest", "--help"), ("map", "--help")])
def test_help_loads_no_numerical_library(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []


def test_inspect_of_one_photo_loads_no_numerical_library() -> None:
    photo = next(p for p in sorted(DEMO.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg"))
    assert _loaded("inspect", "--json", str(photo)) == []


def test_inspect_json_loads_only_the_reader() -> None:
    """Each module cost milliseconds of every ``inspect`` (~20 ms of ~145 together)."""
    assert _loaded("inspect", "--json", str(DEMO), modules=NOT_FOR_INSPECT) == []


def test_the_api_module_alone_loads_no_numerical_library() -> None:
    code = "import sys, geotrace.api; print(sorted(m for m in {} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code.format(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "[]"
