"""The registry of readers, in detection order, and content-based format detection."""

from __future__ import annotations

from fxjudge.data.readers.base import Loaded, Reader, ReadOptions, Source
from fxjudge.data.readers.dukascopy_bi5 import DukascopyBi5Reader
from fxjudge.data.readers.dukascopy_csv import DukascopyCsvReader
from fxjudge.data.readers.generic import GenericCsvReader
from fxjudge.data.readers.histdata import HistDataReader
from fxjudge.data.readers.metatrader import Mt4Reader, Mt5Reader
from fxjudge.data.readers.parquet import ParquetReader
from fxjudge.errors import ConfigError, DataError

#: Every reader, most specific first: the generic CSV reader comes last.
READERS: list[Reader] = [
    ParquetReader(),
    DukascopyBi5Reader(),
    HistDataReader(),
    DukascopyCsvReader(),
    Mt5Reader(),
    Mt4Reader(),
    GenericCsvReader(),
]

__all__ = ["READERS", "Loaded", "ReadOptions", "Reader", "Source", "detect", "reader_named"]


def reader_named(name: str) -> Reader:
    """The reader called `name` (``histdata``, ``mt4``, ...)."""
    for reader in READERS:
        if reader.name == name:
            return reader
    names = ", ".join(r.name for r in READERS)
    raise ConfigError(f"`format` must be one of {names}, was {name!r}")


def detect(source: Source) -> Reader:
    """The first reader that accepts `source`; else an error listing why each one refused."""
    refusals = []
    for reader in READERS:
        reason = reader.sniff(source)
        if reason is None:
            return reader
        refusals.append(f"{reader.name}: {reason}")
    raise DataError(
        "no reader recognises this file (" + "; ".join(refusals) + ")",
        path=source.path,
        fix="pass --format NAME if you know the format, or check the file is FX price data",
    )
