"""HistData's MetaTrader-format download: MT4's layout, but HistData's New York clock."""

import zipfile

import numpy as np

from fxjudge import load_bars
from tests.conftest import shared_file


def test_histdata_mt_file_gets_the_histdata_clock_not_broker_time(tmp_path):
    archive = shared_file("histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip")
    ascii_bars = load_bars(archive)
    with zipfile.ZipFile(archive) as zipped:
        rows = zipped.read(zipped.namelist()[0]).decode().splitlines()[:20000]
    # The same rows rewritten as HistData writes its MetaTrader format.
    lines = []
    for row in rows:
        stamp, o, h, low, c, v = row.split(";")
        lines.append(f"{stamp[:4]}.{stamp[4:6]}.{stamp[6:8]},{stamp[9:11]}:{stamp[11:13]},"
                     f"{o},{h},{low},{c},{v}")
    mt = tmp_path / "DAT_MT_EURUSD_M1_2018.csv"
    mt.write_text("\n".join(lines) + "\n")
    bars = load_bars(mt)
    assert bars.attrs["pair"] == "EURUSD"
    assert bars.index[0].isoformat() == "2018-01-01T22:00:00+00:00"
    assert bars.index.equals(ascii_bars.index[: len(bars)])
    expected = ascii_bars["close"].to_numpy()[: len(bars)]
    np.testing.assert_array_equal(bars["close"].to_numpy(), expected)
    assert any("HistData MetaTrader-format" in note for note in bars.attrs["report"]["notes"])
