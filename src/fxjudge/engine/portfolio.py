"""`simulate_portfolio`: several legs (pairs) through one account on a merged timeline.

Each `Leg` is checked and turned into arrays as a one-pair run is (`inputs.market`,
`inputs.orders`, `compiled._arguments`); the legs' arrays are concatenated and run by
`portfolio_kernels.portfolio_nb` (the compiled engine) or by `backtrader_engine.run_portfolio`
(the reference: a backtrader data feed per leg, `portfolio_ledger.PortfolioLedger` the
account); the result has the usual trades table with a ``pair`` column, the account per
timestamp and each leg's units and P&L. The rules are the package docstring's ("Portfolios").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.engine import frames, inputs
from fxjudge.engine.conversion import LEG_ATTR, Conversion
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.engine import ENGINES
from fxjudge.engine.notes import NO_FREE_MARGIN, NO_SIZE, note
from fxjudge.errors import ConfigError, must
from fxjudge.signals.exits import ExitRules

#: the account's columns, one row per merged timestamp
ACCOUNT_COLUMNS = ("balance", "equity", "used_margin", "margin_level")


@dataclass(frozen=True)
class Leg:
    """One pair of a portfolio: its bars, signals, exit levels, rules, costs and sizing (as
    `fxjudge.engine.simulate` takes them), and optionally the judge's probability and veto."""

    pair: FxPair | str
    bars: pd.DataFrame
    signals: pd.Series
    levels: pd.DataFrame | None = None
    rules: ExitRules = field(default_factory=ExitRules)
    costs: Costs = field(default_factory=Costs)
    sizing: Sizing = field(default_factory=lambda: Sizing(lots=1))
    probability: pd.Series | None = None
    entries_allowed: pd.Series | None = None


@dataclass(frozen=True)
class PortfolioResult:
    """Trades of every leg (column ``pair``, ordered by exit time then leg), the account per
    merged timestamp (`ACCOUNT_COLUMNS`), each leg's signed units and P&L (realised net plus
    open, account currency; columns are the pairs), and notes."""

    trades: pd.DataFrame
    account: pd.DataFrame
    units: pd.DataFrame
    leg_pnl: pd.DataFrame
    notes: list[str]
    engine: str = "compiled"


def leg_conversion(pair: FxPair, currency: str, legs: Sequence[tuple[FxPair, pd.DataFrame]],
                   conversion: Conversion | Mapping[str, Conversion]) -> tuple[Conversion, str]:
    """The conversion a leg's quote currency needs, and a note: none when the quote or base is
    the account currency; else the bars of another leg that is the quote/account pair (either
    orientation: the cross rate from the legs' own bars); else `conversion` (one for all, or a
    mapping from the quote currency)."""
    if currency in (pair.quote, pair.base):
        return None, ""
    for other, bars in legs:
        if {other.base, other.quote} == {pair.quote, currency}:
            view = bars.copy(deep=False)
            view.attrs = {**bars.attrs, "pair": other.symbol, LEG_ATTR: other.symbol}
            return view, note("leg_conversion", pair=pair, quote=pair.quote, account=currency,
                              leg=other)
    if isinstance(conversion, Mapping):
        return conversion.get(pair.quote), ""
    return conversion, ""


def simulate_portfolio(
    legs: Sequence[Leg],
    *,
    account: Account,
    conversion: Conversion | Mapping[str, Conversion] = None,
    engine: str = "compiled",
) -> PortfolioResult:
    """Execute every leg's signals in one account (the package docstring's "Portfolios")."""
    if engine not in ENGINES:
        raise must("engine", " or ".join(repr(name) for name in ENGINES), engine)
    if not legs:
        raise must("legs", "one or more Leg", list(legs))
    pairs = [FxPair.parse(leg.pair) for leg in legs]
    if len(set(pairs)) != len(pairs):
        raise ConfigError(f"`legs` must name each pair once, was {[p.symbol for p in pairs]}")
    from fxjudge.engine import compiled

    notes: list[str] = []
    arguments, all_orders = [], []
    own = list(zip(pairs, [leg.bars for leg in legs], strict=True))
    for pair, leg in zip(pairs, legs, strict=True):
        inputs.check_rules(leg.sizing, leg.rules, leg.levels, leg.probability)
        rate_source, leg_note = leg_conversion(pair, account.currency, own, conversion)
        market, leg_notes = inputs.market(leg.bars, pair, leg.costs, account, rate_source, None)
        orders = inputs.size_factors(
            inputs.orders(leg.bars.index, leg.signals, leg.levels, leg.probability,
                          leg.entries_allowed), leg.sizing)
        notes += [f"{pair}: {n}" for n in ([leg_note] if leg_note else []) + leg_notes]
        if len(orders.signal) and orders.signal[-1] != 0:
            notes.append(f"{pair}: {note('last_signal', time=leg.bars.index[-1])}")
        all_orders.append(orders)
        arguments.append((market, compiled._arguments(market, orders, rules=leg.rules,
                                                      costs=leg.costs, account=account,
                                                      sizing=leg.sizing)))
    times = legs[0].bars.index
    for leg in legs[1:]:
        times = times.union(leg.bars.index)
    markets = [market for market, _ in arguments]
    if engine == "compiled":
        leg_trades, rows, units, pnl, skipped = _run_compiled(arguments, times, account)
    else:
        from fxjudge.engine import backtrader_engine

        leg_inputs = [(market, orders, leg.rules, leg.costs, leg.sizing)
                      for market, orders, leg in zip(markets, all_orders, legs, strict=True)]
        leg_trades, rows, units, pnl, skipped = backtrader_engine.run_portfolio(leg_inputs,
                                                                                 account)
    return _result(times, pairs, markets, leg_trades, rows, units, pnl, skipped, notes, engine)


