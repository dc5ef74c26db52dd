"""Dukascopy CSV and datafeed .bi5 readers, on the real files of ../shared/data (README.md there).

Every figure below was read off the files themselves; a reader change that drops, shifts or
reorders bars fails here. The acceptance test rebuilds the datafeed's own M1 candles from its
ticks with a local groupby, independent of `fxjudge.resample`.
"""

from __future__ import annotations

import lzma

import numpy as np
import pandas as pd
import pytest

from fxjudge.config import sample_path
from fxjudge.data.readers import ReadOptions, Source
from fxjudge.data.readers.dukascopy_bi5 import CANDLE_RECORD, TICK_RECORD, DukascopyBi5Reader
from fxjudge.data.readers.dukascopy_csv import DukascopyCsvReader
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError
from tests.conftest import shared_file

H1_CSV = "dukascopy_csv/EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv"
D1_CSV = "dukascopy_csv/EURUSD_Candlestick_1_D_BID_04.05.2003-21.01.2023.csv"
LOCAL_D1_CSV = "dukascopy_csv_localtime/USDJPY_Candlestick_1_D_BID_01.01.2007-02.04.2023.csv"
SAMPLE = sample_path()
BI5_ROOT = "dukascopy_bi5_eurusd_2019-02"
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def read_csv(path, **options):
    source = Source(path)
    reader = DukascopyCsvReader()
    assert reader.sniff(source) is None
    return reader.read(source, ReadOptions(**options))


def read_bi5(path, **options):
    source = Source(path)
    reader = DukascopyBi5Reader()
    assert reader.sniff(source) is None
    return reader.read(source, ReadOptions(**options))


def ohlc(frame: pd.DataFrame, time: str) -> list[float]:
    return frame.loc[utc(time), ["open", "high", "low", "close"]].tolist()


def check_index(frame: pd.DataFrame) -> None:
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "time"
    assert all(frame[c].dtype == np.float64 for c in frame.columns)


# --- Dukascopy CSV, real files ------------------------------------------------------------------


def test_h1_csv_gmt():
    loaded = read_csv(shared_file(H1_CSV))
    bars = loaded.frame
    check_index(bars)
    assert (loaded.kind, loaded.timeframe, loaded.pair, loaded.price_side) == (
        "bars", "H1", "EURUSD", "bid"
    )
    assert len(bars) == 17_768
    assert bars.index[0] == utc("2020-07-01 00:00")
    assert bars.index[-1] == utc("2023-07-14 20:00")
    # US CPI, 10 Nov 2022 08:30 New York = 13:30 UTC: inside the 13:00 UTC bar.
    assert ohlc(bars, "2022-11-10 13:00") == [0.99488, 1.01596, 0.99422, 1.01223]
    assert bars.loc[utc("2020-07-01 00:00"), "volume"] == 4148.0298
    assert "clock: GMT (UTC)" in loaded.notes


def test_d1_csv_keeps_flat_weekend_rows_and_says_days_are_utc():
    loaded = read_csv(shared_file(D1_CSV))
    bars = loaded.frame
    assert (loaded.timeframe, loaded.pair) == ("D1", "EURUSD")
    assert len(bars) == 7_203
    assert bars.index[0] == utc("2003-05-04 00:00")
    assert bars.index[-1] == utc("2023-01-21 00:00")
    # The SNB removed the EURCHF floor on 15 Jan 2015.
    assert ohlc(bars, "2015-01-15") == [1.17840, 1.17903, 1.15675, 1.16360]
    # The last row is a flat Saturday, kept for the quality stage.
    assert ohlc(bars, "2023-01-21") == [1.08549] * 4
    assert bars["volume"].iloc[-1] == 0
    assert any("UTC-midnight days" in note for note in loaded.notes)
    assert any(note.startswith("1033 flat rows") for note in loaded.notes)


def test_local_time_csv_converts_each_row_with_its_own_offset():
    loaded = read_csv(shared_file(LOCAL_D1_CSV))
    bars = loaded.frame
    assert (loaded.timeframe, loaded.pair) == ("D1", "USDJPY")
    assert len(bars) == 5_935
    # 31.12.2006 19:00 GMT-0500 and 31.03.2023 20:00 GMT-0400.
    assert bars.index[0] == utc("2007-01-01 00:00")
    assert bars.index[-1] == utc("2023-04-01 00:00")
    # Winter (-0500) and summer (-0400) rows alike are UTC-midnight bars.
    assert (bars.index.hour == 0).all() and (bars.index.minute == 0).all()
    # The Brexit vote: 23.06.2016 20:00 GMT-0400.
    assert ohlc(bars, "2016-06-24 00:00") == [104.936, 105.705, 98.955, 102.030]
    assert any("GMT-0500, GMT-0400" in note for note in loaded.notes)


