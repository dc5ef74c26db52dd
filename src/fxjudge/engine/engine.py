"""`simulate`: one pair's signals through the FX broker model, on either implementation.

The inputs are checked and turned into arrays once (`inputs`), run by the chosen engine
(`compiled`, the default, or `backtrader_engine`, the reference) and turned into the result's
tables once (`frames`). Each engine is imported when first used, so that importing fxjudge
loads neither numba nor backtrader. The semantics are in the package docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.engine import frames, inputs
from fxjudge.engine.conversion import Conversion
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.notes import note
from fxjudge.errors import must
from fxjudge.signals.exits import ExitRules

#: the implementations `simulate` can run on
ENGINES = ("compiled", "backtrader")


@dataclass(frozen=True)
class EngineResult:
    """Trades, the equity curve (one row per bar), notes on how the run was priced, and the
    engine that ran it."""

    trades: pd.DataFrame
    equity: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    engine: str = "compiled"


@dataclass(frozen=True)
class Prepared:
    """Bars checked and turned into arrays for one pair, costs, account and conversion: what
    `simulate` does before every run, done once for runs that share them (a search's trials).

    Made by `prepare`, run by `simulate_prepared`; the costs and account travel inside, so a
    run cannot be given other ones than its market was priced with.
    """

    index: pd.DatetimeIndex
    pair: FxPair
    costs: Costs
    account: Account
    market: inputs.Market
    notes: tuple[str, ...]


def prepare(bars: pd.DataFrame, *, pair: FxPair | str, costs: Costs, account: Account,
            conversion: Conversion = None, lower_bars: pd.DataFrame | None = None) -> Prepared:
    """Check `bars` (and `lower_bars`) and price them for `simulate_prepared`: bid and ask,
    spread, conversion rates and rollover nights (see `simulate` for the arguments)."""
    pair = FxPair.parse(pair)
    market, notes = inputs.market(bars, pair, costs, account, conversion, lower_bars)
    return Prepared(bars.index, pair, costs, account, market, tuple(notes))


def simulate(
    bars: pd.DataFrame,
    signals: pd.Series,
    levels: pd.DataFrame | None = None,
    *,
    pair: FxPair | str,
    rules: ExitRules,
    costs: Costs,
    account: Account,
    sizing: Sizing,
    conversion: Conversion = None,
    probability: pd.Series | None = None,
    lower_bars: pd.DataFrame | None = None,
    entries_allowed: pd.Series | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "compiled",
) -> EngineResult:
    """Execute `signals` on `bars` with the FX broker model (the rules of `fxjudge.engine`).

    `levels` holds ``stop_distance`` / ``target_distance`` (price units, known at the signal bar,
    NaN where none) as given by `fxjudge.signals.exits.exit_levels`; `conversion` is conversion
    bars, a fixed rate or None (see `fxjudge.engine.conversion`); `probability` is the judge's
    probability per signal bar, copied to the trades; `lower_bars` resolve a stop and a target
    reached in one bar; `entries_allowed` (booleans on the bars' index, default all True) says
    which signals may open a position: the judge's veto (see the package docstring).
    `engine` is ``"compiled"`` (numba, the default) or ``"backtrader"`` (the reference; both give
    the same trades); `progress(bars_done, bars_total)` is called about every 1 % of the bars.
    Raises `ConfigError`/`DataError` before running on bad input.

    The same as ``simulate_prepared(prepare(bars, ...), signals, levels, ...)``.
    """
    if engine not in ENGINES:
        raise must("engine", " or ".join(repr(name) for name in ENGINES), engine)
    inputs.check_rules(sizing, rules, levels, probability)
    prepared = prepare(bars, pair=pair, costs=costs, account=account, conversion=conversion,
                       lower_bars=lower_bars)
    return simulate_prepared(prepared, signals, levels, rules=rules, sizing=sizing,
                             probability=probability, entries_allowed=entries_allowed,
                             progress=progress, engine=engine)


def simulate_prepared(
    prepared: Prepared,
    signals: pd.Series,
    levels: pd.DataFrame | None = None,
    *,
    rules: ExitRules,
    sizing: Sizing,
    probability: pd.Series | None = None,
    entries_allowed: pd.Series | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "compiled",
) -> EngineResult:
    """`simulate` on bars already `prepare`d: the signals (on the prepared bars' index) and
    the other arguments as `simulate` takes them."""
    if engine not in ENGINES:
        raise must("engine", " or ".join(repr(name) for name in ENGINES), engine)
    inputs.check_rules(sizing, rules, levels, probability)
    market, notes = prepared.market, list(prepared.notes)
    index = prepared.index
    orders = inputs.size_factors(
        inputs.orders(index, signals, levels, probability, entries_allowed), sizing)
    if len(index) and orders.signal[-1] != 0:
        notes.append(note("last_signal", time=index[-1]))
    if engine == "compiled":
        from fxjudge.engine import compiled as implementation
    else:
        from fxjudge.engine import backtrader_engine as implementation
    run = implementation.run(market, orders, rules=rules, costs=prepared.costs,
                             account=prepared.account, sizing=sizing, progress=progress)
    trades, equity, skipped = frames.tables(market.times, run)
    return EngineResult(trades, equity, notes + skipped, engine)
