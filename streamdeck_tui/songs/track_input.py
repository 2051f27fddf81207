"""What a viewer typed as a song request: a Spotify track link, something to reject, or text to search for.

Accepted track references (case-insensitive apart from the id):

* `spotify:track:<id>`
* `[http[s]://](open|play).spotify.com/[intl-xx/][embed/]track/<id>[?query][#fragment]`

`play.spotify.com` is Spotify's old web-player host and still redirects to open.spotify.com, so it is read
the same way. The first Spotify reference in the text wins, wherever it sits among other words. Every
regex here is either anchored or built from bounded, non-nested quantifiers, so parsing stays linear in
the input length (and the input is capped before any of it runs).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from ..runtime.result import Err, Ok, Result, TaggedError

MAX_RAW_CHARS: Final = 2_000
MAX_SEARCH_CHARS: Final = 100

TOO_LONG_RAW: Final = "that is far too long; send a Spotify track link or a song name"
EMPTY: Final = "send a Spotify track link or a song name"
TOO_LONG_SEARCH: Final = "that is too long for a song name; send a Spotify link or a shorter name"
BROKEN_LINK: Final = "that Spotify track link looks broken or cut off; copy it again (Share → Copy Song Link)"
SHORT_LINK: Final = (
    "Spotify short links (spotify.link) can't be read here; send the open.spotify.com track link "
    "(Share → Copy Song Link) or the song's name"
)
_ASK_FOR_TRACK: Final = "send a link to one track (Share → Copy Song Link) or the song's name"

_BASE62_ID: Final = re.compile(r"[0-9A-Za-z]{22}")

# Bidi marks, embeddings, overrides and isolates (plus the Arabic letter mark): they can make a chat reply
# or the queue display read in a different order than it is stored.
_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Format characters that carry meaning in real text: joiners shape Persian/Indic script and build emoji,
# tag characters build subdivision flags. Every other format character is invisible noise for a search.
_KEPT_FORMAT: Final = frozenset("\u200c\u200d")
_TAGS: Final = range(0xE0020, 0xE0080)

_SPOTIFY_REF: Final = re.compile(
    r"""
    (?<![A-Za-z0-9.@/-])
    (?:
        (?:https?://)?(?:open|play)\.spotify\.com(?![A-Za-z0-9-])
        (?:
            /(?:intl-[a-z]{2}(?:[-_][a-z]{2,4})?/)?(?:embed/)?
            (?P<web_kind>[a-z-]{0,20})
            (?:/(?P<web_id>[^\s/?#]{0,64})(?:/(?P<web_sub>[a-z-]{1,20}))?)?
        )?
    |
        spotify:(?P<uri_kind>[a-z]{1,20}):(?P<uri_id>[^\s:/?#]{0,64})(?::(?P<uri_sub>[a-z]{1,20}))?
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Any other link: with a scheme, starting with www., or a bare host on a common TLD followed by a path (the
# path requirement keeps song names such as "Vol.2" or "Mr. Blue Sky" out of it).
_OTHER_URL: Final = re.compile(
    r"""
    (?<![A-Za-z0-9.@/-])
    (?:
        [a-z][a-z0-9+.-]{0,15}://(?P<scheme_host>[^\s/?#]{0,255})
    |
        (?P<www_host>www\.[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8})
    |
        (?P<bare_host>(?:[a-z0-9-]{1,63}\.){1,8}
            (?:com|net|org|io|co|be|fm|me|tv|ly|gl|gg|to|app|link|us|uk|de|fr|ru|jp|br))/
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

_KIND_NAMES: Final[dict[str, str]] = {
    "album": "a Spotify album link",
    "playlist": "a Spotify playlist link",
    "artist": "a Spotify artist link",
    "user": "a Spotify profile link",
    "episode": "a podcast episode link",
    "show": "a podcast link",
    "audiobook": "an audiobook link",
    "chapter": "an audiobook chapter link",
    "collection": "a link to a Spotify library",
    "local": "a local file, which only plays on the computer it is on",
}

_SITE_NAMES: Final[dict[str, str]] = {
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "soundcloud.com": "SoundCloud",
    "music.apple.com": "Apple Music",
    "deezer.com": "Deezer",
    "deezer.page.link": "Deezer",
    "tidal.com": "TIDAL",
    "bandcamp.com": "Bandcamp",
    "music.amazon.com": "Amazon Music",
}

# Closing punctuation a link often sits against in chat ("(link)", "link.", "<link>").
_TRAILING_PUNCT: Final = ".,;:!?)]}>\"'"


@dataclass(frozen=True, slots=True)
class TrackId:
    """A Spotify track id (22 base-62 characters)."""

    id: str


@dataclass(frozen=True, slots=True)
class SearchText:
    """Cleaned free text to send to Spotify search (1 to 100 characters)."""

    text: str


@dataclass(frozen=True, slots=True)
class InputRejected(TaggedError):
    """The request text cannot become a track; `reason` says what to send instead."""

    tag = "InputRejected"
    reason: str

    def message(self) -> str:
        """The reason, fit for a chat reply."""
        return self.reason


def parse_track_input(raw: str) -> Result[TrackId | SearchText, InputRejected]:
    """Read a viewer's song request text as a Spotify track id or search text, or say why not."""
    if len(raw) > MAX_RAW_CHARS:
        return Err(InputRejected(TOO_LONG_RAW))
    text = clean_text(raw)
    ref = _SPOTIFY_REF.search(text)
    if ref is not None:
        return _from_spotify_ref(ref)
    other = _OTHER_URL.search(text)
    if other is not None:
        return Err(InputRejected(_other_site_reason(other)))
    if not text:
        return Err(InputRejected(EMPTY))
    if len(text) > MAX_SEARCH_CHARS:
        return Err(InputRejected(TOO_LONG_SEARCH))
    return Ok(SearchText(text))


def track_id_of(text: str) -> str | None:
    """The track id in a bare id, a `spotify:track:` URI or a track link; None for anything else."""
    return _id_of(text, "track")


def artist_id_of(text: str) -> str | None:
    """The artist id in a bare id, a `spotify:artist:` URI or an artist link; None for anything else."""
    return _id_of(text, "artist")


def clean_text(raw: str) -> str:
    """Drop control, bidi and invisible format characters, NFKC-normalise, and collapse whitespace."""
    # Dropping before normalising keeps the result stable under a second pass: a mark that was separated
    # from its letter by an invisible character is composed here, not on the next call. (NFKC never
    # produces a dropped character, so nothing needs dropping afterwards.)
    kept = "".join(" " if ch.isspace() else ch for ch in raw if ch.isspace() or not _is_noise(ch))
    return " ".join(unicodedata.normalize("NFKC", kept).split())


def _is_noise(ch: str) -> bool:
    if ch in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        # Lone surrogates cannot be encoded as UTF-8, so they would break the search request or the database.
        return True
    return category == "Cf" and ch not in _KEPT_FORMAT and ord(ch) not in _TAGS


def _id_of(text: str, kind: str) -> str | None:
    stripped = text.strip()
    if len(stripped) > MAX_RAW_CHARS:
        return None
    if _BASE62_ID.fullmatch(stripped):
        return stripped
    ref = _SPOTIFY_REF.match(stripped)
    if ref is None:
        return None
    found_kind, found_id = _kind_and_id(ref)
    if found_kind != kind or not _BASE62_ID.fullmatch(found_id):
        return None
    # Only query strings and fragments may follow: "<link> and more" is not a config entry.
    rest = stripped[ref.end() :]
    return found_id if rest == "" or rest[0] in "?#/" else None


def _kind_and_id(ref: re.Match[str]) -> tuple[str, str]:
    if ref.group("uri_kind") is not None:
        kind, ident, sub = ref.group("uri_kind"), ref.group("uri_id"), ref.group("uri_sub")
    else:
        kind, ident, sub = ref.group("web_kind") or "", ref.group("web_id") or "", ref.group("web_sub")
    kind = kind.lower()
    # Old-style playlist references: spotify:user:<name>:playlist:<id> and /user/<name>/playlist/<id>.
    if kind == "user" and sub is not None:
        kind = sub.lower()
    return kind, ident.rstrip(_TRAILING_PUNCT)


def _from_spotify_ref(ref: re.Match[str]) -> Result[TrackId | SearchText, InputRejected]:
    kind, ident = _kind_and_id(ref)
    if kind == "track":
        if _BASE62_ID.fullmatch(ident):
            return Ok(TrackId(ident))
        return Err(InputRejected(BROKEN_LINK))
    what = _KIND_NAMES.get(kind)
    if what is None:
        return Err(InputRejected(f"that Spotify link is not a track link; {_ASK_FOR_TRACK}"))
    return Err(InputRejected(f"that is {what}; {_ASK_FOR_TRACK}"))


def _other_site_reason(match: re.Match[str]) -> str:
    host = _host_of(match)
    if host in ("spotify.link", "spotify.app.link") or host.endswith(".spotify.link"):
        return SHORT_LINK
    if host == "spotify.com" or host.endswith(".spotify.com"):
        return f"that Spotify link is not a track link; {_ASK_FOR_TRACK}"
    site = next((name for domain, name in _SITE_NAMES.items() if host == domain or host.endswith("." + domain)), None)
    if site is not None:
        return f"only Spotify track links or song names work here, not {site} links"
    return "only Spotify track links or song names work here, not links to other sites"


def _host_of(match: re.Match[str]) -> str:
    host = match.group("scheme_host") or match.group("www_host") or match.group("bare_host") or ""
    # A link may carry credentials and a port; only the host says which site it is.
    host = host.rpartition("@")[2].partition(":")[0]
    return host.lower().rstrip(".").removeprefix("www.")
