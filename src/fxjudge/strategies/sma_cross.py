"""SMA crossover: the classic trend-following baseline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class SmaCross(Strategy):
    """Buy when the fast SMA of the close crosses above the slow one, sell when it crosses below.

    A trend follower: the fast average leads, the slow one lags, and their crossing marks a change
    of trend. By default it is always in the market, each crossing reversing the position.

    Parameters: `fast_bars` and `slow_bars`, the two SMA windows (fast < slow); `stop_loss_pips`,
    `take_profit_pips` and `max_bars`, optional exits; `on_opposite`, what an opposite crossing
    does to an open position ("reverse", "exit" or "ignore"); `trailing_stop_pips` (optionally
    from `trailing_activation_pips` of profit) and `break_even_after_pips` /
    `break_even_plus_pips`, a stop that follows the trend (off by default).
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        fast_bars: int = 10
        slow_bars: int = 30
        stop_loss_pips: float | None = None
        take_profit_pips: float | None = None
        max_bars: int | None = None
        on_opposite: Literal["exit", "reverse", "ignore"] = "reverse"
        trailing_stop_pips: float | None = None
        trailing_activation_pips: float | None = None
        break_even_after_pips: float | None = None
        break_even_plus_pips: float = 0.0

        def __post_init__(self) -> None:
            if self.fast_bars < 1:
                raise must("fast_bars", ">= 1", self.fast_bars)
            if self.slow_bars <= self.fast_bars:
                raise must("slow_bars", f"> fast_bars ({self.fast_bars})", self.slow_bars)

    @property
    def warmup_bars(self) -> int:
        """The slow SMA is known from bar slow_bars-1; a crossing needs the bar before too."""
        return self.params.slow_bars

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The fast and slow SMAs of the close."""
        close = bars["close"]
        return pd.DataFrame(
            {
                "sma_fast": ind.sma(close, self.params.fast_bars),
                "sma_slow": ind.sma(close, self.params.slow_bars),
            }
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 where the fast SMA crosses above the slow, -1 where it crosses below."""
        fast, slow = features["sma_fast"], features["sma_slow"]
        return entries(crosses_above(fast, slow), crosses_below(fast, slow), self.warmup_bars)
