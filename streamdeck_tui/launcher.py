"""Boots what the console or headless mode runs: the demo simulator and login when asked, then the engine."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .engine import DEFAULT_COMPONENTS, Engine, EngineStartError
from .runtime.clock import Clock, SystemClock
from .runtime.component import Component
from .runtime.hub import Listener
from .runtime.result import Err, Ok, Result, TaggedError
from .secrets import MemoryStore, SecretStore

if TYPE_CHECKING:
    from .demo import DemoSession

log = logging.getLogger("streamdeck_tui.launcher")


@dataclass(frozen=True, slots=True)
class DemoStartError(TaggedError):
    """The embedded demo could not be started."""

    tag = "DemoStartError"
    detail: str

    def message(self) -> str:
        """What failed."""
        return f"the demo could not start: {self.detail}"


LaunchError = DemoStartError | EngineStartError


class Launcher:
    """Owns the start and stop order: simulator, login, engine; and the reverse."""

    def __init__(
        self,
        settings: Settings,
        *,
        demo: bool = False,
        demo_speed: float = 1.0,
        clock: Clock | None = None,
        components: Sequence[type[Component]] = DEFAULT_COMPONENTS,
        migrations: Path | None = None,
        secret_store: SecretStore | None = None,
    ) -> None:
        self.settings = settings
        self.demo = demo
        self.demo_speed = demo_speed
        self.clock: Clock = clock or SystemClock()
        self.components = components
        self.migrations = migrations
        self.secret_store = secret_store
        self.engine: Engine | None = None
        self._demo: DemoSession | None = None

    async def start(self, on_item: Listener | None = None) -> Result[Engine, LaunchError]:
        """Start everything; on failure, stop what started and say why. `on_item` hears the engine's hub from
        before the engine starts, so what start-up publishes (the link, a stream found live) is not missed."""
        settings = self.settings
        store: SecretStore = self.secret_store or MemoryStore()
        if self.demo:
            from .demo import start_demo

            self._demo = await start_demo(settings, self.clock, speed=self.demo_speed)
            settings = self._demo.settings
            store = MemoryStore()  # the demo never touches the streamer's keyring
        engine = Engine(
            settings,
            clock=self.clock,
            components=self.components,
            migrations=self.migrations,
            secret_store=store,
        )
        self.engine = engine
        if on_item is not None:
            engine.hub.subscribe(on_item)
        result = await engine.start()
        if isinstance(result, Err):
            await self.stop()
            return result
        if self._demo is not None and engine.twitch_token is not None:
            login = await self._demo.login(engine.twitch_token, self.clock)
            if isinstance(login, Err):
                await self.stop()
                return Err(DemoStartError(login.error.message()))
            self._demo.go_live()
            await engine.connect_twitch()
            if engine.spotify_token is not None:
                spotify = await self._demo.login_spotify(engine.spotify_token, self.clock)
                if isinstance(spotify, Err):
                    log.warning("demo Spotify login: %s", spotify.error.message())
                elif engine.song_sync is not None:
                    engine.song_sync.poke()
            # The demo's own client creates the rewards, so its redemptions can be fulfilled and refunded.
            rewards = await engine.setup_rewards()
            if isinstance(rewards, Err):
                log.warning("demo rewards: %s", rewards.error.message())
            self._demo.start_audience()
        return Ok(engine)

    async def stop(self) -> None:
        """Engine first (components flush), then the simulator."""
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None
        if self._demo is not None:
            await self._demo.stop()
            self._demo = None
