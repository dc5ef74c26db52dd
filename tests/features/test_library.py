"""The judge's feature library: causal on every column, NaN warm-ups, DST-aware sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.data.bars import make_bars
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.errors import ConfigError
from fxjudge.features import indicators as ind
from fxjudge.features.library import DIRECTIONAL, GROUPS, bar_features, judge_features
from fxjudge.features.truncation import assert_causal, truncation_positions


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_bars("USDJPY", timeframe="M15", n_bars=1500, seed=5)


def signals_of(bars: pd.DataFrame) -> pd.Series:
    body = bars["close"] - bars["open"]
    big = (body.abs() > 1.5 * body.abs().rolling(50).mean().shift(1)).to_numpy()
    return pd.Series(np.where(big, np.sign(body), 0.0), index=bars.index)


def test_every_library_feature_passes_the_truncation_test(bars):
    full = bar_features(bars)
    leaking = set()
    for t in truncation_positions(len(bars), count=30):
        cut = bar_features(bars.iloc[: t + 1]).iloc[t]
        leaking |= {name for name in full.columns
                    if not pd.Series([cut[name]]).equals(pd.Series([full[name].iloc[t]]))}
    assert leaking == set()
    assert len(full.columns) == 28


def test_judge_features_pass_the_truncation_test_with_strategy_features(bars):
    def at_signals(b: pd.DataFrame) -> pd.DataFrame:
        strategy = pd.DataFrame({"rsi7": ind.rsi(b["close"], 7), "up": b["close"] > b["open"]})
        frame = judge_features(b, signals_of(b), strategy)
        return frame.reindex(b.index)  # rows at the signal bars, NaN elsewhere

    assert_causal(at_signals, bars, truncation_positions(len(bars), count=25))


def test_a_leaking_feature_fails_the_same_check(bars):
    def leaky(b: pd.DataFrame) -> pd.DataFrame:
        frame = bar_features(b)
        frame["next_close"] = b["close"].shift(-1)
        return frame

    with pytest.raises(AssertionError, match="looks ahead"):
        assert_causal(leaky, bars, truncation_positions(len(bars), count=10))


def test_warm_ups_stay_nan_never_back_filled(bars):
    features = bar_features(bars)
    assert features["dist_sma200_atr"].iloc[:199].isna().all()
    assert features["dist_sma200_atr"].iloc[199:].notna().all()
    assert features["atr_ratio"].iloc[:99].isna().all() and features["rsi"].iloc[13:].notna().all()
    assert features["hour_sin"].notna().all() and features["spread_pips"].notna().all()
    assert np.isfinite(features.to_numpy()[~np.isnan(features.to_numpy())]).all()


def test_columns_side_and_strategy_features(bars):
    signals = signals_of(bars)
    strategy = pd.DataFrame({"fast": bars["close"].rolling(5).mean(), "label": "x"},
                            index=bars.index)
    frame = judge_features(bars, signals, strategy)
    assert frame.index.equals(bars.index[signals.to_numpy() != 0])
    assert list(frame.columns[-2:]) == ["side", "strategy_fast"]  # text columns left out
    assert set(frame["side"]) == {-1.0, 1.0}
    assert (frame["side"] == signals[frame.index]).all()
    assert frame["spread_pips"].iloc[0] == pytest.approx(
        bars.loc[frame.index[0], "spread"] / 0.01)


def hour_bars(times: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex(times, tz="UTC")
    frame = pd.DataFrame({"open": 1.1, "high": 1.1, "low": 1.1, "close": 1.1, "volume": 0.0,
                          "spread": 0.0001}, index=index)
    return make_bars(frame, pair="EURUSD", timeframe_name="H1", source="hand")


def test_sessions_follow_daylight_saving_time():
    # an H1 bar is decided at its close: the bar opening at 06:00 UTC at 07:00 UTC
    winter = bar_features(hour_bars(["2024-01-10 06:00", "2024-01-10 11:00", "2024-01-10 12:00",
                                     "2024-01-10 23:00", "2024-01-12 22:00"]))
    summer = bar_features(hour_bars(["2024-07-10 06:00", "2024-07-10 11:00"]))
    # 07:00 UTC: 07:00 in London in winter (closed), 08:00 BST in summer (open)
    assert (winter["london"].iloc[0], summer["london"].iloc[0]) == (0.0, 1.0)
    # 12:00 UTC: 07:00 in New York in winter (closed), 08:00 EDT in summer (open); 13:00 UTC
    # is 08:00 EST in winter (open)
    assert (winter["new_york"].iloc[1], summer["new_york"].iloc[1]) == (0.0, 1.0)
    assert winter["new_york"].iloc[2] == 1.0
    # Tokyo has no DST: 00:00 UTC is 09:00 in Tokyo (open); Saturday morning there: closed
    assert list(winter["tokyo"].iloc[3:]) == [1.0, 0.0]


def test_cyclic_time_features():
    frame = bar_features(hour_bars(["2024-01-10 05:00", "2024-01-10 17:00"]))
    np.testing.assert_allclose(frame["hour_sin"], [1.0, -1.0], atol=1e-12)  # 06:00, 18:00
    np.testing.assert_allclose(frame["hour_cos"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(frame["weekday_sin"], np.sin(2 * np.pi * 2 / 7))  # Wednesday


def test_spread_needs_a_column_or_spread_pips(bars):
    plain = bars.drop(columns="spread")
    with pytest.raises(ConfigError, match="spread_pips"):
        bar_features(plain)
    frame = bar_features(plain, spread_pips=0.9)
    assert (frame["spread_pips"] == 0.9).all()
    with pytest.raises(ConfigError, match="bars' index"):
        judge_features(bars, signals_of(bars).iloc[1:])


def test_oriented_features_are_value_times_side_on_a_hand_case():
    times = pd.date_range("2024-01-10 00:00", periods=30, freq="h", tz="UTC")
    close = 1.1 + 0.001 * np.arange(30)
    frame = pd.DataFrame({"open": close - 0.0005, "high": close + 0.0002, "low": close - 0.0007,
                          "close": close, "volume": 0.0, "spread": 0.0001}, index=times)
    bars = make_bars(frame, pair="EURUSD", timeframe_name="H1", source="hand")
    signals = pd.Series(0.0, index=times)
    signals.iloc[[25, 27]] = [1.0, -1.0]
    X = judge_features(bars, signals)
    raw = bar_features(bars).iloc[[25, 27]]
    atr = ind.atr(bars, 14).iloc[[25, 27]].to_numpy() / 0.0001  # in pips
    # each close 10 pips above the last, each body +5 pips: up, good for the buy, bad for the sell
    assert raw["ret5_atr"].to_numpy() * atr == pytest.approx([50, 50])
    assert X["ret5_atr_x_side"].to_numpy() * atr == pytest.approx([50, -50])
    assert X["body_atr_x_side"].to_numpy() * atr == pytest.approx([5, -5])
    assert X["dist_high20_atr_x_side"].to_numpy() * atr == pytest.approx([-2, 2])
    assert X["rsi_x_side"].tolist() == pytest.approx([raw["rsi"].iloc[0] - 50,
                                                      50 - raw["rsi"].iloc[1]])
    assert {f"{name}_x_side" for name in DIRECTIONAL} <= set(X.columns)
    for name in ("hour_sin", "hour_cos", "tokyo", "london", "new_york"):  # calendar x side
        assert X[f"{name}_x_side"].tolist() == pytest.approx(raw[name].to_numpy() * [1, -1])
        assert name in X.columns  # the raw calendar stays: an hour matters to both sides
    assert "ret5_atr" not in X.columns  # the raw directional ones are replaced by their twins
    assert not any(c.startswith(("atr", "vol", "spread", "adx", "weekday"))
                   and c.endswith("_x_side") for c in X.columns)  # no side in these


def test_oriented_features_pass_the_truncation_test(bars):
    def oriented_at_signals(b: pd.DataFrame) -> pd.DataFrame:
        frame = judge_features(b, signals_of(b), features=["*_x_side"])
        return frame.reindex(b.index)

    assert_causal(oriented_at_signals, bars, truncation_positions(len(bars), count=25))


def test_the_feature_set_chooses_the_columns(bars):
    signals = signals_of(bars)
    strategy = pd.DataFrame({"fast": bars["close"].rolling(5).mean()}, index=bars.index)
    every = judge_features(bars, signals, strategy)
    assert list(every.columns[-2:]) == ["side", "strategy_fast"]
    own = judge_features(bars, signals, strategy, features="strategy")
    assert list(own.columns) == ["side", "strategy_fast"]
    picked = judge_features(bars, signals, strategy, features=["ret*_x_side", "hour_sin"])
    assert list(picked.columns) == ["hour_sin", "ret5_atr_x_side", "ret20_atr_x_side", "side",
                                    "strategy_fast"]
    assert "ret5_atr" not in every and "ret5_atr_x_side" in every  # the default: oriented
    assert list(judge_features(bars, signals, features="rsi,adx").columns) == [
        "rsi", "adx", "side"]
    with pytest.raises(ConfigError, match="unknown feature `ret_5_atr`; did you mean `ret5_atr`"):
        judge_features(bars, signals, features=["ret_5_atr"])
    with pytest.raises(ConfigError, match="did you mean `library`"):
        judge_features(bars, signals, features="libary")
    with pytest.raises(ConfigError, match="`features` must be"):
        judge_features(bars, signals, features=[])


def test_feature_groups_name_library_columns(bars):
    X = judge_features(bars, signals_of(bars), features=["*"])
    for members in GROUPS.values():
        assert set(members) <= set(X.columns)
