"""`login`, `accounts`, `logout` as a user runs them, against the simulator and the real OS keyring."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest

from streamdeck_tui.secrets import KeyringStore
from streamdeck_tui.simulator import Simulator
from tests.cli.test_cli import ROOT, run

REQUIRE_KEYRING = os.environ.get("STREAMDECK_REQUIRE_KEYRING") == "1"


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "streamdeck_tui",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_missing_client_id_explains_how_to_register(tmp_path: Path) -> None:
    proc = run("login", "twitch", "--data-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "dev.twitch.tv/console/apps" in proc.stderr and "client_id" in proc.stderr
    proc = run("login", "spotify", "--data-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "http://127.0.0.1/callback" in proc.stderr and "localhost" in proc.stderr


def test_unusable_keyring_exits_2_with_the_remedy_and_no_plaintext(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "STREAMDECK_TWITCH__CLIENT_ID": "abc"}
    for args in (("login", "twitch"), ("accounts",), ("logout", "twitch"), ()):
        proc = run(*args, "--data-dir", str(tmp_path), env=env)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "keyring" in proc.stderr.lower() and "To fix" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not any(p.suffix not in (".sqlite3", "") for p in tmp_path.rglob("*") if p.is_file() and "token" in p.name)


@pytest.mark.slow
async def test_login_accounts_logout_through_the_real_keyring(tmp_path: Path) -> None:
    service = f"streamdeck-tui-test-{uuid.uuid4().hex[:8]}"
    checked = KeyringStore(service).check()
    if checked.is_err():
        if REQUIRE_KEYRING:
            pytest.fail(f"CI must have a usable keyring: {checked.unwrap_err().message()}")
        pytest.skip(f"no usable OS keyring: {checked.unwrap_err().message()}")
    async with Simulator(auto_approve=True) as sim:
        env = {**sim.env(), "STREAMDECK_KEYRING_SERVICE": service, "STREAMDECK_DATA_DIR": str(tmp_path / "d")}
        code, out, err = await _cli("login", "twitch", "--no-browser", env=env)
        assert code == 0, out + err
        assert "Logged in to Twitch as simstreamer" in out
        store = KeyringStore(service)
        access = store.get("twitch.access_token").unwrap()
        assert access is not None and sim.tokens.lookup(access.reveal()) is not None

        code, out, _ = await _cli("accounts", "--json", env=env)
        assert code == 0
        rows = {row["provider"]: row for row in json.loads(out)}
        assert rows["twitch"]["status"] == "authorized" and rows["twitch"]["login"] == "simstreamer"
        assert rows["spotify"]["status"] == "not_configured"
        assert access.reveal() not in out

        code, out, _ = await _cli("logout", "twitch", env=env)
        assert code == 0 and "revoked" in out
        assert store.get("twitch.access_token").unwrap() is None
        assert store.get("twitch.refresh_token").unwrap() is None
        assert sim.tokens.lookup(access.reveal()) is None  # revoked at the provider, not only forgotten
        code, out, _ = await _cli("accounts", "--json", env=env)
        assert json.loads(out)[0]["status"] == "not_configured"
