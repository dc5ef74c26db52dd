"""Find strategies by name in the project's `strategies/` folder (config.strategies_dir).

A name is a file's stem, ``sma_cross`` (the file's single Strategy subclass), or ``stem:Class``
(``sma_cross:SmaCross``) when a file defines several. A Strategy class or instance is accepted
as it is, so that notebooks can pass their own. Files whose name starts with ``_`` are helpers,
not strategies. A file is imported again only when it changed (size or modification time), so an
edited strategy is picked up by the next load in the same notebook.

Loaded files are modules named ``fxjudge_strategy_<hash>_<stem>``, registered in `sys.modules`
(dataclasses and annotations need that); they cannot be imported by that name elsewhere, so
another process (a parallel sweep) should load strategies by name, not receive them pickled.
"""

from __future__ import annotations

import hashlib
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

_LOADED: dict[Path, tuple[tuple[int, int], ModuleType]] = {}


class StrategyInfo(NamedTuple):
    """One strategy found in the project: its name, class, summary line and default params."""

    name: str
    cls: type[Strategy]
    summary: str
    params: dict[str, Any]


def strategy_class(spec: StrategySpec, project: str | Path | None = None) -> type[Strategy]:
    """The Strategy class of `spec`: ``sma_cross``, ``sma_cross:SmaCross``, a class, an instance."""
    if isinstance(spec, Strategy):
        return type(spec)
    if isinstance(spec, type) and issubclass(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise must("strategy", "a name like 'sma_cross', a Strategy class or instance", spec)
    stem, _, class_name = spec.strip().partition(":")
    folder = strategies_dir(project)
    names = _available(folder)
    if stem not in names:
        there = ", ".join(names) if names else f"none (the folder {folder} has no strategy files)"
        raise StrategyError(f"no strategy named {stem!r} in {folder}; there are: {there}")
    path = folder / f"{stem}.py"
    found = _strategies_in(path)
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
    """Every strategy in the project's `strategies/` folder, by name."""
    folder = strategies_dir(project)
    found = []
    for stem in _available(folder):
        classes = _strategies_in(folder / f"{stem}.py")
        for class_name, cls in classes.items():
            name = stem if len(classes) == 1 else f"{stem}:{class_name}"
            doc = inspect.getdoc(cls) or ""
            summary = doc.strip().splitlines()[0] if doc.strip() else ""
            found.append(StrategyInfo(name, cls, summary, cls.param_defaults()))
    return found


def _available(folder: Path) -> list[str]:
    """The stems of the strategy files in `folder`, sorted."""
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))


def _strategies_in(path: Path) -> dict[str, type[Strategy]]:
    """The concrete Strategy subclasses defined (not imported) in the file at `path`."""
    module = _import(path)
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
