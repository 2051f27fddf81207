"""The durable-object runtime: components, storage, migrations, timers, outbox and dispatcher."""

from .clock import Clock, FakeClock, SystemClock
from .component import Component, ComponentContext, Health, HealthStatus, TxContext
from .dispatcher import Dispatcher
from .events import DomainEvent, deterministic_event_id
from .result import Err, Ok, Result, TaggedError
from .secret import Secret, redact

__all__ = [
    "Clock",
    "Component",
    "ComponentContext",
    "Dispatcher",
    "DomainEvent",
    "Err",
    "FakeClock",
    "Health",
    "HealthStatus",
    "Ok",
    "Result",
    "Secret",
    "SystemClock",
    "TaggedError",
    "TxContext",
    "deterministic_event_id",
    "redact",
]
