"""A CSV with a header row: columns found by name, or by an explicit mapping.

This is the reader of last resort (it comes last in detection), for exports of other platforms and
for files a trader made. The rules, so that nothing is guessed silently:

- Columns are found by name, case-insensitively and ignoring spaces, ``_`` and ``-``: the time in
  ``time``, ``datetime``, ``timestamp``, ``gmt time`` or ``local time``, or in separate ``date``
  and ``time`` columns (joined), or in an unnamed first column (pandas' ``to_csv`` layout, as in
  backtesting.py's ``EURUSD.csv``); prices in ``open high low close`` (or ``o h l c``); optional
  ``volume`` (``vol``, ``tickvol``; 0 when absent) and ``spread`` (in price units, ask − bid).
  A file with ``bid`` and ``ask`` instead of OHLC holds ticks (optional ``bid_volume`` and
  ``ask_volume``). `ReadOptions.columns` maps canonical names to file columns where the names
  differ (``{"time": "When", "close": "Last"}``); the rest are still found by name.
- The delimiter is the one of ``,`` ``;`` TAB that splits the header row into most fields. With
  ``;`` or TAB, prices written with a decimal comma (European spreadsheets) are read as such.
- Timestamps are parsed with `ReadOptions.time_format` when given, else with the format pandas
  infers from the first row; where that row reads both day-first and month-first, the reading
  that keeps the times in order wins. Timestamps with a UTC offset are converted with their own
  offset; naive ones are in `ReadOptions.tz`, UTC by default. `Loaded.notes` says which applied.

`pair_from_name` and `resolve_pair` are shared with the MetaTrader and Parquet readers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from fxjudge.data.bars import infer_timeframe
from fxjudge.data.clock import check_clock, to_utc
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source, _line_numbers
from fxjudge.data.validate import check_prices
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError

#: Canonical column -> accepted header names, normalised by `_normal`; earlier names win.
ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("datetime", "timestamp", "gmttime", "localtime", "time"),
    "date": ("date",),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "tickvol", "tickvolume"),
    "spread": ("spread",),
    "bid": ("bid",),
    "ask": ("ask",),
    "bid_volume": ("bidvolume", "bidvol"),
    "ask_volume": ("askvolume", "askvol"),
}
BAR_PRICES = ("open", "high", "low", "close")
TICK_PRICES = ("bid", "ask")
DELIMITERS = (",", ";", "\t")
#: A spread wider than this fraction of the price cannot be in price units (it is in points/pips).
MAX_SPREAD_FRACTION = 0.01

_PAIR_IN_NAME = re.compile(r"^([A-Za-z]{3})[_\-./ ]?([A-Za-z]{3})")
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


_HISTDATA_PREFIX = re.compile(r"^DAT_[A-Z]+_", re.IGNORECASE)


def pair_from_name(name: str) -> str | None:
    """The pair a file name starts with (``USDJPY60.csv``, ``EUR_USD-2019.csv``), else None.

    HistData's prefixes (``DAT_MT_``, ``DAT_ASCII_``, ``DAT_NT_``) are skipped first.
    """
    match = _PAIR_IN_NAME.match(_HISTDATA_PREFIX.sub("", Path(name).name))
    if not match:
        return None
    try:
        return FxPair.parse("".join(match.groups())).symbol
    except ConfigError:
        return None


def resolve_pair(source: Source, options: ReadOptions, notes: list[str]) -> str | None:
    """The pair: `options.pair` if given (noting a file name that differs), else the name's."""
    named = pair_from_name(source.name)
    if options.pair is None:
        return named
    given = FxPair.parse(options.pair).symbol
    if named is not None and named != given:
        notes.append(f"pair {given} as given, although the file name {source.name!r} says {named}")
    return given


def _normal(name: str) -> str:
    """A header name compared case-insensitively, without spaces, ``_`` and ``-``."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def sniff_delimiter(line: str) -> str | None:
    """The delimiter that splits a header line into most fields; None when none splits it."""
    counts = {sep: line.count(sep) for sep in DELIMITERS}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else None


def split_header(line: str, sep: str) -> list[str]:
    """The header's field names, honouring CSV quoting."""
    return [field.strip() for field in next(csv.reader([line], delimiter=sep))]


