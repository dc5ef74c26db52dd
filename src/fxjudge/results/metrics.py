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
- DSR's variance of the trials' Sharpe ratios is the **sample** variance (``ddof=1``,
  `TRIALS_SR_DDOF`) of their per-period Sharpes: the trials are a sample of what the search
  could have tried, and ddof 1 is the unbiased estimate of that spread (and the cautious one: it
  deflates more than ddof 0). Without the trials' Sharpes the variance is *assumed*: see
  `full_statistics`.
- Undefined is NaN, never a sentinel; `undefined_reason` says why a value is NaN.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from fxjudge.data.bars import timeframe
from fxjudge.data.resample import bucket_starts
from fxjudge.results import drawdowns

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def fx_daily_returns(equity: pd.Series, start_value: float | None = None) -> pd.Series:
    """Daily returns of `equity` (UTC-indexed) on the FX day ending 17:00 New York.

    Each FX day's return compares its last equity value with the previous day's last value
    (with `start_value`, or the first equity value, before the first day).
    """
    if len(equity) == 0:
        return pd.Series(dtype=float)
    days = bucket_starts(pd.DatetimeIndex(equity.index), timeframe("D1"))
    closes = equity.groupby(days).last()
    base = equity.iloc[0] if start_value is None else start_value
    previous = np.r_[base, closes.to_numpy()[:-1]]
    return pd.Series(closes.to_numpy() / previous - 1.0, index=closes.index, name="return")


def fx_day_ends(index: pd.DatetimeIndex) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The FX days of a time-ordered UTC `index` (their starts) and the position in `index` of
    each day's last time: what `fx_daily_returns` groups by, computed once for many curves."""
    if len(index) == 0:
        return pd.DatetimeIndex([], tz="UTC"), np.array([], dtype=np.int64)
    days = bucket_starts(pd.DatetimeIndex(index), timeframe("D1"))
    codes = days.asi8
    ends = np.r_[np.flatnonzero(codes[1:] != codes[:-1]), len(codes) - 1]
    return days[ends], ends


def daily_returns_at(values: np.ndarray, ends: np.ndarray, start_value: float) -> np.ndarray:
    """`fx_daily_returns` of the equity `values` on a time-ordered index whose FX days end at
    positions `ends` (`fx_day_ends`): each day's last value over the previous day's."""
    closes = np.asarray(values, dtype=float)[ends]
    return closes / np.r_[start_value, closes[:-1]] - 1.0


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


def max_drawdown(equity: pd.Series, start: float | None = None) -> tuple[float, float]:
    """Largest peak-to-trough fall of `equity`, preceded by `start` if given (the initial
    balance): (fraction of the peak, money)."""
    values = np.ascontiguousarray(equity, dtype=float)
    if start is None and len(values) == 0:
        return math.nan, math.nan
    first = float(start) if start is not None else float(values[0])
    money, _, fall, peak = drawdowns.falls(values, first)
    return float(fall / peak), float(money)


def tester_drawdowns(equity, initial: float) -> dict[str, float]:
    """MetaTrader's three drawdowns of `equity` (starting from the `initial` balance), in money
    and percent of the peak they fall from.

    ``absolute_drawdown``: the initial balance less the lowest equity below it (0 if never
    below). ``max_drawdown_money`` and ``maximal_drawdown_pct``: the largest fall from a peak in
    money, and that fall in percent of its peak. ``max_drawdown_pct`` and
    ``relative_drawdown_money``: the largest fall in percent of its peak, and that fall in
    money. The largest fall in money and the largest in percent can be different falls.
    """
    values = np.ascontiguousarray(equity, dtype=float)
    money, money_peak, relative, relative_peak = drawdowns.falls(values, float(initial))
    lowest = min(initial, values.min()) if len(values) else initial
    return {"absolute_drawdown": float(max(0.0, initial - lowest)),
            "max_drawdown_money": float(money),
            "maximal_drawdown_pct": float(money / money_peak * 100),
            "max_drawdown_pct": float(relative / relative_peak * 100),
            "relative_drawdown_money": float(relative)}


