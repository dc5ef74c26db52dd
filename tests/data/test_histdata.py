"""The HistData reader and its week-by-week clock, on the real files and on synthetic ones.

Real files (../shared/data, see its README.md): the figures written here were read from the files
themselves, so a loader change that drops or shifts bars fails loudly. Synthetic files are built
in tmp_path from a known UTC minute series and a known file clock, so the expected UTC times are
exact by construction.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxjudge.data.clock import to_utc
from fxjudge.data.readers.base import Loaded, ReadOptions, Source
from fxjudge.data.readers.histdata import HistDataReader
from fxjudge.domain import FxPair
from fxjudge.errors import DataError
from tests.conftest import shared_file

READER = HistDataReader()
EURUSD_2018 = "histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip"
USDJPY_2018 = "histdata_m1/HISTDATA_COM_ASCII_USDJPY_M12018.zip"
USDJPY_201606 = "histdata_m1_csv/DAT_ASCII_USDJPY_M1_201606.csv"
DAY = pd.Timedelta(days=1)


@cache
def _real(relative: str) -> Loaded:
    """A real file read once per test session (the 2018 zips take about a second each)."""
    return READER.read(Source(shared_file(relative)), ReadOptions())


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# ---------------------------------------------------------------------------------- real files


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("relative", "pair", "rows", "first", "last", "first_ohlc"),
    [
        (
            EURUSD_2018, "EURUSD", 372_607, "2018-01-01 22:00", "2018-12-31 21:59",
            (1.20037, 1.201, 1.20037, 1.201),
        ),
        (
            USDJPY_2018, "USDJPY", 371_800, "2018-01-01 22:00", "2018-12-31 21:58",
            (112.645, 112.645, 112.645, 112.645),
        ),
        (
            USDJPY_201606, "USDJPY", 31_617, "2016-06-01 04:00", "2016-07-01 03:58",
            (110.597, 110.614, 110.592, 110.614),
        ),
    ],
)
def test_real_file_rows_range_and_first_bar(relative, pair, rows, first, last, first_ohlc):
    source = Source(shared_file(relative))
    assert READER.sniff(source) is None
    loaded = _real(relative)
    frame = loaded.frame
    assert (loaded.kind, loaded.format, loaded.timeframe, loaded.pair) == (
        "bars", "histdata", "M1", pair
    )
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert len(frame) == rows
    assert str(frame.index.tz) == "UTC" and frame.index.name == "time"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.index[0] == utc(first)
    assert frame.index[-1] == utc(last)
    assert tuple(frame.iloc[0][["open", "high", "low", "close"]]) == first_ohlc
    assert (frame["volume"] == 0).all()
    assert loaded.unresolved_weeks == []


@pytest.mark.shared_data
@pytest.mark.parametrize("relative", [EURUSD_2018, USDJPY_2018])
def test_2018_every_week_opens_and_closes_at_17_new_york(relative):
    """Sunday 17:00 / Friday 17:00 New York: 22:00 / 21:59 UTC in winter, 21:00 / 20:59 in summer.

    US daylight saving in 2018 ran from Sunday 11 March to Sunday 4 November.
    """
    index = _real(relative).frame.index
    breaks = np.flatnonzero(np.diff(index.asi8) > DAY.value)
    opens = index[np.r_[0, breaks + 1]]
    closes = index[np.r_[breaks, len(index) - 1]]
    assert len(opens) == 53

    # New Year's Day: the file (and the first week) opens on Monday 1 January.
    assert opens[0] == utc("2018-01-01 22:00")
    summer_open = (opens[1:] >= utc("2018-03-11")) & (opens[1:] < utc("2018-11-04"))
    expected_opens = [
        (t.normalize() + pd.Timedelta(hours=21 if summer else 22))
        for t, summer in zip(opens[1:], summer_open, strict=True)
    ]
    assert all(t.day_name() == "Sunday" for t in opens[1:])
    assert list(opens[1:]) == expected_opens
    assert Counter(summer_open) == {True: 34, False: 18}

    # The file (and the last week) ends on Monday 31 December 16:59 New York (16:58 for USDJPY).
    assert closes[-1].normalize() == utc("2018-12-31")
    fridays = closes[:-1]
    summer_close = (fridays >= utc("2018-03-11")) & (fridays < utc("2018-11-04"))
    expected_closes = [
        (t.normalize() + pd.Timedelta(hours=20 if summer else 21, minutes=59))
        for t, summer in zip(fridays, summer_close, strict=True)
    ]
    assert all(t.day_name() == "Friday" for t in fridays)
    assert list(fridays) == expected_closes
    assert Counter(summer_close) == {True: 34, False: 18}


@pytest.mark.shared_data
@pytest.mark.parametrize("relative", [EURUSD_2018, USDJPY_2018])
def test_2018_clock_note_counts_weeks_per_offset(relative):
    notes = " | ".join(_real(relative).notes)
    assert "19 week(s) UTC-5, 34 week(s) UTC-4 of 53 week(s)" in notes
    assert (
        "2 week(s) measured at one end only (a holiday, or the start or end of the file): "
        "2017-12-31, 2018-12-30"
    ) in notes
    assert "every settled week matches New York time" in notes


#: US Non-Farm Payrolls, released at 08:30 New York time, on these days of 2018.
NFP_2018 = [
    "2018-01-05", "2018-02-02", "2018-03-09", "2018-04-06", "2018-05-04", "2018-06-01",
    "2018-07-06", "2018-08-03", "2018-09-07", "2018-10-05", "2018-11-02", "2018-12-07",
]


@pytest.mark.shared_data
@pytest.mark.parametrize("relative", [EURUSD_2018, USDJPY_2018])
def test_2018_payrolls_minute_is_0830_new_york(relative):
    """The 08:30 New York minute (13:30 UTC in winter, 12:30 in summer) is among the two widest
    minutes of 10:00-16:00 UTC on every payrolls day; an hour's error would put it elsewhere."""
    bars = _real(relative).frame
    for day in NFP_2018:
        release = pd.Timestamp(f"{day} 08:30", tz="America/New_York").tz_convert("UTC")
        window = bars.loc[f"{day} 10:00":f"{day} 15:59"]
        widest = (window["high"] - window["low"]).nlargest(2).index
        assert release in widest, day


