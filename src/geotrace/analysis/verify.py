"""Stage B of provenance: is this candidate pair the same picture, and how was it edited?

Perceptual hashes (stage A) see the whole frame, so a 10-30 % crop, a 5° tilt, a border or
a phone screenshot around the picture makes them miss.  Local features do not care about
the frame: ORB keypoints matched between the two images, a RANSAC similarity transform
(scale, rotation, translation, optionally mirrored) fitted to the matches, and then a
check of the *pixels* the transform lines up.

Why the pixel check: geometry alone also "verifies" another shot of the same scene (a
stereo pair gives 136-242 inliers, the next video frame 400-700) and repetitive
structure gives unrelated photos up to ~80 inliers (research note §3.4).  A copy, once
aligned, correlates almost perfectly with its source; another exposure or viewpoint does
not.  So a pair with many inliers but a poor correlation is reported as
``same_scene_other_shot``: an investigator wants to know that too, but it is not a copy.
Four refinements, each measured on the provenance set and on ``bench/combos.py``'s
publisher edits: only the pictures inside borders, caption bands and screenshot chrome
are compared; a weak fit (under ``CLEAR_INLIERS``) must correlate more; a strong fit
whose cells agree one by one is a copy even when stickers or a blurred face pull the
whole picture's correlation down (:func:`_cells`); and a copy by all these counts whose
parts moved against each other is another frame or view after all
(:mod:`geotrace.analysis.motion`).

Why OpenCV and not our own matcher: ORB + brute-force Hamming matching +
``estimateAffinePartial2D`` is exactly the measured pipeline of the research note
(5.6 ms features, ~17 ms per pair with three feature sets); a NumPy re-implementation
would be slower and add nothing.

Which pairs to verify among a million images is :mod:`geotrace.evidence.layout`'s
question (a 160-byte descriptor per picture, computed at ingest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from geotrace.analysis.motion import Motion, motion
from geotrace.evidence.fingerprint import content_box

Grey = npt.NDArray[np.uint8]
#: Matched keypoints of two pictures: (n, 2) points of each, in working pixels.
Matches = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]

#: Long side (px) of the image ORB runs on.  640 is the research note's measured setting:
#: enough detail for a picture that fills a third of a phone screenshot, cheap to match.
WORK_SIDE = 640
#: Long side of the grey thumbnail kept for the correlation check (<= 64 KB per image).
THUMB_SIDE = 256
#: ORB keypoints per set.  Measured on the provenance set: 1000 -> 700 leaves recall and
#: false pairs as they were and cuts ``copies`` from 27 to 19 s; 500 lets 13 more false
#: pairs through, and a 512-px working size 25 more.
N_FEATURES = 700
#: Lowe's ratio: keep a match only when it is clearly better than the second best.
RATIO = 0.8
#: RANSAC reprojection tolerance in pixels of the 640-px working image.
RANSAC_PX = 4.0
#: Accept rule, measured on the benchmark set (see the module docstring of the eval).
MIN_INLIERS = 15
MIN_NCC = 0.8
#: Below CLEAR_INLIERS a fit may be another shot that shares a few surfaces; then the
#: aligned pictures must correlate this well.  Measured on the provenance set: of the
#: copy verdicts with 15-59 inliers, 36 of 37 true ones reach 0.9 and none of the 7 false
#: ones (another exposure of a scene, diagrams of one style).
MIN_NCC_WEAK_FIT = 0.9
#: A fit of FEW_INLIERS to MIN_INLIERS keypoints is a copy only at this correlation.
#: Measured on both benchmark sets' checks with 8-14 inliers: at 0.97 or more, 61 pairs of
#: one photo and 2 "false" ones, both the OpenCV window screenshot that shows the photo
#: (a copy in fact); nothing else.  A blurred crop with 10 keypoints correlates 0.999.
FEW_INLIERS = 8
MIN_NCC_FEW = 0.97
#: A pair the similarity could not align, aligned by a plane's homography: see
#: :func:`_in_perspective`.
MIN_NCC_PLANE = 0.95
#: A fit this strong that also correlates ends the search (most true copies: about
#: half the matching work of a pair).
CLEAR_INLIERS = 60
#: Side of the grid the aligned overlap is compared on.
NCC_SIDE = 64
#: The occlusion rule (see :func:`_cells`): CELLS x CELLS cells of the grid, a cell flatter
#: than FLAT_CELL_VAR (grey levels squared) has no say, MIN_CELLS must have one, and a copy
#: under stickers or overlays needs a median of COVERED_MEDIAN with COVERED_SHARE of the
#: cells at 0.9 or more (measured: such copies 0.987-0.9996 and 0.69-0.87; stereo pairs
#: and other exposures 0.09-0.79 and 0-0.33; next video frames 0.97-0.99, copies anyway).
CELLS = 8
FLAT_CELL_VAR = 4.0
MIN_CELLS = 16
COVERED_MEDIAN = 0.95
COVERED_SHARE = 0.6

STAGE_VERSION = (
    f"orb{N_FEATURES}-{WORK_SIDE}-r{RATIO}-ncc{NCC_SIDE}-{MIN_NCC}/{MIN_NCC_WEAK_FIT}"
    f"-cells{CELLS}-motion-plane{MIN_NCC_PLANE}-few{FEW_INLIERS}/{MIN_NCC_FEW}-v16"
)


@dataclass(frozen=True, slots=True)
class KeySet:
    """ORB keypoints (x, y in working pixels) and their 32-byte descriptors."""

    points: npt.NDArray[np.float32]  # (n, 2)
    descriptors: npt.NDArray[np.uint8]  # (n, 32)


@dataclass(frozen=True, slots=True)
class Features:
    """What verification needs of one image, computed once: keypoints of the image and of
    its mirror image (ORB descriptors are not mirror-invariant), a small grey thumbnail
    for the correlation check, and the grey working image for the motion check.  About
    400 KB per image (300 KB of them the working image); picklable, so it can be cached
    or sent to a worker process."""

    size: tuple[int, int]  # (width, height) of the image it was computed from
    work_scale: float  # working pixels per image pixel
    plain: KeySet
    mirror: KeySet  # computed on the horizontally flipped working image
    thumb: Grey  # grey, long side THUMB_SIDE (or less)
    #: Keypoints of the content box (the picture inside a screenshot, border or meme),
    #: in the same working coordinates as ``plain``; None when the box is the frame.
    box: KeySet | None = None
    #: That box in ``thumb`` pixels (x0, y0, x1, y1).
    box_rect: tuple[int, int, int, int] | None = None
    #: The grey working image (long side WORK_SIDE or less) the keypoints come from.
    work: Grey | None = None


@dataclass(frozen=True, slots=True)
class Transform:
    """The similarity that maps a point of image *a* (its pixels) onto image *b*.

    ``matrix`` is the 2x3 affine matrix (mirror included: determinant < 0 when mirrored);
    ``rotation_deg`` is counter-clockwise as seen on screen (y axis down), applied after
    the mirror; ``scale`` is b pixels per a pixel.
    """

    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    scale: float
    rotation_deg: float
    mirrored: bool
    translation: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Overlap:
    """How the two frames overlap once aligned: the share of each image's area that shows
    picture also present in the other.  ``a_in_b`` = 1 and ``b_in_a`` = 0.6 means all of
    *a* is inside *b*: *a* is a crop of *b*, or *b* is *a* with margins added (border,
    caption band, screenshot chrome) -- geometry alone cannot tell these apart."""

    a_in_b: float
    b_in_a: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision about one pair, with the evidence it rests on."""

    is_copy: bool
    relation: str  # "copy" | "same_scene_other_shot" | "unrelated"
    inliers: int
    matches: int  # ratio-test matches the RANSAC fit started from
    ncc: float | None  # correlation of the aligned overlap; None without a transform
    transform: Transform | None
    overlap: Overlap | None
    description: str
    #: The motion check of a pair the other tests call a copy (None: not run, or too
    #: little texture to say).
    motion: Motion | None = None


