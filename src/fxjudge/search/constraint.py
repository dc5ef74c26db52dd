"""Constraints on a search's parameters: a Python callable, or an expression in text.

A constraint says which combinations are worth running (``fast_bars < slow_bars``); those it
rejects are skipped and counted, never errors. The text form, for the command line and the run
file, is a small expression language read with `ast` and evaluated without `eval`: parameter
names, numbers, strings, True/False/None, arithmetic (+ - * / // % **), comparisons (chains
too), ``and``, ``or``, ``not`` and parentheses. Nothing else is accepted, so a run file cannot
run code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fxjudge.errors import ConfigError
from fxjudge.typed import unknown_name

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne,
            ast.Is: operator.is_, ast.IsNot: operator.is_not}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


@dataclass(frozen=True)
class Expression:
    """A constraint written as text: callable with the parameters, as a lambda would be."""

    text: str

    def __post_init__(self) -> None:
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as error:
            raise ConfigError(f"`constraint` {self.text!r} is not an expression ({error.msg}); "
                              "write e.g. 'fast_bars < slow_bars'") from None
        for node in ast.walk(tree):
            allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp,
                       ast.Compare, ast.Name, ast.Load, ast.Constant, *_BINARY, *_COMPARE,
                       *_UNARY)
            if not isinstance(node, allowed):
                raise ConfigError(f"`constraint` {self.text!r} may use parameter names, "
                                  "numbers, arithmetic, comparisons, and/or/not only; "
                                  f"{type(node).__name__} is not allowed")

    def __call__(self, params: dict[str, Any]) -> bool:
        """True when `params` (name -> value) satisfy the expression."""
        return bool(_evaluate(ast.parse(self.text, mode="eval").body, params))


def _evaluate(node: ast.AST, params: dict[str, Any]):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id not in params:
            raise unknown_name("parameter in `constraint`", node.id, sorted(params))
        return params[node.id]
    if isinstance(node, ast.BoolOp):
        values = (_evaluate(v, params) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, params))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, params),
                                      _evaluate(node.right, params))
    left = _evaluate(node.left, params)
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = _evaluate(comparator, params)
        if not _COMPARE[type(op)](left, right):
            return False
        left = right
    return True


def constraint_of(value) -> Callable[[dict[str, Any]], bool] | None:
    """A callable from what the user gave: None, a callable, or an expression in text."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        return Expression(value)
    raise ConfigError(f"`constraint` must be a callable of the parameters or an expression "
                      f"like 'fast_bars < slow_bars', was {value!r}")
