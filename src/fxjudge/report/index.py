"""`build_index`: ``reports/index.html``, the list of every run, rebuilt from what runs saved.

Each run folder is read, never recomputed: ``config.toml`` and ``stats.json`` for a plain run,
``with_judge/`` and ``without_judge/`` plus ``judge.json`` for a judged one, ``search.toml`` and
``summary.json`` for a search (its numbers are its winner's, ``best/`` or, walk-forward, the
stitched run's ``oos/``). So the index can be rebuilt at any time, and a folder that is not a
run (or is half-written) is skipped. Rows are newest first and sortable by any column; each
links to the run's ``report.html`` or the search's ``optimize.html``.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fxjudge.files import locked, write_atomic
from fxjudge.report import fmt
from fxjudge.report.i18n import labels
from fxjudge.report.render import environment

REPORT_NAME = "report.html"


@dataclass
class IndexRow:
    """One run as the index shows it (texts formatted, `sort` the raw numbers)."""

    folder: str
    created: str
    strategy: str
    params: str
    pair: str
    timeframe: str
    period: str
    judged: bool
    cells: list[tuple[str, float | None]]  # (text, sort value) of the numeric columns
    has_report: bool
    link: str = REPORT_NAME
    kind: str = ""


NUMERIC = ("trades", "net_profit", "return_pct", "max_drawdown_pct", "sharpe", "profit_factor")


SEARCH_FILE, SUMMARY_FILE, SEARCH_PAGE = "search.toml", "summary.json", "optimize.html"


def read_run(folder: Path) -> IndexRow | None:
    """The index row of run `folder`, or None when it is not a (complete) saved run."""
    if (folder / SEARCH_FILE).exists():
        return read_search(folder)
    judged = (folder / "judge.json").exists()
    main = folder / "with_judge" if judged else folder
    try:
        config = tomllib.loads(((folder / "without_judge") if judged else folder)
                               .joinpath("config.toml").read_text())
        stats = json.loads((main / "stats.json").read_text()).get("stats", {})
        summary = json.loads((folder / "judge.json").read_text()).get("summary", {}) \
            if judged else {}
    except (OSError, ValueError):
        return None
    data, strategy = config.get("data", {}), config.get("strategy", {})
    currency = str(config.get("account", {}).get("currency", ""))
    cells = []
    for name in NUMERIC:
        value = stats.get(name)
        cells.append((fmt.statistic(name, _number(value), currency), _number(value)))
    p = None
    if judged:  # the verdict's lead test; runs saved before it had only the precision test
        p = _number(summary.get("rank_test.p_value",
                                summary.get("random_filter.precision_p_value")))
    cells.append((fmt.p_value(p) if judged else "", p))
    params = ", ".join(f"{k}={v}" for k, v in (strategy.get("params") or {}).items())
    return IndexRow(
        folder=folder.name, created=str(config.get("created", ""))[:16].replace("T", " "),
        strategy=str(strategy.get("name", "")), params=params, pair=str(data.get("pair", "")),
        timeframe=str(data.get("timeframe", "")),
        period=f"{str(data.get('start', ''))[:10]} – {str(data.get('end', ''))[:10]}",
        judged=judged, cells=cells, has_report=(folder / REPORT_NAME).exists())


def read_search(folder: Path) -> IndexRow | None:
    """The index row of a search folder: its settings, and the numbers of what it ran last
    (its winner in ``best/``, or a walk-forward's stitched run in ``oos/``)."""
    walk = (folder / "oos").is_dir()
    try:
        config = tomllib.loads((folder / SEARCH_FILE).read_text())
        summary = json.loads((folder / SUMMARY_FILE).read_text())
        main = folder / ("oos" if walk else "best")
        if (main / "judge.json").exists():
            main = main / "with_judge"
        stats = json.loads((main / "stats.json").read_text()).get("stats", {})
    except (OSError, ValueError):
        return None
    data, strategy = config.get("data", {}), config.get("strategy", {})
    settings = config.get("optimize", {})
    currency = str(config.get("account", {}).get("currency", ""))
    cells = [(fmt.statistic(n, _number(stats.get(n)), currency), _number(stats.get(n)))
             for n in NUMERIC]
    cells.append(("", None))
    best = (summary.get("best") or {}).get("params") or {}
    what = "walk-forward" if walk else f"{settings.get('method', '')} search"
    params = (f"{what} of {summary.get('n_trials', 0)} configurations; best "
              + ", ".join(f"{k}={v}" for k, v in best.items() if k in settings.get("space", {})))
    return IndexRow(
        folder=folder.name, created=str(config.get("created", ""))[:16].replace("T", " "),
        strategy=str(strategy.get("name", "")), params=params, pair=str(data.get("pair", "")),
        timeframe=str(data.get("timeframe", "")),
        period=f"{str(data.get('start', ''))[:10]} – {str(data.get('end', ''))[:10]}",
        judged=(main.name == "with_judge"), cells=cells,
        has_report=(folder / SEARCH_PAGE).exists(), link=SEARCH_PAGE, kind=what)


def _number(value) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def build_index(reports_dir: str | Path, *, lang: str = "en") -> Path:
    """Write ``index.html`` in `reports_dir` listing every run folder in it; return its path.

    Runs finishing at once each rebuild it under the index's lock, one after the other, so the
    last one written lists them all.
    """
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    t = labels(lang)
    path = reports_dir / "index.html"
    with locked(path, what="the run index"):
        rows = [row for folder in sorted(reports_dir.iterdir(), reverse=True)
                if folder.is_dir() and (row := read_run(folder)) is not None]
        headers = [t[name] for name in NUMERIC] + [t["judge_p_value"]]
        html = environment().get_template("index.html.j2").render(
            lang=lang, t=t, rows=rows, headers=headers,
            folder=str(reports_dir), generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        return write_atomic(path, html)
