"""SongSync: one task that keeps the song queue in step with Spotify and tells Twitch what each redemption is owed.

Each cycle: read Spotify (queue + player), reconcile the requests, settle redemptions (fulfil pushed ones, refund
removed ones), and push the head of the line when the current track has at most `lead_s` left. One cycle runs at a
time; a failed read keeps the last snapshot and backs off 15 s doubling to 300 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from ..components.song_queue import SongQueue
from ..runtime.clock import Clock
from ..runtime.http import HttpStatusError
from ..runtime.result import Err, Ok, Result, TaggedError
from ..spotify.api import SpotifyClient, device_problem_hint, is_device_problem
from ..twitch.helix import HelixClient
from ..twitch.models import User
from .models import SongRequest, SpotifyView

log = logging.getLogger("streamdeck_tui.songs")

FRESH_MS: Final = 15_000
MAX_BACKOFF_MS: Final = 300_000
MIN_WAIT_MS: Final = 1_000
CONFIRM_WAIT_MS: Final = 2_000


def backoff_ms(failures: int) -> int:
    """15 s, 30 s, 60 s … capped at 300 s."""
    return int(min(FRESH_MS * 2 ** max(0, failures - 1), MAX_BACKOFF_MS))


class SongSync:
    """Owns the Spotify side of the song queue; `poke()` asks for a cycle now (a new request, a console action)."""

    def __init__(
        self,
        queue: SongQueue,
        spotify: Callable[[], SpotifyClient | None],
        helix: Callable[[], HelixClient | None],
        broadcaster: Callable[[], Awaitable[Result[User, TaggedError]]],
        clock: Clock,
        lead_s: int = 15,
    ) -> None:
        self.queue = queue
        self.spotify = spotify
        self.helix = helix
        self.broadcaster = broadcaster
        self.clock = clock
        self.lead_ms = lead_s * 1000
        # How often a healthy queue re-reads Spotify; tests with a fast simulated clock lower it.
        self.fresh_ms = FRESH_MS
        self.last_view: SpotifyView | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="song-sync")

    async def stop(self) -> None:
        """Stop the loop (a cycle in progress is cancelled; every step in it is safe to repeat)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Run a cycle as soon as possible."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            # Cleared before the cycle, so a poke made while it runs (a request stored meanwhile) is not lost.
            self._wake.clear()
            try:
                wait_ms = await self.cycle()
            except Exception:
                # A bug must not stop the queue for the rest of the stream: logged, retried later.
                log.exception("song sync cycle failed")
                wait_ms = MAX_BACKOFF_MS // 10
            deadline = self.clock.now_ms() + wait_ms
            sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                woken.cancel()

    async def cycle(self) -> int:
        """One sync, settle and push; how long to wait before the next one (ms)."""
        async with self._lock:
            view = await self._read()
            if isinstance(view, Err):
                failures = await self.queue.sync_failed(view.error.message())
                await self._settle()
                return backoff_ms(failures)
            self.last_view = view.value
            await self.queue.apply_sync(view.value)
            await self._settle()
            pushed = await self._maybe_push(view.value)
            return min(CONFIRM_WAIT_MS, self.fresh_ms) if pushed else self._next_wait(view.value)

    async def _read(self) -> Result[SpotifyView, TaggedError]:
        spotify = self.spotify()
        if spotify is None:
            return Err(SpotifyNotConnected())
        queued = await spotify.queue()
        if isinstance(queued, Err):
            return queued
        player = await spotify.player()
        if isinstance(player, Err):
            return player
        state = player.value
        current = queued.value.current or (state.track if state is not None else None)
        return Ok(
            SpotifyView(
                current=current,
                is_playing=state is not None and state.is_playing,
                progress_ms=state.progress_ms if state is not None else 0,
                upcoming=queued.value.upcoming,
                synced_ms=self.clock.now_ms(),
            )
        )

    def _next_wait(self, view: SpotifyView) -> int:
        """Wake just before the push is due and when the current track ends, and at least every `fresh_ms`."""
        candidates = [self.fresh_ms]
        remaining = view.remaining_ms
        if view.is_playing and remaining is not None:
            candidates.append(remaining + 500)
            if remaining > self.lead_ms:
                candidates.append(remaining - self.lead_ms)
        return max(min(candidates), min(MIN_WAIT_MS, self.fresh_ms))

    async def _maybe_push(self, view: SpotifyView) -> bool:
        status = await self.queue.now_playing()
        if status.paused_reason is not None:
            if status.paused_reason.startswith("NO_ACTIVE_DEVICE") and view.is_playing:
                await self.queue.set_paused(None)  # a device is back: the streamer did what we asked
            else:
                return False
        remaining = view.remaining_ms
        if not view.is_playing or remaining is None or remaining > self.lead_ms:
            return False
        spotify = self.spotify()
        if spotify is None:
            return False
        request = await self.queue.claim_next(view.current.id if view.current is not None else None)
        if request is None:
            return False
        added = await spotify.add_to_queue(request.track_id)
        if isinstance(added, Err):
            await self.queue.push_failed(request.id)
            problem = is_device_problem(added.error)
            if problem is not None:
                await self.queue.set_paused(f"{problem}: {device_problem_hint(problem)}")
            log.warning("push of %s failed: %s", request.id, added.error.message())
            return False
        await self.queue.pushed(request.id)
        log.info("pushed %s (%s) to Spotify", request.id, request.track_id)
        return True

    async def _settle(self) -> None:
        owed = await self.queue.unsettled()
        if not owed:
            return
        helix, me = self.helix(), await self.broadcaster()
        if helix is None or isinstance(me, Err):
            return
        for req in owed:
            await self._settle_one(helix, me.value.id, req)

    async def _settle_one(self, helix: HelixClient, broadcaster_id: str, req: SongRequest) -> None:
        assert req.reward_id is not None and req.redemption_id is not None
        status = "FULFILLED" if req.settle == "fulfil" else "CANCELED"
        done = await helix.set_redemption_status(broadcaster_id, req.reward_id, req.redemption_id, status)
        if isinstance(done, Err):
            error = done.error
            if isinstance(error, HttpStatusError) and not error.retryable and error.status not in (401, 403):
                # Twitch will never accept it (already settled by hand, reward deleted): note it and move on.
                await self.queue.settled(req.id, error.message())
                log.warning("redemption %s could not be set %s: %s", req.redemption_id, status, error.message())
            else:
                await self.queue.settle_attempt_failed(req.id, error.message())
            return
        await self.queue.settled(req.id)
        if status == "CANCELED" and req.removed_reason != "withdrawn by the viewer":
            line = f"@{req.requester_name} {req.title_line} was taken out of the queue; your points were refunded."
            sent = await helix.send_chat(broadcaster_id, broadcaster_id, line)
            if isinstance(sent, Err):
                log.warning("refund notice not sent: %s", sent.error.message())


@dataclass(frozen=True, slots=True)
class SpotifyNotConnected(TaggedError):
    """No Spotify account: requests wait until the streamer logs in."""

    tag = "SpotifyNotConnected"

    def message(self) -> str:
        """What to do."""
        return "not connected to Spotify: run `streamdeck-tui login spotify`"
