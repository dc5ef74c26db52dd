"""Trials streamed to disk as they finish, so a search's memory does not grow with its trials.

A search folder holds:

- ``trials.parquet``: one row per configuration run (parameters, every statistic, objective,
  seed, seconds), written in row groups of `ROWS_PER_GROUP` as results arrive;
- ``returns.npy``: the trials' daily returns on the FX-day calendar, one row per trial in trial
  order (float64), a memory-mapped file written in place; ``days.npy`` holds the FX days'
  start times (UTC nanoseconds).

Only the current row group and the best trial so far stay in memory.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fxjudge.files import replace_into, temporary_for

TRIALS_FILE = "trials.parquet"
RETURNS_FILE = "returns.npy"
DAYS_FILE = "days.npy"
ROWS_PER_GROUP = 256


class TrialStore:
    """Writes trial rows and daily returns to `folder` (see the module docstring)."""

    def __init__(self, folder: Path, days: pd.DatetimeIndex, capacity: int,
                 schema: pa.Schema) -> None:
        self.folder = folder
        self.schema = schema
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / DAYS_FILE, days.as_unit("ns").asi8)
        self.capacity = max(1, capacity)
        self.returns = np.lib.format.open_memmap(folder / RETURNS_FILE, mode="w+",
                                                 dtype=np.float64,
                                                 shape=(self.capacity, len(days)))
        self.writer = pq.ParquetWriter(folder / TRIALS_FILE, schema)
        self.text = [f.name for f in schema if f.type == pa.string()]
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, trial: int, row: dict[str, Any], daily: np.ndarray) -> None:
        """Store trial number `trial` (0, 1, 2 ... in order)."""
        if trial >= self.capacity:  # an open-ended search ran more than planned: grow the file
            self._grow(max(trial + 1, 2 * self.capacity))
        self.returns[trial] = daily
        for name in self.text:  # a parameter of mixed types is shown as text
            if row.get(name) is not None and not isinstance(row[name], str):
                row = {**row, name: repr(row[name])}
        self.rows.append(row)
        self.count = max(self.count, trial + 1)
        if len(self.rows) >= ROWS_PER_GROUP:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one row group."""
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> int:
        """Flush, close, and cut ``returns.npy`` to the trials run; return their number."""
        self.flush()
        self.writer.close()
        self.returns.flush()
        if self.count != self.capacity:
            self._resize(self.count)
        self.returns = None
        return self.count

    def _grow(self, capacity: int) -> None:
        self._resize(capacity)
        self.returns = np.lib.format.open_memmap(self.folder / RETURNS_FILE, mode="r+")

    def _resize(self, rows: int) -> None:
        """Rewrite ``returns.npy`` with `rows` rows (the first ones kept, new ones NaN)."""
        path = self.folder / RETURNS_FILE
        old = np.load(path, mmap_mode="r")
        temporary = temporary_for(path)
        new = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.float64,
                                        shape=(rows, old.shape[1]))
        kept = min(rows, old.shape[0])
        for start in range(0, kept, 4096):  # in slices: memory stays flat
            new[start:min(kept, start + 4096)] = old[start:min(kept, start + 4096)]
        new[kept:] = math.nan
        new.flush()
        del new, old
        replace_into(temporary, path)
        self.capacity = rows


def schema(params: dict[str, list], statistics: list[str]) -> pa.Schema:
    """The trials table's columns: ``trial``, each parameter (typed by its values), every
    statistic, ``objective``, ``seed`` and ``seconds``."""
    fields = [pa.field("trial", pa.int64())]
    fields += [pa.field(name, _type(values)) for name, values in params.items()]
    fields += [pa.field(name, pa.float64()) for name in statistics]
    fields += [pa.field("objective", pa.float64()), pa.field("seed", pa.int64()),
               pa.field("seconds", pa.float64())]
    return pa.schema(fields)


def _type(values: list) -> pa.DataType:
    """The Arrow type of a parameter from the values it may take (None allowed in any)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


def read_trials(folder: Path) -> pd.DataFrame:
    """The trials table of a search folder."""
    return pq.read_table(Path(folder) / TRIALS_FILE).to_pandas()


def read_returns(folder: Path) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """The memory-mapped daily returns (trials x days) and the FX days of a search folder."""
    folder = Path(folder)
    days = pd.DatetimeIndex(pd.to_datetime(np.load(folder / DAYS_FILE), utc=True), name="day")
    return np.load(folder / RETURNS_FILE, mmap_mode="r"), days
