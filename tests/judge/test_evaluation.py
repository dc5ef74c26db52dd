"""How the judge is judged: scores, calibration table, random-filter test, report."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from fxjudge.errors import ModelError
from fxjudge.judge.evaluation import (
    calibration_table,
    judge_report,
    permutation_importance_oos,
    precision_vs_base,
    probability_scores,
    random_filter_test,
)
from fxjudge.judge.model import Judge


def test_auc_of_perfect_inverted_and_random_scorers():
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 20_000)
    assert probability_scores(label * 0.8 + 0.1, label)["auc"] == 1.0
    assert probability_scores(0.9 - label * 0.8, label)["auc"] == 0.0
    random = probability_scores(rng.random(20_000), label)["auc"]
    assert abs(random - 0.5) < 3 * math.sqrt(1 / (3 * 10_000))  # ~3 standard errors


def test_brier_and_log_loss_by_hand_and_not_judged_left_out():
    scores = probability_scores([0.2, 0.8, np.nan], [0, 1, 1])
    assert scores["n"] == 2
    assert scores["brier"] == pytest.approx(0.04)
    assert scores["log_loss"] == pytest.approx(-math.log(0.8))


def test_a_missing_class_gives_nan_auc_with_a_reason():
    scores = probability_scores([0.3, 0.6, 0.7], [1, 1, 1])
    assert math.isnan(scores["auc"]) and "no losses" in scores["undefined_reason"]
    assert scores["brier"] == pytest.approx((0.49 + 0.16 + 0.09) / 3)
    empty = probability_scores([np.nan], [1])
    assert empty["n"] == 0 and empty["undefined_reason"] == "no judged candidates"


def test_calibration_table_counts_and_rates():
    prob = np.linspace(0.01, 0.99, 100)
    label = (np.arange(100) % 4 == 0).astype(int)
    table = calibration_table(prob, label, bins=10)
    assert list(table["count"]) == [10] * 10
    assert table["mean_predicted"].is_monotonic_increasing
    uniform = calibration_table([0.1, 0.15, 0.3, 0.9, 0.95], [0, 1, 0, 1, 1], bins=4,
                                strategy="uniform")
    assert list(uniform["count"]) == [2, 1, 2]  # the empty [0.5, 0.75) bin is left out
    assert list(uniform["observed_rate"]) == [0.5, 0.0, 1.0]
    assert list(uniform["prob_low"]) == [0.0, 0.25, 0.75]


def test_precision_vs_base():
    out = precision_vs_base([1, 0, 1, 0, 0], [True, False, True, True, False])
    assert out["precision_taken"] == pytest.approx(2 / 3) and out["base_rate"] == 0.4
    assert out["lift"] == pytest.approx(5 / 3) and out["kept_fraction"] == 0.6
    nothing = precision_vs_base([1, 0], [False, False])
    assert math.isnan(nothing["precision_taken"]) and nothing["undefined_reason"]


def exact_p_value(values, taken, statistic):
    """P(a random subset of the taken size does at least as well), by enumeration."""
    values, m = np.asarray(values, dtype=float), int(np.sum(taken))
    observed = statistic(values[np.asarray(taken, dtype=bool)])
    subsets = list(itertools.combinations(range(len(values)), m))
    return sum(statistic(values[list(s)]) >= observed - 1e-12 for s in subsets) / len(subsets)


def test_hypergeometric_p_value_by_hand():
    # 5 candidates, 2 wins; keep 2. Both wins: 1 subset of C(5,2) = 10 does as well -> 0.1.
    label = [1, 1, 0, 0, 0]
    assert random_filter_test([1, 1, 0, 0, 0], label=label)["precision_p_value"] == (
        pytest.approx(0.1))
    # one win kept: P(X >= 1) = 1 - C(3,2)/C(5,2) = 0.7
    assert random_filter_test([1, 0, 1, 0, 0], label=label)["precision_p_value"] == (
        pytest.approx(0.7))
    assert random_filter_test([0, 0, 1, 1, 0], label=label)["precision_p_value"] == 1.0
    taken = [1, 0, 1, 1, 0, 0, 1, 0]
    label = [1, 1, 1, 0, 0, 1, 0, 0]
    assert random_filter_test(taken, label=label)["precision_p_value"] == pytest.approx(
        exact_p_value(label, taken, np.mean))


def test_mean_pnl_p_value_by_simulation_matches_enumeration():
    pnl = [2.0, -1.0, 1.5, -1.0, 0.5, -0.7, 3.0, -1.2]
    taken = [1, 0, 1, 0, 0, 0, 1, 0]
    out = random_filter_test(taken, pnl=pnl, n_draws=20_000, seed=1)
    assert out["mean_pnl_taken"] == pytest.approx(6.5 / 3)
    assert out["mean_pnl_p_value"] == pytest.approx(exact_p_value(pnl, taken, np.mean), abs=0.005)
    assert out["mean_pnl_random_q5"] <= out["mean_pnl_random_q50"] <= out["mean_pnl_random_q95"]
    assert random_filter_test(taken, pnl=pnl, seed=1) == random_filter_test(taken, pnl=pnl, seed=1)


def test_random_filter_without_trades_is_nan_with_a_reason():
    out = random_filter_test([0, 0, 0], label=[1, 0, 1], pnl=[1.0, -1.0, 2.0])
    assert math.isnan(out["precision_p_value"]) and math.isnan(out["mean_pnl_p_value"])
    assert "no trades taken" in out["undefined_reason"]


def test_permutation_importance_finds_the_feature_that_matters():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["edge", "noise_a", "noise_b"])
    y = (2 * X["edge"] + rng.normal(size=600) > 0).astype(int).to_numpy()
    with threadpool_limits(limits=1):
        judge = Judge(estimator="logistic").fit(X[:400], y[:400])
        table = permutation_importance_oos(judge, X[400:], y[400:], n_repeats=5)
    assert table.index[0] == "edge" and table.loc["edge", "importance_mean"] > 0.2
    assert (table.loc[["noise_a", "noise_b"], "importance_mean"].abs() < 0.05).all()
    with pytest.raises(ModelError, match="needs wins and losses"):
        permutation_importance_oos(judge, X[400:], np.ones(200))


def test_judge_report_keeps_to_judged_candidates_and_has_backtest_slots():
    prob = np.array([0.9, 0.8, 0.3, 0.2, np.nan])
    label = np.array([1, 0, 0, 1, 1])
    report = judge_report(prob, label, prob >= 0.5, pnl=[2.0, -1.0, -1.0, 2.0, 5.0], n_draws=200)
    assert report.n_not_judged == 1
    assert report.precision["n_candidates"] == 4 and report.precision["n_taken"] == 2
    assert report.scores["auc"] == pytest.approx(0.5)
    assert report.calibration["count"].sum() == 4
    report.with_judge.sharpe = 1.2
    summary = report.summary()
    assert summary["with_judge.sharpe"] == 1.2 and math.isnan(summary["without_judge.sharpe"])
    assert summary["random_filter.mean_pnl_taken"] == pytest.approx(0.5)
    assert all(np.isscalar(v) for v in summary.values())


def test_unresolved_candidates_are_counted_and_left_out_of_every_label_statistic():
    # judged candidates still open at the end of the data have no label (NaN) and no P&L
    prob = np.array([0.9, 0.8, 0.3, 0.2, np.nan, 0.7, 0.1, np.nan])
    label = np.array([1, 0, 0, 1, 1, np.nan, np.nan, np.nan])
    pnl = np.array([2.0, -1.0, -1.0, 2.0, 5.0, np.nan, np.nan, np.nan])
    taken = np.isnan(prob) | (prob >= 0.5)
    report = judge_report(prob, label, taken, pnl=pnl, n_draws=200)
    assert report.n_not_judged == 2 and report.n_unresolved == 2
    resolved = judge_report(prob[:5], label[:5], taken[:5], pnl=pnl[:5], n_draws=200)
    assert report.scores == resolved.scores and report.precision == resolved.precision
    assert report.random_filter == resolved.random_filter
    pd.testing.assert_frame_equal(report.calibration, resolved.calibration)
    assert report.precision["n_candidates"] == 4 and report.precision["n_taken"] == 2
    assert report.random_filter["n_candidates"] == 4
    assert report.random_filter["precision_p_value"] == pytest.approx(
        exact_p_value(label[:4], taken[:4], np.mean))
    assert report.calibration["count"].sum() == 4
    summary = report.summary()
    assert summary["n_unresolved"] == 2 and not any(
        isinstance(v, float) and math.isnan(v)
        for k, v in summary.items() if k.startswith(("scores.", "precision.", "random_filter."))
        and k != "scores.undefined_reason")
    # the pure functions leave unresolved candidates out on their own too
    alone = random_filter_test(taken[:7], label=label[:7], pnl=pnl[:7], n_draws=200)
    assert alone == random_filter_test(taken[:5], label=label[:5], pnl=pnl[:5], n_draws=200)
    assert precision_vs_base(label[:7], taken[:7]) == precision_vs_base(label[:5], taken[:5])
