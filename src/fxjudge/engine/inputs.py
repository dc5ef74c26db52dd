"""Check the engine's inputs once, at the boundary, and turn them into arrays.

Everything a run needs is validated here, before either implementation starts: bars (ask-priced
bars become bid), the spread, the conversion rates, lower-timeframe bars, signals, levels,
probabilities and the sizing against the exit rules. Errors follow the project grammar
(`fxjudge.errors.must`). The result, a `Market` and `Orders` of numpy arrays, is what both
engines (`backtrader_engine`, `compiled`) run on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from fxjudge.data.bars import bar_ends, check_bars
from fxjudge.domain import FxPair
from fxjudge.engine.conversion import Conversion, QuoteRates, quote_rates
from fxjudge.engine.costs import Account, Costs, Sizing, rollover_nights
from fxjudge.engine.notes import note
from fxjudge.errors import DataError, missing_spread, must
from fxjudge.signals.barriers import LowerBars
from fxjudge.signals.exits import ExitRules

LEVEL_COLUMNS = ("stop_distance", "target_distance")
#: a column `levels` may have: the trailing stop's distance (NaN or absent: no trailing stop)
TRAIL_COLUMN = "trail_distance"


@dataclass(frozen=True)
class Market:
    """One pair's bars as arrays: bid OHLC, spread (price units), rollover nights, rates."""

    times: pd.DatetimeIndex
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    spread: np.ndarray
    nights: np.ndarray
    rates: QuoteRates
    pip_size: float
    lower: LowerBars | None = None


@dataclass(frozen=True)
class Orders:
    """What the strategy asks per bar: signal, stop/target distances (price units), probability,
    and whether the signal may open a position (`allowed`: False where the judge rejected it)."""

    signal: np.ndarray
    stop_distance: np.ndarray
    target_distance: np.ndarray
    probability: np.ndarray
    allowed: np.ndarray | None = None
    trail_distance: np.ndarray | None = None
    #: per signal bar, the factor its entry's base units are multiplied by (None: 1 everywhere)
    size_factor: np.ndarray | None = None


@lru_cache(maxsize=8)
def constant(n: int, value: float, dtype=np.float64) -> np.ndarray:
    """A read-only array of `n` times `value`, shared between runs (a search runs thousands on
    the same bars: the NaN levels, the unit rates and the all-True veto need not be rebuilt)."""
    array = np.full(n, value, dtype=dtype)
    array.flags.writeable = False
    return array


