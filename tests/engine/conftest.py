"""Every engine test runs on both implementations of the rules: compiled and backtrader."""

from __future__ import annotations

import pytest

from fxjudge.engine import simulate
from fxjudge.engine.engine import ENGINES


@pytest.fixture(params=ENGINES, autouse=True)
def engine(request, monkeypatch) -> str:
    """The engine this test runs on: made `simulate`'s default for the test's duration, so that
    every way into the engine (`scenario.run`, `simulate`, `fxjudge.backtest`) uses it."""
    monkeypatch.setitem(simulate.__kwdefaults__, "engine", request.param)
    return request.param
