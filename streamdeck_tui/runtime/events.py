"""Domain events: what a component publishes through its outbox."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

# A fixed namespace so that deterministic event ids are the same on every machine and run.
EVENT_NAMESPACE = uuid.UUID("6f1d1c1e-5b7a-4c55-9a5e-2f3c1d7e9b10")


def deterministic_event_id(*parts: str) -> str:
    """A UUIDv5 from stable parts (e.g. saga id and event type), so a retried publish is the same event."""
    return str(uuid.uuid5(EVENT_NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """An immutable fact: `id` is the idempotency key every subscriber deduplicates on."""

    id: str
    type: str
    source: str
    occurred_ms: int
    payload: dict[str, Any] = field(default_factory=dict)
    v: int = 1

    def payload_json(self) -> str:
        """The payload as compact, key-sorted JSON."""
        return json.dumps(self.payload, separators=(",", ":"), sort_keys=True)
