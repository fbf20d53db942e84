"""From what a file says to a sighting: the one place where a GPS fix becomes evidence.

A pure function of a :class:`MediaMetadata`, so that a re-run over the same bytes with the
same reader gives the same sighting, and the case store can key it by (media, method).
"""

from __future__ import annotations

from datetime import datetime

from geotrace.records import CaptureBasis, GpsFix, MediaMetadata, Sighting, SightingMethod, Taken

#: Where a fix came from (``GpsFix.source``) -> the sighting method it supports.
METHOD_BY_GPS_SOURCE: dict[str, SightingMethod] = {
    "exif": "exif_gps",
    "xmp": "xmp_gps",
    "quicktime": "video_gps",
    "keys": "video_gps",
    "userdata": "video_gps",
    "3gpp": "video_gps",
}

#: Default horizontal radius (metres) when the file states no accuracy of its own.
#:
#: - ``exif_gps`` 50 m: a phone's GNSS fix is 5-20 m under open sky, but photos are taken
#:   in streets and indoors where multipath and the last cached fix put it tens of metres
#:   off; 50 m covers what published phone-accuracy studies find in urban use.
#: - ``xmp_gps`` 100 m: XMP coordinates are often written by editing or cataloguing
#:   software, sometimes placed by hand on a map, and so are less tied to a receiver.
#: - ``video_gps`` 100 m: the position is taken once, at the start of a recording that may
#:   move, and the ISO 6709 strings in QuickTime/MP4 often keep only 4 decimals (~11 m).
DEFAULT_RADIUS_M = {"exif_gps": 50.0, "xmp_gps": 100.0, "video_gps": 100.0}

#: How far a sighting by this method can be trusted, before any cross-checking: metadata
#: can be edited by anyone with the file, so even a well-formed GPS tag is not certainty.
CONFIDENCE = {"exif_gps": 0.9, "xmp_gps": 0.8, "video_gps": 0.85}

#: The tags (exiftool's group:name spelling) each fix source is read from; a
#: ``quicktime`` fix comes from one of the three location atoms, best first.
EVIDENCE_TAGS = {
    "exif": ("GPS:GPSLatitude", "GPS:GPSLatitudeRef", "GPS:GPSLongitude", "GPS:GPSLongitudeRef"),
    "xmp": ("XMP-exif:GPSLatitude", "XMP-exif:GPSLongitude"),
    "quicktime": (
        "Keys:GPSCoordinates",
        "UserData:GPSCoordinates",
        "UserData:LocationInformation",
    ),
    "keys": ("Keys:GPSCoordinates",),
    "userdata": ("UserData:GPSCoordinates",),
    "3gpp": ("UserData:LocationInformation",),
}


def method_for(gps: GpsFix) -> SightingMethod | None:
    """The sighting method a fix supports, or None for a source we do not know."""
    return METHOD_BY_GPS_SOURCE.get(gps.source)


def radius_for(gps: GpsFix, method: str) -> float:
    """The accuracy the device itself stated when there is one, else the method default."""
    if gps.radius_m is not None and gps.radius_m > 0:
        return gps.radius_m
    return DEFAULT_RADIUS_M[method]


def _instant(
    taken: Taken | None, gps: GpsFix
) -> tuple[datetime | None, CaptureBasis, float | None]:
    """(UTC instant, basis, half-width in seconds) of a sighting."""
    if taken is not None:
        return taken.utc, taken.basis, taken.uncertainty.total_seconds()
    if gps.utc is not None:
        return gps.utc, "gps_clock", 1.0  # GPS stamps are whole seconds of UTC
    return None, "unknown_zone", None


def sighting_from(meta: MediaMetadata, sha256: str) -> Sighting | None:
    """The sighting a file's metadata supports, or None (no fix, unusable fix, unknown source).

    When the file has a fix but no capture time, the GPS clock's own instant is used with
    basis ``gps_clock``: the receiver's time is UTC by definition.  When neither exists,
    the sighting still stands, with no instant and basis ``unknown_zone``.
    """
    gps = meta.gps
    if gps is None or not gps.usable:
        return None
    method = method_for(gps)
    if method is None:
        return None
    taken = meta.taken
    at_utc, basis, uncertainty = _instant(taken, gps)
    evidence: dict[str, object] = {
        "media_sha256": sha256,
        "gps_source": gps.source,
        "tags": list(EVIDENCE_TAGS.get(gps.source, ())),
        "time_source": taken.source if taken is not None else ("gps" if gps.utc else None),
    }
    if taken is not None and taken.clock_drift is not None:
        # Camera clock minus GPS clock; on basis gps_clock the camera read at_local + this.
        evidence["clock_drift_s"] = taken.clock_drift.total_seconds()
    return Sighting(
        media_sha256=sha256,
        method=method,
        lat=gps.lat,
        lon=gps.lon,
        alt_m=gps.alt_m,
        radius_m=radius_for(gps, method),
        at_utc=at_utc,
        at_local=taken.local if taken is not None else None,
        time_basis=basis,
        time_uncertainty_s=uncertainty,
        confidence=CONFIDENCE[method],
        evidence=evidence,
    )
