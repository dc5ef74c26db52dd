"""Placeholder until the MetaTrader readers land."""

from fxjudge.data.readers.base import Reader


class Mt4Reader(Reader):
    """Placeholder reader: refuses every source."""

    name = "mt4"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"


class Mt5Reader(Mt4Reader):
    """Placeholder reader: refuses every source."""

    name = "mt5"
