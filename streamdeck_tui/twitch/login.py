"""Logging in to Twitch with the device-code flow and handing the result to the TwitchToken component."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import httpx

from ..components.token_provider import Identity
from ..components.tokens import InvalidGrant, StoreFailed, TwitchToken
from ..runtime.clock import Clock
from ..runtime.http import DEFAULT_TIMEOUT, BadPayload, HttpError
from ..runtime.result import Err, Ok, Result
from .models import DeviceCodeResponse
from .oauth import DeviceLoginFailed, TwitchOAuth, device_login
from .token_provider import grant_from

# What the console's features need: redemptions (create rewards, refund), chat, followers, shoutouts, bans.
TWITCH_SCOPES: Final = (
    "channel:manage:redemptions",
    "user:read:chat",
    "user:write:chat",
    "moderator:read:followers",
    "moderator:manage:shoutouts",
    "moderator:manage:banned_users",
)

LoginError = HttpError | DeviceLoginFailed | BadPayload | InvalidGrant | StoreFailed


async def device_login_into(
    token: TwitchToken,
    auth_url: str,
    client_id: str,
    clock: Clock,
    *,
    on_code: Callable[[DeviceCodeResponse], None],
    on_wait: Callable[[float], None] = lambda remaining: None,
) -> Result[Identity | None, LoginError]:
    """Run the device-code flow, learn who logged in, and store the tokens through `token`."""
    async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as http:
        oauth = TwitchOAuth(auth_url, client_id, http)
        got = await device_login(oauth, TWITCH_SCOPES, clock, on_code=on_code, on_wait=on_wait)
        if isinstance(got, Err):
            return got
        grant = grant_from(got.value)
        checked = await oauth.validate(grant.access)
        if isinstance(checked, Err):
            return checked
        if not (checked.value.user_id and checked.value.login):
            return Err(BadPayload("Twitch", "validate: the token names no user (login, user_id missing)"))
        identity = Identity(checked.value.user_id, checked.value.login)
    stored = await token.set_tokens(grant, identity)
    return stored if isinstance(stored, Err) else Ok(identity)
