"""`walk_forward_optimize`: optimise on each in-sample window, trade the winner on the window
after it, and stitch the out-of-sample trades and equity into one run.

Rules:

- **Windows.** Times start at the first bar's UTC midnight. Window k trains on
  ``[s_k, s_k + train)`` and tests on ``[s_k + train, s_k + train + test)``; rolling windows
  move both by `test` (``s_k = s_0 + k * test``), anchored ones keep ``s_k = s_0`` and grow.
  Windows are made while a test window starts before the data ends; the last one may be short.
  `train` and `test` are a count and a unit: ``D`` days, ``W`` weeks, ``M`` months, ``Y``
  years (``"6M"``, ``"1M"``, ``"90D"``).
- **Out of sample.** The winner of window k runs on the bars from its warm-up before the test
  window to the test window's end, its entries allowed only inside the test window (the engine's
  veto), so its indicators are warm on the first test bar and nothing is entered on data it was
  optimised on. A position still open at the test window's end is closed there (the next window
  trades other parameters): reason ``end_of_data``. Window k starts with the equity window k-1
  ended with.
- **Figures.** Each window's winner and its in-sample and out-of-sample statistics; the
  parameters' stability (how often the most common value won, and for numbers the spread of
  the winners); the walk-forward efficiency, the stitched out-of-sample CAGR over the mean of
  the in-sample winners' CAGR (and per window, its own ratio; NaN when the in-sample CAGR is
  not positive); PSR of the stitched run, and its
  DSR counting, conservatively, as many trials as a window tried on average with the mean of
  the windows' trial-Sharpe variances (the stitched run was not chosen on its own data, so this
  deflates more than it needs to).
- **Judged.** ``judge="walk-forward"`` judges the stitched run as `fxjudge.backtest` judges a
  run: the stitched signals are the candidates; the result holds the runs with and without
  the judge. The judge's labels follow one set of exit rules, so exit parameters cannot be
  searched then.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fxjudge import api
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, must
from fxjudge.judge import WALK_FORWARD, judge_signals
from fxjudge.results import metrics
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult
from fxjudge.search.executor import workers
from fxjudge.search.optimize import optimize
from fxjudge.search.result import OptimizeResult
from fxjudge.search.trial import EXIT_PARAMETERS, simulate_run
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals

_PERIOD = re.compile(r"^\s*(\d+)\s*([DWMY])\s*$", re.IGNORECASE)


def period(text: str, name: str) -> pd.DateOffset:
    """``"6M"`` as a calendar offset (D days, W weeks, M months, Y years)."""
    found = _PERIOD.match(str(text))
    if not found or int(found.group(1)) < 1:
        raise must(name, "a count and a unit D, W, M or Y, like '6M' or '90D'", text)
    count, unit = int(found.group(1)), found.group(2).upper()
    return pd.DateOffset(**{{"D": "days", "W": "weeks", "M": "months", "Y": "years"}[unit]:
                            count})


def windows(index: pd.DatetimeIndex, train: str, test: str,
            anchored: bool) -> list[tuple[pd.Timestamp, ...]]:
    """(train start, train end = test start, test end) of each window (see the module doc)."""
    step_train, step_test = period(train, "train"), period(test, "test")
    first = index[0].normalize()
    last = index[-1]
    found = []
    for k in range(10_000):
        start = first if anchored else first + step_test * k
        test_start = (first + step_train + step_test * k) if anchored else start + step_train
        if test_start > last:
            break
        found.append((start, test_start, test_start + step_test))
    if not found:
        raise ConfigError(f"`train` {train} leaves no test window in the data ({index[0]} to "
                          f"{last}); shorten `train` or give more data")
    return found


@dataclasses.dataclass
class WalkForwardResult:
    """The stitched out-of-sample run and how each window went (see the module docstring).

    `result` is the stitched run (a `JudgedResult` with ``judge="walk-forward"``); `windows`
    one row per window (periods, trials, the winner's parameters, in-sample and
    out-of-sample objective, CAGR and their ratio); `stability` one row per parameter;
    `efficiency` the walk-forward efficiency; `robustness` the stitched run's PSR and DSR;
    `searches` each window's `OptimizeResult`.
    """

    result: BacktestResult | JudgedResult
    windows: pd.DataFrame
    stability: pd.DataFrame
    efficiency: float
    robustness: dict[str, float]
    searches: list[OptimizeResult]
    parameters: list[str]
    settings: dict[str, Any]

    def _repr_html_(self) -> str:
        from html import escape

        psr, dsr = self.robustness.get("psr", math.nan), self.robustness.get("dsr", math.nan)
        head = (f"walk-forward over {len(self.windows)} windows "
                f"({escape(self.settings['train'])} train / {escape(self.settings['test'])} "
                f"test{', anchored' if self.settings['anchored'] else ''}): efficiency "
                f"{self.efficiency:.2f}, out-of-sample PSR {psr:.1%}, DSR {dsr:.1%}")
        return (f"<div><p>{head}</p>{self.windows.to_html(index=False, border=0)}"
                f"{self.stability.to_html(index=False, border=0)}</div>")


def walk_forward_optimize(data, strategy, space: dict[str, Any], *, train: str = "6M",
                          test: str = "1M", anchored: bool = False, judge: str | None = None,
                          judge_options: dict | None = None, folder: str | Path | None = None,
                          **search) -> WalkForwardResult:
    """Optimise `space` on each in-sample window of `data`, run each winner on the window after
    it, and stitch the out-of-sample runs (rules in the module docstring).

    `search` takes the settings of `fxjudge.optimize` (method, n_trials, objective, maximize,
    constraint, params, costs, account, sizing, start, end, timeframe, pair, conversion,
    project, n_jobs, scheduler, seed, progress). `folder` keeps each window's search in
    ``window-NN/`` (temporary otherwise). `lookahead_check` (in `search`) is checked by the
    first window's search, once: the later windows run the same strategy code.
    """
    if judge is not None and str(judge) != WALK_FORWARD:
        raise must("judge", "None or 'walk-forward' (the judge refits on the stitched run's past)",
                   judge)
    if not isinstance(anchored, bool):
        raise must("anchored", "true or false", anchored)
    if isinstance(data, list | tuple):
        raise ConfigError("`data`: a walk-forward searches one pair (a portfolio's is not "
                          "built); give one pair's bars, or search the legs with "
                          "fxjudge.optimize")
    if judge is not None:
        swept = [n for n in space if n in EXIT_PARAMETERS]
        if swept:
            raise ConfigError(f"`judge` labels candidates with one set of exit rules; remove "
                              f"{', '.join(swept)} from the space (or fix it in params)")
    costs, account, sizing = api.engine_objects(search.pop("costs", None),
                                                search.pop("account", None),
                                                search.pop("sizing", None))
    bars = api.resolve_bars(data, timeframe=search.pop("timeframe", None),
                            pair=search.pop("pair", None), start=search.pop("start", None),
                            end=search.pop("end", None))
    conversion = search.get("conversion")
    project = search.get("project")
    progress = search.pop("progress", None)
    check = search.pop("lookahead_check", True)
    plan = windows(bars.index, train, test, anchored)
    rows, searches, runs = [], [], []
    balance = float(account.balance)
    strategy_name = None
    with _scheduler(search) as scheduler:
        search["scheduler"] = scheduler
        for number, (start, test_start, test_end) in enumerate(plan):
            in_sample = _between(bars, start, test_start)
            if len(in_sample) < 2:
                continue
            where = None if folder is None else Path(folder) / f"window-{number:02d}"
            found = optimize(in_sample, strategy, space, costs=costs, account=account,
                             sizing=sizing, folder=where, **search,
                             lookahead_check=None if searches else check)
            searches.append(found)
            strategy_name = found.strategy_name
            best = found.best
            params = best["params"]
            run = _out_of_sample(bars, strategy, params, test_start, test_end, costs,
                                 dataclasses.replace(account, balance=balance), sizing,
                                 conversion, project)
            runs.append((run, params, test_start, test_end))
            is_row = found.trials[found.trials["trial"] == best["trial"]].iloc[0]
            oos_stats, _ = metrics.full_statistics(run)
            rows.append({
                "window": number, "train_start": start, "test_start": test_start,
                "test_end": min(test_end, api.period_end(bars)), "trials": len(found.trials),
                **{n: params[n] for n in found.parameters},
                "is_objective": best["objective"], "oos_objective": _objective(
                    search.get("objective", "sharpe"), run, oos_stats),
                "is_cagr_pct": float(is_row["cagr_pct"]), "oos_cagr_pct": oos_stats["cagr_pct"],
                "oos_trades": oos_stats["trades"]})
            rows[-1]["efficiency"] = _ratio(rows[-1]["oos_cagr_pct"], rows[-1]["is_cagr_pct"])
            ending = float(run.equity["equity"].iloc[-1]) if len(run.equity) else balance
            if progress:
                progress(number + 1, len(plan))
            if not ending > 0:
                break
            balance = ending
    if not runs:
        raise ConfigError("no walk-forward window has enough bars; shorten `train` or `test`")
    table = pd.DataFrame(rows)
    parameters = searches[0].parameters
    stitched = _stitch([r for r, *_ in runs], float(account.balance))
    stitched.notes[:0] = [n for n in searches[0].notes if n == api.LOOKAHEAD_OFF
                          or n.startswith("look-ahead check:")]
    stitched.config = _config(bars, strategy_name, costs, account, sizing, train, test,
                              anchored, table, parameters)
    if check is False:
        stitched.config["lookahead_check"] = False
    n_trials = int(round(float(table["trials"].mean())))
    variances = [s.trials_sr_variance for s in searches if math.isfinite(s.trials_sr_variance)]
    variance = float(np.mean(variances)) if variances else None
    if n_trials > 1:
        stitched.config["n_trials"] = n_trials
        if variance is not None:
            stitched.config["trials_sr_variance"] = variance
            stitched.config["trials_sr_variance_source"] = (
                "walk-forward: the windows' mean trial-Sharpe variance (ddof 1), as if the "
                "out-of-sample run had been picked among as many trials as a window ran")
    stats, _ = metrics.full_statistics(stitched, n_trials=max(1, n_trials),
                                       trials_sr_variance=variance)
    robustness = {k: stats[k] for k in ("psr", "dsr", "dsr_sr0", "sharpe_daily", "days",
                                        "n_trials", "trials_sr_variance")}
    mean_is = float(table["is_cagr_pct"].mean())
    efficiency = _ratio(stats["cagr_pct"], mean_is)
    result: BacktestResult | JudgedResult = stitched
    if judge is not None:
        result = _judged(bars, strategy, strategy_name, runs, stitched, costs, account, sizing,
                         conversion, project, judge_options)
    settings = {"train": train, "test": test, "anchored": anchored,
                "judge": judge, "windows": len(table), "start": bars.index[0].isoformat(),
                "end": api.period_end(bars).isoformat()}
    return WalkForwardResult(result=result, windows=table,
                             stability=_stability(table, parameters), efficiency=efficiency,
                             robustness=robustness, searches=searches, parameters=parameters,
                             settings=settings)


def _between(bars: pd.DataFrame, start, end) -> pd.DataFrame:
    part = bars[(bars.index >= start) & (bars.index < end)]
    part.attrs = dict(bars.attrs)
    return part


def _prepared(bars, strategy, params, test_start, test_end, project):
    """The winner's bars from its warm-up before `test_start`, signals, rules and levels."""
    chosen = load_strategy(strategy, params, project=project)
    first = int(np.searchsorted(bars.index, test_start))
    warm = max(0, first - int(chosen.warmup_bars) - 1)
    part = bars.iloc[warm:int(np.searchsorted(bars.index, test_end))]
    part.attrs = dict(bars.attrs)
    features, signals = run_signals(chosen, part)
    rules = chosen.exit_rules
    levels = exit_levels(part, signals, rules, bars.attrs["pair"])
    allowed = pd.Series(part.index >= test_start, index=part.index)
    return part, chosen, features, signals, rules, levels, allowed


