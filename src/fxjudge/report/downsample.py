"""Downsampling long series for charts, so a report of years of bars stays a few MB.

Min/max per bucket: the series is cut into equal buckets of consecutive points and each keeps
its lowest and highest point (in time order), plus the first and last point of the series. Unlike
taking every n-th point, no spike and no drawdown trough disappears from the picture.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 5_000


def minmax_indices(values, max_points: int = MAX_POINTS) -> np.ndarray:
    """Sorted positions of the points to draw: at most `max_points` (and all when fewer)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    size = -(-n // max(1, (max_points - 2) // 2))  # ceil: points per bucket
    buckets = -(-n // size)  # only the last bucket is partly empty
    padded = np.full(buckets * size, np.nan)
    padded[:n] = np.where(np.isnan(y), np.nanmean(y), y)
    rows = padded.reshape(buckets, size)
    starts = np.arange(buckets) * size
    lows = starts + np.nanargmin(rows, axis=1)
    highs = starts + np.nanargmax(rows, axis=1)
    return np.unique(np.concatenate([[0, n - 1], lows, highs]))
