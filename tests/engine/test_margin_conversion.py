"""Sizing, margin and stop-out prices; conversion rates from each source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.domain import FxPair
from fxjudge.engine.conversion import quote_rates
from fxjudge.engine.costs import Sizing
from fxjudge.engine.margin import position_units, stop_out_price, used_margin
from fxjudge.errors import ConfigError
from tests.engine.scenario import bars

EURUSD, USDJPY, EURJPY = FxPair("EUR", "USD"), FxPair("USD", "JPY"), FxPair("EUR", "JPY")


def test_position_units():
    sizes = dict(lot_size=10_000, equity=1_000_000.0, stop_distance=0.0020, loss_rate=150.0)
    assert position_units(Sizing(units=12_345.9), **sizes) == 12_345
    assert position_units(Sizing(lots=2.5), **sizes) == 25_000
    # 1% of 1,000,000 = 10,000 over 0.0020 * 150 = 0.30 a unit: 33,333 units
    assert position_units(Sizing(risk_fraction=0.01), **sizes) == 33_333
    assert position_units(Sizing(risk_fraction=0.01), **{**sizes, "stop_distance": np.nan}) == 0


def test_used_margin():
    # 10,000 EURUSD at 1.1008 with USDJPY 140, 25:1: 10,000 * 1.1008 * 140 / 25
    assert used_margin(10_000, 1.1008, 140.0, 25.0) == pytest.approx(61_644.8)


def test_stop_out_price_with_a_fixed_rate():
    # loss allowed 559.68 USD on 20,000 units at rate 1: 0.027984 below/above the entry
    assert stop_out_price(1, 1.1008, 20_000, [559.68], np.array([1.0]))[0] == pytest.approx(
        1.072816
    )
    assert stop_out_price(-1, 1.1008, 20_000, [559.68], np.array([1.0]))[0] == pytest.approx(
        1.128784
    )


def test_stop_out_price_when_the_base_is_the_account_currency():
    # USDJPY long, USD account, 10,000 units from 110.0, 50 USD allowed:
    # (p - 110) * 10,000 / p = -50  ->  p = 110 * 10,000 / 10,050
    assert stop_out_price(1, 110.0, 10_000, [50.0], None)[0] == pytest.approx(
        110 * 10_000 / 10_050
    )
    # short: (110 - p) * 10,000 / p = -50  ->  p = 110 * 10,000 / 9,950
    assert stop_out_price(-1, 110.0, 10_000, [50.0], None)[0] == pytest.approx(110 * 10_000 / 9_950)
    # a short can never lose 10,000 USD or more on 10,000 units: no stop-out price
    assert stop_out_price(-1, 110.0, 10_000, [20_000.0], None)[0] == np.inf


TIMES = pd.date_range("2024-01-02 10:00", periods=3, freq="h", tz="UTC")


def test_rates_same_currency_and_base_currency():
    assert quote_rates(EURJPY, "JPY", TIMES).per_bar.tolist() == [1.0, 1.0, 1.0]
    rates = quote_rates(USDJPY, "USD", TIMES)
    assert rates.per_bar is None and rates.at(1, 125.0) == 1 / 125.0


def test_rates_from_bars_use_the_last_closed_bar_only():
    # USDJPY M30 bars opening 09:00, 09:30, 10:00, 10:30 (closes 130.0, 130.5, 131.0, 131.5):
    # at 10:00 the 09:30 bar has just closed (130.5); at 11:00 the 10:30 one (131.5); at 12:00 no
    # later bar exists: 131.5 still
    rows = [(c, c + 0.1, c - 0.1, c) for c in (130.0, 130.5, 131.0, 131.5)]
    usdjpy = bars(rows, start="2024-01-02 09:00", freq="30min", pair="USDJPY", timeframe="M30",
                  spread=None)
    rates = quote_rates(EURUSD, "JPY", TIMES, usdjpy)
    assert rates.per_bar.tolist() == [130.5, 131.5, 131.5]


def test_rates_from_bars_take_the_mid():
    # spread column 0.04: mid = bid close + 0.02
    rows = [(140.0, 140.1, 139.9, 140.0)] * 3
    usdjpy = bars(rows, start="2024-01-02 08:00", pair="USDJPY", spread=0.04)
    assert quote_rates(EURUSD, "JPY", TIMES, usdjpy).per_bar[1] == pytest.approx(140.02)


def test_rates_refuse_the_wrong_pair_and_bad_values():
    gbpjpy = bars([(150.0, 150.1, 149.9, 150.0)] * 3, start="2024-01-02 08:00", pair="GBPJPY")
    message = "`conversion` must be USDJPY or JPYUSD bars for EURUSD in JPY, was 'GBPJPY'"
    with pytest.raises(ConfigError, match=message):
        quote_rates(EURUSD, "JPY", TIMES, gbpjpy)
    with pytest.raises(ConfigError, match="`conversion` must be > 0 when it is a fixed rate"):
        quote_rates(EURUSD, "JPY", TIMES, -1.0)
    with pytest.raises(ConfigError, match="`conversion` must be conversion bars, a fixed rate"):
        quote_rates(EURUSD, "JPY", TIMES, "USDJPY")


def test_ecb_rates_cross_via_eur_and_take_the_last_ecb_day():
    # ECB: 2019-02-01 (Friday) EUR/USD 1.1471, EUR/JPY 124.91; 2019-02-04 (Monday) 1.1445,
    # 125.77. Saturday 2019-02-02 takes Friday's.
    times = pd.DatetimeIndex(["2019-02-01 12:00", "2019-02-02 12:00", "2019-02-04 12:00"],
                             tz="UTC")
    rates = quote_rates(EURUSD, "JPY", times)
    assert rates.per_bar == pytest.approx([124.91 / 1.1471, 124.91 / 1.1471, 125.77 / 1.1445])
    assert "ECB" in rates.notes[0]


def test_ecb_rates_refuse_currencies_and_dates_they_do_not_have():
    with pytest.raises(ConfigError, match="the ECB rates have no SAR"):
        quote_rates(FxPair("USD", "SAR"), "JPY", TIMES)
    old = pd.date_range("1998-06-01", periods=3, freq="D", tz="UTC")
    with pytest.raises(ConfigError, match="no ECB rate from USD to JPY before 1999-01-04"):
        quote_rates(EURUSD, "JPY", old)
