"""Statistics against the reference values of ../shared/vectors/statistics.json."""

import math

import numpy as np
import pandas as pd
import pytest
from tests.conftest import shared_vectors

from fxjudge.config import sample_path
from fxjudge.results import metrics


@pytest.fixture(scope="module")
def vectors():
    return shared_vectors("statistics.json")


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


# --- issue 5: the report's statistics, each against numbers computed by hand ---

def daily_series(values, start="2017-01-02 12:00"):
    index = pd.date_range(start, periods=len(values), freq="D", tz="UTC")
    return pd.Series(values, index=index, dtype=float)


def test_cagr_and_calmar_by_hand():
    assert metrics.cagr(100.0, 121.0, 2.0) == pytest.approx(0.10)
    assert math.isnan(metrics.cagr(100.0, 0.0, 1.0))  # wiped out: not defined
    assert math.isnan(metrics.cagr(100.0, 110.0, 0.0))
    assert metrics.calmar_ratio(0.10, 0.25) == pytest.approx(0.4)
    assert math.isnan(metrics.calmar_ratio(0.10, 0.0))
    index = pd.DatetimeIndex(["2017-01-01", "2019-01-01"], tz="UTC")
    assert metrics.span_years(index) == pytest.approx(730 / 365.25)


def test_drawdown_duration_in_days_by_hand():
    # peak 120 on day 1, back above it on day 4: three days under water
    assert metrics.max_drawdown_duration(daily_series([100, 120, 90, 110, 125, 100])) == 3.0
    # never recovered: lasts until the last point (day 2)
    assert metrics.max_drawdown_duration(daily_series([100, 90, 95])) == 2.0
    # back exactly at the peak ends it (day 0 to day 2)
    assert metrics.max_drawdown_duration(daily_series([100, 90, 100, 130])) == 2.0
    assert metrics.max_drawdown_duration(daily_series([100, 110, 120])) == 0.0
    assert math.isnan(metrics.max_drawdown_duration(daily_series([])))


def test_trade_statistics_by_hand():
    pnl = [10, -5, 20, -15, 0, -5, -5, 30]
    assert metrics.average_win(pnl) == 20.0
    assert metrics.average_loss(pnl) == -7.5
    assert metrics.payoff_ratio(pnl) == pytest.approx(20 / 7.5)
    assert metrics.largest_win(pnl) == 30.0
    assert metrics.largest_loss(pnl) == -15.0
    assert metrics.max_consecutive(pnl) == 2.0  # the zero breaks the first run of losses
    assert metrics.max_consecutive(pnl, losses=False) == 1.0
    # mean 3.75; squared deviations sum to 1587.5
    assert metrics.sqn(pnl) == pytest.approx(math.sqrt(8) * 3.75 / math.sqrt(1587.5 / 7))
    assert metrics.recovery_factor(50.0, 25.0) == 2.0
    assert math.isnan(metrics.recovery_factor(50.0, 0.0))
    assert math.isnan(metrics.payoff_ratio([1.0, 2.0]))
    assert math.isnan(metrics.largest_loss([1.0, 2.0]))
    assert math.isnan(metrics.max_consecutive([]))
    assert math.isnan(metrics.sqn([4.0, 4.0]))


def test_exposure_and_trades_per_month_by_hand():
    assert metrics.exposure([0, 10_000, -10_000, 0]) == 0.5
    assert metrics.trades_per_month(24, 2.0) == 1.0
    assert math.isnan(metrics.trades_per_month(3, 0.0))


def test_fx_trading_dates_close_in_new_york():
    starts = pd.DatetimeIndex(["2017-01-01 22:00", "2017-06-29 21:00"], tz="UTC")
    # Sunday 17:00 EST opens Monday 2 Jan; Thursday 17:00 EDT opens Friday 30 June
    assert list(metrics.fx_trading_dates(starts).strftime("%Y-%m-%d")) == [
        "2017-01-02", "2017-06-30"]


def test_monthly_returns_end_on_the_fx_day():
    equity = pd.Series(
        [100.0, 110.0, 99.0, 121.0],
        index=pd.DatetimeIndex(["2017-01-30 12:00", "2017-01-31 12:00",
                                "2017-01-31 23:00",  # after 17:00 New York: February's
                                "2017-02-28 12:00"], tz="UTC"),
    )
    table = metrics.monthly_returns(equity, start_value=100.0)
    assert list(table.index) == [2017]
    assert table.loc[2017, 1] == pytest.approx(0.10)  # 110 / 100 - 1
    assert table.loc[2017, 2] == pytest.approx(0.10)  # 121 / 110 - 1
    assert table.loc[2017, "year"] == pytest.approx(0.21)
    assert table.loc[2017, [3, 12]].isna().all()


