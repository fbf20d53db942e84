"""What an account's posting hours give away: the clock its owner sleeps by.

People post little in the small hours of their own night, and that trough sits at the same
local hour the world over, so sliding a typical day's activity curve around the 24 UTC hours
until it fits an account's posts reads the account's UTC offset without any metadata.  This is
what no scrubber reports (``research/audit.md``, "What no scrubber reports"): a clean picture
posted at the owner's usual hours still betrays the owner's time zone.

The curve (``PROFILE``) is a human diurnal posting profile in local time with the features the
large Twitter studies report: the minimum around 04:00, about a fifth of the daily peak, and a
deep low from 02:00 to 06:00; a steep rise from 06:00 to 09:00; a daytime plateau; the maximum
in the evening, 20:00-22:00.
Sources: S. A. Golder and M. W. Macy, "Diurnal and seasonal mood vary with work, sleep, and
daylength across diverse cultures", *Science* 333 (2011) 1878-1881 (hourly tweet volume of
2.4 M users in 84 countries, by local time); and the "Twitter social jet lag" study,
M. Leypunskiy et al., *Current Biology* 28 (2018) 3763-3775.  The 24 numbers are a smoothed
shape with those landmarks, not data copied from either paper; what the method needs is the
position of the night trough, which every such study agrees on, not the exact heights.
Checked on real accounts (``tests/audit/test_hours.py``): a first shape with its minimum at
04:00-05:00 read 24 Moscow-based Telegram channels (``corpora/text``) one to four hours east
(6 exactly UTC+3, 15 within an hour); moving the low half an hour earlier, as here, gives 10
exactly and 21 within an hour.  Newsrooms start at 08:00-09:00 Moscow time and so read east.

Limits, said in the verdict's own words: an owner who sleeps from 06:00 to 13:00 reads as a
zone a few hours east; a channel run by several people in shifts, or a bot, has no trough and
gets "none"; a whole-hour slide cannot tell UTC+5:30 from +5 or +6, nor UTC+13 from UTC-11
(the same wall clock a day apart).  The offset is the one kept *during the posting period*,
daylight saving included: a Kyiv account posting in July reads UTC+3, like Moscow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

Strength = Literal["strong", "weak", "none"]

#: Relative posting activity at each local hour 00..23 (see the module docstring).
_SHAPE = (
    4.0, 2.8, 1.9, 1.4, 1.2, 1.3, 1.9, 3.2, 4.5, 5.0, 5.2, 5.3,
    5.4, 5.3, 5.2, 5.2, 5.3, 5.4, 5.6, 5.9, 6.2, 6.3, 5.9, 5.0,
)  # fmt: skip
PROFILE: npt.NDArray[np.float64] = np.asarray(_SHAPE) / sum(_SHAPE)

#: Below 30 posts on 5 distinct days the trough is not measured: with 30 posts the expected
#: count in the four quietest hours is about 2, so one late night moves the answer; on fewer
#: than five days the "daily" pattern is a few sessions.  The synthetic tests find the offset
#: within an hour on 97 % of draws of 100 posts and all draws of 200 or more, and exactly on
#: 74 % of draws of 200, 94 % of 500 and 98 % of 1,000 (the profile's neighbouring hours differ
#: little, so a one-hour error needs hundreds of posts to rule out).
MIN_POSTS = 30
MIN_DAYS = 5
#: A burst (a live thread, a batch upload) counts at most this many times in its clock hour,
#: or twice the account's median posts per active hour where that is more (a news channel
#: posting every few minutes would otherwise be flattened), so that one busy night does not
#: read as the owner's daytime.
PER_HOUR_CAP = 3
#: The 24 distinguishable offsets; +13 also stands for -11 and -10 for +14 (same wall clock).
OFFSETS = np.arange(-10, 14)
#: Log-likelihood ratios (natural log) that make a verdict: the best offset against the best
#: one at least two hours away, and against posting at any hour alike.  ln 100 is "a hundred
#: times likelier"; calibrated on synthetic accounts (tests/audit/test_hours.py): uniform
#: hours give "none", 200 posts drawn from the profile give "strong".
STRONG_LR = float(np.log(100.0))
WEAK_LR = float(np.log(10.0))
#: Width of the quiet window the sentence names, hours.
QUIET_HOURS = 4

#: Representative zones, most familiar first, for naming an offset.  Which of them match is
#: decided with zoneinfo at the middle of the posting period, so daylight saving is honest.
_ZONES = (
    ("Europe/Moscow", "Moscow"),
    ("Europe/Kyiv", "Kyiv"),
    ("Europe/Minsk", "Minsk"),
    ("Europe/London", "London"),
    ("Europe/Berlin", "Berlin"),
    ("Europe/Warsaw", "Warsaw"),
    ("Europe/Istanbul", "Istanbul"),
    ("Europe/Kaliningrad", "Kaliningrad"),
    ("Europe/Samara", "Samara"),
    ("Asia/Yekaterinburg", "Yekaterinburg"),
    ("Asia/Omsk", "Omsk"),
    ("Asia/Novosibirsk", "Novosibirsk"),
    ("Asia/Irkutsk", "Irkutsk"),
    ("Asia/Yakutsk", "Yakutsk"),
    ("Asia/Vladivostok", "Vladivostok"),
    ("Asia/Magadan", "Magadan"),
    ("Asia/Kamchatka", "Kamchatka"),
    ("Asia/Tbilisi", "Tbilisi"),
    ("Asia/Dubai", "Dubai"),
    ("Asia/Tashkent", "Tashkent"),
    ("Asia/Almaty", "Almaty"),
    ("Asia/Bishkek", "Bishkek"),
    ("Asia/Dhaka", "Dhaka"),
    ("Asia/Bangkok", "Bangkok"),
    ("Asia/Shanghai", "Beijing"),
    ("Asia/Tokyo", "Tokyo"),
    ("Australia/Sydney", "Sydney"),
    ("Pacific/Auckland", "Auckland"),
    ("Pacific/Tongatapu", "Tonga"),
    ("Pacific/Pago_Pago", "Pago Pago"),
    ("Pacific/Honolulu", "Honolulu"),
    ("America/Anchorage", "Anchorage"),
    ("America/Los_Angeles", "Los Angeles"),
    ("America/Denver", "Denver"),
    ("America/Chicago", "Chicago"),
    ("America/Mexico_City", "Mexico City"),
    ("America/New_York", "New York"),
    ("America/Bogota", "Bogotá"),
    ("America/Caracas", "Caracas"),
    ("America/Sao_Paulo", "São Paulo"),
    ("America/Noronha", "Fernando de Noronha"),
    ("Atlantic/Azores", "the Azores"),
    ("Atlantic/Cape_Verde", "Cape Verde"),
    ("Africa/Cairo", "Cairo"),
    ("Africa/Lagos", "Lagos"),
    ("Pacific/Kiritimati", "Kiritimati"),
)
#: Zones named in a verdict: a few recognisable ones, not the tz database's hundreds.
MAX_ZONES = 6


@dataclass(frozen=True, slots=True)
class HoursVerdict:
    """Which UTC offset an account's posting hours fit, and how clearly."""

    #: Whole-hour UTC offset of the best fit, -10..+13.
    offset: int
    strength: Strength
    #: ln(likelihood at ``offset`` / likelihood at ``runner_up``), the best offset at least two
    #: hours away; ln(likelihood at ``offset`` / likelihood of posting at any hour alike).
    log_lr: float
    runner_up: int
    log_lr_uniform: float
    #: ln(likelihood at ``offset`` / likelihood at the likelier of the two offsets an hour
    #: away): below ln 10 the verdict says "give or take an hour".
    log_lr_neighbour: float
    #: Posts per UTC hour 00..23 as counted (at most ``PER_HOUR_CAP`` per clock hour).
    histogram: tuple[float, ...]
    #: Local hours (at ``offset``) starting and ending the quietest ``QUIET_HOURS`` window.
    quiet_from: int
    quiet_to: int
    #: IANA zones on ``offset`` at ``reference`` and how to say them ("Kyiv in summer").
    zones: tuple[str, ...]
    zone_labels: tuple[str, ...]
    posts: int
    days: int
    #: The middle of the posting period: the instant the zones' offsets are taken at.
    reference: datetime

    @property
    def alias(self) -> int | None:
        """The offset a day away that keeps the same wall clock (+13 and -11), if any."""
        other = self.offset - 24 if self.offset > 0 else self.offset + 24
        return other if -12 <= other <= 14 else None

    def sentence(self) -> str:
        """The verdict in plain English, for a journalist reading the audit."""
        utc = _utc(self.offset)
        if self.strength == "none":
            return (
                f"Posts spread over the day without a clear night-time lull ({self.posts} "
                f"posts on {self.days} days): the posting hours give away no time zone."
            )
        likely = "most likely" if self.strength == "strong" else "perhaps"
        where = f" ({', '.join(self.zone_labels)}, ...)" if self.zone_labels else ""
        alias = f" or {_utc(self.alias)}" if self.alias is not None else ""
        blur = ", give or take an hour" if self.log_lr_neighbour < WEAK_LR else ""
        return (
            f"Posts are quietest {self.quiet_from:02d}:00-{self.quiet_to:02d}:00 at {utc}: "
            f"the account {likely} keeps the hours of {utc}{alias}{blur}{where}. "
            f"Offsets as of {self.reference:%Y-%m-%d}, the middle of the posting period "
            f"({self.posts} posts on {self.days} days); someone who sleeps late reads an "
            "hour or two west, an early riser east."
        )


