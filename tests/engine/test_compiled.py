"""The compiled engine's own pieces: its kernels against the numpy code they mirror, the engine
switch, progress, where numba caches, and that importing fxjudge loads neither engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxjudge.data.synthetic import synthetic_bars
from fxjudge.engine import Account, Costs, Sizing, simulate
from fxjudge.engine.kernels import bar_exit_nb, pairwise_sum_nb
from fxjudge.engine.numba_cache import _user_folders, cache_dir
from fxjudge.errors import ConfigError
from fxjudge.signals.barriers import bar_exits
from fxjudge.signals.exits import ExitRules
from tests.engine import parity
from tests.engine.scenario import bars, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine():
    """Most tests here test one engine's pieces (overrides the per-engine fixture)."""


def test_pairwise_sum_is_numpy_sum_to_the_last_bit():
    # values of many magnitudes, so that any other order of the additions rounds differently
    rng = np.random.default_rng(0)
    for n in [*range(300), 1_000, 8_191, 8_192, 20_001, 100_003]:
        values = rng.standard_normal(n + 5) * 10.0 ** rng.integers(-8, 8, n + 5)
        assert pairwise_sum_nb(values, 5, n + 5) == float(np.sum(values[5:])), n


def test_one_bar_exit_kernel_is_the_vectorised_bar_exits():
    # random bars, levels on both sides of the price, ties and NaN levels, long and short
    rng = np.random.default_rng(1)
    size = 20_000
    open_ = np.round(1.1 + rng.normal(0, 0.002, size), 4)
    high = open_ + np.round(np.abs(rng.normal(0, 0.001, size)), 4)
    low = open_ - np.round(np.abs(rng.normal(0, 0.001, size)), 4)
    spread = rng.choice([0.0, 0.0001, 0.0003], size)
    side = rng.choice([-1, 1], size)

    def level():
        values = np.round(1.1 + rng.normal(0, 0.002, size), 4)
        return np.where(rng.random(size) < 0.2, np.nan, values)

    stop, target, out = level(), level(), level()
    codes, prices, ambiguous = bar_exits(side, open_, high, low, spread, stop, target, out)
    for i in range(size):
        got = bar_exit_nb(side[i], open_[i], high[i], low[i], spread[i], stop[i], target[i],
                           out[i])
        expected = (int(codes[i]), float(prices[i]), bool(ambiguous[i]))
        assert got[0] == expected[0] and (got[0] == 0 or got[1:] == expected[1:]), (i, got)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ConfigError, match="`engine` must be 'compiled' or 'backtrader', was 'vbt'"):
        run(bars(), [1, 0, -1, 0, 0], engine="vbt")


@pytest.mark.parametrize("name", ["compiled", "backtrader"])
def test_progress_is_reported_about_every_percent_of_the_bars(name):
    data = synthetic_bars("EURUSD", n_bars=1_000, seed=2)
    calls = []
    simulate(data, pd.Series(0.0, index=data.index), pair="EURUSD", rules=ExitRules(),
             costs=Costs(), account=Account(currency="USD", balance=1e4),
             sizing=Sizing(units=1), progress=lambda done, total: calls.append((done, total)),
             engine=name)
    done = [bars_done for bars_done, _ in calls]
    assert calls[-1] == (1_000, 1_000) and {total for _, total in calls} == {1_000}
    assert len(calls) >= 100 and done == sorted(done)


def test_the_compiled_loop_resumes_exactly_where_it_stopped():
    # with a progress callback the kernel runs on 1 % of the bars at a time: same result
    arguments = parity.build(parity.Scenario(
        n_bars=400, signals="always", density=0.1, stop=("pips", 10.0), max_bars=30,
        on_opposite="reverse", swap_long_pips=-3.0, swap_short_pips=2.0, balance_margins=2.0,
        leverage=500.0, currency="JPY", conversion="fixed",
    ))
    whole = simulate(**arguments, engine="compiled")
    pieces = simulate(**arguments, engine="compiled", progress=lambda done, total: None)
    assert len(whole.trades) > 10
    pd.testing.assert_frame_equal(pieces.trades, whole.trades, check_exact=True)
    pd.testing.assert_frame_equal(pieces.equity, whole.equity, check_exact=True)


def test_numba_caches_in_the_package_when_it_can(tmp_path):
    assert cache_dir(tmp_path, {}) is None
    assert cache_dir(tmp_path, {"NUMBA_CACHE_DIR": "/elsewhere"}) is None


def test_a_read_only_package_caches_in_the_user_cache_folder(tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "__pycache__").write_text("")  # a file: no folder can be made there, even by root
    cache = tmp_path / "cache"
    assert cache_dir(package, {"XDG_CACHE_HOME": str(cache)}) == cache / "fxjudge" / "numba"
    # an unusable XDG_CACHE_HOME (relative, or not writable) falls back further
    (tmp_path / "blocked").write_text("")
    fallback = cache_dir(package, {"XDG_CACHE_HOME": str(tmp_path / "blocked")})
    assert fallback is not None and fallback.name.startswith("fxjudge-numba-")
    # XDG_CACHE_HOME unset or relative (the XDG spec ignores those): ~/.cache
    home = Path.home() / ".cache" / "fxjudge" / "numba"
    assert _user_folders({})[0] == _user_folders({"XDG_CACHE_HOME": "relative"})[0] == home


def _python(code: str, env: dict[str, str], cwd: Path = REPO) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_numba_caches_outside_an_unwritable_install(tmp_path):
    # the package copied to a folder where numba cannot write its cache beside the kernels
    copy = tmp_path / "site"
    shutil.copytree(REPO / "src" / "fxjudge", copy / "fxjudge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "fxjudge" / "engine" / "__pycache__").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(copy), XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = _python(
        "import os, numpy as np, fxjudge.engine.kernels as c\n"
        "print(c.__file__)\n"
        "print(os.environ['NUMBA_CACHE_DIR'])\n"
        "print(c.pairwise_sum_nb(np.ones(3), 0, 3))\n",
        env, cwd=tmp_path,
    ).splitlines()
    folder = tmp_path / "cache" / "fxjudge" / "numba"
    assert out == [str(copy / "fxjudge" / "engine" / "kernels.py"), str(folder), "3.0"]
    assert list(folder.rglob("kernels.pairwise_sum_nb-*.nbi"))  # the index numba wrote


def test_importing_fxjudge_and_its_help_do_not_load_numba():
    code = (
        "import sys\n"
        "import fxjudge\n"
        "from fxjudge.cli import main\n"
        "main(['--help'])\n"
        "print('numba' in sys.modules, 'backtrader' in sys.modules)\n"
    )
    assert _python(code, dict(os.environ)).splitlines()[-1] == "False False"