def find_columns(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Canonical column -> position in `header`: `mapping` first, then `ALIASES` by name.

    ``time`` falls back to an unnamed first column, then to ``date`` alone (daily files); a
    ``date`` is kept beside a column named ``time`` (or a mapped one), to be joined with it, and
    dropped beside a full timestamp (``datetime``, ``timestamp`` ...).
    A mapping key that is not a canonical name is a `ConfigError`; a mapped column the header
    lacks raises `KeyError` with that column's name.
    """
    found: dict[str, int] = {}
    for key, column in (mapping or {}).items():
        if key not in ALIASES:
            raise ConfigError(
                f"`columns` keys must be among {', '.join(ALIASES)}, was {key!r}"
            )
        exact = [i for i, name in enumerate(header) if name == column]
        loose = [i for i, name in enumerate(header) if _normal(name) == _normal(column)]
        if not (exact or loose):
            raise KeyError(column)
        found[key] = (exact or loose)[0]
    normal = [_normal(name) for name in header]
    time_alias = None
    for key, aliases in ALIASES.items():
        if key in found or (key == "date" and mapping and "time" in mapping):
            continue
        for alias in aliases:
            if alias in normal and normal.index(alias) not in found.values():
                found[key] = normal.index(alias)
                time_alias = alias if key == "time" else time_alias
                break
    if time_alias not in (None, "time"):
        found.pop("date", None)
    if "time" not in found and header and not header[0]:
        found["time"] = 0
    if "time" not in found and "date" in found:
        found["time"] = found.pop("date")
    return found


def kind_of(found: dict[str, int], wanted: str | None = None) -> str | None:
    """``bars`` when OHLC columns were found, ``ticks`` for bid/ask (`wanted` decides if both)."""
    has = {
        "bars": all(k in found for k in BAR_PRICES),
        "ticks": all(k in found for k in TICK_PRICES),
    }
    if wanted and has[wanted]:
        return wanted
    return next((kind for kind, ok in has.items() if ok), None)


def parse_timestamps(
    values: pd.Series,
    *,
    path: str | Path,
    rows: np.ndarray,
    options: ReadOptions,
    unit: str = "line",
) -> tuple[pd.DatetimeIndex, str]:
    """Parse timestamp text to a UTC index (ns); also return the note saying how it was read.

    `rows` holds the file line (or row) of each value, for the error naming the first bad one.
    """
    first = str(values.iloc[0])
    if options.time_format:
        formats = [options.time_format]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            month_first = guess_datetime_format(first)
            day_first = guess_datetime_format(first, dayfirst=True)
        formats = [f for f in (month_first, day_first) if f]
        # A year-first date is always year-month-day; pandas' day-first guess would swap it.
        formats = list(dict.fromkeys(f for f in formats if f == month_first or f[:2] != "%Y"))
        if not formats:
            raise DataError(
                f"time {first!r} is not a timestamp format pandas recognises",
                path=path,
                where=f"{unit} {rows[0]}",
                fix="pass time_format, e.g. '%d.%m.%Y %H:%M:%S'",
            )
    readings = {}
    for fmt in formats:
        aware = "%z" in fmt or "%Z" in fmt
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=aware)
        readings[fmt] = pd.DatetimeIndex(parsed).as_unit("ns")
    complete = {fmt: index for fmt, index in readings.items() if not index.isna().any()}
    if not complete:
        fmt, index = next(iter(readings.items()))
        i = int(np.flatnonzero(index.isna())[0])
        given = "given" if options.time_format else "of the first row"
        raise DataError(
            f"time {str(values.iloc[i])!r} does not match the format {fmt!r} {given}",
            path=path,
            where=f"{unit} {rows[i]}",
            fix="correct or delete that row, or pass time_format",
        )
    fmt = min(complete, key=lambda f: int((np.diff(complete[f].asi8) < 0).sum()))
    index = complete[fmt]
    ambiguous = "" if len(complete) == 1 else (
        f"; the dates read both day-first and month-first, {fmt!r} was taken as it has the "
        "fewest backward steps (pass time_format if that is wrong)"
    )
    if index.tz is not None:
        note = f"timestamps ({fmt!r}) carry their UTC offset and were converted with it"
        if options.tz:
            note += f"; tz {options.tz!r} was not needed"
        return index.tz_convert("UTC"), note + ambiguous
    spec = options.tz or "UTC"
    stated = "as given" if options.tz else "the default when tz is not given"
    note = f"timestamps ({fmt!r}) have no UTC offset; read in clock {spec!r} ({stated})"
    return to_utc(index, spec), note + ambiguous


class GenericCsvReader(Reader):
    """A CSV whose header names a time and OHLC (or bid/ask) columns; see the module docstring."""

    name = "csv"
    title = "CSV with a header row (columns by name or by a mapping)"

    def sniff(self, source: Source) -> str | None:
        """Accept a text file whose first line is a header naming time and price columns."""
        if source.is_dir:
            return "is a folder"
        lines = source.head_lines(1)
        if not lines:
            return "the file is empty"
        if "\x00" in source.head:
            return "a binary file, not text"
        sep = sniff_delimiter(lines[0])
        header = split_header(lines[0], sep) if sep else []
        found = find_columns(header)
        if "time" not in found or kind_of(found) is None:
            return (
                "no header row naming a time column and open/high/low/close (or bid/ask) "
                f"columns (first line: {lines[0][:60]!r})"
            )
        return None

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse the whole file into UTC-indexed bars or ticks."""
        if options.tz:
            check_clock(options.tz)
        text = source.text
        all_lines = text.split("\n")
        header_at = next((i for i, line in enumerate(all_lines) if line.strip()), None)
        if header_at is None:
            raise DataError(
                "the file is empty (no data rows)", path=source.path,
                fix="download or export it again",
            )
        sep = sniff_delimiter(all_lines[header_at].rstrip("\r")) or ","
        header = split_header(all_lines[header_at].rstrip("\r"), sep)
        columns = self._columns(header, options, source.path)
        kind = kind_of(columns, options.kind)
        wanted = BAR_PRICES + ("volume", "spread") if kind == "bars" else TICK_PRICES + (
            "bid_volume", "ask_volume"
        )
        numeric = {key: columns[key] for key in wanted if key in columns}
        first_row = next(
            (line.rstrip("\r") for line in all_lines[header_at + 1 :] if line.strip()), ""
        )
        decimal = "." if sep == "," else _decimal_mark(first_row, sep, numeric)
        frame, rows = _read_table(
            text, path=source.path, sep=sep, width=len(header), skip=header_at + 1,
            numeric=numeric, decimal=decimal,
        )
        named = (
            f"{k}={header[columns[k]] or '(unnamed first column)'!r}"
            for k in ALIASES if k in columns
        )
        notes = [f"columns: {', '.join(named)}"]
        if decimal == ",":
            notes.append("prices written with a decimal comma")
        times = frame[columns["time"]]
        if "date" in columns:
            times = frame[columns["date"]] + " " + times
        missing = np.flatnonzero(times.isna().to_numpy())
        if len(missing):
            raise DataError(
                "time is missing", path=source.path, where=f"line {rows[missing[0]]}",
                fix="correct or delete that row",
            )
        index, note = parse_timestamps(times, path=source.path, rows=rows, options=options)
        notes.append(note)
        data = pd.DataFrame(
            {key: frame[position].to_numpy() for key, position in numeric.items()},
            index=index.rename("time"),
        )
        pair = resolve_pair(source, options, notes)
        check_prices(data, path=source.path, rows=rows, pair=pair)
        if kind == "bars":
            data = self._bar_extras(data, rows=rows, path=source.path, notes=notes)
            tf = infer_timeframe(index)
            notes.append(
                f"timeframe {tf.name} inferred from the bar spacing" if tf
                else "timeframe not recognised from the bar spacing"
            )
        else:
            for column in ("bid_volume", "ask_volume"):
                if column not in data:
                    data[column] = 0.0
            tf = None
        return Loaded(
            data, kind, format=self.name, timeframe=tf.name if tf else None,
            pair=pair, notes=notes,
        )

    @staticmethod
    def _columns(header: list[str], options: ReadOptions, path: Path) -> dict[str, int]:
        """Find the columns, or say which are missing and list the file's own columns."""
        listed = ", ".join(repr(name) for name in header)
        try:
            columns = find_columns(header, options.columns)
        except KeyError as exc:
            raise DataError(
                f"the column mapping names {exc.args[0]!r}, which the file does not have "
                f"(its columns: {listed})",
                path=path,
                fix="correct `columns` to name the file's own columns",
            ) from None
        need = [] if "time" in columns else ["a time column"]
        if kind_of(columns) is None:
            absent = ", ".join(k for k in BAR_PRICES if k not in columns)
            need.append(f"price columns ({absent}, or bid and ask)")
        if need:
            raise DataError(
                f"found no {' and no '.join(need)} (the file's columns: {listed})",
                path=path,
                fix="name them time/open/high/low/close (or bid/ask) in the header, "
                "or pass a column mapping, e.g. columns={'time': 'Date'}",
            )
        return columns

    @staticmethod
    def _bar_extras(
        data: pd.DataFrame, *, rows: np.ndarray, path: Path, notes: list[str]
    ) -> pd.DataFrame:
        """Default a missing volume to 0 and check that a spread is in price units."""
        if "volume" not in data:
            data["volume"] = 0.0
            notes.append("no volume column: volume set to 0")
        if "spread" in data:
            spread, close = data["spread"].to_numpy(), data["close"].to_numpy()
            bad = np.flatnonzero(~(spread >= 0) | (spread > close * MAX_SPREAD_FRACTION))
            if len(bad):
                i = bad[0]
                raise DataError(
                    f"spread {spread[i]:g} is not a price difference (negative, missing or "
                    f"over {MAX_SPREAD_FRACTION:.0%} of the close {close[i]:g})",
                    path=path,
                    where=f"line {rows[i]}",
                    fix="give the spread in price units (points × 10^-digits), "
                    "or remove the column",
                )
            notes.append("spread read in price units (ask − bid)")
        return data


def _decimal_mark(row: str, sep: str, numeric: dict[str, int]) -> str:
    """``,`` when the first data row writes its prices with a decimal comma, else ``.``."""
    fields = row.split(sep)
    prices = [fields[i] for key, i in numeric.items() if key in BAR_PRICES + TICK_PRICES
              and i < len(fields)]
    return "," if prices and all(_DECIMAL_COMMA.match(p) for p in prices) else "."


def _read_table(
    text: str,
    *,
    path: Path,
    sep: str,
    width: int,
    skip: int,
    numeric: dict[str, int],
    decimal: str,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse the rows below the header: numeric columns as float64, the rest as text.

    Columns are keyed by position. Fields beyond the header's `width` are an error naming the line;
    a missing or non-numeric value in a numeric column too (other columns may hold anything).
    """
    names = list(range(width))
    common = dict(
        sep=sep, header=None, names=names, skiprows=skip, engine="c", on_bad_lines="error",
        skip_blank_lines=True, keep_default_na=False, na_values=[""], decimal=decimal,
    )
    floats = {i: (np.float64 if i in numeric.values() else str) for i in names}
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=floats, **common)
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        if not found:
            raise DataError(
                f"could not be parsed as {sep!r}-separated text ({exc})",
                path=path,
                fix="check the file's quoting and delimiter",
            ) from None
        raise DataError(
            f"expected {width} fields separated by {sep!r} (as in the header), "
            f"found {found.group(2)}",
            path=path,
            where=f"line {found.group(1)}",
            fix="correct or delete that row",
        ) from None
    except ValueError:
        frame = pd.read_csv(io.StringIO(text), dtype=str, **common)
    rows = _line_numbers(text, skip, len(frame))
    if not len(frame):
        raise DataError(
            "the file is empty (no data rows)", path=path, fix="download or export it again"
        )
    for key, position in numeric.items():
        column = frame[position]
        values = column if column.dtype == np.float64 else pd.to_numeric(
            column.str.replace(decimal, ".", regex=False), errors="coerce"
        )
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            i = bad[0]
            written = column.iloc[i]
            what = "is missing" if pd.isna(written) else f"{str(written).strip()!r} is not a number"
            raise DataError(
                f"{key} {what}", path=path, where=f"line {rows[i]}",
                fix="correct or delete that row",
            )
        frame[position] = values.astype(np.float64)
    return frame, rows
