"""The pure exit logic, bar by bar and over windows, without an engine or an account."""

from __future__ import annotations

import numpy as np
import pytest

from fxjudge.signals.barriers import (
    NO_EXIT,
    STOP_LOSS,
    STOP_OUT,
    TAKE_PROFIT,
    LowerBars,
    bar_exits,
    barrier_exit,
    excursions,
    first_exit,
)

NAN = np.nan
SPREAD = 0.0002


def one(side, bar, stop=NAN, target=NAN, stop_out=NAN):
    code, price, ambiguous = bar_exits(side, *bar, SPREAD, stop, target, stop_out)
    return int(code), float(price), bool(ambiguous)


@pytest.mark.parametrize(
    ("side", "bar", "stop", "target", "expected"),
    [
        # long, stop 1.0998, target 1.1028; bar = bid open, high, low
        (1, (1.1010, 1.1020, 1.1000), 1.0998, 1.1028, (NO_EXIT, NAN, False)),
        (1, (1.1010, 1.1020, 1.0998), 1.0998, 1.1028, (STOP_LOSS, 1.0998, False)),  # low = stop
        (1, (1.1010, 1.1028, 1.1000), 1.0998, 1.1028, (TAKE_PROFIT, 1.1028, False)),
        (1, (1.0990, 1.1000, 1.0980), 1.0998, 1.1028, (STOP_LOSS, 1.0990, False)),  # gap
        (1, (1.1035, 1.1040, 1.0990), 1.0998, 1.1028, (TAKE_PROFIT, 1.1035, False)),  # gap
        (1, (1.1010, 1.1030, 1.0990), 1.0998, 1.1028, (STOP_LOSS, 1.0998, True)),  # both
        # short, stop 1.1016, target 1.0996: tested on the ask (bid + 0.0002)
        (-1, (1.1010, 1.1015, 1.1000), 1.1016, 1.0996, (STOP_LOSS, 1.1016, False)),
        (-1, (1.1010, 1.1013, 1.0995), 1.1016, 1.0996, (NO_EXIT, NAN, False)),  # ask low 1.0997
        (-1, (1.1010, 1.1013, 1.0994), 1.1016, 1.0996, (TAKE_PROFIT, 1.0996, False)),
        (-1, (1.1020, 1.1025, 1.1010), 1.1016, 1.0996, (STOP_LOSS, 1.1022, False)),  # gap: ask
        (-1, (1.0990, 1.1016, 1.0980), 1.1016, 1.0996, (TAKE_PROFIT, 1.0992, False)),  # gap
        (-1, (1.1000, 1.1015, 1.0990), 1.1016, 1.0996, (STOP_LOSS, 1.1016, True)),
        # no levels: never an exit
        (1, (1.1010, 1.2000, 1.0000), NAN, NAN, (NO_EXIT, NAN, False)),
    ],
)
def test_one_bar(side, bar, stop, target, expected):
    code, price, ambiguous = one(side, bar, stop, target)
    assert (code, ambiguous) == (expected[0], expected[2])
    if np.isnan(expected[1]):
        assert np.isnan(price)
    else:
        assert price == pytest.approx(expected[1], abs=1e-12)


def test_the_nearer_adverse_level_wins_and_a_tie_is_a_stop_loss():
    bar = (1.1010, 1.1020, 1.0900)
    assert one(1, bar, stop=1.0998, stop_out=1.0950)[:2] == (STOP_LOSS, 1.0998)
    assert one(1, bar, stop=1.0940, stop_out=1.0950)[:2] == (STOP_OUT, 1.0950)
    assert one(1, bar, stop=NAN, stop_out=1.0950)[:2] == (STOP_OUT, 1.0950)
    assert one(1, bar, stop=1.0950, stop_out=1.0950)[:2] == (STOP_LOSS, 1.0950)


def test_bars_are_tested_elementwise():
    opens = np.array([1.1010, 1.1010, 1.0990])
    highs = np.array([1.1020, 1.1030, 1.1000])
    lows = np.array([1.1000, 1.1005, 1.0980])
    code, price, ambiguous = bar_exits(1, opens, highs, lows, SPREAD, 1.0998, 1.1028)
    assert code.tolist() == [NO_EXIT, TAKE_PROFIT, STOP_LOSS]
    assert price[1:] == pytest.approx([1.1028, 1.0990])
    assert ambiguous.tolist() == [False, False, False]


