"""A search's run folder: its files, the winner's full report, ``optimize.html`` and the index.

    reports/<run-id>/
        trials.parquet, returns.npy, days.npy, search.toml, summary.json   (OptimizeResult.save)
        optimize.html                                                      (the search's page)
        best/  report.html, trades.csv, ...   the winner rerun; its DSR counts the search's trials
        windows.csv, oos/report.html          (walk-forward: the windows and the stitched run)

The page is filled from the result's table and statistics (`fxjudge.report.search_page`).
"""

from __future__ import annotations

import math
from pathlib import Path

import tomli_w

from fxjudge.report import build_index, render_report
from fxjudge.report.search_page import PAGE_NAME, SearchPage, render_search_report
from fxjudge.results.result import toml_safe
from fxjudge.search.result import SHOWN, OptimizeResult
from fxjudge.search.walkforward import WalkForwardResult

WINNER = "best"
OUT_OF_SAMPLE = "oos"
#: PBO's blocks: 16 (as the paper) when there are days enough for two a block, else fewer
N_SPLITS = 16


def write_search(result: OptimizeResult | WalkForwardResult, folder: Path, *, command: str,
                 lang: str = "en") -> Path:
    """Write everything of `result` into its run `folder` and rebuild the runs index; return
    the page's path."""
    folder = Path(folder)
    walk = isinstance(result, WalkForwardResult)
    search = result.searches[-1] if walk else result
    search.save(folder, rerun_config(result) if walk else None)
    if walk:
        result.windows.to_csv(folder / "windows.csv", index=False)
        (folder / "walk_forward.toml").write_text(tomli_w.dumps(toml_safe(
            {"settings": result.settings, "efficiency": result.efficiency,
             "robustness": result.robustness})))
        run, name, label = result.result, OUT_OF_SAMPLE, "The stitched out-of-sample run's " \
                                                          "full report"
    else:
        run, name, label = search.best_result, WINNER, "The winner's full report (its DSR " \
                                                       "counts this search's trials)"
    run.save(folder / name)
    if search.legs:
        from fxjudge.report.portfolio_page import render_portfolio

        render_portfolio(run, folder / name / "report.html")
        label = "The winner's portfolio report (its account records this search's trials)"
    else:
        render_report(run, folder / name / "report.html", lang=lang)
    page = _page(result, search, walk, command, f"{name}/report.html", label)
    path = render_search_report(page, folder / PAGE_NAME)
    build_index(folder.parent, lang=lang)
    return path


def rerun_config(result: WalkForwardResult) -> dict:
    """The search.toml that reruns a whole walk-forward: its last window's search settings
    over the whole data, with the ``walk_forward`` settings."""
    config = result.searches[-1].config()
    s = result.settings
    config["data"] |= {"start": s["start"], "end": s["end"]}
    config["optimize"] |= {"walk_forward": f"{s['train']}/{s['test']}",
                           "anchored": s["anchored"]}
    if s["judge"]:
        config["optimize"]["judge"] = s["judge"]
    return config


def _page(result, search: OptimizeResult, walk: bool, command: str, link: str,
          label: str) -> SearchPage:
    config = rerun_config(result) if walk else search.config()
    data = config["data"]
    pbo, problem = None, ""
    days = int(search.dsr["days"])
    splits = min(N_SPLITS, (days // 2) // 2 * 2)
    if len(search.trials) < 2:
        problem = "PBO needs two or more configurations; this search ran one."
    elif splits < 2:
        problem = f"PBO needs at least 4 FX days; the search had {days}."
    else:
        pbo = search.pbo(n_splits=splits)
    settings = config["optimize"]
    legs = config.get("legs", [])
    market = _market(data, legs, search)
    header = [("Strategy", search.strategy_name), *market,
              ("Method", f"{settings['method']}" + (f", {settings['n_trials']} trials asked"
                                                     if settings.get("n_trials") else "")),
              ("Objective", f"{search.objective_name} "
                            f"({'maximised' if search.maximize else 'minimised'})"),
              ("Space", "; ".join(f"{n} = {v}" for n, v in settings["space"].items())),
              ("Fixed", ", ".join(f"{k}={v}" for k, v in search.fixed.items()) or "-")]
    if settings.get("constraint"):
        header.append(("Constraint", str(settings["constraint"])))
    if walk:
        s = result.settings
        header.insert(4, ("Walk-forward", f"{s['windows']} windows of {s['train']} train / "
                                          f"{s['test']} test" + (", anchored" if s["anchored"]
                                                                 else ", rolling")))
    notes = list(search.notes)
    if walk:
        notes.insert(0, "The landscape, top trials, PBO and neighbourhood are those of the last "
                        "window's search (the one closest to today); the DSR and PSR are the "
                        "stitched out-of-sample run's.")
    if legs:
        notes.insert(0, "A portfolio search: every trial ran the legs in one account; the "
                        "objective and every statistic are the account's.")
    currency = str(config.get("account", {}).get("currency", ""))
    title = f"{search.strategy_name} · " + (
        "portfolio " + ", ".join(leg["pair"] for leg in legs) if legs
        else f"{data.get('pair')} {data.get('timeframe')}")
    return SearchPage(
        title=title + (" · walk-forward" if walk else ""), header=header,
        trials=search.trials, parameters=search.parameters,
        objective_name=search.objective_name, maximize=search.maximize, currency=currency,
        dsr=result.robustness | {"n_trials": result.robustness.get("n_trials", math.nan)}
        if walk else search.dsr, pbo=pbo, pbo_problem=problem,
        neighbourhood=search.neighbourhood(), skipped=search.skipped, notes=notes,
        winner_link=link, winner_label=label, config_toml=tomli_w.dumps(config),
        command=command, versions=config.get("versions", {}),
        windows=result.windows if walk else None,
        stability=result.stability if walk else None,
        efficiency=result.efficiency if walk else math.nan, shown=list(SHOWN))


def _market(data: dict, legs: list[dict], search: OptimizeResult) -> list[tuple[str, str]]:
    """The page's header rows of what was traded: the pair, or a portfolio's legs."""
    period = ("Period", f"{data['start'][:10]} – {data['end'][:10]} UTC")
    if not legs:
        return [("Pair", str(data.get("pair"))), ("Timeframe", str(data.get("timeframe"))),
                period, ("Data source", str(data.get("source")))]
    timeframes = dict.fromkeys(str(leg.bars.attrs.get("timeframe")) for leg in search.legs)
    return [("Portfolio", ", ".join(f"{leg['pair']} ({leg['strategy']})" for leg in legs)),
            ("Timeframe", ", ".join(timeframes)), period,
            ("Data source", ", ".join(str(leg.get("source", leg["pair"])) for leg in legs))]
