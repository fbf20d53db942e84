"""From a platform geotag to a sighting: where a post says its author was, and how surely.

A geotag is a claim the platform stored, not a measurement the file carries: the poster
can pick any point on a map (Telegram, VK, Instagram all allow it), and a place tag is an
area the post was "associated with", not necessarily sent from (X's own documentation).
So the confidence is lower than a camera's GPS, and lowest for areas; the radius is the
reader's honest one (a pin's tens of metres, a bounding box's half-diagonal).
"""

from __future__ import annotations

from geotrace.records import Geotag, Post, Sighting, SightingMethod

METHOD: SightingMethod = "platform_geotag"

#: Confidence per geotag kind, before any cross-checking (compare exif_gps 0.9):
#:
#: - ``exif_point`` 0.8: the camera's own fix, passed on by the platform's export;
#: - ``track_point`` 0.8: a GPS logger's own fix (a GeoLife/OziExplorer track);
#: - ``point``/``live_location``/``photo_point`` 0.6: usually the phone's position at
#:   posting, but a pin can be dropped anywhere on a map;
#: - ``venue`` 0.5: a named place chosen from a list near (or far from) the device;
#: - ``place_bbox`` 0.4: an area the post was associated with, often a whole city.
CONFIDENCE = {
    "exif_point": 0.8,
    "track_point": 0.8,
    "point": 0.6,
    "live_location": 0.6,
    "photo_point": 0.6,
    "venue": 0.5,
    "place_bbox": 0.4,
}
#: For a kind a reader invents that is not listed: the most cautious value.
DEFAULT_CONFIDENCE = 0.4


def sightings_from_post(post: Post) -> list[Sighting]:
    """One sighting per geotag, at the post's instant with the post's time basis.

    A post with no instant still places its author: the sighting then has no time, basis
    ``unknown_zone``, as a photo's GPS fix without a clock does.
    """
    return [_sighting(post, tag) for tag in post.geotags]


def _sighting(post: Post, tag: Geotag) -> Sighting:
    at = post.posted_at
    evidence: dict[str, object] = {
        "platform": post.platform,
        "post_id": post.post_id,
        "field": tag.source,
        "kind": tag.kind,
        "label": tag.label,
        "time_source": at.source if at is not None else None,
    }
    return Sighting(
        media_sha256=None,
        method=METHOD,
        lat=tag.lat,
        lon=tag.lon,
        alt_m=None,
        radius_m=tag.radius_m,
        at_utc=at.utc if at is not None else None,
        at_local=at.local if at is not None else None,
        time_basis=at.basis if at is not None else "unknown_zone",
        time_uncertainty_s=at.uncertainty_s if at is not None else None,
        confidence=CONFIDENCE.get(tag.kind, DEFAULT_CONFIDENCE),
        evidence=evidence,
        post=(post.platform, post.post_id),
    )
