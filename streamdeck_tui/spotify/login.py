"""Logging in to Spotify with PKCE and handing the result to the SpotifyToken component."""

from __future__ import annotations

import logging
import webbrowser

import httpx

from ..components.tokens import InvalidGrant, ProviderToken, StoreFailed
from ..config import Settings
from ..runtime.clock import SystemClock
from ..runtime.http import DEFAULT_TIMEOUT
from ..runtime.result import Err, Ok, Result
from .callback import LoginError, pkce_login
from .oauth import SpotifyOAuth
from .token_provider import grant_from

log = logging.getLogger("streamdeck_tui.spotify")


def _print_url(url: str) -> None:
    print("To connect Spotify, open this page in a browser on this machine:")
    print(f"    {url}")
    print("Waiting for the approval (10 minutes at most)...")


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


async def pkce_login_into(
    token: ProviderToken, settings: Settings, *, open_browser: bool = True
) -> Result[None, LoginError | InvalidGrant | StoreFailed]:
    """Run the PKCE flow with a loopback callback, then store the tokens through `token`."""
    async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as http:
        oauth = SpotifyOAuth(settings.spotify.accounts_url, settings.spotify.client_id, http)
        got = await pkce_login(
            oauth,
            SystemClock(),
            open_browser=_open if open_browser else (lambda url: False),
            on_url=_print_url,
            on_refused=lambda reason: print(f"Refused a callback: {reason}."),
        )
    if isinstance(got, Err):
        return got
    stored = await token.set_tokens(grant_from(got.value), None)
    return stored if isinstance(stored, Err) else Ok(None)
