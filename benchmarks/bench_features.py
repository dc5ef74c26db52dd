"""Which library features the judge should get: raw, oriented to the trade, or both.

Run: ``nice .venv/bin/python benchmarks/bench_features.py`` (a few minutes on 2 cores); the
result is written to benchmarks/results/features.txt. It measures the out-of-sample AUC of the
walk-forward judge (hgb, sigmoid-calibrated, threshold tuned: the defaults), refitted every
`RETRAIN` candidates' worth of bars, for three feature sets of the library plus ``side``:

- raw: the library as it was (every feature in the price's direction, and ``side``);
- oriented: the directional features replaced by their ``<name>_x_side`` twins (the
  default, ``features="library"``, since this measurement);
- both: raw and oriented (``features=["*"]``).

on two planted edges, each on `SEEDS` seeds (synthetic EURUSD M1, 40,000 bars, about four
weeks). Candidates: the bars whose body is large (|close - open| above 2 times its mean
over the 50 bars before), each given a random side (seeded), so that half the candidates go
with the bar and half against it.

1. Momentum (`PlantedEdge(sigmas=2, horizon=10, drift_pips=3)`: after a bar whose body
   exceeds 2 sigma the price drifts 3 pips in the body's direction over 10 bars). Labels are
   the engine's: stop 1.5 ATR, target 1.5 ATR, 10 bars at most, opposite signals ignored. A
   candidate on the bar's side wins more often: the edge is `body_atr x side`.
2. Session x side (no drift in the prices): labels are planted, a win with probability
   0.5 + 0.2 x side in London hours outside New York's (buys win), 0.5 - 0.2 x side in
   Tokyo hours (sells win), 0.5 elsewhere; the result is +10 or -10 pips. The edge is in the
   session flags and ``side``, not in any directional feature: it measures what the oriented
   twins cost when they carry nothing (more columns to overfit).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.features.library import DIRECTIONAL, ORIENTED_SUFFIX, judge_features
from fxjudge.judge.evaluation import probability_scores
from fxjudge.judge.labels import label_candidates
from fxjudge.judge.walkforward import walk_forward
from fxjudge.signals.exits import ExitRules, exit_levels

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "features.txt"
SEEDS = (1, 2, 3, 4, 5)
N_BARS = 40_000
RETRAIN = 8_000  # bars between refits: 4 judged periods
RULES = ExitRules(stop_loss_atr=1.5, take_profit_atr=1.5, max_bars=10, on_opposite="ignore")


def candidates(bars: pd.DataFrame, seed: int) -> pd.Series:
    body = bars["close"] - bars["open"]
    big = (body.abs() > 2.0 * body.abs().rolling(50).mean().shift(1)).to_numpy()
    side = np.random.default_rng(seed + 100).choice([-1.0, 1.0], size=len(bars))
    return pd.Series(np.where(big, side, 0.0), index=bars.index)


def momentum_case(seed: int):
    edge = PlantedEdge(sigmas=2.0, horizon=10, drift_pips=3.0)
    bars = synthetic_bars("EURUSD", n_bars=N_BARS, seed=seed, edge=edge)
    signals = candidates(bars, seed)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, RULES), RULES)
    return bars, signals, labels


def session_case(seed: int):
    bars = synthetic_bars("EURUSD", n_bars=N_BARS, seed=seed)
    signals = candidates(bars, seed)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, RULES), RULES)
    X = judge_features(bars, signals, features=["*"])
    tilt = np.where((X["london"] == 1) & (X["new_york"] == 0), 0.2,
                    np.where(X["tokyo"] == 1, -0.2, 0.0)) * X["side"].to_numpy()
    win = np.random.default_rng(seed + 200).random(len(X)) < 0.5 + tilt
    labels = labels.assign(label=np.where(labels["label"].isna(), np.nan, win * 1.0),
                           return_pips=np.where(win, 10.0, -10.0))
    return bars, signals, labels


def feature_sets(columns) -> dict[str, list[str]]:
    oriented = [f"{name}{ORIENTED_SUFFIX}" for name in DIRECTIONAL]
    raw = [c for c in columns if c not in oriented]
    return {"raw": raw, "oriented": [c for c in raw if c not in DIRECTIONAL] + oriented,
            "both": list(columns)}


def oos_auc(X: pd.DataFrame, labels: pd.DataFrame, bars: pd.DataFrame) -> float:
    found = walk_forward(X, labels, retrain=RETRAIN, bar_times=bars.index, min_train=300,
                         importance_repeats=0, n_jobs=1)
    return probability_scores(found.probability, labels["label"])["auc"]


def main() -> None:
    started = time.perf_counter()
    rows = []
    with threadpool_limits(limits=1):
        for case, make in (("momentum", momentum_case), ("session x side", session_case)):
            for seed in SEEDS:
                bars, signals, labels = make(seed)
                X = judge_features(bars, signals, features=["*"])
                for name, columns in feature_sets(X.columns).items():
                    auc = oos_auc(X[columns], labels, bars)
                    rows.append({"edge": case, "seed": seed, "features": name,
                                 "n_features": len(columns), "n_candidates": len(X),
                                 "auc": auc})
                    print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby(["edge", "features"], sort=False).agg(
        n_features=("n_features", "first"), auc_mean=("auc", "mean"), auc_std=("auc", "std"),
        auc_min=("auc", "min"))
    per_seed = table.pivot_table(index=["edge", "seed"], columns="features", values="auc",
                                 sort=False)
    lines = [
        "Judge features: out-of-sample AUC of the walk-forward judge (hgb, defaults) by feature "
        "set,",
        f"on planted edges, synthetic EURUSD M1, {N_BARS:,} bars, seeds {SEEDS}, refit every "
        f"{RETRAIN:,} bars.",
        f"({os.cpu_count()} cores; {time.perf_counter() - started:.0f} s in all.)",
        "",
        "Per seed:",
        per_seed.round(3).to_string(),
        "",
        "Summary (mean, standard deviation and minimum over the seeds):",
        summary.round(3).to_string(),
        "",
        f"candidates per run: {table['n_candidates'].min():,} to "
        f"{table['n_candidates'].max():,}",
    ]
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
