"""Donchian channel breakout: the turtle traders' entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class DonchianBreakout(Strategy):
    """Buy when the close breaks above the highest high of the previous `entry_bars` bars, sell
    when it breaks below their lowest low.

    The turtles' system 1: a new N-bar extreme starts a trend often enough to pay for the false
    breakouts, with a stop of 2 ATR ("2N"). Two differences from the original: the breakout is
    judged on the close (the turtles entered intrabar with a stop order), and there is no
    10-bar exit channel; a position ends at its stop or at the opposite breakout, which reverses
    it.

    Parameters: `entry_bars`, the channel length (the current bar excluded); `atr_bars`,
    `stop_loss_atr` and `take_profit_atr`, a stop and optional target in ATRs; `max_bars`, an
    optional time exit; `on_opposite`, what an opposite breakout does; `trailing_stop_atr`
    (optionally from `trailing_activation_pips` of profit) and `break_even_after_pips` /
    `break_even_plus_pips`, a stop that follows the trend (off by default).
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        entry_bars: int = 20
        atr_bars: int = 20
        stop_loss_atr: float | None = 2.0
        take_profit_atr: float | None = None
        max_bars: int | None = None
        on_opposite: Literal["exit", "reverse", "ignore"] = "reverse"
        trailing_stop_atr: float | None = None
        trailing_activation_pips: float | None = None
        break_even_after_pips: float | None = None
        break_even_plus_pips: float = 0.0

        def __post_init__(self) -> None:
            if self.entry_bars < 1:
                raise must("entry_bars", ">= 1", self.entry_bars)

    @property
    def warmup_bars(self) -> int:
        """The channel of the previous bars is known from bar entry_bars, a crossing a bar
        later; the stop needs the ATR."""
        return max(self.params.entry_bars + 1, self.params.atr_bars)

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The channel of the previous `entry_bars` bars and the ATR."""
        p = self.params
        channel = ind.donchian(bars, p.entry_bars)
        return pd.DataFrame(
            {
                "channel_upper": channel["upper"],
                "channel_lower": channel["lower"],
                "atr": ind.atr(bars, p.atr_bars),
            }
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 on the first close above the channel, -1 on the first close below it."""
        close = bars["close"]
        return entries(
            crosses_above(close, features["channel_upper"]),
            crosses_below(close, features["channel_lower"]),
            self.warmup_bars,
        )
