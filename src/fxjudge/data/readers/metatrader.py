"""MetaTrader 4 and 5 bar exports (docs/data.md), in broker server time.

- MT4 History Center CSV (`Mt4Reader`): no header, ``YYYY.MM.DD,HH:MM,O,H,L,C,VOLUME``, CRLF or
  LF; the volume is the tick volume (price changes per bar), not traded size.
- MT5 "Export Bars" (`Mt5Reader`): TAB-separated under the header
  ``<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>``, time ``HH:MM:SS``, ASCII
  or UTF-16 with a BOM (`Source.text` decodes both). The volume is ``<TICKVOL>``; ``<VOL>`` is
  exchange volume, 0 for OTC FX, and is not used. The script-made variant
  ``DateTime,Open,High,Low,Close,TickVolume,Spread`` (comma, ``YYYY.MM.DD HH:MM:SS``, the
  "ExportHistory" scripts) is read by the same reader: same clock, same units.
- ``<SPREAD>`` is in points, 1 point = 10^-digits of the symbol, so the ``spread`` column (price
  units) is SPREAD / 10^digits. The files do not state the digits, so they are taken as the most
  decimals written in any price of the file (MetaTrader prints prices with the symbol's digits,
  trailing zeros kept: ``1.14560``, ``102.000``). That serves 4- and 5-digit brokers alike; when
  the pair is known and quotes usually have another number of decimals (`FxPair.price_decimals`),
  the notes say so. MetaTrader documents the bar's spread as the lowest in the bar, so costs from
  it are on the optimistic side.
- Clock: broker server time, which the files do not state. `ReadOptions.tz` gives it; without it,
  the common "New York close" convention (UTC+2 in winter, UTC+3 in US summer) is assumed, and
  the notes say that it was an assumption. Both sample brokers' weeks (Mon 00:00 → Fri 23:xx)
  match that convention.
- Timeframe from the file name (``USDJPY60.csv`` → H1, ``USDJPY1`` → M1, ``EURUSD1440`` → D1,
  ``EURUSD_H1.csv`` → H1), else inferred from the bar spacing; the pair from `ReadOptions.pair`,
  else from the file name.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data.bars import TIMEFRAMES, Timeframe, infer_timeframe, timeframe_from_minutes
from fxjudge.data.clock import NY_CLOSE, check_clock, to_utc
from fxjudge.data.clock_inference import histdata_to_utc
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source, parse_table, parse_times
from fxjudge.data.readers.generic import resolve_pair
from fxjudge.data.validate import check_prices
from fxjudge.domain import FxPair
from fxjudge.errors import DataError

PRICES = ["open", "high", "low", "close"]
MT4_NAMES = ["date", "time", *PRICES, "volume"]
#: MT5 "Export Bars" header names -> our column names (``real_volume`` is read, not used).
MT5_EXPORT = {
    "<DATE>": "date",
    "<TIME>": "time",
    "<OPEN>": "open",
    "<HIGH>": "high",
    "<LOW>": "low",
    "<CLOSE>": "close",
    "<TICKVOL>": "volume",
    "<VOL>": "real_volume",
    "<SPREAD>": "spread",
}
MT5_SCRIPT_HEADER = ["datetime", "open", "high", "low", "close", "tickvolume", "spread"]
MT5_SCRIPT_NAMES = ["time", *PRICES, "volume", "spread"]
#: Broker timestamps: ``YYYY.MM.DD``, then ``HH:MM`` or ``HH:MM:SS``, by the count of colons.
TIME_FORMATS = {0: "%Y.%m.%d", 1: "%Y.%m.%d %H:%M", 2: "%Y.%m.%d %H:%M:%S"}

_MT4_ROW = re.compile(r"^\d{4}\.\d{2}\.\d{2},\d{2}:\d{2}(,[^,]*){5}$")
_MT_STAMP = re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}")
_TF_TOKEN = re.compile(r"(?:^|[_\-\s.])(M1|M5|M15|M30|H1|H4|D1|W1)(?=$|[_\-\s.])", re.IGNORECASE)
_TF_MINUTES = re.compile(r"^[A-Za-z]{6}[A-Za-z.#]*?(\d+)$")


def timeframe_from_name(name: str) -> Timeframe | None:
    """The timeframe a MetaTrader file name gives: ``_H1`` or a trailing count of minutes."""
    stem = Path(name).stem
    token = _TF_TOKEN.search(stem)
    if token:
        return TIMEFRAMES[token.group(1).upper()]
    minutes = _TF_MINUTES.match(stem)
    return timeframe_from_minutes(int(minutes.group(1))) if minutes else None


def broker_clock(options: ReadOptions, notes: list[str]) -> str:
    """The broker's server clock: `options.tz`, else the New York close convention (noted)."""
    if options.tz:
        notes.append(f"clock: broker server time read as {check_clock(options.tz)!r} (tz as given)")
        return options.tz
    notes.append(
        f"clock: broker server time taken as {NY_CLOSE!r} (UTC+2 in winter, UTC+3 in US "
        "summer), the default assumption as no tz was given; pass tz if the broker's server "
        "clock differs"
    )
    return NY_CLOSE


