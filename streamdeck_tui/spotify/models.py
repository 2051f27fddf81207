"""Pydantic models of the Spotify accounts responses we read."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Spotify access tokens live an hour; anything beyond a year is a broken or hostile body, and a huge value
# would push expiry arithmetic out of range.
MAX_EXPIRES_IN_S: Final = 365 * 24 * 3600


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenResponse(_Model):
    """`POST /api/token` (authorization-code and refresh grants)."""

    access_token: str = Field(min_length=1, repr=False)
    token_type: str = Field(pattern=r"(?i)^bearer$")
    # strict: a string "3600" or a boolean is a provider bug we would rather see than coerce.
    expires_in: int = Field(gt=0, le=MAX_EXPIRES_IN_S, strict=True)
    # Spotify sends a space-separated string; an absent scope reads as "nothing granted" rather than a
    # failure, so a refresh never breaks mid-stream over a field we only display.
    scope: tuple[str, ...] = ()
    # A refresh may or may not rotate it; when present it replaces the stored one (PKCE refresh tokens are
    # effectively single-use).
    refresh_token: str | None = Field(default=None, min_length=1, repr=False)

    @field_validator("scope", mode="before")
    @classmethod
    def _split_scope(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(value.split())
        raise ValueError("scope must be a space-separated string")
