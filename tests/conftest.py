"""Shared fixtures: where ../shared lives, and skipping cleanly when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PHOTOS = SHARED / "corpora" / "photos"


def require_shared(path: Path = PHOTOS) -> Path:
    """Skip (with the reason) when the shared corpus is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"{path} is absent: clone the project beside ../shared to run this test")
    return path
