"""`streamdeck-tui rewards setup` as a user runs it: after `login twitch`, against the simulator and the keyring."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from streamdeck_tui.secrets import KeyringStore
from streamdeck_tui.simulator import Simulator
from tests.cli.test_accounts_cli import REQUIRE_KEYRING, _cli
from tests.cli.test_cli import run


def test_rewards_setup_without_a_keyring_explains_the_fix(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = run("rewards", "setup", "--data-dir", str(tmp_path), env=env)
    assert proc.returncode == 2 and "keyring" in proc.stderr.lower() and "Traceback" not in proc.stderr


@pytest.mark.slow
async def test_rewards_setup_creates_then_adopts_the_rewards(tmp_path: Path) -> None:
    service = f"streamdeck-tui-test-{uuid.uuid4().hex[:8]}"
    checked = KeyringStore(service).check()
    if checked.is_err():
        if REQUIRE_KEYRING:
            pytest.fail(f"CI must have a usable keyring: {checked.unwrap_err().message()}")
        pytest.skip(f"no usable OS keyring: {checked.unwrap_err().message()}")
    async with Simulator(auto_approve=True) as sim:
        env = {**sim.env(), "STREAMDECK_KEYRING_SERVICE": service, "STREAMDECK_DATA_DIR": str(tmp_path / "d")}
        code, out, err = await _cli("rewards", "setup", env=env)
        assert code == 1 and "login twitch" in out, out + err  # not logged in yet: says what to do

        code, out, err = await _cli("login", "twitch", "--no-browser", env=env)
        assert code == 0, out + err
        try:
            code, out, err = await _cli("rewards", "setup", env=env)
            assert code == 0, out + err
            assert "raffle" in out and "song_request" in out
            every = {r.id for r in sim.rewards.rewards.values()}
            ours = {rid for rid in every if rid in out}
            assert len(ours) == 2

            code, again, err = await _cli("rewards", "setup", env=env)  # again: adopts, never duplicates
            assert code == 0, again + err
            assert {r.id for r in sim.rewards.rewards.values()} == every
            assert all(rid in again for rid in ours)
        finally:
            await _cli("logout", "twitch", env=env)
