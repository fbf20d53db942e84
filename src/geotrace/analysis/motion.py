"""Did anything move between two pictures that line up?  The last test of a copy.

A copy and the next frame of a video, or another render of a scene from a step aside,
look alike to every global measure: the rubber-whale frames of the provenance set
correlate at 0.996 once aligned and their PDQ hashes are 6 bits apart, closer than most
re-encodes.  What tells them apart is *where* the content is.  In a copy every part of
the picture sits where one transform (a similarity, or a plane's homography for a photo
of a screen) puts it; whatever was edited (a sticker, a blurred face, a watermark) is new
content that matches nothing nearby.  In another frame a player's arm, a toy or the
lit side of a head is still there, a few pixels off.

So: the picture is cut into cells; each textured cell of the smaller picture is looked
for within ``REACH`` pixels of where the transform puts it in the other (normalised
cross-correlation, OpenCV's ``matchTemplate``); a plane is fitted to the cells' shifts
(RANSAC homography, twice: a first pass takes up what a similarity leaves of a
perspective); a cell *moved* when it matches clearly better off the plane than on it.

Measured on the provenance set and ``bench/combos.py``'s publisher edits
(``bench/RESULTS.md``): 1,714 true copies and 548 pairs of two copies of one photo, at
most 2 moved cells each (stickers, a watermark, a caption's edge), none called moved;
the next video frames 10 and 17 cells, the Blender "other view" 4.  Known to misfire:
rings drawn round each object of a picture align with the objects' own edges a few
pixels off and read as moved.

Why our own: dense optical flow (OpenCV's Farneback) gives a vector everywhere,
including on a sticker or in plain sky, and its vectors there were as large as a moved
toy's; the cell search says, per cell, whether a shifted match is real (its correlation)
and better (its gain), which is the question.  Measured against Farneback on the same
pairs (256-px thumbnails): flow flagged 13 % of a screenshot copy's textured pixels as
moved, and 9 % of the rubber whale's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Grey = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]

#: Cell side and search reach, in pixels of the picture compared (the 640-px working
#: image; at 512 px the rubber-whale frames moved too little to tell from a screenshot).
CELL = 24
REACH = 8
#: Smallest eigenvalue of a cell's structure tensor (grey levels squared per pixel): a
#: cell on a line or in plain sky has no position of its own (Shi and Tomasi's test).
TEXTURE = 10.0
#: A cell's best match must reach RELIABLE to count at all, and MATCH, GAIN above its
#: match where the plane puts it and MOVED_PX off the plane, to have moved.
RELIABLE = 0.8
MATCH = 0.9
GAIN = 0.1
MOVED_PX = 1.0
#: RANSAC tolerances of the two plane fits, in pixels.
FIRST_FIT_PX = 2.0
FIT_PX = 1.0
#: A first plane that moves no point of the picture further than this is the transform
#: itself: the cells are not looked for again (most copies; half the check's time).
SAME_PLANE_PX = 0.5
#: Fewer reliable cells than this and the check has no say.
MIN_CELLS = 8
#: The verdict: at least MOVED_CELLS cells and MOVED_SHARE of the reliable ones moved.
MOVED_CELLS = 3
MOVED_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Motion:
    """Cells compared (textured, reliably matched) and, of them, cells that moved."""

    cells: int
    moved: int

    @property
    def parts_moved(self) -> bool:
        return self.moved >= MOVED_CELLS and self.moved >= MOVED_SHARE * self.cells


def motion(
    small: Grey,
    large: Grey,
    to_large: Matrix,
    small_inside: Grey,
    large_inside: Grey,
) -> Motion | None:
    """Cells of ``small`` that sit elsewhere in ``large`` than ``to_large`` (3 x 3, a
    point of ``small`` to ``large``) and one plane put them.  ``*_inside``: 255 where
    the picture is (not a border, a caption band, a screenshot's chrome).  None when too
    few cells can be compared."""
    scale = float(np.sqrt(abs(np.linalg.det(to_large[:2, :2]))))
    if scale > 1.25:
        # large is sampled at 1/scale: blur it first, or it aliases into false shifts.
        sigma = 0.5 * np.sqrt(scale * scale - 1.0)
        large = np.asarray(cv2.GaussianBlur(large, (0, 0), sigma), np.uint8)
    a = small.astype(np.float32)
    texture = _texture(a)
    rows = _search(a, texture, large, to_large, small_inside, large_inside)
    plane = _plane(rows, FIRST_FIT_PX)
    if plane is None:
        return None
    if _drift(plane, a.shape) > SAME_PLANE_PX:
        rows = _search(a, texture, large, to_large @ plane, small_inside, large_inside)
    plane = _plane(rows, FIT_PX)
    if plane is None:
        return None
    x, y, zero, best, dx, dy = rows.T
    reliable = best >= RELIABLE
    centre = np.column_stack([x, y]).astype(np.float32) + CELL / 2
    found = centre + np.column_stack([dx, dy]).astype(np.float32)
    fitted = cv2.perspectiveTransform(centre.reshape(-1, 1, 2), plane).reshape(-1, 2)
    off = np.hypot(*(found - fitted).T)
    inner = (np.abs(dx) < REACH) & (np.abs(dy) < REACH)  # a match on the rim is no match
    moved = (best >= MATCH) & (best - zero >= GAIN) & (off >= MOVED_PX) & inner
    return Motion(int(reliable.sum()), int(moved.sum()))


def _grid(shape: tuple[int, ...]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Top-left corners (rows, columns) of the cells whose search window fits."""
    h, w = shape[:2]
    return np.arange(REACH, h - CELL - REACH + 1, CELL), np.arange(
        REACH, w - CELL - REACH + 1, CELL
    )


def _sums(
    total: npt.NDArray[Any], ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp], side: int
) -> npt.NDArray[np.float64]:
    """Sum over the side x side square at each (ys, xs) corner, from an integral image:
    four reads a square, where a sliding box filter computes every pixel's square."""
    y0, x0 = np.ix_(ys, xs)
    y1, x1 = y0 + side, x0 + side
    out = total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]
    return np.asarray(out, np.float64)


