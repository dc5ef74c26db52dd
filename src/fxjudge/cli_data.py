"""`fxjudge data ...`: download, import, list, inspect, resample and remove catalog data.

A thin shell over `fxjudge.data` (loading and the catalog). The heavy imports (pandas, pyarrow,
the readers) happen inside the commands, so that `fxjudge --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fxjudge import config
from fxjudge.cli_output import console, label, say
from fxjudge.errors import ConfigError

data_app = typer.Typer(
    help="Download, import, list, inspect, resample and remove FX price data.",
    no_args_is_help=True,
)

#: The formats of `fxjudge.data.readers.READERS`, for help texts (a test keeps them equal).
FORMAT_NAMES = ("parquet", "dukascopy-bi5", "histdata", "dukascopy-csv", "mt5", "mt4", "csv")

FormatOption = Annotated[
    str | None, typer.Option("--format", help="Force a format: " + ", ".join(FORMAT_NAMES) + "."),
]
TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="The file's clock where the format leaves it open: 'new-york-close' (MetaTrader "
        "default), '+02:00', or an IANA zone.",
    ),
]
MemberOption = Annotated[
    str | None, typer.Option("--member", help="The file to read inside a zip holding several.")
]
DuplicatesOption = Annotated[
    str, typer.Option("--duplicates", help="Duplicate timestamps: first, last or error.")
]
GapsOption = Annotated[str, typer.Option("--gaps", help="Missing bars: keep, fill or error.")]
WeekendOption = Annotated[str, typer.Option("--weekend", help="Flat weekend rows: drop or keep.")]
ColumnsOption = Annotated[
    str | None, typer.Option("--columns", help="Generic CSV mapping, e.g. 'time=Date,open=O'.")
]
PairOption = Annotated[str | None, typer.Option("--pair", help="e.g. USDJPY.")]


def _policy(duplicates: str, gaps: str, weekend: str):
    from fxjudge.data.quality import Policy

    return Policy(duplicates=duplicates, gaps=gaps, weekend=weekend)  # type: ignore[arg-type]


def _columns(mapping: str | None) -> dict[str, str] | None:
    """Parse ``time=Date,open=O`` into a column mapping."""
    if not mapping:
        return None
    pairs = [item.split("=", 1) for item in mapping.split(",") if item.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ConfigError(f"`--columns` must look like 'time=Date,open=O', was {mapping!r}")
    return {k.strip(): v.strip() for k, v in pairs}


@data_app.command("import")
def data_import(
    file: Annotated[Path, typer.Argument(help="The file (or Dukascopy folder) to import.")],
    pair: PairOption = None,
    format: FormatOption = None,
    tz: TzOption = None,
    member: MemberOption = None,
    duplicates: DuplicatesOption = "first",
    gaps: GapsOption = "keep",
    weekend: WeekendOption = "drop",
    columns: ColumnsOption = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace the pair's stored series of this timeframe with this file."
    )] = False,
    merge: Annotated[bool, typer.Option(
        "--merge", help="Add this file's bars only at times the stored series lacks (stored "
        "bars win), even from another source.")] = False,
) -> None:
    """Convert a file once into the catalog (Parquet under data/catalog/)."""
    from fxjudge.data import catalog
    from fxjudge.data.load import read_file

    if replace and merge:
        raise ConfigError("`--replace` and `--merge` exclude each other; choose one")
    data, report = read_file(file, pair=pair, format=format, tz=tz, member=member,
                             columns=_columns(columns), policy=_policy(duplicates, gaps, weekend))
    stored = catalog.import_data(data, report.to_dict(),
                                 mode="replace" if replace else "merge" if merge else None)
    print_report(report)
    say(("imported", "green"), f" {stored.summary()}")


@data_app.command("download")
def data_download(
    pair: Annotated[str, typer.Argument(help="e.g. EURUSD.")],
    start: Annotated[str, typer.Option("--from", help="First day (UTC), inclusive.")],
    end: Annotated[str, typer.Option("--to", help="Last day (UTC), exclusive.")],
    ticks: Annotated[bool, typer.Option(
        "--ticks", help="Download ticks (bid and ask, a file per hour).")] = False,
    timeframe: Annotated[str | None, typer.Option(
        "--timeframe", help="BID candles: M1 (a file per day, default), H1 (a month) or D1 "
        "(a year).")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="The datafeed's root URL; default: $FXJUDGE_DATAFEED_URL, else "
        "https://datafeed.dukascopy.com/datafeed.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Files fetched at once.")] = 4,
    retries: Annotated[int, typer.Option(
        "--retries", help="Tries again per file after a failed connection or HTTP 5xx.")] = 3,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace the pair's stored series of this timeframe.")] = False,
    merge: Annotated[bool, typer.Option(
        "--merge", help="Add only bars at times the stored series lacks (stored bars win).")
    ] = False,
) -> None:
    """Download Dukascopy's datafeed into data/datafeed/ (cached, resumable) and import it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from fxjudge.data.download import TICK, download, import_download

    if ticks and timeframe:
        raise ConfigError("`--ticks` and `--timeframe` exclude each other; choose one")
    if replace and merge:
        raise ConfigError("`--replace` and `--merge` exclude each other; choose one")
    columns = (TextColumn(f"downloading {pair}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("files · {task.fields[size]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("files", total=None, size="")

        def update(done: int, total: int, fetched: int, left: int) -> None:
            size = f"{fetched / 1e6:.1f} MB fetched, ~{left / 1e6:.1f} MB left"
            bar.update(task, completed=done, total=total, size=size)

        result = download(pair, start, end, timeframe=TICK if ticks else timeframe or "M1",
                          base_url=base_url, jobs=jobs, retries=retries, progress=update)
    say(("fetched", "green"), f" {result.summary()}")
    for name, why in result.failed:
        say(("failed:", "red"), f" {name}: {why}")
    stored, report = import_download(result, mode="replace" if replace else
                                     "merge" if merge else None)
    print_report(report)
    say(("imported", "green"), f" {stored.summary()}")


@data_app.command("list")
def data_list() -> None:
    """List what the catalog holds."""
    from fxjudge.data import catalog

    rows = catalog.entries()
    for leftover in catalog.leftovers():
        say(("leftover:", "yellow"), f" {leftover} (a temporary file of an interrupted import, "
            "or of one running now; the next import of that pair removes it)")
    if not rows:
        console.print(f"The catalog at {config.catalog_dir()} is empty: "
                      "fxjudge data import FILE --pair PAIR")
        return
    table = Table("pair", "timeframe", "rows", "first (UTC)", "last (UTC)", "sources")
    for row in rows:
        table.add_row(
            row["pair"], row["timeframe"], f"{row['rows']:,}", row["first"] or "",
            row["last"] or "", ", ".join(Path(s).name for s in row["sources"] if s),
        )
    console.print(table)


@data_app.command("info")
def data_info(
    source: Annotated[str, typer.Argument(help="A catalog pair (USDJPY) or a file/folder.")],
    timeframe: Annotated[str | None, typer.Option("--timeframe", help="e.g. H1.")] = None,
    pair: PairOption = None,
    format: FormatOption = None,
    tz: TzOption = None,
    member: MemberOption = None,
    duplicates: DuplicatesOption = "first",
    gaps: GapsOption = "keep",
    weekend: WeekendOption = "drop",
    columns: ColumnsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Range, bars, gaps, duplicates, weekend rows and spread statistics of data."""
    from fxjudge.data.load import load_bars, read_file

    if Path(source).exists():
        options = {"pair": pair, "format": format, "tz": tz, "member": member,
                   "columns": _columns(columns), "policy": _policy(duplicates, gaps, weekend)}
        _, report = read_file(source, **options)
        if timeframe:
            bars = load_bars(source, timeframe=timeframe, **options)
            report.notes.append(f"resampled to {timeframe}: {len(bars):,} bars")
    else:
        report = describe_catalog(source, timeframe)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report)


def describe_catalog(pair: str, timeframe: str | None):
    """A `DataReport` for bars loaded from the catalog (gaps counted afresh)."""
    from fxjudge.data.load import load_bars
    from fxjudge.data.quality import DataReport, Policy, apply_policy
    from fxjudge.domain import FxPair

    bars = load_bars(pair, timeframe=timeframe)
    fx = FxPair.parse(pair)
    report = DataReport(
        source=f"catalog:{fx.symbol}", format="parquet", kind="bars", pair=fx.symbol,
        timeframe=bars.attrs.get("timeframe"), price_side=bars.attrs.get("price_side", "bid"),
        rows_read=len(bars),
    )
    apply_policy(bars, kind="bars", timeframe_name=report.timeframe, pip_size=fx.pip_size,
                 policy=Policy(), report=report, path=report.source)
    return report


@data_app.command("resample")
def data_resample(
    pair: Annotated[str, typer.Argument(help="A catalog pair, e.g. USDJPY.")],
    to: Annotated[str, typer.Option("--to", help="Target timeframe, e.g. H1.")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="Overwrite an imported series of the target timeframe.")] = False,
) -> None:
    """Resample a catalog pair to a longer timeframe and store it in the catalog."""
    from fxjudge.data import catalog
    from fxjudge.data.bars import timeframe
    from fxjudge.data.load import load_bars
    from fxjudge.data.resample import resample

    name = timeframe(to).name
    bars = load_bars(pair)
    origin = f"resampled from the catalog's {pair} {bars.attrs.get('timeframe')} to {name}"
    stored = catalog.store_resampled(resample(bars, name), pair, name, origin=origin,
                                     replace=replace)
    say(("wrote", "green"), f" {stored.rows:,} {name} bars to {stored.path}"
        + (f" (replacing {stored.replaced:,} rows)" if stored.replaced else ""))


@data_app.command("remove")
def data_remove(
    pair: Annotated[str, typer.Argument(help="A catalog pair, e.g. USDJPY.")],
    timeframe: Annotated[str | None, typer.Option(
        "--timeframe", help="Only this series (e.g. M1, or tick); default: all of the pair's.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask (for scripts).")] = False,
) -> None:
    """Delete a pair's series from the catalog; the rest of the catalog is untouched."""
    from fxjudge.data import catalog
    from fxjudge.data.bars import timeframe as timeframe_of
    from fxjudge.domain import FxPair

    symbol = FxPair.parse(pair).symbol
    name = None if timeframe is None else (
        "tick" if timeframe == "tick" else timeframe_of(timeframe).name)
    what = f"{symbol} {name}" if name else f"every {symbol} series"
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError(f"`fxjudge data remove` deletes {what} from the catalog; pass "
                              "--yes to confirm when not asked at a terminal")
        if not typer.confirm(f"Delete {what} from {config.catalog_dir()}?", default=False):
            say("nothing removed")
            return
    for path in catalog.remove(symbol, name):
        say(("removed", "green"), f" {path}")


def print_report(report) -> None:
    """A `DataReport` as a two-column table, then its notes."""
    table = Table(show_header=False, box=None)
    rows = [
        ("source", report.source),
        ("format", report.format),
        ("pair / timeframe", f"{report.pair or '?'} / {report.timeframe or report.kind}"),
        ("prices", report.price_side),
        ("rows read / kept", f"{report.rows_read:,} / {report.rows:,}"),
        ("first / last (UTC)", f"{report.first} / {report.last}"),
        ("backward steps", f"{report.backward_steps:,}"),
        ("duplicates", f"{report.duplicates:,} ({report.duplicates_with_different_prices:,} "
                       "with different prices)"),
        ("flat weekend rows", f"{report.weekend_rows:,}"),
        ("gaps", f"{report.gaps:,} ({report.missing_bars:,} missing bars; largest: "
                 f"{report.largest_gap or '-'})"),
        ("spread (pips)", ", ".join(f"{k} {v}" for k, v in (report.spread_pips or {}).items())
         or "not in the source"),
        ("policy", ", ".join(f"{k}={v}" for k, v in report.policy.items())),
    ]
    for key, value in rows:
        table.add_row(label(key), str(value))
    console.print(table)
    for note in report.notes:
        console.print(f"  - {note}")
    for week in report.unresolved_weeks:
        say(("  unresolved clock:", "yellow"), f" {week}")