def test_bundled_sample_is_ask_prices_in_gmt():
    loaded = read_csv(SAMPLE)
    bars = loaded.frame
    check_index(bars)
    assert (loaded.kind, loaded.timeframe, loaded.pair, loaded.price_side) == (
        "bars", "H1", "EURUSD", "ask"
    )
    assert len(bars) == 6_225
    assert bars.index[0] == utc("2017-01-01 22:00")
    assert bars.index[-1] == utc("2017-12-29 21:00")
    assert ohlc(bars, "2017-06-22 14:00") == [1.11601, 1.11627, 1.1151, 1.11568]
    assert any("'Time' header does not say" in note for note in loaded.notes)
    assert any("inferred from the bar spacing" in note for note in loaded.notes)


# --- Dukascopy CSV, made here -------------------------------------------------------------------


def test_tick_csv_ask_before_bid_local_time_crlf(tmp_path):
    # Across the EU switch of 29 Mar 2020 (CET +0100 -> CEST +0200), CRLF, no final newline.
    path = tmp_path / "EURUSD_Ticks_27.03.2020-30.03.2020.csv"
    path.write_bytes(
        b"Local time,Ask,Bid,AskVolume,BidVolume\r\n"
        b"27.03.2020 22:59:58.123 GMT+0100,1.11000,1.10990,1.5,2.25\r\n"
        b"30.03.2020 00:00:00.456 GMT+0200,1.10420,1.10405,0.75,3"
    )
    loaded = read_csv(path)
    ticks = loaded.frame
    check_index(ticks)
    assert (loaded.kind, loaded.pair) == ("ticks", "EURUSD")
    assert list(ticks.columns) == ["bid", "ask", "bid_volume", "ask_volume"]
    assert list(ticks.index) == [utc("2020-03-27 21:59:58.123"), utc("2020-03-29 22:00:00.456")]
    assert ticks.iloc[0].tolist() == [1.10990, 1.11000, 2.25, 1.5]
    assert ticks.iloc[1].tolist() == [1.10405, 1.10420, 3.0, 0.75]


def test_eet_header_is_athens_time_and_tz_clocks_a_plain_time_header(tmp_path):
    rows = (
        "15.01.2021 10:00:00.000,1.2,1.3,1.1,1.25,5\n"
        "15.07.2021 10:00:00.000,1.2,1.3,1.1,1.25,5\n"
    )
    eet = tmp_path / "EURUSD_Candlestick_1_Hour_BID_x.csv"
    eet.write_text("Time (EET),Open,High,Low,Close,Volume\n" + rows)
    assert list(read_csv(eet).frame.index) == [utc("2021-01-15 08:00"), utc("2021-07-15 07:00")]
    plain = tmp_path / "EURUSD_Candlestick_1_Hour_BID_y.csv"
    plain.write_text("Time,Open,High,Low,Close,Volume\n" + rows)
    loaded = read_csv(plain, tz="+03:00")
    assert list(loaded.frame.index) == [utc("2021-01-15 07:00"), utc("2021-07-15 07:00")]
    assert "clock: +03:00 (given by tz)" in loaded.notes


def test_day_first_date_that_does_not_parse_names_its_line(tmp_path):
    path = tmp_path / "EURUSD_Candlestick_1_Hour_BID_x.csv"
    path.write_text(
        "Gmt time,Open,High,Low,Close,Volume\n"
        "30.07.2020 00:00:00.000,1.1,1.2,1.0,1.15,10\n"
        "07.31.2020 01:00:00.000,1.1,1.2,1.0,1.15,10\n"
    )
    with pytest.raises(DataError) as error:
        read_csv(path)
    assert str(error.value) == (
        f"{path}, line 3: day-first timestamp '07.31.2020 01:00:00.000' does not match the "
        "format '%d.%m.%Y %H:%M:%S.%f'; correct or delete that row"
    )


