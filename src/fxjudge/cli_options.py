"""Command-line options shared by `fxjudge backtest`, `run`, `optimize`, `report` and
`judge train`."""

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
CommissionOption = Annotated[float | None, typer.Option(
    "--commission-per-lot", help="Account currency per lot per side.")]
AccountCurrencyOption = Annotated[str | None, typer.Option(
    "--account-currency", help="e.g. JPY (default) or USD.")]
BalanceOption = Annotated[float | None, typer.Option(
    "--balance", help="Initial balance in the account currency (1,000,000).")]
LeverageOption = Annotated[float | None, typer.Option(
    "--leverage", help="e.g. 25 for 25:1 (default).")]
LotSizeOption = Annotated[int | None, typer.Option(
    "--lot-size", help="Units per lot (10,000 default; 100,000 international).")]
LotsOption = Annotated[float | None, typer.Option(
    "--lots", help="Fixed lots per trade (1 by default).")]
UnitsOption = Annotated[float | None, typer.Option("--units", help="Fixed units per trade.")]
RiskFractionOption = Annotated[float | None, typer.Option(
    "--risk-fraction", help="Fraction of equity risked per trade (needs a stop).")]
SizeByProbabilityOption = Annotated[bool, typer.Option(
    "--size-by-probability", help="With --judge: also run the judged trades sized by the judge's "
    "probability (AFML bet size 2 Phi(z) - 1) and compare it in the report.")]
ProbabilityStepOption = Annotated[float | None, typer.Option(
    "--probability-step", help="With --size-by-probability: round the bet size to this step "
    "(e.g. 0.1).")]
DetailTimeframeOption = Annotated[str | None, typer.Option(
    "--detail-timeframe", help="A lower timeframe (e.g. M1), from the same file or catalog pair, "
    "that decides which of a stop and a target came first inside a bar.")]
EngineOption = Annotated[str | None, typer.Option(
    "--engine", help="compiled (default, fast) or backtrader (the reference it is held to).")]
NoLookaheadCheckOption = Annotated[bool, typer.Option(
    "--no-lookahead-check", help="Skip the look-ahead check of the strategy (truncation at "
    "sampled bars); the run records it and its report says so in red.")]
