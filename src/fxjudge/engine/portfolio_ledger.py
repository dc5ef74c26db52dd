"""The reference portfolio account: one `ledger.Ledger` per leg, one balance, stepped by time.

Pure Python and numpy, no backtrader: `backtrader_engine.run_portfolio` feeds one data per leg
to backtrader, whose loop merges their timestamps, and calls `PortfolioLedger.on_time` with the
bar each leg has at that timestamp (None where it has none). Each leg's exits are planned by
its own `Ledger` (the one-pair reference, without its own stop-out); this class adds only what
is the account's (the package docstring's "Portfolios"): the order across legs within a
timestamp, the free margin an entry is tested against, the marks, and the stop-out of the
largest loss first, which cuts a planned exit short. It is written apart from the compiled
kernel (`portfolio_kernels`) so that the parity battery compares two implementations.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fxjudge.engine.costs import Account
from fxjudge.engine.ledger import Ledger
from fxjudge.engine.notes import NO_MARGIN, NO_SIZE
from fxjudge.signals.barriers import close_side, excursions

_AT_OPEN = frozenset({"time", "opposite", "reverse"})


class PortfolioLedger:
    """The account of several legs: balance, marks, margin, and the record per timestamp."""

    def __init__(self, legs: list[Ledger], account: Account) -> None:
        for leg in legs:
            leg.account = replace(leg.account, stop_out_level=0.0)
        self.legs, self.account = legs, account
        k = len(legs)
        self.balance = account.balance
        self.unreal, self.margin = [0.0] * k, [0.0] * k
        self.seq, self.realised, self.last = [0.0] * k, [0.0] * k, [-1] * k
        self.rows: list[tuple[float, float, float]] = []
        self.units: list[list[float]] = []
        self.pnl: list[list[float]] = []

    def on_time(self, bars: list[int | None]) -> None:
        """Everything that happens at one timestamp, `bars[k]` being leg k's bar (or None)."""
        legs = self.legs
        opening = [0] * len(legs)
        for k, (leg, b) in enumerate(zip(legs, bars, strict=True)):
            if b is None:
                continue
            p = leg.position
            if p is None:
                if leg._next_entry == b:
                    opening[k] = int(leg.orders.signal[b - 1])
                continue
            if b > p.entry_bar:
                inc = float(leg._swap_increments(p, b, b + 1)[0])
                self.seq[k] += inc
                self.unreal[k] += inc
            if p.exit_bar == b and p.exit_reason in _AT_OPEN:
                side = p.side
                if self._close(k, b):
                    opening[k] = -side
                else:
                    leg._next_entry = leg._entry_after(b)
        for k, (leg, b) in enumerate(zip(legs, bars, strict=True)):
            if not opening[k]:
                continue
            leg.balance = self.balance + sum(self.unreal) - sum(self.margin)
            leg._open(b, opening[k], b - 1)
            if leg.position is None:
                leg._next_entry = leg._entry_after(b)
                continue
            self.balance -= leg.position.commission
            self.realised[k] -= leg.position.commission
            self.margin[k], self.unreal[k], self.seq[k] = leg.position.margin, 0.0, 0.0
        for k, (leg, b) in enumerate(zip(legs, bars, strict=True)):
            p = None if b is None else leg.position
            if p is not None and p.exit_bar == b and p.exit_reason not in _AT_OPEN \
                    and p.exit_reason != "end_of_data":
                self._close(k, b)
                leg._next_entry = leg._entry_after(b)
        for k, (leg, b) in enumerate(zip(legs, bars, strict=True)):
            if b is None:
                continue
            self.last[k] = b
            p = leg.position
            if p is None:
                continue
            if p.exit_bar == b:  # the end of the leg's data
                self._close(k, b)
                continue
            m = leg.market
            mark = float(close_side(p.side, m.close[b], m.spread[b]))
            self.unreal[k] = (p.side * (mark - p.entry_price) * p.units * m.rates.at(b, mark)
                              + self.seq[k])
        self._stop_out(bars)
        self.rows.append((self.balance, self.balance + sum(self.unreal), sum(self.margin)))
        self.units.append([0.0 if leg.position is None else
                           float(leg.position.side * leg.position.units) for leg in legs])
        self.pnl.append([r + u for r, u in zip(self.realised, self.unreal, strict=True)])

    def _stop_out(self, bars: list[int | None]) -> None:
        """Close the largest loss while equity <= stop_out_level * used margin."""
        level = self.account.stop_out_level
        while level > 0:
            used = sum(self.margin)
            if used <= 0 or self.balance + sum(self.unreal) > level * used:
                return
            open_legs = [k for k, leg in enumerate(self.legs) if leg.position is not None]
            k = min(open_legs, key=lambda j: (self.unreal[j], j))
            leg, b = self.legs[k], self.last[k]
            p, m = leg.position, leg.market
            p.exit_bar, p.exit_reason, p.reverse, p.same_bar_rule = b, "stop_out", False, ""
            p.exit_price = float(close_side(p.side, m.close[b], m.spread[b]))
            self._close(k, b)
            trade = leg.trades[-1]  # held through the whole bar: its range counts
            mae, mfe = excursions(p.side, p.entry_price, m.high, m.low, m.spread,
                                  slice(p.entry_bar, b + 1), (trade["exit_price"],))
            trade["mae_pips"], trade["mfe_pips"] = mae / m.pip_size, mfe / m.pip_size
            # a leg stopped out at its own bar decides at that close; one without a bar here
            # decided at its last close while still in the position
            leg._next_entry = leg._entry_after(b if bars[k] == b else b + 1)

    def _close(self, k: int, b: int) -> bool:
        """Close leg k's position at bar b as planned; True when a reverse entry follows."""
        leg = self.legs[k]
        leg.balance = before = self.balance
        reverse = leg._close(b)
        self.balance = leg.balance
        self.realised[k] += self.balance - before
        self.unreal[k], self.margin[k], self.seq[k] = 0.0, 0.0, 0.0
        return reverse

    def arrays(self):
        """Per leg the trades' columns (bar numbers of the leg) and the skip counts; the
        account rows (balance, equity, used margin), units and P&L per leg and timestamp."""
        trades = [leg.arrays().trades for leg in self.legs]
        skipped = np.array([[leg.skipped[NO_SIZE], leg.skipped[NO_MARGIN]] for leg in self.legs],
                           dtype=np.int64)
        return (trades, np.array(self.rows).reshape(-1, 3), np.array(self.units).T,
                np.array(self.pnl).T, skipped)
