"""The control API: bad input gets a 4xx with a message, and the server keeps serving."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from streamdeck_tui.simulator.server import Simulator

from .conftest import TwitchLogin


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/nope", None, 404),
        ("DELETE", "/chat", None, 405),
        ("POST", "/chat", b"{not json", 400),
        ("POST", "/chat", b"[1, 2]", 400),
        ("POST", "/chat", b'{"text": 5}', 422),
        ("POST", "/chat", b'{"text": ""}', 422),
        ("POST", "/chat", b'{"text": "hi", "extra": true}', 422),
        ("POST", "/chat", b"\xff\xfe", 400),
        ("PUT", "/viewers", b'{"count": -1}', 422),
        ("PUT", "/viewers", b'{"count": "12"}', 422),
        ("POST", "/faults/fail", b'{"endpoint": "*", "status": 200}', 422),
        ("POST", "/faults/latency", b'{"ms": 1.5}', 422),
        ("POST", "/redemptions", b"{}", 404),
        ("POST", "/twitch/device/approve", b'{"login": "nobody_here"}', 404),
        ("POST", "/twitch/device/approve", b'{"user_code": "NOSUCHCO"}', 404),
        ("POST", "/eventsub/revoke", b'{"subscription_id": "x", "status": "bored"}', 422),
        ("PUT", "/spotify/player", b'{"action": "rewind"}', 422),
        ("POST", "/audience/start", b'{"speed": 0}', 422),
    ],
)
async def test_bad_control_input_gets_a_4xx_with_a_message(
    http: httpx.AsyncClient, sim: Simulator, method: str, path: str, body: bytes | None, status: int
) -> None:
    reply = await http.request(method, f"{sim.control_url}{path}", content=body)
    assert reply.status_code == status
    assert reply.json()["message"]
    assert (await http.get(f"{sim.control_url}/state")).status_code == 200


async def test_index_lists_the_routes(http: httpx.AsyncClient, sim: Simulator) -> None:
    routes = (await http.get(sim.control_url)).json()["routes"]
    assert "POST /_sim/faults/fail" in routes
    assert "GET /_sim/requests" in routes


async def test_request_counters_count_app_calls_not_control_calls(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    await http.delete(f"{sim.control_url}/requests")
    for _ in range(3):
        await http.get(f"{sim.twitch_helix_url}/streams", headers=broadcaster.headers)
    await http.get(f"{sim.twitch_helix_url}/users", headers=broadcaster.headers)
    counts = (await http.get(f"{sim.control_url}/requests")).json()["counts"]
    assert counts == {"GET /helix/streams": 3, "GET /helix/users": 1}
    assert sim.requests.count("GET /helix/streams") == 3


async def test_fail_next_n_calls_then_recover(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    await http.post(
        f"{sim.control_url}/faults/fail", json={"endpoint": "GET /helix/streams", "status": 503, "count": 2}
    )
    url = f"{sim.twitch_helix_url}/streams"
    statuses = [(await http.get(url, headers=broadcaster.headers)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (await http.get(f"{sim.control_url}/faults")).json()["failures"] == []


async def test_latency_fault_delays_matching_calls(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    await http.post(f"{sim.control_url}/faults/latency", json={"endpoint": "/helix/users", "ms": 300})
    started = time.monotonic()
    assert (await http.get(f"{sim.twitch_helix_url}/users", headers=broadcaster.headers)).status_code == 200
    assert time.monotonic() - started >= 0.3
    await http.delete(f"{sim.control_url}/faults")
    assert (await http.get(f"{sim.control_url}/faults")).json()["latency_ms"] == {}


async def test_revoking_tokens_through_the_control_api(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    revoked = await http.post(f"{sim.control_url}/twitch/tokens/revoke", json={"token": broadcaster.access_token})
    assert revoked.json()["revoked"] == 1
    reply = await http.get(f"{sim.twitch_helix_url}/users", headers=broadcaster.headers)
    assert reply.status_code == 401


async def test_many_concurrent_bad_requests_do_not_hurt(http: httpx.AsyncClient, sim: Simulator) -> None:
    bad = [http.post(f"{sim.control_url}/chat", content=b"{") for _ in range(50)]
    replies = await asyncio.gather(*bad)
    assert {r.status_code for r in replies} == {400}
    assert (await http.post(f"{sim.control_url}/chat", json={"text": "still here"})).status_code == 200
