"""The engine's output tables, built from arrays: one function for both implementations.

Each implementation (`backtrader_engine` with its `ledger`, and `compiled`) reports a run as a
`RunArrays` on bar numbers; `tables` turns it into the trades table, the equity frame and the
notes on skipped entries, so that the two engines' results have the same columns, dtypes and
wording by construction (the parity battery compares their values); a table without trades
has the same dtypes as one with trades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.engine.notes import note

TRADE_COLUMNS = (
    "entry_time", "exit_time", "side", "units", "entry_price", "exit_price", "exit_reason",
    "same_bar_rule", "pips", "pnl_quote", "pnl_account", "commission", "swap", "net_account",
    "bars_held", "mae_pips", "mfe_pips", "probability",
)
EQUITY_COLUMNS = ("balance", "equity", "used_margin", "position_units")
_INTEGER_COLUMNS = frozenset({"side", "units", "bars_held"})
_TEXT_COLUMNS = frozenset({"exit_reason", "same_bar_rule"})


@dataclass(frozen=True)
class RunArrays:
    """One run as arrays: the trades' columns and, per bar after its close, the account.

    `trades` maps every name of `TRADE_COLUMNS` to one value per trade, ``entry_time`` and
    ``exit_time`` as bar numbers; `marks` is the equity where a position is held at the bar's
    close and NaN where the account is flat (its equity is then its `balance`); `skipped` counts
    the entries skipped for each reason (`notes.NO_SIZE`, `notes.NO_MARGIN`).
    """

    trades: dict[str, np.ndarray]
    balance: np.ndarray
    marks: np.ndarray
    used_margin: np.ndarray
    position_units: np.ndarray
    skipped: dict[str, int]


def tables(times: pd.DatetimeIndex, run: RunArrays) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The trades table (`TRADE_COLUMNS`), the equity frame (`EQUITY_COLUMNS`) and skip notes."""
    columns = {}
    for name in TRADE_COLUMNS:
        values = run.trades[name]
        if name in ("entry_time", "exit_time"):
            columns[name] = times[np.asarray(values, dtype=np.int64)]
        elif name in _TEXT_COLUMNS:
            columns[name] = pd.Series(np.asarray(values, dtype=object), dtype=object).astype(str)
        else:
            columns[name] = np.asarray(values, np.int64 if name in _INTEGER_COLUMNS else np.float64)
    trades = pd.DataFrame(columns, copy=False)
    equity_values = np.where(np.isnan(run.marks), run.balance, run.marks)
    per_bar = (run.balance, equity_values, run.used_margin, run.position_units)
    equity = pd.DataFrame(dict(zip(EQUITY_COLUMNS, per_bar, strict=True)), index=times,
                          copy=False)  # the arrays are the run's own: no need to copy them
    notes = [note("skipped", count=count, why=why) for why, count in sorted(run.skipped.items())
             if count]
    return trades, equity, notes
