"""The verdict's false-positive rate on random walks and its power on two planted edges.

Run: ``nice .venv/bin/python benchmarks/bench_verdict.py [n_jobs]`` (about 15 minutes on one
core); the result is written to benchmarks/results/verdict.txt. Every run is a full judged
backtest (`fxjudge.api.backtest`, judge "walk-forward": hgb, sigmoid calibration on 3 purged
folds, threshold tuned, refitted monthly, no permutation importance), and its verdict is read
from the `JudgeReport` (`fxjudge.judge.verdict`):

1. Null. 40 seeds of synthetic EURUSD H1 random walks (8,000 bars, about 15 months) x four
   bundled strategies: nothing is predictable, so every rejection is a false positive. The
   target is a rejection rate of each test inside the binomial 95% band of 5% for that many
   runs (and a "helped" verdict rate at most that).
2. Calibration. The mean out-of-sample AUC under the null with its standard error, and how
   often the walk-forward's sigmoid calibrators invert their fold model's ranking
   (`walkforward.inverted_calibrators`), with the AUC of the periods that have such a calibrator
   against the others; and the same judge calibrated otherwise (none, isotonic) on 10 seeds of
   the null and of the session edge.
3. Power. (a) The momentum edge of `synthetic_bars` (`PlantedEdge()`, M1, 16,000 bars) traded
   by a big-bar strategy whose own feature is the bar's body in sigmas (as in
   tests/judge/test_honesty.py); (b) a session x side edge planted here: on H1 random walks the
   price drifts up `SESSION_DRIFT_PIPS` pips per bar in London hours (07-11 UTC) and down as
   much in New York hours (13-17 UTC); a strategy enters at random bars on a random side (held
   4 bars), so longs signalled in London and shorts in New York win more often. The judge is
   not told: it has only the library's features (hour, session flags and the side among them).
"""

from __future__ import annotations

import functools
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import binom
from threadpoolctl import threadpool_limits

import fxjudge.api as api
import fxjudge.judge.walkforward as walkforward
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.signals.strategy import Strategy, entries

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the honesty test's big-bar strategy is the momentum edge's
from tests.judge.test_honesty import BigBar  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "verdict.txt"
NULL_SEEDS = range(40)
NULL_STRATEGIES = ("ema_atr", "bollinger_reversion", "macd_trend", "donchian_breakout")
NULL_BARS = 8_000
POWER_SEEDS = range(20)
SESSION_BARS = 8_000
SESSION_DRIFT_PIPS = 3.0
CALIBRATION_SEEDS = range(10)
ALPHA = 0.05
MAKE_JUDGE = walkforward.make_judge  # the calibration variants of section 2 wrap it
ACCOUNT = {"currency": "USD", "balance": 100_000.0}
OPTIONS = {"importance_repeats": 0, "n_jobs": 1}


class Coin(Strategy):
    """Enter at random bars (a fixed seed, so causal) on a random side; a time exit."""

    @dataclass(frozen=True)
    class Params:
        """Share of bars that signal, bars held, the coin's seed."""

        rate: float = 0.2
        max_bars: int = 4
        on_opposite: str = "ignore"
        seed: int = 0

    @property
    def warmup_bars(self) -> int:
        """The library's features need a day of bars."""
        return 30

    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """No features of its own: the judge must find the session by itself."""
        return pd.DataFrame(index=bars.index)

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """A coin per bar: signal with probability `rate`, long or short half the time."""
        rng = np.random.default_rng(self.params.seed)
        draws = rng.random((len(bars), 2))  # row by row: bar t's draws do not depend on later bars
        go, up = draws[:, 0] < self.params.rate, draws[:, 1] < 0.5
        return entries(pd.Series(go & up, bars.index), pd.Series(go & ~up, bars.index),
                       self.warmup_bars)


def session_bars(seed: int) -> pd.DataFrame:
    """H1 random walk with the session x side drift of the module docstring planted in it."""
    bars = synthetic_bars("EURUSD", timeframe="H1", n_bars=SESSION_BARS, seed=seed)
    hour = bars.index.hour
    step = np.where((hour >= 7) & (hour <= 11), 1.0, 0.0) - np.where(
        (hour >= 13) & (hour <= 17), 1.0, 0.0)
    after = np.cumsum(step) * SESSION_DRIFT_PIPS * 1e-4
    before = np.r_[0.0, after[:-1]]
    out = bars.copy()
    out["open"] = (bars["open"] + before).round(5)
    out["close"] = (bars["close"] + after).round(5)
    out["high"] = np.maximum.reduce([bars["high"] + before, out["open"], out["close"]]).round(5)
    out["low"] = np.minimum.reduce([bars["low"] + before, out["open"], out["close"]]).round(5)
    out.attrs = dict(bars.attrs) | {"source": f"synthetic-session(seed={seed})"}
    return out


