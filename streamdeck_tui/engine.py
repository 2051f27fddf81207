"""The composition root: builds every component once, starts them in order and stops them cleanly."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .runtime.clock import Clock, SystemClock
from .runtime.component import Component, ComponentContext, HealthStatus
from .runtime.dispatcher import Dispatcher
from .runtime.resources import migrations_root
from .runtime.result import Err, Ok, Result, TaggedError

log = logging.getLogger("streamdeck_tui.engine")

# Filled by the feature issues (tokens, stream lifecycle, song queue, raffle, achievements, pool).
DEFAULT_COMPONENTS: tuple[type[Component], ...] = ()


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
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.dispatcher = Dispatcher(self.clock)
        ctx = ComponentContext(
            data_dir=settings.data_dir,
            clock=self.clock,
            migrations_root=migrations or migrations_root(),
            on_published=self.dispatcher.notify,
        )
        self.components: dict[str, Component] = {}
        for kind in components:
            if kind.name in self.components:
                raise ValueError(f"component name {kind.name!r} used twice")
            self.components[kind.name] = kind(ctx)
        self._started: list[Component] = []

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
        return Ok(None)

    async def stop(self) -> None:
        """Stop the dispatcher, then components in reverse start order."""
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
