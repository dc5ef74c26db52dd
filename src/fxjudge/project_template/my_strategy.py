"""My strategy: a template to copy and edit (docs/strategies.md is the full guide).

`fxjudge init` put this file in your project's strategies/ folder. Every file there is a
strategy found by its name (`fxjudge backtest --strategy my_strategy`); a file named like a
bundled strategy (`sma_cross.py`) is used instead of the bundled one, and the run says so.
`fxjudge strategies` lists them all. Rename the file and the class for your own idea.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fxjudge.errors import must
from fxjudge.features import indicators as ind  # the only indicators a strategy uses
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries


class MyStrategy(Strategy):
    """Buy a pullback in an uptrend, sell a rally in a downtrend (RSI against an EMA trend).

    The trend is the close against a slow EMA. In an uptrend, the RSI falling below `rsi_low`
    is a pullback, and its crossing back above `rsi_low` is the entry; in a downtrend, the
    mirror image with `rsi_high`.

    Parameters: `trend_bars`, the EMA span of the trend; `rsi_bars`, `rsi_low` and `rsi_high`,
    the RSI and its pullback levels; `atr_bars`, `stop_loss_atr` and `take_profit_atr`, a stop
    and a target in ATRs; `max_bars`, a time exit; `on_opposite`, what an opposite signal does.
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults (typed: checked when made)."""

        trend_bars: int = 100
        rsi_bars: int = 14
        rsi_low: float = 35.0
        rsi_high: float = 65.0
        # Exit parameters: a parameter named like a field of fxjudge.ExitRules *is* that exit
        # rule (one place for each setting), and the engine and the judge's labels both use it.
        # - stop_loss_atr / take_profit_atr: the stop and the target, in multiples of the ATR
        #   (over `atr_bars` bars) known at the signal bar, measured from the fill price.
        #   Or stop_loss_pips / take_profit_pips for fixed distances in pips (one of the two
        #   per level). None means no such level.
        # - max_bars: close at the open after this many bars held (None: no time exit).
        # - on_opposite: an opposite signal "exit"s the position at the next open, "reverse"s
        #   it (exit and open the other side) or is "ignore"d.
        # When stop and target are both inside one bar, the stop wins (the report says so).
        atr_bars: int = 14
        stop_loss_atr: float | None = 2.0
        take_profit_atr: float | None = 2.0
        max_bars: int | None = 48
        on_opposite: Literal["exit", "reverse", "ignore"] = "exit"

        def __post_init__(self) -> None:
            # Checks across parameters go here, in the project's error grammar.
            if not 0 < self.rsi_low < self.rsi_high < 100:
                raise must("rsi_low", f"between 0 and rsi_high ({self.rsi_high})", self.rsi_low)

    @property
    def warmup_bars(self) -> int:
        """Bars before the first signal may come: until the EMA, the RSI (and its previous
        value, for the crossing) and the ATR of the stop are all known. The engine gives these
        bars no signal; a signal inside them is an error."""
        p = self.params
        return max(p.trend_bars, p.rsi_bars + 1, p.atr_bars)

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The trend EMA, the RSI and the ATR: the value at bar t uses bars up to t only.

        The look-ahead rule: never `.shift(-1)`, a centred window or a back-fill; a previous
        value comes from `.shift(1)`. The judge sees these columns as features too. The
        bars are bid OHLC (`open high low close volume`, maybe `spread`), indexed by the bar's
        open time in UTC; never change them in place.
        """
        p = self.params
        return pd.DataFrame(
            {
                "trend": ind.ema(bars["close"], p.trend_bars),
                "rsi": ind.rsi(bars["close"], p.rsi_bars),
                "atr": ind.atr(bars, p.atr_bars),
            }
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 (buy), -1 (sell) or 0 per bar, decided at the bar's close; the engine fills it
        at the next bar's open. A signal is an entry, not a position: while a position is
        open, same-side signals are ignored and an opposite one follows `on_opposite`."""
        p = self.params
        up = bars["close"] > features["trend"]
        rsi = features["rsi"]
        long = up & crosses_above(rsi, p.rsi_low)
        short = ~up & crosses_below(rsi, p.rsi_high)
        return entries(long, short, self.warmup_bars)
