"""Dukascopy CSV exports (web "Historical data export" and JForex): bars and ticks.

The format (docs/data.md): one header line, ``,``-separated, LF or CRLF, the last line often
without a newline. The header's first column names the clock:

- ``Gmt time``: UTC.
- ``Local time``: every timestamp carries its own offset, ``31.12.2006 19:00:00.000 GMT-0500``;
  the offset changes with daylight saving inside one file, so each row is converted with its own.
- ``Time (EET)``: Eastern European Time with EU daylight saving, read as the zone
  ``Europe/Athens`` (UTC+2 winter, UTC+3 summer).
- ``Time``: the header does not say. Read as GMT (the bundled sample is GMT) unless
  ``ReadOptions.tz`` names the clock. ``tz`` also clocks ``Local time`` rows that lack the offset.

Bars follow with ``Open,High,Low,Close,Volume`` (any case), ticks with
``Ask,Bid,AskVolume,BidVolume``: ask **before** bid, so columns are taken by name, never by
position. Timestamps are day first, ``DD.MM.YYYY HH:MM:SS.mmm``, and are the bar's open time.

The file name says what the content does not (``EURUSD_Candlestick_1_Hour_BID_01.07.2020-...``):
the pair, the bar length (``_1_M_``/``_1_m_`` minutes, ``_1_Hour_``, ``_1_D_``, ``_1_W_``) and the
price side (``_BID_``/``_ASK_``; the bundled ``EURUSD_H1_2017_ASK.csv`` ends in ``_ASK.csv``). An
unnamed bar length is inferred from the bar spacing; an unnamed side is read as bid, with a note.

D1 exports start each bar at midnight of the export's clock (UTC midnight for ``Gmt time`` and
the ``Local time`` files seen), not at the FX day's 17:00 New York: a note says so. Flat weekend
rows (O=H=L=C, volume 0) are kept; the quality stage counts and drops them by its policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data import clock
from fxjudge.data.bars import TICK_COLUMNS, infer_timeframe, timeframe_from_minutes
from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source, parse_table, parse_times
from fxjudge.data.validate import check_prices
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError

TIME_FORMAT = "%d.%m.%Y %H:%M:%S.%f"
ATHENS = "Europe/Athens"

#: The clock each time header names; None where the header leaves it open.
_TIME_HEADERS = {"gmt time": "UTC", "time (eet)": ATHENS, "local time": None, "time": None}
_BAR_FIELDS = ("open", "high", "low", "close", "volume")
_TICK_FIELDS = {"ask": "ask", "bid": "bid", "askvolume": "ask_volume", "bidvolume": "bid_volume"}

#: A timestamp as Dukascopy writes it, and its optional local-time suffix.
_SHAPE = r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}\.\d{3}"
_SUFFIX = r" GMT[+-]\d{4}"
_STAMP = re.compile(f"^{_SHAPE}({_SUFFIX})?$")
_DAY_FIRST = r"^(\d{2})\.(\d{2})\.(\d{4})"
_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")
_PAIR_IN_NAME = re.compile(r"^([A-Za-z]{6})(?=[_.\-])")
_SIDE_IN_NAME = re.compile(r"_(BID|ASK)(?=[_.])", re.IGNORECASE)
_LENGTH_IN_NAME = re.compile(r"_(\d+)_(M|Min|Mins|Hour|Hours|D|Day|Days|W|Week|Weeks)_", re.I)
_UNIT_MINUTES = {"m": 1, "min": 1, "mins": 1, "hour": 60, "hours": 60,
                 "d": 1440, "day": 1440, "days": 1440, "w": 10080, "week": 10080, "weeks": 10080}


class DukascopyCsvReader(Reader):
    """Dukascopy CSV bars and ticks, with the clock the header names, converted to UTC."""

    name = "dukascopy-csv"
    title = "Dukascopy CSV export (Gmt time / Local time, bars or ticks)"

    def sniff(self, source: Source) -> str | None:
        """Accept a Dukascopy header followed by a day-first ``DD.MM.YYYY HH:MM:SS.mmm`` time."""
        if source.is_dir:
            return "is a folder, not a CSV file"
        lines = source.head_lines(2)
        if not lines:
            return "the file is empty"
        refusal = _header_refusal(lines[0])
        if refusal is not None:
            return refusal
        if len(lines) > 1 and not _STAMP.match(lines[1].split(",")[0].strip()):
            return "the first timestamp is not day-first DD.MM.YYYY HH:MM:SS.mmm"
        return None

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse bars or ticks, convert each timestamp to UTC and check every price."""
        path = source.path
        first = source.head_lines(1)
        refusal = _header_refusal(first[0]) if first else "the file is empty"
        if refusal is not None:
            raise DataError(
                f"not a Dukascopy CSV export: {refusal}",
                path=path,
                where="line 1",
                fix="pass the file as Dukascopy exported it, or choose another --format",
            )
        header = [f.strip().lower() for f in first[0].split(",")]
        fields = header[1:]
        kind = _kind(fields)
        frame, lines = parse_table(
            source.text, path=path, sep=",", names=["time", *fields], header_lines=1,
            numeric=fields,
        )
        if frame.empty:
            raise DataError("the file has a header but no data rows", path=path,
                            fix="download or export it again")
        notes: list[str] = []
        index = _utc_times(frame["time"], header[0], options.tz, path=path, lines=lines,
                           notes=notes)
        if kind == "bars":
            data = frame.loc[:, list(_BAR_FIELDS)]
        else:
            data = frame.rename(columns=_TICK_FIELDS).loc[:, list(TICK_COLUMNS)]
        data.index = pd.DatetimeIndex(index, name="time")
        pair = _pair(source.name, options.pair, path=path)
        check_prices(data, path=path, rows=lines, unit="line", pair=pair)
        if kind == "ticks":
            return Loaded(frame=data, kind="ticks", format=self.name, pair=pair, notes=notes)
        side = _SIDE_IN_NAME.search(source.name)
        if side is None:
            notes.append("the file name says neither _BID_ nor _ASK_: prices read as bid")
        timeframe = _timeframe(source.name, data.index, notes)
        if timeframe in ("D1", "W1"):
            notes.append(_day_note(timeframe, data.index))
        flat = _flat_rows(data)
        if flat:
            notes.append(
                f"{flat} flat rows (open = high = low = close, volume 0: weekends and holidays) "
                "kept; the quality stage applies the weekend policy"
            )
        return Loaded(
            frame=data,
            kind="bars",
            format=self.name,
            timeframe=timeframe,
            pair=pair,
            price_side="ask" if side and side.group(1).upper() == "ASK" else "bid",
            notes=notes,
        )


