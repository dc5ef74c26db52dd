"""Resampling ticks and bars to the FX timeframes.

Bucket alignment: M1 to H1 on the UTC clock; H4, D1 and W1 on the FX day, which starts at 17:00
New York (DST-aware), so D1 runs 17:00 to 17:00 New York and H4 bars open at 17:00, 21:00, 01:00,
05:00, 09:00 and 13:00 New York; W1 opens Sunday 17:00 New York. Bars are labelled by their
open time and only buckets with data exist (no bar is invented for an empty bucket).

From ticks: bid OHLC; volume is the sum of the bid volumes (Dukascopy's own candles do the same)
or, where the source has no volume (all zero), the tick count; ``spread`` is the **mean** of
ask − bid over the bucket's ticks. From bars: first open, highest high, lowest low, last close,
summed volume, mean spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fxjudge.data.bars import Timeframe, make_bars, timeframe
from fxjudge.data.clock import NEW_YORK
from fxjudge.errors import ConfigError

_FX_DAY_SHIFT = pd.Timedelta(hours=7)  # 17:00 New York + 7 h = midnight of the FX day


def bucket_starts(index: pd.DatetimeIndex, tf: Timeframe) -> pd.DatetimeIndex:
    """The UTC open time of the `tf` bar that each time in `index` falls into."""
    if tf.minutes <= 60:
        return index.floor(tf.delta)
    shifted = index.tz_convert(NEW_YORK).tz_localize(None) + _FX_DAY_SHIFT
    if tf.name == "W1":
        starts = shifted.normalize() - pd.to_timedelta(shifted.day_of_week, unit="D")
    else:
        starts = shifted.floor(tf.delta)
    local = (starts - _FX_DAY_SHIFT).tz_localize(
        NEW_YORK, ambiguous=np.ones(len(starts), dtype=bool), nonexistent="shift_forward"
    )
    return local.tz_convert("UTC")


def resample(data: pd.DataFrame, to: str | Timeframe) -> pd.DataFrame:
    """Resample ticks (``bid ask ...``) or bars (``open high low close ...``) to timeframe `to`."""
    tf = timeframe(to)
    is_ticks = "bid" in data.columns
    current = data.attrs.get("timeframe")
    if not is_ticks and current:
        if timeframe(current).minutes > tf.minutes:
            raise ConfigError(
                f"`to` must be a timeframe at least as long as the data's {current}, was {tf.name}"
            )
    if len(data) == 0:
        empty = pd.DataFrame(columns=["open", "high", "low", "close", "volume"], dtype=float)
        empty.index = pd.DatetimeIndex([], tz="UTC")
        return make_bars(empty, pair=data.attrs.get("pair"), timeframe_name=tf.name,
                         source=data.attrs.get("source", ""))
    keys = bucket_starts(data.index, tf).as_unit("ns").asi8
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    if np.any(np.diff(keys) < 0):
        raise ConfigError("`data` must be in time order to be resampled")
    ends = np.r_[starts[1:], len(keys)] - 1
    counts = np.diff(np.r_[starts, len(keys)])
    if is_ticks:
        price = data["bid"].to_numpy()
        volume_source = data["bid_volume"].to_numpy()
        volume = (
            np.add.reduceat(volume_source, starts)
            if np.any(volume_source)
            else counts.astype(np.float64)
        )
        spread = np.add.reduceat((data["ask"] - data["bid"]).to_numpy(), starts) / counts
        out = {
            "open": price[starts],
            "high": np.maximum.reduceat(price, starts),
            "low": np.minimum.reduceat(price, starts),
            "close": price[ends],
            "volume": volume,
            "spread": spread,
        }
    else:
        out = {
            "open": data["open"].to_numpy()[starts],
            "high": np.maximum.reduceat(data["high"].to_numpy(), starts),
            "low": np.minimum.reduceat(data["low"].to_numpy(), starts),
            "close": data["close"].to_numpy()[ends],
            "volume": np.add.reduceat(data["volume"].to_numpy(), starts),
        }
        if "spread" in data:
            out["spread"] = np.add.reduceat(data["spread"].to_numpy(), starts) / counts
    index = pd.DatetimeIndex(keys[starts].view("M8[ns]")).tz_localize("UTC")
    frame = pd.DataFrame(out, index=index)
    bars = make_bars(
        frame,
        pair=data.attrs.get("pair"),
        timeframe_name=tf.name,
        source=data.attrs.get("source", ""),
        price_side=data.attrs.get("price_side", "bid"),
    )
    return bars
