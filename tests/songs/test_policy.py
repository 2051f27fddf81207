"""Song policy: config validation, durations, and the checks that need only the track."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from streamdeck_tui.songs.policy import (
    SongPolicy,
    check_track,
    format_duration,
    is_viewer_blocked,
    parse_duration,
)
from streamdeck_tui.spotify.models import TrackInfo

ID = "4uLU6hMCjMI75M1A2tKUQ6"
OTHER_ID = "0VjIjW4GlUZAMYd2vXMi3b"
ARTIST_ID = "1dfeR4HaWDbWqFHLkxsg1d"


def make_track(**changes: Any) -> TrackInfo:
    fields: dict[str, Any] = {
        "id": ID,
        "name": "Bohemian Rhapsody",
        "artists": ("Queen",),
        "artist_ids": (ARTIST_ID,),
        "album": "A Night at the Opera",
        "duration_ms": 354_320,
        "explicit": False,
        "is_playable": True,
    }
    fields.update(changes)
    return TrackInfo(**fields)


def errors_of(**config: Any) -> str:
    """The validation errors as "field: message" lines, without pydantic's echo of the whole input."""
    with pytest.raises(ValidationError) as caught:
        SongPolicy(**config)
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors())


# --- parse_duration / format_duration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("7:00", 420_000),
        ("0:30", 30_000),
        ("0:00", 0),
        ("0:59", 59_000),
        ("07:00", 420_000),
        ("59:59", 3_599_000),
        ("60:00", 3_600_000),
        ("120:00", 7_200_000),
        ("1:00:00", 3_600_000),
        ("1:02:03", 3_723_000),
        ("0:07:00", 420_000),
        ("10:00:00", 36_000_000),
        (" 7:00 ", 420_000),
        ("\t4:33\n", 273_000),
    ],
)
def test_parse_duration_reads_m_ss_and_h_mm_ss(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "7",
        "420",
        "7:",
        ":30",
        "7:0",
        "7:000",
        "7:60",
        "7:99",
        "1:60:00",
        "1:00:60",
        "1:5:00",
        "-1:00",
        "7:-1",
        "+7:00",
        "7.00",
        "7m",
        "7:00s",
        "1:00:00:00",
        "1000:00",
        "100:00:00",
        "\u0667:\u0660\u0660",  # Arabic-Indic digits: only ASCII digits are durations
        "\uff17:\uff10\uff10",  # fullwidth digits
        "7 :00",
        "seven minutes",
    ],
)
def test_parse_duration_rejects_malformed_text(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (420_000, "7:00"),
        (3_723_000, "1:02:03"),
        (0, "0:00"),
        (59_999, "0:59"),
        (552_000, "9:12"),
        (552_999, "9:12"),
        (3_599_999, "59:59"),
        (3_600_000, "1:00:00"),
        (36_005_000, "10:00:05"),
        (-5_000, "0:00"),
    ],
)
def test_format_duration(ms: int, text: str) -> None:
    assert format_duration(ms) == text


@given(st.integers(min_value=0, max_value=99 * 3_600_000))
def test_format_then_parse_round_trips_to_the_second(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms // 1000 * 1000


# --- SongPolicy ----------------------------------------------------------------------------------------


def test_defaults() -> None:
    policy = SongPolicy()
    assert policy.max_duration == "7:00"
    assert policy.max_duration_ms == 420_000
    assert policy.allow_explicit is True
    assert policy.max_pending_per_viewer == 2
    assert policy.max_queue == 30
    assert policy.duplicate_window_minutes == 60
    assert policy.blocked_tracks == []
    assert policy.blocked_artists == []
    assert policy.blocked_viewers == []
    assert policy.blocked_track_ids == frozenset()


def test_defaults_are_not_shared_between_instances() -> None:
    first, second = SongPolicy(), SongPolicy()
    first.blocked_viewers.append("someone")
    assert second.blocked_viewers == []


@pytest.mark.parametrize(
    ("text", "canonical", "ms"),
    [
        ("0:30", "0:30", 30_000),
        ("07:00", "7:00", 420_000),
        ("60:00", "1:00:00", 3_600_000),
        ("1:00:00", "1:00:00", 3_600_000),
        ("0:45:30", "45:30", 2_730_000),
        (" 9:12 ", "9:12", 552_000),
    ],
)
def test_max_duration_is_stored_in_canonical_form(text: str, canonical: str, ms: int) -> None:
    policy = SongPolicy(max_duration=text)
    assert policy.max_duration == canonical
    assert policy.max_duration_ms == ms


@pytest.mark.parametrize("text", ["7", "7:60", "seven", "", "1:2:3", "7:00 min"])
def test_malformed_max_duration_is_a_clear_validation_error(text: str) -> None:
    message = errors_of(max_duration=text)
    assert "max_duration" in message
    assert "M:SS or H:MM:SS" in message
    assert repr(text) in message


@pytest.mark.parametrize("text", ["0:29", "0:00", "1:00:01", "2:00:00", "61:00"])
def test_max_duration_out_of_range_is_a_validation_error(text: str) -> None:
    message = errors_of(max_duration=text)
    assert "between 0:30 and 1:00:00" in message
    assert text in message


def test_max_duration_must_be_text() -> None:
    assert "max_duration" in errors_of(max_duration=420)


def test_assignment_is_validated_too() -> None:
    policy = SongPolicy()
    policy.max_duration = "4:00"
    assert policy.max_duration_ms == 240_000
    with pytest.raises(ValidationError, match="M:SS or H:MM:SS"):
        policy.max_duration = "four minutes"
    assert policy.max_duration_ms == 240_000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_pending_per_viewer", 0),
        ("max_pending_per_viewer", 51),
        ("max_queue", 0),
        ("max_queue", 501),
        ("duplicate_window_minutes", -1),
        ("duplicate_window_minutes", 1441),
    ],
)
def test_numeric_limits_are_bounded(field: str, value: int) -> None:
    assert field in errors_of(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_pending_per_viewer", 1),
        ("max_pending_per_viewer", 50),
        ("max_queue", 1),
        ("max_queue", 500),
        ("duplicate_window_minutes", 0),
        ("duplicate_window_minutes", 1440),
    ],
)
def test_numeric_limits_accept_their_bounds(field: str, value: int) -> None:
    assert getattr(SongPolicy(**{field: value}), field) == value


