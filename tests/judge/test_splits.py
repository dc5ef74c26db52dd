"""Purged k-fold against ../shared/vectors/labels_and_splits.json, and the walk-forward schedule."""


import numpy as np
import pandas as pd
import pytest

from fxjudge.errors import ConfigError
from fxjudge.judge.splits import judged_mask, purged_kfold, walk_forward_periods
from tests.conftest import shared_vectors

T0 = pd.Timestamp("2020-01-01", tz="UTC")


@pytest.fixture(scope="module")
def vectors():
    return shared_vectors("labels_and_splits.json")


def expand(ranges):
    return [i for first, last in ranges for i in range(first, last + 1)]


def check_minute_vector(split, vector):
    """The assertions every purged k-fold must pass (the real one, and not the naive ones)."""
    n, length = vector["n"], vector["label_length_minutes"]
    starts = T0 + pd.to_timedelta(np.arange(n), unit="min")
    folds = split(starts, starts + pd.Timedelta(minutes=length), vector["k"])
    assert len(folds) == len(vector["expected_train"])
    for (train, test), expected in zip(folds, vector["expected_train"], strict=True):
        assert [test[0], test[-1]] == expected["test"]
        assert list(train) == expand(expected["train"])


def test_purged_kfold_matches_the_vector_with_times_and_numbers(vectors):
    vector = vectors["purged_kfold"]
    check_minute_vector(purged_kfold, vector)
    n, length = vector["n"], vector["label_length_minutes"]
    numeric = purged_kfold(np.arange(n), np.arange(n) + length, vector["k"])
    assert [list(train) for train, _ in numeric] == [
        expand(case["train"]) for case in vector["expected_train"]
    ]


def test_purged_kfold_daily_vector_with_and_without_embargo(vectors):
    starts = pd.date_range("2020-01-01", periods=10, freq="D", tz="UTC")
    ends = starts + pd.Timedelta(days=2)
    expected = vectors["purged_kfold_daily"]["expected_train"]
    plain = purged_kfold(starts, ends, 2)
    embargoed = purged_kfold(starts, ends, 2, embargo_pct=0.1)
    for (train, test), (train_e, test_e), case in zip(plain, embargoed, expected, strict=True):
        assert [test[0], test[-1]] == case["test"] == [test_e[0], test_e[-1]]
        assert list(train) == case["train"]
        assert list(train_e) == case.get("with_embargo_pct_0.1", case["train"])


def naive_start_inside(starts, ends, k):
    """Purges only training observations that START inside the test span: the widely copied leak."""
    start, end = np.asarray(starts), np.asarray(ends)
    folds = []
    for test in np.array_split(np.arange(len(start)), k):
        span_start, span_end = start[test[0]], end[test].max()
        folds.append((np.flatnonzero((start < span_start) | (start > span_end)), test))
    return folds


def naive_touching_end(starts, ends, k):
    """mlfinlab-style: keeps earlier labels ending AT the test start, later ones from its end."""
    start, end = np.asarray(starts), np.asarray(ends)
    folds = []
    for test in np.array_split(np.arange(len(start)), k):
        before = np.flatnonzero(end <= start[test[0]])
        after = np.arange(np.searchsorted(start, end[test].max()), len(start))
        folds.append((np.r_[before, after], test))
    return folds


def test_naive_purging_keeps_the_leaking_observations(vectors):
    vector = vectors["purged_kfold"]
    starts = T0 + pd.to_timedelta(np.arange(vector["n"]), unit="min")
    folds = naive_start_inside(starts, starts + pd.Timedelta(minutes=2), 3)
    assert {5, 6} <= set(folds[1][0]) and {12, 13} <= set(folds[2][0])


@pytest.mark.parametrize("naive", [naive_start_inside, naive_touching_end])
def test_the_vector_assertions_reject_naive_purging(vectors, naive):
    with pytest.raises(AssertionError):
        check_minute_vector(naive, vectors["purged_kfold"])


def test_purged_folds_are_contiguous_unshuffled_and_cover_everything():
    folds = purged_kfold(np.arange(50), np.arange(50) + 3, 4)
    tests = np.concatenate([test for _, test in folds])
    assert list(tests) == list(range(50))
    assert all(np.all(np.diff(test) == 1) for _, test in folds)


