"""Malformed Twitch OAuth answers are refused at the boundary, over a real socket, before anything is stored.

The simulator's fault injection only writes error statuses, so a tiny scripted id.twitch.tv on loopback
(`CannedAuth`) answers 200 with the bodies under test; the client, the token component, the login and
SQLite are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from streamdeck_tui.components.token_provider import Identity
from streamdeck_tui.components.tokens import AuthStatus, TwitchToken
from streamdeck_tui.config import TwitchSettings, load_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Err, FakeClock, Ok, Secret
from streamdeck_tui.runtime.http import BadPayload
from streamdeck_tui.runtime.tokens import TokenUnavailable
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.twitch.login import TWITCH_SCOPES, device_login_into
from streamdeck_tui.twitch.oauth import TwitchOAuth
from streamdeck_tui.twitch.token_provider import TwitchTokenProvider
from tests.support.waiting import wait_for

DEVICE = "POST /oauth2/device"
DEVICE_POLL = "POST /oauth2/token device_code"
REFRESH = "POST /oauth2/token refresh_token"
VALIDATE = "GET /oauth2/validate"

GOOD_ACCESS = "good-access-token-aaaa1111"
GOOD_REFRESH = "good-refresh-token-bbbb2222"
BAD_ACCESS = "bad-access-token-cccc3333"
BAD_REFRESH = "bad-refresh-token-dddd4444"
LIFETIME_S = 4 * 3600
_DROP = object()


@dataclass
class Reply:
    """What the scripted server answers."""

    status: int
    body: bytes
    content_type: str = "application/json"


def _json(value: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value).encode())


def _token_body(access: str = GOOD_ACCESS, refresh: str = GOOD_REFRESH, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": LIFETIME_S,
        "scope": list(TWITCH_SCOPES),
        "token_type": "bearer",
    }
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


def _validate_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "client_id": "canned-client",
        "login": "canned_streamer",
        "scopes": list(TWITCH_SCOPES),
        "user_id": "4242",
        "expires_in": LIFETIME_S,
    }
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


@dataclass
class CannedAuth:
    """A minimal HTTP/1.1 server on 127.0.0.1 that answers each OAuth endpoint with a scripted reply."""

    replies: dict[str, Reply] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/oauth2"

    def good(self) -> None:
        """Answer every endpoint the way Twitch does."""
        self.replies[DEVICE] = _json(
            {
                "device_code": "canned-device-code-eeee5555",
                "user_code": "ABCDEFGH",
                "verification_uri": "https://www.twitch.tv/activate?device-code=ABCDEFGH",
                "expires_in": 1800,
                "interval": 5,
            }
        )
        self.replies[DEVICE_POLL] = _json(_token_body())
        self.replies[REFRESH] = _json(_token_body("rotated-access-token-ffff6666", "rotated-refresh-token-gggg7777"))
        self.replies[VALIDATE] = _json(_validate_body())

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def count(self, key: str) -> int:
        return self.seen.count(key)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            key = f"{method} {urlsplit(target).path}"
            grant = parse_qs(body.decode()).get("grant_type", [""])[0]
            if key == "POST /oauth2/token":
                key += " refresh_token" if grant == "refresh_token" else " device_code"
            self.seen.append(key)
            reply = self.replies.get(key, Reply(404, b'{"status":404,"message":"not found"}'))
            head = (
                f"HTTP/1.1 {reply.status} Canned\r\nContent-Type: {reply.content_type}\r\n"
                f"Content-Length: {len(reply.body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + reply.body)
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def canned() -> AsyncIterator[CannedAuth]:
    server = CannedAuth()
    server.good()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def oauth(canned: CannedAuth) -> AsyncIterator[TwitchOAuth]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield TwitchOAuth(canned.url, "canned-client", http)


@dataclass
class Account:
    engine: Engine
    token: TwitchToken
    store: MemoryStore
    clock: FakeClock
    data: Path

    async def login(self, canned: CannedAuth) -> object:
        async with asyncio.timeout(10):  # a login that kept polling would hang on the fake clock
            return await device_login_into(self.token, canned.url, "canned-client", self.clock, on_code=lambda c: None)

    async def meta(self) -> sqlite3.Row:
        async with self.token.reading() as r:
            row = await r.fetch_one("SELECT * FROM token_meta WHERE id = 1")
        assert row is not None
        return row

    async def timer(self, key: str) -> int | None:
        async with self.token.reading() as r:
            row = await r.fetch_one("SELECT due_ms FROM timers WHERE key = ?", (key,))
        return None if row is None else int(row[0])

    def stored(self) -> tuple[str | None, str | None]:
        access = self.store.get("twitch.access_token").unwrap()
        refresh = self.store.get("twitch.refresh_token").unwrap()
        return (access.reveal() if access else None, refresh.reveal() if refresh else None)

    def database_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.data.iterdir() if p.is_file())


@asynccontextmanager
async def account(tmp_path: Path, canned: CannedAuth) -> AsyncIterator[Account]:
    """The real engine's TwitchToken (SQLite in tmp_path, in-memory secret store), pointed at `canned`."""
    clock = FakeClock()
    store = MemoryStore()
    data = tmp_path / "data"
    base = load_settings().unwrap().settings
    settings = base.model_copy(
        update={"data_dir": data, "twitch": TwitchSettings(auth_url=canned.url, client_id="canned-client")}
    )
    engine = Engine(settings, clock=clock, components=(), secret_store=store)
    assert (await engine.start(connect=False)).is_ok()
    assert engine.twitch_token is not None
    try:
        yield Account(engine, engine.twitch_token, store, clock, data)
    finally:
        await engine.stop()


