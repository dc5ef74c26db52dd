"""Quality policies, resampling, the catalog and the load front door."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from fxjudge import ConfigError, DataError, Policy, load_bars, load_ticks, resample
from fxjudge.config import sample_path
from fxjudge.data import catalog
from fxjudge.data.bars import TIMEFRAMES, make_bars
from fxjudge.data.quality import DataReport, apply_policy
from fxjudge.data.resample import bucket_starts
from tests.conftest import shared_file

SAMPLE = sample_path()


def frame(times, closes, volume=1.0):
    """Bars whose open/high/low all equal the close unless the close repeats a pattern."""
    index = pd.DatetimeIndex(pd.to_datetime(times), name="time").tz_localize("UTC")
    closes = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {"open": closes, "high": closes + 0.001, "low": closes - 0.001, "close": closes,
         "volume": np.full(len(closes), volume)},
        index=index,
    )


def run_policy(data, policy=None, timeframe="M1"):
    policy = policy or Policy()
    report = DataReport(source="t", format="t", kind="bars", pair="EURUSD", timeframe=timeframe,
                        price_side="bid", rows_read=len(data))
    out = apply_policy(data, kind="bars", timeframe_name=timeframe, pip_size=0.0001,
                       policy=policy, report=report, path="t.csv")
    return out, report


# --- quality policies -------------------------------------------------------------------------

MONDAY = ["2018-03-05 10:00", "2018-03-05 10:01", "2018-03-05 10:01", "2018-03-05 10:02"]


def test_duplicates_keep_first_by_default_and_are_counted():
    out, report = run_policy(frame(MONDAY, [1.1, 1.2, 1.3, 1.4]))
    assert out["close"].tolist() == [1.1, 1.2, 1.4]
    assert (report.duplicates, report.duplicates_with_different_prices) == (1, 1)
    assert "kept the first row" in report.notes[0]


def test_duplicates_keep_last_on_request():
    out, _ = run_policy(frame(MONDAY, [1.1, 1.2, 1.3, 1.4]), Policy(duplicates="last"))
    assert out["close"].tolist() == [1.1, 1.3, 1.4]


def test_duplicates_error_policy_names_the_first_and_the_fix():
    with pytest.raises(DataError) as error:
        run_policy(frame(MONDAY, [1.1, 1.2, 1.3, 1.4]), Policy(duplicates="error"))
    assert str(error.value) == (
        "t.csv: 1 duplicate timestamps, the first at 2018-03-05T10:01:00+00:00; "
        "choose --duplicates first or last to keep one row of each"
    )


def test_backward_steps_are_sorted_and_counted():
    times = ["2018-03-05 10:00", "2018-03-05 10:02", "2018-03-05 10:01", "2018-03-05 10:03"]
    out, report = run_policy(frame(times, [1.0, 1.2, 1.1, 1.3]))
    assert out["close"].tolist() == [1.0, 1.1, 1.2, 1.3]
    assert report.backward_steps == 1


def test_flat_weekend_rows_dropped_or_kept():
    # Saturday 2018-03-10 is inside the FX weekend; the row is flat with zero volume.
    data = frame(["2018-03-09 20:00", "2018-03-10 00:00", "2018-03-11 22:00"], [1.1, 1.2, 1.3])
    data.iloc[1, :] = [1.2, 1.2, 1.2, 1.2, 0.0]
    out, report = run_policy(data, timeframe=None)
    assert report.weekend_rows == 1 and len(out) == 2
    out, _ = run_policy(data, Policy(weekend="keep"), timeframe=None)
    assert len(out) == 3


def test_gaps_are_counted_outside_weekends_and_kept_by_default():
    # Friday 2018-03-09 16:59 New York (21:59 UTC) is the last minute of the week; the jump
    # from there to Sunday's open is the weekend, not a gap.
    times = ["2018-03-09 21:58", "2018-03-09 21:59", "2018-03-11 21:00", "2018-03-11 21:03"]
    out, report = run_policy(frame(times, [1.0, 1.1, 1.2, 1.3]))
    # 2018-03-11 is the US DST switch: the week opens 21:00 UTC. 21:01 and 21:02 are missing.
    assert (report.gaps, report.missing_bars) == (1, 2)
    assert report.largest_gap == "2 bars from 2018-03-11T21:01:00+00:00"
    assert len(out) == 4


def test_gap_fill_inserts_flat_bars_at_the_previous_close():
    out, report = run_policy(
        frame(["2018-03-05 10:00", "2018-03-05 10:03"], [1.1, 1.2]), Policy(gaps="fill")
    )
    assert out.index.strftime("%H:%M").tolist() == ["10:00", "10:01", "10:02", "10:03"]
    assert out.iloc[1].tolist() == [1.1, 1.1, 1.1, 1.1, 0.0]
    assert report.missing_bars == 2


def test_gap_error_policy():
    with pytest.raises(DataError) as error:
        run_policy(
            frame(["2018-03-05 10:00", "2018-03-05 10:03"], [1.1, 1.2]), Policy(gaps="error")
        )
    assert str(error.value) == (
        "t.csv: 1 gaps (2 missing M1 bars outside weekends), the largest 2 bars from "
        "2018-03-05T10:01:00+00:00; choose --gaps keep (leave them) or fill (flat bars at the "
        "previous close)"
    )


def test_unknown_policy_value():
    with pytest.raises(ConfigError) as error:
        Policy(gaps="interpolate")
    assert str(error.value) == "`gaps` must be one of keep, fill, error, was 'interpolate'"


# --- resampling -------------------------------------------------------------------------------

def hourly(start, hours):
    index = pd.date_range(start, periods=hours, freq="h", tz="UTC", name="time")
    closes = 1.0 + np.arange(hours) / 1000
    data = pd.DataFrame({"open": closes, "high": closes + 0.0005, "low": closes - 0.0005,
                         "close": closes, "volume": 1.0}, index=index)
    return make_bars(data, pair="EURUSD", timeframe_name="H1", source="test")


@pytest.mark.parametrize(
    ("start", "d1_open_utc"),
    [("2018-01-08 00:00", "22:00"), ("2018-07-09 00:00", "21:00")],  # winter, US summer
)
def test_d1_runs_from_17h_new_york(start, d1_open_utc):
    daily = resample(hourly(start, 72), "D1")
    assert set(daily.index[1:].strftime("%H:%M")) == {d1_open_utc}
    assert daily.attrs["timeframe"] == "D1"


def test_h4_aligns_to_the_fx_day():
    h4 = resample(hourly("2018-01-08 00:00", 24), "H4")
    # Monday 00:00-01:59 UTC belongs to the H4 bar that opened 22:00 UTC Sunday (17:00 New York)
    assert h4.index[0] == pd.Timestamp("2018-01-07 22:00", tz="UTC")
    assert list(h4.index.strftime("%H")) == ["22", "02", "06", "10", "14", "18", "22"]


def test_ohlc_aggregation_by_hand():
    bars = hourly("2018-01-08 10:00", 4)  # closes 1.000, 1.001, 1.002, 1.003
    h4 = resample(bars, "H4")  # 10:00-13:59 UTC is inside the 10:00 H4 bar (05:00 NY)
    assert len(h4) == 1
    row = h4.iloc[0]
    assert (row.open, row.high, row.low, row.close, row.volume) == pytest.approx(
        (1.000, 1.0035, 0.9995, 1.003, 4.0)
    )


def test_w1_opens_sunday_17h_new_york():
    weekly = resample(hourly("2018-03-05 00:00", 24 * 14), "W1")
    assert weekly.index[1] == pd.Timestamp("2018-03-11 21:00", tz="UTC")  # DST started that day


def test_cannot_resample_to_a_shorter_timeframe():
    with pytest.raises(ConfigError) as error:
        resample(hourly("2018-01-08", 5), "M5")
    assert str(error.value) == "`to` must be a timeframe at least as long as the data's H1, was M5"


def test_bucket_starts_for_every_timeframe_are_bar_open_times():
    times = pd.date_range("2018-03-05", periods=5000, freq="7min", tz="UTC")
    for tf in TIMEFRAMES.values():
        starts = bucket_starts(times, tf)
        assert (starts <= times).all() and ((times - starts) < tf.delta).all(), tf.name


def test_ticks_resampled_to_m1_reproduce_dukascopy_candles():
    folder = shared_file("dukascopy_bi5_eurusd_2019-02")
    m1 = resample(load_ticks(folder), "M1")
    candles = load_bars(folder, timeframe="M1", policy=Policy(weekend="keep"))
    assert len(m1) == 2880 and len(candles) == 2880
    assert (m1.index == candles.index).all()
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(m1[column].to_numpy(), candles[column].to_numpy())
    np.testing.assert_allclose(m1["volume"], candles["volume"], rtol=1e-6)


# --- catalog and load -------------------------------------------------------------------------

def test_catalog_roundtrip_merge_and_resample(tmp_path):
    from_file = load_bars(SAMPLE)
    stored = catalog.import_data(from_file, {"source": "sample"}, project=tmp_path)
    assert stored.path == tmp_path / "data" / "catalog" / "EURUSD" / "H1.parquet"
    assert (stored.replaced, stored.added, stored.mode) == (0, 6225, "new")
    back = load_bars("EURUSD", project=tmp_path)
    assert back.index.equals(from_file.index)
    np.testing.assert_array_equal(back.to_numpy(), from_file.to_numpy())
    assert back.attrs["price_side"] == "ask" and back.attrs["timeframe"] == "H1"
    # the same file again: every stored row in its range is replaced, nothing doubles
    again = catalog.import_data(from_file, {"source": "sample"}, project=tmp_path)
    assert again.replaced == 6225 and len(load_bars("EURUSD", project=tmp_path)) == 6225
    h4 = load_bars("EURUSD", timeframe="H4", project=tmp_path)
    assert h4.attrs["timeframe"] == "H4" and h4.index[0] == pd.Timestamp("2017-01-01 22:00",
                                                                            tz="UTC")
    clipped = load_bars("EURUSD", project=tmp_path, start="2017-03-01", end="2017-03-02")
    assert clipped.index[0] == pd.Timestamp("2017-03-01 00:00", tz="UTC") and len(clipped) == 24
    [entry] = catalog.entries(tmp_path)
    assert (entry["pair"], entry["timeframe"], entry["rows"]) == ("EURUSD", "H1", 6225)
    assert entry["sources"] == ["sample", "sample"]


def test_catalog_write_failure_leaves_old_file(tmp_path, monkeypatch):
    bars = load_bars(SAMPLE)
    stored = catalog.import_data(bars, {"source": "one"}, project=tmp_path)
    path = stored.path
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError):
        catalog.import_data(bars.iloc[:10], {"source": "one"}, project=tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["H1.parquet"]


def test_catalog_miss_says_how_to_import(tmp_path):
    with pytest.raises(DataError) as error:
        load_bars("GBPUSD", project=tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'data' / 'catalog'}: the catalog has no data for GBPUSD; import a file "
        "first: fxjudge data import FILE --pair GBPUSD"
    )


def test_catalog_too_coarse(tmp_path):
    catalog.import_data(load_bars(SAMPLE), {"source": "s"}, project=tmp_path)
    with pytest.raises(DataError) as error:
        load_bars("EURUSD", timeframe="M15", project=tmp_path)
    assert "the catalog has EURUSD only in H1, too coarse for M15" in str(error.value)


def test_unrecognised_file_lists_every_format_and_why(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\nworld\n")
    with pytest.raises(DataError) as error:
        load_bars(junk)
    message = str(error.value)
    assert message.startswith(f"{junk}: no reader recognises this file (parquet: ")
    for name in ("dukascopy-bi5:", "histdata:", "dukascopy-csv:", "mt5:", "mt4:", "csv:"):
        assert name in message
    assert message.endswith(
        "pass --format NAME if you know the format, or check the file is FX price data"
    )


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as error:
        load_bars(tmp_path / "nope.csv")
    assert str(error.value) == f"{tmp_path / 'nope.csv'}: no such file or folder; check the path " \
        "and try again"


def test_bad_dates_for_start():
    with pytest.raises(ConfigError) as error:
        load_bars(SAMPLE, start="last tuesday")
    assert str(error.value) == "`start` must be a date like '2018-03-01', was 'last tuesday'"
