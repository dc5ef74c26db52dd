"""The AI judgment: candidates and labels, features, the judge model, walk-forward, evaluation.

The stage's front door is `judge_signals`: given a strategy's bars, signals and exit levels, it
labels every candidate (`labels`), computes the features (`fxjudge.features.library`), and
judges each candidate out of sample, either walk-forward (`walkforward`, a judge refitted every
period on the past) or with a saved model (`model.load_model`). What the candidate table holds
is the contract of `fxjudge.results.judged.JudgedResult`.

A saved model is checked against the run before it judges anything (what it was trained on is
stored inside the model file, `persist`): trained for another strategy, it is refused; for
other parameters of the same strategy, it is refused unless ``allow_param_change``; asked to
judge candidates that come before its training window (it was trained on their future), it is
refused unless ``allow_before_training``. Either permission is then a warning in the report. It
does not judge candidates whose label interval [signal, resolution] overlaps the period it was
trained on (it saw their outcomes): they are left unjudged (taken, probability NaN, as before a
walk-forward's first window), and a warning says how many.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, ModelError, must
from fxjudge.features.library import STRATEGY_PREFIX, judge_features
from fxjudge.judge.evaluation import JudgeReport, judge_report, permutation_importance_oos
from fxjudge.judge.importance import oos_importance
from fxjudge.judge.labels import LabelCosts, label_candidates, label_horizon, lower_bars_for
from fxjudge.judge.persist import load_model
from fxjudge.judge.sizing import (
    average_uniqueness,
    bet_size,
    effective_sample_size,
    label_uniqueness,
)
from fxjudge.judge.walkforward import candidate_weights, make_judge, walk_forward
from fxjudge.signals.exits import ExitRules

WALK_FORWARD = "walk-forward"
JUDGE_OPTIONS = {
    "estimator": "hgb", "retrain": "monthly", "train_window": "anchored", "embargo": None,
    "min_train": 100, "threshold": "tune", "cv_folds": 3, "min_kept_fraction": 0.2,
    "random_state": 0, "label_max_bars": None, "importance_repeats": 5, "n_jobs": -1,
    "allow_param_change": False, "allow_before_training": False, "trusted_types": (),
    "features": "library",
    "sample_weights": None,
}
#: The type of each option, for the run file's [judge] table (`fxjudge.runconfig`).
JUDGE_OPTION_TYPES = {
    "estimator": str, "retrain": str | int, "train_window": str | int, "embargo": str | None,
    "min_train": int, "threshold": str | float, "cv_folds": int, "min_kept_fraction": float,
    "random_state": int, "label_max_bars": int | None, "importance_repeats": int,
    "n_jobs": int, "allow_param_change": bool, "allow_before_training": bool,
    "trusted_types": list[str], "features": str | list[str], "sample_weights": str | None,
}
#: Options that only a saved model (not the walk-forward judge) uses.
SAVED_MODEL_OPTIONS = ("allow_param_change", "allow_before_training", "trusted_types")
CANDIDATE_COLUMNS = ("side", "probability", "taken", "judged", "label", "label_return",
                     "resolve_time", "barrier", "period")


def judge_settings(options: dict | None) -> dict:
    """`JUDGE_OPTIONS` with `options` on top; an unknown name is a ConfigError (did you mean)."""
    for name in options or {}:
        if name not in JUDGE_OPTIONS:
            close = difflib.get_close_matches(name, list(JUDGE_OPTIONS), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ConfigError(f"unknown judge option `{name}`; {hint}the options: "
                              f"{', '.join(JUDGE_OPTIONS)}")
    settings = JUDGE_OPTIONS | dict(options or {})
    for name in ("allow_param_change", "allow_before_training"):
        if not isinstance(settings[name], bool):
            raise must(name, "true or false", settings[name])
    trusted = settings["trusted_types"]
    if not (isinstance(trusted, list | tuple) and all(isinstance(t, str) for t in trusted)):
        raise must("trusted_types", "a list of module.Class names", trusted)
    chosen = settings["features"]
    if not (isinstance(chosen, str) or isinstance(chosen, list | tuple) and chosen
            and all(isinstance(f, str) for f in chosen)):
        raise must("features", '"library", "strategy" or a list of feature names', chosen)
    return settings


def walk_forward_only(options: dict) -> None:
    """Refuse, for the walk-forward judge, the options that only a saved model uses."""
    given = [k for k in SAVED_MODEL_OPTIONS if options[k] != JUDGE_OPTIONS[k]]
    if given:
        raise ConfigError(f"`{given[0]}` applies to a saved model (--judge models/NAME), "
                          "not to the walk-forward judge; remove it")


def label_rule(rules: ExitRules, options: dict, costs: LabelCosts) -> dict:
    """The label rule in words and numbers, for cards and run configurations."""
    horizon = label_horizon(rules, options.get("label_max_bars"))
    return {"rule": "candidate taken alone, entered at the next open and closed as the engine "
                    "would close it (stop, target, time, opposite signal); label 1 when the net "
                    "pips (fills, spread, slippage, swap, commission) are > 0",
            "stop_loss_pips": rules.stop_loss_pips, "stop_loss_atr": rules.stop_loss_atr,
            "take_profit_pips": rules.take_profit_pips, "take_profit_atr": rules.take_profit_atr,
            "trailing_stop_pips": rules.trailing_stop_pips,
            "trailing_stop_atr": rules.trailing_stop_atr,
            "trailing_activation_pips": rules.trailing_activation_pips,
            "break_even_after_pips": rules.break_even_after_pips,
            "break_even_plus_pips": rules.break_even_plus_pips,
            "on_opposite": rules.on_opposite,
            "atr_bars": rules.atr_bars, "horizon_bars": horizon,
            "horizon_from": "strategy" if rules.max_bars is not None else
            ("label_max_bars" if horizon is not None else "none"),
            "slippage_pips": costs.slippage_pips,
            "swap_long_pips": costs.swap_long_pips, "swap_short_pips": costs.swap_short_pips}


@dataclass
class Judgement:
    """Every candidate's label, out-of-sample probability and veto, and how they were made."""

    candidates: pd.DataFrame
    features: pd.DataFrame
    importance: pd.DataFrame | None
    config: dict
    warnings: list[str] = field(default_factory=list)
    importance_periods: pd.DataFrame | None = None
    importance_groups: pd.DataFrame | None = None
    #: each candidate's average uniqueness (AFML ch. 4) over its label's bars
    uniqueness: pd.Series | None = None

    def probability_on(self, index: pd.DatetimeIndex) -> pd.Series:
        """The probability on every bar (NaN where no judged candidate), for the engine."""
        return self.candidates["probability"].reindex(index)

    def allowed_on(self, index: pd.DatetimeIndex) -> pd.Series:
        """True on every bar but those whose signal the judge rejected."""
        return self.candidates["taken"].reindex(index, fill_value=True).astype(bool)

    def report(self) -> JudgeReport:
        """The `JudgeReport` of the candidates (trade statistics left to the caller); it scores
        the judged candidates with a label and counts the unjudged and the unresolved."""
        c = self.candidates
        report = judge_report(c["probability"], c["label"], c["taken"], c["label_return"],
                              c["period"] if "period" in c else None)
        report.importance = self.importance
        report.importance_periods = self.importance_periods
        report.importance_groups = self.importance_groups
        if self.uniqueness is not None:  # next to the n of the tests: what the labels are worth
            scored = (c["probability"].notna() & c["label"].notna()).to_numpy()
            report.scores["n_effective"] = effective_sample_size(self.uniqueness[scored])
        return report


