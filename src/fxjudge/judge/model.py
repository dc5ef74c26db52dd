"""The judge: a calibrated scikit-learn classifier with a veto threshold (saved by `persist`).

Decisions (docs/judge.md), for the next person:

- Estimators: "hgb" (default), "logistic", "random_forest" or any classifier by dotted path.
  HGB's own early stopping is switched off: it would validate on a *shuffled* 10% of the
  training set.
- Class imbalance: "logistic" and "random_forest" use balanced class weights. "hgb" does not:
  with sample weights (which class_weight becomes) scikit-learn 1.9 finds HGB's bin edges by a
  weighted-percentile loop, 10-20x slower per fit (about 4 s instead of 0.2 s on 1,000
  candidates x 31 features), and a walk-forward run fits it hundreds of times. Nothing is lost
  for the judge: a tree ensemble's ranking (AUC) barely depends on the weights, the calibrator
  turns its scores into win rates at the true base rate, and the veto is the tuned threshold
  (or the base rate), not 0.5, so a minority of wins is never simply predicted away. Pass
  `class_weight="balanced"` to `make_estimator` to get the weighted (slow) variant.
- Calibration: `CalibratedClassifierCV` (ensemble of one model + calibrator per fold) on purged
  folds (`purged_kfold`) when label intervals are given, else `TimeSeriesSplit`; never shuffled.
  Balanced class weights pull raw probabilities toward 0.5 whatever the real win rate; the
  calibrator, fitted without weights on held-out folds, maps them back to win probabilities
  (for the unweighted "hgb" it corrects the boosting's over-confidence).
- Validation: each validation candidate's probability comes from the fold model that was not
  trained on it (nor on any label overlapping it), mapped by a calibrator fitted on the other
  folds' out-of-fold scores (cross-fitting). AUC, Brier, log loss and the threshold are computed
  from these probabilities only, i.e. from the training data passed to `fit`, never from data
  the judge is later asked about.
- Sample weights (`fit(sample_weight=...)`, the walk-forward's ``sample_weights="uniqueness"``:
  AFML's average uniqueness, so that overlapping labels count as the independent observations
  they are worth): given to the estimator's `fit` when it takes them (a Pipeline's last step by
  ``step__sample_weight``); with `CalibratedClassifierCV` an estimator taking them directly
  passes them to its calibrators too, a Pipeline does not; an estimator that takes none is
  fitted unweighted (`sample_weighted_` False). Off by default: "hgb" with weights is the slow
  path above.
- Threshold (`threshold_`, applied as proba >= threshold_): not 0.5. A calibrated 0.5 means
  "a coin flip", and a strategy with a 2:1 payoff is profitable at a 40% win rate; where to cut
  depends on the payoff. "tune" (default) picks the cut maximising the total validation gain of
  the kept trades, keeping at least `min_kept_fraction` of them: gain = the candidate's `pnl`
  when given (the strategy's profit, i.e. expected value per candidate), else win − base rate
  (wins beyond what a random filter of the same size keeps). 0 when keeping all is best.
  "base_rate" (the training win rate: veto only below-average candidates; no search, least
  variance) or a fixed float are the alternatives.
"""

from __future__ import annotations

import importlib
import inspect
import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from fxjudge.errors import ModelError, must
from fxjudge.judge.evaluation import probability_scores
from fxjudge.judge.splits import purged_kfold

ESTIMATORS = ("hgb", "logistic", "random_forest")
CALIBRATIONS = ("sigmoid", "isotonic", None)


def make_estimator(name_or_path: str = "hgb", *, random_state: int = 0, **params):
    """A fresh classifier by name (see `ESTIMATORS`) or dotted path; `params` go to it."""
    presets = {
        "hgb": lambda: HistGradientBoostingClassifier(
            **{"class_weight": None, "early_stopping": False, "min_samples_leaf": 40} | params
        ),  # unweighted on purpose: see the module docstring
        "logistic": lambda: make_pipeline(
            StandardScaler(),
            LogisticRegression(**{"class_weight": "balanced", "max_iter": 1000} | params),
        ),
        "random_forest": lambda: RandomForestClassifier(**{
            "class_weight": "balanced_subsample", "n_estimators": 200, "min_samples_leaf": 20,
            "n_jobs": 1} | params),
    }
    try:
        estimator = presets[name_or_path]() if name_or_path in presets else _load(name_or_path)(
            **params
        )
    except TypeError as exc:
        raise ModelError(f"cannot build estimator {name_or_path!r}: {exc}") from exc
    return _checked(_seeded(estimator, random_state), name_or_path)


def _load(path: str):
    names = ", ".join(ESTIMATORS)
    module, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    if not module or not attr:
        raise ModelError(f"unknown estimator {path!r}; use one of {names} or a dotted path "
                         "such as sklearn.svm.SVC or mypkg.module:Class")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ModelError(f"cannot import estimator {path!r} ({exc}); use one of {names} or an "
                         "importable dotted path") from exc
    if not isinstance(found, type):
        raise ModelError(f"estimator {path!r} is not a class; name an estimator class")
    return found


