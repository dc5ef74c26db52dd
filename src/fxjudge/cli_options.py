"""Command-line options shared by `fxjudge backtest`, `fxjudge run` and `fxjudge judge train`."""

from __future__ import annotations

from typing import Annotated

import typer

DataOption = Annotated[str | None, typer.Option(
    "--data", help="A price file or folder (relative paths: from the project directory).")]
PairOption = Annotated[str | None, typer.Option("--pair", help="Catalog pair, e.g. EURUSD.")]
TimeframeOption = Annotated[str | None, typer.Option("--timeframe", help="e.g. H1.")]
FromOption = Annotated[str | None, typer.Option("--from", help="First day (UTC), inclusive.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day (UTC), exclusive.")]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Strategy parameter name=value (repeat).")
]
SpreadPipsOption = Annotated[float | None, typer.Option(
    "--spread-pips", help="Spread in pips where the bars have no spread column.")]
SlippagePipsOption = Annotated[float | None, typer.Option(
    "--slippage-pips", help="Pips against the trader on every market fill.")]
LangOption = Annotated[str, typer.Option("--lang", help="Report language: en or ja.")]
