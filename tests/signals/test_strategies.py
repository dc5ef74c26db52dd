"""Every bundled strategy: valid, pure, causal (the truncation test), signals on real data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from fxjudge.errors import ConfigError
from fxjudge.features import indicators as ind
from fxjudge.features.truncation import assert_causal
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import list_strategies, load_strategy
from fxjudge.signals.strategy import Strategy, crosses_above, crosses_below, entries, run_signals
from tests.conftest import REPO
from tests.signals.helpers import random_walk_bars, real_eurusd_h1

BUNDLED = [
    "bollinger_reversion",
    "donchian_breakout",
    "ema_atr",
    "macd_trend",
    "rsi_reversion",
    "session_breakout",
    "sma_cross",
]
VARIANTS = [pytest.param(name, {}, id=name) for name in BUNDLED] + [
    pytest.param("session_breakout", {"session": "tokyo"}, id="session_breakout-tokyo"),
    pytest.param("macd_trend", {"zero_line_filter": True}, id="macd_trend-zero-line"),
]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return random_walk_bars(n_bars=1500, seed=7)


@pytest.fixture(scope="module")
def real_bars() -> pd.DataFrame:
    return real_eurusd_h1()


def check_causal(strategy: Strategy, bars: pd.DataFrame) -> None:
    """THE truncation test: features, signals and exit levels at bar t are unchanged when the
    bars after t are cut off."""
    assert_causal(strategy.features, bars, name=f"{strategy!r}.features")
    assert_causal(lambda b: run_signals(strategy, b)[1], bars, name=f"{strategy!r}.signals")

    def levels(part: pd.DataFrame) -> pd.DataFrame:
        return exit_levels(part, run_signals(strategy, part)[1], strategy.exit_rules)

    assert_causal(levels, bars, name=f"{strategy!r} exit levels")


def test_the_bundled_strategies_are_listed_with_a_summary_and_defaults():
    found = {info.name: info for info in list_strategies(REPO)}
    assert sorted(found) == BUNDLED
    for info in found.values():
        assert info.summary and info.params, info.name
        assert info.cls.__doc__.count("\n") > 3, f"{info.name}: explain the idea and parameters"


@pytest.mark.parametrize(("name", "params"), VARIANTS)
def test_signals_are_valid_pure_and_zero_in_the_warm_up(bars, name, params):
    strategy = load_strategy(name, params, project=REPO)
    before = bars.copy(deep=True)
    features, signals = run_signals(strategy, bars)
    pd.testing.assert_frame_equal(bars, before)
    assert bars.attrs == before.attrs
    assert set(np.unique(signals)) <= {-1, 0, 1}
    assert (signals.iloc[: strategy.warmup_bars] == 0).all()
    assert (signals != 0).any(), "a random walk crosses everything sometimes"
    assert features.index.equals(bars.index)


@pytest.mark.parametrize(("name", "params"), VARIANTS)
def test_truncation_features_and_signals_never_look_ahead(bars, name, params):
    check_causal(load_strategy(name, params, project=REPO), bars)


class PeeksAhead(Strategy):
    """A planted cheat: buys when the next close is higher (``close.shift(-1)``)."""

    @dataclass(frozen=True)
    class Params:
        fast_bars: int = 5

    @property
    def warmup_bars(self) -> int:
        return self.params.fast_bars

    def features(self, bars):
        close = bars["close"]
        return pd.DataFrame({"sma": ind.sma(close, self.params.fast_bars), "next": close.shift(-1)})

    def signals(self, bars, features):
        ahead, now = features["next"], bars["close"]
        return entries(ahead > now, ahead < now, self.warmup_bars)


class HonestFeaturesCheatingSignals(PeeksAhead):
    """A subtler cheat: causal features, but the signal compares with the next bar's SMA."""

    def features(self, bars):
        return pd.DataFrame({"sma": ind.sma(bars["close"], self.params.fast_bars)})

    def signals(self, bars, features):
        ahead = features["sma"].shift(-1)
        sma = features["sma"]
        return entries(crosses_above(ahead, sma), crosses_below(ahead, sma), self.warmup_bars)


