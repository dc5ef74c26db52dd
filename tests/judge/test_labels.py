"""Candidate labels: the reference vector, the shared exit logic, and the engine's own trades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.api import label_costs, resolve_bars
from fxjudge.config import sample_path
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.domain import FxPair
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.errors import ConfigError, ModelError
from fxjudge.judge.labels import (
    LabelCosts,
    bid_prices,
    close_only_labels,
    label_candidates,
    label_horizon,
)
from fxjudge.signals.barriers import SLIPPED_REASONS, barrier_exit
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals
from tests.conftest import REPO, shared_vectors

SAMPLE = sample_path()


def random_signals(bars: pd.DataFrame, count: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = np.zeros(len(bars))
    at = rng.choice(np.arange(20, len(bars)), count, replace=False)
    values[at] = rng.choice([-1.0, 1.0], count)
    values[-1] = 1.0  # a signal on the last bar has no next open: unresolved
    return pd.Series(values, index=bars.index)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_bars("EURUSD", timeframe="M5", n_bars=6000, seed=11)


def test_close_only_triple_barrier_equals_the_reference_vector():
    case = shared_vectors("labels_and_splits.json")["triple_barrier_close_only"]
    out = close_only_labels(
        case["close"], pd.DataFrame(case["events"]),
        profit_take=case["target_return"] * case["profit_take_mult"],
        stop_loss=case["target_return"] * case["stop_loss_mult"], max_bars=case["max_bars"],
    )
    for row, expected in zip(out.itertuples(), case["expected"], strict=True):
        assert row.t0 == expected["t0"]
        if expected["label"] is None:
            assert pd.isna(row.t1) and pd.isna(row.barrier)
            assert np.isnan(row.label) and np.isnan(row._4)
            continue
        assert (row.t1, row.barrier, row.label) == (
            expected["t1"], expected["barrier"], expected["label"])
        assert row._4 == pytest.approx(expected["return"], abs=5e-7)


def test_close_only_levels_are_strict():
    # a return of exactly +4% is not a profit-take (r > 0.04): the time barrier decides
    close = [100.0, 104.0, 104.0, 103.0]
    out = close_only_labels(close, pd.DataFrame({"t0": [0], "side": [1]}), profit_take=0.04,
                            stop_loss=0.02, max_bars=3)
    assert out.loc[0, "barrier"] == "time" and out.loc[0, "return"] == pytest.approx(0.03)


@pytest.mark.parametrize("rules", [
    ExitRules(stop_loss_pips=8, take_profit_pips=16, max_bars=40, on_opposite="ignore"),
    ExitRules(stop_loss_pips=6, on_opposite="ignore"),
    ExitRules(take_profit_atr=2.0, max_bars=25, on_opposite="ignore"),
    ExitRules(stop_loss_atr=1.0, take_profit_atr=1.0, atr_bars=10, on_opposite="ignore"),
], ids=["pips+time", "stop-only", "atr-target+time", "atr-both"])
def test_vectorised_labels_equal_the_shared_exit_logic_one_by_one(bars, rules):
    signals = random_signals(bars, 400, seed=2)
    levels = exit_levels(bars, signals, rules)
    costs = LabelCosts(slippage_pips=0.4)
    labels = label_candidates(bars, signals, levels, rules, costs=costs)
    p = bid_prices(bars, None, 0.0001)
    slip = 0.4 * 0.0001
    for row in labels.itertuples():
        e, side = row.signal_bar + 1, int(row.side)
        if e >= len(bars):
            assert np.isnan(row.label) and pd.isna(row.barrier)
            continue
        fill = p["open"][e] + (p["spread"][e] + slip if side > 0 else -slip)
        stop = fill - side * levels["stop_distance"].iloc[row.signal_bar]
        target = fill + side * levels["target_distance"].iloc[row.signal_bar]
        alone = barrier_exit(side, p["open"], p["high"], p["low"], p["close"], p["spread"],
                             stop, target, entry=e, max_bars=rules.max_bars)
        if alone.reason == "end_of_data":  # still open: no label
            assert np.isnan(row.label) and pd.isna(row.resolve_time) and pd.isna(row.barrier)
            continue
        price = alone.price - side * slip if alone.reason in SLIPPED_REASONS else alone.price
        assert (row.exit_bar, row.barrier, row.same_bar_rule) == (
            alone.index, alone.reason, alone.same_bar_rule)
        assert row.exit_price == pytest.approx(price, abs=1e-12)
        assert row.resolve_time == bars.index[alone.index]
        assert row.return_pips == pytest.approx(side * (price - fill) / 0.0001, abs=1e-8)
        assert row.label == float(row.return_pips > 0)


def non_overlapping(labels: pd.DataFrame) -> pd.DataFrame:
    """Candidates the engine takes alone: each signalled at or after the previous one's exit."""
    chosen, free_from = [], 0
    for row in labels.itertuples():
        if row.signal_bar >= free_from and row.exit_bar >= 0:
            chosen.append(row.Index)
            free_from = row.exit_bar
    return labels.loc[chosen]


