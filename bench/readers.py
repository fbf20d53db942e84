"""Which metadata library should geotrace build on?  Measure their answers, not their fame.

Every candidate reads every file of ``../shared/corpora/photos`` (the paths in truth.jsonl)
and each answer is scored against exiftool's ground truth, field by field (see
``scoring.py``).  Issue 3 asks for the combination that gets every row right and is fastest,
so speed is reported next to correctness, and the ways a library fails quietly (NaN, a fix
where the truth has none) are counted apart from the ways it fails loudly.

Each adapter below does what a careful user of that library would write: call its public
API, convert degrees/minutes/seconds to signed degrees, read the date strings.  It does not
add the sanity checks geotrace itself must add (references present, denominators non-zero,
ranges), because the point is to see what the library hands over.  Where a library has no
way to express a field (Pillow and maker notes, exifread and XMP), the field counts as
missing.

Run:  python bench/readers.py [--corpus DIR] [--runs 3] [--only READER] [--mismatches READER]
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from scoring import (
    EXTRA,
    FIELDS,
    MISSING,
    NAN,
    RIGHT,
    WRONG,
    Expected,
    Reading,
    clean_text,
    corpus_parser,
    load_truth,
    markdown_table,
    normalise_offset,
    parse_instant,
    parse_stamp,
    reading_from_geotrace,
    score,
)

Adapter = Callable[[Path], Reading]
T = TypeVar("T")

# EXIF tag numbers used by the Pillow adapter (EXIF 2.32 / TIFF 6 / DNG).
_MAKE, _MODEL, _CAMERA_SERIAL = 0x010F, 0x0110, 0xC62F
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DTO, _OFFSET_DTO, _SUBSEC_DTO = 0x9003, 0x9011, 0x9291
_BODY_SERIAL, _LENS_SERIAL = 0xA431, 0xA435
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_DATE = 5, 6, 7, 29


def _guard(reading: Reading, call: Callable[[], T]) -> T | None:
    """Run one library call; an exception is recorded against the file, not fatal.

    A user would wrap each lookup the same way, so one broken IFD does not cost the rest.
    """
    try:
        return call()
    except Exception as exc:
        reading.errors.append(f"{type(exc).__name__}: {exc}"[:160])
        return None


def _degrees(parts: object) -> float | None:
    """Textbook D/M/S to degrees: d + m/60 + s/3600 (one or two parts allowed).

    Text, or anything else that is not a sequence of numbers, gives None.
    """
    if not isinstance(parts, tuple | list) or not 1 <= len(parts) <= 3:
        return None
    try:
        return math.fsum(float(part) / 60**i for i, part in enumerate(parts))
    except (TypeError, ValueError):
        return None


def _signed(value: float | None, ref: object, negative: str) -> float | None:
    """Negate for S/W, as the EXIF spec says; a missing reference is not second-guessed."""
    if value is None:
        return None
    return -value if clean_text(ref) == negative else value


def _gps_instant(date: object, hms: object) -> tuple[datetime | None, bool]:
    """GPSDateStamp + GPSTimeStamp as a UTC instant, and whether a part was NaN."""
    day = clean_text(date)
    if not day or not isinstance(hms, tuple | list) or len(hms) != 3:
        return None, False
    try:
        hours, minutes, seconds = (float(part) for part in hms)
    except (TypeError, ValueError):
        return None, False
    if not all(math.isfinite(part) for part in (hours, minutes, seconds)):
        return None, True
    try:
        start = datetime.strptime(day, "%Y:%m:%d").replace(tzinfo=UTC)
    except ValueError:
        return None, False
    return start + timedelta(hours=hours, minutes=minutes, seconds=seconds), False


def _note_nan(reading: Reading) -> None:
    """Name the fields whose floats are NaN or infinite (the scorer reads them too)."""
    for name, value in (("fix", reading.lat), ("fix", reading.lon), ("alt", reading.alt)):
        if value is not None and not math.isfinite(value):
            reading.nan.add(name)


# --- XMP (used by the Pillow adapter: Pillow parses the packet, we only look values up) ---

_XMP_COORD = re.compile(r"^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?([NSEW])\s*$")


def _flatten_xmp(tree: object, out: dict[str, str] | None = None) -> dict[str, str]:
    """First text value per local name anywhere in Pillow's getxmp() dictionary."""
    out = {} if out is None else out
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            if isinstance(value, str):
                out.setdefault(str(key), value)
            else:
                _flatten_xmp(value, out)
    elif isinstance(tree, list):
        for item in tree:
            _flatten_xmp(item, out)
    return out


