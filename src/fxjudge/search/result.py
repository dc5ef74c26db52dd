"""`OptimizeResult`: a search as a table, its winner, and how far to trust the winner.

Everything here is a function of what the search saved (STYLE.md 18): the trials table
(`trials`), the trials' daily returns on disk (`returns`), the space and the settings. The
winner's full `BacktestResult` is rerun on demand (`best_result`) and records the search's
trial count and the variance of its trials' Sharpe ratios, so its report's DSR is deflated
without anyone counting.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import shutil
import weakref
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from fxjudge.errors import ConfigError
from fxjudge.results import metrics
from fxjudge.results.overfitting import PBOResult, neighbourhood, pbo
from fxjudge.results.portfolio import PortfolioBacktest
from fxjudge.results.result import PERIODS_PER_YEAR, BacktestResult, toml_safe
from fxjudge.search import space as spaces
from fxjudge.search import store

SEARCH_FILE = "search.toml"
SUMMARY_FILE = "summary.json"
#: statistics shown beside the objective in tables (when they are not the objective)
SHOWN = ("sharpe", "net_profit", "return_pct", "max_drawdown_pct", "profit_factor", "trades",
         "win_rate")


class OptimizeResult:
    """The outcome of `fxjudge.optimize` (see the module docstring)."""

    def __init__(self, *, folder: Path, temporary: bool, space: dict, fixed: dict,
                 strategy, strategy_name: str, settings: dict, skipped: dict[str, int],
                 notes: list[str], signal_runs: int, objective, rerun: dict) -> None:
        self.folder = Path(folder)
        self.space = space
        self.fixed = fixed
        self.strategy = strategy
        self.strategy_name = strategy_name
        self.settings = settings
        self.skipped = skipped
        self.notes = notes
        self.signal_runs = signal_runs
        self.objective = objective
        self._rerun = rerun
        self._pbo: dict[tuple[int, str], PBOResult] = {}
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True) \
            if temporary else None

    # -- the table ----------------------------------------------------------------------------

    @functools.cached_property
    def trials(self) -> pd.DataFrame:
        """One row per configuration run: ``trial``, the swept parameters, every statistic,
        ``objective``, ``seed`` (the search's) and ``seconds`` (the trial's wall time)."""
        return store.read_trials(self.folder).sort_values("trial", ignore_index=True)

    @property
    def parameters(self) -> list[str]:
        """The swept parameters, in the space's order."""
        return list(self.space)

    @property
    def maximize(self) -> bool:
        """True when a higher objective is better."""
        return bool(self.settings["maximize"])

    def top(self, n: int = 10) -> pd.DataFrame:
        """The `n` best trials, best first (NaN objectives last)."""
        return self.trials.sort_values(["objective", "trial"], ascending=[not self.maximize,
                                                                          True],
                                       na_position="last").head(n)

    @functools.cached_property
    def best(self) -> dict[str, Any]:
        """The winner: ``trial``, its parameters (fixed ones included) and ``objective``; the
        lowest trial number among equals."""
        ranked = self.top(1)
        if ranked.empty or not math.isfinite(ranked["objective"].iloc[0]):
            raise ConfigError("no trial has a finite objective (no trades anywhere?); choose "
                              "another objective or widen the space")
        row = ranked.iloc[0]
        return {"trial": int(row["trial"]), "params": self.params_of(row),
                "objective": float(row["objective"])}

    def params_of(self, row: pd.Series) -> dict[str, Any]:
        """The complete parameters of a trials-table row (fixed ones included)."""
        return {**self.fixed, **{name: _cell(self.space[name], row[name])
                                 for name in self.parameters}}

    # -- the honesty of the search ------------------------------------------------------------

    def returns(self, trials: list[int] | None = None) -> pd.DataFrame:
        """Daily returns (FX days x trials), read from disk for the `trials` asked (all by
        default; a search of 100,000 trials is better read a few at a time)."""
        matrix, days = store.read_returns(self.folder)
        chosen = list(range(matrix.shape[0])) if trials is None else list(trials)
        return pd.DataFrame(np.asarray(matrix[chosen]).T, index=days, columns=chosen)

    @functools.cached_property
    def dsr(self) -> dict[str, float]:
        """The winner's PSR and DSR over the trials run: ``n_trials``, ``trials_sr_variance``
        (sample variance, ddof 1, of their daily Sharpe ratios), ``sharpe_daily``, ``psr``,
        ``dsr``, ``dsr_sr0`` and ``days``."""
        matrix, _ = store.read_returns(self.folder)
        daily = np.asarray(matrix[self.best["trial"]])
        variance = self.trials_sr_variance
        stats = metrics.robustness(daily, len(self.trials), None if math.isnan(variance)
                                   else variance, periods_per_year=PERIODS_PER_YEAR)
        return {k: stats[k] for k in ("n_trials", "trials_sr_variance", "sharpe_daily", "psr",
                                      "dsr", "dsr_sr0", "days")}

    @property
    def trials_sr_variance(self) -> float:
        """Sample variance (ddof 1) of the trials' daily Sharpe ratios."""
        return metrics.trials_sr_variance(self.trials["sharpe_daily"])

    def pbo(self, n_splits: int = 16, metric: str = "sharpe") -> PBOResult:
        """The Probability of Backtest Overfitting of this search (`fxjudge.pbo` on the
        trials' daily returns, days x trials), computed once per (n_splits, metric)."""
        if (n_splits, metric) not in self._pbo:
            matrix, _ = store.read_returns(self.folder)
            if matrix.shape[0] < 2:
                raise ConfigError("PBO needs two or more trials; this search ran one")
            self._pbo[n_splits, metric] = pbo(np.asarray(matrix).T, n_splits=n_splits,
                                              metric=metric)
        return self._pbo[n_splits, metric]

    def neighbourhood(self) -> pd.DataFrame:
        """The objective one grid step away from the winner in each discrete parameter
        (`fxjudge.results.overfitting.neighbourhood`; continuous ones are left out)."""
        grid = {n: d.grid() for n, d in self.space.items() if spaces.is_finite({n: d})}
        best = {n: self.best["params"][n] for n in grid}
        return neighbourhood(self.trials, grid, "objective", best, self.maximize)

    # -- the winner ---------------------------------------------------------------------------

    @property
    def legs(self) -> list:
        """A portfolio search's legs (`fxjudge.search.portfolio.LegPlan`); [] for one pair."""
        return list(self._rerun.get("legs") or [])

    @functools.cached_property
    def best_result(self) -> BacktestResult | PortfolioBacktest:
        """The winner's full `BacktestResult`, rerun, recording the search's trials; a
        portfolio's `PortfolioBacktest` (its account records them)."""
        from fxjudge import api

        r = self._rerun
        if self.legs:
            from fxjudge.search.portfolio import rerun_legs

            swept = {name: self.best["params"][name] for name in self.parameters}
            run = api.backtest_portfolio(
                rerun_legs(self.legs, swept), account=r["account"], conversion=r["conversion"],
                project=r["project"], lookahead_check=r["lookahead_check"])
            run.account.config |= self.trials_record()
            return run
        data = r["data"]
        result = api.backtest(r["bars"], self.strategy, params=self.best["params"],
                              costs=r["costs"], account=r["account"], sizing=r["sizing"],
                              conversion=r["conversion"], project=r["project"],
                              lookahead_check=r.get("lookahead_check", True))
        if isinstance(data, str | Path):
            result.config["data"]["source"] = str(data)
        result.config |= self.trials_record()
        return result

    def trials_record(self) -> dict[str, Any]:
        """What the winner's config records of the search (its DSR uses it)."""
        record: dict[str, Any] = {"n_trials": len(self.trials)}
        if math.isfinite(self.trials_sr_variance):
            record["trials_sr_variance"] = self.trials_sr_variance
            record["trials_sr_variance_source"] = (
                f"the search's {len(self.trials)} trials' daily Sharpe ratios, ddof "
                f"{metrics.TRIALS_SR_DDOF} ({self.settings['method']} search)")
        return record

    # -- views --------------------------------------------------------------------------------

    def heatmap(self, x: str, y: str, stat: str = "objective", agg: str | None = None):
        """A plotly heatmap of `stat` over parameters `x` and `y`; the other parameters are
        aggregated by `agg` (``"max"``, ``"min"`` or ``"mean"``, said in the title; by default
        the best: max when maximising, min when minimising)."""
        agg = agg or ("max" if self.maximize else "min")
        from fxjudge.report.search_charts import heatmap_figure

        for name in (x, y):
            if name not in self.parameters:
                raise ConfigError(f"`{name}` is not a swept parameter; the search swept "
                                  f"{', '.join(self.parameters)}")
        return heatmap_figure(self.trials, x, y, stat, agg, parameters=self.parameters,
                              objective_name=self.objective_name)

    @property
    def objective_name(self) -> str:
        """The objective's name (a statistic, or the callable's name)."""
        objective = self.settings["objective"]
        return objective if isinstance(objective, str) else str(objective)

    def summary(self) -> dict[str, Any]:
        """The search in plain values: what ran, what was skipped, the winner and its DSR."""
        out = {"method": self.settings["method"], "objective": self.objective_name,
               "maximize": self.maximize, "n_trials": len(self.trials),
               "skipped": dict(self.skipped), "signal_runs": self.signal_runs,
               "best": self.best, "dsr": self.dsr, "notes": list(self.notes)}
        return _finite(out)

    def _repr_html_(self) -> str:
        best, dsr = self.best, self.dsr
        skipped = sum(self.skipped.values())
        head = (f"<b>{escape(self.strategy_name)}</b>: {escape(self.settings['method'])} search "
                f"of {len(self.trials):,} configurations ({skipped:,} skipped); best "
                f"{escape(self.objective_name)} {best['objective']:.4g} at "
                f"{escape(_params_text(best['params'], self.parameters))}; DSR over "
                f"{int(dsr['n_trials']):,} trials {_percent(dsr['dsr'])} "
                f"(PSR {_percent(dsr['psr'])})")
        columns = ["trial", *self.parameters, "objective",
                   *[c for c in SHOWN if c != self.objective_name]]
        table = self.top(10)[columns].to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                              border=0)
        return f"<div><p>{head}</p>{table}</div>"

    # -- files --------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The run-file configuration that reruns this search (``fxjudge optimize --config``)."""
        r = self._rerun
        bars = r["bars"]
        source = r["data"] if isinstance(r["data"], str | Path) else bars.attrs.get("source")
        from fxjudge.api import period_end, versions

        if self.legs:
            return toml_safe(self._portfolio_config())
        return toml_safe({
            "data": {"source": str(source), "pair": bars.attrs.get("pair"),
                     "timeframe": bars.attrs.get("timeframe"),
                     "start": bars.index[0].isoformat(), "end": period_end(bars).isoformat(),
                     "conversion": r["conversion"] if isinstance(r["conversion"], float | int)
                     else None},
            "strategy": {"name": self.strategy_name, "params": dict(self.fixed) or None},
            "costs": dataclasses.asdict(r["costs"]), "account": dataclasses.asdict(r["account"]),
            "sizing": dataclasses.asdict(r["sizing"]),
            "optimize": {**{k: v for k, v in self.settings.items() if v is not None},
                         "space": {n: spaces.text(d) for n, d in self.space.items()}},
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        })

    def _portfolio_config(self) -> dict[str, Any]:
        """`config` of a portfolio search: its period, ``[[legs]]`` and the account."""
        from fxjudge.api import period_end, versions
        from fxjudge.search.portfolio import config_legs

        r = self._rerun
        legs = self.legs
        return {
            "data": {"pair": ",".join(leg.pair for leg in legs), "timeframe": r["timeframe"],
                     "start": min(leg.bars.index[0] for leg in legs).isoformat(),
                     "end": max(period_end(leg.bars) for leg in legs).isoformat(),
                     "conversion": r["conversion"] if isinstance(r["conversion"], float | int)
                     else None},
            "legs": config_legs(legs),
            "strategy": {"name": legs[0].name},  # each leg's own are in its [[legs]]
            "account": dataclasses.asdict(r["account"]),
            "optimize": {**{k: v for k, v in self.settings.items() if v is not None},
                         "space": {n: spaces.text(d) for n, d in self.space.items()}},
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def save(self, folder: str | Path, config: dict[str, Any] | None = None) -> Path:
        """Write the search into `folder`: ``trials.parquet``, ``returns.npy`` and ``days.npy``
        (the daily returns), ``search.toml`` (reruns the whole search: `config`, by default
        this search's) and ``summary.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if folder.resolve() != self.folder.resolve():
            for name in (store.TRIALS_FILE, store.RETURNS_FILE, store.DAYS_FILE):
                shutil.copyfile(self.folder / name, folder / name)
        (folder / SEARCH_FILE).write_text(tomli_w.dumps(config or self.config()))
        (folder / SUMMARY_FILE).write_text(json.dumps(self.summary(), indent=2, default=str))
        return folder


def _cell(dim: spaces.Dimension, value):
    """A table cell as the parameter value it was: numpy scalars, NaN for None, floats for
    ints with None among them and text for mixed types are undone with the dimension."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(dim, spaces.Choice):
        for option in dim.options:
            if option == value or (option is not None and repr(option) == value):
                return option
    if isinstance(dim, spaces.IntRange):
        return int(value)
    return value


def _params_text(params: dict, names: list[str]) -> str:
    return ", ".join(f"{n}={params[n]}" for n in names)


def _percent(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.1%}"


def _finite(value):
    """JSON has no NaN: undefined numbers become None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
