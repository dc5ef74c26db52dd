"""The verdict's tests (docs/judge.md): does the judge rank winners, and do its kept trades pay?

Inputs are arrays aligned on the judged, resolved candidates **in time order** (the order of
the candidate table): `prob` the out-of-sample probability, `label` 1 for a win and 0 for a
loss, `pnl` the candidate's net pips as if taken alone, `taken` True where the judge kept it.

- **Rank test** (the lead). Statistic: the AUC (Mann-Whitney) of the probabilities against the
  labels, counting only the pairs of a win and a loss judged in the same walk-forward period
  (`period`, the stratified AUC; with one period it is the plain AUC, which is also reported
  as ``auc_pooled``). Why within periods: each period's model is calibrated to the win rate of
  its own (anchored) past, and within one run that past mean is negatively correlated with the
  coming periods' outcomes (the finite-sample bias of a forecast by the expanding mean: an
  early run of wins lifts every later period's level while the later outcomes, being
  independent, fall back), so pairs across periods make the pooled AUC fall below 0.5 on data
  with nothing to predict (0.46-0.49 with sigmoid calibration, benchmarks/results/verdict.txt).
  The judge's decisions are within periods too: each period's threshold is its own.
  One-sided, the judge claims high probabilities win. Null: the probability sequence
  circularly shifted against the outcomes, which keeps the serial dependence of both (labels
  of overlapping trades, probabilities of one walk-forward period's model) and breaks only their
  alignment. Shifts lie at least `min_gap` candidates from zero (either way round), so that no
  null draw is close to the observed alignment; 999 evenly spaced shifts, or all of them when
  fewer. p = (1 + #null AUC >= observed) / (1 + number of shifts).
- **P&L test**. Statistic: the mean net pips of the kept trades. Null: random filters keeping as
  many of the same candidates (`n_draws` subsets, seeded); p = (1 + #draws >= observed) /
  (1 + n_draws). Trading less does not move this mean by itself: a random filter trades as
  little.
- **Outcome** (`verdict_outcome`): "not_judged" when no candidate was judged and resolved;
  "no_evidence" unless the rank test rejects at `alpha`; "helped" only when the rank test and
  the P&L test both reject and the kept trades' total net pips is positive (so a losing
  strategy that merely loses less with fewer trades is not "helped"); else "ranks_only" (the
  judge ranks winners, but its kept trades do not beat a random filter or still lose).
- **Uplift curve** (`uplift_table`): as the threshold moves over the probability quantiles,
  the trades kept and their mean net pips, with the 5-95% band of random filters keeping as
  many (normal approximation of a random subset's mean, finite-population corrected).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from fxjudge.errors import must

ALPHA = 0.05
OUTCOMES = ("not_judged", "no_evidence", "ranks_only", "helped")


def _aligned(**columns) -> dict[str, np.ndarray]:
    arrays = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    n = len(next(iter(arrays.values())))
    for name, values in arrays.items():
        if values.shape != (n,):
            raise must(name, f"one value per candidate ({n})", len(values))
        if not np.isfinite(values).all():
            raise must(name, "finite (judged, resolved candidates only)", "NaN or inf")
    return arrays


def shift_grid(n: int, n_shifts: int = 999, min_gap: int | None = None) -> np.ndarray:
    """The circular shifts of the rank test's null: `min_gap` .. n − `min_gap`, evenly spaced.

    `min_gap` defaults to a twentieth of the candidates (at least 1).
    """
    gap = max(1, n // 20) if min_gap is None else int(min_gap)
    if n - 2 * gap < 0:
        return np.array([], dtype=np.int64)
    every = np.arange(gap, n - gap + 1, dtype=np.int64)
    if len(every) <= n_shifts:
        return every
    return np.unique(np.linspace(gap, n - gap, n_shifts).round().astype(np.int64))


def rank_test(prob, label, period=None, *, n_shifts: int = 999,
              min_gap: int | None = None) -> dict:
    """The AUC of `prob` against `label` within `period` (the module docstring; None: one
    period) and its one-sided p-value under circular shifts of `prob`; ``auc_pooled`` is the
    AUC over all pairs."""
    a = _aligned(prob=prob, label=label)
    p, y = a["prob"], a["label"].astype(int)
    n, wins = len(y), int(y.sum())
    groups = _period_codes(period, n)
    out = {"statistic": "auc within periods", "n": n, "n_periods": int(groups.max(initial=-1)) + 1,
           "auc": math.nan, "auc_pooled": math.nan, "p_value": math.nan, "n_null": 0,
           "null_q50": math.nan, "null_q95": math.nan, "undefined_reason": ""}
    if n == 0:
        return out | {"undefined_reason": "no judged candidates with a known outcome"}
    if wins == 0 or wins == n:
        return out | {"undefined_reason": "the rank test needs wins and losses"}
    out["auc_pooled"] = float(_stratified_aucs(p, y, np.zeros(n, dtype=np.int64), [0])[0])
    observed = float(_stratified_aucs(p, y, groups, [0])[0])
    out["auc"] = observed
    if math.isnan(observed):
        return out | {"undefined_reason": "no period has both a win and a loss"}
    shifts = shift_grid(n, n_shifts, min_gap)
    if len(shifts) == 0:
        return out | {"undefined_reason": "too few candidates for a null of shifts"}
    null = _stratified_aucs(p, y, groups, shifts)
    beaten = int(np.sum(null >= observed - 1e-12))
    return out | {"p_value": (1 + beaten) / (1 + len(null)), "n_null": len(null),
                  "null_q50": float(np.median(null)), "null_q95": float(np.quantile(null, 0.95))}


def _period_codes(period, n: int) -> np.ndarray:
    """Each candidate's period as 0, 1, ... in order of appearance (all 0 when None)."""
    if period is None:
        return np.zeros(n, dtype=np.int64)
    values = np.asarray(period)
    if values.shape != (n,):
        raise must("period", f"one value per candidate ({n})", len(values))
    return pd.factorize(values)[0].astype(np.int64)


