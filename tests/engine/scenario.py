"""Tiny hand-made bars and a `run` with defaults, for the engine's hand-computed scenarios.

Default scenario: EURUSD H1 bars from Tuesday 2024-01-02 10:00 UTC (New York is UTC-5 then, so
the 17:00 rollover is 22:00 UTC, after every default bar), a 2-pip spread column, a USD account
of 10,000 (quote currency = account currency: rate 1), 10,000 units, no costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fxjudge.data.bars import make_bars
from fxjudge.domain import FxPair
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.signals.exits import ExitRules

#: bid open, high, low, close of the default bars (spread 0.0002 each)
BASE_ROWS = [
    (1.1000, 1.1010, 1.0990, 1.1005),  # 0 10:00 signal bar
    (1.1006, 1.1030, 1.1000, 1.1025),  # 1 11:00 entry at the open
    (1.1026, 1.1040, 1.1020, 1.1035),  # 2 12:00
    (1.1036, 1.1045, 1.1030, 1.1040),  # 3 13:00
    (1.1041, 1.1050, 1.1030, 1.1032),  # 4 14:00
]


def bars(
    rows=BASE_ROWS,
    *,
    times=None,
    start="2024-01-02 10:00",
    freq="h",
    pair="EURUSD",
    timeframe="H1",
    spread: float | None = 0.0002,
    price_side="bid",
) -> pd.DataFrame:
    """Bars from (open, high, low, close) rows; `spread` None leaves out the spread column."""
    index = pd.DatetimeIndex(times, tz="UTC") if times is not None else pd.date_range(
        start, periods=len(rows), freq=freq, tz="UTC"
    )
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 0.0
    if spread is not None:
        frame["spread"] = spread
    return make_bars(
        frame, pair=pair, timeframe_name=timeframe, source="hand", price_side=price_side
    )


def run(
    data: pd.DataFrame,
    signals,
    *,
    stop_pips: float | None = None,
    target_pips: float | None = None,
    trail_pips: float | None = None,
    rules: ExitRules | None = None,
    costs: Costs | None = None,
    account: Account | None = None,
    sizing: Sizing | None = None,
    **options,
):
    """`simulate` with the scenario defaults; `stop_pips`/`target_pips`/`trail_pips` fill the
    levels (`rules` then gives the other exit settings: activation, break-even ...)."""
    pair = FxPair.parse(data.attrs["pair"])
    signal = pd.Series(signals, index=data.index, dtype=np.float64)
    levels = pd.DataFrame(
        {
            "stop_distance": np.nan if stop_pips is None else stop_pips * pair.pip_size,
            "target_distance": np.nan if target_pips is None else target_pips * pair.pip_size,
            "trail_distance": np.nan if trail_pips is None else trail_pips * pair.pip_size,
        },
        index=data.index,
    )
    return simulate(
        data,
        signal,
        levels,
        pair=pair,
        rules=rules or ExitRules(stop_loss_pips=stop_pips, take_profit_pips=target_pips),
        costs=costs or Costs(),
        account=account or Account(currency="USD", balance=10_000.0),
        sizing=sizing or Sizing(units=10_000),
        **options,
    )


def only_trade(result) -> pd.Series:
    """The single trade of a result (fails if there is not exactly one)."""
    assert len(result.trades) == 1, result.trades
    return result.trades.iloc[0]
