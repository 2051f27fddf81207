"""The streamer's song-queue actions, shared by the console's keys and its command palette."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..components.channel_rewards import ChannelRewards
from ..components.song_queue import SongQueue
from ..runtime.result import Err, Ok, Result, TaggedError
from ..spotify.api import SpotifyClient
from ..twitch.helix import HelixClient
from ..twitch.models import User
from .models import NotWaiting, SongRequest
from .sync import SongSync

REMOVED_BY_STREAMER = "removed by the streamer"


@dataclass(frozen=True, slots=True)
class SongActionFailed(TaggedError):
    """A song action could not be done; the message says why."""

    tag = "SongActionFailed"
    detail: str

    def message(self) -> str:
        """The reason, for the streamer."""
        return self.detail


class SongActions:
    """Moderation (remove, move, play next, ban), playback (skip, pause, resume) and open/close."""

    def __init__(
        self,
        queue: SongQueue,
        sync: SongSync | None,
        rewards: ChannelRewards | None,
        spotify: Callable[[], SpotifyClient | None],
        helix: Callable[[], HelixClient | None],
        broadcaster: Callable[[], Awaitable[Result[User, TaggedError]]],
    ) -> None:
        self.queue = queue
        self.sync = sync
        self.rewards = rewards
        self.spotify = spotify
        self.helix = helix
        self.broadcaster = broadcaster

    def _poke(self) -> None:
        if self.sync is not None:
            self.sync.poke()

    async def remove(self, request_id: str) -> Result[SongRequest, NotWaiting]:
        """Take a waiting request out; its redemption is refunded and the viewer told."""
        removed = await self.queue.remove(request_id, REMOVED_BY_STREAMER)
        self._poke()
        return removed

    async def move(self, request_id: str, delta: int) -> Result[int, NotWaiting]:
        """One place earlier (-1) or later (+1); the new position."""
        return await self.queue.move(request_id, delta)

    async def play_next(self, request_id: str) -> Result[int, NotWaiting]:
        """First in line."""
        moved = await self.queue.play_next(request_id)
        self._poke()
        return moved

    async def ban(self, request: SongRequest) -> list[SongRequest]:
        """Block the requester and refund everything they have waiting."""
        removed = await self.queue.ban(request.requester_login, request.requester_id)
        self._poke()
        return removed

    async def skip(self) -> Result[None, TaggedError]:
        """Skip the current track in Spotify."""
        return await self._player("skip")

    async def pause(self) -> Result[None, TaggedError]:
        """Pause Spotify."""
        return await self._player("pause")

    async def resume(self) -> Result[None, TaggedError]:
        """Resume Spotify, and the queue if it was paused for a device problem."""
        await self.queue.set_paused(None)
        return await self._player("resume")

    async def _player(self, what: str) -> Result[None, TaggedError]:
        spotify = self.spotify()
        if spotify is None:
            return Err(SongActionFailed("not connected to Spotify: run `streamdeck-tui login spotify`"))
        done = await getattr(spotify, what)()
        self._poke()
        return Ok(None) if isinstance(done, Ok) else Err(done.error)

    async def set_open(self, is_open: bool) -> Result[str, TaggedError]:
        """Open or close requests; closing also pauses the song-request reward on Twitch. A line for the streamer."""
        await self.queue.set_open(is_open)
        state = "open" if is_open else "closed"
        if self.rewards is None or await self.rewards.get("song_request") is None:
            return Ok(f"Song requests {state} (no reward set up: run `streamdeck-tui rewards setup`).")
        helix, me = self.helix(), await self.broadcaster()
        if isinstance(me, Err):
            return Ok(f"Song requests {state} here, but the reward was not changed: {me.error.message()}")
        if helix is None:
            return Ok(f"Song requests {state} here, but the reward was not changed: not connected to Twitch")
        changed = await self.rewards.set_open("song_request", is_open, helix, me.value.id)
        if isinstance(changed, Err):
            return Ok(f"Song requests {state} here, but the reward was not changed: {changed.error.message()}")
        return Ok(f"Song requests {state}; the reward is {'enabled' if is_open else 'paused'} on Twitch.")
