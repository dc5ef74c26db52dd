"""The strategy API users write against: typed parameters, warm-up, features, signals, exits.

A strategy is a small class, DataFrame in, DataFrame out (docs/strategies.md is the guide)::

    class SmaCross(Strategy):
        \"\"\"Buy when the fast SMA crosses above the slow one, sell when it crosses below.\"\"\"

        @dataclass(frozen=True)
        class Params:
            fast_bars: int = 10
            slow_bars: int = 30
            stop_loss_pips: float | None = None

        @property
        def warmup_bars(self) -> int:
            return self.params.slow_bars

        def features(self, bars):
            p = self.params
            return pd.DataFrame({"fast": ind.sma(bars["close"], p.fast_bars),
                                 "slow": ind.sma(bars["close"], p.slow_bars)})

        def signals(self, bars, features):
            fast, slow = features["fast"], features["slow"]
            return entries(crosses_above(fast, slow), crosses_below(fast, slow), self.warmup_bars)

    SmaCross(fast_bars=5)  or  SmaCross(params={"fast_bars": 5})  or  SmaCross(params=p)

The rules a strategy keeps:

- `features(bars)` and `signals(bars, features)` are pure (they never change their inputs) and
  vectorised. The value at bar t uses bars <= t only: previous values come from an explicit
  ``.shift(1)``, never ``.shift(-1)``, a centred window or a back-fill. Every run checks this
  by truncation before it uses them (`fxjudge.signals.lookahead`; ``fxjudge check``), and the
  test suite checks every bundled strategy at every one of its sampled bars.
- A signal is +1 (buy), -1 (sell) or 0, decided at the close of bar t and executed by the engine
  at the open of bar t+1. It is an entry event, not a position: while a position is open,
  same-side signals are ignored and an opposite one ends it (see `ExitRules.on_opposite`).
- The first `warmup_bars` bars carry 0 (`run_signals` enforces it).
- Exit rules come from the parameters: by default `exit_rules` builds `ExitRules` from the
  parameters named like its fields (`stop_loss_pips`, `take_profit_atr`, `atr_bars`, `max_bars`,
  `on_opposite` ...), so each setting has one place. Override `exit_rules` for anything else.
- Strategies import indicators only from `fxjudge.features.indicators` and never backtrader.

Parameter values are checked against their annotations (int, float, bool, str, Literal, X | None)
when a strategy is made; numpy numbers are accepted and stored as Python numbers. Checks that
involve several parameters belong in the `Params.__post_init__`, raising `fxjudge.errors.must`.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fxjudge.data.bars import check_bars
from fxjudge.errors import ConfigError, StrategyError, must
from fxjudge.signals.exits import ExitRules
from fxjudge.typed import check_value

_EXIT_FIELDS = tuple(field.name for field in dataclasses.fields(ExitRules))


class Strategy(ABC):
    """Base class of every strategy: subclass it, give it `Params`, `warmup_bars`, `features`,
    `signals` (see the module docstring)."""

    @dataclasses.dataclass(frozen=True)
    class Params:
        """No parameters."""

    params: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        params_class = cls.Params
        frozen = dataclasses.is_dataclass(params_class) and params_class.__dataclass_params__.frozen
        if not frozen:
            raise StrategyError(
                f"{cls.__name__}.Params must be a frozen dataclass: "
                "decorate it with @dataclass(frozen=True)"
            )
        for field in _init_fields(params_class):
            if _default(field) is dataclasses.MISSING:
                raise StrategyError(
                    f"{cls.__name__}.Params: parameter `{field.name}` needs a default"
                )

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        params_class = type(self).Params
        if params is None:
            values = {}
        elif isinstance(params, params_class):
            values = {f.name: getattr(params, f.name) for f in _init_fields(params_class)}
        elif isinstance(params, Mapping):
            values = dict(params)
        else:
            raise must("params", f"a {type(self).__name__}.Params or a mapping", params)
        values.update(overrides)
        self.params = _make_params(type(self), values)
        self.exit_rules  # noqa: B018 - contradictory exit parameters fail here, not mid-run

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """The parameters and their defaults, in declaration order."""
        return {f.name: _default(f) for f in _init_fields(cls.Params)}

    @property
    @abstractmethod
    def warmup_bars(self) -> int:
        """Leading bars whose signals are 0 because the features are not yet known."""

    @abstractmethod
    def features(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The strategy's causal features on the bars' index (the judge may use them too)."""

    @abstractmethod
    def signals(self, bars: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
        """+1 / -1 / 0 per bar on the bars' index, decided at the bar's close."""

    @property
    def exit_rules(self) -> ExitRules:
        """How positions end: `ExitRules` from the parameters named like its fields."""
        p = self.params
        return ExitRules(**{name: getattr(p, name) for name in _EXIT_FIELDS if hasattr(p, name)})

    def __repr__(self) -> str:
        fields = _init_fields(type(self.params))
        shown = ", ".join(f"{f.name}={getattr(self.params, f.name)!r}" for f in fields)
        return f"{type(self).__name__}({shown})"


def run_signals(strategy: Strategy, bars: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Compute a strategy's features and signals, and check them: the one place for that check.

    Returns the features and the signals as an int8 Series named ``signal`` on the bars' index.
    Raises `StrategyError` naming the strategy when either is off the bars' index, a signal is
    NaN or outside {-1, 0, +1}, or a warm-up bar has a signal.
    """
    check_bars(bars)
    name = type(strategy).__name__
    features = strategy.features(bars)
    _check_index(f"{name}.features", features, pd.DataFrame, bars)
    raw = strategy.signals(bars, features)
    _check_index(f"{name}.signals", raw, pd.Series, bars)
    try:
        values = raw.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise StrategyError(
            f"{name}.signals must hold the numbers -1, 0 or +1, was of dtype {raw.dtype}"
        ) from None
    where_nan = np.flatnonzero(np.isnan(values))
    if len(where_nan):
        raise StrategyError(
            f"{name}.signals is NaN at {len(where_nan)} bars (first {bars.index[where_nan[0]]}); "
            "return 0 where there is no signal"
        )
    where_bad = np.flatnonzero(~np.isin(values, (-1.0, 0.0, 1.0)))
    if len(where_bad):
        first = where_bad[0]
        raise StrategyError(
            f"{name}.signals must be -1, 0 or +1, was {float(values[first])!r} at "
            f"{bars.index[first]}"
        )
    warmup = int(strategy.warmup_bars)
    early = np.flatnonzero(values[:warmup])
    if len(early):
        raise StrategyError(
            f"{name}.signals has a signal at bar {early[0]} ({bars.index[early[0]]}), inside its "
            f"warm-up of {warmup} bars; return 0 there or raise `warmup_bars`"
        )
    return features, pd.Series(values.astype(np.int8), index=bars.index, name="signal")


def crosses_above(a: pd.Series, b: pd.Series | float) -> pd.Series:
    """True at bar t when `a` is above `b` at t and was at or below it at t-1 (False near NaN)."""
    b_before = b.shift(1) if isinstance(b, pd.Series) else b
    return (a > b) & (a.shift(1) <= b_before)


def crosses_below(a: pd.Series, b: pd.Series | float) -> pd.Series:
    """True at bar t when `a` is below `b` at t and was at or above it at t-1 (False near NaN)."""
    b_before = b.shift(1) if isinstance(b, pd.Series) else b
    return (a < b) & (a.shift(1) >= b_before)


def entries(long: pd.Series, short: pd.Series, warmup_bars: int = 0) -> pd.Series:
    """Signals from two boolean Series: +1 where only `long`, -1 where only `short`, else 0;
    and 0 on the first `warmup_bars` bars."""
    values = long.to_numpy(dtype=bool).astype(np.int8) - short.to_numpy(dtype=bool).astype(np.int8)
    values[:warmup_bars] = 0
    return pd.Series(values, index=long.index, name="signal")


def _check_index(what: str, result: object, kind: type, bars: pd.DataFrame) -> None:
    """Raise unless `result` is a `kind` on exactly the bars' index."""
    if not isinstance(result, kind):
        raise StrategyError(
            f"{what} must return a {kind.__name__}, returned a {type(result).__name__}"
        )
    if not result.index.equals(bars.index):
        raise StrategyError(
            f"{what} must return values on the bars' index ({len(bars)} bars), "
            f"returned {len(result.index)} rows on another index; build them from bars' columns"
        )


def _make_params(strategy_class: type[Strategy], values: dict[str, Any]) -> Any:
    """Check names and types of `values` against `strategy_class.Params` and build it."""
    params_class = strategy_class.Params
    known = [f.name for f in _init_fields(params_class)]
    for name in values:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            listed = ", ".join(known) or "none"
            raise ConfigError(
                f"{strategy_class.__name__} has no parameter `{name}`; "
                f"{hint}its parameters: {listed}"
            )
    hints = _hints(params_class)
    checked = {}
    for field in _init_fields(params_class):
        value = values[field.name] if field.name in values else _default(field)
        checked[field.name] = check_value(field.name, value, hints.get(field.name, Any))
    return params_class(**checked)


def _hints(params_class: type) -> dict[str, Any]:
    """The resolved annotations of a Params class."""
    try:
        return typing.get_type_hints(params_class)
    except Exception as exc:  # any unresolvable annotation: the strategy author's to fix
        raise StrategyError(
            f"cannot read the annotations of {params_class.__qualname__}: {exc}"
        ) from None


def _init_fields(params_class: type) -> list[dataclasses.Field]:
    """The fields a Params is built from."""
    return [f for f in dataclasses.fields(params_class) if f.init]


def _default(field: dataclasses.Field) -> Any:
    """A field's default value (`dataclasses.MISSING` when it has none).

    Tested by type, not identity: a class sent to another process by value (a notebook's
    strategy in a parallel search, through cloudpickle) carries copies of the sentinel.
    """
    missing = type(dataclasses.MISSING)
    if not isinstance(field.default_factory, missing):
        return field.default_factory()
    return dataclasses.MISSING if isinstance(field.default, missing) else field.default