def _xmp_coordinate(text: str | None) -> float | None:
    """XMP's ``DDD,MM,SSk`` / ``DDD,MM.mmk`` to signed degrees."""
    match = _XMP_COORD.match(text or "")
    if not match:
        return None
    value = float(match[1]) + float(match[2]) / 60 + float(match[3] or 0) / 3600
    return -value if match[4] in "SW" else value


def _xmp_rational(text: str | None) -> float | None:
    if not text:
        return None
    try:
        num, _, den = text.partition("/")
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None


def _apply_xmp(reading: Reading, xmp: Mapping[str, str]) -> None:
    """Fill what EXIF did not give from XMP (exiftool's truth prefers EXIF the same way)."""
    if reading.lat is None or reading.lon is None:
        lat, lon = _xmp_coordinate(xmp.get("GPSLatitude")), _xmp_coordinate(xmp.get("GPSLongitude"))
        if lat is not None and lon is not None:
            reading.lat, reading.lon = lat, lon
    if reading.alt is None:
        alt = _xmp_rational(xmp.get("GPSAltitude"))
        if alt is not None:
            reading.alt = -alt if xmp.get("GPSAltitudeRef") == "1" else alt
    reading.gps_utc = reading.gps_utc or parse_instant(xmp.get("GPSTimeStamp"))
    reading.taken = reading.taken or parse_stamp(xmp.get("DateTimeOriginal"))
    reading.make = reading.make or clean_text(xmp.get("Make"))
    reading.model = reading.model or clean_text(xmp.get("Model"))
    reading.serials |= {
        text for key, value in xmp.items() if "SerialNumber" in key and (text := clean_text(value))
    }


# --- adapters ---


def read_pillow(path: Path) -> Reading:
    """Pillow (+ pillow-heif for HEIC): getexif(), the GPS and Exif IFDs, getxmp().

    Image.open only parses headers; no pixel is decoded, except that Pillow itself loads a
    PNG's image data when its eXIf chunk comes after IDAT.
    """
    from PIL import Image, UnidentifiedImageError

    reading = Reading()
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        reading.refused = True
        return reading
    except Exception as exc:
        reading.errors.append(f"{type(exc).__name__}: {exc}"[:160])
        return reading
    with image:
        exif = _guard(reading, image.getexif)
        if exif is not None:
            reading.make = clean_text(exif.get(_MAKE))
            reading.model = clean_text(exif.get(_MODEL))
            gps = _guard(reading, lambda: exif.get_ifd(_GPS_IFD)) or {}
            sub = _guard(reading, lambda: exif.get_ifd(_EXIF_IFD)) or {}
            lat = _signed(_degrees(gps.get(_GPS_LAT)), gps.get(_GPS_LAT_REF), "S")
            lon = _signed(_degrees(gps.get(_GPS_LON)), gps.get(_GPS_LON_REF), "W")
            if lat is not None and lon is not None:
                reading.lat, reading.lon = lat, lon
            if gps.get(_GPS_ALT) is not None:
                alt_ref = gps.get(_GPS_ALT_REF)
                below = alt_ref in (1, b"\x01")
                alt = float(gps[_GPS_ALT])
                reading.alt = -alt if below else alt
            reading.gps_utc, nan_time = _gps_instant(gps.get(_GPS_DATE), gps.get(_GPS_TIME))
            if nan_time:
                reading.nan.add("gps_utc")
            reading.taken = parse_stamp(sub.get(_DTO), sub.get(_SUBSEC_DTO), sub.get(_OFFSET_DTO))
            reading.serials = frozenset(
                text
                for text in (
                    clean_text(exif.get(_CAMERA_SERIAL)),
                    clean_text(sub.get(_BODY_SERIAL)),
                    clean_text(sub.get(_LENS_SERIAL)),
                )
                if text
            )
        xmp = _guard(reading, image.getxmp)
        if xmp:
            _apply_xmp(reading, _flatten_xmp(xmp))
    _note_nan(reading)
    return reading