@pytest.mark.shared_data
def test_2018_christmas_gap_in_utc():
    index = _real(EURUSD_2018).frame.index
    steps = np.diff(index.asi8)
    inside_week = (steps > pd.Timedelta(hours=1).value) & (steps < DAY.value)
    (k,) = np.flatnonzero(inside_week)
    assert (index[k], index[k + 1]) == (utc("2018-12-25 07:58"), utc("2018-12-25 22:01"))


@pytest.mark.shared_data
def test_201606_plain_csv_weeks_and_brexit_low():
    loaded = _real(USDJPY_201606)
    notes = " | ".join(loaded.notes)
    # Starts Wednesday 1 June and ends Thursday 30 June: the end weeks are measured at one end.
    assert "5 week(s) UTC-4 of 5 week(s)" in notes
    assert "2 week(s) measured at one end only" in notes
    bars = loaded.frame
    assert bars["low"].idxmin() == utc("2016-06-24 02:43")
    assert bars["low"].min() == 98.979


@pytest.mark.shared_data
def test_reading_a_year_keeps_every_row_in_file_order():
    """The reader neither sorts nor drops: row i of the frame is line i+1 of the file."""
    loaded = _real(USDJPY_201606)
    first_lines = shared_file(USDJPY_201606).read_text().splitlines()[:3]
    closes = [float(line.split(";")[4]) for line in first_lines]
    assert list(loaded.frame["close"].iloc[:3]) == closes


# ------------------------------------------------------------------------ synthetic M1 files


