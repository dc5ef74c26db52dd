"""The run's charts as plotly figures: equity and drawdown, price with trades, monthly returns,
P&L distribution, P&L by hour and weekday.

Each builder takes results and bars (never engine internals) and returns a `go.Figure`; the
page embeds their JSON and draws them with the plotly.js bundled in the file. Long series are
downsampled (`fxjudge.report.downsample`) so a report of years of H1 or M1 bars stays small;
markers for trades are never dropped. Times are UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fxjudge.report.downsample import MAX_POINTS, minmax_indices
from fxjudge.results.result import BacktestResult

BLUE, GREY, GREEN, RED, DARK = "#2563eb", "#9ca3af", "#16a34a", "#dc2626", "#374151"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif"


def base_layout(title: str, **extra) -> dict:
    """The layout every chart shares: no template (keeps the file small), compact margins."""
    return {"title": {"text": title, "x": 0.01, "y": 0.98, "yanchor": "top",
                      "font": {"size": 15}},
            "template": "none", "font": {"family": FONT, "size": 12},
            "margin": {"l": 64, "r": 24, "t": 72, "b": 48},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "hovermode": "closest", **extra}


def naive_utc(times) -> np.ndarray:
    """UTC times without a zone: plotly.js ignores offsets, so we give it plain UTC clock times."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy()


def drawdown_pct(equity: pd.Series, initial: float) -> pd.Series:
    """Fall below the running peak (the initial balance counting as one), in percent."""
    peaks = np.maximum.accumulate(np.r_[initial, equity.to_numpy(dtype=float)])[1:]
    return pd.Series((equity.to_numpy(dtype=float) / peaks - 1.0) * 100, index=equity.index)


def equity_figure(runs: list[tuple[str, str, BacktestResult]], t: dict) -> go.Figure:
    """Equity (top) and drawdown (bottom) of each (name, colour, result), downsampled."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32],
                           vertical_spacing=0.04)
    for name, colour, result in runs:
        curve = result.equity["equity"]
        initial = float(result.config.get("account", {}).get("balance", curve.iloc[0]))
        keep = minmax_indices(curve.to_numpy())
        figure.add_trace(go.Scatter(x=naive_utc(curve.index[keep]), y=curve.to_numpy()[keep],
                                    name=name, line={"color": colour, "width": 1.5},
                                    legendgroup=name), row=1, col=1)
        down = drawdown_pct(curve, initial)
        keep = minmax_indices(down.to_numpy())
        figure.add_trace(go.Scatter(x=naive_utc(down.index[keep]), y=down.to_numpy()[keep],
                                    name=name, line={"color": colour, "width": 1},
                                    fill="tozeroy", legendgroup=name, showlegend=False),
                         row=2, col=1)
    figure.update_layout(base_layout(t["chart_equity"], height=460))
    figure.update_yaxes(title_text=f"{t['equity']} ({runs[0][2].currency})", row=1, col=1)
    figure.update_yaxes(title_text=t["drawdown"], row=2, col=1)
    return figure


def price_figure(bars: pd.DataFrame, trades: pd.DataFrame, rejected: pd.DataFrame | None,
                 t: dict, decimals: int) -> go.Figure:
    """Close price (downsampled) with entries by side, exits and rejected candidates."""
    close = bars["close"]
    keep = minmax_indices(close.to_numpy(), MAX_POINTS)
    side = str(bars.attrs.get("price_side", "bid"))
    traces = [go.Scatter(x=naive_utc(close.index[keep]), y=close.to_numpy()[keep],
                         name=t["price_close"].format(side=side), mode="lines",
                         line={"color": DARK, "width": 1}, hoverinfo="x+y")]
    fmt = f"%{{y:.{decimals}f}}"
    for value, label, symbol, colour in ((1, "long_entry", "triangle-up", GREEN),
                                         (-1, "short_entry", "triangle-down", RED)):
        chosen = trades[trades["side"] == value] if len(trades) else trades
        traces.append(go.Scatter(
            x=naive_utc(chosen["entry_time"]), y=chosen["entry_price"], mode="markers",
            name=t[label], marker={"symbol": symbol, "color": colour, "size": 8},
            hovertemplate=f"{t[label]}<br>%{{x}}<br>{fmt}<extra></extra>"))
    traces.append(go.Scatter(
        x=naive_utc(trades["exit_time"]) if len(trades) else [],
        y=trades["exit_price"] if len(trades) else [], mode="markers", name=t["exit"],
        marker={"symbol": "x-thin", "color": DARK, "size": 7, "line": {"width": 1.5}},
        hovertemplate=f"{t['exit']}<br>%{{x}}<br>{fmt}<extra></extra>"))
    if rejected is not None:
        price = close.reindex(rejected.index)
        traces.append(go.Scatter(
            x=naive_utc(rejected.index), y=price.to_numpy(), mode="markers", name=t["rejected"],
            marker={"symbol": "circle-open", "color": GREY, "size": 7},
            customdata=rejected["probability"].to_numpy(dtype=float),
            hovertemplate=f"{t['rejected']}<br>%{{x}}<br>{fmt}<br>p=%{{customdata:.2f}}"
                          "<extra></extra>"))
    figure = go.Figure(traces)
    figure.update_layout(base_layout(t["chart_price"], height=440))
    figure.update_yaxes(tickformat=f".{decimals}f")
    return figure


def monthly_figure(table: pd.DataFrame, t: dict) -> go.Figure:
    """Heatmap of monthly returns (%) with the year's compounded return in the last column."""
    names = [*t["month_names"].split(","), t["year"]]
    z = (table.to_numpy(dtype=float) * 100).round(2)
    text = [["" if np.isnan(v) else f"{v:.1f}" for v in row] for row in z]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    figure = go.Figure(go.Heatmap(
        z=z, x=names, y=[str(y) for y in table.index], text=text, texttemplate="%{text}",
        colorscale=[[0, RED], [0.5, "#f9fafb"], [1, GREEN]], zmin=-limit, zmax=limit,
        hovertemplate="%{y} %{x}: %{z:.2f} %<extra></extra>", showscale=False, xgap=2, ygap=2))
    figure.update_layout(base_layout(t["chart_monthly"], height=120 + 36 * len(table)))
    figure.update_yaxes(autorange="reversed", type="category")
    return figure


