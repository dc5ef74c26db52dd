"""Row checks shared by every reader: one clear error naming the file, the line and the fix.

Readers parse a whole file with pandas, then call `check_prices` with the file line (or binary
record) number of every row, so that the first bad row is reported exactly where it is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data.plausible import implausible
from fxjudge.errors import DataError

_FIX = "correct or delete that row"


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1e9 else f"{value:.6g}"


def check_prices(
    frame: pd.DataFrame,
    *,
    path: str | Path,
    rows: np.ndarray,
    unit: str = "line",
    pair: str | None = None,
) -> None:
    """Raise `DataError` at the first row with a missing, non-positive, implausible or
    inconsistent price.

    `frame` has ``open high low close`` (bars) or ``bid ask`` (ticks) as float columns; `rows`
    holds the file line (or record) number of each row, `unit` says which ("line", "record").
    A price outside what `pair` can be (`fxjudge.data.plausible`; any pair: above 1e7) is
    refused before the bars' own consistency is checked.
    """
    price_columns = [c for c in ("open", "high", "low", "close", "bid", "ask") if c in frame]
    values = frame[price_columns].to_numpy(dtype=np.float64)
    bad_value = ~np.isfinite(values) | (values <= 0)
    if bad_value.any():
        row, col = np.argwhere(bad_value)[0]
        value = values[row, col]
        what = (
            "is missing or not a number"
            if not np.isfinite(value)
            else f"is {_fmt(value)}, not positive"
        )
        raise DataError(
            f"{price_columns[col]} {what}", path=path, where=f"{unit} {rows[row]}", fix=_FIX
        )
    wrong, bounds = implausible(values, pair)
    if wrong.any():
        row, col = np.argwhere(wrong)[0]
        which = f"a {pair} price" if pair else "a price"
        raise DataError(
            f"{price_columns[col]} {_fmt(values[row, col])} is not {which} ({bounds})",
            path=path, where=f"{unit} {rows[row]}",
            fix="check that the file holds this pair (--pair names another) and is not corrupt",
        )
    if "high" in frame:
        o, h, low, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
        checks = (
            (h < low, "high", h, "below low", low),
            (h < o, "high", h, "below open", o),
            (h < c, "high", h, "below close", c),
            (low > o, "low", low, "above open", o),
            (low > c, "low", low, "above close", c),
        )
        first = None
        for mask, *rest in checks:
            hits = np.flatnonzero(mask)
            if len(hits) and (first is None or hits[0] < first[0]):
                first = (hits[0], *rest)
        if first is not None:
            i, name, a, relation, b = first
            raise DataError(
                f"{name} {_fmt(a[i])} is {relation} {_fmt(b[i])}",
                path=path,
                where=f"{unit} {rows[i]}",
                fix=_FIX,
            )
    if "ask" in frame:
        bid, ask = frame["bid"].to_numpy(), frame["ask"].to_numpy()
        hits = np.flatnonzero(ask < bid)
        if len(hits):
            i = hits[0]
            raise DataError(
                f"ask {_fmt(ask[i])} is below bid {_fmt(bid[i])}",
                path=path,
                where=f"{unit} {rows[i]}",
                fix=_FIX + " (or check that the bid and ask columns are not swapped)",
            )
