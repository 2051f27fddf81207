"""Which occurrence of a track Spotify plays: one sync's view next to the previous one.

The same track can be on air, or queued by the streamer, when a viewer's request for it is pushed; attributing by
track id alone would mark the request playing (and then played) while its own occurrence is still to come.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import SpotifyView


@dataclass(frozen=True, slots=True)
class Look:
    """One sync's view of Spotify next to the previous one, for attributing occurrences of a track."""

    current: str | None
    upcoming: list[str]
    now: int
    # Spotify's upcoming track ids at the previous sync, and whether an occurrence of the current track has
    # started since (another track was on, or the same track is back near its start).
    before: list[str]
    started: bool

    @classmethod
    def between(
        cls, last_track: str | None, last_progress_ms: int, last_upcoming: list[str], view: SpotifyView
    ) -> Look:
        """The view of this sync against the stored snapshot of the previous one (None: nothing stored)."""
        current = view.current.id if view.current is not None else None
        started = current is not None and (
            last_track is None or last_track != current or view.progress_ms < last_progress_ms
        )
        return cls(current, [t.id for t in view.upcoming], view.synced_ms, last_upcoming, started)

    def ahead_of_new(self, track_id: str) -> int:
        """How many occurrences of `track_id` are queued before the one that appeared since the last look.

        The new upcoming list is the previous one, less the tracks that started since, with one occurrence
        inserted (ours); both lists are cut short by Spotify, so only what both hold is compared. 0 when the
        lists do not line up that way (the streamer reordered things): our occurrence is then taken as the next.
        """
        new = self.upcoming
        for started in range(len(self.before) + 1):
            rest = self.before[started:]
            for at in range(min(len(new), len(rest) + 1)):
                after = min(len(rest) - at, len(new) - at - 1)
                if (
                    new[at] == track_id
                    and new[:at] == rest[:at]
                    and new[at + 1 : at + 1 + after] == rest[at : at + after]
                ):
                    return new[:at].count(track_id)
        return 0
