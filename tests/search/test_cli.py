"""`fxjudge optimize` end to end: the run folder, the winner's report that counts the trials,
the index, rerunning from search.toml, walk-forward, and bad input in one line."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.search.store import read_trials
from tests.search.conftest import SAMPLE


def test_the_run_folder_holds_the_search_and_the_winner(search_run):
    names = {p.name for p in search_run.iterdir()}
    assert {"optimize.html", "trials.parquet", "returns.npy", "days.npy", "search.toml",
            "summary.json", "best"} <= names
    trials = read_trials(search_run)
    # fast 5, 10, 15 x slow 20, 30, 40 x two stops; fast * 2 < slow holds for 6 of the 9 pairs
    assert len(trials) == 12
    summary = json.loads((search_run / "summary.json").read_text())
    assert summary["skipped"] == {"constraint": 6} and summary["n_trials"] == 12


def test_the_winners_report_counts_the_search(search_run):
    config = tomllib.loads((search_run / "best" / "config.toml").read_text())
    trials = read_trials(search_run)
    assert config["n_trials"] == 12
    assert config["trials_sr_variance"] == pytest.approx(trials["sharpe_daily"].var(ddof=1))
    html = (search_run / "best" / "report.html").read_text()
    assert "given: the search&#39;s 12 trials&#39; daily Sharpe ratios, ddof 1" in html
    assert "best/report.html" in (search_run / "optimize.html").read_text()


def test_the_index_lists_the_search(search_run):
    index = (search_run.parent / "index.html").read_text()
    assert f"{search_run.name}/optimize.html" in index
    assert "grid search of 12 configurations" in index


def test_search_toml_reruns_the_same_trials(search_run, search_project, capsys):
    assert main(["--project-dir", str(search_project), "optimize", "--config",
                 str(search_run / "search.toml"), "--jobs", "1"]) == 0
    assert "DSR over 12 trials" in capsys.readouterr().out
    runs = sorted(p for p in (search_project / "reports").iterdir() if p.is_dir())
    again = read_trials(runs[-1])
    pd.testing.assert_frame_equal(read_trials(search_run).drop(columns="seconds"),
                                  again.drop(columns="seconds"))


def test_walk_forward_from_the_command_line(search_project, capsys):
    assert main(["--project-dir", str(search_project), "optimize", "--strategy", "sma_cross",
                 "--data", str(SAMPLE), "--spread-pips", "0.8", "--range", "fast_bars=5,10",
                 "--range", "slow_bars=20,40", "--jobs", "1", "--to", "2017-06-01",
                 "--walk-forward", "3M/1M"]) == 0
    out = capsys.readouterr().out
    assert "Walk-forward efficiency" in out and "Out-of-sample PSR" in out
    [folder] = [p for p in (search_project / "reports").iterdir() if "walk-forward" in p.name]
    windows = pd.read_csv(folder / "windows.csv")
    assert len(windows) == 2 and (folder / "oos" / "report.html").exists()
    config = tomllib.loads((folder / "search.toml").read_text())
    assert config["optimize"]["walk_forward"] == "3M/1M"
    assert config["data"]["start"].startswith("2017-01-01")
    assert "Walk-forward windows" in (folder / "optimize.html").read_text()


@pytest.mark.parametrize("extra, words", [
    (["--range", "fast_bars"], "`--range` must look like name=5:50:5, was 'fast_bars'"),
    (["--range", "fast_bars=5:x"], "`fast_bars` range must look like low:high"),
    (["--range", "fast_bar=5:10"], "did you mean `fast_bars`?"),
    (["--range", "fast_bars=5:10", "--judge", "walk-forward"], "give --walk-forward"),
    (["--range", "fast_bars=5:10", "--walk-forward", "6M"], "must be TRAIN/TEST like 6M/1M"),
    (["--range", "fast_bars=5:10", "--method", "random"],
     "`n_trials` must be an int >= 1 for method='random'"),
    (["--range", "fast_bars=5:10", "--objective", "sharp"], "did you mean `sharpe`?"),
    ([], "`--range` must give at least one parameter"),
], ids=["no value", "bad range", "unknown parameter", "judge alone", "walk-forward syntax",
        "random without trials", "unknown objective", "no range"])
def test_bad_input_is_one_line_and_exit_2(extra, words, search_project, capsys):
    argv = ["--project-dir", str(search_project), "optimize", "--strategy", "sma_cross",
            "--data", str(SAMPLE), "--spread-pips", "0.8", "--jobs", "1", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err
