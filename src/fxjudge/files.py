"""How fxjudge writes and opens files: atomically, under a lock, and only regular files.

- `write_atomic`: the bytes go to a uniquely named temporary file beside the target, which is
  then renamed over it. A reader sees the old file or the new one, never half of one; two
  writers never share a temporary file; a killed writer leaves at most a ``.NAME.*.tmp`` file,
  which `remove_stale_temporaries` clears (under the lock of its folder). The file gets the
  permissions the user's umask gives any new file (a bare `mkstemp` would give 0600).
- `locked`: an exclusive lock (`filelock`, one ``.lock`` file per guarded path) around a
  read-modify-write, so that two processes updating the same catalog series or run index land
  one after the other instead of one silently losing the other's work.
- `regular_file`: refuse a folder, a FIFO or a device before opening it (reading a FIFO blocks
  forever), and a path that cannot be read, in one line naming it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from fxjudge.errors import FxJudgeError

TEMPORARY_SUFFIX = ".tmp"
LOCK_SUFFIX = ".lock"
LOCK_TIMEOUT_SECONDS = 120.0


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write `data` to `path` through a unique temporary file and a rename; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def temporary_for(path: str | Path) -> Path:
    """A fresh, uniquely named temporary file beside `path` (for writers that need a path).

    The caller writes it and then calls `replace_into(temporary, path)`; it is created empty.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=TEMPORARY_SUFFIX)
    os.close(handle)
    return Path(temporary)


def replace_into(temporary: Path, path: Path) -> None:
    """Give `temporary` the umask's permissions and rename it over `path`."""
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, path)


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files a killed writer left in `folder`; return what was removed.

    Call it only while holding the folder's lock (`locked`), so that no live writer's temporary
    file is taken for a leftover.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = sorted(p for p in folder.glob(f".*{TEMPORARY_SUFFIX}") if p.is_file())
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def stale_temporaries(folder: str | Path) -> list[Path]:
    """The temporary files in `folder` (left by a killed writer, or being written right now)."""
    folder = Path(folder)
    return sorted(folder.glob(f".*{TEMPORARY_SUFFIX}")) if folder.is_dir() else []


@contextmanager
def locked(path: str | Path, *, what: str = "it") -> Iterator[None]:
    """Hold an exclusive lock on `path` (its ``.lock`` file) for the duration of the block.

    A second process waits for the first; after `LOCK_TIMEOUT_SECONDS` it gives up with one
    line saying who holds the lock.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = path.with_name(f".{path.name}{LOCK_SUFFIX}")
    try:
        with FileLock(lock_file, timeout=LOCK_TIMEOUT_SECONDS):
            yield
    except Timeout:
        raise FxJudgeError(f"{lock_file}: another fxjudge process has been updating {what} for "
                           f"{LOCK_TIMEOUT_SECONDS:.0f} s; wait for it to finish, or delete the "
                           "lock file if no fxjudge process is running") from None


def regular_file(path: str | Path, error: type[FxJudgeError], *, what: str = "file") -> Path:
    """`path` if it is a readable regular file; else `error` with one line naming it."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(f"{path}: no such {what}; check the path") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror}); check the path and its "
                    "permissions") from None
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is a folder, not a {what}; give the {what} inside it")
    if not stat.S_ISREG(mode):
        raise error(f"{path}: is not a regular file (a FIFO, socket or device); give a {what}")
    if not os.access(path, os.R_OK):
        raise error(f"{path}: cannot be read (permission denied); check its permissions")
    return path
