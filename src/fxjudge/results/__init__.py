"""The results stage: trades and equity become statistics and a `BacktestResult`."""
