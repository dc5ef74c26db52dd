"""The `fxjudge` command line: a thin shell over the Python API.

Exit codes are mapped in one place, `main`: a user error (`FxJudgeError`, a bad option) prints
one red line and exits 2; anything else is a bug and shows its traceback (exit 1).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from fxjudge import cli_judge, cli_optimize, config
from fxjudge import cli_options as opt
from fxjudge.cli_data import data_app
from fxjudge.cli_output import collected_warnings, console, say, say_warning
from fxjudge.errors import ConfigError, FxJudgeError

app = typer.Typer(
    help="FX trading-signal backtester with an AI judgment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(cli_judge.judge_app, name="judge")
app.command("optimize")(cli_optimize.optimize_command)


@app.callback()
def _root(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project-dir",
            help="Project directory (strategies/, data/, reports/); default: $FXJUDGE_PROJECT_DIR "
            "or the current directory.",
        ),
    ] = None,
) -> None:
    if project_dir is not None:
        if not project_dir.is_dir():
            what = "is not a folder" if project_dir.exists() else "does not exist"
            raise ConfigError(f"`--project-dir` {str(project_dir)!r} {what}; give an existing "
                              "project folder (it holds strategies/, data/ and reports/)")
        os.environ[config.ENV_PROJECT_DIR] = str(project_dir)


@app.command("init")
def init(
    folder: Annotated[Path | None, typer.Argument(
        help="The project folder to create (default: the current one).")] = None,
) -> None:
    """Create a project: strategies/, data/ (the sample), reports/, run.toml; overwrites none."""
    from fxjudge.project import init_project

    target = folder if folder is not None else config.project_dir()
    for path in init_project(target):
        say(("created", "green"), f" {path}")
    where = "" if folder is None else f"cd {target} && "
    console.print(f"Next: {where}fxjudge run; fxjudge backtest --config run.toml")


@app.command("strategies")
def strategies() -> None:
    """List the bundled strategies and the project's strategies/, with their parameters."""
    from fxjudge.signals.loader import BUNDLED, list_strategies

    for info in list_strategies(config.project_dir()):
        params = ", ".join(f"{k}={v!r}" for k, v in info.params.items())
        say((info.name, "bold"), f" ({info.cls.__name__}, {info.origin}): {info.summary}")
        console.print(f"    {params}")
        if info.origin != BUNDLED:
            console.print(f"    {info.path}")


