"""The FX account of one pair, advanced event by event: fills, exits, costs and the equity curve.

Pure Python and numpy, no backtrader: the reference engine's backtrader strategy
(`backtrader_engine`) calls `Ledger.on_bar` on the bars where something happens
(`Ledger.first_event` / the value `on_bar` returns). When a position opens, its whole exit is
planned at once with the vectorised exit logic of `fxjudge.signals.barriers` (stop, target,
stop-out, time, opposite signal, end of data), so the engine and the judge's labels share one
implementation of the exit rules. `Ledger.arrays` reports the run for `frames.tables`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fxjudge.engine.costs import Account, Costs, Sizing, commission_account, slipped, swap_quote
from fxjudge.engine.frames import TRADE_COLUMNS, RunArrays
from fxjudge.engine.inputs import Market, Orders
from fxjudge.engine.margin import position_units, sized_units, stop_out_price, used_margin
from fxjudge.engine.notes import NO_MARGIN, NO_SIZE
from fxjudge.signals.barriers import (
    REASONS,
    SLIPPED_REASONS,
    Trail,
    close_side,
    excursions,
    first_exit,
)
from fxjudge.signals.exits import ExitRules, trail_of

_INTRABAR = frozenset(REASONS.values())


@dataclass
class _Position:
    side: int
    units: int
    entry_bar: int
    signal_bar: int
    entry_price: float
    stop: float
    target: float
    margin: float
    balance: float
    commission: float
    exit_bar: int = -1
    exit_reason: str = ""
    exit_price: float = float("nan")
    same_bar_rule: str = ""
    reverse: bool = False


class Ledger:
    """Balance, the open position and the record of trades and equity for one run."""

    def __init__(
        self,
        market: Market,
        orders: Orders,
        *,
        rules: ExitRules,
        costs: Costs,
        account: Account,
        sizing: Sizing,
    ) -> None:
        self.market, self.orders, self.rules = market, orders, rules
        self.costs, self.account, self.sizing = costs, account, sizing
        self.n = len(market.open)
        self.slippage = costs.slippage_pips * market.pip_size
        self.balance = account.balance
        self.position: _Position | None = None
        self.trades: list[dict] = []
        self.skipped: Counter[str] = Counter()
        self._balance_at: dict[int, float] = {}
        self._equity = np.full(self.n, np.nan)
        self._margin = np.zeros(self.n)
        self._units = np.zeros(self.n)
        allowed = np.ones(self.n, dtype=bool) if orders.allowed is None else orders.allowed
        self._allowed = allowed
        self._signal_bars = np.flatnonzero((orders.signal != 0) & allowed)
        self._bars_by_side = {
            1: np.flatnonzero(orders.signal > 0),
            -1: np.flatnonzero(orders.signal < 0),
        }
        self._next_entry = self._entry_after(0)
        self._moving = trail_of(rules, market.pip_size)

    # -- the event loop -----------------------------------------------------------------------

    def first_event(self) -> int:
        """The first bar where something happens (``n`` if none)."""
        return self._next_entry

    def on_bar(self, bar: int) -> int:
        """Handle every event at `bar` (exits, then entries) and return the next event's bar."""
        while True:
            position = self.position
            if position is not None:
                if position.exit_bar != bar:
                    return position.exit_bar
                if self._close(bar):
                    self._open(bar, -position.side, bar - 1)
                    if self.position is None:
                        self._next_entry = self._entry_after(bar)
                else:
                    self._next_entry = self._entry_after(bar)
            elif self._next_entry == bar:
                self._open(bar, int(self.orders.signal[bar - 1]), bar - 1)
                if self.position is None:
                    self._next_entry = self._entry_after(bar)
            else:
                return self._next_entry

    def _entry_after(self, bar: int) -> int:
        """Entry bar of the first allowed signal at or after `bar` while flat (``n``: none)."""
        k = np.searchsorted(self._signal_bars, bar)
        if k == len(self._signal_bars):
            return self.n
        return min(int(self._signal_bars[k]) + 1, self.n)

    # -- opening ------------------------------------------------------------------------------

    def _open(self, bar: int, side: int, signal_bar: int) -> None:
        m, o, account = self.market, self.orders, self.account
        buying = side > 0
        fill = slipped(m.open[bar] + (m.spread[bar] if buying else 0.0), buying, self.slippage)
        stop = fill - side * o.stop_distance[signal_bar]
        rate = m.rates.at(bar, fill)
        units = position_units(
            self.sizing,
            lot_size=account.lot_size,
            equity=self.balance,
            stop_distance=o.stop_distance[signal_bar],
            loss_rate=m.rates.at(bar, stop),
        )
        if o.size_factor is not None:
            units = sized_units(units, o.size_factor[signal_bar])
        if units < 1:
            self.skipped[NO_SIZE] += 1
            return
        commission = commission_account(units, account.lot_size, self.costs.commission_per_lot)
        margin = used_margin(units, fill, rate, account.leverage)
        if margin > self.balance - commission:
            self.skipped[NO_MARGIN] += 1
            return
        self.balance -= commission
        self._balance_at[bar] = self.balance
        position = _Position(
            side, units, bar, signal_bar, fill, stop,
            fill + side * o.target_distance[signal_bar], margin, self.balance, commission,
        )
        self._plan(position)
        self.position = position

    def _plan(self, p: _Position) -> None:
        """Decide how and where the position ends (see the package docstring)."""
        n, rules, m = self.n, self.rules, self.market
        open_exit, reason, reverse = n, "", False
        if rules.max_bars is not None:
            open_exit, reason = p.entry_bar + rules.max_bars, "time"
        if rules.on_opposite != "ignore":
            bars = self._bars_by_side[-p.side]
            k = np.searchsorted(bars, p.entry_bar)
            if k < len(bars) and bars[k] + 1 < n and bars[k] + 1 <= open_exit:
                # a rejected opposite signal still ends the position, but opens nothing
                reverse = rules.on_opposite == "reverse" and bool(self._allowed[bars[k]])
                if bars[k] + 1 < open_exit:
                    open_exit = int(bars[k]) + 1
                    reason = "reverse" if reverse else "opposite"
        hit = None
        stop_out = self._stop_out_levels(p) if self.account.stop_out_level > 0 else None
        trail = self._trail(p)
        if stop_out is not None or trail.active or not (np.isnan(p.stop) and np.isnan(p.target)):
            hit = first_exit(
                p.side, m.open, m.high, m.low, m.spread, p.stop, p.target,
                start=p.entry_bar, end=min(open_exit, n), stop_out=stop_out, lower=m.lower,
                trail=trail, fill=p.entry_price,
            )
        if hit is not None:
            p.exit_bar, p.exit_reason, p.exit_price = hit.index, REASONS[hit.code], hit.price
            p.same_bar_rule = hit.same_bar_rule
        elif open_exit < n:
            p.exit_bar, p.exit_reason, p.reverse = open_exit, reason, reverse
            p.exit_price = float(close_side(p.side, m.open[open_exit], m.spread[open_exit]))
        else:
            p.exit_bar, p.exit_reason = n - 1, "end_of_data"
            p.exit_price = float(close_side(p.side, m.close[n - 1], m.spread[n - 1]))

    def _trail(self, p: _Position) -> Trail:
        """The position's moving stop (`inputs.trail_of`, its distance from the signal bar)."""
        trail = self._moving
        if self.orders.trail_distance is not None:
            trail = replace(trail, distance=float(self.orders.trail_distance[p.signal_bar]))
        return trail

    def _swap_increments(self, p: _Position, start: int, stop: int) -> np.ndarray:
        """Swap (account currency) credited on reaching each bar ``start:stop`` while held."""
        m = self.market
        pips = self.costs.swap_long_pips if p.side > 0 else self.costs.swap_short_pips
        nights = m.nights[start:stop].astype(np.float64)
        if start == p.entry_bar and stop > start:
            nights[0] = 0.0  # entering at a bar's open pays no rollover before it
        if pips == 0 or not nights.any():
            return np.zeros(stop - start)
        per_night = swap_quote(1.0, p.units, pips, m.pip_size)
        return nights * per_night * m.rates.along(start, stop, m.open[start:stop])

    def _stop_out_levels(self, p: _Position):
        """A function giving the stop-out price for bars ``a:b``, scanned in order."""
        m, threshold = self.market, self.account.stop_out_level * p.margin
        accrued = [0.0]

        def levels(a: int, b: int) -> np.ndarray:
            swap = accrued[0] + np.cumsum(self._swap_increments(p, a, b))
            if len(swap):
                accrued[0] = swap[-1]
            rate = None if m.rates.per_bar is None else m.rates.per_bar[a:b]
            allowed = p.balance + swap - threshold
            return stop_out_price(p.side, p.entry_price, p.units, allowed, rate)

        return levels

    # -- closing ------------------------------------------------------------------------------

    def _close(self, bar: int) -> bool:
        """Close the position at `bar` as planned; True when a reverse entry follows."""
        p, m = self.position, self.market
        e, side, reason = p.entry_bar, p.side, p.exit_reason
        price = p.exit_price
        if reason in SLIPPED_REASONS:
            price = slipped(price, side < 0, self.slippage)
        pnl_quote = side * (price - p.entry_price) * p.units
        pnl_account = pnl_quote * m.rates.at(bar, price)
        increments = self._swap_increments(p, e, bar + 1)
        swap = float(increments.sum())
        exit_commission = commission_account(
            p.units, self.account.lot_size, self.costs.commission_per_lot
        )
        self.balance += pnl_account + swap - exit_commission
        self._balance_at[bar] = self.balance
        self._mark(p, bar, np.cumsum(increments)[: bar - e])
        full_end = bar + 1 if reason == "end_of_data" else bar
        points = (price,)
        if reason in _INTRABAR:
            points = (float(close_side(side, m.open[bar], m.spread[bar])), price)
        mae, mfe = excursions(
            side, p.entry_price, m.high, m.low, m.spread, slice(e, full_end), points
        )
        commission = p.commission + exit_commission
        self.trades.append({
            "entry_time": e,
            "exit_time": bar,
            "side": side,
            "units": p.units,
            "entry_price": p.entry_price,
            "exit_price": price,
            "exit_reason": reason,
            "same_bar_rule": p.same_bar_rule,
            "pips": side * (price - p.entry_price) / m.pip_size,
            "pnl_quote": pnl_quote,
            "pnl_account": pnl_account,
            "commission": commission,
            "swap": swap,
            "net_account": pnl_account + swap - commission,
            "bars_held": bar - e + (reason in _INTRABAR or reason == "end_of_data"),
            "mae_pips": mae / m.pip_size,
            "mfe_pips": mfe / m.pip_size,
            "probability": self.orders.probability[p.signal_bar],
        })
        self.position = None
        return p.reverse

    def _mark(self, p: _Position, end: int, accrued: np.ndarray) -> None:
        """Equity of the bars ``entry:end`` held at their close, marked on the close side."""
        m, rows = self.market, slice(p.entry_bar, end)
        marks = close_side(p.side, m.close[rows], m.spread[rows])
        unrealised = p.side * (marks - p.entry_price) * p.units
        rates = m.rates.along(p.entry_bar, end, marks)
        self._equity[rows] = p.balance + unrealised * rates + accrued
        self._margin[rows] = p.margin
        self._units[rows] = p.side * p.units

    # -- results ------------------------------------------------------------------------------

    def arrays(self) -> RunArrays:
        """The run so far as arrays (see `frames.RunArrays`): trades, then the account per bar."""
        columns = {name: [trade[name] for trade in self.trades] for name in TRADE_COLUMNS}
        balance = pd.Series(np.nan, index=range(self.n))
        balance[list(self._balance_at)] = list(self._balance_at.values())
        balance = balance.ffill().fillna(self.account.balance).to_numpy()
        return RunArrays(columns, balance, self._equity, self._margin, self._units,
                         dict(self.skipped))
