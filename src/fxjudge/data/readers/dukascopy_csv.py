"""Placeholder until the dukascopy-csv reader lands."""

from fxjudge.data.readers.base import Reader


class DukascopyCsvReader(Reader):
    """Placeholder reader: refuses every source."""

    name = "dukascopy-csv"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"
