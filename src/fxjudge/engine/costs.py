"""Trading costs, the account and position sizing: small frozen objects and pure cost rules.

Every rule here is a pure function with its own unit test (tests/engine/test_costs.py):

- `commission_account`: commission per lot per side, in the account currency;
- `rollover_times` / `swap_nights` / `rollover_nights`: the 17:00 New York rollovers a position
  pays for, Wednesday (by default) counting three nights;
- `swap_quote`: a swap in pips per lot per night, as an amount of the quote currency;
- `slipped`: a market fill moved against the trader by the slippage.

Swap calendar (FX convention): a rollover happens at 17:00 New York time (DST-aware) on each
weekday, Monday to Friday. The `triple_swap_weekday` rollover (Wednesday) is charged three
nights because its value date jumps over the weekend; Saturday and Sunday have no rollover (the
market is closed), so a position held from Friday to Monday pays only Friday's rollover, one night.
A position pays for every rollover ``R`` with ``entry_time < R <= exit_time``: one opened exactly
at 17:00 opens just after that rollover; one closed exactly at 17:00 is still held at it. Bank
holidays are not modelled.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.data.clock import NEW_YORK
from fxjudge.domain import CURRENCIES
from fxjudge.errors import must

ROLLOVER_HOUR_NY = 17


@dataclass(frozen=True)
class Costs:
    """What trading costs, besides the spread carried by the bars.

    `spread_pips` is used only when the bars have no ``spread`` column (or for its NaN rows).
    `commission_per_lot` is in the account currency per lot per side; swaps are in pips per lot
    per night, signed: negative means the position pays.
    """

    spread_pips: float | None = None
    slippage_pips: float = 0.0
    commission_per_lot: float = 0.0
    swap_long_pips: float = 0.0
    swap_short_pips: float = 0.0
    triple_swap_weekday: int = 2

    def __post_init__(self) -> None:
        if self.spread_pips is not None and not self.spread_pips >= 0:
            raise must("spread_pips", ">= 0 or None", self.spread_pips)
        for name in ("slippage_pips", "commission_per_lot"):
            value = getattr(self, name)
            if not value >= 0 or math.isinf(value):
                raise must(name, ">= 0 and finite", value)
        for name in ("swap_long_pips", "swap_short_pips"):
            if not math.isfinite(getattr(self, name)):
                raise must(name, "a finite number", getattr(self, name))
        if self.triple_swap_weekday not in range(5):
            raise must("triple_swap_weekday", "0 (Monday) to 4 (Friday)", self.triple_swap_weekday)


@dataclass(frozen=True)
class Account:
    """The trading account: currency, balance, leverage, lot size and stop-out level.

    `stop_out_level` is the margin level (equity / used margin) at or below which every position
    is closed (exit reason ``"stop_out"``); 0 disables it. The defaults suit a Japanese retail
    account: JPY 1,000,000 at 25:1 with 10,000-unit lots.
    """

    currency: str = "JPY"
    balance: float = 1_000_000.0
    leverage: float = 25.0
    lot_size: int = 10_000
    stop_out_level: float = 0.5

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise must("currency", "an ISO currency code such as 'JPY' or 'USD'", self.currency)
        if not self.balance > 0 or math.isinf(self.balance):
            raise must("balance", "> 0 and finite", self.balance)
        if not self.leverage >= 1 or math.isinf(self.leverage):
            raise must("leverage", ">= 1 and finite", self.leverage)
        whole = isinstance(self.lot_size, numbers.Integral) and not isinstance(self.lot_size, bool)
        if not (whole and self.lot_size >= 1):
            raise must("lot_size", "a whole number of units >= 1", self.lot_size)
        if not 0 <= self.stop_out_level < 1:
            raise must("stop_out_level", ">= 0 and < 1", self.stop_out_level)


@dataclass(frozen=True)
class Sizing:
    """Position size: exactly one of fixed `units`, fixed `lots`, or `risk_fraction`.

    `risk_fraction` is the fraction of equity lost if the stop-loss is hit (from the entry fill to
    the stop level, before exit slippage and costs); it needs a stop-loss.

    `by_probability` sizes each taken trade by the judge's probability p at its signal (AFML
    ch. 10, `fxjudge.judge.bet_size`): units = floor(base units x |m|), m = 2 Phi(z) - 1,
    z = (p - 1/2) / sqrt(p (1 - p)), rounded to `probability_step` when given; p < 1/2 sizes
    it to 0 (skipped, as an entry without a size); a signal without a probability keeps its
    base size. It needs the judge's probabilities (`simulate(probability=...)`).
    """

    units: float | None = None
    lots: float | None = None
    risk_fraction: float | None = None
    by_probability: bool = False
    probability_step: float | None = None

    def __post_init__(self) -> None:
        given = [n for n in ("units", "lots", "risk_fraction") if getattr(self, n) is not None]
        if len(given) != 1:
            raise must("sizing", "exactly one of units, lots or risk_fraction", given or None)
        if self.units is not None and not (self.units >= 1 and math.isfinite(self.units)):
            raise must("units", ">= 1 and finite", self.units)
        if self.lots is not None and not (self.lots > 0 and math.isfinite(self.lots)):
            raise must("lots", "> 0 and finite", self.lots)
        if self.risk_fraction is not None and not 0 < self.risk_fraction < 1:
            raise must("risk_fraction", "> 0 and < 1", self.risk_fraction)
        if not isinstance(self.by_probability, bool):
            raise must("by_probability", "true or false", self.by_probability)
        step = self.probability_step
        if step is not None and not self.by_probability:
            raise must("probability_step", "given only with by_probability=True", step)
        if step is not None and not (isinstance(step, numbers.Real) and not isinstance(step, bool)
                                     and 0 < step <= 1):
            raise must("probability_step", "a number in (0, 1] or None", step)


def commission_account(units: float, lot_size: int, commission_per_lot: float) -> float:
    """Commission of one side (entry or exit) of `units`, in the account currency."""
    return commission_per_lot * units / lot_size


def slipped(price: float, buying: bool, slippage_price: float) -> float:
    """A market fill moved against the trader: up when buying, down when selling."""
    return price + slippage_price if buying else price - slippage_price


def swap_quote(nights: float, units: float, swap_pips: float, pip_size: float) -> float:
    """A swap of `swap_pips` per lot per night over `nights`, in the quote currency.

    Per lot per night in pips means ``swap_pips * pip_size`` quote currency per unit, whatever the
    lot size, so the lot size cancels out.
    """
    return nights * swap_pips * pip_size * units


def rollover_times(
    first: pd.Timestamp, last: pd.Timestamp, triple_weekday: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rollover instants (UTC, int64 ns) from `first` to `last` inclusive, and their nights.

    One rollover at 17:00 New York on every weekday; `triple_weekday` counts 3, others 1.
    """
    days = pd.date_range(
        first.tz_convert(NEW_YORK).normalize().tz_localize(None) - pd.Timedelta(days=1),
        last.tz_convert(NEW_YORK).normalize().tz_localize(None) + pd.Timedelta(days=1),
        freq="D",
    )
    days = days[days.day_of_week < 5]
    instants = (days + pd.Timedelta(hours=ROLLOVER_HOUR_NY)).tz_localize(NEW_YORK)
    ns = instants.tz_convert("UTC").as_unit("ns").asi8
    nights = np.where(days.day_of_week == triple_weekday, 3, 1)
    keep = (ns >= first.value) & (ns <= last.value)
    return ns[keep], nights[keep]


