"""Pydantic models of the Spotify accounts and Web API responses we read, and what the song queue keeps."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

# Spotify access tokens live an hour; anything beyond a year is a broken or hostile body, and a huge value
# would push expiry arithmetic out of range.
MAX_EXPIRES_IN_S: Final = 365 * 24 * 3600


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenResponse(_Model):
    """`POST /api/token` (authorization-code and refresh grants)."""

    access_token: str = Field(min_length=1, repr=False)
    token_type: str = Field(pattern=r"(?i)^bearer$")
    # strict: a string "3600" or a boolean is a provider bug we would rather see than coerce.
    expires_in: int = Field(gt=0, le=MAX_EXPIRES_IN_S, strict=True)
    # Spotify sends a space-separated string; an absent scope reads as "nothing granted" rather than a
    # failure, so a refresh never breaks mid-stream over a field we only display.
    scope: tuple[str, ...] = ()
    # A refresh may or may not rotate it; when present it replaces the stored one (PKCE refresh tokens are
    # effectively single-use).
    refresh_token: str | None = Field(default=None, min_length=1, repr=False)

    @field_validator("scope", mode="before")
    @classmethod
    def _split_scope(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(value.split())
        raise ValueError("scope must be a space-separated string")


class TrackInfo(_Model):
    """A Spotify track as the song queue needs it (parsed from a Web API track object)."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=512)
    artists: tuple[str, ...] = ()
    artist_ids: tuple[str, ...] = ()
    album: str = Field(default="", max_length=512)
    duration_ms: int = Field(ge=0)
    explicit: bool = False
    is_playable: bool = True

    @property
    def uri(self) -> str:
        """`spotify:track:<id>`."""
        return f"spotify:track:{self.id}"

    @property
    def artist_line(self) -> str:
        """ "A, B & C" style: the names joined for display and chat."""
        return ", ".join(self.artists) if self.artists else "unknown artist"


# -- Spotify Web API payloads ----------------------------------------------------------------------------------
# Only the fields the song queue reads; everything else is ignored so new Spotify fields never break parsing.
# Lengths mirror TrackInfo, so converting a parsed track can never fail after parsing succeeded.


def _tracks_only(value: object) -> object:
    """Drop nulls and non-track items (episodes): Spotify mixes them into queues and pads search with nulls."""
    if not isinstance(value, list):
        return value
    return [item for item in value if item is not None and not _other_kind(item)]


def _track_or_none(value: object) -> object:
    """An episode or ad where a track could be reads as "no track", not as a broken payload."""
    return None if _other_kind(value) else value


def _other_kind(item: object) -> bool:
    # Only an explicit other type is skipped; an item without `type` still has to parse as a track.
    return isinstance(item, dict) and isinstance(item.get("type"), str) and item["type"] != "track"


class ApiArtist(_Model):
    """SimplifiedArtistObject."""

    id: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=512)


class ApiAlbum(_Model):
    """SimplifiedAlbumObject (the name is all we show)."""

    id: str | None = Field(default=None, max_length=64)
    name: str = Field(default="", max_length=512)


class ApiTrack(_Model):
    """TrackObject."""

    type: Literal["track"]
    # Local files have no id: they can be shown but never queued.
    id: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=512)
    artists: tuple[ApiArtist, ...] = ()
    album: ApiAlbum | None = None
    duration_ms: int = Field(ge=0)
    explicit: bool = False
    # Present only with a market (we send `from_token`); absent means Spotify did not say it is unplayable.
    is_playable: bool | None = None
    is_local: bool = False


ApiTracks = Annotated[tuple[ApiTrack, ...], BeforeValidator(_tracks_only)]
MaybeApiTrack = Annotated[ApiTrack | None, BeforeValidator(_track_or_none)]


class ApiTrackPage(_Model):
    """PagingTrackObject (search results)."""

    items: ApiTracks = ()
    total: int = Field(default=0, ge=0)


class SearchResponse(_Model):
    """`GET /search?type=track`."""

    tracks: ApiTrackPage | None = None


class ApiDevice(_Model):
    """DeviceObject."""

    id: str | None = None
    name: str = Field(default="", max_length=512)
    is_active: bool = False
    is_restricted: bool = False


class PlaybackResponse(_Model):
    """`GET /me/player` (CurrentlyPlayingContextObject)."""

    device: ApiDevice | None = None
    is_playing: bool = False
    progress_ms: int | None = Field(default=None, ge=0)
    # When the playback state last changed (Spotify's clock), not when the answer was sent.
    timestamp: int = Field(default=0, ge=0)
    item: MaybeApiTrack = None
    currently_playing_type: str = "track"


class QueueResponse(_Model):
    """`GET /me/player/queue` (QueueObject); `currently_playing` may be null or missing when idle."""

    currently_playing: MaybeApiTrack = None
    queue: ApiTracks = ()


def track_info(track: ApiTrack) -> TrackInfo | None:
    """The song queue's view of a Web API track; None for a local file (no id, so it cannot be queued)."""
    if not track.id or track.is_local:
        return None
    return TrackInfo(
        id=track.id,
        name=track.name,
        artists=tuple(a.name for a in track.artists),
        artist_ids=tuple(a.id for a in track.artists if a.id),
        album=track.album.name if track.album else "",
        duration_ms=track.duration_ms,
        explicit=track.explicit,
        is_playable=track.is_playable is not False,
    )


class PlayerState(_Model):
    """What Spotify is playing, as the console shows it."""

    is_playing: bool
    # None while an episode, an ad or a local file plays.
    track: TrackInfo | None
    progress_ms: int = Field(ge=0)
    device_name: str | None
    # Spotify's time of the last state change (play, pause, skip), epoch ms; 0 when not sent.
    timestamp_ms: int = Field(ge=0)
    # Our clock when the answer arrived: progress now ≈ progress_ms + (now - fetched_ms) while playing.
    fetched_ms: int


class QueueState(_Model):
    """The current track and the tracks Spotify will play next (user queue first, then context/autoplay)."""

    current: TrackInfo | None
    upcoming: tuple[TrackInfo, ...] = ()
