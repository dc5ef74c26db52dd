"""Exit logic (barriers) as pure numpy functions, shared by the engine and the judge's labels.

Inputs are a position (side +1/-1, its stop and target levels, the bar it entered) and bars as
numpy arrays of **bid** open/high/low plus the per-bar spread (ask = bid + spread). A position
closes on its close side: a long sells at the bid, a short buys at the ask. Rules (the
engine's, docs/engine.md):

- a long's stop triggers when the bid low reaches it (<=), its target when the bid high reaches
  it (>=); a short's stop when the ask high reaches it, its target when the ask low reaches it;
- the bar the position entered is checked too (the fill was at its open);
- a gap through a level fills at the bar's open (close side), not at the level;
- stop and target both reached inside one bar (neither by a gap): the stop wins, recorded as
  ``same_bar_rule="stop_first"``; when lower-timeframe bars are given, the first lower bar that
  triggers decides (``"lower_timeframe"``), the stop still winning inside an ambiguous lower bar;
- a second adverse level (the account's stop-out price) can be given per bar; the adverse level
  nearer the price is reached first; ties go to the stop-loss.

Prices returned are before slippage: `SLIPPED_REASONS` lists the exits that are market orders
(stop orders become market orders once triggered) and take slippage; a take-profit is a limit
order and an end-of-data close is a valuation, neither slips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

NO_EXIT, STOP_LOSS, TAKE_PROFIT, STOP_OUT = 0, 1, 2, 3
REASONS = {STOP_LOSS: "stop_loss", TAKE_PROFIT: "take_profit", STOP_OUT: "stop_out"}
SLIPPED_REASONS = frozenset({"stop_loss", "stop_out", "time", "opposite", "reverse"})
_FIRST_CHUNK_BARS = 16


@dataclass(frozen=True)
class Hit:
    """The first bar whose range closes the position, the rule and the price (before slippage)."""

    index: int
    code: int
    price: float
    same_bar_rule: str


def close_side(side: int, bid: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Prices a position of `side` closes at: the bid for a long, the ask for a short."""
    return bid if side > 0 else bid + spread


def bar_exits(side, open_, high, low, spread, stop, target, stop_out=np.nan):
    """Elementwise: does each bar close the position, how, at which price, and was it ambiguous?

    Arguments broadcast (numpy arrays or floats); NaN levels never trigger. Returns ``(code,
    price, ambiguous)``: `code` one of NO_EXIT/STOP_LOSS/TAKE_PROFIT/STOP_OUT, `price` the fill
    before slippage (NaN when no exit), `ambiguous` True where the adverse level and the target
    were both reached inside the bar and the adverse one was chosen (stop first).
    """
    s = np.where(np.asarray(side) > 0, 1.0, -1.0)
    shift = np.where(s > 0, 0.0, spread)
    # Signed prices y = s * price: for both sides an adverse move lowers y.
    y_open = s * (open_ + shift)
    y_low = np.where(s > 0, low, -(high + shift))
    y_high = np.where(s > 0, high, -(low + shift))
    y_stop, y_out, y_target = s * stop, s * stop_out, s * target
    with np.errstate(invalid="ignore"):
        out_first = (y_out > y_stop) | (np.isnan(y_stop) & ~np.isnan(y_out))
        y_adverse = np.fmax(y_stop, y_out)
        adverse_code = np.where(out_first, STOP_OUT, STOP_LOSS)
        gap_adverse = y_open <= y_adverse
        gap_target = y_open >= y_target
        hit_adverse = y_low <= y_adverse
        hit_target = y_high >= y_target
    # nested where: the first true condition wins (np.select does the same, 3x slower)
    adverse = gap_adverse | (~gap_target & hit_adverse)
    target = ~adverse & (gap_target | hit_target)
    code = np.where(adverse, adverse_code, np.where(target, TAKE_PROFIT, NO_EXIT))
    y_price = np.where(
        gap_adverse | gap_target, y_open, np.where(adverse, y_adverse, y_target)
    )
    price = np.where(adverse | target, s * y_price, np.nan)
    ambiguous = ~gap_adverse & ~gap_target & hit_adverse & hit_target
    return code, price, ambiguous


