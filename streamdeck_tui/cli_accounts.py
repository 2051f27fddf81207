"""`streamdeck-tui login|logout|accounts`: connect, disconnect and inspect the Twitch and Spotify accounts."""

from __future__ import annotations

import asyncio
import json
import sys
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Final

from .components.tokens import AuthStatus, ProviderToken, TokenHealth
from .config import LoadedSettings, default_config_path
from .engine import Engine
from .runtime.clock import SystemClock, iso_from_ms
from .runtime.result import Err
from .secrets import KeyringStore, SecretStore
from .twitch.models import DeviceCodeResponse

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2

TWITCH_APP_HELP: Final = """No Twitch client id is configured; streamdeck-tui uses your own Twitch app:
  1. Open https://dev.twitch.tv/console/apps and choose "Register Your Application".
  2. Name it (e.g. "streamdeck-tui <your channel>"), OAuth Redirect URL: http://localhost (unused by the
     device-code login), Category: Broadcaster Suite, Client Type: Public.
  3. Copy the Client ID into {config} as
         [twitch]
         client_id = "..."
     or set STREAMDECK_TWITCH__CLIENT_ID. Then run `streamdeck-tui login twitch` again."""

SPOTIFY_APP_HELP: Final = """No Spotify client id is configured; streamdeck-tui uses your own Spotify app:
  1. Open https://developer.spotify.com/dashboard and choose "Create app" (your account needs Premium).
  2. Redirect URI: http://127.0.0.1/callback (exactly; not localhost). APIs used: Web API.
  3. Copy the Client ID into {config} as
         [spotify]
         client_id = "..."
     or set STREAMDECK_SPOTIFY__CLIENT_ID. Then run `streamdeck-tui login spotify` again."""


def keyring_store(service: str) -> SecretStore | str:
    """The OS keyring, or the one-line reason it cannot be used."""
    store = KeyringStore(service)
    checked = store.check()
    if isinstance(checked, Err):
        return checked.error.message()
    return store


@asynccontextmanager
async def _accounts(loaded: LoadedSettings, store: SecretStore) -> AsyncIterator[Engine]:
    engine = Engine(loaded.settings, components=(), secret_store=store)
    started = await engine.start(connect=False)
    if isinstance(started, Err):
        raise SystemExit(f"{started.error.message()}")
    try:
        yield engine
    finally:
        await engine.stop()


def _token(engine: Engine, provider: str) -> ProviderToken:
    for token in engine.tokens:
        if token.provider_key == provider:
            return token
    raise SystemExit(f"{provider} accounts are not supported yet")


def run_login(loaded: LoadedSettings, provider: str, *, open_browser: bool = True) -> int:
    """Log in to `provider`; returns the exit code."""
    settings = loaded.settings
    config = loaded.path or default_config_path()
    if provider == "twitch" and not settings.twitch.client_id:
        print(TWITCH_APP_HELP.format(config=config), file=sys.stderr)
        return EXIT_USAGE
    if provider == "spotify" and not settings.spotify.client_id:
        print(SPOTIFY_APP_HELP.format(config=config), file=sys.stderr)
        return EXIT_USAGE
    store = keyring_store(loaded.settings.keyring_service)
    if isinstance(store, str):
        print(store, file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_login(loaded, store, provider, open_browser))


async def _login(loaded: LoadedSettings, store: SecretStore, provider: str, open_browser: bool) -> int:
    async with _accounts(loaded, store) as engine:
        token = _token(engine, provider)
        if provider == "twitch":
            from .components.tokens import TwitchToken
            from .twitch.login import device_login_into

            assert isinstance(token, TwitchToken)
            twitch = await device_login_into(
                token,
                loaded.settings.twitch.auth_url,
                loaded.settings.twitch.client_id,
                SystemClock(),
                on_code=lambda code: _show_device_code(code, open_browser),
                on_wait=_countdown,
            )
            failure = twitch.error.message() if isinstance(twitch, Err) else None
        else:
            from .spotify.login import pkce_login_into

            spotify = await pkce_login_into(token, loaded.settings, open_browser=open_browser)
            failure = spotify.error.message() if isinstance(spotify, Err) else None
        print()
        if failure is not None:
            print(f"Login failed: {failure}", file=sys.stderr)
            return EXIT_FAILED
        who = (await token.account()).login or "your account"
        print(f"Logged in to {token.provider.name} as {who}. The tokens are in {store.describe()}.")
        return EXIT_OK


def _show_device_code(code: DeviceCodeResponse, open_browser: bool) -> None:
    print("To connect Twitch, open this page and enter the code:")
    print(f"    {code.verification_uri}")
    print(f"    code: {code.user_code}")
    if open_browser:
        with suppress(webbrowser.Error):
            webbrowser.open(code.verification_uri)


def _countdown(remaining_s: float) -> None:
    minutes, seconds = divmod(int(remaining_s), 60)
    print(f"\rWaiting for approval... {minutes:02d}:{seconds:02d} left ", end="", flush=True)


def run_logout(loaded: LoadedSettings, provider: str) -> int:
    """Revoke where possible and forget the account."""
    store = keyring_store(loaded.settings.keyring_service)
    if isinstance(store, str):
        print(store, file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_logout(loaded, store, provider))


async def _logout(loaded: LoadedSettings, store: SecretStore, provider: str) -> int:
    async with _accounts(loaded, store) as engine:
        token = _token(engine, provider)
        before = await token.account()
        if before.status is AuthStatus.NOT_CONFIGURED:
            print(f"Not logged in to {token.provider.name}.")
            return EXIT_OK
        done = await token.logout()
        if isinstance(done, Err):
            print(done.error.message(), file=sys.stderr)
            return EXIT_FAILED
        revoked = "revoked and " if done.value else ""
        print(f"Logged out of {token.provider.name}: tokens {revoked}removed from {store.describe()}.")
        return EXIT_OK


def run_accounts(loaded: LoadedSettings, *, as_json: bool) -> int:
    """Who is logged in, scopes, expiry, status."""
    store = keyring_store(loaded.settings.keyring_service)
    if isinstance(store, str):
        print(store, file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_accounts_report(loaded, store, as_json))


def account_json(h: TokenHealth) -> dict[str, object]:
    """One account as JSON (no secrets: there are none in `TokenHealth`)."""
    return {
        "provider": h.provider.lower(),
        "status": h.status.value,
        "login": h.login,
        "user_id": h.user_id,
        "scopes": list(h.scopes),
        "expires_at": iso_from_ms(h.expires_ms) if h.expires_ms else None,
        "last_error": h.last_error,
    }


async def _accounts_report(loaded: LoadedSettings, store: SecretStore, as_json: bool) -> int:
    async with _accounts(loaded, store) as engine:
        accounts = [await t.account() for t in engine.tokens]
    if as_json:
        print(json.dumps([account_json(a) for a in accounts], indent=2))
        return EXIT_OK
    for a in accounts:
        who = f" as {a.login}" if a.login else ""
        print(f"{a.provider:8} {a.status.value.replace('_', ' ')}{who}")
        if a.status is not AuthStatus.NOT_CONFIGURED and a.expires_ms is not None:
            print(f"         expires {iso_from_ms(a.expires_ms)}; scopes: {', '.join(a.scopes) or '-'}")
        if a.last_error:
            print(f"         last problem: {a.last_error}")
    return EXIT_OK
