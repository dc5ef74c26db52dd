"""Lower timeframes from the front door: `detail_timeframe="M1"` (`--detail-timeframe M1`) takes
the lower bars from the same file or catalog pair and decides, in the engine and in the judge's
labels, which of a stop and a target came first inside a bar (run on both engines)."""

from __future__ import annotations

import tomllib
from functools import cache

import pandas as pd
import pytest

import fxjudge
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.errors import ConfigError
from fxjudge.judge.labels import LabelCosts, label_candidates, lower_bars_for
from fxjudge.report import load_run
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals
from tests.conftest import REPO, shared_file

ZIP = "histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip"
TIGHT = {"stop_loss_atr": 0.7, "take_profit_atr": 0.7, "fast_bars": 3, "slow_bars": 8}
PERIOD = {"start": "2018-01-01", "end": "2018-07-01"}


@cache
def m1() -> pd.DataFrame:
    return fxjudge.load_bars(shared_file(ZIP), **PERIOD)


def run(**options):
    return fxjudge.backtest(shared_file(ZIP), "ema_atr", params=TIGHT, timeframe="H4",
                            costs={"spread_pips": 0.3}, project=REPO, **PERIOD, **options)


def test_the_lower_bars_decide_the_same_bar_cases(engine):
    plain, detailed = run(), run(detail_timeframe="M1")
    rules = plain.trades["same_bar_rule"]
    assert (rules == "stop_first").sum() >= 3 and (rules != "lower_timeframe").all()
    decided = detailed.trades["same_bar_rule"] == "lower_timeframe"
    assert decided.sum() >= 3 and detailed.config["data"]["detail_timeframe"] == "M1"
    assert detailed.config["engine"] == engine
    note = [n for n in detailed.notes if n.startswith("M1 bars decided")]
    left = int((detailed.trades["same_bar_rule"] == "stop_first").sum())
    assert note == [f"M1 bars decided {decided.sum()} of {decided.sum() + left} trades whose "
                    f"stop and target were both met in one bar ({left} met both inside one M1 "
                    "bar too: stop first)"]
    # the same lower bars given as a frame decide the same
    given = run(detail_bars=m1())
    pd.testing.assert_frame_equal(given.trades, detailed.trades)


def test_the_labels_use_the_same_lower_bars():
    bars = fxjudge.load_bars(shared_file(ZIP), timeframe="H4", **PERIOD)
    strategy = load_strategy("ema_atr", TIGHT, project=REPO)
    features, signals = run_signals(strategy, bars)
    levels = exit_levels(bars, signals, strategy.exit_rules, fxjudge.FxPair.parse("EURUSD"))
    costs = LabelCosts(spread_pips=0.3)
    labels = label_candidates(bars, signals, levels, strategy.exit_rules, costs=costs,
                              lower=lower_bars_for(bars, m1(), 0.3, 0.0001))
    trades = run(detail_timeframe="M1").trades
    decided = trades[trades["same_bar_rule"] == "lower_timeframe"]
    matched = 0
    for _, trade in decided.iterrows():
        signal_time = bars.index[bars.index.get_loc(trade["entry_time"]) - 1]
        if signal_time in labels.index:
            label = labels.loc[signal_time]
            assert label["same_bar_rule"] == "lower_timeframe"
            assert label["barrier"] == trade["exit_reason"]
            matched += 1
    assert matched >= 3


def test_detail_timeframe_errors(tmp_path):
    with pytest.raises(ConfigError, match="must be shorter than the bars' H1, was 'H4'"):
        fxjudge.backtest(sample_path(), "ema_atr",
                         costs={"spread_pips": 0.8}, project=REPO, detail_timeframe="H4")
    bars = fxjudge.load_bars(sample_path())
    with pytest.raises(ConfigError, match="with bars given as a DataFrame pass detail_bars"):
        fxjudge.backtest(bars, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                         detail_timeframe="M1")
    with pytest.raises(ConfigError, match="not both"):
        fxjudge.backtest(bars, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                         detail_timeframe="M1", detail_bars=bars)


def test_the_cli_records_engine_and_detail_and_reruns_them(tmp_path, capsys, engine):
    project, out = ["--project-dir", str(tmp_path)], tmp_path / "reports"
    args = ["backtest", "--strategy", "ema_atr", "--data", str(shared_file(ZIP)),
            "--timeframe", "H4", "--spread-pips", "0.3", "--detail-timeframe", "M1",
            "--engine", engine, "--from", "2018-03-01", "--to", "2018-05-01", "--equity-csv",
            *[f"--set={k}={v}" for k, v in TIGHT.items()]]
    assert main([*project, *args]) == 0
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    config = tomllib.loads((folder / "config.toml").read_text())
    assert config["engine"] == engine and config["data"]["detail_timeframe"] == "M1"
    assert (folder / "equity.parquet").exists() and (folder / "equity.csv").exists()
    capsys.readouterr()
    assert main([*project, "backtest", "--config", str(folder / "config.toml")]) == 0
    [first, second] = sorted(p for p in out.iterdir() if p.is_dir())
    pd.testing.assert_frame_equal(pd.read_csv(first / "trades.csv"),
                                  pd.read_csv(second / "trades.csv"))
    assert not (second / "equity.csv").exists()
    pd.testing.assert_frame_equal(load_run(second).equity, load_run(first).equity)