def test_unknown_keys_are_rejected() -> None:
    assert "max_lenght" in errors_of(max_lenght="7:00")


def test_blocked_tracks_accept_ids_uris_and_links() -> None:
    policy = SongPolicy(
        blocked_tracks=[
            ID,
            f"spotify:track:{OTHER_ID}",
            f"https://open.spotify.com/intl-de/track/{ID}?si=abc",
            f"  open.spotify.com/track/{OTHER_ID}  ",
        ]
    )
    assert policy.blocked_track_ids == frozenset({ID, OTHER_ID})
    assert policy.blocked_tracks[3] == f"open.spotify.com/track/{OTHER_ID}"


def test_a_bad_blocked_track_is_named_in_the_error() -> None:
    message = errors_of(blocked_tracks=[ID, "Bohemian Rhapsody", f"spotify:album:{OTHER_ID}"])
    assert "blocked_tracks" in message
    assert "'Bohemian Rhapsody'" in message
    assert f"'spotify:album:{OTHER_ID}'" in message
    assert f"'{ID}'" not in message


def test_blocked_artists_are_trimmed_and_must_not_be_empty() -> None:
    assert SongPolicy(blocked_artists=["  Queen ", ARTIST_ID]).blocked_artists == ["Queen", ARTIST_ID]
    assert "blocked_artists" in errors_of(blocked_artists=["Queen", "   "])


def test_blocked_viewers_are_twitch_logins() -> None:
    assert SongPolicy(blocked_viewers=[" @SpamBot ", "troll_99"]).blocked_viewers == ["SpamBot", "troll_99"]
    message = errors_of(blocked_viewers=["fine_login", "not a login", "x" * 26])
    assert "blocked_viewers" in message
    assert "'not a login'" in message
    assert "'fine_login'" not in message


# --- is_viewer_blocked ---------------------------------------------------------------------------------


def test_is_viewer_blocked_ignores_case_and_at_signs() -> None:
    policy = SongPolicy(blocked_viewers=["SpamBot", "@troll_99"])
    assert is_viewer_blocked(policy, "spambot")
    assert is_viewer_blocked(policy, "SPAMBOT")
    assert is_viewer_blocked(policy, "@Troll_99")
    assert is_viewer_blocked(policy, " troll_99 ")
    assert not is_viewer_blocked(policy, "spambot2")
    assert not is_viewer_blocked(policy, "")
    assert not is_viewer_blocked(SongPolicy(), "spambot")


# --- check_track ---------------------------------------------------------------------------------------


def test_an_ordinary_track_passes() -> None:
    assert check_track(SongPolicy(), make_track()) is None


def test_an_unplayable_track_is_refused() -> None:
    reason = check_track(SongPolicy(), make_track(is_playable=False))
    assert reason == '"Bohemian Rhapsody" by Queen is not available on Spotify in the streamer\'s country'


def test_a_too_long_track_shows_both_durations() -> None:
    reason = check_track(SongPolicy(), make_track(duration_ms=552_000))
    assert reason == '"Bohemian Rhapsody" by Queen is 9:12 long; the limit is 7:00'


def test_the_limit_uses_the_configured_duration() -> None:
    policy = SongPolicy(max_duration="5:00")
    assert check_track(policy, make_track(duration_ms=300_000)) is None
    assert check_track(policy, make_track(duration_ms=301_000)) == (
        '"Bohemian Rhapsody" by Queen is 5:01 long; the limit is 5:00'
    )


def test_the_limit_is_compared_in_whole_seconds() -> None:
    # 7:00.999 displays as 7:00, so refusing it would read "7:00 long; the limit is 7:00".
    assert check_track(SongPolicy(), make_track(duration_ms=420_999)) is None
    assert check_track(SongPolicy(), make_track(duration_ms=421_000)) is not None