@dataclass(frozen=True)
class LowerBars:
    """Lower-timeframe bid bars and, per main bar, the range of lower bars inside it."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    spread: np.ndarray
    first: np.ndarray
    end: np.ndarray

    @classmethod
    def align(cls, starts_ns, ends_ns, lower_ns, open_, high, low, spread) -> LowerBars:
        """Map main bars ``[starts_ns[j], ends_ns[j])`` to the lower bars opening inside them."""
        first = np.searchsorted(lower_ns, starts_ns, side="left")
        end = np.searchsorted(lower_ns, ends_ns, side="left")
        return cls(open_, high, low, spread, first, end)

    def resolve(self, bar: int, side: int, stop, target, stop_out) -> tuple[int, float] | None:
        """Code and price from the first lower bar that triggers, or None if undecided."""
        a, b = self.first[bar], self.end[bar]
        code, price, ambiguous = bar_exits(
            side, self.open[a:b], self.high[a:b], self.low[a:b], self.spread[a:b],
            stop, target, stop_out,
        )
        hits = np.flatnonzero(code)
        if hits.size == 0 or ambiguous[hits[0]]:
            return None
        return int(code[hits[0]]), float(price[hits[0]])


def _chunks(start: int, end: int) -> Iterator[tuple[int, int]]:
    """Growing windows covering ``[start, end)``: most exits come soon, some very late."""
    size = _FIRST_CHUNK_BARS
    while start < end:
        stop = min(start + size, end)
        yield start, stop
        start, size = stop, size * 4


def first_exit(
    side: int,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    spread: np.ndarray,
    stop: float,
    target: float,
    *,
    start: int,
    end: int,
    stop_out: Callable[[int, int], np.ndarray] | None = None,
    lower: LowerBars | None = None,
) -> Hit | None:
    """The first bar in ``[start, end)`` that closes the position by stop, target or stop-out.

    `stop_out(a, b)`, when given, returns the stop-out price for bars ``a:b``.
    """
    for a, b in _chunks(start, end):
        out = stop_out(a, b) if stop_out is not None else np.nan
        code, price, ambiguous = bar_exits(
            side, open_[a:b], high[a:b], low[a:b], spread[a:b], stop, target, out
        )
        hits = np.flatnonzero(code)
        if hits.size == 0:
            continue
        j = int(hits[0])
        result, rule = (int(code[j]), float(price[j])), ""
        if ambiguous[j]:
            rule = "stop_first"
            out_j = out[j] if np.ndim(out) else out
            resolved = lower.resolve(a + j, side, stop, target, out_j) if lower else None
            if resolved is not None:
                result, rule = resolved, "lower_timeframe"
        return Hit(a + j, result[0], result[1], rule)
    return None


@dataclass(frozen=True)
class Exit:
    """How a position taken alone ends: bar, reason, price before slippage, same-bar rule."""

    index: int
    reason: str
    price: float
    same_bar_rule: str


def barrier_exit(
    side: int,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    spread: np.ndarray,
    stop: float,
    target: float,
    *,
    entry: int,
    max_bars: int | None = None,
    lower: LowerBars | None = None,
) -> Exit:
    """The triple barrier of a position entered at the open of bar `entry`, taken alone.

    Stop and target are checked from the entry bar on; the time exit closes at the open of bar
    ``entry + max_bars`` (after `max_bars` bars held) on the close side; a position still open at
    the last bar closes at its close (``"end_of_data"``). No opposite signal, no account.
    """
    n = len(open_)
    time_bar = n if max_bars is None else entry + max_bars
    hit = first_exit(
        side, open_, high, low, spread, stop, target,
        start=entry, end=min(time_bar, n), lower=lower,
    )
    if hit is not None:
        return Exit(hit.index, REASONS[hit.code], hit.price, hit.same_bar_rule)
    if time_bar < n:
        price = float(close_side(side, open_[time_bar], spread[time_bar]))
        return Exit(time_bar, "time", price, "")
    last = n - 1
    return Exit(last, "end_of_data", float(close_side(side, close[last], spread[last])), "")


def excursions(
    side: int,
    entry_price: float,
    high: np.ndarray,
    low: np.ndarray,
    spread: np.ndarray,
    full: slice,
    points: tuple[float, ...],
) -> tuple[float, float]:
    """Maximum adverse and favourable excursions (price units, >= 0) of a position.

    The path is the close-side range of the bars fully held (`full`) plus the close-side prices
    in `points` (the open of the exit bar and the exit fill), so the part of an exit bar after
    the exit never counts.
    """
    if side > 0:
        worst = np.min(low[full], initial=min(points))
        best = np.max(high[full], initial=max(points))
        return max(0.0, entry_price - worst), max(0.0, best - entry_price)
    worst = np.max(high[full] + spread[full], initial=max(points))
    best = np.min(low[full] + spread[full], initial=min(points))
    return max(0.0, worst - entry_price), max(0.0, entry_price - best)
