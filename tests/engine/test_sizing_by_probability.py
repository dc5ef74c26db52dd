"""Sizing by the judge's probability (`Sizing(by_probability=True)`), by hand, on both engines."""

from __future__ import annotations

import pandas as pd
import pytest

from fxjudge.engine import Sizing
from fxjudge.errors import ConfigError
from tests.engine.scenario import bars, only_trade, run

SIGNALS = [1, 0, -1, 0, 0]  # long at bar 1's ask open 1.1008, out at bar 3's bid open 1.1036


def chance(p: float | None) -> pd.Series:
    return pd.Series([p, None, None, None, None], index=bars().index, dtype=float)


def test_a_trade_at_p_070_is_sized_by_m():
    # m = 2 Phi(0.2 / sqrt(0.21)) - 1 = 2 Phi(0.43644) - 1 = 0.33748 (normal table: Phi(0.4364)
    # = 0.66874): 10,000 units x 0.33748 = 3,374.8 -> 3,374 units; 28 pips on them = 9.4472 USD
    trade = only_trade(run(bars(), SIGNALS, probability=chance(0.7),
                           sizing=Sizing(units=10_000, by_probability=True)))
    assert trade.units == 3_374
    assert trade.pnl_account == pytest.approx(28 * 0.0001 * 3_374)
    assert trade.probability == 0.7


def test_a_step_rounds_the_size_and_a_short_mirrors_a_long():
    # step 0.1: 0.33748 -> 0.3 -> 3,000 units; a short at p = 0.7 is sized the same
    step = Sizing(units=10_000, by_probability=True, probability_step=0.1)
    assert only_trade(run(bars(), SIGNALS, probability=chance(0.7), sizing=step)).units == 3_000
    short = only_trade(run(bars(), [-1, 0, 1, 0, 0], probability=chance(0.7), sizing=step))
    assert short.side == -1 and short.units == 3_000


def test_below_one_half_the_trade_is_skipped_and_without_a_probability_full_size():
    skipped = run(bars(), [1, 0, 0, 0, 0], probability=chance(0.3),
                  sizing=Sizing(lots=1, by_probability=True))
    assert skipped.trades.empty
    assert any(note.startswith("1 entries skipped, no size") for note in skipped.notes)
    unjudged = only_trade(run(bars(), SIGNALS, probability=chance(None),
                              sizing=Sizing(units=10_000, by_probability=True)))
    assert unjudged.units == 10_000


def test_sizing_by_probability_needs_probabilities_and_a_valid_step():
    with pytest.raises(ConfigError, match="`probability` must be given"):
        run(bars(), SIGNALS, sizing=Sizing(units=10_000, by_probability=True))
    with pytest.raises(ConfigError, match="`probability_step` must be given only with"):
        Sizing(units=10_000, probability_step=0.1)
    with pytest.raises(ConfigError, match="`probability_step` must be a number in"):
        Sizing(units=10_000, by_probability=True, probability_step=1.5)
