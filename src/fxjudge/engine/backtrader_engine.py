"""The reference engine: backtrader's bar loop driving the FX ledger (the one backtrader import).

backtrader drives the bars: they go in through `ArrayFeed` (a `bt.feed.DataBase` fed from numpy
arrays, not `PandasData`), and `_Driver`, a `bt.Strategy`, hands the bars where something happens
to `fxjudge.engine.ledger.Ledger`, the FX account. backtrader's broker, orders and sizers are not
used (the package docstring says why). This is the implementation the compiled engine is held to,
trade for trade, by the parity battery (tests/engine/test_parity.py).

`ArrayFeed` saves what `bt.feeds.PandasData` spends (it reads every row with ``DataFrame.iloc``,
half of a run's time), with two overrides in this subclass (backtrader's own code is untouched):

- `preload` copies each column into its line buffer in one go (backtrader keeps a preloaded line
  as an ``array('d')``, which is what its own bar-by-bar `load` appends to) instead of one
  `load` call per bar; set ``bulk_preload = False`` to use backtrader's path (same values);
- `advance`/`next` pass ``ticks=False``: the ``tick_*`` attributes they would refresh on every
  bar serve only backtrader's order matching, which the engine does not use.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import backtrader as bt
import numpy as np

from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.frames import RunArrays
from fxjudge.engine.inputs import Market, Orders
from fxjudge.engine.ledger import Ledger
from fxjudge.signals.exits import ExitRules

#: backtrader's date number of 1970-01-01 (days since 0001-01-01, plus one).
_EPOCH_DAYS = 719163.0
_NS_PER_DAY = 86_400e9


def run(
    market: Market,
    orders: Orders,
    *,
    rules: ExitRules,
    costs: Costs,
    account: Account,
    sizing: Sizing,
    progress: Callable[[int, int], None] | None = None,
) -> RunArrays:
    """Run the ledger under backtrader's loop (preloaded, run-once, no observers).

    `progress(bars_done, bars_total)` is called about every 1 % of the bars. The feed's volume
    line is zeros: nothing reads it.
    """
    ledger = Ledger(market, orders, rules=rules, costs=costs, account=account, sizing=sizing)
    if ledger.n:
        cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=True, maxcpus=1)
        cerebro.adddata(
            ArrayFeed(market.times.as_unit("ns").asi8, market.open, market.high, market.low,
                      market.close, np.zeros(ledger.n))
        )
        cerebro.addstrategy(_Driver, ledger=ledger, progress=progress)
        cerebro.run()
    return ledger.arrays()


class _Driver(bt.Strategy):
    """Hands every bar's index to the ledger when it has an event there."""

    params = (("ledger", None), ("progress", None))

    def start(self) -> None:
        self._bar = -1
        self._next_event = self.p.ledger.first_event()
        self._every = max(1, self.p.ledger.n // 100)
        self._next_report = 0 if self.p.progress else -1

    def next(self) -> None:
        self._bar += 1
        if self._bar == self._next_event:
            self._next_event = self.p.ledger.on_bar(self._bar)
        if self._bar == self._next_report:
            self._next_report += self._every
            self.p.progress(self._bar + 1, self.p.ledger.n)

    def stop(self) -> None:
        if self.p.progress:
            self.p.progress(self._bar + 1, self.p.ledger.n)
        if self._bar != self.p.ledger.n - 1:
            raise RuntimeError(f"backtrader delivered {self._bar + 1} of {self.p.ledger.n} bars")


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


def run_portfolio(legs: list[tuple[Market, Orders, ExitRules, Costs, Sizing]], account: Account):
    """A portfolio under backtrader's loop: one `ArrayFeed` per leg, backtrader merging their
    timestamps; `portfolio_ledger.PortfolioLedger` is the account (see its `arrays`)."""
    from fxjudge.engine.portfolio_ledger import PortfolioLedger

    ledgers = [Ledger(market, orders, rules=rules, costs=costs, account=account, sizing=sizing)
               for market, orders, rules, costs, sizing in legs]
    book = PortfolioLedger(ledgers, account)
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=True, maxcpus=1)
    for market, *_ in legs:
        cerebro.adddata(ArrayFeed(market.times.as_unit("ns").asi8, market.open, market.high,
                                  market.low, market.close, np.zeros(len(market.open))))
    cerebro.addstrategy(_PortfolioDriver, book=book)
    cerebro.run()
    return book.arrays()


class _PortfolioDriver(bt.Strategy):
    """Hands each merged timestamp to the portfolio ledger, with the bar every leg has there:
    a data whose length grew since the last call has a new bar."""

    params = (("book", None),)

    def start(self) -> None:
        self._seen = [0] * len(self.datas)

    def prenext(self) -> None:
        self.next()  # a leg whose bars start later has none yet: the others go on

    def next(self) -> None:
        bars: list[int | None] = []
        for k, data in enumerate(self.datas):
            now = len(data)
            bars.append(now - 1 if now > self._seen[k] else None)
            self._seen[k] = now
        self.p.book.on_time(bars)

    def stop(self) -> None:
        delivered = [len(ledger.market.open) for ledger in self.p.book.legs]
        if self._seen != delivered:
            raise RuntimeError(f"backtrader delivered {self._seen} of {delivered} bars")