def side_statistics(trades: pd.DataFrame) -> dict[str, float]:
    """Gross profit and loss (net results summed over winners and losers, in the account
    currency; the loss <= 0), and per side (long +1, short -1): trades, win rate and net."""
    net = trades["net_account"].to_numpy(dtype=float) if len(trades) else np.array([])
    sides = trades["side"].to_numpy() if len(trades) else np.array([])
    out = {"gross_profit": float(net[net > 0].sum()), "gross_loss": float(net[net < 0].sum())}
    for name, value in (("long", 1), ("short", -1)):
        mine = net[sides == value]
        out |= {f"{name}_trades": float(len(mine)), f"{name}_win_rate": win_rate(mine),
                f"{name}_net": float(mine.sum())}
    return out


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


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of an AUC from `n_positive` wins and `n_negative` losses.

    Hanley and McNeil (1982), Radiology 143:29-36, eq. 2: with Q1 = A/(2-A) and
    Q2 = 2A^2/(1+A), SE^2 = (A(1-A) + (n1-1)(Q1-A^2) + (n0-1)(Q2-A^2)) / (n1 n0). NaN when
    the AUC is undefined (NaN, or no wins or no losses).
    """
    if not math.isfinite(auc) or n_positive < 1 or n_negative < 1:
        return math.nan
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2)
                + (n_negative - 1) * (q2 - auc**2)) / (n_positive * n_negative)
    return math.sqrt(max(variance, 0.0))


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


#: ddof of the variance of the trials' per-period Sharpe ratios in the DSR (see the docstring).
TRIALS_SR_DDOF = 1


def trials_sr_variance(sharpes, ddof: int = TRIALS_SR_DDOF) -> float:
    """Variance of the trials' per-period Sharpe ratios (NaN ones ignored), ddof 1 by default.

    NaN with fewer than ``ddof + 1`` finite Sharpes (one trial has no spread to measure).
    """
    values = _clean(sharpes)
    values = values[np.isfinite(values)]
    if len(values) <= ddof:
        return math.nan
    return float(np.var(values, ddof=ddof))


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


# --- Trade and equity statistics of the report (issue 5). Money is the account currency. ---

SECONDS_PER_YEAR = 365.25 * 86_400


def span_years(index: pd.DatetimeIndex) -> float:
    """Calendar years from the first to the last time of `index` (365.25-day years)."""
    if len(index) < 2:
        return math.nan
    return (index[-1] - index[0]).total_seconds() / SECONDS_PER_YEAR


def cagr(initial: float, final: float, years: float) -> float:
    """Compound annual growth rate ``(final / initial) ** (1 / years) - 1``, a fraction.

    `years` is the calendar span of the equity curve. NaN when it is not positive, or when the
    equity ended at or below zero (a growth rate of a wiped-out account is not defined).
    """
    if not years > 0 or not initial > 0 or not final > 0:
        return math.nan
    return (final / initial) ** (1.0 / years) - 1.0


def calmar_ratio(cagr_fraction: float, max_drawdown_fraction: float) -> float:
    """CAGR / max drawdown (both fractions) over the whole run (not the classic 36 months).

    NaN when there was no drawdown.
    """
    if not max_drawdown_fraction > 0:
        return math.nan
    return cagr_fraction / max_drawdown_fraction


def max_drawdown_duration(equity: pd.Series) -> float:
    """Longest time under water, in days: from a peak to the first time equity is back at it.

    A drawdown not recovered by the end lasts until the last time of `equity`. 0 without any
    drawdown; NaN for an empty series. Time is the index's (UTC), so weekends count.
    """
    if len(equity) == 0:
        return math.nan
    values = np.ascontiguousarray(equity, dtype=float)
    times = np.ascontiguousarray(pd.DatetimeIndex(equity.index).as_unit("ns").asi8)
    return int(drawdowns.longest_under_water_ns(values, times)) / 86_400e9


def recovery_factor(net_profit: float, max_drawdown_money: float) -> float:
    """Net profit / max drawdown in money; NaN when there was no drawdown."""
    return net_profit / max_drawdown_money if max_drawdown_money > 0 else math.nan


def average_win(pnl) -> float:
    """Mean result of the winning trades (> 0); NaN without one."""
    values = _clean(pnl)
    wins = values[values > 0]
    return float(wins.mean()) if len(wins) else math.nan


def average_loss(pnl) -> float:
    """Mean result of the losing trades (< 0), a negative number; NaN without one."""
    values = _clean(pnl)
    losses = values[values < 0]
    return float(losses.mean()) if len(losses) else math.nan


def payoff_ratio(pnl) -> float:
    """Average win / |average loss|; NaN without a win or without a loss."""
    win, loss = average_win(pnl), average_loss(pnl)
    return win / -loss if not (math.isnan(win) or math.isnan(loss)) else math.nan


def largest_win(pnl) -> float:
    """Best trade's result when positive; NaN without a winning trade."""
    values = _clean(pnl)
    return float(values.max()) if (values > 0).any() else math.nan


