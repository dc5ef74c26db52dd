"""The compiled engine: the engine's rules as numba kernels, pure functions over numpy arrays.

The rules are the package docstring's; the backtrader engine (`backtrader_engine` + `ledger`) is
the reference, and the parity battery (tests/engine/test_parity.py) holds this engine to it
trade for trade. In the style of vectorbt's ``portfolio/nb.py``, the kernels (`kernels`) take
numpy arrays (grouped in the named tuples below) and scalars, keep no Python object in their
loop and fill a record array of trades and arrays of the account per bar; `run` is the thin
layer around them, from `inputs.Market`/`inputs.Orders` and the settings to `frames.RunArrays`.

Where the reference's floating-point arithmetic has an order, the kernels follow it, so that
prices and money come out equal to the last bit, not merely close (a balance one ulp away could
move a risk-sized position across a whole unit): a closed trade's swap is summed the way numpy
sums an array (`kernels.pairwise_sum_nb`), and the swap that moves a stop-out level is accrued
in the same growing windows in which `signals.barriers.first_exit` scans for exits (16 bars,
then 64, 256, ...). Every other amount is computed in the reference's order of operations.

Progress: the bar loop can stop after any bar and resume (its state between two calls is a
`LOOP_STATE` record), so with a `progress` callback `run` calls the kernel on about 1 % of the
bars at a time and reports ``progress(bars_done, bars_total)`` after each call, as the backtrader
engine does; without one it runs all the bars in one call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.frames import TRADE_COLUMNS, RunArrays
from fxjudge.engine.inputs import Market, Orders, constant
from fxjudge.engine.kernels import EXIT, IGNORE, REVERSE_OPPOSITE, simulate_nb
from fxjudge.engine.margin import position_units
from fxjudge.engine.notes import NO_MARGIN, NO_SIZE
from fxjudge.signals.exits import ExitRules, trail_of

#: names of the kernels' exit and same-bar rule codes (`kernels.NO_EXIT` ..., `kernels.NO_RULE` ...)
REASON_NAMES = ("", "stop_loss", "take_profit", "stop_out", "time", "opposite", "reverse",
                "end_of_data", "trailing_stop", "break_even")
RULE_NAMES = ("", "stop_first", "lower_timeframe")
ON_OPPOSITE = {"ignore": IGNORE, "exit": EXIT, "reverse": REVERSE_OPPOSITE}

#: one trade, and while it is open the position: the entry fields are written at the entry
#: (`commission` then holds the entry's), the exit fields at the exit; `stop`, `target`,
#: `margin`, `cash` (the balance after the entry's commission), `swap_per_night` (quote
#: currency) and `trail` (the trailing stop's distance, NaN: none) are the position's, not output
TRADE_RECORD = np.dtype([
    ("entry_bar", np.int64), ("exit_bar", np.int64), ("side", np.int64), ("units", np.float64),
    ("entry_price", np.float64), ("exit_price", np.float64), ("exit_reason", np.int64),
    ("same_bar_rule", np.int64), ("pips", np.float64), ("pnl_quote", np.float64),
    ("pnl_account", np.float64), ("commission", np.float64), ("swap", np.float64),
    ("net_account", np.float64), ("bars_held", np.int64), ("mae_pips", np.float64),
    ("mfe_pips", np.float64), ("probability", np.float64),
    ("stop", np.float64), ("target", np.float64), ("margin", np.float64), ("cash", np.float64),
    ("swap_per_night", np.float64), ("trail", np.float64),
])


#: the bar loop's state between two calls of `simulate_nb` (its loop invariant names each field)
LOOP_STATE = np.dtype([
    ("balance", np.float64), ("count", np.int64), ("no_size", np.int64),
    ("no_margin", np.int64), ("side", np.int64), ("entry", np.int64), ("seq_swap", np.float64),
    ("window_swap", np.float64), ("window_run", np.float64), ("window_end", np.int64),
    ("window_size", np.int64), ("worst", np.float64), ("best", np.float64),
    ("entry_side", np.int64), ("open_exit", np.int64), ("reverse", np.bool_),
])


class BarArrays(NamedTuple):
    """Bid open/high/low/close, spread (price units), rollover nights and quote -> account rates
    per bar (`rates` is unused, and may be empty, when `Settings.inverse_rate` is set)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    spread: np.ndarray
    nights: np.ndarray
    rates: np.ndarray


class OrderArrays(NamedTuple):
    """Per bar: signal (int8), stop/target/trailing distances (price units), probability,
    allowed, and the factor an entry on that signal multiplies its units by (sizing by
    probability; all 1 otherwise)."""

    signal: np.ndarray
    stop_distance: np.ndarray
    target_distance: np.ndarray
    probability: np.ndarray
    allowed: np.ndarray
    trail_distance: np.ndarray
    size_factor: np.ndarray