def _stratified_aucs(p: np.ndarray, y: np.ndarray, groups: np.ndarray, shifts) -> np.ndarray:
    """The Mann-Whitney AUC over the (win, loss) pairs of the same group, ties counting 1/2, of
    `p` circularly shifted by each of `shifts` against `y` and `groups` (NaN when no group has
    both). Within-group ranks come from one ranking by (group, rank of p), in chunks of shifts."""
    n = len(p)
    size = np.bincount(groups)
    wins = np.bincount(groups, weights=y, minlength=len(size))
    pairs = float((wins * (size - wins)).sum())
    shifts = np.asarray(shifts, dtype=np.int64)
    if pairs == 0:
        return np.full(len(shifts), np.nan)
    order = rankdata(p)  # ties share their mean rank, and keep sharing it within a group
    before = np.r_[0, np.cumsum(size)[:-1]][groups]  # ranks below the group's first member
    positives = np.flatnonzero(y == 1)
    offset = float((wins * (wins + 1) / 2).sum())
    out = np.empty(len(shifts))
    step = max(1, 2_000_000 // n)
    for first in range(0, len(shifts), step):
        part = shifts[first:first + step]
        shifted = order[(np.arange(n)[None, :] - part[:, None]) % n]
        ranks = rankdata(groups[None, :] * (n + 1.0) + shifted, axis=1)
        out[first:first + step] = ((ranks - before)[:, positives].sum(axis=1) - offset) / pairs
    return out


def pnl_test(pnl, taken, *, n_draws: int = 10_000, seed: int = 0) -> dict:
    """Mean net pips of the kept trades against random filters keeping as many (one-sided)."""
    a = _aligned(pnl=pnl)
    values, kept = a["pnl"], np.asarray(taken, dtype=bool)
    if kept.shape != values.shape:
        raise must("taken", f"one value per candidate ({len(values)})", len(kept))
    n, m = len(values), int(kept.sum())
    out = {"n": n, "n_kept": m, "mean_kept": math.nan, "total_kept": math.nan,
           "mean_all": float(values.mean()) if n else math.nan, "p_value": math.nan,
           "random_q5": math.nan, "random_q50": math.nan, "random_q95": math.nan,
           "undefined_reason": ""}
    if m == 0:
        return out | {"undefined_reason": "no trades kept"}
    observed = float(values[kept].mean())
    out |= {"mean_kept": observed, "total_kept": float(values[kept].sum())}
    if m == n:
        return out | {"p_value": 1.0, "random_q5": observed, "random_q50": observed,
                      "random_q95": observed,
                      "undefined_reason": "every trade kept: the judge filtered nothing"}
    draws = random_subset_means(values, m, n_draws, seed)
    beaten = int(np.sum(draws >= observed - 1e-12 * max(1.0, abs(observed))))
    return out | {"p_value": (1 + beaten) / (1 + n_draws),
                  **{f"random_q{q}": float(np.quantile(draws, q / 100)) for q in (5, 50, 95)}}


def random_subset_means(values: np.ndarray, size: int, n_draws: int, seed: int) -> np.ndarray:
    """Means of `n_draws` random subsets of `size` values (without replacement), in chunks."""
    rng = np.random.default_rng(seed)
    rows = max(1, 2_000_000 // len(values))
    means = []
    for first in range(0, n_draws, rows):
        keys = rng.random((min(rows, n_draws - first), len(values)))
        picked = np.argpartition(keys, size - 1, axis=1)[:, :size]
        means.append(values[picked].mean(axis=1))
    return np.concatenate(means)


def verdict_outcome(rank: dict, pnl: dict, *, alpha: float = ALPHA) -> str:
    """One of `OUTCOMES` from the two tests (the rule is in the module docstring)."""
    if rank.get("n", 0) == 0:
        return "not_judged"
    if not rank.get("p_value", math.nan) < alpha:
        return "no_evidence"
    if pnl.get("p_value", math.nan) < alpha and pnl.get("total_kept", math.nan) > 0:
        return "helped"
    return "ranks_only"


UPLIFT_COLUMNS = ["threshold", "n_kept", "kept_fraction", "mean_pips_kept", "random_mean",
                  "random_q5", "random_q95"]


def uplift_table(prob, pnl, points: int = 40) -> pd.DataFrame:
    """Mean net pips of the trades kept at thresholds over the probability quantiles, with the
    5-95% band of a random filter keeping as many (see the module docstring)."""
    a = _aligned(prob=prob, pnl=pnl)
    p, values = a["prob"], a["pnl"]
    n = len(p)
    if n == 0:
        return pd.DataFrame(columns=UPLIFT_COLUMNS)
    levels = np.unique(np.quantile(p, np.linspace(0, 0.975, points)))
    counts = (p[None, :] >= levels[:, None]).sum(axis=1)
    totals = np.cumsum(values[np.argsort(-p, kind="stable")])
    means = totals[counts - 1] / counts
    mean, sd = float(values.mean()), float(values.std(ddof=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = sd * np.sqrt(np.where(n > 1, (n - counts) / max(n - 1, 1), 0.0) / counts)
    z = norm.ppf(0.95)
    return pd.DataFrame({"threshold": levels, "n_kept": counts, "kept_fraction": counts / n,
                         "mean_pips_kept": means, "random_mean": mean,
                         "random_q5": mean - z * spread, "random_q95": mean + z * spread})


def verdict_tests(prob, label, pnl, taken, period=None, *, n_shifts: int = 999,
                  n_draws: int = 10_000, seed: int = 0, alpha: float = ALPHA) -> dict:
    """The rank test (within `period`), the P&L test, their outcome and the uplift table of
    judged candidates."""
    rank = rank_test(prob, label, period, n_shifts=n_shifts)
    money = pnl_test(pnl, taken, n_draws=n_draws, seed=seed)
    return {"rank": rank, "pnl": money, "outcome": verdict_outcome(rank, money, alpha=alpha),
            "uplift": uplift_table(prob, pnl)}
