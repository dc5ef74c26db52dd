"""`fxjudge data download` against a local HTTP server on 127.0.0.1 that serves the real
Dukascopy files of ../shared/data (tests/datafeed.py): the datafeed's layout, a file that fails
once, a corrupt one, a dropped connection, an empty hour, the cache (nothing fetched twice), a
killed download that resumes, limited concurrency, and the import into the catalog."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.data import catalog
from fxjudge.data.download import download, import_download, plan
from fxjudge.data.load import load_bars, load_ticks
from fxjudge.errors import ConfigError, DataError
from tests.conftest import REPO, shared_file
from tests.datafeed import DatafeedServer, folder_files

FOLDER = "dukascopy_bi5_eurusd_2019-02"
DAY1 = [f"EURUSD/2019/01/04/{h:02d}h_ticks.bi5" for h in range(24)]
DAY2 = [f"EURUSD/2019/01/05/{h:02d}h_ticks.bi5" for h in range(24)]
TWO_DAYS = ["EURUSD", "--from", "2019-02-04", "--to", "2019-02-06"]
FAST = {"backoff_seconds": 0.01}


@pytest.fixture
def feed():
    server = DatafeedServer(folder_files(shared_file(FOLDER)))
    yield server
    server.close()


def test_the_plan_follows_the_datafeed_layout():
    ticks, unfinished = plan("eurusd", "2019-02-04 22:00", "2019-02-05 01:00", "tick")
    assert [p.relative for p in ticks] == [
        "EURUSD/2019/01/04/22h_ticks.bi5", "EURUSD/2019/01/04/23h_ticks.bi5",
        "EURUSD/2019/01/05/00h_ticks.bi5"] and unfinished == 0
    days, _ = plan("USDJPY", "2019-12-31", "2020-01-02", "M1")
    assert [p.relative for p in days] == ["USDJPY/2019/11/31/BID_candles_min_1.bi5",
                                          "USDJPY/2020/00/01/BID_candles_min_1.bi5"]
    months, _ = plan("EURUSD", "2019-01-15", "2019-03-01", "H1")
    assert [p.relative for p in months] == ["EURUSD/2019/00/BID_candles_hour_1.bi5",
                                            "EURUSD/2019/01/BID_candles_hour_1.bi5"]
    years, _ = plan("EURUSD", "2018-06-01", "2019-06-01", "D1")
    assert [p.relative for p in years] == ["EURUSD/2018/BID_candles_day_1.bi5",
                                           "EURUSD/2019/BID_candles_day_1.bi5"]
    now = pd.Timestamp("2019-03-10 12:30", tz="UTC")
    parts, unfinished = plan("EURUSD", "2019-03-09", "2019-03-11", "M1", now=now)
    assert [p.start.day for p in parts] == [9] and unfinished == 1  # the 10th is not over
    with pytest.raises(ConfigError, match="`--to` must be after `--from`"):
        plan("EURUSD", "2019-02-04", "2019-02-04", "tick")
    with pytest.raises(ConfigError, match="must be M1, H1 or D1"):
        plan("EURUSD", "2019-02-04", "2019-02-05", "H4")


def test_ticks_arrive_whole_through_a_failure_a_corrupt_file_and_a_dropped_connection(
        feed, tmp_path):
    feed.script = {DAY1[8]: ["500"], DAY1[9]: ["corrupt"], DAY1[10]: ["drop"]}
    result = download("EURUSD", "2019-02-04", "2019-02-06", timeframe="tick",
                      base_url=feed.url, project=tmp_path, **FAST)
    assert (result.fetched, result.cached, result.failed) == (48, 0, [])
    assert result.refetched == [DAY1[9]] and result.retries == 2
    assert {feed.requests[p] for p in (DAY1[8], DAY1[9], DAY1[10])} == {2}
    assert sum(feed.requests.values()) == 48 + 3
    stored, report = import_download(result, project=tmp_path)
    ticks = load_ticks("EURUSD", project=tmp_path)
    expected = load_ticks(shared_file(FOLDER))
    assert len(ticks) == stored.rows == 266_219 and report.rows == 266_219
    pd.testing.assert_frame_equal(ticks, expected, check_freq=False, check_like=True)
    # the cache is the datafeed's own layout: the reader reads it as the shared folder
    assert (tmp_path / "data" / "datafeed" / DAY2[23]).read_bytes() == \
        (shared_file(FOLDER) / DAY2[23]).read_bytes()


def test_nothing_is_fetched_twice(feed, tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    url = ["--base-url", feed.url]
    assert main([*project, "data", "download", "EURUSD", "--from", "2019-02-04", "--to",
                 "2019-02-05", "--ticks", *url]) == 0
    assert sorted(feed.requests) == DAY1
    out = capsys.readouterr().out
    assert "24 tick files (one an hour) for EURUSD 2019-02-04 00:00 to 2019-02-05 00:00 UTC: " \
           "24 fetched" in out and "imported" in out
    assert main([*project, "data", "download", *TWO_DAYS, "--ticks", *url]) == 0
    assert all(feed.requests[p] == 1 for p in DAY1 + DAY2) and len(feed.requests) == 48
    out = capsys.readouterr().out
    assert "24 fetched" in out and "24 from the cache" in out
    assert "266,219 stored in all" in out  # the second day added, the first updated
    assert main([*project, "data", "download", *TWO_DAYS, "--ticks", *url]) == 0
    assert sum(feed.requests.values()) == 48
    assert "0 fetched (0.0 kB), 48 from the cache" in capsys.readouterr().out


def test_a_file_corrupt_twice_is_reported_and_nothing_imported_until_it_is_fetched(
        feed, tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    feed.script = {DAY2[5]: ["corrupt", "corrupt"], DAY2[6]: ["404"]}
    assert main([*project, "data", "download", *TWO_DAYS, "--ticks", "--base-url",
                 feed.url]) == 2
    captured = capsys.readouterr()
    assert f"failed: {DAY2[5]}: corrupt twice (corrupt .bi5 file: it does not decompress as " \
           "LZMA)" in captured.out
    assert f"failed: {DAY2[6]}: not on the server (HTTP 404 Not Found)" in captured.out
    assert captured.err.strip() == (
        f"error: {tmp_path / 'data' / 'datafeed' / 'EURUSD'}: 2 of 48 files could not be "
        f"fetched (first: {DAY2[5]}: corrupt twice (corrupt .bi5 file: it does not decompress "
        "as LZMA)); nothing was imported; run the same download again: the 46 files already "
        "in the cache are not fetched again")
    assert feed.requests[DAY2[5]] == 2 and feed.requests[DAY2[6]] == 1
    assert not (tmp_path / "data" / "catalog").exists()
    assert not (tmp_path / "data" / "datafeed" / DAY2[5]).exists()
    assert main([*project, "data", "download", *TWO_DAYS, "--ticks", "--base-url",
                 feed.url]) == 0
    assert "2 fetched" in capsys.readouterr().out
    assert feed.requests[DAY2[5]] == 3 and sum(feed.requests.values()) == 48 + 3
    assert len(load_ticks("EURUSD", project=tmp_path)) == 266_219


def test_an_empty_hour_is_fine_and_recorded(feed, tmp_path):
    feed.script = {DAY1[3]: ["empty"]}
    result = download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick",
                      base_url=feed.url, project=tmp_path, **FAST)
    assert result.empty == [DAY1[3]] and result.failed == []
    assert (tmp_path / "data" / "datafeed" / DAY1[3]).stat().st_size == 0  # kept: not refetched
    assert "1 empty (no prices in that period" in result.summary()
    _, report = import_download(result, project=tmp_path)
    assert any("24 tick files (1 empty: no ticks in that hour)" in n for n in report.notes)
    again = download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick",
                     base_url=feed.url, project=tmp_path, **FAST)
    assert again.cached == 24 and again.empty == [DAY1[3]] and feed.requests[DAY1[3]] == 1


def test_candles_of_each_timeframe_match_the_real_folder(feed, tmp_path):
    for name, start, end in (("M1", "2019-02-04", "2019-02-06"),
                             ("H1", "2019-02-04", "2019-02-06"),
                             ("D1", "2019-02-01", "2019-02-08")):
        result = download("EURUSD", start, end, timeframe=name, base_url=feed.url,
                          project=tmp_path, **FAST)
        assert result.failed == [] and result.fetched == {"M1": 2, "H1": 1, "D1": 1}[name]
        stored, _ = import_download(result, project=tmp_path)
        mine = catalog.read(stored.path)
        real = load_bars(shared_file(FOLDER), timeframe=name, start=start, end=end)
        assert len(mine) == len(real) > 0, name
        pd.testing.assert_frame_equal(mine[["open", "high", "low", "close", "volume"]],
                                      real[["open", "high", "low", "close", "volume"]],
                                      check_freq=False)


def test_concurrency_is_limited_to_jobs(tmp_path):
    server = DatafeedServer(folder_files(shared_file(FOLDER)), delay_seconds=0.02)
    try:
        download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick", base_url=server.url,
                 project=tmp_path, jobs=3)
        assert server.most_at_once == 3
        download("EURUSD", "2019-02-05", "2019-02-06", timeframe="tick", base_url=server.url,
                 project=tmp_path, jobs=1)
        assert server.most_at_once == 3  # the second run never had two at once
    finally:
        server.close()


def test_progress_counts_files_and_bytes(feed, tmp_path):
    calls = []
    download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick", base_url=feed.url,
             project=tmp_path, progress=lambda *args: calls.append(args))
    assert [c[0] for c in calls] == list(range(1, 25)) and {c[1] for c in calls} == {24}
    assert calls[-1][2] == sum(p.stat().st_size for p in (tmp_path / "data" / "datafeed")
                               .rglob("*.bi5")) and calls[-1][3] == 0
    assert 0 < calls[0][3]  # bytes left, estimated from the files so far


SCRIPT = """
import sys
from fxjudge.data.download import download
download("EURUSD", "2019-02-04", "2019-02-06", timeframe="tick", base_url=sys.argv[1],
         project=sys.argv[2], jobs=1)
