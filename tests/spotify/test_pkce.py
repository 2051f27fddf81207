"""Spotify PKCE login against the real simulator on loopback: callback server, exchange, refresh."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from streamdeck_tui.runtime.clock import FakeClock, SystemClock
from streamdeck_tui.runtime.http import BadPayload, HttpStatusError
from streamdeck_tui.runtime.result import Err, Ok, Result
from streamdeck_tui.runtime.secret import Secret
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.spotify.callback import (
    MALFORMED,
    NO_CODE,
    STATE_USED,
    WRONG_STATE,
    CallbackServer,
    ConsentDenied,
    LoginError,
    LoginTimedOut,
    pkce_login,
)
from streamdeck_tui.spotify.models import TokenResponse
from streamdeck_tui.spotify.oauth import (
    SPOTIFY_SCOPES,
    VERIFIER_ALPHABET,
    Pkce,
    SpotifyOAuth,
    is_invalid_grant,
    new_pkce,
    s256_challenge,
)
from tests.support.waiting import wait_for

REDIRECT_RE = re.compile(r"^http://127\.0\.0\.1:(\d+)/callback$")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """The simulator with consent approved at once."""
    async with Simulator(auto_approve=True) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that never goes through an environment proxy."""
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
def oauth(sim: Simulator, http: httpx.AsyncClient) -> SpotifyOAuth:
    """The client under test, pointed at the simulator's accounts service."""
    return SpotifyOAuth(sim.spotify_accounts_url, sim.spotify_client_id, http)


@dataclass
class Browser:
    """Stands in for `webbrowser.open`: runs in pkce_login's worker thread and follows the consent redirect.

    `before` builds extra callback URLs (from the real one) to hit first; `replays` hits the real callback
    that many more times afterwards.
    """

    before: Callable[[str], list[str]] = lambda location: []
    replays: int = 0
    statuses: list[int] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        with httpx.Client(trust_env=False, timeout=10) as client:
            consent = client.get(url)
            self.statuses.append(consent.status_code)
            if consent.status_code != 302:
                return True
            location = consent.headers["location"]
            for target in [*self.before(location), *[location] * (1 + self.replays)]:
                answer = client.get(target)
                self.statuses.append(answer.status_code)
                self.pages.append(answer.text)
        return True


def _no_browser(url: str) -> bool:
    return False


def _with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return parts._replace(query=urlencode(query)).geturl()


async def _login(
    oauth: SpotifyOAuth,
    browser: Callable[[str], bool],
    *,
    timeout_s: float = 10.0,
    on_refused: Callable[[str], None] | None = None,
) -> Result[TokenResponse, LoginError]:
    shown: list[str] = []
    result = await pkce_login(
        oauth,
        SystemClock(),
        open_browser=browser,
        on_url=shown.append,
        timeout_s=timeout_s,
        on_refused=on_refused,
    )
    assert len(shown) == 1, "the URL is always shown, browser or not"
    return result


async def _raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        writer.write_eof()  # so a half-sent request ends now instead of at the server's read timeout
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


async def test_login_then_refresh_rotates_and_the_old_refresh_token_is_spent(
    sim: Simulator, oauth: SpotifyOAuth
) -> None:
    browser = Browser()
    result = await _login(oauth, browser)

    assert isinstance(result, Ok)
    tokens = result.value
    assert isinstance(tokens, TokenResponse)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_in == 3600
    assert tokens.scope == SPOTIFY_SCOPES
    assert tokens.access_token
    assert tokens.refresh_token is not None
    assert browser.statuses == [302, 200]
    assert "You can close this tab" in browser.pages[0]

    first_refresh = Secret(tokens.refresh_token)
    refreshed = await oauth.refresh(first_refresh)
    assert isinstance(refreshed, Ok)
    assert refreshed.value.refresh_token not in (None, tokens.refresh_token)
    assert refreshed.value.access_token != tokens.access_token
    assert refreshed.value.scope == SPOTIFY_SCOPES

    spent = await oauth.refresh(first_refresh)
    assert isinstance(spent, Err)
    assert isinstance(spent.error, HttpStatusError)
    assert spent.error.status == 400
    assert spent.error.reason == "invalid_grant"
    assert is_invalid_grant(spent.error)

    assert refreshed.value.refresh_token is not None
    again = await oauth.refresh(Secret(refreshed.value.refresh_token))
    assert isinstance(again, Ok), "the rotated token still works"


