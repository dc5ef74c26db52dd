"""The portfolio engines held to each other: random portfolios of 2 to 4 legs (seeded).

Each seed draws a portfolio (`tests.engine.portfolio_parity`): legs whose bars do not line up,
cross-rate conversion, random rules, costs and sizing, an account tight enough for rejections
and stop-outs. Both engines must agree on every trade, the account at every timestamp and each
leg's units and P&L; the cases the portfolio rules name must occur, counted.
benchmarks/portfolio_parity_battery.py runs more seeds.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.engine import portfolio_parity

SEEDS = 40


@pytest.fixture(autouse=True)
def engine() -> str:
    """Overrides the conftest's engine parameter: each seed runs on both engines itself."""
    return "both"


def test_portfolio_parity_battery():
    cases = Counter()
    for seed in range(SEEDS):
        cases += portfolio_parity.compare(seed)
    print(dict(cases))
    for case in ("stop_out", "stop_out_caused_by_another_leg", "rejected_by_another_leg",
                 "cross_rate_trades", "legs_2", "legs_3", "legs_4", "stop_loss", "take_profit",
                 "reverse", "time"):
        assert cases[case] > 0, f"no {case} in {SEEDS} portfolios: {dict(cases)}"