# Bodies a broken or hostile id.twitch.tv might send with a 200, and the field the error must name.
MALFORMED_TOKENS = [
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, access_token=_DROP)), "access_token", id="no-access"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, refresh_token=_DROP)), "refresh_token", id="no-refresh"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in=_DROP)), "expires_in", id="no-expiry"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in=-60)), "expires_in", id="negative-expiry"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in=0)), "expires_in", id="zero-expiry"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in="abc")), "expires_in", id="expiry-abc"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in=3600.5)), "expires_in", id="expiry-float"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, access_token=12345)), "access_token", id="access-int"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, access_token="")), "access_token", id="access-empty"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, scope="chat:read")), "scope", id="scope-string"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, scope={"a": 1})), "scope", id="scope-object"),
    pytest.param(_json(_token_body(BAD_ACCESS, BAD_REFRESH, scope=[1, 2])), "scope.0", id="scope-ints"),
    pytest.param(
        Reply(200, f"<html><body>{BAD_ACCESS} Service Unavailable</body></html>".encode(), "text/html"),
        "body",
        id="html-200",
    ),
    pytest.param(Reply(200, b"", "application/json"), "body", id="empty"),
    pytest.param(_json([_token_body(BAD_ACCESS, BAD_REFRESH)]), "body", id="json-array"),
    pytest.param(_json(None), "body", id="json-null"),
    pytest.param(Reply(200, b'{"access_token": "' + BAD_ACCESS.encode()), "body", id="truncated"),
]


def _assert_bad_payload(result: object, field_hint: str) -> BadPayload:
    assert isinstance(result, Err), result
    error = result.error
    assert isinstance(error, BadPayload), error
    assert error.provider == "Twitch"
    assert error.detail.startswith(field_hint), error.detail
    assert error.message().startswith("Twitch sent an unexpected response: "), error.message()
    for text in (error.message(), str(error), repr(result)):
        assert BAD_ACCESS not in text and BAD_REFRESH not in text, text
    return error


@pytest.mark.parametrize(("reply", "field_hint"), MALFORMED_TOKENS)
async def test_malformed_token_bodies_are_bad_payload_for_refresh_and_device_poll(
    canned: CannedAuth, oauth: TwitchOAuth, reply: Reply, field_hint: str
) -> None:
    canned.replies[REFRESH] = reply
    canned.replies[DEVICE_POLL] = reply
    _assert_bad_payload(await oauth.refresh(Secret("some-refresh-token")), field_hint)
    _assert_bad_payload(await oauth.poll_device(Secret("some-device-code"), TWITCH_SCOPES), field_hint)
    assert canned.count(REFRESH) == 1 and canned.count(DEVICE_POLL) == 1, "both went over the socket"


