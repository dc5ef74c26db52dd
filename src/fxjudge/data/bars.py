"""The canonical frames every stage after `data` relies on (docs/architecture.md).

Bars: a pandas DataFrame indexed by a tz-aware UTC `DatetimeIndex` named ``time`` holding each
bar's **open** time, strictly increasing; float64 columns ``open high low close`` (bid prices) and
``volume`` (0 where the source has none); optional ``spread`` (ask − bid in price units, per bar).
``attrs`` carries ``pair`` (symbol), ``timeframe`` and ``source``; ``price_side`` is ``"bid"``
unless the source gave ask prices (the bundled sample), which the engine then turns into bid.

Ticks: the same index (each tick's time, non-decreasing), float64 columns ``bid ask bid_volume
ask_volume``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.errors import ConfigError, DataError

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
TICK_COLUMNS = ("bid", "ask", "bid_volume", "ask_volume")


@dataclass(frozen=True)
class Timeframe:
    """A bar length. `minutes` is the nominal length; D1 and W1 follow the FX day (17:00 NY)."""

    name: str
    minutes: int

    @property
    def delta(self) -> pd.Timedelta:
        """The nominal bar length."""
        return pd.Timedelta(minutes=self.minutes)


TIMEFRAMES = {
    tf.name: tf
    for tf in (
        Timeframe("M1", 1),
        Timeframe("M5", 5),
        Timeframe("M15", 15),
        Timeframe("M30", 30),
        Timeframe("H1", 60),
        Timeframe("H4", 240),
        Timeframe("D1", 1440),
        Timeframe("W1", 10080),
    )
}


def timeframe(name: str | Timeframe) -> Timeframe:
    """Look up a timeframe by name (``M1``, ``h1``, ``D1`` ...)."""
    if isinstance(name, Timeframe):
        return name
    key = str(name).strip().upper()
    if key not in TIMEFRAMES:
        raise ConfigError(
            f"`timeframe` must be one of {', '.join(TIMEFRAMES)}, was {name!r}"
        )
    return TIMEFRAMES[key]


def timeframe_from_minutes(minutes: float) -> Timeframe | None:
    """The timeframe whose nominal length is `minutes`, or None."""
    for tf in TIMEFRAMES.values():
        if tf.minutes == minutes:
            return tf
    return None


def infer_timeframe(index: pd.DatetimeIndex) -> Timeframe | None:
    """The timeframe of bars from the most common spacing of their open times (None if unclear)."""
    if len(index) < 2:
        return None
    steps = np.diff(index.as_unit("ns").asi8)
    steps = steps[steps > 0]
    if len(steps) == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return timeframe_from_minutes(values[np.argmax(counts)] / 60e9)


def bar_ends(index: pd.DatetimeIndex, name: str | None) -> np.ndarray:
    """Close time (int64 ns) of each bar: open + its timeframe, but never after the next bar's
    open (a W1 bar across a DST change); with no known timeframe, the next bar's open."""
    frame = timeframe(name) if name else infer_timeframe(index)
    starts = index.as_unit("ns").asi8
    following = np.append(starts[1:], np.iinfo(np.int64).max)
    if frame is not None:
        return np.minimum(starts + frame.delta.value, following)
    if len(starts) < 2:
        raise ConfigError("lower bars need main bars with a known timeframe to align to")
    return np.append(starts[1:], starts[-1] + (starts[-1] - starts[-2]))


def check_bars(bars: pd.DataFrame, *, name: str = "bars") -> None:
    """Raise `DataError` unless `bars` meets the Bars contract above."""
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or str(index.tz) != "UTC":
        raise DataError(
            f"{name} must have a tz-aware UTC DatetimeIndex, got {type(index).__name__}"
        )
    if index.unit != "ns":
        raise DataError(f"{name}: the index must have nanosecond resolution, was {index.unit!r}")
    if index.name != "time":
        raise DataError(f"{name}: the index must be named 'time', was {index.name!r}")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise DataError(f"{name}: bar times must be strictly increasing without duplicates")
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(f"{name}: missing columns {missing}")
    for column in (*BAR_COLUMNS, *(["spread"] if "spread" in bars.columns else [])):
        if bars[column].dtype != np.float64:
            raise DataError(f"{name}: column {column!r} must be float64, was {bars[column].dtype}")


def conform_bars(frame: pd.DataFrame, *, name: str = "bars") -> pd.DataFrame:
    """A user's frame as `Bars`, converted where that is unambiguous; never changed in place.

    Converted: an index of another resolution (pandas 3 makes ``datetime64[us]`` by default) or
    another time zone, an index not named ``time``, price columns that are not float64, and a
    missing ``volume`` (0). Refused with the fix: an index that is not times, or naive times
    (whose clock only the user knows). Everything else is `check_bars`'.
    """
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"{name} must be indexed by the bars' open times (a DatetimeIndex), had "
                        f"a {type(index).__name__}",
                        fix="set it with bars.set_index('time') or pd.to_datetime(...)")
    if index.tz is None:
        raise DataError(f"{name} have naive times: their clock is unknown",
                        fix="say it, e.g. bars.index = bars.index.tz_localize('UTC') (or the "
                            "broker's zone, then .tz_convert('UTC'))")
    bars = frame.copy(deep=False)
    bars.index = pd.DatetimeIndex(index.tz_convert("UTC").as_unit("ns"), name="time")
    if "volume" not in bars.columns:
        bars["volume"] = 0.0
    for column in (*BAR_COLUMNS, *(["spread"] if "spread" in bars.columns else [])):
        if column in bars.columns and bars[column].dtype != np.float64:
            try:
                bars[column] = bars[column].astype(np.float64)
            except (TypeError, ValueError):
                raise DataError(f"{name}: column {column!r} is not numeric "
                                f"({bars[column].dtype})", fix="convert it to numbers") from None
    bars.attrs = dict(frame.attrs)
    check_bars(bars, name=name)
    return bars


def make_bars(
    frame: pd.DataFrame,
    *,
    pair: str | None,
    timeframe_name: str | None,
    source: str,
    price_side: str = "bid",
) -> pd.DataFrame:
    """Cast a clean, UTC-indexed frame to the Bars contract and set its attrs."""
    columns = [*BAR_COLUMNS, *(["spread"] if "spread" in frame.columns else [])]
    bars = frame.loc[:, columns].astype(np.float64)
    bars.index = pd.DatetimeIndex(bars.index, name="time").tz_convert("UTC").as_unit("ns")
    bars.attrs = {
        "pair": pair,
        "timeframe": timeframe_name,
        "source": source,
        "price_side": price_side,
    }
    check_bars(bars)
    return bars


def make_ticks(frame: pd.DataFrame, *, pair: str | None, source: str) -> pd.DataFrame:
    """Cast a clean, UTC-indexed tick frame to the Ticks contract and set its attrs."""
    ticks = frame.loc[:, list(TICK_COLUMNS)].astype(np.float64)
    ticks.index = pd.DatetimeIndex(ticks.index, name="time").tz_convert("UTC").as_unit("ns")
    ticks.attrs = {"pair": pair, "timeframe": "tick", "source": source, "price_side": "bid"}
    return ticks


def fingerprint(bars: pd.DataFrame) -> str:
    """A short hash of the bars' times and prices: the same data gives the same fingerprint."""
    digest = hashlib.sha256(bars.index.as_unit("ns").asi8.tobytes())
    digest.update(np.ascontiguousarray(bars[["open", "high", "low", "close"]].to_numpy()).tobytes())
    return digest.hexdigest()[:16]
