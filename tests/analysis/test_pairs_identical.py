"""The pairs stage's identical-pixel shortcut: real camera JPEGs whose metadata alone differs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from geotrace.analysis import pairs_stage
from geotrace.analysis.pairs_stage import IDENTICAL, Pair, check_page, coded_digest, same_pixels
from tests.conftest import SHARED, require_shared

JPEG = SHARED / "corpora" / "photos" / "jpeg"
ORIGINAL = JPEG / "exifpy__DSCN0021.jpg"  # Nikon, GPS in Tuscany
OTHER = JPEG / "exifpy__DSCN0040.jpg"  # same camera, another photo


def _app1(orientation: int, make: str) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = make
    payload = exif.tobytes()
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def _respliced(source: Path, orientation: int = 1, make: str = "Reposted") -> bytes:
    """``source`` with an EXIF block of its own spliced in after SOI (its scan data byte
    for byte: what a platform that edits metadata serves), and a comment appended."""
    data = source.read_bytes()
    comment = b"edited by a bot"
    com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + _app1(orientation, make) + com + data[2:]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose local features the stage computes, in order."""
    calls: list[str] = []

    def kept(path: str) -> object:
        calls.append(path)
        return pairs_stage.features_or_none(Path(path))

    monkeypatch.setattr(pairs_stage, "kept_features", kept)
    return calls


def _pair(a: Path, b: Path, plain: bool = False) -> Pair:
    """A pair of the stage's work; the digests stand for the stored files' names."""
    return (f"0{a.name}", str(a), f"1{b.name}", str(b), 0, plain)


def test_metadata_only_copy_is_called_identical_without_features(
    tmp_path: Path, counted: list[str]
) -> None:
    require_shared(ORIGINAL)
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(_respliced(ORIGINAL))
    assert copy.read_bytes() != ORIGINAL.read_bytes()
    assert coded_digest(str(copy)) == coded_digest(str(ORIGINAL)) is not None
    ((_, _, verdict),) = check_page([_pair(ORIGINAL, copy)])
    assert verdict == IDENTICAL
    assert verdict["relation"] == "copy"
    assert counted == []  # no features, no pixel check


def test_other_pixels_or_orientation_or_plain_go_to_the_check(
    tmp_path: Path, counted: list[str]
) -> None:
    require_shared(OTHER)
    turned = tmp_path / "turned.jpg"
    turned.write_bytes(_respliced(ORIGINAL, orientation=6))
    reencoded = tmp_path / "reencoded.jpg"
    with Image.open(ORIGINAL) as im:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90)
    reencoded.write_bytes(buf.getvalue())
    same = tmp_path / "same.jpg"
    same.write_bytes(_respliced(ORIGINAL))
    # Same scan data, turned by its EXIF: the pixel check says how.
    assert not same_pixels(str(ORIGINAL), str(turned))
    assert coded_digest(str(reencoded)) != coded_digest(str(ORIGINAL))
    assert coded_digest(str(OTHER)) != coded_digest(str(ORIGINAL))
    pairs = [_pair(ORIGINAL, turned), _pair(ORIGINAL, reencoded), _pair(ORIGINAL, same, True)]
    verdicts = check_page(pairs)
    assert all(v != IDENTICAL for _, _, v in verdicts)
    assert [v["relation"] for _, _, v in verdicts] == ["copy", "copy", "copy"]
    assert set(counted) == {str(ORIGINAL), str(turned), str(reencoded), str(same)}


def test_not_a_jpeg_or_cut_short_has_no_digest(tmp_path: Path) -> None:
    require_shared(ORIGINAL)
    png = tmp_path / "a.png"
    with Image.open(ORIGINAL) as im:
        im.save(png)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(ORIGINAL.read_bytes()[:-2000])
    assert coded_digest(str(png)) is None
    assert coded_digest(str(cut)) is None
    assert coded_digest(str(tmp_path / "missing.jpg")) is None