def one_run(kind: str, strategy: str, seed: int, calibration: str | None = "sigmoid") -> dict:
    """One judged backtest and what its verdict says (`calibration`: the judge's calibrator)."""
    warnings.simplefilter("ignore")
    walkforward.make_judge = functools.partial(MAKE_JUDGE, calibration=calibration)
    if kind == "null":
        bars = synthetic_bars("EURUSD", timeframe="H1", n_bars=NULL_BARS, seed=1000 + seed)
        chosen, options = strategy, OPTIONS
    elif kind == "momentum":
        bars = synthetic_bars("EURUSD", timeframe="M1", n_bars=16_000, seed=seed,
                              edge=PlantedEdge())
        chosen, options = BigBar(), OPTIONS | {"retrain": 4000, "min_train": 150}
    else:
        bars = session_bars(2000 + seed)
        chosen, options = Coin(seed=seed), OPTIONS
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        result = api.backtest(bars, chosen, judge="walk-forward", judge_options=options,
                              account=ACCOUNT)
    report, c = result.judge, result.candidates
    periods = pd.DataFrame(result.judge_config.get("periods", []))
    period_rows = []
    for row in periods.itertuples():
        inside = c[(c.index >= pd.Timestamp(row.judge_start)) & (c.index < pd.Timestamp(
            row.judge_end)) & c["judged"] & c["label"].notna()]
        auc = _auc(inside["label"], inside["probability"])
        period_rows.append((int(row.inverted_calibrators), auc, len(inside)))
    return {"kind": kind, "strategy": strategy, "seed": seed, "calibration": str(calibration),
            "seconds": time.perf_counter() - start, "n_judged": report.rank_test.get("n", 0),
            "auc": report.rank_test.get("auc", math.nan),
            "auc_pooled": report.rank_test.get("auc_pooled", math.nan),
            "rank_p": report.rank_test.get("p_value", math.nan),
            "pnl_p": report.pnl_test.get("p_value", math.nan),
            "precision_p": report.random_filter.get("precision_p_value", math.nan),
            "kept_fraction": report.precision.get("kept_fraction", math.nan),
            "outcome": report.outcome, "periods": period_rows}


def _auc(label, prob) -> float:
    y, p = np.asarray(label, dtype=int), np.asarray(prob, dtype=float)
    wins = int(y.sum())
    if wins == 0 or wins == len(y):
        return math.nan
    ranks = pd.Series(p).rank().to_numpy()
    return float((ranks[y == 1].sum() - wins * (wins + 1) / 2) / (wins * (len(y) - wins)))


def band(n: int, p: float = ALPHA) -> tuple[float, float]:
    """The central 95% range of a binomial(n, p) count, as rates."""
    return binom.ppf(0.025, n, p) / n, binom.ppf(0.975, n, p) / n


def rates(rows: pd.DataFrame) -> dict:
    return {"runs": len(rows), "auc_mean": rows["auc"].mean(),
            "auc_se": rows["auc"].std(ddof=1) / math.sqrt(max(rows["auc"].notna().sum(), 1)),
            "rank": (rows["rank_p"] < ALPHA).mean(), "pnl": (rows["pnl_p"] < ALPHA).mean(),
            "precision": (rows["precision_p"] < ALPHA).mean(),
            "claims": (rows["outcome"].isin(["ranks_only", "helped"])).mean(),
            "helped": (rows["outcome"] == "helped").mean(),
            "kept": rows["kept_fraction"].mean(), "n_judged": rows["n_judged"].mean()}


HEADER = (f"{'':34}{'runs':>5}{'judged':>7}{'kept':>6}{'AUC mean (se)':>16}{'rank':>7}"
          f"{'P&L':>7}{'prec.':>7}{'helped':>8}")


def line(name: str, r: dict) -> str:
    return (f"{name:34}{r['runs']:5d}{r['n_judged']:7.0f}{r['kept']:6.0%}"
            f"{r['auc_mean']:9.3f} ({r['auc_se']:.3f}){r['rank']:7.1%}{r['pnl']:7.1%}"
            f"{r['precision']:7.1%}{r['helped']:8.1%}")


def calibration_lines(rows: pd.DataFrame) -> list[str]:
    periods = pd.DataFrame([p for ps in rows["periods"] for p in ps],
                           columns=["inverted", "auc", "n"])
    periods = periods[periods["auc"].notna()]
    out = [f"  {len(periods):,} judged periods; sigmoid calibrators per period: 3 (one per fold)"]
    for k, group in periods.groupby("inverted"):
        se = group["auc"].std(ddof=1) / math.sqrt(len(group)) if len(group) > 1 else math.nan
        out.append(f"  {k} of 3 calibrators inverted: {len(group):5d} periods "
                   f"({len(group) / len(periods):5.1%}), mean period AUC {group['auc'].mean():.3f}"
                   f" (se {se:.3f})")
    return out


