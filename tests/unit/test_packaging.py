"""A non-editable install carries `migrations/` and `assets/` inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_migrations_and_assets_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every file of the source tree's migrations/ and assets/ is in the wheel, under _data/.
    for top in ("migrations", "assets"):
        shipped = {f"streamdeck_tui/_data/{p.relative_to(ROOT)}" for p in (ROOT / top).rglob("*") if p.is_file()}
        assert shipped and shipped <= names, sorted(shipped - names)
    assert "streamdeck_tui/_data/assets/sim/tracks.json" in names

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import streamdeck_tui.runtime.resources as r\n"
        "from streamdeck_tui.simulator.catalogue import Catalogue, default_catalogue_path\n"
        "print(r.migrations_root() / '_runtime' / '0001_runtime.sql')\n"
        "print(r.migrations_root() / 'song_queue' / '0001_init.sql')\n"
        "print(r.assets_root() / 'app.tcss')\n"
        "print(default_catalogue_path())\n"
        "assert len(Catalogue.load()) >= 200\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    for line in out.stdout.split():
        path = Path(line)
        assert path.is_file() and str(site) in line, line
