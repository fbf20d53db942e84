"""The record types every stage shares.

Frozen dataclasses with slots: cheap to build by the hundred thousand, hashable, and
impossible to mutate by accident once a stage has produced them, which keeps each stage a
pure function of its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

# -- vocabularies: each a Literal, so that mypy refuses a value outside it -------------------

#: The ways a capture instant can be pinned to UTC, best first.  ``container_utc`` is the
#: QuickTime/MP4 movie header time, UTC by the specification but written as local time by
#: some cameras; it is kept apart so that nobody mistakes the assumption for a measurement.
CaptureBasis = Literal[
    "offset_tag", "gps_clock", "location_timezone", "container_utc", "unknown_zone"
]

#: How a post's instant is pinned to UTC, best first.  ``platform_utc``: the platform
#: stated an absolute instant (Unix seconds, ISO 8601 with Z or an offset); ``gps_clock``:
#: a GPS logger's own UTC (a GeoLife track); ``exporter_offset_inferred``: a local wall time
#: whose zone the file betrays (Telegram's "never edited" placeholder);
#: ``user_stated_zone``: a wall time in a user's table, in the zone the user stated
#: (``ingest --tz``); ``location_timezone``: such a wall time in the zone of the row's own
#: position; ``utc_day``: only the UTC date is known (yt-dlp's ``upload_date``), the instant
#: is noon with a 12 h half-width; ``unknown_zone``: a wall time of an unknown zone, no UTC.
PostBasis = Literal[
    "platform_utc",
    "gps_clock",
    "exporter_offset_inferred",
    "user_stated_zone",
    "location_timezone",
    "utc_day",
    "unknown_zone",
]

#: Every ``time_basis`` a sighting can carry: a capture's (from a file) or a post's.
TimeBasis = CaptureBasis | PostBasis

#: Kinds of provenance link a post can carry.
LinkKind = Literal["forward_of", "repost_of", "reply_to", "quote_of"]

#: How a sighting was made: a photo's or video's own GPS tags, a platform's geotag, or a
#: place a post's text names its writer at or near.
SightingMethod = Literal["exif_gps", "xmp_gps", "video_gps", "platform_geotag", "text_toponym"]

#: How grave a finding is.  ``note``: a doubt about an item that was kept (recorded, and it
#: leaves the exit code alone); ``refusal``: something skipped or lost.
Severity = Literal["note", "refusal"]
NOTE: Final = "note"
REFUSAL: Final = "refusal"

#: Half-width of the window an instant with no known zone can fall in: the Earth's clocks
#: run from UTC-12 to UTC+14.
UNKNOWN_ZONE_WINDOW = timedelta(hours=14)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 as every output writes it: aware instants as UTC with ``Z``, naive ones
    (wall-clock times with no zone) as they are."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.isoformat()
    if dt.tzinfo is UTC:  # the common case, a third of the time: posts come by the million
        return dt.isoformat()[:-6] + "Z"
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a reader could not use or doubts, with why; never fatal for the rest.

    ``severity`` is set by the code that raises the problem (see :data:`Severity`); the
    case's problems table does not store it.
    """

    code: str
    message: str
    severity: Severity = REFUSAL


@dataclass(frozen=True, slots=True)
class GpsFix:
    """A position as the file states it, already signed and range-checked.

    ``usable`` is False for fixes that are reported (so that nothing is hidden from the
    user) but must not become a sighting: the (0, 0) "null island" dummy, coordinates
    stored as text.  The reason is always in the file's problems.
    """

    lat: float
    lon: float
    alt_m: float | None
    source: str
    utc: datetime | None = None
    usable: bool = True
    #: Horizontal accuracy the device itself stated (EXIF GPSHPositioningError, Apple's
    #: location.accuracy.horizontal), in metres; None when the file does not say.
    radius_m: float | None = None


@dataclass(frozen=True, slots=True)
class Taken:
    """When the picture was taken, as local wall time and as UTC, and on what basis.

    ``uncertainty`` is the half-width of the window the true UTC instant lies in: zero
    for an explicit offset, the measured drift for a GPS clock, 14 h for an unknown zone
    (then ``utc`` is None rather than a guess).  ``local - offset == utc`` whenever both
    are known; ``clock_drift`` is the camera clock minus the GPS clock, so that on basis
    ``gps_clock`` the camera read ``local + clock_drift`` (``evidence/clock.py``).
    """

    local: datetime | None
    utc: datetime | None
    offset: timedelta | None
    basis: CaptureBasis
    uncertainty: timedelta
    source: str
    clock_drift: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """The camera, phone or software that made the file; serials keyed as exiftool names them."""

    make: str | None = None
    model: str | None = None
    software: str | None = None
    serials: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MediaMetadata:
    """Everything the metadata reader found in one file, and everything it refused."""

    kind: str  # "image" | "video" | "other"
    mime: str | None
    gps: GpsFix | None
    taken: Taken | None
    device: Device
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """One ingested input as it was found: where, what kind, which bytes, read by what.

    ``kind`` is ``file`` (a file on disk), ``archive`` (a zip file, kept whole as well as
    expanded) or ``archive_member`` (one entry of a zip; ``container`` is then the
    archive's path).  The same bytes found under two paths are two sources and one media.
    """

    path: str
    kind: str
    size: int
    sha256: str
    reader: str
    reader_version: str
    container: str | None = None


