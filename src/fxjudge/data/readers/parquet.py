"""Placeholder until the parquet reader lands."""

from fxjudge.data.readers.base import Reader


class ParquetReader(Reader):
    """Placeholder reader: refuses every source."""

    name = "parquet"

    def sniff(self, source):  # noqa: D102
        return "reader not written yet"