async def test_authorize_url_and_redirect_uri_use_the_literal_loopback(oauth: SpotifyOAuth) -> None:
    pkce = new_pkce()
    server = CallbackServer(pkce.state)
    assert isinstance(await server.start(), Ok)
    try:
        match = REDIRECT_RE.match(server.redirect_uri)
        assert match is not None, server.redirect_uri
        assert int(match.group(1)) == server.port != 0
        url = oauth.authorize_url(pkce, server.redirect_uri)
    finally:
        await server.stop()

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == oauth.accounts_url
    assert parts.path == "/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": oauth.client_id,
        "response_type": "code",
        "redirect_uri": server.redirect_uri,
        "code_challenge_method": "S256",
        "code_challenge": s256_challenge(pkce.verifier.reveal()),
        "state": pkce.state.reveal(),
        "scope": " ".join(SPOTIFY_SCOPES),
    }
    assert "localhost" not in url


async def test_the_login_listens_on_127_0_0_1_not_localhost(oauth: SpotifyOAuth) -> None:
    browser = Browser()
    assert isinstance(await _login(oauth, browser), Ok)
    redirect = parse_qs(urlsplit(browser.urls[0]).query)["redirect_uri"][0]
    assert REDIRECT_RE.match(redirect), redirect


def test_new_pkce_is_fresh_s256_and_redacted() -> None:
    one, two = new_pkce(), new_pkce()
    verifier = one.verifier.reveal()
    assert len(verifier) == 64
    assert set(verifier) <= set(VERIFIER_ALPHABET)
    assert one.challenge == s256_challenge(verifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", one.challenge)
    assert one.verifier != two.verifier
    assert one.state != two.state
    assert len(one.state.reveal()) >= 32
    assert verifier not in repr(one)
    assert one.state.reveal() not in repr(one)


async def _code_through_callback(oauth: SpotifyOAuth, http: httpx.AsyncClient) -> tuple[Pkce, Secret, str]:
    """Authorize through the simulator and our callback server; the code and the redirect URI used."""
    pkce = new_pkce()
    server = CallbackServer(pkce.state)
    assert isinstance(await server.start(), Ok)
    try:
        reply = await http.get(oauth.authorize_url(pkce, server.redirect_uri), follow_redirects=True)
        assert reply.status_code == 200
        waited = await server.wait(5)
    finally:
        await server.stop()
    assert isinstance(waited, Ok)
    return pkce, waited.value, server.redirect_uri


async def test_a_wrong_verifier_gives_invalid_grant_and_spends_the_code(
    oauth: SpotifyOAuth, http: httpx.AsyncClient
) -> None:
    pkce, code, redirect_uri = await _code_through_callback(oauth, http)
    tampered = dataclasses.replace(pkce, verifier=new_pkce().verifier)

    wrong = await oauth.exchange(code, tampered, redirect_uri)
    assert isinstance(wrong, Err)
    assert is_invalid_grant(wrong.error)

    right_but_late = await oauth.exchange(code, pkce, redirect_uri)
    assert isinstance(right_but_late, Err)
    assert is_invalid_grant(right_but_late.error)


async def test_a_reused_code_gives_invalid_grant(oauth: SpotifyOAuth, http: httpx.AsyncClient) -> None:
    pkce, code, redirect_uri = await _code_through_callback(oauth, http)
    first = await oauth.exchange(code, pkce, redirect_uri)
    assert isinstance(first, Ok)
    second = await oauth.exchange(code, pkce, redirect_uri)
    assert isinstance(second, Err)
    assert isinstance(second.error, HttpStatusError)
    assert second.error.reason == "invalid_grant"


async def test_a_wrong_state_is_refused_and_reported_then_the_right_one_succeeds(
    oauth: SpotifyOAuth,
) -> None:
    reasons: list[str] = []
    browser = Browser(
        before=lambda location: [
            _with_query(location, state="forged-state-value"),
            _with_query(location, state=None),
        ]
    )
    result = await _login(oauth, browser, on_refused=reasons.append)

    assert isinstance(result, Ok)
    assert browser.statuses == [302, 400, 400, 200]
    assert reasons == [WRONG_STATE, WRONG_STATE]
    assert "You can close this tab" in browser.pages[-1]


async def test_a_reused_state_is_refused(oauth: SpotifyOAuth) -> None:
    reasons: list[str] = []
    browser = Browser(replays=1)
    result = await _login(oauth, browser, on_refused=reasons.append)

    assert isinstance(result, Ok), "the first callback's code was used"
    assert browser.statuses == [302, 200, 400]
    assert reasons == [STATE_USED]


async def test_a_reused_state_with_another_code_is_refused_and_the_first_code_kept() -> None:
    pkce = new_pkce()
    server = CallbackServer(pkce.state)
    assert isinstance(await server.start(), Ok)
    try:
        state = pkce.state.reveal()
        async with httpx.AsyncClient(trust_env=False) as client:
            first = await client.get(server.redirect_uri, params={"code": "first-code", "state": state})
            second = await client.get(server.redirect_uri, params={"code": "other-code", "state": state})
        waited = await server.wait(5)
    finally:
        await server.stop()
    assert (first.status_code, second.status_code) == (200, 400)
    assert waited == Ok(Secret("first-code"))
    assert server.refusals == [STATE_USED]


async def test_access_denied_ends_the_login_with_consent_denied(sim: Simulator, oauth: SpotifyOAuth) -> None:
    sim.accounts.auto_approve = False

    async def deny() -> None:
        await wait_for(lambda: bool(sim.accounts.pending()))
        sim.accounts.decide(False)

    denier = asyncio.create_task(deny())
    browser = Browser()
    result = await _login(oauth, browser)
    await denier

    assert isinstance(result, Err)
    assert isinstance(result.error, ConsentDenied)
    assert browser.statuses == [302, 200]
    assert "declined" in browser.pages[0]
    assert "declined" in result.error.message()


async def test_no_callback_times_out(oauth: SpotifyOAuth) -> None:
    result = await _login(oauth, _no_browser, timeout_s=0.05)
    assert isinstance(result, Err)
    assert isinstance(result.error, LoginTimedOut)
    assert result.error.timeout_s == 0.05


async def test_the_timeout_runs_on_the_injected_clock_and_spends_the_state() -> None:
    clock = FakeClock()
    pkce = new_pkce()
    server = CallbackServer(pkce.state, clock=clock)
    assert isinstance(await server.start(), Ok)
    try:
        waiting = asyncio.create_task(server.wait(600))
        await wait_for(lambda: clock.pending_sleepers() == 1)
        clock.advance(599)
        await asyncio.sleep(0)
        assert not waiting.done()
        clock.advance(1)
        assert await waiting == Err(LoginTimedOut(600))

        late = await _raw(server.port, _get(f"/callback?code=late&state={pkce.state.reveal()}"))
        assert _status(late) == 400
        assert server.refusals == [STATE_USED]
    finally:
        await server.stop()


def _get(target: str) -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


async def test_malformed_requests_never_crash_the_server() -> None:
    pkce = new_pkce()
    state = pkce.state.reveal()
    server = CallbackServer(pkce.state)
    assert isinstance(await server.start(), Ok)
    try:
        port = server.port
        cases: list[tuple[bytes, int]] = [
            (b"\r\n\r\n", 400),
            (b"NONSENSE\r\n\r\n", 400),
            (b"GET /callback\r\n\r\n", 400),
            (b"GET /callback SPDY/3\r\n\r\n", 400),
            (_get("/"), 404),
            (_get("/favicon.ico"), 404),
            (_get("/callback/extra?code=x"), 404),
            (b"GET http://[bad HTTP/1.1\r\n\r\n", 400),
            (b"POST /callback HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 405),
            (b"GET /callback?state=\xff\xfe&code=x HTTP/1.1\r\n\r\n", 400),
            (_get("/callback?state=%ff%fe&code=x"), 400),
            (_get("/callback?" + "&".join(f"k{i}=v" for i in range(40))), 400),
            (_get(f"/callback?state={state}&state={state}&code=x"), 400),
            (_get(f"/callback?state={state}"), 400),
            (b"GET /callback?" + b"a" * 20_000 + b" HTTP/1.1\r\n\r\n", 431),
        ]
        for request, expected in cases:
            reply = await _raw(port, request)
            assert _status(reply) == expected, (request[:60], reply[:60])
            assert b"Connection: close" in reply

        # Half a request, then gone; and a bare connect and close: nothing to answer, nothing breaks.
        assert await _raw(port, b"GET /callback?code=x HTTP/1.1\r\nHost:") == b""
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()

        assert server.refusals == [WRONG_STATE, WRONG_STATE, MALFORMED, MALFORMED, NO_CODE]
        good = await _raw(port, _get(f"/callback?code=the-code&state={state}"))
        assert _status(good) == 200
        assert await server.wait(5) == Ok(Secret("the-code"))
    finally:
        await server.stop()


async def test_stop_drops_idle_connections_at_once() -> None:
    server = CallbackServer(new_pkce().state)
    assert isinstance(await server.start(), Ok)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        await wait_for(lambda: len(server._idle) == 1)
        async with asyncio.timeout(1):
            await server.stop()
            assert await reader.read() == b"", "the idle connection was closed, not left to time out"
    finally:
        writer.close()
        await writer.wait_closed()


_DROP = object()


def _token_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": "access-token-value-123",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": " ".join(SPOTIFY_SCOPES),
        "refresh_token": "refresh-token-value-456",
    }
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


def _stub(content: bytes, status: int = 200, content_type: str = "application/json") -> SpotifyOAuth:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"Content-Type": content_type})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return SpotifyOAuth("http://accounts.test", "client-id", client)


