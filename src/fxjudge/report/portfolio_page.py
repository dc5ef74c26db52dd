"""``report.html`` of a portfolio run: the account, its legs, exposure, correlation and margin.

Built only from a `results.portfolio.PortfolioBacktest`. Sections: the account's summary cards;
its equity and drawdown; each leg's contribution (a table and each leg's P&L over time); the net
currency exposure over time in the account currency; the correlation of the legs' daily
returns; the margin level over time with the stop-out level; per-leg trade tables; notes and
configuration. Embedding (plotly and the figures gzipped in the page) is the run report's.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import tomli_w
from plotly.subplots import make_subplots

from fxjudge.files import write_atomic
from fxjudge.report.downsample import minmax_indices
from fxjudge.report.i18n import labels
from fxjudge.report.render import chart, environment, packed, plotly_js
from fxjudge.results.portfolio import PortfolioBacktest
from fxjudge.results.result import toml_safe

TRADE_COLUMNS = ("entry_time", "exit_time", "side", "units", "entry_price", "exit_price",
                 "exit_reason", "pips", "net_account")
#: at most this many rows of a leg's trade table on the page (the CSV has them all)
MAX_ROWS = 500


def _thin(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """At most a few thousand points of `frame`, keeping `column`'s extremes."""
    return frame.iloc[minmax_indices(frame[column].to_numpy(dtype=float))]


def _money(value: float, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{0 if currency == 'JPY' else 2}f} {currency}"


def figures(run: PortfolioBacktest) -> list:
    """The page's charts (`render.chart`), in order."""
    account = run.account.equity
    currency = run.account.currency
    balance = float(run.account.config["account"]["balance"])
    out = []
    shown = _thin(account, "equity")
    peak = np.maximum.accumulate(np.r_[balance, account["equity"].to_numpy()])[1:]
    drawdown = pd.Series((account["equity"].to_numpy() / peak - 1) * 100, index=account.index)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                           vertical_spacing=0.04)
    figure.add_scatter(x=shown.index, y=shown["equity"], name="equity", line={"width": 1.5},
                       row=1, col=1)
    figure.add_scatter(x=shown.index, y=shown["balance"], name="balance", line={"width": 1},
                       row=1, col=1)
    rows = minmax_indices(drawdown.to_numpy())
    figure.add_scatter(x=drawdown.index[rows], y=drawdown.iloc[rows], name="drawdown %",
                       line={"width": 1, "color": "#dc2626"}, fill="tozeroy", row=2, col=1)
    figure.update_layout(title=f"Account equity ({currency}) and drawdown (%)", height=480)
    out.append(chart("account-equity", figure))
    figure = go.Figure()
    for pair in run.pairs:
        pnl = run.leg_pnl[[pair]]
        rows = _thin(pnl, pair)
        figure.add_scatter(x=rows.index, y=rows[pair], name=pair, line={"width": 1})
    figure.update_layout(title=f"Each leg's P&L, realised and open ({currency})", height=360)
    out.append(chart("leg-contributions", figure))
    exposure = run.exposure()
    figure = go.Figure()
    for name in exposure.columns:
        rows = _thin(exposure[[name]].fillna(0.0), name)
        figure.add_scatter(x=rows.index, y=rows[name], name=name, line={"width": 1})
    figure.update_layout(title=f"Net currency exposure ({currency}; long > 0, short < 0)",
                         height=360)
    out.append(chart("exposure", figure))
    corr = run.correlation()
    figure = go.Figure(go.Heatmap(z=corr.to_numpy(), x=list(corr.columns), y=list(corr.index),
                                  zmin=-1, zmax=1, colorscale="RdBu",
                                  text=np.round(corr.to_numpy(), 2), texttemplate="%{text}"))
    figure.update_layout(title="Correlation of the legs' daily returns", height=360)
    out.append(chart("correlation", figure, wide=False))
    level = account["margin_level"] * 100
    held = level.dropna()
    figure = go.Figure()
    if len(held):
        rows = held.iloc[minmax_indices(held.to_numpy())]
        figure.add_scatter(x=rows.index, y=rows, name="margin level %", mode="lines",
                           line={"width": 1})
    stop_out = float(run.account.config["account"].get("stop_out_level", 0.0)) * 100
    if stop_out > 0:
        figure.add_hline(y=stop_out, line={"color": "#dc2626", "dash": "dash"},
                         annotation_text=f"stop-out {stop_out:g} %")
    figure.update_layout(title="Margin level (equity / used margin) while positions are open",
                         height=360, yaxis={"type": "log", "title": "%"})
    out.append(chart("margin-level", figure, wide=False))
    return out


