"""The compiled engine's kernels: every numba function it runs, and nothing else.

`simulate_nb` is the bar loop: the engine's rules (the package docstring) over numpy arrays and
scalars, no Python object in the loop. The kernels it calls are one bar's (or one position's)
version of a vectorised rule of the reference engine, giving the same result to the last bit:
`bar_exit_nb` is `signals.barriers.bar_exits`, `lower_exit_nb` is
`signals.barriers.LowerBars.resolve`, `stop_out_price_nb` is `margin.stop_out_price`,
`close_side_nb` is `signals.barriers.close_side` and `pairwise_sum_nb` is `numpy.sum`
(tests/engine/test_compiled.py compares each with its original). All use numpy's error model
(IEEE arithmetic: 1 / 0 is inf, as in the reference's numpy code, not an exception).

All the jitted code lives in this one module on purpose: numba's cache (``cache=True``) checks
only the source file of the function it loads, so a cached kernel calling a kernel of another
file would keep running that kernel's old machine code after the other file changed. The
constants the kernels read are defined here for the same reason (numba freezes them into the
machine code). `compiled` holds the Python side: argument types, records, `run`.
"""

from __future__ import annotations

import numpy as np

from fxjudge.engine import numba_cache

numba_cache.configure()  # before numba is imported: it reads NUMBA_CACHE_DIR once

from numba import njit  # noqa: E402

#: exit codes: one bar's (the same numbers as `signals.barriers`' NO_EXIT ... STOP_OUT), then the
#: exits at an open and at the end of the data
NO_EXIT, STOP_LOSS, TAKE_PROFIT, STOP_OUT, TIME, OPPOSITE, REVERSE, END_OF_DATA = range(8)
#: a stop exit at a moved level: `signals.barriers.TRAILING_STOP` / `BREAK_EVEN`
TRAILING_STOP, BREAK_EVEN = 8, 9
#: same-bar rule codes
NO_RULE, STOP_FIRST, LOWER_TIMEFRAME = range(3)
#: ``rules.on_opposite`` codes
IGNORE, EXIT, REVERSE_OPPOSITE = range(3)
#: outcomes of an entry
_OPENED, _NO_SIZE, _NO_MARGIN = range(3)
#: `first_exit`'s first scan window (bars) and its growth factor, followed for the stop-out swap
_FIRST_WINDOW_BARS, _WINDOW_GROWTH = 16, 4
#: numpy's pairwise summation: blocks of at most 128 summed with 8 accumulators
_PAIRWISE_BLOCK, _UNROLL = 128, 8


