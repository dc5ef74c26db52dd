"""Dukascopy datafeed `.bi5` files, read from a folder in the datafeed's own layout.

The layout (docs/data.md), all times UTC, months **zero-based** (``00`` = January)::

    <root>/<SYMBOL>/<YYYY>/<MM>/<DD>/<HH>h_ticks.bi5       ticks of one hour
    <root>/<SYMBOL>/<YYYY>/<MM>/<DD>/BID_candles_min_1.bi5 M1 bars of one day
    <root>/<SYMBOL>/<YYYY>/<MM>/BID_candles_hour_1.bi5     H1 bars of one month
    <root>/<SYMBOL>/<YYYY>/BID_candles_day_1.bi5           D1 bars of one year

The folder given may be ``<root>`` (holding one or more symbol folders; `ReadOptions.pair`
chooses among several) or ``<SYMBOL>`` itself; a single ``.bi5`` file inside that layout is read
alone, its pair, kind and period taken from its path. Each file is LZMA "alone" compressed; a 0-byte
file means no data for its period. Records are big-endian:

- tick, 20 bytes ``>IIIff``: milliseconds into the hour, **ask**, **bid** (integer points), ask
  and bid volume (float32, millions of base units);
- candle, 24 bytes ``>IIIIIf``: seconds into the period, open, **close, low, high** (that
  order), volume (float32, millions).

Prices are integers over ``10 ** FxPair.price_decimals`` of the symbol (1e5, 1e3 for JPY pairs
and metals). What is read: ticks when ``ReadOptions.kind == "ticks"`` (columns ``bid ask
bid_volume ask_volume``, volumes kept in millions as stored); otherwise the BID candles of
``ReadOptions.timeframe`` (M1 by default; M1, H1 and D1 are the only ones stored). Bars are bid
by contract, so ``ASK_candles_*`` files are ignored (a note says so): the ask side comes from
ticks. Candle files include flat bars (O=H=L=C, volume 0) for hours without ticks, weekends
included; they are kept for the quality stage to count and drop by its policy. D1 candles are
UTC-midnight days, not the FX day of 17:00 New York.
"""

from __future__ import annotations

import lzma
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data.bars import TICK_COLUMNS, timeframe
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source
from fxjudge.data.validate import check_prices
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError
from fxjudge.files import regular_file

TICK_RECORD = np.dtype(
    [("ms", ">u4"), ("ask", ">u4"), ("bid", ">u4"), ("ask_volume", ">f4"), ("bid_volume", ">f4")]
)
CANDLE_RECORD = np.dtype(
    [("s", ">u4"), ("open", ">u4"), ("close", ">u4"), ("low", ">u4"), ("high", ">u4"),
     ("volume", ">f4")]
)
REFUSAL = "not a folder in the Dukascopy datafeed layout (<SYMBOL>/<YYYY>/<MM>/<DD>/*.bi5)"
_FIX = "download it again"
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class _Layout:
    """Where one kind of file sits below the symbol folder and what period it covers."""

    pattern: str  # glob below <SYMBOL>
    period: pd.DateOffset  # the span one file covers, from the start its path gives


_TICKS = _Layout("[0-9]" * 4 + "/[0-9][0-9]/[0-9][0-9]/[0-9][0-9]h_ticks.bi5",
                 pd.DateOffset(hours=1))
#: The BID candle files of each stored timeframe.
_CANDLES = {
    "M1": _Layout("[0-9]" * 4 + "/[0-9][0-9]/[0-9][0-9]/BID_candles_min_1.bi5",
                  pd.DateOffset(days=1)),
    "H1": _Layout("[0-9]" * 4 + "/[0-9][0-9]/BID_candles_hour_1.bi5", pd.DateOffset(months=1)),
    "D1": _Layout("[0-9]" * 4 + "/BID_candles_day_1.bi5", pd.DateOffset(years=1)),
}


