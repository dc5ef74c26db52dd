"""The run's charts as plotly figures: equity and drawdown, candlesticks with the trades,
monthly returns, P&L distribution, P&L by hour and weekday, and `overview_figure` (price, equity
and drawdown in one figure, for `BacktestResult.plot`).

Each builder takes results and bars (never engine internals) and returns a `go.Figure`; the
page embeds their JSON and draws them with the plotly.js bundled in the file. Long series stay
small: equity curves are downsampled (`fxjudge.report.downsample`), and more than `MAX_CANDLES`
bars are drawn as candles of the shortest longer timeframe that fits (`candles`), built as any
resampling is (first open, highest high, lowest low, last close; H4 and D1 on the FX day).
Markers for trades are never dropped or moved. Times are wall-clock times of the report's
`DisplayClock` (UTC by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fxjudge.data.bars import TIMEFRAMES
from fxjudge.data.resample import resample
from fxjudge.report.display import UTC_CLOCK, DisplayClock
from fxjudge.report.downsample import minmax_indices
from fxjudge.results.result import BacktestResult

BLUE, GREY, GREEN, RED, DARK = "#2563eb", "#9ca3af", "#16a34a", "#dc2626", "#374151"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif"
#: More bars than this are drawn as candles of a longer timeframe.
MAX_CANDLES = 10_000


def base_layout(title: str, **extra) -> dict:
    """The layout every chart shares: no template (keeps the file small), compact margins."""
    return {"title": {"text": title, "x": 0.01, "y": 0.98, "yanchor": "top",
                      "font": {"size": 15}},
            "template": "none", "font": {"family": FONT, "size": 12},
            "margin": {"l": 64, "r": 24, "t": 72, "b": 48},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "hovermode": "closest", **extra}


def drawdown_pct(equity: pd.Series, initial: float) -> pd.Series:
    """Fall below the running peak (the initial balance counting as one), in percent."""
    peaks = np.maximum.accumulate(np.r_[initial, equity.to_numpy(dtype=float)])[1:]
    return pd.Series((equity.to_numpy(dtype=float) / peaks - 1.0) * 100, index=equity.index)


def candles(bars: pd.DataFrame, max_candles: int = MAX_CANDLES) -> pd.DataFrame:
    """`bars` as they are when at most `max_candles`, else resampled to the shortest longer
    timeframe that fits (``attrs["timeframe"]`` says which)."""
    if len(bars) <= max_candles:
        return bars
    minutes = TIMEFRAMES[bars.attrs["timeframe"]].minutes if bars.attrs.get("timeframe") else 0
    for name, tf in sorted(TIMEFRAMES.items(), key=lambda item: item[1].minutes):
        if tf.minutes > minutes:
            shown = resample(bars, name)
            if len(shown) <= max_candles or name == "W1":
                return shown
    return bars


def equity_traces(runs: list[tuple[str, str, BacktestResult]], clock: DisplayClock
                  ) -> list[tuple[go.Scatter, go.Scatter]]:
    """(equity, drawdown %) traces of each (name, colour, result), downsampled."""
    out = []
    for name, colour, result in runs:
        curve = result.equity["equity"]
        initial = float(result.config.get("account", {}).get("balance", curve.iloc[0]))
        keep = minmax_indices(curve.to_numpy())
        equity = go.Scatter(x=clock.wall(curve.index[keep]), y=curve.to_numpy()[keep],
                            name=name, line={"color": colour, "width": 1.5}, legendgroup=name)
        down = drawdown_pct(curve, initial)
        keep = minmax_indices(down.to_numpy())
        drawdown = go.Scatter(x=clock.wall(down.index[keep]), y=down.to_numpy()[keep],
                              name=name, line={"color": colour, "width": 1}, fill="tozeroy",
                              legendgroup=name, showlegend=False)
        out.append((equity, drawdown))
    return out


def judged_runs(result, t: dict) -> list[tuple[str, str, BacktestResult]]:
    """The equity curves of a judged run, drawn in this order: without the judge, the
    judge-sized run when there is one (`JudgedResult.judge_sized`), with the judge (veto only)
    on top."""
    sized = getattr(result, "judge_sized", None)
    return [(t["without_judge"], GREY, result.without_judge),
            *([(t["sized_short"], GREEN, sized)] if sized is not None else []),
            (t["with_judge"], BLUE, result.with_judge)]


def equity_figure(runs: list[tuple[str, str, BacktestResult]], t: dict,
                  clock: DisplayClock = UTC_CLOCK) -> go.Figure:
    """Equity (top) and drawdown (bottom) of each (name, colour, result), downsampled."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32],
                           vertical_spacing=0.04)
    for equity, drawdown in equity_traces(runs, clock):
        figure.add_trace(equity, row=1, col=1)
        figure.add_trace(drawdown, row=2, col=1)
    figure.update_layout(base_layout(t["chart_equity"], height=460))
    figure.update_yaxes(title_text=f"{t['equity']} ({runs[0][2].currency})", row=1, col=1)
    figure.update_yaxes(title_text=t["drawdown"], row=2, col=1)
    return figure


