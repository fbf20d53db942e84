"""Border crossings: "left RU / entered UA", with the window in which it happened.

Each level (de jure country, de facto country, admin-1 region) is read on its own, on the
sightings placed at that level: one unplaced photo between two in Russia is no evidence
of anything, so it does not break the run.  A crossing is a change of value between two
consecutive placed sightings; it happened after the old side's sighting could have been
taken (its window's start) and before the new side's was (its window's end): that is all
the evidence says, and with a ±14 h photo it can say little.  De jure and de facto are
separate events on purpose: Rostov to Simferopol crosses into Ukraine de jure and stays
in Russia de facto.

How sure a crossing is follows its weaker sighting, from the places stage's border
confidence (distance to the nearest land border: low under 2 km, medium under 5 km),
then lowered for what the points themselves say:

* a disc that may reach the border (radius beyond the near edge of its band) counts one
  step lower: the sighting may have been taken on the other side;
* when the two time windows overlap, the order of the two sightings, and with it the
  direction of the crossing, is not established: one step lower;
* a boundary that is not a de jure land border (the same de jure country on both sides:
  an oblast line, or the de facto line into Crimea) has no measured distance, so
  the border confidence says nothing of it: at most medium;
* a region seen once between two others (A A B A A) makes two crossings out of one
  sighting, the classic misplaced photo: at most medium, and low unless that sighting
  is itself high.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geotrace.analysis.points import Points
from geotrace.places.borders import LOW_KM, MEDIUM_KM

#: The levels, as the ``Points`` fields that hold them, in the order events are listed.
LEVELS = ("country_de_jure", "country_de_facto", "admin1")
CONFIDENCE = np.array(["low", "medium", "high"])
#: The least distance to the land border each band of ``border_confidence`` guarantees,
#: in metres (the band edges of :mod:`geotrace.places.borders`); 'none' (at sea) and
#: unplaced are low.
_BAND_FLOOR_M = {"low": 0.0, "medium": LOW_KM * 1000, "high": MEDIUM_KM * 1000}
_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Crossing:
    """One change of value at one level between two consecutive placed sightings.

    The crossing happened after ``after_utc`` (the old side's last sighting, its window's
    start) and before ``before_utc`` (the new side's first sighting, its window's end);
    ``last_index`` and ``first_index`` are those sightings' indexes into the points.
    """

    level: str
    left: str
    entered: str
    after_utc: float
    before_utc: float
    last_index: int
    first_index: int
    confidence: str


def crossings(points: Points) -> list[Crossing]:
    """Every crossing of ``points`` (one track, sorted by time), in time order, de jure
    before de facto before admin-1 at one pair of sightings."""
    sure = _sighting_confidence(points)
    de_jure = points.country_de_jure
    found: list[Crossing] = []
    for level in LEVELS:
        values = getattr(points, level)
        placed = np.flatnonzero(values != "")
        seen = values[placed]
        change = np.flatnonzero(seen[1:] != seen[:-1])
        last, first = placed[change], placed[change + 1]
        rank = np.minimum(sure[last], sure[first])
        rank -= points.t[last] + points.u[last] > points.t[first] - points.u[first]
        internal = (de_jure[last] == de_jure[first]) & (de_jure[last] != "")
        rank = np.where(internal, np.minimum(rank, 1), rank)
        # A run of one sighting between two changes: that sighting makes both crossings.
        alone = change[1:] - change[:-1] == 1
        enters, leaves = np.zeros(len(change), bool), np.zeros(len(change), bool)
        enters[:-1], leaves[1:] = alone, alone
        lone_cap = np.minimum(
            np.where(enters, np.where(sure[first] == 2, 1, 0), 2),
            np.where(leaves, np.where(sure[last] == 2, 1, 0), 2),
        )
        rank = np.minimum(rank, lone_cap)
        found.extend(
            Crossing(
                level,
                str(values[i]),
                str(values[j]),
                float(points.t[i] - points.u[i]),
                float(points.t[j] + points.u[j]),
                int(i),
                int(j),
                str(CONFIDENCE[r]),
            )
            for i, j, r in zip(last, first, np.maximum(rank, 0), strict=True)
        )
    order = {level: k for k, level in enumerate(LEVELS)}
    return sorted(found, key=lambda c: (c.first_index, c.last_index, order[c.level]))


def _sighting_confidence(points: Points) -> npt.NDArray[np.int64]:
    """Each sighting's border confidence as a rank (0 low, 1 medium, 2 high), one step
    lower where its disc may reach the border."""
    words = points.border_confidence
    rank = np.zeros(len(points), dtype=np.int64)
    floor = np.zeros(len(points))
    for word, r in _RANK.items():
        rank[words == word] = r
        floor[words == word] = _BAND_FLOOR_M[word]
    return np.where((rank > 0) & (points.radius_m > floor), rank - 1, rank)
