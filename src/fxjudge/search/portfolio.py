"""A search over a portfolio: the legs of `fxjudge.backtest_portfolio` and how the space reaches
them.

- **Legs.** As `backtest_portfolio` takes them: dicts of ``data``, ``pair``, ``strategy``,
  ``params``, ``costs``, ``sizing``, ``timeframe`` (a leg's own replace the call's), or a
  catalog pair's name.
- **Shared or per leg.** A plain name (``fast_bars``) is one value for every leg, and must be a
  parameter of every leg's strategy; ``<PAIR>.<name>`` (``EURUSD.fast_bars``) is that leg's
  own. A parameter is searched one way or the other, not both.
- **Constraint and checks.** A configuration runs when every leg's parameters pass the
  constraint (evaluated on each leg's own, plain names) and its strategy's checks.
- **Objective.** Every statistic of a trial, and the objective, are the account's
  (`fxjudge.search.portfolio_trial`), on the FX days of the legs' merged timeline.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pandas as pd

from fxjudge import api
from fxjudge.engine.costs import Costs, Sizing
from fxjudge.errors import ConfigError, must
from fxjudge.search.portfolio_trial import LegContext, leg_params, split_name
from fxjudge.search.trial import save_bars, strategy_name, worker_spec
from fxjudge.signals.loader import load_strategy, strategy_class
from fxjudge.signals.strategy import Strategy, run_signals
from fxjudge.typed import unknown_name


@dataclasses.dataclass(frozen=True)
class LegPlan:
    """One leg of a portfolio search, checked: its bars, strategy (as given, its class and
    how workers load it), fixed parameters, costs, sizing, and the data as given."""

    pair: str
    data: Any
    bars: pd.DataFrame
    strategy: Any
    cls: type[Strategy]
    spec: str | type[Strategy]
    fixed: dict[str, Any]
    costs: Costs
    sizing: Sizing
    timeframe: str | None

    @property
    def name(self) -> str:
        """The strategy's name, as the search reports it."""
        return strategy_name(self.strategy, self.cls)


def plan_legs(legs, strategy, params, costs: Costs, sizing: Sizing, *, timeframe, start, end,
              project: Path | None) -> tuple[list[LegPlan], Path | None]:
    """The legs checked and their bars resolved, and the project (found from a project
    strategy's file when not given)."""
    if not legs:
        raise must("data", "bars, a file, a catalog pair, or a list of portfolio legs", legs)
    planned = []
    for number, given in enumerate(legs, 1):
        spec, chosen = api.leg_spec(number, given, strategy)
        cls = strategy_class(chosen, project)
        if project is None and cls.__module__.startswith("fxjudge_strategy_"):
            project = Path(inspect.getfile(cls)).resolve().parent.parent
        leg_timeframe = spec.get("timeframe", timeframe)
        bars = api.resolve_bars(spec["data"], timeframe=leg_timeframe, pair=spec.get("pair"),
                                start=start, end=end)
        base = dataclasses.asdict(chosen.params) if isinstance(chosen, Strategy) else {}
        fixed = {**base, **(spec["params"] if "params" in spec else params or {})}
        known = list(cls.param_defaults())
        for name in fixed:
            if name not in known:
                raise unknown_name(f"parameter of {cls.__name__} (leg {bars.attrs['pair']})",
                                   name, known)
        planned.append(LegPlan(
            bars.attrs["pair"], spec["data"], bars, chosen, cls, worker_spec(chosen, cls), fixed,
            api.engine_objects(spec.get("costs", costs), None, None)[0],
            api.engine_objects(None, None, spec.get("sizing", sizing))[2], leg_timeframe))
    pairs = [leg.pair for leg in planned]
    if len(set(pairs)) != len(pairs):
        raise ConfigError(f"the legs must name each pair once, were {pairs}")
    return planned, project


def check_space(legs: list[LegPlan], names) -> None:
    """Every searched name is a parameter of the legs it reaches (see the module docstring)."""
    pairs = [leg.pair for leg in legs]
    for name in names:
        pair, parameter = split_name(name)
        if pair is not None and pair not in pairs:
            raise ConfigError(
                f"`{name}` names the leg {pair}, which is not in the portfolio "
                f"({', '.join(pairs)}); write {pairs[0]}.{parameter} for one leg, or "
                f"{parameter} for every leg")
        if pair is None and any(split_name(other)[1] == name for other in names
                                if other != name):
            raise ConfigError(f"`{name}` is searched for every leg and per leg too; search "
                              f"`{name}` (one value for all) or `<PAIR>.{name}`, not both")
        for leg in legs:
            if pair in (None, leg.pair) and parameter not in leg.cls.param_defaults():
                raise unknown_name(f"parameter of {leg.cls.__name__} (leg {leg.pair})",
                                   parameter, list(leg.cls.param_defaults()))


