"""Engine speed, in one process: the compiled engine against the backtrader engine it is held to,
a hand-written numba loop (the near-limit reference), vectorbt, and stock backtrader.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (about 2 minutes, mostly the backtrader
engine on 1M bars; ``--quick`` runs 100k bars only). vectorbt is timed when it is installed (a
benchmark-only dependency, never a package one). The result is written to
benchmarks/results/engine.txt; the whole-process, memory and run-folder figures are in
bench_engine_process.py.

Every run trades a 10/30 SMA crossover on the close, always in the market: a cross opens or
reverses at the next bar's open, zero spread and costs, one unit, stop-out off (the bare rules,
so that the numba loop below does the same work):

- fxjudge: the crossover computed vectorised (bit-identical to backtrader's: its SMA is
  ``math.fsum(window) / period``, reproduced exactly with integer sums of the prices' binary
  mantissas), then `fxjudge.engine.simulate` with ``on_opposite="reverse"``, compiled (warm:
  its numba cache is loaded before timing) and backtrader;
- the numba loop: `bare_loop`, the same rules written for this case only (no stop, target,
  swap, margin or conversion), with the engine's outputs: the trades and, per bar, the balance,
  equity, used margin and signed units;
- vectorbt: ``Portfolio.from_signals`` on the same entries at the next bar's open;
- stock backtrader (100k bars): `bt.feeds.PandasData`, `bt.ind.SMA` + `bt.ind.CrossOver`,
  `order_target_size` filled by its `BackBroker` at the next open.

Before a speed is reported the trades are checked: compiled and backtrader engines equal in
every column (and the equity curves too), stock backtrader's fills equal bar and price, the
numba loop's and vectorbt's trade counts equal. Bars: `synthetic_bars("EURUSD", seed=7,
spread_pips=0)`. Times are medians of repeated runs (one run of the slow ones at 1M bars).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd
from numba import njit

from fxjudge.data.synthetic import synthetic_bars
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.signals.exits import ExitRules

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "engine.txt"
FAST, SLOW = 10, 30
SEED = 7


def bt_sma(close: np.ndarray, period: int) -> np.ndarray:
    """backtrader's SMA, bit for bit: the correctly rounded window sum, divided by `period`.

    For prices in [0.5, 2) every float is an integer multiple of 2**-53, so the exact window sum
    is an int64 sum of those integers and its conversion to float64 is the correct rounding
    that `math.fsum` gives.
    """
    if not (close.min() >= 0.5 and close.max() < 2.0):
        raise SystemExit("the exact SMA needs prices in [0.5, 2); choose another seed")
    mantissas = (close * 2.0**53).astype(np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(mantissas, period).sum(axis=1)
    out = np.full(len(close), np.nan)
    out[period - 1 :] = windows.astype(np.float64) * 2.0**-53 / period
    return out


def crossover(close: np.ndarray) -> np.ndarray:
    """+1/-1 where the fast SMA crosses the slow one, as `bt.ind.CrossOver` decides it."""
    diff = bt_sma(close, FAST) - bt_sma(close, SLOW)
    # backtrader's NonZeroDifference: the last non-zero difference, seeded at the first value
    nonzero = pd.Series(np.where(diff == 0, np.nan, diff))
    nonzero.iloc[SLOW - 1] = diff[SLOW - 1]
    before = nonzero.ffill().shift(1).to_numpy()
    with np.errstate(invalid="ignore"):
        up = (before < 0) & (diff > 0)
        down = (before > 0) & (diff < 0)
    signal = up.astype(np.int64) - down.astype(np.int64)
    signal[:SLOW] = 0
    return signal


class StockSmaCross(bt.Strategy):
    """The stock-backtrader version: indicators, target orders, fills from notifications."""

    def __init__(self) -> None:
        fast, slow = bt.ind.SMA(period=FAST), bt.ind.SMA(period=SLOW)
        self.cross = bt.ind.CrossOver(fast, slow)
        self.fills: list[tuple[int, float, float]] = []

    def next(self) -> None:
        if self.cross[0] > 0:
            self.order_target_size(target=1)
        elif self.cross[0] < 0:
            self.order_target_size(target=-1)

    def notify_order(self, order) -> None:
        if order.status == order.Completed:
            self.fills.append((len(self.data) - 1, order.executed.price, order.executed.size))


def run_stock(bars: pd.DataFrame, **flags) -> tuple[float, list]:
    """Stock backtrader on `bars`: seconds and fills (bar, price, size)."""
    start = time.perf_counter()
    cerebro = bt.Cerebro(**flags)
    cerebro.adddata(bt.feeds.PandasData(dataname=bars))
    cerebro.addstrategy(StockSmaCross)
    strategy = cerebro.run()[0]
    return time.perf_counter() - start, strategy.fills


def signals_of(bars: pd.DataFrame) -> pd.Series:
    """The crossover signals, on the bars' index."""
    return pd.Series(crossover(bars["close"].to_numpy()), index=bars.index, dtype=float)


