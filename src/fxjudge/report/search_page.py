"""``optimize.html``: one self-contained page for a search (or a walk-forward optimisation).

Built only from a `SearchPage`, plain values the search fills in (its trials table, the PBO,
the DSR and what it counted, the neighbourhood): the report stage never imports the search.
Sections: summary cards; heatmaps of the objective over every pair of swept parameters (the
others aggregated by the best, max or min, said in each title); parallel coordinates of every
trial; the top trials (a sortable table); the PBO with its logit histogram; the DSR with the
trials it counted; the winner's neighbourhood; what was skipped; the walk-forward windows when
there are some; the configuration and the command that reruns the search; a link to the
winner's full report. Embedding and escaping are the run report's (`fxjudge.report.render`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from fxjudge.config import package_versions
from fxjudge.files import write_atomic
from fxjudge.report import fmt, search_charts
from fxjudge.report.i18n import labels
from fxjudge.report.render import REPORT_PACKAGES, chart, environment, packed, plotly_js

PAGE_NAME = "optimize.html"
#: at most this many heatmaps (pairs of parameters) on a page
MAX_HEATMAPS = 15
TOP_ROWS = 50


@dataclass
class SearchPage:
    """What the page shows; `pbo` is a `fxjudge.results.overfitting.PBOResult` or None (then
    `pbo_problem` says why)."""

    title: str
    header: list[tuple[str, str]]
    trials: pd.DataFrame
    parameters: list[str]
    objective_name: str
    maximize: bool
    currency: str
    dsr: dict[str, float]
    pbo: object | None
    pbo_problem: str
    neighbourhood: pd.DataFrame | None
    skipped: dict[str, int]
    notes: list[str]
    winner_link: str
    winner_label: str
    config_toml: str
    command: str
    versions: dict[str, str]
    windows: pd.DataFrame | None = None
    stability: pd.DataFrame | None = None
    efficiency: float = math.nan
    shown: list[str] = field(default_factory=list)


def render_search_report(page: SearchPage, path: str | Path) -> Path:
    """Write the search page to `path` and return it."""
    path = Path(path)
    trials = page.trials
    figures = []
    pairs = list(itertools.combinations(page.parameters, 2))[:MAX_HEATMAPS]
    for number, (x, y) in enumerate(pairs):
        figures.append(chart(f"heatmap-{number}", search_charts.heatmap_figure(
            trials, x, y, "objective", "max" if page.maximize else "min",
            parameters=page.parameters,
            objective_name=page.objective_name), wide=False))
    if len(trials) > 1:
        figures.append(chart("parallel", search_charts.parallel_figure(
            trials, page.parameters, page.objective_name)))
    honesty = []
    if page.pbo is not None:
        honesty.append(chart("logits", search_charts.logit_figure(page.pbo.logits, page.pbo.pbo),
                             wide=False))
    honesty.append(chart("sharpes", search_charts.sharpe_figure(
        trials["sharpe_daily"].to_numpy(), page.dsr.get("sharpe_daily", math.nan),
        page.dsr.get("dsr_sr0", math.nan)), wide=False))
    context = {
        "page": page, "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cards": _cards(page), "heatmaps": [c for c in figures if c.id.startswith("heatmap")],
        "parallel": [c for c in figures if c.id == "parallel"], "honesty": honesty,
        "top": _top(page), "dsr_rows": _dsr_rows(page), "pbo_rows": _pbo_rows(page),
        "neighbours": _neighbours(page), "windows": _frame(page.windows),
        "stability": _frame(page.stability),
        "versions": {**page.versions, **package_versions(REPORT_PACKAGES)},
        "plotly_js": plotly_js(), "t": labels("en"),
    }
    drawn = [c for c in figures + honesty if c.json]  # embedded gzipped, as the run report's
    context["figures"] = packed("{" + ",".join(f'"{c.id}":{c.json}' for c in drawn) + "}")
    html = environment().get_template("optimize.html.j2").render(**context)
    return write_atomic(path, html)


def _cards(page: SearchPage) -> list[dict]:
    dsr = page.dsr
    cards = [
        {"label": f"Best {page.objective_name}", "value": fmt.number(_best(page), 4)},
        {"label": "Configurations run", "value": fmt.number(len(page.trials), 0)},
        {"label": "Skipped", "value": fmt.number(sum(page.skipped.values()), 0)},
        {"label": "PSR of the winner", "value": fmt.statistic("psr", dsr.get("psr"), "")},
        {"label": f"DSR over {int(dsr.get('n_trials', 0)):,} trials",
         "value": fmt.statistic("dsr", dsr.get("dsr"), "")},
        {"label": "PBO", "value": "n/a" if page.pbo is None else fmt.percent(
            page.pbo.pbo * 100, 1)},
    ]
    if page.windows is not None:
        cards.append({"label": "Walk-forward efficiency",
                      "value": fmt.number(page.efficiency, 2)})
    return cards


def _best(page: SearchPage) -> float:
    values = page.trials["objective"].dropna()
    if values.empty:
        return math.nan
    return float(values.max() if page.maximize else values.min())


def _top(page: SearchPage) -> dict:
    columns = ["trial", *page.parameters, "objective",
               *[c for c in page.shown if c != page.objective_name and c in page.trials]]
    ranked = page.trials.sort_values(["objective", "trial"],
                                     ascending=[not page.maximize, True],
                                     na_position="last").head(TOP_ROWS)
    rows = []
    for _, row in ranked.iterrows():
        cells = []
        for column in columns:
            value = row[column]
            if column in page.parameters:
                cells.append({"text": _value(value), "v": None})
            else:
                number = float(value) if _is_number(value) else None
                text = fmt.statistic(column, number, page.currency) if column not in (
                    "objective", "trial") else fmt.number(number, 4 if column == "objective"
                                                          else 0)
                cells.append({"text": text, "v": number})
        rows.append(cells)
    names = {"objective": page.objective_name}
    return {"columns": [{"key": c, "label": names.get(c, c), "text": c in page.parameters}
                        for c in columns], "rows": rows, "total": len(page.trials)}


def _dsr_rows(page: SearchPage) -> list[tuple[str, str]]:
    d = page.dsr
    return [
        ("Configurations counted (run, not skipped)", fmt.number(d.get("n_trials"), 0)),
        ("Variance of their daily Sharpe ratios (ddof 1)",
         fmt.number(d.get("trials_sr_variance"), 6)),
        ("Best daily Sharpe expected from luck alone (SR0)", fmt.number(d.get("dsr_sr0"), 4)),
        ("The winner's daily Sharpe", fmt.number(d.get("sharpe_daily"), 4)),
        ("FX days", fmt.number(d.get("days"), 0)),
        ("PSR (true Sharpe > 0)", fmt.statistic("psr", d.get("psr"), "")),
        ("DSR (true Sharpe > SR0)", fmt.statistic("dsr", d.get("dsr"), "")),
    ]


def _pbo_rows(page: SearchPage) -> list[tuple[str, str]]:
    p = page.pbo
    if p is None:
        return []
    blocks = [end - first for first, end in p.blocks]
    return [
        ("PBO: splits whose in-sample winner is at or below the out-of-sample median",
         f"{p.pbo:.1%} ({int((p.logits <= 0).sum()):,} of {len(p.logits):,})"),
        ("Blocks of FX days (S)", f"{p.n_splits} of {min(blocks)}-{max(blocks)} days"),
        ("Statistic ranked", "daily Sharpe (ddof 1)" if p.metric == "sharpe" else "mean"),
        ("Configurations ranked", fmt.number(p.n_configurations, 0)),
    ]


def _neighbours(page: SearchPage) -> list[list[str]]:
    table = page.neighbourhood
    if table is None or table.empty:
        return []
    return [[str(r["parameter"]), _value(r["value"]), fmt.number(r["objective"], 4),
             _value(r["below_value"]), fmt.number(r["below_objective"], 4),
             _value(r["above_value"]), fmt.number(r["above_objective"], 4),
             fmt.number(r["largest_drop"], 4), fmt.percent(
                 None if not _is_number(r["relative_drop"]) else r["relative_drop"] * 100, 0)]
            for _, r in table.iterrows()]


def _frame(table: pd.DataFrame | None) -> dict | None:
    if table is None:
        return None
    rows = []
    for _, row in table.iterrows():
        cells = []
        for value in row:
            if isinstance(value, pd.Timestamp):
                cells.append({"text": value.strftime("%Y-%m-%d"), "v": None})
            elif _is_number(value) and not isinstance(value, bool):
                cells.append({"text": fmt.number(float(value), 3 if isinstance(value, float)
                                                 else 0), "v": float(value)})
            else:
                cells.append({"text": _value(value), "v": None})
        rows.append(cells)
    return {"columns": list(table.columns), "rows": rows}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)


def _value(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)
