"""HistData's file clock, inferred week by week from where the FX week opens and closes.

HistData documents its clock as "EST without daylight saving" (fixed UTC-5). The files do not
follow that (docs/data.md, "Clocks"): they are UTC-5 in winter and UTC-4 in summer,
switching on the US dates in some years (2018) and on the EU dates in others (2019), where the
switch falls inside an FX week and leaves a missing hour (spring) or a repeated hour (autumn) on
the file clock. No fixed rule is right for every file, so the offset is read from the data
itself:

- Weeks: the rows are cut into weeks at Saturday 12:00 on the file clock. For any offset from
  UTC-6 to UTC-3 that instant lies inside the weekend gap (Friday 17:00 to Sunday 17:00 New York),
  so a week never straddles two FX weeks.
- Each week's offset is measured at both ends: its first row against the open, Sunday 17:00 New
  York in UTC (``first_row - open``), and its last row plus one bar against the close, Friday 17:00
  New York (``last_row + bar - close``). An end counts when it gives a whole hour from UTC-6 to
  UTC-3, allowing the first row to come up to `EDGE_SLACK` after the open and the last row up to
  `EDGE_SLACK` before the close (quiet first or last minutes, ticks). A week that opens late
  (the 2018 file starts on Monday 1 January, a holiday) or ends early (the file ends mid-week)
  takes the offset of its other end.
- When the two ends disagree by one hour, the week holds a switch. It is placed at the one step
  between consecutive rows that becomes an ordinary step (at most `MAX_STEP_AT_SWITCH`) once the
  hour is taken out: the jump over the missing hour, or the backward step into the repeated hour.
  Rows before it take the open's offset, rows from it on the close's.
- A week that cannot be settled (no end matches, the ends disagree by more than an hour, or the
  switch step is missing or not unique) is never guessed silently: it is read as New York time
  (the clock of the 2018 files) and listed in `InferredClock.unresolved_weeks` and in the notes.

All of this runs on the int64 nanosecond times with numpy; the only Python loop is over weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fxjudge.data.clock import NEW_YORK, to_utc

#: How far after the open the first row, and before the close the last row, may fall.
EDGE_SLACK = pd.Timedelta(minutes=15)
#: The longest step of real data across a clock switch, once the switched hour is taken out.
MAX_STEP_AT_SWITCH = pd.Timedelta(minutes=15)
#: The offsets a HistData file clock may plausibly have (UTC-6 to UTC-3).
LOWEST_OFFSET = pd.Timedelta(hours=-6)
HIGHEST_OFFSET = pd.Timedelta(hours=-3)

_HOUR_NS = pd.Timedelta(hours=1).value
_WEEK_NS = pd.Timedelta(days=7).value
#: Saturday 2000-01-01 12:00, the origin of the weekly cut on the file clock.
_SATURDAY_NOON_NS = pd.Timestamp("2000-01-01 12:00").value


@dataclass
class InferredClock:
    """A file's times in UTC and what was decided on the way, for `Loaded.notes`."""

    utc: pd.DatetimeIndex
    notes: list[str] = field(default_factory=list)
    unresolved_weeks: list[str] = field(default_factory=list)


@dataclass
class _Week:
    """One week of rows (positions `start` to `stop` in file order) and its measured offsets."""

    sunday: pd.Timestamp
    start: int
    stop: int
    open_offset: int | None
    close_offset: int | None


