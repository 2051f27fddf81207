"""`Simulator`: builds the simulated Twitch + Spotify state, binds its three servers, and runs the demo."""

from __future__ import annotations

import asyncio
import random
import shlex
from dataclasses import dataclass
from types import TracebackType

from streamdeck_tui.runtime.clock import Clock, SystemClock

from .audience import Audience
from .catalogue import Catalogue
from .channel import Channel
from .control import build_control_router
from .control_base import ControlTargets
from .demo_clients import SPOTIFY_DEMO_CLIENT_ID, TWITCH_DEMO_CLIENT_ID
from .errors import (
    accounts_error,
    accounts_fault,
    control_error,
    helix_error,
    helix_fault,
    oauth_error,
    oauth_fault,
    spotify_error,
    spotify_fault,
)
from .eventsub import EventSubServer
from .eventsub_subscriptions import SubscriptionRegistry
from .faults import Faults
from .helix import build_helix_router
from .helix_eventsub import add_eventsub_routes
from .helix_gate import HelixGate
from .helix_rewards import add_reward_routes
from .http import HttpServer
from .http_app import Mount, SimHttpApp
from .playback import PlaybackModel
from .ratelimit import RateLimiter
from .request_counter import RequestCounter
from .rewards import RewardFields, RewardStore
from .spotify_accounts import SpotifyAccounts, build_accounts_router
from .spotify_api import build_spotify_api_router
from .twitch_auth import build_auth_router
from .twitch_tokens import TwitchTokens
from .twitch_users import UserDirectory
from .urls import HOST, SimUrls


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Every knob of the simulator. With `port` N > 0: Twitch HTTP on N, EventSub on N+1, Spotify on N+2."""

    port: int = 0
    speed: float = 1.0
    auto_approve: bool = False
    seed: int | None = None
    token_lifetime_s: int = 14_400
    spotify_token_lifetime_s: int = 3_600
    subscribe_timeout_s: float = 10.0
    reconnect_grace_s: float = 30.0
    ratelimit_per_minute: int = 800
    device_poll_interval_s: int = 5
    start_playing: bool = False


class Simulator:
    """Simulated Twitch (auth, Helix, EventSub) and Spotify (accounts, Web API) on loopback sockets.

    The state objects are public attributes so tests can look inside: `channel`, `rewards`, `tokens`,
    `registry`, `eventsub`, `accounts`, `player`, `catalogue`, `audience`, `faults`, `requests`.
    """

    def __init__(
        self,
        port: int = 0,
        speed: float = 1.0,
        auto_approve: bool = False,
        clock: Clock | None = None,
        seed: int | None = None,
        token_lifetime_s: int = 14_400,
        *,
        subscribe_timeout_s: float = 10.0,
        reconnect_grace_s: float = 30.0,
        ratelimit_per_minute: int = 800,
        device_poll_interval_s: int = 5,
        spotify_token_lifetime_s: int = 3_600,
        start_playing: bool = False,
    ) -> None:
        self.config = SimulatorConfig(
            port=port,
            speed=speed,
            auto_approve=auto_approve,
            seed=seed,
            token_lifetime_s=token_lifetime_s,
            spotify_token_lifetime_s=spotify_token_lifetime_s,
            subscribe_timeout_s=subscribe_timeout_s,
            reconnect_grace_s=reconnect_grace_s,
            ratelimit_per_minute=ratelimit_per_minute,
            device_poll_interval_s=device_poll_interval_s,
            start_playing=start_playing,
        )
        cfg = self.config
        self.clock: Clock = clock or SystemClock()
        self.rng = random.Random(seed)
        self.urls = SimUrls()
        self.faults = Faults()
        self.requests = RequestCounter()
        self.catalogue = Catalogue.load()
        self.users = UserDirectory.load()
        self.registry = SubscriptionRegistry(self.clock, self.rng, lambda uid: self.users.get(uid) is not None)
        self.eventsub = EventSubServer(
            self.registry,
            self.faults,
            self.clock,
            self.rng,
            self.urls,
            subscribe_timeout_s=cfg.subscribe_timeout_s,
            reconnect_grace_s=cfg.reconnect_grace_s,
        )
        self.channel = Channel(self.users, self.clock, self.rng, self.eventsub)
        self.rewards = RewardStore(self.users.broadcaster, self.clock, self.rng, self.eventsub)
        # A reward made in the Twitch dashboard: the app can see it but never update its redemptions.
        self.rewards.create(None, RewardFields(title="Hydrate!", cost=100))
        self.tokens = TwitchTokens(
            self.users,
            self.clock,
            self.rng,
            token_lifetime_s=cfg.token_lifetime_s,
            poll_interval_s=cfg.device_poll_interval_s,
            auto_approve=cfg.auto_approve,
        )
        self.accounts = SpotifyAccounts(
            self.clock, self.rng, token_lifetime_s=cfg.spotify_token_lifetime_s, auto_approve=cfg.auto_approve
        )
        self.player = PlaybackModel(self.catalogue, self.clock, self.rng, cfg.speed)
        self.audience = Audience(self.channel, self.rewards, self.catalogue, self.clock, self.rng, speed=cfg.speed)
        self._twitch_http = HttpServer(self._twitch_app(), name="twitch")
        self._spotify_http = HttpServer(self._spotify_app(), name="spotify")
        self._started = False

    @classmethod
    def from_config(cls, config: SimulatorConfig, clock: Clock | None = None) -> Simulator:
        """Build from a `SimulatorConfig`."""
        return cls(
            config.port,
            config.speed,
            config.auto_approve,
            clock,
            config.seed,
            config.token_lifetime_s,
            subscribe_timeout_s=config.subscribe_timeout_s,
            reconnect_grace_s=config.reconnect_grace_s,
            ratelimit_per_minute=config.ratelimit_per_minute,
            device_poll_interval_s=config.device_poll_interval_s,
            spotify_token_lifetime_s=config.spotify_token_lifetime_s,
            start_playing=config.start_playing,
        )

    def _twitch_app(self) -> SimHttpApp:
        gate = HelixGate(self.tokens, RateLimiter(self.clock, self.config.ratelimit_per_minute))
        helix = build_helix_router(gate, self.channel)
        add_reward_routes(helix, gate, self.rewards)
        add_eventsub_routes(helix, gate, self.registry, self.eventsub)
        targets = ControlTargets(
            self.channel,
            self.rewards,
            self.tokens,
            self.accounts,
            self.player,
            self.eventsub,
            self.registry,
            self.faults,
            self.requests,
            self.audience,
            self.rng,
        )
        mounts = [
            Mount("/oauth2", build_auth_router(self.tokens, self.urls), oauth_error, oauth_fault),
            Mount("/helix", helix, helix_error, helix_fault),
            Mount("/_sim", build_control_router(targets), control_error, helix_fault, counted=False),
        ]
        return SimHttpApp(mounts, self.faults, self.requests)

    def _spotify_app(self) -> SimHttpApp:
        mounts = [
            Mount(
                "/v1",
                build_spotify_api_router(self.accounts, self.player, self.urls),
                spotify_error,
                spotify_fault,
            ),
            Mount(
                "",
                build_accounts_router(self.accounts),
                lambda status, message: accounts_error(status, "invalid_request", message),
                accounts_fault,
            ),
        ]
        return SimHttpApp(mounts, self.faults, self.requests)

    async def start(self) -> None:
        """Bind the three servers (free ports, or `port`, `port+1`, `port+2`)."""
        if self._started:
            return
        base = self.config.port
        try:
            await self._twitch_http.start(HOST, base)
            await self.eventsub.start(HOST, base + 1 if base else 0)
            await self._spotify_http.start(HOST, base + 2 if base else 0)
        except OSError:
            await self._close_servers()
            raise
        self.urls.twitch_port = self._twitch_http.port
        self.urls.eventsub_port = self.eventsub.port
        self.urls.spotify_port = self._spotify_http.port
        self._started = True
        if self.config.start_playing:
            self.player.play()

    async def stop(self) -> None:
        """Stop the audience and every server."""
        await self.audience.stop()
        await self._close_servers()
        self._started = False

    async def _close_servers(self) -> None:
        await self._spotify_http.stop()
        await self.eventsub.stop()
        await self._twitch_http.stop()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def twitch_helix_url(self) -> str:
        """Helix base URL (`…/helix`)."""
        return self.urls.twitch_helix

    @property
    def twitch_auth_url(self) -> str:
        """Twitch OAuth base URL (`…/oauth2`)."""
        return self.urls.twitch_auth

    @property
    def eventsub_url(self) -> str:
        """EventSub WebSocket URL (`ws://…/ws`)."""
        return self.urls.eventsub

    @property
    def spotify_api_url(self) -> str:
        """Spotify Web API base URL (`…/v1`)."""
        return self.urls.spotify_api

    @property
    def spotify_accounts_url(self) -> str:
        """Spotify accounts base URL (`/authorize`, `/api/token` below it)."""
        return self.urls.spotify_accounts

    @property
    def control_url(self) -> str:
        """Control API base URL (`…/_sim`)."""
        return self.urls.control

    @property
    def twitch_client_id(self) -> str:
        """The invented Twitch application id the demo uses."""
        return TWITCH_DEMO_CLIENT_ID

    @property
    def spotify_client_id(self) -> str:
        """The invented Spotify application id the demo uses."""
        return SPOTIFY_DEMO_CLIENT_ID

    def start_audience(self, speed: float | None = None) -> None:
        """Take the stream live and start the scripted audience (optionally at another speed)."""
        if speed is not None:
            self.audience.speed = speed
        self.audience.start()

    def env(self) -> dict[str, str]:
        """The STREAMDECK_* variables that point the console at this simulator."""
        return {
            "STREAMDECK_TWITCH__HELIX_URL": self.twitch_helix_url,
            "STREAMDECK_TWITCH__AUTH_URL": self.twitch_auth_url,
            "STREAMDECK_TWITCH__EVENTSUB_URL": self.eventsub_url,
            "STREAMDECK_TWITCH__CLIENT_ID": self.twitch_client_id,
            "STREAMDECK_SPOTIFY__API_URL": self.spotify_api_url,
            "STREAMDECK_SPOTIFY__ACCOUNTS_URL": self.spotify_accounts_url,
            "STREAMDECK_SPOTIFY__CLIENT_ID": self.spotify_client_id,
        }


def describe(sim: Simulator) -> str:
    """The URLs and `export` lines printed at start."""
    lines = [
        "streamdeck-tui simulator running",
        f"  Twitch auth    {sim.twitch_auth_url}",
        f"  Twitch Helix   {sim.twitch_helix_url}",
        f"  EventSub       {sim.eventsub_url}",
        f"  Spotify API    {sim.spotify_api_url}",
        f"  Spotify auth   {sim.spotify_accounts_url}",
        f"  Control API    {sim.control_url}   (GET it for the list of routes)",
        "",
        "Point the console at it with:",
        *(f"export {name}={shlex.quote(value)}" for name, value in sim.env().items()),
    ]
    return "\n".join(lines)


async def run_simulator(port: int, speed: float, auto_approve: bool) -> None:
    """Run the simulator with music playing and the scripted audience on, until cancelled."""
    sim = Simulator(port=port, speed=speed, auto_approve=auto_approve, start_playing=True)
    await sim.start()
    try:
        sim.start_audience()
        print(describe(sim), flush=True)
        await asyncio.Event().wait()
    finally:
        await sim.stop()
