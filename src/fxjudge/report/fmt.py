"""How numbers read in the report: money in the account currency (yen without decimals).

Each statistic of `fxjudge.results.metrics.full_statistics` has one kind here, so the report,
its KPI cards and the index show a number the same way everywhere. NaN reads "n/a"; the
template puts the reason beside it.
"""

from __future__ import annotations

import math

MONEY = {"net_profit", "max_drawdown_money", "expectancy_money", "avg_win", "avg_loss",
         "largest_win", "largest_loss", "commission_paid", "swap_net", "gross_profit",
         "gross_loss", "long_net", "short_net", "absolute_drawdown", "relative_drawdown_money"}
PERCENT = {"return_pct", "cagr_pct", "max_drawdown_pct", "exposure_pct",
           "maximal_drawdown_pct"}  # already in percent
FRACTION = {"win_rate", "psr", "dsr", "long_win_rate", "short_win_rate"}  # shown as percent
INTEGER = {"trades", "max_consecutive_wins", "max_consecutive_losses", "days", "n_trials",
           "periods_per_year", "long_trades", "short_trades"}
DECIMALS = {"expectancy_pips": 1, "total_pips": 1, "trades_per_month": 1, "max_drawdown_days": 0,
            "min_trl_days": 0, "years": 2, "min_trl_years": 1, "sharpe_daily": 4, "dsr_sr0": 4,
            "trials_sr_variance": 6}


def money_decimals(currency: str) -> int:
    """Decimals of money in `currency`: 0 for yen, 2 otherwise."""
    return 0 if currency == "JPY" else 2


def money(value: float | None, currency: str, *, sign: bool = False, na: str = "n/a") -> str:
    """``1,234,567 JPY`` or ``-12.50 USD``; `sign` adds a plus to positive amounts."""
    if value is None or not math.isfinite(value):
        return na
    text = f"{value:{'+' if sign else ''},.{money_decimals(currency)}f}"
    return f"{text} {currency}".strip()


def number(value: float | None, decimals: int = 2, *, sign: bool = False, na: str = "n/a") -> str:
    """A number with thousands separators; +/-inf as the infinity sign."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return na
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def percent(value: float | None, decimals: int = 1, *, sign: bool = False, na: str = "n/a") -> str:
    """A value already in percent, with the sign."""
    text = number(value, decimals, sign=sign, na=na)
    return text if text == na else f"{text} %"


def statistic(name: str, value: float | None, currency: str, *, sign: bool = False,
              na: str = "n/a", days: str = "days") -> str:
    """Statistic `name` formatted by its kind (money, percent, count, ratio)."""
    if name in MONEY:
        return money(value, currency, sign=sign, na=na)
    if name in PERCENT:
        return percent(value, 2, sign=sign, na=na)
    if name in FRACTION:
        return percent(None if value is None else value * 100, 1, sign=sign, na=na)
    if name in INTEGER:
        return number(value, 0, sign=sign, na=na)
    text = number(value, DECIMALS.get(name, 2), sign=sign, na=na)
    if name in ("max_drawdown_days", "min_trl_days") and text != na:
        return f"{text} {days}"
    return text


def p_value(value: float | None) -> str:
    """A p-value: three decimals, or ``< 0.001``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
