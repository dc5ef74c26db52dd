"""The Python API: `backtest` runs a strategy on bars through the FX engine.

The CLI is a thin shell over these functions; notebooks call them directly.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from fxjudge import config as project_config
from fxjudge import runconfig
from fxjudge.data.bars import conform_bars, fingerprint
from fxjudge.data.bars import timeframe as timeframe_of
from fxjudge.data.load import clip_period, load_bars
from fxjudge.domain import FxPair
from fxjudge.engine import simulate
from fxjudge.engine.conversion import quote_rates
from fxjudge.engine.costs import Account, Costs, Sizing, rollover_nights
from fxjudge.errors import ConfigError, DataError, must
from fxjudge.features.library import judge_features
from fxjudge.judge import (
    WALK_FORWARD,
    Judgement,
    LabelCosts,
    fit_judge,
    judge_settings,
    judge_signals,
    label_candidates,
    label_rule,
)
from fxjudge.judge.evaluation import TradeStats
from fxjudge.judge.labels import lower_bars_for
from fxjudge.judge.persist import save_model
from fxjudge.judge.portfolio import (
    DEFAULT_MODELS,
    MODELS,
    SAVED_PER_PAIR,
    JudgeLeg,
    judge_legs,
    judge_saved,
    portfolio_verdict,
)
from fxjudge.results import metrics
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import WARNING, BacktestResult
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import load_strategy, strategy_origin
from fxjudge.signals.lookahead import OFF_NOTE, require_no_lookahead
from fxjudge.signals.strategy import Strategy, run_signals

PACKAGES = ("fxjudge", "pandas", "numpy", "backtrader", "scikit-learn", "ta")


def _as(kind: type, value: Any, name: str):
    if value is None:
        return kind() if kind is not Sizing else Sizing(lots=1.0)
    if isinstance(value, kind):
        return value
    if isinstance(value, dict):
        return runconfig.build(kind, value, name)
    raise ConfigError(f"`{name}` must be a {kind.__name__} or a dict, was {value!r}")


def engine_objects(costs, account, sizing) -> tuple[Costs, Account, Sizing]:
    """`Costs`, `Account` and `Sizing` from objects, dicts of their fields, or None (defaults:
    no extra costs, a JPY 1,000,000 account at 25:1, one 10,000-unit lot per trade)."""
    return _as(Costs, costs, "costs"), _as(Account, account, "account"), _as(Sizing, sizing,
                                                                              "sizing")


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
        bars = clip_period(conform_bars(data), start, end)
    else:
        bars = load_bars(data, timeframe=timeframe, pair=pair, start=start, end=end,
                         format=format, tz=tz)
    if pair is not None:
        bars = bars.copy(deep=False)  # never relabel the caller's frame
        bars.attrs = {**bars.attrs, "pair": FxPair.parse(pair).symbol}
    if not bars.attrs.get("pair"):
        raise DataError("the bars do not say which pair they are", fix="pass pair='EURUSD'")
    if len(bars) < 2:
        raise DataError(
            f"only {len(bars)} bars between {start} and {end}",
            path=bars.attrs.get("source"), fix="widen the period or check the data",
        )
    return bars


def versions() -> dict[str, str]:
    """Installed versions of the packages that decide a run's numbers."""
    return project_config.package_versions(PACKAGES)


class _Signals(NamedTuple):
    """What every run starts from: the bars, the strategy, its signals and exit levels."""

    bars: pd.DataFrame
    pair: FxPair
    strategy: Strategy
    features: pd.DataFrame
    signals: pd.Series
    rules: ExitRules
    levels: pd.DataFrame
    lookahead_note: str


