"""File clocks to UTC, and the FX calendar in New York time.

The FX week opens Sunday 17:00 New York and closes Friday 17:00 New York; the FX day (D1) runs
17:00 to 17:00 New York, so it follows US daylight saving. Clock specifications a user may give
(`--tz`):

- ``new-york-close``: broker server time at UTC+2 in winter and UTC+3 in US summer, i.e. New York
  time + 7 hours (the common MetaTrader convention, the default for MetaTrader files);
- a fixed offset: ``+02:00``, ``-0500``, ``UTC+2``, ``GMT-5``, ``UTC``;
- an IANA zone name: ``America/New_York``, ``Europe/London`` ...
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from fxjudge.errors import ConfigError

NEW_YORK = ZoneInfo("America/New_York")
NY_CLOSE = "new-york-close"
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_offset(text: str) -> pd.Timedelta | None:
    """A fixed offset from ``+02:00``, ``-0500``, ``UTC+2``, ``GMT-5``, ``UTC``; None otherwise."""
    text = text.strip()
    if text.upper() in ("UTC", "GMT", "Z", "+00:00"):
        return pd.Timedelta(0)
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = pd.Timedelta(hours=int(hours), minutes=int(minutes or 0))
    return delta if sign == "+" else -delta


def check_clock(spec: str) -> str:
    """Validate a clock specification and return it unchanged."""
    if spec == NY_CLOSE or parse_offset(spec) is not None:
        return spec
    try:
        ZoneInfo(spec)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"`tz` must be 'new-york-close', a UTC offset like '+02:00' or an IANA zone like "
            f"'Europe/London', was {spec!r}"
        ) from None
    return spec


def to_utc(naive: pd.DatetimeIndex, spec: str) -> pd.DatetimeIndex:
    """Convert naive wall-clock times of clock `spec` to UTC.

    Local times that do not exist (the spring-forward hour) are shifted forward; repeated ones
    (the autumn hour) take the first, summer-time reading. FX is closed at both switch hours in
    New York (Sunday 02:00), so neither case holds real bars in practice.
    """
    check_clock(spec)
    offset = parse_offset(spec)
    if offset is not None:
        return (naive - offset).tz_localize("UTC")
    if spec == NY_CLOSE:
        naive = naive - pd.Timedelta(hours=7)
        zone = NEW_YORK
    else:
        zone = ZoneInfo(spec)
    local = naive.tz_localize(
        zone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )
    return local.tz_convert("UTC")


def new_york(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """UTC times as New York wall-clock times (tz-aware)."""
    return index.tz_convert(NEW_YORK)


def is_weekend(index: pd.DatetimeIndex) -> np.ndarray:
    """True for UTC times in the FX weekend: Friday 17:00 to Sunday 17:00 New York."""
    ny = new_york(index)
    weekday = ny.day_of_week.to_numpy()
    hour = ny.hour.to_numpy()
    return (weekday == 5) | ((weekday == 4) & (hour >= 17)) | ((weekday == 6) & (hour < 17))