def _grey(image: npt.NDArray[np.uint8] | Image.Image) -> Grey:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("L"))
    array = np.asarray(image)
    if array.ndim == 2:
        return np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        # RGB(A) as NumPy / Pillow give it (OpenCV's own BGR order is not used here).
        rgb = np.ascontiguousarray(array[:, :, :3], dtype=np.uint8)
        return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    raise ValueError(f"expected a grey or RGB image, got an array of shape {array.shape}")


def _shrink(grey: Grey, side: int) -> tuple[Grey, float]:
    h, w = grey.shape
    scale = min(1.0, side / max(h, w))
    if scale >= 1.0:
        return grey, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8), scale


def _orb(grey: Grey) -> KeySet:
    orb = cv2.ORB.create(nfeatures=N_FEATURES)
    try:
        keypoints, descriptors = orb.detectAndCompute(grey, None)
    except cv2.error:
        # A picture a pixel or two thin (a divider, a hostile 2 x 900 file): ORB's own
        # pyramid cannot shrink it.  No keypoints: the pair is then "no geometric match".
        keypoints, descriptors = (), None
    if descriptors is None or not keypoints:
        return KeySet(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    return KeySet(points, np.ascontiguousarray(descriptors, dtype=np.uint8))


def local_features(
    image: npt.NDArray[np.uint8] | Image.Image, original_size: tuple[int, int] | None = None
) -> Features:
    """Keypoints of ``image`` (grey or RGB array, or a Pillow image), of its mirror image,
    and a grey thumbnail.  Pass the upright image (EXIF orientation applied): a copy on
    a platform has its orientation baked into the pixels.  ``original_size`` (width,
    height) is the size of the file the image was reduced from, so that the transform is
    reported in the file's pixels."""
    grey = _grey(image)
    h, w = grey.shape
    work, _ = _shrink(grey, WORK_SIDE)
    thumb, _ = _shrink(work, THUMB_SIDE)
    size = original_size or (w, h)
    work_scale = work.shape[1] / size[0]
    return Features(
        size=size,
        work_scale=work_scale,
        plain=_orb(work),
        mirror=_orb(np.ascontiguousarray(work[:, ::-1])),
        thumb=np.ascontiguousarray(thumb),
        work=np.ascontiguousarray(work),
        **_box_keys(grey, thumb, work.shape[1] / w),
    )


def _box_keys(grey: Grey, thumb: Grey, work_per_px: float) -> dict[str, Any]:
    """ORB on the picture inside a screenshot or border, at full working resolution.

    Why: in a phone screenshot the picture fills a third of the frame and the post's text
    takes most of the keypoints; the research note's screenshot recall came from
    matching the box separately.  ``work_per_px``: working pixels per pixel of ``grey``.
    """
    th, tw = thumb.shape
    found = content_box(thumb)
    if found is None:
        return {}
    if (found[2] - found[0]) * (found[3] - found[1]) >= 0.8 * th * tw:
        # A thin band (a caption card's strip): the whole frame's keypoints serve, but the
        # correlation leaves the band out: two photos under one outlet's caption template
        # share it exactly (grass and gravel: 0.80 with the bands, copies by that count).
        return {"box_rect": found}
    x0, y0, x1, y1 = found
    h, w = grey.shape
    sx, sy = w / tw, h / th
    gx0, gy0 = round(x0 * sx), round(y0 * sy)
    crop = np.ascontiguousarray(grey[gy0 : round(y1 * sy), gx0 : round(x1 * sx)])
    work, scale = _shrink(crop, WORK_SIDE)
    keys = _orb(work)
    points = (keys.points / scale + np.array([gx0, gy0], np.float32)) * work_per_px
    return {"box": KeySet(points.astype(np.float32), keys.descriptors), "box_rect": found}


def _match(a: KeySet, b: KeySet) -> Matches:
    if len(a.descriptors) < 2 or len(b.descriptors) < 2:
        empty = np.zeros((0, 2), np.float32)
        return empty, empty
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    ia = np.array([m.queryIdx for m in good], dtype=np.int64)
    ib = np.array([m.trainIdx for m in good], dtype=np.int64)
    return a.points[ia], b.points[ib]


def _fit(
    pa: npt.NDArray[np.float32], pb: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float64] | None, int]:
    if len(pa) < 3:
        return None, 0
    matrix, mask = cv2.estimateAffinePartial2D(
        pa,
        pb,
        method=cv2.RANSAC,
        ransacReprojThreshold=RANSAC_PX,
        maxIters=2000,
        confidence=0.995,
    )
    if matrix is None or mask is None:
        return None, 0
    m = np.asarray(matrix, dtype=np.float64)
    if not 1 / 16 <= math.sqrt(abs(np.linalg.det(m[:, :2]))) <= 16:
        return None, 0  # a degenerate fit (all inliers on a point or a line)
    return m, int(mask.sum())


