"""``report.html`` of a portfolio run: the account, its legs, exposure, correlation and margin.

Built only from a `results.portfolio.PortfolioBacktest`. Sections: the account's summary cards;
its equity and drawdown; each leg's contribution (a table and each leg's P&L over time); the net
currency exposure over time in the account currency; the correlation of the legs' daily
returns; the margin level over time with the stop-out level; per-leg trade tables; notes and
configuration. Embedding (plotly and the figures gzipped in the page) is the run report's, and
so are the words: every heading, label, chart title and table cell is looked up in
`i18n.labels(lang)`.
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

from fxjudge.errors import ConfigError
from fxjudge.files import write_atomic
from fxjudge.report import fmt
from fxjudge.report.downsample import minmax_indices
from fxjudge.report.i18n import labels, note_text
from fxjudge.report.render import chart, environment, packed, plotly_js
from fxjudge.results.portfolio import PortfolioBacktest
from fxjudge.results.result import toml_safe

#: a leg's trade table: each column and the key of its header in `i18n`
TRADE_COLUMNS = {"entry_time": "pf_entry_time", "exit_time": "pf_exit_time", "side": "side",
                 "units": "units", "entry_price": "entry_price", "exit_price": "exit_price",
                 "exit_reason": "exit_reason", "pips": "pips", "net_account": "net_money"}
#: at most this many rows of a leg's trade table on the page (the CSV has them all)
MAX_ROWS = 500


def _thin(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """At most a few thousand points of `frame`, keeping `column`'s extremes."""
    return frame.iloc[minmax_indices(frame[column].to_numpy(dtype=float))]


def _money(value: float, currency: str, t: dict[str, str]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t["na"]
    return f"{value:,.{0 if currency == 'JPY' else 2}f} {currency}"


def _percent(value: float, t: dict[str, str]) -> str:
    return t["na"] if math.isnan(value) else f"{value * 100:.1f} %"


def figures(run: PortfolioBacktest, t: dict[str, str]) -> list:
    """The page's charts (`render.chart`), in order, titled in `t`'s language."""
    account = run.account.equity
    currency = run.account.currency
    balance = float(run.account.config["account"]["balance"])
    out = []
    shown = _thin(account, "equity")
    peak = np.maximum.accumulate(np.r_[balance, account["equity"].to_numpy()])[1:]
    drawdown = pd.Series((account["equity"].to_numpy() / peak - 1) * 100, index=account.index)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                           vertical_spacing=0.04)
    figure.add_scatter(x=shown.index, y=shown["equity"], name=t["equity"], line={"width": 1.5},
                       row=1, col=1)
    figure.add_scatter(x=shown.index, y=shown["balance"], name=t["pf_balance"], line={"width": 1},
                       row=1, col=1)
    rows = minmax_indices(drawdown.to_numpy())
    figure.add_scatter(x=drawdown.index[rows], y=drawdown.iloc[rows], name=t["drawdown"],
                       line={"width": 1, "color": "#dc2626"}, fill="tozeroy", row=2, col=1)
    figure.update_layout(title=t["pf_chart_equity"].format(currency=currency), height=480)
    out.append(chart("account-equity", figure))
    figure = go.Figure()
    for pair in run.pairs:
        pnl = run.leg_pnl[[pair]]
        rows = _thin(pnl, pair)
        figure.add_scatter(x=rows.index, y=rows[pair], name=pair, line={"width": 1})
    figure.update_layout(title=t["pf_chart_legs"].format(currency=currency), height=360)
    out.append(chart("leg-contributions", figure))
    exposure = run.exposure()
    figure = go.Figure()
    for name in exposure.columns:
        rows = _thin(exposure[[name]].fillna(0.0), name)
        figure.add_scatter(x=rows.index, y=rows[name], name=name, line={"width": 1})
    figure.update_layout(title=t["pf_chart_exposure"].format(currency=currency), height=360)
    out.append(chart("exposure", figure))
    corr = run.correlation()
    figure = go.Figure(go.Heatmap(z=corr.to_numpy(), x=list(corr.columns), y=list(corr.index),
                                  zmin=-1, zmax=1, colorscale="RdBu",
                                  text=np.round(corr.to_numpy(), 2), texttemplate="%{text}"))
    figure.update_layout(title=t["pf_chart_correlation"], height=360)
    out.append(chart("correlation", figure, wide=False))
    level = account["margin_level"] * 100
    held = level.dropna()
    figure = go.Figure()
    if len(held):
        rows = held.iloc[minmax_indices(held.to_numpy())]
        figure.add_scatter(x=rows.index, y=rows, name=t["pf_margin_level"], mode="lines",
                           line={"width": 1})
    stop_out = float(run.account.config["account"].get("stop_out_level", 0.0)) * 100
    if stop_out > 0:
        figure.add_hline(y=stop_out, line={"color": "#dc2626", "dash": "dash"},
                         annotation_text=t["pf_stop_out_at"].format(level=f"{stop_out:g}"))
    figure.update_layout(title=t["pf_chart_margin"],
                         height=360, yaxis={"type": "log", "title": "%"})
    out.append(chart("margin-level", figure, wide=False))
    return out


