"""A backtrader data feed read straight from numpy arrays, and what makes it fast.

`bt.feeds.PandasData` reads every row with ``DataFrame.iloc``, half of a run's time. `ArrayFeed`
is a `bt.feed.DataBase` fed from arrays instead, with two further savings, both overrides in this
subclass (backtrader's own code is untouched):

- `preload` copies each column into its line buffer in one go (backtrader keeps a preloaded line
  as an ``array('d')``, which is what its own bar-by-bar `load` appends to) instead of one
  `load` call per bar; set ``bulk_preload = False`` to use backtrader's path (same values);
- `advance`/`next` pass ``ticks=False``: the ``tick_*`` attributes they would refresh on every
  bar serve only backtrader's order matching, which the engine does not use.
"""

from __future__ import annotations

from array import array

import backtrader as bt
import numpy as np

#: backtrader's date number of 1970-01-01 (days since 0001-01-01, plus one).
_EPOCH_DAYS = 719163.0
_NS_PER_DAY = 86_400e9


def date_numbers(times_ns: np.ndarray) -> np.ndarray:
    """backtrader's float date numbers of UTC times given as int64 nanoseconds."""
    return times_ns / _NS_PER_DAY + _EPOCH_DAYS


class ArrayFeed(bt.feed.DataBase):
    """Bars from numpy arrays: UTC times (int64 ns) and open/high/low/close/volume."""

    bulk_preload = True

    def __init__(self, times_ns, open_, high, low, close, volume) -> None:
        columns = {
            "datetime": date_numbers(np.asarray(times_ns, dtype=np.int64)),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
        }
        self._columns = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in columns.items()}
        self._columns["openinterest"] = np.zeros(len(self._columns["datetime"]))
        self._rows: list[tuple] | None = None
        self._row = 0

    def start(self) -> None:
        """Rewind to the first bar."""
        super().start()
        self._row = 0

    def _load(self) -> bool:
        """Backtrader's bar-by-bar path (used when not preloading)."""
        aliases = self.getlinealiases()
        if self._rows is None:
            self._rows = list(zip(*(self._columns[a].tolist() for a in aliases), strict=True))
        if self._row >= len(self._rows):
            return False
        for alias, value in zip(aliases, self._rows[self._row], strict=True):
            getattr(self.lines, alias)[0] = value
        self._row += 1
        return True

    def preload(self) -> None:
        """Copy every column into its line buffer at once, then rewind like backtrader does."""
        lines = [getattr(self.lines, alias) for alias in self.getlinealiases()]
        if not self.bulk_preload or any(line.mode != line.UnBounded for line in lines):
            super().preload()
            return
        for alias, line in zip(self.getlinealiases(), lines, strict=True):
            line.array = array("d", self._columns[alias].tobytes())
        self.home()

    def advance(self, size=1, datamaster=None, ticks=True):
        """Move to the next preloaded bar without refreshing the unused ``tick_*`` values."""
        return super().advance(size, datamaster, ticks=False)

    def next(self, datamaster=None, ticks=True):
        """Load the next bar without refreshing the unused ``tick_*`` values."""
        return super().next(datamaster, ticks=False)
