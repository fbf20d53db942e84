"""What a file's name gives away: the capture or save time, the app, the camera.

Scrubbers clean what is inside a file and leave its name, yet phones and messengers name files
after the clock: ``PXL_20230101_123456789.jpg`` is the Pixel's capture time in UTC,
``Screenshot_20230101-120000_Telegram.jpg`` says when and in which app a screen was shot,
``IMG-20230101-WA0001.jpg`` the day WhatsApp received or sent it (``research/audit.md``, "What
no scrubber reports").  A name that survives a scrub can date the picture to the second.

Every pattern is a compiled regular expression of fixed-width or bounded parts anchored on a
literal prefix or a non-alphanumeric boundary, so a scan costs a few steps per character and a
hostile 100 KB name is read in milliseconds; at most ``MAX_CLUES`` clues are kept.  A date that
is not a real date (``99999999_999999``) gives no clue.  Times are "local" where the device's
own clock wrote them (no zone in the name) and "utc" where the format is known to use UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

ClueKind = Literal["date", "datetime", "app", "camera", "epoch"]
Clock = Literal["local", "utc"]

#: Clues kept from one name: a real name holds one or two; more is a crafted name.
MAX_CLUES = 16
#: Years taken for a date: digital cameras and phones, not a serial number read as a year.
YEARS = range(1990, 2101)


@dataclass(frozen=True, slots=True)
class NameClue:
    """One thing a file name says; ``start``/``end`` index the name as given."""

    kind: ClueKind
    #: ISO date or date-time (``2023-01-01T12:00:00``; "+00:00" when UTC), or the app or camera.
    value: str
    #: Which device or app names files this way.
    source: str
    start: int
    end: int
    #: For a date or time: whose clock ("local": the device's, no zone; "utc"); else None.
    clock: Clock | None = None

    def sentence(self) -> str:
        """The clue in a journalist's words."""
        if self.kind in ("date", "datetime", "epoch"):
            clock = " (UTC)" if self.clock == "utc" else " (the device's local time)"
            return f"The file name carries {self.value}{clock}: {self.source}."
        return f"The file name points to {self.value}: {self.source}."


_Reader = Callable[[re.Match[str], str], Iterator[NameClue]]


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    source: str
    read: _Reader


_B = r"(?<![A-Za-z0-9])"  # a name part starts here, not inside a word or a number
_YMD = r"(?P<Y>\d{4})(?P<M>\d{2})(?P<D>\d{2})"
_HMS = r"(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})"
_Y_M_D = r"(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2})"


def _when(match: re.Match[str], *, with_time: bool) -> datetime | None:
    """The match's Y/M/D(/h/m/s) groups as a datetime, or None when it is no real date."""
    parts = match.groupdict()
    try:
        year, month, day = int(parts["Y"]), int(parts["M"]), int(parts["D"])
        if year not in YEARS:
            return None
        if not with_time:
            return datetime(year, month, day)
        return datetime(year, month, day, int(parts["h"]), int(parts["m"]), int(parts["s"]))
    except ValueError:
        return None


def _clock_reader(kind: Literal["date", "datetime"], clock: Clock) -> _Reader:
    """A reader for names carrying a date (or date and time) on one clock."""

    def read(match: re.Match[str], source: str) -> Iterator[NameClue]:
        when = _when(match, with_time=kind == "datetime")
        if when is None:
            return
        if clock == "utc":
            value = when.replace(tzinfo=UTC).isoformat()
        else:
            value = when.date().isoformat() if kind == "date" else when.isoformat()
        app = match.groupdict().get("app")
        end = match.start("app") - 1 if app else match.end()
        yield NameClue(kind, value, source, match.start(), end, clock)
        if app and app.rstrip():
            start = match.start("app")
            yield NameClue("app", app.rstrip(), source, start, start + len(app.rstrip()))

    return read


