"""`fxjudge.optimize` over a portfolio: every trial is the `backtest_portfolio` it claims to be,
with the space shared by the legs or per leg, its statistics the account's; the same grid on
one process and two, from the command line, and bad input in one line.

Two synthetic H1 legs (EURUSD and GBPUSD, fixed seeds) in one USD account: no conversion.
"""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

import fxjudge
from fxjudge.cli import main
from fxjudge.data.synthetic import synthetic_bars
from fxjudge.errors import ConfigError
from fxjudge.results import metrics
from fxjudge.results.portfolio import PortfolioBacktest
from fxjudge.search.portfolio_trial import leg_params
from fxjudge.search.store import read_trials

ACCOUNT = {"currency": "USD", "balance": 20_000.0, "leverage": 25.0}
COSTS = {"slippage_pips": 0.2}
SHARED = {"fast_bars": [5, 10], "slow_bars": [20, 40]}
PER_LEG = {"EURUSD.fast_bars": [5, 10], "GBPUSD.fast_bars": [5, 8], "slow_bars": 30}
BARS = 2_000


@pytest.fixture(scope="module")
def legs():
    return [{"data": synthetic_bars("EURUSD", n_bars=BARS, timeframe="H1", seed=11)},
            {"data": synthetic_bars("GBPUSD", n_bars=BARS, timeframe="H1", seed=12),
             "sizing": {"lots": 2}}]


def _search(legs, space, **options):
    return fxjudge.optimize(legs, "sma_cross", space, costs=COSTS, account=ACCOUNT,
                            **{"n_jobs": 1, **options})


@pytest.mark.parametrize("space", [SHARED, PER_LEG], ids=["shared", "per leg"])
def test_every_trial_is_the_portfolio_backtest_of_its_parameters(legs, space):
    search = _search(legs, space)
    assert len(search.trials) == 4
    for _, row in search.trials.iterrows():
        chosen = search.params_of(row)
        run = fxjudge.backtest_portfolio(
            [{**leg, "pair": leg["data"].attrs["pair"],
              "params": leg_params(leg["data"].attrs["pair"], {}, chosen)} for leg in legs],
            strategy="sma_cross", costs=COSTS, account=ACCOUNT)
        assert row["objective"] == pytest.approx(run.stats["sharpe"], rel=1e-12)
        assert row["net_profit"] == pytest.approx(run.stats["net_profit"], rel=1e-12)
        assert row["trades"] == len(run.account.trades)
        daily = metrics.fx_daily_returns(run.account.equity["equity"],
                                         start_value=ACCOUNT["balance"])
        assert search.returns([int(row["trial"])])[int(row["trial"])].to_numpy() == \
            pytest.approx(daily.to_numpy(), rel=1e-12, abs=1e-15)
    if space is PER_LEG:  # the legs really ran apart
        eurusd_fast = search.trials["EURUSD.fast_bars"]
        gbpusd_fast = search.trials["GBPUSD.fast_bars"]
        assert set(zip(eurusd_fast, gbpusd_fast, strict=True)) == {(5, 5), (5, 8), (10, 5),
                                                                   (10, 8)}


def test_the_winner_is_rerun_as_a_portfolio_that_counts_the_trials(legs):
    search = _search(legs, PER_LEG)
    best = search.best_result
    assert isinstance(best, PortfolioBacktest)
    assert best.stats["sharpe"] == pytest.approx(search.best["objective"], rel=1e-12)
    assert best.account.config["n_trials"] == 4
    assert best.account.config["trials_sr_variance"] == pytest.approx(
        search.trials["sharpe_daily"].var(ddof=1))
    described = {leg["pair"]: leg["params"] for leg in best.account.config["legs"]}
    for pair in ("EURUSD", "GBPUSD"):
        assert described[pair]["fast_bars"] == search.best["params"][f"{pair}.fast_bars"]
        assert described[pair]["slow_bars"] == 30
    assert search.dsr["n_trials"] == 4
    looked = [note for note in search.notes if "look-ahead check" in note]
    assert [note.split(":")[0] for note in looked] == ["EURUSD", "GBPUSD"]


