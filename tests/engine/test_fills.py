"""Fills, exits and their prices, each scenario computed by hand in its comments."""

from __future__ import annotations

import pandas as pd
import pytest

from fxjudge.engine import Costs
from fxjudge.signals.exits import ExitRules
from tests.engine.scenario import BASE_ROWS, bars, only_trade, run

PIP = 0.0001
T = pd.Timestamp


def test_long_opens_at_the_ask_and_closes_at_the_bid():
    # signal +1 at bar 0, -1 at bar 2 (on_opposite="exit"): buy at bar 1's ask open
    # 1.1006 + 0.0002 = 1.1008, sell at bar 3's bid open 1.1036: 28 pips = 28 USD on 10,000.
    trade = only_trade(run(bars(), [1, 0, -1, 0, 0]))
    assert trade.entry_time == T("2024-01-02 11:00", tz="UTC")
    assert trade.exit_time == T("2024-01-02 13:00", tz="UTC")
    assert trade.side == 1 and trade.units == 10_000
    assert trade.entry_price == pytest.approx(1.1008, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.1036, abs=1e-12)
    assert trade.exit_reason == "opposite"
    assert trade.pips == pytest.approx(28.0)
    assert trade.pnl_quote == pytest.approx(28.0)
    assert trade.pnl_account == pytest.approx(28.0)
    assert trade.net_account == pytest.approx(28.0)
    assert trade.bars_held == 2
    # worst bid 1.1000 (bar 1 low): 8 pips against; best bid 1.1040 (bar 2 high): 32 in favour
    assert trade.mae_pips == pytest.approx(8.0)
    assert trade.mfe_pips == pytest.approx(32.0)


def test_short_opens_at_the_bid_and_closes_at_the_ask():
    # sell at bar 1's bid open 1.1006, buy back at bar 3's ask open 1.1036 + 0.0002 = 1.1038
    trade = only_trade(run(bars(), [-1, 0, 1, 0, 0]))
    assert trade.side == -1
    assert trade.entry_price == pytest.approx(1.1006, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.1038, abs=1e-12)
    assert trade.pips == pytest.approx(-32.0)
    assert trade.pnl_account == pytest.approx(-32.0)
    # worst ask 1.1040 + 0.0002 = 1.1042 (36 pips against), best ask 1.1000 + 0.0002 (4 pips)
    assert trade.mae_pips == pytest.approx(36.0)
    assert trade.mfe_pips == pytest.approx(4.0)


def test_equity_is_marked_at_the_bid_close_every_bar():
    result = run(bars(), [1, 0, -1, 0, 0])
    equity = result.equity
    # bar 1: bid close 1.1025 - 1.1008 = 17 pips = 17 USD; bar 2: 1.1035 - 1.1008 = 27
    assert list(equity["equity"]) == pytest.approx([10_000, 10_017, 10_027, 10_028, 10_028])
    assert list(equity["balance"]) == pytest.approx([10_000, 10_000, 10_000, 10_028, 10_028])
    # used margin: 10,000 units * 1.1008 / 25 = 440.32 USD while the position is open
    assert list(equity["used_margin"]) == pytest.approx([0, 440.32, 440.32, 0, 0])
    assert list(equity["position_units"]) == [0, 10_000, 10_000, 0, 0]


LOSING_ROWS = [
    BASE_ROWS[0],
    (1.1006, 1.1012, 1.1000, 1.1010),
    (1.1010, 1.1015, 1.0995, 1.1000),
    BASE_ROWS[3],
]


