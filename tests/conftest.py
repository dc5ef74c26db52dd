"""Shared test fixtures: where the real FX files are, and a skip when they are absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """Path of a real file in ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real FX data not available: {path} is absent (it is only beside CI's clone)")
    return path


def shared_vectors(name: str) -> dict:
    """The reference values ../shared/vectors/`name`, or skip the test with the reason."""
    path = SHARED_DATA.parent / "vectors" / name
    if not path.exists():
        pytest.skip(f"reference vectors not available: {path} is absent")
    return json.loads(path.read_text())


@pytest.fixture
def shared():
    """The `shared_file` function, as a fixture."""
    return shared_file


@pytest.fixture(autouse=True)
def _datafeed_stays_on_this_machine(monkeypatch):
    """A download that forgets its local server's URL fails at once, never reaching out: the
    default datafeed becomes the discard port of 127.0.0.1."""
    monkeypatch.setenv("FXJUDGE_DATAFEED_URL", "http://127.0.0.1:9/datafeed")


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fxjudge-cache")


@pytest.fixture(autouse=True)
def _cache_stays_in_the_test_session(monkeypatch, _session_cache):
    """The look-ahead checks passed are remembered in a folder of this test session, never in
    the user's ~/.cache/fxjudge."""
    monkeypatch.setenv("FXJUDGE_CACHE_DIR", str(_session_cache))