def _cell(column: str, value, t: dict[str, str]) -> str:
    """One trade-table cell as text: sides and exit reasons in `t`'s words."""
    if column == "side":
        return t["long"] if value > 0 else t["short"]
    if column == "exit_reason":
        return t.get(f"reason_{value}", str(value))
    return f"{value:,.5g}" if isinstance(value, float) else str(value)


def leg_tables(run: PortfolioBacktest, t: dict[str, str]) -> list[dict]:
    """Per leg: its contribution row and its trades (at most `MAX_ROWS`), as text."""
    trades, currency = run.account.trades, run.account.currency
    contributions = run.contributions().set_index("pair")
    columns = list(TRADE_COLUMNS)
    headers = [t[key].format(currency=currency) for key in TRADE_COLUMNS.values()]
    out = []
    for pair in run.pairs:
        own = trades[trades["pair"] == pair]
        rows = [[_cell(c, v, t) for c, v in zip(columns, row, strict=True)]
                for row in own[columns].head(MAX_ROWS).itertuples(index=False)]
        c = contributions.loc[pair]
        reasons = own["exit_reason"].value_counts().items()
        out.append({"pair": pair, "trades": int(c["trades"]),
                    "net": _money(float(c["net_account"]), currency, t),
                    "share": _percent(c["share"], t), "win_rate": _percent(c["win_rate"], t),
                    "reasons": ", ".join(f"{_cell('exit_reason', k, t)} {v}" for k, v in reasons),
                    "headers": headers, "rows": rows,
                    "cut": max(0, len(own) - MAX_ROWS)})
    return out


#: The `backtest_portfolio` judge modes (``models``) and their label keys.
JUDGE_MODES = {"pooled": "pf_judge_pooled", "per-pair": "pf_judge_per_pair",
               "saved, per pair": "pf_judge_saved"}


#: The verdict's outcomes (`fxjudge.judge.verdict.OUTCOMES`), each a label ``pf_outcome_<it>``.
VERDICT_OUTCOMES = ("not_judged", "no_evidence", "ranks_only", "helped")


def judge_cards(run: PortfolioBacktest, t: dict[str, str]) -> list[tuple[str, str]]:
    """Which judge ran, its verdict on every leg's judged candidates together
    (`fxjudge.judge.portfolio.portfolio_verdict`) and, when the run holds it, the same
    portfolio's net without it."""
    judge = run.account.config.get("judge")
    if not judge:
        return []
    mode = judge.get("models")
    cards = [(t["pf_judge"], t[JUDGE_MODES[mode]] if mode in JUDGE_MODES else str(mode))]
    verdict = run.verdict or {}
    if verdict.get("outcome") in VERDICT_OUTCOMES:
        cards.append((t["pf_verdict"], t["pf_verdict_value"].format(
            outcome=t[f"pf_outcome_{verdict['outcome']}"],
            auc=fmt.number(verdict.get("rank_test.auc"), 3),
            rank_p=fmt.p_value(verdict.get("rank_test.p_value")),
            pnl_p=fmt.p_value(verdict.get("pnl_test.p_value")))))
    if run.without_judge is not None:
        plain = run.without_judge.stats
        cards.append((t["pf_without_judge"], t["pf_without_judge_value"].format(
            net=_money(plain["net_profit"], run.account.currency, t),
            trades=f"{int(plain['trades']):,}")))
    return cards


def check_portfolio_options(**options) -> None:
    """Refuse the one-pair report's options a portfolio's page cannot honour, naming them."""
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise ConfigError(f"`{'`, `'.join(given)}` cannot be given for a portfolio's report "
                          "(its times are UTC and it draws no price chart); leave it out")


def render_portfolio(run: PortfolioBacktest, path: str | Path, lang: str = "en") -> Path:
    """Write the portfolio report to `path`, in `lang`, and every trade to
    ``<stem>-trades.csv`` beside it."""
    t = labels(lang)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    run.account.trades.to_csv(path.with_name(f"{path.stem}-trades.csv"), index=False)
    stats, currency = run.stats, run.account.currency
    ppy = f"{run.account.periods_per_year:g}"
    cards = [(t["net_profit"], _money(stats["net_profit"], currency, t)),
             (t["return_pct"], f"{stats['return_pct']:.2f} %"),
             (t["max_drawdown_pct"], f"{stats['max_drawdown_pct']:.2f} %"),
             (t["trades"], f"{int(stats['trades']):,}"),
             (t["sharpe_x"].format(ppy=ppy),
              t["na"] if math.isnan(stats["sharpe"]) else f"{stats['sharpe']:.2f}"),
             (t["pf_stop_outs"],
              str(int((run.account.trades["exit_reason"] == "stop_out").sum())))]
    cards += judge_cards(run, t)
    charts = figures(run, t)

    context = {
        "title": t["pf_title"].format(pairs=", ".join(run.pairs)), "cards": cards,
        "charts": charts, "legs": leg_tables(run, t),
        "notes": [note_text(n, t) for n in run.account.notes],
        "currency": currency, "config_toml": tomli_w.dumps(toml_safe(run.account.config)),
        "csv_name": path.stem + "-trades.csv",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plotly_js": plotly_js(), "lang": lang, "t": t,
    }
    drawn = [c for c in charts if c.json]
    context["figures"] = packed("{" + ",".join(f'"{c.id}":{c.json}' for c in drawn) + "}")
    html = environment().get_template("portfolio.html.j2").render(**context)
    return write_atomic(path, html)