async def test_a_well_formed_token_body_is_accepted(canned: CannedAuth, oauth: TwitchOAuth) -> None:
    # The control for the cases above: the same server and client accept Twitch's real shape.
    got = await oauth.refresh(Secret("some-refresh-token"))
    assert isinstance(got, Ok)
    assert got.value.expires_in == LIFETIME_S
    assert got.value.scope == list(TWITCH_SCOPES)
    assert got.value.access_token == "rotated-access-token-ffff6666"


@pytest.mark.parametrize(("reply", "field_hint"), MALFORMED_TOKENS)
async def test_a_malformed_login_answer_stores_nothing(
    tmp_path: Path, canned: CannedAuth, reply: Reply, field_hint: str
) -> None:
    canned.replies[DEVICE_POLL] = reply
    async with account(tmp_path, canned) as acc:
        result = await acc.login(canned)
        _assert_bad_payload(result, field_hint)
        assert acc.stored() == (None, None)
        row = await acc.meta()
        assert row["status"] == AuthStatus.NOT_CONFIGURED.value
        assert row["expires_ms"] is None and row["login"] is None and row["user_id"] is None
        assert await acc.timer("refresh") is None and await acc.timer("validate") is None
        assert canned.count(VALIDATE) == 0, "nothing is validated, let alone stored"
        assert (await acc.token.access_token()).is_err()
    databases = acc.database_bytes()
    assert BAD_ACCESS.encode() not in databases and BAD_REFRESH.encode() not in databases


async def test_a_well_formed_login_stores_the_tokens_and_who(tmp_path: Path, canned: CannedAuth) -> None:
    async with account(tmp_path, canned) as acc:
        assert await acc.login(canned) == Ok(Identity("4242", "canned_streamer"))
        assert acc.stored() == (GOOD_ACCESS, GOOD_REFRESH)
        row = await acc.meta()
        assert row["status"] == AuthStatus.AUTHORIZED.value and row["login"] == "canned_streamer"


@pytest.mark.parametrize(("reply", "field_hint"), MALFORMED_TOKENS)
async def test_a_malformed_refresh_answer_leaves_the_stored_account_as_it_was(
    tmp_path: Path, canned: CannedAuth, reply: Reply, field_hint: str
) -> None:
    async with account(tmp_path, canned) as acc:
        assert isinstance(await acc.login(canned), Ok)
        before = dict(await acc.meta())
        canned.replies[REFRESH] = reply

        failed = await acc.token.refresh_now()

        assert isinstance(failed, Err) and isinstance(failed.error, TokenUnavailable)
        assert "unexpected response" in failed.error.message() and field_hint in failed.error.message()
        assert canned.count(REFRESH) == 1
        assert acc.stored() == (GOOD_ACCESS, GOOD_REFRESH), "the keyring still holds the last good tokens"
        after = dict(await acc.meta())
        for column in ("status", "expires_ms", "scopes", "login", "user_id", "last_refresh_ms"):
            assert after[column] == before[column], column
        assert after["last_error"] and field_hint in after["last_error"]
        assert BAD_ACCESS not in after["last_error"]
        still = await acc.token.access_token()
        assert isinstance(still, Ok) and still.value.reveal() == GOOD_ACCESS
    databases = acc.database_bytes()
    assert BAD_ACCESS.encode() not in databases and BAD_REFRESH.encode() not in databases


@pytest.mark.parametrize(
    "expires_in",
    [pytest.param(True, id="bool"), pytest.param("3600", id="numeric-string"), pytest.param(10**9, id="31-years")],
)
async def test_a_coercible_or_absurd_expiry_on_refresh_is_refused(
    tmp_path: Path, canned: CannedAuth, expires_in: object
) -> None:
    async with account(tmp_path, canned) as acc:
        assert isinstance(await acc.login(canned), Ok)
        before = dict(await acc.meta())
        canned.replies[REFRESH] = _json(_token_body(BAD_ACCESS, BAD_REFRESH, expires_in=expires_in))
        failed = await acc.token.refresh_now()
        assert isinstance(failed, Err)
        assert acc.stored() == (GOOD_ACCESS, GOOD_REFRESH)
        assert (await acc.meta())["expires_ms"] == before["expires_ms"]


# -- /oauth2/validate -------------------------------------------------------------------------------------