def resolve_detail(data, bars: pd.DataFrame, detail_timeframe: str | None,
                   detail_bars: pd.DataFrame | None, *, pair: str | None) -> pd.DataFrame | None:
    """The lower-timeframe bars that decide which of a stop and a target came first in a bar.

    From `detail_bars`, or loaded in `detail_timeframe` from the same file or catalog pair as
    `data`, over the period of `bars`; it must be shorter than the bars' timeframe.
    """
    if detail_bars is not None and detail_timeframe is not None:
        raise ConfigError("give `detail_timeframe` or `detail_bars`, not both")
    if detail_bars is not None:
        lower = conform_bars(detail_bars, name="detail bars")
    elif detail_timeframe is None:
        return None
    elif isinstance(data, pd.DataFrame):
        raise ConfigError("`detail_timeframe` loads the lower bars from a file or the catalog; "
                          "with bars given as a DataFrame pass detail_bars=... instead")
    else:
        lower = load_bars(data, timeframe=detail_timeframe, pair=pair, start=bars.index[0],
                          end=period_end(bars))
    main_tf, lower_tf = bars.attrs.get("timeframe"), lower.attrs.get("timeframe")
    if main_tf and lower_tf and timeframe_of(lower_tf).minutes >= timeframe_of(main_tf).minutes:
        raise ConfigError(f"`detail_timeframe` must be shorter than the bars' {main_tf}, was "
                          f"{lower_tf!r}")
    if len(lower) == 0:
        raise DataError(f"no {lower_tf or 'detail'} bars in the run's period",
                        fix="import the lower timeframe for this period, or leave it out")
    return lower


def _detail_note(trades: pd.DataFrame, lower: pd.DataFrame) -> str:
    """How many trades with a stop and a target met in one bar the lower bars decided."""
    decided = int((trades["same_bar_rule"] == "lower_timeframe").sum())
    left = int((trades["same_bar_rule"] == "stop_first").sum())
    name = lower.attrs.get("timeframe") or "lower"
    return (f"{name} bars decided {decided} of {decided + left} trades whose stop and target "
            f"were both met in one bar ({left} met both inside one {name} bar too: stop first)")


def _signals(data, strategy, params, *, project, timeframe, pair, start, end,
             lookahead_check: bool = True) -> _Signals:
    bars = resolve_bars(data, timeframe=timeframe, pair=pair, start=start, end=end)
    fx_pair = FxPair.parse(bars.attrs["pair"])
    chosen = load_strategy(strategy, params, project=project)
    features, signals = run_signals(chosen, bars)
    note = lookahead_note(chosen, bars, lookahead_check, name=_strategy_name(strategy, chosen),
                          full=(features, signals))
    rules = chosen.exit_rules
    levels = exit_levels(bars, signals, rules, fx_pair)
    return _Signals(bars, fx_pair, chosen, features, signals, rules, levels, note)


#: The run's red warning when the look-ahead check was turned off.
LOOKAHEAD_OFF = OFF_NOTE


