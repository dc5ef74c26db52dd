"""One trial of a search, as a worker process runs it: the same preparation and engine as
`fxjudge.backtest`, with what does not change between trials shared.

A worker receives a `Context` once per search (small: the bars travel as a memory-mapped file
on one machine, or scattered once to each Dask worker) and batches of trials whose signal
parameters are equal. It keeps the bars, the strategy class and the last signals it computed,
so a batch computes its signals once and each trial only its exit levels and the engine run
(indicators of the bars are kept between batches too: `fxjudge.features.indicators.Memo`);
the bars are priced for the engine (`fxjudge.engine.prepare`) once per worker.
`run_batch` is the one function every executor calls: in-process, under joblib's loky
processes, and on Dask workers, so that all three give the same numbers.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fxjudge import config as project_config
from fxjudge.domain import FxPair
from fxjudge.engine import prepare, simulate, simulate_prepared
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.errors import must
from fxjudge.features import indicators
from fxjudge.results import metrics
from fxjudge.results.result import BacktestResult
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import Strategy, run_signals

#: Exit-rule parameters that only reach a run through `Strategy.exit_rules` by the strategy
#: contract (`atr_bars` is not among them: strategies use it for features and warm-up too).
#: The search checks this on its first configuration before relying on it (`exit_only`).
EXIT_PARAMETERS = tuple(f.name for f in dataclasses.fields(ExitRules) if f.name != "atr_bars")
#: The engine searches run on (`fxjudge.engine.simulate`'s `engine`): the compiled one, held
#: to the backtrader reference by the engine's parity battery.
ENGINE = "compiled"
#: Statistics of a single run that describe the search, not the trial: left out of its row.
SEARCH_STATISTICS = ("n_trials", "dsr", "dsr_sr0", "trials_sr_variance",
                     "trials_sr_variance_assumed")


@dataclass(frozen=True)
class Context:
    """What every trial of one search shares. `key` is unique per search (workers cache by it).

    The bars are `bars` (a frame, for Dask, which scatters the context once to each worker) or
    `bars_file` (a ``.npy`` matrix of `bar_columns` beside ``<bars_file>.index.npy``, mapped
    into memory by each local worker process). `strategy` is a name in the project's
    strategies/ (workers load it themselves) or a class (cloudpickled). `signal_names` are the
    parameters that change signals; the others only change exits.
    """

    key: str
    strategy: str | type[Strategy]
    project: str | None
    fixed: dict[str, Any]
    signal_names: tuple[str, ...]
    pair: str
    costs: Costs
    account: Account
    sizing: Sizing
    conversion: float | pd.DataFrame | None
    objective: str | Callable[[BacktestResult], float]
    bar_columns: tuple[str, ...]
    bar_attrs: dict[str, Any]
    day_ends: np.ndarray
    day_starts: np.ndarray
    seed: int
    bars_file: str | None = None
    bars: pd.DataFrame | None = field(default=None, repr=False)

    def with_bars(self, bars: pd.DataFrame) -> Context:
        """This context carrying the bars themselves (for workers on other machines)."""
        return dataclasses.replace(self, bars=bars, bars_file=None)

    def worker(self) -> _Worker:
        """The state a process keeps for this search (`run_batch`)."""
        return _Worker(self)


@dataclass(frozen=True)
class Outcome:
    """What one trial sends back: its row of the trials table and its daily returns."""

    trial: int
    row: dict[str, Any]
    daily: np.ndarray
    signals_computed: bool


def save_bars(bars: pd.DataFrame, path: Path) -> tuple[str, ...]:
    """Write the bars' numeric columns as one float64 matrix `path` (and the index beside it)
    for workers to map into memory; return the column names."""
    columns = tuple(c for c in bars.columns if pd.api.types.is_numeric_dtype(bars[c]))
    np.save(path, np.ascontiguousarray(bars[list(columns)].to_numpy(dtype=np.float64)))
    np.save(f"{path}.index.npy", bars.index.as_unit("ns").asi8)
    return columns


class _Worker:
    """A worker's state for one search: bars, strategy and the last signals computed."""

    def __init__(self, context: Context) -> None:
        self.context = context
        if context.bars is not None:
            self.bars = context.bars.copy(deep=False)
            self.bars.attrs = dict(context.bar_attrs)  # pair, price side: they decide prices
        else:
            self.bars = mapped_bars(context.bars_file, context.bar_columns, context.bar_attrs)
        self.pair = FxPair.parse(context.pair)
        self.prepared = prepare(self.bars, pair=self.pair, costs=context.costs,
                                account=context.account, conversion=context.conversion)
        self.project = _project(context.project)
        self.memo = indicators.Memo(self.bars)  # a grid's SMAs are a few, not one per trial
        self.signal_key: tuple | None = None
        self.signals: pd.Series | None = None
        self.balance = float(context.account.balance)
        self.days = pd.DatetimeIndex(pd.to_datetime(context.day_starts, utc=True))

    def strategy(self, params: dict[str, Any]) -> Strategy:
        return load_strategy(self.context.strategy, {**self.context.fixed, **params},
                             project=self.project)

    def run(self, trial: int, params: dict[str, Any]) -> Outcome:
        started = time.perf_counter()
        chosen = self.strategy(params)
        key = tuple(getattr(chosen.params, name) for name in self.context.signal_names)
        computed = key != self.signal_key
        if computed:
            with indicators.reusing(self.memo):
                _, self.signals = run_signals(chosen, self.bars)
            self.signal_key = key
        rules = chosen.exit_rules
        levels = exit_levels(self.bars, self.signals, rules, self.pair)
        result = engine_run(self, self.signals, levels, rules)
        return outcome(trial, params, result, self.context, started, computed)