@njit(cache=True, error_model="numpy")
def simulate_nb(bars, orders, lower, s, state, out, start, stop):
    """One pair's signals through the FX account over bars ``start..stop-1`` (the package
    docstring's rules), resuming from and saving to ``state[0]`` (`LOOP_STATE`).

    Fills `out` (`RunOutput`): ``out.trades[:count]`` (`TRADE_RECORD`) are the positions closed
    so far, in order; per bar, after its close, the balance, the equity mark where a position is
    held, the used margin and the signed units. Called with ``0, n`` it runs the whole market;
    called on consecutive ranges it gives the same result.

    Loop invariant, at the top of iteration ``i`` (bar ``i`` about to open), which is also what
    `state` holds between calls: `balance` is the cash after every event before bar ``i``;
    ``trades[:count]`` are the positions closed so far and `no_size`/`no_margin` count the
    entries skipped; `side` is 0 (flat) or the side of the open position, which entered at bar
    `entry` < ``i`` and whose entry fields are in ``trades[count]``; ``increments[entry:i]``
    hold the swap it was credited on reaching each of those bars, `seq_swap` their running sum
    and ``window_swap + window_run`` the same sum accrued by scan window (the current one ends
    before bar `window_end`, `window_size` bars long); `worst`/`best` are the extremes of its
    close-side range over the bars ``entry..i-1``; and what the close of bar ``i-1`` decided for
    this open is in `entry_side` (flat then: a side to open, or 0) or in `open_exit`/`reverse`
    (in a position: a time, opposite or reverse exit, or NO_EXIT).

    Each iteration does, in this order, what happens at the open of bar ``i`` (the swap of the
    rollovers passed since bar ``i-1``, an exit, then an entry), what its range triggers
    (stop-loss, take-profit, stop-out), and at its close: the end of data on the last bar, the
    equity mark and the decision for bar ``i+1``.
    """
    n = bars.open.shape[0]
    trades, balance_out, marks = out.trades, out.balance, out.marks
    margin_out, units_out, increments = out.used_margin, out.position_units, out.increments
    saved = state[0]
    balance, count = saved["balance"], saved["count"]
    no_size, no_margin = saved["no_size"], saved["no_margin"]
    side, entry = saved["side"], saved["entry"]
    seq_swap, window_swap, window_run = saved["seq_swap"], saved["window_swap"], saved["window_run"]
    window_end, window_size = saved["window_end"], saved["window_size"]
    worst, best = saved["worst"], saved["best"]
    entry_side, open_exit, reverse = saved["entry_side"], saved["open_exit"], saved["reverse"]
    # the open position's fields, read once from its record (`held` is what the loop needs)
    held_price, held_units, held_cash, held_margin, held_stop, held_target, held_trail = \
        _held_nb(trades, count, side)
    for i in range(start, stop):
        # -- at the open of bar i: an exit decided at the last close, then an entry
        opening = entry_side
        if side != 0:
            if s.has_swap:  # without a swap every increment is 0: nothing to accrue
                inc = _swap_increment_nb(bars, s, trades[count]["swap_per_night"], i)
                increments[i] = inc
                seq_swap += inc
                if i == window_end:
                    window_swap += window_run
                    window_run = 0.0
                    window_size *= _WINDOW_GROWTH
                    window_end += window_size
                window_run += inc
            opening = 0
            if open_exit != NO_EXIT:
                price = close_side_nb(side, bars.open[i], bars.spread[i])
                balance = _close_nb(trades[count], bars, orders, s, increments, i, open_exit,
                                    NO_RULE, price, worst, best, balance)
                count += 1
                opening = -side if reverse else 0
                side = 0
        if opening != 0:
            status, balance = _open_nb(trades[count], bars, orders, s, i, opening, balance)
            if status == _OPENED:
                side, entry = opening, i
                held_price, held_units, held_cash, held_margin, held_stop, held_target, \
                    held_trail = _held_nb(trades, count, side)
                increments[i] = 0.0
                seq_swap, window_swap, window_run = 0.0, 0.0, 0.0
                window_size, window_end = _FIRST_WINDOW_BARS, i + _FIRST_WINDOW_BARS
                worst, best = side * np.inf, -side * np.inf  # nothing held yet
            elif status == _NO_SIZE:
                no_size += 1
            else:
                no_margin += 1
        # -- inside bar i: stop-loss, take-profit, stop-out
        if side != 0:
            out = np.nan
            if s.stop_out_level > 0:
                accrued = window_swap + window_run  # the swap by then, summed as the scan does
                allowed = held_cash + accrued - s.stop_out_level * held_margin
                rate = 0.0 if s.inverse_rate else bars.rates[i]
                out = stop_out_price_nb(side, held_price, held_units, allowed, rate,
                                        s.inverse_rate)
            level, source = held_stop, STOP_LOSS
            if s.moving_stop:
                level, source = moving_stop_nb(side, held_price, held_stop, held_trail,
                                               s.trail_activation, s.break_even_after,
                                               s.break_even_plus, side * best)
            code, price, ambiguous = NO_EXIT, np.nan, False
            if not (np.isnan(level) and np.isnan(held_target) and np.isnan(out)):
                code, price, ambiguous = bar_exit_nb(
                    side, bars.open[i], bars.high[i], bars.low[i], bars.spread[i],
                    level, held_target, out,
                )
            if code != NO_EXIT:
                rule = NO_RULE
                if ambiguous:
                    rule = STOP_FIRST
                    if s.has_lower:
                        lower_code, lower_price = lower_exit_nb(lower, i, side, level,
                                                                 held_target, out)
                        if lower_code != NO_EXIT:
                            code, price, rule = lower_code, lower_price, LOWER_TIMEFRAME
                if code == STOP_LOSS:
                    code = source
                balance = _close_nb(trades[count], bars, orders, s, increments, i, code, rule,
                                    price, worst, best, balance)
                count += 1
                side = 0
            elif side > 0:
                worst, best = min(worst, bars.low[i]), max(best, bars.high[i])
            else:
                worst = max(worst, bars.high[i] + bars.spread[i])
                best = min(best, bars.low[i] + bars.spread[i])
        # -- at the close of bar i: end of data, the mark, the decision for bar i + 1
        entry_side, open_exit, reverse = 0, NO_EXIT, False
        if side != 0 and i == n - 1:
            price = close_side_nb(side, bars.close[i], bars.spread[i])
            balance = _close_nb(trades[count], bars, orders, s, increments, i, END_OF_DATA,
                                NO_RULE, price, worst, best, balance)
            count += 1
            side = 0
        if side != 0:
            mark = close_side_nb(side, bars.close[i], bars.spread[i])
            unrealised = side * (mark - held_price) * held_units
            marks[i] = held_cash + unrealised * _rate_nb(bars, s, i, mark) + seq_swap
            margin_out[i] = held_margin
            units_out[i] = side * held_units
            if s.max_bars > 0 and i + 1 == entry + s.max_bars:
                open_exit = TIME
            if s.on_opposite != IGNORE and orders.signal[i] == -side:
                # a vetoed opposite signal still ends the position, but opens nothing
                reverse = s.on_opposite == REVERSE_OPPOSITE and orders.allowed[i]
                if open_exit == NO_EXIT:
                    open_exit = REVERSE if reverse else OPPOSITE
        elif orders.signal[i] != 0 and orders.allowed[i] and i + 1 < n:
            entry_side = orders.signal[i]
        balance_out[i] = balance
    saved["balance"], saved["count"] = balance, count
    saved["no_size"], saved["no_margin"] = no_size, no_margin
    saved["side"], saved["entry"] = side, entry
    saved["seq_swap"], saved["window_swap"], saved["window_run"] = seq_swap, window_swap, window_run
    saved["window_end"], saved["window_size"] = window_end, window_size
    saved["worst"], saved["best"] = worst, best
    saved["entry_side"], saved["open_exit"], saved["reverse"] = entry_side, open_exit, reverse


