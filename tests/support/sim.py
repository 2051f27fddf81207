"""Start the real engine against the simulator on loopback, the way --demo does, but under test control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import DemoSession, demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import SystemClock
from streamdeck_tui.runtime.clock import Clock
from streamdeck_tui.secrets import MemoryStore, SecretStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.login import device_login_into


@dataclass
class Rig:
    """A running simulator, an engine connected to it, and everything the hub published."""

    sim: Simulator
    engine: Engine
    control: httpx.AsyncClient
    store: SecretStore
    seen: list[object] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the simulator's control API."""
        response = await self.control.post(f"{self.sim.control_url}{path}", json=body or {})
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    async def put(self, path: str, body: dict[str, Any]) -> Any:
        """Change something through the simulator's control API."""
        response = await self.control.put(f"{self.sim.control_url}{path}", json=body)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    async def get(self, path: str) -> Any:
        """Read from the simulator's control API."""
        response = await self.control.get(f"{self.sim.control_url}{path}")
        assert response.status_code < 400, response.text
        return response.json()

    def of_type(self, kind: type) -> list[Any]:
        """Hub items of one type."""
        return [item for item in self.seen if isinstance(item, kind)]


@asynccontextmanager
async def running_engine(
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    store: SecretStore | None = None,
    login: bool = True,
    spotify: bool = False,
    **sim_kwargs: Any,
) -> AsyncIterator[Rig]:
    """Simulator + engine logged in through the device flow like the demo; both stopped afterwards."""
    clock = clock or SystemClock()
    store = store or MemoryStore()
    async with Simulator(auto_approve=True, clock=clock, **sim_kwargs) as sim, httpx.AsyncClient() as http:
        base = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
        settings = demo_settings(base, sim)
        engine = Engine(settings, clock=clock, secret_store=store)
        rig = Rig(sim, engine, http, store)
        engine.hub.subscribe(rig.seen.append)
        assert (await engine.start()).is_ok()
        try:
            if login:
                assert engine.twitch_token is not None
                logged = await device_login_into(
                    engine.twitch_token,
                    settings.twitch.auth_url,
                    settings.twitch.client_id,
                    clock,
                    on_code=lambda c: None,
                )
                assert logged.is_ok(), logged
                await engine.connect_twitch()
            if spotify:
                assert engine.spotify_token is not None
                session = DemoSession(sim, settings)
                logged_in = await session.login_spotify(engine.spotify_token, clock)
                assert logged_in.is_ok(), logged_in
                if engine.song_sync is not None:
                    engine.song_sync.poke()
            yield rig
        finally:
            await engine.stop()
