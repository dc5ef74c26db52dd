"""Download Dukascopy's public datafeed: raw `.bi5` files into a cache, then into the catalog.

The datafeed (docs/data.md) serves one file per period, all times UTC, months zero-based::

    <base>/<SYMBOL>/<YYYY>/<MM>/<DD>/<HH>h_ticks.bi5        ticks of one hour
    <base>/<SYMBOL>/<YYYY>/<MM>/<DD>/BID_candles_min_1.bi5  M1 bars of one day
    <base>/<SYMBOL>/<YYYY>/<MM>/BID_candles_hour_1.bi5      H1 bars of one month
    <base>/<SYMBOL>/<YYYY>/BID_candles_day_1.bi5            D1 bars of one year

`download` fetches the files of one symbol covering [start, end) into the project's cache,
``data/datafeed/<SYMBOL>/...``, in that same layout, so that the `.bi5` reader reads the cache
folder as it reads any datafeed folder. `import_download` then imports exactly those files into
the catalog through `catalog.import_data` (its one-source rule applies: ``mode`` as there).

- **Nothing is fetched twice.** A file already in the cache is used as it is (after checking
  it again; one damaged on disk is fetched anew). Each file is written atomically
  (`fxjudge.files.write_atomic`), so an interrupted download leaves only whole files, and the
  next one resumes where it stopped; it also removes the temporary files a killed one left,
  under the symbol's cache lock, which two downloads of one symbol hold in turn.
- **Verified before kept**: every file must decompress, hold whole records with times inside
  its period and plausible prices (`dukascopy_bi5.decode`). A 0-byte file is the datafeed's
  way of saying "no ticks in this period" (weekends, holidays): it is kept, and counted as
  empty. A corrupt file is fetched once more; corrupt again, it is reported and not kept.
- **Retries**: a refused or dropped connection, a timeout, a body shorter than its
  Content-Length and HTTP 429 or 5xx are tried again, `retries` times, waiting
  ``backoff_seconds * 2 ** attempt`` in between. HTTP 404 is final: the server has no such
  file. Files that still failed are reported, and `import_download` refuses to import a
  period with holes; running the same download again fetches only what is missing.
- **Concurrency**: `jobs` files at once (threads; the work is waiting on the network).
- **Periods not finished yet** (the current hour, day, month or year) are not served by the
  datafeed: they are left out, and `DownloadResult.unfinished` counts them.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from fxjudge import config
from fxjudge.data import catalog
from fxjudge.data.load import finish_read
from fxjudge.data.quality import DataReport, Policy
from fxjudge.data.readers.dukascopy_bi5 import candle_timeframe, decode, read_files
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError
from fxjudge.files import locked, remove_stale_temporaries, write_atomic

DEFAULT_BASE_URL = "https://datafeed.dukascopy.com/datafeed"
#: The environment variable that changes the default of `base_url` (a mirror, a local copy).
ENV_BASE_URL = "FXJUDGE_DATAFEED_URL"
TICK = "tick"
#: HTTP statuses worth trying again: rate limiting and server trouble.
RETRY_STATUS = (429, 500, 502, 503, 504)
#: Per timeframe: the pandas frequency of one file's period and its name in the layout.
_PERIODS = {TICK: ("h", None), "M1": ("D", "BID_candles_min_1.bi5"),
            "H1": ("MS", "BID_candles_hour_1.bi5"), "D1": ("YS", "BID_candles_day_1.bi5")}
_STEP = {TICK: pd.DateOffset(hours=1), "M1": pd.DateOffset(days=1),
         "H1": pd.DateOffset(months=1), "D1": pd.DateOffset(years=1)}

#: progress(files_done, files_total, bytes_fetched, bytes_left_estimate)
Progress = Callable[[int, int, int, int], None]


@dataclass(frozen=True)
class Part:
    """One datafeed file: its path below the base URL (and the cache), its UTC period."""

    relative: str
    start: pd.Timestamp

    @property
    def name(self) -> str:
        """``tick``, or the timeframe of the candles it holds (M1, H1, D1)."""
        if self.relative.endswith("h_ticks.bi5"):
            return TICK
        return next(k for k, (_, file) in _PERIODS.items() if file and
                    self.relative.endswith(file))


@dataclass
class DownloadResult:
    """What a download did: the files now in the cache and what happened to each."""

    pair: str
    timeframe: str  # "tick", "M1", "H1" or "D1"
    start: pd.Timestamp
    end: pd.Timestamp
    folder: Path  # the symbol's cache folder, data/datafeed/<SYMBOL>
    files: list[Path] = field(default_factory=list)  # every verified file of the period
    fetched: int = 0
    cached: int = 0
    bytes_fetched: int = 0
    empty: list[str] = field(default_factory=list)  # periods without data (0-byte files)
    refetched: list[str] = field(default_factory=list)  # corrupt once, fine the second time
    damaged_in_cache: list[str] = field(default_factory=list)  # fetched again
    retries: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    unfinished: int = 0
    removed_temporaries: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        what = "tick files (one an hour)" if self.timeframe == TICK else \
            f"{self.timeframe} candle files"
        parts = [f"{self.fetched + self.cached + len(self.failed):,} {what} for {self.pair} "
                 f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC: "
                 f"{self.fetched:,} fetched ({_megabytes(self.bytes_fetched)}), "
                 f"{self.cached:,} from the cache"]
        if self.empty:
            parts.append(f"{len(self.empty):,} empty (no prices in that period: weekends, "
                         "holidays)")
        if self.refetched:
            parts.append(f"{len(self.refetched):,} corrupt at first and fetched again")
        if self.damaged_in_cache:
            parts.append(f"{len(self.damaged_in_cache):,} damaged in the cache and fetched "
                         "again")
        if self.retries:
            parts.append(f"{self.retries:,} retries")
        if self.unfinished:
            parts.append(f"{self.unfinished:,} not finished yet, left out")
        if self.removed_temporaries:
            parts.append(f"{len(self.removed_temporaries):,} temporary files of an "
                         "interrupted download removed")
        if self.failed:
            parts.append(f"{len(self.failed):,} failed")
        return "; ".join(parts)


def _megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} MB" if count >= 100_000 else f"{count / 1e3:,.1f} kB"


def base_url_default() -> str:
    """`$FXJUDGE_DATAFEED_URL`, else Dukascopy's public datafeed."""
    return os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL


