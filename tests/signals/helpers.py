"""Bars for the strategy tests: seeded synthetic H1 bars, and the real EURUSD H1 file."""

from __future__ import annotations

import pandas as pd

from fxjudge.data.bars import make_bars
from fxjudge.data.synthetic import synthetic_bars
from tests.conftest import shared_file

EURUSD_H1 = "dukascopy_csv/EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv"


def random_walk_bars(n_bars: int = 1500, seed: int = 7, pair: str = "EURUSD") -> pd.DataFrame:
    """A seeded random walk of H1 bars on the FX calendar (no edge)."""
    return synthetic_bars(pair, timeframe="H1", n_bars=n_bars, seed=seed, start="2021-03-01")


def real_eurusd_h1() -> pd.DataFrame:
    """Dukascopy EURUSD H1 bid bars, 2020-07 to 2023-07 (skips the test when absent)."""
    raw = pd.read_csv(shared_file(EURUSD_H1))
    frame = raw[["Open", "High", "Low", "Close", "Volume"]].set_axis(
        ["open", "high", "low", "close", "volume"], axis=1
    )
    frame.index = pd.to_datetime(raw["Gmt time"], format="%d.%m.%Y %H:%M:%S.%f", utc=True)
    return make_bars(frame, pair="EURUSD", timeframe_name="H1", source="dukascopy_csv")
