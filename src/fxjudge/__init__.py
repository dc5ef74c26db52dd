"""fxjudge: an FX trading-signal backtester with an AI judgment.

The front door: everything a user needs is imported from here.

>>> import fxjudge
>>> bars = fxjudge.load_bars(fxjudge.sample_path())  # doctest: +SKIP
>>> result = fxjudge.backtest(bars, "bollinger_reversion", costs={"spread_pips": 0.8},
...                           judge="walk-forward")  # doctest: +SKIP
>>> result.plot()                                   # doctest: +SKIP
>>> fxjudge.report(result, "bollinger.html", lang="ja")  # doctest: +SKIP

The names are imported when first used (PEP 562), so that ``import fxjudge`` and commands that
need no judge (``fxjudge --help``, ``fxjudge data list``) never pay for scikit-learn or scipy.
"""

from __future__ import annotations

import importlib

#: Each public name and the module it lives in.
_EXPORTS = {
    "backtest": "fxjudge.api",
    "backtest_portfolio": "fxjudge.api",
    "train_judge": "fxjudge.api",
    "sample_path": "fxjudge.config",
    "check_bars": "fxjudge.data.bars",
    "download": "fxjudge.data.download",
    "import_download": "fxjudge.data.download",
    "load_bars": "fxjudge.data.load",
    "load_ticks": "fxjudge.data.load",
    "read_file": "fxjudge.data.load",
    "DataReport": "fxjudge.data.quality",
    "Policy": "fxjudge.data.quality",
    "resample": "fxjudge.data.resample",
    "PlantedEdge": "fxjudge.data.synthetic",
    "synthetic_bars": "fxjudge.data.synthetic",
    "FxPair": "fxjudge.domain",
    "Account": "fxjudge.engine.costs",
    "Costs": "fxjudge.engine.costs",
    "Sizing": "fxjudge.engine.costs",
    "ConfigError": "fxjudge.errors",
    "DataError": "fxjudge.errors",
    "FxJudgeError": "fxjudge.errors",
    "ModelError": "fxjudge.errors",
    "StrategyError": "fxjudge.errors",
    "JudgedResult": "fxjudge.results.judged",
    "OptimizeResult": "fxjudge.search.result",
    "optimize": "fxjudge.search.optimize",
    "WalkForwardResult": "fxjudge.search.walkforward",
    "walk_forward_optimize": "fxjudge.search.walkforward",
    "BacktestResult": "fxjudge.results.result",
    "PBOResult": "fxjudge.results.overfitting",
    "pbo": "fxjudge.results.overfitting",
    "ExitRules": "fxjudge.signals.exits",
    "Strategy": "fxjudge.signals.strategy",
}

#: Public names that are modules: ``fxjudge.space.int(5, 50, step=5)`` draws a search space,
#: ``fxjudge.report(result, path, lang="ja")`` writes a report.
_MODULES = {"space": "fxjudge.search.space", "report": "fxjudge.report"}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    """Import a public name from its module the first time it is used."""
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fxjudge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
