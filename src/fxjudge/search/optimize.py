"""`optimize`: try many parameter settings of one strategy, the honest way.

The search runs what `fxjudge.backtest` runs (`fxjudge.search.trial`), once per
configuration, and keeps every trial: a table with one row per configuration run and each
trial's daily returns, streamed to disk (`fxjudge.search.store`), from which the winner's
Deflated Sharpe Ratio, the PBO and the neighbourhood are computed (`OptimizeResult`).

Rules a user can rely on:

- **Configurations.** ``method="grid"`` runs every combination of the space (the product, in
  the space's order); ``"random"`` draws `n_trials` *distinct* configurations with
  ``numpy.random.default_rng(seed)`` (a finite space smaller than that is run whole);
  ``"optuna"`` asks optuna's TPE sampler (seeded) for `n_trials` distinct configurations, in
  rounds of `OPTUNA_ROUND` asked before their results are told, whatever the executor, so that
  a search is the same on one process, many, or a cluster. A configuration TPE suggests again
  is answered from the table, not rerun nor counted.
- **Skipped, not errors.** A configuration that `constraint` rejects, or that the strategy's
  own parameter checks refuse (``slow_bars`` not above ``fast_bars``), is skipped and counted by
  reason (`OptimizeResult.skipped`); for optuna it is told as pruned (optuna's pruners need
  intermediate values, which a backtest has only at its end, so no pruner runs trials short).
- **Trial order.** Trials are numbered in the order they run: configurations with equal
  signal parameters next to each other, so that their signals are computed once.
- **Signals.** Parameters named like exit rules (`EXIT_PARAMETERS`: stops, targets, time exit,
  ``on_opposite``) reuse the signals of the others. This is checked once per search: when
  changing one of them changes the first configuration's signals, it is treated as a signal
  parameter (and a note says so).
- **Look-ahead.** Before any trial runs, the strategy with the first configuration the search
  would run is checked for look-ahead on the search's bars (`fxjudge.signals.lookahead`, as
  `fxjudge.backtest` does; passes cached), once per search, not per trial; the winner's report
  (`OptimizeResult.best_result`) is a backtest and checks the winner's parameters too.
  ``lookahead_check=False`` skips both and the notes say so in red.
- **Portfolios.** `data` may be a list of legs, as `fxjudge.backtest_portfolio` takes them:
  every trial runs the legs in one account on the compiled portfolio engine and its statistics
  and objective are the account's; a searched name is shared by every leg (``fast_bars``) or
  one leg's own (``EURUSD.fast_bars``); the look-ahead check runs on every leg, and the winner
  is rerun with `backtest_portfolio` (`fxjudge.search.portfolio`).
- **Counting.** The DSR counts the configurations run (skipped ones and optuna's repeats are
  not) and the sample variance (ddof 1) of their daily Sharpe ratios.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import math
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fxjudge import api
from fxjudge.errors import ConfigError, FxJudgeError, must
from fxjudge.results import metrics
from fxjudge.results.result import BacktestResult
from fxjudge.search import executor, store
from fxjudge.search import portfolio as legs_of
from fxjudge.search import space as spaces
from fxjudge.search.constraint import constraint_of
from fxjudge.search.portfolio_trial import PortfolioContext, split_name
from fxjudge.search.result import OptimizeResult
from fxjudge.search.trial import (
    EXIT_PARAMETERS,
    SEARCH_STATISTICS,
    Context,
    save_bars,
    strategy_name,
    worker_spec,
)
from fxjudge.signals.loader import load_strategy, strategy_class
from fxjudge.signals.strategy import Strategy, run_signals
from fxjudge.typed import unknown_name

METHODS = ("grid", "random", "optuna")
#: trials optuna is asked for before any of their results is told (see the module docstring)
OPTUNA_ROUND = 8
#: at most this many batches per worker, so that they finish together
BATCHES_PER_WORKER = 8
#: and at most this many trials in one batch
MAX_BATCH = 64


@dataclasses.dataclass
class _Plan:
    """A search, checked and prepared: everything but the trials. A portfolio's has its
    `legs` (`bars` is then the first leg's and `cls` its strategy's)."""

    bars: pd.DataFrame
    cls: type[Strategy]
    spec: str | type[Strategy]
    project: Path | None
    fixed: dict[str, Any]
    dims: dict[str, spaces.Dimension]
    signal_names: tuple[str, ...]
    constraint: Callable | None
    maximize: bool
    notes: list[str]
    days: pd.DatetimeIndex
    day_ends: np.ndarray
    legs: list[legs_of.LegPlan] = dataclasses.field(default_factory=list)


@functools.cache
def statistic_names() -> tuple[str, ...]:
    """Every statistic a trial has (the names an objective can be), from an empty run."""
    times = pd.date_range("2017-01-02", periods=3, freq="D", tz="UTC")
    equity = pd.DataFrame({"balance": 1.0, "equity": 1.0, "used_margin": 0.0,
                           "position_units": 0.0}, index=times)
    trades = pd.DataFrame(columns=["net_account", "pips", "commission", "swap"], dtype=float)
    empty = BacktestResult(trades=trades, equity=equity, config={"account": {"balance": 1.0}})
    names, _ = metrics.full_statistics(empty)
    return tuple(n for n in names if n not in SEARCH_STATISTICS)


def optimize(
    data,
    strategy: str | type[Strategy] | Strategy,
    space: dict[str, Any],
    *,
    method: str = "grid",
    n_trials: int | None = None,
    objective: str | Callable = "sharpe",
    maximize: bool = True,
    constraint: Callable[[dict], bool] | str | None = None,
    params: dict[str, Any] | None = None,
    costs=None,
    account=None,
    sizing=None,
    start=None,
    end=None,
    timeframe: str | None = None,
    pair: str | None = None,
    conversion: float | pd.DataFrame | None = None,
    project: str | Path | None = None,
    n_jobs: int = -1,
    scheduler=None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    folder: str | Path | None = None,
    lookahead_check: bool | None = True,
) -> OptimizeResult:
    """Search `space` for the `strategy` settings with the best `objective` on `data`.

    `data`, `strategy`, `costs`, `account`, `sizing`, `start`, `end`, `timeframe`, `pair`,
    `conversion` and `project` are those of `fxjudge.backtest`; `params` fixes parameters that
    are not searched. `data` may be a list of portfolio legs (those of
    `fxjudge.backtest_portfolio`), searched in one account: a name of `space` is then shared
    by every leg or, as ``EURUSD.fast_bars``, one leg's own, and a trial's statistics are the
    account's (the module docstring's "Portfolios"). `space` maps parameter names (strategy
    and exit parameters) to lists, ranges, one fixed value, or `fxjudge.space.int` /
    `.float` / `.choice`. `method` is ``"grid"``, ``"random"`` or ``"optuna"`` (these two
    need `n_trials`). `objective` is a statistic of a run (``"sharpe"``, ``"net_profit"``,
    ``"profit_factor"``...: any key of its statistics) or a callable of its `BacktestResult`
    (a portfolio's: the account's); `maximize` says which way is better. `constraint` is a
    callable of the parameters (all of them, defaults included; a portfolio's: each leg's) or
    an expression like ``"fast_bars < slow_bars"``; what it rejects is skipped and counted.

    Trials run on `n_jobs` local processes (-1: every core; 1: this process) or on Dask
    (`scheduler`: ``"dask"`` for a local cluster, ``"tcp://HOST:8786"`` or a
    `distributed.Client`); `progress(done, total)` is called as trials finish. Results stream
    to `folder` (default: a temporary folder, removed with the result unless it is saved).
    `lookahead_check` (see the module docstring): False skips the check, None means the
    caller checked already (`walk_forward_optimize` checks its first window's search only).
    The rules are in this module's docstring.
    """
    if method not in METHODS:
        raise unknown_name("`method`", str(method), METHODS)
    if method == "grid" and n_trials is not None:
        raise ConfigError("`n_trials` is for method='random' or 'optuna'; a grid runs every "
                          "configuration (narrow the space, or use method='random')")
    if method != "grid" and (not isinstance(n_trials, int) or isinstance(n_trials, bool)
                             or n_trials < 1):
        raise must("n_trials", f"an int >= 1 for method={method!r}", n_trials)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise must("seed", "an int >= 0", seed)
    if lookahead_check is not None and not isinstance(lookahead_check, bool):
        raise must("lookahead_check", "true, false or None", lookahead_check)
    costs, account, sizing = api.engine_objects(costs, account, sizing)
    if sizing.by_probability:
        raise ConfigError("`sizing.by_probability` sizes trades by the judge's probability, "
                          "and the search runs without a judge: drop it from the search's "
                          "sizing, then size the winner with `fxjudge backtest --judge "
                          "walk-forward`")
    if isinstance(data, list | tuple):
        if pair is not None:
            raise ConfigError("`pair` is for one pair's bars; a portfolio names each leg's "
                              "pair in the leg (e.g. {'data': bars, 'pair': 'EURUSD'})")
        plan = _portfolio_plan(data, strategy, space, params, constraint, objective, maximize,
                               project, method, costs, sizing, timeframe, start, end)
        bars = plan.bars
    else:
        bars = api.resolve_bars(data, timeframe=timeframe, pair=pair, start=start, end=end)
        plan = _plan(bars, strategy, space, params, constraint, objective, maximize, project,
                     method)
    if lookahead_check is not None:
        notes = [api.LOOKAHEAD_OFF] if lookahead_check is False else (
            legs_of.lookahead_notes(plan.legs, _first(plan), plan.project) if plan.legs
            else [_lookahead(plan)])
        plan.notes[:0] = notes
    work = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="fxjudge-"))
    work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bars-", dir=work))
    try:
        if plan.legs:
            context = _portfolio_context(plan, None if scheduler is not None else scratch,
                                         account, conversion, objective, seed)
        else:
            context = _context(plan, None if scheduler is not None else scratch, costs,
                               account, sizing, conversion, objective, seed)
        run = _optuna if method == "optuna" else _planned
        counts = run(plan, context, work, method, n_trials, seed, n_jobs, scheduler, progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    settings = {"method": method, "n_trials": n_trials, "seed": seed, "maximize": maximize,
                "objective": objective if isinstance(objective, str) else _callable(objective),
                "constraint": None if constraint is None else (
                    constraint if isinstance(constraint, str) else _callable(constraint))}
    return OptimizeResult(
        folder=work, temporary=folder is None, space=plan.dims, fixed=plan.fixed,
        strategy=strategy, strategy_name=",".join(dict.fromkeys(
            leg.name for leg in plan.legs)) if plan.legs else strategy_name(strategy, plan.cls),
        settings=settings, skipped=counts["skipped"], notes=plan.notes + counts["notes"],
        signal_runs=counts["signal_runs"], objective=objective,
        rerun={"data": data, "costs": costs, "account": account, "sizing": sizing,
               "conversion": conversion, "project": plan.project, "timeframe": timeframe,
               "pair": pair, "start": start, "end": end, "bars": bars,
               "lookahead_check": lookahead_check is not False, "legs": plan.legs})


def _context(plan: _Plan, scratch: Path | None, costs, account, sizing, conversion, objective,
             seed: int) -> Context:
    """What the workers of a one-pair search share: the bars written to `scratch` (memory-mapped
    by local workers), or carried inside (None: for Dask)."""
    bars = plan.bars
    columns = tuple(c for c in bars.columns if pd.api.types.is_numeric_dtype(bars[c]))
    if scratch is not None:
        columns = save_bars(bars, scratch / "bars.npy")
    context = Context(
        key=uuid.uuid4().hex, strategy=plan.spec, project=None if plan.project is None
        else str(plan.project), fixed=plan.fixed, signal_names=plan.signal_names,
        pair=bars.attrs["pair"], costs=costs, account=account, sizing=sizing,
        conversion=conversion, objective=objective, bar_columns=columns,
        bar_attrs=dict(bars.attrs), day_ends=plan.day_ends,
        day_starts=plan.days.as_unit("ns").asi8, seed=seed,
        bars_file=str(scratch / "bars.npy") if scratch is not None else None)
    return context if scratch is not None else context.with_bars(bars[list(columns)])


def _portfolio_context(plan: _Plan, scratch: Path | None, account, conversion, objective,
                       seed: int) -> PortfolioContext:
    """What the workers of a portfolio search share (`_context`'s, for every leg). The exit
    parameters found to change signals (`_check_exit_only`) key the legs' cached signals."""
    moved = {split_name(n)[1] for n in plan.signal_names}
    return PortfolioContext(
        key=uuid.uuid4().hex, legs=legs_of.leg_contexts(plan.legs, scratch),
        project=None if plan.project is None else str(plan.project),
        exit_only=tuple(n for n in EXIT_PARAMETERS if n not in moved), account=account,
        conversion=conversion, objective=objective, day_ends=plan.day_ends,
        day_starts=plan.days.as_unit("ns").asi8, seed=seed)


def _first(plan: _Plan) -> dict:
    """The first configuration the search would run ({} when none is valid)."""
    return next(_valid(plan, itertools.islice(_grid_or_samples(plan), 10_000), {}), None) or {}


def _lookahead(plan: _Plan) -> str:
    """Check the first configuration the search would run for look-ahead; return the note."""
    params = {**plan.fixed, **_first(plan)}
    try:
        chosen = load_strategy(plan.spec, params, project=plan.project)
    except ConfigError:  # no valid configuration: the search says so itself
        chosen = load_strategy(plan.spec, plan.fixed, project=plan.project)
    return api.lookahead_note(chosen, plan.bars, True, name=strategy_name(plan.spec, plan.cls))


def _plan(bars, strategy, space, params, constraint, objective, maximize, project,
          method) -> _Plan:
    if not isinstance(space, dict) or not space:
        raise must("space", "a dict of parameter names to values or ranges", space)
    project = None if project is None else Path(project)
    cls = strategy_class(strategy, project)
    if project is None and cls.__module__.startswith("fxjudge_strategy_"):
        project = Path(inspect.getfile(cls)).resolve().parent.parent  # its strategies/ folder
    known = list(cls.param_defaults())
    base = dataclasses.asdict(strategy.params) if isinstance(strategy, Strategy) else {}
    for name in list(space) + list(params or {}):
        if name not in known:
            raise unknown_name(f"parameter of {cls.__name__}", name, known)
    dims, fixed = _dimensions(space, {**base, **(params or {})}, method, objective, maximize)
    days, day_ends = metrics.fx_day_ends(bars.index)
    signal_names = tuple(n for n in known if n not in EXIT_PARAMETERS)
    plan = _Plan(bars, cls, worker_spec(strategy, cls), project, fixed, dims, signal_names,
                 constraint_of(constraint), maximize, [], days, day_ends)
    plan.signal_names = _check_exit_only(plan)
    return plan


def _portfolio_plan(legs, strategy, space, params, constraint, objective, maximize, project,
                    method, costs, sizing, timeframe, start, end) -> _Plan:
    """`_plan` of a portfolio: its legs checked, the space's names checked against them."""
    if not isinstance(space, dict) or not space:
        raise must("space", "a dict of parameter names to values or ranges", space)
    planned, project = legs_of.plan_legs(
        legs, strategy, params, costs, sizing, timeframe=timeframe, start=start, end=end,
        project=None if project is None else Path(project))
    legs_of.check_space(planned, list(space))
    dims, fixed = _dimensions(space, dict(params or {}), method, objective, maximize)
    single = {name: value for name, value in fixed.items() if name in space}
    for leg in planned:  # a searched name of one value is fixed for the legs it reaches
        leg.fixed.update(legs_of.leg_params(leg.pair, {}, single))
    days, day_ends = metrics.fx_day_ends(legs_of.merged_index(planned))
    signal_names = tuple(n for n in dims if split_name(n)[1] not in EXIT_PARAMETERS)
    first = planned[0]
    plan = _Plan(first.bars, first.cls, first.spec, project, fixed, dims, signal_names,
                 constraint_of(constraint), maximize, [], days, day_ends, planned)
    plan.signal_names = _check_exit_only(plan)
    return plan


def _dimensions(space: dict, fixed: dict, method: str, objective, maximize
                ) -> tuple[dict[str, spaces.Dimension], dict[str, Any]]:
    """The searched dimensions of `space`, and `fixed` with its one-value names added; the
    objective and direction checked."""
    dims = {name: spaces.dimension(name, value) for name, value in space.items()}
    fixed = dict(fixed)
    for name, dim in list(dims.items()):
        if isinstance(dim, spaces.Choice) and len(dim.options) == 1:
            fixed[name] = dim.options[0]
            del dims[name]
    if not dims:
        raise ConfigError("`space` searches nothing: every parameter has one value; give two "
                          "or more values, a range, or fxjudge.space.int/float/choice")
    if method == "grid":
        spaces.grid(dims)  # a continuous float fails here, naming itself
    if isinstance(objective, str):
        names = statistic_names()
        if objective not in names:
            raise unknown_name("`objective` statistic", objective, names)
    elif not callable(objective):
        raise must("objective", "a statistic name or a callable of a BacktestResult", objective)
    if not isinstance(maximize, bool):
        raise must("maximize", "true or false", maximize)
    return dims, fixed


def _check_exit_only(plan: _Plan) -> tuple[str, ...]:
    """The signal parameters, with any exit parameter whose change moves the signals added."""
    swept = [n for n in plan.dims if n not in plan.signal_names]
    if not swept:
        return plan.signal_names
    first = next(_valid(plan, itertools.islice(_grid_or_samples(plan), 10_000), {}), None)
    if first is None:
        return plan.signal_names
    reference = _signals(plan, first)
    names = list(plan.signal_names)
    for name in swept:
        values = plan.dims[name].grid() if spaces.is_finite({name: plan.dims[name]}) else [
            plan.dims[name].low, plan.dims[name].high]
        for value in values:
            if value == first[name]:
                continue
            try:
                changed = _signals(plan, {**first, name: value})
            except FxJudgeError:
                continue
            if not changed.equals(reference):
                names.append(name)
                plan.notes.append(f"`{name}` changes {plan.cls.__name__}'s signals: it is "
                                  "treated as a signal parameter (signals computed per value)")
            break
    return tuple(names)


def _signals(plan: _Plan, params: dict) -> pd.Series:
    if plan.legs:
        return legs_of.signals(plan.legs, params, plan.project)
    chosen = load_strategy(plan.spec, {**plan.fixed, **params}, project=plan.project)
    return run_signals(chosen, plan.bars)[1]


def _grid_or_samples(plan: _Plan) -> Iterator[dict]:
    names = list(plan.dims)
    if spaces.is_finite(plan.dims):
        for values in itertools.product(*spaces.grid(plan.dims)):
            yield dict(zip(names, values, strict=True))
    else:
        rng = np.random.default_rng(0)
        while True:
            yield {n: d.sample(rng) for n, d in plan.dims.items()}


def _valid(plan: _Plan, configurations, skipped: dict[str, int]) -> Iterator[dict]:
    """The configurations the constraint and the strategy accept; the rest counted by reason."""
    for params in configurations:
        reason = _refusal(plan, params)
        if reason is None:
            yield params
        else:
            skipped[reason] = skipped.get(reason, 0) + 1


def _refusal(plan: _Plan, params: dict) -> str | None:
    """Why `params` is skipped (None: it is run)."""
    if plan.legs:
        return legs_of.refusal(plan.legs, plan.constraint, params)
    if plan.constraint is not None:
        complete = {**plan.cls.param_defaults(), **plan.fixed, **params}
        if not plan.constraint(complete):
            return "constraint"
    try:
        plan.cls(params={**plan.fixed, **params})
    except ConfigError as error:
        return str(error)
    return None


def _configurations(plan: _Plan, method: str, n_trials: int | None, seed: int,
                    skipped: dict[str, int], notes: list[str]) -> list[dict]:
    """The configurations a grid or random search runs, in enumeration order."""
    if method == "grid":
        return list(_valid(plan, _grid_or_samples(plan), skipped))
    rng = np.random.default_rng(seed)
    seen, chosen = set(), []
    finite = spaces.is_finite(plan.dims)
    size = spaces.grid_size(plan.dims) if finite else math.inf
    for _ in range(spaces.DRAWS_PER_TRIAL * n_trials):
        if len(chosen) == n_trials or len(seen) >= size:
            break
        params = {n: d.sample(rng) for n, d in plan.dims.items()}
        key = _key(params)
        if key in seen:
            continue
        seen.add(key)
        reason = _refusal(plan, params)
        if reason is None:
            chosen.append(params)
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    if len(chosen) < n_trials:
        notes.append(f"random search: {len(chosen)} distinct valid configurations of the "
                     f"{n_trials} asked for (the space has no more)")
    return chosen


def _batches(plan: _Plan, configurations: list[dict], workers: int,
             first: int = 0) -> list[list[tuple[int, dict]]]:
    """Configurations grouped by signal parameters (first appearance order), numbered from
    `first`, cut into batches of whole groups (a group larger than a batch is cut)."""
    groups: dict[tuple, list[dict]] = {}
    for params in configurations:
        full = {**plan.fixed, **params}
        key = tuple(_plain_key(full.get(n)) for n in plan.signal_names)
        groups.setdefault(key, []).append(params)
    target = max(1, min(MAX_BATCH, math.ceil(len(configurations)
                                             / (workers * BATCHES_PER_WORKER))))
    batches, current, number = [], [], first
    for group in groups.values():
        for start in range(0, len(group), target):
            piece = group[start:start + target]
            if current and len(current) + len(piece) > target:
                batches.append(current)
                current = []
            for params in piece:
                current.append((number, params))
                number += 1
    if current:
        batches.append(current)
    return batches


def _planned(plan, context, work, method, n_trials, seed, n_jobs, scheduler, progress):
    skipped: dict[str, int] = {}
    notes: list[str] = []
    configurations = _configurations(plan, method, n_trials, seed, skipped, notes)
    if not configurations:
        raise ConfigError(f"no configuration of the space passes the constraint and the "
                          f"strategy's checks (skipped: {_reasons(skipped)}); widen the space")
    batches = _batches(plan, configurations, executor.workers(n_jobs))
    trials = _store(plan, work, len(configurations))
    runs = 0
    done = 0
    try:
        for outcomes in executor.run(batches, context, n_jobs=n_jobs, scheduler=scheduler):
            for outcome in outcomes:
                trials.add(outcome.trial, outcome.row, outcome.daily)
                runs += outcome.signals_computed
            done += len(outcomes)
            if progress:
                progress(done, len(configurations))
    finally:
        trials.close()
    return {"skipped": skipped, "notes": notes, "signal_runs": runs}


def _optuna(plan, context, work, method, n_trials, seed, n_jobs, scheduler, progress):
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = "maximize" if plan.maximize else "minimize"
    study = optuna.create_study(direction=direction,
                                sampler=optuna.samplers.TPESampler(seed=seed))
    skipped: dict[str, int] = {}
    notes: list[str] = []
    answers: dict[tuple, float] = {}
    trials = _store(plan, work, n_trials)
    number, runs, asked = 0, 0, 0
    try:
        while number < n_trials and asked < spaces.DRAWS_PER_TRIAL * n_trials:
            fresh: list[tuple[Any, dict]] = []
            while len(fresh) < min(OPTUNA_ROUND, n_trials - number) and \
                    asked < spaces.DRAWS_PER_TRIAL * n_trials:
                asked += 1
                trial = study.ask()
                params = {n: d.suggest(trial, n) for n, d in plan.dims.items()}
                key = _key(params)
                if key in answers or any(_key(p) == key for _, p in fresh):
                    if key in answers:
                        study.tell(trial, _told(answers[key]), state=_state(answers[key]))
                    else:
                        study.tell(trial, state=TrialState.PRUNED)
                    continue
                reason = _refusal(plan, params)
                if reason is not None:
                    skipped[reason] = skipped.get(reason, 0) + 1
                    study.tell(trial, state=TrialState.PRUNED)
                    continue
                fresh.append((trial, params))
            if not fresh:
                break
            batches = _batches(plan, [p for _, p in fresh], executor.workers(n_jobs), number)
            by_params = {}
            for outcomes in executor.run(batches, context, n_jobs=n_jobs, scheduler=scheduler):
                for outcome in outcomes:
                    trials.add(outcome.trial, outcome.row, outcome.daily)
                    runs += outcome.signals_computed
                    by_params[_key({n: outcome.row[n] for n in plan.dims})] = \
                        outcome.row["objective"]
            for trial, params in fresh:
                value = by_params[_key(params)]
                answers[_key(params)] = value
                study.tell(trial, _told(value), state=_state(value))
            number += len(fresh)
            if progress:
                progress(number, n_trials)
    finally:
        trials.close()
    if number < n_trials:
        notes.append(f"optuna: {number} distinct valid configurations of the {n_trials} asked "
                     "for (the sampler kept suggesting ones already tried)")
    if number == 0:
        raise ConfigError(f"no configuration of the space passes the constraint and the "
                          f"strategy's checks (skipped: {_reasons(skipped)}); widen the space")
    return {"skipped": skipped, "notes": notes, "signal_runs": runs}


def _told(value: float):
    return None if math.isnan(value) else value


def _state(value: float):
    from optuna.trial import TrialState

    return TrialState.FAIL if math.isnan(value) else TrialState.COMPLETE


def _store(plan: _Plan, work: Path, capacity: int) -> store.TrialStore:
    values = {n: (d.grid() if spaces.is_finite({n: d}) else [d.low, d.high])
              for n, d in plan.dims.items()}
    return store.TrialStore(work, plan.days, capacity,
                            store.schema(values, statistic_names()))


def _key(params: dict) -> tuple:
    return tuple(sorted((k, _plain_key(v)) for k, v in params.items()))


def _plain_key(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("other", repr(value))


def _reasons(skipped: dict[str, int]) -> str:
    return "; ".join(f"{count} {reason}" for reason, count in skipped.items()) or "none"


def _callable(value) -> str:
    """How a Python callable is recorded (it cannot be saved to rerun the search)."""
    return f"<python callable {getattr(value, '__qualname__', type(value).__name__)}>"
