"""Song request text: Spotify track references, rejected links and cleaned search text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streamdeck_tui.runtime.result import Err, Ok
from streamdeck_tui.songs.track_input import (
    BROKEN_LINK,
    EMPTY,
    MAX_RAW_CHARS,
    SHORT_LINK,
    TOO_LONG_RAW,
    TOO_LONG_SEARCH,
    InputRejected,
    SearchText,
    TrackId,
    artist_id_of,
    clean_text,
    parse_track_input,
    track_id_of,
)

ID = "4uLU6hMCjMI75M1A2tKUQ6"
OTHER_ID = "0VjIjW4GlUZAMYd2vXMi3b"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BASE62 = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def track(raw: str) -> str:
    result = parse_track_input(raw)
    assert isinstance(result, Ok), result
    assert isinstance(result.value, TrackId), result
    return result.value.id


def search(raw: str) -> str:
    result = parse_track_input(raw)
    assert isinstance(result, Ok), result
    assert isinstance(result.value, SearchText), result
    return result.value.text


def rejected(raw: str) -> str:
    result = parse_track_input(raw)
    assert isinstance(result, Err), result
    assert isinstance(result.error, InputRejected)
    return result.error.reason


# --- accepted track references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        f"spotify:track:{ID}",
        f"SPOTIFY:TRACK:{ID}",
        f"https://open.spotify.com/track/{ID}",
        f"http://open.spotify.com/track/{ID}",
        f"open.spotify.com/track/{ID}",
        f"HTTPS://OPEN.SPOTIFY.COM/TRACK/{ID}",
        f"https://open.spotify.com/track/{ID}?si=9f1c2b3a4d5e6f70",
        f"https://open.spotify.com/track/{ID}?si=abc&context=spotify%3Aplaylist%3Axyz",
        f"https://open.spotify.com/track/{ID}#0:42",
        f"https://open.spotify.com/track/{ID}/",
        f"https://open.spotify.com/intl-de/track/{ID}",
        f"https://open.spotify.com/intl-pt/track/{ID}?si=abc",
        f"open.spotify.com/intl-fr/track/{ID}",
        f"https://open.spotify.com/intl-pt-br/track/{ID}",
        f"https://open.spotify.com/embed/track/{ID}",
        f"https://play.spotify.com/track/{ID}",
        f"play.spotify.com/track/{ID}",
    ],
)
def test_accepted_track_forms(raw: str) -> None:
    assert track(raw) == ID


@pytest.mark.parametrize(
    "raw",
    [
        f"play this https://open.spotify.com/track/{ID} pls",
        f"play this https://open.spotify.com/intl-de/track/{ID}?si=abc pls <3",
        f"!! open.spotify.com/track/{ID} !!",
        f"(https://open.spotify.com/track/{ID})",
        f"<https://open.spotify.com/track/{ID}>",
        f"this one: https://open.spotify.com/track/{ID}.",
        f'"spotify:track:{ID}",',
        f"link:https://open.spotify.com/track/{ID}",
        f"\n\t  spotify:track:{ID}  \r\n",
        f"اغنية https://open.spotify.com/track/{ID} شكرا",
    ],
)
def test_a_link_among_other_words_is_found(raw: str) -> None:
    assert track(raw) == ID


def test_the_first_spotify_link_wins() -> None:
    assert track(f"https://open.spotify.com/track/{ID} or spotify:track:{OTHER_ID}") == ID
    assert track(f"spotify:track:{OTHER_ID} https://open.spotify.com/track/{ID}") == OTHER_ID
    assert "album" in rejected(f"spotify:album:{OTHER_ID} then https://open.spotify.com/track/{ID}")


def test_a_spotify_link_is_preferred_over_another_site_before_it() -> None:
    assert track(f"https://youtu.be/dQw4w9WgXcQ or https://open.spotify.com/track/{ID}") == ID


def test_the_track_id_keeps_its_case() -> None:
    mixed = "aBcDeFgHiJkLmNoPqRsTuV"
    assert track(f"https://open.spotify.com/track/{mixed}") == mixed


def test_fullwidth_link_is_normalised_then_accepted() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in f"https://open.spotify.com/track/{ID}")
    assert track(wide) == ID


def test_invisible_characters_inside_a_link_do_not_break_it() -> None:
    assert track(f"https://open.spotify.com/track/\u200b{ID[:10]}\u202e{ID[10:]}") == ID


# --- broken track links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        f"https://open.spotify.com/track/{ID[:-1]}",
        f"https://open.spotify.com/track/{ID}x",
        f"spotify:track:{ID[:-5]}",
        f"spotify:track:{ID}{ID}",
        "https://open.spotify.com/track/",
        "https://open.spotify.com/track",
        "spotify:track:",
        f"https://open.spotify.com/track/{ID[:11]}-{ID[11:]}",
        f"https://open.spotify.com/track/{ID[:-1]}_",
        f"https://open.spotify.com/track/{ID[:-1]}é",
        "https://open.spotify.com/track/" + "a" * 500,
    ],
)
def test_broken_track_links_are_rejected(raw: str) -> None:
    assert rejected(raw) == BROKEN_LINK


# --- other Spotify links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (f"spotify:album:{ID}", "album"),
        (f"https://open.spotify.com/album/{ID}", "album"),
        (f"https://open.spotify.com/intl-de/album/{ID}?si=x", "album"),
        (f"spotify:playlist:{ID}", "playlist"),
        ("https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=abc", "playlist"),
        (f"spotify:user:someone:playlist:{ID}", "playlist"),
        (f"https://open.spotify.com/user/someone/playlist/{ID}", "playlist"),
        (f"spotify:episode:{ID}", "podcast episode"),
        (f"https://open.spotify.com/episode/{ID}", "podcast episode"),
        (f"spotify:show:{ID}", "podcast"),
        (f"https://open.spotify.com/show/{ID}", "podcast"),
        (f"spotify:artist:{ID}", "artist"),
        (f"https://open.spotify.com/artist/{ID}", "artist"),
        ("spotify:user:someone:", "profile"),
        ("https://open.spotify.com/user/someone", "profile"),
        (f"https://open.spotify.com/audiobook/{ID}", "audiobook"),
        ("spotify:local:Artist:Album:Title:215", "local file"),
    ],
)
def test_non_track_spotify_links_name_what_they_are(raw: str, what: str) -> None:
    reason = rejected(raw)
    assert what in reason
    assert "one track" in reason
    assert "song's name" in reason


def test_a_playlist_reason_reads_like_the_example() -> None:
    assert rejected(f"https://open.spotify.com/playlist/{ID}") == (
        "that is a Spotify playlist link; send a link to one track (Share → Copy Song Link) or the song's name"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "https://open.spotify.com",
        "open.spotify.com",
        f"https://open.spotify.com/genre/{ID}",
        "https://open.spotify.com/search/bohemian",
        "https://www.spotify.com/us/premium/",
        "https://artists.spotify.com/home",
    ],
)
def test_other_spotify_pages_are_not_track_links(raw: str) -> None:
    assert rejected(raw).startswith("that Spotify link is not a track link; ")


@pytest.mark.parametrize(
    "raw", ["https://spotify.link/AbCdEf123", "spotify.link/AbCdEf123", "https://spotify.app.link/x"]
)
def test_short_links_ask_for_the_full_link(raw: str) -> None:
    assert rejected(raw) == SHORT_LINK


# --- other sites ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "site"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("youtu.be/dQw4w9WgXcQ", "YouTube"),
        ("play https://youtu.be/dQw4w9WgXcQ?t=30 please", "YouTube"),
        ("www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://soundcloud.com/artist/track", "SoundCloud"),
        ("soundcloud.com/artist/track", "SoundCloud"),
        ("https://music.apple.com/us/album/x/123?i=456", "Apple Music"),
        ("https://www.deezer.com/track/3135556", "Deezer"),
        ("https://tidal.com/browse/track/1234", "TIDAL"),
        ("https://artist.bandcamp.com/track/song", "Bandcamp"),
        ("https://user:pw@www.youtube.com:443/watch?v=x", "YouTube"),
    ],
)
def test_known_music_sites_are_named(raw: str, site: str) -> None:
    assert rejected(raw) == f"only Spotify track links or song names work here, not {site} links"


@pytest.mark.parametrize(
    "raw",
    [
        "https://example.com",
        "http://example.com/song.mp3",
        "www.example.com",
        "www.example.org/some/page",
        "listen at example.net/stream",
        "ftp://files.example.com/song.mp3",
        f"https://evil.example/open.spotify.com/track/{ID}",
    ],
)
def test_other_urls_are_rejected(raw: str) -> None:
    assert rejected(raw) == "only Spotify track links or song names work here, not links to other sites"


# --- search text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Bohemian Rhapsody", "Bohemian Rhapsody"),
        ("  bohemian   rhapsody \n queen\t", "bohemian rhapsody queen"),
        ("Mr. Blue Sky", "Mr. Blue Sky"),
        ("AC/DC - Thunderstruck", "AC/DC - Thunderstruck"),
        ("Vol.2/3 intro", "Vol.2/3 intro"),
        ("P!nk - So What", "P!nk - So What"),
        ("spotify: never gonna give you up", "spotify: never gonna give you up"),
        ("Beyonce\u0301 Halo", "Beyoncé Halo"),
        ("\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48", "fullwidth"),
        ("the \ufb01nal countdown", "the final countdown"),
        ("song\u00a0name", "song name"),
        ("song\u2028name\u2029two", "song name two"),
        ("a\u200bb\ufeffc\u00add", "abcd"),
        ("🏳️\u200d🌈 pride song", "🏳️\u200d🌈 pride song"),
        ("Sia\u200c", "Sia\u200c"),
        ("email me at someone@example.com", "email me at someone@example.com"),
    ],
)
def test_search_text_is_cleaned(raw: str, cleaned: str) -> None:
    assert search(raw) == cleaned


@pytest.mark.parametrize(
    "raw",
    [
        "'; DROP TABLE requests; --",
        "Robert'); DROP TABLE songs;--",
        "1 OR 1=1",
        '" OR ""="',
        "%' UNION SELECT * FROM secrets --",
    ],
)
def test_sql_looking_text_is_plain_search_text(raw: str) -> None:
    assert search(raw) == raw


def test_control_characters_are_stripped() -> None:
    assert search("never\x00 gonna\x07 give\x1b[31m you\x7f up\x9b") == "never gonna give[31m you up"


def test_line_breaks_and_tabs_become_single_spaces() -> None:
    assert search("line one\r\nline\x0btwo\x0cthree\x85four\x1cfive") == "line one line two three four five"


@pytest.mark.parametrize(
    "raw",
    ["فيروز - نسم علينا الهوى", "עומר אדם - תל אביב", "محمد عبده أبعاد", "Enta Omri أنت عمري Umm Kulthum"],
)
def test_rtl_text_is_valid_search_text(raw: str) -> None:
    assert search(raw) == raw


def test_bidi_override_characters_are_stripped_from_rtl_text() -> None:
    omer = "\u05e2\u05d5\u05de\u05e8"
    assert search(f"\u202eفيروز\u202c \u2067{omer}\u2069 \u200fadam\u200e") == f"فيروز {omer} adam"


def test_bidi_override_in_latin_text_is_stripped() -> None:
    assert search("\u202egnos lanigiro\u202c") == "gnos lanigiro"


@pytest.mark.parametrize("raw", ["", "   ", "\n\t\r", "\x00\x01\x02", BIDI, "\u200b\ufeff", "\u202e \u202c \x00"])
def test_nothing_left_after_cleaning_is_rejected(raw: str) -> None:
    assert rejected(raw) == EMPTY


def test_a_hundred_characters_is_the_longest_name() -> None:
    assert search("a" * 100) == "a" * 100
    assert rejected("a" * 101) == TOO_LONG_SEARCH


def test_length_is_measured_after_cleaning() -> None:
    assert search("  " + "a " * 49 + "a" + "\x00" * 500 + "   ") == "a " * 49 + "a"
    assert search("\u202e" * 1000 + "b" * 100) == "b" * 100


def test_cleaning_can_make_text_too_long() -> None:
    # One NFKC code point can expand into many: U+FDFA becomes 18 characters.
    assert rejected("\ufdfa" * 6) == TOO_LONG_SEARCH


def test_raw_input_over_the_cap_is_rejected_before_anything_else() -> None:
    assert rejected("x" * (MAX_RAW_CHARS + 1)) == TOO_LONG_RAW
    # Even a valid link cannot hide inside oversized input.
    assert rejected(f"spotify:track:{ID} " + " " * MAX_RAW_CHARS) == TOO_LONG_RAW
    # At the cap the text is read, so the reply is about the name, not the raw size.
    assert rejected("a" * MAX_RAW_CHARS) == TOO_LONG_SEARCH


def test_input_at_the_raw_cap_is_still_read() -> None:
    padded = f"spotify:track:{ID}".ljust(MAX_RAW_CHARS)
    assert len(padded) == MAX_RAW_CHARS
    assert track(padded) == ID


def test_ten_kilobytes_is_rejected_clearly() -> None:
    # How cheaply is measured in benchmarks/bench_track_input.py, never timed here.
    huge = ("https://open.spotify.com/track/" + ID + " ") * 200 + "x" * 4_000
    assert len(huge) > 10_000
    reason = rejected(huge)
    assert reason == TOO_LONG_RAW
    assert "too long" in reason


@pytest.mark.parametrize(
    "raw",
    [
        "open.spotify.com/" * 117,
        "a." * 999,
        "a-" * 999 + "/",
        "x." * 990 + "com",
        "spotify:track:" * 142,
        "https://" * 250,
        "www." * 500,
        "intl-de/" * 250,
        "\ufdfa" * MAX_RAW_CHARS,
        "\u202e" * MAX_RAW_CHARS,
        ("é" * 3 + "\u0301" * 7) * 200,
    ],
)
def test_pathological_input_is_handled(raw: str) -> None:
    # Backtracking would show as seconds per call in benchmarks/bench_track_input.py.
    assert len(raw) <= MAX_RAW_CHARS
    result = parse_track_input(raw)
    assert isinstance(result, Ok | Err)


# --- properties ----------------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "spotify:",
        "track:",
        "album:",
        "user:",
        "https://",
        "http://",
        "open.spotify.com/",
        "play.spotify.com/",
        "intl-de/",
        "track/",
        "playlist/",
        "embed/",
        "www.",
        "youtu.be/",
        ".com/",
        "?si=",
        "#",
        "/",
        ":",
        ".",
        " ",
        ID,
        ID[:21],
        "\u202e",
        "\u2066",
        "\x00",
        "\n",
        "\ufdfa",
        "\u0301",
        "ﬁ",
        "فيروز",
    ]
)
_MIXED = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join)
_ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=300),
    _MIXED,
    st.text(max_size=2_500),
)


@given(_ANY_TEXT)
@example("")
@example("x" * (MAX_RAW_CHARS + 1))
@example("\ud800 lone surrogate \udfff")
@example("\u202e" + "a" * 100)
def test_parse_never_raises_and_keeps_its_promises(raw: str) -> None:
    result = parse_track_input(raw)
    assert isinstance(result, Ok | Err)
    if isinstance(result, Err):
        assert isinstance(result.error, InputRejected)
        assert result.error.reason
        assert result.error.message() == result.error.reason
        assert "\n" not in result.error.reason
        return
    value = result.value
    if isinstance(value, TrackId):
        assert len(value.id) == 22
        assert set(value.id) <= BASE62
        return
    assert isinstance(value, SearchText)
    text = value.text
    assert 1 <= len(text) <= 100
    assert text == text.strip()
    assert "  " not in text
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in text)
    assert not any(c in BIDI for c in text)
    assert all(c == " " or not c.isspace() for c in text)
    # Search text is stable: reading it again gives the same search.
    assert parse_track_input(text) == result


@given(_ANY_TEXT)
def test_clean_text_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once


@given(st.text(alphabet=sorted(BASE62), min_size=22, max_size=22), st.sampled_from(["", "?si=abc", "#x", " pls"]))
def test_any_well_formed_id_round_trips(ident: str, tail: str) -> None:
    assert track(f"https://open.spotify.com/track/{ident}{tail}") == ident
    assert track(f"spotify:track:{ident}{tail}") == ident


# --- track_id_of / artist_id_of -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        ID,
        f"  {ID}  ",
        f"spotify:track:{ID}",
        f"https://open.spotify.com/track/{ID}",
        f"https://open.spotify.com/track/{ID}?si=abc",
        f"https://open.spotify.com/intl-de/track/{ID}#x",
        f"open.spotify.com/track/{ID}",
        f"http://play.spotify.com/track/{ID}",
    ],
)
def test_track_id_of_reads_ids_uris_and_links(entry: str) -> None:
    assert track_id_of(entry) == ID


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "Bohemian Rhapsody",
        ID[:-1],
        ID + "x",
        f"spotify:album:{ID}",
        f"https://open.spotify.com/album/{ID}",
        f"https://open.spotify.com/track/{ID[:-1]}",
        f"play https://open.spotify.com/track/{ID}",
        f"https://open.spotify.com/track/{ID} and more",
        f"https://www.youtube.com/watch?v={ID}",
        "x" * 3_000,
    ],
)
def test_track_id_of_rejects_everything_else(entry: str) -> None:
    assert track_id_of(entry) is None


def test_artist_id_of_reads_artist_references_only() -> None:
    assert artist_id_of(ID) == ID
    assert artist_id_of(f"spotify:artist:{ID}") == ID
    assert artist_id_of(f"https://open.spotify.com/intl-de/artist/{ID}?si=1") == ID
    assert artist_id_of(f"spotify:track:{ID}") is None
    assert artist_id_of("Queen") is None


def test_rejection_is_a_tagged_error() -> None:
    error = InputRejected("send a Spotify track link or a song name")
    assert error.tag == "InputRejected"
    assert str(error) == error.message() == "send a Spotify track link or a song name"
