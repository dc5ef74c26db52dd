"""EMA crossover with a stop and a target in ATR multiples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class EmaAtr(Strategy):
    """Buy when the fast EMA crosses above the slow one, sell when below; exits sized by the ATR.

    EMAs react faster than SMAs; the stop and target scale with the market's current volatility
    (the ATR at the signal bar), so they are neither too tight in a wild market nor too loose in
    a quiet one.

    Parameters: `fast_bars` and `slow_bars`, the EMA spans (fast < slow); `atr_bars`, the ATR
    window; `stop_loss_atr` and `take_profit_atr`, the stop and target distances in ATRs;
    `max_bars`, an optional time exit; `on_opposite`, what an opposite crossing does;
    `trailing_stop_atr` (optionally from `trailing_activation_pips` of profit) and
    `break_even_after_pips` / `break_even_plus_pips`, a stop that moves (off by default).
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        fast_bars: int = 12
        slow_bars: int = 26
        atr_bars: int = 14
        stop_loss_atr: float | None = 1.5
        take_profit_atr: float | None = 3.0
        max_bars: int | None = None
        on_opposite: Literal["exit", "reverse", "ignore"] = "exit"
        trailing_stop_atr: float | None = None
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
        """A crossing of the slow EMA needs bars 0 .. slow_bars; the stop needs the ATR."""
        return max(self.params.slow_bars, self.params.atr_bars)

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The fast and slow EMAs of the close and the ATR."""
        p = self.params
        close = bars["close"]
        return pd.DataFrame(
            {
                "ema_fast": ind.ema(close, p.fast_bars),
                "ema_slow": ind.ema(close, p.slow_bars),
                "atr": ind.atr(bars, p.atr_bars),
            }
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 where the fast EMA crosses above the slow, -1 where it crosses below."""
        fast, slow = features["ema_fast"], features["ema_slow"]
        return entries(crosses_above(fast, slow), crosses_below(fast, slow), self.warmup_bars)
