"""The Spotify Web API subset under `/v1`: player, queue, tracks and search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from .catalogue import Track, track_object
from .errors import spotify_error
from .http import BodyError, Request, Response, empty_response, json_response
from .ids import is_base62_id
from .playback import PlaybackModel, PlayerState
from .routing import RouteHandler, Router
from .spotify_accounts import SpotifyAccess, SpotifyAccounts
from .urls import SimUrls

DEVICE_ID = "5im0dev1ce0000000000000000000000000000aa"
RADIO_PLAYLIST_ID = "5imRad1oP1ay1ist0000aa"
SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
_READ_STATE = ("user-read-playback-state",)
_READ_CURRENT = ("user-read-currently-playing",)
_MODIFY = ("user-modify-playback-state",)

SpotifyHandler = Callable[[Request], Awaitable[Response]]


class _PlayBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    uris: list[str] | None = None
    context_uri: str | None = None
    position_ms: int | None = None


def _no_device() -> Response:
    return spotify_error(404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE")


def _premium() -> Response:
    return spotify_error(403, "Player command failed: Premium required", "PREMIUM_REQUIRED")


def track_id_from_uri(uri: str) -> str | None:
    """The id in `spotify:track:<id>`, or None if the URI is not a track URI with a valid id."""
    prefix = "spotify:track:"
    if not uri.startswith(prefix) or not is_base62_id(uri[len(prefix) :]):
        return None
    return uri[len(prefix) :]


def build_spotify_api_router(accounts: SpotifyAccounts, player: PlaybackModel, urls: SimUrls) -> Router:
    """Routes of the Web API, mounted at `/v1`."""
    api = _SpotifyApi(player, urls)
    router = Router()

    def guard(handler: SpotifyHandler, scopes: tuple[str, ...] = ()) -> RouteHandler:
        async def guarded(request: Request) -> Response:
            scheme, _, value = (request.header("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return spotify_error(401, "No token provided")
            access = accounts.check(value.strip())
            if not isinstance(access, SpotifyAccess):
                return spotify_error(401, access)
            if not set(scopes) <= set(access.grant.scopes):
                return spotify_error(403, "Insufficient client scope")
            return await handler(request)

        return guarded

    router.add("GET", "/v1/me/player", guard(api.player, _READ_STATE))
    router.add("GET", "/v1/me/player/currently-playing", guard(api.currently_playing, _READ_CURRENT))
    router.add("GET", "/v1/me/player/queue", guard(api.get_queue, _READ_STATE + _READ_CURRENT))
    router.add("POST", "/v1/me/player/queue", guard(api.add_to_queue, _MODIFY))
    router.add("POST", "/v1/me/player/next", guard(api.next, _MODIFY))
    router.add("PUT", "/v1/me/player/pause", guard(api.pause, _MODIFY))
    router.add("PUT", "/v1/me/player/play", guard(api.play, _MODIFY))
    router.add("GET", "/v1/tracks/{id}", guard(api.track))
    router.add("GET", "/v1/search", guard(api.search))
    return router


class _SpotifyApi:
    def __init__(self, player: PlaybackModel, urls: SimUrls) -> None:
        self._player = player
        self._urls = urls

    def _track(self, track: Track) -> dict[str, object]:
        return track_object(track, self._urls.spotify_api)

    def _device(self) -> dict[str, object]:
        return {
            "id": DEVICE_ID,
            "is_active": self._player.device_active,
            "is_private_session": False,
            "is_restricted": False,
            "name": "Simulated Speaker",
            "type": "Computer",
            "volume_percent": 65,
            "supports_volume": True,
        }

    def _context(self) -> dict[str, object]:
        return {
            "type": "playlist",
            "href": f"{self._urls.spotify_api}/playlists/{RADIO_PLAYLIST_ID}",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{RADIO_PLAYLIST_ID}"},
            "uri": f"spotify:playlist:{RADIO_PLAYLIST_ID}",
        }

    def _now_playing(self, state: PlayerState, track: Track) -> dict[str, object]:
        return {
            "context": self._context(),
            "timestamp": state.timestamp_ms,
            "progress_ms": state.progress_ms,
            "is_playing": state.is_playing,
            "item": self._track(track),
            "currently_playing_type": "track",
            "actions": {"resuming": True} if state.is_playing else {"pausing": True},
        }

    def _command_refusal(self, request: Request) -> Response | None:
        device_id = request.arg("device_id")
        if device_id is not None and device_id != DEVICE_ID:
            return spotify_error(404, "Device not found")
        if not self._player.premium:
            return _premium()
        if not self._player.device_active:
            return _no_device()
        return None

    async def player(self, request: Request) -> Response:
        state = self._player.state()
        if not self._player.device_active or state.track is None:
            return empty_response(204)
        body = self._now_playing(state, state.track)
        return json_response(200, {"device": self._device(), "repeat_state": "off", "shuffle_state": False, **body})

    async def currently_playing(self, request: Request) -> Response:
        state = self._player.state()
        if not self._player.device_active or state.track is None:
            return empty_response(204)
        return json_response(200, self._now_playing(state, state.track))

    async def get_queue(self, request: Request) -> Response:
        state = self._player.state()
        if state.track is None or not self._player.device_active:
            # Spotify sends `currently_playing: null`; the spec does not allow null, so the key is left out.
            return json_response(200, {"queue": []})
        upcoming = [self._track(t) for t in self._player.upcoming()]
        return json_response(200, {"currently_playing": self._track(state.track), "queue": upcoming})

    async def add_to_queue(self, request: Request) -> Response:
        uri = request.arg("uri")
        if not uri:
            return spotify_error(400, "Required parameter uri missing")
        track_id = track_id_from_uri(uri)
        if track_id is None:
            return spotify_error(400, f"Invalid track uri: {uri}")
        refusal = self._command_refusal(request)
        if refusal is not None:
            return refusal
        track = self._player.catalogue.get(track_id)
        if track is None:
            return spotify_error(404, "Resource not found")
        self._player.add_to_queue(track)
        return empty_response(204)

    async def next(self, request: Request) -> Response:
        refusal = self._command_refusal(request)
        if refusal is not None:
            return refusal
        self._player.skip()
        return empty_response(204)

    async def pause(self, request: Request) -> Response:
        refusal = self._command_refusal(request)
        if refusal is not None:
            return refusal
        if not self._player.pause():
            return spotify_error(403, "Player command failed: Restriction violated", "UNKNOWN")
        return empty_response(204)

    async def play(self, request: Request) -> Response:
        body = _PlayBody()
        if request.body:
            raw = request.json()
            if isinstance(raw, BodyError):
                return spotify_error(400, raw.message)
            try:
                body = _PlayBody.model_validate(raw)
            except ValidationError:
                return spotify_error(400, "Malformed json")
        if body.context_uri is not None:
            return spotify_error(400, "context_uri is not supported by the simulator; send uris")
        tracks: list[Track] = []
        for uri in body.uris or []:
            track_id = track_id_from_uri(uri)
            track = self._player.catalogue.get(track_id) if track_id else None
            if track is None:
                return spotify_error(400, f"Invalid track uri: {uri}")
            tracks.append(track)
        refusal = self._command_refusal(request)
        if refusal is not None:
            return refusal
        self._player.play(tracks or None, body.position_ms or 0)
        return empty_response(204)

    async def track(self, request: Request) -> Response:
        track_id = request.params.get("id", "")
        if not is_base62_id(track_id):
            return spotify_error(400, "Invalid base62 id")
        track = self._player.catalogue.get(track_id)
        if track is None:
            return spotify_error(404, "Resource not found")
        return json_response(200, self._track(track))

    async def search(self, request: Request) -> Response:
        query, kinds = request.arg("q"), request.arg("type")
        if not query:
            return spotify_error(400, "No search query")
        if not kinds:
            return spotify_error(400, "Missing parameter type")
        types = [k.strip() for k in kinds.split(",")]
        if any(k not in SEARCH_TYPES for k in types):
            return spotify_error(400, "Bad search type field")
        limit_text, offset_text = request.arg("limit") or "5", request.arg("offset") or "0"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 10:
            return spotify_error(400, "Invalid limit")
        if not offset_text.isdigit() or int(offset_text) > 1000:
            return spotify_error(400, "Invalid offset")
        if "track" not in types:
            return json_response(200, {})
        limit, offset = int(limit_text), int(offset_text)
        hits = self._player.catalogue.search(query)
        page = hits[offset : offset + limit]

        def link(at: int) -> str:
            params = urlencode({"query": query, "type": "track", "offset": at, "limit": limit})
            return f"{self._urls.spotify_api}/search?{params}"

        paging = {
            "href": link(offset),
            "items": [self._track(t) for t in page],
            "limit": limit,
            "next": link(offset + limit) if offset + limit < len(hits) else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": len(hits),
        }
        return json_response(200, {"tracks": paging})
