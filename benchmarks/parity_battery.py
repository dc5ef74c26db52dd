"""The parity battery at scale: 10,000 scenarios through both engines, every field compared.

Run: ``nice .venv/bin/python benchmarks/parity_battery.py`` (``--scenarios N`` for another
count). Not a timing benchmark: it is tests/engine/test_parity.py's battery with more scenarios,
half on generated markets and half on slices of the real files in ../shared/data (generated
only when those are absent), derandomised like the test so that a rerun draws the same
scenarios. A disagreement does not stop the run: it is counted and its reproducer written to
the result, benchmarks/results/parity.txt, with what was compared and the cases exercised.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scenario generator lives with the tests

from tests.engine import parity  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "parity.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=10_000)
    count = parser.parse_args().scenarios
    real = parity.real_data_available()
    strategy = parity.scenarios()
    if real:
        strategy = st.one_of(strategy, parity.scenarios(tuple(parity.REAL_FILES)))
    totals, cases, mismatches = Counter(), Counter(), []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def compare(scenario):
        try:
            outcome = parity.compare(scenario)
        except AssertionError as error:
            mismatches.append(str(error))
            return
        totals.update(scenarios=1, trades=outcome.trades, equity_bars=outcome.equity_bars,
                      money_values=outcome.money_values,
                      money_bit_equal=outcome.money_bit_equal,
                      real=scenario.source in parity.REAL_FILES)
        cases.update(outcome.cases)

    started = time.perf_counter()
    compare()
    minutes = (time.perf_counter() - started) / 60
    lines = [
        "Parity battery: the compiled engine against the backtrader engine (reference)",
        f"python {platform.python_version()}, {platform.machine()}; "
        f"{minutes:.1f} minutes (not a timing benchmark)",
        "",
        f"scenarios compared:      {totals['scenarios'] + len(mismatches):,} "
        f"({totals['real']:,} on real data{'' if real else ': ../shared/data absent'})",
        f"trades compared:         {totals['trades']:,}",
        f"equity bars compared:    {totals['equity_bars']:,}",
        f"money values compared:   {totals['money_values']:,} "
        f"(bit for bit equal: {totals['money_bit_equal']:,}; the battery allows "
        f"{parity.RELATIVE:g} relative)",
        f"mismatches:              {len(mismatches)}",
        "",
        "cases exercised (trades, or entries for skips and vetoes):",
        *(f"  {case:<22} {cases[case]:,}" for case in parity.CASES),
    ]
    lines += ["", *mismatches[:20]] if mismatches else []
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
