"""The Python API and the CLI `backtest` command, end to end on the bundled sample."""

import json
import tomllib

import pandas as pd
import pyarrow.parquet as pq
import pytest

import fxjudge.api as api
from fxjudge import ConfigError, runconfig
from fxjudge.cli import main
from fxjudge.config import sample_path
from tests.conftest import REPO

SAMPLE = sample_path()


@pytest.fixture(scope="module")
def result():
    return api.backtest(SAMPLE, "sma_cross", params={"fast_bars": 12}, costs={"spread_pips": 0.8},
                        project=REPO)


def test_backtest_result_holds_trades_equity_and_stats(result):
    assert len(result.trades) == result.stats["trades"] > 50
    assert result.config["strategy"]["params"]["fast_bars"] == 12
    assert result.config["data"]["price_side"] == "ask"
    assert result.equity.index.equals(api.resolve_bars(SAMPLE).index)
    assert result.stats["net_profit"] == pytest.approx(
        result.equity["equity"].iloc[-1] - 1_000_000)
    assert result.stats["periods_per_year"] == 252
    html = result._repr_html_()
    assert "<svg" in html and "Net profit" in html and " JPY" in html


def test_saved_config_reruns_the_same_trades(result, tmp_path):
    folder = result.save(tmp_path / "run")
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.toml", "equity.parquet", "stats.json", "trades.csv"]
    saved = tomllib.loads((folder / "config.toml").read_text())
    stats = json.loads((folder / "stats.json").read_text())
    assert stats["stats"]["trades"] == result.stats["trades"]
    rerun = api.backtest(
        saved["data"]["source"], saved["strategy"]["name"], params=saved["strategy"]["params"],
        costs=saved["costs"], account=saved["account"],
        sizing={k: v for k, v in saved["sizing"].items()}, project=REPO,
    )
    pd.testing.assert_frame_equal(rerun.trades, result.trades)


def test_saved_equity_is_the_same_to_the_bit(result, tmp_path):
    """The compact encodings (time deltas, split float bytes) lose nothing."""
    folder = result.save(tmp_path / "run")
    saved = pd.read_parquet(folder / "equity.parquet")
    pd.testing.assert_frame_equal(saved, result.equity.rename_axis("time"), check_exact=True,
                                  check_freq=False)
    columns = pq.ParquetFile(folder / "equity.parquet").metadata.row_group(0)
    encodings = {columns.column(i).path_in_schema: columns.column(i).encodings
                 for i in range(columns.num_columns)}
    assert "DELTA_BINARY_PACKED" in encodings["time"]
    assert "BYTE_STREAM_SPLIT" in encodings["equity"]


def test_period_is_half_open(result):
    clipped = api.backtest(SAMPLE, "sma_cross", costs={"spread_pips": 0.8}, start="2017-03-01",
                           end="2017-04-01", project=REPO)
    assert clipped.equity.index[0] == pd.Timestamp("2017-03-01", tz="UTC")
    assert clipped.equity.index[-1] < pd.Timestamp("2017-04-01", tz="UTC")


