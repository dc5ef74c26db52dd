"""The verdict's tests on hand-made cases: perfect ranking, reversed ranking, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fxjudge.judge.evaluation import judge_report
from fxjudge.judge.verdict import (
    pnl_test,
    rank_test,
    shift_grid,
    uplift_table,
    verdict_outcome,
)


def alternating(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.5).astype(int)


def test_a_perfect_ranking_has_the_smallest_p_and_a_reversed_one_a_p_near_1():
    y = alternating()
    perfect = rank_test(y + 0.1 * np.arange(len(y)) / len(y), y)
    assert perfect["auc"] == 1.0
    assert perfect["p_value"] == pytest.approx(1 / (1 + perfect["n_null"]))
    reversed_ = rank_test(-y.astype(float), y)
    assert reversed_["auc"] == 0.0 and reversed_["p_value"] > 0.95


def test_the_rank_test_is_roughly_uniform_on_noise():
    rng = np.random.default_rng(1)
    p_values = [rank_test(rng.random(300), (rng.random(300) < 0.4).astype(int))["p_value"]
                for _ in range(200)]
    assert 0.02 <= np.mean(np.array(p_values) < 0.05) <= 0.10
    assert 0.4 < np.mean(p_values) < 0.6


def test_the_rank_test_null_keeps_serial_dependence():
    """Labels and probabilities that both trend slowly: shuffling would call this a find,
    circular shifts do not (their null AUCs spread as wide as the observed one)."""
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(60):
        walk_y = np.cumsum(rng.normal(size=400))
        walk_p = np.cumsum(rng.normal(size=400))
        y = (walk_y > np.median(walk_y)).astype(int)
        hits += rank_test(walk_p, y)["p_value"] < 0.05
    assert hits / 60 < 0.2  # an i.i.d. permutation null rejects about half of these


def test_shifts_stay_away_from_the_observed_alignment():
    grid = shift_grid(1000)
    assert grid.min() == 50 and grid.max() == 950 and len(grid) == 901
    assert len(shift_grid(100_000)) == 999
    assert list(shift_grid(2)) == [1] and len(shift_grid(1)) == 0


def test_the_rank_test_needs_both_classes():
    out = rank_test([0.1, 0.2, 0.3], [1, 1, 1])
    assert math.isnan(out["p_value"]) and "wins and losses" in out["undefined_reason"]


def test_the_pnl_test_compares_with_random_filters_keeping_as_many():
    pnl = np.r_[np.full(20, 10.0), np.full(80, -5.0)]
    best = pnl_test(pnl, pnl > 0, n_draws=2000)
    assert best["mean_kept"] == 10.0 and best["p_value"] == pytest.approx(1 / 2001)
    worst = pnl_test(pnl, pnl < 0, n_draws=2000)
    assert worst["p_value"] == 1.0
    assert pnl_test(pnl, pnl > 0, seed=3) == pnl_test(pnl, pnl > 0, seed=3)
    assert math.isnan(pnl_test(pnl, np.zeros(100, bool))["p_value"])


def test_trading_less_of_a_losing_strategy_is_not_helped():
    """A judge that ranks a little but keeps a losing subset: the kept trades lose less than
    all of them, yet their total is negative, so the outcome is never "helped"."""
    rank = {"n": 100, "p_value": 0.001}
    assert verdict_outcome(rank, {"p_value": 0.001, "total_kept": -30.0}) == "ranks_only"
    assert verdict_outcome(rank, {"p_value": 0.2, "total_kept": 30.0}) == "ranks_only"
    assert verdict_outcome(rank, {"p_value": 0.001, "total_kept": 30.0}) == "helped"
    assert verdict_outcome(rank | {"p_value": 0.3}, {"p_value": 0.0, "total_kept": 9}) == (
        "no_evidence")
    assert verdict_outcome({"n": 0}, {}) == "not_judged"


def test_the_uplift_table_follows_the_threshold():
    p = np.linspace(0, 1, 101)
    pnl = np.where(p > 0.5, 5.0, -5.0)
    table = uplift_table(p, pnl)
    assert table["n_kept"].iloc[0] == 101 and table["n_kept"].is_monotonic_decreasing
    assert table["mean_pips_kept"].iloc[-1] == 5.0
    assert (table["random_q5"] <= table["random_mean"]).all()
    assert (table["random_q95"] >= table["random_mean"]).all()
    assert table["random_q95"].iloc[0] == pytest.approx(table["random_mean"].iloc[0])


def test_the_judge_report_carries_the_verdict_tests():
    y = np.r_[alternating(300), [np.nan]]
    prob = np.r_[np.nan, y[1:-1] * 0.3 + 0.35, 0.5]
    pnl = np.where(y == 1, 8.0, -4.0)
    report = judge_report(prob, y, prob >= 0.5, pnl)
    assert report.rank_test["n"] == 299 and report.rank_test["p_value"] < 0.01
    assert report.pnl_test["p_value"] < 0.01 and report.outcome == "helped"
    assert report.summary()["rank_test.auc"] == 1.0


def test_nothing_judged_is_said_as_such():
    report = judge_report([np.nan] * 4, [1, 0, 1, 0], [True] * 4, [1.0, -1.0, 1.0, -1.0])
    assert report.outcome == "not_judged" and report.uplift.empty
    assert report.rank_test["undefined_reason"] == "no judged candidates with a known outcome"


def test_the_rank_test_counts_pairs_within_a_period_only():
    # each period ranks perfectly, but the second period's level is below the first's while
    # its trades win more: pooled, the cross-period pairs pull the AUC down
    prob = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    label = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    period = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    test = rank_test(prob, label, period, n_shifts=5, min_gap=1)
    assert test["auc"] == 1.0 and test["n_periods"] == 2
    # pooled: wins at ranks 8, 4, 3, 2 of 8 -> U = 17 - 10 = 7 of 4 x 4 pairs
    assert test["auc_pooled"] == pytest.approx(7 / 16)
    assert rank_test(prob, label, n_shifts=5, min_gap=1)["auc"] == pytest.approx(7 / 16)


def test_the_stratified_auc_is_the_pair_weighted_mean_of_the_periods_aucs_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    period = np.repeat([5, 2, 9], [40, 25, 60])  # any labels, in order of appearance
    prob = rng.integers(0, 6, len(period)) / 5  # many ties
    label = (rng.random(len(period)) < 0.45).astype(int)
    pairs = aucs = 0.0
    for g in (5, 2, 9):
        y, p = label[period == g], prob[period == g]
        weight = y.sum() * (len(y) - y.sum())
        pairs, aucs = pairs + weight, aucs + weight * roc_auc_score(y, p)
    assert rank_test(prob, label, period, n_shifts=10)["auc"] == pytest.approx(aucs / pairs)


def test_an_expanding_mean_forecast_lowers_the_pooled_auc_but_not_the_stratified_one():
    # the cause of the null AUC below 0.5 (module docstring): nothing to predict, each period's
    # probability level is the win rate of all the periods before it
    rng = np.random.default_rng(0)
    pooled, within = [], []
    for _ in range(300):
        label = (rng.random(20 * 30) < 0.5).astype(int)
        period = np.repeat(np.arange(20), 30)
        rates = np.array([label[: 30 * (k + 1)].mean() for k in range(20)])
        prob = np.r_[rates[0], rates[:-1]][period] + rng.normal(0, 0.01, len(label))
        test = rank_test(prob[30:], label[30:], period[30:], n_shifts=1)
        pooled.append(test["auc_pooled"])
        within.append(test["auc"])
    assert np.mean(pooled) < 0.5 - 4 * np.std(pooled) / np.sqrt(len(pooled))
    assert abs(np.mean(within) - 0.5) < 3 * np.std(within) / np.sqrt(len(within))
