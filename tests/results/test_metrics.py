"""Statistics against the reference values of ../shared/vectors/statistics.json."""

import json
import math

import numpy as np
import pytest

from fxjudge.results import metrics
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def vectors():
    path = SHARED_DATA.parent / "vectors" / "statistics.json"
    if not path.exists():
        pytest.skip(f"reference vectors not available: {path} is absent")
    return json.loads(path.read_text())


def evaluate(expr):
    return eval(expr, {"sqrt": math.sqrt})  # the vectors write inputs as 'a/sqrt(b)'


def test_psr(vectors):
    for case in vectors["psr"]:
        sr = evaluate(case["sr_expr"]) if "sr_expr" in case else case["sr"]  # sr is rounded
        got = metrics.probabilistic_sharpe_ratio(sr, case["sr_star"], case["t"],
                                                 case["skew"], case["kurt"])
        assert got == pytest.approx(case["expected"], abs=1e-9)


def test_dsr_uses_per_period_sharpe(vectors):
    case = vectors["dsr"][0]
    sr, variance = evaluate(case["sr_expr"]), evaluate(case["trials_sr_variance_expr"])
    dsr, sr0 = metrics.deflated_sharpe_ratio(sr, variance, case["n_trials"], case["t"],
                                             case["skew"], case["kurt"])
    assert sr0 == pytest.approx(case["expected_sr0"], abs=1e-9)
    assert dsr == pytest.approx(case["expected"], abs=1e-9)
    # the annualisation bug gives 0.99999994: the same function fed annual figures is far off
    wrong, _ = metrics.deflated_sharpe_ratio(2.5, 0.5, case["n_trials"], case["t"],
                                             case["skew"], case["kurt"])
    assert abs(wrong - case["expected"]) > 0.09


def test_expected_max_sharpe_and_min_btl(vectors):
    for case in vectors["expected_max_sharpe"]:
        assert metrics.expected_max_sharpe(case["n_trials"]) == pytest.approx(case["expected"],
                                                                              abs=1e-7)
    for case in vectors["min_btl_years"]:
        got = metrics.min_backtest_length_years(case["n_trials"], case["target_annual_sr"])
        assert got == pytest.approx(case["expected"], abs=1e-9)


def test_min_trl(vectors):
    for case in vectors["min_trl_years"]:
        periods = metrics.min_track_record_length(
            evaluate(case["sr_expr"]), evaluate(case["sr_star_expr"]), case["skew"],
            case["kurt"], case["alpha"],
        )
        assert periods / case["periods_per_year"] == pytest.approx(case["expected"], abs=1e-9)


def test_sharpe_sortino_daily(vectors):
    block = vectors["sharpe_sortino_daily"]
    series = {k: np.array([np.nan if v is None else v for v in s], dtype=float)
              for k, s in block["series"].items()}
    expected = block["expected"]
    for name, value in expected["sharpe"].items():
        assert metrics.sharpe_ratio(series[name], 252) == pytest.approx(value, abs=1e-9)
    assert metrics.downside_risk(series["mixed"], 252, 0.0) == pytest.approx(
        expected["downside_risk_mar0"]["mixed"], abs=1e-9)
    assert metrics.downside_risk(series["mixed"], 252, 0.1) == pytest.approx(
        expected["downside_risk_mar0.1"]["mixed"], abs=1e-9)
    for name, value in expected["sortino_mar0"].items():
        want = math.inf if value == "inf" else value
        assert metrics.sortino_ratio(series[name], 252) == pytest.approx(want, abs=1e-9)


def test_undefined_is_nan():
    assert math.isnan(metrics.sharpe_ratio([0.01], 252))
    assert math.isnan(metrics.sharpe_ratio([0.01, 0.01, 0.01], 252))
    assert math.isnan(metrics.profit_factor([10.0, 5.0]))
    assert math.isnan(metrics.win_rate([]))


def test_max_drawdown_by_hand():
    fraction, money = metrics.max_drawdown([100.0, 120.0, 90.0, 130.0, 117.0])
    assert (fraction, money) == pytest.approx((0.25, 30.0))
