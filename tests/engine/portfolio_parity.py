"""The portfolio parity battery's shared code: random portfolios of 2 to 4 legs, both engines.

`build(seed)` draws a portfolio from a seed (numpy's generator): 2 to 4 pairs of a JPY account
(USDJPY in most, so that EURUSD and GBPUSD convert with its bars; otherwise at a fixed rate),
random walks on H1 whose timestamps do not line up (each leg misses its own bars and starts at
its own hour), random signals, exit rules, costs and sizing, and an account tight enough for
margin rejections and stop-outs. `compare(seed)` runs both engines and raises an
`AssertionError` naming each disagreement with its seed, and returns the cases it exercised.

Used by tests/engine/test_portfolio_parity.py (a CI slice) and
benchmarks/portfolio_parity_battery.py (more scenarios).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from fxjudge.data.bars import make_bars
from fxjudge.engine import Account, Costs, Sizing
from fxjudge.engine.portfolio import Leg, simulate_portfolio
from fxjudge.signals.exits import ExitRules, exit_levels
from tests.engine.parity import _walk

POOL = ("EURUSD", "EURJPY", "GBPJPY", "GBPUSD")
RELATIVE = 1e-9
#: the exit reasons a trade can have (the cases of `_cases` that count trades)
EXIT_REASONS = frozenset({"stop_loss", "trailing_stop", "break_even", "take_profit", "time",
                          "opposite", "reverse", "stop_out", "end_of_data"})
#: money columns compared within `RELATIVE`; every other trade column must be equal
MONEY = ("pnl_quote", "pnl_account", "commission", "swap", "net_account", "mae_pips", "mfe_pips",
         "pips")


def build(seed: int) -> dict:
    """`simulate_portfolio`'s arguments (without `engine`) for `seed`."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    pairs = list(rng.choice(POOL, size=k - 1, replace=False))
    pairs = (["USDJPY"] + pairs) if rng.random() < 0.8 else list(rng.choice(POOL, k,
                                                                          replace=False))
    start = pd.Timestamp("2020-01-06 00:00", tz="UTC")
    lots = float(rng.choice([1.0, 2.0, 5.0]))
    legs = []
    for pair in pairs:
        n = int(rng.integers(120, 400))
        walk = _walk(pair, "H1", n, rng)
        hours = 0 if pair == "USDJPY" else int(rng.integers(1, 6))
        index = start + pd.Timedelta(hours=hours) + (walk.index - walk.index[0])
        frame = pd.DataFrame(walk.to_numpy(), columns=walk.columns, index=index)
        bars = make_bars(frame, pair=pair, timeframe_name="H1", source="walk")
        density = float(rng.choice([0.02, 0.05, 0.1]))
        signal = np.where(rng.random(n) < density, rng.choice([-1.0, 1.0], n), 0.0)
        signals = pd.Series(signal, index=bars.index)
        pip = 0.01 if pair.endswith("JPY") else 0.0001
        vol_pips = float(np.median(bars["high"] - bars["low"])) / pip
        rules = ExitRules(
            stop_loss_pips=None if rng.random() < 0.3 else float(rng.uniform(1, 6) * vol_pips),
            take_profit_pips=None if rng.random() < 0.3 else float(rng.uniform(1, 6) * vol_pips),
            max_bars=None if rng.random() < 0.5 else int(rng.integers(3, 40)),
            on_opposite=str(rng.choice(["exit", "reverse", "ignore"])),
            trailing_stop_pips=None if rng.random() < 0.8 else float(rng.uniform(1, 4)
                                                                       * vol_pips),
        )
        sizing = Sizing(lots=lots)
        if rules.stop_loss_pips is not None and rng.random() < 0.3:
            sizing = Sizing(risk_fraction=float(rng.choice([0.01, 0.05, 0.2])))
        costs = Costs(
            slippage_pips=float(rng.choice([0.0, 0.5])),
            commission_per_lot=float(rng.choice([0.0, 30.0])),
            swap_long_pips=float(rng.choice([0.0, -2.0, 1.5])),
            swap_short_pips=float(rng.choice([0.0, -1.0, 0.5])),
        )
        legs.append(Leg(pair, bars, signals, exit_levels(bars, signals, rules, pair), rules,
                        costs, sizing))
    account = Account(
        currency="JPY", balance=float(rng.uniform(0.6, 4.0) * 60_000 * lots),
        leverage=float(rng.choice([25.0, 100.0])),
        stop_out_level=float(rng.choice([0.0, 0.5, 0.8, 0.95])),
    )
    return dict(legs=legs, account=account, conversion={"USD": 110.0, "GBP": 140.0})


