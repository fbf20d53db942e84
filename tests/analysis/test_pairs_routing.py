"""The copy search's checks partitioned by component: each picture's features on one worker."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from geotrace import api
from geotrace.analysis import find_copies, pairs_stage
from geotrace.analysis.copy_components import MAX_PIECES, plan
from geotrace.pipeline.executors import Failed, Local, Task
from geotrace.pipeline.runner import open_case
from tests.conftest import SHARED, require_shared

JPEG = SHARED / "corpora" / "photos" / "jpeg"
PHOTOS = [
    "exifpy__DSCN0021.jpg",
    "exifpy__DSCN0040.jpg",
    "exiv2__FurnaceCreekInn.jpg",
    "photoprism__cat_brown.jpg",
]
OTHERS = ["photoprism__beach_sand.jpg", "photoprism__ferriswheel_colorful.jpg"]


class TwoWorkers(Local):
    """Runs here, but counts features as two workers would: once per (worker, picture)
    that a routed task of the pairs stage touches (each worker keeps its own)."""

    workers = 2

    def __init__(self) -> None:
        self.seen: dict[str, set[int]] = defaultdict(set)
        #: The same, had each run of 8 pairs in (a, b) order gone by its first picture.
        self.by_first: dict[str, set[int]] = defaultdict(set)

    def map(
        self, fn: Task, tasks: Sequence[Sequence[Any]], routes: Sequence[int | None] | None = None
    ) -> list[list[Any] | Failed]:
        for task, route in zip(tasks, routes or [None] * len(tasks), strict=True):
            assert route is not None
            for a, _, b, _, _, _ in task:
                self.seen[a].add(route % self.workers)
                self.seen[b].add(route % self.workers)
        pairs = sorted((p[0], p[2]) for task in tasks for p in task)
        for start in range(0, len(pairs), 8):
            worker = int(pairs[start][0][:8], 16) % self.workers
            for a, b in pairs[start : start + 8]:
                self.by_first[a].add(worker)
                self.by_first[b].add(worker)
        return super().map(fn, tasks, routes)


def _variants(path: Path, folder: Path, stem: str) -> None:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        for name, image in (
            ("small", rgb.resize((w // 2, h // 2))),
            ("crop", rgb.crop((w // 10, h // 10, w, h))),
            ("grey", rgb.convert("L")),
        ):
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=80)
            (folder / f"{stem}_{name}.jpg").write_bytes(buf.getvalue())


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four photos, each with three copies (half size, cropped, grey), and two others."""
    require_shared(JPEG)
    tmp_path = tmp_path_factory.mktemp("routing")
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(PHOTOS):
        (folder / f"p{i}.jpg").write_bytes((JPEG / name).read_bytes())
        _variants(JPEG / name, folder, f"p{i}")
    for name in OTHERS:
        (folder / name).write_bytes((JPEG / name).read_bytes())
    path = tmp_path / "c.case"
    api.ingest([folder], path, executor="local")
    return path


def _searched(case: Path, deep: bool) -> tuple[find_copies.Found, TwoWorkers]:
    pool = TwoWorkers()
    with open_case(case, write=True) as opened:
        opened.db.execute("DELETE FROM verified_pairs")
        return find_copies.find_all(opened, pool, deep), pool


def test_each_component_is_checked_on_one_worker(case: Path) -> None:
    """The hash matches alone: four components, two a worker, each picture's features
    computed once (routed by first picture, as before, 9 of the 16 went to both)."""
    found, pool = _searched(case, deep=False)
    assert sorted(len(g) for g in found.groups) == [3, 3, 3, 3]  # crops: by layout
    assert len(pool.seen) == 12
    assert all(len(workers) == 1 for workers in pool.seen.values())
    assert {w for workers in pool.seen.values() for w in workers} == {0, 1}  # both used
    assert pairs_stage.STAGE.route([("a", "", "b", "", 5 * MAX_PIECES + 1, False)]) == 1


def test_with_layout_candidates_few_pictures_go_to_both(case: Path) -> None:
    """With the layout candidates the graph is one component (every picture meets its
    three nearest): cut in two, a few pictures are computed on both workers."""
    found, pool = _searched(case, deep=True)
    assert sorted(len(g) for g in found.groups) == [4, 4, 4, 4]
    twice = sum(len(workers) - 1 for workers in pool.seen.values())
    old = sum(len(workers) - 1 for workers in pool.by_first.values())
    assert twice < old


def test_a_huge_component_is_split_evenly_and_small_ones_kept_whole() -> None:
    chain = np.array([(i, i + 1) for i in range(999)])  # one component of 1,000
    parts = plan(1000, chain, 4, block=100)
    pieces = parts % MAX_PIECES
    assert np.bincount(pieces).tolist() == [250, 250, 250, 250]
    cut = (pieces[chain[:, 0]] != pieces[chain[:, 1]]).sum()
    assert cut == 3  # a chain cut in four
    assert np.unique(parts // MAX_PIECES).tolist() == [0, 1, 2]  # blocks of 100
    groups = np.array([(a, a + 1) for a in range(0, 400, 4) for _ in (0,)])  # 100 pairs
    pieces = plan(400, groups, 2) % MAX_PIECES
    assert all(pieces[a] == pieces[b] for a, b in groups)
    assert abs(int((pieces[groups[:, 0]] == 0).sum()) - 50) <= 13
