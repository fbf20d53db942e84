"""Resolve stage: what a point is, politically and practically, answered offline.

``resolve`` answers for arrays of points at once (one vectorised pass per layer), and
keeps the political question explicit: the de jure country (internationally recognised
borders, Natural Earth's German point of view), the de facto one (the administration
Natural Earth's admin-1 layer records, e.g. Crimea), and, when the user supplies a dated
control-of-territory layer, who controlled the ground, naming that file and date.  The
nearest settlement is context only: a country is never decided by the nearest city.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from geotrace.geo import format_offset
from geotrace.geodata import gazetteer, timezones
from geotrace.places import borders
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


class Resolved:
    """Answers for N points, column by column, each layer computed when first asked for.

    Which country a point is in, and how sure that is given the border, costs a table
    look-up and a k-d tree query bounded at 5 km; the exact border distance, the oblast,
    the nearest settlement and the zone cost more, and a caller who wants only countries
    (a million-row table, a map filter) should not pay for them.  ``rows()`` and
    attribute access give the same answers either way.
    """

    def __init__(self, n: int, layers: dict[str, Callable[[], dict[str, Any]]]) -> None:
        self._n = n
        self._layers = layers
        self._layer_of = {f: name for name, fields in LAYER_FIELDS.items() for f in fields}
        self._columns: dict[str, Any] = {}

    def __len__(self) -> int:
        return self._n

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._layer_of:
            raise AttributeError(name)
        return self.column(name)

    def column(self, name: str) -> Any:
        """One field for every point (a list or NumPy array of N entries)."""
        if name not in self._columns:
            self._columns.update(self._layers[self._layer_of[name]]())
        return self._columns[name]

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per point, in ``PLACE_FIELDS`` order; empty answers as None."""
        columns = [_plain(self.column(f)) for f in PLACE_FIELDS]
        for values in zip(*columns, strict=True):
            yield dict(zip(PLACE_FIELDS, values, strict=True))


#: Which layer computes which fields (see ``resolve``).
LAYER_FIELDS = {
    "country": ("country_de_jure", "also_country", "border_confidence"),
    "border": (
        "neighbour_country",
        "distance_to_border_km",
        "nearest_country",
        "nearest_country_km",
    ),
    "admin1": (
        "country_de_facto",
        "admin1_code",
        "admin1_name",
        "admin1_name_uk",
        "admin1_name_ru",
    ),
    "settlement": ("settlement", "settlement_cyrillic", "settlement_country", "settlement_km"),
    "time": ("timezone", "utc_offset", "flags"),
    "radius": ("radius_shares",),
    "control": ("control", "control_source"),
}
assert sorted(f for fs in LAYER_FIELDS.values() for f in fs) == sorted(PLACE_FIELDS)


def _plain(column: Any) -> list[Any]:
    """A column as Python values, "" and NaN as None: rows go to JSON, CSV and SQLite."""
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)
    return [None if v == "" or (isinstance(v, float) and v != v) else v for v in values]


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
    country its uncertainty circle touches with the share of its area.  Each layer is
    computed on first use (see ``Resolved``).
    """
    located = borders.locate(lat, lon)
    n = len(located.de_jure)
    # Later layers see the position the country answer used (longitude wrapped); an
    # unreadable one is NaN for them, so that no layer answers for it.
    la = np.where(located.invalid, np.nan, located.lat)
    lo = np.where(located.invalid, np.nan, located.lon)
    result: Resolved

    def country() -> dict[str, Any]:
        return {
            "country_de_jure": located.de_jure,
            "also_country": located.also,
            "border_confidence": located.confidence,
        }

    def border() -> dict[str, Any]:
        hits = borders.countries(lat, lon)
        swapped.extend(hits.latlon_swapped_suspect.tolist())
        return {
            "neighbour_country": hits.neighbour,
            "distance_to_border_km": hits.distance_to_border_km,
            "nearest_country": hits.nearest_country,
            "nearest_country_km": hits.nearest_km,
        }

    def admin1() -> dict[str, Any]:
        adm = borders.admin1(lat, lon)
        return {
            "country_de_facto": adm.country_de_facto,
            "admin1_code": adm.code,
            "admin1_name": adm.name,
            "admin1_name_uk": adm.name_uk,
            "admin1_name_ru": adm.name_ru,
        }

    def settlement() -> dict[str, Any]:
        towns = gazetteer.nearest_settlements(la, lo)
        return {
            "settlement": towns.name,
            "settlement_cyrillic": towns.name_cyrillic,
            "settlement_country": towns.country,
            "settlement_km": towns.distance_km,
        }

    def time() -> dict[str, Any]:
        names = timezones.zone_names(np.nan_to_num(la), np.nan_to_num(lo))
        zones = [z if ok else "" for z, ok in zip(names, ~located.invalid, strict=True)]
        result.column("distance_to_border_km")  # the swap check comes with the border layer
        flags: list[list[str]] = [
            [name for name, on in zip(FLAG_NAMES, row, strict=True) if on]
            for row in zip(located.invalid, located.lon_normalised, swapped, strict=True)
        ]
        offsets: list[str | None] = [None] * n
        if at is not None:
            codes = result.column("admin1_code")
            local = from_local if from_local is not None else [False] * n
            for i, (zone, when) in enumerate(zip(zones, at, strict=True)):
                if when is None or not zone:
                    continue
                offsets[i] = format_offset(timezones.utc_offset(zone, when))
                if local[i]:
                    caveat = timezones.moscow_clock_caveat(codes[i] or None, zone, when)
                    if caveat:
                        flags[i].append(caveat)
        return {"timezone": zones, "utc_offset": offsets, "flags": flags}

    def radius() -> dict[str, Any]:
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
        return {"radius_shares": shares}

    def controlled() -> dict[str, Any]:
        if control is None:
            return {"control": [None] * n, "control_source": [None] * n}
        return {"control": control.lookup(la, lo), "control_source": [control.describe()] * n}

    swapped: list[bool] = []
    result = Resolved(
        n,
        {
            "country": country,
            "border": border,
            "admin1": admin1,
            "settlement": settlement,
            "time": time,
            "radius": radius,
            "control": controlled,
        },
    )
    return result


__all__ = ["PLACES_VERSION", "PLACE_FIELDS", "ControlLayer", "Resolved", "resolve"]
