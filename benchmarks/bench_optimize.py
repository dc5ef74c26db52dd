"""Search speed and memory: a grid of `sma_cross` over a year of M1, side by side.

Run: ``.venv/bin/python benchmarks/bench_optimize.py`` (needs ../shared/data and, for the
vectorbt column, ``.venv/bin/pip install vectorbt``: a benchmark-only dependency, not in
pyproject.toml). Options: ``--grid N`` (combinations, 1,000 by default), ``--bars N`` (the
first N bars of the year), ``--loop N`` (configurations timed for the loop baseline),
``--stream N`` (random trials of the memory run, 100,000 by default), ``--stream-end DAY``
(clip the sample for it).
The result is written to benchmarks/results/optimize.txt.

Measured in one process, on the same bars (the shared HistData 2018 EURUSD M1 file, 372,607
bars, spread 0.2 pips):

1. the baseline: a loop over `fxjudge.backtest`, one configuration after another, timed on
   `--loop` configurations of the grid and scaled to the whole grid (per configuration);
2. `fxjudge.optimize` of the grid, method="grid", on every core (wall time, warm: the engine
   compiled and the workers started by a first small search, not timed);
3. vectorbt's broadcast sweep of the same grid (`vbt.MA.run` of every fast and slow window,
   crossings, `Portfolio.from_signals` always in the market), in chunks of 100 columns so that
   its (bars x combinations) arrays fit in memory, warm (its numba compiled on a small sweep
   first, untimed); a speed reference only, not FX semantics;
4. memory: `--stream` random trials on the bundled H1 sample, the parent's resident memory
   sampled as trials finish (psutil), first and last tenth compared.

Ratios are to the loop baseline (1.00), measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import threading
import time
from pathlib import Path

import numpy as np

import fxjudge
from fxjudge.config import sample_path
from fxjudge.search import executor

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "optimize.txt"
DATA = ROOT.parent / "shared" / "data" / "histdata_m1" / "HISTDATA_COM_ASCII_EURUSD_M12018.zip"
SAMPLE = sample_path()
COSTS = {"spread_pips": 0.2}


def grid_space(size: int) -> dict[str, list[int]]:
    """`size` (fast, slow) combinations: 10 fast windows x size/10 slow ones, fast < slow."""
    fast = list(range(5, 55, 5))
    slow = list(range(60, 60 + 2 * max(1, size // len(fast)), 2))
    return {"fast_bars": fast, "slow_bars": slow}


def busy_processes(interval: float = 1.0) -> int:
    """Other processes using more than 10 % of a core over `interval` s (the machine is shared).
    """
    import psutil

    mine = {os.getpid(), *(c.pid for c in psutil.Process().children(recursive=True))}
    procs = [p for p in psutil.process_iter(["pid"]) if p.pid not in mine]
    for proc in procs:
        try:
            proc.cpu_percent(None)
        except psutil.Error:
            pass
    time.sleep(interval)
    count = 0
    for proc in procs:
        try:
            if proc.cpu_percent(None) > 10:
                count += 1
        except psutil.Error:
            pass
    return count


class Contention:
    """Samples `busy_processes` every 2 s in a thread while a phase runs: its mean and max."""

    def __enter__(self) -> Contention:
        self.samples: list[int] = []
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.samples.append(busy_processes(2.0))

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()

    def text(self) -> str:
        if not self.samples:
            return "n/a"
        return f"{np.mean(self.samples):.1f} (max {max(self.samples)})"


def loop_baseline(bars, space, count: int) -> tuple[float, int]:
    """Seconds per configuration of a plain loop over fxjudge.backtest."""
    combos = list(itertools.product(*space.values()))
    chosen = [combos[i] for i in np.linspace(0, len(combos) - 1, count).astype(int)]
    fxjudge.backtest(bars.iloc[:20_000], "sma_cross", costs=COSTS, project=ROOT)  # warm, untimed
    started = time.perf_counter()
    trades = 0
    for fast, slow in chosen:
        result = fxjudge.backtest(bars, "sma_cross", params={"fast_bars": fast,
                                                             "slow_bars": slow},
                                  costs=COSTS, project=ROOT)
        trades += int(result.stats["trades"])
    return (time.perf_counter() - started) / count, trades


def vectorbt_sweep(bars, space) -> float | str:
    """Seconds for vectorbt's broadcast sweep of the grid, or why it was not run."""
    try:
        import vectorbt as vbt
    except ImportError:
        return "not installed (pip install vectorbt)"
    combos = list(itertools.product(*space.values()))
    _vectorbt_chunks(vbt, bars["close"].iloc[:2000], combos[:2])  # compile its numba, untimed
    started = time.perf_counter()
    _vectorbt_chunks(vbt, bars["close"], combos)
    return time.perf_counter() - started


def _vectorbt_chunks(vbt, close, combos) -> None:
    for first in range(0, len(combos), 100):
        part = combos[first:first + 100]
        fast = vbt.MA.run(close, window=[f for f, _ in part], short_name="fast")
        slow = vbt.MA.run(close, window=[s for _, s in part], short_name="slow")
        above = fast.ma.to_numpy() > slow.ma.to_numpy()
        before = np.vstack([above[:1], above[:-1]])
        entries = above & ~before
        exits = ~above & before
        portfolio = vbt.Portfolio.from_signals(close.to_numpy()[:, None], entries, exits,
                                               short_entries=exits, short_exits=entries,
                                               freq="1min")
        portfolio.total_return()