def _telegram_android(match: re.Match[str], source: str) -> Iterator[NameClue]:
    """``IMG_yyyyMMdd_HHmmss_SSS``; a five-digit time (``IMG_20221123_15913_076``, the example
    in research/audit.md) could be 1:59:13 or 15:9:13, so it keeps only the date."""
    if match["short"] is None:
        yield from _LOCAL_DT(match, source)
    else:
        yield from _LOCAL_DATE(match, source)


def _epoch_ms(match: re.Match[str], source: str) -> Iterator[NameClue]:
    when = datetime.fromtimestamp(int(match["ms"]) / 1000, UTC)
    if when.year in YEARS:
        value = when.isoformat(timespec="milliseconds")
        yield NameClue("epoch", value, source, match.start(), match.end(), "utc")


def _camera(name: str) -> _Reader:
    def read(match: re.Match[str], source: str) -> Iterator[NameClue]:
        yield NameClue("camera", name, source, match.start(), match.end())

    return read


def _twelve_hour(match: re.Match[str], source: str) -> Iterator[NameClue]:
    """macOS: ``Screen Shot 2019-01-01 at 1.02.03 PM`` (12-hour clock before Ventura)."""
    when = _when(match, with_time=False)
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
    ampm = match["ampm"]
    if ampm:
        if not 1 <= hour <= 12:
            return
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    if when is None or hour > 23 or minute > 59 or second > 59:
        return
    value = when.replace(hour=hour, minute=minute, second=second).isoformat()
    yield NameClue("datetime", value, source, match.start(), match.end(), "local")


_LOCAL_DT = _clock_reader("datetime", "local")
_LOCAL_DATE = _clock_reader("date", "local")
_TIME_SEP = r"(?P<h>\d{2})-(?P<m>\d{2})-(?P<s>\d{2})"

