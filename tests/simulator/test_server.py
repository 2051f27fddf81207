"""The Simulator's public surface: port layout, env() for the console's settings, and run_simulator."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket

import httpx
import pytest

from streamdeck_tui.config import Settings
from streamdeck_tui.simulator import Simulator, run_simulator

from .conftest import wait_for


def test_env_points_the_console_settings_at_the_simulator(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in sim.env().items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.twitch.helix_url == sim.twitch_helix_url
    assert settings.twitch.auth_url == sim.twitch_auth_url
    assert settings.twitch.eventsub_url == sim.eventsub_url
    assert settings.spotify.api_url == sim.spotify_api_url
    assert settings.spotify.accounts_url == sim.spotify_accounts_url
    assert settings.twitch.client_id and settings.spotify.client_id


def _free_port_triple() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + 2 > 65535:
            continue
        try:
            with socket.socket() as one, socket.socket() as two:
                one.bind(("127.0.0.1", base + 1))
                two.bind(("127.0.0.1", base + 2))
        except OSError:
            continue
        return base
    raise AssertionError("no three consecutive free ports")


async def test_fixed_port_uses_three_consecutive_ports(http: httpx.AsyncClient) -> None:
    base = _free_port_triple()
    async with Simulator(port=base, seed=1) as sim:
        assert sim.twitch_helix_url == f"http://127.0.0.1:{base}/helix"
        assert sim.eventsub_url == f"ws://127.0.0.1:{base + 1}/ws"
        assert sim.spotify_api_url == f"http://127.0.0.1:{base + 2}/v1"
        assert (await http.get(sim.control_url)).status_code == 200
        with pytest.raises(OSError, match="in use"):
            await Simulator(port=base, seed=1).start()


async def test_run_simulator_prints_urls_and_runs_until_cancelled(
    http: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    printed: list[str] = []

    def has_exports() -> bool:
        printed.append(capsys.readouterr().out)
        return "export STREAMDECK_SPOTIFY__CLIENT_ID=" in "".join(printed)

    task = asyncio.create_task(run_simulator(0, 50.0, True))
    try:
        await wait_for(has_exports)
        text = "".join(printed)
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", text, re.MULTILINE))
        assert set(exports) == {
            "STREAMDECK_TWITCH__HELIX_URL",
            "STREAMDECK_TWITCH__AUTH_URL",
            "STREAMDECK_TWITCH__EVENTSUB_URL",
            "STREAMDECK_TWITCH__CLIENT_ID",
            "STREAMDECK_SPOTIFY__API_URL",
            "STREAMDECK_SPOTIFY__ACCOUNTS_URL",
            "STREAMDECK_SPOTIFY__CLIENT_ID",
        }
        control = exports["STREAMDECK_TWITCH__HELIX_URL"].replace("/helix", "/_sim")
        state = (await http.get(f"{control}/state")).json()
        assert state["audience"]["running"] is True
        assert state["spotify"]["is_playing"] is True
        assert state["live"] is True
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with pytest.raises(httpx.ConnectError):
        await http.get(f"{control}/state")