def write_m1(
    path: Path, pieces: list[tuple[str, str, int]], *, skip: tuple[str, str] | None = None,
    level: float = 1.0,
):
    """Write an M1 file from UTC minutes [start, stop) at a fixed file offset per piece.

    Each bar's price is `level` + its minute number / 1e6, so that every row differs (the repeated
    autumn hour has different prices, as in the real files). `skip` leaves out a further range
    of file-clock times. Returns the naive file times and their true UTC times, in file order.
    """
    naive_parts, utc_parts = [], []
    for start, stop, offset_hours in pieces:
        minutes = pd.date_range(start, stop, freq="1min", inclusive="left", tz="UTC")
        naive_parts.append(minutes.tz_localize(None) + pd.Timedelta(hours=offset_hours))
        utc_parts.append(minutes)
    naive = naive_parts[0].append(naive_parts[1:])
    true_utc = utc_parts[0].append(utc_parts[1:])
    if skip is not None:
        keep = ~((naive >= pd.Timestamp(skip[0])) & (naive < pd.Timestamp(skip[1])))
        naive, true_utc = naive[keep], true_utc[keep]
    price = level + np.arange(len(naive)) / 1e6
    stamps = naive.strftime("%Y%m%d %H%M%S")
    lines = [
        f"{stamp};{p:.6f};{p + 0.0001:.6f};{p - 0.0001:.6f};{p:.6f};0"
        for stamp, p in zip(stamps, price, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return naive, true_utc


def test_spring_switch_inside_a_week_on_eu_dates(tmp_path):
    """2019 style: UTC-5 until the EU switch, then UTC-4; 19:00-19:59 on 31 March is missing."""
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    naive, true_utc = write_m1(
        path,
        [
            ("2019-03-24 21:00", "2019-03-29 21:00", -5),  # US summer, EU winter: off New York
            ("2019-03-31 21:00", "2019-04-01 00:00", -5),  # the switch week opens at 16:00 ...
            ("2019-04-01 00:00", "2019-04-05 21:00", -4),  # ... and closes at 16:59
            ("2019-04-07 21:00", "2019-04-12 21:00", -4),
        ],
    )
    assert naive[(naive >= "2019-03-31 19:00") & (naive < "2019-03-31 20:00")].empty

    loaded = READER.read(Source(path), ReadOptions())

    assert loaded.frame.index.equals(pd.DatetimeIndex(true_utc, name="time"))
    assert loaded.unresolved_weeks == []
    notes = " | ".join(loaded.notes)
    assert "1 week(s) UTC-5, 1 week(s) UTC-4 of 3 week(s)" in notes
    assert (
        "1 switch(es) inside a week: UTC-5 to UTC-4 in the week of 2019-03-31, "
        "from the row at 2019-03-31 20:00 file time"
    ) in notes
    assert (
        "2 week(s) off New York time in whole or in part (the file switches on other dates than "
        "the US): 2019-03-24, 2019-03-31"
    ) in notes


def test_autumn_switch_repeats_an_hour_and_keeps_both(tmp_path):
    """2019 style: UTC-4 until the EU switch, then UTC-5; 19:00-19:59 on 27 October twice."""
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    naive, true_utc = write_m1(
        path,
        [
            ("2019-10-20 21:00", "2019-10-25 21:00", -4),
            ("2019-10-27 21:00", "2019-10-28 00:00", -4),  # opens 17:00, first 19:00-19:59
            ("2019-10-28 00:00", "2019-11-01 21:00", -5),  # second 19:00-19:59, closes 15:59
            ("2019-11-03 22:00", "2019-11-08 22:00", -5),  # New York is back on UTC-5
        ],
    )
    assert naive.duplicated().sum() == 60

    loaded = READER.read(Source(path), ReadOptions())

    index = loaded.frame.index
    assert index.equals(pd.DatetimeIndex(true_utc, name="time"))
    assert len(index) == len(naive) and index.is_unique and index.is_monotonic_increasing
    assert loaded.unresolved_weeks == []
    notes = " | ".join(loaded.notes)
    assert (
        "UTC-4 to UTC-5 in the week of 2019-10-27, from the row at 2019-10-27 19:00 file time"
    ) in notes
    assert "1 week(s) off New York time in whole or in part" in notes


def test_unresolvable_week_is_read_as_new_york_and_reported(tmp_path):
    """The spring switch week with a second missing hour (Wednesday): two candidate breaks."""
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    naive, _ = write_m1(
        path,
        [
            ("2019-03-31 21:00", "2019-04-01 00:00", -5),
            ("2019-04-01 00:00", "2019-04-05 21:00", -4),
        ],
        skip=("2019-04-03 10:00", "2019-04-03 11:00"),
    )

    loaded = READER.read(Source(path), ReadOptions())

    reason = (
        "2019-03-31: open says UTC-5, close says UTC-4, "
        "no single one-hour break found (2 candidates)"
    )
    assert loaded.unresolved_weeks == [reason]
    assert any(
        note.startswith("1 week(s) unresolved, read as New York time") and reason in note
        for note in loaded.notes
    )
    new_york = to_utc(pd.DatetimeIndex(naive), "America/New_York")
    assert loaded.frame.index.equals(pd.DatetimeIndex(new_york, name="time"))
    assert loaded.frame.index[0] == utc("2019-03-31 20:00")  # an hour early, as New York reads it


def test_week_with_neither_end_at_the_fx_open_or_close_is_unresolved(tmp_path):
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    write_m1(path, [("2019-01-08 15:00", "2019-01-08 16:00", -5)])  # one Tuesday hour

    loaded = READER.read(Source(path), ReadOptions())

    assert loaded.unresolved_weeks == [
        "2019-01-06: neither its first row (Tue 2019-01-08 10:00) nor its last row "
        "(Tue 2019-01-08 10:59) is at the FX week's open (Sunday 17:00 New York) or close "
        "(Friday 17:00 New York)"
    ]
    assert loaded.frame.index[0] == utc("2019-01-08 15:00")


def test_tz_option_overrides_the_inference(tmp_path):
    """``--tz UTC-5`` reads the documented fixed clock, even in a summer week."""
    path = tmp_path / "DAT_ASCII_USDJPY_M1_2019.csv"
    naive, _ = write_m1(path, [("2019-07-07 21:00", "2019-07-12 21:00", -4)], level=108.0)

    loaded = READER.read(Source(path), ReadOptions(tz="UTC-5"))

    assert loaded.frame.index[0] == utc("2019-07-07 22:00")
    assert loaded.frame.index.equals(
        pd.DatetimeIndex(naive + pd.Timedelta(hours=5), name="time").tz_localize("UTC")
    )
    assert "clock 'UTC-5' as given, not inferred from the data" in loaded.notes
    assert loaded.unresolved_weeks == []


def test_pair_from_the_zip_name_or_as_given(tmp_path):
    csv = tmp_path / "DAT_ASCII_GBPJPY_M1_2019.csv"
    write_m1(csv, [("2019-01-06 22:00", "2019-01-06 22:05", -5)], level=139.0)
    archive = tmp_path / "HISTDATA_COM_ASCII_GBPJPY_M12019.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(csv, csv.name)

    assert READER.read(Source(archive), ReadOptions()).pair == "GBPJPY"
    given = READER.read(Source(archive), ReadOptions(pair=FxPair.parse("EUR/JPY")))
    assert given.pair == "EURJPY"
    assert "the file name says GBPJPY; EURJPY used as given" in given.notes


# ------------------------------------------------------------------------------------- ticks


def test_tick_file_with_milliseconds(tmp_path):
    path = tmp_path / "DAT_ASCII_EURUSD_T_201901.csv"
    path.write_text(
        "20190106 170000123,1.140000,1.140200,0\n"
        "20190106 170001456,1.140100,1.140300,0\n"
        "20190111 083000007,1.141000,1.141300,5\n"
        "20190111 165959870,1.145000,1.145200,0\n"
    )
    source = Source(path)
    assert READER.sniff(source) is None

    loaded = READER.read(source, ReadOptions())

    assert (loaded.kind, loaded.timeframe, loaded.pair) == ("ticks", None, "EURUSD")
    frame = loaded.frame
    assert list(frame.columns) == ["bid", "ask", "bid_volume", "ask_volume"]
    assert list(frame.index) == [
        utc("2019-01-06 22:00:00.123"),
        utc("2019-01-06 22:00:01.456"),
        utc("2019-01-11 13:30:00.007"),
        utc("2019-01-11 21:59:59.870"),
    ]
    assert list(frame["bid"]) == [1.14, 1.1401, 1.141, 1.145]
    assert list(frame["ask"]) == [1.1402, 1.1403, 1.1413, 1.1452]
    assert list(frame["bid_volume"]) == [0, 0, 5, 0]
    assert (frame["ask_volume"] == 0).all()
    assert loaded.unresolved_weeks == []
    assert any("1 week(s) UTC-5 of 1 week(s)" in note for note in loaded.notes)
    assert "the file's one volume column is in bid_volume; ask_volume is 0" in loaded.notes


# ------------------------------------------------------------------------ sniffing, bad input


def test_sniff_refuses_other_formats_with_a_reason(tmp_path):
    dukascopy = tmp_path / "EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv"
    dukascopy.write_text(
        "Gmt time,Open,High,Low,Close,Volume\n"
        "01.07.2020 00:00:00.000,1.12336,1.12354,1.12300,1.12320,1234.5\n"
    )
    mt4 = tmp_path / "USDJPY60.csv"
    mt4.write_text("2016.08.05,22:00,101.738,101.813,101.733,101.753,615\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    reason = (
        "first line is not 'YYYYMMDD HHMMSS;open;high;low;close;volume' (M1) or "
        "'YYYYMMDD HHMMSSNNN,bid,ask,volume' (ticks)"
    )
    assert READER.sniff(Source(dukascopy)) == reason
    assert READER.sniff(Source(mt4)) == reason
    assert READER.sniff(Source(empty)) == "the file is empty"


GOOD = "20190106 170000;1.100000;1.100200;1.099900;1.100100;0\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD + "20190106 170100;1.100000;1.1002x0;1.099900;1.100100;0\n" + GOOD,
            "line 2: high '1.1002x0' is not a number; correct or delete that row",
        ),
        (
            GOOD + "20190106 170100;1.100000;1.100200;1.099900;0\n" + GOOD,
            "line 2: expected 6 fields separated by ';', found 5: "
            "'20190106 170100;1.100000;1.100200;1.099900;0'; correct or delete that row",
        ),
        (
            GOOD + GOOD + "20190106 170200;1.1000",
            "line 3: expected 6 fields separated by ';', found 2: '20190106 170200;1.1000'; "
            "the file looks truncated; download or export it again",
        ),
        (
            "",
            "the file is empty (no data rows); download or export it again",
        ),
        (
            GOOD + "20190106 170100;1.100000;1.099800;1.099900;1.100100;0\n",
            "line 2: high 1.0998 is below low 1.0999; correct or delete that row",
        ),
        (
            GOOD + "2019-01-06 17:01;1.100000;1.100200;1.099900;1.100100;0\n",
            "line 2: timestamp '2019-01-06 17:01' is not 'YYYYMMDD HHMMSS'; "
            "correct or delete that row",
        ),
        (
            GOOD + "20190230 170100;1.100000;1.100200;1.099900;1.100100;0\n",
            "line 2: timestamp '20190230 17:01:00' does not match the format "
            "'%Y%m%d %H:%M:%S'; correct or delete that row",
        ),
    ],
    ids=[
        "non-numeric", "field-count", "truncated", "empty", "high-below-low", "stamp-shape",
        "impossible-date",
    ],
)
def test_bad_input_names_file_line_and_fix(tmp_path, text, message):
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        READER.read(Source(path), ReadOptions())
    assert str(caught.value) == f"{path}, {message}" if "line" in message else f"{path}: {message}"


