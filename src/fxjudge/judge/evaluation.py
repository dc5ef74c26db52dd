"""How the judge is judged (docs/judge.md): pure functions of probabilities, labels and P&L.

Inputs are arrays aligned on the candidates: `prob` the out-of-sample probability of a win
(NaN = candidate not judged, left out of every statistic here), `label` 1 for a win and 0 for a
loss (NaN = unresolved: the candidate was still open at the end of the data, its outcome is not
known, so it is left out of every statistic that needs a label: scores, calibration, precision
and the random filter), `taken` True where the judge kept the trade, `pnl` the candidate's net
result as if taken (any one unit: pips, R multiples or account currency; NaN where unresolved).
`judge_report` counts both kinds it leaves out (`n_not_judged`, `n_unresolved`). Undefined
numbers are NaN with a reason, never a sentinel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import hypergeom
from sklearn.inspection import permutation_importance
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from fxjudge.errors import ModelError, must
from fxjudge.judge.verdict import random_subset_means, verdict_tests


def _judged(prob, label) -> tuple[np.ndarray, np.ndarray]:
    prob, label = np.asarray(prob, dtype=float), np.asarray(label, dtype=float)
    if prob.shape != label.shape:
        raise must("label", f"as long as `prob` ({len(prob)})", len(label))
    keep = ~np.isnan(prob) & ~np.isnan(label)
    return prob[keep], label[keep].astype(int)


def probability_scores(prob, label) -> dict:
    """Out-of-sample AUC, Brier score and log loss of the judged candidates.

    AUC needs wins and losses: with one class it is NaN and `undefined_reason` says so (Brier
    and log loss stay defined). 0.5 is a coin's AUC; Brier and log loss are lower-is-better.
    """
    p, y = _judged(prob, label)
    scores = {"n": len(y), "base_rate": float(y.mean()) if len(y) else math.nan,
              "auc": math.nan, "brier": math.nan, "log_loss": math.nan, "undefined_reason": ""}
    if len(y) == 0:
        return scores | {"undefined_reason": "no judged candidates"}
    scores["brier"] = float(brier_score_loss(y, p, labels=[0, 1]))
    scores["log_loss"] = float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]))
    if np.unique(y).size < 2:
        missing = "losses" if y[0] == 1 else "wins"
        return scores | {"undefined_reason": f"AUC needs wins and losses; there are no {missing}"}
    scores["auc"] = float(roc_auc_score(y, p))
    return scores


def calibration_table(prob, label, bins: int = 10, strategy: str = "quantile") -> pd.DataFrame:
    """Reliability table: per probability bin, the mean prediction, observed win rate and count.

    `strategy` "quantile" puts about the same number of candidates in each bin; "uniform" cuts
    [0, 1] into equal widths (as `sklearn.calibration.calibration_curve`). Empty bins are left out.
    """
    p, y = _judged(prob, label)
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1))) if len(p) else np.array([])
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        raise must("strategy", '"quantile" or "uniform"', strategy)
    columns = ["prob_low", "prob_high", "mean_predicted", "observed_rate", "count"]
    if len(p) == 0:
        return pd.DataFrame(columns=columns)
    if len(edges) == 1:  # every probability equal: one bin of zero width
        edges = np.repeat(edges, 2)
    which = np.searchsorted(edges[1:-1], p, side="right")
    table = pd.DataFrame({"p": p, "y": y}).groupby(which).agg(
        mean_predicted=("p", "mean"), observed_rate=("y", "mean"), count=("y", "size")
    )
    table["prob_low"], table["prob_high"] = edges[table.index], edges[table.index + 1]
    return table[columns].reset_index(drop=True)


def precision_vs_base(label, taken) -> dict:
    """Win rate of the taken trades against the win rate of all judged candidates (the base).

    Unresolved candidates (NaN label) are left out of both.
    """
    y, kept = np.asarray(label, dtype=float), np.asarray(taken, dtype=bool)
    if y.shape != kept.shape:
        raise must("taken", f"as long as `label` ({len(y)})", len(kept))
    resolved = ~np.isnan(y)
    y, kept = y[resolved], kept[resolved]
    n, n_taken = len(y), int(kept.sum())
    precision = float(y[kept].mean()) if n_taken else math.nan
    base = float(y.mean()) if n else math.nan
    return {"n_candidates": n, "n_taken": n_taken, "kept_fraction": n_taken / n if n else math.nan,
            "precision_taken": precision, "base_rate": base,
            "lift": precision / base if base > 0 else math.nan,
            "undefined_reason": "" if n_taken else "no trades taken"}


def random_filter_test(
    taken, *, label=None, pnl=None, n_draws: int = 10_000, seed: int = 0
) -> dict:
    """Does the judge beat a random filter that keeps as many trades?

    Precision: the number of wins in a random subset of the taken size is hypergeometric, so the
    one-sided p-value P(random precision >= observed) is exact (`scipy.stats.hypergeom`), with
    the 5/50/95% quantiles of the random precision. Mean P&L: `n_draws` random subsets (seeded)
    give its distribution; p-value = (1 + #draws >= observed) / (1 + n_draws).

    Unresolved candidates (NaN `label`, or NaN `pnl`) are left out of both tests, so that both
    compare the same candidates.
    """
    kept = np.asarray(taken, dtype=bool)
    resolved = np.ones(len(kept), dtype=bool)
    for name, values in (("label", label), ("pnl", pnl)):
        if values is not None:
            values = np.asarray(values, dtype=float)
            if values.shape != kept.shape:
                raise must(name, f"as long as `taken` ({len(kept)})", len(values))
            resolved &= ~np.isnan(values)
    kept = kept[resolved]
    n, m = len(kept), int(kept.sum())
    out: dict = {"n_candidates": n, "n_taken": m, "undefined_reason": ""}
    if m == 0:
        out["undefined_reason"] = "no trades taken: nothing to compare with a random filter"
    if label is not None:
        y = np.asarray(label, dtype=float)[resolved].astype(int)
        wins, wins_taken = int(y.sum()), int(y[kept].sum())
        dist = hypergeom(n, wins, m)
        out |= {"precision_taken": wins_taken / m if m else math.nan,
                "precision_p_value": float(dist.sf(wins_taken - 1)) if m else math.nan}
        out |= {f"precision_random_q{q}": float(dist.ppf(q / 100) / m) if m else math.nan
                for q in (5, 50, 95)}
    if pnl is not None:
        values = np.asarray(pnl, dtype=float)[resolved]
        observed = float(values[kept].mean()) if m else math.nan
        draws = random_subset_means(values, m, n_draws, seed) if m else np.array([math.nan])
        beaten = np.sum(draws >= observed - 1e-12 * max(1.0, abs(observed)))
        out |= {"mean_pnl_taken": observed, "mean_pnl_all": float(values.mean()) if n else math.nan,
                "mean_pnl_p_value": float((1 + beaten) / (1 + n_draws)) if m else math.nan}
        out |= {f"mean_pnl_random_q{q}": float(np.quantile(draws, q / 100)) for q in (5, 50, 95)}
    return out


def permutation_importance_oos(judge, X, y, *, n_repeats: int = 10, seed: int = 0) -> pd.DataFrame:
    """Drop in out-of-sample AUC when each feature is shuffled (`sklearn.inspection`).

    `X`, `y` must be data the judge was not fitted on; the result is sorted, most important first.
    """
    y = np.asarray(y)
    if np.unique(y).size < 2:
        raise ModelError("permutation importance uses AUC, which needs wins and losses in `y`")
    result = permutation_importance(judge, X, y, scoring="roc_auc", n_repeats=n_repeats,
                                    random_state=seed)
    names = getattr(X, "columns", None)
    names = list(names) if names is not None else [f"x{i}" for i in range(np.shape(X)[1])]
    table = pd.DataFrame(
        {"importance_mean": result.importances_mean, "importance_std": result.importances_std},
        index=pd.Index(names, name="feature"),
    )
    return table.sort_values("importance_mean", ascending=False)


@dataclass
class TradeStats:
    """Backtest statistics of one trade list; filled by the caller (NaN until then)."""

    sharpe: float = math.nan
    profit_factor: float = math.nan
    max_drawdown: float = math.nan
    n_trades: float = math.nan


@dataclass
class JudgeReport:
    """Everything the report says about the judge; `summary()` flattens it to scalars.

    `n_not_judged`: candidates without an out-of-sample probability (before the first window);
    `n_unresolved`: judged candidates still open at the end of the data (no label), left out of
    every label-based statistic.
    """

    scores: dict
    precision: dict
    random_filter: dict
    calibration: pd.DataFrame
    n_not_judged: int = 0
    n_unresolved: int = 0
    importance: pd.DataFrame | None = None
    with_judge: TradeStats = field(default_factory=TradeStats)
    without_judge: TradeStats = field(default_factory=TradeStats)
    #: importance per walk-forward period and by group of correlated features (`importance`)
    importance_periods: pd.DataFrame | None = None
    importance_groups: pd.DataFrame | None = None
    #: the judged run with each trade sized by its probability (`Sizing.by_probability`)
    judge_sized: TradeStats | None = None
    #: the verdict's tests (`fxjudge.judge.verdict`): rank test, P&L test, their outcome
    rank_test: dict = field(default_factory=dict)
    pnl_test: dict = field(default_factory=dict)
    outcome: str = "not_judged"
    uplift: pd.DataFrame | None = None

    def summary(self) -> dict:
        """Scalar numbers only, prefixed by their group (for tables, JSON and cards)."""
        out = {"n_not_judged": self.n_not_judged, "n_unresolved": self.n_unresolved,
               "outcome": self.outcome}
        for group in ("scores", "precision", "random_filter", "rank_test", "pnl_test"):
            out |= {f"{group}.{k}": v for k, v in getattr(self, group).items()}
        for group in ("with_judge", "without_judge", "judge_sized"):
            if getattr(self, group) is not None:
                out |= {f"{group}.{k}": v for k, v in vars(getattr(self, group)).items()}
        return out


def judge_report(prob, label, taken, pnl=None, period=None, *, bins: int = 10,
                 n_draws: int = 10_000, seed: int = 0) -> JudgeReport:
    """Build a `JudgeReport` on the judged (finite `prob`), resolved (finite `label`) candidates
    of one backtest; the others are counted in `n_not_judged` and `n_unresolved`. With `pnl`,
    the verdict's tests too (`fxjudge.judge.verdict`: rank test within `period`, each
    candidate's walk-forward period, P&L test, outcome, uplift); the candidates must then be in
    time order."""
    prob = np.asarray(prob, dtype=float)
    label = np.asarray(label, dtype=float)
    kept = np.asarray(taken, dtype=bool)
    values = None if pnl is None else np.asarray(pnl, dtype=float)
    groups = None if period is None else np.asarray(period)
    for name, column in (("label", label), ("taken", kept), ("pnl", values), ("period", groups)):
        if column is not None and column.shape != prob.shape:
            raise must(name, f"as long as `prob` ({len(prob)})", len(column))
    judged, resolved = ~np.isnan(prob), ~np.isnan(label)
    use = judged & resolved
    label, kept, prob = label[use], kept[use], prob[use]
    values = None if values is None else values[use]
    groups = None if groups is None else groups[use]
    tests = {}
    if values is not None:
        ok = ~np.isnan(values)
        tests = verdict_tests(prob[ok], label[ok], values[ok], kept[ok],
                              None if groups is None else groups[ok], n_draws=n_draws, seed=seed)
        tests = {"rank_test": tests["rank"], "pnl_test": tests["pnl"],
                 "outcome": tests["outcome"], "uplift": tests["uplift"]}
    return JudgeReport(
        scores=probability_scores(prob, label),
        precision=precision_vs_base(label, kept),
        random_filter=random_filter_test(kept, label=label, pnl=values, n_draws=n_draws, seed=seed),
        calibration=calibration_table(prob, label, bins=bins),
        n_not_judged=int((~judged).sum()),
        n_unresolved=int((judged & ~resolved).sum()),
        **tests,
    )
