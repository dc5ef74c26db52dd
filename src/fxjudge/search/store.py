"""Trials streamed to disk as they finish, so a search's memory does not grow with its trials.

A search folder holds:

- ``trials.parquet``: one row per configuration run (parameters, every statistic, objective,
  seed, seconds), written in row groups of `ROWS_PER_GROUP` as results arrive;
- ``returns.npy``: the trials' daily returns on the FX-day calendar, one row per trial in trial
  order (float64), written in place as trials finish and read back memory-mapped;
  ``days.npy`` holds the FX days' start times (UTC nanoseconds).

Only the current row group and the best trial so far stay in memory.
"""

from __future__ import annotations

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
    """Writes trial rows and daily returns to `folder` (see the module docstring).

    The returns are written through a file handle at each trial's offset, not a memory map:
    pages written stay in the operating system's cache, outside this process's memory, so the
    process stays flat however many trials stream through it.
    """

    def __init__(self, folder: Path, days: pd.DatetimeIndex, capacity: int,
                 schema: pa.Schema) -> None:
        self.folder = folder
        self.schema = schema
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / DAYS_FILE, days.as_unit("ns").asi8)
        self.capacity = max(1, capacity)
        self.n_days = len(days)
        self.returns = open(folder / RETURNS_FILE, "w+b")  # closed by close()
        self.offset = _header(self.returns, (self.capacity, self.n_days))
        self.writer = pq.ParquetWriter(folder / TRIALS_FILE, schema)
        self.text = [f.name for f in schema if f.type == pa.string()]
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, trial: int, row: dict[str, Any], daily: np.ndarray) -> None:
        """Store trial number `trial` (0, 1, 2 ... below the capacity)."""
        if not 0 <= trial < self.capacity:
            raise IndexError(f"trial {trial} is beyond the {self.capacity} planned")
        self.returns.seek(self.offset + trial * self.n_days * 8)
        self.returns.write(np.ascontiguousarray(daily, dtype="<f8").tobytes())
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
        self.returns.seek(0)
        offset = _header(self.returns, (self.count, self.n_days))
        if offset != self.offset:  # the shorter shape took fewer header bytes: move the rows
            self.returns.close()
            self._rewrite(offset)
        else:
            self.returns.truncate(self.offset + self.count * self.n_days * 8)
            self.returns.close()
        return self.count

    def _rewrite(self, offset: int) -> None:
        """Rewrite ``returns.npy`` with the header of `count` rows, in slices (flat memory)."""
        path = self.folder / RETURNS_FILE
        temporary = temporary_for(path)
        row_bytes = self.n_days * 8
        with open(path, "rb") as old, open(temporary, "wb") as new:
            _header(new, (self.count, self.n_days))
            old.seek(self.offset)
            left = self.count * row_bytes
            while left:
                chunk = old.read(min(left, 1 << 24))
                new.write(chunk)
                left -= len(chunk)
        replace_into(temporary, path)


def _header(handle, shape: tuple[int, int]) -> int:
    """Write the ``.npy`` header of a float64 C-order array of `shape`; return its length."""
    np.lib.format.write_array_header_1_0(
        handle, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return handle.tell()


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