def _header_refusal(line: str) -> str | None:
    """None for a Dukascopy header line, else why it is not one."""
    fields = [f.strip().lower() for f in line.split(",")]
    if fields[0] not in _TIME_HEADERS:
        return "the header does not start with Gmt time, Local time, Time (EET) or Time"
    if _kind(fields[1:]) is None:
        return (
            "the header's columns are not Open,High,Low,Close,Volume "
            "nor Ask,Bid,AskVolume,BidVolume"
        )
    return None


def _kind(fields: list[str]) -> str | None:
    """``bars`` or ``ticks`` from the (lower-cased) columns after the time, else None."""
    if sorted(fields) == sorted(_BAR_FIELDS):
        return "bars"
    if sorted(fields) == sorted(_TICK_FIELDS):
        return "ticks"
    return None


def _utc_times(
    stamps: pd.Series,
    time_header: str,
    tz: str | None,
    *,
    path: Path,
    lines: np.ndarray,
    notes: list[str],
) -> pd.DatetimeIndex:
    """Convert the time column to UTC: by each row's ``GMT±hhmm`` suffix, else by one clock.

    The first row decides: with a suffix every row must have one (a row without it is an error
    naming its line), without one every row is read on the header's clock, or `tz`'s.
    """
    header_clock = _TIME_HEADERS[time_header]
    suffixed = " GMT" in str(stamps.iloc[0])
    if tz is not None and (suffixed or header_clock is not None):
        notes.append(f"tz {tz!r} ignored: the file states its own clock")
    naive, offset_text = _wall_clock(stamps, suffixed=suffixed, path=path, lines=lines)
    if offset_text is not None:
        offsets = _offsets(offset_text, stamps, path=path, lines=lines)
        seen = ", ".join(f"GMT{o}" for o in pd.unique(offset_text))
        notes.append(f"clock: each timestamp's own offset ({seen}), converted row by row to UTC")
        return (naive - offsets).tz_localize("UTC")
    if header_clock == "UTC":
        notes.append("clock: GMT (UTC)")
    elif header_clock == ATHENS:
        notes.append("clock: 'Time (EET)' read as Europe/Athens (UTC+2, UTC+3 in EU summer)")
    elif tz is not None:
        notes.append(f"clock: {tz} (given by tz)")
    elif time_header == "time":
        notes.append("clock: the 'Time' header does not say; read as GMT (pass tz to override)")
    else:
        raise DataError(
            "the 'Local time' timestamps carry no GMT±hhmm offset, so the file's clock is unknown",
            path=path,
            where=f"line {lines[0]}",
            fix="pass tz (e.g. '+01:00' or 'Europe/Zurich'), or export with Gmt time",
        )
    return clock.to_utc(naive, header_clock or tz or "UTC")


