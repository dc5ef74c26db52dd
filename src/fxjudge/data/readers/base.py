"""What every reader is: a content sniffer and a parser into UTC-indexed frames.

A reader never guesses silently: `sniff` returns None when it accepts a source, or the reason it
refuses (so that a file no reader accepts gets an error listing every format and why); `read`
parses the whole source, checks every row (`fxjudge.data.validate`) and converts the file's clock
to UTC, writing each clock decision into `Loaded.notes`.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fxjudge.domain import FxPair
from fxjudge.errors import DataError

HEAD_BYTES = 8192


@dataclass(frozen=True)
class ReadOptions:
    """What the user may tell a reader that the file does not say.

    `tz`: the file's clock where the format leaves it open (MetaTrader server time, generic CSV,
    or an override of HistData's inferred clock): ``"new-york-close"`` (UTC+2 winter / UTC+3 US
    summer), a fixed offset like ``"+02:00"`` or ``"UTC-5"``, or an IANA zone name.
    `columns`: for the generic CSV, canonical name -> file column (``{"time": "Date"}``).
    `kind` and `timeframe`: what the caller wants from a source that holds several (a Dukascopy
    datafeed folder has ticks and M1/H1/D1 candles); None lets the reader choose.
    `time_format`: for the generic CSV, a `strftime` pattern when pandas cannot infer it.
    """

    pair: FxPair | None = None
    kind: Literal["bars", "ticks"] | None = None
    timeframe: str | None = None
    tz: str | None = None
    columns: dict[str, str] | None = None
    time_format: str | None = None


@dataclass
class Loaded:
    """A parsed source, before the duplicate/gap/weekend policies of `fxjudge.data.quality`.

    `frame` is indexed by UTC time (not yet sorted or de-duplicated) with bar columns
    ``open high low close volume [spread]`` or tick columns ``bid ask bid_volume ask_volume``.
    """

    frame: pd.DataFrame
    kind: Literal["bars", "ticks"]
    format: str
    timeframe: str | None = None
    pair: str | None = None
    price_side: Literal["bid", "ask"] = "bid"
    notes: list[str] = field(default_factory=list)
    unresolved_weeks: list[str] = field(default_factory=list)


class Source:
    """A file (plain or zipped) or a folder, with its text decoded once and cached.

    Refused at once, before anything is opened: a path that is neither a regular file nor a
    folder (a FIFO would block forever), and one that cannot be read. In a zip, `member` names
    the file to read; without it the zip must hold exactly one CSV, and a member that would
    unpack beyond `MAX_UNPACKED_BYTES` (or `MAX_RATIO` times the zip) is refused unread.
    """

    def __init__(self, path: str | Path, member: str | None = None) -> None:
        self.path = Path(path)
        self._member = member
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise DataError(
                "no such file or folder", path=self.path, fix="check the path and try again"
            ) from None
        except OSError as exc:
            raise DataError(f"cannot be reached ({exc.strerror})", path=self.path,
                            fix="check the path and its permissions") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise DataError("is not a regular file or folder (a FIFO, socket or device)",
                            path=self.path, fix="give a data file or a datafeed folder")
        needed = os.R_OK | (os.X_OK if stat.S_ISDIR(mode) else 0)
        if not os.access(self.path, needed):
            raise DataError("cannot be read (permission denied)", path=self.path,
                            fix="check its permissions")

    @property
    def is_dir(self) -> bool:
        """True for a folder (the Dukascopy datafeed layout)."""
        return self.path.is_dir()

    @property
    def is_zip(self) -> bool:
        """True for a zip archive (HistData downloads), also a truncated one (`raw` then fails)."""
        if self.is_dir:
            return False
        with open(self.path, "rb") as handle:
            starts_like_zip = handle.read(4) == b"PK\x03\x04"
        return starts_like_zip or zipfile.is_zipfile(self.path)

    @cached_property
    def member(self) -> str | None:
        """The name of the data file inside a zip: `member` as given, else its one .csv."""
        if not self.is_zip:
            if self._member is not None:
                raise DataError(f"is not a zip, so it has no member {self._member!r}",
                                path=self.path, fix="leave out --member")
            return None
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(
                f"corrupt zip archive ({exc})", path=self.path, fix="download the file again"
            ) from None
        listed = ", ".join(names) or "nothing"
        if self._member is not None:
            if self._member not in names:
                raise DataError(f"the zip has no member {self._member!r} (it has: {listed})",
                                path=self.path, fix="give one of its members with --member")
            return self._member
        csvs = [n for n in names if n.lower().endswith(".csv")]
        if not csvs:
            raise DataError(
                f"the zip holds no .csv file (it has: {listed})",
                path=self.path,
                fix="pass the zip as downloaded from the data vendor, or name the data file "
                    "with --member",
            )
        if len(csvs) > 1:
            raise DataError(f"the zip holds several CSV files ({', '.join(csvs)})",
                            path=self.path, fix="choose the one to read with --member NAME")
        return csvs[0]

    @property
    def name(self) -> str:
        """The data file's own name (the zip member's for a zip)."""
        return Path(self.member).name if self.member else self.path.name

    @cached_property
    def raw(self) -> bytes:
        """The file's bytes (the member's, for a zip)."""
        if self.is_dir:
            raise DataError("is a folder, not a file", path=self.path)
        if self.is_zip:
            try:
                with zipfile.ZipFile(self.path) as archive:
                    info = archive.getinfo(self.member)
                    _check_member(info, self.path)
                    return archive.read(info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise DataError(
                    f"corrupt zip archive ({exc})", path=self.path, fix="download the file again"
                ) from None
        return self.path.read_bytes()

    @cached_property
    def text(self) -> str:
        """The file decoded: UTF-8 (BOM stripped), UTF-16 when it has a UTF-16 BOM, else
        Latin-1; old Mac line endings (CR only) become newlines."""
        return _newlines(decode(self.raw, self.path))

    @cached_property
    def head(self) -> str:
        """The first few KB of text, for sniffing without decoding a large file."""
        if self.is_dir:
            return ""
        if self.is_zip:
            return self.text[:HEAD_BYTES]
        with open(self.path, "rb") as handle:
            start = handle.read(HEAD_BYTES)
        return _newlines(decode(start, self.path, partial=True))

    def head_lines(self, n: int = 5) -> list[str]:
        """The first `n` non-empty lines of the head, without line endings."""
        lines = [line.rstrip("\r") for line in self.head.split("\n")]
        return [line for line in lines if line.strip()][:n]


#: A zip member may unpack to at most this many bytes, and this many times the zip's size.
MAX_UNPACKED_BYTES, MAX_RATIO = 2 * 1024**3, 200


def _check_member(info: zipfile.ZipInfo, path: Path) -> None:
    """Refuse an encrypted member, or one that would unpack beyond the caps, before reading."""
    if info.flag_bits & 0x1:
        raise DataError(f"the zip member {info.filename!r} is encrypted (password-protected)",
                        path=path, fix="extract it with its password and import the file")
    limit = min(MAX_UNPACKED_BYTES, MAX_RATIO * max(path.stat().st_size, 1))
    if info.file_size > limit:
        raise DataError(
            f"the zip member {info.filename!r} would unpack to {info.file_size:,} bytes, above "
            f"the {limit:,} accepted ({MAX_UNPACKED_BYTES / 1024**3:g} GB, or {MAX_RATIO}x the "
            "zip's size); refusing to unpack it", path=path,
            fix="check that the zip is the vendor's file, or extract it and import the CSV")


def _newlines(text: str) -> str:
    """Text with CR-only line endings (classic Mac, some exports) turned into newlines."""
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def decode(data: bytes, path: Path, *, partial: bool = False) -> str:
    """Decode file bytes, honouring a UTF-8 or UTF-16 byte-order mark (some MT5 builds)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if partial:
            data = data[: len(data) // 2 * 2]
        return data.decode("utf-16", errors="replace" if partial else "strict")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if partial:
            return data.decode("utf-8", errors="replace")
        return data.decode("latin-1")


class Reader:
    """Base of all readers. Subclasses set `name`, `title` and implement `sniff` and `read`."""

    name: str = ""
    title: str = ""

    def sniff(self, source: Source) -> str | None:
        """None when this reader accepts `source`, else the reason it refuses."""
        raise NotImplementedError

    def read(self, source: Source, options: ReadOptions) -> Loaded:
        """Parse the whole source into UTC-indexed rows."""
        raise NotImplementedError


def parse_table(
    text: str,
    *,
    path: str | Path,
    sep: str,
    names: list[str],
    header_lines: int = 0,
    numeric: list[str],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse delimited text into string/float columns with pandas' C parser, fast.

    Returns the frame and the 1-based file line of each row. On any malformed row (wrong field
    count, a non-numeric price, a truncated last line) raise one `DataError` naming that line.
    """
    body_lines = text.count("\n") + (0 if text.endswith("\n") else 1) - header_lines
    if not text.strip() or body_lines <= 0:
        raise DataError(
            "the file is empty (no data rows)", path=path, fix="download or export it again"
        )
    dtypes = {name: (np.float64 if name in numeric else str) for name in names}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            names=names,
            skiprows=header_lines,
            dtype=dtypes,
            engine="c",
            on_bad_lines="error",
            skip_blank_lines=True,
            na_filter=True,
            keep_default_na=False,
            na_values=[""],
        )
    except (ValueError, pd.errors.ParserError):
        raise _diagnose(text, path=path, sep=sep, names=names, header_lines=header_lines,
                        numeric=numeric) from None
    lines = _line_numbers(text, header_lines, len(frame))
    if len(frame) and frame.isna().to_numpy().any():
        row = int(np.flatnonzero(frame.isna().to_numpy().any(axis=1))[0])
        raise _diagnose(text, path=path, sep=sep, names=names, header_lines=header_lines,
                        numeric=numeric, start=lines[row] - 1)
    return frame, lines


def _line_numbers(text: str, header_lines: int, n_rows: int) -> np.ndarray:
    """1-based file line of each data row, skipping blank lines as pandas does."""
    if "\n\n" not in text and "\n\r\n" not in text:
        return np.arange(header_lines + 1, header_lines + 1 + n_rows)
    lines = text.split("\n")
    keep = [i + 1 for i, line in enumerate(lines) if i >= header_lines and line.strip()]
    return np.asarray(keep[:n_rows])


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _diagnose(
    text: str,
    *,
    path: str | Path,
    sep: str,
    names: list[str],
    header_lines: int,
    numeric: list[str],
    start: int = 0,
) -> DataError:
    """Find the first malformed line (slow path, only after the fast parser failed)."""
    lines = text.split("\n")
    for index in range(max(start, header_lines), len(lines)):
        line = lines[index].rstrip("\r")
        if not line.strip():
            continue
        fields = line.split(sep)
        where = f"line {index + 1}"
        if len(fields) != len(names):
            last = index == len(lines) - 1 or not any(s.strip() for s in lines[index + 1 :])
            hint = (
                "the file looks truncated; download or export it again"
                if last and len(fields) < len(names)
                else "correct or delete that row"
            )
            return DataError(
                f"expected {len(names)} fields separated by {sep!r}, found {len(fields)}: "
                f"{line[:80]!r}",
                path=path,
                where=where,
                fix=hint,
            )
        for name, value in zip(names, fields, strict=True):
            if name in numeric and not _NUMBER.match(value):
                return DataError(
                    f"{name} {value.strip()!r} is not a number",
                    path=path,
                    where=where,
                    fix="correct or delete that row",
                )
    return DataError(
        "could not be parsed", path=path, fix="check that the file is in the format given"
    )


def parse_times(
    values: pd.Series | np.ndarray,
    *,
    fmt: str,
    path: str | Path,
    lines: np.ndarray,
    what: str = "timestamp",
) -> pd.DatetimeIndex:
    """Parse naive timestamps with an exact format; a bad one is a `DataError` naming its line."""
    parsed = pd.to_datetime(pd.Series(values), format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = bad[0]
        raise DataError(
            f"{what} {str(np.asarray(values)[i])!r} does not match the format {fmt!r}",
            path=path,
            where=f"line {lines[i]}",
            fix="correct or delete that row",
        )
    return pd.DatetimeIndex(parsed.to_numpy(dtype="datetime64[ns]"))
