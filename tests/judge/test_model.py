"""The judge model: estimator contract, honest validation, threshold rule (files: test_persist)."""


import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from fxjudge.errors import ConfigError, ModelError
from fxjudge.judge.model import Judge, make_estimator, tune_threshold


@pytest.fixture(autouse=True)
def one_thread():
    """HGB's OpenMP threads can stall for seconds on a busy 2-core machine; tests use one."""
    with threadpool_limits(limits=1):
        yield


def candidates(n=400, seed=0, edge=1.5):
    """Features, labels (win rate about 40%) and label intervals of `n` candidates."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["atr_ratio", "rsi", "hour_sin", "side"])
    y = np.array(edge * X["atr_ratio"] + rng.normal(size=n) > 0.4, dtype=int)
    starts = pd.date_range("2022-01-03", periods=n, freq="4h", tz="UTC")
    return X, y, starts, starts + pd.Timedelta(hours=20)


def fitted(**params):
    X, y, starts, ends = candidates()
    return Judge(**{"estimator": "logistic"} | params).fit(X, y, starts=starts, ends=ends)


def test_estimator_contract_clone_and_fit_returns_self():
    judge = Judge(estimator="logistic", threshold=0.4, cv_folds=4)
    copy = clone(judge)
    assert copy.get_params() == judge.get_params() and copy is not judge
    with pytest.raises(NotFittedError):
        judge.predict_proba(np.zeros((2, 4)))
    X, y, starts, ends = candidates()
    assert judge.fit(X, y, starts=starts, ends=ends) is judge
    assert list(judge.classes_) == [0, 1] and judge.n_features_in_ == 4
    assert list(judge.feature_names_in_) == list(X.columns)
    assert not hasattr(clone(judge), "threshold_")  # clone drops fitted state


def test_predict_is_probability_at_or_above_threshold():
    judge = fitted()
    X, *_ = candidates(seed=1)
    proba = judge.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(judge.predict(X), (proba[:, 1] >= judge.threshold_).astype(int))


def test_a_learnable_edge_is_found_and_validation_is_out_of_sample():
    judge = fitted()
    assert judge.validation_scores_["auc"] > 0.75
    assert judge.validation_scores_["purged"] is True
    # noise: a flexible model scores ~1 in sample, so a validation AUC near 0.5 shows the
    # validation probabilities come from models that did not see those candidates
    X, _, starts, ends = candidates()
    noise = np.random.default_rng(5).integers(0, 2, len(X))
    hgb = HistGradientBoostingClassifier(max_iter=30, min_samples_leaf=5)
    judge = Judge(estimator=hgb).fit(X, noise, starts=starts, ends=ends)
    assert abs(judge.validation_scores_["auc"] - 0.5) < 0.1


def test_the_threshold_never_sees_later_data():
    X, y, starts, ends = candidates(n=600)
    a = slice(0, 400)
    judge = Judge(estimator="logistic").fit(X[a], y[a], starts=starts[a], ends=ends[a])
    threshold = judge.threshold_
    judge.predict(X[400:])
    assert judge.threshold_ == threshold
    # the same candidates A with different later data B around them: same threshold
    X2, y2, *_ = candidates(n=600, seed=9)
    X2.iloc[a], y2[a] = X.iloc[a], y[a]
    again = Judge(estimator="logistic").fit(X2[a], y2[a], starts=starts[a], ends=ends[a])
    assert again.threshold_ == threshold


def test_threshold_rules():
    X, y, starts, ends = candidates()
    assert fitted(threshold=0.3).threshold_ == 0.3
    assert fitted(threshold="base_rate").threshold_ == pytest.approx(y.mean())
    rich = fitted().fit(X, y, starts=starts, ends=ends, pnl=np.where(y == 1, 10.0, -1.0))
    poor = fitted().fit(X, y, starts=starts, ends=ends, pnl=np.where(y == 1, 1.0, -10.0))
    # big wins: keep nearly everything; big losses: keep only the surest trades
    assert rich.validation_scores_["kept_fraction"] > poor.validation_scores_["kept_fraction"]
    assert poor.threshold_ > rich.threshold_


def test_tune_threshold_by_hand():
    p = np.array([0.9, 0.8, 0.7, 0.6])
    assert tune_threshold(p, [1, 1, -1, -1], 0.25) == pytest.approx(0.75)
    assert tune_threshold(p, [1, 1, -1, -1], 0.75) == pytest.approx(0.65)  # keep >= 3
    assert tune_threshold(p, [1, 1, -1, 1], 0.25) == 0.0  # tie 2 vs 4 kept: keep more
    # no cut between two equal probabilities
    assert tune_threshold([0.9, 0.8, 0.8, 0.6], [1, -5, 3, -1], 0.25) == pytest.approx(0.85)


def test_without_intervals_time_series_split_validates_only_later_rows():
    X, y, *_ = candidates()
    judge = Judge(estimator="logistic", calibration="isotonic").fit(X, y)
    assert np.isnan(judge.validation_proba_[:100]).all()
    assert not np.isnan(judge.validation_proba_[100:]).any()
    assert judge.validation_scores_["purged"] is False


def test_uncalibrated_and_default_hgb_judges_fit():
    X, y, starts, ends = candidates(n=300)
    raw = Judge(estimator="logistic", calibration=None).fit(X, y, starts=starts, ends=ends)
    assert raw.validation_scores_["auc"] > 0.75
    hgb = Judge().fit(X, y, starts=starts, ends=ends)
    assert 0 < hgb.predict_proba(X)[:, 1].mean() < 1


def test_unweighted_hgb_handles_imbalance_by_calibration_and_threshold():
    # about 20% wins: the preset has no class weights (fast binning), so the calibrated
    # probabilities must still be win rates and the tuned veto must keep the better trades
    X, _, starts, ends = candidates(n=600, seed=3)
    y = np.array(1.5 * X["atr_ratio"] + np.random.default_rng(3).normal(size=len(X)) > 1.6,
                 dtype=int)
    assert 0.15 < y.mean() < 0.25
    judge = Judge(estimator="hgb").fit(X, y, starts=starts, ends=ends)
    seen = ~np.isnan(judge.validation_proba_)
    assert abs(judge.validation_proba_[seen].mean() - y[seen].mean()) < 0.05
    assert judge.validation_scores_["auc"] > 0.7
    assert judge.validation_scores_["precision_kept"] > y[seen].mean()
    assert 0 < judge.predict(X).mean() < 1


def test_one_class_and_thin_folds_are_model_errors():
    X, y, starts, ends = candidates()
    with pytest.raises(ModelError, match="exactly two label classes"):
        Judge(estimator="logistic").fit(X, np.ones(len(y), dtype=int))
    rare = np.zeros(len(y), dtype=int)
    rare[:3] = 1  # every win in the first validation fold
    with pytest.raises(ModelError, match="lower `cv_folds`"):
        Judge(estimator="logistic").fit(X, rare, starts=starts, ends=ends)


@pytest.mark.parametrize(
    ("params", "name"),
    [({"calibration": "platt"}, "calibration"), ({"threshold": "max"}, "threshold"),
     ({"threshold": 1.5}, "threshold"), ({"cv_folds": 1}, "cv_folds"),
     ({"min_kept_fraction": 0}, "min_kept_fraction")],
)
def test_bad_parameters_are_config_errors(params, name):
    X, y, *_ = candidates()
    with pytest.raises(ConfigError, match=f"`{name}` must be"):
        Judge(**params).fit(X, y)


def test_make_estimator_names_and_dotted_paths():
    hgb = make_estimator(random_state=3)
    assert isinstance(hgb, HistGradientBoostingClassifier) and hgb.class_weight is None
    assert hgb.random_state == 3 and hgb.early_stopping is False
    assert make_estimator("hgb", class_weight="balanced").class_weight == "balanced"
    logistic = make_estimator("logistic", C=0.5)
    assert isinstance(logistic, Pipeline) and logistic[-1].C == 0.5
    assert logistic[-1].class_weight == "balanced"
    forest = make_estimator("random_forest")
    assert isinstance(forest, RandomForestClassifier) and forest.n_estimators == 200
    assert isinstance(make_estimator("sklearn.svm.SVC", probability=True), SVC)
    assert isinstance(make_estimator("sklearn.linear_model:LogisticRegression"), LogisticRegression)
    with pytest.raises(ModelError, match="hgb, logistic, random_forest"):
        make_estimator("xgboost_magic")
    with pytest.raises(ModelError, match="hgb, logistic, random_forest"):
        make_estimator("sklearn.svm.NoSuchModel")
    with pytest.raises(ModelError, match="predict_proba"):
        make_estimator("sklearn.svm.SVC")




def test_the_walk_forward_embargo_reaches_the_inner_calibration_and_threshold_folds():
    from fxjudge.judge.walkforward import make_judge

    # hourly one-hour labels: the first of two inner folds tests rows 0-4 (its span ends at
    # row 4's resolution, 05:00); a 2 h embargo drops rows 6 and 7 from its training part
    starts = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(np.arange(10), unit="h")
    judge = make_judge("logistic", cv_folds=2, embargo="2h")
    assert judge.embargo == "0 days 02:00:00" and clone(judge).embargo == judge.embargo
    (train, _), _ = judge._splits(10, starts, starts + pd.Timedelta(hours=1))
    assert list(train) == [8, 9]
    (train, _), _ = make_judge("logistic", cv_folds=2)._splits(
        10, starts, starts + pd.Timedelta(hours=1))
    assert list(train) == [6, 7, 8, 9]


def test_sample_weights_reach_the_estimator_that_takes_them():
    from sklearn.neighbors import KNeighborsClassifier

    from fxjudge.judge.model import weight_params
    from fxjudge.judge.walkforward import make_judge

    w = np.ones(3)
    assert list(weight_params(LogisticRegression(), w)) == ["sample_weight"]
    # the walk-forward's logistic judge: imputer, then a scaler + logistic pipeline
    nested = make_judge("logistic").estimator
    assert list(weight_params(nested, w)) == ["pipeline__logisticregression__sample_weight"]
    assert weight_params(KNeighborsClassifier(), w) is None  # fitted unweighted
    assert weight_params(LogisticRegression(), None) is None
    X, y, starts, ends = candidates()
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.2)
    plain = make_judge("logistic").fit(X, y, starts=starts, ends=ends)
    weighted = make_judge("logistic").fit(X, y, starts=starts, ends=ends, sample_weight=weights)
    assert weighted.sample_weighted_ and not plain.sample_weighted_
    assert not np.allclose(plain.predict_proba(X), weighted.predict_proba(X))
    knn = Judge(estimator=KNeighborsClassifier(n_neighbors=15)).fit(
        X, y, starts=starts, ends=ends, sample_weight=weights)
    assert not knn.sample_weighted_
    with pytest.raises(ConfigError, match="`sample_weight` must be one weight per row"):
        make_judge("logistic").fit(X, y, starts=starts, ends=ends, sample_weight=weights[:5])