def main() -> None:
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    tasks = [("null", s, seed) for s in NULL_STRATEGIES for seed in NULL_SEEDS]
    tasks += [("momentum", "big_bar", seed) for seed in POWER_SEEDS]
    tasks += [("session", "coin", seed) for seed in POWER_SEEDS]
    variants = [(kind, name, seed, calibration) for calibration in (None, "isotonic")
                for kind, name in (("null", "ema_atr"), ("session", "coin"))
                for seed in CALIBRATION_SEEDS]
    load = os.getloadavg()
    start = time.perf_counter()
    found = Parallel(n_jobs=n_jobs, verbose=0)(delayed(one_run)(*task)
                                                for task in tasks + variants)
    wall = time.perf_counter() - start
    every = pd.DataFrame(found)
    rows = every[every["calibration"] == "sigmoid"]
    null = rows[rows["kind"] == "null"]
    low, high = band(len(null))
    out = [
        "Verdict benchmark (benchmarks/bench_verdict.py): false positives on random walks, power "
        "on planted edges.",
        f"{len(every)} judged backtests in {wall / 60:.1f} min with n_jobs={n_jobs} (nice), "
        f"{os.cpu_count()} CPUs shared; load average at the start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.",
        "Judge: walk-forward, hgb, sigmoid calibration on 3 purged folds, threshold tuned, "
        "monthly refits (the momentum edge: every 4,000 bars), min_train 100 (150); one thread "
        "per run.",
        "Tests at 5%: rank = AUC within walk-forward periods against 999 circular shifts; "
        "P&L = mean net pips of kept trades against 10,000 random filters keeping as many; "
        "prec. = the old hypergeometric test of the kept trades' win rate; helped = rank and "
        "P&L reject and the kept trades' total net pips > 0. Rates are shares of runs.",
        "",
        f"1. Null: {len(NULL_SEEDS)} seeds of EURUSD H1 random walks ({NULL_BARS:,} bars) x "
        f"{len(NULL_STRATEGIES)} bundled strategies.",
        HEADER,
    ]
    for name in NULL_STRATEGIES:
        out.append(line(name, rates(null[null["strategy"] == name])))
    overall = rates(null)
    out.append(line("all null runs", overall))
    out.append(f"  binomial 95% band of a 5% rate over {len(null)} runs: {low:.1%} to {high:.1%}; "
               f"rank test {overall['rank']:.1%}, P&L test {overall['pnl']:.1%}, helped "
               f"{overall['helped']:.1%}: "
               + ("within the band" if low <= overall["rank"] <= high else "OUTSIDE the band")
               + " (rank test).")
    out += ["", "2. Calibration under the null."]
    for column, what in (("auc", "within walk-forward periods (the rank test's statistic)"),
                         ("auc_pooled", "over all pairs of judged trades")):
        by_seed = null.groupby("seed")[column].mean()  # runs of one seed share their bars
        se = by_seed.std(ddof=1) / math.sqrt(len(by_seed))
        out.append(f"  mean out-of-sample AUC {what}: {by_seed.mean():.4f}, se {se:.4f} over "
                   f"{len(by_seed)} seeds (each the mean of its {len(NULL_STRATEGIES)} "
                   f"strategies, which share its bars): {(by_seed.mean() - 0.5) / se:+.2f} se "
                   "from 0.5.")
    out += ["  (why they differ: fxjudge.judge.verdict's docstring, the expanding mean's bias)",
            *calibration_lines(null),
            f"  the same judge with other calibrations, {len(CALIBRATION_SEEDS)} seeds each "
            "(sigmoid: the runs above with those seeds):", HEADER]
    for kind, name in (("null", "ema_atr"), ("session", "coin")):
        for calibration in ("sigmoid", "None", "isotonic"):
            part = every[(every["kind"] == kind) & (every["strategy"] == name)
                         & (every["calibration"] == calibration)
                         & every["seed"].isin(list(CALIBRATION_SEEDS))]
            out.append(line(f"{kind} {name}, {calibration}", rates(part)))
    out += ["", "3. Power on planted edges (the judge is not told about them).", HEADER]
    for kind, name in (("momentum", "momentum (PlantedEdge, M1)"),
                       ("session", f"session x side ({SESSION_DRIFT_PIPS} pips/bar)")):
        part = rows[rows["kind"] == kind]
        out.append(line(name, rates(part)))
    for kind in ("momentum", "session"):
        out.append(f"  {kind}: calibrators")
        out += calibration_lines(rows[rows["kind"] == kind])
    out.append(f"  seconds per run: median {rows['seconds'].median():.1f}, max "
               f"{rows['seconds'].max():.1f}")
    text = "\n".join(out) + "\n"
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)
    every.drop(columns="periods").to_csv(RESULT.with_suffix(".csv"), index=False)
    print(text)


if __name__ == "__main__":
    main()
