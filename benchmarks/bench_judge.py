"""Judge speed: labelling every candidate of 1M M1 bars, and a 5-year H1 walk-forward judged run.

Run: ``.venv/bin/python benchmarks/bench_judge.py`` (about 2 minutes); the result is written to
benchmarks/results/judge.txt. Each figure is given against a baseline measured in this process:

1. Labels. Bars: `synthetic_bars("EURUSD", n_bars=1_000_000, seed=7)` (M1). Candidates: every
   signal of the bundled `ema_atr` strategy (EMA 12/26 crossings, stop 1.5 ATR, target 3 ATR,
   no time exit, so some labels run for thousands of bars). Vectorised `label_candidates`
   against the naive way: one `barrier_exit` call (the shared exit logic) per candidate in a
   Python loop, timed on the first 3,000 candidates and scaled to all; both must agree exactly
   on those candidates before a speed is reported.
2. Walk-forward. Bars: 5 years of synthetic EURUSD H1 (2019-2023, seed 1), `ema_atr`, judge
   refitted monthly (hgb, calibrated, threshold tuned), permutation importance on; the judged
   backtest (both runs, labels, features, walk-forward) against the plain backtest of the same
   bars. Target: under 30 s on 2 cores (n_jobs=2); the 1-process time is recorded too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import fxjudge.api as api
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.features.library import judge_features
from fxjudge.judge.labels import bid_prices, label_candidates
from fxjudge.signals.barriers import barrier_exit
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "judge.txt"
SUBSET = 3_000


def timed(func):
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def naive_labels(bars, labels, levels, count):
    """One `barrier_exit` per candidate: exit bar, reason and price of the first `count`."""
    p = bid_prices(bars, None, 0.0001)
    out = []
    for row in labels.iloc[:count].itertuples():
        e, side = row.signal_bar + 1, int(row.side)
        fill = p["open"][e] + (p["spread"][e] if side > 0 else 0.0)
        stop = fill - side * levels["stop_distance"].iloc[row.signal_bar]
        target = fill + side * levels["target_distance"].iloc[row.signal_bar]
        found = barrier_exit(side, p["open"], p["high"], p["low"], p["close"], p["spread"],
                             stop, target, entry=e)
        out.append((found.index, found.reason, found.price))
    return out


def label_case(bars, signals, rules, name: str, lines: list[str]) -> None:
    """Time the vectorised labels against the naive loop for one set of exit rules."""
    levels = exit_levels(bars, signals, rules)
    labels, fast = timed(lambda: label_candidates(bars, signals, levels, rules))
    naive, slow = timed(lambda: naive_labels(bars, labels, levels, SUBSET))
    for row, (bar, reason, price) in zip(labels.iloc[:SUBSET].itertuples(), naive, strict=True):
        if reason == "end_of_data":
            assert np.isnan(row.label), row
            continue
        assert (row.exit_bar, row.barrier, row.exit_price) == (bar, reason, price), row
    n = len(labels)
    slow_all = slow / SUBSET * n
    held = (labels["exit_bar"] - labels["signal_bar"])[labels["exit_bar"] >= 0]
    lines += [
        f"{name}: bars to resolution median {held.median():.0f}, 99th percentile "
        f"{held.quantile(0.99):.0f}, max {held.max():,}; "
        f"{int(labels['label'].isna().sum())} still open at the end",
        f"{'  naive: barrier_exit per candidate (baseline, scaled)':<58}{slow_all:>9.2f}"
        f"{n / slow_all:>11,.0f}{1.0:>8.2f}",
        f"{'    measured on the first ' + format(SUBSET, ',') + ' candidates':<58}{slow:>9.2f}",
        f"{'  vectorised label_candidates (all candidates)':<58}{fast:>9.2f}{n / fast:>11,.0f}"
        f"{slow_all / fast:>8.1f}",
    ]


def bench_labels(lines: list[str]) -> None:
    bars = synthetic_bars("EURUSD", n_bars=1_000_000, seed=7)
    strategy = load_strategy("ema_atr", project=ROOT)
    features, signals = run_signals(strategy, bars)
    lines += [
        f"1. Labels: the {int((signals != 0).sum()):,} candidates of ema_atr (EMA 12/26 "
        "crossings) on 1,000,000 synthetic EURUSD M1 bars, no time exit.",
        "",
        f"{'run':<58}{'seconds':>9}{'cand./s':>11}{'ratio':>8}",
    ]
    label_case(bars, signals, strategy.exit_rules, "a) the strategy's stop 1.5 ATR, target 3 ATR",
               lines)
    wide = ExitRules(stop_loss_pips=30, take_profit_pips=60)
    label_case(bars, signals, wide, "b) wide levels, stop 30 pips, target 60 pips", lines)
    _, featuring = timed(lambda: judge_features(bars, signals, features))
    lines += [
        f"{'judge_features on the same bars (for scale)':<58}{featuring:>9.2f}",
        f"   identical exits on the {SUBSET:,} compared candidates of each case.",
        "",
    ]


def bench_walk_forward(lines: list[str]) -> None:
    bars = synthetic_bars("EURUSD", timeframe="H1", start="2019-01-01", end="2024-01-01",
                          seed=1)
    common = {"project": ROOT, "account": {"currency": "USD", "balance": 100_000.0}}
    with threadpool_limits(limits=2):
        api.backtest(bars.iloc[:2000], "ema_atr", **common)  # warm-up: imports, caches
        plain, base = timed(lambda: api.backtest(bars, "ema_atr", **common))
        rows = []
        for jobs in (2, 1):
            judged, seconds = timed(lambda jobs=jobs: api.backtest(
                bars, "ema_atr", judge="walk-forward", judge_options={"n_jobs": jobs},
                **common))
            rows.append((jobs, judged, seconds))
    assert len(plain.trades) == len(rows[0][1].without_judge.trades)
    assert rows[0][1].candidates.equals(rows[1][1].candidates)  # n_jobs changes nothing
    judged = rows[0][1]
    periods = judged.judge_config["periods"]
    report = judged.judge
    lines += [
        f"2. Walk-forward judged run: {len(bars):,} synthetic EURUSD H1 bars "
        f"({bars.index[0]:%Y-%m-%d} to {bars.index[-1]:%Y-%m-%d}), ema_atr, "
        f"{len(judged.candidates):,} candidates,",
        f"   {len(periods)} monthly refits (hgb, sigmoid-calibrated on 3 purged folds, "
        "threshold tuned), permutation importance (5 repeats).",
        "",
        f"{'run':<58}{'seconds':>9}{'ratio':>8}",
        f"{'plain backtest (baseline)':<58}{base:>9.2f}{1.0:>8.2f}",
    ]
    for jobs, _, seconds in rows:
        label = f"judged backtest, walk-forward, n_jobs={jobs}"
        lines.append(f"{label:<58}{seconds:>9.2f}{seconds / base:>8.1f}")
    lines += [
        f"   target: under 30 s on 2 cores: {'met' if rows[0][2] < 30 else 'NOT met'} "
        f"({rows[0][2]:.1f} s); identical candidates with 1 and 2 processes.",
        f"   out-of-sample AUC {report.scores['auc']:.3f} on {report.scores['n']:,} judged "
        "candidates (a random walk: ~0.5 is the honest answer).",
        "",
    ]


def main() -> None:
    lines = [f"Judge speed (benchmarks/bench_judge.py), {os.cpu_count()} CPUs; seconds per run, "
             "ratio to the baseline measured in the same process.", ""]
    bench_labels(lines)
    bench_walk_forward(lines)
    RESULT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
