"""The layout candidate index: its recall against the exact search on real descriptors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from geotrace.analysis import copies
from geotrace.analysis.candidates import nearest
from geotrace.evidence.layout import layout
from tests.conftest import SHARED, require_shared

JPEG = SHARED / "corpora" / "photos" / "jpeg"


@pytest.fixture(scope="module")
def real() -> npt.NDArray[np.float64]:
    """The layout descriptors of the shared corpus's photos of 300 px or more (as unit
    vectors), computed as the ingest does, from a small decode."""
    require_shared(JPEG)
    out = []
    for path in sorted(JPEG.glob("*.jp*g")):
        try:
            with Image.open(path) as im:
                if min(im.size) < 300:
                    continue
                im.draft("RGB", (256, 256))
                small = im.convert("RGB")
        except OSError:  # the corpus's truncated samples
            continue
        small.thumbnail((256, 256))
        out.append(np.frombuffer(layout(small), np.uint8))
    assert len(out) >= 20
    return np.array(out, dtype=np.float64) / 255.0


def _replicated(real: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.uint8]:
    """``n`` descriptors: noisy copies of the real ones (cosine ~0.97-0.9997 to theirs),
    and blends of two real ones (other pictures like them), half each."""
    rng = np.random.default_rng(7)
    half = n // 2
    base = real[rng.integers(0, len(real), half)]
    copies_ = base + rng.normal(0, 1, base.shape) * rng.uniform(0.002, 0.02, (half, 1))
    one, two = (
        real[rng.integers(0, len(real), n - half)],
        real[rng.integers(0, len(real), n - half)],
    )
    w = rng.uniform(0, 1, (n - half, 1))
    blends = w * one + (1 - w) * two + rng.normal(0, 0.01, one.shape)
    v = np.maximum(np.concatenate([copies_, blends]), 0)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.round(v * 255).astype(np.uint8)


def test_the_index_finds_the_exact_nearest(real: npt.NDArray[np.float64]) -> None:
    data = _replicated(real, 4000)
    x = data.astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    scores = x @ x.T
    kth = -np.partition(-scores, 3, axis=1)[:, 3]  # the exact 4th best (itself first)
    found = nearest(data, 20)
    assert found.shape == (4000, 20)
    got = np.take_along_axis(scores, found[:, :4], axis=1)
    recall = float((got >= kth[:, None] - 1e-6).mean())
    assert recall >= 0.95
    assert np.array_equal(found, nearest(data, 20))  # seeded: the same case, the same pairs


def test_candidate_pairs_through_the_index_match_the_exact(
    real: npt.NDArray[np.float64], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above EXACT_UP_TO the candidates come from the index: as close as the exact ones
    (within a copy's cluster many are equally close, so the pairs themselves differ)."""
    data = _replicated(real, 2000)
    table = _Table([bytes(row) for row in data])
    joined = np.arange(2000)
    exact = copies.candidate_pairs(table, joined, 3)  # type: ignore[arg-type]
    monkeypatch.setattr(copies, "EXACT_UP_TO", 1000)
    indexed = copies.candidate_pairs(table, joined, 3)  # type: ignore[arg-type]
    x = data.astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)

    def closeness(pairs: list[tuple[int, int, int]]) -> float:
        a, b = np.array([(a, b) for a, b, _ in pairs]).T
        return float(np.einsum("ij,ij->i", x[a], x[b]).mean())

    assert indexed != exact
    assert abs(len(indexed) - len(exact)) <= 0.05 * len(exact)
    assert closeness(indexed) >= closeness(exact) - 0.002


class _Table:
    """What the candidate search reads of a print table: the descriptors."""

    def __init__(self, descriptors: list[bytes]) -> None:
        self.descriptors = descriptors
