"""The engine: one pair's signals executed with an FX broker model, by the rules below.

    from fxjudge.engine import Account, Costs, Sizing, simulate
    result = simulate(bars, signals, levels, pair="EURUSD", rules=rules, costs=Costs(),
                      account=Account(), sizing=Sizing(lots=1))
    result.trades, result.equity, result.notes

This docstring is the engine's documentation: every rule below is covered by a hand-computed
test in tests/engine/, run on both implementations.

**How it is built.** One statement of the rules (this docstring), two implementations, one
battery. `simulate` checks the inputs and turns them into arrays once (`inputs`), runs them on
the chosen engine and builds the result's tables once (`frames`):

- ``engine="compiled"`` (the default): `compiled`, numba kernels over numpy arrays, one loop
  over the bars; numba is imported on first use and caches the machine code (`numba_cache`
  says where);
- ``engine="backtrader"``: `backtrader_engine`, the reference and the one module that imports
  backtrader. backtrader drives the bar loop (the bars go in through `ArrayFeed`, a
  `bt.feed.DataBase` fed from numpy arrays) and calls the FX account (`ledger.Ledger`, our own
  code) on the bars where something happens; backtrader's broker, orders and sizers are not
  used. Its `BackBroker` fills at one price per bar with cash in one currency; an FX account
  needs bid and ask, gaps through levels, the same-bar rule, swaps at the New York rollover,
  margin, stop-out and P&L converted between currencies. When a position opens, its exit is
  planned at once with the vectorised exit logic the judge's labels share
  (`fxjudge.signals.barriers`).

The parity battery (tests/engine/test_parity.py, and benchmarks/parity_battery.py at 10,000
scenarios) holds the compiled engine to the reference trade for trade: equal times, sides,
units, reasons and prices, money within 1e-9 (in practice equal to the last bit).

**Prices.** Bars are bid; ask = bid + spread, the spread being the bars' ``spread`` column (price
units), else ``Costs.spread_pips`` (also used for NaN spreads). Bars with
``attrs["price_side"] == "ask"`` are ask prices: bid = ask - spread for open, high, low and close.
A long opens at the ask and closes at the bid; a short opens at the bid and closes at the ask.

**When things happen.** A signal is decided at the close of bar t with the position as it is at
that close, and executed at the open of bar t+1 (its ``entry_time``). At each bar: first what
executes at the open (a time, opposite or reverse exit, then an entry), then what the bar's range
triggers (stop-loss, take-profit, stop-out), then the close's decision. Hence a position stopped
inside bar t can re-enter on the signal at t's close. A signal on the last bar has no next open
and is not executed (a note says so).

**One position per pair.** Flat: a signal opens a position. In a position: a same-side signal is
ignored; an opposite one follows ``rules.on_opposite``: ``"exit"`` closes at the next open
(reason ``"opposite"``), ``"reverse"`` closes and opens the other side at that same open (reason
``"reverse"``; the new position is sized anew, its levels come from the opposite signal's bar),
``"ignore"`` does nothing.

**The judge's veto** (``entries_allowed``, a boolean per bar, all True by default): a signal on a
bar where it is False is rejected: it opens nothing, neither from flat nor as the second half of
a reverse. It is still the strategy's opposite signal, so it ends an open position as
``on_opposite`` says: ``"exit"`` closes (reason ``"opposite"``), ``"reverse"`` becomes a plain
exit (reason ``"opposite"``) because its new entry is rejected, ``"ignore"`` does nothing. The
judge vetoes trades; it does not change how the strategy exits the ones it took.

**Exits**, all set from the fill price: stop = fill - side * stop_distance, target = fill + side *
target_distance, the distances being ``levels`` at the signal bar (NaN: no such level). Checked
from the entry bar on (the fill was at its open). A long's stop triggers when the bid low reaches
it (<=), its target when the bid high reaches it (>=); a short's stop when the ask high reaches
it, its target when the ask low does. A gap through a level fills at the bar's open (close side),
not at the level. Stop and target both inside one bar: the stop wins, recorded in
``same_bar_rule`` as ``"stop_first"``; given ``lower_bars`` (same pair, a lower timeframe), the
first lower bar that triggers decides and the trade records ``"lower_timeframe"``. A time exit
closes after ``rules.max_bars`` bars held: at the open of bar entry + max_bars, on the close
side, as a market order (``bars_held == max_bars``); if an opposite signal asks for the same open,
the reason is ``"time"`` and a reverse still opens. A position still open after the last bar is
closed at the last bar's close (bid for a long, ask for a short), reason ``"end_of_data"``.

**Moving stops** (``rules.trailing_stop_pips`` or ``trailing_stop_atr``, optionally from
``trailing_activation_pips`` of profit; ``break_even_after_pips`` and ``break_even_plus_pips``;
computed by `signals.barriers.moving_stops`). The stop in force in a bar is set before the bar
opens, from the best close-side price of the bars held before it (a long's highest bid high, a
short's lowest ask low; none on the entry bar), and is fixed within the bar, whose own extremes
move it from the next bar on (the order of high and low inside a bar is unknown). A trailing
stop sits its distance (pips, or ATR multiples at the signal bar) behind that best price;
without an activation it trails from the fill at once (on the entry bar it is fill - side *
distance, as a stop-loss would be), with one it starts once the best price is that many pips
beyond the fill. A break-even move puts the stop at fill + side * ``break_even_plus_pips`` once
the best price is ``break_even_after_pips`` beyond the fill. The stop in force is the tightest
of the initial stop-loss, the trailing level and the break-even level: it never loosens. It is
a stop like the others: a gap through it fills at the bar's open; with the target in the same
bar the stop wins (or the lower bars decide, at the bar's level); it slips as a market order;
the stop-out stays a second adverse level. The trade's ``exit_reason`` is ``"trailing_stop"`` or
``"break_even"`` when that level was the one in force (equal levels: the initial stop, then the
break-even), else ``"stop_loss"``. Risk sizing uses the initial stop-loss.

**Slippage** (``Costs.slippage_pips``) moves every market fill against the trader: entries and
time, opposite, reverse, stop-loss (moved or not) and stop-out exits (a triggered stop is a
market order). A
take-profit is a limit order and an end-of-data close a valuation: neither slips.

**Costs.** Commission: ``commission_per_lot * units / lot_size`` per side in the account
currency, charged to the balance at entry and at exit. Swap: ``swap_long_pips`` or
``swap_short_pips`` per lot per night (signed; negative pays) at each 17:00 New York rollover
the position is held through (``entry_time < rollover <= exit_time``), Wednesday three nights,
none on Saturday or Sunday, so Friday to Monday is one night (`costs.swap_nights`). Each night's
amount, ``swap_pips * pip_size * units`` in the quote currency, is converted at the rate of the
bar where the rollover is passed, accrues in equity while the position is open and is realised
at the exit.

**Account.** ``balance`` is realised cash; ``equity`` = balance + unrealised P&L at the bar's
close (bid for a long, ask for a short) + accrued swap. Used margin is fixed at entry: units *
fill * rate / leverage. An entry is rejected when its margin exceeds the balance less the
entry's own commission (the cash left once it is paid; a note counts them): with one position at
a time the account is flat at every entry, so its balance is its equity and its free margin.
Stop-out: when equity / used margin falls to ``stop_out_level`` the position is closed, reason
``"stop_out"``, at the price where the level is reached (solved exactly per bar from the
balance, accrued swap and rate), or at the bar's open if it gapped beyond, with slippage; it
acts as a second adverse level, so the nearer of stop-loss and stop-out is reached first and
the same-bar rule applies against the target. The balance can end negative after a gap (no
negative-balance protection).

**Sizing.** ``Sizing(units=...)``, ``Sizing(lots=...)`` (times ``Account.lot_size``) or
``Sizing(risk_fraction=...)``: units = floor(risk_fraction * balance / (stop_distance * rate at
the stop price)); needs a stop-loss in the rules (``ConfigError`` otherwise); an entry without a
stop distance, or with a size below one unit, is skipped (a note counts them). With
``by_probability=True`` each entry's units are floor(those units x |m|), m the judge's bet size
at the signal bar (`fxjudge.judge.bet_size` of ``probability``, rounded to ``probability_step``
when given; `margin.sized_units`): 0 when p < 1/2, so the entry is skipped as one without a
size; a signal whose probability is NaN keeps its base size. The factor is computed once for
both engines (`inputs.size_factors`).

**Conversion** of quote-currency amounts to the account currency: see `conversion` (1; 1/price;
conversion bars, last closed bar at or before the event; a fixed rate; else ECB reference rates,
with a note). P&L converts at the exit bar's rate (1/exit price when the base currency is the
account currency), margin and risk size at the entry's, swap at the rollover bar's, equity marks
at each bar's. A rate that cannot be had fails the run before it starts (``ConfigError``).

**Trades** (one row per closed position): entry_time, exit_time (the open time of the bar in
which the exit happened; an exit at an open happens exactly then), side (+1/-1), units,
entry_price, exit_price (fills, spread and slippage included), exit_reason (``stop_loss``,
``trailing_stop``, ``break_even``, ``take_profit``, ``time``, ``opposite``, ``reverse``,
``stop_out``, ``end_of_data``),
same_bar_rule (``stop_first``, ``lower_timeframe`` or ``""``), pips (side * (exit - entry) /
pip size: net of spread and slippage), pnl_quote (pips in money: side * (exit - entry) * units),
pnl_account (pnl_quote converted), commission (both sides) and swap (account currency),
net_account = pnl_account + swap - commission, bars_held (bars the position was open in, the
exit bar counted when the exit happened inside it), mae_pips / mfe_pips (largest adverse and
favourable move from the entry fill, on the close side, >= 0; the exit bar counts only up to the
exit), probability (the judge's probability at the signal bar, NaN without a judge).

**Equity** (one row per bar, after its close): balance, equity, used_margin, position_units
(signed). Not modelled: bank holidays in the swap calendar, partial fills, several positions in
one pair, margin that moves with the price.

**Portfolios** (`portfolio.simulate_portfolio`, legs of `portfolio.Leg`: a pair, its bars,
signals, levels, rules, costs and sizing; both engines, the backtrader one with a data feed per
leg). Several pairs share one account: its balance, equity, used margin and stop-out. Each leg
follows every rule above on its own bars; only these are the account's:

- *Timeline.* The legs' bars are merged on the union of their timestamps. A leg acts only at
  its own bars (its signals, fills, stops, time exits and swaps count its own bars); a bar of
  one leg never waits for another's. At a timestamp where a leg has no bar, its open position
  keeps the mark of its last close (its last price, converted at that bar's rate).
- *Order within a timestamp* (legs in the order given): (1) at the open, for every leg with a
  bar: the swap of the rollovers passed, then the exit decided at its last close (time,
  opposite, reverse); (2) the entries, leg by leg; (3) inside the bar, every leg's stop-loss
  (moved or not) and take-profit; (4) at the close: a leg's end of data, the marks, then the
  account's stop-out; (5) the close's decisions for each leg's next bar.
- *Margin.* Used margin is the sum of the open positions' margins (each fixed at its entry, as
  above); equity = balance + every open position's unrealised P&L and accrued swap as last
  marked (a position opened at this timestamp counts none until its first close); free margin
  = equity - used margin. An entry is rejected when its margin exceeds the free margin less its
  own commission (so another leg's position can cause the rejection; with one leg this is the
  one-pair rule). Risk sizing risks its fraction of that free margin (the balance when flat).
- *Stop-out.* Tested once per timestamp, after the close's marks: while used margin > 0 and
  equity <= ``stop_out_level`` * used margin, the open position with the largest loss
  (unrealised P&L plus accrued swap in the account currency, lowest first; ties to the first
  leg) is closed at its last close (close side, with slippage), reason ``"stop_out"``; the test
  is then repeated on the account as it stands. A leg that has no bar at that timestamp closes
  at its last bar's close and its trade's exit_time is that bar's. Unlike a one-pair run, the
  level is tested at the closes, not solved inside a bar (several legs move at once): a stop-out
  can fill beyond the level, and the stop-loss of the same bar comes first.
- *Conversion.* Each leg converts as above. When neither its quote nor its base currency is the
  account's, a leg whose pair is the quote/account pair (either orientation) supplies the rate:
  its bars are the conversion bars, under the conversion bars' rule (the close, or the mid with
  a spread, of its last bar closed by the event's bar's open). EURUSD and USDJPY in a JPY
  account: EURUSD's USD converts with the USDJPY leg. Otherwise `conversion` (one for all legs,
  or a mapping from the quote currency), else ECB with a note.
- *Output* (`portfolio.PortfolioResult`): the trades of every leg (a ``pair`` column, ordered
  by exit time then leg), the account per timestamp (balance, equity, used_margin,
  margin_level = equity / used margin, NaN without a position), each leg's signed units and its
  P&L (realised net plus the open position's mark).
"""

from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.engine.engine import EngineResult, Prepared, prepare, simulate, simulate_prepared

__all__ = ["Account", "Costs", "EngineResult", "Prepared", "Sizing", "prepare", "simulate",
           "simulate_prepared"]
