"""`fxjudge judge ...` and the judged parts of `fxjudge backtest`: a thin shell over the API.

`fxjudge judge train` trains a judge on a period and saves it (`fxjudge.api.train_judge`);
`fxjudge backtest ... --judge walk-forward` (or ``--judge models/NAME``) uses the helpers below
to turn flags into judge options, show the walk-forward's progress and print the run with and
without the judge side by side. Errors are mapped to exit codes by `fxjudge.cli.main`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fxjudge import cli_options as opt
from fxjudge.cli_output import collected_warnings, console, say, say_warning
from fxjudge.errors import ConfigError

judge_app = typer.Typer(help="Train and save AI judges.", no_args_is_help=True)

ModelOption = Annotated[str | None, typer.Option(
    "--model", help="The judge's estimator: hgb (default), logistic, random_forest or a dotted "
    "path such as sklearn.ensemble.ExtraTreesClassifier.")]
RetrainOption = Annotated[str | None, typer.Option(
    "--retrain", help="Refit the walk-forward judge 'monthly' (default) or every N bars.")]
TrainWindowOption = Annotated[str | None, typer.Option(
    "--train-window", help="'anchored' (all the past, default), a duration like 365D, or N bars.")]
ThresholdOption = Annotated[str | None, typer.Option(
    "--threshold", help="'tune' (default: best on purged validation folds of the training "
    "data), 'base_rate', or a probability such as 0.55.")]
LabelHorizonOption = Annotated[int | None, typer.Option(
    "--label-max-bars", help="Labelling horizon in bars for strategies without a stop, target "
    "or max_bars.")]
AllowParamChangeOption = Annotated[bool, typer.Option(
    "--allow-param-change", help="Apply a saved model to strategy parameters other than those "
    "it was trained with (the report says so).")]
AllowBeforeTrainingOption = Annotated[bool, typer.Option(
    "--allow-before-training", help="Let a saved model judge candidates that come before its "
    "training window, i.e. with knowledge of their future (the report says so).")]
TrustTypeOption = Annotated[list[str] | None, typer.Option(
    "--trust-type", help="An exact module.Class a saved model may hold beyond what fxjudge "
    "saves (the classes of a dotted-path --model you trained yourself); repeat for each.")]
JudgeModelsOption = Annotated[str | None, typer.Option(
    "--judge-models", help="A portfolio's walk-forward judge: per-pair (one model per pair, "
    "on its own leg's past; the default) or pooled (one model over every leg's candidates, "
    "the pair a feature).")]

FeaturesOption = Annotated[str | None, typer.Option(
    "--features", help="The judge's features: library (default: every library feature, raw "
    "and oriented to the trade, with the strategy's), strategy (only the strategy's own and "
    "the side), or library names and glob patterns, comma-separated (ret*_x_side,hour_*), to "
    "which the side and the strategy's features are added.")]


def _number_or_word(text: str, name: str, words: tuple[str, ...], kind: type) -> Any:
    if text in words:
        return text
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"`{name}` must be {' or '.join(repr(w) for w in words)} or a "
                          f"{kind.__name__}, was {text!r}") from None


def judge_options(model: str | None = None, retrain: str | None = None,
                  train_window: str | None = None, threshold: str | None = None,
                  label_max_bars: int | None = None, *, allow_param_change: bool = False,
                  allow_before_training: bool = False,
                  trust_types: list[str] | None = None,
                  features: str | None = None, models: str | None = None) -> dict[str, Any]:
    """The `judge_options` of `fxjudge.api.backtest` (and `models`, of a portfolio's
    `backtest_portfolio`) that these flags set (others default)."""
    options: dict[str, Any] = {}
    if models is not None:
        options["models"] = models
    if allow_param_change:
        options["allow_param_change"] = True
    if allow_before_training:
        options["allow_before_training"] = True
    if trust_types:
        options["trusted_types"] = list(trust_types)
    if model is not None:
        options["estimator"] = model
    if retrain is not None:
        options["retrain"] = _number_or_word(retrain, "--retrain", ("monthly",), int)
    if train_window is not None:
        window = train_window
        options["train_window"] = int(window) if window.isdigit() else window
    if threshold is not None:
        options["threshold"] = _number_or_word(threshold, "--threshold", ("tune", "base_rate"),
                                               float)
    if label_max_bars is not None:
        options["label_max_bars"] = label_max_bars
    if features is not None:
        named = features.strip() in ("library", "strategy")
        options["features"] = features.strip() if named else [
            part.strip() for part in features.split(",") if part.strip()]
    return options


@contextmanager
def walk_forward_progress(enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar over the walk-forward periods (or, when not `enabled`, over the bars
    of a plain backtest); yields the callback to pass on."""
    label = "judging: refit per period" if enabled else "backtesting: bars"
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("periods", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _fmt(value: float, spec: str) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else format(value, spec)


def print_judged(result, t: dict) -> None:
    """The run with and without the judge side by side, the judge's scores and any warning,
    in the words of `t` (the report's labels of the run's ``--lang``)."""
    config = result.without_judge.config
    table = Table(title=t["term_title_judged"].format(
        strategy=config["strategy"]["name"], pair=config["data"]["pair"],
        timeframe=config["data"]["timeframe"]))
    table.add_column("")
    table.add_column(t["without_short"], justify="right")
    table.add_column(t["with_short"], justify="right")
    runs = [result.without_judge, result.with_judge]
    report = result.judge
    stats = [report.without_judge, report.with_judge]
    if result.judge_sized is not None:  # veto only, then sized by the judge's probability
        table.add_column(t["sized_short"], justify="right")
        runs.append(result.judge_sized)
        stats.append(report.judge_sized)
    for cells in zip(*(run.summary_rows(t) for run in runs), strict=True):
        table.add_row(cells[0][0], *(value for _, value in cells))
    since = result.judge_config.get("oos_start") or "-"
    table.add_section()
    table.add_row(t["term_oos"].format(date=since[:10]), *[""] * len(runs))
    for name, key, spec in (("sharpe", "sharpe", ".2f"),
                            ("profit_factor", "profit_factor", ".2f"),
                            ("max_drawdown", "max_drawdown_pct", ".2%"),
                            ("n_trades", "trades", ".0f")):
        table.add_row(f"  {t[key]}", *(_fmt(getattr(group, name), spec) for group in stats))
    console.print(table)
    s, p = report.scores, report.precision
    console.print(t["term_judge"].format(
        auc=_fmt(s["auc"], ".3f"), n=f"{s['n']:,}", n_eff=_fmt(s.get("n_effective"), ",.1f"),
        not_judged=f"{report.n_not_judged:,}",
        brier=_fmt(s["brier"], ".4f"), kept=f"{p['n_taken']:,}",
        fraction=_fmt(p["kept_fraction"], ".0%"), precision=_fmt(p["precision_taken"], ".1%"),
        base=_fmt(p["base_rate"], ".1%"),
        rank_p=_fmt(report.rank_test.get("p_value"), ".3f"),
        pnl_p=_fmt(report.pnl_test.get("p_value"), ".3f"),
        p=_fmt(report.random_filter.get("precision_p_value"), ".3f")))
    for warning in result.judge_config.get("warnings") or []:
        say_warning(warning)


@judge_app.command("train")
def train(
    strategy: Annotated[str, typer.Option("--strategy", help="e.g. ema_atr.")],
    out: Annotated[Path, typer.Option("--out", help="Model folder, e.g. models/ema_eurusd.")],
    data: opt.DataOption = None,
    pair: opt.PairOption = None,
    timeframe: opt.TimeframeOption = None,
    start: opt.FromOption = None,
    end: opt.ToOption = None,
    detail_timeframe: opt.DetailTimeframeOption = None,
    settings: opt.SetOption = None,
    spread_pips: opt.SpreadPipsOption = None,
    slippage_pips: opt.SlippagePipsOption = None,
    model: ModelOption = None,
    threshold: ThresholdOption = None,
    label_max_bars: LabelHorizonOption = None,
    features: FeaturesOption = None,
) -> None:
    """Train a judge on a period's candidates and save it (skops model + card.json)."""
    from fxjudge import runconfig
    from fxjudge.api import train_judge
    from fxjudge.config import project_path

    source = project_path(data) or pair
    if not source:
        raise ConfigError("`--data FILE` or `--pair PAIR` must say which prices to use")
    costs = {k: v for k, v in (("spread_pips", spread_pips), ("slippage_pips", slippage_pips))
             if v is not None}
    with console.status("labelling candidates and training the judge ..."), \
            collected_warnings() as warned:
        folder, card = train_judge(
            source, strategy, out, params=runconfig.parse_settings(settings or []) or None,
            costs=costs, start=start, end=end, timeframe=timeframe,
            pair=pair if data else None,
            judge_options=judge_options(model, None, None, threshold, label_max_bars,
                                        features=features),
            detail_timeframe=detail_timeframe,
        )
    scores = card.get("validation_scores") or {}
    window = card["training_window"]
    console.print(f"trained on {card['candidates']['trained_on']:,} candidates from "
                  f"{window['start']} to {window['end']}; validation AUC "
                  f"{_fmt(scores.get('auc'), '.3f')} (purged folds), threshold "
                  f"{_fmt(card.get('threshold'), '.3f')}")
    for message in warned:
        say_warning(message)
    say(("wrote", "green"), f" {folder}")