@njit(cache=True, error_model="numpy")
def _held_nb(trades, count, side):
    """The open position's entry price, units, cash, margin, stop, target and trailing
    distance, from its record ``trades[count]`` (zeros and NaN levels when flat)."""
    if side == 0:
        return 0.0, 0.0, 0.0, 0.0, np.nan, np.nan, np.nan
    t = trades[count]
    return (t["entry_price"], t["units"], t["cash"], t["margin"], t["stop"], t["target"],
            t["trail"])


@njit(cache=True, error_model="numpy")
def _open_nb(t, bars, orders, s, i, side, balance):
    """Open a position of `side` at the open of bar `i` on the signal of bar ``i-1``.

    Sizes it, rejects it when its margin exceeds the balance less its commission, else charges
    the commission and writes the entry fields of the trade record `t`. Returns ``(status,
    balance)``, status one of _OPENED, _NO_SIZE, _NO_MARGIN.
    """
    signal_bar = i - 1
    buying = side > 0
    fill = bars.open[i] + (bars.spread[i] if buying else 0.0)
    fill = fill + s.slippage if buying else fill - s.slippage
    stop_distance = orders.stop_distance[signal_bar]
    stop = fill - side * stop_distance
    units = s.fixed_units
    if s.risk_fraction > 0:
        risk = s.risk_fraction * balance
        loss_rate = _rate_nb(bars, s, i, stop)
        units = 0.0
        if stop_distance > 0 and loss_rate > 0 and risk > 0:
            units = np.floor(risk / (stop_distance * loss_rate))
    units = np.floor(units * orders.size_factor[signal_bar])  # `margin.sized_units`
    if units < 1:
        return _NO_SIZE, balance
    commission = s.commission_per_lot * units / s.lot_size
    margin = units * fill * _rate_nb(bars, s, i, fill) / s.leverage
    if margin > balance - commission:
        return _NO_MARGIN, balance
    balance -= commission
    swap_pips = s.swap_long_pips if buying else s.swap_short_pips
    t["entry_bar"], t["side"], t["units"], t["entry_price"] = i, side, units, fill
    t["stop"], t["target"] = stop, fill + side * orders.target_distance[signal_bar]
    t["trail"] = orders.trail_distance[signal_bar]
    t["margin"], t["cash"], t["commission"] = margin, balance, commission
    t["swap_per_night"] = 1.0 * swap_pips * s.pip_size * units
    t["probability"] = orders.probability[signal_bar]
    return _OPENED, balance


