"""Domain types that know their units: currency pairs and their pip.

`FxPair.parse` accepts the spellings met in broker and vendor files: ``USDJPY``, ``USD/JPY``,
``usd_jpy``, ``EUR.USD``, ``eur-usd``. Pip sizes follow the market convention: 0.01 for pairs quoted
in JPY, 0.0001 otherwise; gold (XAU) 0.01 and silver (XAG) 0.001, as Dukascopy and most brokers
quote them. `price_decimals` is the number of decimals a 5-digit (3-digit for JPY) broker quotes,
which is also the integer price scale of Dukascopy's datafeed (1e5, 1e3 for JPY pairs and metals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fxjudge.errors import ConfigError

#: ISO 4217 codes of currencies traded as FX pairs, plus the metals quoted like FX.
CURRENCIES = frozenset(
    """
    USD EUR JPY GBP CHF AUD NZD CAD SEK NOK DKK SGD HKD MXN ZAR TRY PLN HUF CZK CNH CNY RUB ILS
    THB INR KRW TWD BRL CLP COP PEN PHP IDR MYR SAR AED KWD QAR BHD OMR RON BGN HRK ISK
    XAU XAG XPT XPD
    """.split()
)
METALS = frozenset({"XAU", "XAG", "XPT", "XPD"})

_PIP_BY_BASE = {"XAU": 0.01, "XAG": 0.001, "XPT": 0.01, "XPD": 0.01}
_SEPARATORS = re.compile(r"[\s/_.\-:]+")


@dataclass(frozen=True)
class FxPair:
    """A currency pair: `base` priced in `quote` (EURUSD: 1 EUR costs `price` USD)."""

    base: str
    quote: str

    def __post_init__(self) -> None:
        for name, code in (("base", self.base), ("quote", self.quote)):
            if code not in CURRENCIES:
                raise ConfigError(
                    f"`{name}` must be a known currency code (e.g. USD, JPY), was {code!r}"
                )
        if self.base == self.quote:
            raise ConfigError(
                f"a pair needs two different currencies, got {self.base}/{self.quote}"
            )

    @classmethod
    def parse(cls, text: str | FxPair) -> FxPair:
        """Parse ``USDJPY``, ``USD/JPY``, ``usd_jpy``, ``EUR.USD`` and similar spellings."""
        if isinstance(text, FxPair):
            return text
        if not isinstance(text, str):
            raise ConfigError(f"`pair` must be a symbol like 'USDJPY', was {text!r}")
        parts = [p for p in _SEPARATORS.split(text.strip().upper()) if p]
        if len(parts) == 1 and len(parts[0]) == 6 and parts[0].isalpha():
            parts = [parts[0][:3], parts[0][3:]]
        if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() for p in parts):
            raise ConfigError(
                f"`pair` must be a currency pair like 'USDJPY' or 'EUR/USD', was {text!r}"
            )
        unknown = [p for p in parts if p not in CURRENCIES]
        if unknown:
            raise ConfigError(
                f"`pair` {text!r} has an unknown currency code {unknown[0]!r}; "
                "use ISO codes such as USD, EUR, JPY, GBP"
            )
        return cls(parts[0], parts[1])

    @property
    def symbol(self) -> str:
        """The six-letter symbol, e.g. ``USDJPY``."""
        return f"{self.base}{self.quote}"

    @property
    def pip_size(self) -> float:
        """One pip in price: 0.01 for JPY-quoted pairs, 0.0001 otherwise; metals their own."""
        if self.base in _PIP_BY_BASE:
            return _PIP_BY_BASE[self.base]
        return 0.01 if self.quote == "JPY" else 0.0001

    @property
    def price_decimals(self) -> int:
        """Decimals of a fractional-pip quote: 3 for JPY pairs and metals, 5 otherwise."""
        if self.base in METALS or self.quote == "JPY":
            return 3
        return 5

    def __str__(self) -> str:
        return self.symbol
