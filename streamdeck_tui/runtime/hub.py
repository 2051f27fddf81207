"""In-memory fan-out of things worth showing right now (not durable: the UI and overlays listen here)."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("streamdeck_tui.hub")

Listener = Callable[[object], None]


class Hub:
    """Synchronous publish to every listener; a failing listener is logged and never hurts the others."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Start receiving; returns the function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, item: object) -> None:
        """Hand `item` to every listener now."""
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:
                log.exception("hub listener failed on %s", type(item).__name__)
