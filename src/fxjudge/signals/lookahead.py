"""The look-ahead check of a strategy, before its features or signals are used (docs/strategies.md).

A value at bar t may use bars <= t only. `check_lookahead` computes the strategy's features
and signals on all the bars once, then again on the bars up to each of a sample of cut
positions t, and compares every row <= t of every feature column and of the signal column:
a strategy that peeks ahead (``close.shift(-3)``, a centred window, a back-fill, a
normalisation over the whole series) changes somewhere.

The rules, which the report and the docs repeat:

- **Cuts.** `DEFAULT_CUTS` (30) positions, at most `MAX_CUTS`: two inside the warm-up (half
  way and its last bar, which catch back-fills), the rest spread evenly from the end of the
  warm-up to the second-last bar, a fifth of them drawn at random there instead
  (``numpy.random.default_rng(0)``: the same cuts every time). The last bar is no cut: the
  bars up to it are all the bars.
- **Prefixes, not windows.** Each cut recomputes the strategy on the whole prefix
  ``bars.iloc[:t+1]``, never on a tail window: an exponential average or a running extreme
  remembers every earlier bar, so a window would differ from the full run without any
  look-ahead. The cost is therefore about ``1 + cuts / 2`` computations of the strategy on
  all the bars; the run's notes state the seconds it took.
- **Equal.** Floats are equal when ``|a - b| <= 1e-12 * max(|a|, |b|)`` (a causal
  computation gives the same bits on a prefix; the tolerance only forgives the last bit of a
  library summing in blocks), NaN equals NaN, signals and other values compare exactly.
- **Reported.** A failure names the column and the first bar where a truncated and the full
  value differ (the earliest such bar over the cuts), and the cut that showed it.
- **Cached.** A pass is remembered in ``<cache_dir>/lookahead/<key>.json`` (`fxjudge.config
  .cache_dir`), the key the SHA-256 of the strategy's source files (its class and the project
  classes it derives from), its parameters, the bars (`fxjudge.data.bars.fingerprint`, their
  columns and spread), the cuts and fxjudge's version. A strategy without a source file (a
  class typed into a notebook) is checked every time. Failures are not cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import inspect
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge import config
from fxjudge.data.bars import fingerprint
from fxjudge.errors import ConfigError, FxJudgeError, StrategyError
from fxjudge.files import write_atomic
from fxjudge.signals.strategy import Strategy, run_signals

DEFAULT_CUTS = 30
MAX_CUTS = 100
#: how much two floats may differ, relative to the larger
RELATIVE_TOLERANCE = 1e-12
#: the version of these rules: a change of them invalidates every cached pass
CHECK_VERSION = 1
SIGNAL = "signal"
#: what a refusal says to do
FIX = "a value at bar t must use only bars up to t; or pass --no-lookahead-check"
#: The run's note when the check was turned off (the report shows it in red, translated).
OFF_NOTE = ("WARNING: the look-ahead check was turned off (--no-lookahead-check, "
            "lookahead_check=False): nothing shows that the strategy's features and signals at "
            "bar t use only bars up to t, so these results may be impossible to trade")


@dataclass
class ColumnCheck:
    """One column's outcome: where it first differed (None: it never did)."""

    column: str
    first_bar: pd.Timestamp | None = None
    cut: pd.Timestamp | None = None
    differing_cuts: int = 0

    @property
    def passed(self) -> bool:
        """True when the column never changed at a cut."""
        return self.first_bar is None