def bar_timeframe(source: Source, index: pd.DatetimeIndex, notes: list[str]) -> str | None:
    """The timeframe from the file name, else from the bar spacing; disagreements noted."""
    named = timeframe_from_name(source.name)
    inferred = infer_timeframe(index)
    if named is None:
        notes.append(
            f"timeframe {inferred.name} inferred from the bar spacing" if inferred
            else "timeframe not recognised from the file name or the bar spacing"
        )
        return inferred.name if inferred else None
    note = f"timeframe {named.name} from the file name {source.name!r}"
    if inferred is not None and inferred != named:
        note += f", although the bars are mostly {inferred.name} apart"
    notes.append(note)
    return named.name


def _broker_times(
    stamps: pd.Series, *, path: Path, lines: np.ndarray, clock: str
) -> pd.DatetimeIndex:
    """Broker timestamp text to UTC, the format chosen from the first row's precision."""
    fmt = TIME_FORMATS.get(str(stamps.iloc[0]).count(":"), TIME_FORMATS[2])
    naive = parse_times(stamps, fmt=fmt, path=path, lines=lines)
    return to_utc(naive, clock).rename("time")


class Mt4Reader(Reader):
    """MetaTrader 4 History Center CSV: ``YYYY.MM.DD,HH:MM,O,H,L,C,VOLUME``, no header."""

    name = "mt4"
    title = "MetaTrader 4 History Center CSV"

    def sniff(self, source: Source) -> str | None:
        """Accept a file whose first line is an MT4 bar row."""
        if source.is_dir:
            return "is a folder"
        lines = source.head_lines(1)
        if not lines:
            return "the file is empty"
        if not _MT4_ROW.match(lines[0]):
            return (
                f"first line is not YYYY.MM.DD,HH:MM,open,high,low,close,volume: {lines[0][:60]!r}"
            )
        return None

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse every row; broker time to UTC."""
        notes: list[str] = []
        histdata = source.name.upper().startswith("DAT_MT_") and not options.tz
        clock = None if histdata else broker_clock(options, notes)
        frame, lines = parse_table(
            source.text, path=source.path, sep=",", names=MT4_NAMES, numeric=[*PRICES, "volume"]
        )
        stamps = frame["date"] + " " + frame["time"]
        unresolved: list[str] = []
        if histdata:
            # HistData's "MetaTrader" download has MT4's layout but HistData's New York clock.
            naive = parse_times(stamps, fmt=TIME_FORMATS[1], path=source.path, lines=lines)
            inferred = histdata_to_utc(naive, bar_length=pd.Timedelta(minutes=1))
            index, unresolved = inferred.utc.rename("time"), inferred.unresolved_weeks
            notes.append("HistData MetaTrader-format file: its clock is inferred week by week "
                         "as for HistData ASCII, not taken as broker time")
            notes += inferred.notes
        else:
            index = _broker_times(stamps, path=source.path, lines=lines, clock=clock)
        bars = pd.DataFrame({c: frame[c].to_numpy() for c in [*PRICES, "volume"]}, index=index)
        pair = resolve_pair(source, options, notes)
        check_prices(bars, path=source.path, rows=lines, pair=pair)
        notes.append("volume is MT4 tick volume (price changes per bar), not traded size")
        return Loaded(
            bars, "bars", format=self.name, timeframe=bar_timeframe(source, index, notes),
            pair=pair, notes=notes, unresolved_weeks=unresolved,
        )


class Mt5Reader(Reader):
    """MetaTrader 5 "Export Bars" (TAB, ``<SPREAD>`` in points) and its script-made CSV variant."""

    name = "mt5"
    title = 'MetaTrader 5 "Export Bars" (or an ExportHistory script CSV)'

    def sniff(self, source: Source) -> str | None:
        """Accept either MT5 header (the script variant also needs broker-style timestamps)."""
        if source.is_dir:
            return "is a folder"
        lines = source.head_lines(2)
        if not lines:
            return "the file is empty"
        layout = _layout(lines[0])
        if isinstance(layout, str):
            return layout
        if layout[0] == "," and not (len(lines) > 1 and _MT_STAMP.match(lines[1])):
            return "the DateTime column is not in MetaTrader's YYYY.MM.DD HH:MM:SS form"
        return None

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse every row; broker time to UTC; spread points to price units."""
        notes: list[str] = []
        clock = broker_clock(options, notes)
        text = source.text
        layout = _layout(text.split("\n", 1)[0].rstrip("\r"))
        if isinstance(layout, str):
            raise DataError(
                f"not an MT5 export: {layout}", path=source.path, where="line 1",
                fix="export the bars again from MetaTrader 5 (Symbols → Bars → Export)",
            )
        sep, names = layout
        numeric = [n for n in names if n not in ("date", "time")]
        frame, lines = parse_table(
            text, path=source.path, sep=sep, names=names, header_lines=1, numeric=numeric
        )
        if "date" not in names:
            stamps = frame["time"]
        else:
            stamps = frame["date"] + " " + frame["time"] if "time" in names else frame["date"]
        index = _broker_times(stamps, path=source.path, lines=lines, clock=clock)
        bars = pd.DataFrame({c: frame[c].to_numpy() for c in [*PRICES, "volume"]}, index=index)
        pair = resolve_pair(source, options, notes)
        check_prices(bars, path=source.path, rows=lines, pair=pair)
        notes.append(
            "volume is MT5 tick volume (<TICKVOL>, price changes per bar)"
            + ("; <VOL>, exchange volume (0 for OTC FX), is not used" if "real_volume" in names
               else "")
        )
        if "spread" in names:
            digits = _price_decimals(text, sep=sep, positions=[names.index(p) for p in PRICES])
            bars["spread"] = frame["spread"].to_numpy() / 10**digits
            notes.append(
                f"spread: <SPREAD> points / 10^{digits} ({digits} = the most decimals in the "
                "file's prices); MetaTrader records the bar's lowest spread"
            )
            usual = FxPair.parse(pair).price_decimals if pair else digits
            if usual != digits:
                notes.append(
                    f"prices have {digits} decimals where {pair} is usually quoted with {usual}: "
                    f"spread points were taken as 10^-{digits} (check against the broker)"
                )
        return Loaded(
            bars, "bars", format=self.name, timeframe=bar_timeframe(source, index, notes),
            pair=pair, notes=notes,
        )


