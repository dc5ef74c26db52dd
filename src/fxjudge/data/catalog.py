"""The local data catalog: imported data kept as Parquet under `data/catalog/`.

Layout: ``data/catalog/<PAIR>/<TIMEFRAME>.parquet`` for bars and ``<PAIR>/tick.parquet`` for
ticks, each with its import history (sources and their `DataReport`s) in the Parquet schema
metadata. A file is imported once; later runs load it in milliseconds.

The catalog keeps what the user has (docs/data.md):

- **One source per series.** A series' source is its format and price side (``histdata/bid``,
  ``mt4/bid``, ``resampled``...). Importing more of the same source updates it: the new rows
  replace the stored rows in the new file's time range (a corrected download wins), and the
  count is reported. A file of another source is refused unless the user says
  ``mode="replace"`` (the series becomes the new file alone) or ``mode="merge"`` (the stored
  bars win wherever both have a bar at the same time; the new file only adds bars at times the
  catalog lacks; both counts are reported).
- **Prices that fit.** Every file's prices are checked against the pair's plausible range when
  it is read (`fxjudge.data.plausible`); an import is also checked against the bars the catalog
  already holds (`check_level`), unless it replaces them.
- **Resampling never overwrites an imported series** (`store_resampled`), only one it made
  itself, unless told to replace it.
- **Atomic and locked.** Each read-merge-write of a pair holds that pair's lock
  (``data/catalog/.<PAIR>.lock``), so two imports at once land one after the other. Every write
  goes to a unique temporary file that is renamed over the old one, with the umask's
  permissions; temporary files left by a killed import are removed, and reported, by the next
  write of that pair, and `entries` lists any it sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fxjudge import config
from fxjudge.data.bars import BAR_COLUMNS, TICK_COLUMNS, TIMEFRAMES, timeframe
from fxjudge.data.resample import resample
from fxjudge.domain import FxPair
from fxjudge.errors import DataError
from fxjudge.files import (
    locked,
    remove_stale_temporaries,
    replace_into,
    stale_temporaries,
    temporary_for,
)

META_KEY = b"fxjudge"
RESAMPLED = "resampled"
Mode = Literal["update", "replace", "merge"]
#: Same-time prices of two files of one pair differ by well under this (log) fraction.
SAME_TIME_TOLERANCE = 0.02
#: Across a seam of at most `SEAM_DAYS`, the median price may move by at most this factor.
SEAM_FACTOR, SEAM_DAYS = 1.25, 31
_NEAR_ROWS = 100


@dataclass
class Stored:
    """What a write did to one catalog series."""

    path: Path
    rows: int
    added: int = 0
    replaced: int = 0
    kept: int = 0
    mode: str = "new"
    removed_temporaries: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        parts = [f"{self.added:,} rows into {self.path} ({self.rows:,} stored in all"]
        if self.replaced and self.mode in ("replace", "resample"):
            parts.append(f"the {self.replaced:,} stored rows replaced")
        elif self.replaced:
            parts.append(f"{self.replaced:,} stored rows in its range replaced")
        if self.kept:
            parts.append(f"{self.kept:,} stored rows kept where both had a bar (merge)")
        if self.removed_temporaries:
            parts.append(f"{len(self.removed_temporaries)} temporary file(s) left by an "
                         "interrupted import removed")
        return "; ".join(parts) + ")"


def path_for(pair: str | FxPair, timeframe_name: str, project: str | Path | None = None) -> Path:
    """Where the catalog keeps `pair` at `timeframe_name` (``tick`` for ticks)."""
    symbol = FxPair.parse(pair).symbol
    name = "tick" if timeframe_name == "tick" else timeframe(timeframe_name).name
    return config.catalog_dir(project) / symbol / f"{name}.parquet"


def write(data: pd.DataFrame, path: Path, history: list[dict]) -> None:
    """Write `data` (bars or ticks) with its import `history`, atomically.

    Hold the pair's lock (`pair_lock`) around a read-merge-write that ends here.
    """
    columns = [c for c in (*BAR_COLUMNS, "spread", *TICK_COLUMNS) if c in data.columns]
    table = pa.table(
        {
            "time": pa.array(data.index.as_unit("ns").asi8, pa.int64()),
            **{c: data[c].to_numpy() for c in columns},
        }
    )
    meta = {"attrs": {k: v for k, v in data.attrs.items() if k != "report"}, "history": history}
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    temporary = temporary_for(path)
    try:
        # Byte-stream-split floats and delta-coded times compress well with fast zstd: about
        # 8 MB and 15-20 ms to load for a year of M1 (benchmarks/results/catalog.txt).
        encodings = {c: "BYTE_STREAM_SPLIT" for c in columns} | {"time": "DELTA_BINARY_PACKED"}
        pq.write_table(
            table, temporary, compression="zstd", compression_level=1, use_dictionary=False,
            column_encoding=encodings,
        )
        replace_into(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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


def pair_lock(pair: str | FxPair, project: str | Path | None = None):
    """The lock that every read-merge-write of `pair`'s series holds (a context manager)."""
    symbol = FxPair.parse(pair).symbol
    return locked(config.catalog_dir(project) / symbol, what=f"the catalog's {symbol}")