def judge_signals(
    bars: pd.DataFrame,
    signals: pd.Series,
    levels: pd.DataFrame | None,
    rules: ExitRules,
    judge: str | Path,
    *,
    strategy_features: pd.DataFrame | None = None,
    options: dict | None = None,
    costs: LabelCosts | None = None,
    progress: Callable[[int, int], None] | None = None,
    strategy: dict | None = None,
    lower_bars: pd.DataFrame | None = None,
) -> Judgement:
    """Label, featurise and judge every candidate of `signals`, out of sample.

    `judge` is ``"walk-forward"`` or the folder of a saved model; `options` as `JUDGE_OPTIONS`;
    `strategy` (``{"name", "params"}``) is what a saved model is checked against;
    `lower_bars` (a lower timeframe of the same pair) decide a stop and a target met in one bar,
    as in the engine.
    """
    options = judge_settings(options)
    saved = None
    if str(judge) == WALK_FORWARD:
        walk_forward_only(options)
    else:  # a bad model fails before anything is labelled
        if options["features"] != JUDGE_OPTIONS["features"]:
            raise ConfigError("`features` applies to training a judge; a saved model judges "
                              "with the features it was trained on (its card lists them); "
                              "remove it")
        saved = load_model(judge, trusted_types=tuple(options["trusted_types"]))
    costs = costs or LabelCosts()
    labels, X = labelled_candidates(bars, signals, levels, rules, options, costs=costs,
                                    strategy_features=strategy_features, lower_bars=lower_bars,
                                    every_feature=saved is not None)
    if saved is not None:  # a saved model knows its library features: those it was trained on
        expected = set(getattr(saved[0], "feature_names_in_", []))
        X = X[[c for c in X.columns if c in expected or c == "side"
               or c.startswith(STRATEGY_PREFIX)]]  # the strategy's own must still match
    config = {"judge": str(judge), **{k: v for k, v in options.items()},
              "label_rule": label_rule(rules, options, costs), "features": list(X.columns)}
    if str(judge) == WALK_FORWARD:
        found = walk_forward(X, labels, bar_times=bars.index, progress=progress,
                             **walk_forward_arguments(options))
        probability, taken, importance = found.probability, found.taken, found.importance
        period = found.period
        extra = (found.importance_periods, found.importance_groups)
        config["periods"] = period_records(found.periods)
        warnings: list[str] = []
    else:
        probability, taken, importance, warnings, card = _apply_saved(Path(judge), saved, X,
                                                                     labels, options, strategy)
        extra = (None, None)
        if importance is not None:  # the saved model's judged candidates as one period
            scored = probability.notna().to_numpy()
            extra = _one_period_importance(saved[0], X, labels, scored, options)
        config |= {"model_card": card, "threshold": card.get("threshold")}
        period = None  # one model: one period
    return judgement(labels, X, probability, taken, importance, config, warnings, extra,
                     n_bars=len(bars), period=period)


