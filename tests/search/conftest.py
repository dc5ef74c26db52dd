"""One `fxjudge optimize` run of the bundled sample (a grid over two parameters), shared by the
CLI, saved-file and browser tests of the search."""

from __future__ import annotations

import pytest

from fxjudge.cli import main
from fxjudge.config import sample_path

SAMPLE = sample_path()
GRID_ARGS = ["optimize", "--strategy", "sma_cross", "--data", str(SAMPLE), "--spread-pips",
             "0.8", "--range", "fast_bars=5:15:5", "--range", "slow_bars=20:40:10",
             "--range", "stop_loss_pips=none,30.0", "--constraint", "fast_bars * 2 < slow_bars",
             "--jobs", "1", "--from", "2017-01-01", "--to", "2017-05-01"]


@pytest.fixture(scope="session")
def search_project(tmp_path_factory):
    return tmp_path_factory.mktemp("search-project")  # the bundled strategies are found anyway


@pytest.fixture(scope="session")
def search_run(search_project):
    """The folder of the CLI's grid search over fast_bars, slow_bars and the stop."""
    before = set((search_project / "reports").glob("*")) if (
        search_project / "reports").exists() else set()
    assert main(["--project-dir", str(search_project), *GRID_ARGS]) == 0
    [folder] = [p for p in (search_project / "reports").iterdir()
                if p.is_dir() and p not in before]
    return folder