def swap_nights(entry_time: pd.Timestamp, exit_time: pd.Timestamp, triple_weekday: int = 2) -> int:
    """Nights of swap for a position held from `entry_time` to `exit_time` (tz-aware).

    Counts each 17:00 New York rollover ``R`` with ``entry_time < R <= exit_time``, the
    `triple_weekday` one as three; no rollover on Saturday or Sunday.
    """
    entry_time, exit_time = pd.Timestamp(entry_time), pd.Timestamp(exit_time)
    if exit_time <= entry_time:
        return 0
    ns, nights = rollover_times(entry_time, exit_time, triple_weekday)
    return int(nights[ns > entry_time.value].sum())


def rollover_nights(times: pd.DatetimeIndex, triple_weekday: int = 2) -> np.ndarray:
    """Per bar, the swap nights a position held since an earlier bar pays on reaching it.

    Element ``i`` counts the rollovers in ``(times[i-1], times[i]]`` (0 for the first bar), so a
    position entered at bar ``e`` and exited at bar ``x`` pays ``nights[e+1 : x+1].sum()``, which
    equals `swap_nights` of their times.
    """
    out = np.zeros(len(times), dtype=np.int64)
    if len(times) < 2:
        return out
    ns, nights = rollover_times(times[0], times[-1], triple_weekday)
    cumulative = np.concatenate([[0], np.cumsum(nights)])
    counted = cumulative[np.searchsorted(ns, times.as_unit("ns").asi8, side="right")]
    out[1:] = np.diff(counted)
    return out
