"""`--demo` as a user runs it: headless to stdout, and the console in tmux at 160x48."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_headless_demo_logs_events_to_stdout_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamdeck_tui", "--demo", "--headless", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "STREAMDECK_LOG_DIR": str(tmp_path / "log")},
    )
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        seen.append(line)
        if sum(1 for s in seen if s.startswith("chat ")) >= 3 or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=20)
    output = "".join(seen) + rest
    assert proc.returncode == 0, output
    assert sum(1 for s in seen if s.startswith("chat ")) >= 3, output
    assert "event stream_online" in output
    assert "Traceback" not in output
    # The demo wrote only where it was told to.
    assert (tmp_path / "d" / "stream_lifecycle.sqlite3").exists()


@pytest.mark.slow
def test_demo_without_a_data_dir_leaves_the_real_dirs_untouched(tmp_path: Path) -> None:
    """Config, data, state (logs) and cache dirs stay empty, and the throw-away data dir goes at the end."""
    home = tmp_path / "home"
    xdg = {name: home / name.lower() for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")}
    xdg["XDG_CACHE_HOME"] = home / "cache"
    for path in xdg.values():
        path.mkdir(parents=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMDECK_")}
    env.update({"HOME": str(home), "TMPDIR": str(scratch), **{k: str(v) for k, v in xdg.items()}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamdeck_tui", "--demo", "--headless"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("chat "):
            break
    during = [p.name for p in scratch.iterdir()]
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, "".join(seen) + rest
    assert any(name.startswith("streamdeck-demo-") for name in during), during  # it did use a throw-away dir
    leftovers = {name: sorted(str(p.relative_to(path)) for p in path.rglob("*")) for name, path in xdg.items()}
    assert leftovers == {name: [] for name in xdg}
    assert not any(p.name.startswith("streamdeck-demo-") for p in scratch.iterdir())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_demo_in_tmux_shows_live_viewers_chat_and_quits_with_zero() -> None:
    exe = Path(sys.executable).parent / "streamdeck-tui"
    proc = subprocess.run(
        [str(ROOT / "scripts" / "check-demo-tmux"), str(exe)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout
