"""PDQ quality of blank, near-blank and soft pictures: where ``copies.PLAIN_QUALITY`` lies.

A hash match of a region under ``PLAIN_QUALITY`` is never taken on the hash (every blank
picture hashes like every other of its shade), while a blurred photo with too few
keypoints for the pixel check still is.  This prints, per picture, the PDQ quality of
its frame (and content box), its ORB keypoints (what the pixel check has to work with)
and the standard deviation of its grey levels, for: blank pictures built here, near-blank
ones (a flat colour under JPEG noise, a page with a logo or a line of text, a noisy dark
frame), a real video's near-white frame, a shared photo under growing Gaussian blur, and
a summary of the shared photos (blank samples apart); with ``--set`` (a set built by
``../shared/bench/provenance_set.py``), its least detailed files.

Run:  .venv/bin/python bench/plain.py [--set DIR]
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from geotrace.analysis.copies import PLAIN_QUALITY
from geotrace.analysis.verify import local_features
from geotrace.evidence.fingerprint import ImageError, decode, fingerprint_image
from geotrace.evidence.keyframes import keyframes
from scoring import markdown_table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "photos"
BLURRED = SHARED / "jpeg" / "exifpy__DSCN0021.jpg"
NEAR_WHITE_CLIP = SHARED / "video" / "mei__sample.3gp"  # its frame at 1.233 s


def measure(image: Image.Image, size: tuple[int, int]) -> list[str]:
    """Frame quality, content-box quality, keypoints, grey standard deviation."""
    fp = fingerprint_image(image, size)
    keys = len(local_features(image, size).plain.points)
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    box = "" if fp.content is None else str(fp.content.quality)
    return [str(fp.frame.quality), box, str(keys), f"{grey.std():.1f}"]


def encoded(image: Image.Image, fmt: str, quality: int = 85) -> tuple[Image.Image, tuple[int, int]]:
    """``image`` as its file's bytes give it back (JPEG noise included), full size: the
    pixel check's keypoints are found at its working size, not the fingerprint's."""
    buf = io.BytesIO()
    image.save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    back = Image.open(buf).convert("RGB")
    return back, back.size


def built() -> Iterator[tuple[str, Image.Image, tuple[int, int]]]:
    rng = np.random.default_rng(1)
    yield "white 800x600 PNG", *encoded(Image.new("RGB", (800, 600), "white"), "PNG")
    yield "white 1024x768 JPEG", *encoded(Image.new("RGB", (1024, 768), "white"), "JPEG")
    yield "grey PNG", *encoded(Image.new("RGB", (800, 600), (128, 128, 128)), "PNG")
    yield "black JPEG", *encoded(Image.new("RGB", (1280, 720), "black"), "JPEG", 70)
    for sd, q in ((4, 50), (8, 50)):
        noisy = np.clip(128 + rng.normal(0, sd, (480, 640, 3)), 0, 255).astype(np.uint8)
        yield f"grey, noise sd {sd}, JPEG {q}", *encoded(Image.fromarray(noisy), "JPEG", q)
    dark = np.clip(8 + rng.normal(0, 3, (720, 1280, 3)), 0, 255).astype(np.uint8)
    yield "dark frame (8 +- 3), JPEG 70", *encoded(Image.fromarray(dark), "JPEG", 70)
    sky = np.tile(np.linspace(180, 230, 600)[:, None], (1, 800)).astype(np.uint8)
    yield "sky-like gradient 180-230", *encoded(Image.fromarray(sky).convert("RGB"), "JPEG")
    text = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(text).text((700, 580), "@user", fill="black")
    yield "white page, one line of small text", *encoded(text, "PNG")
    for side in (60, 120):
        logo = Image.new("RGB", (800, 600), "white")
        x, y = 400 - side // 2, 300 - side // 2
        ImageDraw.Draw(logo).ellipse((x, y, x + side, y + side), fill=(200, 30, 30))
        yield f"white page, {side}-px logo", *encoded(logo, "PNG")


def shared() -> Iterator[tuple[str, Image.Image, tuple[int, int]]]:
    for at, frame, size in keyframes(NEAR_WHITE_CLIP):
        yield f"{NEAR_WHITE_CLIP.name} frame at {at:g} s", frame, size
    with Image.open(BLURRED) as im:
        photo = im.convert("RGB").resize((640, 480))
    for radius in (0, 14, 30, 50):
        soft = photo.filter(ImageFilter.GaussianBlur(radius)) if radius else photo
        yield f"{BLURRED.name}, Gaussian blur {radius}", *encoded(soft, "JPEG", 90)


def corpus(folders: list[Path]) -> tuple[list[int], list[tuple[int, str]]]:
    """Frame qualities of the blank files (grey std < 1) and of the others, by name."""
    blank, other = [], []
    for path in sorted(p for folder in folders for p in folder.iterdir()):
        try:
            image, size = decode(path)
        except ImageError:  # not a still picture this stage decodes (a video, XMP)
            continue
        quality = fingerprint_image(image, size).frame.quality
        if np.asarray(image.convert("L"), dtype=np.float64).std() < 1:
            blank.append(quality)
        else:
            other.append((quality, path.name))
    return blank, sorted(other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, help="a set built by provenance_set.py")
    args = parser.parse_args()
    header = ["picture", "PDQ quality", "content box", "ORB keypoints", "grey sd"]
    rows = [[name, *measure(image, size)] for name, image, size in (*built(), *shared())]
    print(markdown_table(header, rows))
    blank, other = corpus([SHARED / "jpeg", SHARED / "heif", SHARED / "other"])
    print(f"\nshared photos: {len(blank)} blank files, PDQ quality {min(blank)}-{max(blank)};")
    print(f"{len(other)} others, the least detailed: {other[:4]}")
    if args.set is not None:
        files = sorted((args.set / "db").iterdir()) + sorted((args.set / "q").iterdir())
        low = sorted((fingerprint_image(*decode(p)).frame.quality, p.name) for p in files)
        print(f"\n{args.set}: {len(files)} files, the least detailed: {low[:8]}")
    print(f"\nPLAIN_QUALITY = {PLAIN_QUALITY}: a region under it is not taken on the hash")


if __name__ == "__main__":
    main()
