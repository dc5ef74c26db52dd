"""Out-of-sample importance: pooled, per walk-forward period, and by group of correlated
features (clustered MDA)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from fxjudge.judge.importance import feature_groups, oos_importance, stability
from fxjudge.judge.walkforward import make_judge, walk_forward
from tests.judge.test_walkforward import candidates


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


def test_importance_per_period_has_one_row_per_judged_period():
    X, labels = candidates()
    result = walk_forward(X, labels, estimator="logistic", min_train=100, importance_repeats=3)
    judged = result.periods[result.periods["n_judged"] > 0]
    table = result.importance_periods
    assert list(table.index) == list(judged["judge_start"])
    assert list(table.columns) == list(X.columns)
    assert (table["signal"] > table["noise"]).all()  # the signal matters in every period
    summary = stability(table)
    assert summary.index[0] == "signal" and summary.loc["signal", "share_positive"] == 1.0
    assert 0 <= summary.loc["noise", "share_positive"] <= 1
    assert summary.loc["signal", "n_periods"] == len(judged)
    # the pooled table is the one walk-forward always gave
    assert result.importance.index[0] == "signal"


def correlated(seed: int = 3, n: int = 1600):
    """Two correlated pairs: `a1`/`a2` carry the planted signal, `b1`/`b2` are noise."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    X = pd.DataFrame({"a1": a + 0.3 * rng.normal(size=n), "a2": a + 0.3 * rng.normal(size=n),
                      "b1": b + 0.3 * rng.normal(size=n), "b2": b + 0.3 * rng.normal(size=n),
                      "c": rng.normal(size=n)},
                     index=pd.date_range("2022-01-03", periods=n, freq="4h", tz="UTC"))
    y = (a + rng.normal(size=n) > 0).astype(float)
    return X, y


def test_a_group_holding_an_informative_feature_outranks_an_uninformative_group():
    X, y = correlated()
    judge = make_judge("logistic").fit(X.iloc[:800], y[:800].astype(int))
    rows = np.arange(800, len(X))
    periods = [(judge, part, X.index[part[0]]) for part in np.array_split(rows, 4)]
    groups = {"informative": ("a1", "a2"), "noise": ("b1", "b2"), "lonely": ("c", "zz")}
    found = oos_importance(periods, X, y, repeats=5, seed=0, groups=groups)
    g = found.groups["importance_mean"]
    assert list(found.groups.index) == ["informative", "noise"]  # "lonely" has one member
    assert g["informative"] > 0.1 and abs(g["noise"]) < 0.02
    # shuffled together, the pair weighs more than either member alone (each stands in for
    # the other when shuffled by itself)
    single = found.pooled["importance_mean"]
    assert g["informative"] > single["a1"] + 0.02 and g["informative"] > single["a2"] + 0.02
    assert found.groups.loc["informative", "members"] == "a1, a2"
    assert len(found.periods) == 4


def test_groups_are_found_among_the_judges_columns():
    columns = ["ret5_atr_x_side", "atr_ratio", "ret20_atr_x_side", "vol_ratio", "rsi"]
    assert feature_groups(columns) == {"volatility_ratios": ["atr_ratio", "vol_ratio"],
                                       "returns_x_side": ["ret5_atr_x_side",
                                                          "ret20_atr_x_side"]}


def test_the_vectorised_auc_is_sklearns_ties_included():
    from sklearn.metrics import roc_auc_score

    from fxjudge.judge.importance import _aucs

    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.4).astype(float)
    p = np.round(rng.random((7, 200)), 1)  # many ties
    np.testing.assert_allclose(_aucs(y, p), [roc_auc_score(y, row) for row in p], atol=1e-12)
    assert np.isnan(_aucs(np.ones(5), p[:2, :5])).all()