def stream_memory(trials: int, end: str | None) -> tuple[list[tuple[int, float]], float]:
    """The parent's resident memory (MB) as `trials` random trials on the bundled sample (up to
    `end`) finish, and the seconds they took."""
    import psutil

    process = psutil.Process()
    samples: list[tuple[int, float]] = []
    every = max(1, trials // 20)

    def progress(done: int, total: int) -> None:
        if done // every > len(samples) - 1 or done == total:
            samples.append((done, process.memory_info().rss / 1e6))

    space = {"fast_bars": fxjudge.space.int(2, 100), "slow_bars": fxjudge.space.int(101, 400),
             "stop_loss_pips": fxjudge.space.float(5.0, 100.0)}
    started = time.perf_counter()
    fxjudge.optimize(SAMPLE, "sma_cross", space, method="random", n_trials=trials,
                     costs={"spread_pips": 0.8}, project=ROOT, progress=progress, end=end)
    return samples, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=None)
    parser.add_argument("--loop", type=int, default=20)
    parser.add_argument("--stream", type=int, default=100_000)
    parser.add_argument("--stream-end", default=None, help="clip the sample (e.g. 2017-02-01)")
    parser.add_argument("--only-stream", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is absent: the benchmark needs ../shared/data")
    others = busy_processes()
    bars = fxjudge.load_bars(DATA)
    if args.bars:
        bars = bars.iloc[: args.bars]
    space = grid_space(args.grid)
    size = len(space["fast_bars"]) * len(space["slow_bars"])
    cores = executor.workers(-1)
    small = {"fast_bars": [5, 10], "slow_bars": [60, 62]}
    fxjudge.optimize(bars.iloc[:20_000], "sma_cross", small, costs=COSTS, project=ROOT)  # warm
    with Contention() as loop_busy:
        per_config, _ = loop_baseline(bars, space, args.loop)
    loop_total = per_config * size
    gc.collect()
    with Contention() as search_busy:
        started = time.perf_counter()
        search = fxjudge.optimize(bars, "sma_cross", space, costs=COSTS, project=ROOT)
        search_seconds = time.perf_counter() - started
    runs = search.signal_runs
    worker_seconds = float(search.trials["seconds"].sum())
    del search
    with Contention() as vbt_busy:
        vbt_seconds = vectorbt_sweep(bars, space)
    with Contention() as stream_busy:
        samples, stream_seconds = stream_memory(args.stream, args.stream_end) if args.stream \
            else ([], 0.0)
    others_after = busy_processes()

    lines = [
        f"A {size:,}-combination grid of sma_cross (fast_bars {space['fast_bars'][0]}.."
        f"{space['fast_bars'][-1]} x slow_bars {space['slow_bars'][0]}.."
        f"{space['slow_bars'][-1]}) on {len(bars):,} bars of HistData 2018 EURUSD M1,",
        f"spread {COSTS['spread_pips']} pips, on {os.cpu_count()} cores ({cores} worker "
        f"processes); {others} other processes were busy (> 10 % of a core) when it started, "
        f"{others_after} when it ended.",
        "Ratios are to the loop over fxjudge.backtest, measured in the same run.",
        "",
        f"{'run':<58}{'seconds':>10}{'ratio':>8}  other busy processes",
        f"{'loop over fxjudge.backtest (baseline), ' + str(args.loop) + ' timed, scaled':<58}"
        f"{loop_total:>10.1f}{1.0:>8.2f}  {loop_busy.text()}",
        f"{'fxjudge.optimize, grid, ' + str(cores) + ' processes (warm)':<58}"
        f"{search_seconds:>10.1f}{loop_total / search_seconds:>8.2f}  {search_busy.text()}",
    ]
    if isinstance(vbt_seconds, float):
        lines.append(f"{'vectorbt broadcast sweep (chunks of 100 columns)':<58}"
                     f"{vbt_seconds:>10.1f}{loop_total / vbt_seconds:>8.2f}  {vbt_busy.text()}")
    else:
        lines.append(f"{'vectorbt broadcast sweep':<58}{vbt_seconds}")
    lines += ["", f"signals computed: {runs:,} for {size:,} configurations "
              f"(one per (fast, slow) pair: no exit parameter was swept)",
              f"trial time in the workers: {worker_seconds / size * 1000:.0f} ms per trial "
              f"(the loop: {per_config * 1000:.0f} ms per backtest); {worker_seconds:.1f} s "
              f"of trials over {cores} processes in {search_seconds:.1f} s of wall time"]
    if samples:
        tenth = max(1, len(samples) // 10)
        first = np.mean([m for _, m in samples[:tenth]])
        last = np.mean([m for _, m in samples[-tenth:]])
        lines += ["", f"Memory: {args.stream:,} random trials on the bundled H1 sample "
                  f"({stream_seconds:.0f} s; other busy processes {stream_busy.text()}), the "
                  "parent's resident memory as they finished:",
                  "  " + ", ".join(f"{d:,}: {m:.0f} MB" for d, m in samples),
                  f"  first tenth {first:.0f} MB, last tenth {last:.0f} MB "
                  f"(ratio {last / first:.2f})"]
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