@app.command("backtest")
def backtest_command(
    strategy: Annotated[str | None, typer.Option("--strategy", help="e.g. sma_cross.")] = None,
    data: opt.DataOption = None,
    pair: opt.PairOption = None,
    pairs: Annotated[str | None, typer.Option(
        "--pairs", help="A portfolio: catalog pairs in one account, comma-separated "
        "(USDJPY,EURUSD,EURJPY); a run file's [[legs]] sets each leg apart.")] = None,
    timeframe: opt.TimeframeOption = None,
    start: opt.FromOption = None,
    end: opt.ToOption = None,
    detail_timeframe: opt.DetailTimeframeOption = None,
    engine: opt.EngineOption = None,
    settings: opt.SetOption = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="A run .toml file.")] = None,
    spread_pips: opt.SpreadPipsOption = None,
    commission_per_lot: opt.CommissionOption = None,
    swap_long_pips: Annotated[float | None, typer.Option(
        "--swap-long-pips", help="Pips per lot per night held long; negative = you pay.")] = None,
    swap_short_pips: Annotated[float | None, typer.Option(
        "--swap-short-pips", help="Pips per lot per night held short; negative = you pay.")] = None,
    slippage_pips: opt.SlippagePipsOption = None,
    account_currency: opt.AccountCurrencyOption = None,
    balance: opt.BalanceOption = None,
    leverage: opt.LeverageOption = None,
    lot_size: opt.LotSizeOption = None,
    lots: opt.LotsOption = None,
    units: opt.UnitsOption = None,
    risk_fraction: opt.RiskFractionOption = None,
    size_by_probability: opt.SizeByProbabilityOption = False,
    probability_step: opt.ProbabilityStepOption = None,
    judge: Annotated[str | None, typer.Option(
        "--judge", help="Add the AI judgment: 'walk-forward' or a saved model folder "
        "(models/NAME; for --pairs, one per pair: USDJPY=models/uj,EURUSD=models/eu); the run "
        "is made with and without it.")] = None,
    model: cli_judge.ModelOption = None,
    retrain: cli_judge.RetrainOption = None,
    train_window: cli_judge.TrainWindowOption = None,
    threshold: cli_judge.ThresholdOption = None,
    label_max_bars: cli_judge.LabelHorizonOption = None,
    allow_param_change: cli_judge.AllowParamChangeOption = False,
    allow_before_training: cli_judge.AllowBeforeTrainingOption = False,
    trust_type: cli_judge.TrustTypeOption = None,
    features: cli_judge.FeaturesOption = None,
    judge_models: cli_judge.JudgeModelsOption = None,
    trials: Annotated[int | None, typer.Option(
        "--trials", help="How many configurations were tried to find this one: the report's "
        "Deflated Sharpe Ratio corrects for them.")] = None,
    trials_sharpes: Annotated[str | None, typer.Option(
        "--trials-sharpes", help="The Sharpe ratios (daily, x252, as reports show them) of "
        "every configuration tried, comma-separated: their variance deflates the DSR.")] = None,
    trials_sr_variance: Annotated[float | None, typer.Option(
        "--trials-sr-variance", help="Or the variance of the tried configurations' per-day "
        "(not annualised) Sharpe ratios.")] = None,
    lang: opt.LangOption = "en",
    equity_csv: Annotated[bool, typer.Option(
        "--equity-csv", help="Write the equity curve as CSV too (it is always Parquet).")] = False,
    display_tz: opt.DisplayTzOption = None,
    no_lookahead_check: opt.NoLookaheadCheckOption = False,
) -> None:
    """Backtest a strategy; write reports/<run-id>/ (trades, equity, stats, config, report)."""
    from fxjudge import runconfig

    base = runconfig.load_file(config_file) if config_file else {}
    options = cli_judge.judge_options(
        model, retrain, train_window, threshold, label_max_bars,
        allow_param_change=allow_param_change, allow_before_training=allow_before_training,
        trust_types=trust_type, features=features, models=judge_models)
    if options and judge is None and "judge" not in base:
        raise ConfigError("`--model`, `--retrain`, `--train-window`, `--threshold`, "
                          "`--label-max-bars`, `--features`, `--judge-models` and the "
                          "saved-model permissions "
                          "need `--judge walk-forward` (or --judge models/NAME)")

    flags = {
        "data": {"source": data, "pair": pair, "timeframe": timeframe, "start": start,
                 "end": end, "detail_timeframe": detail_timeframe},
        "strategy": {"name": strategy, "params": runconfig.parse_settings(settings or []) or None},
        "costs": {"spread_pips": spread_pips, "commission_per_lot": commission_per_lot,
                  "swap_long_pips": swap_long_pips, "swap_short_pips": swap_short_pips,
                  "slippage_pips": slippage_pips},
        "account": {"currency": account_currency, "balance": balance, "leverage": leverage,
                    "lot_size": lot_size},
        "sizing": {"lots": lots, "units": units, "risk_fraction": risk_fraction,
                   "by_probability": True if size_by_probability else None,
                   "probability_step": probability_step},
    }
    if judge is not None or options:
        flags["judge"] = {"mode": judge, **options}
    merged = runconfig.merge(base, flags)
    if engine is not None:
        merged["engine"] = runconfig.check({"engine": engine}, origin="--engine")["engine"]
    if no_lookahead_check:
        merged["lookahead_check"] = False
    merged |= trials_settings(trials, trials_sharpes, trials_sr_variance)
    if merged.get("n_trials", 1) > 1 and merged.get("trials_sr_variance") is None:
        say(("note:", "yellow"), f" the DSR over {merged['n_trials']} configurations assumes "
            "their Sharpe ratios vary as pure noise would (1/(days - 1)); give "
            "--trials-sharpes or --trials-sr-variance for the search's own spread")
    if pairs:
        merged["legs"] = [{"pair": name.strip()} for name in pairs.split(",") if name.strip()]
    if merged.get("legs"):
        _execute_portfolio(merged, lang=lang, display_tz=display_tz)
        return
    _execute(merged, lang=lang, equity_csv=equity_csv, display_tz=display_tz)


