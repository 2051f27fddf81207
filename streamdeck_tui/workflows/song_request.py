"""The song-request workflow: parse, look up, apply the rules, store as waiting, reply with the position.

A rejection is an outcome, not a failure: the redemption is refunded (CANCELED) and the viewer gets exactly one
reply with the reason. A failure (Spotify unreachable for good, not logged in) compensates: the stored request is
discarded and the redemption refunded, with a reply that does not blame the viewer. An accepted request keeps its
redemption UNFULFILLED; from the commit on the SongQueue row owns its outcome (pushed → fulfilled, removed →
refunded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from ..components.song_queue import SongQueue
from ..runtime.result import Err, Ok, Result, TaggedError
from ..songs.models import NewRequest
from ..songs.policy import SongPolicy, check_track
from ..songs.track_input import SearchText, parse_track_input
from ..spotify.api import SpotifyClient
from ..spotify.models import TrackInfo
from ..twitch.helix import HelixClient
from .context import WorkflowContext
from .model import StepFailed
from .twitch_effects import say, set_redemption_status

MAX_REPLY = 500


class SongParams(BaseModel):
    """One request: from a redemption (refundable) or from `!sr` in chat."""

    request_id: str = Field(min_length=1, max_length=200)
    broadcaster_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    user_login: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    user_input: str = Field(max_length=20_000)
    requested_ms: int = Field(ge=0)
    source: Literal["redemption", "chat"] = "redemption"
    reward_id: str | None = None
    redemption_id: str | None = None


class Resolved(BaseModel):
    """The track the input names, or why there is none."""

    track: TrackInfo | None = None
    rejection: str | None = None


class Stored(BaseModel):
    """Where the request landed, or why the queue turned it down."""

    position: int | None = None
    rejection: str | None = None


def _fit(line: str) -> str:
    return line if len(line) <= MAX_REPLY else line[: MAX_REPLY - 1] + "…"


class SongRequestWorkflow:
    """Run id = "song:<redemption id>" or "song:chat:<message id>": a redelivery is the same run."""

    kind: ClassVar[str] = "song_request"
    params_model: ClassVar[type[BaseModel]] = SongParams

    def __init__(
        self,
        queue: SongQueue,
        spotify: Callable[[], SpotifyClient | None],
        helix: Callable[[], HelixClient | None],
        policy: Callable[[], SongPolicy],
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.spotify = spotify
        self.helix = helix
        self.policy = policy
        self.on_stored = on_stored

    async def run(self, ctx: WorkflowContext, p: SongParams) -> Result[None, TaggedError]:
        """Refund is the first step's undo, so it runs last, after the stored request was discarded."""
        if p.source == "redemption":

            async def accept() -> Result[str, TaggedError]:
                return Ok(p.redemption_id or "")

            accepted = await ctx.step("accept-redemption", accept, result=str, undo=lambda _: self._give_back(p))
            if isinstance(accepted, Err):
                return accepted

        resolved = await ctx.step("resolve-track", lambda: self._resolve(p), result=Resolved, attempts=6)
        if isinstance(resolved, Err):
            return resolved
        rejection = resolved.value.rejection
        position: int | None = None
        track = resolved.value.track
        if track is not None and rejection is None:
            stored = await ctx.step(
                "store-request",
                lambda: self._store(p, track),
                result=Stored,
                undo=lambda s: self._discard(p, s),
            )
            if isinstance(stored, Err):
                return stored
            rejection, position = stored.value.rejection, stored.value.position
        if rejection is not None and p.source == "redemption":
            refunded = await ctx.step("refund-redemption", lambda: self._set_status(p, "CANCELED"), result=bool)
            if isinstance(refunded, Err):
                return refunded
        await ctx.commit()
        if rejection is None and track is not None:
            self.on_stored()  # the sync may push it at once
            line = f"@{p.display_name} {_title(track)} is #{position} in the song queue."
        else:
            refund = " Your points were refunded." if p.source == "redemption" else ""
            line = f"@{p.display_name} Sorry, {rejection}.{refund}"
        # After the commit nothing is refunded; a reply that may not have gone out is only noted.
        await ctx.step("reply", lambda: self._say(p, _fit(line)), result=str, ambiguous=True)
        return Ok(None)

    async def _resolve(self, p: SongParams) -> Result[Resolved, TaggedError]:
        parsed = parse_track_input(p.user_input)
        if isinstance(parsed, Err):
            return Ok(Resolved(rejection=parsed.error.reason))
        spotify = self.spotify()
        if spotify is None:
            return Err(StepFailed("spotify", "not connected to Spotify"))
        if isinstance(parsed.value, SearchText):
            found = await spotify.search_track(parsed.value.text)
            missing = f'nothing on Spotify matches "{parsed.value.text[:60]}"; try a track link'
        else:
            found = await spotify.track(parsed.value.id)
            missing = "that Spotify track does not exist; copy the link again (Share → Copy Song Link)"
        if isinstance(found, Err):
            return found
        if found.value is None:
            return Ok(Resolved(rejection=missing))
        problem = check_track(self.policy(), found.value)
        return Ok(Resolved(track=found.value, rejection=problem))

    async def _store(self, p: SongParams, track: TrackInfo) -> Result[Stored, TaggedError]:
        new = NewRequest(
            id=p.request_id,
            track=track,
            requester_id=p.user_id,
            requester_login=p.user_login,
            requester_name=p.display_name,
            source=p.source,
            requested_ms=p.requested_ms,
            reward_id=p.reward_id,
            redemption_id=p.redemption_id,
        )
        added = await self.queue.add(new, self.policy())
        if isinstance(added, Err):
            return Ok(Stored(rejection=added.error.reason))
        return Ok(Stored(position=added.value.position))

    async def _discard(self, p: SongParams, stored: Stored) -> Result[bool, TaggedError]:
        return Ok(await self.queue.discard(p.request_id))

    async def _give_back(self, p: SongParams) -> Result[bool, TaggedError]:
        refunded = await self._set_status(p, "CANCELED")
        if isinstance(refunded, Ok):
            line = f"@{p.display_name} Song requests can't be taken right now; your points were refunded."
            await self._say(p, line)  # best effort: the refund is what matters
        return refunded

    async def _set_status(self, p: SongParams, status: str) -> Result[bool, TaggedError]:
        return await set_redemption_status(self.helix, p.broadcaster_id, p.reward_id, p.redemption_id, status)

    async def _say(self, p: SongParams, line: str) -> Result[str, TaggedError]:
        return await say(self.helix, p.broadcaster_id, line)


def _title(track: TrackInfo) -> str:
    return f'"{track.name}" by {track.artist_line}'
