"""Honesty checks (DESIGN.md §6), with fixed seeds, and leaky variants that must fail them.

- A pure random walk gives the judge nothing: its out-of-sample AUC lies within 3 standard
  errors of 0.5. The standard error is the larger of Hanley & McNeil's (1982), which assumes
  independent candidates, and the spread of the AUC when the probabilities are shifted in
  time against the labels (a null that keeps the serial dependence of overlapping labels).
- A planted, learnable edge (`PlantedEdge`) is found: AUC more than 3 standard errors above
  0.5, and the judged run beats the unjudged one out of sample.
- Out-of-sample probabilities pass the truncation test: computed on bars[:t+1] they equal those
  computed on all bars, for the candidate at t.
- Shuffled folds (a random K-fold, the classic leak) fail the random-walk check, and labels used
  before they resolve fail the truncation test: the checks can fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, cross_val_predict
from threadpoolctl import threadpool_limits

import fxjudge.api as api
import fxjudge.judge as judge_stage
from fxjudge.data.synthetic import PlantedEdge, bar_sigma, synthetic_bars
from fxjudge.features.truncation import truncation_mismatches
from fxjudge.judge import judge_signals
from fxjudge.judge.walkforward import make_judge
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.strategy import Strategy, entries, run_signals

SEED = 3


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


class BigBar(Strategy):
    """Enter in the direction of a bar whose body exceeds `sigmas` model standard deviations."""

    @dataclass(frozen=True)
    class Params:
        """Threshold in sigmas; a time exit; same and opposite signals ignored while in a trade."""

        sigmas: float = 2.0
        max_bars: int = 10
        on_opposite: str = "ignore"

    @property
    def warmup_bars(self) -> int:
        """No warm-up: the model volatility is known from the bar's time."""
        return 1

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The bar's body in model standard deviations (the judge sees it as a feature)."""
        sigma = bar_sigma(bars.index, bars.attrs["timeframe"]) * bars["open"]
        return pd.DataFrame({"body_sigma": (bars["close"] - bars["open"]) / sigma})

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 after a big up bar, -1 after a big down bar."""
        z, k = features["body_sigma"], self.params.sigmas
        return entries(z >= k, z <= -k, self.warmup_bars)


def judged(bars: pd.DataFrame, strategy: Strategy, retrain: int, min_train: int = 150):
    features, signals = run_signals(strategy, bars)
    rules = strategy.exit_rules
    return judge_signals(bars, signals, exit_levels(bars, signals, rules), rules,
                         "walk-forward", strategy_features=features,
                         options={"retrain": retrain, "min_train": min_train,
                                  "importance_repeats": 0})


def hanley_mcneil_se(auc: float, n_wins: int, n_losses: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_wins - 1) * (q1 - auc**2)
                + (n_losses - 1) * (q2 - auc**2)) / (n_wins * n_losses)
    return float(np.sqrt(variance))


def auc_and_se(label, probability) -> tuple[float, float]:
    """AUC and its standard error under no skill (see the module docstring)."""
    y, p = np.asarray(label, dtype=int), np.asarray(probability, dtype=float)
    wins = int(y.sum())
    shifts = np.linspace(len(y) // 10, len(y) - len(y) // 10, 100).astype(int)
    shifted = np.std([roc_auc_score(y, np.roll(p, s)) for s in shifts])
    return roc_auc_score(y, p), max(hanley_mcneil_se(0.5, wins, len(y) - wins), shifted)


# -- the random walk ---------------------------------------------------------------------------

RANDOM_WALK_BARS = 12_000
DENSE = BigBar(sigmas=1.0, max_bars=30)  # frequent candidates with overlapping labels


@pytest.fixture(scope="module")
def random_walk():
    bars = synthetic_bars("EURUSD", timeframe="M1", n_bars=RANDOM_WALK_BARS, seed=SEED)
    with threadpool_limits(limits=1):
        return judged(bars, DENSE, retrain=RANDOM_WALK_BARS // 4)


def test_a_random_walk_gives_the_judge_nothing(random_walk):
    c = random_walk.candidates
    scored = c[c["judged"] & c["label"].notna()]
    assert len(scored) > 2000
    auc, se = auc_and_se(scored["label"], scored["probability"])
    assert abs(auc - 0.5) < 3 * se, (auc, se)


def test_shuffled_folds_make_the_random_walk_check_fail(random_walk):
    c, X = random_walk.candidates, random_walk.features
    known = c["label"].notna().to_numpy()
    leaky = cross_val_predict(make_judge("hgb").estimator, X[known], c["label"][known].astype(int),
                              cv=KFold(5, shuffle=True, random_state=0),
                              method="predict_proba")[:, 1]
    auc, se = auc_and_se(c["label"][known], leaky)
    assert auc - 0.5 > 3 * se, (auc, se)  # neighbours' outcomes leak through shared paths


# -- the planted edge --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    bars = synthetic_bars("EURUSD", timeframe="M1", n_bars=16_000, seed=SEED, edge=PlantedEdge())
    with threadpool_limits(limits=1):
        return api.backtest(bars, BigBar(), judge="walk-forward",
                            judge_options={"retrain": 4000, "min_train": 150},
                            account={"currency": "USD", "balance": 100_000.0})


def test_a_planted_edge_is_found(planted):
    c = planted.candidates
    scored = c[c["judged"] & c["label"].notna()]
    auc, se = auc_and_se(scored["label"], scored["probability"])
    assert auc - 0.5 > 3 * se, (auc, se)
    assert planted.judge.scores["auc"] == pytest.approx(auc)
    top = set(planted.judge.importance.index[:3])
    assert top & {"strategy_body_sigma", "body_atr_x_side", "range_atr"}


def test_the_judged_run_beats_the_unjudged_one_out_of_sample(planted):
    with_judge, without = planted.judge.with_judge, planted.judge.without_judge
    assert with_judge.sharpe > without.sharpe and with_judge.profit_factor > without.profit_factor
    assert with_judge.n_trades < without.n_trades  # it got there by vetoing trades
    precision = planted.judge.precision
    assert precision["precision_taken"] > precision["base_rate"]
    assert planted.judge.random_filter["precision_p_value"] < 0.01


# -- truncation --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_planted():
    return synthetic_bars("EURUSD", timeframe="M1", n_bars=5000, seed=SEED, edge=PlantedEdge())


def oos_probability(bars: pd.DataFrame) -> pd.Series:
    """Every candidate's out-of-sample probability, on the bars' index (NaN elsewhere).

    Labels of 30 bars: candidates signalled before a period starts are often still open at the
    period's first candidates, which is where using labels before they resolve shows.
    """
    found = judged(bars, BigBar(max_bars=30), retrain=1000, min_train=60)
    return found.candidates["probability"].reindex(bars.index)


def positions(bars: pd.DataFrame) -> list[int]:
    """Bars to cut at: the first candidates of each judged period, where leaks show, and more."""
    probability = oos_probability(bars)
    at = np.flatnonzero(probability.notna().to_numpy())
    starts = bars.index[::1000]
    firsts = {int(at[np.searchsorted(bars.index[at], s)]) for s in starts
              if np.searchsorted(bars.index[at], s) < len(at)}
    return sorted(firsts | {int(at[len(at) // 2]), int(at[-1])})


def test_out_of_sample_probabilities_pass_the_truncation_test(short_planted):
    cuts = positions(short_planted)
    assert len(cuts) >= 4
    assert truncation_mismatches(oos_probability, short_planted, cuts) == []


def test_labels_used_before_they_resolve_fail_the_truncation_test(short_planted, monkeypatch):
    honest = judge_stage.label_candidates

    def leaky(*args, **kwargs):
        labels = honest(*args, **kwargs)
        known = labels["label"].notna()
        labels.loc[known, "resolve_time"] = labels.index[known]  # "known" at the signal
        return labels

    cuts = positions(short_planted)
    monkeypatch.setattr(judge_stage, "label_candidates", leaky)
    assert truncation_mismatches(oos_probability, short_planted, cuts) != []
