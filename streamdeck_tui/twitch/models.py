"""Pydantic models of the Twitch OAuth and Helix responses we read."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

# Twitch user tokens live about four hours; beyond a year is a broken or hostile body (as in spotify/models.py).
MAX_EXPIRES_IN_S: Final = 365 * 24 * 3600


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DeviceCodeResponse(_Model):
    """`POST /oauth2/device`."""

    device_code: str = Field(min_length=1, repr=False)
    user_code: str = Field(min_length=1)
    verification_uri: str = Field(min_length=1)
    expires_in: int = Field(gt=0)
    interval: int = Field(default=5, ge=1, le=60)


class TokenResponse(_Model):
    """`POST /oauth2/token` (device-code and refresh grants)."""

    access_token: str = Field(min_length=1, repr=False)
    refresh_token: str = Field(min_length=1, repr=False)
    # strict: a string "3600" or a boolean (true -> 1 s) is a provider bug we would rather see than coerce.
    expires_in: int = Field(gt=0, le=MAX_EXPIRES_IN_S, strict=True)
    scope: list[str] = Field(default_factory=list)
    token_type: str = "bearer"


class ValidateResponse(_Model):
    """`GET /oauth2/validate`."""

    client_id: str
    login: str | None = None
    user_id: str | None = None
    scopes: list[str] | None = None
    expires_in: int = Field(ge=0, le=MAX_EXPIRES_IN_S, strict=True)


class User(_Model):
    """One entry of `GET /helix/users`."""

    id: str = Field(min_length=1)
    login: str = Field(min_length=1)
    display_name: str


class UsersResponse(_Model):
    """`GET /helix/users`."""

    data: list[User]


class Stream(_Model):
    """One entry of `GET /helix/streams` (an entry means the channel is live)."""

    id: str
    user_id: str
    user_login: str
    type: str
    title: str = ""
    viewer_count: int = Field(ge=0)
    started_at: datetime


class StreamsResponse(_Model):
    """`GET /helix/streams`."""

    data: list[Stream]


class SubscriptionTransport(_Model):
    """Transport of an EventSub subscription."""

    method: str
    session_id: str | None = None


class Subscription(_Model):
    """An EventSub subscription as Helix and EventSub frames describe it."""

    id: str
    status: str
    type: str
    version: str
    condition: dict[str, str]
    transport: SubscriptionTransport | None = None
    created_at: datetime | None = None
    cost: int | None = None


class SubscriptionsResponse(_Model):
    """`POST` / `GET /helix/eventsub/subscriptions`."""

    data: list[Subscription]
    total: int | None = None


class ChatMessageSent(_Model):
    """One entry of `POST /helix/chat/messages`."""

    message_id: str
    is_sent: bool


class ChatMessageResponse(_Model):
    """`POST /helix/chat/messages`."""

    data: list[ChatMessageSent]


class CustomReward(_Model):
    """One entry of the custom rewards endpoints."""

    id: str
    title: str
    cost: int
    is_enabled: bool = True
    is_paused: bool = False
    is_user_input_required: bool = False


class CustomRewardsResponse(_Model):
    """`GET` / `POST` / `PATCH /helix/channel_points/custom_rewards`."""

    data: list[CustomReward]