def test_random_without_the_look_ahead_check_says_so_in_the_winner_too(legs):
    search = _search(legs, PER_LEG, method="random", n_trials=3, seed=4,
                     lookahead_check=False)
    assert len(search.trials) == 3 and search.notes[0] == fxjudge.api.LOOKAHEAD_OFF
    best = search.best_result
    assert best.account.config["lookahead_check"] is False
    assert best.account.notes[0] == fxjudge.api.LOOKAHEAD_OFF


def test_two_processes_give_the_same_trials(legs):
    one = _search(legs, SHARED).trials.drop(columns="seconds")
    two = _search(legs, SHARED, n_jobs=2).trials.drop(columns="seconds")
    pd.testing.assert_frame_equal(one, two)


@pytest.fixture(scope="module")
def leg_files(legs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("portfolio-search")
    paths = []
    for leg in legs:
        path = folder / f"{leg['data'].attrs['pair']}_H1.csv"
        leg["data"].to_csv(path)
        paths.append(path)
    return folder, paths


def test_the_command_line_searches_legs_of_a_run_file(leg_files, legs, capsys):
    folder, (eurusd, gbpusd) = leg_files
    run_file = folder / "run.toml"
    run_file.write_text(f"""
[strategy]
name = "sma_cross"

[costs]
slippage_pips = 0.2

[account]
currency = "USD"
balance = 20000.0
leverage = 25.0

[[legs]]
source = "{eurusd.as_posix()}"
pair = "EURUSD"

[[legs]]
source = "{gbpusd.as_posix()}"
pair = "GBPUSD"
sizing = {{ lots = 2 }}
""")
    project = ["--project-dir", str(folder)]
    assert main([*project, "optimize", "--config", str(run_file), "--range",
                 "EURUSD.fast_bars=5:10:5", "--range", "GBPUSD.fast_bars=5,8", "--range",
                 "slow_bars=30", "--jobs", "1"]) == 0
    assert "DSR over 4 trials" in capsys.readouterr().out
    [run] = [p for p in (folder / "reports").iterdir() if p.name.startswith("optimize")
             or "optimize" in p.name]
    assert (run / "best" / "portfolio.parquet").exists()
    assert (run / "best" / "report.html").exists()
    page = (run / "optimize.html").read_text()
    assert "portfolio EURUSD, GBPUSD" in page
    api = _search(legs, PER_LEG).trials.drop(columns="seconds")
    pd.testing.assert_frame_equal(read_trials(run).drop(columns="seconds"), api)
    config = tomllib.loads((run / "search.toml").read_text())
    assert [leg["pair"] for leg in config["legs"]] == ["EURUSD", "GBPUSD"]
    assert main([*project, "optimize", "--config", str(run / "search.toml"),
                 "--jobs", "1"]) == 0
    again = sorted(p for p in (folder / "reports").iterdir() if p.is_dir() and p != run)
    pd.testing.assert_frame_equal(read_trials(again[-1]).drop(columns="seconds"), api)


@pytest.mark.parametrize("space, words", [
    ({"USDJPY.fast_bars": [5, 10]}, "`USDJPY.fast_bars` names the leg USDJPY, which is not in "
                                    "the portfolio (EURUSD, GBPUSD)"),
    ({"fast_bars": [5, 10], "EURUSD.fast_bars": [5, 8]}, "searched for every leg and per leg"),
    ({"EURUSD.fast_bar": [5, 10]}, "did you mean `fast_bars`?"),
])
def test_a_bad_portfolio_space_says_what_to_fix(legs, space, words):
    with pytest.raises(ConfigError, match=None) as raised:
        _search(legs, space)
    assert words in str(raised.value)


def test_bad_portfolio_search_input_is_one_line_and_exit_2(leg_files, capsys):
    folder, (eurusd, _) = leg_files
    run_file = folder / "bad.toml"
    run_file.write_text(f'[[legs]]\nsource = "{eurusd.as_posix()}"\npair = "EURUSD"\n')
    project = ["--project-dir", str(folder)]
    for extra, words in (
            (["--range", "GBPUSD.fast_bars=5:10:5"], "names the leg GBPUSD, which is not in "
                                                     "the portfolio (EURUSD)"),
            (["--range", "fast_bars=5:10:5", "--walk-forward", "1M/1M"],
             "`--walk-forward` searches one pair")):
        assert main([*project, "optimize", "--config", str(run_file), "--strategy",
                     "sma_cross", "--jobs", "1", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert words in err and len(err.splitlines()) == 1, err
