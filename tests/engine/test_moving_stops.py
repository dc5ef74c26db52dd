"""Trailing stops and break-even moves, hand-computed (both engines, by tests/engine/conftest).

The default scenario: EURUSD H1 bars with a 2-pip spread, a long bought at bar 1's ask open
1.1008 (bid 1.1006 + 0.0002). The stop level of a bar comes from the bars held before it: the
best bid high so far for a long (a short: the lowest ask low), none on the entry bar.
"""

from __future__ import annotations

import pandas as pd
import pytest

from fxjudge.engine import Costs
from fxjudge.errors import ConfigError
from fxjudge.signals.exits import ExitRules
from tests.engine.scenario import BASE_ROWS, bars, only_trade, run

T = pd.Timestamp


def test_a_trailing_stop_from_the_fill_follows_the_best_bid_high():
    # levels: bar 1 (entry) 1.1008 - 15 pips = 1.0993; bar 2: best high 1.1030 - 0.0015 =
    # 1.1015; bar 3: 1.1040 - 0.0015 = 1.1025; bar 4: 1.1045 - 0.0015 = 1.1030 = bar 4's low
    rules = ExitRules(trailing_stop_pips=15)
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], trail_pips=15, rules=rules))
    assert trade.exit_reason == "trailing_stop"
    assert trade.exit_time == T("2024-01-02 14:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1030, abs=1e-12)
    assert trade.pips == pytest.approx(22.0)
    assert trade.bars_held == 4


def test_without_activation_a_tight_trail_stops_in_the_entry_bar():
    # 8 pips from the fill: the entry bar's level 1.1000 is its low
    rules = ExitRules(trailing_stop_pips=8)
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], trail_pips=8, rules=rules))
    assert (trade.exit_reason, trade.exit_time) == ("trailing_stop", T("2024-01-02 11:00",
                                                                         tz="UTC"))
    assert trade.exit_price == pytest.approx(1.1000, abs=1e-12)


def test_an_activation_waits_for_the_profit():
    # activation 20 pips: bar 1's high 1.1030 is 22 pips beyond the fill, so bar 2 trails at
    # 1.1030 - 8 pips = 1.1022, and bar 2's low 1.1020 takes it: +14 pips
    rules = ExitRules(trailing_stop_pips=8, trailing_activation_pips=20)
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], trail_pips=8, rules=rules))
    assert trade.exit_reason == "trailing_stop"
    assert trade.exit_time == T("2024-01-02 12:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1022, abs=1e-12)
    assert trade.pips == pytest.approx(14.0)


def test_the_initial_stop_holds_until_the_trail_is_tighter():
    # stop 5 pips = 1.1003; the trail of 30 pips from the fill (1.0978) is looser: bar 1's low
    # 1.1000 hits the initial stop, recorded as a stop-loss
    rules = ExitRules(stop_loss_pips=5, trailing_stop_pips=30)
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], stop_pips=5, trail_pips=30, rules=rules))
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_price == pytest.approx(1.1003, abs=1e-12)


BREAK_EVEN_ROWS = [*BASE_ROWS[:3], (1.1036, 1.1040, 1.1005, 1.1010), BASE_ROWS[4]]


