"""Placeholder until the dukascopy-bi5 reader lands."""

from fxjudge.data.readers.base import Reader


class DukascopyBi5Reader(Reader):
    """Placeholder reader: refuses every source."""

    name = "dukascopy-bi5"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"
