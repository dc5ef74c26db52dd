"""Find strategies by name: the ones bundled with fxjudge, and the project's own `strategies/`.

A name is a module's stem, ``sma_cross`` (its single Strategy subclass), or ``stem:Class``
(``sma_cross:SmaCross``) when a file defines several. Names are looked up in two places:

- the strategies bundled with fxjudge, the modules of the package `fxjudge.strategies`, found
  from any directory wherever fxjudge is installed;
- the project's `strategies/` folder (config.strategies_dir), which adds strategies and
  overrides a bundled one of the same name: the project's file is the one that runs, and
  `StrategyInfo.origin` / the run's ``[strategy] file`` say so.

A Strategy class or instance is accepted as it is, so that notebooks can pass their own. Files
whose name starts with ``_`` are helpers, not strategies. A project file is imported again only
when it changed (size or modification time), so an edited strategy is picked up by the next
load in the same notebook.

Bundled strategies are ordinary modules (``fxjudge.strategies.sma_cross``). Project files are
modules named ``fxjudge_strategy_<hash>_<stem>``, registered in `sys.modules` (dataclasses and
annotations need that); they cannot be imported by that name elsewhere, so another process (a
parallel sweep) should load strategies by name, not receive them pickled.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from fxjudge.config import strategies_dir
from fxjudge.errors import StrategyError, must
from fxjudge.signals.strategy import Strategy

StrategySpec = str | type[Strategy] | Strategy
BUNDLED_PACKAGE = "fxjudge.strategies"
#: Where a strategy came from, as `StrategyInfo.origin` and the run's ``[strategy] origin``.
BUNDLED, PROJECT, OVERRIDE, GIVEN = "bundled", "project", "project (overrides bundled)", "given"

_LOADED: dict[Path, tuple[tuple[int, int], ModuleType]] = {}


class StrategyInfo(NamedTuple):
    """One strategy found by name: its name, class, summary line, default params, and where
    it came from (`origin`: bundled, project, or project overriding a bundled one; `path`)."""

    name: str
    cls: type[Strategy]
    summary: str
    params: dict[str, Any]
    origin: str
    path: Path


class _File(NamedTuple):
    """A strategy file found by stem: its path and origin."""

    path: Path
    origin: str


def bundled_dir() -> Path:
    """The folder of the bundled strategies (inside the installed fxjudge package)."""
    return Path(importlib.import_module(BUNDLED_PACKAGE).__file__).parent


def strategy_class(spec: StrategySpec, project: str | Path | None = None) -> type[Strategy]:
    """The Strategy class of `spec`: ``sma_cross``, ``sma_cross:SmaCross``, a class, an instance."""
    if isinstance(spec, Strategy):
        return type(spec)
    if isinstance(spec, type) and issubclass(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise must("strategy", "a name like 'sma_cross', a Strategy class or instance", spec)
    stem, _, class_name = spec.strip().partition(":")
    files = _available(project)
    if stem not in files:
        folder = strategies_dir(project)
        raise StrategyError(f"no strategy named {stem!r} (bundled with fxjudge or in {folder}); "
                            f"there are: {', '.join(files)}")
    path = files[stem].path
    found = _strategies_in(stem, files[stem])
    if class_name:
        if class_name not in found:
            there = ", ".join(found) or "no Strategy subclass"
            raise StrategyError(f"{path} has no strategy class {class_name!r}; it defines {there}")
        return found[class_name]
    if len(found) != 1:
        if not found:
            raise StrategyError(f"{path} defines no Strategy subclass")
        choices = ", ".join(f"'{stem}:{name}'" for name in found)
        raise StrategyError(f"{path} defines several strategies; name one of {choices}")
    return next(iter(found.values()))


def strategy_origin(spec: StrategySpec, project: str | Path | None = None) -> dict[str, str]:
    """Which file a strategy spec runs: ``{"origin": ..., "file": ...}`` for the run's config.

    `origin` is bundled, project, project (overrides bundled), or given (a class or instance
    passed in; its file when it has one, as in a notebook it has none).
    """
    if isinstance(spec, str):
        found = _available(project).get(spec.strip().partition(":")[0])
        if found is not None:
            return {"origin": found.origin, "file": str(found.path)}
    cls = strategy_class(spec, project)
    try:
        file = inspect.getsourcefile(cls) or ""
    except TypeError:  # defined in a notebook or the interpreter
        file = ""
    return {"origin": GIVEN, "file": file}


def load_strategy(
    spec: StrategySpec,
    params: dict[str, Any] | None = None,
    *,
    project: str | Path | None = None,
) -> Strategy:
    """A ready Strategy: `spec` (see `strategy_class`) made with `params` over its defaults.

    An instance keeps its parameters, with `params` applied on top.
    """
    cls = strategy_class(spec, project)
    if isinstance(spec, Strategy):
        return cls(params=spec.params, **(params or {}))
    return cls(params=params)


def list_strategies(project: str | Path | None = None) -> list[StrategyInfo]:
    """Every strategy found by name: the bundled ones and the project's, by name."""
    found = []
    for stem, file in _available(project).items():
        classes = _strategies_in(stem, file)
        for class_name, cls in classes.items():
            name = stem if len(classes) == 1 else f"{stem}:{class_name}"
            doc = inspect.getdoc(cls) or ""
            summary = doc.strip().splitlines()[0] if doc.strip() else ""
            found.append(StrategyInfo(name, cls, summary, cls.param_defaults(), file.origin,
                                      file.path))
    return found


def _stems(folder: Path) -> dict[str, Path]:
    """The strategy files in `folder` by stem (helpers starting with ``_`` left out)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in folder.glob("*.py") if not p.name.startswith("_")}


def _available(project: str | Path | None) -> dict[str, _File]:
    """Every strategy file by stem, sorted: bundled ones, then the project's over them."""
    files = {stem: _File(path, BUNDLED) for stem, path in _stems(bundled_dir()).items()}
    for stem, path in _stems(strategies_dir(project)).items():
        files[stem] = _File(path, OVERRIDE if stem in files else PROJECT)
    return dict(sorted(files.items()))


def _strategies_in(stem: str, file: _File) -> dict[str, type[Strategy]]:
    """The concrete Strategy subclasses defined (not imported) in one strategy file."""
    if file.origin == BUNDLED:
        module = importlib.import_module(f"{BUNDLED_PACKAGE}.{stem}")
    else:
        module = _import(file.path)
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, Strategy)
        and value.__module__ == module.__name__
        and not inspect.isabstract(value)
    }


def _import(path: Path) -> ModuleType:
    """Import the file at `path` (again only if it changed); StrategyError if it fails."""
    path = path.resolve()
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    cached = _LOADED.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    digest = hashlib.sha1(str(path.parent).encode()).hexdigest()[:8]
    module_name = f"fxjudge_strategy_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        message = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
        raise StrategyError(f"{path}: cannot import the strategy file: {detail}") from exc
    _LOADED[path] = (stamp, module)
    return module