def _exifread_values(tags: Mapping[str, Any], key: str) -> Any:
    """An exifread tag's values (a str for ASCII, a list otherwise), None when absent."""
    tag = tags.get(key)
    return None if tag is None else tag.values


def _exifread_scalar(tags: Mapping[str, Any], key: str) -> str | None:
    values = _exifread_values(tags, key)
    if isinstance(values, list):
        return clean_text(values[0]) if len(values) == 1 else None
    return clean_text(values)


def _exifread_floats(values: object) -> tuple[float, ...] | None:
    """Ratio.decimal() per value, as exifread documents; it raises on n/0 (counted)."""
    if not isinstance(values, list) or not values:
        return None
    return tuple(v.decimal() if hasattr(v, "decimal") else float(v) for v in values)


def _make_read_exifread(details: bool) -> Adapter:
    def read_exifread(path: Path) -> Reading:
        """exifread.process_file (maker notes with details=True); it has no XMP reader.

        exifread's XMP extraction only runs with debug=True, scans the whole file line
        by line and parses with minidom; no user would ship that, so XMP counts missing.
        """
        import exifread

        reading = Reading()
        with path.open("rb") as handle:
            tags = _guard(
                reading,
                lambda: exifread.process_file(handle, details=details, extract_thumbnail=False),
            )
        if not tags:
            reading.refused = tags == {} and not reading.errors
            return reading
        reading.make = _exifread_scalar(tags, "Image Make")
        reading.model = _exifread_scalar(tags, "Image Model")

        def floats(key: str) -> tuple[float, ...] | None:
            return _guard(reading, lambda: _exifread_floats(_exifread_values(tags, key)))

        lat_parts, lon_parts = floats("GPS GPSLatitude"), floats("GPS GPSLongitude")
        lat = _signed(_degrees(lat_parts), _exifread_scalar(tags, "GPS GPSLatitudeRef"), "S")
        lon = _signed(_degrees(lon_parts), _exifread_scalar(tags, "GPS GPSLongitudeRef"), "W")
        if lat is not None and lon is not None:
            reading.lat, reading.lon = lat, lon
        alt = floats("GPS GPSAltitude")
        if alt:
            below = _exifread_values(tags, "GPS GPSAltitudeRef") == [1]
            reading.alt = -alt[0] if below else alt[0]
        hms = floats("GPS GPSTimeStamp")
        reading.gps_utc, nan_time = _gps_instant(_exifread_scalar(tags, "GPS GPSDate"), hms)
        if nan_time:
            reading.nan.add("gps_utc")
        reading.taken = parse_stamp(
            _exifread_scalar(tags, "EXIF DateTimeOriginal"),
            _exifread_scalar(tags, "EXIF SubSecTimeOriginal"),
            _exifread_scalar(tags, "EXIF OffsetTimeOriginal"),
        )
        reading.serials = frozenset(
            text for key in tags if "SerialNumber" in key and (text := _exifread_scalar(tags, key))
        )
        _note_nan(reading)
        return reading

    return read_exifread


_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def read_pymediainfo(path: Path) -> Reading:
    """MediaInfo's general track: Apple ISO 6709 location / ©xyz, dates, Apple make/model.

    ``recorded_date`` is the capture date MediaInfo found (Apple creationdate, UserData
    date); ``encoded_date`` is the movie header's, UTC by the QuickTime spec, so it
    carries no stated offset.  3GPP ``loci`` is not exposed by MediaInfo: missing.
    """
    from pymediainfo import MediaInfo

    reading = Reading()
    info = _guard(reading, lambda: MediaInfo.parse(path))
    if info is None or not info.general_tracks:
        return reading
    general = info.general_tracks[0]
    location = general.comapplequicktimelocationiso6709 or general.xyz or general.recorded_location
    match = _ISO6709.match(location or "")
    if match:
        reading.lat, reading.lon = float(match[1]), float(match[2])
        reading.alt = float(match[3]) if match[3] else None
    recorded = parse_stamp(general.recorded_date)
    encoded = parse_stamp(general.encoded_date)
    if recorded is not None:
        reading.taken = recorded
    elif encoded is not None:
        reading.taken = parse_stamp(encoded.local)
    reading.make = clean_text(general.comapplequicktimemake or general.make)
    reading.model = clean_text(general.comapplequicktimemodel or general.model)
    _note_nan(reading)
    return reading