def lookahead_note(strategy: Strategy, bars: pd.DataFrame, enabled: bool, *,
                   name: str | None = None, full=None) -> str:
    """Check `strategy` on `bars` for look-ahead (`fxjudge.signals.lookahead`) unless
    `enabled` is False; return the run's note. A strategy that fails raises `StrategyError`."""
    if not isinstance(enabled, bool):
        raise must("lookahead_check", "true or false", enabled)
    if not enabled:
        return LOOKAHEAD_OFF
    return require_no_lookahead(strategy, bars, name=name, full=full).note()


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
    judge: str | Path | None = None,
    judge_options: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    detail_timeframe: str | None = None,
    detail_bars: pd.DataFrame | None = None,
    engine: str | None = None,
    lookahead_check: bool = True,
) -> BacktestResult | JudgedResult:
    """Run `strategy` on `data` through the FX engine and return its `BacktestResult`.

    `data` is bars, a file, or a catalog pair (with `timeframe`); `strategy` a class, an instance
    or a name in the project's `strategies/`; `params` override the strategy's parameters.
    `costs`, `account` and `sizing` take the objects of `fxjudge.engine.costs` or dicts of their
    fields (defaults: no extra costs beyond the bars' spread, a JPY 1,000,000 account at 25:1 with
    10,000-unit lots, one lot per trade). `conversion` gives the rate for P&L whose quote
    currency is not the account's (bars of a conversion pair or a fixed rate; ECB daily rates
    otherwise).

    `judge` adds the AI judgment and returns a `JudgedResult` (the runs with and without it):
    ``"walk-forward"`` refits a judge every period on the past (`judge_options`: see
    `JUDGE_OPTIONS`; `progress(done, total)` is called after each period, or, without a judge,
    as the engine goes through the bars), a folder written by
    `train_judge` (``"models/NAME"``, relative to the project) applies that saved model.

    `detail_timeframe` (e.g. ``"M1"``, from the same file or catalog pair) or `detail_bars`
    resolve which of a stop and a target came first inside a bar, in the engine and in the
    judge's labels (a note says how many trades they decided). `engine` is ``"compiled"`` (the
    default: None) or ``"backtrader"``, the reference it is held to trade for trade.

    Before anything uses them, the strategy's features and signals are checked for look-ahead
    (`fxjudge.signals.lookahead`: truncation at 30 cuts, passes cached); a strategy that fails
    is refused with `StrategyError`. ``lookahead_check=False`` skips the check: the run records
    it (``lookahead_check = false``) and its report says so in red.
    """
    if judge is None and judge_options:
        raise ConfigError("`judge_options` need `judge` ('walk-forward' or a model folder), "
                          "was None")
    costs = _as(Costs, costs, "costs")
    account = _as(Account, account, "account")
    sizing = _as(Sizing, sizing, "sizing")
    if sizing.by_probability and judge is None:
        raise ConfigError("sizing by probability (`by_probability`, --size-by-probability) "
                          "needs the judge's probabilities: add --judge walk-forward (or a "
                          "saved model), or size without it")
    sized_sizing, sizing = sizing, dataclasses.replace(sizing, by_probability=False,
                                                       probability_step=None)
    prepared = _signals(data, strategy, params, project=project, timeframe=timeframe, pair=pair,
                        start=start, end=end, lookahead_check=lookahead_check)
    bars, fx_pair, chosen, features, signals, rules, levels, checked = prepared
    lower = resolve_detail(data, bars, detail_timeframe, detail_bars, pair=pair)
    verdict = None
    if judge is not None:  # judged before anything runs: a bad model fails fast
        verdict = judge_signals(
            bars, signals, levels, rules, _judge_spec(judge, project),
            strategy_features=features, options=judge_options,
            costs=label_costs(bars, fx_pair, costs, account, conversion), progress=progress,
            strategy={"name": _strategy_name(strategy, chosen),
                      "params": dataclasses.asdict(chosen.params)},
            lower_bars=lower,
        )
    probability = None if verdict is None else verdict.probability_on(bars.index)

    def execute(entries_allowed=None, report=None, sized=False) -> BacktestResult:
        run = simulate(bars, signals, levels, pair=fx_pair, rules=rules, costs=costs,
                       account=account, sizing=sized_sizing if sized else sizing,
                       conversion=conversion,
                       probability=probability, lower_bars=lower,
                       entries_allowed=entries_allowed, progress=report,
                       **({"engine": engine} if engine else {}))
        configuration["engine"] = run.engine
        notes = [checked, *run.notes] + ([_detail_note(run.trades, lower)]
                                         if lower is not None else [])
        return BacktestResult(trades=run.trades, equity=run.equity, config=configuration,
                              notes=notes)

    source = data if isinstance(data, str | Path) else bars.attrs.get("source", "bars")
    configuration = {
        "data": {
            "source": str(source),
            "pair": fx_pair.symbol,
            "timeframe": bars.attrs.get("timeframe"),
            "start": bars.index[0].isoformat(),
            "end": period_end(bars).isoformat(),
            "bars": len(bars),
            "price_side": bars.attrs.get("price_side", "bid"),
            "fingerprint": fingerprint(bars),
            "conversion": conversion if isinstance(conversion, float | int) else None,
            "detail_timeframe": None if lower is None else lower.attrs.get("timeframe"),
        },
        "strategy": {
            "name": _strategy_name(strategy, chosen),
            "class": type(chosen).__name__,
            "params": dataclasses.asdict(chosen.params),
            **strategy_origin(strategy, project),
        },
        "costs": dataclasses.asdict(costs),
        "account": dataclasses.asdict(account),
        "sizing": sizing_config(sized_sizing),
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if not lookahead_check:
        configuration["lookahead_check"] = False
    if judge is not None:
        configuration["judge"] = {"mode": str(judge), **_plain(judge_options or {})}
    result = execute(report=progress if judge is None else None)
    if verdict is None:
        return result
    with_judge = execute(entries_allowed=verdict.allowed_on(bars.index))
    judge_sized = None
    if sized_sizing.by_probability:  # the judged trades again, each sized by its probability
        judge_sized = execute(entries_allowed=verdict.allowed_on(bars.index), sized=True)
    return judged_result(result, with_judge, verdict, judge_sized)


def sizing_config(sizing: Sizing) -> dict:
    """The run file's [sizing] of `sizing`: its mode, and sizing by probability when on."""
    values = dataclasses.asdict(sizing)
    if not sizing.by_probability:
        values = {k: v for k, v in values.items() if k not in ("by_probability",
                                                               "probability_step")}
    return values


def period_end(bars: pd.DataFrame) -> pd.Timestamp:
    """The exclusive end of the bars' period: the last bar's open plus one bar.

    A run's saved ``[data] start`` and ``end`` are this half-open range, so that rerunning its
    config.toml takes exactly the same bars.
    """
    name = bars.attrs.get("timeframe")
    step = timeframe_of(name).delta if name else pd.Timedelta(seconds=1)
    return bars.index[-1] + step


def _strategy_name(spec, chosen: Strategy) -> str:
    if isinstance(spec, str):
        return spec
    return type(chosen).__module__.rsplit(".", 1)[-1]


def run_id(result: BacktestResult) -> str:
    """A readable id that sorts by time: ``20261128-061500-123456-sma_cross-EURUSD-H1``.

    The stamp has microseconds, so that runs started in the same second differ; `save_run`
    still never reuses a folder.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    data = result.config["data"]
    return f"{stamp}-{result.config['strategy']['name']}-{data['pair']}-{data['timeframe']}"


def save_run(result: BacktestResult, project: str | Path | None = None, *,
             equity_csv: bool = False) -> Path:
    """Write the run into a new folder `reports/<run-id>/` and return it (`new_run_folder`;
    `equity_csv`: the equity curve as CSV too, beside its Parquet)."""
    return result.save(new_run_folder(run_id(result), project, stamped=False),
                       equity_csv=equity_csv)


def new_run_folder(name: str, project: str | Path | None = None, *,
                   stamped: bool = True) -> Path:
    """Create and return a new folder `reports/<stamp>-<name>/` (the stamp sorts by time).

    The folder is created exclusively: a run started at the same instant as another gets the
    suffix ``-2``, ``-3``... instead of writing into the other's folder.
    """
    root = project_config.reports_dir(project)
    root.mkdir(parents=True, exist_ok=True)
    base = f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}-{name}" if stamped else name
    for attempt in itertools.count(1):
        folder = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise AssertionError("unreachable")  # itertools.count never ends


# -- the judged path -------------------------------------------------------------------------


def _judge_spec(judge: str | Path, project: str | Path | None) -> str | Path:
    """"walk-forward", or a model folder (relative paths from the project directory)."""
    if str(judge) == WALK_FORWARD:
        return WALK_FORWARD
    folder = Path(judge).expanduser()
    return folder if folder.is_absolute() else project_config.project_dir(project) / folder


def label_costs(bars: pd.DataFrame, pair: FxPair, costs: Costs, account: Account,
                conversion) -> LabelCosts:
    """The engine's costs in pips per unit, for labels: swap nights per bar and the commission
    (both sides) converted from the account currency at each bar's rate (at its open)."""
    commission = 0.0
    if costs.commission_per_lot:
        rates = quote_rates(pair, account.currency, bars.index, conversion)
        rate = rates.along(0, len(bars), bars["open"].to_numpy(dtype=float))
        commission = 2 * costs.commission_per_lot / account.lot_size / rate / pair.pip_size
    nights = None
    if costs.swap_long_pips or costs.swap_short_pips:
        nights = rollover_nights(bars.index, costs.triple_swap_weekday)
    return LabelCosts(spread_pips=costs.spread_pips, slippage_pips=costs.slippage_pips,
                      commission_pips=commission, swap_long_pips=costs.swap_long_pips,
                      swap_short_pips=costs.swap_short_pips, nights=nights)


def trade_stats(result: BacktestResult, since: pd.Timestamp | None) -> TradeStats:
    """Sharpe (FX-daily, x252), profit factor, max drawdown (fraction of the peak) and trade
    count of the trades entered from `since` on, on the equity curve from `since` on."""
    if since is None:
        return TradeStats()
    trades = result.trades[result.trades["entry_time"] >= since]
    equity = result.equity["equity"]
    before = equity[equity.index < since]
    start = float(before.iloc[-1]) if len(before) else float(result.config["account"]["balance"])
    part = equity[equity.index >= since]
    daily = metrics.fx_daily_returns(part, start_value=start)
    return TradeStats(
        sharpe=metrics.sharpe_ratio(daily, result.periods_per_year),
        profit_factor=metrics.profit_factor(trades["net_account"]),
        max_drawdown=metrics.max_drawdown(part, start=start)[0],
        n_trades=float(len(trades)),
    )


def judged_result(without: BacktestResult, with_judge: BacktestResult,
                  verdict: Judgement, judge_sized: BacktestResult | None = None) -> JudgedResult:
    """The runs without and with the judge (and, sizing by probability, the judged run sized
    by it), its warnings noted, as one `JudgedResult`."""
    for note in verdict.warnings:
        warnings.warn(note, UserWarning, stacklevel=3)
        for run in (without, with_judge, judge_sized):
            if run is not None:
                run.notes.append(f"{WARNING} {note}")
    since = verdict.config.get("oos_start")
    since = None if since is None else pd.Timestamp(since)
    report = verdict.report()
    report.with_judge = trade_stats(with_judge, since)
    report.without_judge = trade_stats(without, since)
    if judge_sized is not None:
        report.judge_sized = trade_stats(judge_sized, since)
    config = _plain(verdict.config | {"trade_stats_from": verdict.config.get("oos_start")})
    return JudgedResult(without_judge=without, with_judge=with_judge,
                        candidates=verdict.candidates, judge=report, judge_config=config,
                        judge_sized=judge_sized)


def _plain(value):
    """Configuration values as TOML/JSON types (durations and objects as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def train_judge(
    data: pd.DataFrame | str | Path,
    strategy: type[Strategy] | Strategy | str,
    out: str | Path,
    *,
    params: dict[str, Any] | None = None,
    costs: Costs | dict | None = None,
    account: Account | dict | None = None,
    start=None,
    end=None,
    timeframe: str | None = None,
    pair: str | None = None,
    conversion: float | pd.DataFrame | None = None,
    judge_options: dict[str, Any] | None = None,
    project: str | Path | None = None,
    detail_timeframe: str | None = None,
    detail_bars: pd.DataFrame | None = None,
    lookahead_check: bool = True,
) -> tuple[Path, dict]:
    """Train a judge on every resolved candidate of `data` [start, end) and save it to `out`.

    The folder (relative paths from the project) gets the skops model and its card: features,
    training window (first and last bar), label rule, data fingerprint, strategy, threshold,
    validation scores and versions. Returns the folder and the card. `detail_timeframe` /
    `detail_bars` decide the labels' same-bar cases as in `backtest`; `lookahead_check` as
    there (the card records ``lookahead_check: false`` when it was off).
    """
    costs = _as(Costs, costs, "costs")
    account = _as(Account, account, "account")
    prepared = _signals(data, strategy, params, project=project, timeframe=timeframe, pair=pair,
                        start=start, end=end, lookahead_check=lookahead_check)
    bars, fx_pair, chosen, features, signals, rules, levels, _ = prepared
    options = judge_settings(judge_options)
    spent = label_costs(bars, fx_pair, costs, account, conversion)
    lower = resolve_detail(data, bars, detail_timeframe, detail_bars, pair=pair)
    labels = label_candidates(
        bars, signals, levels, rules, costs=spent, label_max_bars=options["label_max_bars"],
        lower=lower_bars_for(bars, lower, costs.spread_pips, fx_pair.pip_size))
    X = judge_features(bars, signals, features, spread_pips=costs.spread_pips,
                       features=options["features"])
    model = fit_judge(X, labels, options)
    card = _plain({
        "training_window": {"start": bars.index[0].isoformat(),
                            "end": bars.index[-1].isoformat()},
        "label_rule": label_rule(rules, options, spent),
        "data_fingerprint": fingerprint(bars),
        "data": {"source": str(data if isinstance(data, str | Path) else
                               bars.attrs.get("source", "bars")),
                 "pair": fx_pair.symbol, "timeframe": bars.attrs.get("timeframe"),
                 "bars": len(bars),
                 "detail_timeframe": None if lower is None else lower.attrs.get("timeframe")},
        "strategy": {"name": _strategy_name(strategy, chosen), "class": type(chosen).__name__,
                     "params": dataclasses.asdict(chosen.params)},
        "costs": dataclasses.asdict(costs),
        "judge_options": options,
        "candidates": {"total": len(labels), "trained_on": int(labels["label"].notna().sum()),
                       "base_rate": float(labels["label"].mean())},
        **({} if lookahead_check else {"lookahead_check": False}),
    })
    folder = Path(_judge_spec(Path(out), project))
    save_model(model, folder, card)
    saved = json.loads((folder / "card.json").read_text())
    weak = weak_validation(saved.get("validation_scores") or {})
    if weak:
        warnings.warn(f"{folder}: {weak}", UserWarning, stacklevel=2)
    return folder, saved


def weak_validation(scores: dict) -> str:
    """Why a trained judge has not shown it ranks winners better than chance, or "".

    Its validation AUC (out of fold, purged) must be above 0.5 by more than its standard error
    (`metrics.auc_standard_error`, from the validated candidates' wins and losses).
    """
    auc, n, rate = (scores.get(k) for k in ("auc", "n", "base_rate"))
    if not isinstance(auc, int | float) or not math.isfinite(auc):
        return ("its validation AUC is undefined (" + (scores.get("undefined_reason") or
                "no validated candidates") + "): nothing shows it can tell winners from losers")
    wins = round(float(n or 0) * float(rate or 0))
    error = metrics.auc_standard_error(float(auc), wins, int(n or 0) - wins)
    if auc - 0.5 > error:
        return ""
    return (f"its validation AUC {auc:.3f} is not above 0.5 by more than its standard error "
            f"({error:.3f}, from {wins} wins and {int(n or 0) - wins} losses): it has not "
            "shown it ranks winners better than chance, so its vetoes may be noise; train on "
            "more data or fewer features before trusting it")


#: what a leg of `backtest_portfolio` may set (the others come from the call's arguments)
LEG_KEYS = frozenset({"data", "pair", "strategy", "params", "costs", "sizing", "timeframe"})


def leg_spec(number: int, given: dict[str, Any] | str, strategy) -> tuple[dict, Any]:
    """Portfolio leg `number` as a dict of `LEG_KEYS` (a catalog pair's name is its `data`),
    checked, and its strategy (its own, else the call's `strategy`)."""
    spec = {"data": given} if isinstance(given, str) else dict(given)
    unknown = set(spec) - LEG_KEYS
    if unknown:
        raise ConfigError(f"leg {number}: unknown keys {sorted(unknown)} (a leg may set "
                          f"{sorted(LEG_KEYS)})")
    if "data" not in spec:
        raise ConfigError(f"leg {number} must give `data` (bars, a file or a catalog pair)")
    chosen = spec.get("strategy", strategy)
    if chosen is None:
        raise ConfigError(f"leg {number} needs a `strategy` (or give one for all legs)")
    return spec, chosen


def backtest_portfolio(
    legs: list[dict[str, Any] | str],
    *,
    strategy: type[Strategy] | Strategy | str | None = None,
    params: dict[str, Any] | None = None,
    costs: Costs | dict | None = None,
    account: Account | dict | None = None,
    sizing: Sizing | dict | None = None,
    start=None,
    end=None,
    timeframe: str | None = None,
    conversion=None,
    project: str | Path | None = None,
    engine: str | None = None,
    judge: str | Mapping[str, str | Path] | None = None,
    judge_options: dict[str, Any] | None = None,
    lookahead_check: bool = True,
):
    """Run several pairs in one account and return a `results.portfolio.PortfolioBacktest`.

    Each leg is a dict of `LEG_KEYS` (``data``: bars, a file or a catalog pair; ``pair``;
    ``strategy``, ``params``, ``costs``, ``sizing``, ``timeframe`` override the call's own), or
    a catalog pair's name. The legs share `account` (its balance, margin and stop-out) on the
    merged timeline of their bars (the engine docstring's "Portfolios"); a leg whose quote
    currency is not the account's converts with another leg's bars where one is the cross,
    else with `conversion` (a fixed rate, conversion bars, or a mapping from the currency).
    The statistics are the account's.

    ``judge="walk-forward"`` judges every leg's candidates out of sample and runs the legs with
    those vetoes; the result's `without_judge` is the same portfolio unjudged. `judge_options`
    are `backtest`'s, plus ``models``: ``"per-pair"`` (the default) fits one walk-forward model
    per pair on its own leg's resolved past; ``"pooled"`` one model over the candidates of all
    legs with the pair as a feature, trained at every cut on the labels of all legs resolved
    before it (`fxjudge.judge.portfolio`). Per pair is the default (each leg judged as its own
    one-pair backtest); in benchmarks/bench_portfolio_judge.py (results/portfolio_judge.txt,
    docs/judge.md) pooling paid where every pair had the same planted edge and matched per pair
    where one had.
    ``judge={"USDJPY": "models/uj", "EURUSD": "models/eu"}`` judges each leg with its pair's
    saved model instead (`fxjudge.judge.portfolio.judge_saved`; relative folders from the
    project), checked as a one-pair backtest checks it; `judge_options` then as there.

    Every leg's strategy is checked for look-ahead on its bars as `backtest` checks one
    (``lookahead_check=False`` skips it, the run records it and its notes say so).
    """
    from fxjudge.engine.portfolio import Leg, leg_conversion

    if judge is None and judge_options:
        raise ConfigError("`judge_options` need `judge` ('walk-forward' or a mapping pair -> "
                          "model folder), was None")
    options = dict(judge_options or {})
    models = options.pop("models", SAVED_PER_PAIR if isinstance(judge, Mapping)
                         else DEFAULT_MODELS)
    if judge is not None and not isinstance(judge, Mapping) and str(judge) != WALK_FORWARD:
        raise ConfigError(f"`judge` must be {WALK_FORWARD!r} or, for saved models, a mapping "
                          f"pair -> model folder (USDJPY=models/NAME), was {judge!r}")
    if isinstance(judge, Mapping) and models != SAVED_PER_PAIR:  # as a run file records it
        raise ConfigError("`models` chooses the walk-forward judge's models; saved models are "
                          "one per pair (a pooled saved model is not built): remove it")
    if judge is not None and not isinstance(judge, Mapping) and models not in MODELS:
        raise must("models", " or ".join(repr(m) for m in MODELS), models)
    account = _as(Account, account, "account")
    built, described, features = [], [], []
    for number, given in enumerate(legs, 1):
        spec, chosen_strategy = leg_spec(number, given, strategy)
        prepared = _signals(spec["data"], chosen_strategy, spec.get("params", params),
                            project=project, timeframe=spec.get("timeframe", timeframe),
                            pair=spec.get("pair"), start=start, end=end,
                            lookahead_check=lookahead_check)
        leg_costs = _as(Costs, spec.get("costs", costs), "costs")
        leg_sizing = _as(Sizing, spec.get("sizing", sizing), "sizing")
        built.append(Leg(prepared.pair, prepared.bars, prepared.signals, prepared.levels,
                         prepared.rules, leg_costs, leg_sizing))
        features.append(prepared.features)
        data = spec["data"]
        described.append({
            "source": str(data if isinstance(data, str | Path)
                          else prepared.bars.attrs.get("source", "bars")),
            "pair": prepared.pair.symbol, "timeframe": prepared.bars.attrs.get("timeframe"),
            "start": prepared.bars.index[0].isoformat(),
            "end": period_end(prepared.bars).isoformat(), "bars": len(prepared.bars),
            "fingerprint": fingerprint(prepared.bars),
            "strategy": _strategy_name(chosen_strategy, prepared.strategy),
            "params": dataclasses.asdict(prepared.strategy.params),
            "costs": dataclasses.asdict(leg_costs), "sizing": dataclasses.asdict(leg_sizing),
        })
    unjudged = None
    if judge is not None:  # judged before anything runs: a bad model fails fast
        own = [(leg.pair, leg.bars) for leg in built]
        to_judge = [JudgeLeg(leg.bars, leg.signals, leg.levels, leg.rules,
                             label_costs(leg.bars, leg.pair, leg.costs, account,
                                         leg_conversion(leg.pair, account.currency, own,
                                                        conversion)[0]),
                             strategy_features=leg_features)
                    for leg, leg_features in zip(built, features, strict=True)]
        if isinstance(judge, Mapping):
            verdicts = judge_saved(
                to_judge, {pair: _judge_spec(folder, project) for pair, folder in judge.items()},
                options=options, strategies=[{"name": leg["strategy"], "params": leg["params"]}
                                             for leg in described])
        else:
            verdicts = judge_legs(to_judge, models=models, options=options)
        unjudged = _portfolio_result(built, described, account, conversion, engine)
        built = [dataclasses.replace(leg, probability=verdict.probability_on(leg.bars.index),
                                     entries_allowed=verdict.allowed_on(leg.bars.index))
                 for leg, verdict in zip(built, verdicts, strict=True)]
    result = _portfolio_result(built, described, account, conversion, engine)
    if not lookahead_check:
        result.account.config["lookahead_check"] = False
        result.account.notes.insert(0, LOOKAHEAD_OFF)
    if judge is not None:
        mode = {p: str(f) for p, f in judge.items()} if isinstance(judge, Mapping) \
            else WALK_FORWARD
        result.account.config["judge"] = {"mode": mode, **_plain(options), "models": models}
        result.without_judge = unjudged
        result.verdict = portfolio_verdict(verdicts, [leg["pair"] for leg in described], models)
    return result


def _portfolio_result(built, described, account: Account, conversion, engine):
    """`simulate_portfolio` on the built legs, as a `PortfolioBacktest`."""
    from fxjudge.engine.portfolio import simulate_portfolio
    from fxjudge.results.portfolio import PortfolioBacktest

    run = simulate_portfolio(built, account=account, conversion=conversion,
                             **({"engine": engine} if engine else {}))
    pairs = [leg["pair"] for leg in described]
    configuration = {
        "portfolio": True,
        "data": {"pair": ",".join(pairs), "timeframe": described[0]["timeframe"],
                 "start": min(leg["start"] for leg in described),
                 "end": max(leg["end"] for leg in described), "bars": len(run.account)},
        "strategy": {"name": ",".join(dict.fromkeys(leg["strategy"] for leg in described))},
        "legs": described,
        "account": dataclasses.asdict(account),
        "engine": run.engine,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = portfolio_account(run, configuration)
    prices = pd.DataFrame({leg.bars.attrs["pair"]: leg.bars["close"] for leg in built})
    prices = prices.reindex(run.account.index).ffill()
    return PortfolioBacktest(result, run.units, run.leg_pnl, prices,
                             _currency_rates(prices, account.currency))


def portfolio_account(run, configuration: dict, daily: pd.Series | None = None
                      ) -> BacktestResult:
    """The account of a `simulate_portfolio` run as a `BacktestResult` (its statistics are the
    account's): every leg's trades, the account's equity and the legs' total absolute units.
    A search gives the FX-day returns it computed on its calendar as `daily`."""
    equity = run.account.copy()
    equity["position_units"] = run.units.abs().sum(axis=1)
    return BacktestResult(trades=run.trades, equity=equity, config=configuration,
                          notes=list(run.notes), daily=daily)


def _currency_rates(prices: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Each currency of the legs in the account currency per unit, from the legs' closes
    (directly, inverted, or through another currency); NaN where the legs do not tell."""
    rates = {currency: pd.Series(1.0, index=prices.index)}
    pairs = [FxPair.parse(p) for p in prices.columns]
    for _ in range(len(pairs) + 1):
        for fx in pairs:
            close = prices[fx.symbol]
            if fx.quote in rates and fx.base not in rates:
                rates[fx.base] = close * rates[fx.quote]
            elif fx.base in rates and fx.quote not in rates:
                rates[fx.quote] = rates[fx.base] / close
    for fx in pairs:
        for name in (fx.base, fx.quote):
            rates.setdefault(name, pd.Series(np.nan, index=prices.index))
    return pd.DataFrame(rates)
