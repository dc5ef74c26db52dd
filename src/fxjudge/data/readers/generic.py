"""Placeholder until the csv reader lands."""

from fxjudge.data.readers.base import Reader


class GenericCsvReader(Reader):
    """Placeholder reader: refuses every source."""

    name = "csv"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"
