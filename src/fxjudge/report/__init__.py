"""The report stage: a run becomes one self-contained HTML file, and runs become an index.

    from fxjudge.report import render_report, build_index, load_run, write_run_report
    render_report(result, "reports/my-run/report.html", lang="ja")
    build_index("reports")                       # reports/index.html, rebuilt from saved runs
    write_run_report(result, folder, "en")       # after a run: its report.html and the index
    load_run("reports/my-run")                   # a saved BacktestResult or JudgedResult

Only this stage imports jinja2 and plotly. It reads `BacktestResult` / `JudgedResult` objects
(or what they saved), never engine internals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fxjudge.report.index import build_index
from fxjudge.report.render import render_report
from fxjudge.report.saved import load_run
from fxjudge.results.judged import JudgedResult
from fxjudge.results.result import BacktestResult

REPORT_FILE = "report.html"


def write_run_report(
    result: BacktestResult | JudgedResult,
    folder: str | Path,
    lang: str = "en",
    *,
    command: str | None = None,
    bars: pd.DataFrame | None = None,
    display_tz: str | None = None,
) -> Path:
    """Render `folder`/report.html for a saved run and rebuild the index of its parent folder.

    Call it after `result.save(folder)`; returns the report's path.
    """
    folder = Path(folder)
    path = render_report(result, folder / REPORT_FILE, lang=lang, command=command, bars=bars,
                         display_tz=display_tz)
    build_index(folder.parent, lang=lang)
    return path


__all__ = ["build_index", "load_run", "render_report", "write_run_report"]
