"""Shared fixtures: real SQLite files in tmp_path, a fake clock, isolated config and keyring."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamdeck_tui.runtime import FakeClock
from tests.support.counter import make_migrations


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's real config, data dir or log dir."""
    for var in list(os.environ):
        if var.startswith("STREAMDECK_"):
            monkeypatch.delenv(var)
    for xdg in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(xdg, str(tmp_path / "xdg" / xdg.lower()))


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """Tests that configure the app's file logging must not hide later tests' logs from caplog."""
    yield
    logger = logging.getLogger("streamdeck_tui")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says so."""
    return FakeClock()


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    """Runtime migrations plus the test components' own."""
    return make_migrations(tmp_path / "migrations")
