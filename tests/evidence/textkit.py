"""The shared corpus of real Russian and Ukrainian posts, for the text finders' tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import require_shared

POSTS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "text" / "posts.jsonl"


def corpus_texts(ids: set[str] | None = None) -> dict[str, str]:
    """Texts by id (two ids occur twice in the corpus; the tests use neither); skips with
    the reason when the shared corpus is absent."""
    require_shared(POSTS)
    found: dict[str, str] = {}
    with POSTS.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if ids is None or row["id"] in ids:
                found[row["id"]] = row["text"]
    return found
