"""Charts of the AI judgment: calibration, ROC, threshold against expectancy, feature importance
(pooled, by group of correlated features, and per walk-forward period), precision against the
base rate and the random filter, and the uplift curve (net pips per kept trade as the threshold
moves, against random filters keeping as many).

Inputs are the `JudgeReport` and the candidates table of a `JudgedResult` (out-of-sample
probability, label and result as if taken). The ROC curve is computed here with numpy (the
report stage does not import scikit-learn); tied probabilities make one diagonal step.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fxjudge.judge.evaluation import JudgeReport
from fxjudge.judge.importance import stability
from fxjudge.report.charts import BLUE, DARK, GREY, RED, base_layout


def judged_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates with an out-of-sample probability and a resolved label."""
    keep = candidates["probability"].notna() & candidates["label"].notna()
    return candidates[keep]


def roc_points(prob, label) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates of every threshold, from (0, 0) to (1, 1)."""
    p, y = np.asarray(prob, dtype=float), np.asarray(label, dtype=float)
    order = np.argsort(-p, kind="mergesort")
    p, y = p[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(p) != 0), len(p) - 1] if len(p) else []
    tp, fp = np.cumsum(y)[last_of_tie], np.cumsum(1 - y)[last_of_tie]
    positives, negatives = max(y.sum(), 1.0), max((1 - y).sum(), 1.0)
    return np.r_[0.0, fp / negatives], np.r_[0.0, tp / positives]


def calibration_figure(report: JudgeReport, t: dict) -> go.Figure:
    """Mean predicted probability against the observed win rate per bin; size = count."""
    table = report.calibration
    counts = table["count"].to_numpy(dtype=float) if len(table) else np.array([])
    sizes = 8 + 16 * np.sqrt(counts / counts.max()) if len(counts) else []
    figure = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=t["perfect"],
                   line={"color": GREY, "dash": "dash"}),
        go.Scatter(x=table["mean_predicted"], y=table["observed_rate"], mode="lines+markers",
                   name=t["observed"], marker={"color": BLUE, "size": sizes},
                   customdata=counts, hovertemplate="%{x:.2f} → %{y:.2f} (n=%{customdata})"
                                                    "<extra></extra>"),
    ])
    figure.update_layout(base_layout(t["chart_calibration"], height=360))
    figure.update_xaxes(title_text=t["predicted"], range=[0, 1])
    figure.update_yaxes(title_text=t["observed"], range=[0, 1])
    return figure


def roc_figure(candidates: pd.DataFrame, report: JudgeReport, t: dict) -> go.Figure:
    """ROC curve of the judged candidates, AUC from the report in the title."""
    judged = judged_candidates(candidates)
    fpr, tpr = roc_points(judged["probability"], judged["label"])
    auc = report.scores.get("auc", math.nan)
    title = t["chart_roc"].format(auc="n/a" if math.isnan(auc) else f"{auc:.3f}")
    figure = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=t["chance"],
                   line={"color": GREY, "dash": "dash"}),
        go.Scatter(x=fpr, y=tpr, mode="lines", name="ROC", line={"color": BLUE, "width": 2}),
    ])
    figure.update_layout(base_layout(title, height=360))
    figure.update_xaxes(title_text=t["fpr"], range=[0, 1])
    figure.update_yaxes(title_text=t["tpr"], range=[0, 1])
    return figure


def threshold_table(candidates: pd.DataFrame, points: int = 41) -> pd.DataFrame:
    """For thresholds across the probabilities: expectancy (pips) and fraction of those kept."""
    judged = judged_candidates(candidates)
    p = judged["probability"].to_numpy(dtype=float)
    pips = judged["label_return"].to_numpy(dtype=float)
    if len(p) == 0:
        return pd.DataFrame(columns=["threshold", "expectancy_pips", "kept_fraction"])
    levels = np.unique(np.quantile(p, np.linspace(0, 0.95, points)))
    kept = p[None, :] >= levels[:, None]
    counts = kept.sum(axis=1)
    means = (kept * pips[None, :]).sum(axis=1) / np.maximum(counts, 1)
    return pd.DataFrame({"threshold": levels, "expectancy_pips": means,
                         "kept_fraction": counts / len(p)})


def threshold_figure(candidates: pd.DataFrame, chosen: float | None, t: dict) -> go.Figure:
    """Expectancy of the candidates kept at each threshold, and the fraction kept."""
    table = threshold_table(candidates)
    figure = go.Figure([
        go.Scatter(x=table["threshold"], y=table["expectancy_pips"], name=t["expectancy_kept"],
                   mode="lines+markers", line={"color": BLUE}),
        go.Scatter(x=table["threshold"], y=table["kept_fraction"], name=t["kept_fraction"],
                   mode="lines", line={"color": GREY, "dash": "dot"}, yaxis="y2"),
    ])
    layout = base_layout(t["chart_threshold"], height=360,
                         yaxis={"title": {"text": t["expectancy_kept"]}},
                         yaxis2={"overlaying": "y", "side": "right", "range": [0, 1],
                                 "showgrid": False, "tickformat": ".0%",
                                 "tickmode": "linear", "tick0": 0, "dtick": 0.25,
                                 "title": {"text": t["kept_fraction"]}})
    layout["margin"] = {**layout["margin"], "r": 72}
    if chosen is not None and math.isfinite(chosen):
        layout["shapes"] = [{"type": "line", "x0": chosen, "x1": chosen, "y0": 0, "y1": 1,
                             "yref": "paper", "line": {"color": RED, "dash": "dash"}}]
        layout["annotations"] = [{"x": chosen, "y": 1, "yref": "paper", "showarrow": False,
                                  "text": t["chosen_threshold"], "yanchor": "bottom"}]
    figure.update_layout(layout)
    figure.update_xaxes(title_text=t["threshold"])
    return figure


def importance_figure(importance: pd.DataFrame, t: dict, top: int = 20,
                      title: str | None = None) -> go.Figure:
    """Horizontal bars of the permutation importance (mean ± std), most important on top; a
    ``members`` column (groups of features) is shown on hover."""
    table = importance.head(top).iloc[::-1]
    members = table["members"] if "members" in table else None
    figure = go.Figure(go.Bar(
        x=table["importance_mean"], y=[str(i) for i in table.index], orientation="h",
        error_x={"type": "data", "array": table.get("importance_std")},
        marker={"color": BLUE}, customdata=members,
        hovertemplate=None if members is None else "%{y}: %{x:.4f}<br>%{customdata}"
                                                   "<extra></extra>"))
    layout = base_layout(title or t["chart_importance"], height=120 + 22 * len(table),
                         showlegend=False)
    longest = max((len(str(i)) for i in table.index), default=10)
    layout["margin"] = {**layout["margin"], "l": 16 + 7 * longest}  # room for the names
    figure.update_layout(layout)
    figure.update_yaxes(type="category")
    return figure


def importance_periods_figure(periods: pd.DataFrame, pooled: pd.DataFrame | None, t: dict,
                              top: int = 15) -> go.Figure:
    """Heatmap of the importance per walk-forward period (drop in the period's AUC), for the
    features most important pooled; each row's label ends with the share of periods where
    shuffling the feature hurt (its stability)."""
    order = [f for f in (pooled.index if pooled is not None else periods.columns)
             if f in periods.columns][:top]
    summary = stability(periods[order]).reindex(order)
    names = [f"{f} ({summary.loc[f, 'share_positive']:.0%})"
             if math.isfinite(summary.loc[f, "share_positive"]) else f for f in order]
    z = periods[order].T.to_numpy(dtype=float)[::-1]
    starts = [str(s)[:10] for s in periods.index]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    figure = go.Figure(go.Heatmap(
        z=z, x=starts, y=names[::-1], colorscale="RdBu", reversescale=True, zmid=0,
        zmin=-limit, zmax=limit, colorbar={"title": {"text": "AUC"}},
        hovertemplate="%{y}<br>%{x}: %{z:.4f}<extra></extra>"))
    layout = base_layout(t["chart_importance_periods"], height=140 + 22 * len(order),
                         showlegend=False)
    longest = max((len(n) for n in names), default=10)
    layout["margin"] = {**layout["margin"], "l": 16 + 7 * longest}
    figure.update_layout(layout)
    figure.update_xaxes(title_text=t["period_start"], type="category")
    figure.update_yaxes(type="category")
    return figure


def precision_figure(report: JudgeReport, t: dict) -> go.Figure:
    """Base rate, the random filter's median with its 5-95% range, and the judge's precision."""
    rf = report.random_filter
    median = rf.get("precision_random_q50", math.nan)
    low, high = rf.get("precision_random_q5", math.nan), rf.get("precision_random_q95", math.nan)
    names = [t["base_rate"], t["random_filter"], t["judge_precision"]]
    values = [report.precision.get("base_rate", math.nan), median,
              report.precision.get("precision_taken", math.nan)]
    figure = go.Figure([
        go.Bar(x=names, y=values, marker={"color": [GREY, "#d1d5db", BLUE]},
               text=[f"{v:.1%}" if math.isfinite(v) else "n/a" for v in values],
               textposition="inside", insidetextanchor="start",
               hovertemplate="%{x}: %{y:.1%}<extra></extra>"),
        go.Scatter(x=[names[1]], y=[median], mode="markers", marker={"color": DARK, "size": 1},
                   error_y={"type": "data", "symmetric": False, "array": [high - median],
                            "arrayminus": [median - low], "color": DARK, "width": 8},
                   hovertemplate=f"5%: {low:.1%}<br>95%: {high:.1%}<extra></extra>"),
    ])
    figure.update_layout(base_layout(t["chart_precision"], height=340, showlegend=False))
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure


def uplift_figure(report: JudgeReport, t: dict) -> go.Figure | None:
    """Mean net pips of the trades kept as the threshold moves (`JudgeReport.uplift`), the
    5-95% band of random filters keeping as many, and the number kept (right axis)."""
    table = report.uplift
    if table is None or len(table) == 0:
        return None
    x = table["threshold"]
    figure = go.Figure([
        go.Scatter(x=x, y=table["random_q95"], mode="lines", line={"width": 0},
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=x, y=table["random_q5"], mode="lines", line={"width": 0},
                   fill="tonexty", fillcolor="rgba(156,163,175,0.35)", name=t["uplift_band"],
                   hoverinfo="skip"),
        go.Scatter(x=x, y=table["random_mean"], mode="lines", name=t["uplift_all"],
                   line={"color": GREY, "dash": "dash"}),
        go.Scatter(x=x, y=table["mean_pips_kept"], mode="lines+markers", name=t["uplift_mean"],
                   line={"color": BLUE, "width": 2}, customdata=table["n_kept"],
                   hovertemplate="%{x:.3f}: %{y:+.1f} pips (n=%{customdata})<extra></extra>"),
        go.Scatter(x=x, y=table["n_kept"], mode="lines", name=t["uplift_kept"], yaxis="y2",
                   line={"color": DARK, "dash": "dot"}),
    ])
    layout = base_layout(t["chart_uplift"], height=380,
                         yaxis={"title": {"text": t["uplift_mean"]}},
                         yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero",
                                 "showgrid": False, "title": {"text": t["uplift_kept"]}})
    layout["margin"] = {**layout["margin"], "r": 72}
    figure.update_layout(layout)
    figure.update_xaxes(title_text=t["threshold"])
    return figure
