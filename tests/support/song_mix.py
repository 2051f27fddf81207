"""A mixed bag of song requests with every outcome decided up front, and the checks on what chat was told."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from streamdeck_tui.simulator.catalogue import Catalogue, Track

MAX_DURATION = "7:00"
MAX_DURATION_S = 7 * 60
REFUNDED = "Your points were refunded."
QUEUED_REPLY = re.compile(r"is #(\d+) in the song queue\.$")

Outcome = Literal["accepted", "rejected"]


@dataclass
class Planned:
    """One request: who sends what, and what must come of it."""

    user: str
    text: str
    outcome: Outcome
    # Substrings that must all be in the one reply (beyond "@user "); for an accepted request the track it names.
    needles: tuple[str, ...]
    track: Track | None = None  # the track it resolves to (accepted requests and duplicates)
    redemption_id: str = field(default="", compare=False)

    @property
    def request_id(self) -> str:
        """The SongQueue id the router gives a redemption's request."""
        return f"redemption:{self.redemption_id}"

    @property
    def run_id(self) -> str:
        """The workflow run id the router gives a redemption."""
        return f"song:{self.redemption_id}"


def first_search_hit(catalogue: Catalogue, text: str) -> Track | None:
    """What SpotifyClient.search_track resolves `text` to against the simulator: the first playable hit."""
    return next((t for t in catalogue.search(text) if t.is_playable), None)


def _unique_names(catalogue: Catalogue) -> set[str]:
    names = [t.name for t in catalogue.all()]
    return {n for n in names if names.count(n) == 1}


def search_text(track: Track) -> str:
    """ "name artist": what a viewer types to find a track."""
    return f"{track.name} {track.artists[0].name}"


def accepted_pool(catalogue: Catalogue) -> list[Track]:
    """Tracks every rule allows, 3 to 5 minutes long (at 150x a track lasts over a second of real time, far more
    than a sync cycle), named uniquely, and found by searching for "name artist"."""
    unique = _unique_names(catalogue)
    return [
        t
        for t in catalogue.all()
        if t.is_playable
        and not t.explicit
        and 180_000 <= t.duration_ms <= 300_000
        and t.name in unique
        and first_search_hit(catalogue, search_text(t)) == t
    ]


def too_long(catalogue: Catalogue) -> list[Track]:
    """Playable, clean tracks over the length limit (so the length is the only reason to refuse them)."""
    unique = _unique_names(catalogue)
    return [
        t
        for t in catalogue.all()
        if t.is_playable and not t.explicit and t.duration_ms // 1000 > MAX_DURATION_S and t.name in unique
    ]


def explicit(catalogue: Catalogue) -> list[Track]:
    """Playable explicit tracks within the length limit."""
    unique = _unique_names(catalogue)
    return [
        t
        for t in catalogue.all()
        if t.is_playable and t.explicit and t.duration_ms // 1000 <= MAX_DURATION_S and t.name in unique
    ]


def unplayable(catalogue: Catalogue) -> list[Track]:
    """Tracks Spotify will not play in the streamer's market."""
    unique = _unique_names(catalogue)
    return [t for t in catalogue.all() if not t.is_playable and t.name in unique]


def link_forms(track_id: str) -> list[str]:
    """The ways viewers paste one track, all of which must resolve to it."""
    return [
        f"spotify:track:{track_id}",
        f"Spotify:Track:{track_id}",
        f"open.spotify.com/track/{track_id}",
        f"https://open.spotify.com/track/{track_id}",
        f"https://open.spotify.com/intl-de/track/{track_id}?si=4f1c2b7e9a0d4c11",
        f"https://open.spotify.com/intl-pt-BR/track/{track_id}?si=abc123&context=spotify%3Aplaylist%3Ax",
        f"http://play.spotify.com/track/{track_id}",
        f"https://open.spotify.com/embed/track/{track_id}",
        f"please play https://open.spotify.com/track/{track_id}?si=1a2b3c thanks!!",
        f"(https://open.spotify.com/intl-ja/track/{track_id})",
        f"https://open.spotify.com/track/{track_id}#autoplay",
        f"   spotify:track:{track_id}   ",
    ]


def accepted(user: str, text: str, track: Track) -> Planned:
    """A request that must be stored and answered with its place in the queue."""
    return Planned(user, text, "accepted", (f'"{track.name}" by', "in the song queue."), track)


def rejected(user: str, text: str, *needles: str, track: Track | None = None) -> Planned:
    """A request that must be refunded with one "Sorry, <reason>." reply containing every needle."""
    return Planned(user, text, "rejected", ("Sorry,", *needles, REFUNDED), track)


def duplicate(user: str, text: str, track: Track) -> Planned:
    """A second request for a track that is still pending."""
    return rejected(user, text, f'"{track.name}" is already in the queue', track=track)


def invalid_inputs(catalogue: Catalogue) -> list[tuple[str, tuple[str, ...]]]:
    """Input that never becomes a track, with what the reply must say."""
    artist_id = catalogue.all()[0].artists[0].id
    missing_id = "ZzZzZzZzZzZzZzZzZzZzZz"
    assert catalogue.get(missing_id) is None
    return [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", ("not YouTube links",)),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", ("not YouTube links",)),
        ("https://soundcloud.com/some-artist/some-song", ("not SoundCloud links",)),
        ("https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=9f8e", ("a Spotify playlist link",)),
        ("spotify:album:4aawyAB9vmqN3uQ7FjRGTy", ("a Spotify album link",)),
        (f"https://open.spotify.com/artist/{artist_id}", ("a Spotify artist link",)),
        ("https://open.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ", ("a podcast episode link",)),
        ("https://spotify.link/AbCdEfGhIjK", ("short links",)),
        ("!!!", ('nothing on Spotify matches "!!!"',)),
        ("%%% ###", ('nothing on Spotify matches "%%% ###"',)),
        ("spotify:track:abc123", ("looks broken",)),
        ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKU", ("looks broken",)),
        (f"https://open.spotify.com/track/{missing_id}", ("that Spotify track does not exist",)),
        ("   ", ("send a Spotify track link or a song name",)),
    ]


def check_replies(lines: list[str], user: str, expected: list[tuple[str, ...]]) -> list[str]:
    """Every expected reply is exactly one of the user's lines and every line is expected; the problems found."""
    mine = [line for line in lines if line.startswith(f"@{user} ")]
    problems: list[str] = []
    if len(mine) != len(expected):
        problems.append(f"{user}: {len(mine)} lines for {len(expected)} expected replies: {mine}")
    for needles in expected:
        hits = [line for line in mine if all(n in line for n in needles)]
        if len(hits) != 1:
            problems.append(f"{user}: {len(hits)} lines contain {needles}: {hits or mine}")
    for line in mine:
        matching = [needles for needles in expected if all(n in line for n in needles)]
        if len(matching) != 1:
            problems.append(f"{user}: line {line!r} matches {len(matching)} expected replies")
    return problems