def histdata_to_utc(naive: pd.DatetimeIndex, *, bar_length: pd.Timedelta) -> InferredClock:
    """Convert HistData file-clock times (in file order) to UTC, inferring the offset per week.

    `bar_length` is one minute for M1 bars and zero for ticks: a week's last row plus
    `bar_length` is the end of its data, which meets the Friday 17:00 New York close.
    """
    times_ns = naive.as_unit("ns").asi8
    if len(times_ns) == 0:
        return InferredClock(pd.DatetimeIndex([], tz="UTC"))
    weeks = _measure_weeks(times_ns, pd.Timedelta(bar_length).value)
    offsets_ns = np.zeros(len(times_ns), dtype=np.int64)
    as_new_york = np.zeros(len(times_ns), dtype=bool)
    steps_ns = np.diff(times_ns)
    tally: dict[int, list[pd.Timestamp]] = {}
    switches: list[tuple[pd.Timestamp, str]] = []
    one_ended: list[pd.Timestamp] = []
    unresolved: list[str] = []
    for week in weeks:
        rows = slice(week.start, week.stop)
        known = [o for o in (week.open_offset, week.close_offset) if o is not None]
        if not known:
            first, last = naive[rows].min(), naive[rows].max()
            unresolved.append(
                f"{week.sunday:%Y-%m-%d}: neither its first row ({first:%a %Y-%m-%d %H:%M}) "
                f"nor its last row ({last:%a %Y-%m-%d %H:%M}) is at the FX week's open "
                "(Sunday 17:00 New York) or close (Friday 17:00 New York)"
            )
            as_new_york[rows] = True
        elif len(known) == 1 or known[0] == known[1]:
            offsets_ns[rows] = known[0]
            tally.setdefault(known[0], []).append(week.sunday)
            if len(known) == 1:
                one_ended.append(week.sunday)
        else:
            disagreement = (
                f"{week.sunday:%Y-%m-%d}: open says {_utc_name(known[0])}, "
                f"close says {_utc_name(known[1])}"
            )
            switch = _switch_row(steps_ns, week, known[1] - known[0])
            if isinstance(switch, str):
                unresolved.append(f"{disagreement}, {switch}")
                as_new_york[rows] = True
                continue
            offsets_ns[week.start : switch] = known[0]
            offsets_ns[switch : week.stop] = known[1]
            switches.append(
                (
                    week.sunday,
                    f"{_utc_name(known[0])} to {_utc_name(known[1])} in the week of "
                    f"{week.sunday:%Y-%m-%d}, from the row at {naive[switch]:%Y-%m-%d %H:%M} "
                    "file time",
                )
            )
    utc_ns = times_ns - offsets_ns
    if as_new_york.any():
        utc_ns[as_new_york] = to_utc(naive[as_new_york], "America/New_York").as_unit("ns").asi8
    utc = pd.DatetimeIndex(utc_ns.view("datetime64[ns]")).tz_localize("UTC")
    notes = [_summary(weeks, tally, switches, one_ended)]
    if unresolved:
        notes.append(
            f"{len(unresolved)} week(s) unresolved, read as New York time (check them, or pass "
            f"--tz): {'; '.join(unresolved)}"
        )
    return InferredClock(utc, notes, unresolved)


def _measure_weeks(times_ns: np.ndarray, bar_ns: int) -> list[_Week]:
    """Cut the rows into weeks and measure each week's offset at its open and at its close."""
    week_number = (times_ns - _SATURDAY_NOON_NS) // _WEEK_NS
    starts = np.flatnonzero(np.r_[True, week_number[1:] != week_number[:-1]])
    stops = np.r_[starts[1:], len(times_ns)]
    first_ns = np.minimum.reduceat(times_ns, starts)
    last_ns = np.maximum.reduceat(times_ns, starts)
    sundays = pd.DatetimeIndex(
        (_SATURDAY_NOON_NS + week_number[starts] * _WEEK_NS + _HOUR_NS * 12).view("datetime64[ns]")
    )
    open_utc_ns = _new_york_as_utc_ns(sundays + pd.Timedelta(hours=17))
    close_utc_ns = _new_york_as_utc_ns(sundays + pd.Timedelta(days=5, hours=17))
    open_offsets = _whole_hour_offsets(first_ns - open_utc_ns, late=True)
    close_offsets = _whole_hour_offsets(last_ns + bar_ns - close_utc_ns, late=False)
    return [
        _Week(sunday, int(start), int(stop), open_offset, close_offset)
        for sunday, start, stop, open_offset, close_offset in zip(
            sundays, starts, stops, open_offsets, close_offsets, strict=True
        )
    ]


def _new_york_as_utc_ns(wall: pd.DatetimeIndex) -> np.ndarray:
    """New York wall-clock times (never at a DST switch: 17:00) as UTC nanoseconds."""
    return wall.tz_localize(NEW_YORK).tz_convert("UTC").as_unit("ns").asi8