def _wall_clock(
    stamps: pd.Series, *, suffixed: bool, path: Path, lines: np.ndarray
) -> tuple[pd.DatetimeIndex, pd.Series | None]:
    """The naive times and, for suffixed rows, each row's ``±hhmm`` offset text.

    Rows that all have the export's exact shape are rewritten to ISO order and parsed by pandas'
    ISO path, about ten times faster than its day-first strptime (about 4 s a million rows).
    Anything else goes through the exact format, which names the first line that does not parse.
    """
    if stamps.str.fullmatch(_SHAPE + (_SUFFIX if suffixed else "")).all():
        iso = stamps.str.slice(0, 23).str.replace(_DAY_FIRST, r"\3-\2-\1", regex=True)
        parsed = pd.to_datetime(iso, format="%Y-%m-%d %H:%M:%S.%f", errors="coerce")
        if not parsed.isna().any():
            naive = pd.DatetimeIndex(parsed.to_numpy(dtype="datetime64[ns]"))
            return naive, stamps.str.slice(27) if suffixed else None
    parts = stamps.str.partition(" GMT") if suffixed else None
    naive = parse_times(stamps if parts is None else parts[0], fmt=TIME_FORMAT, path=path,
                        lines=lines, what="day-first timestamp")
    return naive, None if parts is None else parts[2]


def _offsets(
    text: pd.Series, stamps: pd.Series, *, path: Path, lines: np.ndarray
) -> pd.TimedeltaIndex:
    """Each row's ``±hhmm`` offset as a timedelta, parsing each distinct offset once."""
    codes, uniques = pd.factorize(text)
    minutes = np.empty(len(uniques), dtype=np.int64)
    for k, value in enumerate(uniques):
        match = _OFFSET.match(str(value))
        if match is None:
            row = int(np.flatnonzero(codes == k)[0])
            raise DataError(
                f"timestamp {stamps.iloc[row]!r} has no GMT±hhmm offset (like ' GMT-0500')",
                path=path,
                where=f"line {lines[row]}",
                fix="correct or delete that row",
            )
        sign, hours, mins = match.groups()
        minutes[k] = (1 if sign == "+" else -1) * (int(hours) * 60 + int(mins))
    return pd.to_timedelta(minutes[codes], unit="min")


def _pair(file_name: str, given: FxPair | None, *, path: Path) -> str | None:
    """The pair from the file name (``EURUSD_...``), which must agree with a given one."""
    match = _PAIR_IN_NAME.match(file_name)
    named = None
    if match:
        try:
            named = FxPair.parse(match.group(1))
        except ConfigError:
            named = None
    if given is not None and named is not None and given != named:
        raise DataError(
            f"the file name says {named.symbol} but pair {given.symbol} was given",
            path=path,
            fix="pass the pair the file holds, or rename the file",
        )
    pair = given or named
    return pair.symbol if pair else None


def _timeframe(file_name: str, index: pd.DatetimeIndex, notes: list[str]) -> str | None:
    """The bar length the file name states (``_1_Hour_``), else the one the spacing shows."""
    match = _LENGTH_IN_NAME.search(file_name)
    if match:
        minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
        named = timeframe_from_minutes(minutes)
        if named is not None:
            return named.name
    inferred = infer_timeframe(index)
    if inferred is None:
        notes.append("the bar length is neither in the file name nor clear from the spacing")
        return None
    notes.append(f"timeframe {inferred.name} inferred from the bar spacing")
    return inferred.name


def _day_note(timeframe: str, index: pd.DatetimeIndex) -> str:
    """Say where Dukascopy's days start, since fxjudge's D1 is the 17:00 New York FX day."""
    at_midnight = bool(((index.hour == 0) & (index.minute == 0)).all())
    start = "at 00:00 UTC (UTC-midnight days)" if at_midnight else "at the export clock's midnight"
    return (
        f"Dukascopy {timeframe} bars start {start}, not at the FX day's 17:00 New York; "
        "resample H1 or M1 bars for FX-day bars"
    )


def _flat_rows(bars: pd.DataFrame) -> int:
    """How many rows have open = high = low = close and no volume (weekend or holiday)."""
    o, h, low, c, v = (bars[k].to_numpy() for k in _BAR_FIELDS)
    return int(((o == h) & (h == low) & (low == c) & (v == 0)).sum())
