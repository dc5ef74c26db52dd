"""`simulate`: one pair's signals through backtrader's bar loop and the FX ledger.

backtrader drives the bars (an `ArrayFeed`, a `bt.Strategy` called on every bar); the FX account
(fills at bid/ask, exits, costs, margin, conversion) is `fxjudge.engine.ledger.Ledger`, called on
the bars where something happens. The semantics are in the package docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import backtrader as bt
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.engine import inputs
from fxjudge.engine.conversion import Conversion
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.feed import ArrayFeed
from fxjudge.engine.ledger import Ledger
from fxjudge.signals.exits import ExitRules


@dataclass(frozen=True)
class EngineResult:
    """Trades, the equity curve (one row per bar) and notes on how the run was priced."""

    trades: pd.DataFrame
    equity: pd.DataFrame
    notes: list[str] = field(default_factory=list)


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


def simulate(
    bars: pd.DataFrame,
    signals: pd.Series,
    levels: pd.DataFrame | None = None,
    *,
    pair: FxPair | str,
    rules: ExitRules,
    costs: Costs,
    account: Account,
    sizing: Sizing,
    conversion: Conversion = None,
    probability: pd.Series | None = None,
    lower_bars: pd.DataFrame | None = None,
    entries_allowed: pd.Series | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EngineResult:
    """Execute `signals` on `bars` with the FX broker model of DESIGN.md §4.

    `levels` holds ``stop_distance`` / ``target_distance`` (price units, known at the signal bar,
    NaN where none) as given by `fxjudge.signals.exits.exit_levels`; `conversion` is conversion
    bars, a fixed rate or None (see `fxjudge.engine.conversion`); `probability` is the judge's
    probability per signal bar, copied to the trades; `lower_bars` resolve a stop and a target
    reached in one bar; `entries_allowed` (booleans on the bars' index, default all True) says
    which signals may open a position: the judge's veto (see the package docstring);
    `progress(bars_done, bars_total)` is called about every 1 % of the bars.
    Raises `ConfigError`/`DataError` before running on bad input.
    """
    pair = FxPair.parse(pair)
    inputs.check_rules(sizing, rules, levels)
    market, notes = inputs.market(bars, pair, costs, account, conversion, lower_bars)
    orders = inputs.orders(bars.index, signals, levels, probability, entries_allowed)
    ledger = Ledger(market, orders, rules=rules, costs=costs, account=account, sizing=sizing)
    if len(bars) and orders.signal[-1] != 0:
        last = bars.index[-1]
        notes.append(f"the signal on the last bar ({last}) has no next open: not executed")
    if len(bars):
        _run(bars, market, ledger, progress)
    return EngineResult(ledger.trades_frame(), ledger.equity_frame(), notes + ledger.notes())


def _run(bars: pd.DataFrame, market, ledger: Ledger, progress=None) -> None:
    """Let backtrader drive the bar loop: preloaded, run-once, no observers."""
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=True, maxcpus=1)
    cerebro.adddata(
        ArrayFeed(
            bars.index.as_unit("ns").asi8, market.open, market.high, market.low, market.close,
            bars["volume"].to_numpy(),
        )
    )
    cerebro.addstrategy(_Driver, ledger=ledger, progress=progress)
    cerebro.run()