def cache_dir(project: str | Path | None = None) -> Path:
    """Where downloaded files are kept: ``data/datafeed/`` of the project."""
    return config.data_dir(project) / "datafeed"


def plan(pair: str | FxPair, start, end, timeframe: str = "M1",
         now: pd.Timestamp | None = None) -> tuple[list[Part], int]:
    """The files covering [start, end) and how many periods were left out as unfinished
    (their end after `now`, the current time by default)."""
    symbol = FxPair.parse(pair).symbol
    name = TICK if timeframe == TICK else candle_timeframe(timeframe)
    first, last = _day(start, "start"), _day(end, "end")
    if not first < last:
        raise ConfigError(f"`--to` must be after `--from`, was {last:%Y-%m-%d} (from "
                          f"{first:%Y-%m-%d})")
    frequency, file = _PERIODS[name]
    period_start = {"h": first.floor("h"), "D": first.floor("D"),
                    "MS": first.replace(day=1).floor("D"),
                    "YS": first.replace(month=1, day=1).floor("D")}[frequency]
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    parts, unfinished = [], 0
    for begin in pd.date_range(period_start, last, freq=frequency, inclusive="left"):
        if begin + _STEP[name] > now:
            unfinished += 1
            continue
        folder = f"{symbol}/{begin.year}/{begin.month - 1:02d}"  # zero-based months
        if name == TICK:
            relative = f"{folder}/{begin.day:02d}/{begin.hour:02d}h_ticks.bi5"
        elif name == "M1":
            relative = f"{folder}/{begin.day:02d}/{file}"
        elif name == "H1":
            relative = f"{folder}/{file}"
        else:
            relative = f"{symbol}/{begin.year}/{file}"
        parts.append(Part(relative, begin))
    return parts, unfinished


