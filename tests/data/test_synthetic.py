"""The synthetic bar generator: contract, calendar, realism, determinism and the planted edge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.data.bars import TIMEFRAMES, check_bars, infer_timeframe
from fxjudge.data.clock import is_weekend, new_york
from fxjudge.data.synthetic import PlantedEdge, bar_sigma, synthetic_bars
from fxjudge.errors import ConfigError


@pytest.fixture(scope="module")
def m1():
    """Twelve weeks of EURUSD M1 bars, a pure random walk."""
    return synthetic_bars("EURUSD", n_bars=12 * 7200, seed=7)


def ny_hours(bars: pd.DataFrame) -> np.ndarray:
    return new_york(bars.index).hour.to_numpy()


def points(series: pd.Series, decimals: int = 5) -> np.ndarray:
    return np.rint(series.to_numpy() * 10.0**decimals)


# -- contract -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TIMEFRAMES))
def test_contract_holds_for_every_timeframe(name):
    bars = synthetic_bars("EURUSD", n_bars=3000, timeframe=name, seed=1)
    check_bars(bars)
    assert len(bars) == 3000
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "spread"]
    assert all(bars[c].dtype == np.float64 for c in bars.columns)
    assert bars.index.name == "time" and str(bars.index.tz) == "UTC"
    assert bars.attrs["pair"] == "EURUSD"
    assert bars.attrs["timeframe"] == name
    assert bars.attrs["source"] == "synthetic(seed=1)"
    assert bars.attrs["price_side"] == "bid"
    assert infer_timeframe(bars.index).name == name
    assert not is_weekend(bars.index).any()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()


def test_prices_sit_on_the_pair_grid_in_its_range(m1):
    for column in ("open", "high", "low", "close", "spread"):
        values = m1[column].to_numpy() * 1e5
        np.testing.assert_allclose(values, np.rint(values), atol=1e-6)
    assert 0.9 < m1["close"].min() and m1["close"].max() < 1.3
    assert (m1["spread"] >= 1e-5 - 1e-12).all()
    assert (m1["volume"] >= 1).all()
    assert (m1["volume"] == np.rint(m1["volume"])).all()

    jpy = synthetic_bars("USD/JPY", n_bars=5000, seed=3)
    assert jpy.attrs["pair"] == "USDJPY"
    assert 100 < jpy["close"].min() and jpy["close"].max() < 120
    values = jpy["close"].to_numpy() * 1e3
    np.testing.assert_allclose(values, np.rint(values), atol=1e-6)


# -- determinism ----------------------------------------------------------------------------


def test_same_seed_same_frame_other_seed_other_frame():
    a = synthetic_bars("GBPUSD", n_bars=20_000, seed=11)
    b = synthetic_bars("GBPUSD", n_bars=20_000, seed=11)
    c = synthetic_bars("GBPUSD", n_bars=20_000, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs
    assert a.index.equals(c.index)
    assert not np.array_equal(a["close"].to_numpy(), c["close"].to_numpy())
    assert c.attrs["source"] == "synthetic(seed=12)"


def test_a_shorter_series_is_a_prefix_of_a_longer_one():
    short = synthetic_bars(n_bars=5000, seed=5)
    long = synthetic_bars(n_bars=20_000, seed=5)
    pd.testing.assert_frame_equal(short, long.iloc[:5000])


def test_end_is_exclusive_and_start_rounds_up_to_the_grid():
    bars = synthetic_bars(start="2020-01-08 10:03:30", end="2020-01-09 00:00", timeframe="M5")
    assert bars.index[0] == pd.Timestamp("2020-01-08 10:05", tz="UTC")
    assert bars.index[-1] == pd.Timestamp("2020-01-08 23:55", tz="UTC")
    zoned = synthetic_bars(start=pd.Timestamp("2020-01-05 17:00", tz="America/New_York"), n_bars=3)
    assert zoned.index[0] == pd.Timestamp("2020-01-05 22:00", tz="UTC")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_bars": 10, "end": "2020-02-01"},
        {"n_bars": 0},
        {"n_bars": 10, "annual_vol": 0.0},
        {"n_bars": 10, "spread_pips": -1},
        {"n_bars": 10, "seed": -1},
        {"n_bars": 10, "timeframe": "M7"},
        {"n_bars": 10, "pair": "EURXXX"},
        {"start": "2020-01-11", "end": "2020-01-12"},  # a Saturday: the market is closed
        {"start": "2020-01-11", "end": "2020-01-10"},
    ],
)
def test_bad_arguments_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        synthetic_bars(**kwargs)


def test_bad_edge_parameters_are_config_errors():
    with pytest.raises(ConfigError):
        PlantedEdge(sigmas=0)
    with pytest.raises(ConfigError):
        PlantedEdge(horizon=0)


# -- the FX calendar ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "utc_hour"),
    [("2020-01-04", 22), ("2020-07-04", 21), ("2020-02-29", None), ("2020-10-24", None)],
)
def test_weeks_open_sunday_17_new_york_and_close_friday_17(start, utc_hour):
    # Three weeks from a Saturday; the last two span a US DST change (March 8, November 1).
    bars = synthetic_bars(start=start, end=pd.Timestamp(start) + pd.Timedelta(days=21), seed=2)
    assert not is_weekend(bars.index).any()
    ny = new_york(bars.index)
    steps = np.diff(bars.index.asi8)
    first = np.concatenate(([True], steps > 60e9))
    opens = ny[first]
    assert len(opens) == 3
    assert (opens.day_of_week == 6).all() and (opens.hour == 17).all() and (opens.minute == 0).all()
    if utc_hour is not None:
        assert (bars.index[first].hour == utc_hour).all()
    else:  # the UTC opening hour moves with New York's daylight saving
        assert len(set(bars.index[first].hour)) == 2
    last = np.concatenate((steps > 60e9, [True]))
    closes = ny[last]
    assert (
        (closes.day_of_week == 4).all()
        and (closes.hour == 16).all()
        and (closes.minute == 59).all()
    )
    assert len(bars) == 3 * 7200  # no bar missing inside a week


def test_daily_and_h4_bars_follow_the_fx_day():
    d1 = new_york(synthetic_bars(n_bars=600, timeframe="D1").index)
    assert (d1.hour == 17).all() and (d1.minute == 0).all()
    assert set(d1.day_of_week) == {6, 0, 1, 2, 3}
    h4 = new_york(synthetic_bars(n_bars=3000, timeframe="H4").index)
    assert set(h4.hour) == {17, 21, 1, 5, 9, 13}
    w1 = new_york(synthetic_bars(n_bars=120, timeframe="W1").index)
    assert (w1.day_of_week == 6).all() and (w1.hour == 17).all()


def test_prices_gap_over_the_weekend_and_are_continuous_elsewhere(m1):
    opens = m1["open"].to_numpy()[1:]
    prev_close = m1["close"].to_numpy()[:-1]
    weekly = np.diff(m1.index.asi8) > 60e9
    assert weekly.sum() == 11
    np.testing.assert_array_equal(opens[~weekly], prev_close[~weekly])
    gaps_pips = np.abs(opens[weekly] - prev_close[weekly]) / 1e-4
    assert (gaps_pips > 0).sum() >= 9
    assert 3 < gaps_pips.mean() < 60


# -- sessions: volatility, spread, volume ---------------------------------------------------


def test_spread_widens_at_the_rollover(m1):
    ny = new_york(m1.index)
    rollover = (ny.hour == 17) & (ny.minute < 5)
    ten = ny.hour == 10
    assert m1["spread"][rollover].mean() > 3 * m1["spread"][ten].mean()
    assert m1["spread"][ten].mean() / 1e-4 == pytest.approx(0.6, rel=0.15)


def test_volatility_is_highest_in_the_overlap_and_lowest_in_asia(m1):
    ret = np.log(m1["close"] / m1["open"]).to_numpy()
    hour = ny_hours(m1)
    overlap = ret[(hour >= 8) & (hour < 11)].std()
    asia = ret[(hour >= 19) | (hour < 2)].std()
    assert overlap > 2 * asia


def test_returns_match_the_model_volatility(m1):
    sigma = bar_sigma(m1.index, "M1", 0.08)
    z = np.log(m1["close"] / m1["open"]).to_numpy() / sigma
    assert z.std() == pytest.approx(1.0, abs=0.05)
    daily = synthetic_bars(n_bars=2600, timeframe="D1", seed=4)
    returns = np.log(daily["close"] / daily["open"])
    assert returns.std() * np.sqrt(260) == pytest.approx(0.08, rel=0.1)


def test_volume_follows_volatility(m1):
    hour = ny_hours(m1)
    volume = m1["volume"].to_numpy()
    assert volume[(hour >= 8) & (hour < 11)].mean() > 2 * volume[(hour >= 19) | (hour < 2)].mean()
    move = np.abs(m1["close"] - m1["open"]).to_numpy()
    assert np.corrcoef(volume, move)[0, 1] > 0.3


# -- predictability: none without an edge, the planted one with it --------------------------


def test_the_random_walk_has_no_lag1_autocorrelation():
    bars = synthetic_bars(n_bars=300_000, seed=21)
    sigma = bar_sigma(bars.index, "M1", 0.08)
    z = np.log(bars["close"] / bars["open"]).to_numpy() / sigma
    r = np.corrcoef(z[:-1], z[1:])[0, 1]
    assert abs(r) < 3 / np.sqrt(len(z))
    raw = np.diff(points(bars["close"]))  # close to close in points, weekend gaps included
    r_raw = np.corrcoef(raw[:-1], raw[1:])[0, 1]
    assert abs(r_raw) < 4 / np.sqrt(len(raw))


def forward_moves(
    bars: pd.DataFrame, trig: pd.Series, horizon: int, decimals: int = 5
) -> np.ndarray:
    """Signed pips from each trigger's close to the close `horizon` bars later."""
    close = points(bars["close"], decimals) / 10  # pips (a pip is 10 points)
    at = np.flatnonzero(trig.to_numpy())
    at = at[at + horizon < len(bars)]
    return (close[at + horizon] - close[at]) * trig.to_numpy()[at]