def _execute_portfolio(merged: dict, *, lang: str = "en", display_tz: str | None = None
                       ) -> Path:
    """Run a portfolio configuration (its ``legs``), save it under reports/, write its report
    (`fxjudge.report.portfolio_page`, in `lang`) and the index."""
    from fxjudge import runconfig
    from fxjudge.api import backtest_portfolio, new_run_folder
    from fxjudge.report import write_run_report
    from fxjudge.report.i18n import labels

    labels(lang)  # a bad --lang fails before anything runs
    if display_tz is not None:
        raise ConfigError("`--display-tz` is not supported for a portfolio (--pairs or "
                          "[[legs]]): its report shows times in UTC; leave it out")

    data_cfg = merged.get("data", {})
    name = merged.get("strategy", {}).get("name")
    judge_cfg = dict(merged.get("judge") or {})
    mode = saved_models(judge_cfg.pop("mode", None))
    if judge_cfg and mode is None:
        raise ConfigError("the [judge] options need `mode` ('walk-forward', or a saved model "
                          "per pair: USDJPY=models/NAME,EURUSD=models/OTHER)")
    costs, account, sizing = runconfig.resolve(merged)
    legs = runconfig.leg_specs(merged["legs"])
    with collected_warnings():
        run = backtest_portfolio(
            legs, strategy=name, params=merged.get("strategy", {}).get("params"), costs=costs,
            account=account, sizing=sizing, start=data_cfg.get("start"), end=data_cfg.get("end"),
            timeframe=data_cfg.get("timeframe"), conversion=data_cfg.get("conversion"),
            engine=merged.get("engine"), judge=mode, judge_options=judge_cfg or None)
    pairs = "-".join(run.pairs)
    folder = run.save(new_run_folder(f"portfolio-{pairs}"))
    report = write_run_report(run, folder, lang)
    table = Table(title=f"Portfolio {', '.join(run.pairs)}", show_header=False)
    for label, value in run.account.summary_rows():
        table.add_row(label, value)
    console.print(table)
    console.print(run.contributions().to_string(index=False))
    for note in run.account.notes:
        console.print(f"  - {note}")
    console.print(f"report: {report}")
    return folder


def saved_models(mode: str | dict | None) -> str | dict | None:
    """A portfolio's judge mode: 'walk-forward', or saved models per pair, given as a run
    file's table or as ``--judge USDJPY=models/uj,EURUSD=models/eu``."""
    if not isinstance(mode, str) or "=" not in mode:
        return mode
    models = {}
    for part in (p.strip() for p in mode.split(",") if p.strip()):
        pair, _, folder = part.partition("=")
        if not pair.strip() or not folder.strip():
            raise ConfigError(f"`--judge` must be 'walk-forward' or PAIR=MODEL_FOLDER pairs, "
                              f"comma-separated, was {mode!r}")
        models[pair.strip().upper()] = folder.strip()
    return models


def trials_settings(trials: int | None, sharpes: str | None,
                    variance: float | None) -> dict[str, object]:
    """The run's ``n_trials``, ``trials_sr_variance`` (per day, ddof 1) and its source.

    `sharpes` are the annualised (x252) Sharpe ratios of every configuration tried, the way
    reports print them; their per-day variance is ``var(sharpes, ddof=1) / 252``.
    """
    from fxjudge import runconfig
    from fxjudge.results.metrics import TRIALS_SR_DDOF
    from fxjudge.results.metrics import trials_sr_variance as sample_variance
    from fxjudge.results.result import PERIODS_PER_YEAR

    if trials is not None and trials < 1:
        raise ConfigError(f"`--trials` must be >= 1, was {trials}")
    if sharpes is not None and variance is not None:
        raise ConfigError("`--trials-sharpes` and `--trials-sr-variance` say the same thing; "
                          "give one of them")
    settings: dict[str, object] = {} if trials is None else {"n_trials": trials}
    if sharpes is not None:
        values = [runconfig.parse_value(v.strip()) for v in sharpes.split(",") if v.strip()]
        if len(values) < 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                      and math.isfinite(v) for v in values):
            raise ConfigError("`--trials-sharpes` must be two or more comma-separated numbers "
                              f"(the annualised Sharpe of each configuration tried), was "
                              f"{sharpes!r}")
        if trials is not None and trials != len(values):
            raise ConfigError(f"`--trials` must equal the number of `--trials-sharpes` "
                              f"({len(values)}), was {trials}; give every configuration's Sharpe")
        per_day = sample_variance(values) / PERIODS_PER_YEAR
        settings |= {"n_trials": len(values), "trials_sr_variance": per_day,
                     "trials_sr_variance_source": f"from the {len(values)} trials' Sharpe "
                     f"ratios (--trials-sharpes), ddof {TRIALS_SR_DDOF}"}
    elif variance is not None:
        if not (math.isfinite(variance) and variance >= 0):
            raise ConfigError(f"`--trials-sr-variance` must be a number >= 0, was {variance}")
        if trials is None or trials < 2:
            raise ConfigError("`--trials-sr-variance` needs `--trials N` (N >= 2), the number "
                              "of configurations whose Sharpe ratios it is the variance of")
        settings |= {"trials_sr_variance": float(variance),
                     "trials_sr_variance_source": "--trials-sr-variance"}
    return settings


