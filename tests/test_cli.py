"""The CLI, run in-process through `fxjudge.cli.main` (exit codes included)."""

import json

from fxjudge.cli import main
from fxjudge.config import sample_path
from tests.conftest import shared_file

SAMPLE = sample_path()


def test_import_list_info_resample(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "imported 6,225 rows into" in out
    assert (tmp_path / "data" / "catalog" / "EURUSD" / "H1.parquet").exists()

    assert main([*project, "data", "list"]) == 0
    out = capsys.readouterr().out
    assert "EURUSD" in out and "6,225" in out

    assert main([*project, "data", "info", "EURUSD", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["rows"], report["timeframe"], report["gaps"]) == (6225, "H1", 2)
    assert report["first"] == "2017-01-01T22:00:00+00:00"

    assert main([*project, "data", "resample", "EURUSD", "--to", "D1"]) == 0
    assert "D1 bars to" in capsys.readouterr().out
    assert (tmp_path / "data" / "catalog" / "EURUSD" / "D1.parquet").exists()


def test_project_dir_from_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FXJUDGE_PROJECT_DIR", str(tmp_path))
    assert main(["data", "list"]) == 0
    assert f"The catalog at {tmp_path / 'data' / 'catalog'} is empty" in capsys.readouterr().out


def test_info_on_a_file_as_json():
    path = shared_file("mt4_csv/USDJPY60.csv")
    assert main(["data", "info", str(path), "--json"]) == 0


def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "DAT_ASCII_EURUSD_M1_2018.csv"
    bad.write_text("20180102 000000;1.2;1.21;1.19;1.2;0\n20180102 000100;1.2;1.1;1.19;1.2;0\n")
    assert main(["--project-dir", str(tmp_path), "data", "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {bad}, line 2: high 1.1 is below low 1.19; correct or delete that row"
    assert not (tmp_path / "data" / "catalog").exists()


def test_failed_import_leaves_the_catalog_as_it_was(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    stored = tmp_path / "data" / "catalog" / "EURUSD" / "H1.parquet"
    before = stored.read_bytes()
    truncated = tmp_path / "EURUSD_Candlestick_1_Hour_BID_01.01.2018-02.01.2018.csv"
    truncated.write_text("Gmt time,Open,High,Low,Close,Volume\n"
                         "02.01.2018 00:00:00.000,1.2,1.21,1.19,1.2,10\n"
                         "02.01.2018 01:00:00.000,1.2")
    assert main([*project, "data", "import", str(truncated)]) == 2
    assert "line 3" in capsys.readouterr().err
    assert stored.read_bytes() == before


def test_bad_option_value_is_exit_code_2(capsys):
    assert main(["data", "info", str(SAMPLE), "--gaps", "interpolate"]) == 2
    assert "`gaps` must be one of keep, fill, error, was 'interpolate'" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error():
    assert main(["data", "info", "--bogus"]) == 2


def test_backtest_pairs_runs_a_portfolio_and_lists_it(tmp_path, capsys):
    # the sample's bars as EURUSD and, relabelled, as GBPUSD: two catalog pairs of one period
    project = ["--project-dir", str(tmp_path)]
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    relabelled = tmp_path / "GBPUSD_H1_2017_ASK.csv"
    relabelled.write_bytes(SAMPLE.read_bytes())
    assert main([*project, "data", "import", str(relabelled), "--pair", "GBPUSD"]) == 0
    capsys.readouterr()
    assert main([*project, "backtest", "--pairs", "EURUSD,GBPUSD", "--strategy", "sma_cross",
                 "--timeframe", "H1", "--spread-pips", "1"]) == 0
    out = capsys.readouterr().out
    assert "Portfolio EURUSD, GBPUSD" in out
    (folder,) = (tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*")
    assert (folder / "report.html").exists() and (folder / "portfolio.parquet").exists()
    assert "EURUSD,GBPUSD" in (tmp_path / "reports" / "index.html").read_text()


def test_run_file_legs_set_each_leg_apart(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    relabelled = tmp_path / "GBPUSD_H1_2017_ASK.csv"
    relabelled.write_bytes(SAMPLE.read_bytes())
    run_file = tmp_path / "run.toml"
    run_file.write_text(f"""
[strategy]
name = "sma_cross"

[costs]
spread_pips = 1.0

[data]
timeframe = "H1"

[[legs]]
source = "{SAMPLE.as_posix()}"
pair = "EURUSD"
sizing = {{ lots = 2 }}

[[legs]]
source = "{relabelled.as_posix()}"
pair = "GBPUSD"
""")
    assert main([*project, "backtest", "--config", str(run_file)]) == 0
    out = capsys.readouterr().out
    assert "Portfolio EURUSD, GBPUSD" in out
    (folder,) = (tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*")
    trades = (folder / "trades.csv").read_text().splitlines()
    header = trades[0].split(",")
    eurusd = [row.split(",") for row in trades[1:] if row.startswith("EURUSD")]
    assert eurusd and {row[header.index("units")] for row in eurusd} == {"20000"}
    run_file.write_text('[[legs]]\nsymbol = "EURUSD"\n')
    assert main([*project, "backtest", "--config", str(run_file)]) == 2


def test_a_portfolio_run_is_not_loaded_back_as_a_one_pair_run(tmp_path):
    import pytest

    from fxjudge.errors import DataError
    from fxjudge.report import load_run

    (tmp_path / "trades.csv").write_text("pair\n")
    (tmp_path / "portfolio.json").write_text('{"pairs": ["EURUSD", "GBPUSD"]}')
    with pytest.raises(DataError, match="is an incomplete portfolio run: .* portfolio.parquet is "
                                        "missing"):
        load_run(tmp_path)
