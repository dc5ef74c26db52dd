"""`render_report`: one self-contained HTML file for a `BacktestResult` or a `JudgedResult`.

The file works offline and alone: plotly's JavaScript comes from the installed plotly package
and is embedded once, gzipped and base64-encoded, as are the figures (one JSON object by chart
id), the trade table (JSON) and the trade table as CSV (what the page's download link saves as
``<name>-trades.csv``): plotly.js is 4.8 MB as text, 1.5 MB gzipped, and a year of M1 with
11,000 trades carries 3 MB of table JSON that gzips to 0.5 MB. Base64 needs no HTML escaping,
so no text can close a script block. The page inflates them with the browser's
`DecompressionStream` (Chrome 80, Firefox 113, Safari 16.4 and later), then draws the charts
and the table and sets ``body[data-charts="drawn"]`` and ``body[data-table="drawn"]``; a
browser without it says so where the charts and the table would be.
Templates are jinja2 with autoescape on: strategy names, parameters and notes are escaped
wherever they appear.

Sections: header, headline verdict (judged runs: over the judged period, the warm-up before it
on its own line; see `fxjudge.report.verdict`), KPI cards, all statistics and MetaTrader's
tester figures, charts (candlesticks with the trades), trades, the judge (its configuration
folded away), robustness, configuration and the reproducing command with package versions.
Times are shown on the `display_tz` clock (`fxjudge.report.display`), in `lang`'s words,
exit reasons and cost names included.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import jinja2
import pandas as pd
import plotly.io as pio
import plotly.offline
import tomli_w
from markupsafe import Markup

from fxjudge.config import package_versions
from fxjudge.domain import FxPair
from fxjudge.files import write_atomic
from fxjudge.report import charts, fmt, judge_charts, tables
from fxjudge.report.command import backtest_command
from fxjudge.report.display import DisplayClock, display_clock
from fxjudge.report.i18n import labels, note_text
from fxjudge.report.saved import load_price_bars
from fxjudge.report.verdict import judge_verdict
from fxjudge.results.judged import JudgedResult
from fxjudge.results.metrics import full_statistics, monthly_returns
from fxjudge.results.result import WARNING, BacktestResult, toml_safe
from fxjudge.signals.lookahead import OFF_NOTE as LOOKAHEAD_OFF

KPIS = ("net_profit", "return_pct", "cagr_pct", "sharpe", "sortino", "max_drawdown_pct",
        "profit_factor", "win_rate", "trades", "expectancy_pips", "payoff_ratio", "psr")
ALL_STATS = ("net_profit", "return_pct", "cagr_pct", "sharpe", "sortino", "calmar",
             "max_drawdown_pct", "max_drawdown_money", "max_drawdown_days", "recovery_factor",
             "profit_factor", "win_rate", "payoff_ratio", "expectancy_pips", "expectancy_money",
             "avg_win", "avg_loss", "largest_win", "largest_loss", "max_consecutive_wins",
             "max_consecutive_losses", "sqn", "trades", "trades_per_month", "exposure_pct",
             "total_pips", "commission_paid", "swap_net", "years", "periods_per_year")
ROBUSTNESS = ("psr", "dsr", "dsr_sr0", "min_trl_days", "min_trl_years", "sharpe_daily", "days",
              "skew", "kurtosis", "n_trials", "trials_sr_variance")
REPORT_PACKAGES = ("jinja2", "plotly")


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """plotly.js from the installed plotly package, gzipped and base64-encoded (once per
    process): the page inflates it with the browser's `DecompressionStream`."""
    return Markup(packed(plotly.offline.get_plotlyjs()))


