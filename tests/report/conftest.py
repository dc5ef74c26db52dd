"""Runs for the report tests, both real and computed once per session on the bundled sample.

`plain_result` is a plain backtest (sma_cross); `judged_result` is the real judged run,
`fxjudge.api.backtest(..., judge="walk-forward")` on bollinger_reversion, with small walk-forward
settings so that it stays fast (monthly refits from 60 resolved labels, two importance repeats,
one process). The fixtures are session-scoped: the runs are shared by the render, saved-run and
browser tests, so each is computed once.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from fxjudge import api
from fxjudge.config import sample_path
from fxjudge.data.load import load_bars
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult
from tests.conftest import REPO

SAMPLE = sample_path()
COSTS = {"spread_pips": 0.8}
JUDGED_STRATEGY = "bollinger_reversion"
JUDGE_OPTIONS = {"retrain": "monthly", "min_train": 60, "importance_repeats": 2, "n_jobs": 1}
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    return load_bars(SAMPLE)


@pytest.fixture(scope="session")
def plain_result() -> BacktestResult:
    return api.backtest(SAMPLE, "sma_cross", costs=COSTS, project=REPO)


@pytest.fixture(scope="session")
def judged_result() -> JudgedResult:
    """The real judged run: the strategy with and without the walk-forward judge."""
    return api.backtest(SAMPLE, JUDGED_STRATEGY, costs=COSTS, judge="walk-forward",
                        judge_options=JUDGE_OPTIONS, project=REPO)


def renamed(judged: JudgedResult, name: str) -> JudgedResult:
    """The same judged run under another strategy name, with the name in a note too."""
    def rename(result: BacktestResult) -> BacktestResult:
        config = copy.deepcopy(result.config)
        config["strategy"]["name"] = name
        return BacktestResult(result.trades, result.equity, config, [*result.notes, name])

    return JudgedResult(rename(judged.without_judge), rename(judged.with_judge),
                        judged.candidates, judged.judge, judged.judge_config)


@pytest.fixture(scope="session")
def reports(tmp_path_factory, plain_result, judged_result, sample_bars):
    """A reports/ folder: a plain run, a judged run, the judged run in Japanese, one whose
    strategy name is a script tag, and the judged run shown in Japan time; each saved with its
    report.html, and the index."""
    from fxjudge.report import build_index, render_report

    folder = tmp_path_factory.mktemp("project") / "reports"
    runs = {"20170101-plain": (plain_result, "en", None),
            "20170102-judged": (judged_result, "en", None),
            "20170103-judged-ja": (judged_result, "ja", None),
            "20170104-xss": (renamed(judged_result, XSS), "en", None),
            "20170105-judged-tokyo": (judged_result, "en", "Asia/Tokyo")}
    for name, (result, lang, clock) in runs.items():
        result.save(folder / name)
        bars = None if name.endswith("plain") else sample_bars  # plain: re-read its source
        render_report(result, folder / name / "report.html", lang=lang, bars=bars,
                      display_tz=clock)
    build_index(folder)
    return folder
