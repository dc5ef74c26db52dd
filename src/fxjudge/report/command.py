"""The `fxjudge backtest` command line that reruns a plain run from its saved configuration.

Every setting the CLI has a flag for is written out, so the line reruns the run even where the
defaults later change. The period is the run's own bars: ``--from`` its first bar's open time
and ``--to`` (exclusive) one bar after its last. Settings without a flag (``stop_out_level``,
``triple_swap_weekday``) are listed in the configuration shown beside the command.
"""

from __future__ import annotations

import shlex
from pathlib import Path

COSTS = {"spread_pips": "--spread-pips", "slippage_pips": "--slippage-pips",
         "commission_per_lot": "--commission-per-lot", "swap_long_pips": "--swap-long-pips",
         "swap_short_pips": "--swap-short-pips"}
ACCOUNT = {"currency": "--account-currency", "balance": "--balance", "leverage": "--leverage",
           "lot_size": "--lot-size"}
SIZING = {"lots": "--lots", "units": "--units", "risk_fraction": "--risk-fraction"}


def backtest_command(config: dict) -> str:
    """The shell-quoted ``fxjudge backtest ...`` line for `config` (a run's saved config)."""
    data, strategy = config.get("data", {}), config.get("strategy", {})
    source = str(data.get("source", ""))
    words = ["fxjudge", "backtest", "--strategy", str(strategy.get("name", ""))]
    if Path(source).suffix or "/" in source or "\\" in source:
        words += ["--data", source]
    else:
        words += ["--pair", source or str(data.get("pair", ""))]
    if data.get("timeframe"):
        words += ["--timeframe", str(data["timeframe"])]
    if data.get("start") and data.get("end"):  # the saved period is half-open: [start, end)
        words += ["--from", str(data["start"]), "--to", str(data["end"])]
    for key, value in (strategy.get("params") or {}).items():
        if value is not None:
            words += ["--set", f"{key}={value}"]
    for section, flags in (("costs", COSTS), ("account", ACCOUNT), ("sizing", SIZING)):
        for key, flag in flags.items():
            value = config.get(section, {}).get(key)
            if value is not None:
                words += [flag, str(value)]
    if data.get("detail_timeframe"):
        words += ["--detail-timeframe", str(data["detail_timeframe"])]
    if config.get("engine") == "backtrader":  # the compiled engine is the default
        words += ["--engine", "backtrader"]
    if config.get("lookahead_check") is False:
        words.append("--no-lookahead-check")
    return shlex.join(words)
