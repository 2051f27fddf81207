"""The bridge from the engine's hub to Textual messages; bursts of state updates collapse to the latest."""

from __future__ import annotations

from textual.message import Message

from ..runtime.events import DomainEvent


class FeedItem(Message):
    """Something for the event log (chat, redemption, activity, link change)."""

    def __init__(self, item: object) -> None:
        super().__init__()
        self.item = item


class StreamChanged(Message):
    """The stream state changed; the handler re-reads the snapshot, so only the latest one matters."""

    def __init__(self, event: DomainEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """A newer stream change makes an older, unhandled one redundant."""
        return isinstance(message, StreamChanged)


class RaffleRolled(Message):
    """A roll stands (`raffle_roll`, published once it was fulfilled); the panel re-reads and celebrates a win."""

    def __init__(self, event: DomainEvent) -> None:
        super().__init__()
        self.event = event

    @property
    def is_winner(self) -> bool:
        """Whether this roll won."""
        return self.event.payload.get("isWinner") is True


STREAM_EVENT_TYPES = frozenset({"stream_online", "stream_offline", "viewer_count"})


def to_message(item: object) -> Message | None:
    """Which message, if any, a hub item becomes."""
    if isinstance(item, DomainEvent):
        if item.type == "raffle_roll":
            return RaffleRolled(item)
        return StreamChanged(item) if item.type in STREAM_EVENT_TYPES else None
    return FeedItem(item)