MALFORMED_VALIDATE = [
    pytest.param(_json(_validate_body(client_id=_DROP)), "client_id", id="no-client-id"),
    pytest.param(_json(_validate_body(expires_in=_DROP)), "expires_in", id="no-expiry"),
    pytest.param(_json(_validate_body(expires_in=-1)), "expires_in", id="negative-expiry"),
    pytest.param(_json(_validate_body(expires_in="abc")), "expires_in", id="expiry-abc"),
    pytest.param(_json(_validate_body(user_id=4242)), "user_id", id="user-id-int"),
    pytest.param(_json(_validate_body(login=["canned_streamer"])), "login", id="login-list"),
    pytest.param(_json(_validate_body(scopes="chat:read")), "scopes", id="scopes-string"),
    pytest.param(Reply(200, b"<html><body>Bad Gateway</body></html>", "text/html"), "body", id="html-200"),
    pytest.param(Reply(200, b""), "body", id="empty"),
    pytest.param(_json([_validate_body()]), "body", id="json-array"),
]


@pytest.mark.parametrize(("reply", "field_hint"), MALFORMED_VALIDATE)
async def test_malformed_validate_bodies_are_bad_payload(
    canned: CannedAuth, oauth: TwitchOAuth, reply: Reply, field_hint: str
) -> None:
    canned.replies[VALIDATE] = reply
    provider = TwitchTokenProvider(oauth)
    _assert_bad_payload(await oauth.validate(Secret("some-access-token")), field_hint)
    _assert_bad_payload(await provider.validate(Secret("some-access-token")), field_hint)
    assert canned.count(VALIDATE) == 2


@pytest.mark.parametrize("missing", ["login", "user_id"])
async def test_validate_without_login_or_user_id_names_nobody(
    canned: CannedAuth, oauth: TwitchOAuth, missing: str
) -> None:
    canned.replies[VALIDATE] = _json(_validate_body(**{missing: _DROP}))
    got = await TwitchTokenProvider(oauth).validate(Secret("some-access-token"))
    assert got == Ok(None), "half an identity is no identity"


HOURLY_VALIDATE = [
    *(pytest.param(p.values[0], id=p.id) for p in MALFORMED_VALIDATE),
    pytest.param(_json(_validate_body(login=_DROP)), id="no-login"),
    pytest.param(_json(_validate_body(user_id=_DROP)), id="no-user-id"),
    pytest.param(_json(_validate_body(login=None, user_id=None)), id="null-identity"),
]


@pytest.mark.parametrize("reply", HOURLY_VALIDATE)
async def test_a_malformed_hourly_validate_keeps_the_account_and_who_it_is(
    tmp_path: Path, canned: CannedAuth, reply: Reply
) -> None:
    async with account(tmp_path, canned) as acc:
        assert isinstance(await acc.login(canned), Ok)
        due = await acc.timer("validate")
        assert due == acc.clock.now_ms() + 3600 * 1000
        canned.replies[VALIDATE] = reply
        acc.clock.advance(3600)

        async def settled() -> bool:
            rescheduled = await acc.timer("validate") == acc.clock.now_ms() + 3600 * 1000
            return rescheduled or (await acc.meta())["status"] != AuthStatus.AUTHORIZED.value

        await wait_for(settled)
        assert canned.count(VALIDATE) == 2
        row = await acc.meta()
        assert row["status"] == AuthStatus.AUTHORIZED.value, row["last_error"]
        assert await acc.timer("validate") == acc.clock.now_ms() + 3600 * 1000, "checked again in an hour"
        assert (row["login"], row["user_id"]) == ("canned_streamer", "4242"), "not overwritten with nothing"
        assert acc.stored() == (GOOD_ACCESS, GOOD_REFRESH)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(_json(_validate_body(user_id=4242)), id="user-id-int"),
        pytest.param(Reply(200, b"<html>oops</html>", "text/html"), id="html-200"),
        pytest.param(_json(_validate_body(login=_DROP)), id="no-login"),
        pytest.param(_json(_validate_body(user_id=_DROP)), id="no-user-id"),
    ],
)
async def test_a_malformed_validate_during_login_stores_nothing(
    tmp_path: Path, canned: CannedAuth, reply: Reply
) -> None:
    canned.replies[VALIDATE] = reply
    async with account(tmp_path, canned) as acc:
        result = await acc.login(canned)
        assert isinstance(result, Err)
        assert acc.stored() == (None, None)
        assert (await acc.meta())["status"] == AuthStatus.NOT_CONFIGURED.value
