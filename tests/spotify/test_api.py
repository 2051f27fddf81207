"""SpotifyClient against the simulated Spotify Web API, with a real SpotifyToken logged in through PKCE."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from streamdeck_tui.components.tokens import AuthStatus, SpotifyToken
from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import start_demo
from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.runtime.component import ComponentContext
from streamdeck_tui.runtime.http import BadPayload, HttpStatusError, NetworkError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.result import Err, Ok, Result
from streamdeck_tui.runtime.secret import Secret
from streamdeck_tui.runtime.tokens import NotLoggedIn, StaticTokenSource
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.simulator.catalogue import Track
from streamdeck_tui.simulator.spotify_accounts import SpotifyAccess
from streamdeck_tui.spotify.api import (
    DEVICE_PROBLEM_HINTS,
    NO_ACTIVE_DEVICE,
    PREMIUM_REQUIRED,
    SpotifyClient,
    SpotifyError,
    device_problem_hint,
    is_device_problem,
)
from streamdeck_tui.spotify.callback import pkce_login
from streamdeck_tui.spotify.models import PlayerState, TrackInfo
from streamdeck_tui.spotify.oauth import SpotifyOAuth
from streamdeck_tui.spotify.token_provider import SpotifyTokenProvider, grant_from

TOKEN = "POST /api/token"
PLAYER = "GET /v1/me/player"
QUEUE = "GET /v1/me/player/queue"
TRACK = "GET /v1/tracks/{id}"
SEARCH = "GET /v1/search"


def _browser(url: str) -> bool:
    """Stands in for `webbrowser.open` (in pkce_login's worker thread): consent, then the redirect back."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        consent = client.get(url)
        assert consent.status_code == 302, consent.text
        assert client.get(consent.headers["location"]).status_code == 200
    return True


def _token_component(
    tmp_path: Path, clock: FakeClock, accounts_url: str, client_id: str, http: httpx.AsyncClient
) -> SpotifyToken:
    ctx = ComponentContext(data_dir=tmp_path / "data", clock=clock, migrations_root=migrations_root())
    return SpotifyToken(ctx, MemoryStore(), SpotifyTokenProvider(SpotifyOAuth(accounts_url, client_id, http)))


@dataclass
class Spotify:
    sim: Simulator
    client: SpotifyClient
    token: SpotifyToken
    http: httpx.AsyncClient
    clock: FakeClock

    async def control(self, method: str, path: str, body: dict[str, object]) -> None:
        reply = await self.http.request(method, f"{self.sim.control_url}{path}", json=body)
        assert reply.status_code < 400, reply.text

    async def fail_next(self, endpoint: str, status: int, **more: object) -> None:
        await self.control("POST", "/faults/fail", {"endpoint": endpoint, "status": status, **more})

    async def play(self) -> Track:
        await self.control("PUT", "/spotify/player", {"action": "play"})
        track = self.sim.player.state().track
        assert track is not None
        return track

    def count(self, key: str) -> int:
        return self.sim.requests.count(key)


@pytest.fixture
async def spotify(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Spotify]:
    """The simulator, a SpotifyToken logged in through PKCE, and the client under test."""
    async with (
        Simulator(auto_approve=True, clock=clock, seed=7) as sim,
        httpx.AsyncClient(trust_env=False, timeout=10) as http,
    ):
        token = _token_component(tmp_path, clock, sim.spotify_accounts_url, sim.spotify_client_id, http)
        assert isinstance(await token.start(), Ok)
        try:
            oauth = SpotifyOAuth(sim.spotify_accounts_url, sim.spotify_client_id, http)
            got = await pkce_login(oauth, clock, open_browser=_browser, on_url=lambda url: None, timeout_s=30)
            assert isinstance(got, Ok), got
            assert isinstance(await token.set_tokens(grant_from(got.value), None), Ok)
            yield Spotify(sim, SpotifyClient(sim.spotify_api_url, token, http, clock), token, http, clock)
        finally:
            await token.stop()


def _info(track: Track) -> TrackInfo:
    return TrackInfo(
        id=track.id,
        name=track.name,
        artists=tuple(a.name for a in track.artists),
        artist_ids=tuple(a.id for a in track.artists),
        album=track.album.name,
        duration_ms=track.duration_ms,
        explicit=track.explicit,
        is_playable=track.is_playable,
    )


def _other_track(sim: Simulator, *not_these: str) -> Track:
    return next(t for t in sim.catalogue.all() if t.is_playable and t.id not in not_these)


# -- tracks and search -----------------------------------------------------------------------------------------


async def test_track_by_id_is_the_catalogue_track(spotify: Spotify) -> None:
    wanted = spotify.sim.catalogue.all()[3]
    got = await spotify.client.track(wanted.id)
    assert got == Ok(_info(wanted))
    assert isinstance(got, Ok) and got.value is not None
    assert got.value.uri == f"spotify:track:{wanted.id}"


async def test_an_unknown_or_invalid_track_id_is_none(spotify: Spotify) -> None:
    assert await spotify.client.track("0" * 22) == Ok(None)  # a well-formed id Spotify does not know: 404
    assert spotify.count(TRACK) == 1
    # Not a Spotify id: never put into the URL path, so no request at all.
    for bad in ("not-an-id", "../me/player", "0" * 21, "0" * 23, ""):
        assert await spotify.client.track(bad) == Ok(None)
    assert spotify.count(TRACK) == 1
    # Spotify's 400 "invalid base62 id" reads the same as a 404.
    await spotify.fail_next(TRACK, 400, message="Invalid base62 id")
    assert await spotify.client.track(spotify.sim.catalogue.all()[0].id) == Ok(None)


async def test_a_track_lookup_that_fails_otherwise_is_an_error(spotify: Spotify) -> None:
    await spotify.fail_next(TRACK, 503)
    got = await spotify.client.track(spotify.sim.catalogue.all()[0].id)
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
    assert got.error.status == 503 and got.error.retryable


def _unplayable_with_playable_later(sim: Simulator) -> tuple[Track, Track]:
    """An unplayable track whose name search lists a playable one after it (within the first 10)."""
    for track in sim.catalogue.all():
        if track.is_playable:
            continue
        hits = sim.catalogue.search(track.name)[:10]
        playable = [h for h in hits if h.is_playable]
        if hits and hits[0].id == track.id and playable:
            return track, playable[0]
    raise AssertionError("the catalogue has no such case")


async def test_search_returns_the_first_playable_track(spotify: Spotify) -> None:
    unplayable, playable = _unplayable_with_playable_later(spotify.sim)
    got = await spotify.client.search_track(f"  {unplayable.name}  ")
    assert got == Ok(_info(playable))


async def test_search_with_only_unplayable_or_no_hits_is_none(spotify: Spotify) -> None:
    only_unplayable = next(
        t
        for t in spotify.sim.catalogue.all()
        if not t.is_playable and not any(h.is_playable for h in spotify.sim.catalogue.search(t.name)[:10])
    )
    assert await spotify.client.search_track(only_unplayable.name) == Ok(None)
    assert await spotify.client.search_track("zzqqxx no such song") == Ok(None)
    assert spotify.count(SEARCH) == 2
    assert await spotify.client.search_track("   ") == Ok(None)
    assert spotify.count(SEARCH) == 2, "an empty query is not sent (Spotify would answer 400)"


# -- player and queue ------------------------------------------------------------------------------------------


async def test_an_idle_player_is_none_and_an_empty_queue(spotify: Spotify) -> None:
    assert await spotify.client.player() == Ok(None)
    queue = await spotify.client.queue()
    assert isinstance(queue, Ok)
    assert (queue.value.current, queue.value.upcoming) == (None, ())


async def test_a_playing_player_with_progress_from_the_clock(spotify: Spotify) -> None:
    playing = await spotify.play()
    spotify.clock.advance(10)
    got = await spotify.client.player()
    assert isinstance(got, Ok)
    assert got.value == PlayerState(
        is_playing=True,
        track=_info(playing),
        progress_ms=10_000,
        device_name="Simulated Speaker",
        timestamp_ms=spotify.clock.now_ms(),
        fetched_ms=spotify.clock.now_ms(),
    )


async def test_queue_shows_current_and_what_was_added_first(spotify: Spotify) -> None:
    playing = await spotify.play()
    first = _other_track(spotify.sim, playing.id)
    second = _other_track(spotify.sim, playing.id, first.id)
    assert await spotify.client.add_to_queue(first.id) == Ok(None)
    assert await spotify.client.add_to_queue(second.id) == Ok(None)
    got = await spotify.client.queue()
    assert isinstance(got, Ok)
    assert got.value.current == _info(playing)
    assert got.value.upcoming[:2] == (_info(first), _info(second))
    assert len(got.value.upcoming) > 2, "the context/autoplay lookahead follows the user queue"
    assert [a.track_id for a in spotify.sim.player.queue_adds] == [first.id, second.id]


async def test_skip_pause_and_resume_drive_the_player(spotify: Spotify) -> None:
    playing = await spotify.play()
    queued = _other_track(spotify.sim, playing.id)
    assert await spotify.client.add_to_queue(queued.id) == Ok(None)

    assert await spotify.client.pause() == Ok(None)
    assert spotify.sim.player.state().is_playing is False
    paused = await spotify.client.player()
    assert isinstance(paused, Ok) and paused.value is not None and paused.value.is_playing is False

    assert await spotify.client.resume() == Ok(None)
    assert spotify.sim.player.state().is_playing is True

    assert await spotify.client.skip() == Ok(None)
    state = spotify.sim.player.state()
    assert state.track is not None and state.track.id == queued.id and state.is_playing


async def test_pausing_a_paused_player_is_refused_but_not_a_device_problem(spotify: Spotify) -> None:
    got = await spotify.client.pause()  # nothing plays: Spotify's 403 "Restriction violated"
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
    assert got.error.status == 403
    assert is_device_problem(got.error) is None


# -- device problems -------------------------------------------------------------------------------------------


async def test_no_active_device_is_a_device_problem(spotify: Spotify) -> None:
    await spotify.play()
    await spotify.control("PUT", "/spotify/player", {"device_active": False})
    queued = _other_track(spotify.sim)
    for got in (
        await spotify.client.add_to_queue(queued.id),
        await spotify.client.skip(),
        await spotify.client.pause(),
        await spotify.client.resume(),
    ):
        assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
        assert (got.error.status, got.error.reason) == (404, NO_ACTIVE_DEVICE)
        assert is_device_problem(got.error) == NO_ACTIVE_DEVICE
    assert await spotify.client.player() == Ok(None), "no active device: Spotify answers 204"
    hint = device_problem_hint(NO_ACTIVE_DEVICE)
    assert "no active device" in hint and "\n" not in hint


async def test_premium_required_is_a_device_problem(spotify: Spotify) -> None:
    await spotify.play()
    await spotify.control("PUT", "/spotify/player", {"premium": False})
    got = await spotify.client.skip()
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
    assert (got.error.status, got.error.reason) == (403, PREMIUM_REQUIRED)
    assert is_device_problem(got.error) == PREMIUM_REQUIRED
    assert "Premium" in device_problem_hint(PREMIUM_REQUIRED)
    assert set(DEVICE_PROBLEM_HINTS) == {NO_ACTIVE_DEVICE, PREMIUM_REQUIRED}


async def test_other_failures_are_not_device_problems(spotify: Spotify) -> None:
    await spotify.play()
    unknown = await spotify.client.add_to_queue("0" * 22)
    assert isinstance(unknown, Err) and isinstance(unknown.error, HttpStatusError)
    assert unknown.error.status == 404 and is_device_problem(unknown.error) is None
    assert is_device_problem(NetworkError("Spotify", "refused")) is None
    assert is_device_problem(NotLoggedIn("Spotify")) is None
    assert device_problem_hint("SOMETHING_NEW") == "Spotify refused the player command (SOMETHING_NEW)"


# -- tokens and transient failures -----------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_and_the_call_retried_once(spotify: Spotify) -> None:
    playing = await spotify.play()
    before = await spotify.token.access_token()
    assert isinstance(before, Ok)
    await spotify.control("POST", "/spotify/tokens/expire", {})  # Spotify says expired; our clock disagrees

    got = await spotify.client.player()

    assert isinstance(got, Ok) and got.value is not None and got.value.track == _info(playing)
    assert (spotify.count(PLAYER), spotify.count(TOKEN)) == (2, 2), "login + one refresh; the call sent twice"
    after = await spotify.token.access_token()
    assert isinstance(after, Ok) and after.value != before.value
    assert isinstance(spotify.sim.accounts.check(after.value.reveal()), SpotifyAccess)


async def test_a_second_401_is_returned_not_retried_again(spotify: Spotify) -> None:
    await spotify.fail_next(QUEUE, 401, count=3, message="The access token expired")
    got = await spotify.client.queue()
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
    assert got.error.status == 401 and not got.error.retryable
    assert spotify.count(QUEUE) == 2


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_after"),
    [(500, None, None), (502, None, None), (503, 30, 30.0), (429, 7, 7.0), (429, None, 1.0)],
)
async def test_5xx_and_429_are_retryable_status_errors(
    spotify: Spotify, status: int, retry_after: int | None, expected_after: float | None
) -> None:
    more: dict[str, object] = {} if retry_after is None else {"retry_after": retry_after}
    await spotify.fail_next(SEARCH, status, **more)
    got = await spotify.client.search_track("lanterns")
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError)
    assert (got.error.status, got.error.retryable, got.error.retry_after_s) == (status, True, expected_after)
    assert await spotify.client.search_track("lanterns") != got, "the next call is served again"