class LowerArrays(NamedTuple):
    """Lower-timeframe bid open/high/low/spread and, per main bar, its lower bars
    ``first[i]:end[i]`` (all empty when there are none)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    spread: np.ndarray
    first: np.ndarray
    end: np.ndarray


class RunOutput(NamedTuple):
    """What `simulate_nb` fills: the trade records and, per bar, the balance, the equity where a
    position is held (NaN where flat), the used margin, the signed units, and the swap credited
    to the open position on reaching the bar (its working memory)."""

    trades: np.ndarray
    balance: np.ndarray
    marks: np.ndarray
    used_margin: np.ndarray
    position_units: np.ndarray
    increments: np.ndarray


class Settings(NamedTuple):
    """The run's scalars: prices in price units, money in the account currency."""

    pip_size: float
    slippage: float
    commission_per_lot: float
    lot_size: float
    swap_long_pips: float
    swap_short_pips: float
    leverage: float
    stop_out_level: float
    fixed_units: float  # 0 with risk sizing
    risk_fraction: float  # 0 with fixed units or lots
    max_bars: int  # 0: no time exit
    on_opposite: int  # ON_OPPOSITE
    inverse_rate: bool  # the base currency is the account currency: rate = 1 / price
    has_lower: bool
    has_swap: bool  # a swap is paid (else no rollover is accrued at all)
    moving_stop: bool  # a trailing stop or a break-even move (`inputs.trail_of`)
    trail_activation: float  # price units; NaN: trails from the fill at once
    break_even_after: float  # price units; NaN: no break-even move
    break_even_plus: float


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
    """Run `simulate_nb` on a checked market and orders; `progress(bars_done, bars_total)`, when
    given, is called about every 1 % of the bars."""
    n = len(market.open)
    bars, order_arrays, lower, settings = _arguments(
        market, orders, rules=rules, costs=costs, account=account, sizing=sizing
    )
    max_trades = int(np.count_nonzero(order_arrays.signal))  # one signal bar per entry at most
    out = RunOutput(np.zeros(max_trades, dtype=TRADE_RECORD), np.empty(n), np.full(n, np.nan),
                    np.zeros(n), np.zeros(n), np.zeros(n))
    state = np.zeros(1, dtype=LOOP_STATE)  # flat, nothing decided, no trade yet
    state["balance"] = account.balance  # the cash before the first bar
    step = max(1, -(-n // 100)) if progress else max(1, n)
    for start in range(0, n, step):
        stop = min(start + step, n)
        simulate_nb(bars, order_arrays, lower, settings, state, out, start, stop)
        if progress:
            progress(stop, n)
    records = out.trades[: state["count"][0]]
    trades = {name: records[name] for name in TRADE_COLUMNS if name in TRADE_RECORD.names}
    trades["entry_time"], trades["exit_time"] = records["entry_bar"], records["exit_bar"]
    trades["exit_reason"] = np.array(REASON_NAMES, dtype=object)[records["exit_reason"]]
    trades["same_bar_rule"] = np.array(RULE_NAMES, dtype=object)[records["same_bar_rule"]]
    skipped = {NO_SIZE: int(state["no_size"][0]), NO_MARGIN: int(state["no_margin"][0])}
    return RunArrays(trades, out.balance, out.marks, out.used_margin, out.position_units,
                     skipped)


def _arguments(market: Market, orders: Orders, *, rules, costs, account, sizing):
    """The kernel's arguments: contiguous arrays of fixed dtypes and the `Settings`."""
    n = len(market.open)
    inverse = market.rates.per_bar is None
    bars = BarArrays(
        *(np.ascontiguousarray(a, dtype=np.float64)
          for a in (market.open, market.high, market.low, market.close, market.spread)),
        np.ascontiguousarray(market.nights, dtype=np.int64),
        np.empty(0) if inverse else np.ascontiguousarray(market.rates.per_bar, dtype=np.float64),
    )
    allowed = constant(n, True, np.bool_) if orders.allowed is None else orders.allowed
    order_arrays = OrderArrays(
        np.ascontiguousarray(orders.signal, dtype=np.int8),
        np.ascontiguousarray(orders.stop_distance, dtype=np.float64),
        np.ascontiguousarray(orders.target_distance, dtype=np.float64),
        np.ascontiguousarray(orders.probability, dtype=np.float64),
        np.ascontiguousarray(allowed, dtype=np.bool_),
        constant(n, np.nan) if orders.trail_distance is None
        else np.ascontiguousarray(orders.trail_distance, dtype=np.float64),
        constant(n, 1.0) if orders.size_factor is None
        else np.ascontiguousarray(orders.size_factor, dtype=np.float64),
    )
    low = market.lower
    if low is None:
        lower = LowerArrays(*(np.empty(0) for _ in range(4)), *(np.empty(0, np.int64),) * 2)
    else:
        lower = LowerArrays(
            *(np.ascontiguousarray(a, dtype=np.float64)
              for a in (low.open, low.high, low.low, low.spread)),
            np.ascontiguousarray(low.first, dtype=np.int64),
            np.ascontiguousarray(low.end, dtype=np.int64),
        )
    trail = trail_of(rules, market.pip_size)
    fixed_units = 0.0  # risk sizing sizes each entry in the kernel
    if sizing.risk_fraction is None:
        fixed_units = float(position_units(sizing, lot_size=account.lot_size, equity=0.0,
                                           stop_distance=np.nan, loss_rate=np.nan))
    settings = Settings(
        pip_size=float(market.pip_size),
        slippage=float(costs.slippage_pips * market.pip_size),
        commission_per_lot=float(costs.commission_per_lot),
        lot_size=float(account.lot_size),
        swap_long_pips=float(costs.swap_long_pips),
        swap_short_pips=float(costs.swap_short_pips),
        leverage=float(account.leverage),
        stop_out_level=float(account.stop_out_level),
        fixed_units=fixed_units,
        risk_fraction=float(sizing.risk_fraction or 0.0),
        max_bars=int(rules.max_bars or 0),
        on_opposite=ON_OPPOSITE[rules.on_opposite],
        inverse_rate=bool(inverse),
        has_lower=low is not None,
        has_swap=bool(costs.swap_long_pips != 0 or costs.swap_short_pips != 0),
        moving_stop=bool(not np.isnan(order_arrays.trail_distance).all() or trail.active),
        trail_activation=float(trail.activation),
        break_even_after=float(trail.break_even_after),
        break_even_plus=float(trail.break_even_plus),
    )
    return bars, order_arrays, lower, settings
