"""Every response the simulator serves for the Helix and Spotify endpoints validates against the specs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.server import Simulator

from .conftest import eventsub_connect, spotify_headers, subscribe, twitch_login
from .openapi import Spec, spotify_spec, twitch_spec

# Statuses the real services send although the specs do not declare them (platform-facts §2.4).
UNDECLARED_OK = {("GET", "/me/player/currently-playing", 204)}

HELIX_ENDPOINTS = {
    ("GET", "/users"),
    ("GET", "/streams"),
    ("POST", "/chat/messages"),
    ("POST", "/channel_points/custom_rewards"),
    ("GET", "/channel_points/custom_rewards"),
    ("PATCH", "/channel_points/custom_rewards"),
    ("DELETE", "/channel_points/custom_rewards"),
    ("GET", "/channel_points/custom_rewards/redemptions"),
    ("PATCH", "/channel_points/custom_rewards/redemptions"),
    ("POST", "/chat/shoutouts"),
    ("POST", "/moderation/bans"),
    ("POST", "/eventsub/subscriptions"),
    ("GET", "/eventsub/subscriptions"),
    ("DELETE", "/eventsub/subscriptions"),
}
SPOTIFY_ENDPOINTS = {
    ("GET", "/me/player"),
    ("GET", "/me/player/currently-playing"),
    ("GET", "/me/player/queue"),
    ("POST", "/me/player/queue"),
    ("POST", "/me/player/next"),
    ("PUT", "/me/player/pause"),
    ("PUT", "/me/player/play"),
    ("GET", "/tracks/{id}"),
    ("GET", "/search"),
}


@dataclass(frozen=True)
class Seen:
    """One response the recorder saw."""

    method: str
    path: str
    status: int
    body: Any


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[httpx.AsyncClient, list[Seen]]]:
    """A client that keeps every response it receives."""
    seen: list[Seen] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        body = response.json() if response.content else None
        seen.append(Seen(response.request.method, urlsplit(str(response.request.url)).path, response.status_code, body))

    async with httpx.AsyncClient(timeout=5.0, event_hooks={"response": [keep]}) as client:
        yield client, seen


async def _drive_helix(http: httpx.AsyncClient, sim: Simulator) -> None:
    me = await twitch_login(http, sim)
    h, helix, me_id = me.headers, sim.twitch_helix_url, me.user_id
    await http.get(f"{helix}/users", headers=h)
    await http.get(f"{helix}/users", headers=h, params=[("login", "simstreamer"), ("id", sim.users.viewers[0].id)])
    await http.get(f"{helix}/streams", headers=h, params={"user_id": me_id})
    await http.post(f"{sim.control_url}/stream/online", json={"viewer_count": 12})
    await http.get(f"{helix}/streams", headers=h, params={"user_id": me_id, "type": "live"})
    chat = {"broadcaster_id": me_id, "sender_id": me_id, "message": "hello"}
    await http.post(f"{helix}/chat/messages", headers=h, json=chat)
    await http.post(f"{helix}/chat/messages", headers=h, json=chat)  # dropped as a duplicate

    rewards = f"{helix}/channel_points/custom_rewards"
    created = await http.post(
        rewards,
        headers=h,
        params={"broadcaster_id": me_id},
        json={"title": "Song Request", "cost": 300, "is_max_per_stream_enabled": True, "max_per_stream": 50,
              "is_global_cooldown_enabled": True, "global_cooldown_seconds": 1},
    )  # fmt: skip
    reward_id = created.json()["data"][0]["id"]
    await http.get(rewards, headers=h, params={"broadcaster_id": me_id})
    await http.patch(rewards, headers=h, params={"broadcaster_id": me_id, "id": reward_id}, json={"is_paused": False})
    redemption = await http.post(
        f"{sim.control_url}/redemptions", json={"reward_id": reward_id, "user_input": "a link"}
    )
    redemption_id = redemption.json()["redemption"]["id"]
    ids = {"broadcaster_id": me_id, "reward_id": reward_id}
    await http.get(f"{rewards}/redemptions", headers=h, params={**ids, "status": "UNFULFILLED"})
    await http.patch(
        f"{rewards}/redemptions", headers=h, params={**ids, "id": redemption_id}, json={"status": "CANCELED"}
    )
    await http.get(f"{rewards}/redemptions", headers=h, params={**ids, "id": redemption_id})
    temporary = await http.post(rewards, headers=h, params={"broadcaster_id": me_id}, json={"title": "Temp", "cost": 1})
    await http.delete(rewards, headers=h, params={"broadcaster_id": me_id, "id": temporary.json()["data"][0]["id"]})

    raider = sim.users.raiders[0].user.id
    await http.post(
        f"{helix}/chat/shoutouts",
        headers=h,
        params={"from_broadcaster_id": me_id, "to_broadcaster_id": raider, "moderator_id": me_id},
    )
    bans = f"{helix}/moderation/bans"
    mod = {"broadcaster_id": me_id, "moderator_id": me_id}
    await http.post(bans, headers=h, params=mod, json={"data": {"user_id": sim.users.viewers[1].id}})
    await http.post(bans, headers=h, params=mod, json={"data": {"user_id": sim.users.viewers[2].id, "duration": 60}})

    client = await eventsub_connect(sim.eventsub_url)
    sub = await subscribe(http, sim, me, client.session_id, "stream.offline")
    await http.get(f"{helix}/eventsub/subscriptions", headers=h)
    await http.delete(f"{helix}/eventsub/subscriptions", headers=h, params={"id": sub.json()["data"][0]["id"]})
    await client.ws.close()


async def _drive_spotify(http: httpx.AsyncClient, sim: Simulator, clock: FakeClock) -> None:
    h, api = await spotify_headers(http, sim), sim.spotify_api_url
    await http.get(f"{api}/me/player", headers=h)
    await http.get(f"{api}/me/player/currently-playing", headers=h)
    await http.get(f"{api}/me/player/queue", headers=h)
    await http.put(f"{api}/me/player/play", headers=h)
    clock.advance(20)
    for track in sim.catalogue.all()[:4]:
        await http.post(f"{api}/me/player/queue", headers=h, params={"uri": track.uri})
    await http.get(f"{api}/me/player", headers=h)
    await http.get(f"{api}/me/player/currently-playing", headers=h)
    await http.get(f"{api}/me/player/queue", headers=h)
    await http.post(f"{api}/me/player/next", headers=h)
    await http.put(f"{api}/me/player/pause", headers=h)
    await http.get(f"{api}/me/player", headers=h)
    unplayable = next(t for t in sim.catalogue.all() if not t.is_playable)
    for track in (sim.catalogue.all()[0], unplayable):
        await http.get(f"{api}/tracks/{track.id}", headers=h)
    searches: list[dict[str, str | int]] = [
        {"q": "the", "type": "track"},
        {"q": "the", "type": "track", "limit": 10, "offset": 5},
    ]
    for params in searches:
        await http.get(f"{api}/search", headers=h, params=params)
    await http.get(f"{api}/search", headers=h, params={"q": "zzzzzz", "type": "track"})
    # Error bodies the spec declares: 401, 403, 429.
    await http.get(f"{api}/me/player")
    narrow = await spotify_headers(http, sim, scopes=("user-read-playback-state",))
    await http.put(f"{api}/me/player/play", headers=narrow)
    await http.post(f"{sim.control_url}/faults/fail", json={"endpoint": "GET /v1/search", "status": 429})
    await http.get(f"{api}/search", headers=h, params={"q": "the", "type": "track"})
    await http.put(f"{sim.control_url}/spotify/player", json={"premium": False})
    await http.post(f"{api}/me/player/next", headers=h)


def _check(spec: Spec, seen: list[Seen], prefix: str) -> tuple[set[tuple[str, str]], list[str]]:
    covered: set[tuple[str, str]] = set()
    problems: list[str] = []
    for item in seen:
        if not item.path.startswith(prefix + "/"):
            continue
        path = item.path[len(prefix) :]
        template = spec.template_for(path)
        assert template is not None, f"{item.method} {item.path} is not in the spec"
        declared = spec.response(template, item.method, item.status) is not None
        if not declared and 200 <= item.status < 300 and (item.method, template, item.status) not in UNDECLARED_OK:
            problems.append(f"{item.method} {template} -> {item.status} is not declared in the spec")
        if declared and item.body is not None:
            for error in spec.errors(template, item.method, item.status, item.body):
                problems.append(f"{item.method} {template} {item.status}: {error}")
        if 200 <= item.status < 300 and (declared or (item.method, template, item.status) in UNDECLARED_OK):
            covered.add((item.method, template))
    return covered, problems


async def test_helix_responses_match_the_spec(recorder: tuple[httpx.AsyncClient, list[Seen]], sim: Simulator) -> None:
    http, seen = recorder
    await _drive_helix(http, sim)
    covered, problems = _check(twitch_spec(), seen, "/helix")
    assert problems == []
    assert covered == HELIX_ENDPOINTS


async def test_spotify_responses_match_the_spec(
    recorder: tuple[httpx.AsyncClient, list[Seen]], sim: Simulator, clock: FakeClock
) -> None:
    http, seen = recorder
    await _drive_spotify(http, sim, clock)
    covered, problems = _check(spotify_spec(), seen, "/v1")
    assert problems == []
    assert covered == SPOTIFY_ENDPOINTS
    statuses = {item.status for item in seen if item.path.startswith("/v1/")}
    assert {200, 204, 401, 403, 429} <= statuses
