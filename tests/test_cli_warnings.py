"""Warnings reach the terminal once, as ``WARNING:`` lines: a judge whose validation AUC is not
above 0.5 by more than its standard error, and a backtest overlapping a model's training window
(never Python's ``path:line: UserWarning`` display)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from fxjudge.api import weak_validation
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.results.metrics import auc_standard_error

SAMPLE = sample_path()


def test_auc_standard_error_is_hanley_mcneil():
    # At A = 0.5 it is exactly the Mann-Whitney null: (n1 + n0 + 1) / (12 n1 n0).
    assert auc_standard_error(0.5, 30, 70) == pytest.approx(math.sqrt(101 / (12 * 30 * 70)))
    # A = 0.8, 50 and 50, by hand from eq. 2: SE^2 = 4.95111 / 2500.
    assert auc_standard_error(0.8, 50, 50) == pytest.approx(math.sqrt(4.951111 / 2500), rel=1e-5)
    assert math.isnan(auc_standard_error(0.7, 0, 10))
    assert math.isnan(auc_standard_error(math.nan, 10, 10))


def test_auc_standard_error_matches_the_spread_of_auc_under_the_null():
    """Seeded: AUCs of random scores against fixed labels spread by the formula's SE."""
    rng = np.random.default_rng(3)
    ranks = rng.random((4000, 100)).argsort(axis=1).argsort(axis=1) + 1  # no ties
    wins = ranks[:, :40].sum(axis=1)  # the first 40 are the winners: Mann-Whitney's U
    aucs = (wins - 40 * 41 / 2) / (40 * 60)
    assert np.std(aucs) == pytest.approx(auc_standard_error(0.5, 40, 60), rel=0.05)


def test_weak_validation_says_why():
    assert weak_validation({"auc": 0.70, "n": 400, "base_rate": 0.5}) == ""
    assert "not above 0.5 by more than its standard error (0.061" in weak_validation(
        {"auc": 0.538, "n": 103, "base_rate": 35 / 103})
    assert "undefined (AUC needs wins and losses" in weak_validation(
        {"auc": None, "undefined_reason": "AUC needs wins and losses; there are no losses"})


def test_train_and_an_overlapping_backtest_warn_once_as_lines(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    common = ["--strategy", "ema_atr", "--data", str(SAMPLE), "--spread-pips", "0.8"]
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert main([*project, "judge", "train", *common, "--to", "2017-07-01", "--model",
                     "logistic", "--out", "models/weak"]) == 0
        out = capsys.readouterr().out
        assert out.count("WARNING: ") == 1
        assert "its validation AUC" in out and "is not above 0.5 by more than its standard " \
                                              "error" in out
        assert main([*project, "backtest", *common, "--from", "2017-06-01", "--to",
                     "2017-09-01", "--judge", "models/weak"]) == 0
        out = capsys.readouterr()
    assert out.out.count("WARNING: this backtest overlaps the model's training window") == 1
    assert "UserWarning" not in out.out + out.err
    assert [w for w in shown if issubclass(w.category, UserWarning)] == []