"""


def test_a_killed_download_resumes_where_it_stopped(feed, tmp_path):
    feed.script = {DAY1[10]: ["hang"]}
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, feed.url, str(tmp_path)],
                               cwd=REPO)
    try:
        assert feed.hanging.wait(60), "the download never reached the hanging file"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    feed.release.set()
    cache = tmp_path / "data" / "datafeed"
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*.bi5")) == DAY1[:10]
    leftover = cache / "EURUSD/2019/01/04/.10h_ticks.bi5.abc123.tmp"  # as a kill mid-write
    leftover.write_bytes(b"half a file")
    time.sleep(0.01)
    result = download("EURUSD", "2019-02-04", "2019-02-06", timeframe="tick",
                      base_url=feed.url, project=tmp_path, **FAST)
    assert (result.cached, result.fetched, result.removed_temporaries) == (10, 38, [leftover])
    assert all(feed.requests[p] == 1 for p in DAY1[:10] + DAY1[11:] + DAY2)
    assert feed.requests[DAY1[10]] == 2 and not leftover.exists()


def test_a_file_damaged_in_the_cache_is_fetched_again(feed, tmp_path):
    download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick", base_url=feed.url,
             project=tmp_path)
    damaged = tmp_path / "data" / "datafeed" / DAY1[0]
    damaged.write_bytes(damaged.read_bytes()[:100])
    result = download("EURUSD", "2019-02-04", "2019-02-05", timeframe="tick",
                      base_url=feed.url, project=tmp_path)
    assert result.damaged_in_cache == [DAY1[0]] and result.fetched == 1
    assert damaged.read_bytes() == (shared_file(FOLDER) / DAY1[0]).read_bytes()


def test_a_server_that_keeps_failing_is_reported_after_the_retries(feed, tmp_path):
    feed.script = {DAY1[0]: ["500"] * 5}
    result = download("EURUSD", "2019-02-04", "2019-02-04 02:00", timeframe="tick",
                      base_url=feed.url, project=tmp_path, retries=2, **FAST)
    assert result.failed == [(DAY1[0], "HTTP 500 Internal Server Error after 3 attempts")]
    assert feed.requests[DAY1[0]] == 3 and result.fetched == 1
    with pytest.raises(DataError, match="1 of 2 files could not be fetched"):
        import_download(result, project=tmp_path)


def test_nothing_listens_and_bad_options_are_one_line(tmp_path, capsys):
    dead = "http://127.0.0.1:9/datafeed"  # the discard port: connection refused
    result = download("EURUSD", "2019-02-04", "2019-02-04 01:00", timeframe="tick",
                      base_url=dead, project=tmp_path, retries=1, **FAST)
    [(name, why)] = result.failed
    assert name == DAY1[0] and "Connection refused" in why and why.endswith("after 2 attempts")
    project = ["--project-dir", str(tmp_path), "data", "download", *TWO_DAYS]
    for extra, message in (
            (["--ticks", "--timeframe", "M1"], "`--ticks` and `--timeframe` exclude each other"),
            (["--base-url", "ftp://example.org"], "`--base-url` must be an http(s) URL"),
            (["--timeframe", "M5"], "`timeframe` must be M1, H1 or D1"),
            (["--jobs", "0"], "`--jobs` must be >= 1, was 0"),
            (["--from", "soon"], "`--from` must be a date like '2019-01-01', was 'soon'")):
        assert main([*project, *extra]) == 2, extra
        err = capsys.readouterr().err.strip()
        assert message in err and err.count("\n") == 0, err