def _seeded(estimator, random_state: int):
    seeds = [k for k in estimator.get_params() if k.split("__")[-1] == "random_state"]
    return estimator.set_params(**dict.fromkeys(seeds, random_state))


def _checked(estimator, name: str):
    for method in ("fit", "predict_proba"):
        if not hasattr(estimator, method):
            raise ModelError(f"estimator {name!r} has no `{method}`: the judge needs a classifier "
                             "with probabilities (SVC, for one, needs probability=True)")
    return estimator


def _score(model, X: np.ndarray) -> np.ndarray:
    """The model's raw score for the positive class (what `CalibratedClassifierCV` calibrates)."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float).ravel()
    p = np.clip(model.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def weight_params(estimator, weights) -> dict | None:
    """How `estimator.fit` takes per-row `weights`: ``{"sample_weight": w}`` when its `fit` has
    that parameter, ``{"step__sample_weight": w}`` for a Pipeline whose last step's has (nested
    pipelines: ``"outer__inner__sample_weight"``), else
    None (the estimator cannot take weights: it is fitted unweighted)."""
    if weights is None:
        return None
    if "sample_weight" in inspect.signature(estimator.fit).parameters:
        return {"sample_weight": weights}
    if isinstance(estimator, Pipeline):  # to its last step, through nested pipelines
        name, last = estimator.steps[-1]
        inner = None if last in (None, "passthrough") else weight_params(last, weights)
        return None if inner is None else {f"{name}__{k}": v for k, v in inner.items()}
    return None


def _rows(params: dict, rows: np.ndarray) -> dict:
    return {k: v[rows] for k, v in params.items()}


def tune_threshold(proba, gain, min_kept_fraction: float) -> float:
    """Cut maximising the total `gain` of the candidates kept (proba >= cut).

    At least ceil(min_kept_fraction × n) candidates are kept; among equal totals the cut keeping
    more trades wins. The cut lies midway between the last kept and the first vetoed probability,
    and is 0 when keeping every candidate is best.
    """
    order = np.argsort(-np.asarray(proba, dtype=float), kind="stable")
    p, total = np.asarray(proba, dtype=float)[order], np.cumsum(np.asarray(gain, float)[order])
    kept = np.arange(1, len(p) + 1)
    allowed = np.r_[p[:-1] > p[1:], True] & (kept >= math.ceil(min_kept_fraction * len(p) - 1e-9))
    best = np.flatnonzero(allowed & np.isclose(total, total[allowed].max(), atol=1e-9))[-1]
    return 0.0 if best == len(p) - 1 else float((p[best] + p[best + 1]) / 2)


class Judge(ClassifierMixin, BaseEstimator):
    """Probability that a candidate trade wins, and the veto: predict(X) is 1 = take it.

    Parameters are stored as given (sklearn's estimator contract, so `clone` and grid search
    work); see the module docstring for calibration and threshold rules. `cv_folds` validation
    folds, purged of overlapping labels plus `embargo_pct` (a share of the rows) and `embargo`
    (a duration, the walk-forward's) when `fit` gets `starts`/`ends`.
    Rows of X must be in time order. Fitted attributes: `model_`, `classes_` (the win is
    `classes_[1]`), `threshold_`, `validation_proba_` (NaN for rows never validated),
    `validation_scores_`, `n_features_in_` and, for DataFrames, `feature_names_in_`.
    """

    def __init__(self, estimator="hgb", calibration="sigmoid", threshold="tune", cv_folds=3,
                 embargo_pct=0.0, min_kept_fraction=0.2, random_state=0, embargo=None):
        self.estimator = estimator
        self.calibration = calibration
        self.threshold = threshold
        self.cv_folds = cv_folds
        self.embargo_pct = embargo_pct
        self.min_kept_fraction = min_kept_fraction
        self.random_state = random_state
        self.embargo = embargo

    def fit(self, X, y, *, starts=None, ends=None, pnl=None, sample_weight=None):
        """Fit, calibrate and choose the threshold on (X, y) alone; returns self.

        starts, ends: each row's label interval (signal time, resolution time); with them the
        validation folds are purged, without them `TimeSeriesSplit` is used. pnl: each row's net
        result as if taken (one unit: pips, R or money), the gain `threshold="tune"` maximises.
        sample_weight: each row's weight (e.g. its average uniqueness, `judge.sizing`) for the
        estimator's fit, when it takes one (see `weight_params`); `sample_weighted_` says
        whether it did. The cross-fitted validation probabilities and the threshold stay
        unweighted: they are about candidates as they come.
        """
        self._check_params()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ModelError(f"the judge needs exactly two label classes (win and loss), got "
                             f"{list(self.classes_)} over {len(y)} candidates; train on a longer "
                             "window or check the labels")
        win = y == self.classes_[1]
        gain = None if pnl is None else self._pnl(pnl, len(y))
        splits = self._splits(len(y), starts, ends)
        for j, (train, test) in enumerate(splits, start=1):
            for part, rows in (("training", train), ("validation", test)):
                if np.unique(win[rows]).size < 2:
                    raise ModelError(f"validation fold {j} of {len(splits)} has only one class in "
                                     f"its {part} part ({len(rows)} candidates); give more "
                                     "candidates or lower `cv_folds`")
        base = self._base_estimator()
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights is not None and weights.shape != (len(y),):
            raise must("sample_weight", f"one weight per row of X ({len(y)})", weights.shape)
        params = weight_params(base, weights)
        self.sample_weighted_ = params is not None
        params = params or {}
        if self.calibration is None:
            fold_models = [clone(base).fit(X[train], y[train], **_rows(params, train))
                           for train, _ in splits]
            self.model_ = clone(base).fit(X, y, **params)
        else:
            self.model_ = CalibratedClassifierCV(base, method=self.calibration, cv=splits)
            fold_models = [pair.estimator for pair in
                           self.model_.fit(X, y, **params).calibrated_classifiers_]
        self.validation_proba_ = self._out_of_fold(fold_models, splits, X, win)
        seen = ~np.isnan(self.validation_proba_)
        p, w = self.validation_proba_[seen], win[seen]
        if isinstance(self.threshold, str) and self.threshold == "tune":
            gains = w - w.mean() if gain is None else gain[seen]
            self.threshold_ = tune_threshold(p, gains, self.min_kept_fraction)
        else:
            self.threshold_ = float(win.mean() if self.threshold == "base_rate" else self.threshold)
        kept = p >= self.threshold_
        self.validation_scores_ = probability_scores(p, w) | {
            "n_folds": len(splits), "purged": starts is not None,
            "kept_fraction": float(kept.mean()),
            "precision_kept": float(w[kept].mean()) if kept.any() else math.nan,
        }
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, columns in the order of `classes_` (loss, win)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The win class where the win probability is >= `threshold_` (take), else the loss."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= self.threshold_).astype(int)]

    def _check_params(self) -> None:
        if self.calibration not in CALIBRATIONS:
            raise must("calibration", '"sigmoid", "isotonic" or None', self.calibration)
        rule = self.threshold
        if not (rule in ("tune", "base_rate") if isinstance(rule, str) else
                isinstance(rule, int | float) and not isinstance(rule, bool) and 0 <= rule <= 1):
            raise must("threshold", '"tune", "base_rate" or a probability in [0, 1]', rule)
        folds = self.cv_folds
        if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
            raise must("cv_folds", "an integer >= 2", self.cv_folds)
        if not 0 < self.min_kept_fraction <= 1:
            raise must("min_kept_fraction", "in (0, 1]", self.min_kept_fraction)

    def _splits(self, n: int, starts, ends) -> list[tuple[np.ndarray, np.ndarray]]:
        if n <= self.cv_folds:
            raise ModelError(f"{n} candidates are too few for {self.cv_folds} validation folds")
        if starts is None and ends is None:
            return list(TimeSeriesSplit(n_splits=self.cv_folds).split(np.zeros(n)))
        if starts is None or ends is None or len(starts) != n:
            raise must("starts", f"given with `ends`, one per row of X ({n})", "missing or other")
        return purged_kfold(starts, ends, self.cv_folds, self.embargo_pct, self.embargo)

    def _base_estimator(self):
        if isinstance(self.estimator, str):
            return make_estimator(self.estimator, random_state=self.random_state)
        return _checked(_seeded(clone(self.estimator), self.random_state), repr(self.estimator))

    def _out_of_fold(self, fold_models, splits, X, win) -> np.ndarray:
        """Validation probabilities: fold model scores, calibrated by cross-fitting."""
        raw = np.full(len(win), np.nan)
        for model, (_, test) in zip(fold_models, splits, strict=True):
            raw[test] = model.predict_proba(X[test])[:, 1] if self.calibration is None else (
                _score(model, X[test]))
        if self.calibration is None:
            return raw
        proba = np.full(len(win), np.nan)
        for _, test in splits:
            others = ~np.isnan(raw)
            others[test] = False
            if self.calibration == "isotonic":
                iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
                proba[test] = iso.fit(raw[others], win[others]).predict(raw[test])
            else:
                platt = LogisticRegression(C=1e3, max_iter=1000).fit(raw[others, None], win[others])
                proba[test] = platt.predict_proba(raw[test, None])[:, 1]
        return proba

    @staticmethod
    def _pnl(pnl, n: int) -> np.ndarray:
        values = np.asarray(pnl, dtype=float)
        if values.shape != (n,) or not np.isfinite(values).all():
            raise must("pnl", f"{n} finite numbers, one per row of X", f"shape {values.shape}")
        return values
