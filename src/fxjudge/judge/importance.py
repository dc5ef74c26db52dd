"""Out-of-sample permutation importance of the judge: pooled, per period, and by group.

Each walk-forward period's judge (or a saved model, as one "period") sees only candidates it was
not fitted on: its own period's labelled candidates. A feature, or a group of features, is
shuffled among them (rows permuted within the period, `repeats` times, seeded), and the judge's
probabilities are computed again. Three tables come from the same predictions (one
`predict_proba` per period for every feature, group and repeat):

- `pooled`: the drop in the AUC pooled over every judged candidate (the report's main
  importance; ``importance_mean``/``importance_std`` over the repeats), one row per feature;
- `periods`: the drop in each period's own AUC, mean over the repeats; one row per judged
  period (index ``judge_start``), one column per feature; NaN where the period's candidates are
  all wins or all losses (AUC undefined). Its `stability` summary says, per feature, the mean and
  standard deviation over the periods and the share of periods where shuffling it hurt (> 0):
  a feature that matters in two periods of twenty is not one the judge can lean on;
- `groups`: clustered importance (AFML ch. 8, clustered MDA): the members of a group of
  correlated features are shuffled together, with one permutation of the rows, so that the judge
  cannot read a shuffled member from its correlated twin (which makes each member look unimportant
  alone) and the group's joint structure is kept; pooled AUC drop, one row per group.

Groups are fixed and named (`fxjudge.features.library.GROUPS`: the three SMA distances, the two
returns, the two volatility ratios, and the oriented twins of the first two), not found by
clustering the correlations: a named group reads the same in every run and every report, and a
correlation clustering on a few hundred candidates per period would move between runs. A group
counts when at least two of its members are among the judge's features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from fxjudge.features.library import GROUPS


@dataclass
class Importance:
    """The three importance tables of one judged run (see the module docstring)."""

    pooled: pd.DataFrame | None
    periods: pd.DataFrame | None
    groups: pd.DataFrame | None


def feature_groups(columns, groups: dict[str, tuple[str, ...]] | None = None) -> dict[str, list]:
    """The named groups with at least two members among `columns`, members in column order."""
    present = list(columns)
    found = {}
    for name, members in (GROUPS if groups is None else groups).items():
        inside = [c for c in present if c in members]
        if len(inside) >= 2:
            found[name] = inside
    return found


def _aucs(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The AUC of each row of `p` against labels `y` (Mann-Whitney, ties counted half, as
    `roc_auc_score`), NaN with one class; vectorised: a period has a hundred rows of them."""
    win = y == 1
    n_win, n_loss = int(win.sum()), int((~win).sum())
    if n_win == 0 or n_loss == 0:
        return np.full(p.shape[0], np.nan)
    ranks = rankdata(p, axis=1)
    return (ranks[:, win].sum(axis=1) - n_win * (n_win + 1) / 2) / (n_win * n_loss)


def stability(periods: pd.DataFrame) -> pd.DataFrame:
    """Per feature: mean and standard deviation of its per-period importance, the share of
    periods where it is > 0, and how many periods define it; most stable-and-large first."""
    defined = periods.notna()
    table = pd.DataFrame({
        "mean": periods.mean(), "std": periods.std(ddof=1),
        "share_positive": (periods > 0).sum() / defined.sum().where(defined.sum() > 0),
        "n_periods": defined.sum(),
    })
    table.index.name = "feature"
    return table.sort_values(["share_positive", "mean"], ascending=False)


def oos_importance(fitted, features: pd.DataFrame, y: np.ndarray, repeats: int, seed: int,
                   groups: dict[str, tuple[str, ...]] | None = None) -> Importance:
    """The pooled, per-period and grouped importance of judges on the rows they judged.

    `fitted` is a list of (judge, judged rows, period start); only labelled rows count. Tables
    are None where they are undefined (no labelled rows; pooled AUC with one class).
    """
    rng = np.random.default_rng(seed)
    names = list(features.columns)
    blocks = [[j] for j in range(len(names))]
    grouped = feature_groups(names, groups)
    blocks += [[names.index(c) for c in members] for members in grouped.values()]
    n_blocks = len(blocks)
    base, shuffled, truth, starts, per_period = [], [], [], [], []
    for judge, rows, start in fitted:
        rows = rows[~np.isnan(y[rows])]
        if len(rows) == 0:
            continue
        X = features.iloc[rows].to_numpy(dtype=float)
        stack = np.tile(X, (n_blocks * repeats, 1))
        for k in range(n_blocks * repeats):
            columns = blocks[k // repeats]
            part = stack[k * len(rows): (k + 1) * len(rows)]
            part[:, columns] = part[rng.permutation(len(rows))][:, columns]
        p = judge.predict_proba(pd.DataFrame(np.vstack([X, stack]), columns=names))[:, 1]
        p0, ps = p[: len(rows)], p[len(rows):].reshape(n_blocks * repeats, len(rows))
        labels = y[rows]
        drops = _aucs(labels, p0[None, :])[0] - _aucs(labels, ps[: len(names) * repeats])
        per_period.append(drops.reshape(len(names), repeats).mean(axis=1))
        base.append(p0)
        shuffled.append(ps)
        truth.append(labels)
        starts.append(start)
    if not truth:
        return Importance(None, None, None)
    periods = pd.DataFrame(per_period, columns=pd.Index(names, name="feature"),
                           index=pd.Index(starts, name="judge_start"))
    labels = np.concatenate(truth)
    if np.unique(labels).size < 2:
        return Importance(None, periods, None)
    reference = roc_auc_score(labels, np.concatenate(base))
    drops = np.array([reference - roc_auc_score(labels, np.concatenate([s[k] for s in shuffled]))
                      for k in range(n_blocks * repeats)]).reshape(n_blocks, repeats)

    def table(values: np.ndarray, index: list[str], name: str) -> pd.DataFrame:
        frame = pd.DataFrame({"importance_mean": values.mean(axis=1),
                              "importance_std": values.std(axis=1)},
                             index=pd.Index(index, name=name))
        return frame.sort_values("importance_mean", ascending=False)

    pooled = table(drops[: len(names)], names, "feature")
    by_group = None
    if grouped:
        by_group = table(drops[len(names):], list(grouped), "group")
        by_group["members"] = [", ".join(grouped[g]) for g in by_group.index]
    return Importance(pooled, periods, by_group)
