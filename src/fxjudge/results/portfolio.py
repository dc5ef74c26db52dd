"""`PortfolioBacktest`: a portfolio run's account, its legs, and what a trader reads of them.

The account is a `BacktestResult` (`account`: every leg's trades, with a ``pair`` column, and
the account's equity per merged timestamp), so its statistics are the one-pair run's, on the
account. Beside it: each leg's signed units and P&L per timestamp, the margin level, each leg's
contribution, the currency exposure and the correlation of the legs' daily returns, all pure
functions of those tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.results import metrics
from fxjudge.results.result import BacktestResult

PORTFOLIO_FILE = "portfolio.parquet"


@dataclass
class PortfolioBacktest:
    """A portfolio run: `account` (trades of every leg, the account's equity, config, notes),
    `units` and `leg_pnl` (one column per pair, one row per merged timestamp), `prices` (each
    leg's close, forward-filled on the merged timeline) and `rates` (each currency's value in
    the account currency per unit, on the same timeline); `without_judge`, when judged."""

    account: BacktestResult
    units: pd.DataFrame
    leg_pnl: pd.DataFrame
    prices: pd.DataFrame
    rates: pd.DataFrame
    #: with a judge: the same portfolio without it
    without_judge: PortfolioBacktest | None = None
    #: with a judge: its verdict on every leg's candidates (`judge.portfolio.portfolio_verdict`)
    verdict: dict | None = None

    @property
    def stats(self) -> dict[str, float]:
        """The account's statistics (`BacktestResult.stats`)."""
        return self.account.stats

    @property
    def pairs(self) -> list[str]:
        """The legs' pairs, in the order given."""
        return list(self.units.columns)

    def contributions(self) -> pd.DataFrame:
        """Per leg: trades, net P&L (account currency), its share of the account's net, win
        rate."""
        trades = self.account.trades
        rows = []
        total = float(trades["net_account"].sum()) if len(trades) else 0.0
        for pair in self.pairs:
            own = trades[trades["pair"] == pair]["net_account"].to_numpy(dtype=float)
            net = float(own.sum())
            rows.append({"pair": pair, "trades": len(own), "net_account": net,
                         "share": net / total if total else np.nan,
                         "win_rate": metrics.win_rate(own)})
        return pd.DataFrame(rows)

    def exposure(self) -> pd.DataFrame:
        """Net exposure per currency (account currency) at each timestamp: a position of u
        units of BASEQUOTE at price p is +u BASE and -u * p QUOTE, valued at each currency's
        rate to the account currency."""
        columns: dict[str, pd.Series] = {}
        for pair in self.pairs:
            fx = FxPair.parse(pair)
            units = self.units[pair]
            for currency, amount in ((fx.base, units),
                                     (fx.quote, -units * self.prices[pair])):
                value = amount * self.rates[currency]
                columns[currency] = columns.get(currency, 0.0) + value
        return pd.DataFrame(columns)

    def correlation(self) -> pd.DataFrame:
        """The correlation of the legs' FX-day P&L changes (account currency)."""
        daily = {pair: metrics.fx_daily_returns(self.leg_pnl[pair] + self.account.config[
            "account"]["balance"], start_value=float(self.account.config["account"]["balance"]))
            for pair in self.pairs}
        return pd.DataFrame(daily).corr()

    def save(self, folder: str | Path) -> Path:
        """The account's files (`BacktestResult.save`) plus portfolio.parquet (units, leg P&L,
        prices, rates) and portfolio.json (the pairs, the judge's verdict); a judged run's
        `without_judge` is saved the same way in ``without_judge/``."""
        folder = self.account.save(folder)
        frame = pd.concat({"units": self.units, "leg_pnl": self.leg_pnl, "prices": self.prices,
                           "rates": self.rates}, axis=1)
        frame.columns = [f"{a}:{b}" for a, b in frame.columns]
        frame.rename_axis("time").to_parquet(folder / PORTFOLIO_FILE, compression="zstd")
        (folder / "portfolio.json").write_text(json.dumps({"pairs": self.pairs,
                                                           "verdict": self.verdict}))
        if self.without_judge is not None:
            self.without_judge.save(folder / "without_judge")
        return folder
