"""Where a project's folders are: the project directory and what lies under it.

The project directory is the current directory, unless `--project-dir` or the environment
variable ``FXJUDGE_PROJECT_DIR`` names another. `strategies/`, `data/` and `reports/` are found
relative to it.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

ENV_PROJECT_DIR = "FXJUDGE_PROJECT_DIR"
ENV_CACHE_DIR = "FXJUDGE_CACHE_DIR"


def project_dir(override: str | Path | None = None) -> Path:
    """The project directory: `override`, else ``$FXJUDGE_PROJECT_DIR``, else the current one."""
    chosen = override or os.environ.get(ENV_PROJECT_DIR) or Path.cwd()
    return Path(chosen).expanduser().resolve()


def cache_dir() -> Path:
    """Where fxjudge keeps what it can recompute (the look-ahead checks passed): the folder
    ``$FXJUDGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/fxjudge``, else ``~/.cache/fxjudge``."""
    chosen = os.environ.get(ENV_CACHE_DIR)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec ignores relative paths
        return Path(xdg) / "fxjudge"
    return Path.home() / ".cache" / "fxjudge"


def data_dir(project: str | Path | None = None) -> Path:
    """The project's `data/` folder (the sample's copy, the catalog, the datafeed cache)."""
    return project_dir(project) / "data"


def catalog_dir(project: str | Path | None = None) -> Path:
    """Where imported data is kept as Parquet: `data/catalog/<PAIR>/<TIMEFRAME>.parquet`."""
    return data_dir(project) / "catalog"


def reports_dir(project: str | Path | None = None) -> Path:
    """Where runs are written: `reports/<run-id>/`."""
    return project_dir(project) / "reports"


def project_path(path: str | Path | None, project: str | Path | None = None) -> str | None:
    """`path` as the CLI reads a run's data source: a relative path that exists under the
    project directory is taken from there (so a run file's ``source = "data/..."`` means the
    project's data with `--project-dir` too); anything else is kept as given (a path from the
    current directory, or a catalog pair such as ``EURUSD``)."""
    if path is None:
        return None
    inside = project_dir(project) / path
    return str(inside) if not Path(path).is_absolute() and inside.exists() else str(path)


def strategies_dir(project: str | Path | None = None) -> Path:
    """Where strategies are loaded from by name."""
    return project_dir(project) / "strategies"


SAMPLE_NAME = "EURUSD_H1_2017_ASK.csv"


def sample_path() -> Path:
    """The bundled sample: Dukascopy EURUSD H1 ask prices of 2017, shipped inside the package
    (``fxjudge/sample/``, with its licence and a README saying where it comes from), so that
    it is found wherever fxjudge is installed. `fxjudge init` copies it into a new project's
    ``data/sample/``."""
    return Path(__file__).resolve().parent / "sample" / SAMPLE_NAME


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Python's and the installed versions of `names` ("not installed" where absent)."""
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
