"""Performance and overfitting statistics: pure functions of returns, trades and equity.

Conventions (also printed in reports):

- Returns for Sharpe and Sortino are **daily** returns of account equity on the **FX day**, which
  ends at 17:00 New York (`fx_daily_returns`); `periods_per_year` is always explicit (252 trading
  days by default in the callers, never guessed from the data). Sharpe uses the sample standard
  deviation (ddof=1) and a zero risk-free rate; Sortino divides the annualised mean excess return
  over `mar` by the downside risk ``sqrt(mean(min(r - mar, 0)^2)) * sqrt(periods_per_year)``
  (the empyrical convention). NaN returns are ignored.
- PSR, DSR and MinTRL take the **per-period** Sharpe ratio (not annualised: feeding an annualised
  one is a classic bug) and the raw kurtosis (3 for a normal distribution), following Bailey and
  López de Prado (2012, 2014).
- Undefined is NaN, never a sentinel; `undefined_reason` says why a value is NaN.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def fx_daily_returns(equity: pd.Series, start_value: float | None = None) -> pd.Series:
    """Daily returns of `equity` (UTC-indexed) on the FX day ending 17:00 New York.

    Each FX day's return compares its last equity value with the previous day's last value
    (with `start_value`, or the first equity value, before the first day).
    """
    from fxjudge.data.resample import bucket_starts
    from fxjudge.data.bars import timeframe

    if len(equity) == 0:
        return pd.Series(dtype=float)
    days = bucket_starts(pd.DatetimeIndex(equity.index), timeframe("D1"))
    closes = equity.groupby(days).last()
    base = equity.iloc[0] if start_value is None else start_value
    previous = np.r_[base, closes.to_numpy()[:-1]]
    return pd.Series(closes.to_numpy() / previous - 1.0, index=closes.index, name="return")


def _clean(returns) -> np.ndarray:
    values = np.asarray(returns, dtype=float)
    return values[~np.isnan(values)]


def sharpe_ratio(returns, periods_per_year: float) -> float:
    """Annualised Sharpe ratio: mean / sample std × sqrt(periods_per_year); NaN if undefined."""
    r = _clean(returns)
    if len(r) < 2 or np.std(r, ddof=1) == 0:
        return math.nan
    return float(np.mean(r) / np.std(r, ddof=1) * math.sqrt(periods_per_year))


def downside_risk(returns, periods_per_year: float, mar: float = 0.0) -> float:
    """Annualised downside deviation below `mar` (empyrical's definition)."""
    r = _clean(returns)
    if len(r) == 0:
        return math.nan
    below = np.minimum(r - mar, 0.0)
    return float(math.sqrt(np.mean(below**2)) * math.sqrt(periods_per_year))


def sortino_ratio(returns, periods_per_year: float, mar: float = 0.0) -> float:
    """Annualised mean excess return over `mar` divided by the downside risk.

    +inf when there is no downside at all and the mean excess return is positive.
    """
    r = _clean(returns)
    if len(r) == 0:
        return math.nan
    mean = float(np.mean(r - mar)) * periods_per_year
    risk = downside_risk(r, periods_per_year, mar)
    if risk == 0:
        return math.inf if mean > 0 else math.nan
    return mean / risk


def max_drawdown(equity: pd.Series) -> tuple[float, float]:
    """Largest peak-to-trough fall of `equity`: (fraction of the peak, money)."""
    values = np.asarray(equity, dtype=float)
    if len(values) == 0:
        return math.nan, math.nan
    peaks = np.maximum.accumulate(values)
    falls = peaks - values
    i = int(np.argmax(falls / peaks))
    return float(falls[i] / peaks[i]), float(falls.max())


def profit_factor(pnl) -> float:
    """Gross profit / gross loss; NaN without losing trades (see `undefined_reason`)."""
    values = _clean(pnl)
    loss = -values[values < 0].sum()
    return float(values[values > 0].sum() / loss) if loss > 0 else math.nan


def win_rate(pnl) -> float:
    """Fraction of trades with a positive result; NaN without trades."""
    values = _clean(pnl)
    return float(np.mean(values > 0)) if len(values) else math.nan


def expectancy(values) -> float:
    """Mean result per trade (in the unit of `values`); NaN without trades."""
    values = _clean(values)
    return float(np.mean(values)) if len(values) else math.nan


def probabilistic_sharpe_ratio(
    sr: float, sr_star: float, t: int, skew: float, kurt: float
) -> float:
    """PSR: probability that the true per-period Sharpe exceeds `sr_star`, given `t` returns."""
    variance = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    if t < 2 or variance <= 0:
        return math.nan
    return _NORMAL.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(variance))


def expected_max_sharpe(n_trials: int) -> float:
    """Expected maximum of `n_trials` independent standard normals (the False Strategy Theorem)."""
    if n_trials < 2:
        return 0.0
    return (1 - EULER_GAMMA) * _NORMAL.inv_cdf(1 - 1 / n_trials) + EULER_GAMMA * _NORMAL.inv_cdf(
        1 - 1 / (n_trials * math.e)
    )


def deflated_sharpe_ratio(
    sr: float, trials_sr_variance: float, n_trials: int, t: int, skew: float, kurt: float
) -> tuple[float, float]:
    """DSR and its benchmark SR0: PSR against the best Sharpe expected by luck among trials.

    `sr` and `trials_sr_variance` are per period (variance of the trials' per-period Sharpes).
    """
    sr0 = math.sqrt(trials_sr_variance) * expected_max_sharpe(n_trials)
    return probabilistic_sharpe_ratio(sr, sr0, t, skew, kurt), sr0


def min_track_record_length(
    sr: float, sr_star: float, skew: float, kurt: float, alpha: float = 0.05
) -> float:
    """MinTRL in periods: returns needed for PSR(sr_star) >= 1 − alpha; NaN when sr <= sr_star."""
    if sr <= sr_star:
        return math.nan
    z = _NORMAL.inv_cdf(1 - alpha)
    return 1 + (1 - skew * sr + (kurt - 1) / 4 * sr**2) * (z / (sr - sr_star)) ** 2


def min_backtest_length_years(n_trials: int, target_annual_sr: float) -> float:
    """MinBTL: years of data below which `n_trials` tries likely find `target_annual_sr` by luck."""
    return (expected_max_sharpe(n_trials) / target_annual_sr) ** 2


def moments(returns) -> tuple[float, float]:
    """Skewness and raw (non-excess) kurtosis of `returns`, population moments."""
    r = _clean(returns)
    if len(r) < 3 or np.std(r) == 0:
        return math.nan, math.nan
    centred = r - r.mean()
    sd = np.sqrt(np.mean(centred**2))
    return float(np.mean(centred**3) / sd**3), float(np.mean(centred**4) / sd**4)