@dataclass
class LookaheadReport:
    """What the check found: per column, the cuts used, the seconds it took, whether cached."""

    strategy: str
    cuts: list[int]
    columns: list[ColumnCheck] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False

    @property
    def passed(self) -> bool:
        """True when every column passed."""
        return all(c.passed for c in self.columns)

    @property
    def first_failure(self) -> ColumnCheck | None:
        """The failing column whose first differing bar is earliest (None when all passed)."""
        failed = [c for c in self.columns if not c.passed]
        return min(failed, key=lambda c: (c.first_bar, c.column != SIGNAL)) if failed else None

    def error(self) -> StrategyError:
        """The one-line refusal of a strategy that failed."""
        bad = self.first_failure
        if bad is None:
            raise ValueError("the strategy passed the look-ahead check")
        what = "its signal" if bad.column == SIGNAL else f"feature `{bad.column}`"
        others = [c.column for c in self.columns if not c.passed and c is not bad]
        also = f" (also: {', '.join(others)})" if others else ""
        return StrategyError(
            f"{self.strategy} looks ahead: {what} at {bad.first_bar} changes when the bars "
            f"after {bad.cut} are cut off{also}; {FIX}")

    def note(self) -> str:
        """The run's note: what was checked and what it cost."""
        if self.cached:
            return (f"look-ahead check: {self.strategy} passed at {len(self.cuts)} cuts "
                    "(remembered from an earlier run on the same bars)")
        return (f"look-ahead check: {self.strategy} passed at {len(self.cuts)} cuts "
                f"({len(self.columns)} columns) in {self.seconds:.1f} s")


