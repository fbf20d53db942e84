"""A static map as inline SVG: points, uncertainty circles and a track over country outlines.

The evidence report must open anywhere, print, and come out byte-identical on a re-run,
so its maps are plain SVG computed here: no tiles, no script, no fonts fetched.  The
projection is equirectangular around the view's middle latitude (x scaled by its cosine),
which keeps shapes right within the few hundred kilometres an account's map usually spans
and needs no projection library; a view that straddles the 180th meridian is drawn as
the long way round (rare in this material, and the table beside the map is the evidence).

Outlines come as a GeoJSON FeatureCollection (``geotrace.present.outlines``); they are
parsed once (:func:`prepare_outlines`) and clipped to each view with Shapely, so a map
of one town does not carry the whole coast of Russia.  Every coordinate is rounded to
0.1 px: the bytes depend only on the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape

#: Metres per degree of latitude (mean), for radii and the scale bar.
M_PER_DEG = 111_320.0
#: Smallest span of a view, in degrees of latitude: one point still shows its region.
MIN_SPAN_DEG = 0.2
#: Marks and circles smaller than this many pixels are not worth their bytes.
MIN_RADIUS_PX = 1.0
MARK_RADIUS_PX = 3.0


@dataclass(frozen=True, slots=True)
class Outlines:
    """Country outlines ready to clip: one Shapely geometry per feature, with bounds."""

    geometries: NDArray[Any]
    bounds: NDArray[np.float64]  # (n, 4): xmin, ymin, xmax, ymax


def prepare_outlines(collection: Mapping[str, Any]) -> Outlines:
    """Parse a GeoJSON FeatureCollection of (Multi)Polygons once for many maps."""
    geoms = [
        shape(f["geometry"])
        for f in collection.get("features", ())
        if isinstance(f, Mapping) and f.get("geometry")
    ]
    array = np.array(geoms, dtype=object)
    bounds = shapely.bounds(array) if geoms else np.empty((0, 4))
    return Outlines(array, np.asarray(bounds, dtype=np.float64).reshape(-1, 4))


@dataclass(frozen=True, slots=True)
class View:
    """What part of the globe a map shows, and how it maps to pixels."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float
    width: int
    height: int

    @property
    def kx(self) -> float:
        """Pixels per degree of longitude."""
        return self.width / (self.lon1 - self.lon0)

    @property
    def ky(self) -> float:
        """Pixels per degree of latitude."""
        return self.height / (self.lat1 - self.lat0)

    def x(self, lon: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.round((lon - self.lon0) * self.kx, 1)

    def y(self, lat: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.round((self.lat1 - lat) * self.ky, 1)


def view_of(
    lat: NDArray[np.float64], lon: NDArray[np.float64], radius_m: NDArray[np.float64], width: int
) -> View:
    """The smallest view (with a margin) that holds every point and its circle."""
    if lat.size == 0:
        return View(-180.0, -60.0, 180.0, 85.0, width, width // 2)
    rdeg = radius_m / M_PER_DEG
    lat_lo = float(np.min(lat - rdeg))
    lat_hi = float(np.max(lat + rdeg))
    mid = (lat_lo + lat_hi) / 2
    cos = max(math.cos(math.radians(mid)), 0.05)
    lon_lo = float(np.min(lon - rdeg / cos))
    lon_hi = float(np.max(lon + rdeg / cos))
    # Spans in "ground degrees" (longitude shrunk by the cosine), padded and kept sane.
    span_y = max(lat_hi - lat_lo, MIN_SPAN_DEG) * 1.15
    span_x = max((lon_hi - lon_lo) * cos, MIN_SPAN_DEG) * 1.15
    # Keep the aspect between 2:1 and 4:3 so that the map stays readable on a page.
    span_y = max(span_y, span_x / 2)
    span_x = max(span_x, span_y * 4 / 3)
    height = round(width * span_y / span_x)
    cx, cy = (lon_lo + lon_hi) / 2, mid
    half_lon, half_lat = span_x / cos / 2, span_y / 2
    return View(cx - half_lon, cy - half_lat, cx + half_lon, cy + half_lat, width, height)


def _num(value: float) -> str:
    """A coordinate as few bytes as it needs: 12.0 -> "12", 3.25 -> "3.2" (0.1 px)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def outline_paths(outlines: Outlines, view: View) -> list[str]:
    """The ``d`` attribute of every outline ring inside the view, clipped to it."""
    if not len(outlines.geometries):
        return []
    b = outlines.bounds
    hit = (
        (b[:, 0] <= view.lon1)
        & (b[:, 2] >= view.lon0)
        & (b[:, 1] <= view.lat1)
        & (b[:, 3] >= view.lat0)
    )
    if not hit.any():
        return []
    clipped = shapely.clip_by_rect(
        outlines.geometries[hit], view.lon0, view.lat0, view.lon1, view.lat1
    )
    # Detail finer than half a pixel is bytes nobody sees: a world view shrinks ~10x.
    clipped = shapely.simplify(clipped, 0.5 / max(view.kx, view.ky))
    rings = shapely.get_rings(shapely.get_parts(clipped[~shapely.is_empty(clipped)]))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return []
    xs, ys = view.x(coords[:, 0]), view.y(coords[:, 1])
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    ends = np.r_[starts[1:], len(index)]
    paths = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        pts = [
            f"{_num(x)} {_num(y)}" for x, y in zip(xs[s:e].tolist(), ys[s:e].tolist(), strict=True)
        ]
        # Rings clipped to a few pixels (islands far off) are dropped by their own size.
        if e - s >= 4:
            paths.append("M" + "L".join(pts) + "Z")
    return paths


def scale_bar(view: View) -> tuple[float, str]:
    """(length in px, label) of a round-numbered scale bar about a fifth of the width."""
    mid = math.radians((view.lat0 + view.lat1) / 2)
    m_per_px = M_PER_DEG * math.cos(mid) / view.kx
    target = m_per_px * view.width / 5
    step = 10 ** math.floor(math.log10(target))
    length = max(s for s in (step, 2 * step, 5 * step) if s <= target)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    return length / m_per_px, label


def svg_map(
    lat: Sequence[float] | NDArray[np.float64],
    lon: Sequence[float] | NDArray[np.float64],
    radius_m: Sequence[float] | NDArray[np.float64],
    outlines: Outlines,
    *,
    labels: Sequence[str] | None = None,
    width: int = 720,
    title: str = "",
) -> str:
    """An SVG element: outlines, the track in the given (time) order, one uncertainty
    circle and one mark (``class="mark"``) per point.  ``labels`` become the marks'
    tooltips; every text is escaped."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    ra = np.asarray(radius_m, dtype=np.float64)
    view = view_of(la, lo, ra, width)
    xs, ys = view.x(lo), view.y(la)
    rs = np.round(ra / M_PER_DEG * view.ky, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {view.width}'
        f' {view.height}" width="{view.width}" height="{view.height}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect class="sea" width="{view.width}" height="{view.height}"/>',
    ]
    paths = outline_paths(outlines, view)
    if paths:
        out.append(f'<path class="land" d="{"".join(paths)}"/>')
    if la.size > 1:
        track = " ".join(
            f"{_num(x)},{_num(y)}" for x, y in zip(xs.tolist(), ys.tolist(), strict=True)
        )
        out.append(f'<polyline class="track" points="{track}"/>')
    for x, y, r in zip(xs.tolist(), ys.tolist(), rs.tolist(), strict=True):
        if r >= MIN_RADIUS_PX:
            out.append(f'<circle class="radius" cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}"/>')
    names = list(labels) if labels is not None else [""] * la.size
    for x, y, name in zip(xs.tolist(), ys.tolist(), names, strict=True):
        tip = f"<title>{escape(name)}</title>" if name else ""
        out.append(
            f'<circle class="mark" cx="{_num(x)}" cy="{_num(y)}" r="{_num(MARK_RADIUS_PX)}">'
            f"{tip}</circle>"
        )
    bar_px, bar_label = scale_bar(view)
    y0 = view.height - 12
    out.append(
        f'<g class="scale"><path d="M10 {y0}h{_num(bar_px)}"/>'
        f'<text x="10" y="{y0 - 4}">{escape(bar_label)}</text>'
        f'<text x="{view.width - 6}" y="14" text-anchor="end">'
        f"lat {view.lat0:.3f} to {view.lat1:.3f}, lon {view.lon0:.3f} to {view.lon1:.3f}</text></g>"
    )
    out.append("</svg>")
    return "".join(out)
