"""The look-ahead check of user strategies (DESIGN.md §6b): a strategy whose features or signals
at bar t use later bars is refused before anything uses them, in one line naming the column and
the first bar that differs; `--no-lookahead-check` runs it with a red warning; passes are
cached by strategy source, parameters and data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from fxjudge import api
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.errors import ConfigError, StrategyError
from fxjudge.report import load_run
from fxjudge.report.command import backtest_command
from fxjudge.signals import lookahead
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.lookahead import check_lookahead, cut_positions
from tests.signals.helpers import random_walk_bars
from tests.signals.test_strategies import BUNDLED

HEADER = '''
from dataclasses import dataclass

import pandas as pd

from fxjudge.features import indicators as ind
from fxjudge.signals.strategy import Strategy, entries


class {name}(Strategy):
    """A test strategy."""

    @dataclass(frozen=True)
    class Params:
        """Its parameters."""

        slow_bars: int = 10
        max_bars: int | None = 5

    @property
    def warmup_bars(self) -> int:
        return self.params.slow_bars
'''
#: the issue's strategy: the close three bars ahead minus this close
LEAKY_FEATURES = '''
    def features(self, bars):
        close = bars["close"]
        return pd.DataFrame({"sma": ind.sma(close, self.params.slow_bars),
                             "fut": close.shift(-3) - close})

    def signals(self, bars, features):
        fut = features["fut"]
        return entries(fut > 0, fut < 0, self.warmup_bars)
'''
#: causal features, but the signal compares with the next bar's close
LEAKY_SIGNALS = '''
    def features(self, bars):
        return pd.DataFrame({"sma": ind.sma(bars["close"], self.params.slow_bars)})

    def signals(self, bars, features):
        ahead = bars["close"].shift(-1)
        return entries(ahead > features["sma"], ahead < features["sma"], self.warmup_bars)
'''
CLEAN = '''
    def features(self, bars):
        return pd.DataFrame({"sma": ind.sma(bars["close"], self.params.slow_bars)})

    def signals(self, bars, features):
        close, sma = bars["close"], features["sma"]
        return entries(close > sma, close < sma, self.warmup_bars)
'''


def write_strategy(project: Path, stem: str, body: str, name: str = "Test") -> Path:
    folder = project / "strategies"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(textwrap.dedent(HEADER).format(name=name) + body)
    return path


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    """A pure random walk of H1 bars."""
    return random_walk_bars(n_bars=1200, seed=3)


@pytest.fixture
def project(tmp_path) -> Path:
    write_strategy(tmp_path, "leaky", LEAKY_FEATURES, "Leaky")
    write_strategy(tmp_path, "leaky_signals", LEAKY_SIGNALS, "LeakySignals")
    write_strategy(tmp_path, "clean", CLEAN, "Clean")
    return tmp_path


@pytest.fixture
def walk_file(tmp_path, walk) -> Path:
    path = tmp_path / "EURUSD_H1.parquet"
    walk.to_parquet(path)
    return path


def test_the_issues_leaking_strategy_is_refused_by_the_api_judged_or_not(project, walk):
    for judge in (None, "walk-forward"):
        with pytest.raises(StrategyError) as caught:
            api.backtest(walk, "leaky", project=project, judge=judge)
        message = str(caught.value)
        assert "\n" not in message
        # the first cut is after bar 5 (half the warm-up of 10): fut at bars 3-5 needs bars 6-8
        assert message.startswith("leaky looks ahead: feature `fut` at 2021-03-01 03:00:00+00:00"
                                  " changes when the bars after 2021-03-01 05:00:00+00:00 are cut")
        assert "(also: signal)" in message
        assert message.endswith("a value at bar t must use only bars up to t; or pass "
                                "--no-lookahead-check")


def test_the_first_bar_named_is_where_the_values_first_differ(project, walk):
    report = check_lookahead(load_strategy("leaky", project=project), walk, use_cache=False)
    fut = next(c for c in report.columns if c.column == "fut")
    sma = next(c for c in report.columns if c.column == "sma")
    assert sma.passed and not fut.passed
    first = min(report.cuts)
    assert fut.first_bar == walk.index[first - 2]  # fut there needs bar first + 1, cut off
    assert fut.cut == walk.index[first]
    assert fut.differing_cuts == len(report.cuts)


def test_a_leak_in_the_signal_alone_is_refused(project, walk):
    with pytest.raises(StrategyError, match=r"^leaky_signals looks ahead: its signal at "):
        api.backtest(walk, "leaky_signals", project=project)


def test_judge_training_and_searches_refuse_it_too(project, walk, tmp_path):
    with pytest.raises(StrategyError, match="feature `fut`"):
        api.train_judge(walk, "leaky", tmp_path / "model", project=project)
    from fxjudge.search.optimize import optimize

    with pytest.raises(StrategyError, match="feature `fut`"):
        optimize(walk, "leaky", {"slow_bars": [5, 10]}, project=project, n_jobs=1)


def test_a_clean_strategy_passes_and_the_run_says_what_the_check_cost(project, walk):
    result = api.backtest(walk, "clean", project=project)
    note = result.notes[0]
    assert note.startswith("look-ahead check: clean passed at ")
    assert " s" in note or "remembered" in note
    assert "lookahead_check" not in result.config


def test_no_lookahead_check_runs_it_and_records_it(project, walk):
    result = api.backtest(walk, "leaky", project=project, lookahead_check=False)
    assert result.config["lookahead_check"] is False
    assert result.notes[0] == lookahead.OFF_NOTE
    with pytest.raises(ConfigError, match="`lookahead_check` must be true or false"):
        api.backtest(walk, "clean", project=project, lookahead_check="no")


def test_the_cli_refuses_it_in_one_line_exit_2(project, walk_file, capsys):
    code = main(["--project-dir", str(project), "backtest", "--strategy", "leaky", "--data",
                 str(walk_file), "--pair", "EURUSD"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "error: leaky looks ahead: feature `fut` at 2021-03-01 03:00:00+00:00" in err


def test_no_lookahead_check_on_the_cli_writes_the_red_warning_in_the_report(project, walk_file,
                                                                          capsys):
    args = ["--project-dir", str(project), "backtest", "--strategy", "leaky", "--data",
            str(walk_file), "--pair", "EURUSD", "--no-lookahead-check"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "look-ahead check was turned off" in out
    folder = next((project / "reports").glob("*-leaky-EURUSD-H1"))
    html = (folder / "report.html").read_text()
    warnings = html[html.index('id="warnings"'):]
    assert "the look-ahead check was turned off (--no-lookahead-check)" in warnings[:2000]
    assert "lookahead_check = false" in (folder / "config.toml").read_text()
    result = load_run(folder)
    assert backtest_command(result.config).endswith(" --no-lookahead-check")
    # the saved config reruns it the same way; Japanese reports say it in Japanese
    assert main(["--project-dir", str(project), "backtest", "--config",
                 str(folder / "config.toml")]) == 0
    assert main(["report", str(folder), "--lang", "ja"]) == 0
    assert "先読みチェックが無効です" in (folder / "report.html").read_text()


def test_a_run_file_can_turn_it_off(project, walk_file, tmp_path):
    run = tmp_path / "run.toml"
    run.write_text(f'lookahead_check = false\n[data]\nsource = "{walk_file}"\npair = "EURUSD"\n'
                   '[strategy]\nname = "leaky"\n')
    assert main(["--project-dir", str(project), "backtest", "--config", str(run)]) == 0
    assert main(["--project-dir", str(project), "run", str(run)]) == 0


def test_fxjudge_check_lists_every_column_and_exits_2_on_a_leak(project, walk_file, capsys):
    code = main(["--project-dir", str(project), "check", "leaky", "--data", str(walk_file),
                 "--pair", "EURUSD", "--cuts", "12"])
    captured = capsys.readouterr()
    assert code == 2
    assert "12 cuts" in captured.out
    rows = {line.split("│")[1].strip(): line for line in captured.out.splitlines()
            if line.count("│") >= 4}
    assert "pass" in rows["sma"] and "LOOKS AHEAD" in rows["fut"]
    assert "LOOKS AHEAD" in rows["signal"]
    assert "feature `fut`" in captured.err
    assert main(["--project-dir", str(project), "check", "clean", "--data", str(walk_file),
                 "--pair", "EURUSD"]) == 0
    assert "passed clean: no look-ahead at 30 cuts" in capsys.readouterr().out


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_strategy_passes_fxjudge_check(name, capsys):
    assert main(["check", name, "--data", str(sample_path())]) == 0, capsys.readouterr().err
    assert f"passed {name}" in capsys.readouterr().out


def test_the_cache_is_hit_on_a_second_run_and_missed_when_the_file_changes(
        project, walk, tmp_path, monkeypatch):
    monkeypatch.setenv("FXJUDGE_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real = lookahead.run_signals

    def counting(strategy, bars):
        calls.append(len(bars))
        return real(strategy, bars)

    monkeypatch.setattr(lookahead, "run_signals", counting)
    first = api.backtest(walk, "clean", project=project)
    assert calls and len(list((tmp_path / "cache" / "lookahead").glob("*.json"))) == 1
    assert "remembered" not in first.notes[0]
    calls.clear()
    second = api.backtest(walk, "clean", project=project)
    assert calls == [] and "remembered from an earlier run" in second.notes[0]
    api.backtest(walk, "clean", project=project, params={"slow_bars": 12})  # other parameters
    assert calls
    calls.clear()
    api.backtest(walk.iloc[:-1], "clean", project=project)  # other data
    assert calls
    calls.clear()
    path = project / "strategies" / "clean.py"
    path.write_text(path.read_text() + "\n# edited\n")
    api.backtest(walk, "clean", project=project)
    assert calls
    assert len(list((tmp_path / "cache" / "lookahead").glob("*.json"))) == 4


def test_a_failure_is_not_cached(project, walk, tmp_path, monkeypatch):
    monkeypatch.setenv("FXJUDGE_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):
        with pytest.raises(StrategyError):
            api.backtest(walk, "leaky", project=project)
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_cuts_are_bounded_spread_and_the_same_every_time():
    cuts = cut_positions(10_000, 50)
    assert cuts == cut_positions(10_000, 50)
    assert len(cuts) <= 30 and len(cuts) >= 25
    assert {25, 49} <= set(cuts)  # inside the warm-up: back-fills show there
    assert min(c for c in cuts if c >= 50) == 50 and max(cuts) == 9998
    assert len(cut_positions(10_000, 50, 100)) > 80
    assert cut_positions(1, 0) == [] and cut_positions(3, 10) == [1]
    for bad in (0, 101, 2.5, True):
        with pytest.raises(ConfigError, match="`cuts` must be an int from 1 to 100"):
            cut_positions(100, 5, bad)


def test_a_back_fill_in_the_warm_up_is_caught(project, walk):
    body = CLEAN.replace('ind.sma(bars["close"], self.params.slow_bars)',
                         'ind.sma(bars["close"], self.params.slow_bars).bfill()')
    write_strategy(project, "backfilled", body, "Backfilled")
    report = check_lookahead(load_strategy("backfilled", project=project), walk,
                             use_cache=False)
    assert not report.passed
    assert report.first_failure.column == "sma"


def test_a_search_checks_once_and_off_says_so(project, walk, monkeypatch):
    from fxjudge.search.optimize import optimize

    checked = []
    real = api.require_no_lookahead

    def counting(strategy, bars, **options):
        checked.append(strategy.params.slow_bars)
        return real(strategy, bars, **options)

    monkeypatch.setattr(api, "require_no_lookahead", counting)
    found = optimize(walk, "clean", {"slow_bars": [5, 8, 10, 12]}, project=project, n_jobs=1)
    assert checked == [5] and found.notes[0].startswith("look-ahead check: clean passed")
    found.best_result  # noqa: B018 - the winner's report is a backtest: checked again
    assert checked == [5, found.best["params"]["slow_bars"]]
    off = optimize(walk, "leaky", {"slow_bars": [5, 8]}, project=project, n_jobs=1,
                   lookahead_check=False)
    assert off.notes[0] == lookahead.OFF_NOTE
    assert off.best_result.config["lookahead_check"] is False


def test_a_strategy_that_fails_on_fewer_bars_is_said_in_one_line(project, walk):
    body = CLEAN.replace('        return pd.DataFrame({"sma"',
                         '        bars["close"].iloc[500]\n        return pd.DataFrame({"sma"')
    write_strategy(project, "long_only", body, "LongOnly")
    with pytest.raises(StrategyError, match=r"^long_only fails on the bars up to .* \(6 bars\), "
                       r"where the look-ahead check cuts: IndexError: "):
        api.backtest(walk, "long_only", project=project)


def test_a_walk_forward_checks_its_first_window_once(project, walk, monkeypatch):
    from fxjudge.search.walkforward import walk_forward_optimize

    checked = []
    real = api.require_no_lookahead

    def counting(strategy, bars, **options):
        checked.append(len(bars))
        return real(strategy, bars, **options)

    monkeypatch.setattr(api, "require_no_lookahead", counting)
    found = walk_forward_optimize(walk, "clean", {"slow_bars": [5, 8]}, train="20D",
                                  test="10D", project=project, n_jobs=1)
    assert len(found.windows) >= 2 and len(checked) == 1
    assert found.result.notes[0].startswith("look-ahead check: clean passed")
    with pytest.raises(StrategyError, match="feature `fut`"):
        walk_forward_optimize(walk, "leaky", {"slow_bars": [5, 8]}, train="20D", test="10D",
                              project=project, n_jobs=1)
    off = walk_forward_optimize(walk, "leaky", {"slow_bars": [5, 8]}, train="20D", test="10D",
                                project=project, n_jobs=1, lookahead_check=False)
    assert off.result.notes[0] == lookahead.OFF_NOTE
    assert off.result.config["lookahead_check"] is False


def test_a_search_without_the_check_says_so_in_red_on_its_page(project, walk_file, capsys):
    assert main(["--project-dir", str(project), "optimize", "--strategy", "leaky", "--data",
                 str(walk_file), "--pair", "EURUSD", "--range", "slow_bars=5,8", "--jobs", "1",
                 "--no-lookahead-check"]) == 0
    page = next((project / "reports").glob("*-optimize-leaky-*")) / "optimize.html"
    html = page.read_text()
    assert 'id="warnings"' in html
    assert "the look-ahead check was turned off" in html[html.index('id="warnings"'):][:1000]
    assert main(["--project-dir", str(project), "optimize", "--strategy", "leaky", "--data",
                 str(walk_file), "--pair", "EURUSD", "--range", "slow_bars=5,8", "--jobs",
                 "1"]) == 2
    assert "feature `fut`" in capsys.readouterr().err
