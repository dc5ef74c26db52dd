"""How likely a search's winner is an artefact of the search: PBO by CSCV, and the neighbourhood.

**PBO** (Bailey, Borwein, López de Prado and Zhu, "The Probability of Backtest Overfitting",
2017), by combinatorially symmetric cross-validation, on a T x N matrix of performance (rows:
periods in time order, columns: the configurations tried):

1. the rows are cut into `n_splits` (S, even) contiguous blocks. When T is not a multiple of S
   no row is dropped: the first ``T mod S`` blocks get one row more than the others
   (``numpy.array_split``'s rule), so block sizes differ by at most one;
2. every choice of S/2 blocks is one split (``C(S, S/2)`` of them, in the order of
   `itertools.combinations`): the chosen blocks, in time order, are in-sample (IS), the others
   out-of-sample (OOS);
3. on each side each configuration gets its statistic over the side's rows: ``"sharpe"``, the
   mean over the sample standard deviation (ddof 1), not annualised (ranks do not care), or
   ``"mean"``. A configuration with no spread on a side (standard deviation at most `FLAT` of
   its |mean|) has Sharpe 0 when its mean is 0 (flat: it did nothing there) and +/-inf by the
   sign of its mean otherwise;
4. the IS winner n* is the configuration with the highest IS statistic (ties: the first in
   column order); its OOS rank r among the N OOS statistics counts from 1 (worst) to N (best),
   tied values sharing their average rank (as ``scipy.stats.rankdata`` does; statistics are
   compared at `TIE_DIGITS` significant digits, so values equal but for rounding tie); its relative
   rank is w = r / (N + 1) and its logit ``log(w / (1 - w))``;
5. the winner is overfit on that split when its logit is <= 0 (at or below the OOS median), and
   PBO is the fraction of splits where it is.

The **neighbourhood** of a grid search's winner: for each swept parameter, the objective one
grid step below and above the winner, all other parameters held: a plateau (small drops) is a
region, a spike (large drops) a lucky point.
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.errors import ConfigError, must

METRICS = ("sharpe", "mean")
#: combinations x configurations evaluated at once (bounds the memory of a large search)
_CHUNK_CELLS = 4_000_000
#: a side's standard deviation at most this fraction of its |mean| is no spread (rounding of a
#: constant series' sum of squares leaves about 1e-8 of it)
FLAT = 1e-7
#: statistics are compared (argmax, ranks) at this many significant digits, so that values
#: equal in exact arithmetic but summed in another order tie instead of ranking by rounding
TIE_DIGITS = 12


@dataclass(frozen=True)
class PBOResult:
    """The outcome of `pbo`: one entry per split in the arrays, in `splits` order.

    `pbo` is the fraction of splits whose IS winner is overfit (logit <= 0); `logits` the
    winners' logits; `oos_rank` their OOS ranks (1 = worst of `n_configurations`, ties
    averaged); `relative_rank` w = rank / (N + 1); `winners` the IS winners' column labels;
    `is_value` / `oos_value` the winner's statistic in and out of sample; `splits` the IS blocks
    of each split; `blocks` the (first, end) rows of each block.
    """

    pbo: float
    logits: np.ndarray
    oos_rank: np.ndarray
    relative_rank: np.ndarray
    winners: list
    is_value: np.ndarray
    oos_value: np.ndarray
    splits: list[tuple[int, ...]]
    blocks: list[tuple[int, int]]
    n_configurations: int
    metric: str

    @property
    def n_splits(self) -> int:
        """The number of row blocks S."""
        return len(self.blocks)

    def table(self) -> pd.DataFrame:
        """One row per split: its IS blocks, the IS winner, its statistic IS and OOS, its OOS
        rank, relative rank, logit, and whether it is overfit."""
        return pd.DataFrame({
            "is_blocks": [" ".join(map(str, s)) for s in self.splits],
            "winner": self.winners, "is_value": self.is_value, "oos_value": self.oos_value,
            "oos_rank": self.oos_rank, "relative_rank": self.relative_rank,
            "logit": self.logits, "overfit": self.logits <= 0,
        })


def block_bounds(n_rows: int, n_splits: int) -> list[tuple[int, int]]:
    """(first, end) rows of `n_splits` contiguous blocks; the first ``n_rows mod n_splits``
    blocks have one row more (``numpy.array_split``)."""
    size, extra = divmod(n_rows, n_splits)
    bounds, first = [], 0
    for block in range(n_splits):
        end = first + size + (1 if block < extra else 0)
        bounds.append((first, end))
        first = end
    return bounds


def pbo(performance, n_splits: int = 16, metric: str = "sharpe") -> PBOResult:
    """The Probability of Backtest Overfitting of a T x N `performance` matrix by CSCV.

    `performance` is an array or a DataFrame: rows are periods in time order (e.g. daily
    returns), columns the configurations tried. `n_splits` is the even number of row blocks
    (16 by default: 12,870 splits); `metric` is ``"sharpe"`` or ``"mean"``. The rules are in
    the module docstring.
    """
    values, labels = _matrix(performance)
    n_rows, n_columns = values.shape
    if not isinstance(n_splits, int | np.integer) or isinstance(n_splits, bool) \
            or n_splits < 2 or n_splits % 2:
        raise must("n_splits", "an even int >= 2", n_splits)
    if metric not in METRICS:
        close = difflib.get_close_matches(str(metric), METRICS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"`metric` must be 'sharpe' or 'mean', was {metric!r}{hint}")
    if n_rows < n_splits:
        raise must("n_splits", f"at most the number of rows ({n_rows})", n_splits)
    blocks = block_bounds(n_rows, int(n_splits))
    counts = np.array([end - first for first, end in blocks], dtype=float)
    if metric == "sharpe" and np.sort(counts)[: n_splits // 2].sum() < 2:
        raise ConfigError(f"`performance` must have at least 4 rows for a Sharpe on 2 blocks "
                          f"(two rows a side), was {n_rows}")
    sums = np.array([values[first:end].sum(axis=0) for first, end in blocks])
    squares = np.array([(values[first:end] ** 2).sum(axis=0) for first, end in blocks])
    splits = list(itertools.combinations(range(n_splits), n_splits // 2))
    chosen = np.zeros((len(splits), n_splits))
    for row, split in enumerate(splits):
        chosen[row, list(split)] = 1.0
    winners = np.empty(len(splits), dtype=np.int64)
    rank = np.empty(len(splits))
    is_value, oos_value = np.empty(len(splits)), np.empty(len(splits))
    step = max(1, _CHUNK_CELLS // max(1, n_columns))
    for start in range(0, len(splits), step):
        part = slice(start, start + step)
        inside = chosen[part]
        ins = _tied(_statistic(metric, inside @ sums, inside @ squares, inside @ counts))
        outs = _tied(_statistic(metric, (1 - inside) @ sums, (1 - inside) @ squares,
                                (1 - inside) @ counts))
        best = np.argmax(np.where(np.isnan(ins), -np.inf, ins), axis=1)
        rows = np.arange(len(best))
        mine = outs[rows, best][:, None]
        below = (outs < mine).sum(axis=1)
        equal = (outs == mine).sum(axis=1)
        winners[part], rank[part] = best, below + (equal + 1) / 2
        is_value[part], oos_value[part] = ins[rows, best], mine[:, 0]
    relative = rank / (n_columns + 1)
    logits = np.log(relative / (1 - relative))
    return PBOResult(
        pbo=float(np.mean(logits <= 0)), logits=logits, oos_rank=rank, relative_rank=relative,
        winners=[labels[i] for i in winners], is_value=is_value, oos_value=oos_value,
        splits=splits, blocks=blocks, n_configurations=n_columns, metric=metric)


def _matrix(performance) -> tuple[np.ndarray, list]:
    """The performance as a finite float matrix and its column labels."""
    if isinstance(performance, pd.DataFrame):
        labels = list(performance.columns)
        values = performance.to_numpy(dtype=float)
    else:
        values = np.asarray(performance, dtype=float)
        labels = list(range(values.shape[1])) if values.ndim == 2 else []
    if values.ndim != 2:
        raise must("performance", "a T x N matrix (periods x configurations)",
                   f"an array of shape {values.shape}")
    if values.shape[1] < 2:
        raise must("performance", "a matrix of two or more configurations (columns)",
                   f"{values.shape[1]} column(s)")
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ConfigError(f"`performance` must be finite numbers, was {values[row, column]} at "
                          f"row {row}, column {labels[column]!r}; fill missing periods "
                          "(a day without a trade returns 0)")
    return values, labels


def _statistic(metric: str, total: np.ndarray, squares: np.ndarray,
               count: np.ndarray) -> np.ndarray:
    """Each configuration's mean or Sharpe (ddof 1) over a side, from its sums (see step 3)."""
    n = count[:, None]
    mean = total / n
    if metric == "mean":
        return mean
    variance = np.maximum(squares - total * mean, 0.0) / (n - 1)
    sd = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = mean / sd
    flat = sd <= FLAT * np.abs(mean)
    return np.where(flat, np.where(mean == 0, 0.0, np.copysign(np.inf, mean)), sharpe)


