"""The catalog keeps what the user has: wrong pairs and second sources refused, resample never
over an import, remove, concurrent imports, a killed import, the umask (docs/data.md)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.data import catalog
from fxjudge.data.load import load_bars
from fxjudge.errors import DataError
from tests.conftest import REPO

SAMPLE = sample_path()
LINES = SAMPLE.read_text().splitlines()
CLI = "import sys; from fxjudge.cli import main; sys.exit(main(sys.argv[1:]))"


def piece(folder: Path, name: str, rows: slice, scale: float = 1.0) -> Path:
    """The sample's header and `rows` of its bars (prices times `scale`), as `name`."""
    out = [LINES[0]]
    for line in LINES[1:][rows]:
        stamp, *prices, volume = line.split(",")
        out.append(",".join([stamp, *(f"{float(p) * scale:.5f}" for p in prices), volume]))
    path = folder / name
    path.write_text("\n".join(out) + "\n")
    return path


def cli(folder: Path, *args: str) -> int:
    return main(["--project-dir", str(folder), *args])


def stored(folder: Path, timeframe: str = "H1") -> pd.DataFrame:
    return catalog.read(folder / "data" / "catalog" / "EURUSD" / f"{timeframe}.parquet")


def test_prices_that_do_not_fit_the_stored_bars_are_refused(tmp_path, capsys):
    assert cli(tmp_path, "data", "import", str(SAMPLE)) == 0
    before = stored(tmp_path)
    # the same hours at 90% of the price: another instrument, not a second EURUSD feed
    other = piece(tmp_path, "EURUSD_H1_2017b_ASK.csv", slice(1000, 1200), scale=0.9)
    assert cli(tmp_path, "data", "import", str(other)) == 2
    err = capsys.readouterr().err
    assert "do not fit the EURUSD series the catalog holds" in err and "at the same times" in err
    # a month later at 70%: no file of this pair moves that much across a seam of days
    later = tmp_path / "EURUSD_H1_2018_ASK.csv"
    later.write_text(LINES[0] + "\n03.01.2018 00:00:00.000,0.84,0.85,0.83,0.84,1\n"
                     "03.01.2018 01:00:00.000,0.84,0.85,0.83,0.84,1\n")
    assert cli(tmp_path, "data", "import", str(later)) == 2
    assert "next to it" in capsys.readouterr().err
    pd.testing.assert_frame_equal(stored(tmp_path), before)
    # the same file again, and its own continuation, are fine
    assert cli(tmp_path, "data", "import", str(piece(tmp_path, "EURUSD_H1_2017c_ASK.csv",
                                                       slice(1000, 1200)))) == 0
    assert "200 stored rows in its range replaced" in capsys.readouterr().out


def test_a_second_source_is_refused_replaced_or_merged(tmp_path, capsys):
    assert cli(tmp_path, "data", "import", str(SAMPLE)) == 0
    mt4 = tmp_path / "EURUSD60.csv"
    mt4.write_text("2017.03.01,12:00,1.0560,1.0570,1.0550,1.0565,100\n"  # = 10:00 UTC: stored
                   "2018.01.02,12:00,1.2010,1.2020,1.2000,1.2015,100\n")  # new
    assert cli(tmp_path, "data", "import", str(mt4)) == 2
    assert "two sources are never merged silently" in capsys.readouterr().err
    assert len(stored(tmp_path)) == 6225
    # mt4 is bid, the sample ask: a merge would mix the two
    assert cli(tmp_path, "data", "import", str(mt4), "--merge") == 2
    assert "never mixes the two" in capsys.readouterr().err

    bid = piece(tmp_path, "EURUSD_H1_2017_BID.csv", slice(0, 100))
    assert cli(tmp_path, "data", "import", str(bid), "--replace") == 0
    assert "the 6,225 stored rows replaced" in capsys.readouterr().out
    assert len(stored(tmp_path)) == 100
    assert cli(tmp_path, "data", "import", str(mt4), "--merge") == 0
    out = capsys.readouterr().out
    assert "2 rows into" in out and len(stored(tmp_path)) == 102
    more = piece(tmp_path, "EURUSD_H1_2017_BID2.csv", slice(50, 150))
    text = more.read_text().replace("_BID2", "")
    more.write_text(text)
    assert cli(tmp_path, "data", "import", str(more), "--merge") == 0
    out = capsys.readouterr().out
    assert "50 rows into" in out and "50 stored rows kept where both had a bar (merge)" in out
    assert len(stored(tmp_path)) == 152


