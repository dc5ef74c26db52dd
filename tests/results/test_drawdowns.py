"""The compiled drawdown passes give numpy's figures to the bit, on random curves with ties,
flat stretches, new highs and never-recovered falls (the numpy versions are written here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fxjudge.results import drawdowns, metrics


def numpy_falls(values: np.ndarray) -> tuple[float, float, float, float]:
    peaks = np.maximum.accumulate(values)
    falls = peaks - values
    money, relative = int(np.argmax(falls)), int(np.argmax(falls / peaks))
    return falls[money], peaks[money], falls[relative], peaks[relative]


def numpy_longest(values: np.ndarray, times: np.ndarray) -> int:
    peaks = np.maximum.accumulate(values)
    at_peak = values >= peaks
    peak_times = np.maximum.accumulate(np.where(at_peak, times, np.iinfo(np.int64).min))
    previous_peak_time = np.r_[times[0], peak_times[:-1]]
    recovers = at_peak & np.r_[False, ~at_peak[:-1]]
    ends = np.where(recovers, times - previous_peak_time, 0)
    under = np.where(~at_peak, times - peak_times, 0)
    return max(int(ends.max()), int(under.max()))


#: equity-like curves: a few levels (so that ties and returns to a peak happen), positive
curves = st.lists(st.sampled_from([90.0, 95.5, 100.0, 100.0 + 1e-12, 104.25, 120.0, 0.1]),
                  min_size=1, max_size=60)
gaps = st.lists(st.integers(1, 5_000), min_size=60, max_size=60)


@settings(max_examples=400, deadline=None)
@given(curves)
def test_falls_are_numpys(values):
    values = np.array(values)
    assert drawdowns.falls(values, values[0]) == numpy_falls(values)
    assert drawdowns.falls(values, 100.0) == numpy_falls(np.r_[100.0, values])


@settings(max_examples=400, deadline=None)
@given(curves, gaps)
def test_time_under_water_is_numpys(values, gaps):
    values = np.array(values)
    times = np.cumsum(np.array(gaps[:len(values)], dtype=np.int64)) * 60_000_000_000
    assert drawdowns.longest_under_water_ns(values, times) == numpy_longest(values, times)


def test_a_year_of_random_walk_gives_the_same_statistics():
    rng = np.random.default_rng(3)
    index = pd.date_range("2018-01-01", periods=300_000, freq="min", tz="UTC")
    curve = pd.Series(1e6 + np.cumsum(rng.normal(0, 50, len(index))), index=index)
    assert metrics.max_drawdown(curve) == (
        lambda f: (f[2] / f[3], f[0]))(numpy_falls(curve.to_numpy()))
    assert metrics.max_drawdown_duration(curve) == numpy_longest(
        curve.to_numpy(), index.as_unit("ns").asi8) / 86_400e9
    tester = metrics.tester_drawdowns(curve, 1e6)
    money, money_peak, relative, relative_peak = numpy_falls(np.r_[1e6, curve.to_numpy()])
    assert tester["max_drawdown_money"] == money
    assert tester["maximal_drawdown_pct"] == money / money_peak * 100
    assert tester["max_drawdown_pct"] == relative / relative_peak * 100
