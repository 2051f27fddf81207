"""The Spotify player model: a clock-driven position, the user queue, a context, and autoplay."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from streamdeck_tui.runtime.clock import Clock

from .catalogue import Catalogue, Track

AUTOPLAY_LOOKAHEAD = 10
_RECENT = 30


@dataclass(frozen=True, slots=True)
class QueueAdd:
    """A track the app added to the queue."""

    track_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Played:
    """A track that started playing, and when (clock time)."""

    track_id: str
    started_at_ms: int
    source: str  # "queue", "context" or "autoplay"


@dataclass(frozen=True, slots=True)
class PlayerState:
    """A consistent view of the player at one instant."""

    track: Track | None
    progress_ms: int
    is_playing: bool
    timestamp_ms: int


class PlaybackModel:
    """Tracks play for their duration (scaled by `speed`); the queue plays first, then the context,
    then autoplay picks from the catalogue. Time is read lazily from the clock on every access."""

    def __init__(self, catalogue: Catalogue, clock: Clock, rng: random.Random, speed: float = 1.0) -> None:
        self.catalogue = catalogue
        self.speed = speed
        self.device_active = True
        self.premium = True
        self.queue_adds: list[QueueAdd] = []
        self.played: list[Played] = []
        self._clock = clock
        self._rng = rng
        self._current: Track | None = None
        self._position_ms = 0.0
        self._anchor_ms = clock.now_ms()
        self._playing = False
        self._queue: deque[Track] = deque()
        self._context: deque[Track] = deque()
        self._autoplay: deque[Track] = deque()

    def state(self) -> PlayerState:
        """The player now."""
        self._sync()
        return PlayerState(self._current, int(self._position_ms), self._playing, self._clock.now_ms())

    def upcoming(self, limit: int = 20) -> list[Track]:
        """What plays next: the user queue, the context, then the autoplay lookahead."""
        self._sync()
        self._fill_autoplay()
        return [*self._queue, *self._context, *self._autoplay][:limit]

    def add_to_queue(self, track: Track) -> None:
        """Append to the user queue (played before the context and autoplay)."""
        self._sync()
        self._queue.append(track)
        self.queue_adds.append(QueueAdd(track.id, self._clock.now_ms()))

    def skip(self) -> None:
        """Skip to the next track (starts playback when idle)."""
        self._sync()
        self._advance_to_next()
        self._playing = True

    def pause(self) -> bool:
        """Pause; False when nothing is playing (Spotify refuses that)."""
        self._sync()
        if self._current is None or not self._playing:
            return False
        self._playing = False
        return True

    def play(self, tracks: list[Track] | None = None, position_ms: int = 0) -> None:
        """Resume, or play `tracks` as the new context (the user queue is kept)."""
        self._sync()
        if tracks:
            self._context = deque(tracks[1:])
            self._start(tracks[0], "context")
            self._position_ms = float(max(0, min(position_ms, tracks[0].duration_ms - 1)))
        elif self._current is None:
            self._advance_to_next()
        self._playing = True

    def stop(self) -> None:
        """Become idle: nothing current (the Web API then answers 204)."""
        self._sync()
        self._current, self._playing, self._position_ms = None, False, 0.0

    def _sync(self) -> None:
        now = self._clock.now_ms()
        if self._current is None or not self._playing:
            self._anchor_ms = now
            return
        position = self._position_ms + (now - self._anchor_ms) * self.speed
        while self._current is not None and position >= self._current.duration_ms:
            position -= self._current.duration_ms
            started = now - int(position / self.speed) if self.speed > 0 else now
            self._advance_to_next(started)
        self._position_ms = position
        self._anchor_ms = now

    def _advance_to_next(self, started_at_ms: int | None = None) -> None:
        if self._queue:
            self._start(self._queue.popleft(), "queue", started_at_ms)
        elif self._context:
            self._start(self._context.popleft(), "context", started_at_ms)
        else:
            self._fill_autoplay()
            self._start(self._autoplay.popleft(), "autoplay", started_at_ms)

    def _start(self, track: Track, source: str, started_at_ms: int | None = None) -> None:
        self._current = track
        self._position_ms = 0.0
        self.played.append(Played(track.id, started_at_ms or self._clock.now_ms(), source))

    def _fill_autoplay(self) -> None:
        recent = {p.track_id for p in self.played[-_RECENT:]} | {t.id for t in self._autoplay}
        choices = [t for t in self.catalogue.all() if t.is_playable and t.id not in recent]
        while len(self._autoplay) < AUTOPLAY_LOOKAHEAD and choices:
            pick = self._rng.choice(choices)
            choices.remove(pick)
            self._autoplay.append(pick)
