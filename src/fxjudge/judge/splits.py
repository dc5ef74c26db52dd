"""Leak-free splits for the judge: purged k-fold (inside a fit) and the walk-forward schedule.

A candidate trade's label is an interval: it starts at the signal and is known only when the
trade resolves (target, stop or time barrier). Two candidates whose intervals overlap share part
of their price path, so a model trained on one has partly seen the other's outcome. Both tools
below therefore split by those intervals, never by row position alone, and never shuffle.

- `purged_kfold`: K contiguous folds for calibration and threshold tuning inside one fit
  (López de Prado, *Advances in Financial Machine Learning*, ch. 7), purged on both sides.
- `walk_forward_periods`: the refit schedule of the backtest. A caller uses it as::

      periods = walk_forward_periods(signal_times, resolve_times, labels, retrain="monthly")
      proba = np.full(len(signal_times), np.nan)          # NaN = not judged
      for p in periods:
          judge = clone(template).fit(X[p.train_idx], y[p.train_idx])
          proba[p.judge_idx] = judge.predict_proba(X[p.judge_idx])[:, 1]

Times are converted to UTC (naive times are taken as UTC); monthly periods start at 00:00 UTC on
the first of each month.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.errors import must

_NAT = np.iinfo(np.int64).min


def _ordinal(values, name: str) -> np.ndarray:
    """Times (as int64 ns since the epoch) or numbers (as float64), for ordering only."""
    index = pd.Index(values)
    if isinstance(index, pd.DatetimeIndex):
        ordinal = index.as_unit("ns").asi8
        missing = ordinal == _NAT
    elif index.dtype.kind in "iuf":
        ordinal = index.to_numpy(dtype=float)
        missing = np.isnan(ordinal)
    else:
        raise must(name, "times or numbers", str(index.dtype))
    if missing.any():
        raise must(name, "free of missing values", f"missing at position {np.argmax(missing)}")
    return ordinal


def purged_kfold(
    starts, ends, k: int, embargo_pct: float = 0.0, embargo=None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K contiguous, unshuffled folds whose training parts share no label time with the test part.

    Observation i's label covers the closed interval [starts[i], ends[i]] (times or numbers;
    rows sorted by start). Test fold j is the j-th of `k` contiguous blocks (sizes as
    `numpy.array_split`). Its span runs from its first start to its largest end, and every
    observation whose interval touches that span is purged from training: those before the fold
    whose labels resolve inside it, and those after it that start before its labels resolved.
    The embargo then also drops the first ceil(embargo_pct × n) observations that start after
    the span (their features may still reflect the test period); it is counted from the first
    observation purging would have kept, and any positive `embargo_pct` drops at least one.
    `embargo` (a duration for times, a number for numbers; the walk-forward's embargo) drops,
    besides, every observation that starts within `embargo` after the span: start in
    (span end, span end + embargo].

    Returns one (train_idx, test_idx) pair of sorted integer positions per fold.
    """
    start, end = _ordinal(starts, "starts"), _ordinal(ends, "ends")
    n = len(start)
    if len(end) != n:
        raise must("ends", f"as long as `starts` ({n})", len(end))
    if np.any(np.diff(start) < 0):
        raise must("starts", "sorted in increasing order", "unsorted")
    if np.any(end < start):
        raise must("ends", "at or after `starts`", f"earlier at position {np.argmax(end < start)}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 2 <= k <= n:
        raise must("k", f"an integer from 2 to the number of observations ({n})", k)
    if not 0 <= embargo_pct < 1:
        raise must("embargo_pct", "in [0, 1)", embargo_pct)
    embargo_n = math.ceil(embargo_pct * n - 1e-9)
    gap = _gap(embargo, starts)
    folds = []
    for test in np.array_split(np.arange(n), k):
        span_start, span_end = start[test[0]], end[test].max()
        train = ~((start <= span_end) & (end >= span_start))
        first_after = int(np.searchsorted(start, span_end, side="right"))
        train[first_after : first_after + embargo_n] = False
        if gap:
            train[first_after : int(np.searchsorted(start, span_end + gap, side="right"))] = False
        folds.append((np.flatnonzero(train), test))
    return folds


def _gap(embargo, starts) -> float:
    """The embargo in the units of `_ordinal(starts)`: ns for times, else the number."""
    if embargo is None:
        return 0.0
    if isinstance(pd.Index(starts), pd.DatetimeIndex):
        try:
            gap = float(pd.Timedelta(embargo).value)
        except (TypeError, ValueError) as exc:
            raise must("embargo", 'a duration such as "1D" or None', embargo) from exc
    elif isinstance(embargo, int | float) and not isinstance(embargo, bool):
        gap = float(embargo)
    else:
        raise must("embargo", "a number (the starts are numbers) or None", embargo)
    if not gap >= 0:
        raise must("embargo", "a duration >= 0", embargo)
    return gap


@dataclass(frozen=True, eq=False)
class Period:
    """One walk-forward step: fit on the candidates `train_idx`, then judge `judge_idx`.

    `judge_idx` holds the candidates whose time lies in [judge_start, judge_end); `train_idx`
    those whose label resolved strictly before `fit_until` (= judge_start − embargo) inside
    the training window. Both are sorted integer positions into the caller's arrays.
    """

    judge_start: pd.Timestamp
    judge_end: pd.Timestamp
    fit_until: pd.Timestamp
    train_idx: np.ndarray
    judge_idx: np.ndarray


def _utc(values, name: str) -> pd.DatetimeIndex:
    try:
        index = pd.DatetimeIndex(values)
    except (TypeError, ValueError) as exc:
        raise must(name, "times", type(values).__name__) from exc
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _bars(bar_times, name: str) -> pd.DatetimeIndex:
    if bar_times is None or len(bar_times) == 0:
        raise must("bar_times", f"given (the bars' open times) when `{name}` counts bars", None)
    bars = _utc(bar_times, "bar_times")
    if not bars.is_monotonic_increasing:
        raise must("bar_times", "sorted in increasing order", "unsorted")
    return bars


def _boundaries(times: pd.DatetimeIndex, retrain, bar_times) -> pd.DatetimeIndex:
    """Period starts, plus the end of the last period."""
    if retrain == "monthly":
        first = times[0].normalize().replace(day=1)
        months = (times[-1].year - first.year) * 12 + times[-1].month - first.month + 2
        return pd.date_range(first, periods=months, freq="MS")
    if isinstance(retrain, int) and not isinstance(retrain, bool) and retrain >= 1:
        bars = _bars(bar_times, "retrain")
        step = bars[-1] - bars[-2] if len(bars) > 1 else pd.Timedelta(1, "ns")
        return bars[::retrain].append(pd.DatetimeIndex([bars[-1] + step]))
    raise must("retrain", '"monthly" or a number of bars >= 1', retrain)


def _window_start(judge_start: pd.Timestamp, train_window, bar_times) -> pd.Timestamp | None:
    """Earliest candidate time trained on, or None for an anchored (expanding) window."""
    if train_window == "anchored":
        return None
    if isinstance(train_window, int) and not isinstance(train_window, bool) and train_window >= 1:
        bars = _bars(bar_times, "train_window")
        return bars[max(int(bars.searchsorted(judge_start)) - train_window, 0)]
    allowed = '"anchored", a duration like "365D" or a number of bars >= 1'
    if isinstance(train_window, pd.DateOffset):
        return judge_start - train_window
    if isinstance(train_window, str | dt.timedelta):
        try:
            return judge_start - pd.Timedelta(train_window)
        except ValueError as exc:
            raise must("train_window", allowed, train_window) from exc
    raise must("train_window", allowed, train_window)


def walk_forward_periods(
    candidate_times,
    resolve_times,
    labels=None,
    *,
    retrain: str | int = "monthly",
    bar_times=None,
    train_window: str | int | dt.timedelta | pd.DateOffset = "anchored",
    embargo: str | dt.timedelta | None = None,
    min_train: int = 100,
) -> list[Period]:
    """The walk-forward schedule: for each judged period, which candidates to fit on.

    candidate_times: signal time of each candidate, sorted. resolve_times: when its label became
    known (NaT = never resolved, never trained on). labels: optional 0/1 outcomes (NaN = none);
    when given, a period is judged only if its training set holds both wins and losses.
    retrain: "monthly" (calendar months, UTC) or a number of bars of `bar_times` per period.
    train_window: "anchored" (all the past), a duration ("365D", a Timedelta or a
    `pd.DateOffset`) or a number of bars before judge_start; candidates are in the window by
    their signal time. embargo: a duration subtracted from judge_start before purging.
    min_train: fewest training candidates a period needs to be judged.

    A candidate is trained on only if its label resolved strictly before its period's start
    (minus the embargo), so no model sees the outcome of a trade it judges. Returns the judged
    periods only, in time order, skipping periods without candidates; candidates in no period
    (the warm-up before enough labels resolved, or a thin rolling window) are not judged: see
    `judged_mask`.
    """
    times, resolved = _utc(candidate_times, "candidate_times"), _utc(resolve_times, "resolve_times")
    n = len(times)
    if len(resolved) != n:
        raise must("resolve_times", f"as long as `candidate_times` ({n})", len(resolved))
    if not times.is_monotonic_increasing or times.hasnans:
        raise must("candidate_times", "sorted in increasing order, without NaT", "unsorted or NaT")
    early = np.asarray(resolved < times)
    if early.any():
        where = f"earlier at position {np.argmax(early)}"
        raise must("resolve_times", "at or after `candidate_times`", where)
    if isinstance(min_train, bool) or not isinstance(min_train, int) or min_train < 1:
        raise must("min_train", "an integer >= 1", min_train)
    gap = pd.Timedelta(0) if embargo is None else pd.Timedelta(embargo)
    if gap < pd.Timedelta(0):
        raise must("embargo", "a duration >= 0", embargo)
    trainable = np.asarray(resolved.notna())
    outcome = None
    if labels is not None:
        outcome = np.asarray(labels, dtype=float)
        if len(outcome) != n:
            raise must("labels", f"as long as `candidate_times` ({n})", len(outcome))
        trainable &= ~np.isnan(outcome)
    if n == 0:
        return []
    signal_ns, resolve_ns = times.as_unit("ns").asi8, resolved.as_unit("ns").asi8
    bounds = _boundaries(times, retrain, bar_times)
    periods = []
    for judge_start, judge_end in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = times.searchsorted(judge_start), times.searchsorted(judge_end)
        if lo == hi:
            continue
        fit_until = judge_start - gap
        train = trainable & (resolve_ns < fit_until.as_unit("ns").value)
        window_start = _window_start(judge_start, train_window, bar_times)
        if window_start is not None:
            train &= signal_ns >= window_start.as_unit("ns").value
        train_idx = np.flatnonzero(train)
        if len(train_idx) < min_train:
            continue
        if outcome is not None and np.unique(outcome[train_idx]).size < 2:
            continue
        periods.append(Period(judge_start, judge_end, fit_until, train_idx, np.arange(lo, hi)))
    return periods


def judged_mask(periods: list[Period], n_candidates: int) -> np.ndarray:
    """Boolean array: True for the candidates some period judges (False = not judged)."""
    mask = np.zeros(n_candidates, dtype=bool)
    for period in periods:
        mask[period.judge_idx] = True
    return mask
