"""Silence against an account's own rhythm: is the current gap unusual *for this account*?

Real posting is over-dispersed (weeks- and months-long breaks are normal), so a Poisson
model cries wolf ~17 times per account-year (``../shared/research/people.md``).  Two
changes make a gap comparable across an account's quiet and busy years, and across accounts:

* A gap is measured in **active days missed**: its length times the account's recent share
  of days with at least one post.  Days, not posts, because a thread of twenty tweets is not
  twenty times the evidence that the account is alive; the share is the larger over the last
  30 and 120 days, so that an account that slows down into a silence is still judged by its
  longer rhythm rather than forgiven by its own slowdown.
* The tail of those normalised gaps is a Pareto tail whose index gets a conjugate gamma
  prior, and the share of gaps that reach the tail a beta prior: the *predictive*
  probability (a Lomax law) integrates the uncertainty of an account with few long gaps
  instead of trusting a maximum-likelihood fit to five points, and every quantity is a
  running sum, so that every past gap is scored with only the history before it in one
  vectorised pass.

A post is "somewhere within ``u`` of ``t``": the silence starts when the last post's window
ends and a past gap ends when the next post's window starts, i.e. gaps are measured at
their shortest, so a wide window can only make a silence look *less* unusual.

The cohort score combines its members' p-values with Brown's method (Fisher's statistic
rescaled by the covariance that the members' own daily silence series show before the
joint silence): accounts that always pause together count as one witness, independent
accounts as several.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY_S = 86400.0

#: Default threshold on p.  On the two local histories (22.7 account-years, 800 cuts,
#: ``bench/silence.py --cuts 400``) it gives 0.26 false alarms per account-year and a 28-day
#: median delay, against 0.66 and 31 days for the research's POT at 0.001 (re-implemented
#: there); 0.003 gives 0.53 and 22 days.
ALPHA = 0.002

#: The rate windows (days) whose larger share of active days normalises a gap.  30 days
#: follows the account's current rhythm; 120 keeps a recent slowdown from excusing a
#: silence (development grid: fewer never-flagged cuts than 30 days alone at equal FA).
RATE_WINDOWS_D = (30.0, 120.0)

#: Where the Pareto tail starts, in active days missed.  2-3 % of real gaps reach it on the
#: local histories (larsbrinkhoff 1.9 %, timlinux 2.8 %), enough to fit a tail per account;
#: 1.5 and 6 gave no better trade-off in a development grid (not kept in ``bench/silence.py``).
TAIL_START = 3.0

#: Beta prior on the share of gaps that reach the tail: mean 3 % (the measured 1.9-2.8 %),
#: worth 50 gaps, so an account with few gaps starts from the pooled share.
EXCEED_PRIOR = 0.03
EXCEED_WEIGHT = 50.0

#: Gamma prior on the tail's index: mean shape 0.5 (Hill estimates above the tail start:
#: 0.35 and 0.50 on the local histories), worth 4 long gaps; an account's own long gaps
#: soon outweigh it.
PRIOR_XI = 0.5
PRIOR_WEIGHT = 4.0

#: Below these the account's rhythm is not known: fewer gaps than this, or a shorter span
#: of posts before the silence.
MIN_GAPS = 20
MIN_SPAN_S = 90 * DAY_S

#: ``history`` scores gaps from a day up: shorter ones are never unusual at any rate the
#: normalisation allows (a day is at most one active day missed, far below the tail).
HISTORY_MIN_GAP_S = DAY_S

#: A cohort's members are the accounts this unusual on their own: loose on purpose, the
#: joint p carries the evidence.
MEMBER_P = 0.05

#: Days of shared history (a daily grid before the joint silence) needed to estimate how
#: the members' silences co-vary.
COHORT_MIN_DAYS = 90

SILENT, ORDINARY, INSUFFICIENT = "silent", "ordinary", "insufficient_history"


@dataclass(frozen=True, slots=True)
class Silence:
    """The silence as of ``as_of``.  ``silent_since_utc`` is where the gap is measured from:
    the last post's window end (capped at ``as_of``)."""

    last_post_utc: float | None
    gap_s: float
    p: float | None
    verdict: str
    posts: int
    rate_per_day: float
    silent_since_utc: float | None = None


@dataclass(frozen=True, slots=True)
class PastGap:
    """A gap between two posts, scored as of its end with only the posts before it."""

    start_utc: float
    end_utc: float
    gap_s: float
    p: float | None
    verdict: str


@dataclass(frozen=True, slots=True)
class CohortSilence:
    """Accounts silent together since ``start_utc``.  ``member_p`` are their own p-values;
    ``correlation`` the mean pairwise correlation of their past silence series that Brown's
    method used; ``past_co_silences`` how many times before all of them had been silent
    together for at least as long."""

    members: tuple[int, ...]
    start_utc: float
    as_of: float
    p: float | None
    verdict: str
    member_p: tuple[float, ...] = ()
    correlation: float | None = None
    past_co_silences: int = 0