def bid_and_spread(
    bars: pd.DataFrame, pair: FxPair, costs: Costs, *, name: str = "bars"
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Bid open/high/low/close and the spread (price units) per bar, with notes on their source.

    The spread is the bars' ``spread`` column, else ``costs.spread_pips``; bars whose
    ``attrs["price_side"]`` is ``"ask"`` are ask prices, turned into bid as ``ask - spread``.
    """
    check_bars(bars, name=name)
    symbol = bars.attrs.get("pair")
    if symbol and FxPair.parse(symbol) != pair:
        raise must("pair", f"the pair of the {name} ({symbol})", pair.symbol)
    side = bars.attrs.get("price_side") or "bid"
    if side not in ("bid", "ask"):
        raise must(f"{name}.attrs['price_side']", "'bid' or 'ask'", side)
    fixed = None if costs.spread_pips is None else costs.spread_pips * pair.pip_size
    notes = []
    if "spread" in bars.columns:
        spread = bars["spread"].to_numpy(dtype=np.float64)  # a view: never written to
        missing = np.isnan(spread)
        if missing.any():
            if fixed is None:
                raise missing_spread(f"{int(missing.sum())} {name} have no spread (NaN)")
            spread = np.where(missing, fixed, spread)
            notes.append(note("spread_filled", count=int(missing.sum()), name=name))
        if (spread < 0).any():
            raise DataError(f"{name}: the 'spread' column has negative values (ask below bid)")
        notes.append(note("spread_column", name=name))
    elif fixed is None:
        raise missing_spread(f"the {name} have no 'spread' column")
    else:
        spread = constant(len(bars), fixed)
        notes.append(note("spread_fixed", pips=f"{costs.spread_pips:g}"))
    prices = {c: bars[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")}
    if side == "ask":
        prices = {c: values - spread for c, values in prices.items()}
        notes.append(note("ask_prices", name=name))
    prices["spread"] = spread
    return prices, notes


def market(
    bars: pd.DataFrame,
    pair: FxPair,
    costs: Costs,
    account: Account,
    conversion: Conversion,
    lower_bars: pd.DataFrame | None,
) -> tuple[Market, list[str]]:
    """The bars as a `Market`, with notes on the spread, price side and conversion."""
    prices, notes = bid_and_spread(bars, pair, costs)
    rates = quote_rates(pair, account.currency, bars.index, conversion)
    lower = None
    if lower_bars is not None:
        lower_prices, lower_notes = bid_and_spread(lower_bars, pair, costs, name="lower bars")
        notes += [n for n in lower_notes if n not in notes]
        lower = LowerBars.align(
            bars.index.as_unit("ns").asi8, bar_ends(bars.index, bars.attrs.get("timeframe")),
            lower_bars.index.as_unit("ns").asi8,
            lower_prices["open"], lower_prices["high"], lower_prices["low"],
            lower_prices["spread"],
        )
        notes.append(note("lower_bars"))
    paid = costs.swap_long_pips != 0 or costs.swap_short_pips != 0
    # without a swap no rollover is ever paid: its calendar is not needed
    nights = rollover_nights(bars.index, costs.triple_swap_weekday) if paid else \
        constant(len(bars), 0, np.int64)
    built = Market(
        bars.index, prices["open"], prices["high"], prices["low"], prices["close"],
        prices["spread"], nights, rates, pair.pip_size, lower,
    )
    return built, notes + list(rates.notes)


def orders(
    index: pd.DatetimeIndex,
    signals: pd.Series,
    levels: pd.DataFrame | None,
    probability: pd.Series | None,
    entries_allowed: pd.Series | None = None,
) -> Orders:
    """Signals, stop/target distances, probabilities and allowed entries as arrays."""
    signal = _aligned(index, signals, "signals")
    if not np.isin(signal, (-1.0, 0.0, 1.0)).all():
        bad = float(signal[~np.isin(signal, (-1.0, 0.0, 1.0))][0])
        raise must("signals", "-1, 0 or +1 on every bar", bad)
    distances = {}
    for column in LEVEL_COLUMNS:
        if levels is None:
            distances[column] = constant(len(index), np.nan)
            continue
        if column not in levels.columns:
            raise must("levels", f"a DataFrame with columns {list(LEVEL_COLUMNS)}", list(levels))
        values = _aligned(index, levels[column], "levels")
        if (values <= 0).any():
            raise must(column, "> 0 or NaN (price units)", float(values[values <= 0][0]))
        distances[column] = values
    trail = None
    if levels is not None and TRAIL_COLUMN in levels.columns:
        trail = _aligned(index, levels[TRAIL_COLUMN], "levels")
        if (trail <= 0).any():
            raise must(TRAIL_COLUMN, "> 0 or NaN (price units)", float(trail[trail <= 0][0]))
    chances = constant(len(index), np.nan)
    if probability is not None:
        chances = _aligned(index, probability, "probability")
    allowed = None
    if entries_allowed is not None:
        if not isinstance(entries_allowed, pd.Series) or entries_allowed.dtype != bool:
            raise must("entries_allowed", "a boolean Series on the bars' index",
                       type(entries_allowed).__name__)
        allowed = _aligned(index, entries_allowed, "entries_allowed").astype(bool)
    return Orders(
        signal.astype(np.int8), distances["stop_distance"], distances["target_distance"], chances,
        allowed, trail,
    )


def size_factors(orders: Orders, sizing: Sizing) -> Orders:
    """`orders` with the size factor of sizing by probability (`Sizing.by_probability`).

    The factor, |m| of `fxjudge.judge.bet_size` at the signal bar (0 where p < 1/2, 1 where the
    probability is NaN), is computed here once for both engines, which apply it at the entry as
    `margin.sized_units` says.
    """
    if not sizing.by_probability:
        return orders
    from fxjudge.judge.sizing import size_factors as factors  # the judge's runs only: scipy

    factor = factors(orders.probability, orders.signal, sizing.probability_step)
    return replace(orders, size_factor=factor)


def _aligned(index: pd.DatetimeIndex, values: pd.Series, name: str) -> np.ndarray:
    if not isinstance(values, pd.Series | pd.DataFrame) or not values.index.equals(index):
        raise must(name, "a Series on the bars' index", type(values).__name__)
    array = values.to_numpy(dtype=np.float64)
    if name == "signals" and np.isnan(array).any():
        raise must(name, "-1, 0 or +1 on every bar, never NaN", float("nan"))
    return array


def check_rules(sizing: Sizing, rules: ExitRules, levels: pd.DataFrame | None,
                probability: pd.Series | None = None) -> None:
    """Levels must come with rules that set a stop or target; risk sizing needs a stop-loss;
    sizing by probability needs the probabilities."""
    has_target = rules.take_profit_pips is not None or rules.take_profit_atr is not None
    sets_levels = rules.has_stop or has_target or rules.trails
    if levels is None and sets_levels:
        raise must(
            "levels", "given when the rules set a stop-loss, take-profit or trailing stop (see "
            "exit_levels)", None
        )
    if rules.trails and levels is not None and TRAIL_COLUMN not in levels.columns:
        raise must("levels", f"a DataFrame with a {TRAIL_COLUMN!r} column when the rules set a "
                   "trailing stop (see exit_levels)", list(levels))
    if sizing.by_probability and probability is None:
        raise must("probability", "given (the judge's probabilities) when sizing by_probability; "
                   "run with a judge, or size without by_probability", None)
    if sizing.risk_fraction is not None and not rules.has_stop:
        raise must(
            "risk_fraction", "used with a stop-loss (set stop_loss_pips or stop_loss_atr)",
            sizing.risk_fraction,
        )