@njit(cache=True, error_model="numpy")
def _close_nb(t, bars, orders, s, increments, i, reason, rule, price, worst, best, balance):
    """Close the position of record `t` in bar `i` at `price` (before slippage); returns the
    balance after it. `worst`/`best` are its close-side extremes over the bars fully held."""
    side, entry, units = t["side"], t["entry_bar"], t["units"]
    stopped = reason == STOP_LOSS or reason == TRAILING_STOP or reason == BREAK_EVEN
    if stopped or reason == STOP_OUT or reason == TIME or reason == OPPOSITE \
            or reason == REVERSE:  # market orders: `signals.barriers.SLIPPED_REASONS`
        price = price + s.slippage if side < 0 else price - s.slippage
    pnl_quote = side * (price - t["entry_price"]) * units
    pnl_account = pnl_quote * _rate_nb(bars, s, i, price)
    swap = pairwise_sum_nb(increments, entry, i + 1) if s.has_swap else 0.0
    exit_commission = s.commission_per_lot * units / s.lot_size
    balance += pnl_account + swap - exit_commission
    inside = stopped or reason == TAKE_PROFIT or reason == STOP_OUT
    if inside:  # the exit bar's path up to the exit: its open, then the fill
        at_open = close_side_nb(side, bars.open[i], bars.spread[i])
        low_point, high_point = min(at_open, price), max(at_open, price)
    else:
        low_point, high_point = price, price
    if side > 0:
        mae = t["entry_price"] - min(worst, low_point)
        mfe = max(best, high_point) - t["entry_price"]
    else:
        mae = max(worst, high_point) - t["entry_price"]
        mfe = t["entry_price"] - min(best, low_point)
    commission = t["commission"] + exit_commission
    t["exit_bar"], t["exit_price"], t["exit_reason"], t["same_bar_rule"] = i, price, reason, rule
    t["pips"] = side * (price - t["entry_price"]) / s.pip_size
    t["pnl_quote"], t["pnl_account"], t["commission"], t["swap"] = (
        pnl_quote, pnl_account, commission, swap,
    )
    t["net_account"] = pnl_account + swap - commission
    t["bars_held"] = i - entry + (1 if inside or reason == END_OF_DATA else 0)
    t["mae_pips"] = (mae if mae > 0.0 else 0.0) / s.pip_size
    t["mfe_pips"] = (mfe if mfe > 0.0 else 0.0) / s.pip_size
    return balance


@njit(cache=True, error_model="numpy")
def _rate_nb(bars, s, i, price):
    """Quote -> account rate of an event at `price` in bar `i` (`conversion.QuoteRates.at`)."""
    return 1.0 / price if s.inverse_rate else bars.rates[i]


@njit(cache=True, error_model="numpy")
def _swap_increment_nb(bars, s, swap_per_night, i):
    """Swap (account currency) a position held since before bar `i` is credited on reaching it:
    the rollover nights since the previous bar, converted at bar `i`'s rate (its bid open)."""
    nights = bars.nights[i]
    if nights == 0 or swap_per_night == 0.0:
        return 0.0
    return float(nights) * swap_per_night * _rate_nb(bars, s, i, bars.open[i])


@njit(cache=True, error_model="numpy")
def close_side_nb(side, bid, spread):
    """The price a position of `side` closes at: the bid for a long, the ask for a short."""
    return bid if side > 0 else bid + spread


@njit(cache=True, error_model="numpy")
def stop_out_price_nb(side, entry_price, units, loss_allowed, rate, inverse_rate):
    """`margin.stop_out_price` for one bar: the close-side price at which the position's loss
    reaches `loss_allowed` (account currency), at a quote -> account `rate`, or at 1 / price
    when `inverse_rate` (the base currency is the account currency)."""
    if not inverse_rate:
        return entry_price - side * loss_allowed / (units * rate)
    # solve units * |p - entry| / p = loss_allowed for p
    denominator = side * units + loss_allowed
    if (side > 0 and denominator > 0) or (side < 0 and denominator < 0):
        return side * units * entry_price / denominator
    return np.inf  # a long beyond saving is stopped out at once; a short can never lose that much


@njit(cache=True, error_model="numpy")
def _fmax_nb(a, b):
    """``numpy.fmax``: the larger of two values, a NaN losing to any number."""
    if np.isnan(a):
        return b
    if np.isnan(b):
        return a
    return a if a >= b else b


@njit(cache=True, error_model="numpy")
def moving_stop_nb(side, fill, stop, distance, activation, after, plus, y_prior):
    """`signals.barriers.moving_stops` for one bar: the stop level and its source code.

    `y_prior` is the best close-side price over the bars held before this one, signed
    (``side * price``; ``-inf`` on the entry bar); `distance`, `activation`, `after`
    (break-even trigger) and `plus` are in price units, NaN where off (an `activation` of NaN
    trails from the fill at once).
    """
    sign = 1.0 if side > 0 else -1.0
    y_fill, y_stop = sign * fill, sign * stop
    profit = y_prior - y_fill
    y_trail, y_even = np.nan, np.nan
    if np.isnan(activation):
        y_trail = _fmax_nb(y_prior, y_fill) - distance
    elif profit >= activation:
        y_trail = y_prior - distance
    if profit >= after:
        y_even = y_fill + plus
    y_level = _fmax_nb(_fmax_nb(y_stop, y_even), y_trail)
    if y_stop == y_level or np.isnan(y_level):
        source = STOP_LOSS
    elif y_even == y_level:
        source = BREAK_EVEN
    else:
        source = TRAILING_STOP
    return sign * y_level, source


