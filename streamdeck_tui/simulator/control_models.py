"""Request bodies of the control API, validated strictly so bad input becomes a clear 4xx."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .demo_clients import SPOTIFY_DEMO_CLIENT_ID, SPOTIFY_SCOPES, TWITCH_DEMO_CLIENT_ID, TWITCH_SCOPES


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ChatIn(_Body):
    """Inject a viewer's chat line (`user` is a login; unknown logins become new viewers)."""

    user: str | None = Field(default=None, min_length=1, max_length=25)
    text: str = Field(min_length=1, max_length=500)


class RedemptionIn(_Body):
    """Inject a redemption of a reward given by id or title (an unknown title makes a dashboard reward)."""

    reward_id: str | None = None
    reward_title: str | None = Field(default=None, min_length=1, max_length=45)
    user: str | None = Field(default=None, min_length=1, max_length=25)
    user_input: str = Field(default="", max_length=500)


class OnlineIn(_Body):
    """Take the stream live."""

    viewer_count: int | None = Field(default=None, ge=0)


class RaidIn(_Body):
    """A raid from `from_login` (default: a known raider) with `viewers`."""

    from_login: str | None = None
    viewers: int | None = Field(default=None, ge=0, le=1_000_000)


class UserIn(_Body):
    """Pick a user by login (default: a random viewer)."""

    user: str | None = Field(default=None, min_length=1, max_length=25)


class ViewersIn(_Body):
    """Set the viewer count."""

    count: int = Field(ge=0, le=10_000_000)


class DeviceDecisionIn(_Body):
    """Approve or deny one device code (or every pending one); approve as `login`."""

    user_code: str | None = None
    login: str | None = None


class TwitchTokenIn(_Body):
    """Mint a Twitch token pair directly, skipping the device flow."""

    client_id: str = TWITCH_DEMO_CLIENT_ID
    scopes: list[str] = Field(default_factory=lambda: list(TWITCH_SCOPES))
    login: str | None = None


class RevokeIn(_Body):
    """Revoke one token's grant, or every grant (of one client)."""

    token: str | None = None
    client_id: str | None = None


class ConsentIn(_Body):
    """Decide one pending Spotify consent (or all)."""

    id: str | None = None


class SpotifyTokenIn(_Body):
    """Mint a Spotify token pair directly, skipping the browser flow."""

    client_id: str = SPOTIFY_DEMO_CLIENT_ID
    scopes: list[str] = Field(default_factory=lambda: list(SPOTIFY_SCOPES))


class PlayerIn(_Body):
    """Change the simulated Spotify account and device."""

    device_active: bool | None = None
    premium: bool | None = None
    action: Literal["play", "pause", "stop", "next"] | None = None


class FailIn(_Body):
    """Fail the next `count` calls of `endpoint` (`METHOD /path`, a path, or `*`)."""

    endpoint: str = Field(min_length=1)
    status: int = Field(ge=400, le=599)
    count: int = Field(default=1, ge=1, le=10_000)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)
    reason: str | None = None
    message: str | None = None


class LatencyIn(_Body):
    """Delay calls of `endpoint` (or `*`) by `ms`; 0 removes."""

    endpoint: str = Field(default="*", min_length=1)
    ms: int = Field(ge=0, le=120_000)


class WsDropIn(_Body):
    """Drop EventSub sessions: abort TCP (no code) or close with `code`."""

    session_id: str | None = None
    code: int | None = Field(default=None, ge=1000, le=4999)


class CountIn(_Body):
    """How many times."""

    count: int = Field(default=1, ge=1, le=1000)


class SessionIn(_Body):
    """One EventSub session (or all)."""

    session_id: str | None = None


class RevokeSubscriptionIn(_Body):
    """Revoke one subscription with a revocation reason."""

    subscription_id: str
    status: Literal["user_removed", "authorization_revoked", "version_removed"] = "authorization_revoked"


class AudienceIn(_Body):
    """Start the scripted audience, optionally at another speed."""

    speed: float | None = Field(default=None, gt=0, le=1000)


class RawFrameIn(_Body):
    """Send `text` as an EventSub frame as is, or a frame of `size` bytes of filler (to test limits)."""

    text: str | None = Field(default=None, max_length=4 * 1024 * 1024)
    size: int | None = Field(default=None, ge=1, le=4 * 1024 * 1024)
    session_id: str | None = None
