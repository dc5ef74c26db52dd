"""A seeded slice of benchmarks/bench_verdict.py: the verdict finds the planted momentum edge
in most seeds and does not claim one on random walks (the full rates are in
benchmarks/results/verdict.txt)."""

from __future__ import annotations

import warnings

import pytest
from threadpoolctl import threadpool_limits

import fxjudge.api as api
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from tests.judge.test_honesty import BigBar

SEEDS = (0, 1, 2)
ACCOUNT = {"currency": "USD", "balance": 100_000.0}


def judged(bars, strategy, **options):
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return api.backtest(bars, strategy, judge="walk-forward", account=ACCOUNT,
                            judge_options={"importance_repeats": 0, "n_jobs": 1} | options)


@pytest.fixture(scope="module")
def planted():
    return [judged(synthetic_bars("EURUSD", timeframe="M1", n_bars=16_000, seed=seed,
                                  edge=PlantedEdge()), BigBar(), retrain=4000, min_train=150)
            for seed in SEEDS]


@pytest.fixture(scope="module")
def random_walks():
    return [judged(synthetic_bars("EURUSD", timeframe="H1", n_bars=6_000, seed=1000 + seed),
                   "ema_atr") for seed in SEEDS]


def test_the_planted_momentum_edge_is_found_in_most_seeds(planted):
    found = [r.judge.rank_test["p_value"] < 0.05 for r in planted]
    helped = [r.judge.outcome == "helped" for r in planted]
    assert sum(found) >= 2 and sum(helped) >= 2, [r.judge.summary() for r in planted]
    for result in planted:
        assert result.judge.rank_test["n_null"] > 100
        assert len(result.judge.uplift) > 5


def test_random_walks_are_rarely_called_helped(random_walks):
    outcomes = [r.judge.outcome for r in random_walks]
    assert all(o in ("no_evidence", "ranks_only", "helped") for o in outcomes)
    assert outcomes.count("helped") <= 1 and outcomes.count("no_evidence") >= 2, outcomes
