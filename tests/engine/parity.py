"""The parity battery's shared code: random scenarios, both engines, a field-by-field comparison.

A `Scenario` is a small frozen record of choices (sizes, seeds, rules, costs, account, sizing,
conversion, lower-timeframe bars, veto, probabilities); `build` turns it into `simulate`'s
arguments (the arrays come from its seeds), `compare` runs both engines on them and raises an
`AssertionError` that names every disagreeing field with a reproducer, and returns what the
scenario exercised (`Outcome`). `scenarios` is the hypothesis strategy that draws them; its
simplest values come first, so a failure shrinks to a minimal scenario.

Used by tests/engine/test_parity.py (a few hundred scenarios, derandomised) and by
benchmarks/parity_battery.py (10,000).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from fxjudge.data.bars import make_bars, timeframe
from fxjudge.data.load import load_bars
from fxjudge.data.resample import resample
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.domain import FxPair
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.engine.conversion import quote_rates
from fxjudge.engine.notes import NO_MARGIN, NO_SIZE
from fxjudge.features.indicators import atr
from fxjudge.signals.exits import ExitRules, exit_levels
from tests.conftest import SHARED_DATA

#: real files of ../shared/data a scenario can slice: path, and the pair whose bars convert
#: its P&L into JPY when a slice of the same period exists
REAL_FILES = {
    "eurusd_h1_dukascopy": "dukascopy_csv/EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv",
    "eurusd_d1_dukascopy": "dukascopy_csv/EURUSD_Candlestick_1_D_BID_04.05.2003-21.01.2023.csv",
    "usdjpy_d1_dukascopy": "dukascopy_csv_localtime/"
    "USDJPY_Candlestick_1_D_BID_01.01.2007-02.04.2023.csv",
    "usdjpy_m1_histdata_201606": "histdata_m1_csv/DAT_ASCII_USDJPY_M1_201606.csv",
    "eurusd_m1_histdata_2018": "histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip",
    "usdjpy_m1_histdata_2018": "histdata_m1/HISTDATA_COM_ASCII_USDJPY_M12018.zip",
    "usdjpy_m1_mt4": "mt4_csv/USDJPY1.csv",
    "eurusd_h1_mt5": "mt5_export/EURUSD_H1.csv",
}
REAL_CONVERSION = {"eurusd_m1_histdata_2018": "usdjpy_m1_histdata_2018"}
GENERATED = ("synthetic", "walk")
PAIRS = ("EURUSD", "USDJPY", "EURJPY", "GBPUSD", "EURGBP", "AUDJPY", "USDCHF")
#: about where each pair trades: the random walks start there, fixed conversion rates use it
TYPICAL_PRICES = {"EURUSD": 1.1, "USDJPY": 130.0, "EURJPY": 140.0, "GBPUSD": 1.3,
                  "EURGBP": 0.85, "AUDJPY": 90.0, "USDCHF": 0.9, "GBPJPY": 170.0, "EURCHF": 1.0,
                  "GBPCHF": 1.15, "CHFJPY": 150.0}
CURRENCIES = ("USD", "JPY", "EUR", "GBP", "CHF")
#: a lower timeframe, and the main timeframes its bars can be grouped into
LOWER_TO_MAIN = {"M1": ("M5", "M15", "H1"), "M5": ("M15", "H1"), "M15": ("H1", "H4"),
                 "H1": ("H4", "D1")}
TIMEFRAMES = ("H1", "M5", "M15", "M1", "H4", "D1")
#: signal modes and the scales of their density (from 1x to 3x each)
DENSITIES = {"sparse": [0.01, 0.03], "dense": [0.3], "always": [0.02, 0.1, 0.3]}
EXACT_TRADE_COLUMNS = ("entry_time", "exit_time", "side", "units", "entry_price", "exit_price",
                       "exit_reason", "same_bar_rule", "pips", "bars_held", "mae_pips",
                       "mfe_pips", "probability")
MONEY_TRADE_COLUMNS = ("pnl_quote", "pnl_account", "commission", "swap", "net_account")
EXACT_EQUITY_COLUMNS = ("position_units",)
MONEY_EQUITY_COLUMNS = ("balance", "equity", "used_margin")
#: money agrees to this relative error, with an absolute floor of `_ABSOLUTE` x the balance
RELATIVE, _ABSOLUTE = 1e-9, 1e-12
CASES = ("stop_loss", "take_profit", "time", "opposite", "reverse", "stop_out", "end_of_data",
         "trailing_stop", "break_even", "rejected_margin", "skipped_no_size", "stop_first",
         "lower_timeframe", "vetoed_entry", "vetoed_reverse", "stop_out_with_swap",
         "moved_stop_first", "sized_by_probability")


@dataclass(frozen=True)
class Scenario:
    """Everything one parity run varies; the arrays are generated from `seed`."""

    source: str = "synthetic"  # one of GENERATED, or a key of REAL_FILES
    pair: str = "EURUSD"  # generated sources only; a real file has its own pair
    timeframe: str = "H1"  # generated: the main timeframe (the lower one when `lower`)
    n_bars: int = 50
    seed: int = 0
    price_side: str = "bid"
    spread: str = "column"  # "column", "fixed" (spread_pips only) or "holes" (NaN rows)
    spread_pips: float = 1.0
    lower: bool = False  # main bars grouped from lower-timeframe bars, passed as lower_bars
    signals: str = "sparse"  # "sparse", "dense" or "always" (in the market: +1/-1 every bar)
    density: float = 0.05  # the share of bars with a signal; "always": the share that flip
    veto: float = 0.0  # fraction of bars whose entries the judge rejects (0: no veto given)
    probability: bool = False
    stop: tuple[str, float] | None = None  # ("pips", 20.0) or ("atr", 1.5)
    target: tuple[str, float] | None = None
    trail: tuple[str, float] | None = None  # a trailing stop: ("pips", 15.0) or ("atr", 1.0)
    trail_activation_pips: float | None = None
    break_even: tuple[float, float] | None = None  # (after pips, plus pips)
    level_holes: float = 0.0  # fraction of signal bars whose levels are NaN
    atr_bars: int = 14
    max_bars: int | None = None
    on_opposite: str = "exit"
    slippage_pips: float = 0.0
    commission_per_lot: float = 0.0
    swap_long_pips: float = 0.0
    swap_short_pips: float = 0.0
    triple_swap_weekday: int = 2
    currency: str = "quote"  # "quote", "base" or a currency code
    conversion: str = "bars"  # with a third currency: "bars", "inverted_bars", "fixed", "ecb"
    balance_margins: float = 100.0  # the balance in multiples of one typical position's margin
    leverage: float = 25.0
    lot_size: int = 10_000
    stop_out_level: float = 0.5
    sizing: tuple[str, float] = ("units", 10_000.0)  # or ("lots", 1.0), ("risk", 0.01)
    #: size each entry by its probability (`Sizing.by_probability`): None, or the step (0: none)
    by_probability: float | None = None

    def reproducer(self) -> str:
        """Python that re-runs this scenario."""
        return f"from tests.engine.parity import Scenario, compare\ncompare({self!r})"


@dataclass
class Outcome:
    """What a scenario exercised (its `CASES`) and how much was compared."""

    cases: Counter
    trades: int
    equity_bars: int
    money_values: int
    money_bit_equal: int


# -- drawing scenarios ------------------------------------------------------------------------


def scenarios(sources: tuple[str, ...] = GENERATED) -> st.SearchStrategy[Scenario]:
    """Scenarios on `sources` (generated markets by default, or keys of `REAL_FILES`)."""
    return _scenarios(sources)


@st.composite
def _scenarios(draw, sources):
    def spread_out(scales):  # a scale, then a value within 3x of it: every size is common
        return st.sampled_from(scales).flatmap(lambda scale: st.floats(scale, 3.0 * scale))

    level = st.one_of(
        st.none(),
        st.tuples(st.just("pips"), spread_out([1.0, 3.0, 10.0, 30.0, 100.0])),
        st.tuples(st.just("atr"), spread_out([0.2, 0.6, 2.0])),
    )
    swap = st.tuples(st.sampled_from([0.0, -1.0, 1.0]), spread_out([0.3, 3.0, 30.0])).map(
        lambda signed: signed[0] * signed[1])
    source = draw(st.sampled_from(sources))
    signal_mode = draw(st.sampled_from(list(DENSITIES)))
    lower = draw(st.booleans())
    sizing_kind = draw(st.sampled_from(["units", "lots", "risk"]))
    stop = draw(level)
    trail = draw(st.one_of(st.none(), st.none(), level))
    activation = draw(st.one_of(st.none(), spread_out([1.0, 10.0, 50.0]))) if trail else None
    break_even = None
    if draw(st.integers(0, 2)) == 0:
        after = draw(spread_out([1.0, 10.0, 50.0]))
        break_even = (after, draw(st.sampled_from([0.0, -0.5, 0.5])) * after)
    probability = draw(st.booleans())
    by_probability = draw(st.sampled_from([None, 0.0, 0.1, 0.25])) if probability else None
    if sizing_kind == "risk" and stop is None:
        stop = ("pips", draw(spread_out([3.0, 30.0])))
    sizing_value = {
        "units": spread_out([1.0, 1_000.0, 30_000.0]),
        "lots": spread_out([0.0001, 0.1, 3.0]),
        "risk": spread_out([0.001, 0.01, 0.1]),
    }[sizing_kind]
    return Scenario(
        source=source,
        pair=draw(st.sampled_from(PAIRS)),
        timeframe=draw(st.sampled_from(tuple(LOWER_TO_MAIN) if lower else TIMEFRAMES)),
        # one scenario in eight is tiny (1-12 bars: entries on the last bars, nothing to do)
        n_bars=draw(st.integers(1, 12) if draw(st.integers(0, 7)) == 0 else st.integers(30, 400)),
        seed=draw(st.integers(0, 2**32 - 1)),
        price_side=draw(st.sampled_from(["bid", "ask"])),
        spread=draw(st.sampled_from(["column", "fixed", "holes"])),
        spread_pips=draw(st.sampled_from([0.0, 0.3, 1.0, 3.0])),
        lower=lower,
        signals=signal_mode,
        density=draw(spread_out(DENSITIES[signal_mode])),
        veto=draw(st.sampled_from([0.0, 0.3, 0.7])),
        probability=probability,
        by_probability=by_probability,
        stop=stop,
        target=draw(level),
        trail=trail,
        trail_activation_pips=activation,
        break_even=break_even,
        level_holes=draw(st.sampled_from([0.0, 0.3])),
        atr_bars=draw(st.integers(1, 20)),
        max_bars=draw(st.one_of(st.none(), st.integers(1, 60))),
        on_opposite=draw(st.sampled_from(["exit", "reverse", "ignore"])),
        slippage_pips=draw(st.sampled_from([0.0, 0.5, 2.0])),
        commission_per_lot=draw(st.sampled_from([0.0, 0.1, 3.0])),
        swap_long_pips=draw(swap),
        swap_short_pips=draw(swap),
        triple_swap_weekday=draw(st.integers(0, 4)),
        currency=draw(st.sampled_from(["quote", "base", *CURRENCIES])),
        conversion=draw(st.sampled_from(["bars", "inverted_bars", "fixed", "ecb"])),
        balance_margins=draw(spread_out([300.0, 3.0, 1.0, 0.3])),
        leverage=draw(st.sampled_from([25.0, 1.0, 10.0, 100.0, 500.0])),
        lot_size=draw(st.sampled_from([10_000, 1_000, 100_000])),
        stop_out_level=draw(st.sampled_from([0.5, 0.0, 0.2, 0.9])),
        sizing=(sizing_kind, draw(sizing_value)),
    )


# -- building simulate's arguments ------------------------------------------------------------


def build(scenario: Scenario) -> dict:
    """`simulate`'s keyword arguments for `scenario` (without `engine`)."""
    rng = np.random.default_rng(scenario.seed)
    bars, lower_bars, conversion_pair_bars = _market(scenario, rng)
    pair = FxPair.parse(bars.attrs["pair"])
    bars, lower_bars = _priced(bars, scenario, rng), _priced(lower_bars, scenario, rng)
    n = len(bars)
    rules = ExitRules(
        stop_loss_pips=_level(scenario.stop, "pips"), stop_loss_atr=_level(scenario.stop, "atr"),
        take_profit_pips=_level(scenario.target, "pips"),
        take_profit_atr=_level(scenario.target, "atr"),
        atr_bars=scenario.atr_bars, max_bars=scenario.max_bars, on_opposite=scenario.on_opposite,
        trailing_stop_pips=_level(scenario.trail, "pips"),
        trailing_stop_atr=_level(scenario.trail, "atr"),
        trailing_activation_pips=scenario.trail_activation_pips,
        break_even_after_pips=None if scenario.break_even is None else scenario.break_even[0],
        break_even_plus_pips=0.0 if scenario.break_even is None else scenario.break_even[1],
    )
    signal = _signals(scenario, rng, n)
    if "atr" in (_kind(scenario.stop), _kind(scenario.target), _kind(scenario.trail)):
        signal[: scenario.atr_bars] = 0.0  # no signal before the ATR is known
        # nor where it is 0 (flat bars in real files): `exit_levels` refuses such a signal
        signal[(atr(bars, scenario.atr_bars) <= 0).to_numpy()] = 0.0
    signals = pd.Series(signal, index=bars.index)
    levels = exit_levels(bars, signals, rules, pair)
    if scenario.level_holes:
        holes = rng.random(n) < scenario.level_holes
        levels = levels.mask(pd.Series(holes, index=bars.index), np.nan)
    currency = {"quote": pair.quote, "base": pair.base}.get(scenario.currency, scenario.currency)
    conversion = _conversion(scenario, pair, currency, bars, conversion_pair_bars, rng)
    costs = Costs(
        spread_pips=None if scenario.spread == "column" else scenario.spread_pips,
        slippage_pips=scenario.slippage_pips,
        commission_per_lot=scenario.commission_per_lot * _money_scale(currency),
        swap_long_pips=scenario.swap_long_pips, swap_short_pips=scenario.swap_short_pips,
        triple_swap_weekday=scenario.triple_swap_weekday,
    )
    account = _account(scenario, pair, currency, bars, conversion)
    kind, value = scenario.sizing
    sized = scenario.by_probability is not None and scenario.probability
    sizing = Sizing(**{{"risk": "risk_fraction"}.get(kind, kind): value}, by_probability=sized,
                    probability_step=(scenario.by_probability or None) if sized else None)
    probability = None
    if scenario.probability:
        chances = np.where(rng.random(n) < 0.1, np.nan, rng.random(n))
        probability = pd.Series(chances, index=bars.index)
    allowed = None
    if scenario.veto:
        allowed = pd.Series(rng.random(n) >= scenario.veto, index=bars.index)
    return dict(
        bars=bars, signals=signals, levels=levels, pair=pair, rules=rules, costs=costs,
        account=account, sizing=sizing, conversion=conversion, probability=probability,
        lower_bars=lower_bars, entries_allowed=allowed,
    )