@pytest.mark.parametrize(
    ("starts", "ends", "k", "embargo", "name"),
    [
        ([0, 2, 1], [3, 4, 5], 2, 0.0, "starts"),
        ([0, 1, 2], [3, 0, 5], 2, 0.0, "ends"),
        ([0, 1, 2], [3, 4], 2, 0.0, "ends"),
        ([0, 1, 2], [3, 4, 5], 4, 0.0, "k"),
        ([0, 1, 2], [3, 4, 5], 2, 1.5, "embargo_pct"),
        ([0, np.nan, 2], [3, 4, 5], 2, 0.0, "starts"),
    ],
)
def test_purged_kfold_rejects_bad_input(starts, ends, k, embargo, name):
    with pytest.raises(ConfigError, match=f"`{name}` must be"):
        purged_kfold(starts, ends, k, embargo)


def random_candidates(seed=7, n=500):
    rng = np.random.default_rng(seed)
    times = T0 + pd.to_timedelta(np.sort(rng.uniform(0, 730, n)), unit="D")
    resolve = pd.Series(times + pd.to_timedelta(rng.exponential(3, n), unit="D"))
    resolve[rng.random(n) < 0.1] = pd.NaT
    labels = rng.integers(0, 2, n).astype(float)
    labels[resolve.isna().to_numpy()] = np.nan
    return times, pd.DatetimeIndex(resolve), labels


@pytest.mark.parametrize("window", ["anchored", "90D", pd.DateOffset(months=6)])
@pytest.mark.parametrize("embargo", [None, "2D"])
def test_no_training_label_resolves_at_or_after_its_period_start(window, embargo):
    times, resolve, labels = random_candidates()
    periods = walk_forward_periods(times, resolve, labels, train_window=window, embargo=embargo,
                                   min_train=30)
    gap = pd.Timedelta(embargo or 0)
    assert len(periods) > 15
    seen = np.zeros(len(times), dtype=int)
    for p in periods:
        assert p.fit_until == p.judge_start - gap
        assert (resolve[p.train_idx] < p.fit_until).all()
        assert (times[p.train_idx] < p.judge_start).all()
        judged = times[p.judge_idx]
        assert ((judged >= p.judge_start) & (judged < p.judge_end)).all()
        seen[p.judge_idx] += 1
        # complete: every candidate allowed by the rules is trained on (brute force)
        start = None if window == "anchored" else p.judge_start - (
            pd.Timedelta(window) if isinstance(window, str) else window)
        allowed = [i for i in range(len(times)) if resolve[i] is not pd.NaT
                   and resolve[i] < p.fit_until and not np.isnan(labels[i])
                   and (start is None or times[i] >= start)]
        assert list(p.train_idx) == allowed
    assert seen.max() == 1


def test_anchored_windows_grow_and_rolling_windows_forget():
    times, resolve, labels = random_candidates()
    anchored = walk_forward_periods(times, resolve, labels, min_train=30)
    rolling = walk_forward_periods(times, resolve, labels, train_window="120D", min_train=30)
    for before, after in zip(anchored[:-1], anchored[1:], strict=True):
        assert set(before.train_idx) <= set(after.train_idx)
    last = rolling[-1]
    assert times[last.train_idx].min() >= last.judge_start - pd.Timedelta("120D")
    assert len(last.train_idx) < len(anchored[-1].train_idx)


def daily_candidates(days=90, resolve_days=3):  # Jan 1 .. Mar 31
    times = pd.date_range("2021-01-01", periods=days, freq="D", tz="UTC")
    return times, times + pd.Timedelta(days=resolve_days), np.arange(days) % 2


def test_not_judged_prefix_until_enough_labels_resolved():
    times, resolve, labels = daily_candidates()
    # labels resolve 3 days later: before Feb 1, 28 have resolved (Jan 1..28); before Mar 1, 56
    # (Jan 1..Feb 25)
    periods = walk_forward_periods(times, resolve, labels, min_train=20)
    assert [p.judge_start.month for p in periods] == [2, 3]
    assert len(periods[0].train_idx) == 28
    mask = judged_mask(periods, len(times))
    assert not mask[:31].any() and mask[31:].all()
    later = walk_forward_periods(times, resolve, labels, min_train=40)
    assert [p.judge_start.month for p in later] == [3]
    assert len(later[0].train_idx) == 56
    one_class = walk_forward_periods(times, resolve, np.ones(len(times)), min_train=5)
    assert one_class == []


