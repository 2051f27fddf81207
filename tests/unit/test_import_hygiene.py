"""The core never loads Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import streamdeck_tui

CORE = ["runtime", "components", "workflows", "twitch", "spotify", "simulator"]


def _modules(package: str) -> list[str]:
    pkg = __import__(f"streamdeck_tui.{package}", fromlist=["_"])
    names = [pkg.__name__]
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}.")]
    return names


@pytest.mark.parametrize("package", CORE)
def test_core_package_does_not_load_textual(package: str) -> None:
    modules = _modules(package)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} loads {out.stdout.strip()}"


def test_the_ui_does_load_textual() -> None:
    """Proves the probe above can see Textual when it is there."""
    code = "import sys, streamdeck_tui.ui.app\nprint('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_package_init_is_light() -> None:
    assert streamdeck_tui.__version__
