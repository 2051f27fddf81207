"""Token lifecycle against the simulator (reference §2.1.7): cache, failure policy, stream hooks, lost secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from streamdeck_tui.components.stream_lifecycle import StreamLifecycle
from streamdeck_tui.components.token_provider import MAX_EXPIRES_IN_S
from streamdeck_tui.components.tokens import (
    FALLBACK_RETRY_S,
    REFRESH_BUFFER_MS,
    AuthStatus,
    ProviderToken,
    SpotifyToken,
    TwitchToken,
)
from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import DemoSession, demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Err, FakeClock, Ok
from streamdeck_tui.runtime.component import Health
from streamdeck_tui.runtime.tokens import TokenUnavailable
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.login import device_login_into
from tests.components.test_tokens import LIFETIME_S, TOKEN
from tests.support.waiting import wait_for

SPOTIFY_TOKEN = "POST /api/token"
SPOTIFY_LIFETIME_S = 3600
BUFFER_S = REFRESH_BUFFER_MS // 1000


@dataclass
class Rig:
    sim: Simulator
    engine: Engine
    store: MemoryStore
    clock: FakeClock
    http: httpx.AsyncClient

    @property
    def twitch(self) -> TwitchToken:
        assert self.engine.twitch_token is not None
        return self.engine.twitch_token

    @property
    def spotify(self) -> SpotifyToken:
        assert self.engine.spotify_token is not None
        return self.engine.spotify_token

    @property
    def stream(self) -> StreamLifecycle:
        assert self.engine.stream is not None
        return self.engine.stream

    def calls(self, key: str = TOKEN) -> int:
        return self.sim.requests.count(key)

    async def control(self, path: str, body: dict[str, object] | None = None) -> None:
        r = await self.http.post(f"{self.sim.control_url}{path}", json=body or {})
        assert r.status_code < 400, r.text

    async def fail(self, status: int, count: int = 1, endpoint: str = TOKEN, **more: object) -> None:
        await self.control("/faults/fail", {"endpoint": endpoint, "status": status, "count": count, **more})

    async def meta(self, token: ProviderToken) -> dict[str, Any]:
        async with token.reading() as r:
            row = await r.fetch_one("SELECT * FROM token_meta WHERE id = 1")
        assert row is not None
        return dict(row)

    async def timer(self, token: ProviderToken, key: str = "refresh") -> int | None:
        async with token.reading() as r:
            row = await r.fetch_one("SELECT due_ms FROM timers WHERE key = ?", (key,))
        return None if row is None else int(row[0])

    async def due_in(self, token: ProviderToken, seconds: float) -> bool:
        """True once the refresh timer is set `seconds` from now."""
        return await self.timer(token) == self.clock.now_ms() + int(seconds * 1000)

    def secrets(self, provider: str = "twitch") -> tuple[object, object]:
        return tuple(self.store.get(f"{provider}.{k}").unwrap() for k in ("access_token", "refresh_token"))  # type: ignore[return-value]

    async def restart(self) -> None:
        """A console restart: same data dir, keyring and simulator."""
        await self.engine.stop()
        self.engine = Engine(
            self.engine.settings, clock=self.clock, components=(StreamLifecycle,), secret_store=self.store
        )
        assert (await self.engine.start(connect=False)).is_ok()


@asynccontextmanager
async def rig(
    tmp_path: Path, *, login: bool = True, spotify: bool = False, store: MemoryStore | None = None
) -> AsyncIterator[Rig]:
    clock = FakeClock()
    async with (
        Simulator(auto_approve=True, clock=clock, token_lifetime_s=LIFETIME_S) as sim,
        httpx.AsyncClient(trust_env=False) as http,
    ):
        base = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
        settings = demo_settings(base, sim)
        store = store or MemoryStore()
        engine = Engine(settings, clock=clock, components=(StreamLifecycle,), secret_store=store)
        assert (await engine.start(connect=False)).is_ok()
        r = Rig(sim, engine, store, clock, http)
        try:
            if login:
                done = await device_login_into(
                    r.twitch, settings.twitch.auth_url, settings.twitch.client_id, clock, on_code=lambda c: None
                )
                assert isinstance(done, Ok), done
            if spotify:
                assert (await DemoSession(sim, settings).login_spotify(r.spotify, clock)).is_ok()
            yield r
        finally:
            await r.engine.stop()


async def _live(r: Rig, value: int) -> bool:
    return bool((await r.meta(r.twitch))["is_stream_live"] == value)


async def _status(r: Rig, token: ProviderToken, status: AuthStatus) -> bool:
    return bool((await r.meta(token))["status"] == status.value)


# -- 1. the cache ----------------------------------------------------------------------------------------------


async def test_valid_cached_tokens_are_served_without_any_http_call(tmp_path: Path) -> None:
    async with rig(tmp_path, spotify=True) as r:
        twitch, spotify = (await r.twitch.access_token()).unwrap(), (await r.spotify.access_token()).unwrap()
        await r.fail(503, count=10_000, endpoint="*")  # any call would fail, and be counted
        r.clock.advance(SPOTIFY_LIFETIME_S - BUFFER_S - 1)  # one second before Spotify's buffer starts
        before = r.sim.requests.snapshot()
        for _ in range(20):
            assert await r.twitch.access_token() == Ok(twitch)
            assert await r.spotify.access_token() == Ok(spotify)
        assert r.sim.requests.snapshot() == before


# -- 2.-4. the failure policy --------------------------------------------------------------------------------


async def test_malformed_refresh_answer_falls_back_to_ten_minutes_and_stores_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        old_secrets, old_meta = r.secrets(), await r.meta(r.twitch)
        old_access = (await r.twitch.access_token()).unwrap()
        calls = r.calls()
        r.sim.tokens.token_lifetime_s = 0  # 200 with "expires_in": 0: a body we must not store
        result = await r.twitch.refresh_now()
        assert isinstance(result, Err) and isinstance(result.error, TokenUnavailable)
        assert r.calls() == calls + 1
        assert await r.due_in(r.twitch, FALLBACK_RETRY_S)  # not transient: no 60 s retry
        assert r.secrets() == old_secrets
        meta = await r.meta(r.twitch)
        assert meta["status"] == "authorized" and "expires_in" in meta["last_error"]
        for column in ("expires_ms", "scopes", "last_refresh_ms", "login", "user_id"):
            assert meta[column] == old_meta[column], column
        assert await r.twitch.access_token() == Ok(old_access)  # still valid: served from memory
        assert r.calls() == calls + 1


async def test_refresh_answer_with_expiry_beyond_a_year_is_refused(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        old_secrets = r.secrets()
        r.sim.tokens.token_lifetime_s = MAX_EXPIRES_IN_S + 1
        result = await r.twitch.refresh_now()
        assert isinstance(result, Err)
        assert r.secrets() == old_secrets  # set_tokens' 1-year limit holds for refreshes too
        assert await r.due_in(r.twitch, FALLBACK_RETRY_S)


async def test_cadence_stays_at_ten_minutes_until_a_success_resets_it(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.fail(503, count=6)
        assert isinstance(await r.twitch.refresh_now(), Err)
        waits = [60]
        assert await r.due_in(r.twitch, 60)
        # Every later attempt is the timer's own, as in production.
        for expected in (120, 240, 600, 600, 600):
            calls = r.calls()
            r.clock.advance(waits[-1])
            await wait_for(lambda c=calls: r.calls() == c + 1)  # type: ignore[misc]
            await wait_for(lambda e=expected: r.due_in(r.twitch, e))  # type: ignore[misc]
            waits.append(expected)
            assert (await r.meta(r.twitch))["retry_count"] == min(len(waits), 3)
        assert waits == [60, 120, 240, 600, 600, 600]
        # The fault is spent: the next timer refresh succeeds and resets the count.
        calls = r.calls()
        r.clock.advance(FALLBACK_RETRY_S)
        await wait_for(lambda: r.due_in(r.twitch, LIFETIME_S - BUFFER_S))
        assert r.calls() == calls + 1
        meta = await r.meta(r.twitch)
        assert meta["retry_count"] == 0 and meta["last_error"] is None
        await r.fail(503)
        assert isinstance(await r.twitch.refresh_now(), Err)
        assert await r.due_in(r.twitch, 60)


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_refresh_4xx_requires_login_and_then_fails_fast(tmp_path: Path, status: int) -> None:
    async with rig(tmp_path) as r:
        await r.fail(status, message="Invalid refresh token")
        result = await r.twitch.refresh_now()
        assert isinstance(result, Err) and "log in again" in result.error.message()
        meta = await r.meta(r.twitch)
        assert meta["status"] == "reauthorization_required" and str(status) in meta["last_error"]
        assert await r.timer(r.twitch, "refresh") is None and await r.timer(r.twitch, "validate") is None
        calls = r.calls()
        for again in (await r.twitch.access_token(), await r.twitch.refresh_now()):
            assert isinstance(again, Err) and "log in again" in again.error.message()
        assert r.calls() == calls


async def test_refresh_429_is_transient_and_retried_at_60_s(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        old_secrets = r.secrets()
        await r.fail(429, retry_after=5)
        assert isinstance(await r.twitch.refresh_now(), Err)
        meta = await r.meta(r.twitch)
        assert meta["status"] == "authorized" and meta["retry_count"] == 1 and "429" in meta["last_error"]
        assert await r.due_in(r.twitch, 60)
        assert r.secrets() == old_secrets
        r.clock.advance(60)
        await wait_for(lambda: r.due_in(r.twitch, LIFETIME_S - BUFFER_S))  # the retry worked
        assert r.secrets()[1] != old_secrets[1]


# -- 5. stream hooks (dispatcher: stream_lifecycle → token) --------------------------------------------------


async def test_stream_offline_keeps_the_refresh_timers_and_tokens_stay_fresh(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        due, validate_due = await r.timer(r.twitch), await r.timer(r.twitch, "validate")
        assert due is not None and validate_due is not None
        now = r.clock.now_ms()
        assert await r.stream.went_online("s1", now, now)
        await wait_for(lambda: _live(r, 1))
        assert await r.stream.went_offline(now + 1)
        await wait_for(lambda: _live(r, 0))
        assert await r.timer(r.twitch) == due and await r.timer(r.twitch, "validate") == validate_due
        old_refresh = r.secrets()[1]
        calls = r.calls()
        r.clock.set_ms(due)  # offline, at the proactive time
        await wait_for(lambda: r.calls() == calls + 1)
        await wait_for(lambda: r.secrets()[1] != old_refresh)
        assert await r.twitch.access_token() == Ok(r.secrets()[0])


async def test_stream_online_with_a_stale_token_refreshes_at_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        old_access = (await r.twitch.access_token()).unwrap()
        await r.fail(503)
        r.clock.advance(LIFETIME_S - BUFFER_S)  # the proactive refresh fails: stale, retry in 60 s
        await wait_for(lambda: r.due_in(r.twitch, 60))
        calls = r.calls()
        now = r.clock.now_ms()
        assert await r.stream.went_online("s1", now, now)
        # No time passes: the hook itself refreshes, not the 60 s retry.
        await wait_for(lambda: r.calls() == calls + 1)
        await wait_for(lambda: r.due_in(r.twitch, LIFETIME_S - BUFFER_S))
        fresh = await r.twitch.access_token()
        assert isinstance(fresh, Ok) and fresh.value != old_access
        assert (await r.meta(r.twitch))["is_stream_live"] == 1


async def test_stream_online_with_a_failing_refresh_leaves_a_durable_retry(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.twitch.invalidate()  # Helix said 401 early: the token is stale now
        await r.fail(503)
        calls = r.calls()
        now = r.clock.now_ms()
        assert await r.stream.went_online("s1", now, now)
        await wait_for(lambda: r.calls() == calls + 1)
        await wait_for(lambda: r.due_in(r.twitch, 60))
        due = await r.timer(r.twitch)
        await r.restart()  # the retry is a row, not a task: it survives
        assert await r.timer(r.twitch) == due
        old_refresh = r.secrets()[1]
        r.clock.advance(60)
        await wait_for(lambda: r.secrets()[1] != old_refresh)
        await wait_for(lambda: r.due_in(r.twitch, LIFETIME_S - BUFFER_S))


# -- 6. Spotify invalid_grant ---------------------------------------------------------------------------------


async def test_spotify_invalid_grant_requires_login_cancels_timers_and_fails_fast(tmp_path: Path) -> None:
    async with rig(tmp_path, login=False, spotify=True) as r:
        assert await r.timer(r.spotify) is not None  # the proactive refresh is scheduled
        await r.control("/spotify/tokens/revoke")  # the user removed the app at spotify.com
        calls = r.calls(SPOTIFY_TOKEN)
        await r.spotify.invalidate()  # the Web API answered 401: refresh on the next call
        result = await r.spotify.access_token()  # meets 400 invalid_grant
        assert isinstance(result, Err) and "log in again" in result.error.message()
        assert r.calls(SPOTIFY_TOKEN) == calls + 1
        assert await _status(r, r.spotify, AuthStatus.REAUTHORIZATION_REQUIRED)
        assert "invalid_grant" in (await r.meta(r.spotify))["last_error"]
        async with r.spotify.reading() as db:
            assert await db.fetch_all("SELECT key FROM timers") == []
        for again in (await r.spotify.access_token(), await r.spotify.refresh_now()):
            assert isinstance(again, Err) and isinstance(again.error, TokenUnavailable)
            assert "log in again" in again.error.message()
        assert r.calls(SPOTIFY_TOKEN) == calls + 1
        assert r.spotify.health.state is Health.DEGRADED


# -- 7. metadata says authorized, the keyring lost the tokens ------------------------------------------------


async def _start_with_lost_secrets(tmp_path: Path, missing: tuple[str, ...]) -> tuple[MemoryStore, dict[str, Any]]:
    store = MemoryStore()
    async with rig(tmp_path, store=store) as r:
        meta = await r.meta(r.twitch)
    for kind in missing:
        assert store.delete(f"twitch.{kind}").is_ok()
    return store, meta


@pytest.mark.parametrize("missing", [("access_token",), ("refresh_token",), ("access_token", "refresh_token")])
async def test_lost_keyring_entry_at_start_asks_for_a_new_login(tmp_path: Path, missing: tuple[str, ...]) -> None:
    store, before = await _start_with_lost_secrets(tmp_path, missing)
    assert before["status"] == "authorized"
    async with rig(tmp_path, store=store, login=False) as r:
        account = await r.twitch.account()
        assert account.status is AuthStatus.REAUTHORIZATION_REQUIRED
        assert account.last_error is not None and "keyring" in account.last_error
        assert await r.timer(r.twitch, "refresh") is None and await r.timer(r.twitch, "validate") is None
        calls = r.sim.requests.snapshot()
        result = await r.twitch.access_token()
        assert isinstance(result, Err) and "log in again" in result.error.message()
        assert r.sim.requests.snapshot() == calls


async def test_lost_keyring_entry_at_start_shows_in_health(tmp_path: Path) -> None:
    store, _ = await _start_with_lost_secrets(tmp_path, ("refresh_token",))
    async with rig(tmp_path, store=store, login=False) as r:
        assert r.twitch.health.state is Health.DEGRADED
        assert "log in again" in r.twitch.health.detail
