"""The compiled engine held to the backtrader engine, trade for trade (STYLE.md item 17).

Hypothesis draws scenarios (`tests.engine.parity`): random markets, signals, exit rules, costs,
accounts, sizing, conversions, lower-timeframe bars, vetoes and probabilities; both engines run
each one and must agree on every trade field and every equity column. The run is derandomised
(the same scenarios on every run and machine), so the counts of what it exercised are
reproducible, and each case the engine's rules name must occur. On a disagreement hypothesis
shrinks the scenario and the error prints code that reproduces it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.engine import parity

SCENARIOS = 600
REAL_SCENARIOS = 150
#: rare on their own, pinned: a long whose swap (-30 pips a night) drives it to a stop-out after
#: more than one of the exit scan's windows, in each way of converting to the account currency;
#: in the last two, swap accrued in another order than the scan's would move the stop-out price
#: by one ulp
_CARRY = parity.Scenario(
    source="synthetic", timeframe="H4", n_bars=200, signals="sparse", density=0.03,
    swap_long_pips=-30.0, swap_short_pips=-25.0, balance_margins=1.5, leverage=100.0,
    on_opposite="ignore",
)
PINNED = (
    dataclasses.replace(_CARRY, source="walk", seed=6, currency="base"),
    dataclasses.replace(_CARRY, seed=8, currency="JPY", conversion="ecb"),
    dataclasses.replace(_CARRY, timeframe="D1", seed=8, conversion="fixed"),
    dataclasses.replace(_CARRY, source="walk", timeframe="D1", seed=13, currency="JPY",
                        conversion="bars"),
    dataclasses.replace(_CARRY, n_bars=300, seed=21, currency="JPY", conversion="ecb"),
    dataclasses.replace(_CARRY, n_bars=300, seed=303, currency="JPY", conversion="ecb"),
)
_SETTINGS = dict(
    derandomize=True, database=None, deadline=None, print_blob=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def engine():
    """The battery runs both engines itself (overrides the per-engine fixture of conftest)."""


def battery(strategy, examples: int, pinned=()) -> Counter:
    """Compare the `pinned` scenarios, then `examples` drawn from `strategy`; the cases they
    exercised."""
    totals = Counter()

    @settings(max_examples=examples, **_SETTINGS)
    @given(strategy)
    def agree(scenario):
        totals.update(parity.compare(scenario).cases)

    for scenario in pinned:
        agree = example(scenario)(agree)
    agree()
    return totals


def test_the_engines_agree_on_generated_markets():
    totals = battery(parity.scenarios(), SCENARIOS, PINNED)
    missing = [case for case in parity.CASES if totals[case] == 0]
    assert missing == [], f"cases never exercised: {missing}; counts: {dict(totals)}"


@pytest.mark.shared_data
def test_the_engines_agree_on_real_data():
    if not parity.real_data_available():
        pytest.skip(f"real FX data not available: {parity.SHARED_DATA} lacks the files of "
                    "tests/engine/parity.py's REAL_FILES (they are only beside CI's clone)")
    totals = battery(parity.scenarios(tuple(parity.REAL_FILES)), REAL_SCENARIOS)
    assert totals["stop_loss"] and totals["take_profit"] and totals["reverse"]
