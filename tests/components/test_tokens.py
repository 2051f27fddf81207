"""TwitchToken against the simulator's OAuth endpoints (reference §2.1.7), with a fake clock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from streamdeck_tui.components.token_provider import TokenGrant
from streamdeck_tui.components.tokens import (
    FALLBACK_RETRY_S,
    REFRESH_BUFFER_MS,
    AuthStatus,
    InvalidGrant,
    TwitchToken,
)
from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Err, FakeClock, Ok, Secret
from streamdeck_tui.runtime.tokens import NotLoggedIn, TokenUnavailable
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.login import device_login_into
from tests.support.waiting import wait_for

TOKEN = "POST /oauth2/token"
LIFETIME_S = 4 * 3600


@dataclass
class Accounts:
    sim: Simulator
    engine: Engine
    token: TwitchToken
    store: MemoryStore
    clock: FakeClock
    http: httpx.AsyncClient

    def refreshes(self) -> int:
        return self.sim.requests.count(TOKEN)

    async def control(self, path: str, body: dict[str, object]) -> None:
        r = await self.http.post(f"{self.sim.control_url}{path}", json=body)
        assert r.status_code < 400, r.text

    async def timer(self, key: str) -> int | None:
        async with self.token.reading() as r:
            row = await r.fetch_one("SELECT due_ms FROM timers WHERE key = ?", (key,))
        return None if row is None else int(row[0])


@asynccontextmanager
async def accounts(tmp_path: Path, *, login: bool = True, store: MemoryStore | None = None) -> AsyncIterator[Accounts]:
    clock = FakeClock()
    store = store or MemoryStore()
    async with (
        Simulator(auto_approve=True, clock=clock, token_lifetime_s=LIFETIME_S) as sim,
        httpx.AsyncClient() as http,
    ):
        base = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
        settings = demo_settings(base, sim)
        engine = Engine(settings, clock=clock, components=(), secret_store=store)
        assert (await engine.start(connect=False)).is_ok()
        assert engine.twitch_token is not None
        acc = Accounts(sim, engine, engine.twitch_token, store, clock, http)
        try:
            if login:
                done = await device_login_into(
                    acc.token,
                    settings.twitch.auth_url,
                    settings.twitch.client_id,
                    clock,
                    on_code=lambda c: None,
                )
                assert isinstance(done, Ok), done
            yield acc
        finally:
            await engine.stop()


async def test_login_persists_and_survives_a_restart(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        first = await acc.token.access_token()
        assert isinstance(first, Ok)
        health = await acc.token.account()
        assert health.status is AuthStatus.AUTHORIZED and health.login and health.user_id
        assert "user:read:chat" in health.scopes
        await acc.engine.stop()
        # The same simulator, store and data dir: a console restart.
        engine = Engine(acc.engine.settings, clock=acc.clock, components=(), secret_store=acc.store)
        assert (await engine.start(connect=False)).is_ok()
        assert engine.twitch_token is not None
        before = acc.refreshes()
        second = await engine.twitch_token.access_token()
        assert second == first  # from the keyring, no refresh
        assert acc.refreshes() == before
        assert (await engine.twitch_token.account()).login == health.login
        acc.engine = engine  # stopped by the fixture


async def test_no_token_is_not_logged_in(tmp_path: Path) -> None:
    async with accounts(tmp_path, login=False) as acc:
        result = await acc.token.access_token()
        assert isinstance(result, Err) and isinstance(result.error, NotLoggedIn)
        assert "streamdeck-tui login twitch" in result.error.message()


@pytest.mark.parametrize(
    ("grant", "why"),
    [
        (TokenGrant(Secret("a" * 30), Secret("r" * 30), 0, ()), "expires_in"),
        (TokenGrant(Secret("a" * 30), Secret("r" * 30), -5, ()), "expires_in"),
        (TokenGrant(Secret("a" * 30), Secret("r" * 30), 10**9, ()), "expires_in"),
        (TokenGrant(Secret("  "), Secret("r" * 30), 3600, ()), "empty access"),
        (TokenGrant(Secret("a" * 30), None, 3600, ()), "no refresh token"),
    ],
)
async def test_bad_grants_are_refused_before_anything_is_stored(tmp_path: Path, grant: TokenGrant, why: str) -> None:
    async with accounts(tmp_path, login=False) as acc:
        result = await acc.token.set_tokens(grant, None)
        assert isinstance(result, Err) and isinstance(result.error, InvalidGrant)
        assert why in result.error.message()
        assert acc.store.get("twitch.access_token") == Ok(None)
        assert (await acc.token.account()).status is AuthStatus.NOT_CONFIGURED


async def test_a_later_grant_without_refresh_token_keeps_the_old_one(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        old_refresh = acc.store.get("twitch.refresh_token").unwrap()
        assert (await acc.token.set_tokens(TokenGrant(Secret("x" * 30), None, 3600, ()), None)).is_ok()
        assert acc.store.get("twitch.refresh_token").unwrap() == old_refresh


async def test_thousand_concurrent_callers_at_expiry_share_one_refresh(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        old = (await acc.token.access_token()).unwrap()
        acc.clock.advance(LIFETIME_S - REFRESH_BUFFER_MS / 1000)  # exactly at the 5-minute buffer
        before = acc.refreshes()
        results = await asyncio.gather(*(acc.token.access_token() for _ in range(1000)))
        assert acc.refreshes() - before == 1
        tokens = {r.unwrap().reveal() for r in results}
        assert len(tokens) == 1 and tokens != {old.reveal()}


async def test_proactive_refresh_fires_five_minutes_before_expiry_and_rotates(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        due = await acc.timer("refresh")
        assert due == acc.clock.now_ms() + LIFETIME_S * 1000 - REFRESH_BUFFER_MS
        old_refresh = acc.store.get("twitch.refresh_token").unwrap()
        before = acc.refreshes()
        acc.clock.advance(LIFETIME_S - REFRESH_BUFFER_MS / 1000)
        await wait_for(lambda: acc.refreshes() == before + 1)
        await wait_for(lambda: acc.store.get("twitch.refresh_token").unwrap() != old_refresh)
        # The old refresh token is single-use: the simulator no longer accepts it.
        r = await acc.http.post(
            acc.engine.settings.twitch.auth_url + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": old_refresh.reveal(),
                "client_id": acc.sim.twitch_client_id,
            },
        )
        assert r.status_code == 400


async def test_transient_failures_retry_at_60_120_240_then_every_10_minutes(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        await acc.control("/faults/fail", {"endpoint": TOKEN, "status": 503, "count": 5})
        waits = []
        for _ in range(5):
            result = await acc.token.refresh_now()
            assert isinstance(result, Err) and isinstance(result.error, TokenUnavailable)
            due = await acc.timer("refresh")
            assert due is not None
            waits.append((due - acc.clock.now_ms()) // 1000)
        assert waits == [60, 120, 240, FALLBACK_RETRY_S, FALLBACK_RETRY_S]
        assert (await acc.token.account()).status is AuthStatus.AUTHORIZED
        # The fault is spent: the scheduled retry now succeeds.
        before = acc.refreshes()
        acc.clock.advance(FALLBACK_RETRY_S)
        await wait_for(lambda: acc.refreshes() == before + 1)
        await wait_for(lambda: _status_error_cleared(acc))


async def _status_error_cleared(acc: Accounts) -> bool:
    return (await acc.token.account()).last_error is None


async def test_revoked_grant_requires_login_and_fails_fast(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        await acc.control("/twitch/tokens/revoke", {})
        result = await acc.token.refresh_now()
        assert isinstance(result, Err)
        health = await acc.token.account()
        assert health.status is AuthStatus.REAUTHORIZATION_REQUIRED
        assert await acc.timer("refresh") is None and await acc.timer("validate") is None
        before = acc.refreshes()
        again = await acc.token.access_token()
        assert isinstance(again, Err) and "log in again" in again.error.message()
        assert acc.refreshes() == before


async def test_validate_401_at_start_requires_login(tmp_path: Path) -> None:
    store = MemoryStore()
    async with accounts(tmp_path, store=store) as acc:
        await acc.control("/twitch/tokens/revoke", {})
    async with accounts(tmp_path, store=store, login=False) as again:
        # A new simulator knows none of the old tokens, as Twitch would after a revoke.
        await wait_for(lambda: _requires_login(again))


async def _requires_login(acc: Accounts) -> bool:
    return (await acc.token.account()).status is AuthStatus.REAUTHORIZATION_REQUIRED


async def test_logout_revokes_and_forgets(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        access = (await acc.token.access_token()).unwrap()
        done = await acc.token.logout()
        assert done == Ok(True)
        assert acc.store.get("twitch.access_token") == Ok(None)
        assert acc.store.get("twitch.refresh_token") == Ok(None)
        assert (await acc.token.account()).status is AuthStatus.NOT_CONFIGURED
        r = await acc.http.get(
            acc.engine.settings.twitch.auth_url + "/validate",
            headers={"Authorization": f"OAuth {access.reveal()}"},
        )
        assert r.status_code == 401


async def test_sqlite_holds_metadata_but_never_a_token(tmp_path: Path) -> None:
    async with accounts(tmp_path) as acc:
        access = (await acc.token.access_token()).unwrap().reveal()
        refresh = acc.store.get("twitch.refresh_token").unwrap()
        assert refresh is not None
    for f in (tmp_path / "data").iterdir():
        content = f.read_bytes()
        assert access.encode() not in content and refresh.reveal().encode() not in content, f
    with sqlite3.connect(tmp_path / "data" / "twitch_token.sqlite3") as conn:
        assert conn.execute("SELECT status FROM token_meta").fetchone() == ("authorized",)
