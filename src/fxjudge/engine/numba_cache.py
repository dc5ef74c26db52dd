"""Where numba keeps the compiled engine's machine code between runs (``@njit(cache=True)``).

numba caches a kernel beside its source, in ``engine/__pycache__``, when that folder can be
written. An install that cannot (a read-only site-packages, a container image, a shared
network drive) would compile the kernels again in every process, or fail to import them when
numba's own fallback folder cannot be written either ("cannot cache function ...: no locator
available"). `configure`, called by `compiled` before it imports numba, leaves numba alone when
the user set ``NUMBA_CACHE_DIR`` or the package folder is writable, and otherwise points
``NUMBA_CACHE_DIR`` at ``$XDG_CACHE_HOME/fxjudge/numba`` (``~/.cache/fxjudge/numba`` when
``XDG_CACHE_HOME`` is unset), or at a folder in the temporary directory when that fails too.

This module does not import numba: importing it costs nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def cache_dir(package_dir: Path, environ: Mapping[str, str]) -> Path | None:
    """The folder to give numba as ``NUMBA_CACHE_DIR``, or None to leave numba's own choice.

    None when `environ` already sets ``NUMBA_CACHE_DIR`` or numba can cache in
    ``package_dir/__pycache__``; else the first writable of the user cache folder and a
    per-user folder in the temporary directory (None if neither is).
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    if _writable(package_dir / "__pycache__"):
        return None
    for folder in _user_folders(environ):
        if _writable(folder):
            return folder
    return None


def configure() -> None:
    """Set ``NUMBA_CACHE_DIR`` when the package folder cannot hold numba's cache (see above)."""
    folder = cache_dir(PACKAGE_DIR, os.environ)
    if folder is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # imported before us: its config has read the environment
        sys.modules["numba"].config.CACHE_DIR = str(folder)


def _user_folders(environ: Mapping[str, str]) -> list[Path]:
    """The user cache folder (XDG base directory rules), then one in the temporary directory."""
    folders = []
    xdg = environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec ignores relative paths
        folders.append(Path(xdg) / "fxjudge" / "numba")
    else:
        try:
            folders.append(Path.home() / ".cache" / "fxjudge" / "numba")
        except RuntimeError:  # no home directory can be determined
            pass
    user = os.getuid() if hasattr(os, "getuid") else environ.get("USERNAME", "user")
    folders.append(Path(tempfile.gettempdir()) / f"fxjudge-numba-{user}")
    return folders


def _writable(folder: Path) -> bool:
    """True when `folder` exists or can be made, and a file can be written in it (as numba
    checks it)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True
