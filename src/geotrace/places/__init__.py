"""Resolve stage: what a point is, politically and practically, answered offline.

``resolve`` answers for arrays of points at once (one vectorised pass per layer), and
keeps the political question explicit: the de jure country (internationally recognised
borders, Natural Earth's German point of view), the de facto one (the administration
Natural Earth's admin-1 layer records, e.g. Crimea), and, when the user supplies a dated
control-of-territory layer, who controlled the ground, naming that file and date.  The
nearest settlement is context only: a country is never decided by the nearest city.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from geotrace.places import borders, gazetteer, timezones
from geotrace.places.control import ControlLayer

#: Version of the resolve stage (its data and rules); a case re-resolves older answers.
PLACES_VERSION = "1"

#: Per-point flags from the country layer, in the order ``resolve`` reads them.
FLAG_NAMES = ("position_invalid", "lon_normalised", "latlon_swapped_suspect")

#: The answer for one point, field by field, as ``Resolved.rows`` and the case give it.
PLACE_FIELDS = (
    "country_de_jure",
    "country_de_facto",
    "also_country",
    "neighbour_country",
    "distance_to_border_km",
    "border_confidence",
    "nearest_country",
    "nearest_country_km",
    "admin1_code",
    "admin1_name",
    "admin1_name_uk",
    "admin1_name_ru",
    "settlement",
    "settlement_cyrillic",
    "settlement_country",
    "settlement_km",
    "timezone",
    "utc_offset",
    "control",
    "control_source",
    "radius_shares",
    "flags",
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Answers for N points, column by column (each sequence has N entries)."""

    columns: dict[str, Any]  # field -> list or NumPy array, N entries each

    def __len__(self) -> int:
        return len(self.columns["country_de_jure"])

    def __getattr__(self, name: str) -> Any:
        try:
            return self.columns[name]
        except KeyError:
            raise AttributeError(name) from None

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per point, in ``PLACE_FIELDS`` order; empty answers as None."""
        for i in range(len(self)):
            yield {f: _plain(self.columns[f][i]) for f in PLACE_FIELDS}


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones, "" to None: rows go to JSON, CSV and SQLite."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return None if value == "" else value


def resolve(
    lat: ArrayLike,
    lon: ArrayLike,
    radius_m: ArrayLike | None = None,
    *,
    at: Sequence[datetime | None] | None = None,
    from_local: Sequence[bool] | None = None,
    control: ControlLayer | None = None,
) -> Resolved:
    """Country (de jure, de facto, control), admin-1, settlement, zone and border context.

    ``at`` (aware UTC instants, one per point or None) gives each zone's offset at that
    instant; where ``from_local`` says the instant was converted from a local wall time
    with the time-zone database (basis ``location_timezone``), the occupied-Ukraine
    clock caveat is checked too.  ``radius_m`` adds, for each point with a radius, every
    country its uncertainty circle touches with the share of its area.
    """
    hits = borders.countries(lat, lon)
    adm = borders.admin1(lat, lon)
    # The other layers see the position the country answer used (longitude wrapped);
    # an unreadable one is NaN for them, so that no layer answers for it.
    la, lo, _, invalid = borders.normalise(lat, lon)
    la = np.where(invalid, np.nan, la)
    lo = np.where(invalid, np.nan, lo)
    towns = gazetteer.nearest_settlements(la, lo)
    zones = [
        z if ok else ""
        for z, ok in zip(
            timezones.zone_names(np.nan_to_num(la), np.nan_to_num(lo)), ~invalid, strict=True
        )
    ]
    n = len(la)
    flags: list[list[str]] = [
        [name for name, on in zip(FLAG_NAMES, row, strict=True) if on]
        for row in zip(hits.invalid, hits.lon_normalised, hits.latlon_swapped_suspect, strict=True)
    ]
    offsets: list[str | None] = [None] * n
    if at is not None:
        local = from_local if from_local is not None else [False] * n
        for i, (zone, when) in enumerate(zip(zones, at, strict=True)):
            if when is None or not zone:
                continue
            offsets[i] = timezones.format_offset(timezones.utc_offset(zone, when))
            caveat = (
                timezones.moscow_clock_caveat(adm.code[i] or None, zone, when) if local[i] else None
            )
            if caveat:
                flags[i].append(caveat)
    shares: list[dict[str, float] | None] = [None] * n
    if radius_m is not None:
        radii = np.broadcast_to(np.asarray(radius_m, dtype=float), (n,))
        with_radius = np.flatnonzero(np.isfinite(radii) & (radii > 0))
        for j, share in zip(
            with_radius.tolist(),
            borders.radius_shares(la[with_radius], lo[with_radius], radii[with_radius]),
            strict=True,
        ):
            shares[j] = share
    controlled = control.lookup(la, lo) if control is not None else [None] * n
    columns: dict[str, Any] = {
        "country_de_jure": hits.de_jure,
        "country_de_facto": adm.country_de_facto,
        "also_country": hits.also,
        "neighbour_country": hits.neighbour,
        "distance_to_border_km": hits.distance_to_border_km,
        "border_confidence": hits.confidence,
        "nearest_country": hits.nearest_country,
        "nearest_country_km": hits.nearest_km,
        "admin1_code": adm.code,
        "admin1_name": adm.name,
        "admin1_name_uk": adm.name_uk,
        "admin1_name_ru": adm.name_ru,
        "settlement": towns.name,
        "settlement_cyrillic": towns.name_cyrillic,
        "settlement_country": towns.country,
        "settlement_km": towns.distance_km,
        "timezone": zones,
        "utc_offset": offsets,
        "control": controlled,
        "control_source": [control.describe() if control is not None else None] * n,
        "radius_shares": shares,
        "flags": flags,
    }
    return Resolved(columns)


__all__ = ["PLACES_VERSION", "PLACE_FIELDS", "ControlLayer", "Resolved", "resolve"]