def run_engine(bars: pd.DataFrame, signals: pd.Series, engine: str):
    """fxjudge's engine on the signals: seconds and the result."""
    start = time.perf_counter()
    result = simulate(
        bars, signals, None, pair="EURUSD", rules=ExitRules(on_opposite="reverse"),
        costs=Costs(spread_pips=0.0),
        account=Account(currency="USD", balance=1e9, stop_out_level=0.0),
        sizing=Sizing(units=1), engine=engine,
    )
    return time.perf_counter() - start, result


@njit(cache=True)
def _bare_nb(open_, close, signal, units, balance0):
    """Always-in crossover at zero cost: per bar balance, equity, margin, units; the trades."""
    n = open_.shape[0]
    balance, equity = np.empty(n), np.empty(n)
    used, held = np.zeros(n), np.zeros(n)
    entries, exits = np.empty(n, np.int64), np.empty(n, np.int64)
    entry_prices, exit_prices = np.empty(n), np.empty(n)
    sides = np.empty(n, np.int64)
    cash, side, price, count, pending = balance0, 0, 0.0, 0, 0
    for i in range(n):
        if pending != 0:
            if side != 0:
                cash += side * (open_[i] - price) * units
                exits[count], exit_prices[count] = i, open_[i]
                count += 1
            side, price, pending = pending, open_[i], 0
            entries[count], entry_prices[count], sides[count] = i, price, side
        balance[i] = cash
        if side != 0:
            equity[i] = cash + side * (close[i] - price) * units
            used[i], held[i] = units * price, side * units
        else:
            equity[i] = cash
        if signal[i] != 0 and signal[i] != side and i + 1 < n:
            pending = signal[i]
    if side != 0:  # closed at the last close, as the engine's end of data
        exits[count], exit_prices[count] = n - 1, close[n - 1]
        count += 1
    return (balance, equity, used, held, entries[:count], exits[:count], entry_prices[:count],
            exit_prices[:count], sides[:count])


def bare_loop(bars: pd.DataFrame, signals: pd.Series) -> tuple[float, int]:
    """The hand-written loop, arrays in and out: seconds and its number of trades."""
    open_, close = bars["open"].to_numpy(), bars["close"].to_numpy()
    signal = signals.to_numpy().astype(np.int64)
    start = time.perf_counter()
    out = _bare_nb(open_, close, signal, 1.0, 1e9)
    return time.perf_counter() - start, len(out[4])