def _texture(a: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Smallest eigenvalue of the structure tensor of each cell (grey levels squared per
    pixel), on the cells of :func:`_grid` (side by side: block sums)."""
    gx = np.asarray(cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3), np.float32) / 8
    gy = np.asarray(cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3), np.float32) / 8
    ys, xs = _grid(a.shape)
    cut = np.s_[REACH : REACH + len(ys) * CELL, REACH : REACH + len(xs) * CELL]

    def mean(p: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        blocks = p[cut].reshape(len(ys), CELL, len(xs), CELL)
        return np.asarray(blocks.mean(axis=(1, 3), dtype=np.float64))

    sxx, syy, sxy = mean(gx * gx), mean(gy * gy), mean(gx * gy)
    root = np.sqrt((sxx - syy) ** 2 + 4 * sxy * sxy)
    return np.asarray(((sxx + syy) - root) / 2, np.float64)


def _search(
    a: npt.NDArray[np.float32],
    texture: npt.NDArray[np.float64],
    large: Grey,
    to_large: Matrix,
    small_inside: Grey,
    large_inside: Grey,
) -> npt.NDArray[np.float64]:
    """(x, y, correlation in place, best correlation, dx, dy) of each textured cell whose
    search window lies inside both pictures."""
    h, w = a.shape
    flags = cv2.WARP_INVERSE_MAP
    warped = cv2.warpPerspective(large, to_large, (w, h), flags=cv2.INTER_LINEAR | flags)
    b = warped.astype(np.float32)
    inside = cv2.warpPerspective(large_inside, to_large, (w, h), flags=cv2.INTER_NEAREST | flags)
    inside = np.minimum(inside, small_inside)
    side, area = CELL + 2 * REACH, (CELL + 2 * REACH) ** 2
    ys, xs = _grid(a.shape)
    total, squares = cv2.integral2(warped, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    outside = _sums(cv2.integral((inside < 255).astype(np.uint8)), ys - REACH, xs - REACH, side)
    mean = _sums(total, ys - REACH, xs - REACH, side) / area
    spread = _sums(squares, ys - REACH, xs - REACH, side) / area - mean * mean
    # Textured cells whose window is all picture and not flat (flat where the cell is
    # not: covered, nothing to look for).
    wanted = (texture >= TEXTURE) & (outside == 0) & (spread >= 25.0)
    rows = []
    for i, j in zip(*np.nonzero(wanted), strict=True):
        y, x = int(ys[i]), int(xs[j])
        window = b[y - REACH : y + CELL + REACH, x - REACH : x + CELL + REACH]
        scores = cv2.matchTemplate(window, a[y : y + CELL, x : x + CELL], cv2.TM_CCOEFF_NORMED)
        iy, ix = np.unravel_index(int(np.argmax(scores)), scores.shape)
        dx = ix + _vertex(scores[iy, ix - 1 : ix + 2])
        dy = iy + _vertex(scores[iy - 1 : iy + 2, ix])
        rows.append((x, y, scores[REACH, REACH], scores[iy, ix], dx - REACH, dy - REACH))
    return np.array(rows, dtype=np.float64).reshape(-1, 6)


def _vertex(three: npt.NDArray[Any]) -> float:
    """Sub-pixel offset of a peak from its two neighbours' scores (a parabola through
    the three): whole-pixel shifts turn a plane's gentle drift into steps of a pixel,
    which the fit then reads as moved cells (two copies of one photo, one scaled by
    1.2: 4 cells "moved" by rounding at a corner)."""
    if len(three) < 3:
        return 0.0  # the peak is on the rim: no neighbour on one side
    left, centre, right = (float(v) for v in three)
    curve = left - 2 * centre + right
    return 0.0 if curve >= 0 else 0.5 * (left - right) / curve


def _drift(plane: Matrix, shape: tuple[int, ...]) -> float:
    """How far ``plane`` moves the picture's corners, in pixels."""
    h, w = shape[:2]
    corners = np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], np.float64)
    return float(np.abs(cv2.perspectiveTransform(corners, plane) - corners).max())


def _plane(rows: npt.NDArray[np.float64], tolerance: float) -> Matrix | None:
    """The homography that best carries the reliable cells onto where they were found."""
    reliable = rows[rows[:, 3] >= RELIABLE]
    if len(reliable) < MIN_CELLS:
        return None
    centre = reliable[:, :2].astype(np.float32) + CELL / 2
    found = centre + reliable[:, 4:6].astype(np.float32)
    plane, _ = cv2.findHomography(centre, found, cv2.RANSAC, tolerance)
    return None if plane is None else np.asarray(plane, np.float64)