def test_pair_given_must_agree_with_the_file_name():
    with pytest.raises(DataError) as error:
        read_csv(SAMPLE, pair=FxPair.parse("USDJPY"))
    assert str(error.value) == (
        f"{SAMPLE}: the file name says EURUSD but pair USDJPY was given; "
        "pass the pair the file holds, or rename the file"
    )


# --- Dukascopy datafeed .bi5, real files --------------------------------------------------------


def test_bi5_ticks():
    loaded = read_bi5(shared_file(BI5_ROOT), kind="ticks")
    ticks = loaded.frame
    check_index(ticks)
    assert (loaded.kind, loaded.pair, loaded.timeframe) == ("ticks", "EURUSD", None)
    assert list(ticks.columns) == ["bid", "ask", "bid_volume", "ask_volume"]
    assert len(ticks) == 266_219
    assert ticks.index[0] == utc("2019-02-04 00:00:00.994")
    assert ticks.index[-1] == utc("2019-02-05 23:59:59.765")
    # Stored ask first, then bid; volumes are float32 millions.
    assert ticks.iloc[0].tolist() == [1.14543, 1.14545, np.float32(2.06), 1.0]
    assert ticks.iloc[-1].tolist() == [1.14087, 1.14093, 2.75, 1.75]


def test_bi5_m1_candles_from_the_symbol_folder():
    loaded = read_bi5(shared_file(BI5_ROOT) / "EURUSD", timeframe="M1")
    bars = loaded.frame
    check_index(bars)
    assert (loaded.kind, loaded.timeframe, loaded.pair, loaded.price_side) == (
        "bars", "M1", "EURUSD", "bid"
    )
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert len(bars) == 2_880
    assert bars.index[0] == utc("2019-02-04 00:00")
    assert bars.index[-1] == utc("2019-02-05 23:59")
    # Stored open, close, low, high: 114543 114569 114542 114570.
    assert ohlc(bars, "2019-02-04 00:00") == [1.14543, 1.14570, 1.14542, 1.14569]
    assert bars["volume"].iloc[0] == np.float32(293.76)


def test_bi5_h1_and_d1_candles_agree_with_the_m1_candles():
    root = shared_file(BI5_ROOT)
    minutes = read_bi5(root, timeframe="M1").frame
    hours = read_bi5(root, timeframe="H1")
    days = read_bi5(root, timeframe="D1")
    assert (hours.timeframe, len(hours.frame)) == ("H1", 1_416)  # January and February 2019
    assert hours.frame.index[0] == utc("2019-01-01 00:00")
    assert hours.frame.index[-1] == utc("2019-02-28 23:00")
    assert ohlc(hours.frame, "2019-01-01 00:00") == [1.14627] * 4  # New Year: flat, kept
    assert ohlc(hours.frame, "2019-02-28 23:00") == [1.13707, 1.13743, 1.13694, 1.13730]
    assert (days.timeframe, len(days.frame)) == ("D1", 730)  # 2018 and 2019
    assert days.frame.index[0] == utc("2018-01-01")
    assert days.frame.index[-1] == utc("2019-12-31")
    assert any("UTC-midnight days" in note for note in days.notes)
    for bars, rule in ((hours.frame, "h"), (days.frame, "D")):
        built = minutes.resample(rule).agg(
            {"open": "first", "high": "max", "low": "min", "close": "last"}
        )
        pd.testing.assert_frame_equal(bars.loc[built.index, list(built.columns)], built,
                                      check_freq=False)


def test_acceptance_bid_ticks_rebuild_the_datafeeds_m1_candles():
    root = shared_file(BI5_ROOT)
    ticks = read_bi5(root, kind="ticks").frame
    candles = read_bi5(root, timeframe="M1").frame
    by_minute = ticks.groupby(ticks.index.floor("min"))
    built = pd.DataFrame(
        {
            "open": by_minute["bid"].first(),
            "high": by_minute["bid"].max(),
            "low": by_minute["bid"].min(),
            "close": by_minute["bid"].last(),
            "volume": by_minute["bid_volume"].sum(),
        }
    )
    assert len(built) == 2_880  # every minute of both days has ticks
    stored = candles.loc[built.index]
    ohlc_columns = ["open", "high", "low", "close"]
    pd.testing.assert_frame_equal(stored[ohlc_columns], built[ohlc_columns], check_names=False)
    np.testing.assert_allclose(built["volume"], stored["volume"], rtol=FLOAT32_EPS, atol=0)