def _homog(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A 2 x 3 affine matrix as 3 x 3 (a 3 x 3 one, a plane's homography, as it is)."""
    return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


def _scaling(s: float) -> npt.NDArray[np.float64]:
    return np.diag([s, s, 1.0])


def _transform(m: npt.NDArray[np.float64], mirrored: bool) -> Transform:
    a, c = m[0, 0], m[1, 0]
    scale = math.sqrt(abs(np.linalg.det(m[:, :2])))
    if mirrored:  # m = R * S * F with F = diag(-1, 1): its first column is -R's
        a, c = -a, -c
    rotation = -math.degrees(math.atan2(c, a))  # y axis points down on screen
    return Transform(
        matrix=(
            (float(m[0, 0]), float(m[0, 1]), float(m[0, 2])),
            (float(m[1, 0]), float(m[1, 1]), float(m[1, 2])),
        ),
        scale=scale,
        rotation_deg=(rotation + 180.0) % 360.0 - 180.0,
        mirrored=mirrored,
        translation=(float(m[0, 2]), float(m[1, 2])),
    )


def _corners(size: tuple[int, int]) -> npt.NDArray[np.float64]:
    w, h = size
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)


def _overlap(m: npt.NDArray[np.float64], a: tuple[int, int], b: tuple[int, int]) -> Overlap:
    """Areas by convex polygon intersection: the aligned frame of *a* is a rotated
    rectangle, so the intersection with *b*'s frame is exact, not a pixel count."""
    quad = (_corners(a) @ m[:, :2].T + m[:, 2]).astype(np.float32)
    if np.linalg.det(m[:, :2]) < 0:
        quad = quad[::-1]  # keep the polygon's winding after a mirror
    area, _ = cv2.intersectConvexConvex(quad, _corners(b).astype(np.float32))
    det = abs(float(np.linalg.det(m[:, :2])))
    area_b = max(0.0, float(area))
    return Overlap(
        a_in_b=min(1.0, area_b / det / (a[0] * a[1])),
        b_in_a=min(1.0, area_b / (b[0] * b[1])),
    )


Aligned = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]


