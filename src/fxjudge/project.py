"""`fxjudge init`: a new project folder, as freqtrade's ``create-userdir`` makes one.

The folder gets what the commands look for (`fxjudge.config`): ``strategies/`` with a commented
template strategy, ``data/`` with a copy of the bundled sample (its licence and README beside
it, so the README's examples and ``run.toml`` work at once), ``reports/``, a ``run.toml``
listing every key of a run file with its unit, and a short README. The files come from the
package (``fxjudge/project_template/`` and ``fxjudge/sample/``).

Nothing the user has is overwritten: when any of these files exists, nothing is written and
the error names them; each file is created exclusively, so one written by another process
meanwhile is not replaced either. Existing folders are fine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fxjudge.config import sample_path
from fxjudge.errors import ConfigError

TEMPLATE = Path(__file__).resolve().parent / "project_template"
FOLDERS = ("strategies", "data", "reports")
STRATEGY_FILE = "my_strategy.py"


def project_files(folder: Path) -> list[tuple[Path, Path]]:
    """(packaged file, where it goes) for every file `init_project` writes into `folder`."""
    sample = sample_path().parent
    return [
        (TEMPLATE / "README.md", folder / "README.md"),
        (TEMPLATE / "run.toml", folder / "run.toml"),
        (TEMPLATE / STRATEGY_FILE, folder / "strategies" / STRATEGY_FILE),
        *[(sample / name, folder / "data" / "sample" / name)
          for name in sorted(p.name for p in sample.iterdir() if p.is_file())],
    ]


def init_project(folder: str | Path) -> list[Path]:
    """Create the project in `folder` (made if missing); return the files written."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"`DIR` {str(folder)!r} is a file; give a folder for the project")
    files = project_files(folder)
    there = [target for _, target in files if target.exists() or target.is_symlink()]
    if there:
        names = ", ".join(str(p.relative_to(folder)) for p in there)
        raise ConfigError(f"{folder}: already has {names}; nothing was written (init never "
                          "overwrites a file): choose a new folder, or move those files away")
    for name in FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
    written = []
    for source, target in files:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with source.open("rb") as src, target.open("xb") as out:
                shutil.copyfileobj(src, out)
        except FileExistsError:
            raise ConfigError(f"{target}: was created while init ran; it was left as it is, "
                              f"and {len(written)} files were written before it") from None
        written.append(target)
    return written
