"""The Twitch device-code login (`streamdeck-tui login twitch`) against the simulator on loopback.

The simulator and the login share one FakeClock, so the simulator judges the poll interval on the same time
the login sleeps on, and no test waits in real time (except the two CLI runs, which poll every second).
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from streamdeck_tui.components.token_provider import Identity
from streamdeck_tui.components.tokens import AuthStatus, TwitchToken
from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Err, FakeClock, Ok, Secret
from streamdeck_tui.runtime.result import Result
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.login import TWITCH_SCOPES, LoginError, device_login_into
from streamdeck_tui.twitch.models import DeviceCodeResponse
from streamdeck_tui.twitch.oauth import DeviceLoginFailed
from tests.cli.test_cli import MEMORY_KEYRING, ROOT
from tests.support.waiting import wait_for

TOKEN = "POST /oauth2/token"
INTERVAL_S = 7  # not Twitch's default 5, so "the given interval" is visibly the one the server sent
CODE_LIFETIME_S = 1800


@dataclass
class LoginClock:
    """The shared FakeClock as the login sees it, remembering each sleep it asks for."""

    clock: FakeClock
    sleeps: list[float] = field(default_factory=list)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.clock.sleep(seconds)

    async def sleep_until(self, deadline_ms: int) -> None:
        await self.clock.sleep_until(deadline_ms)


@dataclass
class Login:
    """One device-code login in progress, and everything it showed the streamer."""

    sim: Simulator
    token: TwitchToken
    store: MemoryStore
    clock: FakeClock
    login_clock: LoginClock
    http: httpx.AsyncClient
    codes: list[DeviceCodeResponse] = field(default_factory=list)
    countdown: list[float] = field(default_factory=list)
    task: asyncio.Task[Result[Identity | None, LoginError]] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(
            device_login_into(
                self.token,
                self.sim.twitch_auth_url,
                self.sim.twitch_client_id,
                self.login_clock,
                on_code=self.codes.append,
                on_wait=self.countdown.append,
            )
        )

    async def parked(self, sleeps: int) -> None:
        """Wait until the login has polled and gone to sleep for the `sleeps`-th time."""
        await wait_for(lambda: len(self.login_clock.sleeps) >= sleeps or (self.task is not None and self.task.done()))
        assert self.task is not None
        assert not self.task.done(), self.task.result()
        assert len(self.login_clock.sleeps) == sleeps

    async def result(self) -> Result[Identity | None, LoginError]:
        assert self.task is not None
        async with asyncio.timeout(10):
            return await self.task

    def polls(self) -> int:
        return self.sim.requests.count(TOKEN)

    async def control(self, path: str, body: dict[str, object]) -> None:
        r = await self.http.post(f"{self.sim.control_url}{path}", json=body)
        assert r.status_code < 400, r.text

    def user_code(self) -> str:
        assert len(self.codes) == 1
        return self.codes[0].user_code

    async def status(self) -> AuthStatus:
        return (await self.token.account()).status

    def stored(self) -> tuple[Secret | None, Secret | None]:
        return (self.store.get("twitch.access_token").unwrap(), self.store.get("twitch.refresh_token").unwrap())


@asynccontextmanager
async def device_login(tmp_path: Path) -> AsyncIterator[Login]:
    """A simulator that waits for the streamer, and the real engine's TwitchToken, on one FakeClock."""
    clock = FakeClock()
    store = MemoryStore()
    async with (
        Simulator(auto_approve=False, clock=clock, device_poll_interval_s=INTERVAL_S) as sim,
        httpx.AsyncClient(trust_env=False) as http,
    ):
        base = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
        engine = Engine(demo_settings(base, sim), clock=clock, components=(), secret_store=store)
        assert (await engine.start(connect=False)).is_ok()
        assert engine.twitch_token is not None
        login = Login(sim, engine.twitch_token, store, clock, LoginClock(clock), http)
        try:
            yield login
        finally:
            if login.task is not None and not login.task.done():
                login.task.cancel()
            await engine.stop()