def source_of(entry: dict) -> str:
    """A history entry's source: format and price side (``histdata/bid``), or ``resampled``.

    An entry without a format (written by hand) is its own source, named by its `source`.
    """
    found = entry.get("format")
    if found is None or found == RESAMPLED:
        return RESAMPLED if found else str(entry.get("source"))
    return f"{found}/{entry.get('price_side') or 'bid'}"


def _prices(frame: pd.DataFrame) -> pd.Series:
    return frame["bid"] if "bid" in frame.columns else frame["close"]


def check_level(old: pd.DataFrame, new: pd.DataFrame, path: Path, source: str | None) -> None:
    """Refuse `new` when its prices do not fit the stored `old` ones of the same pair.

    On shared times the median same-time difference must be below `SAME_TIME_TOLERANCE`; else,
    across a seam of at most `SEAM_DAYS`, the medians of the `_NEAR_ROWS` rows nearest the seam
    may differ by at most `SEAM_FACTOR`. Farther apart, the plausible range alone decides.
    """
    if not len(old) or not len(new):
        return
    a, b = _prices(old), _prices(new)
    common = a.index.intersection(b.index)
    if len(common) >= 10:
        gap = np.abs(np.log(b.reindex(common).to_numpy() / a.reindex(common).to_numpy()))
        old_level, new_level = float(a.reindex(common).median()), float(b.reindex(common).median())
        fits, where = float(np.median(gap)) <= SAME_TIME_TOLERANCE, "at the same times"
    elif b.index[0] > a.index[-1] or b.index[-1] < a.index[0]:
        after = b.index[0] > a.index[-1]
        seam = (b.index[0] - a.index[-1]) if after else (a.index[0] - b.index[-1])
        if seam > pd.Timedelta(days=SEAM_DAYS):
            return
        near_old = a.iloc[-_NEAR_ROWS:] if after else a.iloc[:_NEAR_ROWS]
        near_new = b.iloc[:_NEAR_ROWS] if after else b.iloc[-_NEAR_ROWS:]
        old_level, new_level = float(near_old.median()), float(near_new.median())
        ratio = new_level / old_level
        fits, where = 1 / SEAM_FACTOR <= ratio <= SEAM_FACTOR, "next to it"
    else:
        return
    if not fits:
        symbol = new.attrs.get("pair") or path.parent.name
        raise DataError(
            f"prices around {new_level:.6g} do not fit the {symbol} series the catalog holds "
            f"({path}: around {old_level:.6g} {where})",
            path=source,
            fix="check that the file holds this pair (--pair names another), or pass "
                "--replace to start the series anew from this file",
        )


def import_data(
    data: pd.DataFrame, report: dict, *, project: str | Path | None = None,
    mode: Mode | None = None,
) -> Stored:
    """Store `data` in the catalog (see the module docstring for `mode`); say what was done."""
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
    with pair_lock(pair, project):
        removed = remove_stale_temporaries(path.parent)
        stored = _merged(data, report, path, mode)
        stored.removed_temporaries = removed
    return stored


