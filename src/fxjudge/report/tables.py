"""The trade table: taken trades and rejected candidates, as JSON for the page and as CSV.

One row per trade of the (judged) run, status "taken", plus, for a judged run, one row per
rejected candidate: its signal bar time, side, probability and its result in pips as if taken
alone (``label_return``), resolution time and barrier. Times are shown on the report's
display clock and exit reasons in its language; the CSV keeps UTC and the codes. The page
renders the rows with a little vanilla JavaScript (sort, filter, pages), so thousands of rows
cost no DOM; the full table is also written as CSV beside the report.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fxjudge.report.display import UTC_CLOCK, DisplayClock

COLUMNS = ["status", "entry_time", "exit_time", "side", "units", "entry_price", "exit_price",
           "exit_reason", "pips", "net", "commission", "swap", "bars_held", "mae_pips",
           "mfe_pips", "probability"]
TIME_COLUMNS = ("entry_time", "exit_time")


def trade_rows(trades: pd.DataFrame, rejected: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table's rows in time order: taken trades, then rejected candidates interleaved."""
    taken = pd.DataFrame({
        "status": "taken",
        "entry_time": trades.get("entry_time"), "exit_time": trades.get("exit_time"),
        "side": trades.get("side"), "units": trades.get("units"),
        "entry_price": trades.get("entry_price"), "exit_price": trades.get("exit_price"),
        "exit_reason": trades.get("exit_reason"), "pips": trades.get("pips"),
        "net": trades.get("net_account"), "commission": trades.get("commission"),
        "swap": trades.get("swap"), "bars_held": trades.get("bars_held"),
        "mae_pips": trades.get("mae_pips"), "mfe_pips": trades.get("mfe_pips"),
        "probability": trades.get("probability"),
    }, index=range(len(trades)), columns=COLUMNS)
    parts = [taken]
    if rejected is not None and len(rejected):
        parts.append(pd.DataFrame({
            "status": "rejected", "entry_time": rejected.index,
            "exit_time": rejected.get("resolve_time"), "side": rejected["side"].to_numpy(),
            "exit_reason": rejected.get("barrier"), "pips": rejected.get("label_return"),
            "probability": rejected.get("probability"),
        }, columns=COLUMNS).reset_index(drop=True))
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else taken
    for column in TIME_COLUMNS:
        rows[column] = pd.to_datetime(rows[column], utc=True)
    return rows.sort_values("entry_time", kind="stable").reset_index(drop=True)


def csv_text(rows: pd.DataFrame) -> str:
    """All rows as CSV text (times in ISO 8601 UTC)."""
    return rows.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ")


def rows_json(rows: pd.DataFrame, t: dict, clock: DisplayClock = UTC_CLOCK) -> list[list]:
    """Rows as lists of plain values for the page: times as text on the display `clock`;
    sides, status and exit reasons in the page's language."""
    out = []
    sides = {1: t["long"], -1: t["short"]}
    status = {"taken": t["taken"], "rejected": t["rejected_status"]}
    times = {c: clock.wall(rows[c]).strftime("%Y-%m-%d %H:%M").to_numpy() for c in TIME_COLUMNS}
    columns = {c: rows[c].to_numpy() for c in COLUMNS}
    for i in range(len(rows)):
        row = []
        for c in COLUMNS:
            value = times[c][i] if c in times else columns[c][i]
            if c == "side":
                value = sides.get(int(value), "") if _known(value) else ""
            elif c == "status":
                value = status.get(value, value)
            elif c == "exit_reason" and isinstance(value, str):
                value = t.get(f"reason_{value}", value)
            row.append(_plain(value))
        out.append(row)
    return out


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _plain(value):
    """JSON-ready: NaN/NaT/None become null, numpy scalars Python ones."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) or isinstance(value, int | float):
        return value
    return None if pd.isna(value) else str(value)