@pytest.fixture
def small_result():
    from fxjudge.results.result import BacktestResult

    times = pd.date_range("2017-01-02 12:00", periods=5, freq="D", tz="UTC")  # Mon..Fri
    equity = pd.DataFrame({"balance": [1000, 1000, 1000, 1030, 1020],
                           "equity": [1000, 1010, 1005, 1030, 1020],
                           "used_margin": 0.0, "position_units": [0, 100, 100, 0, 0]},
                          index=pd.Index(times, name="time"), dtype=float)
    trades = pd.DataFrame({"net_account": [30.0, -10.0], "pips": [31.5, -9.0],
                           "commission": [1.0, 1.0], "swap": [-0.5, 0.0], "side": [1, -1]})
    config = {"account": {"balance": 1000.0, "currency": "USD"}}
    return BacktestResult(trades=trades, equity=equity, config=config)


def test_full_statistics_by_hand(small_result):
    values, reasons = metrics.full_statistics(small_result)
    years = 4 / 365.25
    assert values["years"] == pytest.approx(years)
    assert values["cagr_pct"] == pytest.approx((1.02 ** (1 / years) - 1) * 100)
    assert values["max_drawdown_days"] == 2.0  # 1010 on day 1, 1030 on day 3
    assert values["exposure_pct"] == 40.0
    assert values["total_pips"] == 22.5
    assert values["commission_paid"] == 2.0
    assert values["swap_net"] == -0.5
    assert values["payoff_ratio"] == 3.0
    assert values["max_consecutive_losses"] == 1.0
    assert values["trades_per_month"] == pytest.approx(2 / (years * 12))
    # PSR vs 0 on the per-period (daily) Sharpe and daily moments of the 5 FX days
    r = np.array([0.0, 0.01, 1005 / 1010 - 1, 1030 / 1005 - 1, 1020 / 1030 - 1])
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = metrics.moments(r)
    assert values["sharpe_daily"] == pytest.approx(sr)
    assert values["psr"] == pytest.approx(metrics.probabilistic_sharpe_ratio(sr, 0, 5, skew, kurt))
    assert values["min_trl_days"] == pytest.approx(
        1 + (1 - skew * sr + (kurt - 1) / 4 * sr**2) * (1.6448536269514722 / sr) ** 2)
    assert math.isnan(values["dsr"]) and "n_trials" in reasons["dsr"]
    # MetaTrader's figures
    assert (values["gross_profit"], values["gross_loss"]) == (30.0, -10.0)
    assert (values["long_trades"], values["long_win_rate"], values["long_net"]) == (1, 1.0, 30)
    assert (values["short_trades"], values["short_win_rate"], values["short_net"]) == (1, 0, -10)


def test_metatrader_drawdowns_by_hand():
    """Equity from 1000: up to 1100, down to 990 (a 110 fall, 10 % of its peak), never below
    the start but for that, then up to 2000 and down to 1700 (a 300 fall, 15 %)."""
    figures = metrics.tester_drawdowns([1100, 990, 2000, 1700], 1000.0)
    assert figures == {"absolute_drawdown": 10.0, "max_drawdown_money": 300.0,
                       "maximal_drawdown_pct": 15.0, "max_drawdown_pct": 15.0,
                       "relative_drawdown_money": 300.0}
    apart = metrics.tester_drawdowns([1100, 880, 3000, 2700], 1000.0)  # 20 % of 1100, 300 of 3000
    assert apart["max_drawdown_money"] == 300 and apart["maximal_drawdown_pct"] == 10.0
    assert apart["max_drawdown_pct"] == pytest.approx(20.0)
    assert apart["relative_drawdown_money"] == pytest.approx(220.0)
    assert apart["absolute_drawdown"] == 120.0
    assert metrics.tester_drawdowns([1001, 1002], 1000.0)["absolute_drawdown"] == 0.0


def test_dsr_only_with_several_trials(small_result):
    values, _ = metrics.full_statistics(small_result, n_trials=10, trials_sr_variance=0.01)
    r = np.array([0.0, 0.01, 1005 / 1010 - 1, 1030 / 1005 - 1, 1020 / 1030 - 1])
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = metrics.moments(r)
    sr0 = 0.1 * 1.5745983  # sqrt(variance) x E[max of 10 normals]
    assert values["dsr_sr0"] == pytest.approx(sr0, abs=1e-7)
    assert values["dsr"] == pytest.approx(
        metrics.probabilistic_sharpe_ratio(sr, sr0, 5, skew, kurt), abs=1e-6)
    noise, _ = metrics.full_statistics(small_result, n_trials=10)  # variance 1 / (days - 1)
    assert noise["dsr_sr0"] == pytest.approx(math.sqrt(1 / 4) * 1.5745983, abs=1e-7)


