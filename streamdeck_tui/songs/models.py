"""What the song queue stores and returns: requests, their states, the player snapshot, and its errors."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal

from ..runtime.result import TaggedError
from ..spotify.models import TrackInfo

RequestSource = Literal["redemption", "chat"]
Settle = Literal["none", "fulfil", "refund"]


class RequestState(StrEnum):
    """Where a request is: waiting in the console, on its way to or in Spotify, or done."""

    WAITING = "waiting"
    PUSHING = "pushing"  # the push to Spotify started; a crash here is resolved by reading Spotify's queue
    QUEUED = "queued"  # in Spotify's queue, redemption fulfilled
    PLAYING = "playing"
    PLAYED = "played"
    REMOVED = "removed"  # taken out while waiting; the redemption is refunded
    DROPPED = "dropped"  # skipped or removed in Spotify after the push; already fulfilled


PENDING_STATES = (RequestState.WAITING, RequestState.PUSHING)
IN_SPOTIFY_STATES = (RequestState.QUEUED, RequestState.PLAYING)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A resolved request to store: the id is the idempotency key (`redemption:<id>` or `chat:<message id>`)."""

    id: str
    track: TrackInfo
    requester_id: str
    requester_login: str
    requester_name: str
    source: RequestSource
    requested_ms: int
    reward_id: str | None = None
    redemption_id: str | None = None


@dataclass(frozen=True, slots=True)
class SongRequest:
    """A stored request."""

    id: str
    track_id: str
    track_name: str
    artists: tuple[str, ...]
    album: str
    duration_ms: int
    explicit: bool
    requester_id: str
    requester_login: str
    requester_name: str
    source: RequestSource
    reward_id: str | None
    redemption_id: str | None
    requested_ms: int
    state: RequestState
    state_ms: int
    pushed_ms: int | None
    started_ms: int | None
    finished_ms: int | None
    removed_reason: str
    settle: Settle
    settled: bool
    settle_error: str | None

    @property
    def artist_line(self) -> str:
        """The artists joined for display and chat."""
        return ", ".join(self.artists) if self.artists else "unknown artist"

    @property
    def title_line(self) -> str:
        """ "Song" by Artist."""
        return f'"{self.track_name}" by {self.artist_line}'


class StoredDataError(Exception):
    """A stored row that does not parse (written by another version, or edited by hand): which one, and why."""

    tag: ClassVar[str] = "SongQueueDataError"

    def __init__(self, table: str, key: str, detail: str) -> None:
        super().__init__(f"song queue: {table} row {key} cannot be read: {detail}")
        self.table, self.key, self.detail = table, key, detail


def request_from_row(row: sqlite3.Row) -> SongRequest:
    """A `requests` row as a SongRequest; StoredDataError when the row does not parse."""
    try:
        return _request_from_row(row)
    except (ValueError, TypeError, KeyError) as exc:
        raise StoredDataError("requests", str(row["id"]), str(exc).splitlines()[0]) from exc


def _request_from_row(row: sqlite3.Row) -> SongRequest:
    return SongRequest(
        id=row["id"],
        track_id=row["track_id"],
        track_name=row["track_name"],
        artists=tuple(str(a) for a in json.loads(row["artists"])),
        album=row["album"],
        duration_ms=int(row["duration_ms"]),
        explicit=bool(row["explicit"]),
        requester_id=row["requester_id"],
        requester_login=row["requester_login"],
        requester_name=row["requester_name"],
        source=row["source"],
        reward_id=row["reward_id"],
        redemption_id=row["redemption_id"],
        requested_ms=int(row["requested_ms"]),
        state=RequestState(row["state"]),
        state_ms=int(row["state_ms"]),
        pushed_ms=row["pushed_ms"],
        started_ms=row["started_ms"],
        finished_ms=row["finished_ms"],
        removed_reason=row["removed_reason"],
        settle=row["settle"],
        settled=bool(row["settled"]),
        settle_error=row["settle_error"],
    )


@dataclass(frozen=True, slots=True)
class SpotifyView:
    """What one sync read from Spotify: the current track, playing or not, and what comes next."""

    current: TrackInfo | None
    is_playing: bool
    progress_ms: int
    upcoming: tuple[TrackInfo, ...]
    synced_ms: int

    @property
    def remaining_ms(self) -> int | None:
        """How long the current track has left (None when nothing is current)."""
        if self.current is None:
            return None
        return max(0, self.current.duration_ms - self.progress_ms)


@dataclass(frozen=True, slots=True)
class NowPlaying:
    """The console's and `!song`'s view: the last synced track, who asked for it, and the queue's status."""

    track: TrackInfo | None
    is_playing: bool
    progress_ms: int
    request: SongRequest | None
    upcoming: tuple[TrackInfo, ...]
    synced_ms: int | None
    sync_failures: int
    last_error: str | None
    requests_open: bool
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class Added:
    """A request was stored (or was already stored: `existing`); `position` is 1 for next up."""

    request: SongRequest
    position: int
    existing: bool = False


@dataclass(frozen=True, slots=True)
class SongRejected(TaggedError):
    """The request breaks a rule; `reason` is the chat reply's explanation."""

    tag = "SongRejected"
    reason: str

    def message(self) -> str:
        """The reason."""
        return self.reason


@dataclass(frozen=True, slots=True)
class NotWaiting(TaggedError):
    """The action needs a waiting request, and this one is not (or does not exist)."""

    tag = "NotWaiting"
    request_id: str
    state: str | None

    def message(self) -> str:
        """Which state it is in instead."""
        if self.state is None:
            return "no such request"
        return f"that request is no longer waiting (it is {self.state})"


def track_json(track: TrackInfo | None) -> str | None:
    """A track for the player row."""
    return None if track is None else track.model_dump_json()


def track_from_json(text: Any) -> TrackInfo | None:
    """The player row's track back; StoredDataError when it does not parse."""
    if text is None:
        return None
    try:
        return TrackInfo.model_validate_json(text)
    except ValueError as exc:
        raise StoredDataError("player", "1", str(exc).splitlines()[0]) from exc


def tracks_from_json(text: Any) -> tuple[TrackInfo, ...]:
    """The player row's upcoming tracks back; StoredDataError when they do not parse."""
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("upcoming is not a list")
    except (ValueError, TypeError) as exc:
        raise StoredDataError("player", "1", str(exc).splitlines()[0]) from exc
    try:
        return tuple(TrackInfo.model_validate(item) for item in items)
    except ValueError as exc:
        raise StoredDataError("player", "1", str(exc).splitlines()[0]) from exc
