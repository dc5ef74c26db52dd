"""Every bundled strategy through the engine on three real years of Dukascopy EURUSD H1."""

import numpy as np
import pytest

import fxjudge
from tests.conftest import REPO, shared_file

STRATEGIES = ["sma_cross", "ema_atr", "rsi_reversion", "bollinger_reversion",
              "donchian_breakout", "macd_trend", "session_breakout"]


@pytest.fixture(scope="module")
def bars():
    return fxjudge.load_bars(
        shared_file("dukascopy_csv/EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv"))


@pytest.mark.parametrize("name", STRATEGIES)
def test_bundled_strategy_gives_sane_results_on_real_data(bars, name):
    result = fxjudge.backtest(bars, name, costs={"spread_pips": 0.2, "commission_per_lot": 30},
                              project=REPO)
    trades, equity = result.trades, result.equity
    assert len(trades) >= 20, f"{name} traded {len(trades)} times in three years"
    assert (trades["exit_time"] >= trades["entry_time"]).all()  # a stop can hit the entry bar
    assert not (trades["exit_reason"] == "stop_out").any()
    assert np.isfinite(equity["equity"]).all()
    assert abs(result.stats["return_pct"]) < 100  # one lot on a JPY 1,000,000 account
    # longs open at the ask (bid + 0.2 pips here), so a long's entry is above that bar's bid open
    longs = trades[trades["side"] == 1]
    opens = bars["open"].reindex(longs["entry_time"]).to_numpy()
    np.testing.assert_allclose(longs["entry_price"].to_numpy(), opens + 0.00002, atol=1e-9)
    # commission: 30 JPY per lot per side, one 10,000-unit lot
    np.testing.assert_allclose(trades["commission"].to_numpy(), 60.0)
    assert result.stats["trades"] == len(trades)
