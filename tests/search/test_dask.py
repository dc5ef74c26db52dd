"""Scale-out on Dask: a real `distributed.LocalCluster` of two worker processes, reached by its
tcp:// address or by a client, runs the same trials, to the last digit, as one local process
(the strategy travels by name, the bars in the context scattered to the workers)."""

from __future__ import annotations

import pandas as pd
import pytest

import fxjudge
from fxjudge.config import sample_path
from tests.conftest import REPO

distributed = pytest.importorskip("distributed", reason="dask[distributed] is a dependency")

SAMPLE = sample_path()
SPACE = {"fast_bars": [5, 8, 12], "slow_bars": [30, 50], "stop_loss_pips": [None, 25.0]}
SETTINGS = {"costs": {"spread_pips": 0.8}, "project": REPO, "start": "2017-02-01",
            "end": "2017-04-01"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as running:
        yield running


def test_a_two_process_cluster_gives_the_local_trials_to_the_last_digit(cluster):
    local = fxjudge.optimize(SAMPLE, "sma_cross", SPACE, n_jobs=1, **SETTINGS)
    remote = fxjudge.optimize(SAMPLE, "sma_cross", SPACE, scheduler=cluster.scheduler_address,
                              **SETTINGS)
    assert len(local.trials) == 12
    pd.testing.assert_frame_equal(local.trials.drop(columns="seconds"),
                                  remote.trials.drop(columns="seconds"), check_exact=True)
    pd.testing.assert_frame_equal(local.returns(), remote.returns(), check_exact=True)
    assert remote.best == local.best


def test_both_workers_ran_trials_of_the_one_search(cluster):
    with distributed.Client(cluster) as client:
        found = fxjudge.optimize(SAMPLE, "sma_cross", SPACE, scheduler=client,
                                 method="random", n_trials=6, seed=2, **SETTINGS)
        seen = client.run(lambda: sorted(__import__("fxjudge.search.trial",
                                                    fromlist=["_WORKERS"])._WORKERS))
        assert len(found.trials) == 6
        assert len(seen) == 2 and all(len(keys) == 1 for keys in seen.values())
        assert len({tuple(keys) for keys in seen.values()}) == 1  # the same search on both


def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    from fxjudge.search import executor

    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(fxjudge.ConfigError, match="cannot be reached"):
        fxjudge.optimize(SAMPLE, "sma_cross", SPACE, scheduler="tcp://127.0.0.1:9", **SETTINGS)