def walk(n=200, exit_at=None, low=1.0990):
    """Quiet bars around 1.1000; bar `exit_at` dips to `low`."""
    opens = np.full(n, 1.1000)
    highs = np.full(n, 1.1005)
    lows = np.full(n, 1.0995)
    if exit_at is not None:
        lows[exit_at] = low
    return opens, highs, lows, opens.copy(), np.full(n, SPREAD)


def test_first_exit_finds_a_late_exit_across_windows():
    opens, highs, lows, _, spread = walk(exit_at=150)
    hit = first_exit(1, opens, highs, lows, spread, 1.0992, NAN, start=3, end=200)
    assert (hit.index, hit.code, hit.same_bar_rule) == (150, STOP_LOSS, "")
    assert hit.price == pytest.approx(1.0992)
    assert first_exit(1, opens, highs, lows, spread, 1.0992, NAN, start=3, end=150) is None


def test_first_exit_with_a_per_bar_stop_out_function():
    opens, highs, lows, _, spread = walk(exit_at=40)
    calls = []

    def stop_out(a, b):
        calls.append((a, b))
        return np.full(b - a, 1.0991)

    hit = first_exit(1, opens, highs, lows, spread, NAN, NAN, start=0, end=200, stop_out=stop_out)
    assert (hit.index, hit.code) == (40, STOP_OUT)
    assert calls[0][0] == 0 and calls[-1][1] > 40  # scanned in order, up to the hit


def test_barrier_exit_time_and_end_of_data():
    opens, highs, lows, closes, spread = walk(n=20)
    timed = barrier_exit(1, opens, highs, lows, closes, spread, 1.0990, 1.1010,
                         entry=5, max_bars=4)
    assert (timed.index, timed.reason, timed.price) == (9, "time", 1.1000)
    # a short closes on the ask: the last close 1.1000 + 0.0002
    last = barrier_exit(-1, opens, highs, lows, closes, spread, 1.1010, 1.0990, entry=5)
    assert (last.index, last.reason) == (19, "end_of_data")
    assert last.price == pytest.approx(1.1002)


def test_lower_bars_resolve_an_ambiguous_bar():
    # main bar 0 reaches stop 1.0998 and target 1.1028; its lower bars reach the target first
    lower = LowerBars.align(
        np.array([0, 60]), np.array([60, 120]), np.array([0, 15, 30, 45, 60]),
        np.array([1.1010, 1.1025, 1.1000, 1.1000, 1.1000]),
        np.array([1.1030, 1.1026, 1.1004, 1.1003, 1.1001]),
        np.array([1.1008, 1.0995, 1.0996, 1.0999, 1.0999]),
        np.full(5, SPREAD),
    )
    assert (lower.first.tolist(), lower.end.tolist()) == ([0, 4], [4, 5])
    assert lower.resolve(0, 1, 1.0998, 1.1028, NAN) == (TAKE_PROFIT, 1.1028)
    # if the first triggering lower bar is itself ambiguous, it stays undecided
    assert lower.resolve(0, 1, 1.1009, 1.1028, NAN) is None


def test_excursions_on_the_close_side():
    highs = np.array([1.1030, 1.1040])
    lows = np.array([1.1000, 1.1020])
    spread = np.full(2, SPREAD)
    # long from 1.1008: worst bid 1.1000 (8 pips = 0.0008), best 1.1040 (0.0032)
    adverse, favourable = excursions(1, 1.1008, highs, lows, spread, slice(0, 2), (1.1036,))
    assert (adverse, favourable) == pytest.approx((0.0008, 0.0032))
    # short from 1.1006: worst ask 1.1042, best ask 1.1002; the exit point 1.1050 is worse still
    adverse, favourable = excursions(-1, 1.1006, highs, lows, spread, slice(0, 2), (1.1050,))
    assert (adverse, favourable) == pytest.approx((0.0044, 0.0004))
    # never below zero: a long that only rose
    assert excursions(1, 1.0990, highs, lows, spread, slice(0, 2), (1.1036,))[0] == 0.0
