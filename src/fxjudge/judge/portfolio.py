"""The judge on a portfolio: every leg's candidates, one model per pair or one pooled model.

`judge_legs(legs, models=...)` judges the candidates of each `JudgeLeg` out of sample:

- ``"per-pair"``: each leg by its own walk-forward judge (`judge_signals`), fitted only on that
  leg's resolved past;
- ``"pooled"``: one walk-forward judge over the candidates of every leg, merged in time order
  (ties: the legs' order) on the one timeline of all the legs' bars. At every cut it trains on
  the candidates of all legs whose labels resolved before it (minus the embargo), so no leg's
  future reaches another leg's judgement: the purge and embargo compare real times across legs,
  and monthly or bar-counted periods are those of the merged timeline. The pair is a feature
  (one 0/1 column ``pair_<PAIR>`` per leg's pair). The library's features are in ATRs, ratios,
  oscillator units and hours, comparable across pairs; those in pips (`PIP_FEATURES`) and the
  strategy's own (whose units the library cannot know: prices, price differences...) are
  divided, pair by pair, by the running median of their absolute value over the pair's
  candidates so far (causal: a candidate's scale uses its own and earlier candidates of its
  pair). With ``sample_weights="uniqueness"`` the labels' concurrency is counted on the merged
  timeline, across legs (correlated pairs' overlapping trades are partly the same bet).

The verdict (`portfolio_verdict`): the rank and P&L tests of `fxjudge.judge.verdict` on the
judged candidates of every leg together, in time order, pairs compared only within one model's
period (per pair: the pair's period; pooled: the shared period).

Saved models (`judge_saved`): one per pair, each trained by ``fxjudge judge train`` on its
pair and given as a mapping pair -> model folder; every leg is judged by its pair's model as a
one-pair backtest would be (`judge_signals`, with its checks). A pooled saved model is not built.

`DEFAULT_MODELS` is "per-pair": each leg is then judged exactly as its own one-pair backtest
(its probabilities do not move when another leg is added). benchmarks/bench_portfolio_judge.py
(results/portfolio_judge.txt, docs/judge.md) scored both modes on the candidates both judged:
pooling pays where every pair has the same edge (momentum on three legs, 6 seeds: kept net
pips 1,151 against 897 a run, AUC 0.642 against 0.611); with the edge on one leg of three the
kept pips are the same (108 against 102); under the null (40 runs of three random-walk legs)
both stay inside the binomial band, and on the real 2018 USDJPY + EURUSD neither finds
anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.errors import ConfigError, ModelError, must
from fxjudge.features.library import STRATEGY_PREFIX
from fxjudge.judge import (
    WALK_FORWARD,
    Judgement,
    LabelCosts,
    judge_settings,
    judge_signals,
    judgement,
    label_rule,
    labelled_candidates,
    period_records,
    walk_forward,
    walk_forward_arguments,
    walk_forward_only,
)
from fxjudge.judge.evaluation import judge_report
from fxjudge.signals.exits import ExitRules

MODELS = ("per-pair", "pooled")
DEFAULT_MODELS = "per-pair"
#: What a run with saved models records as its ``models``.
SAVED_PER_PAIR = "saved, per pair"
PAIR_PREFIX = "pair_"
#: Library features in pips, whose scale differs from pair to pair.
PIP_FEATURES = ("atr_pips", "spread_pips")


@dataclass(frozen=True)
class JudgeLeg:
    """One leg's candidates to judge: its bars (``attrs["pair"]``), signals, exit levels and
    rules, label costs, the strategy's own features and a lower timeframe (as `judge_signals`)."""

    bars: pd.DataFrame
    signals: pd.Series
    levels: pd.DataFrame | None
    rules: ExitRules
    costs: LabelCosts
    strategy_features: pd.DataFrame | None = None
    lower_bars: pd.DataFrame | None = None

    @property
    def pair(self) -> str:
        """The leg's pair symbol."""
        return str(self.bars.attrs["pair"])


def judge_legs(legs: list[JudgeLeg], *, models: str = DEFAULT_MODELS,
               options: dict | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Judgement]:
    """Each leg's `Judgement` by the walk-forward judge, one model per pair or one pooled
    (`models`, see the module docstring); `options` as `JUDGE_OPTIONS`."""
    if models not in MODELS:
        raise must("models", " or ".join(repr(m) for m in MODELS), models)
    if models == "per-pair":
        found = [judge_signals(leg.bars, leg.signals, leg.levels, leg.rules, WALK_FORWARD,
                               strategy_features=leg.strategy_features, options=options,
                               costs=leg.costs, progress=progress, lower_bars=leg.lower_bars)
                 for leg in legs]
        for verdict in found:
            verdict.config["models"] = models
        return found
    settings = judge_settings(options)
    walk_forward_only(settings)
    return _pooled(legs, settings, progress)


def judge_saved(legs: list[JudgeLeg], models: Mapping[str, str | Path], *,
                options: dict | None = None,
                strategies: list[dict | None] | None = None) -> list[Judgement]:
    """Each leg's `Judgement` by its pair's saved model (`models`: pair -> model folder, one
    per leg); `strategies` (``{"name", "params"}`` per leg) are what the models are checked
    against. A model for a pair that is no leg, a leg without a model, or a model trained on
    another pair is refused, naming the pair, the folder and the fix."""
    pairs = [leg.pair for leg in legs]
    for pair in models:
        if pair not in pairs:
            raise ConfigError(f"`judge` gives a model for {pair} ({models[pair]}), which is not "
                              f"a leg of this portfolio (legs: {', '.join(pairs)}); remove it "
                              f"or add a {pair} leg")
    for pair in pairs:
        if pair not in models:
            raise ConfigError(f"`judge` gives no saved model for the leg {pair}: give one per "
                              f"leg ({pair}=models/NAME), or judge walk-forward")
    found = []
    for leg, strategy in zip(legs, strategies or [None] * len(legs), strict=True):
        folder = models[leg.pair]
        verdict = judge_signals(leg.bars, leg.signals, leg.levels, leg.rules, folder,
                                strategy_features=leg.strategy_features, options=options,
                                costs=leg.costs, strategy=strategy, lower_bars=leg.lower_bars)
        trained = (verdict.config["model_card"].get("data") or {}).get("pair")
        if trained is not None and trained != leg.pair:
            raise ModelError(f"{folder}: the model was trained on {trained}, and is given to "
                             f"the leg {leg.pair}; train one on {leg.pair} with `fxjudge judge "
                             f"train --pair {leg.pair}`, or give it to the {trained} leg")
        verdict.config["models"] = SAVED_PER_PAIR
        found.append(verdict)
    return found