def outcome(trial: int, params: dict[str, Any], result: BacktestResult, context,
            started: float, computed: bool) -> Outcome:
    """A trial's `Outcome` from its run: every statistic and the objective of `result` (a
    pair's run, or a portfolio's account), its daily returns, and the time since `started`."""
    stats, _ = metrics.full_statistics(result)
    objective = context.objective
    value = stats[objective] if isinstance(objective, str) else objective(result)
    row = {"trial": trial, **params,
           **{k: float(v) for k, v in stats.items() if k not in SEARCH_STATISTICS},
           "objective": _number(value), "seed": context.seed,
           "seconds": time.perf_counter() - started}
    return Outcome(trial, row, result.daily.to_numpy(), computed)


def engine_run(worker: _Worker, signals: pd.Series, levels: pd.DataFrame,
               rules: ExitRules) -> BacktestResult:
    """A trial's run of the engine on the worker's prepared bars (priced once per search), as a
    `BacktestResult` its statistics are computed from."""
    c = worker.context
    run = simulate_prepared(worker.prepared, signals, levels, rules=rules, sizing=c.sizing,
                            engine=ENGINE)
    daily = metrics.daily_returns_at(run.equity["equity"].to_numpy(), c.day_ends,
                                     worker.balance)
    return BacktestResult(trades=run.trades, equity=run.equity,
                          config={"account": {"balance": worker.balance}}, notes=run.notes,
                          daily=pd.Series(daily, index=worker.days, name="return"))


def simulate_run(bars: pd.DataFrame, signals: pd.Series, levels: pd.DataFrame, *, pair,
                 rules: ExitRules, costs: Costs, account: Account, sizing: Sizing,
                 conversion, probability: pd.Series | None = None,
                 entries_allowed: pd.Series | None = None):
    """The engine on bars of their own (a walk-forward's test window), on `ENGINE`."""
    return simulate(bars, signals, levels, pair=pair, rules=rules, costs=costs,
                    account=account, sizing=sizing, conversion=conversion,
                    probability=probability, entries_allowed=entries_allowed, engine=ENGINE)


def worker_spec(strategy, cls: type[Strategy]) -> str | type[Strategy]:
    """How workers get the strategy: by name when it is a project file (the loader's modules
    cannot be imported elsewhere), else the class itself (pickled by value or reference)."""
    if isinstance(strategy, str):
        return strategy
    module = cls.__module__
    if module.startswith("fxjudge_strategy_"):
        stem = module.split("_", 3)[-1]
        return f"{stem}:{cls.__name__}"
    return cls


def strategy_name(strategy, cls: type[Strategy]) -> str:
    """How a search names its strategy: the name given, a project file's stem, or the class."""
    if isinstance(strategy, str):
        return strategy
    module = cls.__module__
    return module.split("_", 3)[-1] if module.startswith("fxjudge_strategy_") else cls.__name__


#: the search this process works for: its context's key and its worker (`Context.worker`, or
#: `fxjudge.search.portfolio_trial.PortfolioContext.worker` for a portfolio)
_WORKERS: dict[str, Any] = {}


def run_batch(context: Context, batch: list[tuple[int, dict[str, Any]]]) -> list[Outcome]:
    """Run `batch` ((trial id, swept parameters) pairs) in this process; see the module doc.

    The process keeps the state of one search only: a new `context.key` replaces it.
    """
    worker = _WORKERS.get(context.key)
    if worker is None:
        _WORKERS.clear()
        worker = _WORKERS[context.key] = context.worker()
    return [worker.run(trial, params) for trial, params in batch]


def mapped_bars(bars_file: str, columns: tuple[str, ...], attrs: dict[str, Any]) -> pd.DataFrame:
    """The bars from the memory-mapped matrix written by `save_bars` (one copy per process)."""
    matrix = np.load(bars_file, mmap_mode="r")
    times = np.load(f"{bars_file}.index.npy")
    index = pd.DatetimeIndex(pd.to_datetime(times, utc=True), name="time")
    bars = pd.DataFrame({name: np.asarray(matrix[:, i])
                         for i, name in enumerate(columns)}, index=index)
    bars.attrs = dict(attrs)
    return bars


def _project(project: str | None) -> Path | None:
    """The project folder as given, when this machine has it; else this worker's own (its
    current directory or ``$FXJUDGE_PROJECT_DIR``): a worker on another machine runs from its
    own checkout of the project."""
    if project is not None and Path(project).is_dir():
        return Path(project)
    return project_config.project_dir()


def _number(value) -> float:
    """An objective as a float; a callable's result that is not a number is the user's to fix."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise must("objective", "a statistic name or a callable returning a number", value)
    return float(value)