def packed(text: str) -> str:
    """`text` gzipped (deterministically: no timestamp) and base64-encoded, ready for a
    ``<script type="application/octet-stream">`` block (base64 needs no HTML escaping)."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates of `fxjudge/report/templates`, autoescaped, strict about missing names."""
    return jinja2.Environment(loader=jinja2.PackageLoader("fxjudge.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


@dataclass
class Chart:
    """One figure on the page: its element id, the figure JSON, an optional caption."""

    id: str
    json: str
    caption: str = ""
    wide: bool = True
    height: int = 360


def chart(id: str, figure, caption: str = "", wide: bool = True) -> Chart:
    """A `Chart` of a plotly figure (None: a placeholder with the caption saying why).

    The element gets the figure's height in CSS: plotly's responsive resize sizes a chart to
    its element, which must therefore not collapse.
    """
    if figure is None:
        return Chart(id, "", caption, wide)
    return Chart(id, figure_json(figure), caption, wide, int(figure.layout.height or 360))


def figure_json(figure) -> str:
    """Compact figure JSON (numpy arrays as base64 typed arrays)."""
    return pio.to_json(figure, validate=False, remove_uids=True)


def render_report(
    result: BacktestResult | JudgedResult,
    path: str | Path,
    *,
    lang: str = "en",
    command: str | None = None,
    bars: pd.DataFrame | None = None,
    n_trials: int | None = None,
    display_tz: str | None = None,
) -> Path:
    """Write the HTML report of `result` to `path` (one file, its trade CSV inside); return it.

    `bars` are the prices for the price chart; without them the run's data source is read
    again (and the chart left out, with the reason, when it cannot be). `n_trials` is the number
    of configurations tried for the DSR (default: the config's ``n_trials``, else 1); the
    variance of their Sharpe ratios is the config's ``trials_sr_variance`` (per day, ddof 1,
    described by ``trials_sr_variance_source``), else assumed, and the robustness table says
    which.
    `command` is the command line that reproduces the run (default: the config's ``command``).
    `display_tz` is the clock times are shown in (`fxjudge.report.display`; default UTC).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = report_html(result, lang=lang, command=command, bars=bars, n_trials=n_trials,
                       display_tz=display_tz, csv_name=f"{path.stem}-trades.csv")
    return write_atomic(path, html)


def report_html(
    result: BacktestResult | JudgedResult,
    *,
    lang: str = "en",
    command: str | None = None,
    bars: pd.DataFrame | None = None,
    n_trials: int | None = None,
    display_tz: str | None = None,
    csv_name: str | None = None,
) -> str:
    """The report of `result` as one HTML page (the options as `render_report`'s).

    With `csv_name`, the page carries the full trade table as CSV too (gzipped), saved under
    that name by its download link; without (a report shown inside a notebook), it has no such
    link.
    """
    t = labels(lang)
    clock = display_clock(display_tz)
    judged = isinstance(result, JudgedResult)
    main = result.with_judge if judged else result
    config = result.config
    trials = int(n_trials or config.get("n_trials") or 1)
    variance = config.get("trials_sr_variance")
    # A judged run's headline is its judged period: both runs from the judge's first period on.
    base_run, main_run = result.judged_period() if judged else (None, main)
    stats, reasons = full_statistics(main_run, n_trials=trials, trials_sr_variance=variance)
    base = full_statistics(base_run, n_trials=trials,
                           trials_sr_variance=variance) if judged else None
    rejected = _rejected(result) if judged else None
    if bars is None:
        bars, price_problem = load_price_bars(config)
    else:
        price_problem = ""
    rows = tables.trade_rows(main.trades, rejected)
    notes = list(dict.fromkeys(main.notes + (result.without_judge.notes if judged else [])))
    context = {
        "lang": lang, "t": t, "judged": judged, "header": _header(config, t, clock),
        "strategy_name": str(config.get("strategy", {}).get("name", "")),
        "pair": str(config.get("data", {}).get("pair", "")),
        "timeframe": str(config.get("data", {}).get("timeframe", "")),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cards": _cards(stats, base[0] if base else None, main.currency, t),
        "verdict": judge_verdict(stats, base[0], result.judge, main.currency, t)
        if judged else None,
        "period_lines": _period_lines(result, main.currency, t, clock) if judged else [],
        "conventions": t["conventions"].format(ppy=f"{main.periods_per_year:g}",
                                               currency=main.currency),
        "clock_note": t["times_in"].format(clock=clock.long(t, main.equity.index)),
        "charts": _run_charts(result, main, bars, price_problem, rejected, t, clock),
        "judge": _judge_context(result, t) if judged else None,
        "stats_rows": _stat_rows(ALL_STATS, (stats, reasons), base, main.currency, t),
        "robustness_rows": _variance_source(
            _stat_rows(ROBUSTNESS, (stats, reasons), base, main.currency, t), stats, config, t),
        "tester_rows": _tester_rows(stats, base[0] if base else None, main.currency, t),
        "table": _table(rows, config, main.currency, t, clock),
        "csv_name": csv_name or "",
        "csv_gz": packed(tables.csv_text(rows)) if csv_name else "",
        "config_toml": tomli_w.dumps(toml_safe(config)),
        "command": command or config.get("command") or (
            t["command_missing"] if judged else backtest_command(config)),
        "versions": {**config.get("versions", {}), **package_versions(REPORT_PACKAGES)},
        "notes": [note_text(n, t) for n in notes],
        "warnings": [t["lookahead_off"] if n == LOOKAHEAD_OFF else n.removeprefix(WARNING).strip()
                     for n in notes if n.startswith(WARNING)],
        "plotly_js": plotly_js(),
    }
    context["table_gz"] = packed(json.dumps(context["table"]))
    drawn = [c for c in context["charts"] + (context["judge"] or {}).get("charts", []) if c.json]
    context["figures"] = packed("{" + ",".join(f'"{c.id}":{c.json}' for c in drawn) + "}")
    return environment().get_template("report.html.j2").render(**context)


def _period_lines(result: JudgedResult, currency: str, t: dict, clock: DisplayClock) -> list:
    """Which period the headline covers, and the warm-up before it."""
    since = result.judged_since
    if since is None:
        return [t["judged_all"]]
    trades, net = result.warm_up()
    shown = clock.wall([since])[0]
    return [t["judged_period"].format(since=f"{shown:%Y-%m-%d %H:%M} {clock.short(t)}"),
            t["warmup_line"].format(trades=f"{trades:,}", net=fmt.money(net, currency,
                                                                          sign=True))]


def _rejected(result: JudgedResult) -> pd.DataFrame:
    candidates = result.candidates
    return candidates[~candidates["taken"].astype(bool)]


def _header(config: dict, t: dict, clock: DisplayClock) -> list[tuple[str, str]]:
    data, strategy = config.get("data", {}), config.get("strategy", {})
    account, costs = config.get("account", {}), config.get("costs", {})

    def pairs(values: dict) -> str:
        return ", ".join(f"{t.get('field_' + k, k)}={v}" for k, v in values.items()
                         if v is not None) or "-"

    period = "–"
    if data.get("start") and data.get("end"):
        start, end = clock.wall([pd.Timestamp(data["start"]), pd.Timestamp(data["end"])])
        period = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {clock.short(t)}"
    balance = fmt.money(account.get("balance"), str(account.get("currency", "")))
    rows = [
        (t["params"], ", ".join(f"{k}={v}" for k, v in strategy.get("params", {}).items()
                                if v is not None) or "-"),
        (t["pair"], str(data.get("pair", ""))),
        (t["timeframe"], str(data.get("timeframe", ""))),
        (t["period"], f"{period} ({data.get('bars', 0):,} {t['bars']})"),
        (t["data_source"], f"{data.get('source', '')} ({data.get('price_side', 'bid')})"),
        (t["fingerprint"], str(data.get("fingerprint", ""))),
        (t["costs"], pairs(costs)),
        (t["account"], f"{balance}, " + pairs({k: v for k, v in account.items()
                                               if k not in ("balance", "currency")})),
        (t["sizing"], pairs(config.get("sizing", {}))),
    ]
    if strategy.get("file"):
        rows.insert(1, (t["strategy_file"], f"{strategy['file']} ({strategy.get('origin', '')})"))
    return rows


def _cards(stats: dict, base: dict | None, currency: str, t: dict) -> list[dict]:
    cards = []
    for name in KPIS:
        value = stats[name]
        tone = ""
        if name in ("net_profit", "return_pct", "cagr_pct", "expectancy_pips") and not (
                math.isnan(value)):
            tone = "good" if value > 0 else "bad" if value < 0 else ""
        sub = ""
        if base is not None:
            sub = f"{t['without_short']}: {fmt.statistic(name, base[name], currency)}"
        cards.append({"label": t[name], "value": fmt.statistic(name, value, currency),
                      "tone": tone, "sub": sub})
    return cards


def _stat_rows(names, main: tuple[dict, dict], base: tuple[dict, dict] | None, currency: str,
               t: dict) -> list[dict]:
    rows = []
    for name in names:
        row = {"label": t[name], "cells": []}
        for values, reasons in ([base] if base else []) + [main]:
            value = values.get(name, math.nan)
            row["cells"].append({
                "text": fmt.statistic(name, value, currency, na=t["na"], days=t["days_unit"]),
                "reason": reasons.get(name, "") if isinstance(value, float) and math.isnan(value)
                else ""})
        rows.append(row)
    return rows


def _variance_source(rows: list[dict], stats: dict, config: dict, t: dict) -> list[dict]:
    """Say under the trials' Sharpe variance where it came from: given (and how) or assumed."""
    if stats.get("n_trials", 1) <= 1:
        return rows
    if stats.get("trials_sr_variance_assumed") == 1.0:
        note = t["variance_assumed"]
    else:
        note = t["variance_given"].format(source=config.get("trials_sr_variance_source")
                                          or "trials_sr_variance")
    for row in rows:
        if row["label"] == t["trials_sr_variance"]:
            for cell in row["cells"]:
                cell["reason"] = cell["reason"] or note
    return rows


def _tester_rows(stats: dict, base: dict | None, currency: str, t: dict) -> list[dict]:
    """The figures of MetaTrader's strategy tester report, as it writes them."""
    def money(value) -> str:
        return fmt.money(value, currency, na=t["na"])

    def side(values: dict, name: str) -> str:
        count = values[f"{name}_trades"]
        rate = fmt.percent(values[f"{name}_win_rate"] * 100, 1, na=t["na"])
        return f"{fmt.number(count, 0)} ({rate})"

    lines = {
        "gross_profit": lambda v: money(v["gross_profit"]),
        "gross_loss": lambda v: money(v["gross_loss"]),
        "net_profit": lambda v: money(v["net_profit"]),
        "absolute_drawdown": lambda v: money(v["absolute_drawdown"]),
        "maximal_drawdown": lambda v: f"{money(v['max_drawdown_money'])} "
                                      f"({fmt.percent(v['maximal_drawdown_pct'], 2)})",
        "relative_drawdown": lambda v: f"{fmt.percent(v['max_drawdown_pct'], 2)} "
                                       f"({money(v['relative_drawdown_money'])})",
        "trades": lambda v: fmt.number(v["trades"], 0),
        "long_positions": lambda v: side(v, "long"),
        "short_positions": lambda v: side(v, "short"),
        "long_net": lambda v: money(v["long_net"]),
        "short_net": lambda v: money(v["short_net"]),
    }
    return [{"label": t[key], "cells": [{"text": line(values), "reason": ""}
                                        for values in ([base] if base else []) + [stats]]}
            for key, line in lines.items()]


def _run_charts(result, main: BacktestResult, bars, price_problem: str, rejected,
                t: dict, clock: DisplayClock) -> list[Chart]:
    runs = charts.judged_runs(result, t) if rejected is not None \
        else [(t["equity"], charts.BLUE, main)]
    balance = float(main.config.get("account", {}).get("balance", 0.0)) or None
    out = [chart("equity", charts.equity_figure(runs, t, clock))]
    if bars is not None:
        decimals = FxPair.parse(main.config["data"]["pair"]).price_decimals
        caption = ""
        if len(bars) > charts.MAX_CANDLES:
            shown = charts.candles(bars)
            caption = t["price_aggregated"].format(
                shown=f"{len(shown):,} {shown.attrs['timeframe']}", bars=f"{len(bars):,}",
                timeframe=bars.attrs.get("timeframe") or "")
        figure = charts.price_figure(bars, main.trades, rejected, t, decimals, clock)
        out.append(chart("price", figure, caption))
    else:
        out.append(chart("price", None, t["price_missing"].format(reason=price_problem)))
    table = monthly_returns(main.equity["equity"], start_value=balance)
    out.append(chart("monthly", charts.monthly_figure(table, t)))
    pips = main.trades["pips"] if len(main.trades) else []
    rejected_pips = rejected["label_return"] if rejected is not None else None
    out.append(chart("distribution", charts.distribution_figure(pips, rejected_pips, t)))
    for unit in ("hour", "weekday"):
        figure = charts.by_time_figure(main.trades, unit, t, main.currency, clock)
        out.append(chart(f"by-{unit}", figure, wide=False))
    return out


def _judge_context(result: JudgedResult, t: dict) -> dict:
    report, candidates = result.judge, result.candidates
    threshold = result.judge_config.get("threshold")
    chosen = threshold if isinstance(threshold, int | float) else None
    figures = [
        chart("calibration", judge_charts.calibration_figure(report, t), wide=False),
        chart("roc", judge_charts.roc_figure(candidates, report, t), wide=False),
        chart("threshold", judge_charts.threshold_figure(candidates, chosen, t), wide=False),
        chart("precision", judge_charts.precision_figure(report, t), wide=False),
    ]
    curve = judge_charts.uplift_figure(report, t)
    figures.append(chart("uplift", curve, "" if curve is not None else t["uplift_missing"]))
    has_importance = report.importance is not None and len(report.importance) > 0
    if has_importance:
        figures.append(chart("importance",
                             judge_charts.importance_figure(report.importance, t)))
    if report.importance_groups is not None and len(report.importance_groups):
        figures.append(chart("importance-groups", judge_charts.importance_figure(
            report.importance_groups, t, title=t["chart_importance_groups"])))
    if report.importance_periods is not None and len(report.importance_periods):
        figures.append(chart("importance-periods", judge_charts.importance_periods_figure(
            report.importance_periods, report.importance, t)))
    s, p, rf = report.scores, report.precision, report.random_filter
    uplift = p.get("precision_taken", math.nan) - p.get("base_rate", math.nan)
    rank, money = report.rank_test or {}, report.pnl_test or {}
    mean_kept = money.get("mean_kept", math.nan)
    rows = [
        (t["rank_test_p"], fmt.p_value(rank.get("p_value")), rank.get("undefined_reason", "")),
        (t["pnl_test_p"], fmt.p_value(money.get("p_value")), money.get("undefined_reason", "")),
        (t["mean_pips_kept"], f"{fmt.number(mean_kept, 1, sign=True)} "
         f"({fmt.number(money.get('mean_all'), 1, sign=True)})", ""),
        (t["auc"], fmt.number(s.get("auc"), 3), s.get("undefined_reason", "")),
        (t["brier"], fmt.number(s.get("brier"), 4), ""),
        (t["log_loss"], fmt.number(s.get("log_loss"), 4), ""),
        (t["n_judged"], fmt.number(p.get("n_candidates"), 0), ""),
        (t["n_not_judged"], fmt.number(report.n_not_judged, 0), ""),
        (t["base_rate"], fmt.percent(_times100(p.get("base_rate"))), ""),
        (t["judge_precision"], fmt.percent(_times100(p.get("precision_taken"))),
         p.get("undefined_reason", "")),
        (t["uplift"], fmt.number(_times100(uplift), 1, sign=True) + " pp"
         if math.isfinite(uplift) else t["na"], ""),
        (t["precision_p_value"], fmt.p_value(rf.get("precision_p_value")),
         rf.get("undefined_reason", "")),
        (t["mean_pnl_p_value"], fmt.p_value(rf.get("mean_pnl_p_value")), ""),
    ]
    if "n_effective" in s:  # next to the n of the tests above
        rows.insert(4, (t["n_effective"], fmt.number(s.get("n_effective"), 1), ""))
    if result.judge_sized is not None and report.judge_sized is not None:
        rows += _sized_rows(result, report, t)
    return {"charts": figures, "rows": rows, "has_importance": has_importance,
            "config_toml": tomli_w.dumps(toml_safe(result.judge_config))}


def _sized_rows(result: JudgedResult, report, t: dict) -> list[tuple[str, str, str]]:
    """The veto-only run against the judge-sized one, over the judged period."""
    since = result.judge_config.get("trade_stats_from")

    def net(run: BacktestResult) -> float:
        trades = run.trades
        if since is not None:
            trades = trades[trades["entry_time"] >= pd.Timestamp(since)]
        return float(trades["net_account"].sum())

    veto, sized = report.with_judge, report.judge_sized
    currency = result.with_judge.currency
    return [
        (t["sized_net"], f"{fmt.money(net(result.with_judge), currency)} / "
                         f"{fmt.money(net(result.judge_sized), currency)}", ""),
        (t["sized_sharpe"], f"{fmt.number(veto.sharpe, 2)} / {fmt.number(sized.sharpe, 2)}", ""),
        (t["sized_drawdown"], f"{fmt.percent(_times100(veto.max_drawdown))} / "
                              f"{fmt.percent(_times100(sized.max_drawdown))}", ""),
    ]


def _times100(value):
    return None if value is None else value * 100


def _table(rows: pd.DataFrame, config: dict, currency: str, t: dict,
           clock: DisplayClock) -> dict:
    decimals = FxPair.parse(config["data"]["pair"]).price_decimals if config.get(
        "data", {}).get("pair") else 5
    money = fmt.money_decimals(currency)
    kinds = {"units": ("num", 0), "entry_price": ("num", decimals),
             "exit_price": ("num", decimals), "pips": ("num", 1), "net": ("num", money),
             "commission": ("num", money), "swap": ("num", money), "bars_held": ("num", 0),
             "mae_pips": ("num", 1), "mfe_pips": ("num", 1), "probability": ("num", 3)}
    names = {"status": t["status"], "net": f"{t['net']} ({currency})",
             "commission": f"{t['commission']} ({currency})", "swap": f"{t['swap']} ({currency})",
             "entry_time": t["entry_time"].format(clock=clock.short(t)),
             "exit_time": t["exit_time"].format(clock=clock.short(t))}
    columns = [{"key": c, "label": names.get(c, t.get(c, c)), "kind": kinds.get(c, ("text",))[0],
                "decimals": kinds.get(c, ("text", 0))[1]} for c in tables.COLUMNS]
    return {"columns": columns, "rows": tables.rows_json(rows, t, clock),
            "words": {"rows_shown": t["rows_shown"], "taken": t["taken"],
                      "rejected": t["rejected_status"]}}
