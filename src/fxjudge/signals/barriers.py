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
  nearer the price is reached first; ties go to the stop-loss;
- a moving stop (`Trail`: a trailing stop and a break-even move) changes the stop level once per
  bar, from the bars completed before it (`moving_stops`); within a bar the level is fixed, and
  the gap and same-bar rules apply to it as to any stop.

Prices returned are before slippage: `SLIPPED_REASONS` lists the exits that are market orders
(stop orders become market orders once triggered) and take slippage; a take-profit is a limit
order and an end-of-data close is a valuation, neither slips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

NO_EXIT, STOP_LOSS, TAKE_PROFIT, STOP_OUT, TRAILING_STOP, BREAK_EVEN = 0, 1, 2, 3, 4, 5
REASONS = {STOP_LOSS: "stop_loss", TAKE_PROFIT: "take_profit", STOP_OUT: "stop_out",
           TRAILING_STOP: "trailing_stop", BREAK_EVEN: "break_even"}
SLIPPED_REASONS = frozenset({"stop_loss", "stop_out", "time", "opposite", "reverse",
                             "trailing_stop", "break_even"})
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
class Trail:
    """A position's moving stop, in price units (NaN: that part is off).

    `distance`: the trailing stop's distance behind the best close-side price so far;
    `activation`: the profit (best close-side price beyond the fill) from which it trails; NaN
    trails from the fill at once (the level starts at fill - distance on the entry bar);
    `break_even_after`: the profit that moves the stop to the fill plus `break_even_plus`.
    Arguments broadcast: one value, or one per position.
    """

    distance: float | np.ndarray = np.nan
    activation: float | np.ndarray = np.nan
    break_even_after: float | np.ndarray = np.nan
    break_even_plus: float | np.ndarray = 0.0

    @property
    def active(self) -> bool:
        """True unless both the trailing stop and the break-even move are off everywhere."""
        return not (np.isnan(self.distance).all() and np.isnan(self.break_even_after).all())


def favourable(side, high: np.ndarray, low: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Each bar's best close-side price for `side`, signed (``y = side * price``): a long's bid
    high, minus a short's ask low."""
    return np.where(np.asarray(side) > 0, high, -(low + spread))


def moving_stops(side, fill, stop, trail: Trail, y_best: np.ndarray, y_before):
    """The stop level of each bar (last axis) under `trail`, its source, and the best after.

    `y_best` holds each bar's `favourable` price (one row per position, or one position's
    bars); `y_before` the best over the bars held before the first of them (``-inf`` at the
    entry). The level of bar j comes from the best over the bars before j: the trailing level
    ``best - distance`` once ``best - fill >= activation`` (without an activation,
    ``max(best, fill) - distance`` from the entry bar on), the break-even level ``fill +
    break_even_plus`` once ``best - fill >= break_even_after``; the stop is the tightest of
    those and the initial `stop` (it never loosens). Per-position arguments (`side`, `fill`,
    `stop`, `y_before`, the trail's fields) are scalars or one value per row. Returns ``(stop
    price per bar, code per bar: STOP_LOSS / BREAK_EVEN / TRAILING_STOP, best through the last
    bar)``; among equal levels the initial stop wins, then the break-even.
    """
    def column(value):
        value = np.asarray(value, dtype=np.float64)
        return value[..., None] if value.ndim else value

    s = column(np.where(np.asarray(side) > 0, 1.0, -1.0))
    y_fill, y_stop = s * column(fill), s * column(stop)
    through = np.maximum.accumulate(np.maximum(y_best, column(y_before)), axis=-1)
    prior = np.concatenate(
        [np.broadcast_to(column(y_before), through[..., :1].shape), through[..., :-1]], axis=-1)
    profit = prior - y_fill
    activation = column(trail.activation)
    with np.errstate(invalid="ignore"):
        from_fill = np.isnan(activation)
        anchor = np.where(from_fill, np.fmax(prior, y_fill), prior)
        y_trail = np.where(from_fill | (profit >= activation), anchor - column(trail.distance),
                           np.nan)
        y_even = np.where(profit >= column(trail.break_even_after),
                          y_fill + column(trail.break_even_plus), np.nan)
    y_stop = np.broadcast_to(y_stop, prior.shape)
    y_level = np.fmax(np.fmax(y_stop, y_even), y_trail)  # a level that is off never wins
    code = np.where(y_stop == y_level, STOP_LOSS,
                    np.where(y_even == y_level, BREAK_EVEN,
                             np.where(np.isnan(y_level), STOP_LOSS, TRAILING_STOP)))
    return s * y_level, code, through[..., -1]


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
    trail: Trail | None = None,
    fill: float = np.nan,
) -> Hit | None:
    """The first bar in ``[start, end)`` that closes the position by stop, target or stop-out.

    `stop_out(a, b)`, when given, returns the stop-out price for bars ``a:b``. With `trail`
    (the position entered at `start`, filled at `fill`), the stop moves as `moving_stops` says
    and a stop exit is coded by the level that was hit (TRAILING_STOP, BREAK_EVEN, STOP_LOSS).
    """
    moving = trail is not None and trail.active
    y_before = -np.inf
    for a, b in _chunks(start, end):
        out = stop_out(a, b) if stop_out is not None else np.nan
        levels, sources = stop, None
        if moving:
            y_best = favourable(side, high[a:b], low[a:b], spread[a:b])
            levels, sources, y_before = moving_stops(side, fill, stop, trail, y_best, y_before)
        code, price, ambiguous = bar_exits(
            side, open_[a:b], high[a:b], low[a:b], spread[a:b], levels, target, out
        )
        hits = np.flatnonzero(code)
        if hits.size == 0:
            continue
        j = int(hits[0])
        level = float(levels[j]) if moving else stop
        result, rule = (int(code[j]), float(price[j])), ""
        if ambiguous[j]:
            rule = "stop_first"
            out_j = out[j] if np.ndim(out) else out
            resolved = lower.resolve(a + j, side, level, target, out_j) if lower else None
            if resolved is not None:
                result, rule = resolved, "lower_timeframe"
        if moving and result[0] == STOP_LOSS:
            result = (int(sources[j]), result[1])
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
