"""Spotify's side of the token state machine: refresh via `SpotifyOAuth` (no validate or revoke)."""

from __future__ import annotations

from ..components.token_provider import Identity, TokenGrant
from ..runtime.http import HttpError
from ..runtime.result import Ok, Result
from ..runtime.secret import Secret
from .models import TokenResponse
from .oauth import SpotifyOAuth


def grant_from(response: TokenResponse) -> TokenGrant:
    """Wrap a parsed token response; a missing refresh token means "keep the stored one"."""
    return TokenGrant(
        access=Secret(response.access_token),
        refresh=Secret(response.refresh_token) if response.refresh_token else None,
        expires_in_s=response.expires_in,
        scopes=tuple(response.scope),
    )


class SpotifyTokenProvider:
    """Adapts `SpotifyOAuth` to `TokenProvider`."""

    name = "Spotify"
    revocable = False

    def __init__(self, oauth: SpotifyOAuth) -> None:
        self.oauth = oauth

    async def refresh(self, refresh_token: Secret) -> Result[TokenGrant, HttpError]:
        """Refresh; Spotify may rotate the refresh token, and a new one always replaces the old."""
        got = await self.oauth.refresh(refresh_token)
        return Ok(grant_from(got.value)) if isinstance(got, Ok) else got

    async def validate(self, access_token: Secret) -> Result[Identity | None, HttpError]:
        """Spotify has no token check; a 401 on use tells instead."""
        return Ok(None)

    async def revoke(self, access_token: Secret) -> Result[None, HttpError]:
        """Spotify offers no revoke endpoint; the user removes access at spotify.com/account/apps."""
        return Ok(None)
