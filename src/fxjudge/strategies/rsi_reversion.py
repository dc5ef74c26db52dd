"""RSI mean reversion: fade stretched moves once they start to turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class RsiReversion(Strategy):
    """Buy when the RSI climbs back above the oversold level, sell when it falls back below the
    overbought level.

    A mean-reversion bet for ranging markets: after a stretched move the price tends to return
    towards its average. Waiting for the RSI to leave the extreme zone (rather than entering as
    it enters it) avoids buying every step of a falling market.

    Parameters: `rsi_bars`, the RSI window; `oversold_level` and `overbought_level`, RSI values
    (0-100, oversold < overbought); `atr_bars`, `stop_loss_atr` and `take_profit_atr`, a stop and
    target in ATRs; `max_bars`, a time exit (a reversion that has not come within that many bars
    is unlikely to come); `on_opposite`, what an opposite signal does.
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        rsi_bars: int = 14
        oversold_level: float = 30.0
        overbought_level: float = 70.0
        atr_bars: int = 14
        stop_loss_atr: float | None = 2.0
        take_profit_atr: float | None = 2.0
        max_bars: int | None = 24
        on_opposite: Literal["exit", "reverse", "ignore"] = "exit"

        def __post_init__(self) -> None:
            if self.rsi_bars < 1:
                raise must("rsi_bars", ">= 1", self.rsi_bars)
            if not 0 < self.oversold_level < self.overbought_level < 100:
                raise must(
                    "oversold_level",
                    f"between 0 and overbought_level ({self.overbought_level}), which is < 100",
                    self.oversold_level,
                )

    @property
    def warmup_bars(self) -> int:
        """The RSI is known from bar rsi_bars-1, a crossing a bar later; the stop needs the ATR."""
        return max(self.params.rsi_bars, self.params.atr_bars)

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The RSI of the close and the ATR."""
        p = self.params
        return pd.DataFrame(
            {"rsi": ind.rsi(bars["close"], p.rsi_bars), "atr": ind.atr(bars, p.atr_bars)}
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 where the RSI crosses up through oversold, -1 where it crosses down through
        overbought."""
        p = self.params
        rsi = features["rsi"]
        return entries(
            crosses_above(rsi, p.oversold_level),
            crosses_below(rsi, p.overbought_level),
            self.warmup_bars,
        )
