"""What the console shows as it happens: small immutable items published on the engine's hub."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatSeen:
    """A chat message in the channel."""

    at_ms: int
    login: str
    display_name: str
    text: str
    badges: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RedemptionSeen:
    """A channel-point redemption."""

    at_ms: int
    redemption_id: str
    login: str
    display_name: str
    reward_title: str
    user_input: str
    status: str


@dataclass(frozen=True, slots=True)
class ActivitySeen:
    """Anything else worth a line in the event log: raids, follows, revocations, link changes."""

    at_ms: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The Twitch connection changed state."""

    at_ms: int
    state: str
    detail: str
