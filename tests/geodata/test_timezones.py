"""Zones, offsets, and the occupied-Ukraine Moscow-clock caveat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from geotrace.geo import format_offset
from geotrace.geodata.timezones import moscow_clock_caveat, utc_offset, zone_names

KYIV = "Europe/Kyiv"


def test_zone_names_for_points() -> None:
    lat = np.array([50.45, 44.95, 48.02, 49.84, 55.75, np.nan])
    lon = np.array([30.52, 34.10, 37.80, 24.03, 37.62, 0.0])
    assert zone_names(lat, lon) == [
        KYIV, "Europe/Simferopol", KYIV, KYIV, "Europe/Moscow", "",
    ]  # fmt: skip
    # Longitudes outside [-180, 180] are wrapped, not refused.
    assert zone_names([50.45], [30.52 + 360.0]) == [KYIV]


def test_kyiv_winter_and_summer_offsets() -> None:
    assert utc_offset(KYIV, datetime(2023, 1, 15, 12, tzinfo=UTC)) == timedelta(hours=2)
    assert utc_offset(KYIV, datetime(2023, 7, 15, 12)) == timedelta(hours=3)
    assert format_offset(timedelta(hours=3)) == "+03:00"
    assert format_offset(timedelta(hours=-9, minutes=-30)) == "-09:30"


def test_tzdata_already_puts_simferopol_on_moscow_time_after_2014() -> None:
    zone = "Europe/Simferopol"
    assert utc_offset(zone, datetime(2014, 1, 15, 12)) == timedelta(hours=2)
    assert utc_offset(zone, datetime(2014, 4, 15, 12)) == timedelta(hours=4)
    assert utc_offset(zone, datetime(2016, 1, 15, 12)) == timedelta(hours=3)
    # So Crimea needs no caveat when the tz answer is Simferopol...
    assert moscow_clock_caveat("UA-43", zone, datetime(2016, 1, 15, 10)) is None
    # ...but does when a Crimean point was converted with Kyiv time.
    assert moscow_clock_caveat("UA-43", KYIV, datetime(2016, 1, 15, 10)) is not None


def test_caveat_fires_for_donetsk_in_winter_2016() -> None:
    message = moscow_clock_caveat("UA-14", KYIV, datetime(2016, 1, 15, 10, 0))
    assert message is not None
    assert "Moscow time" in message and "2014-10-26" in message
    # 10:00 on a Moscow clock is 07:00 UTC, not the 08:00 that Kyiv time gives.
    assert "2016-01-15 07:00 UTC" in message and "not 2016-01-15 08:00 UTC" in message
    # An aware instant is read as that instant.
    assert moscow_clock_caveat("UA-14", KYIV, datetime(2016, 1, 15, 8, tzinfo=UTC)) == message


def test_no_caveat_where_the_clocks_agree_or_were_never_moved() -> None:
    winter = datetime(2016, 1, 15, 10)
    assert moscow_clock_caveat("UA-46", KYIV, winter) is None  # Lviv
    assert moscow_clock_caveat("UA-30", KYIV, winter) is None  # Kyiv city
    assert moscow_clock_caveat(None, KYIV, winter) is None
    # Summer: Kyiv and Moscow both UTC+3, the conversion is right either way.
    assert moscow_clock_caveat("UA-14", KYIV, datetime(2016, 7, 15, 10)) is None
    # Before the switch of 2014-10-26.
    assert moscow_clock_caveat("UA-14", KYIV, datetime(2014, 1, 15, 10)) is None


def test_caveat_for_areas_occupied_in_2022() -> None:
    winter = datetime(2022, 12, 10, 9)
    for region in ("UA-23", "UA-65", "UA-63"):
        assert moscow_clock_caveat(region, KYIV, winter) is not None
    assert moscow_clock_caveat("UA-65", KYIV, datetime(2021, 12, 10, 9)) is None
