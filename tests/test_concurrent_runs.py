"""Runs never collide: identical backtests started at once each get their folder and exit 0,
and the index, rebuilt by each under its lock, lists them all."""

import re
import subprocess
import sys

from fxjudge.api import run_id
from fxjudge.config import sample_path
from fxjudge.results.result import BacktestResult
from tests.conftest import REPO

SAMPLE = sample_path()
CLI = "import sys; from fxjudge.cli import main; sys.exit(main(sys.argv[1:]))"


def test_three_identical_backtests_at_once(tmp_path):
    command = [sys.executable, "-c", CLI, "--project-dir", str(tmp_path), "backtest",
               "--strategy", "sma_cross", "--data", str(SAMPLE), "--spread-pips", "0.8"]
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    for process in running:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    runs = sorted(p for p in (tmp_path / "reports").iterdir() if p.is_dir())
    assert len(runs) == 3
    for run in runs:
        for part in ("trades.csv", "equity.parquet", "stats.json", "config.toml", "report.html"):
            assert (run / part).exists(), (run, part)
    index = (tmp_path / "reports" / "index.html").read_text()
    assert all(run.name in index for run in runs)
    assert not list((tmp_path / "reports").rglob("*.tmp"))


def test_run_ids_differ_within_a_second():
    result = BacktestResult(trades=None, equity=None, config={
        "strategy": {"name": "sma_cross"}, "data": {"pair": "EURUSD", "timeframe": "H1"}})
    ids = {run_id(result) for _ in range(50)}
    assert len(ids) > 1
    assert all(re.fullmatch(r"\d{8}-\d{6}-\d{6}-sma_cross-EURUSD-H1", i) for i in ids)


def test_a_taken_run_folder_is_never_reused(tmp_path, monkeypatch):
    from fxjudge import api

    result = api.backtest(SAMPLE, "sma_cross", costs={"spread_pips": 0.8}, project=REPO,
                          end="2017-02-01")
    monkeypatch.setattr(api, "run_id", lambda _: "20261201-000000-000000-same")
    first, second = api.save_run(result, tmp_path), api.save_run(result, tmp_path)
    assert (first.name, second.name) == ("20261201-000000-000000-same",
                                         "20261201-000000-000000-same-2")