async def test_pending_polls_at_the_given_interval_with_a_countdown_then_approval_stores_tokens(
    tmp_path: Path,
) -> None:
    async with device_login(tmp_path) as login:
        login.start()
        await login.parked(1)
        code = login.codes[0]
        pending = login.sim.tokens.pending()
        assert [d.user_code for d in pending] == [code.user_code]
        assert pending[0].scopes == TWITCH_SCOPES
        assert set(TWITCH_SCOPES) >= {
            "channel:manage:redemptions",
            "user:read:chat",
            "user:write:chat",
            "moderator:read:followers",
            "moderator:manage:shoutouts",
            "moderator:manage:banned_users",
        }, "the scopes the later features need were asked for"
        assert code.interval == INTERVAL_S and code.expires_in == CODE_LIFETIME_S
        assert code.user_code in code.verification_uri

        for polls in (2, 3):
            login.clock.advance(INTERVAL_S)
            await login.parked(polls)
            assert login.polls() == polls
        assert login.login_clock.sleeps == [INTERVAL_S] * 3
        assert login.countdown == [CODE_LIFETIME_S, CODE_LIFETIME_S - INTERVAL_S, CODE_LIFETIME_S - 2 * INTERVAL_S]
        assert login.sim.tokens.pending()[0].interval_s == INTERVAL_S, "never polled too fast (no slow_down)"
        assert await login.status() is AuthStatus.NOT_CONFIGURED

        await login.control("/twitch/device/approve", {"user_code": code.user_code})
        login.clock.advance(INTERVAL_S)
        result = await login.result()

        broadcaster = login.sim.users.broadcaster
        assert result == Ok(Identity(broadcaster.id, broadcaster.login))
        assert login.polls() == 4
        access, refresh = login.stored()
        assert access is not None and refresh is not None
        assert login.sim.tokens.lookup(access.reveal()) is not None, "the tokens the simulator issued"
        health = await login.token.account()
        assert health.status is AuthStatus.AUTHORIZED
        assert (health.login, health.user_id) == (broadcaster.login, broadcaster.id)
        assert health.scopes == TWITCH_SCOPES
        assert login.sim.tokens.pending() == []


async def test_slow_down_adds_five_seconds_to_the_interval(tmp_path: Path) -> None:
    async with device_login(tmp_path) as login:
        # The first poll is answered the way id.twitch.tv answers a client that polls too fast.
        await login.control("/faults/fail", {"endpoint": TOKEN, "status": 400, "count": 1, "message": "slow_down"})
        login.start()
        await login.parked(1)
        assert login.login_clock.sleeps == [INTERVAL_S + 5], "slowed down by 5 s"
        login.clock.advance(INTERVAL_S + 5)
        await login.parked(2)
        assert login.login_clock.sleeps == [INTERVAL_S + 5] * 2, "and it stays slower"
        await login.control("/twitch/device/approve", {"user_code": login.user_code()})
        login.clock.advance(INTERVAL_S + 5)
        assert isinstance(await login.result(), Ok)


async def test_a_server_error_while_polling_backs_off_and_the_login_goes_on(tmp_path: Path) -> None:
    async with device_login(tmp_path) as login:
        await login.control("/faults/fail", {"endpoint": TOKEN, "status": 503, "count": 1})
        login.start()
        await login.parked(1)
        assert login.login_clock.sleeps == [2 * INTERVAL_S]
        await login.control("/twitch/device/approve", {"user_code": login.user_code()})
        login.clock.advance(2 * INTERVAL_S)
        assert isinstance(await login.result(), Ok)
        assert await login.status() is AuthStatus.AUTHORIZED


async def test_an_expired_device_code_ends_with_a_clear_message_and_stores_nothing(tmp_path: Path) -> None:
    async with device_login(tmp_path) as login:
        login.start()
        await login.parked(1)
        for polls in range(2, 11):
            login.clock.advance(INTERVAL_S)
            await login.parked(polls)
        assert login.countdown[-1] == CODE_LIFETIME_S - 9 * INTERVAL_S
        # Nobody approves; the code runs out.
        login.clock.advance(CODE_LIFETIME_S)
        result = await login.result()

        assert result == Err(DeviceLoginFailed("expired"))
        assert result.error.message() == "the code expired before it was approved; run the login again"
        assert login.polls() == 10, "no poll after the code's lifetime"
        assert login.stored() == (None, None)
        assert await login.status() is AuthStatus.NOT_CONFIGURED
        assert login.sim.tokens.pending() == []


