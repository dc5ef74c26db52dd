"""Exit rules a strategy declares, and the per-signal levels they give the engine.

Stop-loss and take-profit are set from the fill price, at a distance known at the signal bar:
a fixed number of pips, or a multiple of the ATR at the signal bar (never a later ATR). A time
exit closes a position after `max_bars` bars held. An opposite signal closes the position
(``"exit"``), closes and opens the other way (``"reverse"``), or is ignored (``"ignore"``).

The stop can move (the engine docstring states the rules, `signals.barriers.moving_stops`
computes them): a trailing stop follows the best close-side price at `trailing_stop_pips` (or
`trailing_stop_atr` ATRs at the signal bar), from the fill at once or, with
`trailing_activation_pips`, once the position is that far in profit; a break-even move puts the
stop at the fill plus `break_even_plus_pips` once the position is `break_even_after_pips` in
profit. A moved stop only ever tightens.

`exit_levels` turns the rules into the per-signal distances the engine and the judge's labels
use: price units from the fill price, NaN where a bar has no signal or the rules no such level.
A signal that needs an ATR not yet known (inside the ATR's warm-up) is an error, not a trade
without its stop: raise the strategy's `warmup_bars` to at least `atr_bars`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.errors import StrategyError, must
from fxjudge.features.indicators import atr
from fxjudge.signals.barriers import Trail

OnOpposite = Literal["exit", "reverse", "ignore"]


@dataclass(frozen=True)
class ExitRules:
    """How a strategy's positions end. At most one of pips/ATR per level."""

    stop_loss_pips: float | None = None
    take_profit_pips: float | None = None
    stop_loss_atr: float | None = None
    take_profit_atr: float | None = None
    atr_bars: int = 14
    max_bars: int | None = None
    on_opposite: OnOpposite = "exit"
    trailing_stop_pips: float | None = None
    trailing_stop_atr: float | None = None
    trailing_activation_pips: float | None = None
    break_even_after_pips: float | None = None
    break_even_plus_pips: float = 0.0

    def __post_init__(self) -> None:
        for name in ("stop_loss_pips", "take_profit_pips", "stop_loss_atr", "take_profit_atr",
                     "trailing_stop_pips", "trailing_stop_atr", "break_even_after_pips"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise must(name, "> 0 or None", value)
        if self.trailing_stop_pips is not None and self.trailing_stop_atr is not None:
            raise must("trailing_stop_atr", "None when trailing_stop_pips is set",
                       self.trailing_stop_atr)
        activation = self.trailing_activation_pips
        if activation is not None and not (activation >= 0 and self.trails):
            raise must("trailing_activation_pips", ">= 0, with a trailing stop set", activation)
        plus = self.break_even_plus_pips
        after = self.break_even_after_pips
        if plus != 0 and (after is None or not plus < after):
            raise must("break_even_plus_pips", "0, or below break_even_after_pips when that is "
                       "set", plus)
        if self.stop_loss_pips is not None and self.stop_loss_atr is not None:
            raise must("stop_loss_atr", "None when stop_loss_pips is set", self.stop_loss_atr)
        if self.take_profit_pips is not None and self.take_profit_atr is not None:
            raise must("take_profit_atr", "None when take_profit_pips is set", self.take_profit_atr)
        if self.atr_bars < 1:
            raise must("atr_bars", ">= 1", self.atr_bars)
        if self.max_bars is not None and self.max_bars < 1:
            raise must("max_bars", ">= 1 or None", self.max_bars)
        if self.on_opposite not in ("exit", "reverse", "ignore"):
            raise must("on_opposite", "'exit', 'reverse' or 'ignore'", self.on_opposite)

    @property
    def has_stop(self) -> bool:
        """True when a stop-loss is set (needed for risk-fraction sizing)."""
        return self.stop_loss_pips is not None or self.stop_loss_atr is not None

    @property
    def trails(self) -> bool:
        """True when a trailing stop is set."""
        return self.trailing_stop_pips is not None or self.trailing_stop_atr is not None

    @property
    def moves_stop(self) -> bool:
        """True when the stop can move: a trailing stop or a break-even move."""
        return self.trails or self.break_even_after_pips is not None


def exit_levels(
    bars: pd.DataFrame,
    signals: pd.Series,
    rules: ExitRules,
    pair: FxPair | str | None = None,
) -> pd.DataFrame:
    """Stop, target and trailing distances in price units per bar: `stop_distance`,
    `target_distance`, `trail_distance`.

    A level in pips is pips x the pair's pip size; in ATR multiples it is the multiple x the ATR
    (`rules.atr_bars`) at the signal bar. The engine sets the levels from the fill price: a long's
    stop at fill - stop_distance, its target at fill + target_distance, a short's the other way;
    a trailing stop follows the best price at trail_distance.
    NaN where the bar has no signal or the rules have no such level. `pair` defaults to
    ``bars.attrs["pair"]`` and is needed only for levels in pips.
    """
    if not signals.index.equals(bars.index):
        raise StrategyError("signals must be on the bars' index to give exit levels")
    has_signal = signals.to_numpy() != 0
    uses_pips = any(v is not None for v in (rules.stop_loss_pips, rules.take_profit_pips,
                                            rules.trailing_stop_pips))
    uses_atr = any(v is not None for v in (rules.stop_loss_atr, rules.take_profit_atr,
                                           rules.trailing_stop_atr))
    pip_size = _pip_size(pair if pair is not None else bars.attrs.get("pair")) if uses_pips else 0.0
    atr_now = atr(bars, rules.atr_bars).to_numpy() if uses_atr else np.full(len(bars), np.nan)
    if uses_atr:
        unknown = np.flatnonzero(has_signal & np.isnan(atr_now))
        if len(unknown):
            raise StrategyError(
                f"the signal at {bars.index[unknown[0]]} needs ATR({rules.atr_bars}), which is "
                f"not known before bar {rules.atr_bars - 1}; make `warmup_bars` >= {rules.atr_bars}"
            )
        flat = np.flatnonzero(has_signal & (atr_now <= 0))
        if len(flat):
            raise StrategyError(
                f"the signal at {bars.index[flat[0]]} has ATR({rules.atr_bars}) = 0 (the bars "
                "before it did not move), so an ATR-based stop, target or trail would sit at the "
                "fill price; give no signal where the ATR is 0, or set those levels in pips"
            )

    def distance(pips: float | None, atr_multiple: float | None) -> np.ndarray:
        if pips is not None:
            return np.where(has_signal, pips * pip_size, np.nan)
        if atr_multiple is not None:
            return np.where(has_signal, atr_multiple * atr_now, np.nan)
        return np.full(len(bars), np.nan)

    return pd.DataFrame(
        {
            "stop_distance": distance(rules.stop_loss_pips, rules.stop_loss_atr),
            "target_distance": distance(rules.take_profit_pips, rules.take_profit_atr),
            "trail_distance": distance(rules.trailing_stop_pips, rules.trailing_stop_atr),
        },
        index=bars.index, copy=False,
    )


def trail_of(rules: ExitRules, pip_size: float) -> Trail:
    """The rules' moving-stop settings that are the same for every trade, in price units, as a
    `barriers.Trail` whose distance is filled in per trade (NaN: off)."""
    def pips(value):
        return np.nan if value is None else value * pip_size

    return Trail(distance=np.nan, activation=pips(rules.trailing_activation_pips),
                 break_even_after=pips(rules.break_even_after_pips),
                 break_even_plus=rules.break_even_plus_pips * pip_size)


def _pip_size(pair: FxPair | str | None) -> float:
    """The pip size of `pair`; a ConfigError when no pair is known."""
    if pair is None:
        raise must("pair", "given (and bars.attrs has none) for levels in pips", None)
    return FxPair.parse(pair).pip_size
