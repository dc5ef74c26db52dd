"""`fxjudge optimize`: the search from the command line, a thin shell over `fxjudge.optimize`
and `fxjudge.walk_forward_optimize`.

The settings come from the flags over the run file's tables (``[optimize]`` and
``[optimize.space]`` for the search, the others as for `fxjudge backtest`, ``--pairs`` and
``[[legs]]`` for a portfolio, whose searched names are shared, or one leg's as
``EURUSD.fast_bars``). The run goes to
``reports/<run-id>/``: the trials, ``optimize.html``, the winner's full report and the index.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from fxjudge import cli_options as opt
from fxjudge.cli_output import console, say
from fxjudge.errors import ConfigError


def optimize_command(
    strategy: Annotated[str | None, typer.Option("--strategy", help="e.g. sma_cross.")] = None,
    data: opt.DataOption = None,
    pair: opt.PairOption = None,
    pairs: Annotated[str | None, typer.Option(
        "--pairs", help="Search a portfolio: catalog pairs in one account, comma-separated "
        "(USDJPY,EURUSD); --range fast_bars=... is shared by every leg, --range "
        "EURUSD.fast_bars=... is one leg's; a run file's [[legs]] sets each leg apart.")] = None,
    timeframe: opt.TimeframeOption = None,
    start: opt.FromOption = None,
    end: opt.ToOption = None,
    ranges: Annotated[list[str] | None, typer.Option(
        "--range", help="A searched parameter: name=5:50:5 (ints every 5), name=0.5:3.0 "
        "(floats), name=exit,reverse (choices); append :log for log-uniform draws.")] = None,
    settings: opt.SetOption = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="A run .toml file "
                                                     "(with an [optimize] table).")] = None,
    objective: Annotated[str | None, typer.Option(
        "--objective", help="The statistic to maximise (sharpe by default), e.g. net_profit, "
        "profit_factor, sortino.")] = None,
    minimize: Annotated[bool, typer.Option(
        "--minimize", help="Lower is better (e.g. --objective max_drawdown_pct).")] = False,
    method: Annotated[str | None, typer.Option(
        "--method", help="grid (every combination), random or optuna (TPE).")] = None,
    trials: Annotated[int | None, typer.Option(
        "--trials", help="How many configurations random and optuna try.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of random and optuna.")] = None,
    constraint: Annotated[str | None, typer.Option(
        "--constraint", help="Run only configurations where this holds, e.g. "
        "'fast_bars < slow_bars'; the others are skipped and counted.")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", help="Processes (-1: every core, the default; 1: this one).")] = None,
    walk_forward: Annotated[str | None, typer.Option(
        "--walk-forward", help="TRAIN/TEST, e.g. 6M/1M: optimise on each train window, trade "
        "the winner on the next test window, stitch the test windows.")] = None,
    anchored: Annotated[bool, typer.Option(
        "--anchored", help="Walk-forward train windows all start at the beginning.")] = False,
    judge: Annotated[str | None, typer.Option(
        "--judge", help="walk-forward: judge the stitched out-of-sample run (needs "
        "--walk-forward).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="dask (a local Dask cluster) or tcp://HOST:8786 (a running "
        "one).")] = None,
    spread_pips: opt.SpreadPipsOption = None,
    slippage_pips: opt.SlippagePipsOption = None,
    commission_per_lot: opt.CommissionOption = None,
    account_currency: opt.AccountCurrencyOption = None,
    balance: opt.BalanceOption = None,
    leverage: opt.LeverageOption = None,
    lot_size: opt.LotSizeOption = None,
    lots: opt.LotsOption = None,
    units: opt.UnitsOption = None,
    risk_fraction: opt.RiskFractionOption = None,
    lang: opt.LangOption = "en",
    no_lookahead_check: opt.NoLookaheadCheckOption = False,
) -> None:
    """Search a strategy's parameters; write reports/<run-id>/optimize.html, the trials and the
    winner's report."""
    from fxjudge import runconfig

    base = runconfig.load_file(config_file) if config_file else {}
    space = {}
    for item in ranges or []:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise ConfigError(f"`--range` must look like name=5:50:5, was {item!r}")
        space[name.strip()] = spec.strip()
    flags = {
        "data": {"source": data, "pair": pair, "timeframe": timeframe, "start": start,
                 "end": end},
        "strategy": {"name": strategy, "params": runconfig.parse_settings(settings or []) or None},
        "costs": {"spread_pips": spread_pips, "slippage_pips": slippage_pips,
                  "commission_per_lot": commission_per_lot},
        "account": {"currency": account_currency, "balance": balance, "leverage": leverage,
                    "lot_size": lot_size},
        "sizing": {"lots": lots, "units": units, "risk_fraction": risk_fraction},
        "optimize": {"method": method, "objective": objective, "n_trials": trials,
                     "seed": seed, "constraint": constraint, "jobs": jobs,
                     "scheduler": scheduler, "walk_forward": walk_forward,
                     "maximize": False if minimize else None,
                     "anchored": True if anchored else None, "space": space or None},
    }
    merged = runconfig.merge(base, flags)
    if pairs:
        merged["legs"] = [{"pair": name.strip()} for name in pairs.split(",") if name.strip()]
    if judge is not None:
        merged.setdefault("optimize", {})["judge"] = judge
    if no_lookahead_check:
        merged["lookahead_check"] = False
    run_search(merged, lang=lang)