def _out_of_sample(bars, strategy, params, test_start, test_end, costs, account, sizing,
                   conversion, project, probability=None, veto=None) -> BacktestResult:
    """The winner on its test window (entries only inside it), equity from the window on."""
    part, _, _, signals, rules, levels, allowed = _prepared(bars, strategy, params, test_start,
                                                            test_end, project)
    if veto is not None:
        allowed = allowed & veto.reindex(part.index, fill_value=True)
    run = simulate_run(part, signals, levels, pair=bars.attrs["pair"], rules=rules, costs=costs,
                       account=account, sizing=sizing, conversion=conversion,
                       probability=None if probability is None else probability.reindex(
                           part.index), entries_allowed=allowed)
    equity = run.equity[run.equity.index >= test_start]
    return BacktestResult(trades=run.trades, equity=equity,
                          config={"account": dataclasses.asdict(account)},
                          notes=list(run.notes))


def _stitch(runs: list[BacktestResult], balance: float) -> BacktestResult:
    trades = pd.concat([r.trades for r in runs], ignore_index=True)
    equity = pd.concat([r.equity for r in runs])
    notes = list(dict.fromkeys(n for r in runs for n in r.notes))
    return BacktestResult(trades=trades, equity=equity, config={"account": {"balance": balance}},
                          notes=notes)