def _zip_bytes(tmp_path: Path) -> bytes:
    archive = tmp_path / "good.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("DAT_ASCII_EURUSD_M1_2019.csv", GOOD * 200)
    return archive.read_bytes()


def test_truncated_zip_is_reported_as_corrupt(tmp_path):
    """A download cut short: the zip's central directory is missing."""
    path = tmp_path / "HISTDATA_COM_ASCII_EURUSD_M12019.zip"
    path.write_bytes(_zip_bytes(tmp_path)[:100])
    with pytest.raises(DataError) as caught:
        READER.read(Source(path), ReadOptions())
    assert str(caught.value) == (
        f"{path}: corrupt zip archive (File is not a zip file); download the file again"
    )


def test_zip_with_damaged_data_is_reported_as_corrupt(tmp_path):
    data = bytearray(_zip_bytes(tmp_path))
    data[60:80] = bytes(b ^ 0xFF for b in data[60:80])  # inside the compressed member
    path = tmp_path / "HISTDATA_COM_ASCII_EURUSD_M12019.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r": corrupt zip archive \(.+\); download the file again$"):
        READER.read(Source(path), ReadOptions())


def test_error_inside_a_zip_names_the_member(tmp_path):
    path = tmp_path / "HISTDATA_COM_ASCII_EURUSD_M12019.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("DAT_ASCII_EURUSD_M1_2019.csv", GOOD + GOOD.replace("1.100200", "-1"))
    with pytest.raises(DataError) as caught:
        READER.read(Source(path), ReadOptions())
    assert str(caught.value) == (
        f"{path}/DAT_ASCII_EURUSD_M1_2019.csv, line 2: high is -1, not positive; "
        "correct or delete that row"
    )


def test_asking_for_ticks_from_an_m1_file_is_an_error(tmp_path):
    path = tmp_path / "DAT_ASCII_EURUSD_M1_2019.csv"
    path.write_text(GOOD)
    with pytest.raises(DataError) as caught:
        READER.read(Source(path), ReadOptions(kind="ticks"))
    assert str(caught.value) == (
        f"{path}: holds bars, not ticks; ask for bars, or pass a HistData ticks file"
    )
