"""Exit rules a strategy declares, and the per-signal levels they give the engine.

Stop-loss and take-profit are set from the fill price, at a distance known at the signal bar:
a fixed number of pips, or a multiple of the ATR at the signal bar (never a later ATR). A time
exit closes a position after `max_bars` bars held. An opposite signal closes the position
(``"exit"``), closes and opens the other way (``"reverse"``), or is ignored (``"ignore"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fxjudge.errors import must

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

    def __post_init__(self) -> None:
        for name in ("stop_loss_pips", "take_profit_pips", "stop_loss_atr", "take_profit_atr"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise must(name, "> 0 or None", value)
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
