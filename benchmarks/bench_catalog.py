"""Catalog speed: a year of HistData M1 parsed once, then loaded back from Parquet.

Run: ``.venv/bin/python benchmarks/bench_catalog.py`` (needs ../shared/data). It times, in one
process and on the same file (EURUSD 2018, 372,607 rows):

- baseline: plain ``pandas.read_csv`` of the extracted CSV (no date parsing, no checks);
- fxjudge parsing the zip (clock inference, row checks, quality policies);
- fxjudge loading the imported year back from the catalog.

Each figure is the median of several runs; the claim checked is that a catalog load is at least
20 times faster than parsing the CSV. The result is written to benchmarks/results/catalog.txt.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

from fxjudge import load_bars
from fxjudge.data import catalog

ROOT = Path(__file__).resolve().parents[1]
ZIP = ROOT.parent / "shared" / "data" / "histdata_m1" / "HISTDATA_COM_ASCII_EURUSD_M12018.zip"
RESULT = ROOT / "benchmarks" / "results" / "catalog.txt"


def median_seconds(action, runs: int) -> float:
    """Median wall time of `runs` calls of `action`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Time the three loads and write the result file."""
    if not ZIP.exists():
        sys.exit(f"{ZIP} is absent: this benchmark needs ../shared/data")
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        with zipfile.ZipFile(ZIP) as archive:
            member = archive.namelist()[0]
            archive.extract(member, project)
        csv = project / member
        baseline = median_seconds(lambda: pd.read_csv(csv, sep=";", header=None), 5)
        parse = median_seconds(lambda: load_bars(ZIP), 3)
        bars = load_bars(ZIP)
        catalog.import_data(bars, bars.attrs["report"], project=project)
        load = median_seconds(lambda: load_bars("EURUSD", project=project), 20)
        rows = len(load_bars("EURUSD", project=project))
    lines = [
        f"HistData EURUSD M1 2018: {rows:,} bars, median seconds per load",
        f"  pandas.read_csv, plain (baseline)   {baseline:8.4f} s",
        f"  fxjudge parse of the zip            {parse:8.4f} s  ({parse / baseline:.2f}x baseline)",
        f"  fxjudge load from the catalog       {load:8.4f} s",
        f"  catalog load vs plain read_csv:     {baseline / load:6.1f}x faster",
        f"  catalog load vs fxjudge parse:      {parse / load:6.1f}x faster (claim: >= 20x)",
    ]
    text = "\n".join(lines)
    print(text)
    RESULT.write_text(text + "\n")


if __name__ == "__main__":
    main()
