"""fxjudge: an FX trading-signal backtester with an AI judgment.

The front door: everything a user needs is imported from here.

>>> from fxjudge import load_bars, resample
>>> bars = load_bars("data/sample/EURUSD_H1_2017_ASK.csv")  # doctest: +SKIP
"""

from fxjudge.data.bars import check_bars
from fxjudge.data.load import load_bars, load_ticks, read_file
from fxjudge.data.quality import DataReport, Policy
from fxjudge.data.resample import resample
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError, FxJudgeError, ModelError, StrategyError

__all__ = [
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
