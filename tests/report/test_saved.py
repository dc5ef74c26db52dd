"""Saved runs read back, the runs index, `fxjudge report`, and the reproducing command."""

import math
import shlex
import shutil

import numpy as np
import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.errors import DataError
from fxjudge.report import build_index, load_run, write_run_report
from fxjudge.report.command import backtest_command
from fxjudge.results.judged import JudgedResult
from tests.report.conftest import XSS


def same_stats(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], nan_ok=True), key


def test_a_saved_plain_run_loads_back_equal(reports, plain_result):
    loaded = load_run(reports / "20170101-plain")
    pd.testing.assert_frame_equal(loaded.trades, plain_result.trades, check_dtype=False,
                                  check_exact=False)
    pd.testing.assert_frame_equal(loaded.equity, plain_result.equity, check_freq=False,
                                  check_exact=False, check_index_type=False)
    same_stats(loaded.stats, plain_result.stats)
    assert loaded.notes == plain_result.notes
    params = {k: v for k, v in plain_result.config["strategy"]["params"].items() if v is not None}
    assert loaded.config["strategy"]["params"] == params  # TOML has no None: "not set"


def test_a_saved_judged_run_loads_back_equal(reports, judged_result):
    loaded = load_run(reports / "20170102-judged")
    assert isinstance(loaded, JudgedResult)
    same_stats(loaded.with_judge.stats, judged_result.with_judge.stats)
    same_stats(loaded.without_judge.stats, judged_result.without_judge.stats)
    summary, original = loaded.judge.summary(), judged_result.judge.summary()
    for key, value in original.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(summary[key]), key
        else:
            assert summary[key] == pytest.approx(value) if isinstance(value, float) \
                else summary[key] == value, key
    pd.testing.assert_frame_equal(loaded.judge.calibration, judged_result.judge.calibration)
    assert loaded.candidates["taken"].tolist() == judged_result.candidates["taken"].tolist()
    assert loaded.judge_config == judged_result.judge_config
    for name in ("importance", "importance_periods", "importance_groups"):
        saved, made = getattr(loaded.judge, name), getattr(judged_result.judge, name)
        assert made is not None and len(made) > 0, name
        np.testing.assert_allclose(saved.select_dtypes("number").to_numpy(),
                                   made.select_dtypes("number").to_numpy(), rtol=1e-9)
        assert list(saved.index.astype(str)) == list(made.index.astype(str))


def test_not_a_run_folder_is_a_user_error(tmp_path):
    with pytest.raises(DataError, match="is not a saved run"):
        load_run(tmp_path)


def test_the_index_lists_every_run_from_what_it_saved(reports):
    text = (reports / "index.html").read_text(encoding="utf-8")
    for name in ("20170101-plain", "20170102-judged", "20170103-judged-ja", "20170104-xss",
                 "20170105-judged-tokyo"):
        assert f'href="{name}/report.html"' in text
    assert text.count("<tr>") == 1 + 5  # the header and one row per run
    assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.index("20170105-judged-tokyo") < text.index("20170101-plain")  # newest first


def test_the_index_skips_folders_that_are_not_runs(tmp_path, plain_result):
    (tmp_path / "notes").mkdir()
    plain_result.save(tmp_path / "run-a")
    (tmp_path / "half" / "with_judge").mkdir(parents=True)
    (tmp_path / "half" / "judge.json").write_text("{}")
    text = build_index(tmp_path).read_text()
    assert "run-a" in text and "no report yet" in text
    assert "notes" not in text and ">half<" not in text


def test_cli_report_rebuilds_a_saved_run(tmp_path, reports, capsys):
    shutil.copytree(reports / "20170102-judged", tmp_path / "run")
    (tmp_path / "run" / "report.html").unlink()
    assert main(["report", str(tmp_path / "run"), "--lang", "ja"]) == 0
    out = capsys.readouterr().out
    assert "report.html" in out
    assert "AI判定は役に立ったか？" in (tmp_path / "run" / "report.html").read_text()
    assert "20170102" not in (tmp_path / "index.html").read_text()  # only this folder's runs
    assert ">run<" in (tmp_path / "index.html").read_text()


def test_cli_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "`RUN_DIR` must be a saved run folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--lang", "fr"]) == 2
    assert "`lang` must be 'en' or 'ja', was 'fr'" in capsys.readouterr().err


def test_write_run_report_writes_the_report_and_the_index(tmp_path, plain_result, sample_bars):
    folder = plain_result.save(tmp_path / "reports" / "run")
    path = write_run_report(plain_result, folder, "en", bars=sample_bars)
    assert path == folder / "report.html" and path.exists()
    assert 'href="run/report.html"' in (tmp_path / "reports" / "index.html").read_text()


def test_the_reproducing_command_names_the_engine_and_the_lower_timeframe(plain_result):
    config = {**plain_result.config, "engine": "backtrader",
              "data": {**plain_result.config["data"], "detail_timeframe": "M1"}}
    words = shlex.split(backtest_command(config))
    assert words[words.index("--engine") + 1] == "backtrader"
    assert words[words.index("--detail-timeframe") + 1] == "M1"
    assert "--engine" not in backtest_command(plain_result.config)  # compiled: the default


def test_the_reproducing_command_reruns_the_same_trades(tmp_path, plain_result, capsys):
    command = backtest_command(plain_result.config)
    words = shlex.split(command)
    assert words[:2] == ["fxjudge", "backtest"]
    assert main(["--project-dir", str(tmp_path), *words[1:]]) == 0, capsys.readouterr()
    [folder] = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    rerun = load_run(folder)
    pd.testing.assert_frame_equal(rerun.trades, plain_result.trades, check_dtype=False,
                                  check_exact=False)