def test_full_statistics_without_trades_says_why():
    from fxjudge.results.result import BacktestResult

    times = pd.date_range("2017-01-02 12:00", periods=3, freq="D", tz="UTC")
    equity = pd.DataFrame({"balance": 500.0, "equity": 500.0, "used_margin": 0.0,
                           "position_units": 0.0}, index=pd.Index(times, name="time"))
    trades = pd.DataFrame(columns=["net_account", "pips", "commission", "swap"], dtype=float)
    result = BacktestResult(trades=trades, equity=equity, config={"account": {"balance": 500}})
    values, reasons = metrics.full_statistics(result)
    assert values["total_pips"] == 0.0 and values["cagr_pct"] == 0.0
    assert reasons["avg_win"] == "no trades" and reasons["sqn"] == "no trades"
    assert reasons["calmar"] == "no drawdown" and reasons["psr"].startswith("too few")


def test_dsr_over_the_trials_variance_of_issue_10():
    """Three trials with per-day Sharpes 3.5, 1.01 and 1.02, the best observed 1.14 over 250
    days (normal returns): the assumed variance 1/(T-1) barely deflates (DSR 1.000); the trials'
    own spread does, 0.958 with ddof 0 and 0.152 with ddof 1, the one fxjudge uses."""
    sharpes = [3.5, 1.01, 1.02]
    mean = sum(sharpes) / 3
    by_hand = sum((s - mean) ** 2 for s in sharpes) / 2
    assert metrics.TRIALS_SR_DDOF == 1
    assert metrics.trials_sr_variance(sharpes) == pytest.approx(by_hand) == pytest.approx(2.058433,
                                                                                       abs=1e-6)
    assumed, _ = metrics.deflated_sharpe_ratio(1.14, 1 / 249, 3, 250, 0.0, 3.0)
    ddof0, _ = metrics.deflated_sharpe_ratio(1.14, metrics.trials_sr_variance(sharpes, ddof=0),
                                             3, 250, 0.0, 3.0)
    ddof1, sr0 = metrics.deflated_sharpe_ratio(1.14, metrics.trials_sr_variance(sharpes), 3,
                                               250, 0.0, 3.0)
    assert round(assumed, 3) == 1.000 and round(ddof0, 3) == 0.958 and round(ddof1, 3) == 0.152
    assert sr0 == pytest.approx(math.sqrt(by_hand) * metrics.expected_max_sharpe(3))


def test_trials_variance_needs_two_finite_sharpes():
    assert math.isnan(metrics.trials_sr_variance([1.0]))
    assert math.isnan(metrics.trials_sr_variance([1.0, math.nan]))
    assert metrics.trials_sr_variance([1.0, math.nan, 3.0]) == 2.0


def test_full_statistics_says_which_variance_it_used(small_result):
    given, _ = metrics.full_statistics(small_result, n_trials=10, trials_sr_variance=0.01)
    assert given["trials_sr_variance"] == 0.01 and given["trials_sr_variance_assumed"] == 0.0
    assumed, _ = metrics.full_statistics(small_result, n_trials=10)
    assert assumed["trials_sr_variance"] == 0.25 and assumed["trials_sr_variance_assumed"] == 1.0
    one, reasons = metrics.full_statistics(small_result)
    assert math.isnan(one["trials_sr_variance"]) and "n_trials" in reasons["trials_sr_variance"]


def test_daily_returns_from_the_day_ends_equal_fx_daily_returns():
    """A search computes the FX-day calendar once; on the bundled sample (a year of H1, DST
    changes, weekends) its returns are fx_daily_returns' to the last digit."""

    from fxjudge.data.load import load_bars

    bars = load_bars(sample_path())
    equity = pd.Series(1000 + np.cumsum(np.random.default_rng(5).normal(0, 1, len(bars))),
                       index=bars.index)
    days, ends = metrics.fx_day_ends(bars.index)
    fast = metrics.daily_returns_at(equity.to_numpy(), ends, 1000.0)
    slow = metrics.fx_daily_returns(equity, start_value=1000.0)
    np.testing.assert_array_equal(fast, slow.to_numpy())
    assert days.equals(slow.index)


def test_max_consecutive_counts_runs_as_a_loop_would():
    def loop(values, losses):
        longest = run = 0
        for value in values:
            run = run + 1 if (value < 0 if losses else value > 0) else 0
            longest = max(longest, run)
        return float(longest)

    rng = np.random.default_rng(11)
    for _ in range(200):
        values = rng.integers(-2, 3, size=int(rng.integers(1, 40))).astype(float)
        for losses in (True, False):
            assert metrics.max_consecutive(values, losses) == loop(values, losses)
    assert metrics.max_consecutive([1.0, -1, -1, 0, -1], losses=True) == 2.0
    assert math.isnan(metrics.max_consecutive([]))