async def test_twitch_saying_the_code_expired_ends_with_the_same_message(tmp_path: Path) -> None:
    async with device_login(tmp_path) as login:
        await login.control("/faults/fail", {"endpoint": TOKEN, "status": 400, "count": 1, "message": "expired_token"})
        login.start()
        result = await login.result()
        assert result == Err(DeviceLoginFailed("expired"))
        assert "expired" in result.error.message() and "run the login again" in result.error.message()
        assert login.stored() == (None, None)
        assert await login.status() is AuthStatus.NOT_CONFIGURED


async def test_a_denial_ends_with_a_clear_message_and_stores_nothing(tmp_path: Path) -> None:
    async with device_login(tmp_path) as login:
        login.start()
        await login.parked(1)
        await login.control("/twitch/device/deny", {"user_code": login.user_code()})
        login.clock.advance(INTERVAL_S)
        result = await login.result()

        assert result == Err(DeviceLoginFailed("denied"))
        assert result.error.message() == "the authorization was declined on Twitch"
        assert login.polls() == 2
        assert login.stored() == (None, None)
        assert await login.status() is AuthStatus.NOT_CONFIGURED


# -- `streamdeck-tui login twitch` as the streamer runs it --------------------------------------------------


async def _cli_login(sim: Simulator, tmp_path: Path, decide: str) -> tuple[int, str, str, str]:
    """Run the real CLI; once it shows the code, approve or deny it through the control API."""
    env = {
        **os.environ,
        **sim.env(),
        "PYTHON_KEYRING_BACKEND": MEMORY_KEYRING,
        "STREAMDECK_DATA_DIR": str(tmp_path / "data"),
        "STREAMDECK_LOG_DIR": str(tmp_path / "log"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "streamdeck_tui",
        "login",
        "twitch",
        "--no-browser",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(30):
            shown = ""
            while "code: " not in shown:
                line = await proc.stdout.readline()
                assert line, "the CLI ended before it showed a code"
                shown += line.decode()
            user_code = re.search(r"code: (\w+)", shown)
            assert user_code is not None
            async with httpx.AsyncClient(trust_env=False) as http:
                r = await http.post(f"{sim.control_url}/twitch/device/{decide}", json={"user_code": user_code[1]})
                assert r.status_code == 200, r.text
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, shown, out.decode(), err.decode()


async def test_cli_login_shows_the_code_and_a_countdown_and_reports_a_denial(tmp_path: Path) -> None:
    async with Simulator(auto_approve=False, device_poll_interval_s=1) as sim:
        code, shown, out, err = await _cli_login(sim, tmp_path, "deny")
    assert "To connect Twitch, open this page and enter the code:" in shown
    assert f"{sim.twitch_auth_url}/activate" in shown
    assert re.search(r"Waiting for approval\.\.\. 29:5\d left", out), out
    assert code == 1
    assert "Login failed: the authorization was declined on Twitch" in err
    assert "Traceback" not in out + err
    with sqlite3.connect(tmp_path / "data" / "twitch_token.sqlite3") as conn:
        assert conn.execute("SELECT status, login FROM token_meta").fetchone() == ("not_configured", None)


async def test_cli_login_reports_who_logged_in_after_approval(tmp_path: Path) -> None:
    async with Simulator(auto_approve=False, device_poll_interval_s=1) as sim:
        code, _, out, err = await _cli_login(sim, tmp_path, "approve")
    assert code == 0, out + err
    assert "Logged in to Twitch as simstreamer" in out
    with sqlite3.connect(tmp_path / "data" / "twitch_token.sqlite3") as conn:
        assert conn.execute("SELECT status, login FROM token_meta").fetchone() == ("authorized", "simstreamer")