def distribution_figure(taken_pips, rejected_pips, t: dict) -> go.Figure:
    """Histogram of trade results in pips; rejected candidates (as if taken) overlaid."""
    taken = np.asarray(taken_pips, dtype=float)
    rejected = None if rejected_pips is None else np.asarray(rejected_pips, dtype=float)
    every = np.concatenate([taken, [] if rejected is None else rejected])
    every = every[np.isfinite(every)]
    bins = None
    if len(every):  # one set of bins for both, so the bars line up
        low, high = float(every.min()), float(every.max())
        bins = {"start": low, "end": high + 1e-9, "size": max((high - low) / 60, 0.1)}
    traces = [go.Histogram(x=taken, name=t["taken_trades"], marker={"color": BLUE},
                           opacity=0.75, xbins=bins)]
    if rejected is not None:
        traces.append(go.Histogram(x=rejected, name=t["rejected_candidates"],
                                   marker={"color": GREY}, opacity=0.6, xbins=bins))
    figure = go.Figure(traces)
    figure.update_layout(base_layout(t["chart_distribution"], barmode="overlay", height=340))
    figure.update_xaxes(title_text=t["pips"])
    figure.update_yaxes(title_text=t["count"])
    return figure


def by_time_figure(trades: pd.DataFrame, unit: str, t: dict, currency: str) -> go.Figure:
    """Net P&L summed by the entry's hour (0-23) or weekday (Mon-Sun), UTC."""
    hour = unit == "hour"
    slots = list(range(24)) if hour else t["weekday_names"].split(",")
    if len(trades):
        times = pd.DatetimeIndex(trades["entry_time"]).tz_convert("UTC")
        keys = times.hour if hour else times.day_of_week
        sums = trades["net_account"].groupby(np.asarray(keys)).sum()
        values = sums.reindex(range(len(slots)), fill_value=0.0).to_numpy()
    else:
        values = np.zeros(len(slots))
    colours = np.where(values >= 0, GREEN, RED)
    figure = go.Figure(go.Bar(x=slots, y=values, marker={"color": colours},
                              hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
    figure.update_layout(base_layout(t["chart_by_hour" if hour else "chart_by_weekday"],
                                     height=300, showlegend=False))
    figure.update_xaxes(title_text=t["hour" if hour else "weekday"], type="category")
    figure.update_yaxes(title_text=t["net_money"].format(currency=currency))
    return figure