@pytest.mark.parametrize(
    ("body", "field_hint"),
    [
        (_token_body(access_token=_DROP), "access_token"),
        (_token_body(expires_in=_DROP), "expires_in"),
        (_token_body(token_type=_DROP), "token_type"),
        (_token_body(expires_in=-1), "expires_in"),
        (_token_body(expires_in=0), "expires_in"),
        (_token_body(expires_in=10**9), "expires_in"),
        (_token_body(expires_in="3600"), "expires_in"),
        (_token_body(expires_in=True), "expires_in"),
        (_token_body(expires_in=3600.5), "expires_in"),
        (_token_body(access_token=12345), "access_token"),
        (_token_body(access_token=""), "access_token"),
        (_token_body(token_type="mac"), "token_type"),
        (_token_body(scope=["user-read-playback-state"]), "scope"),
        (_token_body(refresh_token=42), "refresh_token"),
        ([], "body"),
        (None, "body"),
    ],
)
async def test_malformed_token_bodies_are_bad_payload(body: object, field_hint: str) -> None:
    oauth = _stub(json.dumps(body).encode())
    result = await oauth.exchange(Secret("some-code-value"), new_pkce(), "http://127.0.0.1:1/callback")
    assert isinstance(result, Err)
    assert isinstance(result.error, BadPayload)
    assert result.error.detail.startswith(field_hint), result.error.detail
    assert "access-token-value-123" not in result.error.message()
    await oauth.http.aclose()


