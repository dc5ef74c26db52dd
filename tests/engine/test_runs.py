"""Whole runs checked against independent computations: the feed, the judge's exit logic, the
account's books, and real HistData files (EURUSD traded in a JPY account via real USDJPY bars).
"""

from __future__ import annotations

from functools import cache

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from fxjudge.data.load import load_bars
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.engine.backtrader_engine import ArrayFeed
from fxjudge.signals.barriers import SLIPPED_REASONS, barrier_exit
from fxjudge.signals.exits import ExitRules
from tests.conftest import shared_file


class _Record(bt.Strategy):
    def start(self):
        self.seen = []

    def next(self):
        data = self.data
        self.seen.append((bt.num2date(data.datetime[0]), data.open[0], data.close[0]))


@pytest.mark.parametrize("engine", ["backtrader"])  # the feed is the backtrader engine's
@pytest.mark.parametrize("bulk", [True, False])
def test_the_array_feed_delivers_every_bar_with_its_utc_time(bulk, monkeypatch, engine):
    bars = synthetic_bars("EURUSD", n_bars=500, seed=3)
    monkeypatch.setattr(ArrayFeed, "bulk_preload", bulk)
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(ArrayFeed(bars.index.as_unit("ns").asi8, bars["open"], bars["high"],
                              bars["low"], bars["close"], bars["volume"]))
    cerebro.addstrategy(_Record)
    seen = cerebro.run()[0].seen
    assert [t for t, _, _ in seen] == list(bars.index.tz_localize(None).to_pydatetime())
    assert [c for _, _, c in seen] == bars["close"].tolist()
    assert [o for _, o, _ in seen] == bars["open"].tolist()


def _alternating(index: pd.DatetimeIndex, every: int) -> pd.Series:
    signal = np.zeros(len(index))
    signal[5::every] = np.resize([1.0, -1.0], len(signal[5::every]))
    return pd.Series(signal, index=index)


def test_engine_exits_match_the_pure_exit_logic_the_judge_uses():
    # with opposite signals ignored and no stop-out, each trade is its candidate taken alone
    bars = synthetic_bars("EURUSD", n_bars=3_000, timeframe="M5", seed=11)
    pip = 0.0001
    levels = pd.DataFrame({"stop_distance": 15 * pip, "target_distance": 25 * pip},
                          index=bars.index)
    costs = Costs(slippage_pips=0.3)
    result = simulate(
        bars, _alternating(bars.index, 37), levels, pair="EURUSD",
        rules=ExitRules(stop_loss_pips=15, take_profit_pips=25, max_bars=30, on_opposite="ignore"),
        costs=costs, account=Account(currency="USD", balance=1e6, stop_out_level=0.0),
        sizing=Sizing(units=10_000),
    )
    assert len(result.trades) > 20
    assert set(result.trades["exit_reason"]) >= {"stop_loss", "take_profit", "time"}
    arrays = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "spread")]
    for trade in result.trades.itertuples():
        entry = bars.index.get_loc(trade.entry_time)
        expected = barrier_exit(
            trade.side, *arrays, trade.entry_price - trade.side * 15 * pip,
            trade.entry_price + trade.side * 25 * pip, entry=entry, max_bars=30,
        )
        price = expected.price
        if expected.reason in SLIPPED_REASONS:
            price -= trade.side * 0.3 * pip
        assert (trade.exit_time, trade.exit_reason) == (bars.index[expected.index], expected.reason)
        assert trade.exit_price == pytest.approx(price, abs=1e-12)


def test_books_balance_with_every_cost():
    # final balance = initial + sum of net results; equity = balance when flat; the cash moves
    # only at entries and exits
    bars = synthetic_bars("USDJPY", n_bars=4_000, timeframe="M15", seed=5)
    levels = pd.DataFrame({"stop_distance": 0.30, "target_distance": 0.50}, index=bars.index)
    account = Account(currency="EUR", balance=20_000.0, leverage=25.0)
    result = simulate(
        bars, _alternating(bars.index, 23), levels, pair="USDJPY",
        rules=ExitRules(stop_loss_pips=30, take_profit_pips=50, max_bars=60,
                        on_opposite="reverse"),
        costs=Costs(slippage_pips=0.2, commission_per_lot=2.0, swap_long_pips=0.8,
                    swap_short_pips=-1.2),
        account=account, sizing=Sizing(risk_fraction=0.005), conversion=0.0061,
    )
    trades, equity = result.trades, result.equity
    assert len(trades) > 50 and (trades["swap"] != 0).any()
    assert equity["balance"].iloc[-1] == pytest.approx(20_000 + trades["net_account"].sum())
    assert equity["equity"].iloc[-1] == pytest.approx(equity["balance"].iloc[-1])
    flat = equity["position_units"] == 0
    assert (equity.loc[flat, "equity"] == equity.loc[flat, "balance"]).all()
    entries, exits = trades["entry_time"].to_numpy(), trades["exit_time"].to_numpy()
    assert (entries[1:] >= exits[:-1]).all()
    assert trades["net_account"].to_numpy() == pytest.approx(
        (trades["pnl_account"] + trades["swap"] - trades["commission"]).to_numpy()
    )
    # P&L in JPY converted to EUR at the fixed rate; pips * pip size * units = pnl_quote
    pnl_quote = trades["pnl_quote"].to_numpy()
    assert trades["pnl_account"].to_numpy() == pytest.approx(pnl_quote * 0.0061)
    assert (trades["pips"] * 0.01 * trades["units"]).to_numpy() == pytest.approx(
        trades["pnl_quote"].to_numpy()
    )


@cache
def _histdata(name: str) -> pd.DataFrame:
    return load_bars(shared_file(f"histdata_m1/HISTDATA_COM_ASCII_{name}_M12018.zip"),
                     start="2018-03-01", end="2018-04-01")


@pytest.mark.shared_data
def test_real_eurusd_in_a_jpy_account_with_real_usdjpy_bars():
    eurusd, usdjpy = _histdata("EURUSD"), _histdata("USDJPY")
    close = eurusd["close"]
    fast, slow = close.rolling(60).mean(), close.rolling(240).mean()
    above = (fast > slow).astype(int).where(slow.notna(), 0)
    signals = above.diff().fillna(0).clip(-1, 1) * slow.notna()
    result = simulate(
        eurusd, signals, None, pair="EURUSD", rules=ExitRules(on_opposite="reverse"),
        costs=Costs(spread_pips=0.8), account=Account(), sizing=Sizing(lots=1),
        conversion=usdjpy,
    )
    trades = result.trades
    assert len(trades) > 20
    # independent: entries at the next open (+ 0.8 pip for a long), exits at the next open
    opens = eurusd["open"]
    for trade in trades.itertuples():
        ask = 0.8 * 0.0001 if trade.side > 0 else 0.0
        assert trade.entry_price == pytest.approx(opens[trade.entry_time] + ask, abs=1e-12)
    # the USDJPY rate of each exit: close of the last USDJPY M1 bar closed by then (open + 1 min)
    closed = pd.Series(usdjpy["close"].to_numpy(), index=usdjpy.index + pd.Timedelta(minutes=1))
    rates = closed.reindex(closed.index.union(trades["exit_time"])).ffill()[trades["exit_time"]]
    assert trades["pnl_account"].to_numpy() == pytest.approx(
        trades["pnl_quote"].to_numpy() * rates.to_numpy()
    )
    assert result.equity["balance"].iloc[-1] == pytest.approx(
        1_000_000 + trades["net_account"].sum()
    )
    assert any("USDJPY bars" in note for note in result.notes)
