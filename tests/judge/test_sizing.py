"""AFML's average uniqueness (ch. 4) and bet sizing (ch. 10) on hand-computed cases."""

import math

import numpy as np
import pytest

from fxjudge.errors import ConfigError
from fxjudge.judge import average_uniqueness, bet_size, effective_sample_size
from fxjudge.judge.sizing import label_uniqueness, size_factors

#: p = 0.7: z = 0.2 / sqrt(0.21) = 0.43644, and from the normal table Phi(0.43) = 0.6664,
#: Phi(0.44) = 0.6700, so Phi(0.43644) = 0.6664 + 0.644 * 0.0036 = 0.66872 and
#: m = 2 * 0.66872 - 1 = 0.3374 (exactly erf(z / sqrt 2) = 0.337479...)
M_AT_070 = 0.3374


def test_average_uniqueness_of_three_labels_by_hand():
    # spans [0, 2], [1, 3], [4, 4]: concurrency per bar [1, 2, 2, 1, 1]
    u = average_uniqueness([0, 1, 4], [2, 3, 4])
    assert u == pytest.approx([(1 + 1 / 2 + 1 / 2) / 3, (1 / 2 + 1 / 2 + 1) / 3, 1.0])


def test_average_uniqueness_of_identical_and_nested_spans():
    # three labels on bars 0..1: each 1/3; a label [0, 3] around a label [1, 1]:
    # concurrency [1, 2, 1, 1] -> outer (1 + 1/2 + 1 + 1) / 4 = 7/8, inner 1/2
    assert average_uniqueness([0, 0, 0], [1, 1, 1]) == pytest.approx([1 / 3] * 3)
    assert average_uniqueness([0, 1], [3, 1]) == pytest.approx([7 / 8, 1 / 2])
    # a gap between labels (bar 2 covered by none) changes nothing
    assert average_uniqueness([0, 3], [1, 3]) == pytest.approx([1.0, 1.0])
    assert average_uniqueness([], []).shape == (0,)


def test_average_uniqueness_refuses_bad_spans():
    with pytest.raises(ConfigError, match="`end_bars` must be at or after"):
        average_uniqueness([2], [1])
    with pytest.raises(ConfigError, match="`start_bars` must be"):
        average_uniqueness([0.5], [1])
    with pytest.raises(ConfigError, match="as long as"):
        average_uniqueness([0, 1], [1])


def test_effective_sample_size_is_the_sum_of_uniqueness():
    # the three labels above are worth 2/3 + 2/3 + 1 = 7/3; three on one span, one
    assert effective_sample_size(average_uniqueness([0, 1, 4], [2, 3, 4])) == pytest.approx(7 / 3)
    assert effective_sample_size(average_uniqueness([0, 0, 0], [1, 1, 1])) == pytest.approx(1.0)
    assert math.isnan(effective_sample_size([]))
    # an unresolved label (exit bar -1) runs to the last bar: spans [0, 4] and [3, 4] of 5 bars
    # share bars 3 and 4: (1 + 1 + 1 + 1/2 + 1/2) / 5 = 0.8 and 1/2
    assert label_uniqueness([0, 3], [-1, 4], 5) == pytest.approx([0.8, 0.5])


def test_bet_size_by_hand():
    assert bet_size(0.5, 1) == 0.0
    assert bet_size(0.7, 1) == pytest.approx(M_AT_070, abs=1e-4)
    assert bet_size(0.7, 1) == pytest.approx(math.erf(0.2 / math.sqrt(0.21) / math.sqrt(2)),
                                             rel=1e-14)
    assert bet_size(0.7, -1) == -bet_size(0.7, 1)  # a short mirrors a long
    assert bet_size(0.3, 1) == pytest.approx(-M_AT_070, abs=1e-4)  # betting against the signal
    assert bet_size(1.0, 1) == 1.0 and bet_size(0.0, 1) == -1.0  # clipped, finite
    assert np.isnan(bet_size(float("nan"), 1))


def test_bet_size_discretised_to_a_step():
    # 0.3375 / 0.1 = 3.375 -> 3 -> 0.3; 0.3375 / 0.25 = 1.35 -> 1 -> 0.25
    assert bet_size(0.7, 1, step=0.1) == pytest.approx(0.3)
    assert bet_size(0.7, -1, step=0.25) == pytest.approx(-0.25)
    assert bet_size(0.999, 1, step=0.3) == pytest.approx(0.9)  # 1.0 / 0.3 -> 3 -> 0.9
    assert bet_size(0.999, 1, step=0.6) == 1.0  # 1.0 / 0.6 -> 2 -> 1.2, clipped to 1
    assert bet_size(0.52, 1, step=0.1) == 0.0  # 2 Phi(0.04) - 1 = 0.032 -> 0
    sizes = bet_size(np.array([0.5, 0.7, 0.9]), np.array([1, 1, -1]), step=0.5)
    # 0.9: z = 0.4 / 0.3 = 1.333, 2 Phi(1.333) - 1 = 0.8176; / 0.5 = 1.635 -> 2 -> 1.0
    np.testing.assert_allclose(sizes, [0.0, 0.5, -1.0])


def test_bet_size_refuses_bad_input():
    with pytest.raises(ConfigError, match="`step` must be"):
        bet_size(0.7, 1, step=0)
    with pytest.raises(ConfigError, match="`p` must be"):
        bet_size(1.5, 1)
    with pytest.raises(ConfigError, match="`side` must be"):
        bet_size(0.7, 0)


def test_size_factors_follow_the_signal():
    factors = size_factors([0.7, np.nan, 0.3, 0.7, 0.9], [1, -1, 1, 0, -1], step=None)
    np.testing.assert_allclose(factors[:4], [bet_size(0.7, 1), 1.0, 0.0, 1.0])
    assert factors[4] == pytest.approx(-bet_size(0.9, -1))
