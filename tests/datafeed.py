"""A local stand-in for Dukascopy's datafeed: an HTTP server on 127.0.0.1, for the download tests.

`DatafeedServer(files)` serves ``/datafeed/<SYMBOL>/...`` from `files`, a function of the path
below ``/datafeed/`` giving the bytes to send (None: 404). `folder_files(root)` serves a folder in
the datafeed's layout (the real one in ../shared/data); `generated_files()` makes files on the fly
from seeded synthetic prices, for any period (the documentation's examples).

Misbehaviour is scripted per path: ``server.script[path] = ["500", "corrupt", "drop"]`` makes
the next requests of that path fail in that order, then serve normally. Actions: ``"500"`` (a
server error), ``"404"``, ``"corrupt"`` (the right length, wrong bytes), ``"drop"`` (half the
body, then the connection closes although Content-Length promised more), ``"empty"`` (0 bytes,
the datafeed's "no ticks in this period"), ``"hang"`` (wait until `release` is set).
`requests` counts requests per path; `most_at_once` the most served concurrently.
"""

from __future__ import annotations

import hashlib
import lzma
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

from fxjudge.data.readers.dukascopy_bi5 import CANDLE_RECORD, TICK_RECORD, file_start
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, DataError

PREFIX = "/datafeed/"
Files = Callable[[str], bytes | None]


def folder_files(root: Path) -> Files:
    """Serve the files of `root`, a folder in the datafeed's layout."""
    def files(relative: str) -> bytes | None:
        path = root / relative
        return path.read_bytes() if path.is_file() else None
    return files


def corrupted(data: bytes) -> bytes:
    """Same length, LZMA header kept, the stream inverted: it no longer decompresses."""
    return data[:13] + bytes(b ^ 0xFF for b in data[13:])


class DatafeedServer:
    """The server, started on a free port of 127.0.0.1; `url` is its datafeed root."""

    def __init__(self, files: Files, delay_seconds: float = 0.0) -> None:
        self.files, self.delay_seconds = files, delay_seconds
        self.script: dict[str, list[str]] = {}
        self.requests: Counter[str] = Counter()
        self.release = threading.Event()
        self.hanging = threading.Event()
        self.active = self.most_at_once = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX.rstrip('/')}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_action(self, relative: str) -> str:
        with self._lock:
            self.requests[relative] += 1
            queue = self.script.get(relative) or []
            return queue.pop(0) if queue else "serve"

    def _handler(self):
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if not self.path.startswith(PREFIX):
                    self.send_error(404)
                    return
                relative = self.path[len(PREFIX):]
                action = feed._next_action(relative)
                with feed._lock:
                    feed.active += 1
                    feed.most_at_once = max(feed.most_at_once, feed.active)
                try:
                    self._answer(relative, action)
                finally:
                    with feed._lock:
                        feed.active -= 1

            def _answer(self, relative: str, action: str) -> None:
                if feed.delay_seconds:
                    feed.release.wait(feed.delay_seconds)
                if action == "hang":
                    feed.hanging.set()
                    feed.release.wait(60)
                if action in ("500", "404"):
                    self.send_error(int(action))
                    return
                data = b"" if action == "empty" else feed.files(relative)
                if data is None:
                    self.send_error(404)
                    return
                if action == "corrupt":
                    data = corrupted(data)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if action == "drop":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

        return Handler


def generated_files() -> Files:
    """Datafeed files made from seeded synthetic prices (a random walk per file, seeded by its
    path, around 110 for JPY pairs and 1.10 for others): ticks of an hour, M1 candles of a day,
    H1 of a month, D1 of a year. Saturday (and Sunday before 21:00 UTC) hours have no ticks, as
    at Dukascopy: their tick files are empty and their candles flat with volume 0."""

    def files(relative: str) -> bytes | None:
        symbol, _, rest = relative.partition("/")  # the path below the symbol
        name = rest.rsplit("/", 1)[-1]
        try:
            pair = FxPair.parse(symbol)
        except ConfigError:
            return None
        scale = 10**pair.price_decimals
        base_price = 110.0 if pair.quote == "JPY" else 1.10
        try:
            start = file_start(Path(rest))
        except (DataError, ValueError, IndexError):
            return None
        rng = np.random.default_rng(int(hashlib.sha256(relative.encode()).hexdigest()[:8], 16))
        if name.endswith("h_ticks.bi5"):
            if _closed(start):
                return b""
            n = 600
            ms = np.sort(rng.integers(0, 3_600_000, n)).astype(">u4")
            bid = np.round(base_price * (1 + np.cumsum(rng.normal(0, 2e-5, n))) * scale)
            ask = bid + rng.integers(1, 12, n)
            records = np.zeros(n, dtype=TICK_RECORD)
            records["ms"], records["bid"], records["ask"] = ms, bid, ask
            records["bid_volume"] = rng.uniform(0.5, 3, n)
            records["ask_volume"] = rng.uniform(0.5, 3, n)
        else:
            step, count = {"BID_candles_min_1.bi5": (60, 1440),
                           "BID_candles_hour_1.bi5": (3600, start.days_in_month * 24),
                           "BID_candles_day_1.bi5": (86400, 366 if start.is_leap_year else 365)
                           }.get(name, (None, 0))
            if step is None:
                return None
            times = start + pd.to_timedelta(np.arange(count) * step, unit="s")
            closed = np.array([_closed(t) for t in times]) if step < 86400 else \
                np.asarray(times.day_of_week == 5)
            moves = np.where(closed, 0.0, rng.normal(0, 3e-4 * np.sqrt(step / 60), count))
            close = np.round(base_price * (1 + np.cumsum(moves)) * scale)
            open_ = np.r_[close[0], close[:-1]]
            wiggle = np.where(closed, 0, rng.integers(0, 8, count))
            records = np.zeros(count, dtype=CANDLE_RECORD)
            records["s"] = np.arange(count) * step
            records["open"], records["close"] = open_, close
            records["low"] = np.minimum(open_, close) - wiggle
            records["high"] = np.maximum(open_, close) + wiggle
            records["volume"] = np.where(closed, 0.0, rng.uniform(50, 500, count))
        return lzma.compress(records.tobytes(), format=lzma.FORMAT_ALONE)

    return files


def _closed(time: pd.Timestamp) -> bool:
    """The FX market is shut from Friday 21:00 to Sunday 21:00 UTC (approximately)."""
    day, hour = time.day_of_week, time.hour
    return day == 5 or (day == 4 and hour >= 21) or (day == 6 and hour < 21)
