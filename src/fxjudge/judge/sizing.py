"""López de Prado's sample uniqueness and bet sizing (*Advances in Financial Machine Learning*,
ch. 4 and 10): pure numpy functions, no scikit-learn.

- `average_uniqueness`: labels that overlap in time share their outcome's price path, so they
  are not independent observations. The concurrency of bar t is the number of labels whose span
  covers it; a label's uniqueness at t is 1 / concurrency; its average uniqueness is the mean of
  that over its span (AFML snippets 4.1 and 4.2). Used as a sample weight, it counts a cluster
  of k fully overlapping labels about as one observation; `effective_sample_size` (their sum)
  says how many independent observations the labels are worth.
- `bet_size`: a calibrated probability p that a trade of `side` wins, turned into a signed size
  in [-1, 1] (AFML snippet 10.1 for two classes): z = (p - 1/2) / sqrt(p (1 - p)),
  m = side * (2 Phi(z) - 1), optionally rounded to a `step` (snippet 10.3).

Both are imported by the engine's sizing by probability (`Sizing(by_probability=True)`), which
sizes each taken trade by |m| (0 when p < 1/2: the trade is skipped).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from fxjudge.errors import must

#: probabilities are clipped to [EPSILON, 1 - EPSILON] before z is computed (z is infinite at 0
#: and 1); the size there is then 2 Phi(+-1e4) - 1 = +-1 to the last bit
EPSILON = 1e-9


def _positions(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise must(name, "a one-dimensional array of bar positions (integers)", array.dtype)
    return array.astype(np.int64)


def average_uniqueness(start_bars, end_bars) -> np.ndarray:
    """Each label's average uniqueness over its span, AFML ch. 4 (snippets 4.1-4.2).

    Label i spans the bars ``start_bars[i] .. end_bars[i]``, both included (bar positions,
    integers >= 0: the signal bar to the bar in which the label resolved). The concurrency
    c_t of bar t is the number of labels spanning it; label i's uniqueness at t is 1 / c_t and
    its average uniqueness the mean of 1 / c_t over its span: 1 for a label nothing overlaps,
    1/k for k labels on the same span. O(labels + bars), by cumulative sums.

    Example: spans [0, 2], [1, 3], [4, 4] give concurrency [1, 2, 2, 1, 1] and average
    uniqueness [(1 + 1/2 + 1/2) / 3, (1/2 + 1/2 + 1) / 3, 1] = [2/3, 2/3, 1].
    """
    start, end = _positions(start_bars, "start_bars"), _positions(end_bars, "end_bars")
    if len(start) != len(end):
        raise must("end_bars", f"as long as `start_bars` ({len(start)})", len(end))
    if len(start) == 0:
        return np.zeros(0)
    if start.min() < 0:
        raise must("start_bars", "bar positions >= 0", int(start.min()))
    if np.any(end < start):
        bad = int(np.argmax(end < start))
        raise must("end_bars", "at or after `start_bars`", f"earlier at position {bad}")
    n_bars = int(end.max()) + 1
    events = np.zeros(n_bars + 1, dtype=np.int64)
    np.add.at(events, start, 1)
    np.add.at(events, end + 1, -1)
    concurrency = np.cumsum(events[:n_bars])
    inverse = np.divide(1.0, concurrency, out=np.zeros(n_bars), where=concurrency > 0)
    running = np.concatenate([[0.0], np.cumsum(inverse)])
    return (running[end + 1] - running[start]) / (end - start + 1)


def effective_sample_size(uniqueness) -> float:
    """How many independent labels `uniqueness` (`average_uniqueness`) is worth: its sum.

    n for labels that never overlap, n / k for labels in clusters of k on the same span (each
    cluster counts once), NaN for none. (Kish's (sum w)^2 / sum w^2 would give n in the second
    case: equal weights, however small, count fully.)
    """
    u = np.asarray(uniqueness, dtype=float)
    return float(u.sum()) if u.size else float("nan")


def label_uniqueness(signal_bars, exit_bars, n_bars: int) -> np.ndarray:
    """`average_uniqueness` of labels from the signal bar to the exit bar (-1, unresolved: the
    last of the `n_bars`, as far as it is known to run)."""
    ends = np.asarray(exit_bars, dtype=np.int64)
    return average_uniqueness(np.asarray(signal_bars, dtype=np.int64),
                              np.where(ends < 0, n_bars - 1, ends))


def bet_size(p, side, step: float | None = None):
    """Signed bet size in [-1, 1] from the probability `p` that a trade of `side` wins (AFML 10.1).

    z = (p - 1/2) / sqrt(p (1 - p)) and m = side * (2 Phi(z) - 1), Phi the standard normal CDF:
    0 at p = 1/2, tending to +-1 as p tends to 1, and of the opposite sign to `side` when
    p < 1/2 (the model bets against the signal). p is clipped to [EPSILON, 1 - EPSILON]; NaN
    stays NaN. `step` (in (0, 1]) discretises: m* = round(m / step) * step, clipped to [-1, 1]
    (AFML 10.3; halves round to even, numpy's rule). Scalars give a float, arrays an array.
    """
    if step is not None and not (isinstance(step, int | float) and not isinstance(step, bool)
                                 and 0 < step <= 1):
        raise must("step", "a number in (0, 1] or None", step)
    probability = np.asarray(p, dtype=float)
    signs = np.asarray(side, dtype=float)
    if np.any((probability < 0) | (probability > 1)):
        raise must("p", "probabilities in [0, 1] (or NaN)", float(
            probability[(probability < 0) | (probability > 1)].flat[0]))
    if not np.all(np.isin(signs, (-1.0, 1.0))):
        raise must("side", "+1 or -1", float(signs[~np.isin(signs, (-1.0, 1.0))].flat[0]))
    clipped = np.clip(probability, EPSILON, 1.0 - EPSILON)
    z = (clipped - 0.5) / np.sqrt(clipped * (1.0 - clipped))
    m = signs * (2.0 * ndtr(z) - 1.0)
    if step is not None:
        m = np.clip(np.round(m / step) * step, -1.0, 1.0)
    return float(m) if np.ndim(m) == 0 else m


def size_factors(probability, signal, step: float | None = None) -> np.ndarray:
    """Per bar, the factor sizing by probability multiplies a trade's base units by.

    |m| of `bet_size` where its sign agrees with the signal, 0 where it does not (p < 1/2: the
    trade is skipped), 1 where the probability is NaN (a candidate the judge did not judge is
    taken at its base size, as without the judge) or there is no signal.
    """
    signal = np.asarray(signal, dtype=float)
    probability = np.asarray(probability, dtype=float)
    factor = np.ones(len(signal))
    rows = (signal != 0) & ~np.isnan(probability)
    if rows.any():
        m = np.asarray(bet_size(probability[rows], signal[rows], step)) * signal[rows]
        factor[rows] = np.where(m > 0, m, 0.0)
    return factor