def _account(scenario: Scenario, pair: FxPair, currency: str, bars, conversion) -> Account:
    """The scenario's account, its balance `balance_margins` times the margin of a typical
    position (the sizing's, or 10,000 units under risk sizing) at the median price and rate."""
    rates = quote_rates(pair, currency, bars.index, conversion)
    price = float(bars["close"].median()) if len(bars) else 1.0
    rate = 1.0 / price if rates.per_bar is None else float(np.nanmedian(rates.per_bar))
    kind, value = scenario.sizing
    units = {"risk": 10_000.0, "lots": value * scenario.lot_size}.get(kind, value)
    margin = units * price * rate / scenario.leverage
    return Account(
        currency=currency, balance=max(margin * scenario.balance_margins, 1e-6),
        leverage=scenario.leverage, lot_size=scenario.lot_size,
        stop_out_level=scenario.stop_out_level,
    )


def _kind(level):
    return None if level is None else level[0]


def _level(level, kind):
    return level[1] if level is not None and level[0] == kind else None


def _money_scale(currency: str) -> float:
    """Money of a cheap currency is in larger numbers (1 USD is about 150 JPY)."""
    return 100.0 if currency == "JPY" else 1.0


def _market(scenario: Scenario, rng):
    """Bid bars (with a ``spread`` column), lower bars or None, and the real conversion bars
    or None."""
    if scenario.source in REAL_FILES:
        return _real_market(scenario, rng)
    lower_tf = scenario.timeframe
    main_tf = rng.choice(LOWER_TO_MAIN[lower_tf]) if scenario.lower else lower_tf
    per_main = timeframe(main_tf).minutes // timeframe(lower_tf).minutes
    n_source = scenario.n_bars * per_main if scenario.lower else scenario.n_bars
    if scenario.source == "synthetic":
        start = pd.Timestamp("2005-01-02 22:00", tz="UTC") + pd.Timedelta(
            days=int(rng.integers(0, 19 * 365)))
        source = synthetic_bars(scenario.pair, start=start, n_bars=n_source, timeframe=lower_tf,
                                seed=int(rng.integers(0, 2**31)),
                                annual_vol=float(rng.choice([0.08, 0.3, 1.0])))
    else:
        source = _walk(scenario.pair, lower_tf, n_source, rng)
    if not scenario.lower:
        return source, None, None
    return _grouped(source, main_tf, scenario.n_bars), source, None


