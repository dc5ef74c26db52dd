"""The walk-forward loop: fitted only on resolved labels, every later candidate judged once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

import fxjudge.judge.walkforward as wf
from fxjudge.errors import ConfigError
from fxjudge.judge.walkforward import make_judge, walk_forward


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


def candidates(n: int = 900, seed: int = 0):
    """Candidates every 8 hours over ~10 months; the label depends on `signal` (and noise)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2022-01-03", periods=n, freq="8h", tz="UTC", name="time")
    X = pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(size=n),
                      "warm": rng.normal(size=n)}, index=times)
    X.iloc[:30, 2] = np.nan  # a warm-up: NaN, as the library leaves it
    y = (1.5 * X["signal"] + rng.normal(size=n) > 0.2).astype(float)
    resolve = times + pd.to_timedelta(rng.integers(1, 96, n), unit="h")
    y[-3:] = np.nan  # still open at the end of the data
    labels = pd.DataFrame({"label": y, "resolve_time": resolve.where(y.notna()),
                           "return_pips": np.where(y == 1, 10.0, -8.0)}, index=times)
    return X, labels


def test_each_period_fits_only_on_labels_resolved_before_it_starts(monkeypatch):
    X, labels = candidates()
    seen = []
    fit = wf._fit

    def spy(template, Xt, yt, starts, ends, pnl, weights=None):
        seen.append((Xt.index, ends))
        assert weights is None  # unweighted by default
        return fit(template, Xt, yt, starts, ends, pnl, weights)

    monkeypatch.setattr(wf, "_fit", spy)
    result = walk_forward(X, labels, estimator="logistic", min_train=100)
    periods = result.periods
    assert len(seen) == len(periods) >= 7
    for (index, ends), row in zip(seen, periods.itertuples(), strict=True):
        assert (ends < row.fit_until).all() and (index < row.judge_start).all()
        judged = result.probability[(X.index >= row.judge_start) & (X.index < row.judge_end)]
        assert judged.notna().all() and len(judged) == row.n_judged


def test_out_of_sample_probabilities_after_the_first_window_and_none_before():
    X, labels = candidates()
    result = walk_forward(X, labels, estimator="logistic", min_train=100)
    first = result.periods["judge_start"].iloc[0]
    before = X.index < first
    assert result.probability[before].isna().all() and not result.judged[before].any()
    assert result.probability[~before].notna().all() and result.judged[~before].all()
    assert result.taken[before].all()  # not judged: taken, as without the judge
    # the veto: probability >= the threshold of the candidate's own period
    for row in result.periods.itertuples():
        inside = (X.index >= row.judge_start) & (X.index < row.judge_end)
        p = result.probability[inside]
        assert (result.taken[inside] == (p >= row.threshold)).all()
    m = result.judged & labels["label"].notna()
    assert roc_auc_score(labels["label"][m], result.probability[m]) > 0.75


def test_bars_periods_rolling_window_progress_and_importance():
    X, labels = candidates()
    calls = []
    result = walk_forward(
        X, labels, estimator="logistic", retrain=120, bar_times=X.index, train_window=300,
        min_train=100, progress=lambda done, total: calls.append((done, total)),
        importance_repeats=3,
    )
    assert calls == [(i, len(result.periods)) for i in range(1, len(result.periods) + 1)]
    assert (result.periods["n_train"] <= 300).all()
    assert result.importance.index[0] == "signal"
    assert result.importance.loc["signal", "importance_mean"] > 0.1
    assert set(result.importance.index) == set(X.columns)
    assert result.config["features"] == list(X.columns)


def test_default_gradient_boosting_reads_nan_warm_ups():
    X, labels = candidates(n=600)
    result = walk_forward(X, labels, min_train=150, retrain="monthly", importance_repeats=0)
    assert result.judged.sum() > 200 and result.importance is None
    judge = make_judge("hgb")
    assert judge.get_params()["estimator"].get_params()["class_weight"] is None
    assert make_judge("logistic").get_params()["estimator"].steps[0][0] == "simpleimputer"


def test_labels_must_match_the_features():
    X, labels = candidates(n=200)
    with pytest.raises(ConfigError, match="features' index"):
        walk_forward(X, labels.iloc[1:])
    with pytest.raises(ConfigError, match="resolve_time"):
        walk_forward(X, labels.drop(columns="resolve_time"))
    with pytest.raises(ConfigError, match="estimator"):
        make_judge(42)


def test_uniqueness_weights_the_training_candidates(monkeypatch):
    X, labels = candidates(n=600)
    bars = pd.date_range(X.index[0], X.index[-1] + pd.Timedelta(days=5), freq="h")
    labels["signal_bar"] = bars.get_indexer(X.index)
    resolved = labels["resolve_time"].notna()
    labels["exit_bar"] = -1
    labels.loc[resolved, "exit_bar"] = bars.get_indexer(labels.loc[resolved, "resolve_time"])
    expected = wf.candidate_weights(labels, "uniqueness", len(bars))
    assert ((expected > 0) & (expected <= 1)).all() and (expected < 1).any()
    seen = []
    fit = wf._fit

    def spy(template, Xt, yt, starts, ends, pnl, weights=None):
        seen.append((Xt.index, weights))
        return fit(template, Xt, yt, starts, ends, pnl, weights)

    monkeypatch.setattr(wf, "_fit", spy)
    result = walk_forward(X, labels, estimator="logistic", min_train=100, bar_times=bars,
                          sample_weights="uniqueness", importance_repeats=0)
    assert seen and result.config["sample_weights"] == "uniqueness"
    for index, weights in seen:
        np.testing.assert_array_equal(weights, expected[X.index.get_indexer(index)])
    with pytest.raises(ConfigError, match="`sample_weights` must be None or"):
        wf.candidate_weights(labels, "equal")
    with pytest.raises(ConfigError, match="signal_bar and exit_bar"):
        wf.candidate_weights(labels.drop(columns="exit_bar"), "uniqueness")