def largest_loss(pnl) -> float:
    """Worst trade's result when negative (a negative number); NaN without a losing trade."""
    values = _clean(pnl)
    return float(values.min()) if (values < 0).any() else math.nan


def max_consecutive(pnl, losses: bool = True) -> float:
    """Longest run of losing (< 0) trades, or of winning (> 0) ones; a zero breaks a run.

    0 when there is none; NaN without trades.
    """
    values = _clean(pnl)
    if len(values) == 0:
        return math.nan
    hit = values < 0 if losses else values > 0
    if not hit.any():
        return 0.0
    edges = np.flatnonzero(np.diff(np.r_[False, hit, False].astype(np.int8)))
    return float((edges[1::2] - edges[::2]).max())  # each run's end minus its start


def sqn(pnl) -> float:
    """System Quality Number: sqrt(n) × mean / sample std (ddof=1) of the trades' results.

    On money per trade (as backtesting.py), not on R multiples, and with no cap on n (Van Tharp
    caps it at 100 in later versions). NaN with fewer than two trades or equal results.
    """
    values = _clean(pnl)
    if len(values) < 2 or np.std(values, ddof=1) == 0:
        return math.nan
    return float(math.sqrt(len(values)) * values.mean() / np.std(values, ddof=1))


def exposure(position_units) -> float:
    """Fraction of bars closed with a position open (from the equity curve's position_units)."""
    values = _clean(position_units)
    return float(np.mean(values != 0)) if len(values) else math.nan


def trades_per_month(n_trades: int, years: float) -> float:
    """Trades per calendar month: n / (years × 12); NaN for a span that is not positive."""
    return n_trades / (years * 12) if years > 0 else math.nan


