"""The record types every stage shares.

Frozen dataclasses with slots: cheap to build by the hundred thousand, hashable, and
impossible to mutate by accident once a stage has produced them, which keeps each stage a
pure function of its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: The ways a capture instant can be pinned to UTC, best first.  ``container_utc`` is the
#: QuickTime/MP4 movie header time, UTC by the specification but written as local time by
#: some cameras; it is kept apart so that nobody mistakes the assumption for a measurement.
TIME_BASES = ("offset_tag", "gps_clock", "location_timezone", "container_utc", "unknown_zone")

#: Half-width of the window an instant with no known zone can fall in: the Earth's clocks
#: run from UTC-12 to UTC+14.
UNKNOWN_ZONE_WINDOW = timedelta(hours=14)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a reader could not use, with why; never fatal for the rest of the file."""

    code: str
    message: str


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


@dataclass(frozen=True, slots=True)
class Taken:
    """When the picture was taken, as local wall time and as UTC, and on what basis.

    ``uncertainty`` is the half-width of the window the true UTC instant lies in: zero
    for an explicit offset, the measured drift for a GPS clock, 14 h for an unknown zone
    (then ``utc`` is None rather than a guess).
    """

    local: datetime | None
    utc: datetime | None
    offset: timedelta | None
    basis: str
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
