"""The compiled portfolio engine's kernel: several legs, one account, one merged timeline.

`portfolio_nb` is the loop over the merged timestamps of a portfolio (the package docstring's
"Portfolios" rules). It keeps no rule of its own for a fill, a stop, a swap or a cost: it calls
the one-pair kernels of `kernels` (`_open_nb`, `_close_nb`, `bar_exit_nb`, `moving_stop_nb`,
`_swap_increment_nb`, `_rate_nb`, `close_side_nb`) on each leg's own bars, and adds only what
belongs to the account: the free margin an entry is tested against, the marks of legs without
a bar at a timestamp, and the stop-out of the largest loss first.

The legs' arrays are concatenated (leg ``k`` holds the flat bar numbers
``leg_start[k]:leg_end[k]``), so the one-pair kernels index them as they index one pair's bars;
each leg's `compiled.Settings` is one element of a homogeneous tuple.

Not cached (``cache=False``): numba's cache checks only the source file of the function it
loads, and this kernel calls the kernels of another file (`kernels`), whose changes a cached
copy would not see. It compiles on the first portfolio run of a process (a few seconds).
"""

from __future__ import annotations

import numpy as np

from fxjudge.engine import numba_cache

numba_cache.configure()

from numba import njit  # noqa: E402

from fxjudge.engine.kernels import (  # noqa: E402
    END_OF_DATA,
    IGNORE,
    NO_EXIT,
    NO_RULE,
    OPPOSITE,
    REVERSE,
    REVERSE_OPPOSITE,
    STOP_FIRST,
    STOP_LOSS,
    STOP_OUT,
    TIME,
    _close_nb,
    _open_nb,
    _rate_nb,
    _swap_increment_nb,
    bar_exit_nb,
    close_side_nb,
    moving_stop_nb,
)

#: outcomes of an entry, as `kernels._open_nb` returns them
_OPENED, _NO_SIZE = 0, 1