#: In priority order: a later pattern overlapping an earlier match is not read again.
_PATTERNS = (
    _Pattern(
        re.compile(rf"{_B}PXL_{_YMD}_{_HMS}\d{{3}}(?!\d)"),
        "Google Pixel camera (names files by UTC capture time)",
        _clock_reader("datetime", "utc"),
    ),
    _Pattern(
        re.compile(rf"{_B}Screenshot_{_YMD}[-_]{_HMS}(?:_(?P<app>[^\W_][^._/\\()]{{0,63}}))?"),
        "Android screenshot (time it was taken; the suffix names the app on screen)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(rf"{_B}Screenshot_{_Y_M_D}-{_TIME_SEP}(?!\d)"),
        "Android screenshot (older naming)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(
            rf"{_B}(?:Screen ?[Ss]hot|Снимок экрана|Знімок екрана) {_Y_M_D} (?:at|в|о) "
            rf"(?P<h>\d{{1,2}})\.(?P<m>\d{{2}})\.(?P<s>\d{{2}})"
            r"(?:[ \u202f](?P<ampm>[AP]M))?"
        ),
        "macOS screenshot (time it was taken; English, Russian or Ukrainian system)",
        _twelve_hour,
    ),
    _Pattern(
        re.compile(rf"{_B}Screenshot {_Y_M_D} {_HMS}(?!\d)"),
        "Windows Snipping Tool screenshot (time it was taken)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(rf"{_B}IMG_{_YMD}_(?:{_HMS}|(?P<short>\d{{5}}))_\d{{3}}(?!\d)"),
        "Telegram for Android (a picture saved or taken in the app)",
        _telegram_android,
    ),
    _Pattern(
        re.compile(rf"{_B}(?:IMG|VID|AUD|PTT|DOC|STK)-{_YMD}-WA\d{{4,6}}(?!\d)"),
        "WhatsApp (the day it was sent or received)",
        _LOCAL_DATE,
    ),
    _Pattern(
        re.compile(
            rf"{_B}signal-{_Y_M_D}-(?P<h>\d{{2}})-?(?P<m>\d{{2}})-?(?P<s>\d{{2}})(?:-\d{{3}})?"
            r"(?!\d)"
        ),
        "Signal (time the attachment was saved)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(
            rf"{_B}(?:photo|video|file|voice|audio|round|sticker)_(?:\d{{1,6}}@)?"
            rf"{_Y_M_D}_{_TIME_SEP}(?!\d)"
        ),
        "Telegram Desktop (the message's time on the exporting computer)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(
            r"(?<![A-Za-z0-9])(?:photo|video|file|voice|audio|round|sticker)_\d{1,6}@"
            rf"(?P<D>\d{{2}})-(?P<M>\d{{2}})-(?P<Y>\d{{4}})_{_TIME_SEP}(?!\d)"
        ),
        "Telegram Desktop export (the message's time on the exporting computer)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(rf"{_B}DJI_{_YMD}{_HMS}_\d{{4}}(?!\d)"),
        "DJI drone or gimbal camera (capture time on the drone's clock)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(rf"{_B}(?:IMG|VID|PANO|MVIMG|BURST\d*)_{_YMD}_{_HMS}(?!\d)"),
        "Android camera (capture time)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(rf"(?<![A-Za-z0-9_]){_YMD}_{_HMS}(?!\d)"),
        "Samsung (or other Android) camera (capture time)",
        _LOCAL_DT,
    ),
    _Pattern(
        re.compile(r"(?<![A-Za-z0-9])FB_IMG_(?P<ms>\d{13})(?!\d)"),
        "Facebook (saved from the app; Unix milliseconds)",
        _epoch_ms,
    ),
    _Pattern(
        re.compile(r"^(?P<ms>1\d{12})(?=\.|$)"),
        "an app naming files by Unix milliseconds (time saved or sent)",
        _epoch_ms,
    ),
    _Pattern(re.compile(rf"{_B}DJI_\d{{4}}(?!\d)"), "DJI drone or gimbal camera", _camera("DJI")),
    _Pattern(re.compile(rf"{_B}(?:GOPR|GP\d\d)\d{{4}}(?!\d)"), "GoPro camera", _camera("GoPro")),
    _Pattern(re.compile(rf"{_B}G[HX]\d{{6}}(?!\d)"), "GoPro camera (video)", _camera("GoPro")),
    _Pattern(
        re.compile(rf"{_B}_?DSC_?\d{{4,5}}(?!\d)"), "Nikon or Sony camera", _camera("Nikon/Sony")
    ),
    _Pattern(re.compile(rf"{_B}DSCN\d{{4}}(?!\d)"), "Nikon Coolpix camera", _camera("Nikon")),
    _Pattern(re.compile(rf"{_B}DSCF\d{{4}}(?!\d)"), "Fujifilm camera", _camera("Fujifilm")),
    _Pattern(re.compile(rf"{_B}(?:_MG_|MVI_)\d{{4}}(?!\d)"), "Canon camera", _camera("Canon")),
    _Pattern(re.compile(rf"{_B}IMG_E\d{{4}}(?!\d)"), "iPhone (an edited photo)", _camera("iPhone")),
    _Pattern(
        re.compile(rf"{_B}IMG_\d{{4}}(?!\d)"), "iPhone or Canon camera", _camera("iPhone/Canon")
    ),
    _Pattern(re.compile(rf"{_B}SAM_\d{{4}}(?!\d)"), "Samsung compact camera", _camera("Samsung")),
)


def name_findings(name: str) -> list[NameClue]:
    """Every date, time, app and camera the name of a file gives away, in name order.

    ``name`` may carry folders (``/`` or ``\\``); only the last part is read and the spans
    index ``name`` as given.
    """
    base = max(name.rfind("/"), name.rfind("\\")) + 1
    leaf = name[base:]
    clues: list[NameClue] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.regex.finditer(leaf):
            if len(clues) >= MAX_CLUES:
                break
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            found = list(pattern.read(match, pattern.source))
            if found:
                taken.append(span)
                clues.extend(found)
    clues.sort(key=lambda clue: (clue.start, clue.end))
    return [
        NameClue(c.kind, c.value, c.source, c.start + base, c.end + base, c.clock)
        for c in clues[:MAX_CLUES]
    ]
