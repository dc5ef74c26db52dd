"""The local data catalog: imported data kept as Parquet under `data/catalog/`.

Layout: ``data/catalog/<PAIR>/<TIMEFRAME>.parquet`` for bars and ``<PAIR>/tick.parquet`` for
ticks, each with its import history (sources and their `DataReport`s) in the Parquet schema
metadata. A file is imported once; later runs load it in milliseconds. Importing more data for a
pair and timeframe merges it with what is there (rows of the new import win where times
overlap, and the overlap is reported). Every write goes to a temporary file in the same folder
that is then renamed over the old one, so a failed import leaves the catalog exactly as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fxjudge import config
from fxjudge.data.bars import BAR_COLUMNS, TICK_COLUMNS, TIMEFRAMES, timeframe
from fxjudge.data.resample import resample
from fxjudge.domain import FxPair
from fxjudge.errors import DataError

META_KEY = b"fxjudge"


def path_for(pair: str | FxPair, timeframe_name: str, project: str | Path | None = None) -> Path:
    """Where the catalog keeps `pair` at `timeframe_name` (``tick`` for ticks)."""
    symbol = FxPair.parse(pair).symbol
    name = "tick" if timeframe_name == "tick" else timeframe(timeframe_name).name
    return config.catalog_dir(project) / symbol / f"{name}.parquet"


def write(data: pd.DataFrame, path: Path, history: list[dict]) -> None:
    """Write `data` (bars or ticks) with its import `history`, atomically."""
    columns = [c for c in (*BAR_COLUMNS, "spread", *TICK_COLUMNS) if c in data.columns]
    table = pa.table(
        {
            "time": pa.array(data.index.as_unit("ns").asi8, pa.int64()),
            **{c: data[c].to_numpy() for c in columns},
        }
    )
    meta = {"attrs": {k: v for k, v in data.attrs.items() if k != "report"}, "history": history}
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        # Byte-stream-split floats and delta-coded times compress well with fast zstd: about
        # 8 MB and 15-20 ms to load for a year of M1 (benchmarks/results/catalog.txt).
        encodings = {c: "BYTE_STREAM_SPLIT" for c in columns} | {"time": "DELTA_BINARY_PACKED"}
        pq.write_table(
            table, temporary, compression="zstd", compression_level=1, use_dictionary=False,
            column_encoding=encodings,
        )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def read(path: Path) -> pd.DataFrame:
    """Read a catalog file back into bars or ticks with their attrs."""
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    columns = {name: table.column(name).to_numpy() for name in table.column_names if name != "time"}
    index = pd.DatetimeIndex(table.column("time").to_numpy().view("datetime64[ns]"), tz="UTC",
                             name="time")
    frame = pd.DataFrame(columns, index=index, copy=False)
    frame.attrs = dict(meta.get("attrs", {}))
    return frame


def read_meta(path: Path) -> dict:
    """The metadata (attrs and import history) of a catalog file."""
    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata.get(META_KEY, b"{}"))


def import_data(
    data: pd.DataFrame, report: dict, *, project: str | Path | None = None
) -> tuple[Path, int]:
    """Store `data` in the catalog, merged with what is there; return the path and overlap."""
    pair = data.attrs.get("pair")
    if not pair:
        raise DataError(
            "the pair is not known from the file name",
            path=report.get("source"),
            fix="give it with --pair USDJPY",
        )
    tf_name = "tick" if "bid" in data.columns else data.attrs.get("timeframe")
    if not tf_name:
        raise DataError(
            "the timeframe could not be inferred from the bar spacing",
            path=report.get("source"),
            fix="the catalog keeps only bars of M1 M5 M15 M30 H1 H4 D1 W1 or ticks",
        )
    path = path_for(pair, tf_name, project)
    history = [report]
    overlap = 0
    if path.exists() and len(data):
        old = read(path)
        history = read_meta(path).get("history", []) + history
        inside = (old.index >= data.index[0]) & (old.index <= data.index[-1])
        overlap = int(inside.sum())
        old = old[~inside]
        merged = pd.concat([old, data]).sort_index(kind="stable")
        merged.attrs = dict(data.attrs)
        data = merged
    write(data, path, history)
    return path, overlap


def entries(project: str | Path | None = None) -> list[dict]:
    """One row per catalog file: pair, timeframe, rows, first and last time, sources."""
    root = config.catalog_dir(project)
    rows = []
    for path in sorted(root.glob("*/*.parquet")):
        parquet = pq.ParquetFile(path)
        times = pq.read_table(path, columns=["time"]).column("time").to_numpy()
        meta = read_meta(path)
        rows.append(
            {
                "pair": path.parent.name,
                "timeframe": path.stem,
                "rows": parquet.metadata.num_rows,
                "first": _iso(times.min()) if len(times) else None,
                "last": _iso(times.max()) if len(times) else None,
                "sources": [h.get("source") for h in meta.get("history", [])],
                "path": str(path),
            }
        )
    return rows


def _iso(nanoseconds: np.int64) -> str:
    return pd.Timestamp(int(nanoseconds), tz="UTC").isoformat()


def load(
    pair: str | FxPair, *, timeframe: str | None = None, project: str | Path | None = None
) -> pd.DataFrame:
    """Bars (or ticks, with ``timeframe="tick"``) of `pair` from the catalog.

    When the timeframe asked for is not stored, it is resampled from the longest stored one
    that is shorter (e.g. H1 from M1); with `timeframe` None the shortest stored bars are used.
    """
    symbol = FxPair.parse(pair).symbol
    folder = config.catalog_dir(project) / symbol
    stored = sorted(
        (p.stem for p in folder.glob("*.parquet") if p.stem in TIMEFRAMES or p.stem == "tick"),
        key=lambda n: -1 if n == "tick" else TIMEFRAMES[n].minutes,
    )
    if not stored:
        raise DataError(
            f"the catalog has no data for {symbol}",
            path=folder.parent,
            fix=f"import a file first: fxjudge data import FILE --pair {symbol}",
        )
    if timeframe == "tick":
        if "tick" not in stored:
            raise DataError(
                f"the catalog has no ticks for {symbol} (it has {', '.join(stored)})",
                path=folder,
                fix="import a tick file",
            )
        return read(folder / "tick.parquet")
    bar_names = [n for n in stored if n != "tick"]
    if timeframe is None:
        return read(folder / f"{bar_names[0]}.parquet") if bar_names else resample(
            read(folder / "tick.parquet"), "M1"
        )
    if timeframe in stored:
        return read(folder / f"{timeframe}.parquet")
    wanted = TIMEFRAMES[timeframe].minutes
    finer = [n for n in stored if n == "tick" or TIMEFRAMES[n].minutes < wanted]
    if not finer:
        raise DataError(
            f"the catalog has {symbol} only in {', '.join(stored)}, too coarse for {timeframe}",
            path=folder,
            fix=f"import {timeframe} or shorter bars, or ask for {bar_names[-1]}",
        )
    return resample(read(folder / f"{finer[-1]}.parquet"), timeframe)
