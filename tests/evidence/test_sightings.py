"""evidence.sightings: which metadata becomes a sighting, with what radius, time and method."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from geotrace.evidence.sightings import DEFAULT_RADIUS_M, sighting_from
from geotrace.records import UNKNOWN_ZONE_WINDOW, Device, GpsFix, MediaMetadata, Taken

SHA = "ab" * 32
LOCAL = datetime(2014, 8, 20, 14, 30, 5)
UTC_AT = datetime(2014, 8, 20, 10, 30, 5, tzinfo=UTC)


def meta(gps: GpsFix | None, taken: Taken | None = None) -> MediaMetadata:
    return MediaMetadata("image", "image/jpeg", gps, taken, Device(), ())


def taken(utc: datetime | None = UTC_AT, basis: str = "offset_tag") -> Taken:
    window = UNKNOWN_ZONE_WINDOW if utc is None else timedelta(0)
    offset = timedelta(hours=4) if utc else None
    return Taken(LOCAL, utc, offset, basis, window, "exif:ExifIFD:DateTimeOriginal")


def test_exif_fix_with_offset_time() -> None:
    s = sighting_from(meta(GpsFix(48.0, 37.8, 210.0, "exif"), taken()), SHA)
    assert s is not None
    assert (s.method, s.lat, s.lon, s.alt_m) == ("exif_gps", 48.0, 37.8, 210.0)
    assert s.radius_m == DEFAULT_RADIUS_M["exif_gps"]
    assert (s.at_utc, s.at_local, s.time_basis, s.time_uncertainty_s) == (
        UTC_AT,
        LOCAL,
        "offset_tag",
        0.0,
    )
    assert s.evidence["media_sha256"] == SHA
    assert "GPS:GPSLatitude" in s.evidence["tags"]  # type: ignore[operator]


def test_method_follows_the_fix_source() -> None:
    for source, method in [("xmp", "xmp_gps"), ("quicktime", "video_gps"), ("3gpp", "video_gps")]:
        s = sighting_from(meta(GpsFix(1.0, 2.0, None, source)), SHA)
        assert s is not None and s.method == method
    assert sighting_from(meta(GpsFix(1.0, 2.0, None, "made-up")), SHA) is None


def test_no_fix_or_unusable_fix_gives_no_sighting() -> None:
    assert sighting_from(meta(None, taken()), SHA) is None
    assert sighting_from(meta(GpsFix(0.0, 0.0, None, "exif", usable=False), taken()), SHA) is None


def test_stated_accuracy_wins_over_the_default() -> None:
    s = sighting_from(meta(GpsFix(1.0, 2.0, None, "exif", radius_m=7.5)), SHA)
    assert s is not None and s.radius_m == 7.5


def test_unknown_zone_keeps_local_time_and_no_utc() -> None:
    s = sighting_from(meta(GpsFix(1.0, 2.0, None, "exif"), taken(None, "unknown_zone")), SHA)
    assert s is not None
    assert s.at_utc is None and s.at_local == LOCAL
    assert s.time_basis == "unknown_zone"
    assert s.time_uncertainty_s == UNKNOWN_ZONE_WINDOW.total_seconds()


def test_gps_clock_when_the_file_has_no_capture_time() -> None:
    fix = GpsFix(1.0, 2.0, None, "exif", utc=UTC_AT)
    s = sighting_from(meta(fix), SHA)
    assert s is not None and (s.at_utc, s.time_basis) == (UTC_AT, "gps_clock")
    bare = sighting_from(meta(GpsFix(1.0, 2.0, None, "exif")), SHA)
    assert bare is not None
    assert (bare.at_utc, bare.time_basis, bare.time_uncertainty_s) == (None, "unknown_zone", None)