def _walk(pair: str, tf: str, n: int, rng) -> pd.DataFrame:
    """A random walk: fat-tailed returns, gaps at some opens, random spreads (some zero), some
    missing bars, prices on the pair's grid or not."""
    fx = FxPair.parse(pair)
    step = timeframe(tf).delta
    skips = np.where(rng.random(n) < 0.05, rng.integers(2, 50, n), 1)
    start = pd.Timestamp("2003-01-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 8000)))
    times = start + step * np.cumsum(skips)
    vol = float(rng.choice([0.0003, 0.002, 0.01]))
    returns = rng.standard_t(3, n) * vol
    gaps = np.where(rng.random(n) < rng.choice([0.0, 0.05, 0.3]),
                    rng.normal(0.0, vol * rng.choice([1.0, 10.0, 50.0]), n), 0.0)
    # the log path is held within a factor of e**4 of the typical price, so that a wild walk
    # rounded to the quote grid never reaches a price of 0
    log_path = np.clip(np.cumsum(gaps + np.r_[0.0, returns[:-1]]), -4.0, 4.0)
    opens = TYPICAL_PRICES.get(fx.symbol, 1.0) * np.exp(log_path)
    closes = opens * np.exp(returns)
    wick = np.abs(rng.normal(0.0, vol, (2, n)))
    highs = np.maximum(opens, closes) * np.exp(wick[0])
    lows = np.minimum(opens, closes) * np.exp(-wick[1])
    spread = fx.pip_size * rng.choice([0.0, 0.3, 1.0, 5.0]) * rng.lognormal(0.0, 0.5, n)
    spread[rng.random(n) < 0.1] = 0.0
    frame = pd.DataFrame({"open": opens, "high": highs, "low": lows, "close": closes,
                          "volume": 0.0, "spread": spread}, index=times)
    if rng.random() < 0.5:  # on the quote grid, where levels and prices tie more often
        frame = frame.round(fx.price_decimals)
        frame["high"] = frame[["open", "high", "close"]].max(axis=1)
        frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    return make_bars(frame, pair=fx.symbol, timeframe_name=tf, source="walk")


def _grouped(lower: pd.DataFrame, main_tf: str, n_bars: int) -> pd.DataFrame:
    """Main bars made of the lower bars (first open, extreme high/low, last close, mean spread)."""
    return resample(lower, main_tf).iloc[:n_bars]


def _real_market(scenario: Scenario, rng):
    bars = _real(scenario.source)
    convert = REAL_CONVERSION.get(scenario.source)
    lower = None
    if scenario.lower and bars.attrs["timeframe"] == "M1":
        main_tf = rng.choice(LOWER_TO_MAIN["M1"])
        per_main = timeframe(main_tf).minutes
        lower = _slice(bars, scenario.n_bars * per_main, rng)
        main = _grouped(lower, main_tf, scenario.n_bars)
    else:
        main = _slice(bars, scenario.n_bars, rng)
    if "spread" not in main.columns:  # a spread column of the pair's typical size, varied
        for frame in (main, lower):
            if frame is not None:
                pip = FxPair.parse(frame.attrs["pair"]).pip_size
                frame["spread"] = pip * rng.choice([0.2, 1.0, 3.0]) * rng.lognormal(
                    0.0, 0.4, len(frame))
    conversion = None
    if convert is not None:
        other = _real(convert)
        conversion = other.loc[main.index[0] - pd.Timedelta(days=2) : main.index[-1]]
        if len(conversion) == 0 or conversion.index[0] >= main.index[min(1, len(main) - 1)]:
            conversion = None  # no closed bar before the first event: another conversion
    return main, lower, conversion


def _slice(bars: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    start = int(rng.integers(0, max(1, len(bars) - n)))
    piece = bars.iloc[start : start + n].copy()
    piece.attrs = {k: v for k, v in bars.attrs.items() if k != "report"}
    return piece


@cache
def _real(key: str) -> pd.DataFrame:
    bars = load_bars(SHARED_DATA / REAL_FILES[key])
    bars.attrs.pop("report", None)
    return bars


def real_data_available() -> bool:
    """True when every file of `REAL_FILES` is in ../shared/data."""
    return all((SHARED_DATA / path).exists() for path in REAL_FILES.values())


def _priced(bars: pd.DataFrame | None, scenario: Scenario, rng) -> pd.DataFrame | None:
    """The bars as the scenario quotes them: bid or ask, with a spread column, a fixed spread
    (no column) or a column with holes."""
    if bars is None:
        return None
    bars = bars.copy()
    spread = bars["spread"].to_numpy().copy()
    if scenario.spread == "fixed":
        pip = FxPair.parse(bars.attrs["pair"]).pip_size
        spread = np.full(len(bars), scenario.spread_pips * pip)
    if scenario.price_side == "ask":
        for column in ("open", "high", "low", "close"):
            bars[column] = bars[column] + spread
        bars.attrs["price_side"] = "ask"
    if scenario.spread == "fixed":
        bars = bars.drop(columns="spread")
    elif scenario.spread == "holes":
        bars.loc[rng.random(len(bars)) < 0.2, "spread"] = np.nan
    return bars


def _signals(scenario: Scenario, rng, n: int) -> np.ndarray:
    if scenario.signals == "always":  # in the market: a side held for a few bars, then flipped
        flips = rng.random(n) < scenario.density
        return np.where(np.cumsum(flips) % 2 == 0, 1.0, -1.0)
    sides = rng.choice([-1.0, 1.0], n)
    return np.where(rng.random(n) < scenario.density, sides, 0.0)


def _conversion(scenario, pair, currency, bars, real_bars, rng):
    """The `conversion` argument: None unless the account is in a third currency."""
    if currency in (pair.quote, pair.base) or len(bars) == 0:
        return None
    if real_bars is not None and currency == "JPY" and pair.quote == "USD":
        return real_bars
    usual = f"{pair.quote}{currency}" if f"{pair.quote}{currency}" in TYPICAL_PRICES else \
        f"{currency}{pair.quote}"
    if scenario.conversion == "fixed":
        typical = TYPICAL_PRICES.get(usual, 1.0)
        return typical if usual.startswith(pair.quote) else 1.0 / typical
    if scenario.conversion == "ecb":
        return None
    span = bars.index[-1] - bars.index[0]
    tf = "H1" if span < pd.Timedelta(days=120) else "D1"
    start = bars.index[0] - pd.Timedelta(days=4)
    end = bars.index[-1] + pd.Timedelta(hours=2)
    other = synthetic_bars(usual, start=start, end=end, timeframe=tf,
                           seed=int(rng.integers(0, 2**31)))
    if scenario.conversion == "inverted_bars":
        inverted = pd.DataFrame({"open": 1 / other["open"], "high": 1 / other["low"],
                                 "low": 1 / other["high"], "close": 1 / other["close"],
                                 "volume": other["volume"]}, index=other.index)
        other = make_bars(inverted, pair=usual[3:] + usual[:3], timeframe_name=tf,
                          source="inverted")
    return other


# -- running and comparing --------------------------------------------------------------------


def compare(scenario: Scenario) -> Outcome:
    """Run `scenario` on both engines; raise `AssertionError` naming each disagreement."""
    arguments = build(scenario)
    reference = simulate(**arguments, engine="backtrader")
    compiled = simulate(**arguments, engine="compiled")
    floor = _ABSOLUTE * max(1.0, arguments["account"].balance)
    problems, equal, total = _differences(reference, compiled, floor)
    if problems:
        raise AssertionError(
            "the engines disagree:\n  " + "\n  ".join(problems)
            + f"\nreproduce with:\n{scenario.reproducer()}"
        )
    return Outcome(_cases(arguments, reference), len(reference.trades), len(reference.equity),
                   total, equal)


def _differences(reference, compiled, floor: float) -> tuple[list[str], int, int]:
    """Disagreements between two results, and how many money values were bit for bit equal."""
    problems = []
    for name in ("trades", "equity"):
        a, b = getattr(reference, name), getattr(compiled, name)
        if list(a.columns) != list(b.columns) or list(a.dtypes) != list(b.dtypes):
            problems.append(f"{name} columns/dtypes: {dict(a.dtypes)} != {dict(b.dtypes)}")
        if len(a) != len(b) or not a.index.equals(b.index):
            problems.append(f"{name}: {len(a)} rows (backtrader) != {len(b)} (compiled)")
    if reference.notes != compiled.notes:
        problems.append(f"notes: {reference.notes} != {compiled.notes}")
    if problems:
        return problems, 0, 0
    equal = total = 0
    checks = [("trades", EXACT_TRADE_COLUMNS, MONEY_TRADE_COLUMNS),
              ("equity", EXACT_EQUITY_COLUMNS, MONEY_EQUITY_COLUMNS)]
    for name, exact, money in checks:
        a, b = getattr(reference, name), getattr(compiled, name)
        for column in exact + money:
            x, y = a[column].to_numpy(), b[column].to_numpy()
            if column in exact:
                same = (x == y) | (pd.isna(x) & pd.isna(y))
            else:
                same = np.isclose(x, y, rtol=RELATIVE, atol=floor, equal_nan=True)
                equal += int(np.sum((x == y) | (np.isnan(x) & np.isnan(y))))
                total += len(x)
            if not np.all(same):
                row = int(np.flatnonzero(~same)[0])
                problems.append(
                    f"{name}.{column} differs in {int(np.sum(~same))} rows, first at row {row}: "
                    f"backtrader {x[row]!r} != compiled {y[row]!r}"
                )
    return problems, equal, total


def _cases(arguments: dict, result) -> Counter:
    """The `CASES` one result exercised, with their counts."""
    trades = result.trades
    cases = Counter(trades["exit_reason"].tolist())
    cases.update(rule for rule in trades["same_bar_rule"].tolist() if rule)
    moved = trades["exit_reason"].isin(["trailing_stop", "break_even"])
    cases["moved_stop_first"] = int(np.sum(moved & (trades["same_bar_rule"] != "")))
    # a stop-out level moved by swap accrued over more than one of the exit scan's windows
    cases["stop_out_with_swap"] = int(np.sum((trades["exit_reason"] == "stop_out")
                                             & (trades["swap"] != 0) & (trades["bars_held"] > 16)))
    for note in result.notes:
        count = int(note.split()[0]) if note[0].isdigit() else 0
        if note.endswith(NO_MARGIN):
            cases["rejected_margin"] += count
        elif note.endswith(NO_SIZE):
            cases["skipped_no_size"] += count
    if arguments["sizing"].by_probability:  # trades whose size their probability set
        cases["sized_by_probability"] += int(trades["probability"].notna().sum())
    allowed = arguments["entries_allowed"]
    if allowed is not None:
        signal = arguments["signals"].to_numpy()
        held = result.equity["position_units"].to_numpy()
        vetoed = (signal != 0) & ~allowed.to_numpy()
        vetoed[-1:] = False  # the last bar's signal has no next open either way
        cases["vetoed_entry"] += int(np.sum(vetoed & (held == 0)))
        if arguments["rules"].on_opposite == "reverse":
            cases["vetoed_reverse"] += int(np.sum(vetoed & (np.sign(held) == -signal)))
    return cases

