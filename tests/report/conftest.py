"""Runs for the report tests: a real backtest on the bundled sample, and a judged run.

The judged run is built here from real pieces until the judged API lands (the lead switches
this fixture to it): sma_cross with a stop, a target and a time exit on the sample; every
signal is a candidate, labelled by the triple barrier of `fxjudge.signals.barriers`; a logistic
`Judge` refitted monthly (`walk_forward_periods`, purged by resolution time) gives out-of-sample
probabilities; the judged run is the engine on the signals the judge kept.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from fxjudge import api
from fxjudge.data.load import load_bars
from fxjudge.domain import FxPair
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.engine.inputs import bid_and_spread
from fxjudge.features import indicators as ind
from fxjudge.judge.evaluation import judge_report, permutation_importance_oos
from fxjudge.judge.model import Judge
from fxjudge.judge.splits import walk_forward_periods
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult
from fxjudge.signals.barriers import barrier_exit
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample" / "EURUSD_H1_2017_ASK.csv"
COSTS = {"spread_pips": 0.8}
PARAMS = {"fast_bars": 10, "slow_bars": 30, "stop_loss_pips": 30.0, "take_profit_pips": 45.0,
          "max_bars": 48, "on_opposite": "exit"}
XSS = "<script>alert(1)</script>"
FEATURES = ["trend_atr", "atr_ratio", "hour_sin", "hour_cos", "side"]


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    return load_bars(SAMPLE)


@pytest.fixture(scope="session")
def plain_result() -> BacktestResult:
    return api.backtest(SAMPLE, "sma_cross", costs=COSTS, project=REPO)


@pytest.fixture(scope="session")
def judged_result(sample_bars) -> JudgedResult:
    return build_judged(sample_bars)


def renamed(judged: JudgedResult, name: str) -> JudgedResult:
    """The same judged run under another strategy name, with the name in a note too."""
    def rename(result: BacktestResult) -> BacktestResult:
        config = copy.deepcopy(result.config)
        config["strategy"]["name"] = name
        return BacktestResult(result.trades, result.equity, config, [*result.notes, name])

    return JudgedResult(rename(judged.without_judge), rename(judged.with_judge),
                        judged.candidates, judged.judge, judged.judge_config)


@pytest.fixture(scope="session")
def reports(tmp_path_factory, plain_result, judged_result, sample_bars):
    """A reports/ folder: a plain run, a judged run, the judged run in Japanese and one whose
    strategy name is a script tag; each saved with its report.html, and the index."""
    from fxjudge.report import build_index, render_report

    folder = tmp_path_factory.mktemp("project") / "reports"
    runs = {"20170101-plain": (plain_result, "en"), "20170102-judged": (judged_result, "en"),
            "20170103-judged-ja": (judged_result, "ja"),
            "20170104-xss": (renamed(judged_result, XSS), "en")}
    for name, (result, lang) in runs.items():
        result.save(folder / name)
        bars = None if name.endswith("plain") else sample_bars  # plain: re-read its source
        render_report(result, folder / name / "report.html", lang=lang, bars=bars)
    build_index(folder)
    return folder


def candidate_outcomes(bars, signals, levels, rules, pair) -> pd.DataFrame:
    """Every signal (but the last bar's) as if taken alone: label, pips, resolution, barrier."""
    prices, _ = bid_and_spread(bars, pair, Costs(**COSTS))
    o, h, lo, c, s = (prices[k] for k in ("open", "high", "low", "close", "spread"))
    rows = []
    for i in np.flatnonzero(signals.to_numpy() != 0):
        if i + 1 >= len(bars):
            continue
        side, entry = int(signals.iloc[i]), i + 1
        fill = o[entry] + (s[entry] if side > 0 else 0.0)
        stop = fill - side * levels["stop_distance"].iloc[i]
        target = fill + side * levels["target_distance"].iloc[i]
        end = barrier_exit(side, o, h, lo, c, s, stop, target, entry=entry,
                           max_bars=rules.max_bars)
        resolved = end.reason != "end_of_data"
        pips = side * (end.price - fill) / pair.pip_size
        rows.append({"time": bars.index[i], "side": side,
                     "label": float(pips > 0) if resolved else np.nan,
                     "label_return": pips if resolved else np.nan,
                     "resolve_time": bars.index[end.index] if resolved else pd.NaT,
                     "barrier": end.reason if resolved else None})
    return pd.DataFrame(rows).set_index("time")


def features_at(bars: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """A few causal features at each signal bar."""
    atr = ind.atr(bars, 14)
    frame = pd.DataFrame({
        "trend_atr": (bars["close"] - ind.sma(bars["close"], 50)) / atr,
        "atr_ratio": atr / ind.atr(bars, 100),
        "hour_sin": np.sin(2 * np.pi * bars.index.hour / 24),
        "hour_cos": np.cos(2 * np.pi * bars.index.hour / 24),
    }, index=bars.index).reindex(candidates.index)
    frame["side"] = candidates["side"].to_numpy()
    return frame.fillna(0.0)


def build_judged(bars: pd.DataFrame, strategy_name: str | None = None) -> JudgedResult:
    without = api.backtest(SAMPLE, "sma_cross", params=PARAMS, costs=COSTS, project=REPO)
    strategy = load_strategy("sma_cross", PARAMS, project=REPO)
    _, signals = run_signals(strategy, bars)
    pair, rules = FxPair.parse("EURUSD"), strategy.exit_rules
    levels = exit_levels(bars, signals, rules, pair)
    candidates = candidate_outcomes(bars, signals, levels, rules, pair)
    X = features_at(bars, candidates).to_numpy()
    y = candidates["label"].to_numpy()
    periods = walk_forward_periods(candidates.index, candidates["resolve_time"], y,
                                   retrain="monthly", min_train=40)
    prob, taken = np.full(len(candidates), np.nan), np.ones(len(candidates), dtype=bool)
    for period in periods:
        judge = Judge(estimator="logistic", threshold="base_rate", cv_folds=3)
        judge.fit(X[period.train_idx], y[period.train_idx].astype(int))
        p = judge.predict_proba(X[period.judge_idx])[:, 1]
        prob[period.judge_idx], taken[period.judge_idx] = p, p >= judge.threshold_
    candidates["probability"], candidates["taken"] = prob, taken
    candidates["judged"] = ~np.isnan(prob)
    kept = signals.copy()
    kept[candidates.index[~taken]] = 0
    run = simulate(bars, kept, levels, pair=pair, rules=rules, costs=Costs(**COSTS),
                   account=Account(), sizing=Sizing(lots=1.0),
                   probability=pd.Series(prob, index=candidates.index).reindex(bars.index))
    config = copy.deepcopy(without.config)
    if strategy_name is not None:
        config["strategy"]["name"] = strategy_name
        without = BacktestResult(without.trades, without.equity, copy.deepcopy(config),
                                 without.notes)
    with_judge = BacktestResult(run.trades, run.equity, config, list(run.notes))
    known = candidates["label"].notna().to_numpy()
    report = judge_report(np.where(known, prob, np.nan), y, taken,
                          pnl=candidates["label_return"].to_numpy(), n_draws=2_000)
    last = periods[-1]
    rows = last.judge_idx[known[last.judge_idx]]
    report.importance = permutation_importance_oos(judge, X[rows], y[rows].astype(int),
                                                   n_repeats=5)
    report.importance.index = pd.Index(FEATURES, name="feature")
    for stats, result in ((report.with_judge, with_judge), (report.without_judge, without)):
        s = result.stats
        stats.sharpe, stats.profit_factor = s["sharpe"], s["profit_factor"]
        stats.max_drawdown, stats.n_trades = s["max_drawdown_pct"], s["trades"]
    return JudgedResult(without_judge=without, with_judge=with_judge, candidates=candidates,
                        judge=report, judge_config={"model": "logistic", "retrain": "monthly",
                                                    "threshold": "base_rate",
                                                    "features": FEATURES})
