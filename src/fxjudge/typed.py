"""Values checked against their annotations: one check and one grammar at every boundary.

Strategy `Params`, the run file's tables (`fxjudge.runconfig`) and the API's dicts of costs,
account and sizing all pass through `check_value`, so that ``spread_pips = "abc"``,
``leverage = "high"``, ``lots = [1, 2]``, ``balance = true`` or ``spread_pips = inf`` get the
same one line (`` `spread_pips` must be a finite number or None, was 'abc' ``) instead of a
traceback from deep inside. Booleans are never numbers; numbers must be finite.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import types
import typing
from typing import Any, Literal

import numpy as np

from fxjudge.errors import ConfigError, must


def check_value(name: str, value: Any, hint: Any) -> Any:
    """`value` as the annotation `hint` wants it, or a ConfigError in the house grammar."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                try:
                    return check_value(name, value, option)
                except ConfigError:
                    pass
        raise must(name, describe(hint), value)
    if origin is Literal:
        if any(value == choice and type(value) is type(choice) for choice in typing.get_args(hint)):
            return value
        raise must(name, describe(hint), value)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise must(name, describe(hint), value)
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return type(value)(check_value(name, v, item) for v in value)
    if hint is bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
    elif hint is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
            return int(value)
    elif hint is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_) \
                and math.isfinite(value):
            return float(value)
    elif hint in (Any, object) or not isinstance(hint, type):
        return value
    elif isinstance(value, hint):
        return value
    raise must(name, describe(hint), value)


def describe(hint: Any) -> str:
    """Words for an annotation: 'an int', 'a number or None', "one of 'tokyo', 'london'"."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        words = [describe(o) for o in options if o is not type(None)]
        return " or ".join(words + (["None"] if type(None) in options else []))
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(hint))
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return f"a list of {describe(item).removeprefix('a ').removeprefix('an ')}s"
    named = {int: "an int", float: "a finite number", bool: "true or false", str: "a string"}
    if hint in named:
        return named[hint]
    return f"a {getattr(hint, '__name__', hint)}"


def unknown_name(kind: str, name: str, known: list[str] | tuple[str, ...]) -> ConfigError:
    """The "unknown name; did you mean" error for `name` among `known`."""
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; known: {', '.join(known)}"
    return ConfigError(f"unknown {kind} `{name}`{hint}")


def checked_fields(cls: type, values: dict[str, Any], *, kind: str) -> dict[str, Any]:
    """`values` for building the dataclass `cls`: names known (did you mean) and types right."""
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    checked = {}
    for name, value in values.items():
        if name not in known:
            raise unknown_name(kind, name, known)
        checked[name] = check_value(name, value, hints.get(name, Any))
    return checked
