"""What a provider client needs from an account: a valid access token, or a reason why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .result import Ok, Result, TaggedError
from .secret import Secret


@dataclass(frozen=True, slots=True)
class NotLoggedIn(TaggedError):
    """No account is connected for this provider."""

    tag = "NotLoggedIn"
    provider: str

    def message(self) -> str:
        """Tell the streamer how to connect it."""
        return f"not logged in to {self.provider}: run `streamdeck-tui login {self.provider.lower()}`"


@dataclass(frozen=True, slots=True)
class TokenUnavailable(TaggedError):
    """A token exists but cannot be used right now (refresh failing, reauthorization required)."""

    tag = "TokenUnavailable"
    provider: str
    detail: str

    def message(self) -> str:
        """Why the token cannot be used."""
        return f"{self.provider} token unavailable: {self.detail}"


AuthError = NotLoggedIn | TokenUnavailable


class TokenSource(Protocol):
    """Hands out a valid access token; refreshes behind the scenes."""

    async def access_token(self) -> Result[Secret, AuthError]:
        """A token valid for at least the next few minutes."""
        ...

    async def invalidate(self) -> None:
        """The provider rejected the token (401): refresh before the next use."""
        ...


class StaticTokenSource:
    """A fixed token (tests, and the demo before the token components exist)."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    async def access_token(self) -> Result[Secret, AuthError]:
        """The token it was given."""
        return Ok(self._token)

    async def invalidate(self) -> None:
        """Nothing to refresh."""
