"""`fxjudge.backtest_portfolio` on the bundled sample: the front door, its result and its judge.

The sample's EURUSD H1 2017 bars serve as two legs (EURUSD, and relabelled as GBPUSD) of one
USD account, so that nothing needs a conversion and the run is quick.
"""

from __future__ import annotations

import math

import pytest

import fxjudge
from fxjudge.errors import ConfigError


@pytest.fixture(scope="module")
def legs():
    bars = fxjudge.load_bars(fxjudge.sample_path())
    return [{"data": bars, "pair": "EURUSD"}, {"data": bars, "pair": "GBPUSD",
                                               "sizing": {"lots": 2}}]


ACCOUNT = {"currency": "USD", "balance": 20_000.0, "leverage": 25.0}


def test_stats_are_the_accounts(legs):
    run = fxjudge.backtest_portfolio(legs, strategy="sma_cross", costs={"spread_pips": 1.0},
                                     account=ACCOUNT)
    trades = run.account.trades
    assert set(trades["pair"]) == {"EURUSD", "GBPUSD"}
    assert set(trades.loc[trades["pair"] == "GBPUSD", "units"]) == {20_000}
    assert run.stats["net_profit"] == pytest.approx(trades["net_account"].sum())
    assert run.stats["trades"] == len(trades)
    # the same bars twice, twice the size: the legs' daily returns move together (not exactly:
    # each is its P&L over the balance plus that P&L)
    assert run.correlation().loc["EURUSD", "GBPUSD"] == pytest.approx(1.0, abs=1e-3)


def test_one_walk_forward_judge_per_pair(legs):
    run = fxjudge.backtest_portfolio(legs, strategy="sma_cross", costs={"spread_pips": 1.0},
                                     account=ACCOUNT, judge="walk-forward")
    assert run.without_judge is not None
    judged, plain = run.account.trades, run.without_judge.account.trades
    assert len(judged) <= len(plain)
    # every judged trade carries its out-of-sample probability, or none before the first fit
    assert judged["probability"].notna().any()
    assert run.account.config["judge"]["models"] == "per-pair"
    assert not math.isnan(run.stats["net_profit"])


def test_a_leg_says_what_is_wrong(legs):
    with pytest.raises(ConfigError, match="unknown keys"):
        fxjudge.backtest_portfolio([{**legs[0], "symbol": "EURUSD"}], strategy="sma_cross")
    with pytest.raises(ConfigError, match="needs a `strategy`"):
        fxjudge.backtest_portfolio(legs)
