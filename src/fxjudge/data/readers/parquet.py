"""Parquet files: the local catalog's own format, and frames a user saved with pandas.

Recognised by the ``PAR1`` magic bytes. The frame is indexed by timestamps, or has a time column
found by name as in the generic CSV (``time``, ``datetime``, ``timestamp`` ...); tz-aware times are
converted to UTC, naive ones are taken in `ReadOptions.tz` (UTC by default). Bar columns
``open high low close [volume] [spread]`` or tick columns ``bid ask [bid_volume] [ask_volume]``
are found case-insensitively, also as in the generic CSV. The catalog writes bars with
``bars.attrs`` (``pair``, ``timeframe``, ``source``, ``price_side``), which pandas keeps in the
file's metadata and restores on reading: those win over `ReadOptions`, and a pair given that
contradicts them is an error (a wrong pair would give wrong pip values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fxjudge.data.bars import infer_timeframe
from fxjudge.data.clock import check_clock, to_utc
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source
from fxjudge.data.readers.generic import (
    BAR_PRICES,
    TICK_PRICES,
    find_columns,
    kind_of,
    pair_from_name,
    parse_timestamps,
)
from fxjudge.data.validate import check_prices
from fxjudge.domain import FxPair
from fxjudge.errors import DataError

MAGIC = b"PAR1"


class ParquetReader(Reader):
    """A Parquet file of bars or ticks (the catalog's format); see the module docstring."""

    name = "parquet"
    title = "Parquet (the catalog's format, or a pandas frame saved with to_parquet)"

    def sniff(self, source: Source) -> str | None:
        """Accept a plain file that starts with the Parquet magic bytes."""
        if source.is_dir:
            return "is a folder"
        if source.is_zip:
            return "a zip archive, not a Parquet file"
        with open(source.path, "rb") as handle:
            start = handle.read(len(MAGIC))
        return None if start == MAGIC else "does not start with the Parquet magic bytes 'PAR1'"

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Read the frame, find its time and price columns, convert its times to UTC."""
        if options.tz:
            check_clock(options.tz)
        try:
            table = pd.read_parquet(source.path)
        except (OSError, ValueError) as exc:
            raise DataError(
                f"cannot be read as Parquet ({exc})", path=source.path,
                fix="write the file again (e.g. `fxjudge data import` from the original)",
            ) from None
        attrs = dict(table.attrs)
        notes = []
        rows = np.arange(1, len(table) + 1)
        if not len(table):
            raise DataError(
                "the file holds no rows", path=source.path, fix="write the file again"
            )
        header = [str(name) for name in table.columns]
        found = find_columns(header)
        if isinstance(table.index, pd.DatetimeIndex):
            times = table.index
        elif "time" in found:
            times = table.iloc[:, found.pop("time")]
        else:
            raise DataError(
                "has no timestamps: neither a DatetimeIndex nor a time column "
                f"(its columns: {', '.join(header)})",
                path=source.path,
                fix="save the frame indexed by time, or with a column named 'time'",
            )
        index, note = _utc_times(times, source=source, rows=rows, options=options)
        notes.append(note)
        if attrs.get("source"):
            notes.append(f"converted from {attrs['source']}")
        wanted = "ticks" if attrs.get("timeframe") == "tick" else options.kind
        kind = kind_of(found, wanted)
        if kind is None:
            raise DataError(
                "has no open/high/low/close (or bid/ask) columns "
                f"(its columns: {', '.join(header)})",
                path=source.path,
                fix="name the price columns open, high, low, close (or bid, ask)",
            )
        columns = (
            [*BAR_PRICES, "volume", "spread"] if kind == "bars"
            else [*TICK_PRICES, "bid_volume", "ask_volume"]
        )
        data = pd.DataFrame(index=index)
        for name in columns:
            if name in found:
                data[name] = _floats(table.iloc[:, found[name]], name=name, source=source)
            elif name != "spread":
                data[name] = 0.0
                notes.append(f"no {name} column: {name} set to 0")
        pair = _pair(attrs, source, options)
        check_prices(data, path=source.path, rows=rows, unit="row", pair=pair)
        return Loaded(
            data, kind, format=self.name,
            timeframe=_timeframe(attrs, kind, index, options, notes),
            pair=pair,
            price_side="ask" if attrs.get("price_side") == "ask" else "bid",
            notes=notes,
        )


def _utc_times(
    times: pd.Series | pd.Index, *, source: Source, rows: np.ndarray, options: ReadOptions
) -> tuple[pd.DatetimeIndex, str]:
    """Stored times (datetime or text) as a UTC index in ns, and the note saying how."""
    if not pd.api.types.is_datetime64_any_dtype(times):
        if not pd.api.types.is_string_dtype(times):
            raise DataError(
                f"the time column holds {times.dtype}, not timestamps", path=source.path,
                fix="store the times as datetime64 (tz-aware or UTC)",
            )
        return parse_timestamps(pd.Series(times), path=source.path, rows=rows, options=options,
                                unit="row")
    index = pd.DatetimeIndex(times, name="time").as_unit("ns")
    if index.tz is not None:
        return index.tz_convert("UTC"), f"times stored tz-aware ({index.tz}), converted to UTC"
    spec = options.tz or "UTC"
    stated = "as given" if options.tz else "the default when tz is not given"
    return to_utc(index, spec), f"times stored without a zone; read in clock {spec!r} ({stated})"


def _floats(column: pd.Series, *, name: str, source: Source) -> np.ndarray:
    """A price or volume column as float64, or an error naming it."""
    try:
        return column.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"column {column.name!r} ({name}) holds {column.dtype}, not numbers",
            path=source.path,
            fix="store prices and volumes as numbers",
        ) from None


def _timeframe(
    attrs: dict, kind: str, index: pd.DatetimeIndex, options: ReadOptions, notes: list[str]
) -> str | None:
    """The stored timeframe, else the one given, else the bar spacing's (None for ticks)."""
    if kind == "ticks":
        return None
    if attrs.get("timeframe"):
        return str(attrs["timeframe"])
    if options.timeframe:
        notes.append(f"timeframe {options.timeframe} as given (the file does not store one)")
        return options.timeframe
    inferred = infer_timeframe(index)
    notes.append(
        f"timeframe {inferred.name} inferred from the bar spacing" if inferred
        else "timeframe not stored and not recognised from the bar spacing"
    )
    return inferred.name if inferred else None


def _pair(attrs: dict, source: Source, options: ReadOptions) -> str | None:
    """The stored pair, else the one given, else the file name's; a contradiction is an error."""
    given = FxPair.parse(options.pair).symbol if options.pair is not None else None
    stored = FxPair.parse(attrs["pair"]).symbol if attrs.get("pair") else None
    if stored and given and stored != given:
        raise DataError(
            f"holds {stored} (stored in the file), but the pair given is {given}",
            path=source.path,
            fix=f"drop the pair option or pass {stored}",
        )
    return stored or given or pair_from_name(source.name)
