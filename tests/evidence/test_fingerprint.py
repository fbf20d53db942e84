"""Fingerprints on real photos: copies match their original, other photos do not,
and hostile or odd files either hash or fail with ImageError."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw
from scipy.fftpack import dct

from geotrace.evidence.fingerprint import (
    VERSION,
    Fingerprint,
    ImageError,
    Region,
    content_box,
    decode,
    fingerprint,
    fingerprint_image,
    phash,
)
from tests.conftest import PHOTOS, require_shared

#: The stage-A rule the index applies (research/provenance.md §0): a query's 8 PDQ
#: variants against a stored variant 0 within 31 bits, or pHash within 10 bits, over
#: every pairing of frame and content box.
PDQ_MAX, PHASH_MAX = 31, 10

PHOTO = "jpeg/exifpy__DSCN0021.jpg"
OTHER = "jpeg/photoprism__beach_sand.jpg"
SIDEWAYS = "jpeg/mei__Samsung GT-I9000 (Galaxy S).jpg"  # EXIF orientation 6


def _regions(fp: Fingerprint) -> list[Region]:
    return [fp.frame] if fp.content is None else [fp.frame, fp.content]


def _pdq(query: Region, stored: Region) -> int:
    variants = np.frombuffer(query.pdq, np.uint8).reshape(8, 32)
    upright = np.frombuffer(stored.pdq, np.uint8)[:32]
    return int(np.unpackbits(variants ^ upright, axis=1).sum(axis=1).min())


def distances(query: Fingerprint, stored: Fingerprint) -> tuple[int, int]:
    """Smallest PDQ (dihedral) and pHash distance over all region pairings."""
    pairs = [(a, b) for a in _regions(query) for b in _regions(stored)]
    return (
        min(_pdq(a, b) for a, b in pairs),
        min((a.phash ^ b.phash).bit_count() for a, b in pairs),
    )


def matches(query: Fingerprint, stored: Fingerprint) -> bool:
    d_pdq, d_phash = distances(query, stored)
    return d_pdq <= PDQ_MAX or d_phash <= PHASH_MAX


def _jpeg(im: Image.Image, quality: int = 90, **kw: object) -> bytes:
    out = BytesIO()
    im.save(out, "JPEG", quality=quality, **kw)
    return out.getvalue()


def _png(im: Image.Image) -> bytes:
    out = BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    path = require_shared(PHOTOS) / PHOTO
    with Image.open(path) as im:
        return im.convert("RGB")


@pytest.fixture(scope="module")
def original(photo: Image.Image) -> Fingerprint:
    return fingerprint(require_shared(PHOTOS) / PHOTO)


def _caption(im: Image.Image) -> Image.Image:
    w, h = im.size
    band = h // 4
    canvas = Image.new("RGB", (w, h + band), (255, 255, 255))
    canvas.paste(im, (0, band))
    ImageDraw.Draw(canvas).text((10, band // 3), "WHEN THE PHOTO GOES VIRAL", fill=(0, 0, 0))
    return canvas


def _border(im: Image.Image) -> Image.Image:
    w, h = im.size
    canvas = Image.new("RGB", (w, w * 16 // 9), (0, 0, 0))  # phone letterbox
    canvas.paste(im, (0, (canvas.height - h) // 2))
    return canvas


COPIES = {
    "resize": lambda im: _jpeg(
        im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    ),
    "jpeg q30": lambda im: _jpeg(im, quality=30),
    "mirror": lambda im: _jpeg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    "quarter turn": lambda im: _jpeg(im.transpose(Image.Transpose.ROTATE_90)),
    "png": lambda im: _png(im),
    "border": lambda im: _jpeg(_border(im)),
    "caption": lambda im: _jpeg(_caption(im)),
}


@pytest.mark.parametrize("kind", COPIES)
def test_copy_matches_original(photo: Image.Image, original: Fingerprint, kind: str) -> None:
    copy = fingerprint(COPIES[kind](photo))
    assert matches(copy, original), (kind, distances(copy, original))


@pytest.mark.parametrize("kind", ["border", "caption"])
def test_content_box_finds_the_picture(photo: Image.Image, kind: str) -> None:
    """Without the content box these copies are random to both hashes (research §3.2),
    so the box must be found, in full-size pixels, close to where the photo was pasted."""
    canvas = _border(photo) if kind == "border" else _caption(photo)
    fp = fingerprint(_jpeg(canvas))
    assert fp.content is not None
    x0, y0, x1, y1 = fp.content.box
    top = (canvas.height - photo.height) // 2 if kind == "border" else photo.height // 4
    tol = 0.03 * canvas.height
    assert abs(y0 - top) <= tol and abs(y1 - (top + photo.height)) <= tol
    assert x0 <= 0.03 * canvas.width and x1 >= 0.97 * canvas.width
    assert (fp.width, fp.height) == canvas.size


def test_other_photo_does_not_match(original: Fingerprint) -> None:
    other = fingerprint(require_shared(PHOTOS) / OTHER)
    d_pdq, d_phash = distances(other, original)
    assert d_pdq > PDQ_MAX and d_phash > PHASH_MAX, (d_pdq, d_phash)


def test_plain_photo_has_no_content_box(original: Fingerprint) -> None:
    assert original.content is None
    assert original.frame.box == (0, 0, original.width, original.height) == (0, 0, 640, 480)


def test_exif_orientation_is_applied(photo: Image.Image, original: Fingerprint) -> None:
    """A sideways original with an orientation tag is the same picture as a copy
    re-encoded upright (what a platform does when it strips EXIF)."""
    sideways = photo.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    tagged = fingerprint(_jpeg(sideways, exif=exif.tobytes()))
    assert (tagged.width, tagged.height) == photo.size
    assert distances(tagged, original)[0] <= 10  # upright: variant 0 already agrees
    assert _pdq(tagged.frame, original.frame) == distances(tagged, original)[0]


def test_real_sideways_photo_is_decoded_upright() -> None:
    path = require_shared(PHOTOS) / SIDEWAYS
    image, size = decode(path)
    with Image.open(path) as im:
        assert im.size == (640, 480)
        upright = im.convert("RGB").transpose(Image.Transpose.ROTATE_270)
    assert size == (480, 640) and image.height > image.width
    assert matches(fingerprint(_jpeg(upright)), fingerprint(path))


def test_dihedral_variant_zero_is_pdq_of_the_area_reduced_picture(photo: Image.Image) -> None:
    image, _ = decode(_jpeg(photo))
    fp = fingerprint(_jpeg(photo))
    square = image.resize((64, 64), Image.Resampling.BOX)  # area reduction, as cv2's
    bits, _ = pdqhash.compute(np.asarray(square))
    assert _bits_apart(fp.frame.pdq[:32], np.packbits(bits.astype(np.uint8)).tobytes()) <= 8
    assert fp.frame.quality >= 50 and len(fp.frame.pdq) == 8 * 32


def _bits_apart(x: bytes, y: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(x, np.uint8) ^ np.frombuffer(y, np.uint8)).sum())


@pytest.mark.parametrize("turn", list(Image.Transpose), ids=lambda t: t.name)
def test_every_dihedral_variant_is_the_hash_of_the_turned_picture(
    photo: Image.Image, turn: Image.Transpose
) -> None:
    """pdqhash's own variants are 20-100 bits off the hash of a flipped or quarter-turned
    picture; hashed after an area reduction they are exact, so a mirrored or turned copy
    is as close as an untouched one."""
    image, size = decode(_jpeg(photo))
    upright = fingerprint_image(image, size).frame.pdq
    turned = fingerprint_image(image.transpose(turn), size).frame.pdq[:32]
    variants = [upright[k * 32 : (k + 1) * 32] for k in range(8)]
    assert min(_bits_apart(turned, v) for v in variants) == 0


def test_decode_is_small(photo: Image.Image) -> None:
    image, size = decode(_jpeg(photo.resize((2560, 1920))))
    assert size == (2560, 1920)
    assert image.mode == "RGB" and 128 <= min(image.size) < 256


def test_phash_is_the_dct_phash(photo: Image.Image) -> None:
    """Our matrix DCT gives the bits of the textbook pHash (scipy's DCT, as imagehash)."""
    grey = np.asarray(photo.convert("L").reduce(4))
    small = Image.fromarray(grey).resize((32, 32), Image.Resampling.LANCZOS, reducing_gap=2.0)
    low = dct(dct(np.asarray(small, dtype=np.float64), axis=0), axis=1)[:8, :8]
    bits = (low > np.median(low)).ravel()
    assert phash(grey) == int("".join("1" if b else "0" for b in bits), 2)


def test_truncated_jpeg_raises_image_error(photo: Image.Image) -> None:
    data = _jpeg(photo)
    with pytest.raises(ImageError, match=r"cannot decode|truncated"):
        fingerprint(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data",
    [b"", b"not a picture at all", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"],
    ids=["empty", "text", "eps"],
)
def test_non_pictures_raise_image_error(data: bytes) -> None:
    with pytest.raises(ImageError):
        fingerprint(data)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds almost nothing: what a decompression bomb
    looks like to the header check."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [8_000, 30_000])  # over our full-decode cap; over Pillow's
def test_too_many_pixels_raise_image_error(side: int) -> None:
    with pytest.raises(ImageError, match="too many pixels"):
        fingerprint(_png_header_only(side, side))


def test_missing_file_raises_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        fingerprint(tmp_path / "gone.jpg")


def test_png_with_alpha_and_greyscale_work(photo: Image.Image, original: Fingerprint) -> None:
    rgba = photo.convert("RGBA")
    rgba.putalpha(255)
    grey = photo.convert("L")
    grey16 = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)  # 16-bit scan
    for im in (rgba, grey, grey16):
        fp = fingerprint(_png(im))
        assert (fp.width, fp.height) == photo.size
        assert matches(fp, original), (im.mode, distances(fp, original))
    # A transparent PNG is flattened onto white, not onto black garbage.
    clear = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image, _ = decode(_png(clear))
    assert np.asarray(image).min() == 255


def test_palette_and_cmyk_work(photo: Image.Image, original: Fingerprint) -> None:
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    cmyk = photo.convert("CMYK")
    for data in (_png(palette), _jpeg(cmyk)):
        fp = fingerprint(data)
        assert matches(fp, original), distances(fp, original)


def test_content_box_none_on_tiny_or_flat() -> None:
    assert content_box(np.zeros((20, 20), np.uint8)) is None
    assert content_box(np.full((200, 300), 255, np.uint8)) is None


def test_version_names_the_algorithms() -> None:
    assert "pdq" in VERSION and "phash" in VERSION and "draft" in VERSION
