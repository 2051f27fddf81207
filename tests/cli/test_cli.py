"""The command line as a user meets it: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streamdeck_tui import __version__

ROOT = Path(__file__).resolve().parents[2]
MEMORY_KEYRING = "tests.support.memory_keyring.MemoryKeyring"


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "streamdeck_tui", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"streamdeck-tui {__version__}"
    out = run("--help").stdout
    for option in ("--config", "--data-dir", "--log-level", "--demo", "--headless", "doctor"):
        assert option in out


def test_usage_error_exits_2_in_one_line() -> None:
    proc = run("--no-such-option")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_config_file_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[twitch]\nclient_id = "ok"\nhelix_url = 42\n')
    proc = run("--config", str(cfg), "--headless")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{cfg} line 3" in lines[0] and "twitch.helix_url" in lines[0]


def test_unwritable_data_dir_exits_2_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = run("--data-dir", str(blocker / "data"), "--headless")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(blocker / "data") in lines[0] and "--data-dir" in lines[0]


def test_doctor_reports_healthy_databases_and_fails_on_corruption(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"PYTHON_KEYRING_BACKEND": MEMORY_KEYRING}
    proc = run("doctor", "--data-dir", str(data), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MemoryKeyring" in proc.stdout and str(data) in proc.stdout

    # A component database made by the runtime, then one that is damaged.
    good = data / "counter.sqlite3"
    with sqlite3.connect(good) as conn:
        conn.execute("CREATE TABLE schema_migrations (scope TEXT, version INTEGER, name TEXT, applied_ms INTEGER)")
        conn.execute("INSERT INTO schema_migrations VALUES ('_runtime', 1, 'runtime', 0)")
    proc = run("doctor", "--data-dir", str(data), env=env)
    assert proc.returncode == 0, proc.stdout
    assert "db counter" in proc.stdout and "integrity ok" in proc.stdout

    bad = data / "broken.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    proc = run("doctor", "--data-dir", str(data), env=env)
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "broken" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_doctor_fails_without_a_keyring(tmp_path: Path) -> None:
    proc = run("doctor", "--data-dir", str(tmp_path), env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert proc.returncode == 1
    assert "no usable keyring" in proc.stdout


@pytest.mark.slow
def test_headless_starts_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "streamdeck_tui", "--headless", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "STREAMDECK_LOG_DIR": str(tmp_path / "log"),
            "PYTHON_KEYRING_BACKEND": MEMORY_KEYRING,
        },
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "running headless" in line:
            break
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`streamdeck-tui doctor | head -0`: no error message, the shell's status for SIGPIPE."""
    child = subprocess.Popen(
        [sys.executable, "-m", "streamdeck_tui", "--data-dir", str(tmp_path / "data"), "doctor"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read()
    assert child.wait(timeout=60) == 141
    assert err == ""


def test_doctor_names_the_config_file_and_each_schema_version(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('log_level = "info"\n', encoding="utf-8")
    data = tmp_path / "data"
    env = {"PYTHON_KEYRING_BACKEND": MEMORY_KEYRING}
    proc = run("--config", str(config), "doctor", "--data-dir", str(data), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"config     {config}" in proc.stdout

    data.mkdir(exist_ok=True)
    with sqlite3.connect(data / "song_queue.sqlite3") as conn:
        conn.execute("CREATE TABLE schema_migrations (scope TEXT, version INTEGER, name TEXT, applied_ms INTEGER)")
        conn.executemany(
            "INSERT INTO schema_migrations VALUES (?, ?, ?, 0)",
            [("_runtime", 1, "runtime"), ("song_queue", 1, "init"), ("song_queue", 2, "occurrence")],
        )
    proc = run("--config", str(config), "doctor", "--data-dir", str(data), env=env)
    [line] = [line for line in proc.stdout.splitlines() if "db song_queue" in line]
    assert "song_queue v2" in line and "integrity ok" in line, line


def test_doctor_with_a_broken_config_exits_2_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[twitch]\nhelix_url = 5\n", encoding="utf-8")
    proc = run("--config", str(config), "doctor", "--data-dir", str(tmp_path / "data"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "line 2" in proc.stderr and "twitch.helix_url" in proc.stderr
    assert "Traceback" not in proc.stderr
