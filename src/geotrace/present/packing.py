"""How the map page packs values into its embedded JSON: instants as whole seconds since
1970, numbers rounded to what they can tell, anything unreadable as null.  One definition
for the sightings' columns (:mod:`geotrace.present.mapview`) and the people's layers
(:mod:`geotrace.present.people_layers`), so that a popup's instant or coordinate reads the
same whichever layer it came from.
"""

from __future__ import annotations

import math
from typing import Any

from geotrace.geo import epoch as epoch  # one definition, in geo; re-exported here

#: Decimals of the embedded coordinates: 1e-6 degree is ~0.1 m, below any GPS fix.
COORD_DECIMALS = 6


def number(value: Any, digits: int = COORD_DECIMALS) -> float | None:
    """A number rounded to ``digits`` (None: none, not a number, or not finite)."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return round(result, digits) if math.isfinite(result) else None
