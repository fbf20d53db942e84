"""Capture time to UTC: each basis, chosen in order of trust, never a silent guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from geotrace.evidence.clock import format_offset, parse_datetime, parse_offset, resolve
from geotrace.records import GpsFix, Problem

KYIV = (50.45, 30.52)


def _fix(lat: float, lon: float) -> GpsFix:
    return GpsFix(lat, lon, None, "exif")


def test_offset_tag_wins_and_measures_drift_against_gps() -> None:
    problems: list[Problem] = []
    gps_utc = datetime(2022, 2, 24, 3, 0, 30, tzinfo=UTC)
    taken = resolve(
        datetime(2022, 2, 24, 5, 0, 0), timedelta(hours=2), "exif", _fix(*KYIV), gps_utc, problems
    )
    assert taken is not None
    assert taken.basis == "offset_tag"
    assert taken.utc == datetime(2022, 2, 24, 3, 0, tzinfo=UTC)
    assert taken.clock_drift == timedelta(seconds=-30)


def test_gps_clock_uses_the_satellite_instant_and_reports_a_wrong_camera_clock() -> None:
    problems: list[Problem] = []
    gps_utc = datetime(2022, 7, 1, 9, 0, 0, tzinfo=UTC)
    # Kyiv is UTC+3 in summer; the camera clock is 40 minutes fast.
    camera = datetime(2022, 7, 1, 12, 40, 0)
    taken = resolve(camera, None, "exif", _fix(*KYIV), gps_utc, problems)
    assert taken is not None and taken.basis == "gps_clock"
    assert taken.utc == gps_utc
    assert taken.offset == timedelta(hours=3)
    assert taken.clock_drift == timedelta(minutes=40)
    # local is the GPS instant on the camera's zone; the camera's reading is kept as drift.
    assert (
        taken.local == datetime(2022, 7, 1, 12, 0, 0) and taken.local + taken.clock_drift == camera
    )
    assert taken.uncertainty == timedelta(minutes=40)
    assert [p.code for p in problems] == ["camera_clock_drift"]


def test_gps_clock_without_a_position_infers_the_offset_to_the_quarter_hour() -> None:
    gps_utc = datetime(2020, 1, 1, 0, 0, 0, tzinfo=UTC)
    taken = resolve(datetime(2020, 1, 1, 5, 45, 3), None, "exif", None, gps_utc, [])
    assert taken is not None and taken.offset == timedelta(hours=5, minutes=45)
    assert taken.clock_drift == timedelta(seconds=3)


def test_location_timezone_applies_dst_of_that_date() -> None:
    winter = resolve(datetime(2021, 1, 10, 12, 0), None, "exif", _fix(*KYIV), None, [])
    summer = resolve(datetime(2021, 7, 10, 12, 0), None, "exif", _fix(*KYIV), None, [])
    assert winter is not None and summer is not None
    assert (winter.basis, winter.offset) == ("location_timezone", timedelta(hours=2))
    assert summer.offset == timedelta(hours=3)
    assert summer.utc == datetime(2021, 7, 10, 9, 0, tzinfo=UTC)


def test_ambiguous_wall_time_at_a_dst_change_widens_the_uncertainty() -> None:
    problems: list[Problem] = []
    # 31 Oct 2021, 03:30 happened twice in Kyiv.
    taken = resolve(datetime(2021, 10, 31, 3, 30), None, "exif", _fix(*KYIV), None, problems)
    assert taken is not None and taken.uncertainty == timedelta(hours=1)
    assert [p.code for p in problems] == ["ambiguous_local_time"]


def test_unknown_zone_gives_no_utc_and_a_fourteen_hour_window() -> None:
    taken = resolve(datetime(2015, 2, 18, 8, 0), None, "exif", None, None, [])
    assert taken is not None and taken.basis == "unknown_zone"
    assert taken.utc is None and taken.local == datetime(2015, 2, 18, 8, 0)
    assert taken.uncertainty == timedelta(hours=14)


def test_parsers_refuse_nonsense() -> None:
    assert parse_datetime("0000:00:00 00:00:00") is None
    assert parse_datetime("    :  :     :  :  ") is None
    assert parse_datetime("2019:02:30 10:00:00") is None
    assert parse_datetime("2019:03:21 11:04:22", "348") == (
        datetime(2019, 3, 21, 11, 4, 22, 348000),
        None,
    )
    assert parse_datetime("2010-07-11T13:53:00+02:00") == (
        datetime(2010, 7, 11, 13, 53),
        timedelta(hours=2),
    )
    assert parse_offset("+15:00") is None and parse_offset("   :  ") is None
    assert parse_offset("-03:30") == -timedelta(hours=3, minutes=30)
    assert format_offset(-timedelta(hours=3, minutes=30)) == "-03:30"


def test_camera_left_on_utc_is_named_not_mistaken_for_drift() -> None:
    problems: list[Problem] = []
    gps_utc = datetime(2003, 11, 23, 18, 7, 37, tzinfo=UTC)
    beijing = _fix(39.9, 116.39)
    taken = resolve(
        datetime(2003, 11, 23, 18, 7, 37, 630000), None, "exif", beijing, gps_utc, problems
    )
    assert taken is not None and taken.offset == timedelta(0)
    assert taken.clock_drift == timedelta(microseconds=630000)
    assert [p.code for p in problems] == ["camera_zone_mismatch"]


def test_camera_clock_a_day_off_keeps_the_gps_instant_and_says_so() -> None:
    problems: list[Problem] = []
    gps_utc = datetime(2008, 10, 23, 14, 36, 47, tzinfo=UTC)
    tuscany = _fix(43.467, 11.885)
    taken = resolve(datetime(2008, 10, 22, 16, 38, 20), None, "exif", tuscany, gps_utc, problems)
    assert taken is not None and taken.utc == gps_utc
    assert taken.offset == timedelta(hours=2)
    assert taken.uncertainty > timedelta(hours=20)
    assert [p.code for p in problems] == ["camera_clock_drift"]
