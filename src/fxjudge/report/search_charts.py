"""A search's charts as plotly figures: heatmaps of a statistic over two parameters, parallel
coordinates of every trial, the PBO's logit histogram, and the trials' Sharpe ratios.

Each is a function of the trials table (and the PBO's logits), never of the search's internals
(STYLE.md 18).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fxjudge.report.charts import BLUE, GREEN, GREY, RED, base_layout

AGGREGATES = ("max", "min", "mean")


def heatmap_figure(trials: pd.DataFrame, x: str, y: str, stat: str = "objective",
                   agg: str = "max", *, parameters: list[str] | None = None,
                   objective_name: str = "objective") -> go.Figure:
    """`stat` over parameters `x` (columns) and `y` (rows); trials that share an (x, y) cell,
    differing in other parameters, are aggregated by `agg` ("max", "min" or "mean"), as the
    title says. Cells never tried are blank."""
    from fxjudge.typed import unknown_name

    if agg not in AGGREGATES:
        raise unknown_name("`agg`", str(agg), AGGREGATES)
    if stat not in trials.columns:
        raise unknown_name("statistic", stat, [c for c in trials.columns if c != "trial"])
    table = trials.assign(**{x: _labels(trials[x]), y: _labels(trials[y])})
    order_x = _order(trials[x])
    order_y = _order(trials[y])
    grid = table.pivot_table(index=y, columns=x, values=stat, aggfunc=agg, dropna=False)
    grid = grid.reindex(index=order_y, columns=order_x)
    z = grid.to_numpy(dtype=float)
    shown = objective_name if stat == "objective" else stat
    others = [c for c in parameters or [] if c not in (x, y)]
    how = f" ({agg} over {', '.join(others)})" if others else ""
    text = [["" if np.isnan(v) else f"{v:.3g}" for v in row] for row in z]
    figure = go.Figure(go.Heatmap(
        z=z, x=order_x, y=order_y, text=text, texttemplate="%{text}", colorscale="RdYlGn",
        hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{shown}=%{{z:.4g}}<extra></extra>",
        colorbar={"title": {"text": shown}}, xgap=1, ygap=1))
    figure.update_layout(base_layout(f"{shown} by {x} and {y}{how}", height=420))
    figure.update_xaxes(title_text=x, type="category")
    figure.update_yaxes(title_text=y, type="category")
    return figure


def parallel_figure(trials: pd.DataFrame, parameters: list[str],
                    objective_name: str) -> go.Figure:
    """Parallel coordinates: one line per trial through its parameters and objective."""
    dimensions = []
    for name in parameters:
        column = trials[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            dimensions.append({"label": name, "values": column.to_numpy(dtype=float)})
        else:
            labels = _order(column)
            codes = {label: i for i, label in enumerate(labels)}
            dimensions.append({"label": name, "values": [codes[_label(v)] for v in column],
                               "tickvals": list(range(len(labels))), "ticktext": labels})
    objective = trials["objective"].to_numpy(dtype=float)
    dimensions.append({"label": objective_name, "values": objective})
    figure = go.Figure(go.Parcoords(
        line={"color": np.nan_to_num(objective, nan=np.nanmin(objective) if
                                     np.isfinite(objective).any() else 0.0),
              "colorscale": "RdYlGn", "showscale": True}, dimensions=dimensions))
    figure.update_layout(base_layout(f"Every trial: parameters and {objective_name}",
                                     height=420))
    return figure


def logit_figure(logits: np.ndarray, t_pbo: float) -> go.Figure:
    """Histogram of the PBO's logits; those <= 0 (the winner at or below the OOS median) red."""
    logits = np.asarray(logits, dtype=float)
    finite = logits[np.isfinite(logits)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (-1.0, 1.0)
    size = max((high - low) / 40, 0.05)
    bins = {"start": min(low, -size), "end": max(high, size) + 1e-9, "size": size}
    figure = go.Figure([
        go.Histogram(x=finite[finite <= 0], name="overfit (logit <= 0)", xbins=bins,
                     marker={"color": RED}),
        go.Histogram(x=finite[finite > 0], name="winner above the OOS median", xbins=bins,
                     marker={"color": GREEN})])
    figure.update_layout(base_layout(f"Logits of the in-sample winners' out-of-sample ranks "
                                     f"(PBO = {t_pbo:.1%})", barmode="stack", height=340))
    figure.update_xaxes(title_text="logit of the OOS relative rank")
    figure.update_yaxes(title_text="splits")
    return figure


def sharpe_figure(sharpes: np.ndarray, best: float, sr0: float) -> go.Figure:
    """Histogram of the trials' daily Sharpe ratios, the winner's and the DSR's benchmark SR0
    (the best Sharpe expected from luck alone among this many trials)."""
    values = np.asarray(sharpes, dtype=float)
    values = values[np.isfinite(values)]
    figure = go.Figure(go.Histogram(x=values, name="trials", marker={"color": GREY}))
    for value, name, colour in ((best, "winner", BLUE), (sr0, "SR0 (luck)", RED)):
        if np.isfinite(value):
            figure.add_vline(x=value, line={"color": colour, "width": 2},
                             annotation_text=name)
    figure.update_layout(base_layout("The trials' daily Sharpe ratios", height=320,
                                     showlegend=False))
    figure.update_xaxes(title_text="Sharpe ratio per FX day")
    figure.update_yaxes(title_text="trials")
    return figure


def _order(column: pd.Series) -> list[str]:
    """A parameter's values as text (`_labels`), in their natural order (numbers by value)."""
    values = column.dropna().unique().tolist()
    try:
        values = sorted(values)
    except TypeError:
        values = sorted(values, key=str)
    labels = [_label(v) for v in values]
    return labels + (["none"] if column.isna().any() else [])


def _label(value) -> str:
    """A parameter value as an axis label: None (NaN in a numeric column) is "none"."""
    return "none" if value is None or (isinstance(value, float) and np.isnan(value)) \
        else str(value)


def _labels(column: pd.Series) -> pd.Series:
    return column.map(_label)
