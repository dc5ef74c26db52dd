"""The portfolio parity battery at scale: random portfolios of 2 to 4 legs through both engines.

Run: ``nice .venv/bin/python benchmarks/portfolio_parity_battery.py`` (``--scenarios N``, default
2,000; seeds 0..N-1, so a rerun draws the same portfolios). Not a timing benchmark: it is
tests/engine/test_portfolio_parity.py's battery with more seeds. A disagreement does not stop
the run: it is counted and its seed written to the result, benchmarks/results/portfolio_parity.txt,
with the cases exercised.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scenario generator lives with the tests

from tests.engine import portfolio_parity  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "portfolio_parity.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=2_000)
    count = parser.parse_args().scenarios
    cases, mismatches = Counter(), []
    started = time.perf_counter()
    for seed in range(count):
        try:
            cases += portfolio_parity.compare(seed)
        except AssertionError as error:
            mismatches.append(str(error))
    seconds = time.perf_counter() - started
    trades = sum(v for k, v in cases.items() if k in portfolio_parity.EXIT_REASONS)
    lines = [
        f"portfolio parity battery: {count} portfolios (seeds 0..{count - 1}), {trades} trades, "
        f"{len(mismatches)} mismatches, {seconds:.0f} s on {platform.machine()} "
        f"python {platform.python_version()}",
        "compared: every trade column (money within 1e-9 relative), the account per timestamp, "
        "each leg's units and P&L, the notes",
        "cases: " + ", ".join(f"{k} {v}" for k, v in sorted(cases.items())),
        *mismatches,
    ]
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
