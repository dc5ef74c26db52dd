"""Each cost rule alone, and the parameter checks of Costs, Account and Sizing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.engine.costs import (
    Account,
    Costs,
    Sizing,
    commission_account,
    rollover_nights,
    slipped,
    swap_nights,
    swap_quote,
)
from fxjudge.errors import ConfigError


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_commission_per_lot_per_side():
    # 25,000 units with 10,000-unit lots = 2.5 lots at 300 JPY a lot: 750 JPY per side
    assert commission_account(25_000, 10_000, 300.0) == pytest.approx(750.0)
    # 100,000-unit lots, 7 USD a lot: 50,000 units pay 3.5 USD per side
    assert commission_account(50_000, 100_000, 7.0) == pytest.approx(3.5)


def test_slippage_moves_against_the_trader():
    assert slipped(1.1000, True, 0.00005) == pytest.approx(1.10005)
    assert slipped(1.1000, False, 0.00005) == pytest.approx(1.09995)


def test_swap_in_pips_per_lot_per_night_as_quote_currency():
    # -0.5 pips a night on 20,000 units of EURUSD over 4 nights: 4 * -0.5 * 0.0001 * 20,000 = -4
    assert swap_quote(4, 20_000, -0.5, 0.0001) == pytest.approx(-4.0)
    # 12 pips (0.12 JPY) a night on 10,000 USDJPY for one night: 1,200 JPY
    assert swap_quote(1, 10_000, 12.0, 0.01) == pytest.approx(1200.0)


# January 2024: New York is UTC-5, the rollover is 22:00 UTC. 2024-01-02 is a Tuesday.
@pytest.mark.parametrize(
    ("entry", "exit", "nights"),
    [
        ("2024-01-02 12:00", "2024-01-02 21:59", 0),  # closed before Tuesday's rollover
        ("2024-01-02 12:00", "2024-01-02 22:00", 1),  # held at the rollover instant
        ("2024-01-02 22:00", "2024-01-03 12:00", 0),  # opened at the rollover instant
        ("2024-01-02 12:00", "2024-01-03 12:00", 1),  # Tuesday night
        ("2024-01-03 12:00", "2024-01-04 12:00", 3),  # Wednesday counts three
        ("2024-01-02 16:00", "2024-01-04 16:00", 4),  # Tuesday 1 + Wednesday 3
        ("2024-01-05 16:00", "2024-01-08 16:00", 1),  # Friday to Monday: Friday's only
        ("2024-01-05 23:00", "2024-01-08 12:00", 0),  # after Friday's rollover to Monday
        ("2024-01-02 12:00", "2024-01-09 12:00", 7),  # a full week: 1 + 3 + 1 + 1 + 1
    ],
)
def test_swap_nights_at_the_new_york_rollover(entry, exit, nights):
    assert swap_nights(utc(entry), utc(exit)) == nights


def test_swap_nights_follow_new_york_daylight_saving():
    # July 2024: New York is UTC-4, the rollover is 21:00 UTC (Tuesday 2024-07-02)
    assert swap_nights(utc("2024-07-02 20:30"), utc("2024-07-02 21:30")) == 1
    # the same UTC clock in January is before the 22:00 UTC rollover
    assert swap_nights(utc("2024-01-02 20:30"), utc("2024-01-02 21:30")) == 0


def test_triple_swap_weekday_is_configurable():
    # Thursday triple (3): Wednesday 1 + Thursday 3
    assert swap_nights(utc("2024-01-03 12:00"), utc("2024-01-05 12:00"), 3) == 4
    assert swap_nights(utc("2024-01-03 12:00"), utc("2024-01-05 12:00"), 2) == 4
    assert swap_nights(utc("2024-01-04 12:00"), utc("2024-01-05 12:00"), 3) == 3
    assert swap_nights(utc("2024-01-04 12:00"), utc("2024-01-05 12:00"), 2) == 1


def test_rollover_nights_per_bar_add_up_to_swap_nights():
    # H4 bars from Tuesday 12:00 to the next Tuesday 12:00 UTC
    times = pd.date_range("2024-01-02 12:00", "2024-01-09 12:00", freq="4h", tz="UTC")
    per_bar = rollover_nights(times)
    assert per_bar[0] == 0
    # the bar at Tuesday 00:00 UTC of Jan 3 follows the 22:00 rollover: bar 20:00 -> 00:00
    assert per_bar[times.get_loc(utc("2024-01-03 00:00"))] == 1
    assert per_bar[times.get_loc(utc("2024-01-04 00:00"))] == 3
    for e, x in [(0, len(times) - 1), (3, 20), (10, 11)]:
        assert per_bar[e + 1 : x + 1].sum() == swap_nights(times[e], times[x])
    assert per_bar.sum() == 7
    assert rollover_nights(times[:1]).tolist() == [0]
    assert np.issubdtype(per_bar.dtype, np.integer)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Costs(spread_pips=-1), "`spread_pips` must be >= 0 or None, was -1"),
        (lambda: Costs(slippage_pips=-0.5), "`slippage_pips` must be >= 0 and finite, was -0.5"),
        (lambda: Costs(commission_per_lot=float("inf")), "`commission_per_lot` must be >= 0"),
        (lambda: Costs(swap_long_pips=float("nan")), "`swap_long_pips` must be a finite number"),
        (lambda: Costs(triple_swap_weekday=5), "`triple_swap_weekday` must be 0 (Monday) to 4"),
        (lambda: Account(currency="XXX"), "`currency` must be an ISO currency code"),
        (lambda: Account(balance=0), "`balance` must be > 0 and finite, was 0"),
        (lambda: Account(leverage=0.5), "`leverage` must be >= 1 and finite, was 0.5"),
        (lambda: Account(lot_size=1000.5), "`lot_size` must be a whole number of units >= 1"),
        (lambda: Account(stop_out_level=1.0), "`stop_out_level` must be >= 0 and < 1, was 1.0"),
        (lambda: Sizing(), "`sizing` must be exactly one of units, lots or risk_fraction, was"),
        (lambda: Sizing(units=1000, lots=1), "`sizing` must be exactly one of units, lots"),
        (lambda: Sizing(units=0.5), "`units` must be >= 1 and finite, was 0.5"),
        (lambda: Sizing(lots=0), "`lots` must be > 0 and finite, was 0"),
        (lambda: Sizing(risk_fraction=1.5), "`risk_fraction` must be > 0 and < 1, was 1.5"),
    ],
)
def test_bad_parameters_say_what_and_the_fix(make, message):
    with pytest.raises(ConfigError) as error:
        make()
    assert str(error.value).startswith(message)


def test_defaults_suit_a_japanese_retail_account():
    account = Account()
    assert (account.currency, account.balance, account.leverage, account.lot_size) == (
        "JPY", 1_000_000.0, 25.0, 10_000,
    )
    assert Costs().triple_swap_weekday == 2
