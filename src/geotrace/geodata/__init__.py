"""Shipped reference data and its indexes: borders, admin-1, settlements, time zones.

Below the stages: ``evidence`` and ``sources`` may import it (text geoparsing needs the
gazetteer), and it imports nothing of geotrace's but :mod:`geotrace.geo`.  What a point *is*
(country de jure and de facto, control, the per-sighting answer) is resolved in ``places``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

#: The data files, built by ``scripts/build_places_data.py`` and ``scripts/build_gazetteer.py``.
DATA = Path(__file__).with_name("data")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
BoolArray = npt.NDArray[np.bool_]
