"""The report stage in a notebook: a result's plot, its report written from Python, or shown
inline in the cell.

- `plot_result` (``result.plot()``): a plotly figure of the price with the entries and exits
  (and the rejected candidates of a judged run), equity and drawdown beneath, on one time axis;
- `write_report` (``fxjudge.report(result, path, lang="ja")``): the HTML report, as
  `fxjudge backtest` writes it (a portfolio's, `render_portfolio`, with its trades CSV beside
  it); an existing file is replaced only when asked (``overwrite=True``);
- `inline_report` (``result.show_report()``): the whole report inside the notebook's output, an
  iframe holding the page (about 2.5 MB in the notebook for a year of H1: on request only).

The result objects call these lazily (`fxjudge.results` is to the left of this stage), so that
``import fxjudge`` never loads plotly or jinja2.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError
from fxjudge.report.charts import overview_figure
from fxjudge.report.display import display_clock
from fxjudge.report.i18n import labels
from fxjudge.report.portfolio_page import check_portfolio_options, render_portfolio
from fxjudge.report.render import render_report, report_html
from fxjudge.report.saved import load_price_bars
from fxjudge.results.portfolio import PortfolioBacktest


def plot_result(result, bars: pd.DataFrame | None = None, *, lang: str = "en",
                display_tz: str | None = None) -> go.Figure:
    """Price with the trades over equity and drawdown (without the price row when the run's
    bars are neither given nor readable from its source)."""
    pair = FxPair.parse(result.config["data"]["pair"])
    if bars is None:
        bars = load_price_bars(result.config)[0]
    return overview_figure(result, bars, labels(lang), pair.price_decimals,
                           display_clock(display_tz))


def write_report(result, path: str | Path, lang: str = "en", *,
                 display_tz: str | None = None, bars: pd.DataFrame | None = None,
                 overwrite: bool = False) -> Path:
    """Write `result`'s HTML report to `path` (one file: its download link saves the trades as
    ``<stem>-trades.csv``; a portfolio's page writes that CSV beside it); return it."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"`path` must name an .html file, was {str(path)!r}")
    portfolio = isinstance(result, PortfolioBacktest)
    written = [path, path.with_name(f"{path.stem}-trades.csv")] if portfolio else [path]
    clash = [p for p in written if p.exists()]
    if clash and not overwrite:
        raise ConfigError(f"{clash[0]}: already exists; pass overwrite=True to replace it, or "
                          "choose another name")
    if portfolio:
        check_portfolio_options(bars=bars, display_tz=display_tz)
        return render_portfolio(result, path, lang=lang)
    return render_report(result, path, lang=lang, bars=bars, display_tz=display_tz)


class InlineReport:
    """A report shown in a notebook cell: its page in a sandboxed iframe (scripts only)."""

    def __init__(self, html: str, height_px: int = 900) -> None:
        self.html, self.height_px = html, height_px

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {self.height_px}px; border: 1px solid #e5e7eb">'
                "</iframe>")


def inline_report(result, *, lang: str = "en", display_tz: str | None = None,
                  bars: pd.DataFrame | None = None, height_px: int = 900) -> InlineReport:
    """`result`'s report, to show inside the notebook (nothing is written to disk)."""
    return InlineReport(report_html(result, lang=lang, bars=bars, display_tz=display_tz),
                        height_px)
