"""Position size, used margin and the stop-out price: pure account rules.

Used margin is fixed at entry: ``units * fill price * (quote -> account rate at entry) /
leverage`` (for a pair whose base is the account currency that is ``units / leverage``). The
stop-out price is where the margin level ``equity / used margin`` falls to the account's
`stop_out_level`, solved exactly from the position's P&L (see `stop_out_price`).
"""

from __future__ import annotations

import math

import numpy as np

from fxjudge.engine.costs import Sizing


def position_units(
    sizing: Sizing,
    *,
    lot_size: int,
    equity: float,
    stop_distance: float,
    loss_rate: float,
) -> int:
    """Whole units to trade, rounded down; 0 when the size cannot be computed.

    For `risk_fraction`, the loss at the stop is ``units * stop_distance * loss_rate`` in the
    account currency (`loss_rate`: quote -> account at the stop price), set equal to
    ``risk_fraction * equity``.
    """
    if sizing.units is not None:
        return math.floor(sizing.units)
    if sizing.lots is not None:
        return math.floor(sizing.lots * lot_size)
    risk = sizing.risk_fraction * equity
    if not (stop_distance > 0 and loss_rate > 0 and risk > 0):
        return 0
    return math.floor(risk / (stop_distance * loss_rate))


def sized_units(units: float, factor: float) -> int:
    """Whole units of an entry sized by a factor (`Sizing.by_probability`): floor(units x factor).

    `units` are the sizing mode's whole units (`position_units`); the compiled kernel
    (`kernels._open_nb`) computes the same product and floor.
    """
    return math.floor(units * factor)


def used_margin(units: float, price: float, rate: float, leverage: float) -> float:
    """Margin a position ties up, in the account currency."""
    return units * price * rate / leverage


def stop_out_price(
    side: int,
    entry_price: float,
    units: float,
    loss_allowed: np.ndarray,
    rate: np.ndarray | None,
) -> np.ndarray:
    """Close-side price at which the position's loss reaches `loss_allowed` (account currency).

    `loss_allowed` is ``balance + accrued swap - stop_out_level * used margin`` per bar. With a
    fixed quote -> account `rate` (per bar) the loss is ``units * |p - entry| * rate``; with
    ``rate=None`` the base currency is the account currency and the rate is ``1 / p``: the loss
    in account currency is ``units * |p - entry| / p``, so a long's loss is unbounded (it tends to
    infinity as p tends to 0) while a short's loss stays below ``units`` (its limit as p tends to
    infinity). Where no price solves it the level is +inf: a long whose `loss_allowed` is at or
    below ``-units`` is then stopped out at once, a short whose `loss_allowed` is at least
    ``units`` never. A negative `loss_allowed` gives a level on the wrong side of the entry, which
    the exit test fills at the bar's open.
    """
    loss_allowed = np.asarray(loss_allowed, dtype=np.float64)
    if rate is not None:
        return entry_price - side * loss_allowed / (units * np.asarray(rate))
    denominator = side * units + loss_allowed
    with np.errstate(divide="ignore", invalid="ignore"):
        price = side * units * entry_price / denominator
    if side > 0:
        # denominator <= 0: the allowed loss is already exceeded at any price (stop out at once)
        return np.where(denominator > 0, price, np.inf)
    return np.where(denominator < 0, price, np.inf)
