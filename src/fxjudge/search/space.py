"""What a search may try: `fxjudge.space.int`, `.float` and `.choice`, and how a space is read.

A space maps parameter names (the strategy's, exit rules included) to what each may be::

    space = {
        "fast_bars": range(5, 55, 5),                 # a list, tuple or range: these values
        "slow_bars": fxjudge.space.int(20, 200, step=10),
        "stop_loss_pips": fxjudge.space.float(5.0, 50.0, log=True),
        "on_opposite": fxjudge.space.choice("exit", "reverse"),
        "max_bars": 48,                               # one value: fixed, not searched
    }

`int(low, high, step)` and `choice(...)` are discrete and can be a grid; `float(low, high)`
is continuous and needs ``method="random"`` or ``"optuna"``, unless it has a `step`, which
makes it the grid ``low, low + step, ...`` up to `high`. Bounds are inclusive. `log=True`
samples uniformly in log space (random and optuna; ints are rounded to their step).

This module's `int` and `float` shadow the builtins on purpose (``fxjudge.space.int`` reads
like what it is); the classes behind them are `IntRange`, `FloatRange` and `Choice`.
"""

from __future__ import annotations

import builtins
import math
import numbers
from dataclasses import dataclass

import numpy as np

from fxjudge.errors import ConfigError, must

#: how many draws a random search makes at most per distinct configuration it needs
DRAWS_PER_TRIAL = 50


@dataclass(frozen=True)
class IntRange:
    """Integers `low`, `low + step`, ... up to `high` (inclusive)."""

    low: builtins.int
    high: builtins.int
    step: builtins.int = 1
    log: builtins.bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, builtins.bool):
                raise must(name, "an int", value)
        if self.step < 1:
            raise must("step", ">= 1", self.step)
        if self.high < self.low:
            raise must("high", f">= low ({self.low})", self.high)
        if self.log and self.low < 1:
            raise must("low", ">= 1 with log=True", self.low)

    def grid(self) -> list:
        """Every value, in order."""
        return list(range(self.low, self.high + 1, self.step))

    def sample(self, rng: np.random.Generator):
        """One value, uniform on the values (in log space with `log`, then onto the step)."""
        if not self.log:
            return builtins.int(rng.choice(self.grid()))
        drawn = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        snapped = self.low + round((drawn - self.low) / self.step) * self.step
        return builtins.int(min(max(snapped, self.low), self.high))

    def suggest(self, trial, name: str):
        """The value optuna's `trial` suggests."""
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


@dataclass(frozen=True)
class FloatRange:
    """Numbers in [`low`, `high`]; with `step`, the grid `low`, `low + step`, ... <= `high`."""

    low: builtins.float
    high: builtins.float
    step: builtins.float | None = None
    log: builtins.bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if name == "step" and value is None:
                continue
            if not isinstance(value, numbers.Real) or isinstance(value, builtins.bool) \
                    or not math.isfinite(value):
                raise must(name, "a finite number", value)
        if self.high < self.low:
            raise must("high", f">= low ({self.low})", self.high)
        if self.step is not None and not self.step > 0:
            raise must("step", "> 0 or None", self.step)
        if self.log and not self.low > 0:
            raise must("low", "> 0 with log=True", self.low)
        if self.log and self.step is not None:
            raise must("step", "None with log=True", self.step)

    def grid(self) -> list:
        """Every value of the stepped grid (rounded to 12 significant digits); an error
        without a step."""
        if self.step is None:
            raise ConfigError(f"a continuous float({self.low:g}, {self.high:g}) has no grid; "
                              "give it a step, or use method='random' or 'optuna'")
        count = builtins.int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [builtins.float(f"{self.low + k * self.step:.12g}") for k in range(count)]

    def sample(self, rng: np.random.Generator):
        """One value, uniform (in log space with `log`; onto the step when there is one)."""
        if self.step is not None:
            return builtins.float(rng.choice(self.grid()))
        if self.log:
            return builtins.float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return builtins.float(rng.uniform(self.low, self.high))

    def suggest(self, trial, name: str):
        """The value optuna's `trial` suggests."""
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)


@dataclass(frozen=True)
class Choice:
    """One of `options`, in their order on a grid."""

    options: tuple

    def __post_init__(self) -> None:
        if len(self.options) == 0:
            raise must("choice", "one or more options", list(self.options))

    def grid(self) -> list:
        """The options, in order."""
        return list(self.options)

    def sample(self, rng: np.random.Generator):
        """One option, uniformly."""
        return _plain(self.options[builtins.int(rng.integers(len(self.options)))])

    def suggest(self, trial, name: str):
        """The option optuna's `trial` suggests (by position, so any value type works)."""
        return _plain(self.options[trial.suggest_categorical(
            name, list(range(len(self.options))))])


Dimension = IntRange | FloatRange | Choice


def int(low: builtins.int, high: builtins.int, step: builtins.int = 1, *,
        log: builtins.bool = False) -> IntRange:
    """Integers from `low` to `high` inclusive, every `step`: ``int(5, 50, step=5)``."""
    return IntRange(low, high, step, log)