#: The judge options that are `walk_forward`'s own keywords.
WALK_FORWARD_ARGUMENTS = ("estimator", "retrain", "train_window", "embargo", "min_train",
                          "threshold", "cv_folds", "min_kept_fraction", "random_state",
                          "importance_repeats", "n_jobs", "sample_weights")


def walk_forward_arguments(options: dict) -> dict:
    """The `walk_forward` keywords that judge settings (`judge_settings`) give."""
    return {name: options[name] for name in WALK_FORWARD_ARGUMENTS}


def period_records(periods: pd.DataFrame) -> list[dict]:
    """A walk-forward's periods as plain records (times as text), for run configurations."""
    return periods.astype({"judge_start": str, "judge_end": str,
                           "fit_until": str}).to_dict("records")


def labelled_candidates(bars: pd.DataFrame, signals: pd.Series, levels: pd.DataFrame | None,
                        rules: ExitRules, options: dict, *, costs: LabelCosts,
                        strategy_features: pd.DataFrame | None = None,
                        lower_bars: pd.DataFrame | None = None,
                        every_feature: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every candidate's label (`label_candidates`) and features (`judge_features`, the set
    `options["features"]` chooses, or every column when `every_feature`), on one index."""
    pip = FxPair.parse(bars.attrs["pair"]).pip_size
    labels = label_candidates(bars, signals, levels, rules, costs=costs,
                              label_max_bars=options["label_max_bars"],
                              lower=lower_bars_for(bars, lower_bars, costs.spread_pips, pip))
    X = judge_features(bars, signals, strategy_features, spread_pips=costs.spread_pips,
                       features=["*"] if every_feature else options["features"])
    return labels, X


def judgement(labels: pd.DataFrame, X: pd.DataFrame, probability: pd.Series, taken: pd.Series,
              importance: pd.DataFrame | None, config: dict, warnings: list[str],
              extra: tuple = (None, None), *, n_bars: int,
              period: pd.Series | None = None) -> Judgement:
    """The `Judgement` of one pair's candidates from their labels and judged probabilities
    (`extra`: importance per period and per group; `n_bars`: the bars the labels index;
    `period`: each candidate's walk-forward period, -1 where not judged; None: one period,
    as a saved model judges)."""
    if period is None:
        period = pd.Series(np.where(probability.notna(), 0, -1), index=probability.index)
    judged = probability.notna()
    candidates = pd.DataFrame({
        "side": labels["side"].astype(np.int64), "probability": probability,
        "taken": taken.astype(bool), "judged": judged, "label": labels["label"],
        "label_return": labels["return_pips"], "resolve_time": labels["resolve_time"],
        "barrier": labels["barrier"], "period": period.astype(np.int64),
    }, index=labels.index)
    first = candidates.index[judged.to_numpy()]
    config["oos_start"] = first[0].isoformat() if len(first) else None
    config["warnings"] = warnings
    uniqueness = pd.Series(label_uniqueness(labels["signal_bar"], labels["exit_bar"], n_bars),
                           index=labels.index, name="uniqueness")
    return Judgement(candidates, X, importance, config, warnings, *extra, uniqueness)


def _one_period_importance(model, X: pd.DataFrame, labels: pd.DataFrame, scored: np.ndarray,
                           options: dict):
    """Grouped importance (and the one-row table per period) of a saved model."""
    rows = np.flatnonzero(scored)
    found = oos_importance([(model, rows, X.index[rows[0]])], X,
                           labels["label"].to_numpy(dtype=float), options["importance_repeats"],
                           options["random_state"])
    return found.periods, found.groups


def _apply_saved(folder: Path, saved: tuple, X: pd.DataFrame, labels: pd.DataFrame,
                 options: dict, strategy: dict | None):
    """Probabilities and vetoes from a saved model, leaving its training window unjudged."""
    model, card = saved
    warnings = _check_strategy(folder, card.get("strategy"), strategy,
                               options["allow_param_change"])
    expected = list(getattr(model, "feature_names_in_", []))
    if expected != list(X.columns):
        missing = [f for f in expected if f not in X.columns]
        extra = [f for f in X.columns if f not in expected]
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else "other order"
        raise ModelError(f"{folder}: the model was trained on other features than this run "
                         f"gives ({detail}); train it again for this strategy with "
                         "`fxjudge judge train`")
    window = card["training_window"]
    start, end = pd.Timestamp(window["start"]), pd.Timestamp(window["end"])
    before = np.asarray(X.index < start)
    if before.any():
        what = (f"{int(before.sum())} of {len(X)} candidates come before the model's training "
                f"window (from {window['start']}): it was trained on their future")
        if not options["allow_before_training"]:
            raise ModelError(f"{folder}: {what}; judge candidates after {window['end']}, or "
                             "pass --allow-before-training (judge option "
                             "allow_before_training) to judge them anyway")
        warnings.append(f"{what}; judged anyway (--allow-before-training): their results are "
                        "not out of sample")
    resolved = pd.DatetimeIndex(labels["resolve_time"])
    reaches = resolved.isna() | (resolved >= start)
    inside = np.asarray((X.index <= end) & reaches & ~before)
    if inside.any():
        warnings.append(
            f"this backtest overlaps the model's training window ({window['start']} to "
            f"{window['end']}): {int(inside.sum())} of {len(X)} candidates fall in it and "
            "are not judged (the model saw their outcomes); judge a later period")
    probability = pd.Series(np.nan, index=X.index, name="probability")
    outside = ~inside
    if outside.any():
        probability[outside] = model.predict_proba(X[outside])[:, 1]
    taken = probability.isna() | (probability >= model.threshold_)
    importance = None
    y = labels["label"].to_numpy(dtype=float)
    scored = outside & ~np.isnan(y)
    if options["importance_repeats"] and np.unique(y[scored]).size == 2:
        importance = permutation_importance_oos(
            model, X[scored], y[scored].astype(int), n_repeats=options["importance_repeats"],
            seed=options["random_state"])
    return probability, taken, importance, warnings, card


def _check_strategy(folder: Path, trained: dict | None, running: dict | None,
                    allow_param_change: bool) -> list[str]:
    """Refuse a model trained for another strategy, or other parameters unless allowed."""
    if trained is None or running is None:
        return [] if running is None else [
            f"{folder} does not say which strategy it was trained for; check it was "
            f"{running['name']}"]
    if trained["name"] != running["name"]:
        raise ModelError(f"{folder}: the model was trained for the strategy "
                         f"{trained['name']!r}, this run uses {running['name']!r}; train a "
                         f"judge for {running['name']!r} with `fxjudge judge train`")
    now = {k: _plain_value(v) for k, v in running["params"].items()}
    changed = sorted(k for k in set(now) | set(trained["params"])
                     if now.get(k) != trained["params"].get(k))
    if not changed:
        return []
    detail = ", ".join(f"{k} {trained['params'].get(k)!r} -> {now.get(k)!r}" for k in changed)
    if not allow_param_change:
        raise ModelError(f"{folder}: the model was trained with other parameters of "
                         f"{running['name']} ({detail}); train it again for these, or pass "
                         "--allow-param-change (judge option allow_param_change)")
    return [f"the model was trained with other strategy parameters ({detail}); applied anyway "
            "(--allow-param-change): its probabilities describe other trades"]


def _plain_value(value):
    """A parameter value as the model's JSON guard holds it (tuples as lists)."""
    return [_plain_value(v) for v in value] if isinstance(value, tuple | list) else value