def _merged(data: pd.DataFrame, report: dict, path: Path, mode: Mode | None) -> Stored:
    """Merge `data` into the series at `path` (the pair's lock held) and write it."""
    if not path.exists() or mode == "replace":
        replaced = len(read(path)) if path.exists() else 0
        write(data, path, [report])
        return Stored(path, rows=len(data), added=len(data), replaced=replaced,
                      mode="replace" if replaced else "new")
    old = read(path)
    history = read_meta(path).get("history", [])
    mine = source_of(report)
    theirs = sorted({source_of(entry) for entry in history})
    if mode is None and theirs != [mine]:
        names = ", ".join(sorted({Path(str(e.get("source"))).name for e in history}))
        raise DataError(
            f"the catalog's {path.parent.name} {path.stem} series ({path}) holds {len(old):,} "
            f"rows from another source ({', '.join(theirs)}: {names}); this file is {mine}, and "
            "two sources are never merged silently",
            path=report.get("source"),
            fix="pass --replace to replace the stored series with this file, or --merge to "
                "add only this file's bars at times the catalog lacks (stored bars win)",
        )
    check_level(old, data, path, report.get("source"))
    sides = (old.attrs.get("price_side") or "bid", data.attrs.get("price_side") or "bid")
    if mode == "merge" and sides[0] != sides[1]:
        raise DataError(f"holds {sides[1]} prices and {path} {sides[0]} prices: a series never "
                        "mixes the two", path=report.get("source"),
                        fix="import it with --replace, or into another project")
    if mode == "merge":
        fresh = ~data.index.isin(old.index)
        merged = pd.concat([old, data[fresh]]).sort_index(kind="stable")
        counts = {"added": int(fresh.sum()), "kept": int((~fresh).sum())}
    else:
        inside = np.zeros(len(old), dtype=bool)
        if len(data):
            inside = (old.index >= data.index[0]) & (old.index <= data.index[-1])
        merged = pd.concat([old[~inside], data]).sort_index(kind="stable")
        counts = {"added": len(data), "replaced": int(inside.sum())}
    merged.attrs = dict(old.attrs) if mode == "merge" else dict(data.attrs)
    write(merged, path, history + [report | {"mode": mode or "update"}])
    return Stored(path, rows=len(merged), mode=mode or "update", **counts)


def store_resampled(
    bars: pd.DataFrame, pair: str | FxPair, to: str, *, origin: str,
    project: str | Path | None = None, replace: bool = False,
) -> Stored:
    """Store resampled `bars` as `pair`'s `to` series, never over an imported one unless
    `replace`; a series resampled earlier is replaced (it is derived data)."""
    path = path_for(pair, to, project)
    with pair_lock(pair, project):
        removed = remove_stale_temporaries(path.parent)
        replaced = 0
        if path.exists():
            history = read_meta(path).get("history", [])
            imported = [e for e in history if source_of(e) != RESAMPLED]
            if imported and not replace:
                names = ", ".join(sorted({Path(str(e.get("source"))).name for e in imported}))
                raise DataError(
                    f"{path} holds imported {to} bars ({names}); resampling would overwrite "
                    "them",
                    fix="pass --replace to overwrite them, or remove them first with "
                        f"`fxjudge data remove {FxPair.parse(pair).symbol} --timeframe {to}`",
                )
            replaced = pq.ParquetFile(path).metadata.num_rows
        write(bars, path, [{"source": origin, "format": RESAMPLED}])
    return Stored(path, rows=len(bars), added=len(bars), replaced=replaced, mode="resample",
                  removed_temporaries=removed)


def remove(pair: str | FxPair, timeframe_name: str | None = None,
           project: str | Path | None = None) -> list[Path]:
    """Delete `pair`'s series of `timeframe_name` (every series of the pair if None); return
    the files removed. The rest of the catalog is untouched."""
    symbol = FxPair.parse(pair).symbol
    folder = config.catalog_dir(project) / symbol
    with pair_lock(symbol, project):
        if timeframe_name is None:
            targets = sorted(folder.glob("*.parquet"))
        else:
            target = path_for(symbol, timeframe_name, project)
            targets = [target] if target.exists() else []
        if not targets:
            held = ", ".join(p.stem for p in sorted(folder.glob("*.parquet"))) or "nothing"
            what = symbol if timeframe_name is None else f"{symbol} {timeframe_name}"
            raise DataError(f"the catalog has no {what} to remove (it holds {held} for "
                            f"{symbol})", path=folder, fix="see `fxjudge data list`")
        for target in targets:
            target.unlink()
        remove_stale_temporaries(folder)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return targets


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


def leftovers(project: str | Path | None = None) -> list[Path]:
    """Temporary files in the catalog: left by a killed import (or one running right now)."""
    root = config.catalog_dir(project)
    return [p for folder in sorted(root.glob("*/")) for p in stale_temporaries(folder)]


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
