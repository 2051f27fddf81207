"""Where the shipped data folders are: inside the wheel, or beside the package in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """Return the `migrations` or `assets` folder for this installation."""
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name


def migrations_root() -> Path:
    """The folder holding one sub-folder of numbered `.sql` files per component."""
    return data_path("migrations")


def assets_root() -> Path:
    """The folder holding styles, overlay pages and demo data."""
    return data_path("assets")
