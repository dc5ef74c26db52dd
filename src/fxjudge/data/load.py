"""The front door of the data stage: `load_bars`, `load_ticks` and `inspect_file`.

A source is a file (any supported format, detected from its content), a Dukascopy datafeed
folder, or a pair in the project's catalog (``"USDJPY"``: see `fxjudge.data.catalog`). Every load
runs the same steps: read (clock to UTC), check every row, apply the quality `Policy`, and
resample when a longer timeframe is asked for. The `DataReport` of a file load is kept in
``bars.attrs["report"]`` so that nothing found is hidden.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fxjudge.data import catalog
from fxjudge.data.bars import make_bars, make_ticks, timeframe
from fxjudge.data.clock import check_clock
from fxjudge.data.quality import DataReport, Policy, apply_policy
from fxjudge.data.readers import Loaded, ReadOptions, Source, detect, reader_named
from fxjudge.data.resample import resample
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError


def read_file(
    path: str | Path,
    *,
    pair: str | FxPair | None = None,
    format: str | None = None,
    tz: str | None = None,
    kind: str | None = None,
    timeframe_name: str | None = None,
    columns: dict[str, str] | None = None,
    time_format: str | None = None,
    policy: Policy | None = None,
    member: str | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Read one file or datafeed folder into canonical bars or ticks, with its `DataReport`.

    `member`: the file to read inside a zip that holds several.
    """
    source = Source(path, member)
    fx_pair = FxPair.parse(pair) if pair is not None else None
    if tz is not None:
        check_clock(tz)
    reader = reader_named(format) if format else detect(source)
    options = ReadOptions(
        pair=fx_pair,
        kind=kind,  # type: ignore[arg-type]
        timeframe=timeframe(timeframe_name).name if timeframe_name else None,
        tz=tz,
        columns=columns,
        time_format=time_format,
    )
    return finish_read(reader.read(source, options), source.path, pair=fx_pair, policy=policy)


def finish_read(loaded: Loaded, path: Path, *, pair: FxPair | None = None,
                policy: Policy | None = None) -> tuple[pd.DataFrame, DataReport]:
    """What every read ends with: the quality `policy` applied to a reader's `Loaded` frame,
    canonical bars or ticks, and the `DataReport` of `path` (``data.attrs["report"]`` too)."""
    fx_pair = pair
    pair_symbol = fx_pair.symbol if fx_pair else loaded.pair
    pip = FxPair.parse(pair_symbol).pip_size if pair_symbol else None
    report = DataReport(
        source=str(path),
        format=loaded.format,
        kind=loaded.kind,
        pair=pair_symbol,
        timeframe=loaded.timeframe,
        price_side=loaded.price_side,
        rows_read=len(loaded.frame),
        notes=list(loaded.notes),
        unresolved_weeks=list(loaded.unresolved_weeks),
    )
    frame = apply_policy(
        loaded.frame,
        kind=loaded.kind,
        timeframe_name=loaded.timeframe,
        pip_size=pip,
        policy=policy or Policy(),
        report=report,
        path=str(path),
    )
    label = f"{path.name} ({loaded.format})"
    if loaded.kind == "ticks":
        data = make_ticks(frame, pair=pair_symbol, source=label)
    else:
        data = make_bars(
            frame,
            pair=pair_symbol,
            timeframe_name=loaded.timeframe,
            source=label,
            price_side=loaded.price_side,
        )
    data.attrs["report"] = report.to_dict()
    return data, report


def _is_catalog_pair(source: str | Path) -> bool:
    """A string that names a pair (``USDJPY``) and no existing file is a catalog lookup."""
    return isinstance(source, str) and not Path(source).exists() and _looks_like_pair(source)


def _looks_like_pair(text: str) -> bool:
    try:
        FxPair.parse(text)
    except ConfigError:
        return False
    return True


def clip_period(data: pd.DataFrame, start, end) -> pd.DataFrame:
    """Rows of `data` in [start, end) (UTC unless the dates carry an offset), attrs kept."""
    if start is None and end is None:
        return data
    index = data.index
    lo = 0 if start is None else index.searchsorted(_utc(start, "start"), side="left")
    hi = len(index) if end is None else index.searchsorted(_utc(end, "end"), side="left")
    clipped = data.iloc[lo:hi]
    clipped.attrs = dict(data.attrs)
    return clipped


def _utc(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"`{name}` must be a date like '2018-03-01', was {value!r}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def load_bars(
    source: str | Path,
    *,
    pair: str | FxPair | None = None,
    timeframe: str | None = None,
    format: str | None = None,
    tz: str | None = None,
    start=None,
    end=None,
    policy: Policy | None = None,
    columns: dict[str, str] | None = None,
    time_format: str | None = None,
    project: str | Path | None = None,
    member: str | None = None,
) -> pd.DataFrame:
    """Bars from a file, a datafeed folder or a catalog pair, in `timeframe` (as stored if None).

    `start` is inclusive and `end` exclusive (UTC unless they carry an offset). A tick source
    gives bars of `timeframe`, M1 when not given.
    """
    tf_name = _timeframe_name(timeframe)
    if _is_catalog_pair(source):
        bars = catalog.load(source, timeframe=tf_name, project=project)
        return clip_period(bars, start, end)
    data, _ = read_file(
        source,
        pair=pair,
        format=format,
        tz=tz,
        kind="bars",
        timeframe_name=tf_name,
        columns=columns,
        time_format=time_format,
        policy=policy,
        member=member,
    )
    if "bid" in data.columns:
        report = data.attrs["report"]
        data = resample(data, tf_name or "M1")
        data.attrs["report"] = report
    elif tf_name and data.attrs.get("timeframe") != tf_name:
        report = data.attrs["report"]
        data = resample(data, tf_name)
        data.attrs["report"] = report
    return clip_period(data, start, end)


def load_ticks(
    source: str | Path,
    *,
    pair: str | FxPair | None = None,
    format: str | None = None,
    tz: str | None = None,
    start=None,
    end=None,
    columns: dict[str, str] | None = None,
    time_format: str | None = None,
    project: str | Path | None = None,
) -> pd.DataFrame:
    """Ticks (``bid ask bid_volume ask_volume``) from a tick file, folder or the catalog."""
    if _is_catalog_pair(source):
        return clip_period(catalog.load(source, timeframe="tick", project=project), start, end)
    data, _ = read_file(
        source, pair=pair, format=format, tz=tz, kind="ticks", columns=columns,
        time_format=time_format,
    )
    if "bid" not in data.columns:
        raise DataError(
            "holds bars, not ticks", path=source, fix="use load_bars for a bar file"
        )
    return clip_period(data, start, end)


def _timeframe_name(value: str | None) -> str | None:
    return None if value is None else timeframe(value).name