def test_embargo_drops_labels_resolving_just_before_the_period():
    times, resolve, labels = daily_candidates()
    plain = walk_forward_periods(times, resolve, labels, min_train=20)[0]
    embargoed = walk_forward_periods(times, resolve, labels, min_train=20, embargo="2D")[0]
    assert embargoed.fit_until == pd.Timestamp("2021-01-30", tz="UTC")
    assert set(plain.train_idx) - set(embargoed.train_idx) == {26, 27}  # resolve Jan 30, 31


def test_unresolved_labels_are_never_trained_on():
    times, resolve, labels = daily_candidates()
    resolve = pd.Series(resolve)
    resolve[5] = pd.NaT
    periods = walk_forward_periods(times, resolve, min_train=20)
    assert all(5 not in p.train_idx for p in periods)


def test_retrain_and_window_in_bars():
    bars = pd.date_range("2021-01-01", periods=24 * 60, freq="h", tz="UTC")
    times = bars[::5]
    resolve = times + pd.Timedelta(hours=7)
    labels = np.arange(len(times)) % 2
    periods = walk_forward_periods(times, resolve, labels, retrain=24 * 7, bar_times=bars,
                                   train_window=24 * 14, min_train=10)
    assert all(p.judge_start in bars[:: 24 * 7] for p in periods)
    for p in periods:
        assert times[p.train_idx].min() >= p.judge_start - pd.Timedelta(days=14)
        assert (resolve[p.train_idx] < p.judge_start).all()
    assert judged_mask(periods, len(times))[-1]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"retrain": "weekly"}, "retrain"),
        ({"retrain": 24}, "bar_times"),
        ({"train_window": "a year"}, "train_window"),
        ({"train_window": 0}, "train_window"),
        ({"embargo": "-1D"}, "embargo"),
        ({"min_train": 0}, "min_train"),
    ],
)
def test_walk_forward_rejects_bad_options(kwargs, name):
    times, resolve, labels = daily_candidates()
    with pytest.raises(ConfigError, match=f"`{name}` must be"):
        walk_forward_periods(times, resolve, labels, **{"min_train": 5} | kwargs)


def test_walk_forward_rejects_labels_resolving_before_their_signal():
    times, resolve, _ = daily_candidates()
    with pytest.raises(ConfigError, match="`resolve_times` must be at or after"):
        walk_forward_periods(times, resolve - pd.Timedelta(days=5))
    with pytest.raises(ConfigError, match="`candidate_times` must be sorted"):
        walk_forward_periods(times[::-1], resolve[::-1])


def test_purged_kfold_embargo_as_a_duration_drops_rows_starting_just_after_the_test_fold():
    # ten labels of one hour each, hourly: fold 0 tests rows 0-4, its span ends at 05:00 (row
    # 4's resolution); purging drops row 5 (it starts at 05:00, inside the span), an embargo of
    # 2 h also rows 6 and 7 (starts 06:00 and 07:00, within 2 h of 05:00); row 8 is trained on
    starts = T0 + pd.to_timedelta(np.arange(10), unit="h")
    ends = starts + pd.Timedelta(hours=1)
    (train, test), _ = purged_kfold(starts, ends, 2)
    assert list(train) == [6, 7, 8, 9]
    (train, test), (later_train, _) = purged_kfold(starts, ends, 2, embargo="2h")
    assert list(test) == [0, 1, 2, 3, 4] and list(train) == [8, 9]
    assert list(later_train) == [0, 1, 2, 3]  # nothing after the last fold to embargo
    numeric = purged_kfold(np.arange(10), np.arange(10) + 1, 2, embargo=2)
    assert list(numeric[0][0]) == [8, 9]
    with pytest.raises(ConfigError, match="`embargo` must be"):
        purged_kfold(starts, ends, 2, embargo="soon")
