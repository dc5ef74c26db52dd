"""Placeholder until the histdata reader lands."""

from fxjudge.data.readers.base import Reader


class HistDataReader(Reader):
    """Placeholder reader: refuses every source."""

    name = "histdata"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"
