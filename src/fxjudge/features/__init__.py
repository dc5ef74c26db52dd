"""The features stage: causal indicators on bars (docs/strategies.md: the look-ahead rule).

`indicators` is the whitelist strategies and the judge compute indicators through; it is the only
module of fxjudge that imports `ta`. `truncation` holds the lookahead check every feature, signal
and probability must pass.
"""
