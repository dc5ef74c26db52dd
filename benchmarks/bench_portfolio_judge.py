"""The judge on a portfolio: one walk-forward model per pair against one pooled model.

Run: ``nice .venv/bin/python benchmarks/bench_portfolio_judge.py [n_jobs]`` (a few minutes on
two cores); the result is written to benchmarks/results/portfolio_judge.txt. Each run judges
the candidates of every leg of a portfolio twice, with `judge_legs(models="per-pair")` and
`judge_legs(models="pooled")` (walk-forward, hgb, sigmoid calibration on 3 purged folds,
threshold tuned, no permutation importance), and scores the two modes on the same candidates:
those both judged (the pooled judge starts earlier, having every leg's labels to learn from),
merged over the legs in time order, with the verdict's tests (`fxjudge.judge.verdict`):

- AUC and the rank test (AUC against circular shifts), the lead: pairs of candidates compared
  only within one model's walk-forward period (per pair: the pair's period; pooled: the shared
  period), as `fxjudge.judge.portfolio.portfolio_verdict` does;
- the P&L test (mean net pips of the kept candidates against random filters keeping as many),
  the kept candidates' total net pips against all of them, and the "helped" outcome.

Portfolios (synthetic, fixed seeds; three legs EURUSD, USDJPY, GBPUSD):

1. Momentum on every leg: `PlantedEdge()` on M1 bars (16,000 per leg), traded by the big-bar
   strategy of bench_verdict.py (its own feature: the bar's body in sigmas).
2. Momentum on one leg: the edge on EURUSD only; USDJPY and GBPUSD are random walks traded the
   same way. A pooled judge must use the pair feature not to veto by EURUSD's rule elsewhere.
3. Null: H1 random walks (8,000 bars per leg) x two bundled strategies: every rejection of the
   rank test is a false positive.
4. Real: HistData 2018 USDJPY and EURUSD M1 as H1 bars (/work/shared/data, skipped when
   absent) x four bundled strategies, spread 1 pip.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

import fxjudge
import fxjudge.api as api
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.engine.costs import Account, Costs
from fxjudge.judge.evaluation import judge_report
from fxjudge.judge.portfolio import MODELS, JudgeLeg, judge_legs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verdict import BigBar, band  # noqa: E402  (the verdict benchmark's strategy)

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "portfolio_judge.txt"
PAIRS = ("EURUSD", "USDJPY", "GBPUSD")
EDGE_SEEDS = range(6)
NULL_SEEDS = range(20)
NULL_STRATEGIES = ("donchian_breakout", "bollinger_reversion")
REAL_STRATEGIES = ("ema_atr", "bollinger_reversion", "macd_trend", "donchian_breakout")
REAL_FILES = {"USDJPY": "histdata_m1/HISTDATA_COM_ASCII_USDJPY_M12018.zip",
              "EURUSD": "histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip"}
SHARED = Path("/work/shared/data")
ALPHA = 0.05
OPTIONS = {"importance_repeats": 0, "n_jobs": 1}
MOMENTUM = OPTIONS | {"retrain": 4000, "min_train": 150}
ACCOUNT = Account(currency="USD", balance=100_000.0)


def synthetic_legs(kind: str, seed: int) -> list[pd.DataFrame]:
    """The bars of one synthetic portfolio (see the module docstring)."""
    if kind == "null":
        return [synthetic_bars(p, timeframe="H1", n_bars=8_000, seed=3000 + 10 * seed + i)
                for i, p in enumerate(PAIRS)]
    return [synthetic_bars(p, timeframe="M1", n_bars=16_000, seed=10 * seed + i,
                           edge=PlantedEdge() if kind == "momentum" or i == 0 else None)
            for i, p in enumerate(PAIRS)]


def real_legs() -> list[pd.DataFrame]:
    """USDJPY and EURUSD 2018 as H1 bars."""
    return [fxjudge.load_bars(SHARED / path, pair=pair, timeframe="H1")
            for pair, path in REAL_FILES.items()]


def judge_legs_of(bars: list[pd.DataFrame], strategy, spread_pips: float | None) -> list:
    """The `JudgeLeg` of each leg's bars traded by `strategy` (costs: the bars' own spread,
    else `spread_pips`; no commission, so no currency conversion)."""
    costs = Costs(spread_pips=spread_pips) if spread_pips is not None else Costs()
    legs = []
    for leg in bars:
        prepared = api._signals(leg, strategy, None, project=None, timeframe=None, pair=None,
                                start=None, end=None, lookahead_check=False)
        spent = api.label_costs(prepared.bars, prepared.pair, costs, ACCOUNT, None)
        legs.append(JudgeLeg(prepared.bars, prepared.signals, prepared.levels, prepared.rules,
                             spent, strategy_features=prepared.features))
    return legs


def one_run(kind: str, strategy: str, seed: int) -> list[dict]:
    """Both modes on one portfolio, scored on the candidates both judged."""
    warnings.simplefilter("ignore")
    bars = real_legs() if kind == "real" else synthetic_legs(kind, seed)
    chosen = BigBar() if kind in ("momentum", "one-leg") else strategy
    options = MOMENTUM if kind in ("momentum", "one-leg") else OPTIONS
    legs = judge_legs_of(bars, chosen, 1.0 if kind == "real" else None)
    found, seconds = {}, {}
    with threadpool_limits(limits=1):
        for models in MODELS:
            start = time.perf_counter()
            verdicts = judge_legs(legs, models=models, options=options)
            seconds[models] = time.perf_counter() - start
            found[models] = pd.concat([v.candidates.assign(
                pair=leg.pair, group=v.candidates["period"].astype(str) if models == "pooled"
                else leg.pair + ":" + v.candidates["period"].astype(str))
                for leg, v in zip(legs, verdicts, strict=True)])
    both = np.logical_and.reduce([c["judged"].to_numpy() for c in found.values()])
    rows = []
    for models, table in found.items():
        common = table[both].sort_index(kind="stable")
        report = judge_report(common["probability"], common["label"], common["taken"],
                              common["label_return"], common["group"], n_draws=2_000)
        scored = common[common["label"].notna()]
        rows.append({
            "kind": kind, "strategy": strategy, "seed": seed, "models": models,
            "n_candidates": len(table), "n_judged": int(table["judged"].sum()),
            "n_common": report.rank_test.get("n", 0), "auc": report.rank_test.get("auc", math.nan),
            "auc_pooled": report.rank_test.get("auc_pooled", math.nan),
            "rank_p": report.rank_test.get("p_value", math.nan),
            "pnl_p": report.pnl_test.get("p_value", math.nan),
            "kept": float(scored["taken"].mean()) if len(scored) else math.nan,
            "kept_pips": float(scored.loc[scored["taken"], "label_return"].sum()),
            "all_pips": float(scored["label_return"].sum()),
            "helped": report.outcome == "helped", "seconds": seconds[models]})
    return rows


def summary(rows: pd.DataFrame) -> dict:
    """Means and rejection rates of a group of runs of one mode."""
    n = len(rows)
    return {"runs": n, "judged": rows["n_judged"].mean(), "common": rows["n_common"].mean(),
            "auc": rows["auc"].mean(), "auc_se": rows["auc"].std(ddof=1) / math.sqrt(n)
            if n > 1 else math.nan, "rank": (rows["rank_p"] < ALPHA).mean(),
            "pnl": (rows["pnl_p"] < ALPHA).mean(), "kept": rows["kept"].mean(),
            "kept_pips": rows["kept_pips"].mean(), "all_pips": rows["all_pips"].mean(),
            "helped": rows["helped"].mean(), "seconds": rows["seconds"].median()}


HEADER = (f"{'':38}{'runs':>5}{'judged':>7}{'common':>7}{'AUC mean (se)':>16}{'rank':>7}"
          f"{'P&L':>7}{'kept':>6}{'kept pips':>10}{'all pips':>10}{'helped':>8}{'s/run':>7}")


def line(name: str, s: dict) -> str:
    return (f"{name:38}{s['runs']:>5}{s['judged']:>7.0f}{s['common']:>7.0f}"
            f"{s['auc']:>9.3f} ({s['auc_se']:.3f}){s['rank']:>7.1%}{s['pnl']:>7.1%}"
            f"{s['kept']:>6.0%}{s['kept_pips']:>10.0f}{s['all_pips']:>10.0f}"
            f"{s['helped']:>8.1%}{s['seconds']:>7.1f}")


def paired(rows: pd.DataFrame, kind: str) -> str:
    """Pooled minus per-pair AUC, run by run, on the same candidates."""
    wide = rows[rows["kind"] == kind].pivot_table(index=["strategy", "seed"], columns="models",
                                                  values="auc")
    gap = (wide["pooled"] - wide["per-pair"]).dropna()
    if len(gap) < 2:
        return f"  {kind}: pooled - per-pair AUC over {len(gap)} runs: too few to compare"
    se = gap.std(ddof=1) / math.sqrt(len(gap))
    return (f"  {kind}: pooled - per-pair AUC, paired over {len(gap)} runs: {gap.mean():+.4f} "
            f"(se {se:.4f}); pooled higher in {int((gap > 0).sum())}")


def main() -> None:
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    tasks = [("momentum", "big_bar", s) for s in EDGE_SEEDS]
    tasks += [("one-leg", "big_bar", s) for s in EDGE_SEEDS]
    tasks += [("null", name, s) for name in NULL_STRATEGIES for s in NULL_SEEDS]
    real = all((SHARED / path).exists() for path in REAL_FILES.values())
    if real:
        tasks += [("real", name, 0) for name in REAL_STRATEGIES]
    load = os.getloadavg()
    start = time.perf_counter()
    found = Parallel(n_jobs=n_jobs, verbose=0)(delayed(one_run)(*task) for task in tasks)
    minutes = (time.perf_counter() - start) / 60
    rows = pd.DataFrame([row for run in found for row in run])
    out = [
        "Portfolio judge benchmark (benchmarks/bench_portfolio_judge.py): one walk-forward "
        "model per pair against one pooled model with the pair as a feature.",
        f"{len(tasks)} portfolios x 2 modes in {minutes:.1f} min with n_jobs={n_jobs} (nice), "
        f"{os.cpu_count()} CPUs shared; load average at the start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.",
        "Judge: walk-forward, hgb, sigmoid calibration on 3 purged folds, threshold tuned, "
        "monthly refits (momentum: every 4,000 bars, min_train 150), one thread per run.",
        "Scored on the candidates both modes judged, all legs in time order (common); AUC = "
        "within one model's periods (the rank test's statistic); judged ="
        " candidates the mode judged of all; rank = rank test rejects at 5%; P&L = mean net "
        "pips of the kept beat 2,000 random filters at 5%; kept pips / all pips = net pips of "
        "the kept / of all common candidates, mean per run; helped as the verdict.",
        "",
    ]
    titles = {"momentum": "1. Momentum edge on every leg (EURUSD, USDJPY, GBPUSD M1)",
              "one-leg": "2. Momentum edge on EURUSD only (USDJPY, GBPUSD random walks)",
              "null": "3. Null: H1 random walks, three legs",
              "real": "4. Real: HistData 2018 USDJPY + EURUSD as H1, spread 1 pip"}
    for kind, title in titles.items():
        part = rows[rows["kind"] == kind]
        if part.empty:
            out += [f"{title}: not run (files absent)", ""]
            continue
        out += [title, HEADER]
        groups = [(s, part[part["strategy"] == s]) for s in part["strategy"].unique()]
        if kind in ("null", "real"):
            groups.append(("all", part))
        for name, group in groups:
            for models in MODELS:
                out.append(line(f"{name}, {models}", summary(group[group["models"] == models])))
        out.append(paired(rows, kind))
        if kind == "null":
            n = int((part["models"] == "pooled").sum())
            lo, hi = band(n)
            out.append(f"  binomial 95% band of a 5% rate over {n} runs: {lo:.1%} to {hi:.1%}")
        out.append("")
    RESULT.write_text("\n".join(out) + "\n")
    print("\n".join(out))
    rows.to_csv(RESULT.with_suffix(".csv"), index=False)


if __name__ == "__main__":
    main()
