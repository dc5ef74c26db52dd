"""The walk-forward judge: refit every period on the past, judge the period's candidates.

`walk_forward(features, labels, ...)` follows `splits.walk_forward_periods`: for each period a
fresh `model.Judge` is fitted on the candidates whose labels resolved before the period starts
(minus the embargo), inside the training window (its calibration folds and threshold purged
and embargoed the same way), and gives the period's candidates their
probability and veto (probability >= that judge's threshold, chosen on its training data only).
Candidates in no judged period (before the first window holds `min_train` resolved labels, or in
a period whose training set cannot be fitted) are **not judged**: probability NaN, and taken, as
without the judge, so the runs with and without the judge differ only where it spoke.

Models: "hgb" (default) and "random_forest" read the features' NaN warm-ups natively; any
other estimator ("logistic", a dotted path, an estimator object) is preceded by a median
imputer fitted on the same training rows, which keeps it causal. "hgb" is fitted without class
weights: with sample weights scikit-learn 1.9 finds HGB's bin edges by a weighted-percentile
loop, 15-20x slower per fit (4 s instead of 0.2 s on 1,000 candidates x 31 features); the
imbalance is handled where it matters instead, by the calibration (probabilities are win rates)
and the threshold, tuned on the gain of the kept trades or set at the base rate.

Permutation importance is computed out of sample (`importance`): each period's judge sees its
own period's labelled candidates with one feature (or one group of correlated features) shuffled
among them; the drop in the AUC pooled over all judged candidates is that feature's importance,
the drop in each period's own AUC its importance per period (one `predict_proba` per period for
all features, groups and repeats, so it costs about one more pass of predictions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

from fxjudge.errors import ModelError, must
from fxjudge.judge.importance import Importance, oos_importance
from fxjudge.judge.model import ESTIMATORS, Judge, make_estimator
from fxjudge.judge.sizing import label_uniqueness
from fxjudge.judge.splits import Period, walk_forward_periods

Progress = Callable[[int, int], None]


@dataclass
class WalkForwardResult:
    """Out-of-sample probabilities and vetoes of every candidate, and how they were made.

    Series are on the candidates' index. `periods` has one row per period with enough
    training labels: judge_start, judge_end, fit_until, n_train, n_judged, threshold,
    validation_auc, inverted_calibrators (see `inverted_calibrators`), and `skipped` (why its
    judge could not be fitted; its candidates are then not judged).
    """

    probability: pd.Series
    taken: pd.Series
    judged: pd.Series
    periods: pd.DataFrame
    #: each candidate's period (the row of `periods` whose model judged it; -1: not judged)
    period: pd.Series
    importance: pd.DataFrame | None = None
    config: dict = field(default_factory=dict)
    importance_periods: pd.DataFrame | None = None
    importance_groups: pd.DataFrame | None = None


def make_judge(estimator="hgb", *, threshold="tune", cv_folds: int = 3, embargo_pct=0.0,
               min_kept_fraction: float = 0.2, random_state: int = 0,
               calibration="sigmoid", estimator_params: dict | None = None,
               embargo=None) -> Judge:
    """An unfitted `Judge`, with a median imputer in front of estimators that refuse NaN.

    The one place that composes the judge's estimators (the model files' allow-list,
    `persist.saved_types`, is computed from it); `estimator_params` go to `make_estimator`;
    `embargo` (a duration) is the walk-forward's, applied in the judge's inner purged folds.
    """
    params = estimator_params or {}
    if estimator == "hgb":
        model = make_estimator("hgb", random_state=random_state, **params)
    elif estimator == "random_forest":
        model = make_estimator(estimator, random_state=random_state, **params) if params \
            else estimator
    elif isinstance(estimator, str):
        model = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                              make_estimator(estimator, random_state=random_state, **params))
    elif isinstance(estimator, BaseEstimator):
        model = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                              estimator)
    else:
        raise must("estimator", f"one of {', '.join(ESTIMATORS)}, a dotted path or an "
                   "estimator", estimator)
    return Judge(estimator=model, calibration=calibration, threshold=threshold,
                 cv_folds=cv_folds, embargo_pct=embargo_pct,
                 min_kept_fraction=min_kept_fraction, random_state=random_state,
                 embargo=None if embargo is None else str(pd.Timedelta(embargo)))


def _checked_labels(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    missing = {"label", "resolve_time", "return_pips"} - set(labels.columns)
    if missing:
        raise must("labels", "a frame with label, resolve_time and return_pips (see "
                   "label_candidates)", sorted(missing))
    if not labels.index.equals(features.index):
        raise must("labels", "on the features' index (one row per candidate)", len(labels))
    return labels


def walk_forward(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    estimator="hgb",
    retrain: str | int = "monthly",
    train_window="anchored",
    embargo=None,
    min_train: int = 100,
    threshold="tune",
    cv_folds: int = 3,
    min_kept_fraction: float = 0.2,
    random_state: int = 0,
    bar_times=None,
    importance_repeats: int = 5,
    n_jobs: int | None = 1,
    progress: Progress | None = None,
    sample_weights: str | None = None,
) -> WalkForwardResult:
    """Judge every candidate with a model fitted only on labels resolved before its period.

    features: one row per candidate, index = signal times (sorted). labels: the same rows with
    ``label`` (1/0/NaN), ``resolve_time`` (NaT = unresolved) and ``return_pips`` (the gain the
    threshold maximises), as `label_candidates` gives. retrain, train_window, embargo, min_train
    and bar_times: see `walk_forward_periods`. estimator, threshold, cv_folds, min_kept_fraction,
    random_state: see `Judge`. importance_repeats: shuffles per feature (0: no importance).
    n_jobs: periods fitted in parallel processes (joblib; -1: every core); the results do not
    depend on it. progress(done, total) is called after each period, in time order.
    sample_weights: None (unweighted, the default) or "uniqueness": each training candidate
    weighted by its label's average uniqueness (AFML ch. 4, `sizing.label_uniqueness`, from
    the labels' ``signal_bar`` and ``exit_bar``) when the estimator takes weights (see
    `model.Judge.fit`). The concurrency of a bar counts only labels that started by then, so
    the weights of a period's training rows use nothing after its start.
    """
    labels = _checked_labels(features, labels)
    times = pd.DatetimeIndex(features.index)
    y = labels["label"].to_numpy(dtype=float)
    ends = pd.DatetimeIndex(labels["resolve_time"])
    periods = walk_forward_periods(
        times, ends, y, retrain=retrain, bar_times=bar_times, train_window=train_window,
        embargo=embargo, min_train=min_train,
    )
    template = make_judge(estimator, threshold=threshold, cv_folds=cv_folds,
                          min_kept_fraction=min_kept_fraction, random_state=random_state,
                          embargo=embargo)
    weights = candidate_weights(labels, sample_weights,
                                None if bar_times is None else len(bar_times))
    n = len(features)
    proba, cut = np.full(n, np.nan), np.full(n, np.nan)
    period_of = np.full(n, -1, dtype=np.int64)
    pnl = labels["return_pips"].to_numpy(dtype=float)
    rows, fitted = [], []
    tasks = (delayed(_judge_period)(template, features, y, times, ends, pnl, period, weights)
             for period in periods)
    workers = Parallel(n_jobs=n_jobs if len(periods) > 2 else 1, return_as="generator")
    for done, (period, judge, p, skipped) in enumerate(workers(tasks), start=1):
        if judge is None:
            rows.append(_row(period, None, skipped=skipped))
        else:
            proba[period.judge_idx], cut[period.judge_idx] = p, judge.threshold_
            period_of[period.judge_idx] = len(rows)
            rows.append(_row(period, judge))
            fitted.append((judge, period.judge_idx, period.judge_start))
        if progress is not None:
            progress(done, len(periods))
    judged = ~np.isnan(proba)
    taken = ~judged | (proba >= np.where(judged, cut, 0.0))
    found = Importance(None, None, None)
    if importance_repeats and fitted:
        found = oos_importance(fitted, features, y, importance_repeats, random_state)
    config = {"estimator": estimator if isinstance(estimator, str) else repr(estimator),
              "retrain": retrain, "train_window": str(train_window),
              "embargo": None if embargo is None else str(embargo), "min_train": min_train,
              "threshold": threshold, "cv_folds": cv_folds,
              "min_kept_fraction": min_kept_fraction, "random_state": random_state,
              "sample_weights": sample_weights, "features": list(features.columns)}
    index = features.index
    return WalkForwardResult(
        probability=pd.Series(proba, index=index, name="probability"),
        taken=pd.Series(taken, index=index, name="taken"),
        judged=pd.Series(judged, index=index, name="judged"),
        periods=pd.DataFrame(rows, columns=_PERIOD_COLUMNS),
        period=pd.Series(period_of, index=index, name="period"), importance=found.pooled,
        config=config, importance_periods=found.periods, importance_groups=found.groups,
    )


def candidate_weights(labels: pd.DataFrame, sample_weights: str | None,
                      n_bars: int | None = None) -> np.ndarray | None:
    """Each candidate's training weight: None, or its average uniqueness ("uniqueness")."""
    if sample_weights is None:
        return None
    if sample_weights != "uniqueness":
        raise must("sample_weights", 'None or "uniqueness"', sample_weights)
    if not {"signal_bar", "exit_bar"} <= set(labels.columns):
        raise must("labels", "a frame with signal_bar and exit_bar for sample_weights="
                   '"uniqueness" (see label_candidates)', sorted(labels.columns))
    exits = labels["exit_bar"].to_numpy(dtype=np.int64)
    signal_bars = labels["signal_bar"].to_numpy(dtype=np.int64)
    last = n_bars if n_bars is not None else int(max(exits.max(initial=0),
                                                    signal_bars.max(initial=0))) + 1
    return label_uniqueness(signal_bars, exits, last)


