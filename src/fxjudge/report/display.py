"""The clock a report shows times in: UTC (default), Japan time, the broker's, or any zone.

``--display-tz`` takes what ``--tz`` takes for files (`fxjudge.data.clock`): ``UTC``, an IANA
zone (``Asia/Tokyo``), ``new-york-close`` (the MetaTrader broker convention, UTC+2 and UTC+3 in
US summer) or a fixed offset (``+09:00``). Only what is shown changes: the trade table's times,
the x axes, the hour and weekday charts, the period in the header; the page says which clock
it is. What a number means does not: FX days (daily returns, the monthly table, the swap
rollover) still end at 17:00 New York, and the trades CSV beside the report stays in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from fxjudge.data.clock import NEW_YORK, NY_CLOSE, check_clock, parse_offset
from fxjudge.errors import ConfigError

UTC = "UTC"
TOKYO = "Asia/Tokyo"
_NY_CLOSE_SHIFT = pd.Timedelta(hours=7)  # New York time + 7 h: UTC+2 in winter, +3 in summer


@dataclass(frozen=True)
class DisplayClock:
    """A clock to show UTC times in (`spec` as ``--display-tz`` takes it)."""

    spec: str = UTC

    def wall(self, times) -> pd.DatetimeIndex:
        """Naive wall-clock times of this clock for tz-aware `times` (plotly.js ignores zones)."""
        index = pd.DatetimeIndex(times)
        if index.tz is None:
            index = index.tz_localize("UTC")
        offset = parse_offset(self.spec)
        if offset is not None:
            return index.tz_convert("UTC").tz_localize(None) + offset
        if self.spec == NY_CLOSE:
            return index.tz_convert(NEW_YORK).tz_localize(None) + _NY_CLOSE_SHIFT
        return index.tz_convert(ZoneInfo(self.spec)).tz_localize(None)

    def short(self, t: dict) -> str:
        """The clock's name in a column header or chart title: UTC, Japan time, broker time."""
        offset = parse_offset(self.spec)
        if offset is not None:
            return UTC if offset == pd.Timedelta(0) else f"UTC{_offset_text(offset)}"
        if self.spec == NY_CLOSE:
            return t["clock_broker"]
        return t["clock_tokyo"] if self.spec == TOKYO else self.spec

    def long(self, t: dict, times=None) -> str:
        """The clock as the page states it, with its UTC offsets over `times` (if given)."""
        short = self.short(t)
        if self.spec == NY_CLOSE:
            return t["clock_broker_long"]
        if parse_offset(self.spec) is not None:
            return short
        zone = ZoneInfo(self.spec)
        index = pd.DatetimeIndex([] if times is None else times)
        stamps = index.tz_convert(zone) if len(index) else [pd.Timestamp.now(tz=zone)]
        offsets = sorted({pd.Timedelta(stamp.utcoffset()) for stamp in stamps})
        text = "UTC" + "/".join(_offset_text(o) for o in offsets)
        if short == self.spec:
            return f"{self.spec} ({text})"
        return t["clock_zone"].format(name=short, zone=self.spec, offsets=text)


#: The default: times as they are stored.
UTC_CLOCK = DisplayClock()


def _offset_text(offset: pd.Timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def display_clock(spec: str | None) -> DisplayClock:
    """The `DisplayClock` of ``--display-tz`` `spec` (UTC when None); ConfigError if unknown."""
    if spec is None:
        return DisplayClock()
    try:
        check_clock(spec)
    except ConfigError:
        raise ConfigError(f"`--display-tz` must be UTC, an IANA zone like 'Asia/Tokyo', "
                          f"'new-york-close' (broker time) or an offset like '+09:00', was "
                          f"{spec!r}") from None
    return DisplayClock(spec)