def test_resample_never_overwrites_an_imported_series(tmp_path, capsys):
    assert cli(tmp_path, "data", "import", str(SAMPLE)) == 0
    assert cli(tmp_path, "data", "resample", "EURUSD", "--to", "D1") == 0
    assert cli(tmp_path, "data", "resample", "EURUSD", "--to", "D1") == 0  # its own: replaced
    assert "replacing" in capsys.readouterr().out
    daily = tmp_path / "EURUSD_Candlestick_1_D_BID_01.01.2017-01.02.2017.csv"
    daily.write_text("Gmt time,Open,High,Low,Close,Volume\n"
                     "03.01.2017 00:00:00.000,1.04,1.05,1.03,1.045,10\n"
                     "04.01.2017 00:00:00.000,1.045,1.055,1.035,1.05,10\n")
    assert cli(tmp_path, "data", "import", str(daily), "--replace") == 0
    assert cli(tmp_path, "data", "resample", "EURUSD", "--to", "D1") == 2
    assert "holds imported D1 bars" in capsys.readouterr().err
    assert len(stored(tmp_path, "D1")) == 2
    assert cli(tmp_path, "data", "resample", "EURUSD", "--to", "D1", "--replace") == 0
    assert len(stored(tmp_path, "D1")) > 250


def test_remove_deletes_one_series_and_leaves_the_rest(tmp_path, capsys):
    assert cli(tmp_path, "data", "import", str(SAMPLE)) == 0
    assert cli(tmp_path, "data", "resample", "EURUSD", "--to", "D1") == 0
    usdjpy = tmp_path / "USDJPY60.csv"
    usdjpy.write_text("2017.03.01,12:00,112.60,112.70,112.50,112.65,100\n"
                      "2017.03.01,13:00,112.65,112.75,112.55,112.70,100\n")
    assert cli(tmp_path, "data", "import", str(usdjpy)) == 0
    root = tmp_path / "data" / "catalog"
    assert cli(tmp_path, "data", "remove", "EURUSD", "--timeframe", "D1", "--yes") == 0
    assert "removed" in capsys.readouterr().out
    assert not (root / "EURUSD" / "D1.parquet").exists()
    assert (root / "EURUSD" / "H1.parquet").exists() and (root / "USDJPY" / "H1.parquet").exists()
    assert cli(tmp_path, "data", "remove", "eur/usd", "--yes") == 0
    assert not (root / "EURUSD").exists() and (root / "USDJPY" / "H1.parquet").exists()


def _start_import(folder: Path, file: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLI, "--project-dir", str(folder), "data",
                             "import", str(file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)


def test_two_imports_at_once_both_land(tmp_path):
    halves = [piece(tmp_path, "EURUSD_H1_2017a_ASK.csv", slice(0, 3000)),
              piece(tmp_path, "EURUSD_H1_2017b_ASK.csv", slice(3000, None))]
    running = [_start_import(tmp_path, half) for half in halves]
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert stored(tmp_path).index.equals(load_bars(SAMPLE).index)


def test_an_import_waits_for_the_pair_lock(tmp_path):
    with catalog.pair_lock("EURUSD", tmp_path):
        process = _start_import(tmp_path, SAMPLE)
        time.sleep(4)
        assert process.poll() is None  # still waiting for the lock
        assert not (tmp_path / "data" / "catalog" / "EURUSD" / "H1.parquet").exists()
    process.communicate(timeout=120)
    assert process.returncode == 0 and len(stored(tmp_path)) == 6225


KILLED_MID_WRITE = """
import os, signal, sys
import pyarrow.parquet as pq
from fxjudge.cli import main

def write_half_then_die(table, where, **options):
    with open(where, "wb") as out:
        out.write(b"PAR1 half a file")
    os.kill(os.getpid(), signal.SIGKILL)

pq.write_table = write_half_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_import_is_cleaned_up_by_the_next(tmp_path, capsys):
    assert cli(tmp_path, "data", "import", str(piece(tmp_path, "EURUSD_H1_2017a_ASK.csv",
                                                       slice(0, 3000)))) == 0
    before = stored(tmp_path)
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, "--project-dir",
                             str(tmp_path), "data", "import", str(SAMPLE)], cwd=REPO,
                            capture_output=True, timeout=120)
    assert killed.returncode == -9
    folder = tmp_path / "data" / "catalog" / "EURUSD"
    [leftover] = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    pd.testing.assert_frame_equal(stored(tmp_path), before)  # the series is untouched
    capsys.readouterr()
    assert cli(tmp_path, "data", "list") == 0
    assert f"leftover: {leftover}" in capsys.readouterr().out
    assert cli(tmp_path, "data", "import", str(SAMPLE)) == 0
    assert "1 temporary file(s) left by an interrupted import removed" in \
        capsys.readouterr().out
    assert not leftover.exists() and len(stored(tmp_path)) == 6225


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_catalog_files_get_the_users_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        stored_file = catalog.import_data(load_bars(SAMPLE), {"source": "s"}, project=tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(stored_file.path.stat().st_mode) == mode


def test_the_api_refuses_a_wrong_pair_too(tmp_path):
    bars = load_bars(SAMPLE)
    catalog.import_data(bars, bars.attrs["report"], project=tmp_path)
    other = bars.iloc[:500].copy()
    other[["open", "high", "low", "close"]] *= np.float64(1.3)
    with pytest.raises(DataError, match="do not fit"):
        catalog.import_data(other, bars.attrs["report"], project=tmp_path)
