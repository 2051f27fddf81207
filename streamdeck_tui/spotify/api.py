"""Spotify Web API client for the song queue: adds the token, maps failures to tagged errors, parses bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel

from ..runtime.clock import Clock
from ..runtime.http import HttpError, HttpStatusError, parse, send_authorized
from ..runtime.result import Err, Ok, Result, TaggedError
from ..runtime.tokens import AuthError, TokenSource
from .models import (
    ApiTrack,
    PlaybackResponse,
    PlayerState,
    QueueResponse,
    QueueState,
    SearchResponse,
    TrackInfo,
    track_info,
)

PROVIDER: Final = "Spotify"
SEARCH_LIMIT: Final = 10
# Asking for the token's market makes Spotify fill in `is_playable` (and relink to a playable version).
MARKET: Final = "from_token"
NO_ACTIVE_DEVICE: Final = "NO_ACTIVE_DEVICE"
PREMIUM_REQUIRED: Final = "PREMIUM_REQUIRED"
DEVICE_PROBLEM_HINTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        NO_ACTIVE_DEVICE: "Spotify has no active device: start playing something in Spotify, then resume the queue",
        PREMIUM_REQUIRED: "Spotify refused the command: controlling playback needs a Spotify Premium account",
    }
)
# The id goes into the URL path, so anything but a Spotify id must never reach it.
_TRACK_ID: Final = re.compile(r"[0-9A-Za-z]{22}")

M = TypeVar("M", bound=BaseModel)
SpotifyError = HttpError | AuthError


def is_track_id(value: str) -> bool:
    """True when `value` has the shape of a Spotify track id (22 base62 characters)."""
    return _TRACK_ID.fullmatch(value) is not None


def is_device_problem(error: TaggedError) -> str | None:
    """NO_ACTIVE_DEVICE or PREMIUM_REQUIRED when Spotify refused a player command for that reason."""
    if isinstance(error, HttpStatusError) and error.reason in DEVICE_PROBLEM_HINTS:
        return error.reason
    return None


def device_problem_hint(reason: str) -> str:
    """A one-line explanation for the streamer of a reason `is_device_problem` returned."""
    return DEVICE_PROBLEM_HINTS.get(reason, f"Spotify refused the player command ({reason})")


class SpotifyClient:
    """The Web API calls the song queue makes, each returning a `Result`."""

    def __init__(self, api_url: str, tokens: TokenSource, http: httpx.AsyncClient, clock: Clock) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.http = http
        self.clock = clock

    async def _send(self, method: str, path: str, **kwargs: Any) -> Result[httpx.Response, SpotifyError]:
        return await send_authorized(
            self.http,
            PROVIDER,
            self.tokens,
            method,
            f"{self.api_url}{path}",
            now_s=lambda: self.clock.now_ms() / 1000,
            **kwargs,
        )

    async def _get(self, path: str, model: type[M], **kwargs: Any) -> Result[M, SpotifyError]:
        sent = await self._send("GET", path, **kwargs)
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, model)

    async def _command(self, method: str, path: str, **kwargs: Any) -> Result[None, SpotifyError]:
        # Player commands answer 204 (sometimes 200 with a body we have no use for).
        sent = await self._send(method, path, **kwargs)
        return sent if isinstance(sent, Err) else Ok(None)

    async def track(self, track_id: str) -> Result[TrackInfo | None, SpotifyError]:
        """The track with this id, or None when no such track exists (or the id is not a Spotify id)."""
        if not is_track_id(track_id):
            return Ok(None)
        got = await self._get(f"/tracks/{track_id}", ApiTrack, params={"market": MARKET})
        if isinstance(got, Err):
            # Spotify answers 400 "invalid base62 id" or 404 for ids that are not tracks: both mean "no track".
            if isinstance(got.error, HttpStatusError) and got.error.status in (400, 404):
                return Ok(None)
            return got
        return Ok(track_info(got.value))

    async def search_track(self, text: str) -> Result[TrackInfo | None, SpotifyError]:
        """The first playable track matching `text`, or None when nothing matches."""
        query = text.strip()
        if not query:
            return Ok(None)
        got = await self._get(
            "/search",
            SearchResponse,
            params={"q": query, "type": "track", "limit": SEARCH_LIMIT, "market": MARKET},
        )
        if isinstance(got, Err):
            return got
        page = got.value.tracks
        for item in page.items if page is not None else ():
            info = track_info(item)
            if info is not None and info.is_playable:
                return Ok(info)
        return Ok(None)

    async def player(self) -> Result[PlayerState | None, SpotifyError]:
        """What is playing and where, or None when no device is active (Spotify's 204)."""
        sent = await self._send("GET", "/me/player", params={"market": MARKET})
        if isinstance(sent, Err):
            return sent
        fetched_ms = self.clock.now_ms()
        # Spotify has been seen answering 200 with an empty body where it means 204.
        if sent.value.status_code == 204 or not sent.value.content.strip():
            return Ok(None)
        parsed = parse(PROVIDER, sent.value, PlaybackResponse)
        if isinstance(parsed, Err):
            return parsed
        body = parsed.value
        return Ok(
            PlayerState(
                is_playing=body.is_playing,
                track=track_info(body.item) if body.item is not None else None,
                progress_ms=body.progress_ms or 0,
                device_name=body.device.name if body.device is not None and body.device.name else None,
                timestamp_ms=body.timestamp,
                fetched_ms=fetched_ms,
            )
        )

    async def queue(self) -> Result[QueueState, SpotifyError]:
        """The current track and what plays next; episodes and local files are left out."""
        got = await self._get("/me/player/queue", QueueResponse)
        if isinstance(got, Err):
            return got
        body = got.value
        upcoming = (track_info(t) for t in body.queue)
        return Ok(
            QueueState(
                current=track_info(body.currently_playing) if body.currently_playing is not None else None,
                upcoming=tuple(t for t in upcoming if t is not None),
            )
        )

    async def add_to_queue(self, track_id: str) -> Result[None, SpotifyError]:
        """Append a track to the user's queue (played before the context and autoplay)."""
        return await self._command("POST", "/me/player/queue", params={"uri": f"spotify:track:{track_id}"})

    async def skip(self) -> Result[None, SpotifyError]:
        """Skip to the next track."""
        return await self._command("POST", "/me/player/next")

    async def pause(self) -> Result[None, SpotifyError]:
        """Pause playback (Spotify refuses with 403 when nothing is playing)."""
        return await self._command("PUT", "/me/player/pause")

    async def resume(self) -> Result[None, SpotifyError]:
        """Resume playback on the active device."""
        return await self._command("PUT", "/me/player/play")