def run_vectorbt(bars: pd.DataFrame, signals: pd.Series) -> tuple[float, int] | None:
    """vectorbt's from_signals on the same entries, filled at the next open; None if absent."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    entry = signals.shift(1).fillna(0.0).to_numpy()  # executed at the open after the signal
    long_entries, short_entries = entry > 0, entry < 0
    start = time.perf_counter()
    portfolio = vbt.Portfolio.from_signals(
        close=bars["close"], entries=long_entries, short_entries=short_entries,
        price=bars["open"], size=1.0, init_cash=1e9, fees=0.0, slippage=0.0,
        upon_opposite_entry="reverse", freq="1min")
    trades = portfolio.trades.count()
    return time.perf_counter() - start, int(trades)


def median(action, runs: int, *args) -> float:
    """Median seconds of `runs` calls of ``action(*args)`` (which returns its seconds first)."""
    return statistics.median(action(*args)[0] for _ in range(runs))


def check_same(bars: pd.DataFrame, fills: list, trades: pd.DataFrame) -> int:
    """Raise unless fxjudge's trades are exactly backtrader's fills; the number of fills."""
    bar_of = bars.index.get_indexer
    entries = list(
        zip(bar_of(trades["entry_time"]), trades["entry_price"], trades["side"], strict=True)
    )
    closed = trades[trades["exit_reason"] != "end_of_data"]
    exits = list(zip(bar_of(closed["exit_time"]), closed["exit_price"], strict=True))
    if len(fills) != len(entries) or len(exits) != len(fills) - 1:
        raise SystemExit(f"different trades: {len(fills)} stock fills, {len(entries)} entries")
    for k, (bar, price, size) in enumerate(fills):
        if (bar, price) != entries[k][:2] or np.sign(size) != entries[k][2]:
            raise SystemExit(f"fill {k} differs: stock {(bar, price, size)}, fxjudge {entries[k]}")
        if k and (bar, price) != exits[k - 1]:
            raise SystemExit(f"exit {k - 1} differs: stock {(bar, price)}, fxjudge {exits[k - 1]}")
    return len(fills)


def versions() -> str:
    """The interpreter and the libraries timed, as one line (vectorbt when installed)."""
    import importlib.metadata as metadata
    import platform

    names = ["numpy", "pandas", "numba", "backtrader", "vectorbt"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return f"python {platform.python_version()}, " + ", ".join(found)


def main() -> None:
    """Time every run on 100k and 1M bars, check the trades, write the result file."""
    sizes = (100_000,) if "--quick" in sys.argv else (100_000, 1_000_000)
    lines = [
        f"SMA {FAST}/{SLOW} crossover, always in the market, synthetic EURUSD M1 (seed {SEED}),",
        "zero spread and costs, stop-out off. Median seconds per run (the runs column), bars per",
        "second, and the ratio of the compiled engine's speed to each, in the same process.",
        versions(),
        "",
        f"{'bars':>9}  {'run':<42} {'runs':>4} {'seconds':>9} {'bars/s':>12} {'compiled':>9}",
    ]

    def row(n: int, name: str, runs: int, seconds: float, compiled_s: float) -> None:
        lines.append(f"{n:>9,}  {name:<42} {runs:>4} {seconds:9.4f} {n / seconds:12,.0f} "
                     f"{seconds / compiled_s:8.2f}x")
        print(lines[-1], flush=True)

    print("\n".join(lines), flush=True)
    for n in sizes:
        bars = synthetic_bars("EURUSD", n_bars=n, seed=SEED, spread_pips=0.0)
        signals = signals_of(bars)
        run_engine(bars, signals, "compiled")  # loads the kernels from numba's cache
        compiled_s = median(run_engine, 7, bars, signals, "compiled")
        _, compiled = run_engine(bars, signals, "compiled")
        slow_runs = 3 if n <= 100_000 else 1
        reference_s = median(run_engine, slow_runs, bars, signals, "backtrader")
        _, reference = run_engine(bars, signals, "backtrader")
        pd.testing.assert_frame_equal(compiled.trades, reference.trades)
        pd.testing.assert_frame_equal(compiled.equity, reference.equity)
        bare_loop(bars, signals)  # compiled once before timing
        bare_s = median(bare_loop, 21, bars, signals)
        bare_trades = bare_loop(bars, signals)[1]
        if bare_trades != len(compiled.trades):
            raise SystemExit(f"the numba loop made {bare_trades} trades, the engine "
                             f"{len(compiled.trades)}")
        row(n, "fxjudge compiled engine (warm)", 7, compiled_s, compiled_s)
        row(n, "fxjudge backtrader engine (the reference)", slow_runs, reference_s, compiled_s)
        row(n, "hand-written numba loop (near-limit)", 21, bare_s, compiled_s)
        vectorbt = run_vectorbt(bars, signals)
        if vectorbt is not None:
            run_vectorbt(bars, signals)
            vbt_s = median(run_vectorbt, 5, bars, signals)
            row(n, "vectorbt Portfolio.from_signals", 5, vbt_s, compiled_s)
            lines.append(f"{'':>9}  vectorbt trades: {vectorbt[1]:,}")
        if n == sizes[0]:
            stock, fills = run_stock(bars, stdstats=False)
            count = check_same(bars, fills, compiled.trades)
            row(n, "stock backtrader (PandasData, BackBroker)", 1, stock, compiled_s)
            lines.append(f"{'':>9}  stock backtrader fills identical: {count:,}")
        lines.append(f"{'':>9}  compiled = backtrader engine in every trade and equity column: "
                     f"{len(compiled.trades):,} trades, {len(compiled.equity):,} bars")
        lines.append(f"{'':>9}  compiled vs the backtrader engine: "
                     f"{reference_s / compiled_s:,.0f}x faster (claim: >= 100x); vs the numba "
                     f"loop: {compiled_s / bare_s:.1f}x its time (target: within 3x)")
        print("\n".join(lines[-3:]), flush=True)
    RESULT.write_text("\n".join(lines) + "\n")
    print(f"written to {RESULT}")


if __name__ == "__main__":
    main()