@pytest.mark.parametrize("cheat", [PeeksAhead, HonestFeaturesCheatingSignals])
def test_the_truncation_test_catches_a_planted_cheating_strategy(bars, cheat):
    strategy = cheat()
    run_signals(strategy, bars)  # its output is well formed: only the truncation test sees it
    with pytest.raises(AssertionError, match="looks ahead"):
        check_causal(strategy, bars)


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "params"), VARIANTS)
def test_every_strategy_signals_both_ways_on_real_eurusd_h1(real_bars, name, params):
    strategy = load_strategy(name, params, project=REPO)
    _, signals = run_signals(strategy, real_bars)
    assert (signals == 1).sum() >= 20 and (signals == -1).sum() >= 20
    levels = exit_levels(real_bars, signals, strategy.exit_rules)
    rules = strategy.exit_rules
    if rules.has_stop:
        assert (levels.loc[signals != 0, "stop_distance"] > 0).all()
    assert levels.loc[signals == 0].isna().all().all()


# -- the session breakout: session clocks, DST, and the range known only after its window --------


def _session_bars(day: str, hours: int = 24) -> pd.DataFrame:
    """Flat H1 bars through one UTC day, with a spike to mark chosen hours."""
    index = pd.date_range(day, periods=hours, freq="h", tz="UTC", name="time").as_unit("ns")
    bars = pd.DataFrame(1.10, index=index, columns=["open", "high", "low", "close"])
    bars["volume"] = 0.0
    bars.attrs = {"pair": "EURUSD", "timeframe": "H1", "source": "test"}
    return bars


@pytest.mark.parametrize(
    ("day", "session", "range_hour_utc"),
    [
        ("2023-07-12", "london", 7),  # British summer time: 08:00 London is 07:00 UTC
        ("2023-01-11", "london", 8),  # winter: 08:00 London is 08:00 UTC
        ("2023-07-12", "tokyo", 0),  # Japan keeps no DST: 09:00 Tokyo is 00:00 UTC
        ("2023-01-11", "tokyo", 0),
    ],
)
def test_session_range_is_in_the_session_clock_and_known_only_after_it(
    day, session, range_hour_utc
):
    bars = _session_bars(day)
    bars.iloc[range_hour_utc, bars.columns.get_loc("high")] = 1.1050  # the range's high
    bars.iloc[range_hour_utc + 3, bars.columns.get_loc("close")] = 1.1060  # the breakout
    bars.iloc[range_hour_utc + 3, bars.columns.get_loc("high")] = 1.1060
    strategy = load_strategy("session_breakout", {"session": session, "atr_bars": 1}, project=REPO)
    features, signals = run_signals(strategy, bars)
    range_high = features["range_high"]
    assert range_high.iloc[: range_hour_utc + 1].isna().all(), "unknown until the window closes"
    assert range_high.iloc[range_hour_utc + 1] == 1.1050
    assert signals[signals != 0].index.hour.tolist() == [range_hour_utc + 3]
    assert signals.iloc[range_hour_utc + 3] == 1


def test_session_breakout_takes_the_first_breakout_of_the_day_only():
    bars = _session_bars("2023-01-11")
    close = bars.columns.get_loc("close")
    bars.iloc[8, bars.columns.get_loc("low")] = 1.0950
    bars.iloc[10, close] = 1.0940  # first: below the range
    bars.iloc[11, close] = 1.1100  # later, above: ignored
    bars["low"] = bars[["low", "close"]].min(axis=1)
    bars["high"] = bars[["high", "close"]].max(axis=1)
    strategy = load_strategy("session_breakout", {"atr_bars": 1}, project=REPO)
    _, signals = run_signals(strategy, bars)
    assert signals[signals != 0].to_dict() == {bars.index[10]: -1}


def test_session_breakout_refuses_bars_longer_than_its_range():
    bars = _session_bars("2023-01-11")
    strategy = load_strategy("session_breakout", {"range_minutes": 30}, project=REPO)
    with pytest.raises(ConfigError, match=r"`range_minutes` must be >= the bar length \(60"):
        strategy.features(bars)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sma_cross", {"fast_bars": 30, "slow_bars": 10}, "`slow_bars` must be > fast_bars (30)"),
        ("rsi_reversion", {"oversold_level": 80.0}, "`oversold_level` must be between 0"),
        ("session_breakout", {"trade_minutes": 2000}, "`trade_minutes` must be <= 900"),
        ("bollinger_reversion", {"width_std": 0.0}, "`width_std` must be > 0, was 0.0"),
    ],
)
def test_bundled_params_check_their_meaning(name, params, message):
    with pytest.raises(ConfigError) as caught:
        load_strategy(name, params, project=REPO)
    assert str(caught.value).startswith(message)
