"""The composition root: builds every component once, starts them in order and stops them cleanly."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from .components.stream_lifecycle import StreamLifecycle
from .config import Settings
from .feed import ActivitySeen
from .runtime.clock import Clock, SystemClock
from .runtime.component import Component, ComponentContext, HealthStatus
from .runtime.dispatcher import Dispatcher
from .runtime.events import DomainEvent
from .runtime.http import DEFAULT_TIMEOUT
from .runtime.hub import Hub
from .runtime.resources import migrations_root
from .runtime.result import Err, Ok, Result, TaggedError
from .runtime.tokens import TokenSource
from .twitch.helix import HelixClient
from .twitch.link import TwitchLink

log = logging.getLogger("streamdeck_tui.engine")

# The feature issues add theirs (tokens, song queue, raffle, achievements, workflow pool).
DEFAULT_COMPONENTS: tuple[type[Component], ...] = (StreamLifecycle,)


@dataclass(frozen=True, slots=True)
class EngineStartError(TaggedError):
    """A component could not start; the ones started before it were stopped again."""

    tag = "EngineStartError"
    component: str
    detail: str

    def message(self) -> str:
        """Name the component and its reason."""
        return f"{self.component} could not start: {self.detail}"


class Engine:
    """Holds the components, the event dispatcher and the clock; the UI, headless mode and tests hold this."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        components: Sequence[type[Component]] = DEFAULT_COMPONENTS,
        migrations: Path | None = None,
        twitch_tokens: TokenSource | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.dispatcher = Dispatcher(self.clock)
        self.hub = Hub()
        ctx = ComponentContext(
            data_dir=settings.data_dir,
            clock=self.clock,
            migrations_root=migrations or migrations_root(),
            on_committed=self._committed,
        )
        self.components: dict[str, Component] = {}
        for kind in components:
            if kind.name in self.components:
                raise ValueError(f"component name {kind.name!r} used twice")
            self.components[kind.name] = kind(ctx)
        self._started: list[Component] = []
        self.twitch_tokens = twitch_tokens
        self.twitch: TwitchLink | None = None
        self._http: httpx.AsyncClient | None = None

    def _committed(self, events: Sequence[DomainEvent]) -> None:
        self.dispatcher.notify()
        for event in events:
            self.hub.publish(event)

    async def start(self) -> Result[None, EngineStartError]:
        """Start components in order, then the dispatcher; on a failure, stop what already started."""
        for component in self.components.values():
            result = await component.start()
            if isinstance(result, Err):
                await self.stop()
                return Err(EngineStartError(component.name, result.error.message()))
            self._started.append(component)
            self.dispatcher.add_source(component)
        self.dispatcher.start()
        log.info("engine started with %d components", len(self._started))
        await self._start_twitch()
        return Ok(None)

    async def _start_twitch(self) -> None:
        """Connect to Twitch when an account is available; a failure is shown, never fatal."""
        lifecycle = self.components.get(StreamLifecycle.name)
        if self.twitch_tokens is None or not isinstance(lifecycle, StreamLifecycle):
            self.hub.publish(ActivitySeen(self.clock.now_ms(), "twitch", "not connected to Twitch"))
            return
        self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        helix = HelixClient(
            self.settings.twitch.helix_url,
            self.settings.twitch.client_id,
            self.twitch_tokens,
            self._http,
            self.clock,
        )
        self.twitch = TwitchLink(helix, self.settings.twitch.eventsub_url, lifecycle, self.hub, self.clock)
        started = await self.twitch.start()
        if isinstance(started, Err):
            log.warning("twitch link failed: %s", started.error.message())
            self.hub.publish(ActivitySeen(self.clock.now_ms(), "twitch", started.error.message()))
            self.twitch = None

    @property
    def stream(self) -> StreamLifecycle | None:
        """The stream lifecycle component (None in an engine built without it)."""
        component = self.components.get(StreamLifecycle.name)
        return component if isinstance(component, StreamLifecycle) else None

    async def stop(self) -> None:
        """Stop the dispatcher, then components in reverse start order."""
        if self.twitch is not None:
            await self.twitch.stop()
            self.twitch = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await self.dispatcher.stop()
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        log.info("engine stopped")

    def health(self) -> dict[str, HealthStatus]:
        """Each component's health by name."""
        return {name: c.health for name, c in self.components.items()}
