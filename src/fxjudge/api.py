"""The Python API: `backtest` runs a strategy on bars through the FX engine.

The CLI is a thin shell over these functions; notebooks call them directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fxjudge import config as project_config
from fxjudge.data.bars import check_bars
from fxjudge.data.load import load_bars
from fxjudge.domain import FxPair
from fxjudge.engine import simulate
from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.errors import ConfigError, DataError
from fxjudge.results.result import BacktestResult
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import Strategy, run_signals

PACKAGES = ("fxjudge", "pandas", "numpy", "backtrader", "scikit-learn", "ta")


def _as(kind: type, value: Any, name: str):
    if value is None:
        return kind() if kind is not Sizing else Sizing(lots=1.0)
    if isinstance(value, kind):
        return value
    if isinstance(value, dict):
        return kind(**value)
    raise ConfigError(f"`{name}` must be a {kind.__name__} or a dict, was {value!r}")


def resolve_bars(
    data: pd.DataFrame | str | Path,
    *,
    timeframe: str | None = None,
    pair: str | None = None,
    start=None,
    end=None,
    format: str | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """Bars from a frame, a file, or a catalog pair, clipped to [start, end)."""
    if isinstance(data, pd.DataFrame):
        check_bars(data)
        bars = data
        if start is not None or end is not None:
            lo = None if start is None else pd.Timestamp(start, tz="UTC")
            hi = None if end is None else pd.Timestamp(end, tz="UTC")
            mask = np.ones(len(bars), dtype=bool)
            if lo is not None:
                mask &= bars.index >= lo
            if hi is not None:
                mask &= bars.index < hi
            attrs = dict(bars.attrs)
            bars = bars[mask]
            bars.attrs = attrs
    else:
        bars = load_bars(data, timeframe=timeframe, pair=pair, start=start, end=end,
                         format=format, tz=tz)
    if pair is not None:
        bars.attrs["pair"] = FxPair.parse(pair).symbol
    if not bars.attrs.get("pair"):
        raise DataError("the bars do not say which pair they are", fix="pass pair='EURUSD'")
    if len(bars) < 2:
        raise DataError(
            f"only {len(bars)} bars between {start} and {end}",
            path=bars.attrs.get("source"), fix="widen the period or check the data",
        )
    return bars


def fingerprint(bars: pd.DataFrame) -> str:
    """A short hash of the bars' times and prices: the same data gives the same fingerprint."""
    digest = hashlib.sha256(bars.index.as_unit("ns").asi8.tobytes())
    digest.update(np.ascontiguousarray(bars[["open", "high", "low", "close"]].to_numpy()).tobytes())
    return digest.hexdigest()[:16]


def versions() -> dict[str, str]:
    """Installed versions of the packages that decide a run's numbers."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def backtest(
    data: pd.DataFrame | str | Path,
    strategy: type[Strategy] | Strategy | str,
    *,
    params: dict[str, Any] | None = None,
    costs: Costs | dict | None = None,
    account: Account | dict | None = None,
    sizing: Sizing | dict | None = None,
    start=None,
    end=None,
    timeframe: str | None = None,
    pair: str | None = None,
    conversion: float | pd.DataFrame | None = None,
    project: str | Path | None = None,
) -> BacktestResult:
    """Run `strategy` on `data` through the FX engine and return its `BacktestResult`.

    `data` is bars, a file, or a catalog pair (with `timeframe`); `strategy` a class, an instance
    or a name in the project's `strategies/`; `params` override the strategy's parameters.
    `costs`, `account` and `sizing` take the objects of `fxjudge.engine.costs` or dicts of their
    fields (defaults: no extra costs beyond the bars' spread, a JPY 1,000,000 account at 25:1 with
    10,000-unit lots, one lot per trade). `conversion` gives the rate for P&L whose quote
    currency is not the account's (bars of a conversion pair or a fixed rate; ECB daily rates
    otherwise).
    """
    costs = _as(Costs, costs, "costs")
    account = _as(Account, account, "account")
    sizing = _as(Sizing, sizing, "sizing")
    bars = resolve_bars(data, timeframe=timeframe, pair=pair, start=start, end=end)
    fx_pair = FxPair.parse(bars.attrs["pair"])
    chosen = load_strategy(strategy, params, project=project)
    features, signals = run_signals(chosen, bars)
    rules = chosen.exit_rules
    levels = exit_levels(bars, signals, rules, fx_pair)
    run = simulate(bars, signals, levels, pair=fx_pair, rules=rules, costs=costs,
                   account=account, sizing=sizing, conversion=conversion)
    source = data if isinstance(data, str | Path) else bars.attrs.get("source", "bars")
    configuration = {
        "data": {
            "source": str(source),
            "pair": fx_pair.symbol,
            "timeframe": bars.attrs.get("timeframe"),
            "start": bars.index[0].isoformat(),
            "end": bars.index[-1].isoformat(),
            "bars": len(bars),
            "price_side": bars.attrs.get("price_side", "bid"),
            "fingerprint": fingerprint(bars),
            "conversion": conversion if isinstance(conversion, float | int) else None,
        },
        "strategy": {
            "name": _strategy_name(strategy, chosen),
            "class": type(chosen).__name__,
            "params": dataclasses.asdict(chosen.params),
        },
        "costs": dataclasses.asdict(costs),
        "account": dataclasses.asdict(account),
        "sizing": dataclasses.asdict(sizing),
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return BacktestResult(trades=run.trades, equity=run.equity, config=configuration,
                          notes=list(run.notes))


def _strategy_name(spec, chosen: Strategy) -> str:
    if isinstance(spec, str):
        return spec
    return type(chosen).__module__.rsplit(".", 1)[-1]


def run_id(result: BacktestResult) -> str:
    """A readable, sortable id: ``20261128-061500-sma_cross-EURUSD-H1``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data = result.config["data"]
    return f"{stamp}-{result.config['strategy']['name']}-{data['pair']}-{data['timeframe']}"


def save_run(result: BacktestResult, project: str | Path | None = None) -> Path:
    """Write the run under `reports/<run-id>/` and return the folder."""
    folder = project_config.reports_dir(project) / run_id(result)
    return result.save(folder)
