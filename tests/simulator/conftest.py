"""Fixtures for simulator tests: a started simulator on a fake clock, an HTTP client, logins, EventSub."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.demo_clients import (
    SPOTIFY_DEMO_CLIENT_ID,
    SPOTIFY_SCOPES,
    TWITCH_DEMO_CLIENT_ID,
    TWITCH_SCOPES,
)
from streamdeck_tui.simulator.server import Simulator


async def wait_for(predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[Simulator]:
    """A started simulator whose model time is the fake clock."""
    simulator = Simulator(clock=clock, seed=7)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with a short timeout."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@dataclass(frozen=True)
class TwitchLogin:
    """A Twitch token pair and the headers Helix wants."""

    access_token: str
    refresh_token: str
    client_id: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization + Client-Id."""
        return {"Authorization": f"Bearer {self.access_token}", "Client-Id": self.client_id}


async def twitch_login(
    http: httpx.AsyncClient,
    sim: Simulator,
    *,
    client_id: str = TWITCH_DEMO_CLIENT_ID,
    scopes: tuple[str, ...] = TWITCH_SCOPES,
    login: str | None = None,
) -> TwitchLogin:
    """Mint a Twitch token through the control API."""
    body: dict[str, Any] = {"client_id": client_id, "scopes": list(scopes)}
    if login is not None:
        body["login"] = login
    reply = await http.post(f"{sim.control_url}/twitch/tokens", json=body)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    return TwitchLogin(data["access_token"], data["refresh_token"], client_id, data["user_id"])


@pytest.fixture
async def broadcaster(http: httpx.AsyncClient, sim: Simulator) -> TwitchLogin:
    """The broadcaster's login with every scope the console uses."""
    return await twitch_login(http, sim)


async def spotify_headers(
    http: httpx.AsyncClient, sim: Simulator, scopes: tuple[str, ...] = SPOTIFY_SCOPES
) -> dict[str, str]:
    """A Spotify bearer header minted through the control API."""
    reply = await http.post(
        f"{sim.control_url}/spotify/tokens",
        json={"client_id": SPOTIFY_DEMO_CLIENT_ID, "scopes": list(scopes)},
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


class EventSubClient:
    """A WebSocket client that reads JSON frames with a timeout."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.session_id = ""

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame as JSON."""
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        return frame

    async def next_of(self, message_type: str, timeout: float = 5.0) -> dict[str, Any]:
        """Skip frames until one of `message_type` arrives (keepalives may interleave)."""
        while True:
            frame = await self.next(timeout)
            if frame["metadata"]["message_type"] == message_type:
                return frame

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close; return its close code."""
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return self.ws.close_code


async def eventsub_connect(url: str) -> EventSubClient:
    """Connect and read the welcome."""
    client = EventSubClient(await websockets.connect(url))
    welcome = await client.next()
    assert welcome["metadata"]["message_type"] == "session_welcome"
    client.session_id = welcome["payload"]["session"]["id"]
    return client


async def subscribe(
    http: httpx.AsyncClient,
    sim: Simulator,
    login: TwitchLogin,
    session_id: str,
    sub_type: str,
    version: str = "1",
    condition: dict[str, str] | None = None,
) -> httpx.Response:
    """Create an EventSub subscription for the broadcaster's channel."""
    body = {
        "type": sub_type,
        "version": version,
        "condition": condition or {"broadcaster_user_id": login.user_id},
        "transport": {"method": "websocket", "session_id": session_id},
    }
    return await http.post(f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=login.headers, json=body)
