"""MACD trend following: trade the MACD line's crossings of its signal line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class MacdTrend(Strategy):
    """Buy when the MACD line crosses above its signal line, sell when it crosses below.

    The MACD line (fast EMA - slow EMA) measures momentum; its signal line is a slower average of
    it, so their crossing marks momentum turning. With `zero_line_filter`, only crossings on the
    trend's side of zero count (buy only above zero, sell only below), which trades less often
    against the prevailing trend.

    Parameters: `fast_bars`, `slow_bars` and `signal_bars`, the three EMA spans (fast < slow);
    `zero_line_filter`, see above; `stop_loss_pips`, `take_profit_pips` and `max_bars`,
    optional exits; `on_opposite`, what an opposite crossing does (by default it reverses);
    `trailing_stop_pips` (optionally from `trailing_activation_pips` of profit) and
    `break_even_after_pips` / `break_even_plus_pips`, a stop that moves (off by default).
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        fast_bars: int = 12
        slow_bars: int = 26
        signal_bars: int = 9
        zero_line_filter: bool = False
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
            if self.signal_bars < 1:
                raise must("signal_bars", ">= 1", self.signal_bars)

    @property
    def warmup_bars(self) -> int:
        """The signal line is known from bar slow_bars+signal_bars-2, a crossing a bar later."""
        return self.params.slow_bars + self.params.signal_bars - 1

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The MACD line, signal line and histogram."""
        p = self.params
        found = ind.macd(bars["close"], p.fast_bars, p.slow_bars, p.signal_bars)
        return found.rename(columns=lambda name: f"macd_{name}")

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 where the line crosses above the signal line, -1 where below (zero-line filtered)."""
        line, signal = features["macd_line"], features["macd_signal"]
        long = crosses_above(line, signal)
        short = crosses_below(line, signal)
        if self.params.zero_line_filter:
            long &= line > 0
            short &= line < 0
        return entries(long, short, self.warmup_bars)