class DukascopyBi5Reader(Reader):
    """Dukascopy datafeed ticks or BID candles from a folder of `.bi5` files, in UTC."""

    name = "dukascopy-bi5"
    title = "Dukascopy datafeed .bi5 folder (ticks, M1/H1/D1 candles)"

    def sniff(self, source: Source) -> str | None:
        """Accept a folder holding ``<SYMBOL>/<YYYY>/...*.bi5`` or ``<YYYY>/...*.bi5``, or one
        `.bi5` file inside that layout."""
        if not source.is_dir:
            return None if _single_file(source.path) else REFUSAL
        return None if _symbol_folders(source.path) else REFUSAL

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Decode every tick file, or every BID candle file of one timeframe, into UTC rows."""
        single = None if source.is_dir else _single_file(source.path)
        if single is not None:
            folder, name = single
            wanted = ("ticks" if name == "tick" else "bars", None if name == "tick" else name)
            asked = (options.kind or wanted[0], options.timeframe or wanted[1])
            if asked[0] != wanted[0] or (wanted[1] and timeframe(asked[1]).name != wanted[1]):
                raise ConfigError(f"{source.path} holds {name} data only; ask for "
                                  f"{'ticks' if name == 'tick' else name}, or read its folder")
            options = ReadOptions(pair=options.pair, kind=wanted[0], timeframe=wanted[1],
                                  tz=options.tz)
        else:
            folder = _symbol_folder(source.path, options.pair)
        only = None if single is None else [source.path]
        pair = _pair(folder, options.pair)
        notes = [f"symbol folder {folder}; clock: UTC (the datafeed's own)"]
        if options.tz is not None:
            notes.append(f"tz {options.tz!r} ignored: the datafeed is UTC")
        kind = options.kind or ("bars" if options.timeframe else _default_kind(folder, notes))
        return _read(folder, pair, kind, options.timeframe, notes, only)


def read_files(folder: Path, files: list[Path], *, kind: str, timeframe_name: str | None,
               pair: FxPair | None = None) -> Loaded:
    """Ticks (`kind` ``"ticks"``) or BID candles of `timeframe_name` from `files` only, inside
    the symbol folder `folder`: what a download fetched, not the whole cache."""
    notes = [f"{len(files)} files of the symbol folder {folder}; clock: UTC (the datafeed's "
             "own)"]
    return _read(folder, _pair(folder, pair), kind, timeframe_name, notes, files)


def _read(folder: Path, pair: FxPair, kind: str, timeframe_name: str | None, notes: list[str],
          only: list[Path] | None) -> Loaded:
    """Ticks or the BID candles of one timeframe (M1 by default) below `folder`."""
    if kind == "ticks":
        frame = _read_ticks(folder, pair, notes, only=only)
        return Loaded(frame=frame, kind="ticks", format=DukascopyBi5Reader.name,
                      pair=pair.symbol, notes=notes)
    name = candle_timeframe(timeframe_name or "M1")
    frame = _read_candles(folder, pair, name, notes, only=only)
    return Loaded(frame=frame, kind="bars", format=DukascopyBi5Reader.name, timeframe=name,
                  pair=pair.symbol, notes=notes)


def candle_timeframe(name: str) -> str:
    """`name` as a timeframe the datafeed stores candles of (M1, H1, D1); ConfigError if not."""
    found = timeframe(name).name
    if found not in _CANDLES:
        raise ConfigError(
            f"`timeframe` must be M1, H1 or D1 for a Dukascopy datafeed folder (the only "
            f"candles it stores), was {name!r}; read M1 or H1 and resample"
        )
    return found


def _single_file(path: Path) -> tuple[Path, str] | None:
    """(symbol folder, ``"tick"`` or the timeframe) of a `.bi5` file inside the layout."""
    if path.suffix != ".bi5":
        return None
    for year in path.parents:
        if _YEAR.match(year.name):
            relative = path.relative_to(year.parent)
            layouts = {"tick": _TICKS} | _CANDLES
            for name, layout in layouts.items():
                if relative.match(layout.pattern):
                    return year.parent, name
            return None
    return None


def _subfolders(folder: Path) -> list[Path]:
    """The folders in `folder`, by name; none when it cannot be listed (not ours to read)."""
    try:
        return sorted(child for child in folder.iterdir() if child.is_dir())
    except OSError:
        return []


def _holds_bi5(folder: Path) -> bool:
    """True when `folder` has year folders with `.bi5` files at most three levels below them."""
    return any(
        next(year.glob(depth), None) is not None
        for year in _subfolders(folder)
        if _YEAR.match(year.name)
        for depth in ("*.bi5", "*/*.bi5", "*/*/*.bi5")
    )


def _symbol_folders(path: Path) -> list[Path]:
    """The symbol folders at `path`: itself, or its sub-folders that hold the layout."""
    if _holds_bi5(path):
        return [path]
    return [child for child in _subfolders(path) if _holds_bi5(child)]


def _symbol_folder(path: Path, pair: FxPair | None) -> Path:
    """The one symbol folder to read; `pair` chooses when the root holds several."""
    folders = _symbol_folders(path)
    if not folders:
        raise DataError(REFUSAL, path=path, fix="pass the folder that holds <SYMBOL>/<YYYY>/...")
    if len(folders) == 1:
        return folders[0]
    names = ", ".join(f.name for f in folders)
    chosen = [f for f in folders if pair is not None and f.name.upper() == pair.symbol]
    if not chosen:
        raise DataError(
            f"the folder holds several symbols ({names})",
            path=path,
            fix="pass the pair to read, or the symbol's own folder",
        )
    return chosen[0]


def _pair(folder: Path, given: FxPair | None) -> FxPair:
    """The pair the symbol folder names (it sets the price scale); a given pair must agree."""
    try:
        named = FxPair.parse(folder.name)
    except ConfigError:
        named = None
    if named is None and given is None:
        raise DataError(
            f"the folder name {folder.name!r} is not a currency pair, so the price scale is "
            "unknown",
            path=folder,
            fix="name the folder after its symbol (e.g. EURUSD) or pass the pair",
        )
    if named is not None and given is not None and named != given:
        raise DataError(
            f"the folder is {named.symbol} but pair {given.symbol} was given",
            path=folder,
            fix="pass the pair the folder holds",
        )
    return named or given


def _default_kind(folder: Path, notes: list[str]) -> str:
    """Bars (M1) when minute candles are there, else ticks: the choice when none was asked."""
    if next(folder.glob(_CANDLES["M1"].pattern), None) is not None:
        notes.append("neither kind nor timeframe given: read the M1 candles")
        return "bars"
    notes.append("neither kind nor timeframe given and no M1 candles: read the ticks")
    return "ticks"


def file_start(relative: Path, file: Path | None = None) -> pd.Timestamp:
    """The UTC start of the period a file covers, from its path below the symbol folder
    (``2019/01/04/08h_ticks.bi5`` is 4 February 2019, 08:00: months are zero-based)."""
    parts = relative.parts
    year, month, day = int(parts[0]), 1, 1
    if len(parts) > 2:
        month = int(parts[1]) + 1  # the datafeed's months are zero-based
    if len(parts) > 3:
        day = int(parts[2])
    hour = int(relative.name[:2]) if relative.name.endswith("h_ticks.bi5") else 0
    try:
        return pd.Timestamp(year, month, day, hour, tz="UTC")
    except ValueError:
        raise DataError(
            "the path is not a date in the datafeed layout (months run 00-11, days 01-31)",
            path=file or relative,
            fix="keep the folders as the datafeed names them",
        ) from None


def _files(folder: Path, layout: _Layout, what: str,
           only: list[Path] | None = None) -> list[tuple[Path, pd.Timestamp]]:
    """Every file of `layout` below `folder` (or just those `only`), in time order, with the UTC
    start its path gives; a folder or FIFO where a file should be is refused."""
    found = []
    for file in only if only is not None else folder.glob(layout.pattern):
        regular_file(file, DataError, what=".bi5 file")
        found.append((file, file_start(file.relative_to(folder), file)))
    if not found:
        raise DataError(
            f"no {what} files ({layout.pattern.rsplit('/', 1)[-1]}) in this folder",
            path=folder,
            fix="download them, or read another kind or timeframe",
        )
    return sorted(found, key=lambda item: item[1])


def _records(data: bytes, record: np.dtype, file: Path) -> np.ndarray:
    """The decompressed records of one file's bytes (none for a 0-byte file)."""
    if not data:
        return np.empty(0, dtype=record)
    try:
        raw = lzma.decompress(data, format=lzma.FORMAT_ALONE)
    except (lzma.LZMAError, EOFError):
        raise DataError(
            "corrupt .bi5 file: it does not decompress as LZMA", path=file, fix=_FIX
        ) from None
    if len(raw) % record.itemsize:
        raise DataError(
            f"{len(raw)} bytes after decompression, not a whole number of "
            f"{record.itemsize}-byte records (the file is truncated)",
            path=file,
            fix=_FIX,
        )
    return np.frombuffer(raw, dtype=record)


