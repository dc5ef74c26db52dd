"""Data-quality policies: duplicates, backward steps, gaps and flat weekend rows.

Nothing is fixed silently: every rule below counts what it found into a `DataReport`, and each
has a policy the user can change (`Policy`, `--duplicates/--gaps/--weekend` on the CLI):

- backward steps (a row earlier than the one before it): the rows are put in time order (a
  stable sort), always, and counted;
- duplicate timestamps (bars only; several ticks in one millisecond are normal): ``first`` keeps
  the first row read (default), ``last`` the last, ``error`` refuses the file;
- flat weekend rows (open = high = low = close and zero volume between Friday 17:00 and Sunday
  17:00 New York, as in Dukascopy D1 exports): ``drop`` (default) or ``keep``;
- gaps (missing bars outside the FX weekend, e.g. holidays): ``keep`` leaves them missing
  (default: a backtest must not trade on invented prices), ``fill`` inserts flat bars at the
  previous close with zero volume, ``error`` refuses the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from fxjudge.data.bars import timeframe
from fxjudge.data.clock import is_weekend
from fxjudge.errors import DataError, must


@dataclass(frozen=True)
class Policy:
    """How to handle what `DataReport` counts. See the module docstring for each rule."""

    duplicates: Literal["first", "last", "error"] = "first"
    gaps: Literal["keep", "fill", "error"] = "keep"
    weekend: Literal["drop", "keep"] = "drop"

    def __post_init__(self) -> None:
        choices = {
            "duplicates": ("first", "last", "error"),
            "gaps": ("keep", "fill", "error"),
            "weekend": ("drop", "keep"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise must(name, "one of " + ", ".join(allowed), getattr(self, name))


@dataclass
class DataReport:
    """What a load found and did: counts, range, gaps and spread, in plain numbers."""

    source: str
    format: str
    kind: str
    pair: str | None
    timeframe: str | None
    price_side: str
    rows_read: int
    rows: int = 0
    first: str | None = None
    last: str | None = None
    backward_steps: int = 0
    duplicates: int = 0
    duplicates_with_different_prices: int = 0
    weekend_rows: int = 0
    gaps: int = 0
    missing_bars: int = 0
    largest_gap: str | None = None
    spread_pips: dict[str, float] | None = None
    policy: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unresolved_weeks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def apply_policy(
    frame: pd.DataFrame,
    *,
    kind: str,
    timeframe_name: str | None,
    pip_size: float | None,
    policy: Policy,
    report: DataReport,
    path: str,
) -> pd.DataFrame:
    """Order, de-duplicate, drop weekend rows and treat gaps per `policy`, filling `report`."""
    report.policy = {k: str(v) for k, v in asdict(policy).items()}
    frame = frame.set_axis(pd.DatetimeIndex(frame.index).as_unit("ns"))
    times = frame.index.asi8
    report.backward_steps = int(np.count_nonzero(np.diff(times) < 0))
    if report.backward_steps:
        frame = frame.iloc[np.argsort(times, kind="stable")]
        report.notes.append(
            f"{report.backward_steps} backward time steps: rows put in time order"
        )
    if kind == "bars":
        frame = _duplicates(frame, policy, report, path)
        frame = _weekend(frame, policy, report)
        if timeframe_name is not None:
            frame = _gaps(frame, timeframe_name, policy, report, path)
    report.rows = len(frame)
    if len(frame):
        report.first = frame.index[0].isoformat()
        report.last = frame.index[-1].isoformat()
    report.spread_pips = spread_statistics(frame, pip_size)
    return frame


def _duplicates(frame: pd.DataFrame, policy: Policy, report: DataReport, path: str) -> pd.DataFrame:
    dup = frame.index.duplicated(keep=False)
    if not dup.any():
        return frame
    report.duplicates = int(frame.index.duplicated(keep="first").sum())
    groups = frame[dup].groupby(level=0)
    differing = groups.nunique().gt(1).any(axis=1)
    report.duplicates_with_different_prices = int(differing.sum())
    if policy.duplicates == "error":
        first = frame.index[dup][0]
        raise DataError(
            f"{report.duplicates} duplicate timestamps, the first at {first.isoformat()}",
            path=path,
            fix="choose --duplicates first or last to keep one row of each",
        )
    frame = frame[~frame.index.duplicated(keep=policy.duplicates)]
    report.notes.append(
        f"{report.duplicates} duplicate timestamps ({report.duplicates_with_different_prices} "
        f"with different prices): kept the {policy.duplicates} row of each"
    )
    return frame


def _weekend(frame: pd.DataFrame, policy: Policy, report: DataReport) -> pd.DataFrame:
    flat = (
        (frame["open"] == frame["high"])
        & (frame["high"] == frame["low"])
        & (frame["low"] == frame["close"])
        & (frame["volume"] == 0)
    ).to_numpy()
    weekend = flat & is_weekend(frame.index)
    report.weekend_rows = int(weekend.sum())
    if report.weekend_rows and policy.weekend == "drop":
        report.notes.append(f"{report.weekend_rows} flat weekend rows dropped")
        return frame[~weekend]
    return frame


def _gaps(
    frame: pd.DataFrame, timeframe_name: str, policy: Policy, report: DataReport, path: str
) -> pd.DataFrame:
    """Find runs of missing bars outside the weekend; keep, fill or refuse them."""
    step = timeframe(timeframe_name).delta
    if timeframe_name == "W1" or len(frame) < 2:
        return frame
    index = frame.index
    times = index.asi8
    jumps = np.flatnonzero(np.diff(times) > step.value)
    counts = (times[jumps + 1] - times[jumps]) // step.value - 1
    # Every missing slot at once: the jump's start plus 1..count steps.
    owner = np.repeat(np.arange(len(jumps)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    slots = pd.DatetimeIndex(times[jumps][owner] + offsets * step.value, tz="UTC")
    trading = ~is_weekend(slots)
    slots, owner = slots[trading], owner[trading]
    per_gap = np.bincount(owner, minlength=len(jumps))
    report.gaps = int(np.count_nonzero(per_gap))
    report.missing_bars = len(slots)
    if report.gaps:
        biggest = int(np.argmax(per_gap))
        start = slots[np.searchsorted(owner, biggest)]
        report.largest_gap = f"{per_gap[biggest]} bars from {start.isoformat()}"
    else:
        return frame
    if policy.gaps == "error":
        raise DataError(
            f"{report.gaps} gaps ({report.missing_bars} missing {timeframe_name} bars outside "
            f"weekends), the largest {report.largest_gap}",
            path=path,
            fix="choose --gaps keep (leave them) or fill (flat bars at the previous close)",
        )
    if policy.gaps == "keep":
        report.notes.append(
            f"{report.gaps} gaps, {report.missing_bars} missing bars outside weekends: left missing"
        )
        return frame
    filled_index = index.append(slots).sort_values()
    filled = frame.reindex(filled_index)
    new = filled["close"].isna().to_numpy()
    close = filled["close"].ffill()
    for column in ("open", "high", "low", "close"):
        filled[column] = filled[column].where(~new, close)
    filled["volume"] = filled["volume"].fillna(0.0)
    if "spread" in filled:
        filled["spread"] = filled["spread"].ffill()
    report.notes.append(
        f"{report.gaps} gaps: {report.missing_bars} flat bars inserted at the previous close"
    )
    return filled


def spread_statistics(frame: pd.DataFrame, pip_size: float | None) -> dict[str, float] | None:
    """Mean, median, 95th percentile and max spread in pips (None without spread or pip)."""
    if pip_size is None:
        return None
    if "spread" in frame:
        spread = frame["spread"].to_numpy()
    elif "ask" in frame:
        spread = (frame["ask"] - frame["bid"]).to_numpy()
    else:
        return None
    spread = spread[np.isfinite(spread)] / pip_size
    if not len(spread):
        return None
    return {
        "mean": round(float(spread.mean()), 3),
        "median": round(float(np.median(spread)), 3),
        "p95": round(float(np.percentile(spread, 95)), 3),
        "max": round(float(spread.max()), 3),
    }
