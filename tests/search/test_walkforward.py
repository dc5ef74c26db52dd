"""Walk-forward optimisation on the bundled sample: windows as stated, each winner the search's
on its own window, out-of-sample entries only after it, equity carried across windows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import fxjudge
from fxjudge import ConfigError
from fxjudge.config import sample_path
from fxjudge.results.metrics import full_statistics
from fxjudge.search.walkforward import windows
from tests.conftest import REPO

SAMPLE = sample_path()
SPACE = {"fast_bars": [5, 10], "slow_bars": [20, 40]}
SETTINGS = {"costs": {"spread_pips": 0.8}, "project": REPO, "n_jobs": 1, "end": "2017-08-01"}
UTC = "UTC"


@pytest.fixture(scope="module")
def walk():
    return fxjudge.walk_forward_optimize(SAMPLE, "sma_cross", SPACE, train="3M", test="1M",
                                         **SETTINGS)


def test_rolling_and_anchored_windows():
    index = pd.date_range("2017-01-01 22:00", "2017-07-31 20:00", freq="h", tz=UTC)
    rolling = windows(index, "3M", "1M", anchored=False)
    stamp = lambda text: pd.Timestamp(text, tz=UTC)  # noqa: E731
    assert rolling == [(stamp(f"2017-0{m}-01"), stamp(f"2017-0{m + 3}-01"),
                        stamp(f"2017-0{m + 4}-01")) for m in range(1, 5)]
    anchored = windows(index, "3M", "1M", anchored=True)
    assert [w[0] for w in anchored] == [stamp("2017-01-01")] * 4
    assert [w[1] for w in anchored] == [w[1] for w in rolling]
    with pytest.raises(ConfigError, match="`train` must be a count and a unit"):
        windows(index, "3 months", "1M", anchored=False)
    with pytest.raises(ConfigError, match="leaves no test window"):
        windows(index, "1Y", "1M", anchored=False)


def test_each_winner_is_the_search_on_its_window(walk):
    assert list(walk.windows["test_start"].dt.month) == [4, 5, 6, 7]
    for _, row in walk.windows.iterrows():
        alone = fxjudge.optimize(SAMPLE, "sma_cross", SPACE, costs={"spread_pips": 0.8},
                                 project=REPO, n_jobs=1, start=row["train_start"],
                                 end=row["test_start"])
        assert {k: alone.best["params"][k] for k in SPACE} == {k: row[k] for k in SPACE}
        assert row["is_objective"] == alone.best["objective"]
        assert row["trials"] == 4


def test_out_of_sample_trades_enter_only_in_their_window_and_equity_carries_over(walk):
    trades, equity = walk.result.trades, walk.result.equity["equity"]
    for _, row in walk.windows.iterrows():
        inside = trades[(trades["entry_time"] >= row["test_start"])
                        & (trades["entry_time"] < row["test_end"])]
        assert len(inside) == row["oos_trades"]
        assert (inside["exit_time"] < row["test_end"]).all()  # closed at the window's end
    assert len(trades) == walk.windows["oos_trades"].sum()
    assert equity.index.is_monotonic_increasing and equity.index[0] >= pd.Timestamp(
        "2017-04-01", tz=UTC)
    # the net of all trades is the change of equity: nothing lost between windows
    assert equity.iloc[-1] - 1_000_000 == pytest.approx(trades["net_account"].sum(), abs=1e-6)


def test_the_first_window_is_the_winner_run_with_entries_from_the_test_start(walk):
    row = walk.windows.iloc[0]
    params = {k: int(row[k]) for k in SPACE}
    warm = fxjudge.backtest(SAMPLE, "sma_cross", params=params, costs={"spread_pips": 0.8},
                            project=REPO, start="2017-03-01", end=row["test_end"])
    late = warm.trades[warm.trades["entry_time"] >= row["test_start"]]
    first = walk.result.trades[walk.result.trades["entry_time"] < row["test_end"]]
    # the same entries (the warm-up only decides what the indicators know on the first bar)
    assert list(first["entry_time"])[:5] == list(late["entry_time"])[:5]


def test_efficiency_stability_and_the_stitched_psr(walk):
    stats, _ = full_statistics(walk.result)
    mean_is = walk.windows["is_cagr_pct"].mean()
    expected = stats["cagr_pct"] / mean_is if mean_is > 0 else math.nan
    assert walk.efficiency == pytest.approx(expected) or (math.isnan(expected)
                                                          and math.isnan(walk.efficiency))
    assert walk.robustness["psr"] == pytest.approx(stats["psr"])
    assert walk.robustness["n_trials"] == 4
    stability = walk.stability.set_index("parameter")
    winners = walk.windows["fast_bars"]
    share = winners.value_counts().iloc[0] / len(winners)
    assert stability.loc["fast_bars", "most_common_share"] == share
    assert stability.loc["fast_bars", "coefficient_of_variation"] == pytest.approx(
        np.std(winners, ddof=1) / np.mean(winners))
    html = walk._repr_html_()
    assert "walk-forward over 4 windows" in html


def test_the_judged_walk_forward_holds_both_runs():
    judged = fxjudge.walk_forward_optimize(
        SAMPLE, "sma_cross", SPACE, train="3M", test="2M", judge="walk-forward",
        judge_options={"retrain": "monthly", "min_train": 20, "n_jobs": 1},
        params={"max_bars": 24}, **SETTINGS)
    result = judged.result
    assert isinstance(result, fxjudge.JudgedResult)
    assert len(result.without_judge.trades) == judged.windows["oos_trades"].sum()
    assert len(result.with_judge.trades) <= len(result.without_judge.trades)
    assert result.candidates.index.min() >= judged.windows["test_start"].iloc[0]
    assert result.candidates["probability"].notna().sum() > 10  # judged out of sample


def test_the_judge_needs_fixed_exit_rules():
    with pytest.raises(ConfigError, match="remove stop_loss_pips from the space"):
        fxjudge.walk_forward_optimize(SAMPLE, "sma_cross", {**SPACE, "stop_loss_pips": [10.0,
                                                                                      20.0]},
                                      judge="walk-forward", **SETTINGS)