def _tied(values: np.ndarray) -> np.ndarray:
    """`values` at `TIE_DIGITS` significant digits: equal up to rounding become equal."""
    finite = np.isfinite(values) & (values != 0)
    magnitude = np.floor(np.log10(np.abs(np.where(finite, values, 1.0))))
    factor = 10.0 ** (TIE_DIGITS - 1 - magnitude)
    return np.where(finite, np.round(values * factor) / factor, values)


def neighbourhood(trials: pd.DataFrame, grid: dict[str, list], objective: str,
                  best: dict, maximize: bool = True) -> pd.DataFrame:
    """The objective one grid step below and above the winner `best` in each parameter.

    `trials` has a column per parameter of `grid` (its values, in order) and the `objective`;
    the other parameters are held at the winner's values. One row per parameter: the winner's
    value and objective, the neighbours' values and objectives (NaN at the edge of the grid or
    where that configuration was not tried, or was skipped), the largest drop (how much worse
    the worse neighbour is: lower when `maximize`, higher otherwise) and that drop relative to
    the winner's |objective|.
    """
    rows = []
    names = list(grid)
    at_best = _lookup(trials, names, objective)
    centre = at_best.get(tuple(_key(best[n]) for n in names), math.nan)
    for name in names:
        values = list(grid[name])
        here = [i for i, v in enumerate(values) if _key(v) == _key(best[name])]
        row = {"parameter": name, "value": best[name], "objective": centre}
        for side, offset in (("below", -1), ("above", 1)):
            position = here[0] + offset if here else -1
            if 0 <= position < len(values):
                point = {**best, name: values[position]}
                row[f"{side}_value"] = values[position]
                row[f"{side}_objective"] = at_best.get(tuple(_key(point[n]) for n in names),
                                                       math.nan)
            else:
                row[f"{side}_value"], row[f"{side}_objective"] = None, math.nan
        neighbours = [row["below_objective"], row["above_objective"]]
        known = [v for v in neighbours if math.isfinite(v)]
        sign = 1.0 if maximize else -1.0
        row["largest_drop"] = max(sign * (centre - v) for v in known) if known else math.nan
        row["relative_drop"] = (row["largest_drop"] / abs(centre)
                                if known and centre and math.isfinite(centre) else math.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=["parameter", "value", "objective", "below_value",
                                       "below_objective", "above_value", "above_objective",
                                       "largest_drop", "relative_drop"])


def _key(value):
    """A hashable, type-stable key for a parameter value: 1 and 1.0 are the same point, and a
    NaN cell is None (a table's way of holding it)."""
    if isinstance(value, bool | np.bool_) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return None if math.isnan(value) else float(value)
    return repr(value)


def _lookup(trials: pd.DataFrame, names: list[str], objective: str) -> dict:
    """The objective of each tried configuration, keyed by its parameter values."""
    keys = zip(*[trials[n].tolist() for n in names], strict=True)
    return {tuple(_key(v) for v in key): float(value)
            for key, value in zip(keys, trials[objective].tolist(), strict=True)}