def read_geotrace(path: Path) -> Reading:
    """geotrace's own reader, through the public ``inspect --json`` object."""
    from geotrace.evidence import read_file, report_to_json

    return reading_from_geotrace(report_to_json(read_file(path)))


# --- harness ---


@dataclass(slots=True)
class Outcome:
    """One reader over the corpus: verdicts per file, timings per run."""

    name: str
    verdicts: list[dict[str, str]]
    readings: list[Reading]
    seconds: list[float]


def candidates() -> dict[str, Adapter]:
    """The readers to compare; geotrace last, so the libraries are measured even if it fails."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    return {
        "pillow+heif": read_pillow,
        "exifread": _make_read_exifread(details=False),
        "exifread+makernotes": _make_read_exifread(details=True),
        "pymediainfo": read_pymediainfo,
        "geotrace": read_geotrace,
    }


def geotrace_ready(sample: Path) -> str | None:
    """None if geotrace's reader works, else why it is skipped (it is being written)."""
    try:
        read_geotrace(sample)
    except NotImplementedError:
        return "read_file raises NotImplementedError (reader not written yet)"
    except ImportError as exc:
        return f"cannot import geotrace.evidence: {exc}"
    except Exception as exc:
        return f"read_file fails on {sample.name}: {type(exc).__name__}: {exc}"
    return None


def run_reader(
    name: str, adapter: Adapter, paths: list[Path], truth: list[Expected], runs: int
) -> Outcome:
    """Read every file ``runs`` times; score the first pass, time all of them.

    An exception that escapes the adapter (a crash inside the library on a call the
    adapter could not split further) is recorded against the file like any other.
    """
    outcome = Outcome(name, [], [], [])
    for run in range(runs):
        readings: list[Reading] = []
        start = time.perf_counter()
        for path in paths:
            try:
                readings.append(adapter(path))
            except Exception as exc:
                readings.append(Reading(errors=[f"{type(exc).__name__}: {exc}"[:160]]))
        outcome.seconds.append(time.perf_counter() - start)
        if run == 0:
            outcome.readings = readings
            outcome.verdicts = [score(e, r) for e, r in zip(truth, readings, strict=True)]
    return outcome


def report(outcomes: list[Outcome], truth: list[Expected]) -> str:
    """The three tables: rows right per field, quiet failures, fully right rows per folder."""
    total = len(truth)
    main = []
    quiet = []
    for out in outcomes:
        count = Counter((f, v[f]) for v in out.verdicts for f in FIELDS)
        full = sum(all(v[f] == RIGHT for f in FIELDS) for v in out.verdicts)
        rate = total / statistics.median(out.seconds)
        exceptions = sum(bool(r.errors) for r in out.readings)
        refused = sum(r.refused for r in out.readings)
        main.append(
            [out.name]
            + [str(count[(f, RIGHT)]) for f in FIELDS]
            + [f"**{full}**/{total}", f"{rate:,.0f}", str(exceptions), str(refused)]
        )
        quiet.append(
            [
                out.name,
                str(count[("fix", EXTRA)]),
                str(count[("fix", WRONG)]),
                str(sum(count[(f, NAN)] for f in FIELDS)),
                str(sum(count[(f, EXTRA)] for f in FIELDS if f != "fix")),
                str(sum(count[(f, WRONG)] for f in FIELDS if f != "fix")),
                str(sum(count[(f, MISSING)] for f in FIELDS)),
            ]
        )
    folders = sorted({e.folder for e in truth})
    per_folder = []
    for out in outcomes:
        right = Counter(
            e.folder
            for e, v in zip(truth, out.verdicts, strict=True)
            if all(v[f] == RIGHT for f in FIELDS)
        )
        per_folder.append([out.name] + [str(right[f]) for f in folders])
    sizes = Counter(e.folder for e in truth)
    return "\n\n".join(
        [
            f"Rows right per field ({total} files; fix = lat and lon within 1e-6°):\n\n"
            + markdown_table(
                ["reader", *FIELDS, "fully right", "files/s", "exceptions", "refused"], main
            ),
            "How the other rows fail (counts of fields, over all files):\n\n"
            + markdown_table(
                [
                    "reader",
                    "fix where truth has none",
                    "fix elsewhere",
                    "NaN values",
                    "other fields: value where truth has none",
                    "other fields: different value",
                    "missing values",
                ],
                quiet,
            ),
            "Fully right rows per folder:\n\n"
            + markdown_table(["reader"] + [f"{f} ({sizes[f]})" for f in folders], per_folder),
        ]
    )