def _execute(merged: dict, *, lang: str = "en", equity_csv: bool = False,
             display_tz: str | None = None) -> tuple[object, Path]:
    """Run a checked configuration, save it under reports/, write its report and the index.

    The one path for `backtest` and `run`: every run ends in reports/<run-id>/report.html.
    """
    from fxjudge import runconfig
    from fxjudge.api import backtest, save_run
    from fxjudge.report import write_run_report
    from fxjudge.report.display import display_clock
    from fxjudge.report.i18n import labels

    t = labels(lang)  # a bad --lang or --display-tz fails before anything runs
    display_clock(display_tz)
    data_cfg = merged.get("data", {})
    judge_cfg = dict(merged.get("judge") or {})
    mode = judge_cfg.pop("mode", None)
    if judge_cfg and mode is None:
        raise ConfigError("the [judge] options need `mode` ('walk-forward' or models/NAME)")
    if "models" in judge_cfg:
        raise ConfigError("`models` (--judge-models) applies to a portfolio's judge (--pairs "
                          "or [[legs]]); remove it for a one-pair backtest")
    name = merged.get("strategy", {}).get("name")
    if not name:
        raise ConfigError("`--strategy` must name a strategy (see `fxjudge strategies`), was None")
    source = config.project_path(data_cfg.get("source")) or data_cfg.get("pair")
    if not source:
        raise ConfigError("`--data FILE` or `--pair PAIR` must say which prices to use")
    costs, account, sizing = runconfig.resolve(merged)
    with cli_judge.walk_forward_progress(mode == "walk-forward") as progress, \
            collected_warnings() as warned:
        result = backtest(
            source, name, params=merged.get("strategy", {}).get("params"), costs=costs,
            account=account, sizing=sizing, start=data_cfg.get("start"),
            end=data_cfg.get("end"), timeframe=data_cfg.get("timeframe"),
            pair=data_cfg.get("pair") if data_cfg.get("source") else None,
            conversion=data_cfg.get("conversion"), judge=mode,
            judge_options=judge_cfg or None, progress=progress,
            detail_timeframe=data_cfg.get("detail_timeframe"),
            engine=merged.get("engine"),
            lookahead_check=merged.get("lookahead_check", True),
        )
    for key in runconfig.TRIALS_KEYS:
        if merged.get(key) is not None:
            result.config[key] = merged[key]
    _say_strategy(result.config["strategy"], merged.get("strategy", {}).get("file"), t)
    folder = save_run(result, equity_csv=equity_csv)
    command = f"fxjudge backtest --config {folder / 'config.toml'}"
    report = write_run_report(result, folder, lang, command=command, display_tz=display_tz)
    if mode is not None:
        cli_judge.print_judged(result, t)
    else:
        data = result.config["data"]
        table = Table(title=t["term_title"].format(strategy=result.config["strategy"]["name"],
                                                   pair=data["pair"],
                                                   timeframe=data["timeframe"]),
                      show_header=False)
        for label, value in result.summary_rows(t):
            table.add_row(label, value)
        console.print(table)
        for note in result.notes:
            console.print(f"  - {note}")
    shown = (result.judge_config.get("warnings") or []) if mode is not None else []
    if mode is not None and merged.get("lookahead_check") is False:
        say_warning(t["lookahead_off"])
    for message in warned:
        if message not in shown:
            say_warning(message)
    say((t["term_report"], "green"), f" {report}")
    return result, report


def _say_strategy(ran: dict, recorded: str | None, t: dict) -> None:
    """Which strategy file ran (bundled, the project's, the project's over a bundled one, or a
    class given in Python), and a warning when a rerun's config.toml recorded another file."""
    from fxjudge.signals import loader

    key = {loader.BUNDLED: "strategy_bundled", loader.PROJECT: "strategy_project",
           loader.OVERRIDE: "strategy_override"}.get(ran.get("origin", ""), "strategy_given")
    say((t["strategy"], "bold"), " ", t[key].format(name=ran["name"], file=ran.get("file", "")))
    if recorded and ran.get("file") and recorded != ran["file"]:
        say_warning(t["strategy_moved"].format(recorded=recorded, file=ran["file"]))