def cut_positions(n_bars: int, warmup_bars: int, cuts: int = DEFAULT_CUTS) -> list[int]:
    """The bar positions t the check cuts after (see the module docstring), sorted."""
    if not isinstance(cuts, int) or isinstance(cuts, bool) or not 1 <= cuts <= MAX_CUTS:
        raise ConfigError(f"`cuts` must be an int from 1 to {MAX_CUTS}, was {cuts!r}")
    last = n_bars - 2  # cutting after the last bar leaves all the bars
    if last < 0:
        return []
    warmup = min(max(int(warmup_bars), 0), last + 1)
    chosen = {p for p in (warmup // 2, warmup - 1) if 0 <= p <= last} if warmup >= 2 else set()
    left = max(cuts - len(chosen), 1)
    drawn = left // 5
    spread = left - drawn
    lo = min(warmup, last)
    chosen.update(np.linspace(lo, last, spread).round().astype(int).tolist())
    if drawn:
        rng = np.random.default_rng(0)
        chosen.update(rng.integers(lo, last + 1, size=drawn).tolist())
    return sorted(chosen)


def check_lookahead(
    strategy: Strategy,
    bars: pd.DataFrame,
    *,
    cuts: int = DEFAULT_CUTS,
    full: tuple[pd.DataFrame, pd.Series] | None = None,
    name: str | None = None,
    use_cache: bool = True,
    refresh: bool = False,
) -> LookaheadReport:
    """Check `strategy` on `bars` by truncation; return the report (passed or not).

    `full` is the features and signals already computed on all the bars (`run_signals`), so
    that they are not computed twice. `use_cache` reads and writes the cache of passes;
    `refresh` computes the check even when a pass is cached (and records the new pass).
    """
    label = name or type(strategy).__name__
    positions = cut_positions(len(bars), strategy.warmup_bars, cuts)
    key = cache_key(strategy, bars, cuts) if use_cache else None
    if key is not None and not refresh and _cached(key):
        return LookaheadReport(label, positions, cached=True)
    started = time.perf_counter()
    features, signals = full if full is not None else run_signals(strategy, bars)
    columns = {str(c): features[c].to_numpy() for c in features.columns}
    columns[SIGNAL] = signals.to_numpy()
    found = {c: ColumnCheck(c) for c in columns}
    for t in positions:
        part = bars.iloc[: t + 1]
        try:
            cut_features, cut_signals = run_signals(strategy, part)
        except Exception as error:  # the strategy's own code: said in one line, as a user's
            detail = str(error) if isinstance(error, FxJudgeError) else \
                f"{type(error).__name__}: {error}"
            raise StrategyError(f"{label} fails on the bars up to {bars.index[t]} ({t + 1} "
                                f"bars), where the look-ahead check cuts: {detail}; a strategy "
                                "must run on the bars up to any t, or pass "
                                "--no-lookahead-check") from error
        shorter = {str(c): cut_features[c].to_numpy() for c in cut_features.columns}
        shorter[SIGNAL] = cut_signals.to_numpy()
        for column, values in columns.items():
            check = found[column]
            if column not in shorter:
                where = 0
            else:
                where = _first_difference(values[: t + 1], shorter[column])
            if where is None:
                continue
            check.differing_cuts += 1
            if check.first_bar is None or bars.index[where] < check.first_bar:
                check.first_bar, check.cut = bars.index[where], bars.index[t]
    report = LookaheadReport(label, positions, list(found.values()),
                             seconds=time.perf_counter() - started)
    if key is not None and report.passed:
        _remember(key, report)
    return report


def require_no_lookahead(strategy: Strategy, bars: pd.DataFrame, **options) -> LookaheadReport:
    """`check_lookahead`, raising its one-line `StrategyError` when the strategy fails."""
    report = check_lookahead(strategy, bars, **options)
    if not report.passed:
        raise report.error()
    return report


def _first_difference(full: np.ndarray, cut: np.ndarray) -> int | None:
    """The first position where two columns differ (see the module docstring), or None."""
    if len(full) != len(cut):
        return 0
    if full.dtype.kind in "fiub" and cut.dtype.kind in "fiub":
        a, b = full.astype(np.float64), cut.astype(np.float64)
        with np.errstate(invalid="ignore"):
            same = (a == b) | (np.isnan(a) & np.isnan(b)) | (
                np.abs(a - b) <= RELATIVE_TOLERANCE * np.maximum(np.abs(a), np.abs(b)))
    else:
        same = np.array([_same(x, y) for x, y in zip(full, cut, strict=True)], dtype=bool)
    where = np.flatnonzero(~same)
    return int(where[0]) if len(where) else None


def _same(x, y) -> bool:
    missing_x, missing_y = pd.isna(x), pd.isna(y)
    if isinstance(missing_x, bool | np.bool_) and isinstance(missing_y, bool | np.bool_):
        if missing_x or missing_y:
            return bool(missing_x and missing_y)
    try:
        return bool(x == y)
    except (TypeError, ValueError):
        return repr(x) == repr(y)


# -- the cache of passes ----------------------------------------------------------------------


def cache_key(strategy: Strategy, bars: pd.DataFrame, cuts: int) -> str | None:
    """The SHA-256 that names a pass in the cache, or None when the strategy has no source."""
    sources = _source_files(type(strategy))
    if not sources:
        return None
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    params = json.dumps(dataclasses.asdict(strategy.params), sort_keys=True, default=repr)
    attrs = {k: str(bars.attrs.get(k)) for k in ("pair", "timeframe", "price_side")}
    spread = b""
    if "spread" in bars.columns:
        spread = np.ascontiguousarray(bars["spread"].to_numpy(dtype=np.float64)).tobytes()
    digest.update(json.dumps({
        "class": type(strategy).__qualname__, "params": params, "bars": fingerprint(bars),
        "columns": [str(c) for c in bars.columns], "attrs": attrs, "cuts": cuts,
        "rules": CHECK_VERSION, "fxjudge": _version()}, sort_keys=True).encode())
    digest.update(hashlib.sha256(spread).digest())
    return digest.hexdigest()


def cache_folder() -> Path:
    """Where passes are remembered."""
    return config.cache_dir() / "lookahead"


def _source_files(cls: type) -> list[Path]:
    """The source files of `cls` and of the classes it derives from, fxjudge's base left out;
    empty when `cls` itself has none."""
    files = []
    for klass in cls.__mro__:
        if klass is Strategy or not issubclass(klass, Strategy):
            continue
        try:
            found = inspect.getsourcefile(klass)
        except TypeError:
            found = None
        if found is None or not Path(found).is_file():
            if klass is cls:
                return []
            continue
        path = Path(found).resolve()
        if path not in files:
            files.append(path)
    return files


def _cached(key: str) -> bool:
    path = cache_folder() / f"{key}.json"
    try:
        return json.loads(path.read_text()).get("passed") is True
    except (OSError, ValueError, AttributeError):
        return False


def _remember(key: str, report: LookaheadReport) -> None:
    record = {"passed": True, "strategy": report.strategy, "cuts": len(report.cuts),
              "columns": [c.column for c in report.columns], "seconds": report.seconds}
    try:
        write_atomic(cache_folder() / f"{key}.json", json.dumps(record))
    except OSError:
        pass  # a cache that cannot be written only costs the check again next time


def _version() -> str:
    try:
        return importlib.metadata.version("fxjudge")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
