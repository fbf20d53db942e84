"""One comparable shape for every reader's answer, and how it is scored against the truth.

Both benchmarks need the same yardstick: ``readers.py`` converts Pillow, exifread,
pymediainfo and geotrace output to a :class:`Reading`, ``metadata.py`` converts the lines of
``geotrace inspect --json``.  Keeping the conversion of the truth and the per-field verdicts
here means a figure in one script can be compared with a figure in the other.

The truth is ``../shared/corpora/photos/truth.jsonl`` (exiftool 12.57, with the three rules
of that folder's README).  Tolerances are the ones issue 3 sets: 1e-6 degree for the fix,
0.01 m for the altitude, exact strings for dates, offsets, make, model and serials
(surrounding blanks and NULs ignored: they are padding, not evidence).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

#: The corpus next to the repository (``../shared`` from the repository root).
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "photos"

#: Scored fields, in table order.
FIELDS = ("fix", "alt", "dto", "subsec", "offset", "gps_utc", "make", "model", "serials")

RIGHT, MISSING, EXTRA, WRONG, NAN = "right", "missing", "extra", "wrong", "nan"

FIX_TOLERANCE_DEG = 1e-6
ALT_TOLERANCE_M = 0.01
GPS_UTC_TOLERANCE = timedelta(milliseconds=1)

_DATETIME = re.compile(
    r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d+))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?\s*$"
)


@dataclass(frozen=True, slots=True)
class Stamp:
    """A capture time as written: local wall clock, fraction digits, and the stated offset."""

    local: str  # "YYYY:MM:DD HH:MM:SS", exiftool's spelling
    subsec: str | None  # fraction digits without trailing zeros, None for a whole second
    offset: str | None  # "+HH:MM"


@dataclass(slots=True)
class Reading:
    """What one reader says about one file, in the truth's terms.

    ``nan`` names fields for which the library handed back NaN (or an infinite value)
    instead of refusing; ``errors`` holds the exceptions it raised; ``refused`` is set
    when it said "not a format I read" through its documented channel.
    """

    lat: float | None = None
    lon: float | None = None
    alt: float | None = None
    gps_utc: datetime | None = None
    taken: Stamp | None = None
    make: str | None = None
    model: str | None = None
    serials: frozenset[str] = frozenset()
    nan: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Expected:
    """One truth row, normalised.

    ``taken`` is DateTimeOriginal as exiftool prefers it.  When the truth has none,
    ``taken_alternatives`` lists the other capture dates exiftool saw (CreateDate, the
    QuickTime header date, Apple's creationdate): a reader that fills its capture time from
    one of them has not invented anything, one that reports some other date has.
    """

    path: str
    folder: str
    fix: tuple[float, float] | None
    alt: float | None
    gps_utc: datetime | None
    taken: Stamp | None
    taken_alternatives: tuple[Stamp, ...]
    make: str | None
    model: str | None
    serials: frozenset[str]


def clean_text(value: object) -> str | None:
    """Text without padding; None for nothing at all."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip(" \x00\t\r\n")
    return text or None


def normalise_offset(text: str | None) -> str | None:
    """``Z``, ``UTC``, ``-0800`` and ``-08:00`` all become ``-08:00``-style offsets."""
    if text is None:
        return None
    text = text.strip()
    if text in ("Z", "UTC"):
        return "+00:00"
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    return f"{match[1]}{match[2]}:{match[3]}" if match else None


def normalise_subsec(digits: str | None) -> str | None:
    """Fraction digits as a canonical string: ``"065"`` stays, ``"50"`` becomes ``"5"``.

    A zero fraction is no fraction: an ISO timestamp cannot tell ``.00`` from nothing.
    """
    if digits is None:
        return None
    match = re.match(r"\s*(\d+)", str(digits))
    if not match:
        return None
    return match[1].rstrip("0") or None


def parse_stamp(text: object, subsec: object = None, offset: object = None) -> Stamp | None:
    """Read ``YYYY:MM:DD HH:MM:SS[.f][zone]`` or its ISO 8601 twin into a :class:`Stamp`.

    A separately stored SubSecTime/OffsetTime wins over a fraction or zone in the string,
    as in exiftool's Composite:SubSecDateTimeOriginal.
    """
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    match = _DATETIME.match(cleaned)
    if not match:
        return None
    local = f"{match[1]}:{match[2]}:{match[3]} {match[4]}:{match[5]}:{match[6]}"
    sub = normalise_subsec(clean_text(subsec)) if clean_text(subsec) else normalise_subsec(match[7])
    zone = normalise_offset(clean_text(offset)) or normalise_offset(match[8])
    return Stamp(local, sub, zone)


def parse_instant(text: object) -> datetime | None:
    """An ISO 8601 or exiftool-style instant as an aware UTC datetime (naive = UTC)."""
    stamp = parse_stamp(text)
    if stamp is None:
        return None
    try:
        moment = datetime.strptime(stamp.local, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if stamp.subsec:
        moment += timedelta(seconds=float("0." + stamp.subsec))
    sign, hours, minutes = 1, 0, 0
    if stamp.offset:
        sign = -1 if stamp.offset[0] == "-" else 1
        hours, minutes = int(stamp.offset[1:3]), int(stamp.offset[4:6])
    return (moment - sign * timedelta(hours=hours, minutes=minutes)).replace(tzinfo=UTC)


def _number(value: object) -> float | None:
    """exiftool writes long decimals as strings; both forms become floats."""
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _expected_alt(gps: dict[str, Any]) -> float | None:
    """Composite:GPSAltitude, which exiftool builds only beside a GPSAltitudeRef; without
    one, EXIF's default (above sea level) applies to the bare value exiftool prints."""
    if gps.get("alt") is None and gps.get("lat") is not None and gps.get("alt_ref") is None:
        return _number((gps.get("exiftool_preferred") or {}).get("alt"))
    return _number(gps.get("alt"))


def expected_from_truth(row: dict[str, Any]) -> Expected:
    """Normalise one truth.jsonl row (see the corpus README for the fields)."""
    gps = row.get("gps") or {}
    lat, lon = _number(gps.get("lat")), _number(gps.get("lon"))
    video = row.get("video") or {}
    alternatives = tuple(
        stamp
        for stamp in (
            parse_stamp(row.get("create_date")),
            parse_stamp(video.get("create_date")),
            parse_stamp(video.get("creation_date")),
        )
        if stamp is not None
    )
    return Expected(
        path=row["path"],
        folder=row["path"].split("/", 1)[0],
        fix=(lat, lon) if lat is not None and lon is not None else None,
        alt=_expected_alt(gps),
        gps_utc=parse_instant(gps.get("datetime_utc")),
        taken=parse_stamp(
            row.get("datetime_original"),
            row.get("subsec_time_original"),
            row.get("offset_time_original"),
        ),
        taken_alternatives=alternatives,
        make=clean_text(row.get("make")),
        model=clean_text(row.get("model")),
        serials=frozenset(
            text
            for text in (clean_text(v) for v in (row.get("serial_numbers") or {}).values())
            if text
        ),
    )


def load_truth(corpus: Path) -> list[Expected]:
    """Every row of the corpus' truth.jsonl, in file order."""
    with (corpus / "truth.jsonl").open(encoding="utf-8") as handle:
        return [expected_from_truth(json.loads(line)) for line in handle if line.strip()]


def _is_bad_float(value: float | None) -> bool:
    return value is not None and not math.isfinite(value)


def _compare(expected: object, got: object, same: bool) -> str:
    if got is None:
        return RIGHT if expected is None else MISSING
    if expected is None:
        return EXTRA
    return RIGHT if same else WRONG


def score(expected: Expected, reading: Reading) -> dict[str, str]:
    """Per field: right; missing (reader silent, truth has a value); extra (a value where
    the truth has none, e.g. a fix exiftool refuses); wrong (a different value); nan."""
    verdict: dict[str, str] = {}

    got_fix = (
        (reading.lat, reading.lon) if reading.lat is not None and reading.lon is not None else None
    )
    if _is_bad_float(reading.lat) or _is_bad_float(reading.lon) or "fix" in reading.nan:
        verdict["fix"] = NAN
    else:
        verdict["fix"] = _compare(
            expected.fix,
            got_fix,
            got_fix is not None
            and expected.fix is not None
            and abs(got_fix[0] - expected.fix[0]) <= FIX_TOLERANCE_DEG
            and abs(got_fix[1] - expected.fix[1]) <= FIX_TOLERANCE_DEG,
        )

    if _is_bad_float(reading.alt) or "alt" in reading.nan:
        verdict["alt"] = NAN
    elif expected.fix is None and reading.alt is None:
        # An altitude with no position (one file: exif-rs' yaminabe.tif) is no sighting,
        # and inspect --json can only carry alt_m inside a fix: silence is right here.
        verdict["alt"] = RIGHT
    else:
        verdict["alt"] = _compare(
            expected.alt,
            reading.alt,
            reading.alt is not None
            and expected.alt is not None
            and abs(reading.alt - expected.alt) <= ALT_TOLERANCE_M,
        )

    # Capture time: the offset and fraction are judged against the date the reader matched.
    got = reading.taken
    reference = expected.taken
    if got is not None and reference is None:
        reference = next(
            (alt for alt in expected.taken_alternatives if alt.local == got.local), None
        )
        verdict["dto"] = RIGHT if reference is not None else EXTRA
    else:
        same = got is not None and reference is not None and got.local == reference.local
        verdict["dto"] = _compare(reference, got, same)
    for name in ("subsec", "offset"):
        want = getattr(reference, name) if reference is not None else None
        have = getattr(got, name) if got is not None else None
        verdict[name] = _compare(want, have, want == have)

    if "gps_utc" in reading.nan:
        verdict["gps_utc"] = NAN
    else:
        verdict["gps_utc"] = _compare(
            expected.gps_utc,
            reading.gps_utc,
            reading.gps_utc is not None
            and expected.gps_utc is not None
            and abs(reading.gps_utc - expected.gps_utc) <= GPS_UTC_TOLERANCE,
        )

    verdict["make"] = _compare(expected.make, reading.make, reading.make == expected.make)
    verdict["model"] = _compare(expected.model, reading.model, reading.model == expected.model)

    if reading.serials == expected.serials:
        verdict["serials"] = RIGHT
    elif reading.serials <= expected.serials:
        verdict["serials"] = MISSING
    elif not expected.serials:
        verdict["serials"] = EXTRA
    else:
        verdict["serials"] = WRONG
    return verdict


def _camera_reading(taken: dict[str, Any]) -> str:
    """DateTimeOriginal as written: ``local``, except on the GPS clock, where ``local`` is
    the GPS instant on the camera's zone and the camera ran ``clock_drift_s`` ahead."""
    local, drift = str(taken["local"]), taken.get("clock_drift_s")
    if taken.get("basis") != "gps_clock" or drift is None:
        return local
    return (datetime.fromisoformat(local) + timedelta(seconds=drift)).isoformat()


def reading_from_geotrace(obj: dict[str, Any]) -> Reading:
    """Convert one ``inspect --json`` object (issue 3's public format) to a Reading.

    The offset counts as OffsetTimeOriginal only when ``taken.basis`` is ``offset_tag``:
    an offset geotrace derived from the GPS clock or the place's time zone is its own
    inference, not what the file states, and is scored by the tests, not here.
    """
    reading = Reading()
    gps = obj.get("gps")
    if gps:
        reading.lat, reading.lon = _number(gps.get("lat")), _number(gps.get("lon"))
        reading.alt = _number(gps.get("alt_m"))
        reading.gps_utc = parse_instant(gps.get("utc"))
    taken = obj.get("taken")
    if taken and taken.get("local"):
        stamp = parse_stamp(_camera_reading(taken))
        if stamp is not None:
            offset = taken.get("offset") if taken.get("basis") == "offset_tag" else None
            reading.taken = Stamp(stamp.local, stamp.subsec, normalise_offset(offset))
    device = obj.get("device") or {}
    reading.make = clean_text(device.get("make"))
    reading.model = clean_text(device.get("model"))
    reading.serials = frozenset(
        text for text in (clean_text(v) for v in (device.get("serials") or {}).values()) if text
    )
    return reading


def markdown_table(header: list[str], rows: Iterable[list[str]]) -> str:
    """A Markdown table, as RESULTS.md holds them (a "|" in a cell escaped: "RU|UA")."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "|".join("---" for _ in header) + "|", *map(line, rows)])


@contextmanager
def work_folder(
    prefix: str, keep: bool, parent: Path | None = None, what: str = ""
) -> Iterator[Path]:
    """A working folder for one benchmark run: removed afterwards, or, with ``keep``,
    left and its path printed (``what``: what is kept, for the message)."""
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield work
    finally:
        if keep:
            print(f"\n{what + ' ' if what else ''}kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def dist_version(dist: str) -> str:
    """An installed distribution's version, or "absent": what each benchmark prints first."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def corpus_parser(doc: str | None) -> argparse.ArgumentParser:
    """The argument parser every benchmark starts from: its summary and ``--corpus``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="folder holding truth.jsonl (default: ../shared/corpora/photos)",
    )
    return parser
