"""Candidates and their outcome labels: every signal, as if taken alone (docs/judge.md).

Every non-zero signal is a candidate, whether or not the engine could take it. Its label is the
outcome of a one-unit position opened at the next bar's open and closed as the engine would
close it taken alone: by the strategy's own stop-loss, take-profit (moving stops included) and
time exit (a triple barrier), and by the next opposite signal unless the strategy ignores them
(``on_opposite``: the position closes at the open after it, as an ``"opposite"`` exit, or
``"reverse"``; a time exit at the same open wins, as in the engine). So a candidate the engine
takes from flat gets the engine's own trade as its label, and an always-in strategy
(``sma_cross``) has labels without a horizon of its own. Stops and targets are found with the
engine's exit logic (`fxjudge.signals.barriers.bar_exits`), vectorised over all candidates at
once: every pending candidate is tested on a block of bars with one numpy call, the blocks
growing (16, 64, 256 ... bars) as candidates resolve and drop out.

What a label includes, in pips of the quote currency per unit (the engine's ``pips`` column):

- the fill: a long buys at the ask (bid + spread), a short sells at the bid, at the open after
  the signal, moved against the trader by `LabelCosts.slippage_pips`; the exit on the close side
  at the engine's price (gap fills at the open, stop first when stop and target share a bar),
  stop-loss and time exits slipped, take-profits not (`barriers.SLIPPED_REASONS`);
- swap: `swap_long_pips` / `swap_short_pips` per night over the engine's rollover nights
  (`LabelCosts.nights`, one value per bar as `fxjudge.engine.costs.rollover_nights` gives);
- commission: `LabelCosts.commission_pips`, the round trip per unit in pips (the caller converts
  the account-currency commission at the entry bar's rate).

``gross_pips`` (fills only) equals the engine's trade ``pips``; ``return_pips`` = gross + swap -
commission is the net result, and ``label`` is 1 when it is > 0, else 0. Not modelled, since a
candidate is taken alone: margin, stop-out, sizing and the judge's own vetoes.

Resolution: ``resolve_time`` is the open time of the bar the position exits in (the engine's
``exit_time``); the outcome is known by that bar's close, which is no later than the decision
(the close) of any signal on a later bar, so a model trained on labels resolved before a period
starts has seen nothing of that period's candidates' outcomes. A candidate still open at the
last bar (or signalled on it) is **unresolved**: label, return, resolve time and barrier are
missing (NaN/NaT); more data could change its outcome, so it is never trained on.

Horizon rule (`label_horizon`): labels need an exit that arrives. The strategy's `max_bars` is
used when it has one; a strategy with a stop, a target or opposite-signal exits but no time exit
is labelled without a time barrier (candidates that meet none of them by the end stay
unresolved); a strategy with none of them (it ignores opposite signals and has no stop, target
or time exit) has no outcome taken alone, and labelling it is a `ModelError` unless the caller
gives `label_max_bars`, a horizon used for the labels only (the engine still trades the
strategy's own rules).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fxjudge.data.bars import bar_ends
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, ModelError, missing_spread, must
from fxjudge.signals.barriers import (
    REASONS,
    SLIPPED_REASONS,
    STOP_LOSS,
    TAKE_PROFIT,
    LowerBars,
    Trail,
    bar_exits,
    close_side,
    favourable,
    moving_stops,
)
from fxjudge.signals.exits import ExitRules, trail_of

_FIRST_BLOCK = 16
_MAX_CELLS = 400_000  # candidates x bars tested per numpy call (memory ~ 100 bytes a cell)
LABEL_COLUMNS = (
    "side", "signal_bar", "entry_time", "entry_price", "exit_bar", "resolve_time", "barrier",
    "same_bar_rule", "exit_price", "gross_pips", "swap_pips", "commission_pips", "return_pips",
    "label",
)


@dataclass(frozen=True, eq=False)
class LabelCosts:
    """Costs of a candidate taken alone, in pips per unit (see the module docstring).

    `spread_pips` is used only for bars without a ``spread`` column (or its NaN rows), as in the
    engine; `commission_pips` is the round trip, a number or one value per bar (the entry bar's
    is used); `nights` the rollover nights per bar, needed when a swap is non-zero.
    """

    spread_pips: float | None = None
    slippage_pips: float = 0.0
    commission_pips: float | np.ndarray = 0.0
    swap_long_pips: float = 0.0
    swap_short_pips: float = 0.0
    nights: np.ndarray | None = None


def label_horizon(rules: ExitRules, label_max_bars: int | None = None) -> int | None:
    """The time barrier of the labels in bars (None: none), by the horizon rule above."""
    if label_max_bars is not None:
        if isinstance(label_max_bars, bool) or not isinstance(label_max_bars, int | np.integer) \
                or label_max_bars < 1:
            raise must("label_max_bars", "an integer >= 1 or None", label_max_bars)
        if rules.max_bars is not None:
            raise ConfigError(f"`label_max_bars` must be None when the strategy has its own "
                              f"max_bars ({rules.max_bars}), which the labels use; was "
                              f"{label_max_bars!r}")
        return int(label_max_bars)
    has_target = rules.take_profit_pips is not None or rules.take_profit_atr is not None
    if rules.max_bars is None and not rules.has_stop and not has_target \
            and not rules.moves_stop and rules.on_opposite == "ignore":
        raise ModelError("the strategy has no stop-loss, take-profit or max_bars and ignores "
                         "opposite signals, so a candidate taken alone never ends and has no "
                         "label; give the strategy max_bars (--set max_bars=48) or the judge a "
                         "labelling horizon (judge_options={'label_max_bars': 48}, "
                         "--label-max-bars 48)")
    return rules.max_bars


def bid_prices(bars: pd.DataFrame, spread_pips: float | None, pip_size: float) -> dict:
    """Bid open/high/low/close and spread arrays, read as the engine reads them.

    The spread is the ``spread`` column (NaN rows: `spread_pips`), else `spread_pips`; bars with
    ``attrs["price_side"] == "ask"`` become bid = ask - spread.
    """
    fixed = None if spread_pips is None else spread_pips * pip_size
    if "spread" in bars.columns:
        spread = bars["spread"].to_numpy(dtype=np.float64, copy=True)
        missing = np.isnan(spread)
        if missing.any():
            if fixed is None:
                raise missing_spread("some bars have no spread (NaN)")
            spread[missing] = fixed
    elif fixed is None:
        raise missing_spread()
    else:
        spread = np.full(len(bars), fixed)
    prices = {c: bars[c].to_numpy(dtype=np.float64, copy=True)
              for c in ("open", "high", "low", "close")}
    if bars.attrs.get("price_side") == "ask":
        for column in prices.values():
            column -= spread
    prices["spread"] = spread
    return prices


def lower_bars_for(bars: pd.DataFrame, lower: pd.DataFrame | None, spread_pips: float | None,
                   pip_size: float) -> LowerBars | None:
    """`lower` (same pair, a lower timeframe) mapped onto `bars`, read as the engine reads them."""
    if lower is None:
        return None
    prices = bid_prices(lower, spread_pips, pip_size)
    return LowerBars.align(bars.index.as_unit("ns").asi8,
                           bar_ends(bars.index, bars.attrs.get("timeframe")),
                           lower.index.as_unit("ns").asi8, prices["open"], prices["high"],
                           prices["low"], prices["spread"])


def scan_exits(side, start, scan_end, stop, target, prices: dict, lower: LowerBars | None = None,
               trail: Trail | None = None, fill=None):
    """First bar in ``[start, scan_end)`` where each position's stop or target closes it.

    All arguments but `prices` (bid ``open high low`` and ``spread`` arrays), `lower` and
    `trail` are arrays, one element per position. With `trail` (its fields scalars or one per
    position) the stop moves as `barriers.moving_stops` says, from each position's `fill`.
    Returns ``(bar, code, price, same_bar_rule)``: bar -1 and code 0 where nothing triggers;
    the price is the engine's fill before slippage.
    """
    o, h, lo, sp = prices["open"], prices["high"], prices["low"], prices["spread"]
    count = len(start)
    bar = np.full(count, -1, dtype=np.int64)
    code = np.zeros(count, dtype=np.int64)
    price = np.full(count, np.nan)
    rule = np.full(count, "", dtype=object)
    moving = trail is not None and trail.active
    per_position = {} if not moving else {
        name: np.broadcast_to(np.asarray(getattr(trail, name), dtype=float), (count,))
        for name in ("distance", "activation", "break_even_after", "break_even_plus")}
    with np.errstate(invalid="ignore"):
        levels_set = ~(np.isnan(stop) & np.isnan(target))
        if moving:
            levels_set |= ~np.isnan(per_position["distance"])
            levels_set |= ~np.isnan(per_position["break_even_after"])
        pending = np.flatnonzero((start < scan_end) & levels_set)
    y_before = np.full(count, -np.inf)
    offset, width = 0, _FIRST_BLOCK
    while pending.size:
        rows = max(1, _MAX_CELLS // width)
        still = []
        for first in range(0, len(pending), rows):
            chosen = pending[first : first + rows]
            cols = start[chosen, None] + offset + np.arange(width)[None, :]
            inside = cols < scan_end[chosen, None]
            cols = np.minimum(cols, len(o) - 1)
            levels, sources = stop[chosen, None], None
            if moving:
                part = Trail(**{name: values[chosen] for name, values in per_position.items()})
                y_best = favourable(side[chosen, None], h[cols], lo[cols], sp[cols])
                levels, sources, y_before[chosen] = moving_stops(
                    side[chosen], fill[chosen], stop[chosen], part, y_best, y_before[chosen])
            c, p, ambiguous = bar_exits(
                side[chosen, None], o[cols], h[cols], lo[cols], sp[cols],
                levels, target[chosen, None],
            )
            c = np.where(inside, c, 0)
            hit = c.any(axis=1)
            j = np.argmax(c != 0, axis=1)
            found = chosen[hit]
            k = np.arange(len(chosen))[hit]
            bar[found] = cols[k, j[hit]]
            code[found] = c[k, j[hit]]
            price[found] = p[k, j[hit]]
            level = (levels[k, j[hit]] if moving else stop[found])
            unclear = ambiguous[k, j[hit]]
            rule[found[unclear]] = "stop_first"
            if lower is not None:
                for i, at in zip(found[unclear], level[unclear], strict=True):
                    resolved = lower.resolve(int(bar[i]), int(side[i]), at, target[i], np.nan)
                    if resolved is not None:
                        code[i], price[i], rule[i] = resolved[0], resolved[1], "lower_timeframe"
            if moving:
                stopped = code[found] == STOP_LOSS
                code[found[stopped]] = sources[k, j[hit]][stopped]
            still.append(chosen[~hit & inside[:, -1]])
        pending = np.concatenate(still)
        offset, width = offset + width, width * 2
    return bar, code, price, rule


def label_candidates(
    bars: pd.DataFrame,
    signals: pd.Series,
    levels: pd.DataFrame | None,
    rules: ExitRules,
    *,
    pair: FxPair | str | None = None,
    costs: LabelCosts | None = None,
    label_max_bars: int | None = None,
    lower: LowerBars | None = None,
) -> pd.DataFrame:
    """One row per non-zero signal (indexed by the signal bar's time): its label taken alone.

    `levels` are the stop/target distances per bar (`fxjudge.signals.exits.exit_levels`; None
    when the rules set neither). Columns: `LABEL_COLUMNS` (see the module docstring); the
    horizon follows `label_horizon(rules, label_max_bars)`.
    """
    costs = costs or LabelCosts()
    fx = FxPair.parse(pair if pair is not None else bars.attrs.get("pair") or "")
    horizon = label_horizon(rules, label_max_bars)
    if not signals.index.equals(bars.index):
        raise must("signals", "a Series on the bars' index", type(signals).__name__)
    prices = bid_prices(bars, costs.spread_pips, fx.pip_size)
    n = len(bars)
    at = np.flatnonzero(signals.to_numpy() != 0)
    side = np.sign(signals.to_numpy()[at]).astype(np.int64)
    entry = at + 1
    tradable = entry < n
    e = np.minimum(entry, n - 1)
    slip = costs.slippage_pips * fx.pip_size
    fill = prices["open"][e] + np.where(side > 0, prices["spread"][e] + slip, -slip)
    distance = {c: np.full(len(at), np.nan) for c in ("stop_distance", "target_distance")}
    if levels is not None:
        distance = {c: levels[c].to_numpy(dtype=float)[at] for c in distance}
    stop = fill - side * distance["stop_distance"]
    target = fill + side * distance["target_distance"]
    trail = trail_of(rules, fx.pip_size)
    if levels is not None and "trail_distance" in levels.columns:
        trail = replace(trail, distance=levels["trail_distance"].to_numpy(dtype=float)[at])
    time_bar = np.full(len(at), n, dtype=np.int64) if horizon is None else entry + horizon
    opposite_bar = _opposite_exits(signals.to_numpy(), at, side, rules.on_opposite, n)
    open_exit = np.minimum(time_bar, opposite_bar)  # a time exit at the same open wins
    scan_end = np.where(tradable, np.minimum(open_exit, n), entry)
    bar, code, price, rule = scan_exits(side, entry, scan_end, stop, target, prices, lower,
                                        trail, fill)
    at_open = (code == 0) & tradable & (open_exit < n)
    bar[at_open] = open_exit[at_open]
    ob = np.minimum(open_exit, n - 1)[at_open]
    price[at_open] = close_side_many(side[at_open], prices["open"][ob], prices["spread"][ob])
    reason = np.array([None, *(REASONS[c] for c in sorted(REASONS))], dtype=object)[code]
    opposite = "reverse" if rules.on_opposite == "reverse" else "opposite"
    reason[at_open] = np.where(time_bar[at_open] <= opposite_bar[at_open], "time", opposite)
    resolved = bar >= 0
    slipped = np.isin(reason, list(SLIPPED_REASONS)) & resolved
    exit_price = np.where(slipped, price - side * slip, price)
    gross = side * (exit_price - fill) / fx.pip_size
    swap = _swap_pips(side, entry, bar, resolved, costs, n)
    commission = np.broadcast_to(np.asarray(costs.commission_pips, dtype=float), (n,))[e]
    net = np.where(resolved, gross + swap - commission, np.nan)
    out = pd.DataFrame({
        "side": side.astype(np.int8),
        "signal_bar": at,
        "entry_time": bars.index[e].where(tradable),
        "entry_price": np.where(tradable, fill, np.nan),
        "exit_bar": np.where(resolved, bar, -1),
        "resolve_time": bars.index[np.maximum(bar, 0)].where(resolved),
        "barrier": np.where(resolved, reason, None),
        "same_bar_rule": np.where(resolved, rule, ""),
        "exit_price": np.where(resolved, exit_price, np.nan),
        "gross_pips": np.where(resolved, gross, np.nan),
        "swap_pips": np.where(resolved, swap, np.nan),
        "commission_pips": np.where(resolved, commission, np.nan),
        "return_pips": net,
        "label": np.where(resolved, (net > 0).astype(float), np.nan),
    }, index=bars.index[at])
    out.index.name = "time"
    return out


def _opposite_exits(signal: np.ndarray, at: np.ndarray, side: np.ndarray, on_opposite: str,
                    n: int) -> np.ndarray:
    """Per candidate, the bar whose open the first later opposite signal closes it at (``n``:
    none, or the strategy ignores them): the signal of bar u > at ends the position at u + 1."""
    out = np.full(len(at), n, dtype=np.int64)
    if on_opposite == "ignore":
        return out
    for sign in (1, -1):
        opposite = np.flatnonzero(signal == -sign)
        mine = side == sign
        k = np.searchsorted(opposite, at[mine], side="right")
        found = k < len(opposite)
        exits = np.full(int(mine.sum()), n, dtype=np.int64)
        exits[found] = np.minimum(opposite[k[found]] + 1, n)
        out[mine] = exits
    return out


def close_side_many(side: np.ndarray, bid: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """`barriers.close_side` for many positions: the bid for longs, the ask for shorts."""
    return np.where(side > 0, close_side(1, bid, spread), close_side(-1, bid, spread))


def _swap_pips(side, entry, bar, resolved, costs: LabelCosts, n: int) -> np.ndarray:
    """Swap in pips over the rollovers passed from the entry to the exit bar (engine rule)."""
    if costs.swap_long_pips == 0 and costs.swap_short_pips == 0:
        return np.zeros(len(side))
    if costs.nights is None or len(costs.nights) != n:
        raise must("nights", f"one rollover count per bar ({n}) when a swap is set", None)
    counted = np.concatenate(([0], np.cumsum(costs.nights)))
    # a position entered at bar e and exited at bar x pays nights[e+1 : x+1]
    x, e = np.maximum(bar, 0), np.minimum(entry, n - 1)
    held = np.where(resolved, counted[x + 1] - counted[e + 1], 0)
    per_night = np.where(side > 0, costs.swap_long_pips, costs.swap_short_pips)
    return np.maximum(held, 0) * per_night


def close_only_labels(
    close, events: pd.DataFrame, *, profit_take: float, stop_loss: float, max_bars: int
) -> pd.DataFrame:
    """The close-only triple barrier of the textbook (López de Prado), through the same logic.

    `events` has columns ``t0`` (position of the event's close) and ``side``. The rule: the
    side-adjusted return r = side * (close_t / close_t0 - 1) on closes t0+1 .. t0+max_bars;
    profit-take when r > `profit_take`, stop-loss when r < -`stop_loss` (strict), else the time
    barrier at t0+max_bars; an event whose time barrier lies past the data has no label.

    The adapter: bar j opens (and trades only) at close j-1, spread 0, so the entry at the open
    after t0 is close t0 and a level crossed by a close is a gap through it at the next bar's
    open, filled there (at that close), exactly the rule's return. The levels are nudged one
    float outwards (strict inequalities), and the time bar is tested for the levels too (the
    rule checks r at t0+max_bars before falling back to the time barrier). Returns ``t1``,
    ``barrier``, ``return`` and ``label`` per event (None/NaN without a label).
    """
    close = np.asarray(close, dtype=float)
    n = len(close)
    t0 = events["t0"].to_numpy(dtype=np.int64)
    side = events["side"].to_numpy(dtype=np.int64)
    opened = np.concatenate(([close[0]], close))
    prices = {"open": opened, "high": opened, "low": opened, "spread": np.zeros(n + 1)}
    entry_bar = t0 + 1
    fill = opened[entry_bar]
    stop = np.nextafter(fill * (1 - side * stop_loss), fill * (1 - side * stop_loss) - side)
    target = np.nextafter(fill * (1 + side * profit_take), fill * (1 + side * profit_take) + side)
    time_bar = entry_bar + max_bars
    inside = time_bar < n + 1
    scan_end = np.where(inside, time_bar + 1, entry_bar)
    bar, code, price, _ = scan_exits(side, entry_bar, scan_end, stop, target, prices)
    timed = inside & (code == 0)
    bar[timed] = time_bar[timed]
    price[timed] = opened[np.minimum(time_bar, n)][timed]
    ret = side * (price / fill - 1)
    barrier = np.where(code == TAKE_PROFIT, "take_profit", "stop_loss").astype(object)
    barrier[timed] = "time"
    return pd.DataFrame({
        "t0": t0,
        "t1": pd.array(np.where(inside, bar - 1, None), dtype="Int64"),
        "barrier": np.where(inside, barrier, None),
        "return": np.where(inside, ret, np.nan),
        "label": np.where(inside, (ret > 0).astype(float), np.nan),
    })
