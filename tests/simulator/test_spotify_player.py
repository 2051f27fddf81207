"""The Spotify player model and Web API: queue, skip, clock-driven playback, errors on demand, search."""

from __future__ import annotations

import httpx
import pytest

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.server import Simulator

from .conftest import spotify_headers


@pytest.fixture
async def headers(http: httpx.AsyncClient, sim: Simulator) -> dict[str, str]:
    """A Spotify token with the three player scopes."""
    return await spotify_headers(http, sim)


def _short_tracks(sim: Simulator) -> list[str]:
    return [t.id for t in sim.catalogue.all() if t.duration_ms < 300_000][:3]


async def test_idle_player_answers_204(http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str]) -> None:
    assert (await http.get(f"{sim.spotify_api_url}/me/player", headers=headers)).status_code == 204
    current = await http.get(f"{sim.spotify_api_url}/me/player/currently-playing", headers=headers)
    assert current.status_code == 204
    queue = await http.get(f"{sim.spotify_api_url}/me/player/queue", headers=headers)
    assert queue.json() == {"queue": []}


async def test_queue_add_then_next_plays_it(http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str]) -> None:
    api = sim.spotify_api_url
    assert (await http.put(f"{api}/me/player/play", headers=headers)).status_code == 204
    first = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()["item"]["id"]
    wanted = next(t for t in _short_tracks(sim) if t != first)
    added = await http.post(f"{api}/me/player/queue", headers=headers, params={"uri": f"spotify:track:{wanted}"})
    assert added.status_code == 204
    queue = (await http.get(f"{api}/me/player/queue", headers=headers)).json()
    assert queue["currently_playing"]["id"] == first
    assert queue["queue"][0]["id"] == wanted
    assert (await http.post(f"{api}/me/player/next", headers=headers)).status_code == 204
    now = (await http.get(f"{api}/me/player", headers=headers)).json()
    assert (now["item"]["id"], now["is_playing"], now["device"]["is_active"]) == (wanted, True, True)
    adds = (await http.get(f"{sim.control_url}/sent/spotify-queue")).json()["adds"]
    assert [a["uri"] for a in adds] == [f"spotify:track:{wanted}"]


async def test_playback_advances_with_the_clock(
    http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str], clock: FakeClock
) -> None:
    api = sim.spotify_api_url
    a, b, c = _short_tracks(sim)
    await http.put(f"{api}/me/player/play", headers=headers, json={"uris": [f"spotify:track:{a}"]})
    for track_id in (b, c):
        await http.post(f"{api}/me/player/queue", headers=headers, params={"uri": f"spotify:track:{track_id}"})
    duration_a = sim.catalogue.get(a).duration_ms  # type: ignore[union-attr]
    duration_b = sim.catalogue.get(b).duration_ms  # type: ignore[union-attr]

    clock.advance(10)
    now = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()
    assert (now["item"]["id"], now["progress_ms"]) == (a, 10_000)

    clock.advance(duration_a / 1000 - 10 + 2)
    now = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()
    assert (now["item"]["id"], now["progress_ms"]) == (b, 2_000)

    await http.put(f"{api}/me/player/pause", headers=headers)
    clock.advance(600)
    paused = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()
    assert (paused["item"]["id"], paused["progress_ms"], paused["is_playing"]) == (b, 2_000, False)
    await http.put(f"{api}/me/player/play", headers=headers)

    clock.advance(duration_b / 1000 + 1)
    now = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()
    assert now["item"]["id"] == c
    clock.advance(1800)  # the queue runs dry: autoplay keeps the music going
    later = (await http.get(f"{api}/me/player/currently-playing", headers=headers)).json()
    assert later["is_playing"] is True
    assert later["item"]["id"] not in (a, b, c)