def _fit(template: Judge, X, y, starts, ends, pnl, weights=None) -> Judge:
    return clone(template).fit(X, y.astype(int), starts=starts, ends=ends, pnl=pnl,
                               sample_weight=weights)


def _judge_period(template: Judge, features, y, times, ends, pnl, period: Period, weights=None):
    """Fit one period's judge and give its candidates their probability (a worker's task)."""
    train = period.train_idx
    try:
        judge = _fit(template, features.iloc[train], y[train], times[train], ends[train],
                     pnl[train], None if weights is None else weights[train])
    except ModelError as exc:
        return period, None, None, str(exc)
    return period, judge, judge.predict_proba(features.iloc[period.judge_idx])[:, 1], ""


_PERIOD_COLUMNS = ["judge_start", "judge_end", "fit_until", "n_train", "n_judged", "threshold",
                   "validation_auc", "inverted_calibrators", "skipped"]


def inverted_calibrators(judge: Judge) -> int:
    """How many of the judge's sigmoid calibrators decrease with the fold model's score (so
    invert its ranking): a diagnostic of calibration on small folds (benchmarks/bench_verdict)."""
    pairs = getattr(judge.model_, "calibrated_classifiers_", [])
    return sum(1 for pair in pairs for c in pair.calibrators if getattr(c, "a_", -1.0) > 0)


def _row(period: Period, judge: Judge | None, skipped: str = "") -> dict:
    scores = {} if judge is None else judge.validation_scores_
    return {"judge_start": period.judge_start, "judge_end": period.judge_end,
            "fit_until": period.fit_until, "n_train": len(period.train_idx),
            "n_judged": 0 if judge is None else len(period.judge_idx),
            "threshold": math.nan if judge is None else judge.threshold_,
            "validation_auc": scores.get("auc", math.nan),
            "inverted_calibrators": 0 if judge is None else inverted_calibrators(judge),
            "skipped": skipped}