def test_long_stop_triggers_on_the_bid_low():
    # buy 1.1008, stop 10 pips = 1.0998; bar 1 low 1.1000 does not reach it, bar 2 low 1.0995
    # does: sold at the stop 1.0998 inside bar 2, -10 pips
    trade = only_trade(run(bars(LOSING_ROWS), [1, 0, 0, 0], stop_pips=10))
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_time == T("2024-01-02 12:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.0998, abs=1e-12)
    assert trade.pips == pytest.approx(-10.0)
    assert trade.bars_held == 2
    assert trade.same_bar_rule == ""
    # the part of bar 2 after the stop does not count: 10 pips against, bar 1 high +4 pips
    assert trade.mae_pips == pytest.approx(10.0)
    assert trade.mfe_pips == pytest.approx(4.0)


def test_short_stop_triggers_on_the_ask_high():
    # sell 1.1006, stop 10 pips = 1.1016; bar 1 ask high 1.1012 + 0.0002 = 1.1014 does not reach
    # it; bar 2's bid high 1.1015 alone would not either, its ask high 1.1017 does
    trade = only_trade(run(bars(LOSING_ROWS), [-1, 0, 0, 0], stop_pips=10))
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_time == T("2024-01-02 12:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1016, abs=1e-12)
    assert trade.pips == pytest.approx(-10.0)


def test_long_target_triggers_on_the_bid_high_in_the_entry_bar():
    # buy 1.1008, target 20 pips = 1.1028; the entry bar's bid high 1.1030 reaches it
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], target_pips=20))
    assert trade.exit_reason == "take_profit"
    assert trade.exit_time == T("2024-01-02 11:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1028, abs=1e-12)
    assert trade.pips == pytest.approx(20.0)
    assert trade.bars_held == 1


def test_short_target_triggers_on_the_ask_low():
    # sell 1.1006, target 10 pips = 1.0996; bar 1 ask low 1.1002, bar 2 ask low 1.0997 (no),
    # bar 3 with bid low 1.0993 has ask low 1.0995: bought back at 1.0996
    rows = [BASE_ROWS[0], (1.1006, 1.1012, 1.1000, 1.1010), (1.1010, 1.1015, 1.0995, 1.1000),
            (1.1000, 1.1004, 1.0993, 1.0999)]
    trade = only_trade(run(bars(rows), [-1, 0, 0, 0], target_pips=10))
    assert trade.exit_reason == "take_profit"
    assert trade.exit_time == T("2024-01-02 13:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.0996, abs=1e-12)
    assert trade.pips == pytest.approx(10.0)


def test_a_gap_through_the_stop_fills_at_the_open():
    # buy 1.1008, stop 1.0998; bar 2 opens at 1.0990, below the stop: sold at 1.0990, -18 pips
    rows = [BASE_ROWS[0], (1.1006, 1.1012, 1.1000, 1.1010), (1.0990, 1.0995, 1.0980, 1.0985)]
    trade = only_trade(run(bars(rows), [1, 0, 0], stop_pips=10))
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_price == pytest.approx(1.0990, abs=1e-12)
    assert trade.pips == pytest.approx(-18.0)


def test_a_gap_through_the_target_fills_at_the_better_open():
    # buy 1.1008, target 1.1028; bar 2 opens at 1.1035: sold at 1.1035, +27 pips
    rows = [BASE_ROWS[0], (1.1006, 1.1012, 1.1000, 1.1010), (1.1035, 1.1040, 1.1030, 1.1032)]
    trade = only_trade(run(bars(rows), [1, 0, 0], target_pips=20))
    assert trade.exit_reason == "take_profit"
    assert trade.exit_price == pytest.approx(1.1035, abs=1e-12)
    assert trade.pips == pytest.approx(27.0)


AMBIGUOUS_ROWS = [
    BASE_ROWS[0],
    (1.1006, 1.1012, 1.1000, 1.1010),
    (1.1010, 1.1030, 1.0995, 1.1000),  # reaches both 1.0998 and 1.1028
    BASE_ROWS[3],
]


def test_stop_and_target_in_one_bar_the_stop_wins_and_is_recorded():
    trade = only_trade(run(bars(AMBIGUOUS_ROWS), [1, 0, 0, 0], stop_pips=10, target_pips=20))
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_price == pytest.approx(1.0998, abs=1e-12)
    assert trade.same_bar_rule == "stop_first"


def test_lower_timeframe_bars_resolve_the_same_bar_order():
    # bar 2 (12:00-13:00) in M15: the first quarter reaches 1.1030 >= target 1.1028 first
    lower = bars(
        [(1.1010, 1.1030, 1.1008, 1.1025), (1.1025, 1.1026, 1.0995, 1.1000),
         (1.1000, 1.1004, 1.0996, 1.1001), (1.1001, 1.1003, 1.0999, 1.1000)],
        start="2024-01-02 12:00", freq="15min", timeframe="M15",
    )
    result = run(bars(AMBIGUOUS_ROWS), [1, 0, 0, 0], stop_pips=10, target_pips=20,
                 lower_bars=lower)
    trade = only_trade(result)
    assert trade.exit_reason == "take_profit"
    assert trade.exit_price == pytest.approx(1.1028, abs=1e-12)
    assert trade.same_bar_rule == "lower_timeframe"


def test_time_exit_at_the_open_after_max_bars_held():
    # buy at bar 1's open, max_bars=2: held in bars 1 and 2, sold at bar 3's bid open 1.1036
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], rules=ExitRules(max_bars=2)))
    assert trade.exit_reason == "time"
    assert trade.exit_time == T("2024-01-02 13:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1036, abs=1e-12)
    assert trade.bars_held == 2


def test_reverse_on_the_opposite_signal():
    # +1 at bar 0, -1 at bar 2, on_opposite="reverse": at bar 3's open sell the long at the bid
    # 1.1036 and open a short at the same bid; the short ends at the last close, bought at the
    # ask 1.1032 + 0.0002 = 1.1034: +2 pips
    result = run(bars(), [1, 0, -1, 0, 0], rules=ExitRules(on_opposite="reverse"))
    first, second = result.trades.iloc[0], result.trades.iloc[1]
    assert len(result.trades) == 2
    assert first.exit_reason == "reverse"
    assert first.exit_price == pytest.approx(1.1036, abs=1e-12)
    assert second.side == -1
    assert second.entry_time == T("2024-01-02 13:00", tz="UTC")
    assert second.entry_price == pytest.approx(1.1036, abs=1e-12)
    assert second.exit_reason == "end_of_data"
    assert second.exit_time == T("2024-01-02 14:00", tz="UTC")
    assert second.exit_price == pytest.approx(1.1034, abs=1e-12)
    assert second.pips == pytest.approx(2.0)
    assert second.bars_held == 2


def test_same_side_signals_are_ignored_and_the_last_bar_signal_is_not_executed():
    # +1 at bars 0 and 1: one long; -1 on the last bar cannot execute: the long ends at the
    # last bid close 1.1032, 24 pips over the 1.1008 entry
    result = run(bars(), [1, 1, 0, 0, -1])
    trade = only_trade(result)
    assert trade.exit_reason == "end_of_data"
    assert trade.exit_price == pytest.approx(1.1032, abs=1e-12)
    assert trade.pips == pytest.approx(24.0)
    assert any("last bar" in note for note in result.notes)


def test_slippage_moves_market_fills_against_the_trader():
    # 0.5 pip: buy 1.1008 + 0.00005 = 1.10085, sell on the opposite signal at
    # 1.1036 - 0.00005 = 1.10355: 27 pips
    trade = only_trade(run(bars(), [1, 0, -1, 0, 0], costs=Costs(slippage_pips=0.5)))
    assert trade.entry_price == pytest.approx(1.10085, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.10355, abs=1e-12)
    assert trade.pips == pytest.approx(27.0)


def test_slippage_applies_to_a_stop_but_not_to_a_target():
    # stop: 1.10085 - 10 pips = 1.09985, filled at 1.09985 - 0.00005 = 1.0998: -10.5 pips
    stopped = only_trade(run(bars(LOSING_ROWS), [1, 0, 0, 0], stop_pips=10,
                             costs=Costs(slippage_pips=0.5)))
    assert stopped.exit_price == pytest.approx(1.0998, abs=1e-12)
    assert stopped.pips == pytest.approx(-10.5)
    # target: 1.10085 + 20 pips = 1.10285 reached by bar 1's high 1.1030, filled at the level
    hit = only_trade(run(bars(), [1, 0, 0, 0, 0], target_pips=20, costs=Costs(slippage_pips=0.5)))
    assert hit.exit_price == pytest.approx(1.10285, abs=1e-12)
    assert hit.pips == pytest.approx(20.0)


def test_ask_priced_bars_are_turned_into_bid():
    # the same market as the first test given as ask prices (bid + 0.0002): same fills
    ask_rows = [tuple(p + 0.0002 for p in row) for row in BASE_ROWS]
    result = run(bars(ask_rows, price_side="ask"), [1, 0, -1, 0, 0])
    trade = only_trade(result)
    assert trade.entry_price == pytest.approx(1.1008, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.1036, abs=1e-12)
    assert any("ask prices" in note for note in result.notes)


def test_ask_priced_bars_without_spread_column_use_spread_pips():
    # ask open 1.1008 at bar 1 (bought there); bar 3 ask open 1.1038, bid = 1.1038 - 0.0002
    ask_rows = [tuple(p + 0.0002 for p in row) for row in BASE_ROWS]
    data = bars(ask_rows, price_side="ask", spread=None)
    trade = only_trade(run(data, [1, 0, -1, 0, 0], costs=Costs(spread_pips=2.0)))
    assert trade.entry_price == pytest.approx(1.1008, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.1036, abs=1e-12)


def test_probability_is_copied_from_the_signal_bar():
    probability = pd.Series([0.7, None, None, None, None], index=bars().index, dtype=float)
    trade = only_trade(run(bars(), [1, 0, -1, 0, 0], probability=probability))
    assert trade.probability == 0.7
    assert pd.isna(only_trade(run(bars(), [1, 0, -1, 0, 0])).probability)