@pytest.mark.parametrize("content", [b"<html><body>Service Unavailable</body></html>", b"", b"{not json", b"\xff\xfe"])
async def test_html_and_garbage_bodies_are_bad_payload(content: bytes) -> None:
    oauth = _stub(content, content_type="text/html")
    result = await oauth.refresh(Secret("refresh-token-value"))
    assert isinstance(result, Err)
    assert isinstance(result.error, BadPayload)
    await oauth.http.aclose()


async def test_minimal_token_body_is_accepted() -> None:
    oauth = _stub(json.dumps(_token_body(scope=_DROP, refresh_token=_DROP, token_type="bearer")).encode())
    result = await oauth.refresh(Secret("refresh-token-value"))
    assert isinstance(result, Ok)
    assert result.value.refresh_token is None
    assert result.value.scope == ()
    await oauth.http.aclose()


async def test_exchange_and_refresh_send_a_public_client_form() -> None:
    seen: list[dict[str, list[str]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/api/token"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        seen.append(parse_qs(request.content.decode()))
        return httpx.Response(200, json=_token_body())

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        oauth = SpotifyOAuth("http://accounts.test/", "client-id", client)
        pkce = new_pkce()
        assert isinstance(await oauth.exchange(Secret("the-code"), pkce, "http://127.0.0.1:5/callback"), Ok)
        assert isinstance(await oauth.refresh(Secret("the-refresh-token")), Ok)

    assert seen == [
        {
            "grant_type": ["authorization_code"],
            "code": ["the-code"],
            "redirect_uri": ["http://127.0.0.1:5/callback"],
            "client_id": ["client-id"],
            "code_verifier": [pkce.verifier.reveal()],
        },
        {"grant_type": ["refresh_token"], "refresh_token": ["the-refresh-token"], "client_id": ["client-id"]},
    ]


async def test_no_secret_reaches_a_repr_a_message_or_a_log_line(
    sim: Simulator, oauth: SpotifyOAuth, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reasons: list[str] = []
    browser = Browser(before=lambda location: [_with_query(location, state="forged-state-value")])
    result = await _login(oauth, browser, on_refused=reasons.append)
    assert isinstance(result, Ok)
    tokens = result.value
    assert isinstance(tokens, TokenResponse)
    assert tokens.refresh_token is not None
    login_url = browser.urls[0]
    state = parse_qs(urlsplit(login_url).query)["state"][0]

    refreshed = await oauth.refresh(Secret(tokens.refresh_token))
    spent = await oauth.refresh(Secret(tokens.refresh_token))
    assert isinstance(refreshed, Ok)
    assert isinstance(spent, Err)

    # A provider that echoes the refresh token in its error text: the message still does not show it.
    echo_token = Secret("echoed-refresh-token-789")
    echoing = _stub(
        json.dumps({"error": "invalid_grant", "error_description": f"token {echo_token.reveal()} revoked"}).encode(),
        status=400,
    )
    echoed = await echoing.refresh(echo_token)
    await echoing.http.aclose()
    assert isinstance(echoed, Err)
    assert is_invalid_grant(echoed.error)

    pkce, code, _ = await _code_through_callback(oauth, http)
    timed_out = await _login(oauth, _no_browser, timeout_s=0.01)

    # Only our own loggers: the test's httpx clients log the URLs they fetch, which the browser would not.
    ours = [
        r.getMessage() for r in caplog.records if r.name.startswith(("streamdeck_tui.spotify", "streamdeck_tui.http"))
    ]
    assert any("refused" in line for line in ours)
    values = [
        tokens.access_token,
        tokens.refresh_token,
        refreshed.value.access_token,
        str(refreshed.value.refresh_token),
        state,
        echo_token.reveal(),
        code.reveal(),
        pkce.verifier.reveal(),
        pkce.state.reveal(),
    ]
    texts = [
        repr(result),
        str(tokens),
        repr(refreshed),
        repr(spent),
        spent.error.message(),
        repr(echoed),
        echoed.error.message(),
        repr(pkce),
        repr(code),
        repr(timed_out),
        *reasons,
        *ours,
    ]
    for value in values:
        assert len(value) >= 6
        for text in texts:
            assert value not in text, text