def _run_compiled(arguments, times, account: Account):
    """`portfolio_kernels.portfolio_nb` on the legs' concatenated arrays."""
    from fxjudge.engine import compiled, portfolio_kernels

    sizes = [len(market.open) for market, _ in arguments]
    leg_end = np.cumsum(sizes).astype(np.int64)
    leg_start = leg_end - np.asarray(sizes, np.int64)
    bars = compiled.BarArrays(*(
        np.concatenate([_filled(a[1][0][f], len(a[0].open)) for a in arguments])
        for f in range(len(compiled.BarArrays._fields))))
    orders_flat = compiled.OrderArrays(*(np.concatenate([a[1][1][f] for a in arguments])
                                         for f in range(len(compiled.OrderArrays._fields))))
    settings = tuple(a[1][3] for a in arguments)
    at = np.full((len(arguments), len(times)), -1, np.int64)
    for k, (market, _) in enumerate(arguments):
        at[k, times.get_indexer(market.times)] = np.arange(leg_start[k], leg_end[k])
    max_trades = [int(np.count_nonzero(a[1][1].signal)) for a in arguments]
    slot_start = np.concatenate([[0], np.cumsum(max_trades)[:-1]]).astype(np.int64)
    trades = np.zeros(max(1, sum(max_trades)), dtype=compiled.TRADE_RECORD)
    n, legs = len(times), len(arguments)
    out_account = np.zeros((n, 3))
    out_units, out_pnl = np.zeros((legs, n)), np.zeros((legs, n))
    counts = np.zeros(legs, np.int64)
    skipped = np.zeros((legs, 2), np.int64)
    portfolio_kernels.portfolio_nb(
        bars, orders_flat, settings, at, leg_start, leg_end, slot_start,
        float(account.stop_out_level), float(account.balance), trades,
        np.zeros(int(leg_end[-1])), out_account, out_units, out_pnl, counts, skipped)
    leg_trades = []
    for k in range(len(arguments)):
        records = trades[slot_start[k]: slot_start[k] + counts[k]]
        local = {name: records[name] for name in frames.TRADE_COLUMNS
                 if name in compiled.TRADE_RECORD.names}
        local["entry_time"] = records["entry_bar"] - leg_start[k]
        local["exit_time"] = records["exit_bar"] - leg_start[k]
        local["exit_reason"] = np.array(compiled.REASON_NAMES, dtype=object)[
            records["exit_reason"]]
        local["same_bar_rule"] = np.array(compiled.RULE_NAMES, dtype=object)[
            records["same_bar_rule"]]
        leg_trades.append(local)
    return leg_trades, out_account, out_units, out_pnl, skipped


def _result(times, pairs, markets, leg_trades, rows, out_units, out_pnl, skipped, notes,
            engine) -> PortfolioResult:
    """The result's tables from either engine's arrays (leg trades on the legs' bar numbers)."""
    tables = []
    for k, market in enumerate(markets):
        local = leg_trades[k]
        zeros = np.zeros(len(market.times))
        run = frames.RunArrays(local, zeros, zeros, zeros, zeros, {})
        table = frames.tables(market.times, run)[0]
        table.insert(0, "pair", pairs[k].symbol)
        table["leg"] = k
        tables.append(table)
        for why, count in ((NO_SIZE, skipped[k, 0]), (NO_FREE_MARGIN, skipped[k, 1])):
            if count:
                notes.append(f"{pairs[k]}: {note('skipped', count=count, why=why)}")
    all_trades = pd.concat(tables, ignore_index=True)
    all_trades = all_trades.sort_values(["exit_time", "leg"], kind="stable").drop(columns="leg")
    used = rows[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(used > 0, rows[:, 1] / used, np.nan)
    account_frame = pd.DataFrame(
        {"balance": rows[:, 0], "equity": rows[:, 1], "used_margin": used,
         "margin_level": level}, index=times)
    columns = [p.symbol for p in pairs]
    units = pd.DataFrame(out_units.T, index=times, columns=columns)
    leg_pnl = pd.DataFrame(out_pnl.T, index=times, columns=columns)
    return PortfolioResult(all_trades.reset_index(drop=True), account_frame, units, leg_pnl,
                           notes, engine)


def _filled(values: np.ndarray, n: int) -> np.ndarray:
    """A leg's per-bar array, NaN for the rates of a leg that converts at 1 / price (empty)."""
    return values if len(values) == n else np.full(n, np.nan)