def fx_trading_dates(day_starts: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The trading date of each FX day given by its start (17:00 New York the evening before).

    The FX day that opens Sunday 17:00 New York is Monday's: its date is the New York date on
    which it closes, so a month ends with the FX day that closes on its last day.
    """
    local = pd.DatetimeIndex(day_starts).tz_convert("America/New_York").tz_localize(None)
    return (local + pd.Timedelta(hours=7)).normalize()


def monthly_returns(equity: pd.Series, start_value: float | None = None) -> pd.DataFrame:
    """Monthly returns (fractions) of account-currency equity: rows are years, columns 1..12.

    A month's return compares the equity at the close of its last FX day with that at the
    close of the previous month's (or `start_value`, else the first equity value); months are
    those of the FX days' trading dates (`fx_trading_dates`). Column ``year`` compounds the
    months of the row. Months without data are NaN.
    """
    columns = [*range(1, 13), "year"]
    daily = fx_daily_returns(equity, start_value=start_value)
    if len(daily) == 0:
        return pd.DataFrame(columns=columns, dtype=float)
    dates = fx_trading_dates(daily.index)
    growth = (1.0 + daily).groupby([dates.year, dates.month]).prod()
    table = (growth - 1.0).unstack().reindex(columns=range(1, 13))
    table["year"] = (1.0 + daily).groupby(dates.year).prod().to_numpy() - 1.0
    table.index.name, table.columns.name = "year", "month"
    return table[columns]


def full_statistics(
    result, n_trials: int = 1, trials_sr_variance: float | None = None, alpha: float = 0.05
) -> tuple[dict[str, float], dict[str, str]]:
    """Every statistic of a `BacktestResult` and, for each NaN among them, the reason.

    Adds to ``result.stats``: CAGR, Sortino, Calmar, drawdown duration, recovery factor, the
    trade statistics above, exposure, totals of pips, commission and swap, and robustness:

    - ``psr``: probability that the true Sharpe is above 0, from the per-period (daily, FX day)
      Sharpe ``sharpe_daily``, the number of days and the daily returns' skewness and raw
      kurtosis (`moments`);
    - ``min_trl_days`` / ``min_trl_years``: days of track record for PSR(0) >= 1 − `alpha`;
    - ``dsr`` and ``dsr_sr0`` when `n_trials` > 1 configurations were tried: PSR against the
      best per-period Sharpe expected by luck. `trials_sr_variance` is the variance of the
      trials' per-period Sharpes (ddof 1, as the function `trials_sr_variance`); when it is not
      known, the sampling variance of a Sharpe estimate whose true value is 0, 1 / (days − 1),
      is *assumed* (every trial pure noise), which deflates far less than a real search's
      spread usually does; ``trials_sr_variance`` in the output is the variance used (NaN with one
      trial) and ``trials_sr_variance_assumed`` is 1.0 when it was assumed.

    Commission is what was paid (>= 0); ``swap_net`` is signed (negative: swap was paid).
    MetaTrader's figures too: gross profit and loss, trades, win rate and net per side
    (`side_statistics`), and its absolute, maximal and relative drawdowns (`tester_drawdowns`).
    """
    stats, reasons = dict(result.stats), dict(result.reasons)
    trades, equity = result.trades, result.equity
    balance = float(result.config.get("account", {}).get("balance", 0.0))
    curve = equity["equity"] if len(equity) else pd.Series(dtype=float)
    net = trades["net_account"].to_numpy(dtype=float) if len(trades) else np.array([])
    years = span_years(pd.DatetimeIndex(equity.index)) if len(equity) else math.nan
    final = float(curve.iloc[-1]) if len(curve) else balance
    daily = result.daily if getattr(result, "daily", None) is not None else fx_daily_returns(
        curve, start_value=balance)
    growth = cagr(balance, final, years)
    stats |= {
        "cagr_pct": growth * 100,
        "sortino": sortino_ratio(daily, result.periods_per_year),
        "calmar": calmar_ratio(growth, stats["max_drawdown_pct"] / 100),
        "max_drawdown_days": max_drawdown_duration(curve),
        "recovery_factor": recovery_factor(stats["net_profit"], stats["max_drawdown_money"]),
        "avg_win": average_win(net),
        "avg_loss": average_loss(net),
        "payoff_ratio": payoff_ratio(net),
        "largest_win": largest_win(net),
        "largest_loss": largest_loss(net),
        "max_consecutive_wins": max_consecutive(net, losses=False),
        "max_consecutive_losses": max_consecutive(net),
        "sqn": sqn(net),
        "exposure_pct": exposure(equity["position_units"]) * 100 if len(equity) else math.nan,
        "trades_per_month": trades_per_month(len(trades), years),
        "total_pips": float(trades["pips"].sum()) if len(trades) else 0.0,
        "commission_paid": float(trades["commission"].sum()) if len(trades) else 0.0,
        "swap_net": float(trades["swap"].sum()) if len(trades) else 0.0,
        "years": years,
        **side_statistics(trades),
    }
    if len(curve):
        stats |= tester_drawdowns(curve, balance)
    else:
        stats |= {"absolute_drawdown": 0.0, "maximal_drawdown_pct": math.nan,
                  "relative_drawdown_money": math.nan}
    stats |= robustness(daily, n_trials, trials_sr_variance, alpha, result.periods_per_year)
    for name, value in stats.items():
        if isinstance(value, float) and math.isnan(value) and name not in reasons:
            reasons[name] = _reason(name, len(trades), net, stats)
    return stats, reasons


def robustness(daily, n_trials: int = 1, trials_sr_variance: float | None = None,
               alpha: float = 0.05, periods_per_year: float = 252) -> dict[str, float]:
    """The robustness statistics of `full_statistics` (PSR, MinTRL, DSR...) from daily returns."""
    r = _clean(daily)
    days = len(r)
    sr = float(np.mean(r) / np.std(r, ddof=1)) if days > 1 and np.std(r, ddof=1) > 0 else math.nan
    skew, kurt = moments(r)
    psr = probabilistic_sharpe_ratio(sr, 0.0, days, skew, kurt) if not math.isnan(sr) else math.nan
    trl = min_track_record_length(sr, 0.0, skew, kurt, alpha) if not math.isnan(sr) else math.nan
    out = {"sharpe_daily": sr, "days": float(days), "skew": skew, "kurtosis": kurt, "psr": psr,
           "min_trl_days": trl, "min_trl_years": trl / periods_per_year,
           "n_trials": float(n_trials), "dsr": math.nan, "dsr_sr0": math.nan,
           "trials_sr_variance": math.nan, "trials_sr_variance_assumed": math.nan}
    if n_trials > 1 and days > 1:
        assumed = trials_sr_variance is None
        variance = 1.0 / (days - 1) if assumed else float(trials_sr_variance)
        out["trials_sr_variance"] = variance
        out["trials_sr_variance_assumed"] = float(assumed)
        if not math.isnan(sr):
            out["dsr"], out["dsr_sr0"] = deflated_sharpe_ratio(sr, variance, n_trials, days,
                                                               skew, kurt)
    return out


def _reason(name: str, n_trades: int, net: np.ndarray, stats: dict) -> str:
    """Why statistic `name` is NaN, in words for the report."""
    if name in ("dsr", "dsr_sr0", "trials_sr_variance", "trials_sr_variance_assumed") \
            and stats["n_trials"] <= 1:
        return "one configuration tried: DSR needs the number of trials (n_trials > 1)"
    if name in ("sharpe_daily", "psr", "sortino", "skew", "kurtosis", "dsr", "dsr_sr0",
                "trials_sr_variance", "trials_sr_variance_assumed"):
        return "too few FX days, or flat equity"
    if name in ("min_trl_days", "min_trl_years"):
        return "the daily Sharpe is not above 0: no track record length makes it significant"
    if name in ("cagr_pct", "calmar", "years", "trades_per_month"):
        if not stats["years"] > 0:
            return "the run spans no time"
        if name == "cagr_pct" or not stats["max_drawdown_pct"] > 0:
            return "equity ended at or below zero" if name == "cagr_pct" else "no drawdown"
    if name == "recovery_factor":
        return "no drawdown"
    if n_trades == 0:
        return "no trades"
    if name in ("long_win_rate", "short_win_rate"):
        return f"no {name.split('_')[0]} trades"
    if name in ("avg_win", "largest_win", "payoff_ratio") and not (net > 0).any():
        return "no winning trades"
    if name in ("avg_loss", "largest_loss", "payoff_ratio") and not (net < 0).any():
        return "no losing trades"
    if name == "sqn":
        return "fewer than two trades, or all results equal"
    return "undefined for these trades"