def refusal(legs: list[LegPlan], constraint, params: dict) -> str | None:
    """Why `params` is skipped (None: it is run): a leg's parameters fail the constraint, or
    its strategy's checks (the reason names the leg)."""
    for leg in legs:
        chosen = leg_params(leg.pair, leg.fixed, params)
        if constraint is not None and not constraint({**leg.cls.param_defaults(), **chosen}):
            return "constraint"
        try:
            leg.cls(params=chosen)
        except ConfigError as error:
            return f"{leg.pair}: {error}"
    return None


def signals(legs: list[LegPlan], params: dict, project: Path | None) -> pd.Series:
    """Every leg's signals for `params`, one series keyed by pair (to compare two settings)."""
    return pd.concat({leg.pair: run_signals(load_strategy(
        leg.spec, leg_params(leg.pair, leg.fixed, params), project=project), leg.bars)[1]
        for leg in legs})


def lookahead_notes(legs: list[LegPlan], params: dict, project: Path | None) -> list[str]:
    """Each leg's strategy with `params` checked for look-ahead on its bars; the notes."""
    notes = []
    for leg in legs:
        try:
            chosen = load_strategy(leg.spec, leg_params(leg.pair, leg.fixed, params),
                                   project=project)
        except ConfigError:  # no valid configuration: the search says so itself
            chosen = load_strategy(leg.spec, leg.fixed, project=project)
        notes.append(f"{leg.pair}: " + api.lookahead_note(chosen, leg.bars, True,
                                                          name=leg.name))
    return notes


def merged_index(legs: list[LegPlan]) -> pd.DatetimeIndex:
    """The legs' merged timeline (the account's, as `simulate_portfolio` makes it)."""
    times = legs[0].bars.index
    for leg in legs[1:]:
        times = times.union(leg.bars.index)
    return times


def leg_contexts(legs: list[LegPlan], scratch: Path | None) -> tuple[LegContext, ...]:
    """The legs as workers get them: bars written to `scratch` (memory-mapped by local
    workers), or carried inside (None: for Dask)."""
    out = []
    for number, leg in enumerate(legs):
        common = {"pair": leg.pair, "strategy": leg.spec, "fixed": leg.fixed,
                  "costs": leg.costs, "sizing": leg.sizing, "bar_attrs": dict(leg.bars.attrs)}
        if scratch is None:
            columns = tuple(c for c in leg.bars.columns
                            if pd.api.types.is_numeric_dtype(leg.bars[c]))
            out.append(LegContext(**common, bar_columns=columns, bars=leg.bars[list(columns)]))
        else:
            path = scratch / f"leg{number}.npy"
            out.append(LegContext(**common, bar_columns=save_bars(leg.bars, path),
                                  bars_file=str(path)))
    return tuple(out)


def rerun_legs(legs: list[LegPlan], params: dict) -> list[dict]:
    """The legs for `backtest_portfolio` with the searched `params` (each leg's complete
    parameters, on the bars the search ran)."""
    return [{"data": leg.bars, "pair": leg.pair, "strategy": leg.strategy,
             "params": leg_params(leg.pair, leg.fixed, params), "costs": leg.costs,
             "sizing": leg.sizing} for leg in legs]


def config_legs(legs: list[LegPlan]) -> list[dict]:
    """The run file's ``[[legs]]`` that rerun the search: a catalog pair, or a file's
    `source`, with the leg's strategy, fixed parameters, costs and sizing."""
    out = []
    for leg in legs:
        entry: dict[str, Any] = {"pair": leg.pair}
        if isinstance(leg.data, str | Path) and str(leg.data).upper() != leg.pair:
            entry["source"] = str(leg.data)
        elif not isinstance(leg.data, str):
            entry["source"] = str(leg.bars.attrs.get("source") or "bars")
        entry |= {"strategy": leg.name, "params": dict(leg.fixed) or None,
                  "costs": dataclasses.asdict(leg.costs),
                  "sizing": api.sizing_config(leg.sizing), "timeframe": leg.timeframe}
        out.append({k: v for k, v in entry.items() if v is not None})
    return out