def compare(seed: int) -> Counter:
    """Run `seed` on both engines; raise `AssertionError` naming each disagreement; return the
    cases it exercised (trades by exit reason, and the portfolio's own cases)."""
    arguments = build(seed)
    reference = simulate_portfolio(**arguments, engine="backtrader")
    compiled = simulate_portfolio(**arguments, engine="compiled")
    problems = _differences(reference, compiled, arguments["account"].balance)
    if problems:
        raise AssertionError(f"the engines disagree on portfolio seed {seed}:\n  "
                             + "\n  ".join(problems)
                             + f"\nreproduce with: tests.engine.portfolio_parity.compare({seed})")
    return _cases(arguments, compiled)


def _differences(a, b, balance: float) -> list[str]:
    problems = []
    if list(a.trades.columns) != list(b.trades.columns) or len(a.trades) != len(b.trades):
        return [f"trades: {len(a.trades)} (backtrader) != {len(b.trades)} (compiled) rows"]
    if a.notes != b.notes:
        problems.append(f"notes: {a.notes} != {b.notes}")
    floor = 1e-9 * balance
    for column in a.trades.columns:
        x, y = a.trades[column].to_numpy(), b.trades[column].to_numpy()
        if column in MONEY:
            same = np.isclose(x.astype(float), y.astype(float), rtol=RELATIVE, atol=floor,
                              equal_nan=True)
        else:
            same = (x == y) | (pd.isna(x) & pd.isna(y))
        if not np.all(same):
            row = int(np.flatnonzero(~same)[0])
            problems.append(f"trades.{column} differs in {int(np.sum(~same))} rows, first at "
                            f"row {row}: backtrader {x[row]!r} != compiled {y[row]!r}")
    for name in ("account", "units", "leg_pnl"):
        x, y = getattr(a, name), getattr(b, name)
        if not x.index.equals(y.index) or list(x.columns) != list(y.columns):
            problems.append(f"{name}: index or columns differ")
            continue
        same = np.isclose(x.to_numpy(), y.to_numpy(), rtol=RELATIVE, atol=floor, equal_nan=True)
        if not same.all():
            row, col = (int(v[0]) for v in np.nonzero(~same))
            problems.append(f"{name}.{x.columns[col]} differs in {int(np.sum(~same))} cells, "
                            f"first at {x.index[row]}: {x.iat[row, col]!r} != {y.iat[row, col]!r}")
    return problems


def _cases(arguments: dict, result) -> Counter:
    """Exit reasons, and: stop-outs caused by another leg (the stopped leg had no bar then, or
    another leg's P&L fell more at that timestamp), entries rejected for margin that the leg
    alone would have taken (another leg's position caused it), trades converted with another
    leg's bars (a cross rate), legs whose bars do not line up."""
    trades = result.trades
    cases = Counter(trades["exit_reason"].tolist())
    cases["legs_" + str(len(arguments["legs"]))] += 1
    pnl = result.leg_pnl
    times = pnl.index
    for trade in trades[trades["exit_reason"] == "stop_out"].itertuples():
        # the account timestamp of the stop-out: the first at or after the exit bar where the
        # leg is flat
        flat = (result.units[trade.pair] == 0) & (times >= trade.exit_time)
        u = int(np.argmax(flat.to_numpy()))
        if u == 0:
            continue
        drop = pnl.iloc[u - 1] - pnl.iloc[u]
        own_bar = times[u] in arguments_index(arguments, trade.pair)
        if not own_bar or (drop.drop(trade.pair) > drop[trade.pair]).any():
            cases["stop_out_caused_by_another_leg"] += 1
        if not own_bar:
            cases["stop_out_of_a_leg_without_a_bar"] += 1
    for leg in arguments["legs"]:
        mine = _rejected(result.notes, str(leg.pair))
        if mine:
            alone = simulate_portfolio([leg], account=arguments["account"],
                                       conversion=arguments["conversion"], engine="compiled")
            if mine > _rejected(alone.notes, str(leg.pair)):
                cases["rejected_by_another_leg"] += 1
            cases["rejected_margin"] += mine
    for note in result.notes:
        if "leg's bars" in note:
            pair = note.split(":")[0]
            cases["cross_rate_trades"] += int((trades["pair"] == pair).sum())
    return cases


def arguments_index(arguments: dict, pair: str) -> pd.DatetimeIndex:
    """The bars' times of the leg of `pair`."""
    return next(leg.bars.index for leg in arguments["legs"] if str(leg.pair) == pair)


def _rejected(notes: list[str], pair: str) -> int:
    for note in notes:
        if note.startswith(f"{pair}: ") and note.endswith("above the free margin"):
            return int(note.split()[1])
    return 0