def engine_trades(bars, labels, rules, costs: Costs, pair="EURUSD"):
    signals = pd.Series(0.0, index=bars.index)
    signals[labels.index] = labels["side"].astype(float)
    levels = exit_levels(bars, signals, rules, pair)
    run = simulate(bars, signals, levels, pair=pair, rules=rules, costs=costs,
                   account=Account(currency="USD", balance=1e9, stop_out_level=0.0),
                   sizing=Sizing(units=10_000))
    return run.trades


def test_labels_equal_the_engines_trades_for_candidates_it_takes_alone(bars):
    rules = ExitRules(stop_loss_pips=8, take_profit_pips=12, max_bars=600, on_opposite="ignore")
    costs = Costs(slippage_pips=0.3, commission_per_lot=0.7, swap_long_pips=-0.6,
                  swap_short_pips=0.25)
    signals = random_signals(bars, 300, seed=5)
    pair = FxPair.parse("EURUSD")
    spent = label_costs(bars, pair, costs, Account(currency="USD"), None)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, rules), rules,
                              costs=spent)
    alone = non_overlapping(labels)
    trades = engine_trades(bars, alone, rules, costs)
    assert len(trades) == len(alone) > 30
    assert set(trades["exit_reason"]) >= {"stop_loss", "take_profit"}
    assert (trades["swap"] != 0).any()  # some trades are held through a rollover
    assert list(trades["exit_reason"]) == list(alone["barrier"])
    assert list(trades["exit_time"]) == list(alone["resolve_time"])
    assert list(trades["entry_time"]) == list(alone["entry_time"])
    np.testing.assert_allclose(trades["pips"], alone["gross_pips"], atol=1e-8)
    # net in money: one unit's net pips x pip size x units (USD account, quote USD: rate 1)
    np.testing.assert_allclose(trades["net_account"], alone["return_pips"] * 0.0001 * 10_000,
                               atol=1e-8)
    assert list(trades["net_account"] > 0) == list(alone["label"] == 1)


@pytest.mark.parametrize("on_opposite", ["exit", "reverse"])
@pytest.mark.parametrize("max_bars", [None, 30])
def test_labels_end_at_the_opposite_signal_as_the_engines_trades_do(bars, on_opposite, max_bars):
    """Each trade the engine enters from flat is its candidate's label, opposite exits too."""
    rules = ExitRules(stop_loss_pips=12, max_bars=max_bars, on_opposite=on_opposite)
    signals = random_signals(bars, 400, seed=9)
    costs = Costs(slippage_pips=0.3)
    spent = label_costs(bars, FxPair.parse("EURUSD"), costs, Account(currency="USD"), None)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, rules), rules,
                              costs=spent)
    run = simulate(bars, signals, exit_levels(bars, signals, rules), pair="EURUSD", rules=rules,
                   costs=costs, account=Account(currency="USD", balance=1e9, stop_out_level=0.0),
                   sizing=Sizing(units=10_000))
    trades = run.trades
    signal_bars = bars.index.get_indexer(trades["entry_time"]) - 1
    from_flat = trades["exit_reason"] != "end_of_data"
    if on_opposite == "reverse":  # a reversed position starts at a flip, not from flat
        from_flat &= ~trades["entry_time"].isin(trades["exit_time"])
    taken = trades[from_flat]
    label = labels.set_index("signal_bar").loc[signal_bars[from_flat.to_numpy()]]
    assert len(taken) > 30
    assert {"opposite" if on_opposite == "exit" else "reverse", "stop_loss"} <= set(
        taken["exit_reason"])
    assert list(label["barrier"]) == list(taken["exit_reason"])
    assert list(label["resolve_time"]) == list(taken["exit_time"])
    np.testing.assert_allclose(label["gross_pips"], taken["pips"], atol=1e-8)


