"""EventSub subscriptions: the types the simulator knows, Twitch's creation rules, and their lifecycle."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from streamdeck_tui.runtime.clock import Clock

from .ids import rfc3339, rfc3339_nanos, uuid4

MAX_TOTAL_COST = 10
MAX_PER_SESSION = 300
MAX_WEBSOCKETS_PER_USER = 3
SESSION_GONE = "websocket transport session does not exist or has already disconnected"


@dataclass(frozen=True, slots=True)
class SubscriptionType:
    """A supported type+version, its condition fields and what authorization it needs."""

    name: str
    version: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    authorizer: str | None = None  # the condition field that must be the token's own user
    one_of: tuple[str, ...] = ()


_REDEMPTION_SCOPES = ("channel:read:redemptions", "channel:manage:redemptions")
_SHOUTOUT_SCOPES = ("moderator:read:shoutouts", "moderator:manage:shoutouts")
SUPPORTED_TYPES: dict[tuple[str, str], SubscriptionType] = {
    (t.name, t.version): t
    for t in (
        SubscriptionType("stream.online", "1", ("broadcaster_user_id",)),
        SubscriptionType("stream.offline", "1", ("broadcaster_user_id",)),
        SubscriptionType("channel.update", "2", ("broadcaster_user_id",)),
        SubscriptionType("channel.raid", "1", (), one_of=("from_broadcaster_user_id", "to_broadcaster_user_id")),
        SubscriptionType(
            "channel.channel_points_custom_reward_redemption.add",
            "1",
            ("broadcaster_user_id",),
            ("reward_id",),
            _REDEMPTION_SCOPES,
            "broadcaster_user_id",
        ),
        SubscriptionType(
            "channel.channel_points_custom_reward_redemption.update",
            "1",
            ("broadcaster_user_id",),
            ("reward_id",),
            _REDEMPTION_SCOPES,
            "broadcaster_user_id",
        ),
        SubscriptionType(
            "channel.chat.message",
            "1",
            ("broadcaster_user_id", "user_id"),
            (),
            ("user:read:chat",),
            "user_id",
        ),
        SubscriptionType(
            "channel.chat.notification",
            "1",
            ("broadcaster_user_id", "user_id"),
            (),
            ("user:read:chat",),
            "user_id",
        ),
        SubscriptionType(
            "channel.follow",
            "2",
            ("broadcaster_user_id", "moderator_user_id"),
            (),
            ("moderator:read:followers",),
            "moderator_user_id",
        ),
        SubscriptionType(
            "channel.subscribe",
            "1",
            ("broadcaster_user_id",),
            (),
            ("channel:read:subscriptions",),
            "broadcaster_user_id",
        ),
        SubscriptionType("channel.cheer", "1", ("broadcaster_user_id",), (), ("bits:read",), "broadcaster_user_id"),
        SubscriptionType(
            "channel.shoutout.create",
            "1",
            ("broadcaster_user_id", "moderator_user_id"),
            (),
            _SHOUTOUT_SCOPES,
            "moderator_user_id",
        ),
    )
}


class Transport(BaseModel):
    """The `transport` of a create request."""

    model_config = ConfigDict(extra="ignore")

    method: str
    session_id: str | None = None
    callback: str | None = None


class CreateSubscriptionBody(BaseModel):
    """The body of Create EventSub Subscription."""

    model_config = ConfigDict(extra="ignore")

    type: str
    version: str
    condition: dict[str, object]
    transport: Transport


@dataclass(slots=True)
class Subscription:
    """One subscription, bound to a WebSocket session."""

    id: str
    client_id: str
    user_id: str
    type: str
    version: str
    condition: dict[str, str]
    session_id: str
    created_at_ms: int
    connected_at_ms: int
    cost: int
    status: str = "enabled"
    disconnected_at_ms: int | None = None

    def json(self) -> dict[str, object]:
        """The Helix `EventSubSubscription` object."""
        transport: dict[str, object] = {
            "method": "websocket",
            "session_id": self.session_id,
            "connected_at": rfc3339(self.connected_at_ms),
        }
        if self.disconnected_at_ms is not None:
            transport["disconnected_at"] = rfc3339(self.disconnected_at_ms)
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "version": self.version,
            "condition": dict(self.condition),
            "created_at": rfc3339(self.created_at_ms),
            "transport": transport,
            "cost": self.cost,
        }

    def frame_json(self) -> dict[str, object]:
        """The `payload.subscription` object inside notification and revocation frames."""
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "version": self.version,
            "cost": self.cost,
            "condition": dict(self.condition),
            "transport": {"method": "websocket", "session_id": self.session_id},
            "created_at": rfc3339_nanos(self.created_at_ms),
        }


@dataclass(frozen=True, slots=True)
class SubscriptionRefusal:
    """Why Create EventSub Subscription failed, with Twitch's status code."""

    status: int
    message: str


