"""Combined edits of the provenance set's source photos: a probe of what one-edit-at-a-time
sets do not show.

Publishers rarely apply one edit: a repost is cropped *and* resized *and* re-encoded, a
news card adds a caption *and* grades the colour.  This writes a set in the layout
``bench/provenance.py --set`` reads (``db/`` copied from a built set, ``q/`` with six
combined edits per source photo and seven more edits a publisher makes: stickers, a
blurred face, a 240-px thumbnail, an upside-down desaturated copy, a side-by-side
collage, a photo of a screen, a crop keeping 36 %; ``ground_truth.csv``), so the same
scoring runs on it.

Run:  python bench/combos.py SET OUT && python bench/provenance.py --set OUT
(SET: a set built by ../shared/bench/provenance_set.py; fonts-dejavu-core for the text)
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
SEED = 7


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("set", type=Path, help="a set built by provenance_set.py")
    parser.add_argument("out", type=Path, help="where to write the combined set")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    font = ImageFont.truetype(str(FONT), 28) if FONT.exists() else ImageFont.load_default()

    def crop(im: Image.Image, share: float) -> Image.Image:
        w, h = im.size
        dx, dy = int(w * share * rng.random()), int(h * share * rng.random())
        return im.crop((dx, dy, w - int(w * share) + dx, h - int(h * share) + dy))

    def resize(im: Image.Image, long: int) -> Image.Image:
        s = long / max(im.size)
        return im.resize(
            (max(1, int(im.width * s)), max(1, int(im.height * s))), Image.Resampling.LANCZOS
        )

    def caption(im: Image.Image) -> Image.Image:
        band = int(im.height * 0.18)
        card = Image.new("RGB", (im.width, im.height + band), "white")
        card.paste(im, (0, band))
        ImageDraw.Draw(card).text((10, band // 4), "СРОЧНО: колонна", fill="black", font=font)
        return card

    def watermark(im: Image.Image) -> Image.Image:
        im = im.copy()
        xy = (im.width * 0.55, im.height * 0.85)
        ImageDraw.Draw(im).text(xy, "@news_channel", fill=(255, 255, 255), font=font)
        return im

    def grade(im: Image.Image) -> Image.Image:
        im = ImageEnhance.Color(im).enhance(1.4)
        im = ImageEnhance.Contrast(im).enhance(1.2)
        return ImageEnhance.Brightness(im).enhance(0.9)

    def pad(im: Image.Image) -> Image.Image:
        w, h = im.size
        card = Image.new("RGB", (int(w * 1.1), int(h * 1.6)), (20, 20, 20))
        card.paste(im, (int(w * 0.05), int(h * 0.3)))
        return card

    def tilt(im: Image.Image) -> Image.Image:
        turned = im.rotate(
            3, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
        )
        return crop(turned, 0.25)

    def quarter_grey(im: Image.Image) -> Image.Image:
        return ImageOps.grayscale(resize(im.rotate(90, expand=True), 700)).convert("RGB")

    def keep_share(im: Image.Image, keep: float) -> Image.Image:
        w, h = im.size
        cw, ch = int(w * keep), int(h * keep)
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        return im.crop((x, y, x + cw, y + ch))

    def blur_face(im: Image.Image) -> Image.Image:
        im = im.copy()
        box = (int(im.width * 0.3), int(im.height * 0.2), int(im.width * 0.6), int(im.height * 0.6))
        im.paste(im.crop(box).filter(ImageFilter.GaussianBlur(12)), box[:2])
        return im

    def stickers(im: Image.Image) -> Image.Image:
        im = im.copy()
        draw = ImageDraw.Draw(im)
        r = int(min(im.size) * 0.08)
        for _ in range(4):
            x, y = rng.randint(0, im.width), rng.randint(0, im.height)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 200, 0))
        return im

    def side_by_side(im: Image.Image) -> Image.Image:
        card = Image.new("RGB", (im.width * 2, im.height), "white")
        card.paste(im, (0, 0))
        card.paste(
            ImageOps.grayscale(im).convert("RGB").filter(ImageFilter.GaussianBlur(4)), (im.width, 0)
        )
        return card

    def screen_photo(im: Image.Image) -> Image.Image:  # a mild perspective: a photo of a screen
        coeffs = (1, 0.05, 0, 0.03, 1, 0, 0.0001, 0.00005)
        return im.transform(
            im.size,
            Image.Transform.PERSPECTIVE,
            coeffs,
            Image.Resampling.BICUBIC,
            fillcolor=(30, 30, 30),
        )

    combos: dict[str, tuple[Callable[[Image.Image], Image.Image], int]] = {
        "crop_resize_jpeg": (lambda im: resize(crop(im, 0.15), 800), 70),
        "caption_grade": (lambda im: grade(caption(im)), 75),
        "mirror_crop_watermark": (lambda im: watermark(crop(ImageOps.mirror(im), 0.10)), 80),
        "small_padded": (lambda im: pad(resize(im, 480)), 65),
        "rot90_gray_resize": (quarter_grey, 80),
        "crop_rot3": (tilt, 60),
        "stickers": (stickers, 80),
        "face_blur": (blur_face, 80),
        "tiny240": (lambda im: resize(im, 240), 60),
        "vflip_desaturate": (lambda im: ImageEnhance.Color(ImageOps.flip(im)).enhance(0.3), 75),
        "collage_2up": (side_by_side, 80),
        "perspective": (screen_photo, 80),
        "keep36pct": (lambda im: keep_share(im, 0.6), 80),  # beyond the 30 % crops
    }
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(args.set / "db", args.out / "db")
    for name in ("hard_negatives.csv", "db.csv"):
        shutil.copy(args.set / name, args.out / name)
    (args.out / "q").mkdir()
    rows = []
    for source in sorted((args.out / "db").glob("src*.jpg")):
        with Image.open(source) as opened:
            im = opened.convert("RGB")
        for name, (edit, quality) in combos.items():
            target = args.out / "q" / f"{source.stem}__{name}.jpg"
            edit(im).save(target, "JPEG", quality=quality)
            rows.append({"query": f"q/{target.name}", "source": f"db/{source.name}", "type": name})
    with (args.out / "ground_truth.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, ["query", "source", "type", "params"], restval="")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} combined copies of {len(rows) // len(combos)} photos in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
