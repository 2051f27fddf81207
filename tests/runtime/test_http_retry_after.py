"""How long a 429 says to wait: Retry-After, or Twitch's Ratelimit-Reset (epoch seconds), through runtime/http.py
against real loopback servers, and on into the workflow engine's retry timer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import httpx
from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result, Secret, TaggedError
from streamdeck_tui.runtime.http import HttpStatusError, request
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.tokens import StaticTokenSource
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.helix import HelixClient
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import RunStatus
from tests.support.waiting import wait_for

USERS = "GET /helix/users"


@asynccontextmanager
async def _helix(clock: FakeClock, per_minute: int = 2) -> AsyncIterator[tuple[Simulator, HelixClient]]:
    """The simulator on the test's fake clock (its rate-limit buckets refill by that clock), and a Helix client."""
    async with Simulator(clock=clock, ratelimit_per_minute=per_minute) as sim, httpx.AsyncClient() as http:
        minted = (await http.post(f"{sim.control_url}/twitch/tokens", json={})).json()
        tokens = StaticTokenSource(Secret(minted["access_token"]))
        yield sim, HelixClient(sim.twitch_helix_url, sim.twitch_client_id, tokens, http, clock)


def _status_error(result: Result[object, object]) -> HttpStatusError:
    assert isinstance(result, Err), result
    error = result.error
    assert isinstance(error, HttpStatusError), error
    return error


async def test_a_bucket_429_with_only_ratelimit_reset_waits_until_the_reset(clock: FakeClock) -> None:
    async with _helix(clock, per_minute=2) as (sim, helix):
        for _ in range(2):
            assert (await helix.get_me()).is_ok()
        limited = _status_error(await helix.get_me())
        # Empty bucket of 2 per minute: full again in 60 s; Ratelimit-Reset is that instant in epoch seconds.
        assert (limited.status, limited.retryable, limited.retry_after_s) == (429, True, 60.0)
        clock.advance(12.5)  # a part of a point back: still limited, the reset is 47.5 s away now
        later = _status_error(await helix.get_me())
        assert (later.status, later.retry_after_s) == (429, 47.5)
        # What the simulator sent: Twitch's headers, and no Retry-After.
        raw = await helix.http.get(
            f"{sim.twitch_helix_url}/users",
            headers={"Client-Id": helix.client_id, "Authorization": f"Bearer {await _token(helix)}"},
        )
        assert raw.status_code == 429
        assert "Retry-After" not in raw.headers
        assert int(raw.headers["Ratelimit-Reset"]) == clock.now_ms() // 1000 + 48  # ceil of 47.5
        clock.advance(47.5)
        assert (await helix.get_me()).is_ok()


async def _token(helix: HelixClient) -> str:
    token = await helix.tokens.access_token()
    assert isinstance(token, Ok)
    return token.value.reveal()


async def test_a_429_with_retry_after_uses_it(clock: FakeClock) -> None:
    async with _helix(clock, per_minute=800) as (sim, helix):
        sim.faults.fail_next(USERS, 429, retry_after_s=7)
        limited = _status_error(await helix.get_me())
        assert (limited.status, limited.retry_after_s) == (429, 7.0)
        sim.faults.fail_next(USERS, 503, retry_after_s=3)
        unavailable = _status_error(await helix.get_me())
        assert (unavailable.status, unavailable.retryable, unavailable.retry_after_s) == (503, True, 3.0)
        sim.faults.fail_next(USERS, 429)
        bare = _status_error(await helix.get_me())
        assert (bare.status, bare.retry_after_s) == (429, None)


@asynccontextmanager
async def _answering(status: int, headers: dict[str, str]) -> AsyncIterator[str]:
    """A tiny HTTP/1.1 server on loopback that answers every request with `status` and `headers`."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"error":"Too Many Requests","status":429,"message":"slow down"}'
        head = [f"HTTP/1.1 {status} Whatever", "Content-Type: application/json", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()
        await server.wait_closed()


async def test_retry_after_wins_over_ratelimit_reset_and_a_past_reset_means_now() -> None:
    now_s = 1_767_225_600.25
    cases = [
        ({"Retry-After": "5", "Ratelimit-Reset": str(int(now_s) + 100)}, 5.0),
        ({"Ratelimit-Reset": str(int(now_s) + 100)}, 99.75),
        ({"Ratelimit-Reset": str(int(now_s) - 3)}, 0.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({}, None),
    ]
    async with httpx.AsyncClient() as http:
        for headers, expected in cases:
            async with _answering(429, headers) as url:
                sent = await request(http, "Test", "GET", url, now_s=now_s)
            error = _status_error(sent)
            assert (error.status, error.reason, error.detail) == (429, "Too Many Requests", "slow down")
            assert error.retry_after_s == expected, headers


class NoParams(BaseModel):
    """Nothing."""


class WhoAmI:
    """One Helix read as a workflow step, so a 429 goes through the engine's retry schedule."""

    kind: ClassVar[str] = "who_am_i"
    params_model: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, helix: HelixClient) -> None:
        self.helix = helix

    async def run(self, ctx: WorkflowContext, params: NoParams) -> Result[None, TaggedError]:
        async def me() -> Result[str, TaggedError]:
            got = await self.helix.get_me()
            return Ok(got.value.id) if isinstance(got, Ok) else got

        done = await ctx.step("me", me, result=str)
        return done if isinstance(done, Err) else Ok(None)


async def test_the_engine_retries_a_rate_limited_step_at_the_ratelimit_reset(tmp_path: Path, clock: FakeClock) -> None:
    async with _helix(clock, per_minute=2) as (sim, helix):
        pool = WorkflowPool(ComponentContext(tmp_path, clock, migrations_root()), warm=0)
        pool.register(WhoAmI(helix))
        assert await pool.start() == Ok(None)
        try:
            for _ in range(2):  # someone else spent the bucket
                assert (await helix.get_me()).is_ok()
            clock.advance(6)  # a fifth of a point back: the reset is 54 s away
            await pool.start_run("who_am_i", "w1", {})
            assert await pool.wait("w1") is RunStatus.RUNNING
            step = await pool.journal.step("w1", 0)
            assert step is not None and step.state == "RETRYING" and "429" in (step.error or "")
            assert step.next_retry_ms == clock.now_ms() + 54_000  # not the 1 s backoff
            assert sim.requests.count(USERS) == 3
            clock.advance(54)
            await wait_for(lambda: _completed(pool, "w1"))
            assert sim.requests.count(USERS) == 4
            step = await pool.journal.step("w1", 0)
            assert step is not None and (step.state, step.attempt) == ("SUCCEEDED", 2)
        finally:
            await pool.stop()


async def _completed(pool: WorkflowPool, run_id: str) -> bool:
    run = await pool.journal.run(run_id)
    return run is not None and run.status is RunStatus.COMPLETED


async def test_a_retry_after_http_date_is_honoured() -> None:
    now_s = 1_767_225_600.0  # Thu, 01 Jan 2026 00:00:00 GMT
    headers = {"Retry-After": "Thu, 01 Jan 2026 00:00:40 GMT", "Ratelimit-Reset": str(int(now_s) + 100)}
    async with httpx.AsyncClient() as http, _answering(429, headers) as url:
        sent = await request(http, "Test", "GET", url, now_s=now_s)
    assert _status_error(sent).retry_after_s == 40.0