@dataclass(frozen=True, slots=True)
class _Rhythm:
    """Per post (sorted by ``t``): what a silence starting after it is scored against."""

    t: F64
    end: F64  # running max of window ends: the earliest a silence after the post starts
    gap_s: F64  # shortest gap to the next post (len n-1)
    rate: F64  # active days per day before the post
    shape: F64  # gamma posterior of the tail's rate (1/xi): shape and scale sum
    scale: F64
    reach: F64  # predictive share of gaps that reach the tail
    known: npt.NDArray[np.bool_]


def _active_share(t: F64) -> F64:
    """The larger share, over :data:`RATE_WINDOWS_D`, of UTC days with a post, up to each post."""
    day = np.floor(t / DAY_S)
    days = np.unique(day)
    k = np.searchsorted(days, day)
    share = np.zeros(t.shape[0])
    for w in RATE_WINDOWS_D:
        first = np.searchsorted(days, day - w + 1.0, side="left")
        share = np.maximum(share, (k - first + 1) / w)
    return share


def _rhythm(t: F64, u: F64) -> _Rhythm:
    order = np.argsort(t, kind="stable")
    t, u = t[order], np.abs(u[order])
    end = np.maximum.accumulate(t + u)
    gap = np.maximum(0.0, (t[1:] - u[1:]) - end[:-1])
    rate = _active_share(t)
    z = gap / DAY_S * rate[:-1]
    tail = z > TAIL_START
    excess = np.where(tail, np.log(np.maximum(z, TAIL_START) / TAIL_START), 0.0)
    seen = np.arange(t.shape[0], dtype=np.float64)  # gaps completed by post i: 0..i-1
    n_tail = np.concatenate(([0.0], np.cumsum(tail)))
    sum_excess = np.concatenate(([0.0], np.cumsum(excess)))
    return _Rhythm(
        t=t,
        end=end,
        gap_s=gap,
        rate=rate,
        shape=PRIOR_WEIGHT + n_tail,
        scale=PRIOR_WEIGHT * PRIOR_XI + sum_excess,
        reach=(n_tail + EXCEED_PRIOR * EXCEED_WEIGHT) / (seen + EXCEED_WEIGHT),
        known=(seen >= MIN_GAPS) & (t - t[0] >= MIN_SPAN_S),
    )


def _p(gap_s: F64, r: _Rhythm, i: I64) -> F64:
    """P(a gap at least ``gap_s`` after post ``i``): the Lomax predictive above the tail
    start, and below it an exponential body joined to the tail's share (the body only
    ever gives ordinary verdicts, so its shape is a convenience, not a claim)."""
    z = gap_s / DAY_S * r.rate[i]
    excess = np.log(np.maximum(z, TAIL_START) / TAIL_START)
    tail = r.reach[i] * (r.scale[i] / (r.scale[i] + excess)) ** r.shape[i]
    body = r.reach[i] ** (np.minimum(z, TAIL_START) / TAIL_START)
    return np.where(z > TAIL_START, tail, body)


def _verdict(p: float | None, alpha: float) -> str:
    if p is None:
        return INSUFFICIENT
    return SILENT if p < alpha else ORDINARY


