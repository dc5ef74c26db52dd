"""HistData.com "Generic ASCII" files: M1 bars or ticks, zipped as downloaded or a bare CSV.

The format (docs/data.md) has no header. M1 rows are ``YYYYMMDD HHMMSS;OPEN;HIGH;LOW;CLOSE;
VOLUME`` (semicolons, the bar's open time, bid prices); tick rows are ``YYYYMMDD HHMMSSNNN,BID,
ASK,VOLUME`` (commas, NNN milliseconds). The format is told from the first line, not the name.

Decisions:

- Clock: inferred week by week from the data (`fxjudge.data.clock_inference`), because the
  documented fixed UTC-5 is wrong and the files switch on US dates in some years and EU dates in
  others. ``ReadOptions.tz`` overrides the inference.
- Rows are kept as read: not sorted, not de-duplicated (the repeated autumn hour of the 2019
  files stays in), so that the quality stage can count duplicates and backward steps.
- Volume: the M1 volume is kept as printed (0 in every file seen). A tick row has one volume
  column; it goes into ``bid_volume`` and ``ask_volume`` is 0. Bars are bid, and a bar's volume
  is built from bid volumes (as Dukascopy's candles are), so the number lands where the resampler
  reads it, and is never counted twice.
- Pair: the user's ``ReadOptions.pair`` when given, else the six letters in the file name
  (``DAT_ASCII_<PAIR>_...`` or ``HISTDATA_COM_ASCII_<PAIR>_...``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data.clock import to_utc
from fxjudge.data.clock_inference import histdata_to_utc
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source, parse_table, parse_times
from fxjudge.data.validate import check_prices
from fxjudge.errors import DataError

_BAR_ROW = re.compile(r"\d{8} \d{6};[^;]*;[^;]*;[^;]*;[^;]*;[^;]*")
_TICK_ROW = re.compile(r"\d{8} \d{9},[^,]*,[^,]*,[^,]*")
_PAIR_IN_NAME = re.compile(r"(?:DAT_ASCII|HISTDATA_COM_ASCII)_([A-Z0-9]{6})_", re.IGNORECASE)
_BAR_LAYOUT = "YYYYMMDD HHMMSS;open;high;low;close;volume"
_TICK_LAYOUT = "YYYYMMDD HHMMSSNNN,bid,ask,volume"


class HistDataReader(Reader):
    """HistData.com Generic ASCII: M1 bars or ticks, in the downloaded zip or a bare CSV."""

    name = "histdata"
    title = "HistData.com Generic ASCII (M1 bars or ticks; .zip as downloaded or bare .csv)"

    def sniff(self, source: Source) -> str | None:
        """Accept a source whose first line is a HistData M1 or tick row."""
        lines = source.head_lines(1)
        if not lines:
            return "the file is empty"
        if _BAR_ROW.fullmatch(lines[0]) or _TICK_ROW.fullmatch(lines[0]):
            return None
        return f"first line is not '{_BAR_LAYOUT}' (M1) or '{_TICK_LAYOUT}' (ticks)"

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse every row, check the prices and convert the file clock to UTC."""
        lines = source.head_lines(1)
        ticks = bool(lines) and _TICK_ROW.fullmatch(lines[0]) is not None
        kind = "ticks" if ticks else "bars"
        if options.kind is not None and options.kind != kind:
            raise DataError(
                f"holds {kind}, not {options.kind}",
                path=source.path,
                fix=f"ask for {kind}, or pass a HistData {options.kind} file",
            )
        path = f"{source.path}/{source.member}" if source.is_zip else source.path
        prices = ["bid", "ask"] if ticks else ["open", "high", "low", "close"]
        table, line_numbers = parse_table(
            source.text,
            path=path,
            sep="," if ticks else ";",
            names=["stamp", *prices, "volume"],
            numeric=[*prices, "volume"],
        )
        naive = _file_times(table["stamp"], ticks=ticks, path=path, lines=line_numbers)
        notes = [
            f"HistData {'ticks' if ticks else 'M1 bars'}: {len(table):,} rows from {source.name}"
        ]
        pair = _pair(source, options, notes)
        check_prices(table, path=path, rows=line_numbers, pair=pair)
        unresolved: list[str] = []
        if options.tz is not None:
            utc = to_utc(naive, options.tz)
            notes.append(f"clock {options.tz!r} as given, not inferred from the data")
        else:
            inferred = histdata_to_utc(
                naive, bar_length=pd.Timedelta(0) if ticks else pd.Timedelta(minutes=1)
            )
            utc, unresolved = inferred.utc, inferred.unresolved_weeks
            notes += inferred.notes

        volume = table["volume"].to_numpy(dtype=np.float64)
        if not volume.any():
            notes.append("volume is 0 in every row (HistData publishes no traded volume)")
        if ticks:
            columns = {
                "bid": table["bid"].to_numpy(dtype=np.float64),
                "ask": table["ask"].to_numpy(dtype=np.float64),
                "bid_volume": volume,
                "ask_volume": np.zeros(len(table)),
            }
            notes.append("the file's one volume column is in bid_volume; ask_volume is 0")
        else:
            columns = {name: table[name].to_numpy(dtype=np.float64) for name in prices}
            columns["volume"] = volume
        frame = pd.DataFrame(columns, index=pd.DatetimeIndex(utc, name="time"))

        return Loaded(
            frame,
            kind=kind,
            format=self.name,
            timeframe=None if ticks else "M1",
            pair=pair,
            notes=notes,
            unresolved_weeks=unresolved,
        )


def _file_times(
    stamps: pd.Series, *, ticks: bool, path: str | Path, lines: np.ndarray
) -> pd.DatetimeIndex:
    """Naive file-clock times from HistData stamps, through pandas' fast ISO path.

    pandas parses a non-ISO format such as ``%Y%m%d %H%M%S`` one string at a time (about 1.5 s
    for a year of M1 bars). Once every stamp is checked to have the fixed shape, putting colons
    into the time lets `parse_times` take the vectorised ISO path (about 0.3 s), which still
    rejects impossible dates and times, naming their line.
    """
    shape, layout = (
        (r"\d{8} \d{9}", "YYYYMMDD HHMMSSNNN") if ticks else (r"\d{8} \d{6}", "YYYYMMDD HHMMSS")
    )
    bad = np.flatnonzero(~stamps.str.fullmatch(shape).to_numpy(dtype=bool))
    if len(bad):
        raise DataError(
            f"timestamp {stamps.iloc[bad[0]]!r} is not {layout!r}",
            path=path,
            where=f"line {lines[bad[0]]}",
            fix="correct or delete that row",
        )
    iso = stamps.str.slice(0, 11) + ":" + stamps.str.slice(11, 13) + ":" + stamps.str.slice(13, 15)
    fmt = "%Y%m%d %H:%M:%S"
    if ticks:
        iso, fmt = iso + "." + stamps.str.slice(15, 18), fmt + ".%f"
    return parse_times(iso, fmt=fmt, path=path, lines=lines)


def _pair(source: Source, options: ReadOptions, notes: list[str]) -> str | None:
    """The pair the user gave, else the one in the file name (noting any disagreement)."""
    match = _PAIR_IN_NAME.search(source.name) or _PAIR_IN_NAME.search(source.path.name)
    named = match.group(1).upper() if match else None
    if options.pair is None:
        return named
    given = options.pair.symbol
    if named is not None and named != given:
        notes.append(f"the file name says {named}; {given} used as given")
    return given