def mismatches(out: Outcome, truth: list[Expected]) -> str:
    """Every field a reader did not get right, file by file, with both values."""
    lines = []
    for expected, reading, verdict in zip(truth, out.readings, out.verdicts, strict=True):
        wrong = [f for f in FIELDS if verdict[f] != RIGHT]
        if not wrong and not reading.errors:
            continue
        lines.append(expected.path)
        for name in wrong:
            want, got = _field_values(expected, reading, name)
            lines.append(f"    {name:8} {verdict[name]:8} truth={want!r} got={got!r}")
        lines += [f"    exception: {err}" for err in reading.errors]
    return "\n".join(lines)


def _field_values(expected: Expected, reading: Reading, name: str) -> tuple[object, object]:
    taken = reading.taken
    values: dict[str, tuple[object, object]] = {
        "fix": (expected.fix, (reading.lat, reading.lon)),
        "alt": (expected.alt, reading.alt),
        "dto": (
            expected.taken.local if expected.taken else expected.taken_alternatives,
            taken.local if taken else None,
        ),
        "subsec": (
            expected.taken.subsec if expected.taken else None,
            taken.subsec if taken else None,
        ),
        "offset": (
            expected.taken.offset if expected.taken else None,
            normalise_offset(taken.offset) if taken else None,
        ),
        "gps_utc": (expected.gps_utc, reading.gps_utc),
        "make": (expected.make, reading.make),
        "model": (expected.model, reading.model),
        "serials": (sorted(expected.serials), sorted(reading.serials)),
    }
    return values[name]


def versions() -> str:
    """Library versions, for RESULTS.md (libmediainfo is the wheel's bundled copy)."""
    from pymediainfo import MediaInfo

    names = ("pillow", "pillow-heif", "exifread", "pymediainfo", "geotrace")
    libmediainfo = MediaInfo._get_library()[2]  # no public accessor for the C library's version
    parts = [f"{name} {version(name)}" for name in names]
    return f"Python {sys.version.split()[0]}; {', '.join(parts)}; libmediainfo {libmediainfo}"


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser(__doc__)
    parser.add_argument(
        "--runs", type=int, default=3, help="passes per reader; files/s is the median (default 3)"
    )
    parser.add_argument(
        "--only", action="append", metavar="READER", help="measure only this reader (repeatable)"
    )
    parser.add_argument(
        "--mismatches",
        action="append",
        metavar="READER",
        default=[],
        help="also list every field READER got wrong, file by file",
    )
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF data" etc.: counted, not printed
    logging.disable(logging.CRITICAL)  # exifread logs every unknown format at WARNING

    truth = load_truth(args.corpus)
    paths = [args.corpus / e.path for e in truth]
    readers = candidates()
    if args.only:
        readers = {name: readers[name] for name in args.only}
    if "geotrace" in readers and (why := geotrace_ready(paths[0])):
        print(f"geotrace: skipped, {why}", file=sys.stderr)
        del readers["geotrace"]

    outcomes = []
    for name, adapter in readers.items():
        print(f"reading with {name} ...", file=sys.stderr)
        outcomes.append(run_reader(name, adapter, paths, truth, args.runs))
    print(versions())
    print(f"{len(paths)} files from {args.corpus}, median of {args.runs} runs\n")
    print(report(outcomes, truth))
    for out in outcomes:
        if out.name in args.mismatches:
            print(f"\nMismatches of {out.name}:\n")
            print(mismatches(out, truth))
    return 0


if __name__ == "__main__":
    sys.exit(main())
