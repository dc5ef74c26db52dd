"""The package works wherever it is installed: a wheel built from the repository, installed into
a fresh venv, runs `fxjudge run` to the report in an empty folder.

Exactly what a user does after ``pip install fxjudge``, with one shortcut: the wheel goes in with
``--no-deps`` and the fresh venv sees the test venv's dependencies through a ``.pth`` file
(downloading hundreds of MB of numpy, pandas and scikit-learn again would prove nothing about
fxjudge). That ``.pth`` lists plain folders, so the test venv's own ``.pth`` files (the editable
install pointing at src/) are not processed: the test checks that the fxjudge imported is the
wheel's, inside the fresh venv. Building the wheel needs setuptools, which pip fetches into its
isolated build environment (from its cache after the first time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(*args, cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv holding the wheel built from the repository, and the environment to run it."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # what a clean clone builds from; no stale build/ of the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "-w", root / "dist",
         cwd=source)
    [wheel] = (root / "dist").glob("fxjudge-*.whl")

    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet",
         wheel, cwd=root)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=root).strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_fxjudge_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FXJUDGE_PROJECT_DIR", "VIRTUAL_ENV")}
    return env_dir, env


def test_the_wheel_holds_the_package_data_and_is_the_fxjudge_imported(installed, tmp_path):
    env_dir, env = installed
    probe = ("import fxjudge, fxjudge.config as c, fxjudge.signals.loader as l; "
             "print(fxjudge.__file__); print(c.sample_path()); "
             "print(','.join(i.name for i in l.list_strategies()))")
    file, sample, names = _run(env_dir / "bin" / "python", "-c", probe, cwd=tmp_path,
                               env=env).split()
    assert Path(file).is_relative_to(env_dir), file
    assert Path(sample).is_relative_to(env_dir) and Path(sample).stat().st_size > 400_000
    assert (Path(sample).parent / "LICENSE-gym-anytrading.txt").exists()
    assert "bollinger_reversion" in names.split(",") and "sma_cross" in names.split(",")
    _run(env_dir / "bin" / "fxjudge", "init", "fx", cwd=tmp_path, env=env)
    for name in ("run.toml", "README.md", "strategies/my_strategy.py",
                 "data/sample/EURUSD_H1_2017_ASK.csv"):
        assert (tmp_path / "fx" / name).is_file(), name


def test_fxjudge_run_in_an_empty_folder_writes_the_report(installed, tmp_path):
    env_dir, env = installed
    folder = tmp_path / "anywhere"
    folder.mkdir()
    out = _run(env_dir / "bin" / "fxjudge", "run", cwd=folder, env=env)
    [report] = (folder / "reports").glob("*/report.html")
    assert report.stat().st_size > 100_000 and (folder / "reports" / "index.html").exists()
    assert "bundled with fxjudge" in out and "Not enough evidence" in out
    assert sorted(p.name for p in folder.iterdir()) == ["reports"]  # nothing else written
