"""Which occurrence of a track Spotify plays: one sync's view next to the previous one.

The same track can be on air, or queued by the streamer, when a viewer's request for it is pushed; attributing by
track id alone would mark the request playing (and then played) while its own occurrence is still to come.
"""

from __future__ import annotations


class Look:
    """One sync's view of Spotify next to the previous one, for attributing occurrences of a track."""

    def __init__(self, current: str | None, upcoming: list[str], now: int) -> None:
        self.current, self.upcoming, self.now = current, upcoming, now
        self.before: list[str] = []
        self.started = False

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