def _day(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"`--{'from' if name == 'start' else 'to'}` must be a date like "
                          f"'2019-01-01', was {value!r}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _check_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"`--base-url` must be an http(s) URL such as {DEFAULT_BASE_URL}, "
                          f"was {base_url!r}")
    return base_url.rstrip("/")


def download(
    pair: str | FxPair,
    start,
    end,
    *,
    timeframe: str = "M1",
    base_url: str | None = None,
    project: str | Path | None = None,
    jobs: int = 4,
    retries: int = 3,
    backoff_seconds: float = 0.5,
    timeout_seconds: float = 30.0,
    progress: Progress | None = None,
    now: pd.Timestamp | None = None,
) -> DownloadResult:
    """Fetch the datafeed files of `pair` covering [start, end) into the project's cache.

    `timeframe` is ``"tick"`` (an hour per file), ``"M1"`` (a day per file), ``"H1"`` (a month)
    or ``"D1"`` (a year). Failed files are listed in the result, not raised: see the module
    docstring for the cache, the checks, the retries and the concurrency.
    """
    fx_pair = FxPair.parse(pair)
    if jobs < 1:
        raise ConfigError(f"`--jobs` must be >= 1, was {jobs}")
    if retries < 0:
        raise ConfigError(f"`--retries` must be >= 0, was {retries}")
    url = _check_url(base_url or base_url_default())
    name = TICK if timeframe == TICK else candle_timeframe(timeframe)
    parts, unfinished = plan(fx_pair, start, end, name, now)
    root = cache_dir(project)
    result = DownloadResult(fx_pair.symbol, name,
                            _day(start, "start"), _day(end, "end"), root / fx_pair.symbol,
                            unfinished=unfinished)
    fetcher = _Fetcher(url, retries, backoff_seconds, timeout_seconds, fx_pair)
    with locked(root / fx_pair.symbol, what=f"the datafeed cache of {fx_pair.symbol}"):
        for folder in sorted({(root / p.relative).parent for p in parts}):
            result.removed_temporaries += remove_stale_temporaries(folder)
        done = {}
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            futures = {pool.submit(fetcher.get, part, root / part.relative): part
                       for part in parts}
            for future in as_completed(futures):
                part = futures[future]
                done[part] = outcome = future.result()
                _count(result, part, outcome)
                if progress is not None:
                    fetched = [o.size for o in done.values() if o.status == "fetched"]
                    mean = sum(fetched) / len(fetched) if fetched else 0
                    progress(len(done), len(parts), result.bytes_fetched,
                             int(mean * (len(parts) - len(done))))
        finally:  # on Ctrl-C, the files not started are not fetched; those fetched are kept
            pool.shutdown(cancel_futures=True)
    result.files = [root / p.relative for p in parts if done[p].status != "failed"]
    result.failed.sort()
    return result


@dataclass(frozen=True)
class _Outcome:
    """What getting one file came to."""

    status: str  # "fetched", "cached" or "failed"
    size: int = 0
    empty: bool = False
    refetched: bool = False
    damaged: bool = False
    retries: int = 0
    reason: str = ""


def _count(result: DownloadResult, part: Part, outcome: _Outcome) -> None:
    result.retries += outcome.retries
    if outcome.status == "failed":
        result.failed.append((part.relative, outcome.reason))
        return
    if outcome.status == "fetched":
        result.fetched += 1
        result.bytes_fetched += outcome.size
    else:
        result.cached += 1
    if outcome.empty:
        result.empty.append(part.relative)
    if outcome.refetched:
        result.refetched.append(part.relative)
    if outcome.damaged:
        result.damaged_in_cache.append(part.relative)


