"""Report speed and size: a 5-year H1 run with a few thousand trades.

Run: ``.venv/bin/python benchmarks/bench_report.py`` (about a minute). The result is written to
benchmarks/results/report.txt.

Bars: `synthetic_bars("EURUSD", timeframe="H1", seed=11)` over five years; strategy: sma_cross
3/12, always in the market, 0.8 pips spread. Two reports are timed (median of 3 writes, bars
given so no file is re-read):

- the plain run's report;
- a judged report of the same run: every signal a candidate, probabilities and labels from a
  seeded random generator (a stand-in judge: this measures speed and size, not the judgment),
  the judged run the engine on the kept signals. It holds more: rejected candidates in the
  price chart and the trade table, and the judge's charts.

Baselines measured in the same process: `BacktestResult.save` of the run (CSV files) and
plotly's own `fig.write_html` of the equity chart alone (plotly.js embedded, as ours).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from fxjudge import api
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.judge.evaluation import judge_report
from fxjudge.report import render_report
from fxjudge.report.render import plotly_js
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "report.txt"
PARAMS = {"fast_bars": 3, "slow_bars": 12}
COSTS = {"spread_pips": 0.8}
REPEATS = 3


def timed(action, repeats: int = REPEATS) -> float:
    """Median seconds of `repeats` calls."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def judged_stand_in(bars: pd.DataFrame, without: BacktestResult) -> JudgedResult:
    """The run with a seeded random judge: candidates, a judged run and a JudgeReport."""
    rng = np.random.default_rng(0)
    strategy = load_strategy("sma_cross", PARAMS, project=ROOT)
    _, signals = run_signals(strategy, bars)
    levels = exit_levels(bars, signals, strategy.exit_rules, "EURUSD")
    times = signals.index[signals.to_numpy() != 0]
    n = len(times)
    prob = rng.random(n)
    label = (rng.random(n) < 0.45).astype(float)
    pips = np.where(label == 1, rng.exponential(30, n), -rng.exponential(25, n))
    taken = prob >= 0.4
    kept = signals.copy()
    kept[times[~taken]] = 0
    run = simulate(bars, kept, levels, pair="EURUSD", rules=strategy.exit_rules,
                   costs=Costs(**COSTS), account=Account(), sizing=Sizing(lots=1.0),
                   probability=pd.Series(prob, index=times).reindex(bars.index))
    candidates = pd.DataFrame({
        "side": signals[times].to_numpy(), "probability": prob, "taken": taken, "judged": True,
        "label": label, "label_return": pips.round(1),
        "resolve_time": times + pd.Timedelta(hours=12), "barrier": "time"}, index=times)
    report = judge_report(prob, label, taken, pnl=pips, n_draws=2_000)
    with_judge = BacktestResult(run.trades, run.equity, without.config, list(run.notes))
    return JudgedResult(without, with_judge, candidates, report, {"model": "random stand-in"})


def main() -> None:
    bars = synthetic_bars("EURUSD", start="2019-01-06 22:00", end="2024-01-07 22:00",
                          timeframe="H1", seed=11)
    result = api.backtest(bars, "sma_cross", params=PARAMS, costs=COSTS, project=ROOT)
    judged = judged_stand_in(bars, result)
    lines = [
        f"Report of a 5-year H1 run: synthetic EURUSD, {len(bars):,} bars, sma_cross 3/12,",
        f"{len(result.trades):,} trades; judged report with a seeded random stand-in judge: "
        f"{len(judged.candidates):,} candidates, {int((~judged.candidates['taken']).sum()):,} "
        f"rejected, {len(judged.with_judge.trades):,} trades.",
        f"Median of {REPEATS} writes, seconds and size; ratios to baselines measured in the "
        "same process.",
        "",
    ]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        save = timed(lambda: result.save(out / "saved"))
        saved_mb = sum(p.stat().st_size for p in (out / "saved").iterdir()) / 1e6
        equity = result.equity["equity"]
        figure = go.Figure(go.Scatter(x=equity.index, y=equity.to_numpy()))
        plotly_html = timed(lambda: figure.write_html(out / "plotly.html",
                                                      include_plotlyjs=True))
        plotly_mb = (out / "plotly.html").stat().st_size / 1e6
        rows = [("BacktestResult.save, CSV files (baseline 1)", save, saved_mb),
                ("plotly fig.write_html, equity alone (baseline 2)", plotly_html, plotly_mb)]
        for name, run in (("plain", result), ("judged", judged)):
            path = out / f"{name}.html"
            seconds = timed(lambda run=run, path=path: render_report(run, path, bars=bars))
            html_mb = path.stat().st_size / 1e6
            csv_mb = path.with_name(f"{name}-trades.csv").stat().st_size / 1e6
            rows.append((f"render_report, {name} (+ {csv_mb:.2f} MB CSV beside)", seconds,
                         html_mb))
    lines.append(f"  {'what':58} {'seconds':>8} {'MB':>6} {'x save':>7} {'x plotly':>9}")
    for name, seconds, size in rows:
        lines.append(f"  {name:58} {seconds:8.2f} {size:6.2f} {seconds / save:7.1f} "
                     f"{seconds / plotly_html:9.1f}")
    js_mb = len(plotly.offline.get_plotlyjs().encode()) / 1e6
    packed_mb = len(plotly_js()) / 1e6
    lines += ["", f"Target: a few seconds and a few MB. plotly.js is {js_mb:.1f} MB of plotly's "
              f"own file; ours embed it gzipped and base64-encoded, {packed_mb:.2f} MB (the "
              "figures too), inflated by the browser: each works offline."]
    text = "\n".join(lines) + "\n"
    print(text)
    if "--no-write" not in sys.argv:
        RESULT.write_text(text)


if __name__ == "__main__":
    main()
