"""Opening range breakout of the Tokyo or London session, in the session's own clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from fxjudge.data.bars import timeframe
from fxjudge.errors import must
from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, entries

#: Session name -> (its time zone, its opening time in minutes after local midnight).
SESSIONS = {"tokyo": ("Asia/Tokyo", 9 * 60), "london": ("Europe/London", 8 * 60)}


class SessionBreakout(Strategy):
    """Buy the first close above the session's opening range, sell the first close below it.

    The opening range is the high and low of the first `range_minutes` of the session (Tokyo
    09:00 Asia/Tokyo, London 08:00 Europe/London), in the session's own clock, so London's range
    is 07:00 UTC in British summer time and 08:00 UTC in winter. A bar belongs to the range when it
    opens inside that window. The range is known only once the window has closed: it is NaN
    before, and signals come only from bars that open after the window, during the next
    `trade_minutes`. One signal per session day at most: the first breakout, either way.

    Parameters: `session`, "tokyo" or "london"; `range_minutes`, the length of the opening range
    (at least one bar); `trade_minutes`, how long after the range a breakout still counts;
    `atr_bars`, `stop_loss_atr` and `take_profit_atr`, a stop and target in ATRs; `max_bars`, an
    optional time exit in bars (e.g. to be flat by the session's end); `on_opposite`, what an
    opposite signal does.
    """

    @dataclass(frozen=True)
    class Params:
        """The parameters described above, with their defaults."""

        session: Literal["tokyo", "london"] = "london"
        range_minutes: int = 60
        trade_minutes: int = 240
        atr_bars: int = 14
        stop_loss_atr: float | None = 1.0
        take_profit_atr: float | None = 2.0
        max_bars: int | None = None
        on_opposite: Literal["exit", "reverse", "ignore"] = "exit"

        def __post_init__(self) -> None:
            if self.range_minutes < 1:
                raise must("range_minutes", ">= 1", self.range_minutes)
            if self.trade_minutes < 1:
                raise must("trade_minutes", ">= 1", self.trade_minutes)
            latest = 24 * 60 - SESSIONS[self.session][1] - self.range_minutes
            if self.trade_minutes > latest:
                raise must(
                    "trade_minutes",
                    f"<= {latest} (to end by midnight in the session's own clock)",
                    self.trade_minutes,
                )

    @property
    def warmup_bars(self) -> int:
        """The range needs no history; the ATR stop does."""
        return self.params.atr_bars

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The opening range (NaN until its window has closed), the session phase and the ATR."""
        p = self.params
        self._check_bar_length(bars)
        zone, open_minute = SESSIONS[p.session]
        local = bars.index.tz_convert(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        day = local.tz_localize(None).normalize()
        in_range = (minute >= open_minute) & (minute < open_minute + p.range_minutes)
        range_end = open_minute + p.range_minutes
        after_range = (minute >= range_end) & (minute < range_end + p.trade_minutes)
        # Running extremes of the range's bars within each day, carried forward, shown only
        # after the window: each value uses bars at or before its own.
        high = bars["high"].where(in_range).groupby(day).cummax().groupby(day).ffill()
        low = bars["low"].where(in_range).groupby(day).cummin().groupby(day).ffill()
        return pd.DataFrame(
            {
                "range_high": high.where(after_range),
                "range_low": low.where(after_range),
                "in_range": in_range.astype(np.float64),
                "after_range": after_range.astype(np.float64),
                "atr": ind.atr(bars, p.atr_bars),
            },
            index=bars.index,
        )

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 / -1 on the session day's first close outside its opening range."""
        close = bars["close"]
        up = close > features["range_high"]
        down = close < features["range_low"]
        day = bars.index.tz_convert(ZoneInfo(SESSIONS[self.params.session][0]))
        day = day.tz_localize(None).normalize()
        first = (up | down).astype(int).groupby(day).cumsum() == 1
        return entries(up & first, down & first, self.warmup_bars)

    def _check_bar_length(self, bars: pd.DataFrame) -> None:
        """The bars must be no longer than the range window, or the range would leak past it."""
        name = bars.attrs.get("timeframe")
        if name and timeframe(name).minutes > self.params.range_minutes:
            raise must(
                "range_minutes",
                f">= the bar length ({timeframe(name).minutes} minutes for {name} bars)",
                self.params.range_minutes,
            )
