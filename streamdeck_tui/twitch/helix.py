"""Helix REST client: adds the token and client id, maps failures to tagged errors, parses bodies."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from ..runtime.clock import Clock
from ..runtime.http import HttpError, HttpStatusError, parse, send_authorized
from ..runtime.result import Err, Ok, Result
from ..runtime.tokens import AuthError, TokenSource
from .models import (
    ChatMessageResponse,
    ChatMessageSent,
    CustomReward,
    CustomRewardsResponse,
    Stream,
    StreamsResponse,
    Subscription,
    SubscriptionsResponse,
    User,
    UsersResponse,
)

PROVIDER = "Twitch"
M = TypeVar("M", bound=BaseModel)
HelixError = HttpError | AuthError


class HelixClient:
    """The Helix calls the console makes, each returning a `Result`."""

    def __init__(
        self, base_url: str, client_id: str, tokens: TokenSource, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.tokens = tokens
        self.http = http
        self.clock = clock

    async def _send(self, method: str, path: str, **kwargs: Any) -> Result[httpx.Response, HelixError]:
        return await send_authorized(
            self.http,
            PROVIDER,
            self.tokens,
            method,
            f"{self.base_url}{path}",
            headers={"Client-Id": self.client_id},
            now_s=lambda: self.clock.now_ms() / 1000,
            **kwargs,
        )

    async def _get(self, path: str, model: type[M], **kwargs: Any) -> Result[M, HelixError]:
        sent = await self._send("GET", path, **kwargs)
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, model)

    async def get_me(self) -> Result[User, HelixError]:
        """The user the token belongs to."""
        got = await self._get("/users", UsersResponse)
        if isinstance(got, Err):
            return got
        if not got.value.data:
            return Err(HttpStatusError(PROVIDER, 404, "", "the token's user was not found"))
        return Ok(got.value.data[0])

    async def get_user_by_login(self, login: str) -> Result[User | None, HelixError]:
        """A user by login name, or None when no such user exists."""
        got = await self._get("/users", UsersResponse, params={"login": login})
        if isinstance(got, Err):
            return got
        return Ok(got.value.data[0] if got.value.data else None)

    async def get_stream(self, user_id: str) -> Result[Stream | None, HelixError]:
        """The channel's live stream, or None when offline."""
        got = await self._get("/streams", StreamsResponse, params={"user_id": user_id, "type": "live"})
        if isinstance(got, Err):
            return got
        return Ok(got.value.data[0] if got.value.data else None)

    async def create_subscription(
        self, type_: str, version: str, condition: dict[str, str], session_id: str
    ) -> Result[Subscription, HelixError]:
        """Subscribe a WebSocket session to one EventSub type."""
        sent = await self._send(
            "POST",
            "/eventsub/subscriptions",
            json={
                "type": type_,
                "version": version,
                "condition": condition,
                "transport": {"method": "websocket", "session_id": session_id},
            },
        )
        if isinstance(sent, Err):
            return sent
        parsed = parse(PROVIDER, sent.value, SubscriptionsResponse)
        if isinstance(parsed, Err):
            return parsed
        if not parsed.value.data:
            return Err(HttpStatusError(PROVIDER, 500, "", "subscription response had no data"))
        return Ok(parsed.value.data[0])

    async def manageable_rewards(self, broadcaster_id: str) -> Result[list[CustomReward], HelixError]:
        """The custom rewards this client id created (the only ones it can refund)."""
        got = await self._get(
            "/channel_points/custom_rewards",
            CustomRewardsResponse,
            params={"broadcaster_id": broadcaster_id, "only_manageable_rewards": "true"},
        )
        return got if isinstance(got, Err) else Ok(list(got.value.data))

    async def create_reward(self, broadcaster_id: str, fields: dict[str, Any]) -> Result[CustomReward, HelixError]:
        """Create a custom reward owned by this client id."""
        return await self._reward("POST", {"broadcaster_id": broadcaster_id}, fields)

    async def update_reward(
        self, broadcaster_id: str, reward_id: str, fields: dict[str, Any]
    ) -> Result[CustomReward, HelixError]:
        """Change a reward (e.g. pause or resume it)."""
        return await self._reward("PATCH", {"broadcaster_id": broadcaster_id, "id": reward_id}, fields)

    async def _reward(
        self, method: str, params: dict[str, str], fields: dict[str, Any]
    ) -> Result[CustomReward, HelixError]:
        sent = await self._send(method, "/channel_points/custom_rewards", params=params, json=fields)
        if isinstance(sent, Err):
            return sent
        parsed = parse(PROVIDER, sent.value, CustomRewardsResponse)
        if isinstance(parsed, Err):
            return parsed
        if not parsed.value.data:
            return Err(HttpStatusError(PROVIDER, 500, "", "reward response had no data"))
        return Ok(parsed.value.data[0])

    async def set_redemption_status(
        self, broadcaster_id: str, reward_id: str, redemption_id: str, status: str
    ) -> Result[None, HelixError]:
        """FULFILLED, or CANCELED (which refunds the viewer's points)."""
        sent = await self._send(
            "PATCH",
            "/channel_points/custom_rewards/redemptions",
            params={"broadcaster_id": broadcaster_id, "reward_id": reward_id, "id": redemption_id},
            json={"status": status},
        )
        return sent if isinstance(sent, Err) else Ok(None)

    async def send_shoutout(self, broadcaster_id: str, to_broadcaster_id: str) -> Result[None, HelixError]:
        """A native /shoutout from the broadcaster (Twitch limits: 1 per 2 min, same channel 1 per 60 min)."""
        sent = await self._send(
            "POST",
            "/chat/shoutouts",
            params={
                "from_broadcaster_id": broadcaster_id,
                "to_broadcaster_id": to_broadcaster_id,
                "moderator_id": broadcaster_id,
            },
        )
        return sent if isinstance(sent, Err) else Ok(None)

    async def send_chat(self, broadcaster_id: str, sender_id: str, message: str) -> Result[ChatMessageSent, HelixError]:
        """Send one chat line (at most 500 characters)."""
        sent = await self._send(
            "POST",
            "/chat/messages",
            json={"broadcaster_id": broadcaster_id, "sender_id": sender_id, "message": message[:500]},
        )
        if isinstance(sent, Err):
            return sent
        parsed = parse(PROVIDER, sent.value, ChatMessageResponse)
        if isinstance(parsed, Err):
            return parsed
        return (
            Ok(parsed.value.data[0])
            if parsed.value.data
            else Err(HttpStatusError(PROVIDER, 500, "", "chat response had no data"))
        )