def test_unknown_config_key_suggests(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[costs]\nspread_pip = 1.0\n')
    with pytest.raises(ConfigError) as error:
        runconfig.load_file(path)
    assert str(error.value) == f"unknown key in [costs] of {path} `spread_pip`; did you mean " \
        "`spread_pips`?"


def test_unknown_table_suggests():
    with pytest.raises(ConfigError) as error:
        runconfig.check({"acount": {}})
    assert str(error.value) == (
        "unknown table in the configuration `acount`; did you mean `account`?"
    )


def test_set_values_parse_as_toml():
    assert runconfig.parse_settings(["fast_bars=5", "x=1.5", "flag=true", "side=exit"]) == {
        "fast_bars": 5, "x": 1.5, "flag": True, "side": "exit"}
    with pytest.raises(ConfigError):
        runconfig.parse_settings(["fast_bars"])


def test_cli_backtest_file_and_flags(tmp_path, capsys):
    run = tmp_path / "run.toml"
    run.write_text(
        f'[data]\nsource = "{SAMPLE}"\n[strategy]\nname = "sma_cross"\n'
        '[strategy.params]\nfast_bars = 8\n[costs]\nspread_pips = 2.0\n[sizing]\nunits = 5000\n'
    )
    code = main(["--project-dir", str(tmp_path), "backtest", "--config", str(run),
                 "--spread-pips", "0.8", "--lots", "2", "--set", "slow_bars=40"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Net profit" in out and "report.html" in out
    [folder] = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    assert (folder / "report.html").exists() and (tmp_path / "reports" / "index.html").exists()
    saved = tomllib.loads((folder / "config.toml").read_text())
    assert saved["costs"]["spread_pips"] == 0.8  # the flag beats the file
    assert saved["sizing"] == {"lots": 2.0}  # one sizing: the flag replaces the file's
    assert saved["strategy"]["params"]["fast_bars"] == 8
    assert saved["strategy"]["params"]["slow_bars"] == 40


def test_cli_backtest_unknown_strategy_lists_the_known(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["backtest", "--strategy", "sma_crosss", "--data", str(SAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "sma_crosss" in err and "sma_cross" in err


def test_cli_strategies_lists_bundled(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    for name in ("sma_cross", "ema_atr", "rsi_reversion", "bollinger_reversion",
                 "donchian_breakout", "macd_trend", "session_breakout"):
        assert name in out


def test_progress_reports_bars_and_changes_nothing(result):
    calls = []
    again = api.backtest(SAMPLE, "sma_cross", params={"fast_bars": 12},
                         costs={"spread_pips": 0.8}, project=REPO,
                         progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (6225, 6225) and len(calls) > 50
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    pd.testing.assert_frame_equal(again.trades, result.trades)


def test_the_run_says_which_strategy_file_ran(tmp_path, capsys):
    """A bundled strategy runs from anywhere; the project's file of the same name overrides it,
    and both the terminal and config.toml say which one ran; a rerun that finds another file
    than the one its config.toml recorded says so."""
    from fxjudge.signals.loader import bundled_dir

    project = ["--project-dir", str(tmp_path)]
    args = ["backtest", "--strategy", "sma_cross", "--data", str(SAMPLE), "--spread-pips",
            "0.8", "--to", "2017-03-01"]
    assert main([*project, *args]) == 0
    out = capsys.readouterr().out
    assert f"Strategy sma_cross: bundled with fxjudge ({bundled_dir() / 'sma_cross.py'})" in out
    [first] = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    saved = tomllib.loads((first / "config.toml").read_text())["strategy"]
    assert saved["origin"] == "bundled" and saved["file"] == str(bundled_dir() / "sma_cross.py")

    mine = tmp_path / "strategies" / "sma_cross.py"
    mine.parent.mkdir()
    mine.write_text((bundled_dir() / "sma_cross.py").read_text().replace("fast_bars: int = 10",
                                                                        "fast_bars: int = 5"))
    assert main([*project, "backtest", "--config", str(first / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert f"sma_cross: the project's {mine}, which overrides the bundled one" in out
    assert f"WARNING: the run file recorded the strategy {bundled_dir() / 'sma_cross.py'}; " \
           f"this run used {mine}" in out


def test_sizing_by_probability_merges_with_the_sizing_mode():
    from fxjudge import runconfig

    base = {"sizing": {"units": 5000, "by_probability": True}}
    flags = {"sizing": {"lots": 2.0, "units": None, "risk_fraction": None,
                        "by_probability": None, "probability_step": 0.1}}
    merged = runconfig.merge(base, flags)
    assert merged["sizing"] == {"lots": 2.0, "by_probability": True, "probability_step": 0.1}
    _, _, sizing = runconfig.resolve({"sizing": {"by_probability": True}})
    assert sizing.lots == 1.0 and sizing.by_probability  # the default mode, sized