async def test_a_4xx_keeps_spotifys_reason_and_message(spotify: Spotify) -> None:
    await spotify.fail_next("POST /v1/me/player/next", 403, reason="UNKNOWN", message="Restriction violated")
    got = await spotify.client.skip()
    assert got == Err(HttpStatusError("Spotify", 403, "UNKNOWN", "Restriction violated", None))
    assert isinstance(got, Err) and isinstance(got.error, HttpStatusError) and not got.error.retryable


async def test_an_unreachable_api_is_a_network_error(spotify: Spotify) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SpotifyClient(f"http://127.0.0.1:{port}/v1", spotify.token, spotify.http, spotify.clock)
    got = await client.skip()
    assert isinstance(got, Err) and isinstance(got.error, NetworkError)


async def test_without_a_login_nothing_is_sent(spotify: Spotify, tmp_path: Path) -> None:
    fresh = _token_component(
        tmp_path / "other", spotify.clock, spotify.sim.spotify_accounts_url, spotify.sim.spotify_client_id, spotify.http
    )
    assert isinstance(await fresh.start(), Ok)
    try:
        client = SpotifyClient(spotify.sim.spotify_api_url, fresh, spotify.http, spotify.clock)
        assert await client.queue() == Err(NotLoggedIn("Spotify"))
        assert spotify.count(QUEUE) == 0
    finally:
        await fresh.stop()