def price_traces(bars: pd.DataFrame, trades: pd.DataFrame, rejected: pd.DataFrame | None,
                 t: dict, decimals: int, clock: DisplayClock) -> list:
    """Candlesticks (`candles` of the bars), entries by side, exits, rejected candidates."""
    shown = candles(bars)
    side = str(bars.attrs.get("price_side", "bid"))
    name = t["price_candles"].format(pair=bars.attrs.get("pair", ""), side=side,
                                     timeframe=shown.attrs.get("timeframe", ""))
    traces = [go.Candlestick(
        x=clock.wall(shown.index), open=shown["open"].to_numpy(), high=shown["high"].to_numpy(),
        low=shown["low"].to_numpy(), close=shown["close"].to_numpy(), name=name,
        increasing={"line": {"color": "#0f766e", "width": 1}, "fillcolor": "#99f6e4"},
        decreasing={"line": {"color": "#9f1239", "width": 1}, "fillcolor": "#fda4af"},
        whiskerwidth=0, hoverinfo="x+y")]
    fmt = f"%{{y:.{decimals}f}}"
    for value, label, symbol, colour in ((1, "long_entry", "triangle-up", GREEN),
                                         (-1, "short_entry", "triangle-down", RED)):
        chosen = trades[trades["side"] == value] if len(trades) else trades
        traces.append(go.Scatter(
            x=clock.wall(chosen["entry_time"]) if len(chosen) else [],
            y=chosen["entry_price"] if len(chosen) else [], mode="markers", name=t[label],
            marker={"symbol": symbol, "color": colour, "size": 9,
                    "line": {"color": "#ffffff", "width": 0.5}},
            hovertemplate=f"{t[label]}<br>%{{x}}<br>{fmt}<extra></extra>"))
    traces.append(go.Scatter(
        x=clock.wall(trades["exit_time"]) if len(trades) else [],
        y=trades["exit_price"] if len(trades) else [], mode="markers", name=t["exit"],
        marker={"symbol": "x-thin", "color": DARK, "size": 8, "line": {"width": 1.5}},
        hovertemplate=f"{t['exit']}<br>%{{x}}<br>{fmt}<extra></extra>"))
    if rejected is not None:
        price = bars["close"].reindex(rejected.index)
        traces.append(go.Scatter(
            x=clock.wall(rejected.index), y=price.to_numpy(), mode="markers",
            name=t["rejected"], marker={"symbol": "circle-open", "color": GREY, "size": 8},
            customdata=rejected["probability"].to_numpy(dtype=float),
            hovertemplate=f"{t['rejected']}<br>%{{x}}<br>{fmt}<br>p=%{{customdata:.2f}}"
                          "<extra></extra>"))
    return traces


def price_figure(bars: pd.DataFrame, trades: pd.DataFrame, rejected: pd.DataFrame | None,
                 t: dict, decimals: int, clock: DisplayClock = UTC_CLOCK) -> go.Figure:
    """Candlesticks with entries by side, exits and rejected candidates."""
    figure = go.Figure(price_traces(bars, trades, rejected, t, decimals, clock))
    figure.update_layout(base_layout(t["chart_price"], height=460))
    figure.update_xaxes(rangeslider={"visible": False})
    figure.update_yaxes(tickformat=f".{decimals}f")
    return figure


def overview_figure(result, bars: pd.DataFrame | None, t: dict, decimals: int,
                    clock: DisplayClock = UTC_CLOCK) -> go.Figure:
    """Price with the trades (and rejected candidates of a judged run) on top, equity and
    drawdown beneath, on one shared time axis: what `BacktestResult.plot` shows."""
    judged = hasattr(result, "with_judge")
    main = result.with_judge if judged else result
    runs = judged_runs(result, t) if judged else [(t["equity"], BLUE, main)]
    rows = [0.55, 0.3, 0.15] if bars is not None else [0.7, 0.3]
    figure = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, row_heights=rows,
                           vertical_spacing=0.03)
    if bars is not None:
        rejected = result.candidates[~result.candidates["taken"].astype(bool)] if judged \
            else None
        for trace in price_traces(bars, main.trades, rejected, t, decimals, clock):
            figure.add_trace(trace, row=1, col=1)
        figure.update_yaxes(tickformat=f".{decimals}f", row=1, col=1)
    first = 2 if bars is not None else 1
    for equity, drawdown in equity_traces(runs, clock):
        figure.add_trace(equity, row=first, col=1)
        figure.add_trace(drawdown, row=first + 1, col=1)
    config = result.config
    title = f"{config['strategy']['name']} · {config['data']['pair']} {config['data']['timeframe']}"
    figure.update_layout(base_layout(title, height=720 if bars is not None else 460))
    figure.update_xaxes(rangeslider={"visible": False})
    figure.update_yaxes(title_text=f"{t['equity']} ({main.currency})", row=first, col=1)
    figure.update_yaxes(title_text=t["drawdown"], row=first + 1, col=1)
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


def by_time_figure(trades: pd.DataFrame, unit: str, t: dict, currency: str,
                   clock: DisplayClock = UTC_CLOCK) -> go.Figure:
    """Net P&L summed by the entry's hour (0-23) or weekday (Mon-Sun) on the display clock."""
    hour = unit == "hour"
    slots = list(range(24)) if hour else t["weekday_names"].split(",")
    if len(trades):
        times = clock.wall(trades["entry_time"])
        keys = times.hour if hour else times.day_of_week
        sums = trades["net_account"].groupby(np.asarray(keys)).sum()
        values = sums.reindex(range(len(slots)), fill_value=0.0).to_numpy()
    else:
        values = np.zeros(len(slots))
    colours = np.where(values >= 0, GREEN, RED)
    figure = go.Figure(go.Bar(x=slots, y=values, marker={"color": colours},
                              hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
    title = t["chart_by_hour" if hour else "chart_by_weekday"].format(clock=clock.short(t))
    figure.update_layout(base_layout(title, height=300, showlegend=False))
    figure.update_xaxes(title_text=t["hour" if hour else "weekday"], type="category")
    figure.update_yaxes(title_text=t["net_money"].format(currency=currency))
    return figure
