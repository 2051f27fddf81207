"""What every Helix call passes first: Bearer token + Client-Id, the rate-limit bucket, then scopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import helix_error
from .http import Request, Response
from .ratelimit import RateLimiter
from .routing import RouteHandler
from .twitch_tokens import TwitchTokens
from .twitch_users import TwitchUser


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's client id, user and scopes."""

    client_id: str
    user: TwitchUser
    scopes: tuple[str, ...]

    def has_any(self, scopes: tuple[str, ...]) -> bool:
        """True when no scope is needed or the token holds one of `scopes`."""
        return not scopes or bool(set(scopes) & set(self.scopes))


HelixHandler = Callable[[Request, Caller], Awaitable[Response]]


class HelixGate:
    """Wraps Helix handlers with Twitch's authentication, rate limiting and scope checks."""

    def __init__(self, tokens: TwitchTokens, limiter: RateLimiter) -> None:
        self._tokens = tokens
        self._limiter = limiter

    def protect(self, handler: HelixHandler, scopes: tuple[str, ...] = ()) -> RouteHandler:
        """A route handler that admits only authorized callers holding one of `scopes`."""

        async def guarded(request: Request) -> Response:
            scheme, _, value = (request.header("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return helix_error(401, "OAuth token is missing")
            client_id = request.header("client-id")
            if not client_id:
                return helix_error(401, "Client-Id header required")
            access = self._tokens.lookup(value.strip())
            if access is None:
                return helix_error(401, "Invalid OAuth token")
            if access.grant.client_id != client_id:
                return helix_error(401, "Client ID and OAuth token do not match")
            bucket = self._limiter.take(f"{client_id}:{access.grant.user.id}")
            if not bucket.allowed:
                return helix_error(429, "Too Many Requests", bucket.headers())
            caller = Caller(client_id, access.grant.user, access.grant.scopes)
            if not caller.has_any(scopes):
                response = helix_error(401, f"Missing scope: {' or '.join(scopes)}")
            else:
                response = await handler(request, caller)
            response.headers.update(bucket.headers())
            return response

        return guarded