def _aligned(
    m: npt.NDArray[np.float64], a: Features, b: Features, boxes: bool = True
) -> Aligned | None:
    """*a*'s thumbnail and *b*'s warped onto it, over the part both show, on a NCC_SIDE
    grid (small enough that resampling and JPEG noise average out, large enough that
    another exposure or viewpoint does not), with the mask of the cells compared; None
    when they share too little.

    When the content boxes leave nothing of the overlap, one of them is wrong for this
    pair (a photo whose plain sky was peeled as a band, the blurred half of a collage
    taken for the picture): then the whole overlap is compared."""
    ha, wa = a.thumb.shape
    hb, wb = b.thumb.shape
    ta, tb = wa / a.size[0], wb / b.size[0]  # thumbnail pixels per image pixel
    # thumb(a) -> image(a) -> image(b) -> thumb(b)
    t = _scaling(tb) @ _homog(m) @ _scaling(1.0 / ta)
    warp = cv2.warpPerspective(b.thumb, t, (wa, ha), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    # Only the pictures inside borders, bands and screenshot chrome are compared: two
    # screenshots share their chrome (status bar, buttons, typeface), which correlates
    # perfectly; and chrome that one side's box missed (a caption band of under a fifth)
    # lands on the other's border, which it does not resemble (padded vs captioned copies
    # of one photo: 0.47 with the band compared, 1.0 without).
    shown = _rect_mask((hb, wb), b.box_rect if boxes else None)
    inside = cv2.warpPerspective(shown, t, (wa, ha), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    inside = np.minimum(inside, _rect_mask((ha, wa), a.box_rect if boxes else None))
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(inside)
    if len(xs) < 64:
        return _unboxed(m, a, b) if boxes else None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    grid = (NCC_SIDE, NCC_SIDE)
    pa = cv2.resize(a.thumb[y0:y1, x0:x1], grid, interpolation=cv2.INTER_AREA).astype(np.float64)
    pb = cv2.resize(warp[y0:y1, x0:x1], grid, interpolation=cv2.INTER_AREA).astype(np.float64)
    keep = cv2.resize(inside[y0:y1, x0:x1], grid, interpolation=cv2.INTER_AREA) >= 250
    if keep.sum() < 64:
        return _unboxed(m, a, b) if boxes else None
    return pa, pb, keep


def _unboxed(m: npt.NDArray[np.float64], a: Features, b: Features) -> Aligned | None:
    if a.box_rect is None and b.box_rect is None:
        return None  # nothing was masked: the overlap itself is too small
    return _aligned(m, a, b, boxes=False)


def _correlation(aligned: Aligned | None) -> float:
    """Correlation of the aligned pictures (see :func:`_aligned`); 0 when they share too
    little to say."""
    if aligned is None:
        return 0.0
    pa, pb, keep = aligned
    va, vb = pa[keep] - pa[keep].mean(), pb[keep] - pb[keep].mean()
    denom = math.sqrt(float(va @ va) * float(vb @ vb))
    return float(va @ vb) / denom if denom > 0 else 0.0


def _cells(aligned: Aligned | None) -> tuple[float, float] | None:
    """The median correlation of the aligned pictures cell by cell (CELLS x CELLS cells,
    textured ones inside the overlap), and the share of cells at 0.9 or more; None with
    fewer than MIN_CELLS such cells.

    Why: stickers, emoji, a blurred face or a large overlay cover part of a copy and pull
    its global correlation down to 0.5-0.75, where another shot of the scene lies; but the
    rest of the copy still matches cell for cell (median 0.99), which another shot does
    not (a stereo pair's median: 0.65-0.79, another exposure 0.18)."""
    if aligned is None:
        return None
    pa, pb, keep = aligned
    n, side = CELLS, NCC_SIDE // CELLS

    def blocks(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return x.reshape(n, side, n, side).swapaxes(1, 2).reshape(n * n, side * side)

    whole = blocks(keep).all(axis=1)
    ca, cb = blocks(pa)[whole], blocks(pb)[whole]
    ca = ca - ca.mean(axis=1, keepdims=True)
    cb = cb - cb.mean(axis=1, keepdims=True)
    sa, sb = (ca * ca).sum(axis=1), (cb * cb).sum(axis=1)
    textured = (sa > FLAT_CELL_VAR * side * side) & (sb > FLAT_CELL_VAR * side * side)
    if int(textured.sum()) < MIN_CELLS:
        return None
    r = (ca * cb).sum(axis=1)[textured] / np.sqrt(sa * sb)[textured]
    return float(np.median(r)), float((r >= 0.9).mean())


def _rect_mask(
    shape: tuple[int, int], rect: tuple[int, int, int, int] | None
) -> npt.NDArray[np.uint8]:
    if rect is None:
        return np.full(shape, 255, np.uint8)
    mask = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = rect
    mask[y0:y1, x0:x1] = 255
    return mask


def _describe(t: Transform, o: Overlap) -> str:
    parts: list[str] = []
    if o.a_in_b >= 0.97 and o.b_in_a >= 0.97:
        parts.append("same frame")
    elif o.a_in_b >= 0.97:
        parts.append(
            f"a lies inside b ({o.b_in_a:.0%} of b): a is a crop of b, or b adds margins around a"
        )
    elif o.b_in_a >= 0.97:
        parts.append(
            f"b lies inside a ({o.a_in_b:.0%} of a): b is a crop of a, or a adds margins around b"
        )
    else:
        parts.append(f"partial overlap ({o.a_in_b:.0%} of a, {o.b_in_a:.0%} of b)")
    if t.mirrored:
        parts.append("mirrored")
    if abs(t.rotation_deg) >= 1.0:
        parts.append(f"rotated {t.rotation_deg:+.1f}°")
    if abs(math.log(t.scale)) >= math.log(1.05):
        parts.append(f"scaled x{t.scale:.2f}")
    return ", ".join(parts)


def verify(a: Features, b: Features) -> Verdict:
    """Decide whether *b* is a copy of *a* (crop, border, rotation, mirror, resize,
    re-encode, colour change), another shot of the same scene, or unrelated.

    *a* is tried plain and mirrored against *b*; the fit with more inliers wins.  The
    verdict is symmetric in substance (swap a and b and the transform inverts)."""
    best: tuple[int, int, npt.NDArray[np.float64], bool] | None = None
    points: Matches | None = None  # best's
    checked: Aligned | None = None  # the pictures aligned by ``best``, once made
    pairs = [(a.plain, b.plain, False), (a.mirror, b.plain, True)]
    pairs += [(a.box, b.plain, False)] if a.box is not None else []
    pairs += [(a.plain, b.box, False)] if b.box is not None else []
    pairs += [(a.box, b.box, False)] if a.box is not None and b.box is not None else []
    for keys, other, mirrored in pairs:
        pa, pb = _match(keys, other)
        m, inliers = _fit(pa, pb)
        if m is None or (best is not None and inliers <= best[0]):
            continue
        full = _in_images(m, a, b, mirrored)
        best, points = (inliers, len(pa), full[:2], mirrored), (pa, pb)
        checked = None
        if inliers >= CLEAR_INLIERS:
            checked = _aligned(full[:2], a, b)
            if _correlation(checked) >= MIN_NCC:
                break  # a clear copy already: the other pairings cannot do better
    if best is None or best[0] < 3:
        return Verdict(
            False,
            "unrelated",
            best[0] if best else 0,
            best[1] if best else 0,
            None,
            None,
            None,
            "no geometric match",
        )
    inliers, matches, m, mirrored = best
    transform = _transform(m, mirrored)
    overlap = _overlap(m, a.size, b.size)
    aligned = checked if checked is not None else _aligned(m, a, b)
    ncc = _correlation(aligned)
    covered, plane = False, None
    if inliers < MIN_INLIERS:
        # Few keypoints agree (a soft or plain picture): only a near-perfect match counts.
        relation = "copy" if inliers >= FEW_INLIERS and ncc >= MIN_NCC_FEW else "unrelated"
    elif ncc >= (MIN_NCC if inliers >= CLEAR_INLIERS else MIN_NCC_WEAK_FIT):
        relation = "copy"
    elif inliers >= CLEAR_INLIERS and _covered(_cells(aligned)):
        relation, covered = "copy", True
    else:
        relation = "same_scene_other_shot"
        assert points is not None
        plane, plane_ncc = _in_perspective(points, a, b, mirrored)
        if plane is not None:
            relation, ncc = "copy", plane_ncc  # the correlation the verdict rests on
    moved = None
    if relation == "copy":
        moved = _motion(
            plane if plane is not None else _start(m, ncc, points, a, b, mirrored), a, b
        )
    if moved is not None and moved.parts_moved:
        relation = "same_scene_other_shot"
    text = _describe(transform, overlap) if relation != "unrelated" else "no geometric match"
    if covered:
        text += ", parts covered or changed (stickers, blur, overlays): the rest matches"
    if plane is not None:
        text += _plane_words(plane, a.size)
    if moved is not None and moved.parts_moved:
        text += (
            f", but parts moved ({moved.moved} of {moved.cells} cells sit elsewhere):"
            " another frame of a video, or another view"
        )
    return Verdict(
        relation == "copy", relation, inliers, matches, ncc, transform, overlap, text, moved
    )


def _motion(m: npt.NDArray[np.float64], a: Features, b: Features) -> Motion | None:
    """:func:`geotrace.analysis.motion.motion` of the pair, on the working images, with
    the smaller picture's cells looked for in the larger (the larger one's detail is
    lost in the smaller anyway)."""
    if a.work is None or b.work is None:
        return None
    # work(a) -> image(a) -> image(b) -> work(b)
    t = _scaling(b.work_scale) @ _homog(m) @ _scaling(1.0 / a.work_scale)
    inside_a, inside_b = _work_mask(a), _work_mask(b)
    if abs(np.linalg.det(t[:2, :2])) >= 1.0:
        return motion(a.work, b.work, t, inside_a, inside_b)
    return motion(b.work, a.work, np.asarray(np.linalg.inv(t), np.float64), inside_b, inside_a)


def _work_mask(f: Features) -> npt.NDArray[np.uint8]:
    """Where the picture is in the working image: the content box, scaled from the
    thumbnail's pixels."""
    assert f.work is not None
    h, w = f.work.shape
    if f.box_rect is None:
        return _rect_mask((h, w), None)
    th, tw = f.thumb.shape
    x0, y0, x1, y1 = f.box_rect
    box = (x0 * w // tw, y0 * h // th, -(-x1 * w // tw), -(-y1 * h // th))
    return _rect_mask((h, w), box)


def _in_images(
    m: npt.NDArray[np.float64], a: Features, b: Features, mirrored: bool
) -> npt.NDArray[np.float64]:
    """A fit between working images (of *a* flipped, when ``mirrored``) as a 3 x 3
    transform between the images themselves."""
    w_work = round(a.size[0] * a.work_scale)
    flip = np.array([[-1.0, 0.0, w_work - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    full = _scaling(1.0 / b.work_scale) @ _homog(m)
    return full @ (flip if mirrored else np.eye(3)) @ _scaling(a.work_scale)


def _in_perspective(
    points: Matches,
    a: Features,
    b: Features,
    mirrored: bool,
) -> tuple[npt.NDArray[np.float64] | None, float]:
    """The plane's homography that makes a copy of a pair the similarity fit could not
    align (a photo of a screen or a print, taken at an angle), or None; and the
    correlation of the pictures it aligns.

    Why it must correlate MIN_NCC_PLANE and not MIN_NCC: a homography also aligns another
    view of a flat scene, which a similarity cannot.  Measured (whole thumbnails): the
    eight photos of a screen that the similarity missed 0.964-0.998; the set's hard
    negatives under their own homography 0.72-0.86 (the graffiti wall from another
    viewpoint 0.82, another exposure 0.86)."""
    full = _plane_fit(points, a, b, mirrored)
    if full is None:
        return None, 0.0
    ncc = _correlation(_aligned(full, a, b))
    return (full if ncc >= MIN_NCC_PLANE else None), ncc


def _plane_words(plane: npt.NDArray[np.float64], size: tuple[int, int]) -> str:
    """What a plane's homography did to the picture: a stretch (it is affine: the aspect
    ratio changed) or a view at an angle.  Measured, the projective term at the corners:
    stretches of shared photos by 1.3 or 0.6 x 0.9 at most 0.022, a 5 % lean 0.11."""
    h = plane / plane[2, 2]
    if float(np.abs(_corners(size) @ h[2, :2]).max()) < 0.05:
        s1, s2 = np.linalg.svd(h[:2, :2], compute_uv=False)
        return f", stretched (aspect ratio changed {float(s1 / s2):.2f} times)"
    return ", seen in perspective (a photo of a screen or a print)"


def _plane_fit(
    points: Matches,
    a: Features,
    b: Features,
    mirrored: bool,
) -> npt.NDArray[np.float64] | None:
    """A plane's homography between the images fitted to the matched keypoints (working
    pixels, *a* flipped when ``mirrored``), or None when too few agree or it folds."""
    pa, pb = points
    if len(pa) < MIN_INLIERS:
        return None
    h, mask = cv2.findHomography(pa, pb, cv2.RANSAC, RANSAC_PX)
    if h is None or mask is None or int(mask.sum()) < MIN_INLIERS:
        return None
    full = _in_images(np.asarray(h, np.float64), a, b, mirrored)
    quad = cv2.perspectiveTransform(_corners(a.size).reshape(-1, 1, 2), full)
    if not cv2.isContourConvex(quad.astype(np.float32)):
        return None  # a fold or a flip: not a picture seen at an angle
    return full


def _start(
    m: npt.NDArray[np.float64],
    ncc: float,
    points: Matches | None,
    a: Features,
    b: Features,
    mirrored: bool,
) -> npt.NDArray[np.float64]:
    """Where the motion check starts from: the similarity, unless it lines the pictures
    up only loosely (a copy at a strong angle still correlates 0.83 under it, and its
    corners then lie beyond the cells' reach): then the keypoints' plane.  Not always
    the plane: it would take up part of another view's change (the Blender head turned
    moves 4 cells under the similarity, the threshold is 3)."""
    if ncc >= MIN_NCC_PLANE or points is None:
        return m
    plane = _plane_fit(points, a, b, mirrored)
    return m if plane is None else plane


def _covered(cells: tuple[float, float] | None) -> bool:
    return cells is not None and cells[0] >= COVERED_MEDIAN and cells[1] >= COVERED_SHARE


def open_upright(path: str | Path, side: int = WORK_SIDE) -> tuple[Image.Image, tuple[int, int]]:
    """Decode a file for verification, and give the upright size of the file itself.

    Orientation is applied; a JPEG is decoded in draft mode (DCT-domain downscale) to the
    smallest size whose long side is still >= ``side``: 3-5x cheaper than a full decode,
    and ORB only looks at ``side`` px anyway."""
    with Image.open(path) as im:
        w, h = im.size
        if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            w, h = h, w  # the orientation turns the picture by 90 degrees
        if im.format == "JPEG":
            im.draft("L", (max(1, w * side // max(w, h)), max(1, h * side // max(w, h))))
        up = ImageOps.exif_transpose(im).convert("L")
    return up, (w, h)


def verify_images(
    a: npt.NDArray[np.uint8] | Image.Image, b: npt.NDArray[np.uint8] | Image.Image
) -> Verdict:
    """:func:`verify` for two decoded images (grey or RGB arrays, or Pillow images)."""
    return verify(local_features(a), local_features(b))


def verify_files(path_a: str | Path, path_b: str | Path) -> Verdict:
    """:func:`verify` for two image files, decoded with :func:`open_upright`; the
    transform is in the files' (upright) pixels."""
    image_a, size_a = open_upright(path_a)
    image_b, size_b = open_upright(path_b)
    return verify(local_features(image_a, size_a), local_features(image_b, size_b))
