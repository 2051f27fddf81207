"""What a token component needs from its provider: refresh, validate, revoke, and how to read failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..runtime.http import BadPayload, HttpError, HttpStatusError, NetworkError
from ..runtime.result import Result
from ..runtime.secret import Secret

MAX_EXPIRES_IN_S = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """Tokens as a provider hands them out; `refresh` is None when the provider kept the old one."""

    access: Secret
    refresh: Secret | None
    expires_in_s: int
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the token belongs to."""

    user_id: str
    login: str


class TokenProvider(Protocol):
    """Provider-specific HTTP behind the shared token state machine."""

    name: str
    revocable: bool

    async def refresh(self, refresh_token: Secret) -> Result[TokenGrant, HttpError]:
        """Trade the refresh token for new tokens."""
        ...

    async def validate(self, access_token: Secret) -> Result[Identity | None, HttpError]:
        """Check the token with the provider (None: the provider has no such check)."""
        ...

    async def revoke(self, access_token: Secret) -> Result[None, HttpError]:
        """Invalidate the grant where the provider allows it."""
        ...


def is_revoked(error: HttpError) -> bool:
    """A 4xx other than 429 (Twitch's "Invalid refresh token", Spotify's invalid_grant) needs a new login."""
    return isinstance(error, HttpStatusError) and 400 <= error.status < 500 and error.status != 429


def is_transient(error: HttpError) -> bool:
    """Network trouble, 429 and 5xx may pass; a malformed body is not transient."""
    return isinstance(error, NetworkError) or (isinstance(error, HttpStatusError) and error.retryable)


def is_malformed(error: HttpError) -> bool:
    """The provider answered 2xx with a body we could not use."""
    return isinstance(error, BadPayload)
