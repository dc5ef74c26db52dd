"""The report stage: a run becomes one self-contained HTML file, and runs become an index.

    import fxjudge
    fxjudge.report(result, "my-run.html", lang="ja")   # from Python: this module is callable
    from fxjudge.report import render_report, build_index, load_run, write_run_report
    render_report(result, "reports/my-run/report.html", lang="ja")
    build_index("reports")                       # reports/index.html, rebuilt from saved runs
    write_run_report(result, folder, "en")       # after a run: its report.html and the index
    load_run("reports/my-run")        # a saved BacktestResult, JudgedResult or PortfolioBacktest

``fxjudge.report(result, path, lang="en", *, display_tz=None, bars=None, overwrite=False)``
is `fxjudge.report.notebook.write_report`: the module is also the function, so that the
documented front door ``fxjudge.report(...)`` works however the package was imported (Python
sets a package's attribute to its submodule on import, which would hide a function of the
same name).

Only this stage imports jinja2 and plotly. It reads `BacktestResult` / `JudgedResult` objects
(or what they saved), never engine internals: of the engine it reads only its notes'
templates (`fxjudge.engine.notes`), to say them in the page's language.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pandas as pd

from fxjudge.report.index import build_index
from fxjudge.report.portfolio_page import check_portfolio_options, render_portfolio
from fxjudge.report.render import render_report
from fxjudge.report.saved import load_run
from fxjudge.results.judged import JudgedResult
from fxjudge.results.portfolio import PortfolioBacktest
from fxjudge.results.result import BacktestResult

REPORT_FILE = "report.html"


def write_run_report(
    result: BacktestResult | JudgedResult | PortfolioBacktest,
    folder: str | Path,
    lang: str = "en",
    *,
    command: str | None = None,
    bars: pd.DataFrame | None = None,
    display_tz: str | None = None,
) -> Path:
    """Render `folder`/report.html for a saved run and rebuild the index of its parent folder.

    Call it after `result.save(folder)`; returns the report's path. A portfolio's page
    (`render_portfolio`) also writes its trades CSV beside it, and has no price chart and no
    other clock than UTC, so `command`, `bars` and `display_tz` must not be given for one.
    """
    folder = Path(folder)
    if isinstance(result, PortfolioBacktest):
        check_portfolio_options(command=command, bars=bars, display_tz=display_tz)
        path = render_portfolio(result, folder / REPORT_FILE, lang=lang)
    else:
        path = render_report(result, folder / REPORT_FILE, lang=lang, command=command,
                             bars=bars, display_tz=display_tz)
    build_index(folder.parent, lang=lang)
    return path


__all__ = ["build_index", "load_run", "render_portfolio", "render_report", "write_run_report"]


class _CallableModule(types.ModuleType):
    """This module, callable as ``fxjudge.report(result, path, lang=...)``."""

    def __call__(self, result, path: str | Path, lang: str = "en", **options) -> Path:
        """Write `result`'s HTML report to `path`: see `fxjudge.report.notebook.write_report`."""
        from fxjudge.report.notebook import write_report

        return write_report(result, path, lang, **options)


sys.modules[__name__].__class__ = _CallableModule
