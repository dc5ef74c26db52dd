"""Reading a saved run back, so a report can be rebuilt without recomputing anything.

The layout is what `BacktestResult.save` and `JudgedResult.save` write:

- a plain run: ``trades.csv``, ``equity.parquet`` (``equity.csv`` in older runs),
  ``stats.json``, ``config.toml``;
- a judged run: ``without_judge/`` and ``with_judge/`` (each a plain run), ``candidates.csv`` and
  ``judge.json`` (the `JudgeReport.summary()` scalars and the judge's configuration), and
  ``importance.csv`` (with ``importance_periods.csv`` and ``importance_groups.csv``) when the
  run computed feature importance;
- a portfolio run (`PortfolioBacktest.save`): the account as a plain run (every leg's trades,
  with a ``pair`` column) plus ``portfolio.parquet`` (columns ``units:PAIR``, ``leg_pnl:PAIR``,
  ``prices:PAIR`` and ``rates:CURRENCY``) and ``portfolio.json`` (the pairs, in order).

The `JudgeReport` is rebuilt from ``judge.json``; its calibration and uplift tables, pure
functions of the saved candidates' probabilities, labels and results, are recomputed from
``candidates.csv``. Statistics are recomputed from trades and equity by the same pure
functions that made ``stats.json``.

`load_price_bars` finds the bars a run was made on (its ``data.source``), for the price chart.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pandas as pd

from fxjudge import config as project_config
from fxjudge.errors import DataError, FxJudgeError
from fxjudge.judge.evaluation import JudgeReport, TradeStats, calibration_table
from fxjudge.judge.verdict import uplift_table
from fxjudge.results.judged import JudgedResult
from fxjudge.results.portfolio import PORTFOLIO_FILE, PortfolioBacktest
from fxjudge.results.result import EQUITY_FILE, PERIODS_PER_YEAR, BacktestResult

TRADE_TIMES = ("entry_time", "exit_time")
TRADE_TEXT = ("exit_reason", "same_bar_rule")


def is_judged_run(folder: str | Path) -> bool:
    """True when `folder` holds a judged run (with and without the judge)."""
    return (Path(folder) / "judge.json").exists()


def load_run(folder: str | Path) -> BacktestResult | JudgedResult | PortfolioBacktest:
    """The `BacktestResult`, `JudgedResult` or `PortfolioBacktest` saved in `folder`."""
    folder = Path(folder)
    if (folder / "portfolio.json").exists():
        return load_portfolio(folder)
    if is_judged_run(folder):
        return _load_judged(folder)
    if not (folder / "trades.csv").exists():
        raise DataError(f"{folder} is not a saved run: it has no trades.csv or judge.json",
                        fix="give a folder under reports/ written by `fxjudge backtest` or "
                            "`fxjudge run`")
    return load_backtest(folder)


def load_backtest(folder: Path) -> BacktestResult:
    """One plain run: trades and equity with UTC times, its configuration and notes."""
    trades = pd.read_csv(folder / "trades.csv", dtype={c: "str" for c in TRADE_TEXT})
    for column in TRADE_TIMES:
        if column in trades:
            trades[column] = pd.to_datetime(trades[column], utc=True)
    for column in TRADE_TEXT:  # an empty same-bar rule is "", not NaN
        if column in trades:
            trades[column] = trades[column].fillna("")
    if (folder / EQUITY_FILE).exists():
        equity = pd.read_parquet(folder / EQUITY_FILE)
    else:  # a run saved before the equity curve was Parquet
        equity = pd.read_csv(folder / "equity.csv", index_col="time")
        equity.index = pd.to_datetime(equity.index, utc=True)
    config = tomllib.loads((folder / "config.toml").read_text())
    saved = _read_json(folder / "stats.json")
    periods = (saved.get("stats") or {}).get("periods_per_year") or PERIODS_PER_YEAR
    return BacktestResult(trades=trades, equity=equity, config=config,
                          notes=list(saved.get("notes", [])), periods_per_year=periods)


def load_portfolio(folder: Path) -> PortfolioBacktest:
    """A portfolio run: its account (`load_backtest`) and its per-timestamp tables, each with
    one column per pair in the saved order (the rates: one per currency), and a judged run's
    ``without_judge/`` portfolio when it was saved."""
    described = _read_json(folder / "portfolio.json")
    pairs = list(described.get("pairs") or [])
    if not pairs or not (folder / PORTFOLIO_FILE).exists():
        raise DataError(f"{folder} is an incomplete portfolio run: portfolio.json names no "
                        f"pairs or {PORTFOLIO_FILE} is missing",
                        fix="rerun the portfolio (`fxjudge backtest --pairs ...`)")
    frame = pd.read_parquet(folder / PORTFOLIO_FILE)
    tables: dict[str, pd.DataFrame] = {}
    for name in ("units", "leg_pnl", "prices", "rates"):
        columns = [c for c in frame.columns if c.startswith(f"{name}:")]
        table = frame[columns].rename(columns=lambda c: c.partition(":")[2])
        tables[name] = table if name == "rates" else table[pairs]
    plain = folder / "without_judge"
    return PortfolioBacktest(account=load_backtest(folder), **tables,
                             without_judge=load_portfolio(plain)
                             if (plain / "portfolio.json").exists() else None,
                             verdict=described.get("verdict"))


def _load_judged(folder: Path) -> JudgedResult:
    candidates = pd.read_csv(folder / "candidates.csv", index_col="time")
    candidates.index = pd.to_datetime(candidates.index, utc=True)
    if "resolve_time" in candidates:
        candidates["resolve_time"] = pd.to_datetime(candidates["resolve_time"], utc=True)
    for column in ("taken", "judged"):
        if column in candidates:
            candidates[column] = candidates[column].astype(str).str.lower() == "true"
    saved = _read_json(folder / "judge.json")
    summary = {k: (math.nan if v is None else v) for k, v in saved.get("summary", {}).items()}
    groups: dict[str, dict] = {g: {} for g in ("scores", "precision", "random_filter",
                                               "rank_test", "pnl_test", "with_judge",
                                               "without_judge", "judge_sized")}
    for key, value in summary.items():
        group, _, name = key.partition(".")
        if group in groups:
            groups[group][name] = value
    judged = candidates[candidates["probability"].notna() & candidates["label"].notna()]
    paid = judged[judged["label_return"].notna()] if "label_return" in judged else judged[:0]
    importance, periods, by_group = (
        pd.read_csv(folder / f"{name}.csv", index_col=0) if (folder / f"{name}.csv").exists()
        else None for name in ("importance", "importance_periods", "importance_groups"))
    report = JudgeReport(
        scores=groups["scores"], precision=groups["precision"],
        random_filter=groups["random_filter"],
        calibration=calibration_table(judged["probability"], judged["label"]),
        n_not_judged=int(summary.get("n_not_judged", 0) or 0),
        n_unresolved=int(summary.get("n_unresolved", 0) or 0), importance=importance,
        importance_periods=periods, importance_groups=by_group,
        with_judge=TradeStats(**_known_fields(groups["with_judge"])),
        without_judge=TradeStats(**_known_fields(groups["without_judge"])),
        judge_sized=TradeStats(**_known_fields(groups["judge_sized"]))
        if groups["judge_sized"] else None,
        rank_test=groups["rank_test"], pnl_test=groups["pnl_test"],
        outcome=str(summary.get("outcome", "not_judged")),
        uplift=uplift_table(paid["probability"], paid["label_return"]) if len(paid) else None,
    )
    sized = folder / "judge_sized"
    return JudgedResult(without_judge=load_backtest(folder / "without_judge"),
                        with_judge=load_backtest(folder / "with_judge"), candidates=candidates,
                        judge=report, judge_config=saved.get("config", {}) or {},
                        judge_sized=load_backtest(sized) if sized.exists() else None)


def _known_fields(values: dict) -> dict:
    fields = TradeStats.__dataclass_fields__
    return {k: v for k, v in values.items() if k in fields}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON: {error}") from None


def load_price_bars(config: dict, project: str | Path | None = None
                    ) -> tuple[pd.DataFrame | None, str]:
    """The bars of the run described by `config`, or None and the reason they are not.

    The source is tried as written, then relative to the project directory; the bars are
    clipped to the run's first and last bar and must be as many as the run had.
    """
    from fxjudge.data.load import load_bars

    data = config.get("data", {})
    source = str(data.get("source") or "")
    if not source:
        return None, "the run does not say where its prices came from"
    candidates = [source]
    if not Path(source).is_absolute():
        candidates.append(str(project_config.project_dir(project) / source))
    bars, problem = None, f"{source} was not found"
    for option in candidates:
        if "/" in option and not Path(option).exists():
            continue
        try:
            bars = load_bars(option, timeframe=data.get("timeframe"), pair=data.get("pair"))
            break
        except (FxJudgeError, OSError) as error:
            problem = f"{source} could not be read ({error})"
    if bars is None:
        return None, problem
    if data.get("start") and data.get("end"):
        bars = _between(bars, data["start"], data["end"])
    if data.get("bars") and len(bars) != int(data["bars"]):
        return None, (f"{source} now has {len(bars):,} bars in the run's period, the run had "
                      f"{int(data['bars']):,}: the data changed since")
    return bars, ""


def _between(bars: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    attrs = dict(bars.attrs)
    clipped = bars[(bars.index >= pd.Timestamp(start)) & (bars.index < pd.Timestamp(end))]
    clipped.attrs = attrs
    return clipped
