"""Silence against an account's own rhythm, on real X archive histories and hand-made cases."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from geotrace.analysis import silence as sil

HISTORIES = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "histories"
DAY = 86400.0


def _load(name: str) -> np.ndarray:
    path = HISTORIES / f"{name}_tweet-headers.js"
    if not path.is_file():
        pytest.skip(f"needs ../shared/corpora/histories (not at {path})")
    text = path.read_text(encoding="utf-8")
    items = json.loads(text[text.index("=") + 1 :])
    fmt = "%a %b %d %H:%M:%S %z %Y"
    return np.sort([datetime.strptime(i["tweet"]["created_at"], fmt).timestamp() for i in items])


@pytest.fixture(scope="module", params=["larsbrinkhoff", "timlinux"])
def account(request: pytest.FixtureRequest) -> np.ndarray:
    return _load(request.param)


def _years(t: np.ndarray) -> float:
    return float(t[-1] - t[0]) / DAY / 365.25


def test_few_false_alarms_on_real_past_gaps(account: np.ndarray) -> None:
    # The account posted again after every past gap, so each "silent" one is a false alarm.
    # The research's best scorer gives 0.48 per account-year (Poisson: 17); one per
    # account-year per account leaves room for a single account's bad year.
    past = sil.history(account, np.zeros_like(account), min_gap_s=0.0)
    scored = [g for g in past if g.p is not None]
    assert len(scored) > 0.9 * len(past)  # the scorer does answer on a real history
    alarms = sum(g.verdict == sil.SILENT for g in past)
    assert alarms / _years(account) <= 1.0
    # It is not quiet because it never answers low: its longest gaps do score low.
    assert min(g.p for g in scored if g.p is not None) < 0.01


def test_silence_cut_into_real_history_is_flagged(account: np.ndarray) -> None:
    # bench/silence.py measures a 27.5-day median over 120 cuts (28 over 800), the research's
    # best 37.7; 60 days over 30 seeded cuts leaves room for sampling noise.
    rng = np.random.default_rng(7)
    delays = []
    for cut in rng.uniform(account[0] + 365 * DAY, account[-1], 30):
        past = account[account < cut]
        delay = np.inf
        for d in range(1, 366):
            if sil.silence(past, np.zeros_like(past), cut + d * DAY).verdict == sil.SILENT:
                delay = d
                break
        delays.append(delay)
    assert np.median(delays) <= 60


def test_new_account_has_insufficient_history() -> None:
    t = 1.7e9 + np.array([0.0, 3.0, 9.0, 10.0, 20.0]) * DAY
    s = sil.silence(t, np.zeros(5), t[-1] + 200 * DAY)
    assert s.verdict == sil.INSUFFICIENT and s.p is None
    assert s.posts == 5 and s.last_post_utc == t[-1]
    assert s.gap_s == pytest.approx(200 * DAY)
    assert all(g.verdict == sil.INSUFFICIENT for g in sil.history(t, np.zeros(5)))
    nothing = sil.silence(t, np.zeros(5), t[0] - 1.0)
    assert nothing.last_post_utc is None and nothing.verdict == sil.INSUFFICIENT


def test_day_precision_posts_count_at_their_uncertainty() -> None:
    # Time-only posts known to the UTC day: centre at noon, half-width 12 h.
    t = _load("timlinux")
    days = np.unique(np.floor(t / DAY)) * DAY + DAY / 2
    u = np.full(days.shape, DAY / 2)
    as_of = days[-1] + 40 * DAY
    s = sil.silence(days, u, as_of)
    assert s.verdict != sil.INSUFFICIENT and s.p is not None
    # The silence starts when the last day ends: the conservative (shortest) gap.
    assert s.silent_since_utc == pytest.approx(days[-1] + DAY / 2)
    assert s.gap_s == pytest.approx(as_of - days[-1] - DAY / 2)
    # A zone-unknown window of +/-14 h never makes a gap longer than its centre's.
    wide = sil.history(days, np.full(days.shape, 14 * 3600.0), min_gap_s=0.0)
    centre = sil.history(days, np.zeros_like(days), min_gap_s=0.0)
    assert sum(g.gap_s for g in wide) < sum(g.gap_s for g in centre)
    assert sum(g.verdict == sil.SILENT for g in wide) / _years(days) <= 1.0


def test_as_of_ignores_later_posts(account: np.ndarray) -> None:
    k = account.shape[0] // 2
    as_of = float(account[k]) + 3600.0
    later = account[k + 1] > as_of
    assert later
    whole = sil.silence(account, np.zeros_like(account), as_of)
    cut = sil.silence(account[: k + 1], np.zeros(k + 1), as_of)
    assert whole == cut
    assert whole.last_post_utc == account[k] and whole.posts == k + 1


def test_history_scores_each_gap_as_silence_would_have(account: np.ndarray) -> None:
    zero = np.zeros_like(account)
    past = sil.history(account, zero, min_gap_s=20 * DAY)
    assert len(past) > 5
    for g in past:
        now = sil.silence(account, zero, g.end_utc)
        assert now.gap_s == pytest.approx(g.gap_s)
        assert now.p == pytest.approx(g.p) and now.verdict == g.verdict


def test_history_is_fast_on_100k_posts() -> None:
    t = np.cumsum(np.random.default_rng(1).exponential(3600.0, 100_000)) + 1.4e9
    start = time.perf_counter()
    past = sil.history(t, np.zeros_like(t), min_gap_s=0.0)
    assert time.perf_counter() - start < 1.0
    assert len(past) == t.shape[0] - 1


def _cut(t: np.ndarray, at: float) -> tuple[np.ndarray, np.ndarray]:
    before = t[t < at]
    return before, np.zeros_like(before)


def test_cohort_of_independent_accounts_is_stronger_than_each() -> None:
    lars, tim = _load("larsbrinkhoff"), _load("timlinux")
    # A third rhythm unrelated to the others: timlinux's history three years earlier.
    third = tim - 3 * 365.25 * DAY
    cut = 1.62e9
    accounts = [_cut(x, cut) for x in (lars, tim, third)]
    as_of = cut + 10 * DAY
    alone = [sil.silence(t, u, as_of).p for t, u in accounts]
    together = sil.cohort(accounts, as_of)
    assert together.members == (0, 1, 2)
    assert all(p is not None for p in alone)
    weakest = min(p for p in alone if p is not None)
    assert together.p is not None and together.p < weakest / 100
    assert together.verdict == sil.SILENT
    assert together.correlation is not None and together.correlation < 0.3


def test_cohort_that_always_pauses_together_is_one_witness() -> None:
    rng = np.random.default_rng(0)
    tim = _load("timlinux")

    def copy() -> np.ndarray:  # the same person's rhythm, 80 % of posts, +/-3 h jitter
        keep = rng.random(tim.shape[0]) > 0.2
        return np.sort(tim[keep] + rng.normal(0.0, 3 * 3600.0, int(keep.sum())))

    cut = 1.62e9
    accounts = [_cut(copy(), cut) for _ in range(3)]
    as_of = cut + 20 * DAY
    alone = [sil.silence(t, u, as_of).p for t, u in accounts]
    together = sil.cohort(accounts, as_of)
    assert together.members == (0, 1, 2)
    weakest = min(p for p in alone if p is not None)
    assert together.p is not None and together.p > weakest / 3
    assert together.correlation is not None and together.correlation > 0.7
    assert together.past_co_silences > 0  # they have been this quiet together before


def test_cohort_needs_two_quiet_members() -> None:
    tim = _load("timlinux")
    cut = 1.62e9
    busy = tim[tim < cut]
    # A second account that posted right up to as_of is not part of a joint silence.
    active = np.concatenate([busy, [cut + 9.9 * DAY]])
    result = sil.cohort([_cut(busy, cut), (active, np.zeros_like(active))], cut + 10 * DAY)
    assert result.verdict == sil.ORDINARY and len(result.members) <= 1
