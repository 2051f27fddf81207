"""The seam between state that changes (channel, rewards) and the EventSub server that announces it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

ConditionMatch = Callable[[Mapping[str, str]], bool]


class EventPublisher(Protocol):
    """Delivers an event to every enabled subscription of `sub_type` whose condition `matches`."""

    def publish(self, sub_type: str, event: Mapping[str, object], matches: ConditionMatch) -> int:
        """Queue the event for delivery; return how many subscriptions it went to."""
        ...


def broadcaster_is(user_id: str) -> ConditionMatch:
    """A condition matcher for types keyed by `broadcaster_user_id`."""
    return lambda condition: condition.get("broadcaster_user_id") == user_id