def _seen(t: F64, u: F64, as_of: float) -> tuple[F64, F64]:
    """The posts made before ``as_of`` (by their window's centre): nothing later is seen."""
    t = np.asarray(t, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    keep = t < as_of
    return t[keep], u[keep]


def silence(t: F64, u: F64, as_of: float, alpha: float = ALPHA) -> Silence:
    """One account's silence as of ``as_of``, scored against the posts before it."""
    as_of = float(as_of)
    t, u = _seen(t, u, as_of)
    if t.shape[0] == 0:
        return Silence(None, 0.0, None, INSUFFICIENT, 0, 0.0)
    r = _rhythm(t, u)
    last = t.shape[0] - 1
    since = min(as_of, float(r.end[last]))
    gap = as_of - since
    p = float(_p(np.array([gap]), r, np.array([last]))[0]) if r.known[last] else None
    return Silence(
        float(r.t[last]), gap, p, _verdict(p, alpha), last + 1, float(r.rate[last]), since
    )


def history(
    t: F64, u: F64, alpha: float = ALPHA, min_gap_s: float = HISTORY_MIN_GAP_S
) -> list[PastGap]:
    """Every past gap of at least ``min_gap_s``, each scored as :func:`silence` would have
    scored it at the moment the next post's window began (so its p is the lowest the gap
    ever reached: the account's false alarms are the ones flagged here)."""
    t = np.asarray(t, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if t.shape[0] < 2:
        return []
    r = _rhythm(t, u)
    i = np.flatnonzero(r.gap_s >= min_gap_s)
    p = _p(r.gap_s[i], r, i)
    known = r.known[i]
    start = r.end[i]
    return [
        PastGap(float(s), float(s + g), float(g), pp, _verdict(pp, alpha))
        for s, g, pp in zip(
            start.tolist(),
            r.gap_s[i].tolist(),
            [float(x) if k else None for x, k in zip(p.tolist(), known.tolist(), strict=True)],
            strict=True,
        )
    ]


def _daily(t: F64, u: F64, grid: F64) -> tuple[F64, F64]:
    """An account's p of its ongoing silence at each instant of ``grid`` (NaN where its
    rhythm is not known yet), and how long it had been silent there (inf before its first
    post): the series whose co-variation Brown's method needs, and the co-silence count's."""
    r = _rhythm(t, u)
    i = np.searchsorted(r.t, grid, side="left") - 1
    ii = np.maximum(i, 0)
    elapsed = np.where(i >= 0, np.maximum(0.0, grid - r.end[ii]), np.inf)
    ok = (i >= 0) & r.known[ii]
    p = np.full(grid.shape[0], np.nan)
    p[ok] = _p(elapsed[ok], r, ii[ok])
    return p, elapsed


def _brown(p: F64, corr: F64) -> float:
    """Fisher's -2 sum log p, rescaled to the variance that correlated members give it
    (Brown 1975, with Kost & McDermott's 2002 covariance of -2 log p for correlation rho)."""
    k = p.shape[0]
    x = float(-2.0 * np.sum(np.log(np.maximum(p, 1e-300))))
    rho = corr[np.triu_indices(k, 1)]
    cov = 3.263 * rho + 0.710 * rho**2 + 0.027 * rho**3
    mean, var = 2.0 * k, 4.0 * k + 2.0 * float(np.sum(cov))
    c, f = var / (2.0 * mean), 2.0 * mean**2 / var
    # scipy.stats.chi2.sf(x / c, f), from scipy.special: scipy.stats costs ~0.5 s to import,
    # paid by every ingest (the registry imports every stage), for this one function.
    return float(chdtrc(f, x / c))


def cohort(
    accounts: Sequence[tuple[F64, F64]], as_of: float, alpha: float = ALPHA
) -> CohortSilence:
    """Whether several accounts of one unit are silent together, against their own history.

    Members are the accounts with p < :data:`MEMBER_P` on their own.  Their p-values are
    combined with Brown's method, the correlation taken from their daily silence series
    (log p, clipped at 0 from below so that anti-correlation never strengthens the claim)
    over the shared history before the joint silence; the result is multiplied by the number
    of ways to choose that many members of the cohort (Bonferroni), since the members were
    chosen for being quiet.
    """
    seen = [_seen(t, u, as_of) for t, u in accounts]
    alone = [silence(t, u, as_of, alpha) for t, u in seen]
    members = tuple(j for j, s in enumerate(alone) if s.p is not None and s.p < MEMBER_P)
    if len(members) < 2:
        only = alone[members[0]].p if members else 1.0
        start = alone[members[0]].silent_since_utc if members else as_of
        return CohortSilence(
            members, float(start if start is not None else as_of), as_of, only, ORDINARY
        )
    start = max(float(alone[j].silent_since_utc or as_of) for j in members)
    member_p = np.array([alone[j].p or 0.0 for j in members])
    first = max(float(np.min(seen[j][0])) for j in members)
    grid = DAY_S * np.arange(math.ceil(first / DAY_S), math.floor(start / DAY_S), dtype=np.float64)
    daily = [_daily(*seen[j], grid) for j in members]
    series = np.array([d[0] for d in daily])
    both = np.all(np.isfinite(series), axis=0)
    quiet = np.all(np.array([d[1] for d in daily]) >= as_of - start, axis=0)
    past = int(np.count_nonzero(quiet[1:] & ~quiet[:-1])) + int(quiet[:1].sum())
    if int(both.sum()) < COHORT_MIN_DAYS:
        return CohortSilence(
            members, start, as_of, None, INSUFFICIENT, tuple(member_p.tolist()), None, past
        )
    logs = -np.log(np.maximum(series[:, both], 1e-300))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(logs), nan=1.0)
    corr = np.clip(corr, 0.0, 1.0)
    k = len(members)
    p = min(1.0, math.comb(len(accounts), k) * _brown(member_p, corr))
    mean_rho = float(corr[np.triu_indices(k, 1)].mean())
    return CohortSilence(
        members, start, as_of, p, _verdict(p, alpha), tuple(member_p.tolist()), mean_rho, past
    )