def _whole_hour_offsets(distance_ns: np.ndarray, *, late: bool) -> list[int | None]:
    """The plausible whole-hour offset each distance measures, else None.

    At the open the first row may be late (`late=True`: the hour below the distance); at the
    close the last row may be early (the hour above it). Either by at most `EDGE_SLACK`.
    """
    if late:
        offsets = np.floor_divide(distance_ns, _HOUR_NS) * _HOUR_NS
        slack = distance_ns - offsets
    else:
        offsets = -np.floor_divide(-distance_ns, _HOUR_NS) * _HOUR_NS
        slack = offsets - distance_ns
    ok = (
        (slack <= EDGE_SLACK.value)
        & (offsets >= LOWEST_OFFSET.value)
        & (offsets <= HIGHEST_OFFSET.value)
    )
    return [int(offset) if good else None for offset, good in zip(offsets, ok, strict=True)]


def _switch_row(steps_ns: np.ndarray, week: _Week, shift_ns: int) -> int | str:
    """The row where the file clock moves by `shift_ns` inside `week`, or why none is found.

    `steps_ns[i]` is the step from row i to row i+1. Across the switch the file clock jumps by
    the shift (forward over a missing hour, back into a repeated one), so the step minus the
    shift is the real step: positive and at most `MAX_STEP_AT_SWITCH`.
    """
    if abs(shift_ns) != _HOUR_NS:
        return "not a one-hour switch"
    real_ns = steps_ns[week.start : week.stop - 1] - shift_ns
    candidates = np.flatnonzero((real_ns > 0) & (real_ns <= MAX_STEP_AT_SWITCH.value))
    if len(candidates) != 1:
        return f"no single one-hour break found ({len(candidates)} candidates)"
    return week.start + int(candidates[0]) + 1


def _utc_name(offset_ns: int) -> str:
    """``UTC-5`` for an offset of minus five hours."""
    return f"UTC{offset_ns // _HOUR_NS:+d}"


def _summary(
    weeks: list[_Week],
    tally: dict[int, list[pd.Timestamp]],
    switches: list[tuple[pd.Timestamp, str]],
    one_ended: list[pd.Timestamp],
) -> str:
    """The note that says how the clock was read: weeks per offset, switches, and odd weeks."""
    per_offset = ", ".join(
        f"{len(sundays)} week(s) {_utc_name(offset)}" for offset, sundays in sorted(tally.items())
    )
    parts = [
        "HistData clock inferred week by week from the FX week's open (Sunday 17:00 New York) "
        f"and close (Friday 17:00 New York), not the documented fixed UTC-5: {per_offset or 'none'}"
        f" of {len(weeks)} week(s)"
    ]
    if switches:
        parts.append(
            f"{len(switches)} switch(es) inside a week: {'; '.join(text for _, text in switches)}"
        )
    if one_ended:
        parts.append(
            f"{len(one_ended)} week(s) measured at one end only (a holiday, or the start or end "
            f"of the file): {_dates(one_ended)}"
        )
    differs = [
        sunday
        for offset, sundays in tally.items()
        for sunday in sundays
        if offset != _new_york_offset_ns(sunday)
    ] + [sunday for sunday, _ in switches]
    if differs:
        parts.append(
            f"{len(differs)} week(s) off New York time in whole or in part (the file switches "
            f"on other dates than the US): {_dates(sorted(differs))}"
        )
    elif tally:
        parts.append("every settled week matches New York time")
    return "; ".join(parts)


def _new_york_offset_ns(sunday: pd.Timestamp) -> int:
    """New York's UTC offset at the FX week's Sunday 17:00 open."""
    open_new_york = (sunday + pd.Timedelta(hours=17)).tz_localize(NEW_YORK)
    return pd.Timedelta(open_new_york.utcoffset()).value


def _dates(sundays: list[pd.Timestamp]) -> str:
    """The weeks' Sunday dates, comma-separated."""
    return ", ".join(f"{sunday:%Y-%m-%d}" for sunday in sundays)