@njit(cache=True, error_model="numpy")
def bar_exit_nb(side, open_, high, low, spread, stop, target, stop_out):
    """Does this bar close the position, how, at which price, and was it ambiguous?

    `signals.barriers.bar_exits` for one bar, in the same signed prices ``y = side * price``
    (an adverse move lowers y for both sides). NaN levels never trigger. Returns ``(code,
    price before slippage (NaN when no exit), ambiguous)``.
    """
    sign = 1.0 if side > 0 else -1.0
    shift = 0.0 if side > 0 else spread
    y_open = sign * (open_ + shift)
    y_low = low if side > 0 else -(high + shift)
    y_high = high if side > 0 else -(low + shift)
    y_stop, y_out, y_target = sign * stop, sign * stop_out, sign * target
    out_first = y_out > y_stop or (np.isnan(y_stop) and not np.isnan(y_out))
    y_adverse = y_out if out_first else y_stop  # np.fmax of the two, ties to the stop-loss
    gap_adverse = y_open <= y_adverse
    gap_target = y_open >= y_target
    hit_adverse = y_low <= y_adverse
    hit_target = y_high >= y_target
    ambiguous = not gap_adverse and not gap_target and hit_adverse and hit_target
    if gap_adverse or (not gap_target and hit_adverse):
        code = STOP_OUT if out_first else STOP_LOSS
        y_price = y_open if gap_adverse or gap_target else y_adverse
    elif gap_target or hit_target:
        code = TAKE_PROFIT
        y_price = y_open if gap_target else y_target
    else:
        return NO_EXIT, np.nan, False
    return code, sign * y_price, ambiguous


@njit(cache=True, error_model="numpy")
def lower_exit_nb(lower, i, side, stop, target, stop_out):
    """Code and price from the first lower bar of main bar `i` that triggers, or NO_EXIT when
    none does or that one is itself ambiguous (`signals.barriers.LowerBars.resolve`)."""
    for j in range(lower.first[i], lower.end[i]):
        code, price, ambiguous = bar_exit_nb(
            side, lower.open[j], lower.high[j], lower.low[j], lower.spread[j],
            stop, target, stop_out,
        )
        if code != NO_EXIT:
            if ambiguous:
                return NO_EXIT, np.nan
            return code, price
    return NO_EXIT, np.nan


@njit(cache=True, error_model="numpy")
def pairwise_sum_nb(values, start, stop):
    """``numpy.sum(values[start:stop])`` to the last bit: numpy's pairwise summation.

    numpy sums a float64 array in blocks of at most 128 values (eight interleaved accumulators,
    then the rest in order), halving longer ranges at a multiple of 8 and adding the halves.
    The halving is walked with an explicit stack: numba cannot cache recursive functions.
    """
    n = stop - start
    if n <= _PAIRWISE_BLOCK:
        return _block_sum_nb(values, start, n)
    depth = 64  # halving from n < 2**63 down to one block needs fewer levels
    lo = np.empty(depth, np.int64)
    size = np.empty(depth, np.int64)
    stage = np.zeros(depth, np.int64)  # 0: sum the left half next, 1: the right half, 2: add
    left = np.empty(depth)
    top, lo[0], size[0], value = 0, start, n, 0.0
    while top >= 0:
        m = size[top]
        if m <= _PAIRWISE_BLOCK:
            value = _block_sum_nb(values, lo[top], m)
            top -= 1
            continue
        half = m // 2
        half -= half % _UNROLL
        if stage[top] == 0:
            stage[top] = 1
            top += 1
            lo[top], size[top], stage[top] = lo[top - 1], half, 0
        elif stage[top] == 1:
            left[top], stage[top] = value, 2
            top += 1
            lo[top], size[top], stage[top] = lo[top - 1] + half, m - half, 0
        else:
            value = left[top] + value
            top -= 1
    return value


@njit(cache=True, error_model="numpy")
def _block_sum_nb(values, start, n):
    """numpy's sum of at most 128 values: in order below 8, else 8 accumulators."""
    if n < _UNROLL:
        total = 0.0
        for k in range(n):
            total += values[start + k]
        return total
    r = values[start : start + _UNROLL].copy()
    k = _UNROLL
    while k < n - n % _UNROLL:
        for j in range(_UNROLL):
            r[j] += values[start + k + j]
        k += _UNROLL
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while k < n:
        total += values[start + k]
        k += 1
    return total
