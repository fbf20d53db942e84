"""Fixtures of the runner's and the executors' tests: the toy stage and a case of posts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geotrace import api
from geotrace.pipeline import registry
from tests.casekit import REPO
from tests.pipeline import toy_stage


@pytest.fixture
def toy() -> Iterator[toy_stage.TextLengths]:
    """The toy stage, registered as a plugin would be, for this test only."""
    registry.register(toy_stage.STAGE)
    yield toy_stage.STAGE
    registry.unregister(toy_stage.STAGE.name)


@pytest.fixture(scope="module")
def exports_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case of the demo's exports: posts with text (the toy stage's work)."""
    case = tmp_path_factory.mktemp("pipeline") / "posts.case"
    api.ingest([REPO / "demo" / "exports"], case)
    return case