def run_search(merged: dict[str, Any], *, lang: str = "en") -> Path:
    """Run the search a merged configuration describes, write its folder, print its summary."""
    from fxjudge import config, runconfig
    from fxjudge.api import new_run_folder
    from fxjudge.search import space as spaces
    from fxjudge.search.optimize import optimize
    from fxjudge.search.pages import write_search
    from fxjudge.search.walkforward import walk_forward_optimize

    data_cfg = merged.get("data", {})
    settings = dict(merged.get("optimize") or {})
    name = merged.get("strategy", {}).get("name")
    legs = runconfig.leg_specs(merged["legs"]) if merged.get("legs") else None
    if not name and not (legs and all("strategy" in leg for leg in legs)):
        raise ConfigError("`--strategy` must name a strategy (see `fxjudge strategies`), was None")
    source = legs or data_cfg.get("source") or data_cfg.get("pair")
    if not source:
        raise ConfigError("`--data FILE` or `--pair PAIR` must say which prices to use")
    given = settings.get("space") or {}
    if not given:
        raise ConfigError("`--range` must give at least one parameter to search, e.g. --range "
                          "fast_bars=5:50:5 (or [optimize.space] in the run file)")
    space = {key: spaces.parse(key, value) for key, value in given.items()}
    costs, account, sizing = runconfig.resolve(merged)
    walk = settings.get("walk_forward")
    judge = settings.get("judge")
    if judge is not None and not walk:
        raise ConfigError("`--judge` judges a walk-forward's stitched run: give --walk-forward "
                          "TRAIN/TEST too")
    options = {
        "method": settings.get("method", "grid"), "n_trials": settings.get("n_trials"),
        "objective": settings.get("objective", "sharpe"),
        "maximize": settings.get("maximize", True), "constraint": settings.get("constraint"),
        "params": merged.get("strategy", {}).get("params"), "costs": costs,
        "account": account, "sizing": sizing, "start": data_cfg.get("start"),
        "end": data_cfg.get("end"), "timeframe": data_cfg.get("timeframe"),
        "pair": data_cfg.get("pair") if data_cfg.get("source") and not legs else None,
        "conversion": data_cfg.get("conversion"), "project": config.project_dir(),
        "n_jobs": settings.get("jobs", -1), "scheduler": settings.get("scheduler"),
        "seed": settings.get("seed", 0),
        "lookahead_check": merged.get("lookahead_check", True),
    }
    if legs and walk:
        raise ConfigError("`--walk-forward` searches one pair; drop it (or --pairs / "
                          "[[legs]]) to search a portfolio")
    label = "walk-forward windows" if walk else "trials"
    with search_progress(label) as progress:
        if walk:
            train, sep, test = str(walk).partition("/")
            if not sep:
                raise ConfigError(f"`--walk-forward` must be TRAIN/TEST like 6M/1M, was {walk!r}")
            probe = _folder_name(name, data_cfg, "walk-forward")
            folder = new_run_folder(probe)
            result = walk_forward_optimize(
                source, name, space, train=train.strip(), test=test.strip(),
                anchored=bool(settings.get("anchored", False)), judge=judge,
                folder=folder / "windows", progress=progress, **options)
        else:
            where = {"pair": "-".join(leg.get("pair") or Path(leg["data"]).stem
                                      for leg in legs)} if legs else data_cfg
            folder = new_run_folder(_folder_name(name or legs[0]["strategy"], where,
                                                 "optimize"))
            result = optimize(source, name, space, folder=folder, progress=progress, **options)
    command = shlex.join(["fxjudge", "optimize", "--config", str(folder / "search.toml")])
    page = write_search(result, folder, command=command, lang=lang)
    _print(result, walk)
    say(("report", "green"), f" {page}")
    return page


def _folder_name(strategy: str, data: dict, kind: str) -> str:
    source = str(data.get("pair") or Path(str(data.get("source", ""))).stem)
    return f"{kind}-{strategy}-{source}".replace(":", "-").replace("/", "-")


@contextmanager
def search_progress(label: str) -> Iterator[Any]:
    """A progress bar with the time left; yields the `progress(done, total)` callback."""
    columns = (TextColumn(f"searching: {label}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print(result, walk: bool) -> None:
    search = result.searches[-1] if walk else result
    table = Table(title=f"{search.strategy_name}: {search.settings['method']} search",
                  show_header=False)
    table.add_row("Configurations run", f"{len(search.trials):,}")
    table.add_row("Skipped", f"{sum(search.skipped.values()):,}")
    if walk:
        table.add_row("Windows", f"{len(result.windows)}")
        table.add_row("Walk-forward efficiency", _fmt(result.efficiency, ".2f"))
        table.add_row("Out-of-sample PSR", _fmt(result.robustness["psr"], ".1%"))
        table.add_row("Out-of-sample DSR", _fmt(result.robustness["dsr"], ".1%"))
    else:
        best = search.best
        shown = ", ".join(f"{k}={best['params'][k]}" for k in search.parameters)
        table.add_row("Best", f"{shown}: {search.objective_name} {best['objective']:.4g}")
        table.add_row(f"DSR over {len(search.trials)} trials", _fmt(search.dsr["dsr"], ".1%"))
        table.add_row("PSR", _fmt(search.dsr["psr"], ".1%"))
    console.print(table)
    for note in search.notes:
        console.print(f"  - {note}")


def _fmt(value: float, spec: str) -> str:
    return "n/a" if value is None or value != value else format(value, spec)