def _judged(bars, strategy, name, runs, stitched, costs, account, sizing, conversion, project,
            options) -> JudgedResult:
    """The stitched run judged: candidates are the windows' out-of-sample signals."""
    signals = pd.Series(0, index=bars.index, dtype=np.int8, name="signal")
    levels = features = None
    rules = None
    for _, params, test_start, test_end in runs:
        part, _, feats, sig, rules, lev, allowed = _prepared(bars, strategy, params,
                                                                  test_start, test_end, project)
        inside = part.index[allowed.to_numpy()]
        signals.loc[inside] = sig.loc[inside]
        if levels is None:  # the columns exit_levels gives (stop, target, trail...)
            levels = pd.DataFrame(np.nan, index=bars.index, columns=lev.columns)
            features = pd.DataFrame(np.nan, index=bars.index, columns=feats.columns)
        levels.loc[inside] = lev.loc[inside].to_numpy()
        features.loc[inside] = feats.loc[inside].to_numpy()
    verdict = judge_signals(bars, signals, levels, rules, WALK_FORWARD,
                            strategy_features=features, options=options,
                            costs=api.label_costs(bars, FxPair.parse(bars.attrs["pair"]),
                                                  costs, account, conversion),
                            strategy={"name": name, "params": {}})
    probability = verdict.probability_on(bars.index)
    veto = verdict.allowed_on(bars.index)
    judged_runs, balance = [], float(account.balance)
    for _, params, test_start, test_end in runs:
        run = _out_of_sample(bars, strategy, params, test_start, test_end, costs,
                             dataclasses.replace(account, balance=balance), sizing, conversion,
                             project, probability=probability, veto=veto)
        judged_runs.append(run)
        balance = float(run.equity["equity"].iloc[-1]) if len(run.equity) else balance
        if not balance > 0:
            break
    with_judge = _stitch(judged_runs, float(account.balance))
    with_judge.config = stitched.config
    return api.judged_result(stitched, with_judge, verdict)


