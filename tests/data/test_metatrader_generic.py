"""MetaTrader 4/5, generic CSV and Parquet readers: real files where we have them, else tmp files.

The expected figures of the real files are written out literally (FORMATS.md §5-6, README.md), so
that a reader change that drops, adds or shifts a bar fails here. Broker times are converted with
the default "new-york-close" clock: UTC+2 in winter, UTC+3 in US summer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxjudge.data.bars import make_bars
from fxjudge.data.readers import ReadOptions, Source, detect
from fxjudge.data.readers.generic import GenericCsvReader
from fxjudge.data.readers.metatrader import Mt4Reader, Mt5Reader, timeframe_from_name
from fxjudge.data.readers.parquet import ParquetReader
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError
from tests.conftest import shared_file

BAR_COLUMNS = ["open", "high", "low", "close", "volume"]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def read(reader, path, **options):
    return reader.read(Source(path), ReadOptions(**options))


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- MetaTrader: the real files ---------------------------------------------------------------


def test_mt4_m1_real_file():
    path = shared_file("mt4_csv/USDJPY1.csv")
    assert detect(Source(path)).name == "mt4"
    loaded = read(Mt4Reader(), path)
    bars = loaded.frame
    assert (loaded.kind, loaded.format, loaded.timeframe, loaded.pair) == (
        "bars", "mt4", "M1", "USDJPY"
    )
    assert list(bars.columns) == BAR_COLUMNS
    assert (bars.dtypes == np.float64).all()
    assert len(bars) == 21_467
    assert str(bars.index.tz) == "UTC" and bars.index.name == "time"
    # broker 2017-01-30 00:02 and 2017-02-17 23:59, both winter (UTC+2)
    assert bars.index[0] == utc("2017-01-29 22:02")
    assert bars.index[-1] == utc("2017-02-17 21:59")
    assert bars.iloc[0].tolist() == [114.772, 114.802, 114.757, 114.768, 68.0]
    assert "'new-york-close'" in loaded.notes[0] and "default assumption" in loaded.notes[0]


def test_mt4_h1_real_file():
    path = shared_file("mt4_csv/USDJPY60.csv")
    assert detect(Source(path)).name == "mt4"
    loaded = read(Mt4Reader(), path)
    bars = loaded.frame
    assert (loaded.timeframe, loaded.pair) == ("H1", "USDJPY")
    assert len(bars) == 3_312
    # broker 2016-08-05 22:00 is US summer (UTC+3); 2017-02-17 23:00 is winter (UTC+2)
    assert bars.index[0] == utc("2016-08-05 19:00")
    assert bars.index[-1] == utc("2017-02-17 21:00")
    # US election night: broker 2016-11-09 04:00 (winter) is 02:00 UTC
    assert bars.loc[utc("2016-11-09 02:00")].tolist() == [104.422, 104.429, 102.015, 102.947,
                                                          37981.0]


def test_mt5_export_real_file():
    path = shared_file("mt5_export/EURUSD_H1.csv")
    assert detect(Source(path)).name == "mt5"
    loaded = read(Mt5Reader(), path)
    bars = loaded.frame
    assert (loaded.kind, loaded.format, loaded.timeframe, loaded.pair) == (
        "bars", "mt5", "H1", "EURUSD"
    )
    assert list(bars.columns) == [*BAR_COLUMNS, "spread"]
    assert len(bars) == 3_608
    # broker 2025-06-23 00:00 is US summer (UTC+3); 2026-01-21 10:00 is winter (UTC+2)
    assert bars.index[0] == utc("2025-06-22 21:00")
    assert bars.index[-1] == utc("2026-01-21 08:00")
    first = bars.iloc[0]
    assert first[BAR_COLUMNS].tolist() == [1.14565, 1.14745, 1.14565, 1.14721, 644.0]
    assert first["spread"] == 0.00007  # <SPREAD> 7 points on a 5-digit quote
    assert any("points / 10^5" in note for note in loaded.notes)


def test_fixed_broker_offset_shifts_only_the_summer_bars():
    path = shared_file("mt4_csv/USDJPY60.csv")
    default = read(Mt4Reader(), path).frame.index
    loaded = read(Mt4Reader(), path, tz="+02:00")
    shift = loaded.frame.index - default
    assert loaded.frame.index[0] == utc("2016-08-05 20:00")
    assert loaded.frame.index[-1] == default[-1]
    # the 1,562 bars before the 2016-11-06 US switch are an hour later at a fixed UTC+2
    assert (shift[:1562] == pd.Timedelta(hours=1)).all()
    assert (shift[1562:] == pd.Timedelta(0)).all()
    assert loaded.notes[0] == "clock: broker server time read as '+02:00' (tz as given)"


# --- MetaTrader: variants ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("USDJPY60.csv", "H1"),
        ("USDJPY1", "M1"),
        ("EURUSD1440.csv", "D1"),
        ("EURUSD_H1.csv", "H1"),
        ("EURUSD_M15_202506230000_202601211000.csv", "M15"),
        ("EURUSD.csv", None),
    ],
)
def test_timeframe_from_file_name(name, expected):
    tf = timeframe_from_name(name)
    assert (tf.name if tf else None) == expected


def test_mt5_utf16_export(tmp_path):
    text = (
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n"
        "2025.01.06\t00:00:00\t1.03050\t1.03120\t1.03010\t1.03100\t310\t0\t12\r\n"
        "2025.01.06\t01:00:00\t1.03100\t1.03200\t1.03080\t1.03190\t420\t0\t9\r\n"
    )
    path = write(tmp_path, "EURUSD_H1.csv", "\ufeff" + text, encoding="utf-16-le")
    assert detect(Source(path)).name == "mt5"
    bars = read(Mt5Reader(), path).frame
    assert bars.index.tolist() == [utc("2025-01-05 22:00"), utc("2025-01-05 23:00")]
    assert bars["spread"].tolist() == [0.00012, 0.00009]


def test_mt5_daily_export_without_a_time_column(tmp_path):
    text = (
        "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n"
        "2025.01.06\t1.03050\t1.04120\t1.02010\t1.03100\t31000\t0\t5\r\n"
        "2025.01.07\t1.03100\t1.04200\t1.02500\t1.03800\t29000\t0\t6\r\n"
    )
    loaded = read(Mt5Reader(), write(tmp_path, "EURUSDDaily.csv", text))
    # broker midnight is 17:00 New York, the start of the FX day
    assert loaded.frame.index.tolist() == [utc("2025-01-05 22:00"), utc("2025-01-06 22:00")]
    assert loaded.timeframe == "D1"


def test_mt5_script_export_and_a_digit_count_unlike_the_pairs(tmp_path):
    text = (
        "DateTime,Open,High,Low,Close,TickVolume,Spread\r\n"
        "2024.07.01 00:00:00,161.02,161.10,160.99,161.05,1200,2\r\n"
        "2024.07.01 01:00:00,161.05,161.20,161.01,161.18,1350,3\r\n"
    )
    path = write(tmp_path, "USDJPY_H1.csv", text)
    assert detect(Source(path)).name == "mt5"
    loaded = read(Mt5Reader(), path)
    assert loaded.frame.index[0] == utc("2024-06-30 21:00")
    assert loaded.frame["spread"].tolist() == [0.02, 0.03]  # 2-digit quotes: 1 point = 0.01
    assert (
        "prices have 2 decimals where USDJPY is usually quoted with 3: spread points were "
        "taken as 10^-2 (check against the broker)"
    ) in loaded.notes


def test_pair_option_wins_over_the_file_name(tmp_path):
    path = write(tmp_path, "USDJPY60.csv", "2016.08.05,22:00,101.738,101.813,101.733,101.753,615\n")
    loaded = read(Mt4Reader(), path, pair=FxPair.parse("EURJPY"))
    assert loaded.pair == "EURJPY"
    assert "pair EURJPY as given, although the file name 'USDJPY60.csv' says USDJPY" in loaded.notes


# --- generic CSV ------------------------------------------------------------------------------


def test_csv_iso_timestamps_with_offsets(tmp_path):
    path = write(
        tmp_path,
        "eurusd_h1.csv",
        "time,open,high,low,close,volume,spread\n"
        "2024-03-08 16:00:00-05:00,1.0940,1.0950,1.0930,1.0945,100,0.00008\n"
        "2024-03-11 09:00:00-04:00,1.0930,1.0960,1.0920,1.0950,120,0.00006\n",
    )
    assert detect(Source(path)).name == "csv"
    loaded = read(GenericCsvReader(), path)
    assert (loaded.kind, loaded.format, loaded.pair) == ("bars", "csv", "EURUSD")
    assert loaded.frame.index.tolist() == [utc("2024-03-08 21:00"), utc("2024-03-11 13:00")]
    assert loaded.frame["spread"].tolist() == [0.00008, 0.00006]
    assert (
        "timestamps ('%Y-%m-%d %H:%M:%S%z') carry their UTC offset and were converted with it"
        in loaded.notes
    )


def test_csv_naive_timestamps_in_the_given_clock(tmp_path):
    path = write(
        tmp_path,
        "GBPUSD.csv",
        "Date,Open,High,Low,Close\n"
        "2024-07-01 00:00,1.2640,1.2650,1.2630,1.2645\n"
        "2024-07-01 01:00,1.2645,1.2660,1.2640,1.2655\n",
    )
    london = read(GenericCsvReader(), path, tz="Europe/London")
    assert london.frame.index.tolist() == [utc("2024-06-30 23:00"), utc("2024-07-01 00:00")]
    assert london.frame["volume"].tolist() == [0.0, 0.0]
    assert london.timeframe == "H1"
    assert "no volume column: volume set to 0" in london.notes
    default = read(GenericCsvReader(), path)
    assert default.frame.index[0] == utc("2024-07-01 00:00")
    assert (
        "timestamps ('%Y-%m-%d %H:%M') have no UTC offset; read in clock 'UTC' "
        "(the default when tz is not given)" in default.notes
    )


def test_csv_column_mapping(tmp_path):
    path = write(
        tmp_path,
        "quotes.csv",
        "When,First,Max,Min,Last,Ticks\n"
        "2024-01-02 10:00,1.1040,1.1050,1.1030,1.1045,10\n"
        "2024-01-02 10:01,1.1045,1.1046,1.1041,1.1042,7\n",
    )
    assert GenericCsvReader().sniff(Source(path)) == (
        "no header row naming a time column and open/high/low/close (or bid/ask) columns "
        "(first line: 'When,First,Max,Min,Last,Ticks')"
    )
    mapping = {"time": "When", "open": "First", "high": "Max", "low": "Min", "close": "last",
               "volume": "Ticks"}
    loaded = read(GenericCsvReader(), path, columns=mapping, pair=FxPair.parse("EURUSD"))
    assert loaded.frame.iloc[1].tolist() == [1.1045, 1.1046, 1.1041, 1.1042, 7.0]
    assert (loaded.pair, loaded.timeframe) == ("EURUSD", "M1")


def test_csv_unnamed_index_column_as_in_backtesting_py(tmp_path):
    path = write(
        tmp_path,
        "EURUSD.csv",
        ",Open,High,Low,Close,Volume\n"
        "2017-04-19 09:00:00,1.07160,1.07220,1.07083,1.07219,1413\n"
        "2017-04-19 10:00:00,1.07214,1.07296,1.07214,1.07260,1241\n",
    )
    assert detect(Source(path)).name == "csv"
    loaded = read(GenericCsvReader(), path)
    assert loaded.frame.index[0] == utc("2017-04-19 09:00")
    assert loaded.frame.iloc[0].tolist() == [1.0716, 1.0722, 1.07083, 1.07219, 1413.0]


def test_csv_semicolons_decimal_commas_and_day_first_dates(tmp_path):
    path = write(
        tmp_path,
        "EURUSD_M1.csv",
        "Date;Time;Open;High;Low;Close;Volume\r\n"
        "15.01.2024;10:00;1,1040;1,1050;1,1030;1,1045;10\r\n"
        "\r\n"
        "16.01.2024;10:00;1,1045;1,1046;1,1041;1,1042;7\r\n",
    )
    loaded = read(GenericCsvReader(), path)
    assert loaded.frame.index.tolist() == [utc("2024-01-15 10:00"), utc("2024-01-16 10:00")]
    assert loaded.frame["close"].tolist() == [1.1045, 1.1042]
    assert "prices written with a decimal comma" in loaded.notes


def test_csv_bid_ask_ticks(tmp_path):
    path = write(
        tmp_path,
        "USDJPY_ticks.csv",
        "Timestamp,Bid,Ask,Bid Volume,Ask Volume\n"
        "2024-01-02T10:00:00.123Z,141.001,141.009,1.5,2.25\n"
        "2024-01-02T10:00:00.480Z,141.002,141.010,1,3\n",
    )
    loaded = read(GenericCsvReader(), path)
    assert (loaded.kind, loaded.timeframe, loaded.pair) == ("ticks", None, "USDJPY")
    assert list(loaded.frame.columns) == ["bid", "ask", "bid_volume", "ask_volume"]
    assert loaded.frame.index[1] == utc("2024-01-02 10:00:00.480")
    assert loaded.frame.iloc[0].tolist() == [141.001, 141.009, 1.5, 2.25]


def test_csv_keeps_every_row_unsorted(tmp_path):
    path = write(
        tmp_path,
        "EURUSD.csv",
        "time,open,high,low,close\n"
        "2024-01-02 10:01,1.2,1.2,1.2,1.2\n"
        "2024-01-02 10:00,1.1,1.1,1.1,1.1\n"
        "2024-01-02 10:00,1.1,1.1,1.1,1.1\n",
    )
    index = read(GenericCsvReader(), path).frame.index
    assert index.tolist() == [utc("2024-01-02 10:01"), utc("2024-01-02 10:00"),
                              utc("2024-01-02 10:00")]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2024-01-02 10:01,1.2,1.2,1.2,1.2,9", "line 3: expected 5 fields separated by ',' "
         "(as in the header), found 6; correct or delete that row"),
        ("2024-01-02 10:01,1.2,1.2,1.2,n/a", "line 3: close 'n/a' is not a number; "
         "correct or delete that row"),
        ("2024-01-02 10:01,1.2,,1.2,1.2", "line 3: high is missing; correct or delete that row"),
        ("2024-01-0210:01,1.2,1.2,1.2,1.2", "line 3: time '2024-01-0210:01' does not match the "
         "format '%Y-%m-%d %H:%M' of the first row; correct or delete that row, or pass "
         "time_format"),
    ],
)
def test_csv_bad_rows(tmp_path, row, message):
    text = f"time,open,high,low,close\n2024-01-02 10:00,1,1,1,1\n{row}\n"
    path = write(tmp_path, "EURUSD.csv", text)
    with pytest.raises(DataError) as error:
        read(GenericCsvReader(), path)
    assert str(error.value) == f"{path}, {message}"


def test_csv_spread_in_points_is_refused(tmp_path):
    path = write(tmp_path, "EURUSD.csv", "time,open,high,low,close,spread\n"
                 "2024-01-02 10:00,1.1,1.1,1.1,1.1,7\n")
    with pytest.raises(DataError) as error:
        read(GenericCsvReader(), path)
    assert str(error.value) == (
        f"{path}, line 2: spread 7 is not a price difference (negative, missing or over 1% of "
        "the close 1.1); give the spread in price units (points × 10^-digits), or remove the "
        "column"
    )


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_roundtrip_keeps_bars_and_attrs(tmp_path):
    index = pd.date_range("2024-01-02 10:00", periods=3, freq="h", tz="UTC")
    frame = pd.DataFrame(
        {"open": [1.1, 1.2, 1.3], "high": [1.15, 1.25, 1.35], "low": [1.05, 1.15, 1.25],
         "close": [1.12, 1.22, 1.32], "volume": [10.0, 0.0, 5.0], "spread": [1e-5, 2e-5, 1e-5]},
        index=index,
    )
    bars = make_bars(frame, pair="EURUSD", timeframe_name="H1", source="EURUSD_H1.csv (mt5)")
    path = tmp_path / "catalog.parquet"
    bars.to_parquet(path)
    assert detect(Source(path)).name == "parquet"
    loaded = read(ParquetReader(), path)
    assert (loaded.kind, loaded.format, loaded.pair, loaded.timeframe) == (
        "bars", "parquet", "EURUSD", "H1"
    )
    pd.testing.assert_frame_equal(loaded.frame, bars, check_freq=False)
    assert loaded.frame.index.dtype == "datetime64[ns, UTC]"
    assert "converted from EURUSD_H1.csv (mt5)" in loaded.notes


def test_parquet_with_a_naive_time_column_and_options(tmp_path):
    frame = pd.DataFrame({
        "Time": pd.to_datetime(["2024-07-01 00:00", "2024-07-01 00:05"]),
        "Open": [161.0, 161.1], "High": [161.2, 161.3], "Low": [160.9, 161.0],
        "Close": [161.1, 161.2],
    })
    path = tmp_path / "prices.parquet"
    frame.to_parquet(path)
    loaded = read(ParquetReader(), path, pair=FxPair.parse("USDJPY"), tz="+09:00")
    assert (loaded.pair, loaded.timeframe) == ("USDJPY", "M5")
    assert loaded.frame.index[0] == utc("2024-06-30 15:00")
    assert loaded.frame["volume"].tolist() == [0.0, 0.0]
    assert "times stored without a zone; read in clock '+09:00' (as given)" in loaded.notes


def test_parquet_pair_contradicting_the_stored_one(tmp_path):
    index = pd.date_range("2024-01-02", periods=2, freq="h", tz="UTC")
    frame = pd.DataFrame({k: [1.0, 1.0] for k in BAR_COLUMNS}, index=index)
    path = tmp_path / "usdjpy.parquet"
    make_bars(frame, pair="USDJPY", timeframe_name="H1", source="x").to_parquet(path)
    with pytest.raises(DataError) as error:
        read(ParquetReader(), path, pair=FxPair.parse("EURUSD"))
    assert str(error.value) == (
        f"{path}: holds USDJPY (stored in the file), but the pair given is EURUSD; "
        "drop the pair option or pass USDJPY"
    )


# --- bad input: one clear error each ----------------------------------------------------------

MT4_ROWS = [
    "2016.08.05,22:00,101.738,101.813,101.733,101.753,615",
    "2016.08.05,23:00,101.750,101.825,101.732,101.778,1091",
    "2016.08.08,00:00,101.959,102.000,101.845,101.906,1652",
]


def test_mt4_wrong_field_count_names_the_line(tmp_path):
    rows = [*MT4_ROWS]
    rows[1] = rows[1].rsplit(",", 1)[0]
    path = write(tmp_path, "USDJPY60.csv", "\r\n".join(rows) + "\r\n")
    with pytest.raises(DataError) as error:
        read(Mt4Reader(), path)
    assert str(error.value) == (
        f"{path}, line 2: expected 7 fields separated by ',', found 6: "
        "'2016.08.05,23:00,101.750,101.825,101.732,101.778'; correct or delete that row"
    )


def test_mt4_non_numeric_price_names_the_line(tmp_path):
    rows = [*MT4_ROWS]
    rows[2] = rows[2].replace("102.000", "102.0O0")
    path = write(tmp_path, "USDJPY60.csv", "\n".join(rows) + "\n")
    with pytest.raises(DataError) as error:
        read(Mt4Reader(), path)
    assert str(error.value) == (
        f"{path}, line 3: high '102.0O0' is not a number; correct or delete that row"
    )


def test_mapping_naming_a_missing_column_lists_the_files_columns(tmp_path):
    path = write(tmp_path, "EURUSD.csv", "Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n")
    with pytest.raises(DataError) as error:
        read(GenericCsvReader(), path, columns={"close": "Last"})
    assert str(error.value) == (
        f"{path}: the column mapping names 'Last', which the file does not have (its columns: "
        "'Date', 'Open', 'High', 'Low', 'Close'); correct `columns` to name the file's own columns"
    )


def test_unknown_clock_is_a_config_error(tmp_path):
    path = write(tmp_path, "USDJPY60.csv", "\n".join(MT4_ROWS) + "\n")
    with pytest.raises(ConfigError) as error:
        read(Mt4Reader(), path, tz="Mars/Olympus")
    assert str(error.value) == (
        "`tz` must be 'new-york-close', a UTC offset like '+02:00' or an IANA zone like "
        "'Europe/London', was 'Mars/Olympus'"
    )


def test_empty_file(tmp_path):
    path = write(tmp_path, "USDJPY60.csv", "")
    assert Mt4Reader().sniff(Source(path)) == "the file is empty"
    with pytest.raises(DataError) as error:
        read(Mt4Reader(), path)
    assert str(error.value) == (
        f"{path}: the file is empty (no data rows); download or export it again"
    )
