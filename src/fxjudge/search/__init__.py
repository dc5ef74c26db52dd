"""The search: many runs of one strategy, and how far to trust the best of them.

    import fxjudge
    search = fxjudge.optimize("data/sample/EURUSD_H1_2017_ASK.csv", "sma_cross",
                              {"fast_bars": range(5, 30, 5), "slow_bars": range(20, 80, 10)},
                              costs={"spread_pips": 0.8}, constraint="fast_bars < slow_bars")
    search.trials            # one row per configuration run
    search.best, search.best_result, search.dsr, search.pbo(), search.neighbourhood()
    search.heatmap("fast_bars", "slow_bars")

This package is the `optimize` stage of docs/architecture.md (named `search` because a package
``fxjudge.optimize`` would shadow the function of that name in the front door). It sits above
the API: it runs the same preparation and engine as
`fxjudge.backtest` once per trial (`trial`), shares the bars and the signals of equal
parameters, streams the trials to disk (`store`), runs them in local processes or on Dask
(`executor`), and computes the search's own honesty statistics (`result`; PBO in
`fxjudge.results.overfitting`). `walk_forward_optimize` re-optimises on rolling windows and
stitches the out-of-sample runs. Only this package imports optuna and dask.
"""

from fxjudge.search.optimize import optimize
from fxjudge.search.result import OptimizeResult

__all__ = ["OptimizeResult", "optimize"]
