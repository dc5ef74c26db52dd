"""Bad portfolio inputs, as `tests/test_bad_input.py` checks every other: one line on stderr
naming what and the fix, exit code 2.

The legs: the sample's EURUSD H1 2017 and USDJPY bars made from it (x100) in a JPY account, so
EURUSD's P&L converts USD to JPY with the USDJPY leg's bars. When those start later than the
EURUSD leg, the line names that leg, the period without a rate and the two fixes; the user gave
no "conversion bars", so the words must not say so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import fxjudge
from fxjudge.cli import main
from tests.test_bad_input import Case

SAMPLE = fxjudge.sample_path()


def _usdjpy(folder: Path, start: str, end: str = "2018-01-01") -> Path:
    """USDJPY H1 bars from `start` to `end`: the sample's EURUSD prices times 100."""
    bars = fxjudge.load_bars(SAMPLE)
    bars = bars[(bars.index >= start) & (bars.index < end)]
    frame = bars[["open", "high", "low", "close"]] * 100
    frame.index = frame.index.strftime("%Y-%m-%d %H:%M:%S+00:00")
    path = folder / "usdjpy_h1.csv"
    frame.rename_axis("time").to_csv(path)
    return path


def _legs(start: str, *options: str):
    def make(folder: Path) -> list[str]:
        run = folder / "run.toml"
        run.write_text(f"""
[strategy]
name = "sma_cross"
[costs]
spread_pips = 1.0
[account]
currency = "JPY"
balance = 2000000.0
[data]
timeframe = "H1"
[[legs]]
source = "{SAMPLE.as_posix()}"
pair = "EURUSD"
[[legs]]
source = "{_usdjpy(folder, start).as_posix()}"
pair = "USDJPY"
""")
        return ["--project-dir", str(folder), "backtest", "--config", str(run), *options]
    return make


CASES = [
    Case("a leg converted by another leg's bars that start later", _legs("2017-03-01"),
         ("EURUSD converts USD to JPY with the USDJPY leg's bars",
          "no rate for EURUSD's bars from 2017-01-01 23:00:00+00:00 to 2017-03-01 "
          "00:00:00+00:00", "first bar closes at 2017-03-01 01:00:00+00:00",
          "give USDJPY bars from 2017-01-01 22:00:00+00:00 or earlier",
          "or start the portfolio at 2017-03-01 01:00:00+00:00 or later (`start`, --from)")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_portfolio_input_is_one_line_and_exit_2(case, tmp_path, capsys):
    code = main(case.make(tmp_path))
    line = capsys.readouterr().err.strip()
    assert code == case.code, line
    assert "\n" not in line and line.startswith("error: ") and "Traceback" not in line, line
    assert "conversion bars" not in line, line
    for words in case.words:
        assert words in line, line


def test_the_fix_the_line_gives_works(tmp_path, capsys):
    """Starting the portfolio where the line says runs it."""
    argv = _legs("2017-03-01", "--from", "2017-03-01T01:00:00Z")(tmp_path)
    assert main(argv) == 0, capsys.readouterr().err


def test_a_leg_whose_converting_leg_ends_early_names_that_leg_in_its_note(tmp_path):
    bars = fxjudge.load_bars(SAMPLE)
    usdjpy = fxjudge.load_bars(_usdjpy(tmp_path, "2017-01-01", "2017-10-01"), pair="USDJPY",
                               timeframe="H1")
    run = fxjudge.backtest_portfolio(
        [{"data": bars, "pair": "EURUSD"}, {"data": usdjpy, "pair": "USDJPY"}],
        strategy="sma_cross", costs={"spread_pips": 1.0},
        account={"currency": "JPY", "balance": 2_000_000.0})
    stale = [n for n in run.account.notes if "later rates are stale" in n]
    assert stale == [f"EURUSD: the USDJPY leg's bars end at "
                     f"{pd.Timestamp(usdjpy.index[-1]) + pd.Timedelta(hours=1)}; later rates "
                     "are stale"]