def leg_tables(run: PortfolioBacktest) -> list[dict]:
    """Per leg: its contribution row and its trades (at most `MAX_ROWS`), as text."""
    trades, currency = run.account.trades, run.account.currency
    contributions = run.contributions().set_index("pair")
    out = []
    for pair in run.pairs:
        own = trades[trades["pair"] == pair]
        rows = [[str(v) if not isinstance(v, float) else f"{v:,.5g}" for v in row]
                for row in own[list(TRADE_COLUMNS)].head(MAX_ROWS).itertuples(index=False)]
        c = contributions.loc[pair]
        out.append({"pair": pair, "trades": int(c["trades"]),
                    "net": _money(float(c["net_account"]), currency),
                    "share": "n/a" if math.isnan(c["share"]) else f"{c['share'] * 100:.1f} %",
                    "win_rate": "n/a" if math.isnan(c["win_rate"])
                    else f"{c['win_rate'] * 100:.1f} %",
                    "reasons": ", ".join(f"{k} {v}" for k, v in
                                         own["exit_reason"].value_counts().items()),
                    "columns": list(TRADE_COLUMNS), "rows": rows,
                    "cut": max(0, len(own) - MAX_ROWS)})
    return out


#: How the report names the judge modes of `backtest_portfolio` (``models``).
JUDGE_MODES = {"pooled": "walk-forward, one pooled model",
               "per-pair": "walk-forward, one model per pair",
               "saved, per pair": "saved models, one per pair"}


def judge_cards(run: PortfolioBacktest) -> list[tuple[str, str]]:
    """Which judge ran and, when the run holds it, the same portfolio's net without it."""
    judge = run.account.config.get("judge")
    if not judge:
        return []
    cards = [("Judge", JUDGE_MODES.get(judge.get("models"), str(judge.get("models"))))]
    if run.without_judge is not None:
        plain = run.without_judge.stats
        cards.append(("Without the judge", f"{_money(plain['net_profit'], run.account.currency)}"
                                           f" · {int(plain['trades']):,} trades"))
    return cards


def render_portfolio(run: PortfolioBacktest, path: str | Path) -> Path:
    """Write the portfolio report to `path` and every trade to ``<stem>-trades.csv`` beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    run.account.trades.to_csv(path.with_name(f"{path.stem}-trades.csv"), index=False)
    stats, currency = run.stats, run.account.currency
    cards = [("Net profit", _money(stats["net_profit"], currency)),
             ("Return", f"{stats['return_pct']:.2f} %"),
             ("Max drawdown", f"{stats['max_drawdown_pct']:.2f} %"),
             ("Trades", f"{int(stats['trades']):,}"),
             ("Sharpe (daily, x252)",
              "n/a" if math.isnan(stats["sharpe"]) else f"{stats['sharpe']:.2f}"),
             ("Stop-outs", str(int((run.account.trades["exit_reason"] == "stop_out").sum())))]
    cards += judge_cards(run)
    charts = figures(run)
    config = run.account.config
    context = {
        "title": f"Portfolio {', '.join(run.pairs)}", "cards": cards, "charts": charts,
        "legs": leg_tables(run), "notes": run.account.notes, "currency": currency,
        "config_toml": tomli_w.dumps(toml_safe(config)), "csv_name": path.stem + "-trades.csv",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plotly_js": plotly_js(), "t": labels("en"),
    }
    drawn = [c for c in charts if c.json]
    context["figures"] = packed("{" + ",".join(f'"{c.id}":{c.json}' for c in drawn) + "}")
    html = environment().get_template("portfolio.html.j2").render(**context)
    return write_atomic(path, html)
