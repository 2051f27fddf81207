"""Spotify OAuth for a desktop app: Authorization Code with PKCE, and refresh (public client: no secret)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

import httpx

from ..runtime.http import HttpError, HttpStatusError, parse, request
from ..runtime.result import Err, Result
from ..runtime.secret import Secret
from .models import TokenResponse

PROVIDER: Final = "Spotify"
SPOTIFY_SCOPES: Final = (
    "user-read-currently-playing",
    "user-read-playback-state",
    "user-modify-playback-state",
)
# RFC 7636 "unreserved" characters; Spotify accepts 43 to 128 of them.
VERIFIER_ALPHABET: Final = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class Pkce:
    """One login attempt's PKCE verifier, its S256 challenge, and the anti-forgery `state`."""

    verifier: Secret
    challenge: str
    state: Secret


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding, as RFC 7636 S256 defines it."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce() -> Pkce:
    """A fresh verifier, challenge and state from the OS CSPRNG (one per login attempt, never reused)."""
    verifier = "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))
    return Pkce(Secret(verifier), s256_challenge(verifier), Secret(secrets.token_urlsafe(32)))


def is_invalid_grant(error: object) -> bool:
    """True when Spotify refused the code or refresh token: the streamer must log in again."""
    return isinstance(error, HttpStatusError) and error.reason == "invalid_grant"


class SpotifyOAuth:
    """Calls to `spotify.accounts_url` for one client id."""

    def __init__(self, accounts_url: str, client_id: str, http: httpx.AsyncClient) -> None:
        self.accounts_url = accounts_url.rstrip("/")
        self.client_id = client_id
        self.http = http

    def authorize_url(self, pkce: Pkce, redirect_uri: str, scopes: Sequence[str] = SPOTIFY_SCOPES) -> str:
        """The consent page the streamer opens; Spotify redirects back to `redirect_uri` with a code."""
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "code_challenge_method": "S256",
                "code_challenge": pkce.challenge,
                "state": pkce.state.reveal(),
                "scope": " ".join(scopes),
            }
        )
        return f"{self.accounts_url}/authorize?{query}"

    async def exchange(self, code: Secret, pkce: Pkce, redirect_uri: str) -> Result[TokenResponse, HttpError]:
        """Trade the authorization code (and the verifier that proves we asked for it) for tokens."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.accounts_url}/api/token",
            data={
                "grant_type": "authorization_code",
                "code": code.reveal(),
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "code_verifier": pkce.verifier.reveal(),
            },
        )
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, TokenResponse)

    async def refresh(self, refresh_token: Secret) -> Result[TokenResponse, HttpError]:
        """New tokens; store the returned refresh token when present, the old one is then spent."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.accounts_url}/api/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token.reveal(),
                "client_id": self.client_id,
            },
        )
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, TokenResponse)
