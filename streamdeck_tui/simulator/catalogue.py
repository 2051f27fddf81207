"""The invented track catalogue: loading it, finding tracks, and writing Spotify TrackObjects."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from streamdeck_tui.runtime.resources import assets_root


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Artist(_Frozen):
    """An invented artist."""

    id: str
    name: str


class Album(_Frozen):
    """An invented album (images are always empty)."""

    id: str
    name: str
    images: tuple[dict[str, object], ...] = ()
    release_date: str = "2020-01-01"
    total_tracks: int = 1


class Track(_Frozen):
    """An invented track as stored in tracks.json."""

    id: str = Field(pattern=r"^[0-9A-Za-z]{22}$")
    name: str
    artists: tuple[Artist, ...]
    album: Album
    duration_ms: int = Field(gt=0)
    explicit: bool
    track_number: int = 1
    is_playable: bool = True

    @property
    def uri(self) -> str:
        """`spotify:track:<id>`."""
        return f"spotify:track:{self.id}"


class _CatalogueFile(_Frozen):
    tracks: tuple[Track, ...]


def default_catalogue_path() -> Path:
    """Where the shipped catalogue lives."""
    return assets_root() / "sim" / "tracks.json"


class Catalogue:
    """Read-only tracks by id, plus a simple search."""

    def __init__(self, tracks: tuple[Track, ...]) -> None:
        self._tracks = tracks
        self._by_id = {t.id: t for t in tracks}

    @classmethod
    def load(cls, path: Path | None = None) -> Catalogue:
        """Load and validate tracks.json (the shipped one by default)."""
        raw = json.loads((path or default_catalogue_path()).read_text(encoding="utf-8"))
        return cls(_CatalogueFile.model_validate(raw).tracks)

    def __len__(self) -> int:
        return len(self._tracks)

    def get(self, track_id: str) -> Track | None:
        """The track with this id, or None."""
        return self._by_id.get(track_id)

    def all(self) -> tuple[Track, ...]:
        """Every track, in file order."""
        return self._tracks

    def search(self, query: str) -> list[Track]:
        """Tracks whose name, artists and album contain every word of `query` (case-insensitive).

        `track:`, `artist:` and `album:` prefixes restrict a word to that field, as Spotify's search does.
        Name matches come first.
        """
        terms: list[tuple[str, str]] = []
        for word in query.lower().split():
            field_name, sep, value = word.partition(":")
            if sep and field_name in ("track", "artist", "album") and value:
                terms.append((field_name, value))
            elif word:
                terms.append(("any", word))
        if not terms:
            return []
        hits = [t for t in self._tracks if all(_matches(t, f, v) for f, v in terms)]
        return sorted(hits, key=lambda t: 0 if all(v in t.name.lower() for _, v in terms) else 1)


def _matches(track: Track, field_name: str, value: str) -> bool:
    fields = {
        "track": track.name.lower(),
        "artist": " ".join(a.name.lower() for a in track.artists),
        "album": track.album.name.lower(),
    }
    if field_name == "any":
        return any(value in text for text in fields.values())
    return value in fields[field_name]


def track_object(track: Track, api_url: str) -> dict[str, object]:
    """The Spotify TrackObject for `track`, with hrefs under the simulator's API base URL."""
    artists = [artist_object(a, api_url) for a in track.artists]
    album = track.album
    album_obj: dict[str, object] = {
        "album_type": "album",
        "total_tracks": album.total_tracks,
        "available_markets": ["US", "DE", "GB"],
        "external_urls": {"spotify": f"https://open.spotify.com/album/{album.id}"},
        "href": f"{api_url}/albums/{album.id}",
        "id": album.id,
        "images": list(album.images),
        "name": album.name,
        "release_date": album.release_date,
        "release_date_precision": "day",
        "type": "album",
        "uri": f"spotify:album:{album.id}",
        "artists": artists,
    }
    obj: dict[str, object] = {
        "album": album_obj,
        "artists": artists,
        "disc_number": 1,
        "duration_ms": track.duration_ms,
        "explicit": track.explicit,
        "external_ids": {"isrc": f"QZSIM{zlib.crc32(track.id.encode()) % 10_000_000:07d}"},
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track.id}"},
        "href": f"{api_url}/tracks/{track.id}",
        "id": track.id,
        "is_playable": track.is_playable,
        "name": track.name,
        "track_number": track.track_number,
        "type": "track",
        "uri": track.uri,
        "is_local": False,
    }
    if not track.is_playable:
        obj["restrictions"] = {"reason": "market"}
    return obj


def artist_object(artist: Artist, api_url: str) -> dict[str, object]:
    """A Spotify SimplifiedArtistObject."""
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist.id}"},
        "href": f"{api_url}/artists/{artist.id}",
        "id": artist.id,
        "name": artist.name,
        "type": "artist",
        "uri": f"spotify:artist:{artist.id}",
    }