async def test_speed_factor_scales_playback(http: httpx.AsyncClient, clock: FakeClock) -> None:
    async with Simulator(clock=clock, seed=5, speed=10.0, start_playing=True) as fast:
        headers = await spotify_headers(http, fast)
        clock.advance(3)
        now = (await http.get(f"{fast.spotify_api_url}/me/player/currently-playing", headers=headers)).json()
        assert now["progress_ms"] == 30_000


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        ({"status": 429, "retry_after": 7}, 429, None),
        ({"status": 404, "reason": "NO_ACTIVE_DEVICE"}, 404, "NO_ACTIVE_DEVICE"),
        ({"status": 403, "reason": "PREMIUM_REQUIRED"}, 403, "PREMIUM_REQUIRED"),
        ({"status": 503}, 503, None),
    ],
)
async def test_faults_on_demand(
    http: httpx.AsyncClient,
    sim: Simulator,
    headers: dict[str, str],
    fault: dict[str, object],
    status: int,
    reason: str | None,
) -> None:
    endpoint = "POST /v1/me/player/queue"
    planned = await http.post(f"{sim.control_url}/faults/fail", json={"endpoint": endpoint, **fault})
    assert planned.status_code == 200
    uri = {"uri": f"spotify:track:{_short_tracks(sim)[0]}"}
    failed = await http.post(f"{sim.spotify_api_url}/me/player/queue", headers=headers, params=uri)
    assert failed.status_code == status
    assert failed.json()["error"]["status"] == status
    assert failed.json()["error"].get("reason") == reason
    if status == 429:
        assert failed.headers["Retry-After"] == "7"
    assert (await http.post(f"{sim.spotify_api_url}/me/player/queue", headers=headers, params=uri)).status_code == 204


async def test_device_and_premium_state_errors(
    http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str]
) -> None:
    api = sim.spotify_api_url
    await http.put(f"{sim.control_url}/spotify/player", json={"device_active": False})
    no_device = await http.post(f"{api}/me/player/next", headers=headers)
    assert (no_device.status_code, no_device.json()["error"]["reason"]) == (404, "NO_ACTIVE_DEVICE")
    assert (await http.get(f"{api}/me/player", headers=headers)).status_code == 204
    await http.put(f"{sim.control_url}/spotify/player", json={"device_active": True, "premium": False})
    premium = await http.put(f"{api}/me/player/play", headers=headers)
    assert (premium.status_code, premium.json()["error"]["reason"]) == (403, "PREMIUM_REQUIRED")


async def test_api_requires_a_valid_token_with_scopes(
    http: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    api = sim.spotify_api_url
    assert (await http.get(f"{api}/me/player")).status_code == 401
    assert (await http.get(f"{api}/me/player", headers={"Authorization": "Bearer nope"})).status_code == 401
    narrow = await spotify_headers(http, sim, scopes=("user-read-playback-state",))
    assert (await http.put(f"{api}/me/player/play", headers=narrow)).status_code == 403
    clock.advance(3600)
    expired = await http.get(f"{api}/me/player", headers=narrow)
    assert (expired.status_code, expired.json()["error"]["message"]) == (401, "The access token expired")


async def test_tracks_and_search(http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str]) -> None:
    api = sim.spotify_api_url
    track = sim.catalogue.all()[0]
    got = await http.get(f"{api}/tracks/{track.id}", headers=headers)
    assert (got.status_code, got.json()["name"], got.json()["uri"]) == (200, track.name, track.uri)
    assert (await http.get(f"{api}/tracks/notanid", headers=headers)).status_code == 400
    assert (await http.get(f"{api}/tracks/{'A' * 22}", headers=headers)).status_code == 404

    query: dict[str, str | int] = {"q": f"{track.name} {track.artists[0].name}", "type": "track", "limit": 3}
    found = (await http.get(f"{api}/search", headers=headers, params=query)).json()["tracks"]
    assert found["items"][0]["id"] == track.id
    assert found["limit"] == 3
    default = (await http.get(f"{api}/search", headers=headers, params={"q": "the", "type": "track"})).json()
    assert default["tracks"]["limit"] == 5

    too_many = await http.get(f"{api}/search", headers=headers, params={"q": "x", "type": "track", "limit": 11})
    assert (too_many.status_code, too_many.json()["error"]["message"]) == (400, "Invalid limit")
    assert (await http.get(f"{api}/search", headers=headers, params={"q": "x", "type": "nonsense"})).status_code == 400
    assert (await http.get(f"{api}/search", headers=headers, params={"type": "track"})).status_code == 400


async def test_bad_queue_uris(http: httpx.AsyncClient, sim: Simulator, headers: dict[str, str]) -> None:
    url = f"{sim.spotify_api_url}/me/player/queue"
    assert (await http.post(url, headers=headers)).status_code == 400
    assert (await http.post(url, headers=headers, params={"uri": "https://youtu.be/xyz"})).status_code == 400
    unknown = await http.post(url, headers=headers, params={"uri": f"spotify:track:{'B' * 22}"})
    assert unknown.status_code == 404
