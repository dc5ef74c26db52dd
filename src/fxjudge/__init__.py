"""fxjudge: an FX trading-signal backtester with an AI judgment."""