# --- Dukascopy datafeed .bi5, made here ---------------------------------------------------------


def write_bi5(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_bi5_reads_one_file_of_the_layout_and_an_empty_hour(tmp_path):
    reader = DukascopyBi5Reader()
    file = tmp_path / "EURUSD" / "2019" / "01" / "04" / "00h_ticks.bi5"
    write_bi5(file, b"")
    alone = tmp_path / "loose.bi5"
    write_bi5(alone, b"")
    assert reader.sniff(Source(alone)) == (
        "not a folder in the Dukascopy datafeed layout (<SYMBOL>/<YYYY>/<MM>/<DD>/*.bi5)"
    )
    assert reader.sniff(Source(file)) is None
    single = reader.read(Source(file), ReadOptions())
    assert single.kind == "ticks" and single.pair == "EURUSD" and single.frame.empty
    assert reader.sniff(Source(tmp_path / "EURUSD" / "2019")) is not None
    loaded = read_bi5(tmp_path, kind="ticks")
    assert loaded.frame.empty and list(loaded.frame.columns) == [
        "bid", "ask", "bid_volume", "ask_volume"
    ]


def test_corrupt_bi5_names_the_file(tmp_path):
    # A download cut short: the LZMA stream ends early.
    file = tmp_path / "EURUSD" / "2019" / "01" / "04" / "00h_ticks.bi5"
    records = np.array([(994, 114545, 114543, 1.0, 2.06)] * 50, dtype=TICK_RECORD).tobytes()
    write_bi5(file, lzma.compress(records, format=lzma.FORMAT_ALONE)[:30])
    with pytest.raises(DataError) as error:
        read_bi5(tmp_path, kind="ticks")
    assert str(error.value) == (
        f"{file}: corrupt .bi5 file: it does not decompress as LZMA; download it again"
    )


def test_truncated_bi5_record_names_the_file(tmp_path):
    file = tmp_path / "EURUSD" / "2019" / "01" / "04" / "00h_ticks.bi5"
    record = np.array([(994, 114545, 114543, 1.0, 2.06)], dtype=TICK_RECORD).tobytes()
    write_bi5(file, lzma.compress(record + record[:5], format=lzma.FORMAT_ALONE))
    with pytest.raises(DataError) as error:
        read_bi5(tmp_path, kind="ticks")
    assert str(error.value) == (
        f"{file}: 25 bytes after decompression, not a whole number of 20-byte records "
        "(the file is truncated); download it again"
    )


def test_bi5_candle_with_high_below_low_names_its_record(tmp_path):
    file = tmp_path / "EURUSD" / "2019" / "01" / "04" / "BID_candles_min_1.bi5"
    records = np.array(
        [(0, 114543, 114569, 114542, 114570, 293.76), (60, 114569, 114575, 114580, 114565, 1.0)],
        dtype=CANDLE_RECORD,
    )
    write_bi5(file, lzma.compress(records.tobytes(), format=lzma.FORMAT_ALONE))
    with pytest.raises(DataError) as error:
        read_bi5(tmp_path)
    assert str(error.value) == (
        f"{file}, record 2: high 1.14565 is below low 1.1458; correct or delete that row"
    )


# --- every other user-facing error, once -------------------------------------------------


def test_local_time_without_offsets_needs_tz(tmp_path):
    path = tmp_path / "EURUSD_Candlestick_1_Hour_BID_x.csv"
    path.write_text(
        "Local time,Open,High,Low,Close,Volume\n01.07.2020 00:00:00.000,1.1,1.2,1.0,1.1,1\n"
    )
    with pytest.raises(DataError) as error:
        read_csv(path)
    assert str(error.value) == (
        f"{path}, line 2: the 'Local time' timestamps carry no GMT±hhmm offset, so the file's "
        "clock is unknown; pass tz (e.g. '+01:00' or 'Europe/Zurich'), or export with Gmt time"
    )
    assert read_csv(path, tz="+01:00").frame.index[0] == utc("2020-06-30 23:00")


def test_local_time_row_without_its_offset_names_its_line(tmp_path):
    path = tmp_path / "EURUSD_Candlestick_1_Hour_BID_x.csv"
    path.write_text(
        "Local time,Open,High,Low,Close,Volume\n"
        "01.07.2020 00:00:00.000 GMT+0200,1.1,1.2,1.0,1.1,1\n"
        "01.07.2020 01:00:00.000,1.1,1.2,1.0,1.1,1\n"
    )
    with pytest.raises(DataError) as error:
        read_csv(path)
    assert str(error.value) == (
        f"{path}, line 3: timestamp '01.07.2020 01:00:00.000' has no GMT±hhmm offset "
        "(like ' GMT-0500'); correct or delete that row"
    )


def test_a_header_that_is_not_dukascopys_is_refused(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,Open,High,Low,Close\n01.07.2020 00:00:00.000,1.1,1.2,1.0,1.1\n")
    reason = "the header does not start with Gmt time, Local time, Time (EET) or Time"
    assert DukascopyCsvReader().sniff(Source(path)) == reason
    with pytest.raises(DataError) as error:
        DukascopyCsvReader().read(Source(path), ReadOptions())
    assert str(error.value) == (
        f"{path}, line 1: not a Dukascopy CSV export: {reason}; "
        "pass the file as Dukascopy exported it, or choose another --format"
    )


def compressed(records: list[tuple], dtype: np.dtype) -> bytes:
    return lzma.compress(np.array(records, dtype=dtype).tobytes(), format=lzma.FORMAT_ALONE)


TICK = (994, 114545, 114543, 1.0, 2.06)


@pytest.mark.parametrize(
    ("files", "options", "message"),
    [
        (
            {"EURUSD/2019/01/04/00h_ticks.bi5": [TICK], "USDJPY/2019/01/04/00h_ticks.bi5": []},
            {"kind": "ticks"},
            "{root}: the folder holds several symbols (EURUSD, USDJPY); "
            "pass the pair to read, or the symbol's own folder",
        ),
        (
            {"BTCUSD/2019/01/04/00h_ticks.bi5": [TICK]},
            {"kind": "ticks"},
            "{root}/BTCUSD: the folder name 'BTCUSD' is not a currency pair, so the price scale "
            "is unknown; name the folder after its symbol (e.g. EURUSD) or pass the pair",
        ),
        (
            {"EURUSD/2019/01/04/00h_ticks.bi5": [TICK]},
            {"kind": "ticks", "pair": FxPair.parse("USDJPY")},
            "{root}/EURUSD: the folder is EURUSD but pair USDJPY was given; "
            "pass the pair the folder holds",
        ),
        (
            {"EURUSD/2019/12/04/00h_ticks.bi5": [TICK]},
            {"kind": "ticks"},
            "{root}/EURUSD/2019/12/04/00h_ticks.bi5: the path is not a date in the datafeed "
            "layout (months run 00-11, days 01-31); keep the folders as the datafeed names them",
        ),
        (
            {"EURUSD/2019/01/04/00h_ticks.bi5": [TICK, (3_600_000, *TICK[1:])]},
            {"kind": "ticks"},
            "{root}/EURUSD/2019/01/04/00h_ticks.bi5, record 2: time offset 3600000 is past the "
            "end of the file's period (from 2019-02-04 00:00 UTC); download it again",
        ),
        (
            {"EURUSD/2019/01/04/00h_ticks.bi5": [(994, 0, 114543, 1.0, 2.06)]},
            {"kind": "ticks"},
            "{root}/EURUSD/2019/01/04/00h_ticks.bi5, record 1: ask is 0, not positive; "
            "correct or delete that row",
        ),
        (
            {"EURUSD/2019/01/04/00h_ticks.bi5": [TICK]},
            {"timeframe": "H1"},
            "{root}/EURUSD: no BID H1 candle files (BID_candles_hour_1.bi5) in this folder; "
            "download them, or read another kind or timeframe",
        ),
    ],
)
def test_bi5_folder_errors(tmp_path, files, options, message):
    for relative, records in files.items():
        write_bi5(tmp_path / relative, compressed(records, TICK_RECORD) if records else b"")
    with pytest.raises(DataError) as error:
        read_bi5(tmp_path, **options)
    assert str(error.value) == message.format(root=tmp_path)


def test_bi5_timeframe_must_be_one_the_datafeed_stores():
    with pytest.raises(ConfigError) as error:
        read_bi5(shared_file(BI5_ROOT), timeframe="M5")
    assert str(error.value) == (
        "`timeframe` must be M1, H1 or D1 for a Dukascopy datafeed folder (the only candles it "
        "stores), was 'M5'; read M1 or H1 and resample"
    )