def fit_judge(X: pd.DataFrame, labels: pd.DataFrame, options: dict | None = None):
    """A judge fitted on every resolved candidate (for a saved model), with its row count."""
    options = judge_settings(options)
    rows = labels["label"].notna().to_numpy()
    if rows.sum() < options["min_train"]:
        raise ModelError(f"only {int(rows.sum())} candidates have a resolved label, fewer than "
                         f"min_train ({options['min_train']}); train on a longer period")
    template = make_judge(options["estimator"], threshold=options["threshold"],
                          cv_folds=options["cv_folds"],
                          min_kept_fraction=options["min_kept_fraction"],
                          random_state=options["random_state"], embargo=options["embargo"])
    chosen = labels[rows]
    weights = candidate_weights(labels, options["sample_weights"])
    return template.fit(X[rows], chosen["label"].to_numpy(dtype=int),
                        starts=chosen.index, ends=pd.DatetimeIndex(chosen["resolve_time"]),
                        pnl=chosen["return_pips"].to_numpy(dtype=float),
                        sample_weight=None if weights is None else weights[rows])


__all__ = ["JUDGE_OPTIONS", "JUDGE_OPTION_TYPES", "SAVED_MODEL_OPTIONS", "WALK_FORWARD",
           "Judgement", "LabelCosts", "average_uniqueness", "bet_size",
           "effective_sample_size", "fit_judge", "judge_settings", "judge_signals",
           "judgement", "label_candidates", "label_rule", "labelled_candidates",
           "walk_forward", "walk_forward_only"]
