"""fxjudge: an FX trading-signal backtester with an AI judgment.

The front door: everything a user needs is imported from here.

>>> import fxjudge
>>> bars = fxjudge.load_bars("data/sample/EURUSD_H1_2017_ASK.csv")  # doctest: +SKIP
>>> result = fxjudge.backtest(bars, "bollinger_reversion", costs={"spread_pips": 0.8},
...                           judge="walk-forward")  # doctest: +SKIP
"""

from fxjudge.api import backtest, train_judge
from fxjudge.data.bars import check_bars
from fxjudge.data.load import load_bars, load_ticks, read_file
from fxjudge.data.quality import DataReport, Policy
from fxjudge.data.resample import resample
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.domain import FxPair
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.errors import ConfigError, DataError, FxJudgeError, ModelError, StrategyError
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult
from fxjudge.signals.exits import ExitRules
from fxjudge.signals.strategy import Strategy

__all__ = [
    "Account",
    "BacktestResult",
    "Costs",
    "ExitRules",
    "JudgedResult",
    "Sizing",
    "Strategy",
    "backtest",
    "train_judge",
    "ConfigError",
    "DataError",
    "DataReport",
    "FxJudgeError",
    "FxPair",
    "ModelError",
    "PlantedEdge",
    "Policy",
    "StrategyError",
    "check_bars",
    "load_bars",
    "load_ticks",
    "read_file",
    "resample",
    "synthetic_bars",
]
