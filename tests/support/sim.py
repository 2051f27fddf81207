"""Start the real engine against the simulator on loopback, the way --demo does, but under test control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import TWITCH_SCOPES, demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Secret
from streamdeck_tui.runtime.tokens import StaticTokenSource
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.oauth import TwitchOAuth, device_login


@dataclass
class Rig:
    """A running simulator, an engine connected to it, and everything the hub published."""

    sim: Simulator
    engine: Engine
    control: httpx.AsyncClient
    seen: list[object] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the simulator's control API."""
        response = await self.control.post(f"{self.sim.control_url}{path}", json=body or {})
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def of_type(self, kind: type) -> list[Any]:
        """Hub items of one type."""
        return [item for item in self.seen if isinstance(item, kind)]


@asynccontextmanager
async def running_engine(tmp_path: Path, **sim_kwargs: Any) -> AsyncIterator[Rig]:
    """Simulator + logged-in engine; both stopped afterwards."""
    async with Simulator(auto_approve=True, **sim_kwargs) as sim:
        base = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
        settings = demo_settings(base, sim)
        async with httpx.AsyncClient() as http:
            oauth = TwitchOAuth(settings.twitch.auth_url, settings.twitch.client_id, http)
            from streamdeck_tui.runtime import SystemClock

            tokens = (
                await device_login(oauth, TWITCH_SCOPES, SystemClock(), on_code=lambda c: None)
            ).unwrap()
            engine = Engine(settings, twitch_tokens=StaticTokenSource(Secret(tokens.access_token)))
            rig = Rig(sim, engine, http)
            engine.hub.subscribe(rig.seen.append)
            assert (await engine.start()).is_ok()
            try:
                yield rig
            finally:
                await engine.stop()