def test_without_an_edge_large_bars_predict_nothing():
    edge = PlantedEdge(sigmas=3.0, horizon=10, drift_pips=5.0)
    bars = synthetic_bars(n_bars=300_000, seed=31)
    moves = forward_moves(bars, edge.triggers(bars), edge.horizon)
    assert len(moves) > 1000
    assert abs(moves.mean()) < 3 * moves.std() / np.sqrt(len(moves))


def test_the_planted_edge_is_exactly_the_documented_rule():
    edge = PlantedEdge(sigmas=3.0, horizon=10, drift_pips=5.0)
    plain = synthetic_bars(n_bars=100_000, seed=31)
    planted = synthetic_bars(n_bars=100_000, seed=31, edge=edge)
    check_bars(planted)
    assert (planted["high"] >= planted[["open", "close"]].max(axis=1)).all()
    assert (planted["low"] <= planted[["open", "close"]].min(axis=1)).all()
    # The random draws are shared: the closes differ by the planted shift alone, which the
    # documented rule recomputes from the planted series' own bars.
    trig = edge.triggers(planted).to_numpy()
    at = np.flatnonzero(trig)
    assert len(at) > 200
    assert (np.diff(at) > edge.horizon).all()
    steps = np.diff(np.rint(50 * np.arange(0, edge.horizon + 1) / edge.horizon))
    increments = np.zeros(len(planted) + edge.horizon + 1)
    for i in at:
        increments[i + 1 : i + 1 + edge.horizon] += trig[i] * steps
    expected = np.cumsum(increments[: len(planted)])
    shift = points(planted["close"]) - points(plain["close"])
    np.testing.assert_array_equal(shift, expected)
    np.testing.assert_array_equal(
        points(planted["open"])[1:] - points(plain["open"])[1:], expected[:-1]
    )


def test_the_planted_edge_is_visible_and_learnable():
    edge = PlantedEdge(sigmas=3.0, horizon=10, drift_pips=5.0)
    bars = synthetic_bars(n_bars=300_000, seed=31, edge=edge)
    moves = forward_moves(bars, edge.triggers(bars), edge.horizon)
    error = moves.std() / np.sqrt(len(moves))
    assert moves.mean() > 10 * error  # would fail without the edge (previous test)
    assert moves.mean() == pytest.approx(edge.drift_pips, abs=3 * error)
    assert (moves > 0).mean() > 0.6  # a trade in the trigger's direction mostly wins


def test_the_edge_works_for_other_pairs_and_timeframes():
    edge = PlantedEdge(sigmas=2.5, horizon=3, drift_pips=-20.0)  # a reversal on H1 USDJPY
    bars = synthetic_bars("USDJPY", n_bars=40_000, timeframe="H1", seed=8, edge=edge)
    moves = forward_moves(bars, edge.triggers(bars), edge.horizon, decimals=3)
    error = moves.std() / np.sqrt(len(moves))
    assert moves.mean() == pytest.approx(-20.0, abs=3 * error)
    assert moves.mean() < -5 * error