@pytest.mark.parametrize("rules", [
    ExitRules(stop_loss_pips=10, take_profit_pips=25, trailing_stop_pips=6, max_bars=400,
              on_opposite="ignore"),
    ExitRules(stop_loss_pips=12, trailing_stop_pips=5, trailing_activation_pips=4,
              on_opposite="ignore"),
    ExitRules(stop_loss_pips=10, take_profit_pips=20, break_even_after_pips=6,
              break_even_plus_pips=1, max_bars=400, on_opposite="ignore"),
    ExitRules(trailing_stop_atr=1.5, break_even_after_pips=5, max_bars=300,
              on_opposite="ignore"),
], ids=["trail", "trail-activated", "break-even", "atr-trail+break-even"])
def test_labels_follow_the_engines_moving_stops(bars, rules):
    costs = Costs(slippage_pips=0.3)
    signals = random_signals(bars, 300, seed=7)
    signals.iloc[:20] = 0.0  # the ATR is known from bar 14 on
    spent = label_costs(bars, FxPair.parse("EURUSD"), costs, Account(currency="USD"), None)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, rules), rules,
                              costs=spent)
    alone = non_overlapping(labels)
    trades = engine_trades(bars, alone, rules, costs)
    assert len(trades) == len(alone) > 30
    moved = {"trailing_stop", "break_even"} & set(trades["exit_reason"])
    assert moved, set(trades["exit_reason"])
    assert list(trades["exit_reason"]) == list(alone["barrier"])
    assert list(trades["exit_time"]) == list(alone["resolve_time"])
    np.testing.assert_allclose(trades["exit_price"], alone["exit_price"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(trades["pips"], alone["gross_pips"], atol=1e-8)


def test_labels_equal_the_engine_on_real_ask_bars_with_atr_levels():
    bars = resolve_bars(SAMPLE)
    strategy = load_strategy("ema_atr", {"max_bars": 48, "on_opposite": "ignore"}, project=REPO)
    _, signals = run_signals(strategy, bars)
    rules = strategy.exit_rules
    costs = Costs(spread_pips=0.8, slippage_pips=0.2)
    spent = label_costs(bars, FxPair.parse("EURUSD"), costs, Account(currency="USD"), None)
    labels = label_candidates(bars, signals, exit_levels(bars, signals, rules), rules,
                              costs=spent)
    alone = non_overlapping(labels)
    trades = engine_trades(bars, alone, rules, costs)
    assert len(trades) == len(alone) > 50 and bars.attrs["price_side"] == "ask"
    assert list(trades["exit_reason"]) == list(alone["barrier"])
    np.testing.assert_allclose(trades["pips"], alone["return_pips"], atol=1e-8)


def test_horizon_rule():
    assert label_horizon(ExitRules(max_bars=12)) == 12
    assert label_horizon(ExitRules(stop_loss_pips=10)) is None
    assert label_horizon(ExitRules(), label_max_bars=48) == 48
    assert label_horizon(ExitRules(on_opposite="reverse")) is None  # opposite signals end it
    with pytest.raises(ModelError, match="ignores opposite signals.*label_max_bars"):
        label_horizon(ExitRules(on_opposite="ignore"))
    with pytest.raises(ConfigError, match="its own max_bars"):
        label_horizon(ExitRules(max_bars=12), label_max_bars=48)
    with pytest.raises(ConfigError, match="label_max_bars"):
        label_horizon(ExitRules(), label_max_bars=0)


def test_a_labelling_horizon_closes_candidates_of_a_strategy_without_exits(bars):
    signals = random_signals(bars, 50, seed=3)
    labels = label_candidates(bars, signals, None, ExitRules(on_opposite="ignore"),
                              label_max_bars=24)
    resolved = labels[labels["label"].notna()]
    assert (resolved["barrier"] == "time").all()
    assert (resolved["exit_bar"] - resolved["signal_bar"] == 25).all()  # entry + 24 bars


def test_resolved_labels_do_not_change_when_later_bars_are_cut_off(bars):
    rules = ExitRules(stop_loss_pips=8, take_profit_pips=16)
    signals = random_signals(bars, 300, seed=4)
    full = label_candidates(bars, signals, exit_levels(bars, signals, rules), rules)
    cut = 3000
    part = label_candidates(bars.iloc[:cut], signals.iloc[:cut],
                            exit_levels(bars.iloc[:cut], signals.iloc[:cut], rules), rules)
    known = part["label"].notna()
    pd.testing.assert_frame_equal(part[known], full.loc[part.index[known]])
    assert (full.loc[part.index[~known], "exit_bar"] >= cut - 1).all()


def test_bars_without_spread_need_spread_pips(bars):
    plain = bars.drop(columns="spread")
    signals = random_signals(plain, 5, seed=1)
    with pytest.raises(ConfigError, match="spread_pips"):
        label_candidates(plain, signals, None, ExitRules(max_bars=5))
    labels = label_candidates(plain, signals, None, ExitRules(max_bars=5),
                              costs=LabelCosts(spread_pips=1.0))
    longs = labels[(labels["side"] > 0) & labels["label"].notna()]
    fills = plain["open"].to_numpy()[longs["signal_bar"] + 1] + 0.0001
    np.testing.assert_allclose(longs["entry_price"], fills)
