"""EventSub WebSocket frames and the notification events we act on, parsed at the boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import Subscription


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Metadata(_Model):
    """`metadata` of every frame."""

    message_id: str = Field(min_length=1, max_length=200)
    message_type: str
    message_timestamp: datetime
    subscription_type: str | None = None
    subscription_version: str | None = None


class Session(_Model):
    """`payload.session` of welcome and reconnect frames."""

    id: str = Field(min_length=1)
    status: str
    keepalive_timeout_seconds: int | None = None
    reconnect_url: str | None = None


class SessionPayload(_Model):
    """Payload of welcome and reconnect frames."""

    session: Session


class NotificationPayload(_Model):
    """Payload of notification and revocation frames (the event stays raw until routed)."""

    subscription: Subscription
    event: dict[str, Any] = Field(default_factory=dict)


class Frame(_Model):
    """Any EventSub WebSocket frame."""

    metadata: Metadata
    payload: dict[str, Any] = Field(default_factory=dict)


# -- events ------------------------------------------------------------------------------------------------


class ChatFragment(_Model):
    """One fragment of a chat message."""

    type: str
    text: str


class ChatMessageBody(_Model):
    """`event.message` of channel.chat.message."""

    text: str
    fragments: list[ChatFragment] = Field(default_factory=list)


class ChatBadge(_Model):
    """A badge of the chatter (broadcaster, moderator, vip, subscriber...)."""

    set_id: str
    id: str = ""


class ChatMessageEvent(_Model):
    """channel.chat.message v1."""

    broadcaster_user_id: str
    chatter_user_id: str
    chatter_user_login: str
    chatter_user_name: str
    message_id: str
    message: ChatMessageBody
    badges: list[ChatBadge] = Field(default_factory=list)


class Reward(_Model):
    """The reward of a redemption."""

    id: str
    title: str
    cost: int
    prompt: str = ""


class RedemptionEvent(_Model):
    """channel.channel_points_custom_reward_redemption.add / .update v1."""

    id: str
    broadcaster_user_id: str
    user_id: str
    user_login: str
    user_name: str
    user_input: str = ""
    status: Literal["unfulfilled", "fulfilled", "canceled", "unknown"]
    reward: Reward
    redeemed_at: datetime


class StreamOnlineEvent(_Model):
    """stream.online v1."""

    id: str
    broadcaster_user_id: str
    broadcaster_user_login: str
    type: str = "live"
    started_at: datetime


class StreamOfflineEvent(_Model):
    """stream.offline v1."""

    broadcaster_user_id: str
    broadcaster_user_login: str


class RaidEvent(_Model):
    """channel.raid v1."""

    from_broadcaster_user_id: str
    from_broadcaster_user_login: str
    from_broadcaster_user_name: str
    to_broadcaster_user_id: str
    viewers: int = Field(ge=0)


class FollowEvent(_Model):
    """channel.follow v2."""

    user_id: str
    user_login: str
    user_name: str
    followed_at: datetime
