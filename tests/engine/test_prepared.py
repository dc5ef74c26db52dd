"""`prepare` + `simulate_prepared` (the bars priced once, as a search's trials share them) give
what `simulate` gives, run after run."""

import pandas as pd
import pytest

from fxjudge.config import sample_path
from fxjudge.data.load import load_bars
from fxjudge.engine import Account, Costs, Sizing, prepare, simulate, simulate_prepared
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals
from tests.conftest import REPO


@pytest.mark.parametrize("engine", ["compiled", "backtrader"])
def test_one_preparation_serves_many_runs(engine):
    bars = load_bars(sample_path()).iloc[:1500]
    costs, account = Costs(spread_pips=0.8, commission_per_lot=30), Account()
    prepared = prepare(bars, pair="EURUSD", costs=costs, account=account)
    for fast, stop in ((5, None), (12, 20.0)):
        strategy = load_strategy("sma_cross", {"fast_bars": fast, "stop_loss_pips": stop},
                                 project=REPO)
        _, signals = run_signals(strategy, bars)
        rules: ExitRules = strategy.exit_rules
        levels = exit_levels(bars, signals, rules, "EURUSD")
        alone = simulate(bars, signals, levels, pair="EURUSD", rules=rules, costs=costs,
                         account=account, sizing=Sizing(lots=1), engine=engine)
        shared = simulate_prepared(prepared, signals, levels, rules=rules, sizing=Sizing(lots=1),
                                   engine=engine)
        pd.testing.assert_frame_equal(alone.trades, shared.trades, check_exact=True)
        pd.testing.assert_frame_equal(alone.equity, shared.equity, check_exact=True)
        assert alone.notes == shared.notes
