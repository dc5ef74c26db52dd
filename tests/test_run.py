"""`fxjudge run`, the README's main job, and rerunning a run exactly from its config.toml."""

import tomllib

import pandas as pd
import pytest

from fxjudge.cli import main
from fxjudge.config import sample_path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    return folder


@pytest.fixture(scope="module")
def main_job(project):
    code = main(["--project-dir", str(project), "run"])
    [run] = [p for p in (project / "reports").iterdir() if p.is_dir()]
    return code, run


def test_run_is_a_judged_backtest_with_report_and_index(main_job, project):
    code, run = main_job
    assert code == 0
    size = (run / "report.html").stat().st_size
    assert 1_000_000 < size <= 3_000_000  # plotly embedded (gzipped): works offline, <= 3 MB
    assert (project / "reports" / "index.html").exists()
    for part in ("config.toml", "candidates.csv", "judge.json", "without_judge/trades.csv",
                 "with_judge/trades.csv"):
        assert (run / part).exists(), part
    candidates = pd.read_csv(run / "candidates.csv")
    assert len(candidates) == 399 and candidates["probability"].notna().sum() > 300
    html = (run / "report.html").read_text()
    assert "bollinger_reversion" in html and "EURUSD" in html


def test_run_prints_the_headline_and_the_path(project, capsys):
    assert main(["--project-dir", str(project), "run", "--lang", "ja"]) == 0
    out = capsys.readouterr().out
    assert "report.html" in out and "index.html" in out
    assert "ランダム" in out or "証拠" in out  # the Japanese verdict
    for words in ("判定なし", "判定あり", "純利益", "勝率", "アウトオブサンプル", "レポート",
                  "をブラウザで開いてください"):
        assert words in out, words  # and the summary around it


def test_config_toml_reruns_the_judged_run_exactly(main_job, project):
    _, run = main_job
    before = {p.name for p in (project / "reports").iterdir()}
    assert main(["--project-dir", str(project), "backtest", "--config",
                 str(run / "config.toml")]) == 0
    [rerun] = [project / "reports" / n for n in
               {p.name for p in (project / "reports").iterdir()} - before if n != "index.html"]
    for part in ("candidates.csv", "with_judge/trades.csv", "without_judge/trades.csv"):
        assert (rerun / part).read_text() == (run / part).read_text(), part


def test_report_rebuilds_from_a_saved_run(main_job, capsys):
    _, run = main_job
    (run / "report.html").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").exists()


def test_trials_flag_feeds_the_reports_dsr(project):
    sample = sample_path()
    before = {p for p in (project / "reports").iterdir() if p.is_dir()}
    assert main(["--project-dir", str(project), "backtest", "--strategy", "sma_cross", "--data",
                 str(sample), "--spread-pips", "0.8", "--trials", "20"]) == 0
    [run] = {p for p in (project / "reports").iterdir() if p.is_dir()} - before
    assert "n_trials = 20" in (run / "config.toml").read_text()
    html = (run / "report.html").read_text()
    assert "one configuration tried: DSR needs the number of trials" not in html
    assert "assumed: 1/(days − 1)" in html  # the report says the variance was assumed
    assert main(["--project-dir", str(project), "backtest", "--strategy", "sma_cross", "--data",
                 str(sample), "--trials", "0"]) == 2


def test_the_trials_sharpes_set_the_dsr_variance(project, capsys):
    """Annualised Sharpes 1.2, 0.4 and -0.3 of three tries: their per-day variance is
    var(ddof 1) / 252, recorded with its source and used by the report's DSR."""
    sample = sample_path()
    before = {p for p in (project / "reports").iterdir() if p.is_dir()}
    assert main(["--project-dir", str(project), "backtest", "--strategy", "sma_cross", "--data",
                 str(sample), "--spread-pips", "0.8", "--to", "2017-04-01",
                 "--trials-sharpes", "1.2, 0.4, -0.3"]) == 0
    assert "assumes" not in capsys.readouterr().out
    [run] = {p for p in (project / "reports").iterdir() if p.is_dir()} - before
    saved = tomllib.loads((run / "config.toml").read_text())
    mean = (1.2 + 0.4 - 0.3) / 3
    variance = sum((s - mean) ** 2 for s in (1.2, 0.4, -0.3)) / 2 / 252
    assert saved["n_trials"] == 3
    assert saved["trials_sr_variance"] == pytest.approx(variance)
    assert "ddof 1" in saved["trials_sr_variance_source"]
    html = (run / "report.html").read_text()
    assert f"{variance:.6f}" in html and "given: from the 3 trials" in html


def test_trials_alone_say_the_variance_is_assumed(project, capsys):
    sample = sample_path()
    assert main(["--project-dir", str(project), "backtest", "--strategy", "sma_cross", "--data",
                 str(sample), "--spread-pips", "0.8", "--to", "2017-03-01",
                 "--trials", "4"]) == 0
    assert "assumes their Sharpe ratios vary as pure noise" in capsys.readouterr().out
