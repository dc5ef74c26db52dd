"""Bollinger band mean reversion: fade a close outside the bands once it comes back in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class BollingerReversion(Strategy):
    """Buy when the close comes back above the lower Bollinger band, sell when it comes back
    below the upper band.

    The bands sit `width_std` standard deviations around a moving average; a close outside them
    is a stretched move, and its return inside is the sign that the stretch is over. The trade
    bets on a return towards the middle band.

    Parameters: `window_bars`, the moving average and standard deviation window; `width_std`,
    the band half-width in standard deviations; `atr_bars`, `stop_loss_atr` and
    `take_profit_atr`, a stop and target in ATRs; `max_bars`, a time exit; `on_opposite`, what
    an opposite signal does.
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        window_bars: int = 20
        width_std: float = 2.0
        atr_bars: int = 14
        stop_loss_atr: float | None = 2.0
        take_profit_atr: float | None = 1.5
        max_bars: int | None = 20
        on_opposite: Literal["exit", "reverse", "ignore"] = "exit"

        def __post_init__(self) -> None:
            if self.window_bars < 2:
                raise must("window_bars", ">= 2", self.window_bars)
            if not self.width_std > 0:
                raise must("width_std", "> 0", self.width_std)

    @property
    def warmup_bars(self) -> int:
        """The bands are known from bar window_bars-1, a crossing a bar later; the stop needs
        the ATR."""
        return max(self.params.window_bars, self.params.atr_bars)

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The middle, upper and lower bands and the ATR."""
        p = self.params
        bands = ind.bollinger(bars["close"], p.window_bars, p.width_std)
        return pd.DataFrame(
            {
                "bb_mid": bands["mid"],
                "bb_upper": bands["upper"],
                "bb_lower": bands["lower"],
                "atr": ind.atr(bars, p.atr_bars),
            }
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 where the close crosses up through the lower band, -1 down through the upper."""
        close = bars["close"]
        return entries(
            crosses_above(close, features["bb_lower"]),
            crosses_below(close, features["bb_upper"]),
            self.warmup_bars,
        )