@app.command("check")
def check_command(
    strategy: Annotated[str, typer.Argument(help="The strategy, e.g. sma_cross or my_strategy.")],
    data: opt.DataOption = None,
    pair: opt.PairOption = None,
    timeframe: opt.TimeframeOption = None,
    start: opt.FromOption = None,
    end: opt.ToOption = None,
    settings: opt.SetOption = None,
    cuts: Annotated[int, typer.Option(
        "--cuts", help="How many bars to cut after (1 to 100).")] = 30,
) -> None:
    """Check a strategy for look-ahead: its features and signals at sampled bars t, computed
    on the bars up to t, must equal those computed on all the bars. Exit 2 when one differs."""
    from fxjudge import runconfig
    from fxjudge.api import resolve_bars
    from fxjudge.signals.loader import load_strategy
    from fxjudge.signals.lookahead import check_lookahead

    source = config.project_path(data) or pair
    if not source:
        raise ConfigError("`--data FILE` or `--pair PAIR` must say which prices to use")
    bars = resolve_bars(source, timeframe=timeframe, pair=pair if data else None, start=start,
                        end=end)
    chosen = load_strategy(strategy, runconfig.parse_settings(settings or []) or None,
                           project=config.project_dir())
    report = check_lookahead(chosen, bars, cuts=cuts, name=strategy, refresh=True)
    table = Table(title=f"look-ahead check: {strategy} on {len(bars):,} bars, "
                  f"{len(report.cuts)} cuts, {report.seconds:.1f} s")
    for heading in ("column", "result", "first bar that differs", "when cut after"):
        table.add_column(heading)
    for column in report.columns:
        verdict = Text("pass", "green") if column.passed else Text("LOOKS AHEAD", "red")
        table.add_row(column.column, verdict, str(column.first_bar or ""),
                      str(column.cut or ""))
    console.print(table)
    if not report.passed:
        raise report.error()
    say(("passed", "green"), f" {strategy}: no look-ahead at {len(report.cuts)} cuts")


#: The main job's defaults: the bundled sample, a strategy with stop, target and time exits
#: (so every candidate has a label), the sample's missing spread set, and the walk-forward judge.
MAIN_JOB = {
    "data": {"timeframe": "H1"},
    "strategy": {"name": "bollinger_reversion"},
    "costs": {"spread_pips": 0.8},
    "judge": {"mode": "walk-forward", "retrain": "monthly", "min_train": 60},
}


@app.command("run")
def run(
    config_file: Annotated[
        Path | None, typer.Argument(help="A run .toml file; default: the bundled sample.")
    ] = None,
    lang: opt.LangOption = "en",
    display_tz: opt.DisplayTzOption = None,
    no_lookahead_check: opt.NoLookaheadCheckOption = False,
) -> None:
    """The whole verification in one command: backtest with and without the walk-forward AI
    judgment, write the HTML report and the run index, print the headline."""
    from fxjudge import runconfig
    from fxjudge.report.i18n import labels
    from fxjudge.report.verdict import headline_text

    defaults = {**MAIN_JOB, "data": {**MAIN_JOB["data"], "source": str(config.sample_path())}}
    file_cfg = runconfig.load_file(config_file) if config_file else {}
    merged = runconfig.merge(defaults, file_cfg)
    if no_lookahead_check:
        merged["lookahead_check"] = False
    result, report = _execute(merged, lang=lang, display_tz=display_tz)
    if hasattr(result, "judge"):
        say((headline_text(result, lang), "bold"))
    console.print(labels(lang)["term_open"].format(report=report,
                                                   index=report.parent.parent / "index.html"))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map errors to exit codes: user error 2, bug 1 (with traceback)."""
    saved_project = os.environ.get(config.ENV_PROJECT_DIR)
    try:
        app(args=argv, prog_name="fxjudge")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except FxJudgeError as error:
        say(("error:", "red"), f" {error}", stderr=True)
        return 2
    finally:  # --project-dir sets the variable for this run only (main runs in tests too)
        if saved_project is None:
            os.environ.pop(config.ENV_PROJECT_DIR, None)
        else:
            os.environ[config.ENV_PROJECT_DIR] = saved_project
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A saved run folder, e.g. reports/<run-id>.")],
    lang: opt.LangOption = "en",
    display_tz: opt.DisplayTzOption = None,
) -> None:
    """Rebuild a saved run's report.html and the runs index, without recomputing the run."""
    from fxjudge.report import load_run, write_run_report
    from fxjudge.report.display import display_clock
    from fxjudge.report.i18n import labels

    labels(lang)  # a bad --lang or --display-tz fails before anything is read
    display_clock(display_tz)
    if not run_dir.is_dir():
        raise ConfigError(f"`RUN_DIR` must be a saved run folder, was {str(run_dir)!r}")
    path = write_run_report(load_run(run_dir), run_dir, lang, display_tz=display_tz)
    say(("wrote", "green"), f" {path}")
    say(("index", "green"), f" {run_dir.parent / 'index.html'}")