class _Fetcher:
    """Gets one file into the cache: from the cache when it is there and sound, else from the
    server, verified, with retries (called from worker threads; holds no mutable state)."""

    def __init__(self, base_url: str, retries: int, backoff_seconds: float,
                 timeout_seconds: float, pair: FxPair) -> None:
        self.base_url, self.retries = base_url, retries
        self.backoff_seconds, self.timeout_seconds = backoff_seconds, timeout_seconds
        self.pair = pair
        version = importlib.metadata.version("fxjudge")
        self.headers = {"User-Agent": f"fxjudge/{version} (+datafeed download)"}

    def get(self, part: Part, target: Path) -> _Outcome:
        damaged = False
        if target.exists():
            try:
                data = target.read_bytes()
                decode(data, target, part.name, part.start, self.pair)
                return _Outcome("cached", empty=not data)
            except DataError:
                damaged = True  # a file changed on disk since it was verified: fetch it again
        retried, problem = 0, ""
        for attempt in range(2):  # a corrupt file is fetched once more
            data, tries, failure = self._fetch(f"{self.base_url}/{part.relative}")
            retried += tries
            if failure:
                return _Outcome("failed", retries=retried, reason=failure)
            try:
                decode(data, target, part.name, part.start, self.pair)
            except DataError as error:
                problem = error.message if error.where is None else \
                    f"{error.where}: {error.message}"
                continue
            write_atomic(target, data)
            return _Outcome("fetched", size=len(data), empty=not data, refetched=attempt == 1,
                            damaged=damaged, retries=retried)
        return _Outcome("failed", retries=retried, reason=f"corrupt twice ({problem})")

    def _fetch(self, url: str) -> tuple[bytes, int, str]:
        """(body, retries made, why it failed or "")."""
        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                request = urllib.request.Request(url, headers=self.headers)
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    return response.read(), attempt, ""
            except urllib.error.HTTPError as error:
                if error.code not in RETRY_STATUS:
                    what = "not on the server" if error.code == 404 else "refused"
                    return b"", attempt, f"{what} (HTTP {error.code} {error.reason})"
                reason = f"HTTP {error.code} {error.reason}"
            except http.client.IncompleteRead as error:
                reason = (f"connection dropped after {len(error.partial):,} bytes of "
                          f"{len(error.partial) + (error.expected or 0):,}")
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                reason = _why(error)
        return b"", self.retries, f"{reason} after {self.retries + 1} attempts"


def _why(error: Exception) -> str:
    """A short reason for a failed connection."""
    inner = getattr(error, "reason", None)
    if isinstance(inner, Exception):
        error = inner
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error).strip() or type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


def import_download(result: DownloadResult, *, project: str | Path | None = None,
                    mode: catalog.Mode | None = None,
                    policy: Policy | None = None) -> tuple[catalog.Stored, DataReport]:
    """Import the files of a download, clipped to its period, into the catalog.

    Refused (DataError, nothing imported) when some files failed: the catalog never gets a
    period with holes that are only missing downloads.
    """
    if result.failed:
        first, why = result.failed[0]
        raise DataError(
            f"{len(result.failed)} of {len(result.failed) + len(result.files)} files could not "
            f"be fetched (first: {first}: {why}); nothing was imported",
            path=result.folder,
            fix=f"run the same download again: the {len(result.files):,} files already in the "
                "cache are not fetched again",
        )
    if not result.files:
        raise DataError(f"no finished period between {result.start:%Y-%m-%d} and "
                        f"{result.end:%Y-%m-%d} to download", fix="ask for an earlier period")
    fx_pair = FxPair.parse(result.pair)
    kind = "ticks" if result.timeframe == TICK else "bars"
    loaded = read_files(result.folder, result.files, kind=kind,
                        timeframe_name=None if kind == "ticks" else result.timeframe,
                        pair=fx_pair)
    times = loaded.frame.index  # in file order still: the quality policy counts its steps
    loaded.frame = loaded.frame[(times >= result.start) & (times < result.end)]
    if loaded.frame.empty:
        raise DataError(f"the {len(result.files)} files hold no prices between "
                        f"{result.start:%Y-%m-%d} and {result.end:%Y-%m-%d} "
                        f"({len(result.empty)} are empty)", path=result.folder,
                        fix="ask for a period with trading days")
    loaded.notes.append(result.summary())
    data, report = finish_read(loaded, result.folder, pair=fx_pair, policy=policy)
    return catalog.import_data(data, report.to_dict(), project=project, mode=mode), report
