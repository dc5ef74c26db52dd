"""`fxjudge.optimize` on the bundled sample: every trial is the backtest it claims to be, skipped
configurations are counted, signals are shared, and the methods are reproducible.

Searches here are small (three months of H1, a dozen trials): the engine behind them is the
same as `fxjudge.backtest`'s, and the tests hold the search to it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fxjudge
from fxjudge import ConfigError
from fxjudge.config import sample_path
from fxjudge.results.metrics import full_statistics, fx_daily_returns
from fxjudge.search import store
from fxjudge.signals.strategy import Strategy, entries
from tests.conftest import REPO

SAMPLE = sample_path()
COSTS = {"spread_pips": 0.8}
PERIOD = {"start": "2017-01-01", "end": "2017-04-01"}
GRID = {"fast_bars": [5, 10, 20], "slow_bars": [20, 40], "stop_loss_pips": [None, 30.0]}


def search(space=GRID, **options):
    settings = {"costs": COSTS, "project": REPO, "n_jobs": 1, **PERIOD, **options}
    return fxjudge.optimize(SAMPLE, "sma_cross", space, **settings)


@pytest.fixture(scope="module")
def grid():
    return search()


def test_every_trial_is_the_backtest_of_its_parameters(grid):
    trials = grid.trials
    assert len(trials) == 10 and list(trials["trial"]) == list(range(10))
    for trial in (0, 3, 9):
        row = trials.iloc[trial]
        params = grid.params_of(row)
        alone = fxjudge.backtest(SAMPLE, "sma_cross", params=params, costs=COSTS, project=REPO,
                                 **PERIOD)
        stats, _ = full_statistics(alone)
        for name in ("net_profit", "sharpe", "sharpe_daily", "trades", "max_drawdown_pct",
                     "psr", "sortino", "exposure_pct"):
            assert row[name] == stats[name] or (math.isnan(row[name]) and math.isnan(
                stats[name])), name
        assert row["objective"] == stats["sharpe"]
        daily = fx_daily_returns(alone.equity["equity"], start_value=1_000_000)
        np.testing.assert_array_equal(grid.returns([trial])[trial].to_numpy(), daily.to_numpy())
        assert list(grid.returns([trial]).index) == list(daily.index)


def test_invalid_combinations_are_skipped_and_counted(grid):
    """slow_bars 20 with fast_bars 20 is refused by SmaCross itself (slow must be > fast): the
    two such configurations (stop None and 30) are skipped, not errors."""
    assert grid.skipped == {"`slow_bars` must be > fast_bars (20), was 20": 2}
    constrained = search(constraint=lambda p: p["fast_bars"] * 4 <= p["slow_bars"])
    assert constrained.skipped == {"constraint": 6}  # the constraint is asked first
    assert len(constrained.trials) == 6
    assert set(zip(constrained.trials["fast_bars"], constrained.trials["slow_bars"],
                   strict=True)) == {(5, 20), (5, 40), (10, 40)}


def test_a_text_constraint_is_the_same_as_the_callable():
    text = search(constraint="fast_bars * 4 <= slow_bars")
    assert text.skipped == {"constraint": 6} and len(text.trials) == 6


def test_signals_are_computed_once_per_signal_parameters(grid):
    """Five (fast, slow) pairs run, each with two stops: five signal computations."""
    assert grid.signal_runs == 5
    pairs = list(zip(grid.trials["fast_bars"], grid.trials["slow_bars"], strict=True))
    assert pairs[0] == pairs[1] and pairs[2] == pairs[3]  # run next to each other


class MaxBarsInSignals(Strategy):
    """A strategy that (against the contract) uses an exit parameter in its signals."""

    @dataclasses.dataclass(frozen=True)
    class Params:
        """Every `max_bars`-th bar buys, unless max_bars is None."""

        max_bars: int | None = None
        on_opposite: str = "exit"

    @property
    def warmup_bars(self) -> int:
        return 1

    def features(self, bars):
        return pd.DataFrame(index=bars.index)

    def signals(self, bars, features):
        step = self.params.max_bars or 7
        position = np.arange(len(bars))
        buy = pd.Series((position % step) == 0, index=bars.index)
        return entries(buy, pd.Series(False, index=bars.index), self.warmup_bars)


def test_an_exit_parameter_that_moves_the_signals_is_found():
    found = fxjudge.optimize(SAMPLE, MaxBarsInSignals, {"max_bars": [5, 9]}, costs=COSTS,
                             n_jobs=1, start="2017-01-01", end="2017-02-01")
    assert any("`max_bars` changes MaxBarsInSignals's signals" in n for n in found.notes)
    assert found.signal_runs == 2
    plain = fxjudge.backtest(SAMPLE, MaxBarsInSignals, params={"max_bars": 9}, costs=COSTS,
                             start="2017-01-01", end="2017-02-01")
    assert found.trials.iloc[1]["trades"] == plain.stats["trades"]


def test_the_winner_is_rerun_and_records_the_search(grid):
    best = grid.best
    ranked = grid.trials.sort_values("objective", ascending=False)
    assert best["trial"] == int(ranked.iloc[0]["trial"])
    result = grid.best_result
    assert result.stats["sharpe"] == best["objective"]
    assert result.config["n_trials"] == 10
    variance = np.var(grid.trials["sharpe_daily"], ddof=1)
    assert result.config["trials_sr_variance"] == pytest.approx(variance, rel=1e-12)
    assert "ddof 1" in result.config["trials_sr_variance_source"]
    stats, _ = full_statistics(result, n_trials=10, trials_sr_variance=variance)
    assert grid.dsr["dsr"] == pytest.approx(stats["dsr"], rel=1e-12)
    assert grid.dsr["n_trials"] == 10


def test_minimising_picks_the_lowest(grid):
    low = search(objective="max_drawdown_pct", maximize=False)
    assert low.best["objective"] == grid.trials["max_drawdown_pct"].min()


def test_a_callable_objective_gets_the_backtest_result():
    def pips(result):
        return float(result.trades["pips"].sum())

    found = search({"fast_bars": [5, 10], "slow_bars": [40]}, objective=pips)
    np.testing.assert_allclose(found.trials["objective"], found.trials["total_pips"])
    assert "pips" in found.settings["objective"]


def test_random_search_is_reproducible_and_distinct():
    space = {"fast_bars": fxjudge.space.int(4, 12, step=2),
             "slow_bars": fxjudge.space.int(20, 60, step=20),
             "stop_loss_pips": fxjudge.space.float(10.0, 40.0)}
    first = search(space, method="random", n_trials=4, seed=3)
    again = search(space, method="random", n_trials=4, seed=3)
    other = search(space, method="random", n_trials=4, seed=4)
    assert len(first.trials) == 4
    pd.testing.assert_frame_equal(first.trials.drop(columns="seconds"),
                                  again.trials.drop(columns="seconds"))
    assert not first.trials["stop_loss_pips"].equals(other.trials["stop_loss_pips"])
    keys = set(zip(first.trials["fast_bars"], first.trials["slow_bars"],
                   first.trials["stop_loss_pips"], strict=True))
    assert len(keys) == 4 and all(s in (20, 40, 60) for _, s, _ in keys)
    assert (first.trials["seed"] == 3).all()


def test_random_search_of_a_small_space_runs_it_whole():
    found = search({"fast_bars": [5, 10], "slow_bars": [40]}, method="random", n_trials=5)
    assert len(found.trials) == 2
    assert any("2 distinct valid configurations of the 5" in n for n in found.notes)


def test_optuna_is_reproducible_across_processes():
    """TPE with a seed, asked in fixed rounds: one process and two loky processes give the
    same trials to the last digit."""
    space = {"fast_bars": fxjudge.space.int(3, 15), "slow_bars": fxjudge.space.int(20, 60, 10),
             "stop_loss_pips": fxjudge.space.choice(None, 20.0, 40.0)}
    one = search(space, method="optuna", n_trials=10, seed=1,
                 constraint="fast_bars < slow_bars")
    two = search(space, method="optuna", n_trials=10, seed=1, n_jobs=2,
                 constraint="fast_bars < slow_bars")
    assert len(one.trials) == 10
    pd.testing.assert_frame_equal(one.trials.drop(columns="seconds"),
                                  two.trials.drop(columns="seconds"), check_exact=True)


def test_trials_stream_to_disk_in_row_groups(monkeypatch, tmp_path):
    monkeypatch.setattr(store, "ROWS_PER_GROUP", 3)
    found = search(folder=tmp_path / "search")
    assert pq.ParquetFile(tmp_path / "search" / store.TRIALS_FILE).num_row_groups == 4
    returns = np.load(tmp_path / "search" / store.RETURNS_FILE, mmap_mode="r")
    assert returns.shape == (10, len(found.returns([0])))


def test_save_writes_the_table_returns_and_the_config(grid, tmp_path):
    import tomllib

    folder = grid.save(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == [
        "days.npy", "returns.npy", "search.toml", "summary.json", "trials.parquet"]
    config = tomllib.loads((folder / "search.toml").read_text())
    assert config["optimize"]["method"] == "grid"
    assert config["optimize"]["space"] == {"fast_bars": [5, 10, 20], "slow_bars": [20, 40],
                                           "stop_loss_pips": ["none", 30.0]}
    assert config["strategy"]["name"] == "sma_cross" and config["costs"]["spread_pips"] == 0.8
    pd.testing.assert_frame_equal(store.read_trials(folder), store.read_trials(grid.folder))


def test_a_temporary_search_folder_goes_with_its_result():
    import gc

    found = search({"fast_bars": [5, 10], "slow_bars": [40]})
    folder = found.folder
    assert folder.exists()
    del found
    gc.collect()
    assert not folder.exists()


def test_heatmap_takes_the_max_over_the_other_parameters(grid):
    figure = grid.heatmap("fast_bars", "slow_bars")
    heat = figure.data[0]
    assert list(heat.x) == ["5", "10", "20"] and list(heat.y) == ["20", "40"]
    trials = grid.trials
    best_5_40 = trials[(trials.fast_bars == 5) & (trials.slow_bars == 40)]["objective"].max()
    assert heat.z[1][0] == best_5_40
    assert math.isnan(heat.z[0][2])  # (20, 20) was skipped
    assert "max over stop_loss_pips" in figure.layout.title.text
    mean = grid.heatmap("fast_bars", "slow_bars", stat="trades", agg="mean")
    assert "mean over stop_loss_pips" in mean.layout.title.text
    lowest = search(objective="max_drawdown_pct", maximize=False)
    assert "min over stop_loss_pips" in lowest.heatmap("fast_bars", "slow_bars").layout.title.text
    with pytest.raises(ConfigError, match="did you mean `max`"):
        grid.heatmap("fast_bars", "slow_bars", agg="maxx")


def test_neighbourhood_of_the_grid_winner(grid):
    table = grid.neighbourhood().set_index("parameter")
    best = grid.best["params"]
    trials = grid.trials
    if best["fast_bars"] == 5:
        above = trials[(trials.fast_bars == 10) & (trials.slow_bars == best["slow_bars"])
                       & (trials.stop_loss_pips == best["stop_loss_pips"])]["objective"]
        assert table.loc["fast_bars", "above_objective"] == above.iloc[0]
        assert math.isnan(table.loc["fast_bars", "below_objective"])
    assert set(table.index) == {"fast_bars", "slow_bars", "stop_loss_pips"}


def test_notebook_view_shows_the_winner_and_the_dsr(grid):
    html = grid._repr_html_()
    assert "grid search of 10 configurations (2 skipped)" in html and "DSR over 10" in html


@pytest.mark.parametrize("kwargs, words", [
    ({"space": {"fast_bar": [5, 10]}}, "did you mean `fast_bars`?"),
    ({"objective": "sharp"}, "did you mean `sharpe`?"),
    ({"method": "gird"}, "did you mean `grid`?"),
    ({"space": {"stop_loss_pips": fxjudge.space.float(5.0, 50.0)}},
     "no grid; give it a step, or use method='random' or 'optuna'"),
    ({"n_trials": 5}, "`n_trials` is for method='random' or 'optuna'"),
    ({"method": "random"}, "`n_trials` must be an int >= 1 for method='random', was None"),
    ({"space": {"fast_bars": 5}}, "`space` searches nothing"),
    ({"space": {"fast_bars": [30, 40], "slow_bars": [20]}}, "no configuration of the space"),
    ({"constraint": "fast_bars < slow"}, "unknown parameter in `constraint` `slow`"),
    ({"constraint": "__import__('os')"}, "Call is not allowed"),
    ({"sizing": {"lots": 1, "by_probability": True}}, "the search runs without a judge"),
])
def test_bad_settings_name_the_parameter(kwargs, words):
    options = {"space": GRID, **kwargs}
    with pytest.raises(ConfigError) as error:
        search(options.pop("space"), **options)
    assert words in str(error.value)


def test_space_text_round_trips():
    from fxjudge.search import space

    assert space.parse("x", "5:50:5") == space.int(5, 50, step=5)
    assert space.parse("x", "0.5:3.0:0.5").grid() == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert space.parse("x", "1:100:log") == space.IntRange(1, 100, 1, True)
    assert space.parse("x", "exit,reverse") == space.choice("exit", "reverse")
    assert space.parse("x", ["none", 10.0]).options == (None, 10.0)
    for dim in (space.int(5, 50, step=5), space.float(0.5, 3.0), space.float(1.0, 9.0,
                                                                             step=0.5),
                space.choice(None, 20.0), space.float(0.1, 10.0, log=True)):
        assert space.parse("x", space.text(dim)) == dim
    with pytest.raises(ConfigError, match="`x` range must look like low:high"):
        space.parse("x", "5:x")


@pytest.mark.parametrize("capacity", [5, 10**70])  # the second: the final header is shorter
def test_the_returns_file_holds_the_trials_run(tmp_path, capacity):
    days = pd.date_range("2017-01-02 22:00", periods=4, freq="D", tz="UTC")
    names = ["sharpe"]
    trials = store.TrialStore(tmp_path, days, capacity, store.schema({"x": [1, 2]}, names))
    for trial in range(3):
        trials.add(trial, {"trial": trial, "x": 1, "sharpe": 0.5, "objective": 0.5, "seed": 0,
                           "seconds": 0.0}, np.arange(4.0) + 10 * trial)
    assert trials.close() == 3
    returns, read_days = store.read_returns(tmp_path)
    np.testing.assert_array_equal(returns, [np.arange(4.0) + 10 * t for t in range(3)])
    assert read_days.equals(days.rename("day"))
    assert len(store.read_trials(tmp_path)) == 3
