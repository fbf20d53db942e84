"""Real tracks for the analyses' tests: GeoLife logs and trackintel's own answers for them.

``../shared/corpora/tracks/trackintel`` holds trackintel's test data (GeoLife users 000 and
001) and the staypoints trackintel computed for them; tests read them from there and skip
when the folder is absent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from geotrace.analysis.points import Points

TRACKS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "tracks" / "trackintel"


def tracks_dir() -> Path:
    if not TRACKS.is_dir():
        pytest.skip(f"needs ../shared/corpora/tracks/trackintel (not at {TRACKS})")
    return TRACKS


def geolife_fixes(user: Path) -> np.ndarray:
    """Every fix of one GeoLife user folder as rows (t, lat, lon, altitude_ft), in file
    and line order, exact duplicates dropped as trackintel's ``generate_staypoints`` drops
    them (same time, place and altitude)."""
    rows: list[tuple[float, float, float, float]] = []
    for plt in sorted((user / "Trajectory").glob("*.plt")):
        for line in plt.read_text().splitlines()[6:]:
            f = line.split(",")
            when = datetime.fromisoformat(f"{f[5]}T{f[6]}+00:00").timestamp()
            rows.append((when, float(f[0]), float(f[1]), float(f[3])))
    fixes = np.array(rows, dtype=np.float64)
    _, first = np.unique(fixes, axis=0, return_index=True)
    return fixes[np.sort(first)]


def geolife_points(user: Path, *, radius_m: float = 0.0, u: float = 0.0) -> Points:
    """A GeoLife user's fixes as exact points (or with the radius and window given), in
    time order with ties kept in file order (trackintel's stable sort)."""
    fixes = geolife_fixes(user)
    return Points.build(t=fixes[:, 0], lat=fixes[:, 1], lon=fixes[:, 2], radius_m=radius_m, u=u)
