"""One trial of a portfolio search, as a worker process runs it: each leg's signals and exit
levels as `fxjudge.backtest_portfolio` makes them, the legs through one account on the compiled
portfolio engine, and the trial's statistics on the account (`trial.outcome`).

A `PortfolioContext` is sent once per search, like the one-pair `trial.Context`: each leg's
bars travel as a memory-mapped file (or inside the context, for Dask). The worker keeps every
leg's last signals, so a trial recomputes only the legs whose signal parameters changed. The
portfolio kernel is compiled once per process (about 4 s: numba does not cache it).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fxjudge.api import portfolio_account
from fxjudge.domain import FxPair
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.portfolio import Leg, simulate_portfolio
from fxjudge.features import indicators
from fxjudge.results import metrics
from fxjudge.results.result import BacktestResult
from fxjudge.search.trial import ENGINE, Outcome, mapped_bars, outcome
from fxjudge.search.trial import _project as worker_project
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import Strategy, run_signals

#: how a searched name is given for one leg only: ``<PAIR>.<parameter>``, e.g. EURUSD.fast_bars
LEG_SEPARATOR = "."


def split_name(name: str) -> tuple[str | None, str]:
    """A searched name's leg (None: every leg) and parameter: ``EURUSD.fast_bars`` is
    (``EURUSD``, ``fast_bars``), ``fast_bars`` is (None, ``fast_bars``)."""
    pair, separator, parameter = name.rpartition(LEG_SEPARATOR)
    return (pair, parameter) if separator else (None, name)


def leg_params(pair: str, fixed: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of the `pair` leg: its `fixed` ones, then the searched `params` that are
    shared (a plain name) or its own (``<pair>.<name>``)."""
    chosen = dict(fixed)
    for name, value in params.items():
        leg, parameter = split_name(name)
        if leg is None or leg == pair:
            chosen[parameter] = value
    return chosen


@dataclass(frozen=True)
class LegContext:
    """One leg of a portfolio search, as workers get it: the pair, its strategy (a name in the
    project's strategies/ or a class), its fixed parameters, costs and sizing, and its bars
    (`bars`, or `bars_file` of `bar_columns` written by `trial.save_bars`)."""

    pair: str
    strategy: str | type[Strategy]
    fixed: dict[str, Any]
    costs: Costs
    sizing: Sizing
    bar_columns: tuple[str, ...]
    bar_attrs: dict[str, Any]
    bars_file: str | None = None
    bars: pd.DataFrame | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PortfolioContext:
    """What every trial of one portfolio search shares; `key` is unique per search.

    `exit_only` are the exit parameters that do not change a leg's signals (they are left out of
    the key of its cached signals); `day_ends` and `day_starts` are the FX days of the legs'
    merged timeline, on which the account's daily returns are taken.
    """

    key: str
    legs: tuple[LegContext, ...]
    project: str | None
    exit_only: tuple[str, ...]
    account: Account
    conversion: Any
    objective: str | Callable[[BacktestResult], float]
    day_ends: Any
    day_starts: Any
    seed: int

    def worker(self) -> _PortfolioWorker:
        """The state a process keeps for this search (`trial.run_batch`)."""
        return _PortfolioWorker(self)


class _LegState:
    """A worker's bars of one leg and the last signals computed on them."""

    def __init__(self, leg: LegContext) -> None:
        if leg.bars is not None:
            self.bars = leg.bars.copy(deep=False)
            self.bars.attrs = dict(leg.bar_attrs)
        else:
            self.bars = mapped_bars(leg.bars_file, leg.bar_columns, leg.bar_attrs)
        self.pair = FxPair.parse(leg.pair)
        self.memo = indicators.Memo(self.bars)
        self.signal_key: tuple | None = None
        self.signals: pd.Series | None = None


class _PortfolioWorker:
    """A worker's state for one portfolio search: every leg's bars and last signals."""

    def __init__(self, context: PortfolioContext) -> None:
        self.context = context
        self.project = worker_project(context.project)
        self.states = [_LegState(leg) for leg in context.legs]
        self.balance = float(context.account.balance)
        self.days = pd.DatetimeIndex(pd.to_datetime(context.day_starts, utc=True))

    def run(self, trial: int, params: dict[str, Any]) -> Outcome:
        started = time.perf_counter()
        built, computed = [], False
        for leg, state in zip(self.context.legs, self.states, strict=True):
            chosen = load_strategy(leg.strategy, leg_params(leg.pair, leg.fixed, params),
                                   project=self.project)
            key = tuple((name, value) for name, value in
                        dataclasses.asdict(chosen.params).items()
                        if name not in self.context.exit_only)
            if key != state.signal_key:
                with indicators.reusing(state.memo):
                    _, state.signals = run_signals(chosen, state.bars)
                state.signal_key, computed = key, True
            rules = chosen.exit_rules
            levels = exit_levels(state.bars, state.signals, rules, state.pair)
            built.append(Leg(state.pair, state.bars, state.signals, levels, rules, leg.costs,
                             leg.sizing))
        run = simulate_portfolio(built, account=self.context.account,
                                 conversion=self.context.conversion, engine=ENGINE)
        daily = metrics.daily_returns_at(run.account["equity"].to_numpy(),
                                         self.context.day_ends, self.balance)
        result = portfolio_account(run, {"account": {"balance": self.balance}},
                                   daily=pd.Series(daily, index=self.days, name="return"))
        return outcome(trial, params, result, self.context, started, computed)