def _stability(table: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    rows = []
    for name in parameters:
        values = table[name].tolist()
        counts = pd.Series([repr(v) for v in values]).value_counts()
        most = values[[repr(v) for v in values].index(counts.index[0])]
        numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        spread = math.nan
        if len(numeric) == len(values) and len(values) > 1 and np.mean(numeric) != 0:
            spread = float(np.std(numeric, ddof=1) / abs(np.mean(numeric)))
        rows.append({"parameter": name, "distinct_winners": int(len(counts)),
                     "most_common": most, "most_common_share": float(counts.iloc[0] / len(values)),
                     "coefficient_of_variation": spread})
    return pd.DataFrame(rows)


def _objective(objective, run: BacktestResult, stats: dict) -> float:
    return float(stats[objective]) if isinstance(objective, str) else float(objective(run))


def _ratio(numerator: float, denominator: float) -> float:
    """Out-of-sample over in-sample; NaN when the in-sample figure is not positive (a ratio
    to a loss says nothing about how much of a gain survived)."""
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or not denominator > 0:
        return math.nan
    return numerator / denominator


def _config(bars, strategy_name, costs, account, sizing, train, test, anchored, table,
            parameters) -> dict:
    start = table["test_start"].iloc[0]
    return {
        "data": {"source": str(bars.attrs.get("source", "bars")), "pair": bars.attrs["pair"],
                 "timeframe": bars.attrs.get("timeframe"), "start": start.isoformat(),
                 "end": pd.Timestamp(table["test_end"].iloc[-1]).isoformat(),
                 "bars": int(((bars.index >= start) & (bars.index < table["test_end"].iloc[-1]))
                             .sum()),
                 "price_side": bars.attrs.get("price_side", "bid"),
                 "fingerprint": api.fingerprint(bars)},
        "strategy": {"name": strategy_name, "params": {
            n: "walk-forward" for n in parameters}},
        "costs": dataclasses.asdict(costs), "account": dataclasses.asdict(account),
        "sizing": dataclasses.asdict(sizing),
        "walk_forward": {"train": train, "test": test, "anchored": anchored,
                         "windows": len(table)},
        "versions": api.versions(),
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }


@contextmanager
def _scheduler(search: dict) -> Iterator[Any]:
    """One Dask cluster for every window when ``scheduler="dask"`` (starting one per window
    would cost more than small windows take); anything else is passed through."""
    given = search.get("scheduler")
    if given != "dask":
        yield given
        return
    import logging

    import distributed

    with distributed.LocalCluster(n_workers=workers(search.get("n_jobs", -1)),
                                  threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.WARNING) as cluster, \
            distributed.Client(cluster) as client:
        yield client
