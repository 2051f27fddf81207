"""The composition root: builds every component once, starts them in order and stops them cleanly."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from .chat_commands import ChatCommands
from .components.channel_rewards import PURPOSES, ChannelRewards, RewardInfo
from .components.eventsub_inbox import EventSubInbox
from .components.keyboard_raffle import KeyboardRaffle
from .components.song_queue import SongQueue
from .components.stream_lifecycle import StreamLifecycle
from .components.tokens import AuthStatus, ProviderToken, SpotifyToken, TwitchToken
from .components.workflow_pool import WorkflowPool
from .config import Settings
from .feed import ActivitySeen
from .raffle_actions import RaffleActions
from .runtime.clock import Clock, SystemClock
from .runtime.component import Component, ComponentContext, HealthStatus
from .runtime.dispatcher import Dispatcher
from .runtime.events import DomainEvent
from .runtime.http import DEFAULT_TIMEOUT
from .runtime.hub import Hub
from .runtime.resources import migrations_root
from .runtime.result import Err, Ok, Result, TaggedError
from .runtime.tokens import TokenSource
from .secrets import SecretStore
from .songs.actions import SongActions
from .songs.commands import SongCommands
from .songs.sync import SongSync
from .spotify.api import SpotifyClient
from .spotify.oauth import SpotifyOAuth
from .spotify.token_provider import SpotifyTokenProvider
from .twitch.helix import HelixClient
from .twitch.link import TwitchLink
from .twitch.models import User
from .twitch.oauth import TwitchOAuth
from .twitch.router import IngressRouter
from .twitch.token_provider import TwitchTokenProvider
from .workflows.keyboard_raffle import KeyboardRaffleWorkflow
from .workflows.raid_shoutout import RaidShoutout
from .workflows.song_request import SongRequestWorkflow

log = logging.getLogger("streamdeck_tui.engine")

# The feature issues add theirs (song queue, raffle, achievements, workflow pool).
# Start order; stop is the reverse. The inbox comes last: it hands stored notifications to the pool as soon
# as it starts, and it must stop handing them over before the pool and the stores behind it stop.
DEFAULT_COMPONENTS: tuple[type[Component], ...] = (
    StreamLifecycle,
    ChannelRewards,
    KeyboardRaffle,
    SongQueue,
    WorkflowPool,
    EventSubInbox,
)


@dataclass(frozen=True, slots=True)
class EngineStartError(TaggedError):
    """A component could not start; the ones started before it were stopped again."""

    tag = "EngineStartError"
    component: str
    detail: str

    def message(self) -> str:
        """Name the component and its reason."""
        return f"{self.component} could not start: {self.detail}"


@dataclass(frozen=True, slots=True)
class NotConnected(TaggedError):
    """A provider is not connected yet (no account, or the link is down)."""

    tag = "NotConnected"
    provider: str

    def message(self) -> str:
        """Which one."""
        return f"not connected to {self.provider}"


class Engine:
    """Holds the components, the event dispatcher and the clock; the UI, headless mode and tests hold this."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        components: Sequence[type[Component]] = DEFAULT_COMPONENTS,
        migrations: Path | None = None,
        secret_store: SecretStore | None = None,
        twitch_tokens: TokenSource | None = None,
        spotify_tokens: TokenSource | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.dispatcher = Dispatcher(self.clock)
        self.hub = Hub()
        self.http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self.ctx = ComponentContext(
            data_dir=settings.data_dir,
            clock=self.clock,
            migrations_root=migrations or migrations_root(),
            on_committed=self._committed,
        )
        self.components: dict[str, Component] = {}
        self.twitch_token: TwitchToken | None = None
        self.spotify_token: SpotifyToken | None = None
        if secret_store is not None:
            oauth = TwitchOAuth(settings.twitch.auth_url, settings.twitch.client_id, self.http)
            self.twitch_token = TwitchToken(self.ctx, secret_store, TwitchTokenProvider(oauth))
            self._add(self.twitch_token)
            spotify = SpotifyOAuth(settings.spotify.accounts_url, settings.spotify.client_id, self.http)
            self.spotify_token = SpotifyToken(self.ctx, secret_store, SpotifyTokenProvider(spotify))
            self._add(self.spotify_token)
        for kind in components:
            self._add(kind(self.ctx))
        self._started: list[Component] = []
        self.spotify_tokens: TokenSource | None = spotify_tokens or self.spotify_token
        self._spotify_client: SpotifyClient | None = None
        queue = self.songs
        self.song_sync = (
            SongSync(queue, self._spotify, self._helix, self.broadcaster, self.clock, settings.songs.push_lead_seconds)
            if queue is not None
            else None
        )
        self.song_actions = (
            SongActions(queue, self.song_sync, self.rewards, self._spotify, self._helix, self.broadcaster)
            if queue is not None
            else None
        )
        if self.pool is not None:
            self.pool.warm_target = settings.workflows.pool_size
            self.pool.register(RaidShoutout(self._helix), prepare=self._prepare_twitch)
            if self.raffle is not None:
                self.pool.register(KeyboardRaffleWorkflow(self.raffle, self._helix), prepare=self._prepare_twitch)
            if queue is not None:
                songs = SongRequestWorkflow(queue, self._spotify, self._helix, lambda: settings.songs, self._poke_songs)
                self.pool.register(songs, prepare=self._prepare_songs)
        self.commands = ChatCommands(self.raffle, self._helix)
        if queue is not None:
            SongCommands(queue, self.pool, lambda: settings.songs.sr_roles, self.clock, self._poke_songs).register(
                self.commands
            )
        self.router = IngressRouter(self.stream, self.hub, self.clock, self.pool, self.rewards, self.commands)
        if self.inbox is not None:
            self.inbox.attach_processor(self.router.route)
        self.twitch_tokens: TokenSource | None = twitch_tokens or self.twitch_token
        self.twitch: TwitchLink | None = None
        self._helix_only: HelixClient | None = None
        self._me: User | None = None
        self.raffle_actions = (
            RaffleActions(self.raffle, self.rewards, self.pool, self._helix, self.broadcaster, self.clock)
            if self.raffle is not None
            else None
        )

    def _add(self, component: Component) -> None:
        if component.name in self.components:
            raise ValueError(f"component name {component.name!r} used twice")
        self.components[component.name] = component

    def _committed(self, events: Sequence[DomainEvent]) -> None:
        self.dispatcher.notify()
        for event in events:
            self.hub.publish(event)

    @property
    def tokens(self) -> list[ProviderToken]:
        """The provider accounts this engine manages."""
        return [c for c in self.components.values() if isinstance(c, ProviderToken)]

    async def start(self, *, connect: bool = True) -> Result[None, EngineStartError]:
        """Start components in order, then the dispatcher, then (with `connect`) the Twitch link."""
        for component in self.components.values():
            result = await component.start()
            if isinstance(result, Err):
                await self.stop()
                return Err(EngineStartError(component.name, result.error.message()))
            self._started.append(component)
            self.dispatcher.add_source(component)
        self._subscribe_tokens_to_stream()
        self.dispatcher.start()
        log.info("engine started with %d components", len(self._started))
        if connect:
            await self.connect_twitch()
            if self.song_sync is not None:
                self.song_sync.start()
        return Ok(None)

    def _subscribe_tokens_to_stream(self) -> None:
        for token in self.tokens:

            async def on_stream(event: DomainEvent, token: ProviderToken = token) -> Result[None, TaggedError]:
                if event.type == "stream_online":
                    await token.on_stream_online()
                else:
                    await token.on_stream_offline()
                return Ok(None)

            self.dispatcher.subscribe(f"{token.name}.stream", on_stream, ["stream_online", "stream_offline"])
        pool = self.pool
        if pool is not None:

            async def refill(event: DomainEvent) -> Result[None, TaggedError]:
                pool.refill()
                return Ok(None)

            self.dispatcher.subscribe("workflow_pool.stream", refill, ["stream_online"])

    async def connect_twitch(self) -> None:
        """Connect to Twitch when an account is ready; a failure is shown, never fatal."""
        lifecycle, inbox = self.stream, self.inbox
        if self.twitch is not None or lifecycle is None or inbox is None:
            return
        if self.twitch_tokens is None or (
            self.twitch_token is not None
            and self.twitch_tokens is self.twitch_token
            and (await self.twitch_token.account()).status is not AuthStatus.AUTHORIZED
        ):
            self.hub.publish(
                ActivitySeen(self.clock.now_ms(), "twitch", "not logged in: run `streamdeck-tui login twitch`")
            )
            return
        helix = self._new_helix(self.twitch_tokens)
        link = TwitchLink(helix, self.settings.twitch.eventsub_url, lifecycle, inbox, self.hub, self.clock)
        started = await link.start()
        if isinstance(started, Err):
            log.warning("twitch link failed: %s", started.error.message())
            self.hub.publish(ActivitySeen(self.clock.now_ms(), "twitch", started.error.message()))
            return
        self.twitch = link
        if self.pool is not None:
            self.pool.refill()

    @property
    def stream(self) -> StreamLifecycle | None:
        """The stream lifecycle component (None in an engine built without it)."""
        component = self.components.get(StreamLifecycle.name)
        return component if isinstance(component, StreamLifecycle) else None

    @property
    def pool(self) -> WorkflowPool | None:
        """The workflow pool (None in an engine built without it)."""
        component = self.components.get(WorkflowPool.name)
        return component if isinstance(component, WorkflowPool) else None

    @property
    def raffle(self) -> KeyboardRaffle | None:
        """The raffle store (None in an engine built without it)."""
        component = self.components.get(KeyboardRaffle.name)
        return component if isinstance(component, KeyboardRaffle) else None

    @property
    def songs(self) -> SongQueue | None:
        """The song queue (None in an engine built without it)."""
        component = self.components.get(SongQueue.name)
        return component if isinstance(component, SongQueue) else None

    @property
    def rewards(self) -> ChannelRewards | None:
        """The managed rewards (None in an engine built without them)."""
        component = self.components.get(ChannelRewards.name)
        return component if isinstance(component, ChannelRewards) else None

    async def setup_rewards(self) -> Result[list[RewardInfo], TaggedError]:
        """Create or adopt the raffle and song-request rewards with this console's client id."""
        helix, me, rewards = self._helix(), await self.broadcaster(), self.rewards
        if isinstance(me, Err):
            return me
        if helix is None or rewards is None:
            return Err(NotConnected("Twitch"))
        made = []
        for purpose in PURPOSES:
            done = await rewards.ensure(purpose, helix, me.value.id)
            if isinstance(done, Err):
                return done
            made.append(done.value)
        return Ok(made)

    async def broadcaster(self) -> Result[User, TaggedError]:
        """The logged-in channel (asked once, then remembered)."""
        if self.twitch is not None and self.twitch.me is not None:
            return Ok(self.twitch.me)
        if self._me is not None:
            return Ok(self._me)
        helix = self._helix()
        if helix is None:
            return Err(NotConnected("Twitch: run `streamdeck-tui login twitch`"))
        me = await helix.get_me()
        if isinstance(me, Err):
            return Err(NotConnected(f"Twitch: {me.error.message()}"))
        self._me = me.value
        return Ok(me.value)

    def _spotify(self) -> SpotifyClient | None:
        """The Spotify Web API client, once a Spotify account (or test token source) exists."""
        if self._spotify_client is None and self.spotify_tokens is not None:
            self._spotify_client = SpotifyClient(
                self.settings.spotify.api_url, self.spotify_tokens, self.http, self.clock
            )
        return self._spotify_client

    def _poke_songs(self) -> None:
        if self.song_sync is not None:
            self.song_sync.poke()

    async def _prepare_songs(self) -> Result[None, TaggedError]:
        """A warm song-request workflow: Twitch checked, and a Spotify token in hand."""
        twitch = await self._prepare_twitch()
        if isinstance(twitch, Err):
            return twitch
        spotify = self.spotify_tokens
        if spotify is None:
            return Err(NotConnected("Spotify"))
        token = await spotify.access_token()
        return Ok(None) if isinstance(token, Ok) else Err(NotConnected(f"Spotify: {token.error.message()}"))

    def _helix(self) -> HelixClient | None:
        """The link's Helix client; without a link (CLI commands) one of its own once an account exists."""
        if self.twitch is not None:
            return self.twitch.helix
        if self._helix_only is None and self.twitch_tokens is not None:
            self._helix_only = self._new_helix(self.twitch_tokens)
        return self._helix_only

    def _new_helix(self, tokens: TokenSource) -> HelixClient:
        twitch = self.settings.twitch
        return HelixClient(twitch.helix_url, twitch.client_id, tokens, self.http, self.clock)

    async def _prepare_twitch(self) -> Result[None, TaggedError]:
        """What a warm Twitch workflow has already done: a checked token and an open connection."""
        helix = self._helix()
        if helix is None:
            return Err(NotConnected("Twitch"))
        me = await helix.get_me()
        return Ok(None) if isinstance(me, Ok) else Err(NotConnected(f"Twitch: {me.error.message()}"))

    @property
    def inbox(self) -> EventSubInbox | None:
        """The EventSub inbox (None in an engine built without it)."""
        component = self.components.get(EventSubInbox.name)
        return component if isinstance(component, EventSubInbox) else None

    async def stop(self) -> None:
        """Stop the song sync and the Twitch link, the dispatcher, then components in reverse start order."""
        if self.song_sync is not None:
            await self.song_sync.stop()
        if self.twitch is not None:
            await self.twitch.stop()
            self.twitch = None
        await self.dispatcher.stop()
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        if not self.http.is_closed:
            await self.http.aclose()
        log.info("engine stopped")

    def health(self) -> dict[str, HealthStatus]:
        """Each component's health by name."""
        return {name: c.health for name, c in self.components.items()}
