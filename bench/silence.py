"""Silence scorers on real posting histories: false alarms per account-year, delay to flag.

The yardstick of ``../shared/research/people.md``, re-measured on the two owner-published X
archives in ``../shared/corpora/histories/`` (the research's other six are kept for the
hidden check), with geotrace's scorer and, in the same run, the two baselines re-implemented
minimally: Poisson at the 90-day post rate (alpha 0.01) and the research's best, a
generalised Pareto fitted to the 10 % tail of gaps normalised by the 90-day post rate
("posts missed", alpha 0.001).

* False alarms: every past gap, scored with only the posts before it, flagged although the
  account posted again; per account-year of span.
* Delay: ``--cuts`` instants per account (seeded, uniform over the span); the history is cut
  there and each scorer is asked day by day "as of cut + d" (d = 1..365) until it flags;
  the median over all cuts counts never-flagged ones as infinite.

Run: ``.venv/bin/python bench/silence.py [--cuts 60] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import stats

from geotrace.analysis import silence as sil

HISTORIES = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "histories"
DAY = 86400.0
DAYS = np.arange(1, 366, dtype=np.float64)

#: A scorer: posts before the cut (sorted), as-of instants, alpha -> p at each (a scorer
#: may stop early, leaving 1, once p < alpha).
Scorer = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


def load(path: Path) -> np.ndarray:
    """A ``tweet-headers.js`` as sorted UTC instants."""
    text = path.read_text(encoding="utf-8")
    items = json.loads(text[text.index("=") + 1 :])
    fmt = "%a %b %d %H:%M:%S %z %Y"
    return np.sort([datetime.strptime(i["tweet"]["created_at"], fmt).timestamp() for i in items])


def _posts_rate(t: np.ndarray) -> np.ndarray:
    """Posts per day in the 90 days up to each post (the baselines' rate)."""
    first = np.searchsorted(t, t - 90 * DAY, side="right")
    return (np.arange(t.shape[0]) - first + 1) / 90.0


def poisson(t: np.ndarray, as_of: np.ndarray, alpha: float) -> np.ndarray:
    return np.exp(-_posts_rate(t)[-1] * (as_of - t[-1]) / DAY)


def pot(t: np.ndarray, as_of: np.ndarray, alpha: float) -> np.ndarray:
    rate = _posts_rate(t)
    z = np.diff(t) / DAY * rate[:-1]
    if z.shape[0] < 30:
        return np.ones_like(as_of)
    u = np.quantile(z, 0.9)
    excess = z[z > u] - u
    share = excess.shape[0] / z.shape[0]
    c, _, scale = stats.genpareto.fit(excess, floc=0)
    now = (as_of - t[-1]) / DAY * rate[-1]
    return np.where(now > u, share * stats.genpareto.sf(now - u, c, 0, scale), 1.0)


def geotrace(t: np.ndarray, as_of: np.ndarray, alpha: float) -> np.ndarray:
    """The public API, asked once per day as the hidden check does."""
    zero = np.zeros_like(t)
    out = np.ones_like(as_of)
    for j, a in enumerate(as_of.tolist()):
        s = sil.silence(t, zero, a, alpha)
        out[j] = 1.0 if s.p is None else s.p
        if s.verdict == sil.SILENT:
            break
    return out


def false_alarms(name: str, t: np.ndarray, alpha: float) -> int:
    if name == "geotrace":
        past = sil.history(t, np.zeros_like(t), alpha, min_gap_s=0.0)
        return sum(g.verdict == sil.SILENT for g in past)
    scorer = SCORERS[name][0]
    gaps = np.flatnonzero(np.diff(t) > DAY)  # no baseline flags a shorter gap at its alpha
    return sum(bool(scorer(t[: i + 1], t[i + 1 : i + 2], alpha)[0] < alpha) for i in gaps)


def delays(name: str, t: np.ndarray, cuts: np.ndarray, alpha: float) -> list[float]:
    scorer = SCORERS[name][0]
    out = []
    for cut in cuts.tolist():
        past = t[t < cut]
        p = scorer(past, cut + DAYS * DAY, alpha)
        hit = np.flatnonzero(p < alpha)
        out.append(float(DAYS[hit[0]]) if hit.shape[0] else math.inf)
    return out


SCORERS: dict[str, tuple[Scorer, float]] = {
    "poisson 90-day rate": (poisson, 0.01),
    "POT posts missed": (pot, 0.001),
    "geotrace": (geotrace, sil.ALPHA),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=60, help="simulated silences per account")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, nargs="*", help="geotrace thresholds to sweep")
    args = parser.parse_args()
    accounts = {p.name.split("_")[0]: load(p) for p in sorted(HISTORIES.glob("*.js"))}
    years = sum((t[-1] - t[0]) / DAY / 365.25 for t in accounts.values())
    rng = np.random.default_rng(args.seed)
    cuts = {k: rng.uniform(t[0], t[-1], args.cuts) for k, t in accounts.items()}
    print(f"{len(accounts)} accounts, {years:.1f} account-years, {args.cuts} cuts each")
    runs = [(name, alpha) for name, (_, alpha) in SCORERS.items()]
    runs += [("geotrace", a) for a in args.alpha or ()]
    for name, alpha in runs:
        start = time.perf_counter()
        fa = sum(false_alarms(name, t, alpha) for t in accounts.values())
        d = np.array([x for k, t in accounts.items() for x in delays(name, t, cuts[k], alpha)])
        never = int(np.isinf(d).sum())
        print(
            f"{name:22s} alpha {alpha:<7g} false alarms/acct-yr {fa / years:5.2f} ({fa:3d})"
            f"  median delay {np.median(d):6.1f} d  never flagged {never}/{d.shape[0]}"
            f"  [{time.perf_counter() - start:.1f} s]"
        )
    big = np.cumsum(np.random.default_rng(1).exponential(3600.0, 100_000)) + 1.4e9
    start = time.perf_counter()
    n = len(sil.history(big, np.zeros_like(big), min_gap_s=0.0))
    print(f"history on 100,000 posts ({n} gaps): {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