def _layout(header: str) -> tuple[str, list[str]] | str:
    """The delimiter and column names an MT5 header line gives, else why it is not one."""
    if header.startswith("<"):
        tokens = [t.strip().upper() for t in header.split("\t")]
        if "<BID>" in tokens:
            return "an MT5 tick export (<BID>/<ASK>), not bars; export bars instead"
        unknown = [t for t in tokens if t not in MT5_EXPORT]
        names = [MT5_EXPORT.get(t) for t in tokens]
        missing = [t for t, n in MT5_EXPORT.items() if n in ("date", *PRICES, "volume")
                   and n not in names]
        if unknown or missing:
            return (
                f"an MT5 header with unknown {unknown} or without {missing}: {header[:80]!r}"
            )
        return "\t", names
    if [t.strip().lower() for t in header.split(",")] == MT5_SCRIPT_HEADER:
        return ",", MT5_SCRIPT_NAMES
    return (
        "first line is neither the MT5 Export Bars header (<DATE>\\t<TIME>\\t<OPEN>...) nor "
        f"DateTime,Open,High,Low,Close,TickVolume,Spread: {header[:60]!r}"
    )


def _price_decimals(text: str, *, sep: str, positions: list[int]) -> int:
    """The most decimals written in any price of the file (``1.14565`` → 5, ``102.000`` → 3)."""
    prices = pd.read_csv(
        io.StringIO(text), sep=sep, header=None, skiprows=1, usecols=positions, dtype=str,
        engine="c",
    )
    decimals = 0
    for column in prices:
        written = prices[column].str.strip()
        dot = written.str.find(".")
        decimals = max(decimals, int((written.str.len() - dot - 1).where(dot >= 0, 0).max()))
    return decimals
