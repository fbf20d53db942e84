"""Which clock a place keeps: IANA zone per point, its UTC offset, and where clocks lied.

Zones come from ``tzfpy`` (timezone-boundary-builder polygons compiled in; offline) and
offsets from the standard library's ``zoneinfo`` (the system tz database, or the ``tzdata``
package where the system has none).  Both follow the *internationally used* tz database,
which does not model every occupation: in the parts of Donetsk, Luhansk, Zaporizhzhia, Kherson
and Kharkiv oblasts that Russia occupied, local clocks were set to Moscow time while the tz
database (and so every photo-time conversion) still says Europe/Kyiv.  In Ukrainian winter
time Kyiv is UTC+2 and Moscow UTC+3, so a local EXIF time converted the usual way is then an
hour late.  ``moscow_clock_caveat`` says so instead of guessing which clock the camera kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from geotrace.geo import format_offset, zone, zone_name

MOSCOW = "Europe/Moscow"


def zone_names(lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[str]:
    """IANA zone name for each point ("" for a non-finite or out-of-range position).

    tzfpy's own call is per point (``get_tz(lon, lat)``: longitude first) and costs under a
    microsecond in Rust, so a comprehension over plain floats is the vectorised form here
    (about 1.3 M points/s).  Open sea gives the nautical ``Etc/GMT±N`` zones.
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    ok = np.isfinite(lat_a) & np.isfinite(lon_a) & (np.abs(lat_a) <= 90.0)
    lon_n = (lon_a + 180.0) % 360.0 - 180.0
    return [
        zone_name(y, x) if good else ""
        for x, y, good in zip(lon_n.tolist(), lat_a.tolist(), ok.tolist(), strict=True)
    ]


def _zone(name: str) -> ZoneInfo:
    zone_info = zone(name)
    if zone_info is None:
        raise ValueError(f"unknown time zone {name!r}")
    return zone_info


def utc_offset(zone: str, at_utc: datetime) -> timedelta:
    """The zone's UTC offset at an instant (naive datetimes are taken as UTC)."""
    instant = at_utc if at_utc.tzinfo is not None else at_utc.replace(tzinfo=UTC)
    offset = instant.astimezone(_zone(zone)).utcoffset()
    if offset is None:  # pragma: no cover - ZoneInfo always knows its offset
        raise ValueError(f"no UTC offset for {zone} at {at_utc.isoformat()}")
    return offset


@dataclass(frozen=True, slots=True)
class _MoscowClock:
    """Local clocks in (parts of) an ISO 3166-2 region ran on Moscow time from ``since``."""

    region: str
    since: date
    extent: str


# Where occupation authorities set clocks to Moscow time, by ISO 3166-2 code, from the date
# the clocks (at the latest) ran on Moscow time.  Only winter time matters: while Ukraine is
# on summer time (UTC+3) Kyiv and Moscow agree, so a date a few months early or late changes
# no answer unless it crosses a last-Sunday-of-October change.
_MOSCOW_CLOCKS = {
    # Crimea and Sevastopol: Moscow time from 2014-03-30.  tzdata models this in
    # Europe/Simferopol (UTC+4 from 2014-03-30, UTC+3 from 2014-10-26; checked in
    # tests/geodata/test_timezones.py), which tzfpy returns for the whole peninsula, so this
    # row only fires where a point in Crimea gets a Europe/Kyiv answer (a zone chosen by hand,
    # or a coarse zone polygon).
    "UA-43": _MoscowClock("Crimea", date(2014, 3, 30), "Crimea"),
    "UA-40": _MoscowClock("Sevastopol", date(2014, 3, 30), "Sevastopol"),
    # "DPR"/"LPR": did not set clocks back with Ukraine on 2014-10-26 and so stayed on Moscow
    # time (Luhansk decree of 2014-10-22, Donetsk "Donetsk time" law of 2014-10-24).  Sources:
    # tz mailing list, A. Krivenyshev, 2014-10-22
    # (http://mm.icann.org/pipermail/tz/2014-October/046850.html); The Moscow Times,
    # 2014-10-24 ("Luhansk Residents Ordered to Set Clocks to Moscow Time"); Rosbalt and
    # Korrespondent.net, 2014-10-26 (Donetsk city council: clocks not set back).
    "UA-14": _MoscowClock("Donetsk oblast", date(2014, 10, 26), "the parts held by the 'DPR'"),
    "UA-09": _MoscowClock("Luhansk oblast", date(2014, 10, 26), "the parts held by the 'LPR'"),
    # Occupied Zaporizhzhia oblast: occupation council member V. Rogov said on 2022-05-27 that
    # it had "switched to Moscow time in March" and would not set clocks back (TASS via
    # rubaltic.ru, 2022-05-27); it did not on 2022-10-30 (occupation administration's
    # Telegram, 2022-10-28, via ostro.org).  Since 2022-03-01 to cover Melitopol and Berdiansk.
    "UA-23": _MoscowClock("Zaporizhzhia oblast", date(2022, 3, 1), "the occupied parts"),
    # Occupied Kherson oblast: K. Stremousov, 2022-05-28: "we have switched to Moscow time"
    # (Sputnik via UrduPoint, 2022-05-28).  Right-bank Kherson was liberated on 2022-11-11;
    # the left bank is still occupied.
    "UA-65": _MoscowClock("Kherson oblast", date(2022, 5, 28), "the occupied parts"),
    # Occupied Kharkiv oblast (Kupiansk, Izium, Balakliia from March 2022; most liberated in
    # September 2022, before any winter time; parts east of the Oskil and around Vovchansk
    # occupied since).  No decree was found: this row is a "may", from the date the occupation
    # administration was set up in Kupiansk (early June 2022; milukraine.net, 2023-06), and
    # matters only in winters from 2022-10-30 on.
    "UA-63": _MoscowClock("Kharkiv oblast", date(2022, 6, 1), "the occupied parts"),
}


def moscow_clock_caveat(admin1_code: str | None, tz_name: str, local: datetime) -> str | None:
    """A warning when a time converted with ``tz_name`` may really be Moscow clock time.

    ``local`` is the time being converted: a naive wall-clock time (as EXIF states it) is read
    in ``tz_name``; an aware one is used as the instant it names.  The warning is given only
    where the two clocks then differ (Ukrainian winter time), in a region whose occupied parts
    ran on Moscow time by that date; whether the point was in an occupied part is the control
    layer's question, so the message says "if".  None otherwise (Lviv, Kyiv, Crimea with
    Europe/Simferopol, summer months).
    """
    clock = _MOSCOW_CLOCKS.get(admin1_code or "")
    if clock is None or not tz_name or tz_name == MOSCOW:
        return None
    instant = local if local.tzinfo is not None else local.replace(tzinfo=_zone(tz_name))
    if instant.astimezone(UTC).date() < clock.since:
        return None
    zone_offset = utc_offset(tz_name, instant)
    moscow_offset = utc_offset(MOSCOW, instant)
    if zone_offset == moscow_offset:
        return None
    wall = instant.astimezone(_zone(tz_name)).replace(tzinfo=None)
    as_moscow = wall - moscow_offset
    return (
        f"{clock.region}: local clocks in {clock.extent} ran on Moscow time since "
        f"{clock.since.isoformat()}, while the tz database says {tz_name} "
        f"(UTC{format_offset(zone_offset)}); if this place was under occupation, a local "
        f"{wall:%Y-%m-%d %H:%M} is {as_moscow:%Y-%m-%d %H:%M} UTC "
        f"(UTC{format_offset(moscow_offset)}), not {wall - zone_offset:%Y-%m-%d %H:%M} UTC"
    )