@njit(cache=False, error_model="numpy")
def portfolio_nb(bars, orders, settings, at, leg_start, leg_end, slot_start, stop_out_level,
                 initial_balance, trades, increments, out_account, out_units, out_pnl,
                 counts, skipped):
    """Run every leg over the merged timeline ``0..U-1`` (``at[k, u]``: leg ``k``'s flat bar
    number at timestamp ``u``, -1 where it has no bar), one account for all.

    Fills ``trades`` (leg ``k``'s closed positions are ``trades[slot_start[k]:
    slot_start[k] + counts[k]]``, in order), ``out_account[u]`` = (balance, equity, used
    margin) after timestamp ``u``'s close, ``out_units[k, u]`` (signed units) and
    ``out_pnl[k, u]`` (the leg's realised net plus its open position's unrealised P&L and
    accrued swap, account currency, as last marked); ``skipped[k]`` = (no size, no margin).

    Loop invariant, at the top of timestamp ``u``: `balance` is the cash after every event
    before ``u``; for each leg, `side[k]` is 0 or its open position's side, whose record is
    ``trades[slot_start[k] + counts[k]]``, entered at flat bar `entry[k]`; `unreal[k]` is that
    position's unrealised P&L plus accrued swap at the leg's last close (0 when flat, or for a
    position opened since that close); `margin[k]` its margin; `worst`/`best` its close-side
    extremes over the bars fully held; `entry_side`/`open_exit`/`reverse` what the leg's last
    close decided for its next bar.
    """
    n_legs, n_times = at.shape
    side = np.zeros(n_legs, np.int64)
    entry = np.zeros(n_legs, np.int64)
    last = np.full(n_legs, -1, np.int64)
    unreal = np.zeros(n_legs)
    margin = np.zeros(n_legs)
    realised = np.zeros(n_legs)
    seq_swap = np.zeros(n_legs)
    worst = np.zeros(n_legs)
    best = np.zeros(n_legs)
    entry_side = np.zeros(n_legs, np.int64)
    open_exit = np.zeros(n_legs, np.int64)
    reverse = np.zeros(n_legs, np.bool_)
    opening = np.zeros(n_legs, np.int64)
    balance = initial_balance
    for u in range(n_times):
        # -- at the open, every leg with a bar: the swap since its last bar, then an exit
        for k in range(n_legs):
            i = at[k, u]
            opening[k] = 0
            if i < 0:
                continue
            s = settings[k]
            opening[k] = entry_side[k]
            if side[k] != 0:
                slot = slot_start[k] + counts[k]
                if s.has_swap:
                    inc = _swap_increment_nb(bars, s, trades[slot]["swap_per_night"], i)
                    increments[i] = inc
                    seq_swap[k] += inc
                    unreal[k] += inc
                opening[k] = 0
                if open_exit[k] != NO_EXIT:
                    price = close_side_nb(side[k], bars.open[i], bars.spread[i])
                    before = balance
                    balance = _close_nb(trades[slot], bars, orders, s, increments, i,
                                        open_exit[k], NO_RULE, price, worst[k], best[k],
                                        balance)
                    realised[k] += balance - before
                    counts[k] += 1
                    opening[k] = -side[k] if reverse[k] else 0
                    side[k], unreal[k], margin[k] = 0, 0.0, 0.0
        # -- then the entries, legs in order, each against the free margin left by those before
        for k in range(n_legs):
            if opening[k] == 0:
                continue
            i = at[k, u]
            s = settings[k]
            slot = slot_start[k] + counts[k]
            free = balance + unreal.sum() - margin.sum()
            status, _ = _open_nb(trades[slot], bars, orders, s, i, opening[k], free)
            if status == _OPENED:
                balance -= trades[slot]["commission"]
                realised[k] -= trades[slot]["commission"]
                side[k], entry[k] = opening[k], i
                margin[k], unreal[k], seq_swap[k] = trades[slot]["margin"], 0.0, 0.0
                increments[i] = 0.0
                worst[k], best[k] = side[k] * np.inf, -side[k] * np.inf
            elif status == _NO_SIZE:
                skipped[k, 0] += 1
            else:
                skipped[k, 1] += 1
        # -- inside the bar, every leg with a bar: its stop-loss (moved or not) and take-profit
        for k in range(n_legs):
            i = at[k, u]
            if i < 0 or side[k] == 0:
                continue
            s = settings[k]
            slot = slot_start[k] + counts[k]
            t = trades[slot]
            level, source = t["stop"], STOP_LOSS
            if s.moving_stop:
                level, source = moving_stop_nb(side[k], t["entry_price"], t["stop"],
                                               t["trail"], s.trail_activation,
                                               s.break_even_after, s.break_even_plus,
                                               side[k] * best[k])
            code, price, ambiguous = NO_EXIT, np.nan, False
            if not (np.isnan(level) and np.isnan(t["target"])):
                code, price, ambiguous = bar_exit_nb(side[k], bars.open[i], bars.high[i],
                                                     bars.low[i], bars.spread[i], level,
                                                     t["target"], np.nan)
            if code != NO_EXIT:
                rule = STOP_FIRST if ambiguous else NO_RULE
                if code == STOP_LOSS:
                    code = source
                before = balance
                balance = _close_nb(t, bars, orders, s, increments, i, code, rule, price,
                                    worst[k], best[k], balance)
                realised[k] += balance - before
                counts[k] += 1
                side[k], unreal[k], margin[k] = 0, 0.0, 0.0
            elif side[k] > 0:
                worst[k], best[k] = min(worst[k], bars.low[i]), max(best[k], bars.high[i])
            else:
                worst[k] = max(worst[k], bars.high[i] + bars.spread[i])
                best[k] = min(best[k], bars.low[i] + bars.spread[i])
        # -- at the close: end of a leg's data, the marks of the legs with a bar
        for k in range(n_legs):
            i = at[k, u]
            if i < 0:
                continue
            last[k] = i
            if side[k] == 0:
                continue
            s = settings[k]
            slot = slot_start[k] + counts[k]
            if i == leg_end[k] - 1:
                price = close_side_nb(side[k], bars.close[i], bars.spread[i])
                before = balance
                balance = _close_nb(trades[slot], bars, orders, s, increments, i, END_OF_DATA,
                                    NO_RULE, price, worst[k], best[k], balance)
                realised[k] += balance - before
                counts[k] += 1
                side[k], unreal[k], margin[k] = 0, 0.0, 0.0
                continue
            t = trades[slot]
            mark = close_side_nb(side[k], bars.close[i], bars.spread[i])
            unreal[k] = (side[k] * (mark - t["entry_price"]) * t["units"]
                         * _rate_nb(bars, s, i, mark) + seq_swap[k])
        # -- the account's stop-out: the largest loss first, until the margin level is above
        while stop_out_level > 0:
            used = margin.sum()
            if used <= 0 or balance + unreal.sum() > stop_out_level * used:
                break
            worst_leg = -1
            for k in range(n_legs):
                if side[k] != 0 and (worst_leg < 0 or unreal[k] < unreal[worst_leg]):
                    worst_leg = k
            k = worst_leg
            i = last[k]
            s = settings[k]
            slot = slot_start[k] + counts[k]
            price = close_side_nb(side[k], bars.close[i], bars.spread[i])
            before = balance
            balance = _close_nb(trades[slot], bars, orders, s, increments, i, STOP_OUT, NO_RULE,
                                price, worst[k], best[k], balance)
            realised[k] += balance - before
            counts[k] += 1
            side[k], unreal[k], margin[k] = 0, 0.0, 0.0
        # -- the close's decisions, for each leg's next bar
        for k in range(n_legs):
            i = at[k, u]
            if i >= 0:
                s = settings[k]
                entry_side[k], open_exit[k], reverse[k] = 0, NO_EXIT, False
                if side[k] != 0:
                    if s.max_bars > 0 and i + 1 == entry[k] + s.max_bars:
                        open_exit[k] = TIME
                    if s.on_opposite != IGNORE and orders.signal[i] == -side[k]:
                        reverse[k] = s.on_opposite == REVERSE_OPPOSITE and orders.allowed[i]
                        if open_exit[k] == NO_EXIT:
                            open_exit[k] = REVERSE if reverse[k] else OPPOSITE
                elif orders.signal[i] != 0 and orders.allowed[i] and i + 1 < leg_end[k]:
                    entry_side[k] = orders.signal[i]
            out_units[k, u] = side[k] * (trades[slot_start[k] + counts[k]]["units"]
                                         if side[k] != 0 else 0.0)
            out_pnl[k, u] = realised[k] + unreal[k]
        out_account[u, 0] = balance
        out_account[u, 1] = balance + unreal.sum()
        out_account[u, 2] = margin.sum()
