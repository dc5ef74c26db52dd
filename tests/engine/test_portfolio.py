"""Portfolios: several legs in one JPY account (the package docstring's "Portfolios").

Every expected number is computed by hand in the comment above it. Portfolios run on the
compiled engine only, so these tests do not take the conftest's engine parameter.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.engine.portfolio import Leg, simulate_portfolio
from tests.engine import parity
from tests.engine.scenario import bars


@pytest.fixture(autouse=True)
def engine() -> str:
    """Overrides the conftest's two engines: a portfolio runs on the compiled one."""
    return "compiled"


def flat(*closes: float) -> list[tuple[float, float, float, float]]:
    """Bars that gap from close to close: each opens, trades and closes at one price."""
    return [(c, c, c, c) for c in closes]


def leg(pair: str, rows, signals, times=None, **kwargs) -> Leg:
    data = bars(rows, pair=pair, spread=0.0, times=times)
    return Leg(pair, data, pd.Series(signals, index=data.index, dtype=float),
               costs=Costs(), sizing=Sizing(lots=1), **kwargs)


def test_cross_rate_from_the_legs_own_bars():
    # JPY account; EURUSD's USD converts to JPY with the USDJPY leg's bars: at a bar's open, the
    # close of the last USDJPY bar closed by then (H1: the previous hour's). USDJPY closes 150,
    # 151, 152, 153, 154. EURUSD long 10,000 at 11:00's open 1.1000 (rate 150), closed by the
    # opposite signal at 13:00's open 1.1100 (rate 152): 100 USD = 15,200 JPY
    usdjpy = leg("USDJPY", flat(150, 151, 152, 153, 154), [0] * 5)
    eurusd = leg("EURUSD", flat(1.10, 1.10, 1.105, 1.11, 1.11), [1, 0, -1, 0, 0])
    result = simulate_portfolio([usdjpy, eurusd], account=Account(currency="JPY"))
    trade = result.trades.iloc[0]
    assert len(result.trades) == 1 and trade.pair == "EURUSD"
    assert trade.pnl_quote == pytest.approx(100.0)
    assert trade.pnl_account == pytest.approx(15_200.0)
    # margin at the entry: 10,000 * 1.1 * 150 / 25 = 66,000 JPY, held at 11:00 and 12:00
    assert list(result.account["used_margin"]) == pytest.approx([0, 66_000, 66_000, 0, 0])
    # 12:00's mark: (1.105 - 1.10) * 10,000 = 50 USD at 12:00's rate 151 = 7,550 JPY
    assert result.account["equity"].iloc[2] == pytest.approx(1_007_550.0)
    assert result.account["margin_level"].iloc[2] == pytest.approx(1_007_550.0 / 66_000)
    assert result.leg_pnl["EURUSD"].iloc[-1] == pytest.approx(15_200.0)
    assert any("with the USDJPY leg's bars" in note for note in result.notes)


def test_stop_out_triggered_by_one_leg_closes_the_largest_loss():
    # 200,000 JPY at 25:1, stop-out at a margin level of 50 %. Both long 10,000 at 11:00's open:
    # USDJPY at 150 (margin 60,000), then EURJPY at 160 (64,000; free margin 140,000): used
    # 124,000, stop-out when equity <= 62,000. At 12:00 EURJPY closes 152: -80,000, equity
    # 120,000 (level 0.97). At 13:00 USDJPY closes 144: -60,000, equity 60,000 <= 62,000: the
    # largest loss, EURJPY, is closed at its close 152 (-80,000); then equity 60,000 / used
    # 60,000 = 1.0 > 0.5 and USDJPY stays open, to the end of the data (144: -60,000)
    usdjpy = leg("USDJPY", flat(150, 150, 150, 144, 144, 144), [1, 0, 0, 0, 0, 0])
    eurjpy = leg("EURJPY", flat(160, 160, 152, 152, 152, 152), [1, 0, 0, 0, 0, 0])
    account = Account(currency="JPY", balance=200_000.0, stop_out_level=0.5)
    result = simulate_portfolio([usdjpy, eurjpy], account=account)
    trades = result.trades.set_index("pair")
    stopped = trades.loc["EURJPY"]
    assert stopped.exit_reason == "stop_out"
    assert stopped.exit_time == pd.Timestamp("2024-01-02 13:00", tz="UTC")
    assert stopped.exit_price == pytest.approx(152.0)
    assert stopped.net_account == pytest.approx(-80_000.0)
    kept = trades.loc["USDJPY"]
    assert kept.exit_reason == "end_of_data"
    assert kept.net_account == pytest.approx(-60_000.0)
    account_rows = result.account
    assert account_rows["equity"].iloc[2] == pytest.approx(120_000.0)
    assert account_rows["margin_level"].iloc[3] == pytest.approx(1.0)
    assert list(account_rows["balance"]) == pytest.approx(
        [200_000, 200_000, 200_000, 120_000, 120_000, 60_000])
    assert list(result.units["EURJPY"]) == [0, 10_000, 10_000, 0, 0, 0]