@dataclass(slots=True)
class SubscriptionRegistry:
    """Every subscription ever created; disabled ones stay listed with their reason, as on Twitch."""

    clock: Clock
    rng: random.Random
    user_exists: Callable[[str], bool]
    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    def create(
        self,
        client_id: str,
        user_id: str,
        scopes: tuple[str, ...],
        body: CreateSubscriptionBody,
        session_connected_at_ms: Callable[[str], int | None],
    ) -> Subscription | SubscriptionRefusal:
        """Validate like Twitch and create an enabled subscription on a live session."""
        if body.transport.method != "websocket":
            return SubscriptionRefusal(400, "The simulator supports only the websocket transport method.")
        session_id = body.transport.session_id
        if not session_id:
            return SubscriptionRefusal(400, "The session_id field is required for the WebSocket transport.")
        kind = SUPPORTED_TYPES.get((body.type, body.version))
        if kind is None:
            return SubscriptionRefusal(400, "The combination of values in the version and type fields is not valid.")
        condition = _condition(kind, body.condition)
        if isinstance(condition, SubscriptionRefusal):
            return condition
        if any(k.endswith("user_id") and not self.user_exists(v) for k, v in condition.items()):
            return SubscriptionRefusal(400, "The user specified in the condition object does not exist.")
        connected_at = session_connected_at_ms(session_id)
        if connected_at is None:
            return SubscriptionRefusal(400, SESSION_GONE)
        if kind.scopes and (
            not set(kind.scopes) & set(scopes) or (kind.authorizer and condition.get(kind.authorizer) != user_id)
        ):
            return SubscriptionRefusal(403, "subscription missing proper authorization")
        mine = [
            s
            for s in self.subscriptions.values()
            if s.status == "enabled" and (s.client_id, s.user_id) == (client_id, user_id)
        ]
        if any(s.type == kind.name and s.condition == condition and s.session_id == session_id for s in mine):
            return SubscriptionRefusal(409, "subscription already exists")
        if sum(1 for s in mine if s.session_id == session_id) >= MAX_PER_SESSION:
            return SubscriptionRefusal(429, "number of subscriptions on this session exceeded")
        sessions = {s.session_id for s in mine}
        if session_id not in sessions and len(sessions) >= MAX_WEBSOCKETS_PER_USER:
            return SubscriptionRefusal(429, "websocket transports limit exceeded")
        authorized = not kind.scopes and user_id in condition.values()
        cost = 0 if kind.scopes or authorized else 1
        if sum(s.cost for s in mine) + cost > MAX_TOTAL_COST:
            return SubscriptionRefusal(429, "subscription total cost exceeded")
        now = self.clock.now_ms()
        sub = Subscription(
            uuid4(self.rng),
            client_id,
            user_id,
            kind.name,
            kind.version,
            condition,
            session_id,
            now,
            connected_at,
            cost,
        )
        self.subscriptions[sub.id] = sub
        return sub

    def owned_by(self, client_id: str, user_id: str) -> list[Subscription]:
        """The subscriptions of one client+user, oldest first."""
        return sorted(
            (s for s in self.subscriptions.values() if (s.client_id, s.user_id) == (client_id, user_id)),
            key=lambda s: s.created_at_ms,
        )

    def delete(self, client_id: str, user_id: str, subscription_id: str) -> bool:
        """Delete one of this client+user's subscriptions."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or (sub.client_id, sub.user_id) != (client_id, user_id):
            return False
        del self.subscriptions[subscription_id]
        return True

    def enabled_of_type(self, sub_type: str) -> list[Subscription]:
        """Enabled subscriptions of one type (notification fan-out)."""
        return [s for s in self.subscriptions.values() if s.type == sub_type and s.status == "enabled"]

    def bound_to(self, session_id: str) -> list[Subscription]:
        """Every subscription (any status) on a session."""
        return [s for s in self.subscriptions.values() if s.session_id == session_id]

    def move_session(self, old_session_id: str, new_session_id: str) -> None:
        """A reconnect carries the enabled subscriptions to the new session."""
        for sub in self.subscriptions.values():
            if sub.session_id == old_session_id and sub.status == "enabled":
                sub.session_id = new_session_id

    def disable_session(self, session_id: str, status: str) -> None:
        """The session is gone: its subscriptions are disabled, never replayed."""
        now = self.clock.now_ms()
        for sub in self.subscriptions.values():
            if sub.session_id == session_id and sub.status == "enabled":
                sub.status, sub.disconnected_at_ms = status, now

    def revoke(self, subscription_id: str, status: str) -> Subscription | None:
        """Mark an enabled subscription revoked; None if it is unknown or not enabled."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.status != "enabled":
            return None
        sub.status = status
        return sub


def _condition(kind: SubscriptionType, raw: Mapping[str, object]) -> dict[str, str] | SubscriptionRefusal:
    allowed = set(kind.required) | set(kind.optional) | set(kind.one_of)
    condition = {k: v for k, v in raw.items() if k in allowed and v not in (None, "")}
    if not all(isinstance(v, str) for v in condition.values()):
        return SubscriptionRefusal(400, "The condition values must be strings.")
    if any(k not in condition for k in kind.required):
        return SubscriptionRefusal(400, "The condition object is missing one or more required fields.")
    if kind.one_of and sum(1 for k in kind.one_of if k in condition) != 1:
        return SubscriptionRefusal(400, f"The condition must have exactly one of {', '.join(kind.one_of)}.")
    return {k: str(v) for k, v in condition.items()}
