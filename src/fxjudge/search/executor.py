"""Where trials run: in this process, in joblib's loky processes, or on a Dask cluster.

Every executor calls the same `fxjudge.search.trial.run_batch` on the same batches and hands
the results back **in batch order**, so that the trials table is the same, row for row and
digit for digit, whichever ran it.

- ``n_jobs=1`` and no scheduler: in this process (no pickling at all);
- no scheduler: joblib's loky backend with `n_jobs` processes (-1: every core); the bars are a
  memory-mapped file the workers map once, not pickled per trial; batches are dispatched as
  results come back (``pre_dispatch``), so the queue never holds the whole search;
- ``scheduler="dask"``: a `distributed.LocalCluster` of `n_jobs` single-threaded worker
  processes, started for the search and closed after it; ``"tcp://HOST:8786"`` (or a
  `distributed.Client`): a running cluster. The context, bars included, is scattered once to
  every worker (``broadcast=True``); each batch is a `client.submit`, at most `WINDOW` per
  worker in flight, collected with `as_completed`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from fxjudge.errors import ConfigError
from fxjudge.search.trial import Context, Outcome, run_batch

#: batches in flight per worker (enough to keep it busy while results travel back)
WINDOW = 2
#: how long to wait for a running cluster's scheduler to answer
CONNECT_TIMEOUT = "10s"


def workers(n_jobs: int | None) -> int:
    """How many processes `n_jobs` means (joblib's convention: -1 every core, -2 all but one)."""
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        return 1
    return max(1, n_jobs if n_jobs > 0 else cores + 1 + n_jobs)


def run(batches: Iterable[list], context: Context, *, n_jobs: int, scheduler=None,
        ) -> Iterator[list[Outcome]]:
    """The results of `batches`, in order, from the executor chosen (see the module doc)."""
    if scheduler is None:
        count = workers(n_jobs)
        if count == 1:
            for batch in batches:
                yield run_batch(context, batch)
            return
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=count, backend="loky", return_as="generator",
                            pre_dispatch=f"{WINDOW}*n_jobs", max_nbytes=None)
        yield from parallel(delayed(run_batch)(context, batch) for batch in batches)
        return
    with _client(scheduler, n_jobs) as client:
        yield from _on_dask(client, batches, context)


def _on_dask(client, batches: Iterable[list], context: Context) -> Iterator[list[Outcome]]:
    from distributed import as_completed

    shared = client.scatter(context, broadcast=True)
    size = max(1, len(client.nthreads()))
    pending = iter(enumerate(batches))
    done: dict[int, list[Outcome]] = {}
    flying = as_completed()
    order = {}

    def submit() -> bool:
        try:
            number, batch = next(pending)
        except StopIteration:
            return False
        future = client.submit(run_batch, shared, batch, pure=False)
        order[future.key] = number
        flying.add(future)
        return True

    for _ in range(WINDOW * size):
        if not submit():
            break
    following = 0
    for future in flying:
        done[order.pop(future.key)] = future.result()
        future.release()
        submit()
        while following in done:
            yield done.pop(following)
            following += 1


@contextmanager
def _client(scheduler, n_jobs: int):
    """A Dask client for `scheduler`: its own `LocalCluster` for ``"dask"``, else the cluster
    at the address (or the client given). Only what it started is closed at the end."""
    import distributed

    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler == "dask":
        cluster = distributed.LocalCluster(n_workers=workers(n_jobs), threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           silence_logs=logging.WARNING)
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    if isinstance(scheduler, str) and scheduler.startswith(("tcp://", "tls://", "ws://")):
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except OSError as error:
            raise ConfigError(f"`scheduler` {scheduler!r} cannot be reached ({error}); start "
                              "it with `dask scheduler` and workers with `dask worker "
                              f"{scheduler}`") from None
        try:
            yield client
        finally:
            client.close()
        return
    raise ConfigError(f"`scheduler` must be None, 'dask', an address like 'tcp://HOST:8786' "
                      f"or a distributed.Client, was {scheduler!r}")