def _times(
    file: Path, start: pd.Timestamp, layout: _Layout, offsets: np.ndarray, unit_ns: int
) -> np.ndarray:
    """UTC nanoseconds of each record; an offset past the file's period is a corrupt file."""
    span_ns = (start + layout.period).value - start.value
    outside = np.flatnonzero(offsets.astype(np.int64) * unit_ns >= span_ns)
    if len(outside):
        raise DataError(
            f"time offset {int(offsets[outside[0]])} is past the end of the file's period "
            f"(from {start:%Y-%m-%d %H:%M} UTC)",
            path=file,
            where=f"record {outside[0] + 1}",
            fix=_FIX,
        )
    return start.value + offsets.astype(np.int64) * unit_ns


def decode(data: bytes, file: Path, name: str, start: pd.Timestamp,
           pair: FxPair) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One file's bytes, checked, as (UTC nanoseconds, columns): ``"tick"`` files give
    bid/ask/volumes, candle files of timeframe `name` open/high/low/close/volume.

    DataError (naming `file`) when it does not decompress, holds a partial record, has a time
    past its period or an implausible price: what a download verifies before keeping a file.
    """
    scale = 10.0 ** pair.price_decimals
    if name == "tick":
        records = _records(data, TICK_RECORD, file)
        part = {"bid": records["bid"] / scale, "ask": records["ask"] / scale,
                "bid_volume": records["bid_volume"].astype(np.float64),
                "ask_volume": records["ask_volume"].astype(np.float64)}
        times = _times(file, start, _TICKS, records["ms"], 1_000_000)
    else:
        records = _records(data, CANDLE_RECORD, file)
        part = {k: records[k] / scale for k in ("open", "high", "low", "close")}
        part["volume"] = records["volume"].astype(np.float64)
        times = _times(file, start, _CANDLES[name], records["s"], 1_000_000_000)
    check_prices(pd.DataFrame(part), path=file, rows=np.arange(1, len(records) + 1),
                 unit="record", pair=pair.symbol)
    return times, part


def _read_ticks(folder: Path, pair: FxPair, notes: list[str],
                only: list[Path] | None = None) -> pd.DataFrame:
    """All tick files (or those `only`): bid, ask and volumes (millions, as stored)."""
    times, columns = [], {name: [] for name in TICK_COLUMNS}
    files = _files(folder, _TICKS, "tick", only)
    for file, start in files:
        stamps, part = decode(file.read_bytes(), file, "tick", start, pair)
        times.append(stamps)
        for name, values in part.items():
            columns[name].append(values)
    empty = sum(len(t) == 0 for t in times)
    notes.append(
        f"{len(files)} tick files ({empty} empty: no ticks in that hour); volumes are in "
        "millions of base units, as the datafeed stores them"
    )
    return _frame(times, columns)


def _read_candles(folder: Path, pair: FxPair, name: str, notes: list[str],
                  only: list[Path] | None = None) -> pd.DataFrame:
    """All BID candle files of timeframe `name` (or those `only`), as open high low close
    volume bars."""
    layout = _CANDLES[name]
    times, columns = [], {k: [] for k in ("open", "high", "low", "close", "volume")}
    files = _files(folder, layout, f"BID {name} candle", only)
    for file, start in files:
        stamps, part = decode(file.read_bytes(), file, name, start, pair)
        times.append(stamps)
        for key, values in part.items():
            columns[key].append(values)
    frame = _frame(times, columns)
    flat = int(((frame["open"] == frame["high"]) & (frame["high"] == frame["low"])
                & (frame["low"] == frame["close"]) & (frame["volume"] == 0)).sum())
    notes.append(
        f"{len(files)} BID {name} candle files; volume in millions of base units (the sum of "
        f"the tick bid volumes); {flat} flat bars without ticks (weekends, holidays) kept"
    )
    ask_files = 0 if only is not None else sum(
        1 for _ in folder.glob(layout.pattern.replace("BID_", "ASK_")))
    if ask_files:
        notes.append(f"{ask_files} ASK_ candle files ignored: bars are bid, ticks give the ask")
    if name == "D1":
        notes.append(
            "Dukascopy D1 bars are UTC-midnight days, not the FX day of 17:00 New York; "
            "resample H1 or M1 bars for FX-day bars"
        )
    return frame


def _frame(times: list[np.ndarray], columns: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """One frame from per-file arrays, indexed by UTC time, in file order (not re-sorted)."""
    index = pd.DatetimeIndex(np.concatenate(times).astype("datetime64[ns]"), name="time")
    return pd.DataFrame(
        {name: np.concatenate(parts) for name, parts in columns.items()},
        index=index.tz_localize("UTC"),
    )
