"""Drawdowns of an equity curve in one compiled pass each (numba), for `metrics`.

A search computes every statistic of every trial: with numpy, each drawdown figure took its own
running maximum and temporaries of the curve's length (about 20 ms a trial on a year of M1,
more than the engine). These loops give the same numbers, to the bit, in one pass:

- `falls`: below the running peak of a start value and `values`, the largest fall in money,
  and the largest fall as a fraction of its peak, each with its peak (numpy's ``argmax`` rule
  for ties: the first; a NaN fraction, as from a zero peak, wins as it does there);
- `longest_under_water_ns`: the longest time from a peak to the first time back at it (or to
  the end, for a drawdown never recovered).
"""

from __future__ import annotations

import numpy as np

from fxjudge.engine import numba_cache

numba_cache.configure()  # before numba is imported: it reads NUMBA_CACHE_DIR once

from numba import njit  # noqa: E402


@njit(cache=True)
def falls(values: np.ndarray, start: float) -> tuple[float, float, float, float]:
    """Below the running maximum of `start` followed by `values`: the largest fall in money and
    its peak, and the fall that is largest as a fraction of its peak, and that peak.

    `start` is the value before the first (an account's initial balance); ``values[0]`` when
    there is none, which changes nothing (a first value is never below itself).
    """
    peak = start
    money_fall, money_peak = -np.inf, start
    best_fraction, fraction_fall, fraction_peak = -np.inf, 0.0, start
    fraction_is_nan = False
    for i in range(-1, values.shape[0]):
        value = start if i < 0 else values[i]
        if value > peak:
            peak = value
        fall = peak - value
        if fall > money_fall:
            money_fall, money_peak = fall, peak
        fraction = fall / peak
        if not fraction_is_nan:
            if fraction != fraction:
                fraction_is_nan, fraction_fall, fraction_peak = True, fall, peak
            elif fraction > best_fraction:
                best_fraction, fraction_fall, fraction_peak = fraction, fall, peak
    return money_fall, money_peak, fraction_fall, fraction_peak


@njit(cache=True)
def longest_under_water_ns(values: np.ndarray, times_ns: np.ndarray) -> int:
    """Longest time under water of `values` (non-empty) at `times_ns`, in nanoseconds."""
    peak = values[0]
    peak_time = times_ns[0]
    longest = 0
    under = False
    for i in range(values.shape[0]):
        if values[i] >= peak:  # at (or above) the running peak
            peak = values[i]
            if under:  # back at the peak: that drawdown ends here
                longest = max(longest, times_ns[i] - peak_time)
            peak_time = times_ns[i]
            under = False
        else:
            under = True
            longest = max(longest, times_ns[i] - peak_time)
    return longest
