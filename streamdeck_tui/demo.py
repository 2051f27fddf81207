"""`--demo`: the embedded simulator, a login through its OAuth, and settings that point at it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import httpx

from .config import Settings, SpotifySettings, TwitchSettings
from .runtime.clock import Clock
from .runtime.http import DEFAULT_TIMEOUT
from .runtime.result import Err, Ok, Result, TaggedError
from .runtime.secret import Secret
from .runtime.tokens import StaticTokenSource, TokenSource
from .simulator import Simulator
from .twitch.oauth import TwitchOAuth, device_login

log = logging.getLogger("streamdeck_tui.demo")

# The scopes later features need (redemptions, chat, followers, shoutouts, bans).
TWITCH_SCOPES: Final = (
    "channel:manage:redemptions",
    "user:read:chat",
    "user:write:chat",
    "moderator:read:followers",
    "moderator:manage:shoutouts",
    "moderator:manage:banned_users",
)


@dataclass(frozen=True, slots=True)
class DemoLoginFailed(TaggedError):
    """The login against the simulator did not work (a bug in the demo)."""

    tag = "DemoLoginFailed"
    detail: str


class DemoSession:
    """A running simulator, the settings that point at it, and the account logged in to it."""

    def __init__(self, simulator: Simulator, settings: Settings, twitch_tokens: TokenSource) -> None:
        self.simulator = simulator
        self.settings = settings
        self.twitch_tokens = twitch_tokens

    def start_audience(self) -> None:
        """Let the scripted viewers loose."""
        self.simulator.start_audience()

    async def stop(self) -> None:
        """Stop the audience and the servers."""
        await self.simulator.stop()


def demo_settings(settings: Settings, sim: Simulator) -> Settings:
    """`settings` with every endpoint and client id pointing at the simulator."""
    twitch = TwitchSettings(
        helix_url=sim.twitch_helix_url,
        auth_url=sim.twitch_auth_url,
        eventsub_url=sim.eventsub_url,
        client_id=sim.twitch_client_id,
    )
    spotify = SpotifySettings(
        api_url=sim.spotify_api_url, accounts_url=sim.spotify_accounts_url, client_id=sim.spotify_client_id
    )
    return settings.model_copy(update={"twitch": twitch, "spotify": spotify})


async def start_demo(
    settings: Settings, clock: Clock, *, speed: float = 1.0
) -> Result[DemoSession, TaggedError]:
    """Start the simulator (auto-approving logins) and log in to its Twitch."""
    sim = Simulator(speed=speed, auto_approve=True, clock=clock)
    await sim.start()
    pointed = demo_settings(settings, sim)
    async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as http:
        oauth = TwitchOAuth(pointed.twitch.auth_url, pointed.twitch.client_id, http)
        tokens = await device_login(oauth, TWITCH_SCOPES, clock, on_code=lambda code: None)
    if isinstance(tokens, Err):
        await sim.stop()
        return Err(DemoLoginFailed(tokens.error.message()))
    log.info("demo: logged in to the simulated Twitch")
    return Ok(DemoSession(sim, pointed, StaticTokenSource(Secret(tokens.value.access_token))))