@dataclass(frozen=True, slots=True)
class Media:
    """One original, content-addressed: the same bytes under any name are one media.

    ``metadata`` is the reader's public JSON object for it (the ``inspect --json`` form),
    kept verbatim so that the case can answer what was read without the reader.
    """

    sha256: str
    kind: str
    mime: str | None
    size: int
    first_path: str
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sighting:
    """This media (or this post) was at this place at this time, by this method, this surely.

    ``radius_m`` is the honest horizontal uncertainty of the position; ``at_utc`` is None
    when the zone is unknown (``at_local`` then keeps the wall-clock reading) and
    ``time_uncertainty_s`` is the half-width of the window the instant lies in (None when
    the file carries no time at all).  ``evidence`` points back at the tags it came from.
    A platform geotag's sighting has no media and names its post as (platform, post id).
    """

    media_sha256: str | None
    method: SightingMethod
    lat: float
    lon: float
    alt_m: float | None
    radius_m: float
    at_utc: datetime | None
    at_local: datetime | None
    time_basis: TimeBasis
    time_uncertainty_s: float | None
    confidence: float
    evidence: dict[str, object] = field(default_factory=dict)
    post: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class CustodyEntry:
    """One action on the case's originals, in the append-only chain of custody."""

    at: datetime
    action: str
    sha256: str
    detail: dict[str, object] = field(default_factory=dict)


# -- what the platforms' exports say (geotrace.sources.<platform>) ---------------------
#
# Not frozen, unlike the records above: an export brings these by the million, and a
# frozen dataclass's __init__ sets each field through object.__setattr__ (measured: a
# Post takes 3.3 us frozen, 0.9 us not; frozen records were half of a reader's time).
# No stage mutates them; they are built once by a reader and read after, so the small
# ones may be hashed (readers deduplicate geotags and accounts).


@dataclass(slots=True, unsafe_hash=True)
class Instant:
    """When something was posted, as the platform states it, and how sure the UTC is.

    ``utc`` is None when the zone is unknown (``local`` then keeps the wall-clock text);
    ``uncertainty_s`` is the half-width of the window the true instant lies in;
    ``source`` names the field it was read from (``date_unixtime``, ``created_at``).
    """

    utc: datetime | None
    local: datetime | None
    basis: PostBasis
    uncertainty_s: float
    source: str


@dataclass(slots=True, unsafe_hash=True)
class Account:
    """A platform identity as one item shows it: stable id, and handle/name at that time.

    ``account_id`` is the platform's own stable id as text (``user123``, ``-42895313``,
    ``783214``); handles and display names change, so the case keeps every one seen with
    the instants it was seen at.
    """

    platform: str
    account_id: str
    handle: str | None = None
    name: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class Geotag:
    """A position the platform attached to a post, with an honest radius.

    ``kind`` says what it is: ``point`` (a pin or GPS point), ``venue`` (a named place's
    pin), ``live_location``, ``place_bbox`` (an area: the radius covers its bounding box),
    ``photo_point`` (a photo's own lat/long on the platform).  ``label`` is the place name
    the platform gave, kept as a separate claim: names and coordinates can disagree.
    """

    lat: float
    lon: float
    radius_m: float
    kind: str
    source: str
    label: str | None = None


@dataclass(slots=True)
class MediaRef:
    """A file a post carries: a path inside the export, a URL, or a placeholder.

    ``path`` is relative to the export document's folder as the export writes it;
    ``missing`` holds the exporter's placeholder text ("File not included…") when the
    file was not exported: recorded, not an error.  ``metadata`` is what the platform
    says about the file (size, dimensions, Instagram's ``exif_data``), verbatim.
    """

    path: str | None = None
    url: str | None = None
    kind: str | None = None
    missing: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)


#: Kind of a post known only by its id, author and time (an X archive's
#: ``tweet-headers.js``): the store lets a fuller copy of the same post replace it.
HEADER_KIND = "header"


@dataclass(slots=True, unsafe_hash=True)
class Link:
    """This post forwards, reposts, quotes or answers another post or account.

    ``post_id`` is the target's id on the same platform when the export gives it (a
    platform-wide id as :attr:`Post.post_id` would write it); ``account_id``/``name``
    name the original author when only that is known (Telegram's ``forwarded_from``).
    """

    kind: LinkKind
    post_id: str | None = None
    account_id: str | None = None
    name: str | None = None
    at: Instant | None = None


@dataclass(slots=True)
class Post:
    """One post, message, tweet or story as an export holds it.

    ``post_id`` is unique on its platform (Telegram: ``<chat id>/<message id>``; VK:
    ``<owner id>_<id>``; X: the tweet id).  ``raw`` is the item exactly as parsed, so
    nothing the reader did not understand is lost; ``location`` says where in the file
    it was (``chats.list[2].messages[17]``, ``line 5``).  ``chat`` is where it appeared
    (a channel, group or wall) when that is not the author.
    """

    platform: str
    post_id: str
    kind: str
    author: Account | None
    posted_at: Instant | None
    text: str
    raw: dict[str, object]
    location: str
    url: str | None = None
    chat: Account | None = None
    geotags: tuple[Geotag, ...] = ()
    media: tuple[MediaRef, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class RegionPrint:
    """One region's perceptual hashes as the case stores them (migration 4).

    ``pdq`` holds the eight dihedral variants (32 bytes each, variant 0 as seen upright),
    so that a mirrored or quarter-turned copy is found by comparing a query's variants
    with the stored variant 0; ``box`` is in pixels of the upright full-size picture.
    """

    at_s: float  # keyframe time in a video; 0 for a still
    region: str  # "frame" | "content"
    box: tuple[int, int, int, int]
    pdq: bytes
    quality: int
    phash: int  # unsigned 64 bit


@dataclass(frozen=True, slots=True)
class PictureFingerprint:
    """What the fingerprint stage found for one original: its regions, or why none."""

    sha256: str
    width: int | None
    height: int | None
    regions: tuple[RegionPrint, ...]
    descriptor: bytes | None = None
    error: str | None = None