# -- payloads the simulator never sends (episodes, local files, broken bodies): a stand-in provider -----------


def _stub(routes: dict[str, object], status: int = 200) -> SpotifyClient:
    """A client whose provider answers `routes[path]` (JSON, or raw bytes) to any method."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer stub-token"
        body = routes[request.url.path]
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return SpotifyClient("http://api.test/v1", StaticTokenSource(Secret("stub-token")), http, FakeClock())


def _track_json(track_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "type": "track",
        "id": track_id,
        "name": f"Song {track_id[:4]}",
        "artists": [{"id": "a" * 22, "name": "Artist"}],
        "album": {"id": "b" * 22, "name": "Album"},
        "duration_ms": 180_000,
        "explicit": False,
        "is_local": False,
    }
    body.update(changes)
    return body


EPISODE = {"type": "episode", "id": "e" * 22, "name": "A podcast", "duration_ms": 3_600_000, "show": {}}


async def test_episodes_nulls_and_local_files_are_left_out_of_the_queue() -> None:
    local = _track_json("x" * 22, id=None, is_local=True)
    client = _stub(
        {
            "/v1/me/player/queue": {
                "currently_playing": EPISODE,
                "queue": [EPISODE, None, _track_json("1" * 22), local, _track_json("2" * 22)],
            }
        }
    )
    got = await client.queue()
    assert isinstance(got, Ok)
    assert got.value.current is None
    assert [t.id for t in got.value.upcoming] == ["1" * 22, "2" * 22]
    await client.http.aclose()


async def test_an_episode_playing_is_a_player_without_a_track() -> None:
    client = _stub(
        {"/v1/me/player": {"is_playing": True, "progress_ms": 5, "item": EPISODE, "currently_playing_type": "episode"}}
    )
    got = await client.player()
    assert isinstance(got, Ok) and got.value is not None
    assert (got.value.is_playing, got.value.track, got.value.device_name, got.value.progress_ms) == (
        True,
        None,
        None,
        5,
    )
    await client.http.aclose()


async def test_search_skips_null_items_and_missing_playability_means_playable() -> None:
    items: list[object] = [None, _track_json("1" * 22, is_playable=False), _track_json("2" * 22)]
    client = _stub({"/v1/search": {"tracks": {"items": items, "total": 3}}})
    got = await client.search_track("song")
    assert isinstance(got, Ok) and got.value is not None
    assert (got.value.id, got.value.is_playable, got.value.artist_line) == ("2" * 22, True, "Artist")
    await client.http.aclose()


async def test_an_empty_200_from_the_player_reads_as_idle() -> None:
    client = _stub({"/v1/me/player": b""})
    assert await client.player() == Ok(None)
    await client.http.aclose()


@pytest.mark.parametrize(
    ("path", "body", "call"),
    [
        ("/v1/tracks/" + "1" * 22, _track_json("1" * 22, duration_ms="long"), lambda c: c.track("1" * 22)),
        ("/v1/tracks/" + "1" * 22, _track_json("1" * 22, duration_ms=-1), lambda c: c.track("1" * 22)),
        ("/v1/tracks/" + "1" * 22, {"error": "not a track"}, lambda c: c.track("1" * 22)),
        ("/v1/tracks/" + "1" * 22, _track_json("1" * 22, name="n" * 600), lambda c: c.track("1" * 22)),
        ("/v1/search", {"tracks": {"items": "none"}}, lambda c: c.search_track("x")),
        ("/v1/search", {"tracks": {"items": [{"type": "track", "id": "1"}]}}, lambda c: c.search_track("x")),
        ("/v1/search", [], lambda c: c.search_track("x")),
        ("/v1/me/player", {"is_playing": "maybe"}, lambda c: c.player()),
        ("/v1/me/player", {"is_playing": True, "progress_ms": -5}, lambda c: c.player()),
        ("/v1/me/player", b"<html>Bad gateway</html>", lambda c: c.player()),
        ("/v1/me/player/queue", {"queue": {"not": "a list"}}, lambda c: c.queue()),
        ("/v1/me/player/queue", {"queue": [{"name": "no type"}]}, lambda c: c.queue()),
        ("/v1/me/player/queue", b"{not json", lambda c: c.queue()),
    ],
)
async def test_broken_bodies_are_bad_payload(
    path: str, body: object, call: Callable[[SpotifyClient], Awaitable[Result[object, SpotifyError]]]
) -> None:
    client = _stub({path: body})
    got = await call(client)
    assert isinstance(got, Err) and isinstance(got.error, BadPayload), got
    assert got.error.provider == "Spotify"
    await client.http.aclose()


# -- the demo's Spotify login ----------------------------------------------------------------------------------


async def test_the_demo_logs_in_to_the_simulated_spotify(tmp_path: Path, clock: FakeClock) -> None:
    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    session = await start_demo(settings, clock)
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            spotify = session.settings.spotify
            token = _token_component(tmp_path, clock, spotify.accounts_url, spotify.client_id, http)
            assert isinstance(await token.start(), Ok)
            try:
                assert await session.login_spotify(token, clock) == Ok(None)
                health = await token.account()
                assert health.status is AuthStatus.AUTHORIZED
                assert "user-modify-playback-state" in health.scopes
                access = await token.access_token()
                assert isinstance(access, Ok)
                assert isinstance(session.simulator.accounts.check(access.value.reveal()), SpotifyAccess)
                client = SpotifyClient(spotify.api_url, token, http, clock)
                assert await client.skip() == Ok(None), "the simulator accepts the token for a player command"
                assert session.simulator.requests.count("POST /v1/me/player/next") == 1
            finally:
                await token.stop()
    finally:
        await session.stop()