def test_a_break_even_move_after_the_profit():
    # after bar 1 (high 1.1030: 22 pips >= 20) the stop moves to 1.1008 + 2 pips = 1.1010;
    # bar 3's low 1.1005 takes it: +2 pips; the initial stop (30 pips) was never near
    rules = ExitRules(stop_loss_pips=30, break_even_after_pips=20, break_even_plus_pips=2)
    trade = only_trade(run(bars(BREAK_EVEN_ROWS), [1, 0, 0, 0, 0], stop_pips=30, rules=rules))
    assert trade.exit_reason == "break_even"
    assert trade.exit_time == T("2024-01-02 13:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.1010, abs=1e-12)
    assert trade.pips == pytest.approx(2.0)


def test_a_break_even_not_yet_earned_leaves_the_stop():
    # 35 pips needed: the best is 32 (bar 2's high 1.1040) at most, so the stop never moves
    rules = ExitRules(stop_loss_pips=30, break_even_after_pips=35, break_even_plus_pips=0)
    trade = only_trade(run(bars(BREAK_EVEN_ROWS), [1, 0, 0, 0, 0], stop_pips=30, rules=rules))
    assert trade.exit_reason == "end_of_data"


def test_a_gap_through_the_trailing_stop_fills_at_the_open():
    # bar 2's level 1.1030 - 15 pips = 1.1015; bar 2 opens at 1.1010, below it: sold there
    rows = [BASE_ROWS[0], BASE_ROWS[1], (1.1010, 1.1012, 1.1000, 1.1005)]
    rules = ExitRules(trailing_stop_pips=15)
    trade = only_trade(run(bars(rows), [1, 0, 0], trail_pips=15, rules=rules))
    assert trade.exit_reason == "trailing_stop"
    assert trade.exit_price == pytest.approx(1.1010, abs=1e-12)


def test_a_short_trails_the_lowest_ask_low():
    # sell at bar 1's bid open 1.1006; ask lows: bar 1 1.0992, bar 2 1.0982; trail 10 pips:
    # bar 2's level min(1.0992, fill 1.1006) + 0.0010 = 1.1002, bar 3's 1.0982 + 0.0010 =
    # 1.0992; bar 3's ask high 1.0990 + 0.0002 reaches it: bought back at 1.0992, +14 pips
    rows = [BASE_ROWS[0], (1.1006, 1.1008, 1.0990, 1.0995), (1.0995, 1.0998, 1.0980, 1.0985),
            (1.0985, 1.0990, 1.0983, 1.0988)]
    rules = ExitRules(trailing_stop_pips=10)
    trade = only_trade(run(bars(rows), [-1, 0, 0, 0], trail_pips=10, rules=rules))
    assert trade.exit_reason == "trailing_stop"
    assert trade.exit_time == T("2024-01-02 13:00", tz="UTC")
    assert trade.exit_price == pytest.approx(1.0992, abs=1e-12)
    assert trade.pips == pytest.approx(14.0)


AMBIGUOUS_TRAIL = [BASE_ROWS[0], BASE_ROWS[1], (1.1026, 1.1060, 1.1010, 1.1020)]


def test_trailing_stop_and_target_in_one_bar_the_stop_wins():
    # bar 2's trailing level 1.1030 - 15 pips = 1.1015 and the target 1.1058 (50 pips) are both
    # inside bar 2 (low 1.1010, high 1.1060): the stop first
    rules = ExitRules(trailing_stop_pips=15, take_profit_pips=50)
    trade = only_trade(run(bars(AMBIGUOUS_TRAIL), [1, 0, 0], trail_pips=15, target_pips=50,
                           rules=rules))
    assert (trade.exit_reason, trade.same_bar_rule) == ("trailing_stop", "stop_first")
    assert trade.exit_price == pytest.approx(1.1015, abs=1e-12)


def test_lower_bars_resolve_a_trailing_stop_against_the_target():
    # bar 2 in M15: the first quarter rises to 1.1060 before any falls to 1.1015
    lower = bars([(1.1026, 1.1060, 1.1024, 1.1050), (1.1050, 1.1052, 1.1010, 1.1020),
                  (1.1020, 1.1025, 1.1015, 1.1020), (1.1020, 1.1022, 1.1018, 1.1020)],
                 start="2024-01-02 12:00", freq="15min", timeframe="M15")
    rules = ExitRules(trailing_stop_pips=15, take_profit_pips=50)
    trade = only_trade(run(bars(AMBIGUOUS_TRAIL), [1, 0, 0], trail_pips=15, target_pips=50,
                           rules=rules, lower_bars=lower))
    assert (trade.exit_reason, trade.same_bar_rule) == ("take_profit", "lower_timeframe")
    assert trade.exit_price == pytest.approx(1.1058, abs=1e-12)


def test_a_moved_stop_slips_like_any_stop():
    rules = ExitRules(trailing_stop_pips=15)
    trade = only_trade(run(bars(), [1, 0, 0, 0, 0], trail_pips=15, rules=rules,
                           costs=Costs(slippage_pips=1)))
    # bought 1.1009 (one pip of slippage); bar 4's level 1.1045 - 15 pips = 1.1030, sold 1.1029
    assert trade.exit_reason == "trailing_stop"
    assert trade.entry_price == pytest.approx(1.1009, abs=1e-12)
    assert trade.exit_price == pytest.approx(1.1029, abs=1e-12)


@pytest.mark.parametrize("rules, words", [
    (dict(trailing_stop_pips=10, trailing_stop_atr=1.0), "`trailing_stop_atr` must be None"),
    (dict(trailing_activation_pips=5), "`trailing_activation_pips` must be >= 0, with a "
                                       "trailing stop set"),
    (dict(trailing_stop_pips=-1), "`trailing_stop_pips` must be > 0 or None"),
    (dict(break_even_plus_pips=2), "`break_even_plus_pips` must be 0, or below"),
    (dict(break_even_after_pips=5, break_even_plus_pips=5), "`break_even_plus_pips` must be 0"),
])
def test_bad_moving_stop_settings(rules, words):
    with pytest.raises(ConfigError, match=words):
        ExitRules(**rules)


def test_a_trailing_stop_needs_its_distance_in_the_levels():
    from fxjudge.engine import Account, Sizing, simulate

    data = bars()
    levels = pd.DataFrame({"stop_distance": float("nan"), "target_distance": float("nan")},
                          index=data.index)
    with pytest.raises(ConfigError, match="'trail_distance' column when the rules set a trail"):
        simulate(data, pd.Series([1.0, 0, 0, 0, 0], index=data.index), levels, pair="EURUSD",
                 rules=ExitRules(trailing_stop_pips=10), costs=Costs(),
                 account=Account(currency="USD", balance=1e4), sizing=Sizing(units=1))
