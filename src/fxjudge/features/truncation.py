"""The truncation check for lookahead (docs/strategies.md): ``f(bars[:t+1])[t] == f(bars)[t]``.

A feature, signal or probability at bar t may use bars <= t only. Cutting off every bar after t
must therefore leave its value at t unchanged, exactly (NaN equal to NaN). A function that peeks
ahead (``close.shift(-1)``, a centred window, a back-fill, a whole-series normalisation) changes
somewhere, and the check names the bars where it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

Computed = pd.Series | pd.DataFrame


def truncation_positions(n_bars: int, count: int = 40) -> list[int]:
    """Bar positions to check: the first five (warm-up) and `count` spread over the whole range."""
    spread = np.linspace(0, n_bars - 1, count).round().astype(int)
    return sorted({*range(min(n_bars, 5)), *spread.tolist()})


def truncation_mismatches(
    func: Callable[[pd.DataFrame], Computed],
    bars: pd.DataFrame,
    positions: Iterable[int] | None = None,
) -> list[int]:
    """The positions t where ``func(bars.iloc[:t+1])`` at t differs from ``func(bars)`` at t."""
    full = _as_frame(func(bars))
    if positions is None:
        positions = truncation_positions(len(bars))
    return [
        t
        for t in positions
        if not _row(full, t).equals(_row(_as_frame(func(bars.iloc[: t + 1])), t))
    ]


def assert_causal(
    func: Callable[[pd.DataFrame], Computed],
    bars: pd.DataFrame,
    positions: Iterable[int] | None = None,
    *,
    name: str | None = None,
) -> None:
    """Raise AssertionError, naming the first bars, if `func` fails the truncation check."""
    checked = list(truncation_positions(len(bars)) if positions is None else positions)
    bad = truncation_mismatches(func, bars, checked)
    if bad:
        label = name or getattr(func, "__qualname__", repr(func))
        times = ", ".join(str(bars.index[t]) for t in bad[:3])
        raise AssertionError(
            f"{label} looks ahead: its value at bar t changes when the bars after t are cut off, "
            f"at {len(bad)} of {len(checked)} checked bars (first: {times})"
        )


def _as_frame(computed: Computed) -> pd.DataFrame:
    """A Series as a one-column frame, so that rows compare the same way."""
    return computed.to_frame() if isinstance(computed, pd.Series) else computed


def _row(frame: pd.DataFrame, t: int) -> pd.DataFrame:
    """Row t as a one-row frame (`DataFrame.equals` treats NaN as equal to NaN)."""
    return frame.iloc[[t]]
