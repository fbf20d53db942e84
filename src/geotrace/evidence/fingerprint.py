"""Perceptual fingerprints of a picture: stage A of provenance (which files are copies).

Every picture is decoded once, small, and hashed twice over: its whole frame, and its
*content box*, the picture found inside a letterbox/pillarbox, a meme or news caption
band, or a phone screenshot's UI.  Each region gets PDQ (Meta, 256 bit + quality) with
its eight dihedral variants, so that a mirrored or quarter-turned copy is found by
comparing a query's variants with a stored variant 0, and a 64-bit pHash, which tolerates
the mild crops and small rotations PDQ misses entirely (research/provenance.md §3).

Why decode small: Pillow's JPEG *draft* mode scales in the DCT domain, 5x faster than a
full decode, and hashes need no more than a 128-px short side (the research note
measured decode + PDQ at 29 img/s full size, 323 img/s drafted).  Every picture, JPEG or
not, ends with a short side in [128, 256) (``MIN_SIDE``) through the same steps, since a
hash of a full decode and one of a draft of the same file differ by up to 80 PDQ bits:
stored and query hashes must come through one path, which ``VERSION`` names.

Hostile input (DESIGN rule 6): only raster formats Pillow decodes itself are opened (no
EPS/PostScript, which would start Ghostscript), pixel counts are capped before anything
is decoded, and every decoder failure becomes one :class:`ImageError` that the caller
records as a problem.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import pdqhash  # type: ignore[import-untyped]  # no stubs published
import PIL
from PIL import Image, UnidentifiedImageError

#: Changes whenever the output for the same bytes could change: decoder settings, hash
#: algorithms and their versions, the content-box heuristic.
VERSION: Final = (
    f"fp1 pillow{PIL.__version__.split('.')[0]} draft short[128,256) exif rgb/white-alpha "
    f"pdq(pdqhash {version('pdqhash')}) on area64 dihedral8 phash64(dct32 lanczos) box3"
)

#: PDQ's own working size: hashes are taken of the region area-reduced to this square.
PDQ_SIDE: Final = 64
AREA: Final = cv2.INTER_AREA

#: Short side the reduced image keeps at least (when the original has it).
MIN_SIDE: Final = 128
#: Refused outright, whatever the format (Pillow's own bomb limit is 2 x 89.5 MP).
MAX_PIXELS: Final = 180_000_000
#: A format decoded at full size (PNG, WebP, TIFF...) must fit this: 50 MP RGBA is 200 MB.
MAX_FULL_DECODE_PIXELS: Final = 50_000_000
#: Raster formats opened (JPEG includes MPO; HEIF when pillow-heif is registered); others
#: are refused: EPS would run Ghostscript, and rare plugins are rarely fuzzed.
FORMATS: Final = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF", "HEIF", "ICO")

#: A content box must keep this share of the frame's area, and differ from the frame by
#: at least ``BOX_MIN_CUT`` of a side, to be worth a second set of hashes.
BOX_MIN_AREA: Final = 0.15
BOX_MIN_CUT: Final = 0.03


class ImageError(ValueError):
    """The bytes are not a picture this stage can hash: undecodable, truncated, too many
    pixels or an unsupported format; the message says which."""


@dataclass(frozen=True, slots=True)
class Region:
    """The hashes of one rectangle of the upright picture.

    ``pdq`` is the eight dihedral variants, 32 bytes each (bits in ``np.packbits``
    order), variant 0 being the region as seen upright; the others are, in pdqhash's
    order, rotated 90/180/270 degrees, flipped vertically, horizontally, transposed and
    anti-transposed.  ``phash`` is unsigned (imagehash's bit order, first bit highest).
    """

    box: tuple[int, int, int, int]
    pdq: bytes
    quality: int
    phash: int


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A picture's regions; ``width``/``height`` are the upright full size."""

    width: int
    height: int
    frame: Region
    content: Region | None


# --------------------------------------------------------------------------- decoding

_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def decode(source: bytes | Path) -> tuple[Image.Image, tuple[int, int]]:
    """The picture upright, in RGB, reduced to a short side in [128, 256) (smaller
    pictures are kept as they are), and its upright full size.

    Raises :class:`ImageError` for anything that cannot be decoded.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns about corrupt EXIF or TIFF tags on stderr, once per call site:
            # noise in a batch of hostile files.  What matters is an exception (-> the
            # file's problem); its bomb *warning* is replaced by the limits below (its
            # bomb error still applies).
            warnings.simplefilter("ignore")
            fp = BytesIO(source) if isinstance(source, bytes | bytearray) else source
            with Image.open(fp, formats=_formats()) as im:
                return _decode_open(im)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"too many pixels: {exc}") from None
    except UnidentifiedImageError:
        raise ImageError("not a picture in a supported format") from None
    except FileNotFoundError as exc:
        raise ImageError(f"no such file: {exc.filename}") from None
    except MemoryError:
        raise ImageError("out of memory while decoding") from None
    except Exception as exc:  # any decoder failure on hostile bytes is the file's problem
        raise ImageError(f"cannot decode: {type(exc).__name__}: {exc}") from None


def _formats() -> list[str]:
    """``FORMATS`` that this Pillow has a decoder for (``Image.open`` fails on others)."""
    Image.init()
    return [f for f in FORMATS if f in Image.OPEN]


def _decode_open(im: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    width, height = im.size
    if width < 1 or height < 1:
        raise ImageError(f"empty picture ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageError(f"too many pixels: {width}x{height} > {MAX_PIXELS}")
    orientation = exif_orientation(im)
    if im.format in ("JPEG", "MPO"):
        scale = MIN_SIDE / min(width, height)
        if scale < 1:
            # Pillow picks the largest DCT scaling (1/2, 1/4, 1/8) still >= the request.
            want = (max(1, int(width * scale + 0.999)), max(1, int(height * scale + 0.999)))
            im.draft("RGB", want)
    elif width * height > MAX_FULL_DECODE_PIXELS:
        raise ImageError(
            f"too many pixels to decode in full: {width}x{height} {im.format}"
            f" > {MAX_FULL_DECODE_PIXELS}"
        )
    im.load()
    small = _shrink(_to_rgb(im))
    if orientation in _TRANSPOSE:
        small = small.transpose(_TRANSPOSE[orientation])
        if orientation >= 5:
            width, height = height, width
    return small, (width, height)


def exif_orientation(im: Image.Image) -> int:
    """EXIF orientation, 1 when absent or unreadable: a broken EXIF block must not cost
    the picture its fingerprint.  (Applied by hand rather than ``ImageOps.exif_transpose``,
    which also rewrites the EXIF block of the copy it returns: work thrown away here; the
    mapping is the same.)"""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any mode to 8-bit RGB.  Transparency is flattened onto white (what most platforms
    do when they turn a PNG into a JPEG); 16/32-bit and float greys are scaled, not
    clipped, so a 16-bit scan does not come out white."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode in ("P", "L", "RGB") and "transparency" in im.info
    ):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode.startswith("I") or mode == "F":
        a = np.asarray(im, dtype=np.float64)
        top = float(a.max()) if a.size else 0.0
        if mode == "F":
            low = float(a.min()) if a.size else 0.0
            a = (a - low) * (255.0 / max(top - low, 1e-12))
        elif top > 255:
            a = a / 257.0  # 16-bit range
        grey = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8))
        return grey.convert("RGB")
    return im.convert("RGB")


def _shrink(im: Image.Image) -> Image.Image:
    """Box-reduce by a power of two to a short side in [MIN_SIDE, 2*MIN_SIDE): the same
    step for a drafted JPEG and a fully decoded PNG, so both reach a comparable size."""
    short = min(im.size)
    factor = 1
    while short // (factor * 2) >= MIN_SIDE:
        factor *= 2
    return im.reduce(factor) if factor > 1 else im


# --------------------------------------------------------------------------- hashing


def fingerprint(source: bytes | Path) -> Fingerprint:
    """Decode and hash one picture (see :func:`decode`, :func:`fingerprint_image`)."""
    image, size = decode(source)
    return fingerprint_image(image, size)


def fingerprint_image(image: Image.Image, full_size: tuple[int, int]) -> Fingerprint:
    """The hashes of a decoded, upright picture (normally :func:`decode`'s small image;
    a larger one is reduced the same way first, so that hashes stay comparable).
    ``full_size`` is the upright size boxes are reported in."""
    small = _shrink(_to_rgb(image))
    rgb = np.asarray(small)
    grey = np.asarray(small.convert("L"))
    width, height = full_size
    frame = _region(rgb, grey, (0, 0, width, height))
    box = content_box(grey)
    content = None
    if box is not None:
        x0, y0, x1, y1 = box
        h, w = grey.shape
        full = (
            round(x0 * width / w),
            round(y0 * height / h),
            round(x1 * width / w),
            round(y1 * height / h),
        )
        content = _region(rgb[y0:y1, x0:x1], grey[y0:y1, x0:x1], full)
    return Fingerprint(width, height, frame, content)


def scaled(
    box: tuple[int, int, int, int], size: tuple[int, int], to: tuple[int, int]
) -> tuple[int, int, int, int]:
    """A box in pixels of an image of ``size`` as pixels of the same image at ``to``."""
    sx, sy = to[0] / size[0], to[1] / size[1]
    return round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)


def _region(
    rgb: npt.NDArray[np.uint8], grey: npt.NDArray[np.uint8], box: tuple[int, int, int, int]
) -> Region:
    # PDQ's first step reduces to 64 x 64 with a Jarosz box filter whose windows sit off
    # centre, so its dihedral variants are not the hashes of the turned picture: measured
    # 20-100 bits off for flips and quarter turns (0 only for the transpose), which lost
    # mirrored and turned copies at the hash stage.  An area reduction to 64 x 64 first is
    # symmetric, so all eight variants are exact (0 bits at any input size), and 3x
    # cheaper.  The hashes differ from reference PDQ of the full picture (10-70 bits on
    # the provenance set): they are compared with each other only, under ``VERSION``.
    square = cv2.resize(np.ascontiguousarray(rgb), (PDQ_SIDE, PDQ_SIDE), interpolation=AREA)
    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(square))
    bits = np.packbits(np.asarray(hashes, dtype=np.uint8), axis=1)
    return Region(box, bits.tobytes(), int(quality), phash(grey))


def _dct_matrix(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


#: Rows 0..7 of scipy.fftpack's unnormalised DCT-II for 32 points: only the 8x8 lowest
#: frequencies are kept, so only they are computed.
_DCT8: Final = _dct_matrix(32)[:8]


def phash(grey: npt.NDArray[np.uint8]) -> int:
    """64-bit pHash: greyscale, Lanczos to 32x32, DCT, the 8x8 lowest frequencies
    above their median; unsigned, first coefficient in the highest bit (imagehash's
    order).

    Why not imagehash itself: it runs two full 32x32 scipy DCTs; two 8x32 matrix
    products give the same coefficients (the tests check against scipy), and Pillow's
    ``reducing_gap`` pre-reduction makes the resize cheap.  Measured on the benchmark
    set's decoded images, one core: 0.31 ms against imagehash.phash's 0.72 ms; the bits
    equal imagehash's for 79 % of pictures, median 0 and 95th percentile 2 bits apart
    (the pre-reduction), far inside the 10-bit match threshold.
    """
    small = Image.fromarray(np.ascontiguousarray(grey)).resize(
        (32, 32), Image.Resampling.LANCZOS, reducing_gap=2.0
    )
    pixels = np.asarray(small, dtype=np.float64)
    low = _DCT8 @ pixels @ _DCT8.T
    bits = (low > np.median(low)).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


# --------------------------------------------------------------------------- content box


def content_box(grey: npt.NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    """The picture inside bars, caption bands or a screenshot's UI, as (x0, y0, x1, y1)
    in pixels of ``grey``; None when it is the whole frame (or nothing convincing).

    Bands are peeled from each edge: a band starts with a flat row (its colour) and
    goes on while rows keep a fair share of that colour (text and icons are sparse in
    a band), across a line of text that interrupts it; up to three bands of different
    colours are peeled from one edge (status bar, then app header).  Rows first (caption
    bands, letterboxes, screenshot UI), then columns within them (pillarboxes,
    margins), then rows again within those columns.

    Why this and not the research note's 2-D search (14 ms per picture): a median and a
    comparison per row, vectorised, on a half-size copy of the ~50k-pixel decoded image:
    0.39 ms per picture on the benchmark set.  Measured there (stage A, frame and box,
    PDQ dihedral <= 31 or pHash <= 10), recall on borders 0.07 -> 0.79, phone
    screenshots 0.00 -> 0.74, caption bands 0.06 -> 0.88; false pairs 35 -> 45, the new
    ones other shots of a scene (stereo pairs, next video frames) and one diagram made
    from a source photo, which stage B's pixel check is there to sort out.  A
    flat sky or a white studio background is peeled too; it is peeled the same way from
    every copy, and the frame's hashes are kept beside the box's.
    """
    h, w = grey.shape
    if h < 32 or w < 32:
        return None
    step = 2 if min(h, w) >= 2 * 48 else 1
    g = grey[: h - h % step, : w - w % step]
    if step > 1:
        g = np.asarray(Image.fromarray(np.ascontiguousarray(g)).reduce(step))
    y0, y1 = _picture_run(g)
    x0, x1 = _picture_run(g[y0:y1].T)
    y0b, y1b = _picture_run(g[y0:y1, x0:x1])
    y0, y1 = y0 + y0b, y0 + y1b
    x0, y0 = x0 * step, y0 * step
    x1 = w if x1 == g.shape[1] else x1 * step
    y1 = h if y1 == g.shape[0] else y1 * step
    bw, bh = x1 - x0, y1 - y0
    if bw < 32 or bh < 32 or bw * bh < BOX_MIN_AREA * w * h:
        return None
    if max(x0, w - x1) < BOX_MIN_CUT * w and max(y0, h - y1) < BOX_MIN_CUT * h:
        return None
    return x0, y0, x1, y1


#: A band starts with a row whose ``_START_SHARE`` of pixels lie within ``_TOL`` grey levels
#: of its median (its colour); it goes on while rows keep ``_KEEP_SHARE`` of that colour
#: (text and icons are sparse in a band).  Up to ``_ROUNDS`` bands of different colours
#: are peeled from one edge (a phone's status bar, then the app's header).
_TOL: Final = 8
_START_SHARE: Final = 0.9
_KEEP_SHARE: Final = 0.3
_ROUNDS: Final = 3
#: Longest interruption of a band (a line of text), as a share of the side.
_GAP: Final = 0.1
#: A peel stops at this share of the side.
_PEEL_MAX: Final = 0.6


def _picture_run(g: npt.NDArray[np.uint8]) -> tuple[int, int]:
    """[start, end): the rows of ``g`` left once bands are peeled off both ends."""
    n = g.shape[0]
    if n == 0 or g.shape[1] == 0:
        return 0, n
    start = _peel(g)
    end = n - _peel(g[::-1])
    return (start, end) if end > start else (0, n)


def _peel(g: npt.NDArray[np.uint8]) -> int:
    """How many rows from the start of ``g`` are bands."""
    n = g.shape[0]
    limit = int(_PEEL_MAX * n)
    at = 0
    for _ in range(_ROUNDS):
        if at >= limit:
            break
        row = g[at].astype(np.int16)
        colour = np.median(row)
        if np.mean(np.abs(row - colour) <= _TOL) < _START_SHARE:
            break
        rest = np.abs(g[at:limit].astype(np.int16) - np.int16(colour)) <= _TOL
        # A band spans the row: its colour is in the middle third too, where a
        # pillarbox's bars (the same colour at both ends of every row) are not.
        third = rest.shape[1] // 3
        near = (rest.mean(axis=1) >= _KEEP_SHARE) & (
            rest[:, third : rest.shape[1] - third].mean(axis=1) >= _KEEP_SHARE
        )
        # A line of text, smeared grey at this size, may interrupt the band: a run of
        # up to ``_GAP`` other rows is crossed when the band's colour comes back after it.
        rows = np.flatnonzero(near)
        breaks = np.flatnonzero(np.diff(rows) > _GAP * n + 1)
        end = at + int(rows[breaks[0]] if len(breaks) else rows[-1]) + 1
        if end >= limit and at > 0:
            # A second band that never ends is the picture itself (a white-backed
            # drawing, a smooth grey surface, a brick wall's mortar) behind the page's
            # own band: keep what was peeled before it.
            break
        at = end
    return min(at, limit)
