"""Command-line options shared by `fxjudge backtest`, `run`, `report` and `judge train`."""

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
LangOption = Annotated[str, typer.Option(
    "--lang", help="Language of the report and the terminal summary: en or ja.")]
DisplayTzOption = Annotated[str | None, typer.Option(
    "--display-tz", help="The clock the report shows times in: UTC (default), a zone such as "
    "Asia/Tokyo, new-york-close (broker time) or +09:00; FX days stay 17:00 New York.")]