def float(low: builtins.float, high: builtins.float, *,
          step: builtins.float | None = None, log: builtins.bool = False) -> FloatRange:
    """Numbers from `low` to `high` inclusive; a grid only with `step`."""
    return FloatRange(_number(low, "low"), _number(high, "high"),
                      None if step is None else _number(step, "step"), log)


def choice(*options) -> Choice:
    """One of the options: ``choice("exit", "reverse")`` or ``choice(["exit", "reverse"])``."""
    if len(options) == 1 and isinstance(options[0], list | tuple | range):
        options = tuple(options[0])
    return Choice(tuple(options))


def dimension(name: str, value) -> Dimension:
    """What the user wrote for parameter `name`, as a dimension.

    A list, tuple or range is a `Choice` of its values; one plain value (a number, text, a
    bool or None) is fixed: a `Choice` of one.
    """
    if isinstance(value, IntRange | FloatRange | Choice):
        return value
    if isinstance(value, list | tuple | range):
        return Choice(tuple(_plain(v) for v in value))
    if value is None or isinstance(value, str | builtins.bool | numbers.Real):
        return Choice((_plain(value),))
    raise must(f"space[{name!r}]", "a list, a range, fxjudge.space.int/float/choice or one "
               "value", value)


def grid(space: dict[str, Dimension]) -> list[list]:
    """The values of every dimension (errors name a continuous one)."""
    values = []
    for name, dim in space.items():
        try:
            values.append(dim.grid())
        except ConfigError as error:
            raise ConfigError(f"`space[{name!r}]`: {error}") from None
    return values


def grid_size(space: dict[str, Dimension]) -> builtins.int:
    """How many configurations the grid has."""
    return math.prod(len(v) for v in grid(space))


def is_finite(space: dict[str, Dimension]) -> builtins.bool:
    """True when every dimension is discrete (the space can be enumerated)."""
    return all(not (isinstance(d, FloatRange) and d.step is None) for d in space.values())


def _number(value, name: str) -> builtins.float:
    if not isinstance(value, numbers.Real) or isinstance(value, builtins.bool):
        raise must(name, "a finite number", value)
    return builtins.float(value)


def _plain(value):
    """numpy scalars as Python values (they end up in TOML, JSON and Parquet)."""
    return value.item() if isinstance(value, np.generic) else value


# -- the text form, for the command line (--range name=SPEC) and the run file's [optimize.space]


def parse(name: str, spec) -> Dimension:
    """A dimension from its text or TOML form.

    ``"5:50:5"`` is `int(5, 50, step=5)` (every part an int), ``"0.5:3.0:0.5"`` a stepped
    `float`, ``"0.5:3.0"`` a continuous one (``"5:50"``: ints, step 1); a trailing ``":log"``
    samples in log space; ``"exit,reverse"`` or a TOML array is a `choice`; one value is fixed.
    In a choice, ``none`` is None (TOML has no null).
    """
    if isinstance(spec, list | tuple):
        return Choice(tuple(_value(v) for v in spec))
    if not isinstance(spec, str):
        return dimension(name, spec)
    text = spec.strip()
    if "," in text:
        return Choice(tuple(_value(_toml(v.strip())) for v in text.split(",") if v.strip()))
    parts = [p.strip() for p in text.split(":")]
    log = len(parts) > 1 and parts[-1].lower() == "log"
    if log:
        parts = parts[:-1]
    if len(parts) == 1:
        return Choice((_value(_toml(parts[0])),))
    numbers_ = [_toml(p) for p in parts]
    if len(parts) > 3 or not all(isinstance(v, builtins.int | builtins.float)
                                 and not isinstance(v, builtins.bool) for v in numbers_):
        raise ConfigError(f"`{name}` range must look like low:high[:step][:log] (5:50:5, "
                          f"0.5:3.0:0.5) or a,b,c, was {spec!r}")
    try:
        if all(isinstance(v, builtins.int) for v in numbers_):
            return IntRange(*numbers_, log=log) if len(numbers_) == 3 else \
                IntRange(numbers_[0], numbers_[1], log=log)
        low, high, *step = (builtins.float(v) for v in numbers_)
        return FloatRange(low, high, step[0] if step else None, log)
    except ConfigError as error:
        raise ConfigError(f"`{name}` range {spec!r}: {error}") from None


def text(dim: Dimension):
    """The form `parse` reads back: text for ranges, a list for a choice, a value when fixed."""
    if isinstance(dim, IntRange):
        return f"{dim.low}:{dim.high}:{dim.step}" + (":log" if dim.log else "")
    if isinstance(dim, FloatRange):
        parts = [repr(builtins.float(dim.low)), repr(builtins.float(dim.high))]
        if dim.step is not None:
            parts.append(repr(builtins.float(dim.step)))
        return ":".join(parts) + (":log" if dim.log else "")
    values = ["none" if v is None else v for v in dim.options]
    return values[0] if len(values) == 1 and values[0] != "none" else values


def _toml(word: str):
    """A word as TOML reads it (10 -> int, 1.5 -> float, true -> bool), else the text."""
    import tomllib

    try:
        return tomllib.loads(f"v = {word}")["v"]
    except tomllib.TOMLDecodeError:
        return word


def _value(value):
    return None if isinstance(value, str) and value.lower() == "none" else _plain(value)
