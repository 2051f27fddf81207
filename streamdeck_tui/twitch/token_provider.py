"""Twitch's side of the token state machine: refresh, validate, revoke through `TwitchOAuth`."""

from __future__ import annotations

from ..components.token_provider import Identity, TokenGrant
from ..runtime.http import HttpError
from ..runtime.result import Err, Ok, Result
from ..runtime.secret import Secret
from .models import TokenResponse
from .oauth import TwitchOAuth


def grant_from(response: TokenResponse) -> TokenGrant:
    """Wrap a parsed token response; the strings go straight into `Secret`s."""
    return TokenGrant(
        access=Secret(response.access_token),
        refresh=Secret(response.refresh_token),
        expires_in_s=response.expires_in,
        scopes=tuple(response.scope),
    )


class TwitchTokenProvider:
    """Adapts `TwitchOAuth` to `TokenProvider`."""

    name = "Twitch"
    revocable = True

    def __init__(self, oauth: TwitchOAuth) -> None:
        self.oauth = oauth

    async def refresh(self, refresh_token: Secret) -> Result[TokenGrant, HttpError]:
        """Refresh (Twitch rotates the refresh token every time)."""
        got = await self.oauth.refresh(refresh_token)
        return Ok(grant_from(got.value)) if isinstance(got, Ok) else got

    async def validate(self, access_token: Secret) -> Result[Identity | None, HttpError]:
        """`GET /oauth2/validate`: who the token belongs to, or a 401."""
        got = await self.oauth.validate(access_token)
        if isinstance(got, Err):
            return got
        v = got.value
        return Ok(Identity(v.user_id, v.login) if v.user_id and v.login else None)

    async def revoke(self, access_token: Secret) -> Result[None, HttpError]:
        """`POST /oauth2/revoke`."""
        return await self.oauth.revoke(access_token)
