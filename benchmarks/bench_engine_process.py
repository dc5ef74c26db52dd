"""Engine speed as a user meets it: whole `fxjudge backtest` processes, the compile cost, memory
and time from 100k to 5M bars, and the size of a run folder.

Run: ``.venv/bin/python benchmarks/bench_engine_process.py`` (about 5 minutes; needs
../shared/data). The result is written to benchmarks/results/engine_process.txt.

- Whole process: a year of M1 (HistData EURUSD 2018, 372,607 bars) imported into a catalog,
  then ``fxjudge backtest --strategy sma_cross --pair EURUSD --timeframe M1`` with the compiled
  engine (its numba cache warm) and with ``--engine backtrader``, alternating, medians of the
  wall times; their ratio is the speed-up a user sees, report included.
- Compile cost: the same command with an empty numba cache folder (``NUMBA_CACHE_DIR``) once,
  minus the warm median.
- Growth: `simulate` of the SMA crossover on synthetic M1 bars of 100k to 5M bars, each in a
  fresh process (warm cache): the engine's seconds, the peak of the memory it allocates (numpy
  arrays included, by `tracemalloc`, on a second run), and the process's peak resident memory
  (``ru_maxrss``, the bars included).
- Run folder: the size of the warm run's folder (trades, equity.parquet, stats, config,
  report).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZIP = ROOT.parent / "shared" / "data" / "histdata_m1" / "HISTDATA_COM_ASCII_EURUSD_M12018.zip"
RESULT = ROOT / "benchmarks" / "results" / "engine_process.txt"
CLI = "import sys; from fxjudge.cli import main; sys.exit(main(sys.argv[1:]))"
RUNS = 3
SIZES = (100_000, 300_000, 1_000_000, 2_000_000, 5_000_000)
GROWTH = """
import json, resource, sys, time, tracemalloc
import numpy as np, pandas as pd
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.signals.exits import ExitRules
n, run = int(sys.argv[1]), sys.argv[2] == "run"
bars = synthetic_bars("EURUSD", n_bars=n, timeframe="M1", seed=3)
close = pd.Series(bars["close"].to_numpy())
side = np.where(close.rolling(10).mean() > close.rolling(30).mean(), 1.0, -1.0)
side[:30] = 0.0
change = np.r_[False, side[1:] != side[:-1]]
signals = pd.Series(np.where(change, side, 0.0), index=bars.index)
arguments = dict(pair="EURUSD", rules=ExitRules(stop_loss_pips=30, on_opposite="reverse"),
                 costs=Costs(swap_long_pips=-0.5, swap_short_pips=0.1),
                 account=Account(currency="JPY"), sizing=Sizing(lots=1))
levels = pd.DataFrame({"stop_distance": np.where(signals != 0, 0.003, np.nan),
                       "target_distance": np.nan}, index=bars.index)
seconds, trades = 0.0, 0
simulate(bars.iloc[:1000], signals.iloc[:1000], levels.iloc[:1000], **arguments)  # loads numba
allocated = 0
if run:
    start = time.perf_counter()
    result = simulate(bars, signals, levels, **arguments)
    seconds, trades = time.perf_counter() - start, len(result.trades)
    del result
    tracemalloc.start()
    simulate(bars, signals, levels, **arguments)
    allocated = tracemalloc.get_traced_memory()[1]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak, "trades": trades, "allocated": allocated}))
"""


def wall(argv: list[str], env: dict | None = None) -> float:
    """Seconds a process takes, start to exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def size_of(folder: Path) -> int:
    """Bytes of the files in `folder`, recursively."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def growth(n: int) -> dict:
    """The growth probe in a fresh process."""
    done = subprocess.run([sys.executable, "-c", GROWTH, str(n), "run"],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure and write the result file."""
    if not ZIP.exists():
        sys.exit(f"{ZIP} is absent: this benchmark needs ../shared/data")
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        base = [sys.executable, "-c", CLI, "--project-dir", str(project)]
        subprocess.run([*base, "data", "import", str(ZIP)], check=True, capture_output=True)
        command = [*base, "backtest", "--strategy", "sma_cross", "--pair", "EURUSD",
                   "--timeframe", "M1", "--spread-pips", "0.2"]
        wall(command)  # warms the numba cache and the file cache
        pairs = [(wall(command), wall([*command, "--engine", "backtrader"]))
                 for _ in range(RUNS)]
        compiled = statistics.median(a for a, _ in pairs)
        reference = statistics.median(b for _, b in pairs)
        ratio = statistics.median(b / a for a, b in pairs)
        with tempfile.TemporaryDirectory() as cache:
            cold = wall(command, env=dict(os.environ, NUMBA_CACHE_DIR=cache))
        runs = sorted(p for p in (project / "reports").iterdir() if p.is_dir())
        compiled_run = next(p for p in reversed(runs)
                            if "engine = \"compiled\"" in (p / "config.toml").read_text())
        folder_bytes = size_of(compiled_run)
        parts = {p.name: p.stat().st_size for p in compiled_run.iterdir() if p.is_file()}
    lines += [
        "Whole process: fxjudge backtest --strategy sma_cross --pair EURUSD --timeframe M1",
        "(HistData EURUSD 2018 from the catalog, 372,607 bars, report included), "
        f"medians of {RUNS} alternating runs",
        f"  compiled engine (numba cache warm)   {compiled:7.2f} s",
        f"  --engine backtrader                  {reference:7.2f} s",
        f"  ratio (backtrader / compiled)        {ratio:7.1f}x",
        f"  first run with an empty numba cache  {cold:7.2f} s (compile cost about "
        f"{cold - compiled:.1f} s)",
        "",
        f"Run folder of the compiled run: {folder_bytes / 1e6:.2f} MB (target: under 5 MB)",
        *[f"  {name:24} {size / 1e6:7.2f} MB" for name, size in sorted(parts.items())],
        "",
        "Growth: simulate of the SMA crossover (30-pip stop, swaps, JPY account by ECB rates)",
        "on synthetic M1, each size in a fresh process: the engine's seconds, the peak memory it",
        "allocates (tracemalloc), and the process's peak RSS (bars, signals and numba included)",
        f"  {'bars':>10} {'seconds':>9} {'ns/bar':>8} {'engine MB':>10} {'bytes/bar':>10} "
        f"{'process MB':>11} {'trades':>8}",
    ]
    for n in SIZES:
        ran = growth(n)
        allocated = ran["allocated"] / 1e6
        lines.append(f"  {n:>10,} {ran['seconds']:9.3f} {ran['seconds'] / n * 1e9:8.1f} "
                     f"{allocated:10.1f} {ran['allocated'] / n:10.1f} {ran['peak'] / 1e6:11.0f} "
                     f"{ran['trades']:>8,}")
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    RESULT.write_text(text + "\n")


if __name__ == "__main__":
    main()
