"""`--demo`: the embedded simulator, settings that point at it, and a login through its OAuth."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from .components.tokens import ProviderToken, TwitchToken
from .config import Settings, SpotifySettings, TwitchSettings
from .runtime.clock import Clock
from .runtime.http import DEFAULT_TIMEOUT
from .runtime.result import Err, Ok, Result, TaggedError
from .simulator import Simulator
from .spotify.callback import pkce_login
from .spotify.oauth import SpotifyOAuth
from .spotify.token_provider import grant_from
from .twitch.login import device_login_into

log = logging.getLogger("streamdeck_tui.demo")


@dataclass(frozen=True, slots=True)
class DemoLoginFailed(TaggedError):
    """The login against the simulator did not work (a bug in the demo)."""

    tag = "DemoLoginFailed"
    detail: str

    def message(self) -> str:
        """What failed."""
        return f"demo login failed: {self.detail}"


class DemoSession:
    """A running simulator and the settings that point at it."""

    def __init__(self, simulator: Simulator, settings: Settings) -> None:
        self.simulator = simulator
        self.settings = settings

    async def login(self, token: TwitchToken, clock: Clock) -> Result[None, DemoLoginFailed]:
        """Log in to the simulated Twitch through its device-code flow (auto-approved)."""
        done = await device_login_into(
            token,
            self.settings.twitch.auth_url,
            self.settings.twitch.client_id,
            clock,
            on_code=lambda c: None,
        )
        if isinstance(done, Err):
            return Err(DemoLoginFailed(done.error.message()))
        log.info("demo: logged in to the simulated Twitch")
        return Ok(None)

    async def login_spotify(self, token: ProviderToken, clock: Clock) -> Result[None, DemoLoginFailed]:
        """Log in to the simulated Spotify through the real PKCE flow (consent auto-approved)."""

        def follow_consent(url: str) -> bool:
            # Plays the browser: the consent page, then its redirect to our loopback callback. It runs in
            # pkce_login's worker thread, hence the synchronous client.
            with httpx.Client(timeout=DEFAULT_TIMEOUT, trust_env=False) as client:
                consent = client.get(url)
                if consent.is_redirect:
                    client.get(consent.headers["location"])
            return True

        # The simulator is on loopback: an environment proxy must not get in the way.
        async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, trust_env=False) as http:
            oauth = SpotifyOAuth(self.settings.spotify.accounts_url, self.settings.spotify.client_id, http)
            got = await pkce_login(
                oauth,
                clock,
                open_browser=follow_consent,
                on_url=lambda url: None,
                timeout_s=30.0,  # the simulator approves at once: still waiting means broken
                on_refused=lambda reason: log.warning("demo: Spotify callback refused: %s", reason),
            )
        if isinstance(got, Err):
            return Err(DemoLoginFailed(got.error.message()))
        stored = await token.set_tokens(grant_from(got.value), None)
        if isinstance(stored, Err):
            return Err(DemoLoginFailed(stored.error.message()))
        log.info("demo: logged in to the simulated Spotify")
        return Ok(None)

    def go_live(self) -> None:
        """The simulated channel is live before the console connects, as when a streamer opens it mid-stream:
        the start-up reconcile through Helix then shows the viewer count at once, not after the first poll."""
        self.simulator.audience.go_live()

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


async def start_demo(settings: Settings, clock: Clock, *, speed: float = 1.0) -> DemoSession:
    """Start the simulator (auto-approving logins) and point the settings at it."""
    sim = Simulator(speed=speed, auto_approve=True, clock=clock, start_playing=True)
    await sim.start()
    return DemoSession(sim, demo_settings(settings, sim))