def _pooled(legs: list[JudgeLeg], options: dict,
            progress: Callable[[int, int], None] | None) -> list[Judgement]:
    """One walk-forward judge over every leg's candidates (the module docstring)."""
    pairs = [leg.pair for leg in legs]
    if len(set(pairs)) != len(pairs):
        raise must("legs", "one leg per pair for a pooled judge (the pair is its feature)",
                   ", ".join(pairs))
    timeline = pd.DatetimeIndex(sorted(set().union(*(leg.bars.index for leg in legs))))
    own, merged_X, merged_labels = [], [], []
    for number, leg in enumerate(legs):
        labels, X = labelled_candidates(leg.bars, leg.signals, leg.levels, leg.rules, options,
                                        costs=leg.costs, strategy_features=leg.strategy_features,
                                        lower_bars=leg.lower_bars)
        own.append((labels, X))
        merged_X.append(pair_comparable(X).assign(
            **{f"{PAIR_PREFIX}{p}": float(p == leg.pair) for p in pairs}))
        merged_labels.append(_on_timeline(labels, leg.bars.index, timeline).assign(leg=number))
    X, labels = pd.concat(merged_X), pd.concat(merged_labels)
    order = np.lexsort((labels["leg"].to_numpy(), labels.index.as_unit("ns").asi8))
    X, labels = X.iloc[order], labels.iloc[order]
    found = walk_forward(X, labels, bar_times=timeline, progress=progress,
                         **walk_forward_arguments(options))
    shared = {"judge": WALK_FORWARD, **options, "models": "pooled", "pairs": pairs,
              "pooled_features": list(X.columns), "periods": period_records(found.periods)}
    leg_of = labels["leg"].to_numpy()
    out = []
    for number, (leg, (leg_labels, leg_X)) in enumerate(zip(legs, own, strict=True)):
        rows = leg_of == number
        probability = pd.Series(found.probability.to_numpy()[rows], index=leg_labels.index,
                                name="probability")
        taken = pd.Series(found.taken.to_numpy()[rows], index=leg_labels.index, name="taken")
        period = pd.Series(found.period.to_numpy()[rows], index=leg_labels.index, name="period")
        config = shared | {"label_rule": label_rule(leg.rules, options, leg.costs),
                           "features": list(leg_X.columns)}
        out.append(judgement(leg_labels, leg_X, probability, taken, found.importance, config,
                             [], (found.importance_periods, found.importance_groups),
                             n_bars=len(leg.bars), period=period))
    return out


def pair_comparable(X: pd.DataFrame) -> pd.DataFrame:
    """One pair's candidate features with those in pips and the strategy's own divided by the
    running median of their absolute value over the candidates so far (NaN while it is 0)."""
    scaled = [c for c in X.columns if c in PIP_FEATURES or c.startswith(STRATEGY_PREFIX)]
    out = X.copy()
    for name in scaled:
        scale = X[name].abs().expanding(min_periods=1).median()
        out[name] = X[name] / scale.where(scale > 0)
    return out


def _on_timeline(labels: pd.DataFrame, bar_times: pd.DatetimeIndex,
                 timeline: pd.DatetimeIndex) -> pd.DataFrame:
    """`labels` with their signal and exit bars (positions in `bar_times`) as positions in the
    merged `timeline` (an unresolved exit, -1, stays -1)."""
    signal = timeline.get_indexer(bar_times[labels["signal_bar"].to_numpy(dtype=np.int64)])
    exits = labels["exit_bar"].to_numpy(dtype=np.int64)
    moved = timeline.get_indexer(bar_times[np.maximum(exits, 0)])
    return labels.assign(signal_bar=signal, exit_bar=np.where(exits < 0, -1, moved))


#: What `portfolio_verdict` keeps of the `JudgeReport` summary (plain numbers, for the config).
VERDICT_KEYS = ("outcome", "rank_test.n", "rank_test.n_periods", "rank_test.auc",
                "rank_test.auc_pooled", "rank_test.p_value", "pnl_test.n_kept",
                "pnl_test.mean_kept", "pnl_test.mean_all", "pnl_test.total_kept",
                "pnl_test.p_value")


def portfolio_verdict(judgements: list[Judgement], pairs: list[str], models: str) -> dict:
    """The verdict's tests on every leg's judged candidates together (module docstring), as
    the `VERDICT_KEYS` of their `JudgeReport` summary; pips are each leg's own."""
    frames = []
    for pair, found in zip(pairs, judgements, strict=True):
        c = found.candidates
        period = c["period"].astype(str)
        frames.append(c.assign(group=period if models == "pooled" else pair + ":" + period))
    c = pd.concat(frames).sort_index(kind="stable")
    report = judge_report(c["probability"], c["label"], c["taken"], c["label_return"],
                          c["group"])
    summary = report.summary()
    return {key: summary[key] for key in VERDICT_KEYS if key in summary}

