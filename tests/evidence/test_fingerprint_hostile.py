"""The fingerprint stage on hostile bytes: every file of the corpus, and fuzzed pictures.

One bad file must cost only itself: ``fingerprint_one`` never raises, and a file it
cannot decode comes back with the reason, never with made-up regions.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from geotrace.evidence.fingerprint_stage import fingerprint_one
from tests.conftest import PHOTOS, require_shared


def test_every_file_of_the_corpus_gets_regions_or_a_reason() -> None:
    """168 real files: photos, HEIC, RAW, videos, fuzzer output, truncated files."""
    root = require_shared(PHOTOS)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".json")
    assert len(files) > 100
    done = {"regions": 0, "error": 0}
    for path in files:
        kind = (
            "video" if "video" in path.parts or path.suffix.lower() in {".mp4", ".mov"} else "image"
        )
        fp = fingerprint_one(("x", kind, str(path)))
        assert (fp.error is None) == bool(fp.regions), (path, fp.error)
        done["error" if fp.error else "regions"] += 1
    assert done["regions"] > 80 and done["error"] > 10


def _jpeg() -> bytes:
    image = Image.radial_gradient("L").convert("RGB").resize((160, 120))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


SEED = _jpeg()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, len(SEED)),
    flips=st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=12),
    junk=st.binary(max_size=64),
)
def test_mangled_pictures_never_raise(
    tmp_path_factory: object, cut: int, flips: list[tuple[int, int]], junk: bytes
) -> None:
    data = bytearray(SEED)
    for at, value in flips:
        data[at] = value
    mangled = bytes(data[:cut]) + junk
    path = tmp_path_factory.mktemp("f") / "x.jpg"  # type: ignore[attr-defined]
    path.write_bytes(mangled)
    fp = fingerprint_one(("x", "image", str(path)))
    assert (fp.error is None) == bool(fp.regions)
    if fp.error is None:
        assert fp.width and fp.height and fp.descriptor and len(fp.regions[0].pdq) == 256