def test_hour_long_limits_format_with_hours() -> None:
    policy = SongPolicy(max_duration="1:00:00")
    assert check_track(policy, make_track(duration_ms=3_723_000)) == (
        '"Bohemian Rhapsody" by Queen is 1:02:03 long; the limit is 1:00:00'
    )


def test_explicit_tracks_follow_the_setting() -> None:
    explicit = make_track(explicit=True)
    assert check_track(SongPolicy(), explicit) is None
    assert check_track(SongPolicy(allow_explicit=False), explicit) == (
        '"Bohemian Rhapsody" by Queen is marked explicit, and explicit songs are not allowed on this channel'
    )
    assert check_track(SongPolicy(allow_explicit=False), make_track()) is None


@pytest.mark.parametrize("entry", [ID, f"spotify:track:{ID}", f"https://open.spotify.com/track/{ID}?si=x"])
def test_a_blocked_track_is_refused(entry: str) -> None:
    policy = SongPolicy(blocked_tracks=[OTHER_ID, entry])
    assert check_track(policy, make_track()) == '"Bohemian Rhapsody" by Queen is blocked on this channel'
    assert check_track(policy, make_track(id="7tFiyTwD0nx5a1eklYtX2J")) is None


@pytest.mark.parametrize("entry", ["Queen", "queen", "QUEEN", " Queen "])
def test_a_blocked_artist_name_matches_case_insensitively(entry: str) -> None:
    policy = SongPolicy(blocked_artists=[entry])
    assert check_track(policy, make_track()) == (
        '"Bohemian Rhapsody" by Queen is by Queen, who is blocked on this channel'
    )


def test_any_artist_on_the_track_can_be_the_blocked_one() -> None:
    track = make_track(name="Under Pressure", artists=("Queen", "David Bowie"), artist_ids=(ARTIST_ID, OTHER_ID))
    reason = check_track(SongPolicy(blocked_artists=["david bowie"]), track)
    assert reason == '"Under Pressure" by Queen, David Bowie is by David Bowie, who is blocked on this channel'


def test_artist_names_match_across_unicode_forms() -> None:
    track = make_track(name="Halo", artists=("Beyonc\u00e9",))
    assert check_track(SongPolicy(blocked_artists=["BEYONCE\u0301"]), track) is not None


def test_artist_names_match_whole_names_only() -> None:
    assert check_track(SongPolicy(blocked_artists=["Que"]), make_track()) is None
    assert check_track(SongPolicy(blocked_artists=["Queen + Adam Lambert"]), make_track()) is None


@pytest.mark.parametrize(
    "entry", [ARTIST_ID, f"spotify:artist:{ARTIST_ID}", f"https://open.spotify.com/artist/{ARTIST_ID}"]
)
def test_a_blocked_artist_id_matches(entry: str) -> None:
    assert check_track(SongPolicy(blocked_artists=[entry]), make_track()) == (
        '"Bohemian Rhapsody" by Queen is by Queen, who is blocked on this channel'
    )


def test_an_artist_id_is_case_sensitive() -> None:
    assert check_track(SongPolicy(blocked_artists=[ARTIST_ID.lower()]), make_track()) is None


def test_a_blocked_artist_id_without_a_name_still_blocks() -> None:
    track = make_track(artists=(), artist_ids=(ARTIST_ID,))
    assert check_track(SongPolicy(blocked_artists=[ARTIST_ID]), track) == (
        '"Bohemian Rhapsody" by unknown artist is by an artist who is blocked on this channel'
    )


def test_reasons_come_in_a_fixed_order() -> None:
    everything_wrong = make_track(is_playable=False, explicit=True, duration_ms=9_999_000)
    strict = SongPolicy(allow_explicit=False, blocked_tracks=[ID], blocked_artists=["Queen"])
    assert "not available" in (check_track(strict, everything_wrong) or "")
    assert "is blocked on this channel" in (check_track(strict, make_track(explicit=True)) or "")
    no_track_block = strict.model_copy(update={"blocked_tracks": []})
    assert "who is blocked" in (check_track(no_track_block, make_track(explicit=True)) or "")
    assert "explicit" in (check_track(SongPolicy(allow_explicit=False), make_track(explicit=True, duration_ms=1)) or "")


def test_long_names_are_clipped_to_fit_a_chat_reply() -> None:
    track = make_track(name="N" * 500, artists=("A" * 300,), duration_ms=999_000)
    reason = check_track(SongPolicy(), track)
    assert reason is not None
    assert len(reason) < 200
    assert "…" in reason
    assert reason.endswith("is 16:39 long; the limit is 7:00")


def test_track_metadata_is_cleaned_before_it_reaches_chat() -> None:
    track = make_track(name="Evil\u202e Song\n\x00", artists=("Bad\u2066 Band",), is_playable=False)
    reason = check_track(SongPolicy(), track)
    assert reason == '"Evil Song" by Bad Band is not available on Spotify in the streamer\'s country'


def test_an_unnamed_track_is_still_described() -> None:
    reason = check_track(SongPolicy(), make_track(name="", is_playable=False))
    assert reason == "that track by Queen is not available on Spotify in the streamer's country"