def _utc(offset: int) -> str:
    return "UTC" if offset == 0 else f"UTC{offset:+d}"


def hour_histogram(utc_seconds: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], int]:
    """Posts per UTC hour, each clock hour's count capped (``PER_HOUR_CAP``); and days."""
    seconds = np.asarray(utc_seconds, dtype=np.int64).ravel()
    slots, counts = np.unique(seconds // 3600, return_counts=True)
    cap = max(PER_HOUR_CAP, 2.0 * float(np.median(counts))) if counts.size else PER_HOUR_CAP
    hist = np.bincount(slots % 24, weights=np.minimum(counts, cap), minlength=24)
    return hist.astype(np.float64), int(np.unique(slots // 24).size)


def offset_log_likelihoods(hist: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Log-likelihood of the counted hours under ``PROFILE`` shifted by each of ``OFFSETS``.

    A post at UTC hour h under offset k was made at local hour (h + k) mod 24, so its
    probability is ``PROFILE[(h + k) % 24]``: one (24 x 24) gather is the whole circular
    cross-correlation.
    """
    local = (np.arange(24)[None, :] + OFFSETS[:, None]) % 24
    result: npt.NDArray[np.float64] = (hist[None, :] * np.log(PROFILE)[local]).sum(axis=1)
    return result


def zone_from_hours(utc_seconds: npt.ArrayLike) -> HoursVerdict | None:
    """The UTC offset an account's posting times fit best; None below the minimum.

    ``utc_seconds`` are the posts' instants as Unix seconds (int64).  None when there are
    fewer than ``MIN_POSTS`` posts or they fall on fewer than ``MIN_DAYS`` days: too few to
    tell a night from a quiet afternoon.
    """
    seconds = np.asarray(utc_seconds, dtype=np.int64).ravel()
    hist, days = hour_histogram(seconds)
    if seconds.size < MIN_POSTS or days < MIN_DAYS:
        return None
    ll = offset_log_likelihoods(hist)
    best = int(np.argmax(ll))
    gap = np.abs(np.arange(OFFSETS.size) - best)
    far = np.minimum(gap, 24 - gap) >= 2
    second = int(np.flatnonzero(far)[np.argmax(ll[far])])
    log_lr = float(ll[best] - ll[second])
    log_lr_uniform = float(ll[best] - hist.sum() * np.log(1.0 / 24.0))
    log_lr_neighbour = float(ll[best] - max(ll[(best - 1) % 24], ll[(best + 1) % 24]))
    offset = int(OFFSETS[best])
    strength: Strength = "none"
    if log_lr_uniform >= WEAK_LR and log_lr >= WEAK_LR:
        strong = log_lr_uniform >= STRONG_LR and log_lr >= STRONG_LR
        strength = "strong" if strong else "weak"
    window = np.convolve(np.concatenate([hist, hist[: QUIET_HOURS - 1]]), np.ones(QUIET_HOURS))
    quiet_utc = int(np.argmin(window[QUIET_HOURS - 1 : QUIET_HOURS - 1 + 24]))
    quiet_from = (quiet_utc + offset) % 24
    reference = datetime.fromtimestamp(float(np.median(seconds)), UTC).replace(microsecond=0)
    zones = zones_at(offset, reference)
    return HoursVerdict(
        offset=offset,
        strength=strength,
        log_lr=log_lr,
        runner_up=int(OFFSETS[second]),
        log_lr_uniform=log_lr_uniform,
        log_lr_neighbour=log_lr_neighbour,
        histogram=tuple(float(x) for x in hist),
        quiet_from=quiet_from,
        quiet_to=(quiet_from + QUIET_HOURS) % 24,
        zones=tuple(name for name, _ in zones),
        zone_labels=tuple(label for _, label in zones),
        posts=int(seconds.size),
        days=days,
        reference=reference,
    )


def zones_at(offset: int, at: datetime) -> list[tuple[str, str]]:
    """Representative zones whose clocks read UTC + ``offset`` hours (or a day away) at ``at``.

    A zone on daylight saving then is said "in summer" (its summer, in either hemisphere) and
    one that will change later "in winter", so "Kyiv in summer" is not mistaken for Kyiv's
    clock all year.
    """
    wanted = {timedelta(hours=offset), timedelta(hours=offset - 24), timedelta(hours=offset + 24)}
    found: list[tuple[str, str]] = []
    half_year = timedelta(days=182)
    for name, label in _ZONES:
        zone = ZoneInfo(name)
        local = at.astimezone(zone)
        if local.utcoffset() not in wanted:
            continue
        if local.dst():
            label = f"{label} in summer"
        elif all(
            (at + shift).astimezone(zone).utcoffset() != local.utcoffset()
            for shift in (half_year, -half_year)
        ):
            label = f"{label} in winter"
        found.append((name, label))
        if len(found) == MAX_ZONES:
            break
    return found