def test_a_leg_without_a_bar_keeps_its_last_mark_and_is_stopped_out_at_it():
    # the previous case with no EURJPY bar at 13:00: EURJPY keeps its 12:00 mark (152,
    # -80,000) when USDJPY's 13:00 close (144, -60,000) brings equity to 60,000 <= 62,000; the
    # stop-out closes EURJPY at that last close, its exit_time the 12:00 bar's
    hours = ["2024-01-02 10:00", "2024-01-02 11:00", "2024-01-02 12:00", "2024-01-02 14:00",
             "2024-01-02 15:00"]
    usdjpy = leg("USDJPY", flat(150, 150, 150, 144, 144, 144), [1, 0, 0, 0, 0, 0])
    eurjpy = leg("EURJPY", flat(160, 160, 152, 152, 152), [1, 0, 0, 0, 0], times=hours)
    account = Account(currency="JPY", balance=200_000.0, stop_out_level=0.5)
    result = simulate_portfolio([usdjpy, eurjpy], account=account)
    stopped = result.trades.set_index("pair").loc["EURJPY"]
    assert stopped.exit_reason == "stop_out"
    assert stopped.exit_time == pd.Timestamp("2024-01-02 12:00", tz="UTC")
    assert stopped.net_account == pytest.approx(-80_000.0)
    assert len(result.account) == 6  # the union of the two legs' times
    assert list(result.account["balance"]) == pytest.approx(
        [200_000, 200_000, 200_000, 120_000, 120_000, 60_000])
    assert list(result.units["EURJPY"]) == [0, 10_000, 10_000, 0, 0, 0]


def test_entry_rejected_for_the_margin_the_other_leg_holds():
    # 100,000 JPY at 25:1. USDJPY long 10,000 at 11:00's open 150: margin 60,000. EURJPY's
    # signal at 11:00 asks for 10,000 at 12:00's open 160: margin 64,000 > free margin
    # 100,000 - 60,000 = 40,000: rejected. Alone it fits (64,000 <= 100,000)
    usdjpy = leg("USDJPY", flat(150, 150, 150, 150), [1, 0, 0, 0])
    eurjpy = leg("EURJPY", flat(160, 160, 160, 160), [0, 1, 0, 0])
    account = Account(currency="JPY", balance=100_000.0)
    result = simulate_portfolio([usdjpy, eurjpy], account=account)
    assert list(result.trades["pair"]) == ["USDJPY"]
    assert "EURJPY: 1 entries skipped, rejected: required margin above the free margin" \
        in result.notes
    alone = simulate_portfolio([eurjpy], account=account)
    assert list(alone.trades["pair"]) == ["EURJPY"]
    assert alone.trades["entry_price"].iloc[0] == pytest.approx(160.0)


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(parity.scenarios())
def test_one_leg_is_the_one_pair_engine(scenario):
    # without a stop-out (tested at the closes in a portfolio, solved inside the bar for one
    # pair) and lower bars (not taken by a leg), a one-leg portfolio is the one-pair run
    arguments = parity.build(scenario)
    if arguments["lower_bars"] is not None:
        return
    account = dataclasses.replace(arguments["account"], stop_out_level=0.0)
    alone = simulate(**{**arguments, "account": account}, engine="compiled")
    one = Leg(arguments["pair"], arguments["bars"], arguments["signals"], arguments["levels"],
              arguments["rules"], arguments["costs"], arguments["sizing"],
              arguments["probability"], arguments["entries_allowed"])
    result = simulate_portfolio([one], account=account, conversion=arguments["conversion"])
    pd.testing.assert_frame_equal(result.trades.drop(columns="pair"), alone.trades,
                                  check_exact=True)
    equity = alone.equity
    for column in ("balance", "equity", "used_margin"):
        np.testing.assert_allclose(result.account[column].to_numpy(), equity[column].to_numpy(),
                                   rtol=1e-12, atol=1e-9 * account.balance)
    np.testing.assert_array_equal(result.units.iloc[:, 0].to_numpy(),
                                  equity["position_units"].to_numpy())


@pytest.mark.parametrize("case", [
    test_cross_rate_from_the_legs_own_bars,
    test_stop_out_triggered_by_one_leg_closes_the_largest_loss,
    test_a_leg_without_a_bar_keeps_its_last_mark_and_is_stopped_out_at_it,
    test_entry_rejected_for_the_margin_the_other_leg_holds,
])
def test_hand_cases_on_the_reference(case, monkeypatch):
    # the same hand-computed cases on the backtrader engine
    monkeypatch.setitem(simulate_portfolio.__kwdefaults__, "engine", "backtrader")
    case()
