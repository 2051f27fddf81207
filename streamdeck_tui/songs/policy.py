"""The streamer's song request rules and the checks that need only the track itself."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..spotify.models import TrackInfo
from .track_input import artist_id_of, clean_text, track_id_of

MIN_DURATION_MS: Final = 30_000
MAX_DURATION_MS: Final = 3_600_000

_DURATION: Final = re.compile(
    r"(?:(?P<hours>[0-9]{1,2}):(?P<minutes>[0-5][0-9])|(?P<mins>[0-9]{1,3})):(?P<secs>[0-5][0-9])"
)
# Twitch logins are ASCII letters, digits and underscores; anything else would silently never match.
_LOGIN: Final = re.compile(r"[A-Za-z0-9_]{1,25}")
# Keeps a rejection inside Twitch's 500-character chat limit whatever Spotify calls the track.
_MAX_NAME_CHARS: Final = 60
_MAX_ARTISTS_CHARS: Final = 40


class SongPolicy(BaseModel):
    """Song request limits and block lists, as set in the config file."""

    # validate_assignment: the checks below rely on the validated, canonical values.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_duration: str = "7:00"
    allow_explicit: bool = True
    max_pending_per_viewer: int = Field(default=2, ge=1, le=50)
    max_queue: int = Field(default=30, ge=1, le=500)
    duplicate_window_minutes: int = Field(default=60, ge=0, le=1440)
    blocked_tracks: list[str] = Field(default_factory=list)
    blocked_artists: list[str] = Field(default_factory=list)
    blocked_viewers: list[str] = Field(default_factory=list)

    @field_validator("max_duration")
    @classmethod
    def _check_max_duration(cls, value: str) -> str:
        ms = parse_duration(value)
        if ms is None:
            raise ValueError(f"max_duration must look like M:SS or H:MM:SS, such as 7:00 or 1:00:00 (got {value!r})")
        if not MIN_DURATION_MS <= ms <= MAX_DURATION_MS:
            limits = f"{format_duration(MIN_DURATION_MS)} and {format_duration(MAX_DURATION_MS)}"
            raise ValueError(f"max_duration must be between {limits} (got {value.strip()})")
        return format_duration(ms)

    @field_validator("blocked_tracks")
    @classmethod
    def _check_blocked_tracks(cls, value: list[str]) -> list[str]:
        bad = [entry for entry in value if track_id_of(entry) is None]
        if bad:
            names = ", ".join(repr(entry) for entry in bad)
            raise ValueError(f"not a Spotify track id, spotify:track: URI or track link: {names}")
        return [entry.strip() for entry in value]

    @field_validator("blocked_artists")
    @classmethod
    def _check_blocked_artists(cls, value: list[str]) -> list[str]:
        entries = [entry.strip() for entry in value]
        if "" in entries:
            raise ValueError("blocked_artists has an empty entry; use artist names or Spotify artist ids")
        return entries

    @field_validator("blocked_viewers")
    @classmethod
    def _check_blocked_viewers(cls, value: list[str]) -> list[str]:
        entries = [entry.strip().removeprefix("@") for entry in value]
        bad = [original for original, entry in zip(value, entries, strict=True) if not _LOGIN.fullmatch(entry)]
        if bad:
            names = ", ".join(repr(entry) for entry in bad)
            raise ValueError(f"not a Twitch login (letters, digits and _ only): {names}")
        return entries

    @property
    def max_duration_ms(self) -> int:
        """The duration limit in milliseconds."""
        ms = parse_duration(self.max_duration)
        if ms is None:
            # Only reachable through model_construct(), which skips validation: a programming error.
            raise ValueError(f"unvalidated max_duration {self.max_duration!r}")
        return ms

    @property
    def blocked_track_ids(self) -> frozenset[str]:
        """The ids of the blocked tracks, whichever form the config used."""
        return frozenset(i for i in map(track_id_of, self.blocked_tracks) if i is not None)


def parse_duration(text: str) -> int | None:
    """Milliseconds in "M:SS" or "H:MM:SS" (surrounding spaces allowed); None when malformed."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    hours = int(match["hours"] or 0)
    minutes = int(match["minutes"] or match["mins"])
    return ((hours * 60 + minutes) * 60 + int(match["secs"])) * 1000


def format_duration(ms: int) -> str:
    """ "M:SS" below an hour, "H:MM:SS" from an hour; partial seconds are dropped, as Spotify shows them."""
    hours, rest = divmod(max(ms, 0) // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def check_track(policy: SongPolicy, track: TrackInfo) -> str | None:
    """None when the policy allows the track, else the reason as a chat sentence naming the track."""
    label = _label(track)
    if not track.is_playable:
        return f"{label} is not available on Spotify in the streamer's country"
    if track.id in policy.blocked_track_ids:
        return f"{label} is blocked on this channel"
    artist = _blocked_artist(policy, track)
    if artist == "":
        return f"{label} is by an artist who is blocked on this channel"
    if artist is not None:
        return f"{label} is by {artist}, who is blocked on this channel"
    if track.explicit and not policy.allow_explicit:
        return f"{label} is marked explicit, and explicit songs are not allowed on this channel"
    # Compared in whole seconds, as displayed: a 7:00.4 track must not be refused as "7:00 long; limit 7:00".
    if track.duration_ms // 1000 > policy.max_duration_ms // 1000:
        return f"{label} is {format_duration(track.duration_ms)} long; the limit is {policy.max_duration}"
    return None


def is_viewer_blocked(policy: SongPolicy, login: str) -> bool:
    """Whether the streamer blocked this Twitch login from requesting songs (case-insensitive)."""
    wanted = login.strip().removeprefix("@").casefold()
    return any(entry.casefold() == wanted for entry in policy.blocked_viewers)


def _blocked_artist(policy: SongPolicy, track: TrackInfo) -> str | None:
    """The display name of the first blocked artist on the track ("" when unnamed); None when none is."""
    # NFKC on both sides, so "Beyoncé" typed decomposed in the config still matches Spotify's composed form.
    names = {clean_text(entry).casefold() for entry in policy.blocked_artists}
    ids = {i for i in map(artist_id_of, policy.blocked_artists) if i is not None}
    for name in track.artists:
        if clean_text(name).casefold() in names:
            return _clip(clean_text(name), _MAX_ARTISTS_CHARS)
    for index, artist_id in enumerate(track.artist_ids):
        if artist_id in ids:
            name = track.artists[index] if index < len(track.artists) else ""
            return _clip(clean_text(name), _MAX_ARTISTS_CHARS)
    return None


def _label(track: TrackInfo) -> str:
    # Spotify metadata is third-party text: it gets the same cleaning as viewer input before going to chat.
    artists = _clip(clean_text(track.artist_line), _MAX_ARTISTS_CHARS)
    name = _clip(clean_text(track.name), _MAX_NAME_CHARS)
    return f'"{name}" by {artists}' if name else f"that track by {artists}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
