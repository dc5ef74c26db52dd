"""The indicator whitelist: causal, NaN warm-ups, and the vectorised ATR/ADX equal to ta's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import ta
from numpy.testing import assert_allclose

from fxjudge.errors import ConfigError
from fxjudge.features import indicators as ind
from fxjudge.features.truncation import assert_causal, truncation_mismatches
from tests.signals.helpers import random_walk_bars, real_eurusd_h1


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return random_walk_bars(n_bars=1200, seed=3)


BAR_SETS = [
    pytest.param(lambda: random_walk_bars(n_bars=3000, seed=11), id="synthetic"),
    pytest.param(real_eurusd_h1, id="real-eurusd-h1", marks=pytest.mark.shared_data),
]


# -- the vectorised ATR and ADX equal ta's loops -----------------------------------------------


@pytest.mark.parametrize("make_bars", BAR_SETS)
@pytest.mark.parametrize("n", [5, 14, 20])
def test_atr_equals_ta_after_its_warm_up_and_is_nan_before(make_bars, n):
    bars = make_bars()
    ours = ind.atr(bars, n)
    theirs = ta.volatility.AverageTrueRange(bars["high"], bars["low"], bars["close"], n)
    theirs = theirs.average_true_range()
    assert_allclose(ours.iloc[n - 1 :], theirs.iloc[n - 1 :], rtol=1e-10, atol=0)
    assert ours.iloc[: n - 1].isna().all()
    assert (theirs.iloc[: n - 1] == 0).all()  # ta's warm-up is 0.0, ours NaN


@pytest.mark.parametrize("make_bars", BAR_SETS)
@pytest.mark.parametrize("n", [5, 14, 20])
def test_adx_and_directional_indicators_equal_ta_after_warm_up(make_bars, n):
    bars = make_bars()
    ours = ind.adx(bars, n)
    theirs = ta.trend.ADXIndicator(bars["high"], bars["low"], bars["close"], n)
    assert_allclose(ours["adx"].iloc[2 * n - 1 :], theirs.adx().iloc[2 * n - 1 :], rtol=1e-9)
    assert_allclose(ours["plus_di"].iloc[n + 1 :], theirs.adx_pos().iloc[n + 1 :], rtol=1e-9)
    assert_allclose(ours["minus_di"].iloc[n + 1 :], theirs.adx_neg().iloc[n + 1 :], rtol=1e-9)
    # The documented warm-up difference: NaN where ta writes 0.0, and a value at DI's bar n.
    assert ours["adx"].iloc[: 2 * n - 1].isna().all()
    assert (theirs.adx().iloc[: 2 * n - 1] == 0).all()
    assert ours["plus_di"].iloc[:n].isna().all() and ours["plus_di"].iloc[n:].notna().all()
    assert theirs.adx_pos().iloc[n] == 0


def test_true_range_uses_the_previous_close_and_high_minus_low_on_the_first_bar():
    index = pd.date_range("2024-01-02", periods=3, freq="h", tz="UTC", name="time")
    bars = pd.DataFrame(
        {"high": [1.2, 1.5, 1.1], "low": [1.0, 1.4, 1.0], "close": [1.1, 1.45, 1.05]}, index=index
    )
    assert ind.true_range(bars).tolist() == pytest.approx([0.2, 0.4, 0.45])


def test_adx_of_a_flat_market_is_zero_not_nan():
    index = pd.date_range("2024-01-02", periods=40, freq="h", tz="UTC", name="time")
    flat = pd.DataFrame({"high": 1.1, "low": 1.1, "close": 1.1}, index=index)
    found = ind.adx(flat, 5)
    assert (found.iloc[9:] == 0).all().all()


# -- the ta-backed wrappers ------------------------------------------------------------------


def test_wrappers_give_the_textbook_values(bars):
    close = bars["close"]
    assert_allclose(ind.sma(close, 10), close.rolling(10).mean(), rtol=1e-12)
    expected_ema = close.ewm(span=10, adjust=False).mean().where(np.arange(len(close)) >= 9)
    assert_allclose(ind.ema(close, 10), expected_ema, rtol=1e-12)
    bands = ind.bollinger(close, 20, 2.0)
    std = close.rolling(20).std(ddof=0)
    assert_allclose(bands["upper"], close.rolling(20).mean() + 2 * std, rtol=1e-12)
    found = ind.macd(close, 12, 26, 9)
    assert_allclose(found["hist"], found["line"] - found["signal"], rtol=1e-12, atol=1e-15)
    rsi = ind.rsi(close, 14)
    assert ((rsi.dropna() >= 0) & (rsi.dropna() <= 100)).all()


def test_donchian_excludes_the_current_bar(bars):
    channel = ind.donchian(bars, 20)
    t = 500
    assert channel["upper"].iloc[t] == bars["high"].iloc[t - 20 : t].max()
    assert channel["lower"].iloc[t] == bars["low"].iloc[t - 20 : t].min()
    # So a bar's own high can exceed the channel: that is the breakout.
    assert (bars["high"] > channel["upper"]).any()


@pytest.mark.parametrize(
    ("name", "compute", "first_known"),
    [
        ("sma", lambda b: ind.sma(b["close"], 10), 9),
        ("ema", lambda b: ind.ema(b["close"], 10), 9),
        ("rsi", lambda b: ind.rsi(b["close"], 14), 13),
        ("macd line", lambda b: ind.macd(b["close"], 12, 26, 9)["line"], 25),
        ("macd signal", lambda b: ind.macd(b["close"], 12, 26, 9)["signal"], 33),
        ("bollinger", lambda b: ind.bollinger(b["close"], 20)["lower"], 19),
        ("donchian", lambda b: ind.donchian(b, 20)["upper"], 20),
        ("atr", lambda b: ind.atr(b, 14), 13),
        ("adx", lambda b: ind.adx(b, 14)["adx"], 27),
    ],
)
def test_warm_up_is_nan_never_filled(bars, name, compute, first_known):
    values = compute(bars)
    assert values.iloc[:first_known].isna().all(), name
    assert values.iloc[first_known:].notna().all(), name


# -- causality: every indicator passes the truncation check; cheats fail it ----------------------

INDICATORS = {
    "sma": lambda b: ind.sma(b["close"], 10),
    "ema": lambda b: ind.ema(b["close"], 10),
    "rsi": lambda b: ind.rsi(b["close"], 14),
    "macd": lambda b: ind.macd(b["close"]),
    "bollinger": lambda b: ind.bollinger(b["close"]),
    "donchian": lambda b: ind.donchian(b, 20),
    "true_range": ind.true_range,
    "atr": lambda b: ind.atr(b, 14),
    "adx": lambda b: ind.adx(b, 14),
}


@pytest.mark.parametrize("name", INDICATORS)
def test_every_indicator_passes_the_truncation_check(bars, name):
    assert_causal(INDICATORS[name], bars, name=name)


@pytest.mark.parametrize(
    "cheat",
    [
        lambda b: b["close"].shift(-1),
        lambda b: b["close"].rolling(5, center=True).mean(),
        lambda b: b["close"].rolling(10).mean().bfill(),
        lambda b: (b["close"] - b["close"].mean()) / b["close"].std(),
        # Why these are banned: ta's fillna=True back-fills some warm-ups from later bars, and
        # Ichimoku's visual=True shifts its cloud back in time.
        lambda b: ta.trend.KSTIndicator(b["close"], fillna=True).kst(),
        lambda b: ta.trend.IchimokuIndicator(b["high"], b["low"], visual=True).ichimoku_a(),
    ],
    ids=["shift(-1)", "centred", "bfill", "z-score", "ta fillna=True", "ta ichimoku visual"],
)
def test_the_truncation_check_catches_lookahead(bars, cheat):
    assert truncation_mismatches(cheat, bars)
    with pytest.raises(AssertionError, match="looks ahead"):
        assert_causal(cheat, bars)


def test_indicators_do_not_change_their_input(bars):
    before = bars.copy(deep=True)
    for compute in INDICATORS.values():
        compute(bars)
    pd.testing.assert_frame_equal(bars, before)


@pytest.mark.parametrize("window", [0, -3, 2.5, "14", True])
def test_a_bad_window_is_a_config_error_in_the_house_grammar(bars, window):
    with pytest.raises(ConfigError, match=r"^`window_bars` must be an int >= 1, was "):
        ind.atr(bars, window)


def test_a_memo_reuses_the_indicators_of_the_bars_columns_only():
    from fxjudge.data.synthetic import synthetic_bars

    bars = synthetic_bars("EURUSD", n_bars=3000, seed=2)
    memo = ind.Memo(bars)
    plain = ind.sma(bars["close"], 20), ind.atr(bars, 14)
    with ind.reusing(memo):
        first = ind.sma(bars["close"], 20)
        first.iloc[:] = 0.0  # a caller changing what it got back changes nothing kept
        again, atr = ind.sma(bars["close"], 20), ind.atr(bars, 14)
        derived = ind.sma(bars["close"] * 2, 20)  # not a column of the bars: never kept
    pd.testing.assert_series_equal(again, plain[0])
    pd.testing.assert_series_equal(atr, plain[1])
    pd.testing.assert_series_equal(derived, ind.sma(bars["close"] * 2, 20))
    assert {key[:2] for key in memo.results} == {("sma", "close"), ("atr", "bars"),
                                                 ("true_range", "bars")}
    other = bars.copy()  # another frame with equal values is not the memo's bars
    with ind.reusing(memo):
        ind.sma(other["close"], 30)
    assert len(memo.results) == 3
