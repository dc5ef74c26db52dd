"""Every bad input a user can give: one line on stderr naming what and the fix, exit code 2.

One row per case: how to make the input (files in a fresh folder), the command, the exit code
and the words the line must contain. The next bad input found is one more row. Inputs that used
to fail and now work (CR-only line endings, a byte-order mark, a `datetime64[us]` index) are
tested below the table.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.config import sample_path
from tests.conftest import REPO

SAMPLE = sample_path()
HISTDATA_ROWS = "20180102 000000;1.2;1.21;1.19;1.2;0\n20180102 000100;1.2;1.21;1.19;1.2;0\n"
RUN = ["backtest", "--strategy", "sma_cross", "--data", str(SAMPLE), "--spread-pips", "0.8"]


@dataclass(frozen=True)
class Case:
    """A bad input: `make(folder)` writes what it needs and returns the command's arguments."""

    name: str
    make: Callable[[Path], list[str]]
    words: tuple[str, ...]
    code: int = 2


def _file(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
        return path
    return make


def _import(name: str, text: str | bytes, *options: str) -> Callable[[Path], list[str]]:
    return lambda folder: ["data", "import", str(_file(name, text)(folder)), *options]


def _run_file(toml: str | bytes) -> Callable[[Path], list[str]]:
    return lambda folder: [*RUN, "--config", str(_file("run.toml", toml)(folder))]


def _fifo(folder: Path) -> Path:
    """A FIFO, and a timer that unblocks a reader that opens it by mistake (so a regression
    fails the test instead of hanging it)."""
    path = folder / "prices.csv"
    os.mkfifo(path)

    def unblock() -> None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # nobody is reading it: as it should be

    threading.Timer(3.0, unblock).start()
    return path


def _zip(name: str, members: dict[str, bytes], *, encrypt: bool = False):
    def make(folder: Path) -> list[str]:
        path = folder / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, data in members.items():
                archive.writestr(member, data)
        if encrypt:  # set the "encrypted" flag in the local and central headers
            data = bytearray(path.read_bytes())
            for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
                at = data.find(signature)
                while at >= 0:
                    data[at + offset] |= 0x1
                    at = data.find(signature, at + 4)
            path.write_bytes(bytes(data))
        return ["data", "import", str(path)]
    return make


def _bi5(folder: Path, *, bid: int) -> Path:
    """A Dukascopy datafeed folder with one tick whose bid is the stored integer `bid`."""
    record = np.array([(100, 114545, bid, 1.0, 1.0)],
                      dtype=[("ms", ">u4"), ("ask", ">u4"), ("bid", ">u4"), ("av", ">f4"),
                             ("bv", ">f4")])
    path = folder / "feed" / "EURUSD" / "2019" / "01" / "04" / "10h_ticks.bi5"
    path.parent.mkdir(parents=True)
    path.write_bytes(lzma.compress(record.tobytes(), format=lzma.FORMAT_ALONE))
    return folder / "feed"


def _bi5_with_a_folder(folder: Path) -> list[str]:
    feed = _bi5(folder, bid=114543)
    (feed / "EURUSD" / "2019" / "01" / "04" / "11h_ticks.bi5").mkdir()
    return ["data", "import", str(feed), "--format", "dukascopy-bi5"]


def _model(card_change: Callable[[dict], object]) -> Callable[[Path], list[str]]:
    """A saved model whose card.json is edited by `card_change`."""
    def make(folder: Path) -> list[str]:
        from fxjudge.judge.persist import save_model
        from fxjudge.judge.walkforward import make_judge

        rng = np.random.default_rng(0)
        X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
        y = (X["a"] + rng.normal(size=200) > 0).astype(int).to_numpy()
        window = {"start": "2016-01-01T00:00:00+00:00", "end": "2016-06-01T00:00:00+00:00"}
        model = save_model(make_judge("logistic").fit(X, y), folder / "model",
                           {"training_window": window})
        card = json.loads((model / "card.json").read_text())
        (model / "card.json").write_text(json.dumps(card_change(card)))
        return [*RUN, "--judge", str(model)]
    return make


def _project(folder: Path) -> list[str]:
    return ["--project-dir", str(folder / "nowhere"), "data", "list"]


def _project_file(folder: Path) -> list[str]:
    return ["--project-dir", str(_file("file.txt", "x")(folder)), "data", "list"]


def _mt5(price: str) -> str:
    return ("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
            f"2025.01.06\t00:00:00\t{price}\t1.03120\t1.03010\t1.03100\t310\t0\t12\n")


def _parquet(folder: Path) -> list[str]:
    frame = pd.DataFrame({"open": [1e300], "high": [1.2], "low": [1.1], "close": [1.15]},
                         index=pd.DatetimeIndex(["2024-01-02 10:00"], tz="UTC", name="time"))
    path = folder / "EURUSD_H1.parquet"
    frame.to_parquet(path)
    return ["data", "import", str(path), "--pair", "EURUSD"]


def _two_sources(folder: Path) -> list[str]:
    assert main(["--project-dir", str(folder), "data", "import", str(SAMPLE)]) == 0
    mt4 = _file("EURUSD60.csv", "2017.03.01,10:00,1.0560,1.0570,1.0550,1.0565,100\n"
                                "2017.03.01,11:00,1.0565,1.0575,1.0555,1.0570,100\n")(folder)
    return ["--project-dir", str(folder), "data", "import", str(mt4)]


def _resample_over_import(folder: Path) -> list[str]:
    project = ["--project-dir", str(folder)]
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    daily = _file("EURUSD_Candlestick_1_D_BID_01.01.2017-01.02.2017.csv",
                  "Gmt time,Open,High,Low,Close,Volume\n"
                  "03.01.2017 00:00:00.000,1.04,1.05,1.03,1.045,10\n"
                  "04.01.2017 00:00:00.000,1.045,1.055,1.035,1.05,10\n")(folder)
    assert main([*project, "data", "import", str(daily)]) == 0
    return [*project, "data", "resample", "EURUSD", "--to", "D1"]


def _usdjpy_into_eurusd(folder: Path) -> list[str]:
    path = _file("DAT_ASCII_USDJPY_M1_2018.csv",
                 "20180102 000000;112.6;112.7;112.5;112.6;0\n")(folder)
    return ["data", "import", str(path), "--pair", "EURUSD"]


LEAKY = """from dataclasses import dataclass

import pandas as pd

from fxjudge.signals.strategy import Strategy, entries


class Leaky(Strategy):
    \"\"\"Trades on the close three bars ahead.\"\"\"

    @dataclass(frozen=True)
    class Params:
        \"\"\"None.\"\"\"

    @property
    def warmup_bars(self) -> int:
        return 4

    def features(self, bars):
        return pd.DataFrame({"ahead": bars["close"].shift(-3) - bars["close"]})

    def signals(self, bars, features):
        return entries(features["ahead"] > 0, features["ahead"] < 0, self.warmup_bars)
"""


def _leaky_strategy(folder: Path) -> list[str]:
    _file("strategies/leaky.py", LEAKY)(folder)
    return ["--project-dir", str(folder), "backtest", "--strategy", "leaky", "--data",
            str(SAMPLE), "--spread-pips", "0.8"]


GOOD_TOML = f'[data]\nsource = "{SAMPLE}"\n[strategy]\nname = "sma_cross"\n'

CASES = [
    # -- user text is printed as text, never as markup --------------------------------------
    Case("markup in a path", _import("EURUSD[bold]x[/]y.csv", "not, prices\n"),
         ("EURUSD[bold]x[/]y.csv", "no reader recognises")),
    Case("markup in a value", lambda f: [*RUN, "--set", "fast_bars=[/]"],
         ("`fast_bars` must be an int, was '[/]'",)),
    Case("the project's own [costs] in a message",
         _run_file(GOOD_TOML + '[costs]\nspread_pips = "abc"\n'),
         ("run.toml: [costs] `spread_pips` must be a finite number or None, was 'abc'",)),
    # -- files that are not files -------------------------------------------------------------
    Case("a FIFO as data", lambda f: ["data", "import", str(_fifo(f))],
         ("prices.csv", "is not a regular file or folder (a FIFO")),
    Case("a FIFO as the run file", lambda f: [*RUN, "--config", str(_fifo(f))],
         ("prices.csv", "is not a regular file (a FIFO")),
    Case("a folder as the run file", lambda f: [*RUN, "--config", str(f)],
         ("is a folder, not a run file",)),
    Case("a missing run file", lambda f: [*RUN, "--config", str(f / "none.toml")],
         ("none.toml: no such run file",)),
    Case("a folder where a .bi5 file should be", _bi5_with_a_folder,
         ("11h_ticks.bi5: is a folder, not a .bi5 file",)),
    Case("an encrypted zip", _zip("HISTDATA_COM_ASCII_EURUSD_M12018.zip",
                                  {"DAT_ASCII_EURUSD_M1_2018.csv": HISTDATA_ROWS.encode()},
                                  encrypt=True),
         ("is encrypted (password-protected)", "extract it with its password")),
    Case("a zip bomb", _zip("HISTDATA_COM_ASCII_EURUSD_M12018.zip",
                            {"DAT_ASCII_EURUSD_M1_2018.csv": b"0" * 20_000_000}),
         ("would unpack to 20,000,000 bytes", "200x the zip's size", "refusing to unpack")),
    Case("a zip of several CSVs", _zip("prices.zip", {"a.csv": b"x", "b.csv": b"y"}),
         ("several CSV files (a.csv, b.csv)", "--member NAME")),
    Case("a --member the zip lacks",
         lambda f: [*_zip("prices.zip", {"a.csv": b"x"})(f), "--member", "c.csv"],
         ("has no member 'c.csv' (it has: a.csv)",)),
    # -- run files of the wrong type ----------------------------------------------------------
    *[Case(f"TOML {key} = {value}", _run_file(GOOD_TOML + f"[{table}]\n{key} = {value}\n"),
           (f"[{table}] `{key}` must be {expected}, was {shown}",))
      for table, key, value, expected, shown in [
          ("costs", "spread_pips", '"abc"', "a finite number or None", "'abc'"),
          ("account", "leverage", '"high"', "a finite number", "'high'"),
          ("sizing", "lots", "[1, 2]", "a finite number or None", "[1, 2]"),
          ("account", "balance", "true", "a finite number", "True"),
          ("costs", "spread_pips", "inf", "a finite number or None", "inf"),
          ("costs", "slippage_pips", "nan", "a finite number", "nan"),
          ("account", "lot_size", "1.5", "an int", "1.5"),
          ("costs", "triple_swap_weekday", '"wed"', "an int", "'wed'"),
          ("judge", "allow_param_change", '"yes"', "true or false", "'yes'"),
          ("judge", "trusted_types", '"sklearn.svm.SVC"', "a list of strings",
           "'sklearn.svm.SVC'"),
          ("judge", "features", "5", "a string or a list of strings", "5"),
      ]],
    Case("a table that is a value", _run_file("costs = 5\n" + GOOD_TOML),
         ("`costs` must be a table, was 5",)),
    Case("n_trials = 0", _run_file("n_trials = 0\n" + GOOD_TOML), ("`n_trials` must be >= 1",)),
    Case("trials_sr_variance < 0", _run_file("trials_sr_variance = -0.1\n" + GOOD_TOML),
         ("`trials_sr_variance` must be >= 0",)),
    # -- the trials behind the DSR ------------------------------------------------------------
    Case("--trials-sharpes and --trials-sr-variance",
         lambda f: [*RUN, "--trials", "3", "--trials-sharpes", "1,2,3", "--trials-sr-variance",
                    "0.01"], ("say the same thing; give one of them",)),
    Case("--trials-sharpes of one value", lambda f: [*RUN, "--trials-sharpes", "1.2"],
         ("`--trials-sharpes` must be two or more comma-separated numbers",)),
    Case("--trials-sharpes that are not numbers", lambda f: [*RUN, "--trials-sharpes", "1,x"],
         ("`--trials-sharpes` must be two or more comma-separated numbers", "'1,x'")),
    Case("--trials other than the Sharpes counted",
         lambda f: [*RUN, "--trials", "5", "--trials-sharpes", "1,2,3"],
         ("`--trials` must equal the number of `--trials-sharpes` (3), was 5",)),
    Case("--size-by-probability without a judge", lambda f: [*RUN, "--size-by-probability"],
         ("sizing by probability (`by_probability`, --size-by-probability) needs the judge's "
          "probabilities", "--judge walk-forward")),
    Case("--probability-step without --size-by-probability",
         lambda f: [*RUN, "--probability-step", "0.1"],
         ("`probability_step` must be given only with by_probability=True, was 0.1",)),
    Case("--trials-sr-variance without --trials",
         lambda f: [*RUN, "--trials-sr-variance", "0.01"],
         ("`--trials-sr-variance` needs `--trials N` (N >= 2)",)),
    Case("--trials-sr-variance below 0",
         lambda f: [*RUN, "--trials", "4", "--trials-sr-variance", "-1"],
         ("`--trials-sr-variance` must be a number >= 0, was -1.0",)),
    Case("non-UTF-8 bytes in a run file", _run_file(GOOD_TOML.encode() + b"# caf\xe9\n"),
         ("is not UTF-8 text (byte 0xe9", "save it as UTF-8")),
    Case("a run file that is not TOML", _run_file("[costs\n"), ("not valid TOML",)),
    # -- the judge's features -----------------------------------------------------------------
    Case("an unknown --features name",
         lambda f: [*RUN, "--judge", "walk-forward", "--features", "ret_5_atr,hour_*"],
         ("unknown feature `ret_5_atr`; did you mean `ret5_atr`?",)),
    Case("a misspelt feature set", lambda f: [*RUN, "--judge", "walk-forward", "--features",
                                              "strategie"],
         ("unknown feature `strategie`; did you mean `strategy`?",)),
    Case("--features without --judge", lambda f: [*RUN, "--features", "strategy"],
         ("`--features`", "need `--judge walk-forward`")),
    # -- saved models with a bad card ---------------------------------------------------------
    Case("a card.json that is a list", _model(lambda card: [card]),
         ("card.json: must hold a JSON object, was a list",)),
    Case("a card.json field of the wrong type", _model(lambda card: card | {"threshold": "x"}),
         ("`threshold` must be a probability in [0, 1], was 'x'",)),
    Case("an edited card.json", _model(lambda card: card | {"training_window": {
        "start": "2030-01-01T00:00:00+00:00", "end": "2030-02-01T00:00:00+00:00"}}),
         ("`training_window` differs from the one stored inside model.skops",)),
    # -- absurd prices, in every format -------------------------------------------------------
    Case("1e300 in HistData", _import("DAT_ASCII_EURUSD_M1_2018.csv",
                                      "20180102 000000;1e300;1.21;1.19;1.2;0\n"),
         ("line 1: open 1e+300 is not a EURUSD price",)),
    Case("1e300 in MT4", _import("EURUSD60.csv", "2018.01.02,00:00,1.2,1e300,1.19,1.2,10\n"),
         ("line 1: high 1e+300 is not a EURUSD price",)),
    Case("1e300 in MT5", _import("EURUSD_H1.csv", _mt5("1e300")),
         ("line 2: open 1e+300 is not a EURUSD price",)),
    Case("1e300 in Dukascopy CSV", _import(
        "EURUSD_Candlestick_1_Hour_BID_01.01.2018-02.01.2018.csv",
        "Gmt time,Open,High,Low,Close,Volume\n02.01.2018 00:00:00.000,1.2,1.21,1.19,1e300,1\n"),
         ("line 2: close 1e+300 is not a EURUSD price",)),
    Case("1e300 in a generic CSV", _import(
        "eurusd_h1.csv", "time,open,high,low,close\n2024-03-08 16:00:00+00:00,1.1,1e300,1,1.1\n"),
         ("line 2: high 1e+300 is not a EURUSD price",)),
    Case("1e300 in Parquet", _parquet, ("row 1: open 1e+300 is not a EURUSD price",)),
    Case("a .bi5 tick stored negative", lambda f: ["data", "import", str(_bi5(f, bid=2**32 - 1)),
                                                   "--format", "dukascopy-bi5"],
         ("10h_ticks.bi5, record 1: bid 42949.67295 is not a EURUSD price",)),
    Case("USDJPY prices as EURUSD", _usdjpy_into_eurusd,
         ("line 1: open 112.6 is not a EURUSD price", "--pair names another")),
    # -- the catalog keeps what the user has --------------------------------------------------
    Case("a second source into a pair", _two_sources,
         ("holds 6,225 rows from another source (dukascopy-csv/ask", "this file is mt4/bid",
          "--replace", "--merge")),
    Case("resample over imported bars", _resample_over_import,
         ("holds imported D1 bars", "resampling would overwrite them", "--replace")),
    Case("--replace with --merge", lambda f: ["data", "import", str(SAMPLE), "--replace",
                                              "--merge"],
         ("`--replace` and `--merge` exclude each other",)),
    Case("remove without --yes in a script", lambda f: ["data", "remove", "EURUSD"],
         ("pass --yes to confirm",)),
    Case("remove what is not there",
         lambda f: ["--project-dir", str(f), "data", "remove", "GBPUSD", "--yes"],
         ("the catalog has no GBPUSD to remove",)),
    # -- the project folder -------------------------------------------------------------------
    Case("a missing --project-dir", _project, ("`--project-dir`", "does not exist")),
    Case("a file as --project-dir", _project_file, ("`--project-dir`", "is not a folder")),
    Case("bars without a spread and no --spread-pips",
         lambda f: ["backtest", "--strategy", "sma_cross", "--data", str(SAMPLE)],
         ("`spread_pips` must be set when the bars have no 'spread' column",
          "pass --spread-pips PIPS", "[costs]")),
    # -- strategy settings --------------------------------------------------------------------
    Case("a float for an int parameter", lambda f: [*RUN, "--set", "fast_bars=3.5"],
         ("`fast_bars` must be an int, was 3.5",)),
    Case("an unknown currency", _run_file(GOOD_TOML + '[account]\ncurrency = "XXX"\n'),
         ("`currency` must be an ISO currency code",)),
    # -- look-ahead --------------------------------------------------------------------------
    Case("a strategy that looks ahead", _leaky_strategy,
         ("leaky looks ahead: feature `ahead` at 2017-01-", "changes when the bars after",
          "a value at bar t must use only bars up to t; or pass --no-lookahead-check")),
    Case("a look-ahead check with no cuts",
         lambda f: ["check", "sma_cross", "--data", str(SAMPLE), "--cuts", "0"],
         ("`cuts` must be an int from 1 to 100, was 0",)),
    Case("a look-ahead check without prices", lambda f: ["check", "sma_cross"],
         ("`--data FILE` or `--pair PAIR` must say which prices to use",)),
    # -- the report's clock -------------------------------------------------------------------
    Case("an unknown --display-tz", lambda f: [*RUN, "--display-tz", "Mars/Olympus"],
         ("`--display-tz` must be UTC, an IANA zone", "was 'Mars/Olympus'")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    argv = case.make(tmp_path)
    if argv[0] != "--project-dir":
        argv = ["--project-dir", str(REPO if "--judge" in argv or argv[0] == "backtest"
                                     else tmp_path), *argv]
    code = main(argv)
    captured = capsys.readouterr()
    line = captured.err.strip()
    assert code == case.code, captured
    assert "\n" not in line and line.startswith("error: ") and "Traceback" not in line, line
    for words in case.words:
        assert words in line, line


def test_the_table_covers_every_case_the_issue_names():
    assert len(CASES) >= 40


# -- unreadable paths: as root every file is readable, so the command runs as `nobody` -------


def _unprivileged(argv: list[str]) -> tuple[int, str]:
    """`main(argv)` in a forked child that can read only what any user may (root reads every
    file, so as root the child drops to `nobody`); its exit code and stderr."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        code = 1
        try:
            sys.stderr = os.fdopen(write_end, "w", buffering=1)
            if os.geteuid() == 0:
                import pwd

                nobody = pwd.getpwnam("nobody")
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            code = main(argv)
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        err = stream.read()
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.fixture
def open_folder():
    """A folder any user can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="fxjudge-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_an_unreadable_path_is_one_line(open_folder, what, capsys):
    tmp_path = open_folder
    if what == "file":
        target = tmp_path / "DAT_ASCII_EURUSD_M1_2018.csv"
        target.write_text(HISTDATA_ROWS)
    else:
        target = _bi5(tmp_path, bid=114543)
    argv = ["--project-dir", str(tmp_path), "data", "info", str(target)]
    assert main(argv) == 0  # readable: it works, and every module it needs is imported
    capsys.readouterr()
    os.chmod(target, 0)
    try:
        code, err = _unprivileged(argv)
    finally:
        os.chmod(target, 0o755)
    assert code == 2, err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "cannot be read (permission denied)" in err and str(target) in err


# -- inputs a user will pass, which used to fail ------------------------------------------


@pytest.mark.parametrize("name, text", [
    ("DAT_ASCII_EURUSD_M1_2018.csv", HISTDATA_ROWS),
    ("EURUSD1.csv",
     "2018.01.02,00:00,1.2,1.21,1.19,1.2,10\n2018.01.02,00:01,1.2,1.21,1.19,1.2,10\n"),
    ("EURUSD_H1.csv",
     _mt5("1.03050") + "2025.01.06\t01:00:00\t1.031\t1.032\t1.030\t1.031\t1\t0\t9\n"),
    ("EURUSD_Candlestick_1_Hour_BID_01.01.2018-02.01.2018.csv",
     "Gmt time,Open,High,Low,Close,Volume\n02.01.2018 00:00:00.000,1.2,1.21,1.19,1.2,1\n"
     "02.01.2018 01:00:00.000,1.2,1.21,1.19,1.2,1\n"),
    ("eurusd_h1.csv", "time,open,high,low,close\n2024-03-08 16:00:00+00:00,1.1,1.2,1.0,1.1\n"
                      "2024-03-08 17:00:00+00:00,1.1,1.2,1.0,1.1\n"),
])
def test_cr_only_line_endings_read_like_newlines(tmp_path, name, text):
    from fxjudge import read_file

    plain, classic = tmp_path / "plain" / name, tmp_path / "classic" / name
    for path, body in ((plain, text), (classic, text.replace("\n", "\r"))):
        path.parent.mkdir()
        path.write_bytes(body.encode())
    expected, _ = read_file(plain)
    found, _ = read_file(classic)
    pd.testing.assert_frame_equal(found, expected)
    assert len(found) == 2


def test_a_byte_order_mark_in_a_run_file_is_fine(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_TOML.encode() + b"[costs]\nspread_pips = 0.8\n")
    assert main(["--project-dir", str(tmp_path), "backtest", "--config", str(path)]) == 0, \
        capsys.readouterr()


@pytest.mark.parametrize("unit", ["us", "ms", "s"])
def test_frames_indexed_in_other_units_or_zones_are_converted(unit):
    import fxjudge

    bars = fxjudge.load_bars(SAMPLE).iloc[:800]
    expected = fxjudge.backtest(bars, "sma_cross", costs={"spread_pips": 0.8}, project=REPO)
    other = bars.copy()
    other.index = other.index.as_unit(unit).tz_convert("Asia/Tokyo").rename("Date")
    other["volume"] = other["volume"].astype("float32")
    found = fxjudge.backtest(other, "sma_cross", costs={"spread_pips": 0.8}, project=REPO)
    pd.testing.assert_frame_equal(found.trades, expected.trades)
    assert other.index.unit == unit and other.index.name == "Date"  # the user's frame as it was


def test_a_naive_index_is_refused_with_the_fix():
    import fxjudge

    bars = fxjudge.load_bars(SAMPLE).iloc[:50]
    bars.index = bars.index.tz_localize(None)
    with pytest.raises(fxjudge.DataError, match=r"naive times.*tz_localize\('UTC'\)"):
        fxjudge.backtest(bars, "sma_cross", costs={"spread_pips": 0.8}, project=REPO)


def test_one_bi5_file_of_a_real_datafeed_loads_alone(shared):
    import fxjudge

    folder = shared("dukascopy_bi5_eurusd_2019-02")
    file = sorted(folder.glob("EURUSD/2019/*/*/*h_ticks.bi5"))[40]
    ticks = fxjudge.load_ticks(file)
    whole = fxjudge.load_ticks(folder)
    assert len(ticks) > 0 and ticks.attrs["pair"] == "EURUSD"
    inside = whole.loc[ticks.index[0]:ticks.index[-1]]
    np.testing.assert_array_equal(ticks["bid"].to_numpy(), inside["bid"].to_numpy())
