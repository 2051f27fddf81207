"""The one-shot loopback server that receives Spotify's redirect, and the whole PKCE login built on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qs, urlsplit

from ..runtime.clock import Clock, SystemClock
from ..runtime.http import HttpError
from ..runtime.result import Err, Ok, Result, TaggedError
from ..runtime.secret import Secret
from .models import TokenResponse
from .oauth import SPOTIFY_SCOPES, SpotifyOAuth, new_pkce

log = logging.getLogger("streamdeck_tui.spotify.callback")

# Spotify refuses `localhost`; the literal loopback address is allowed, with any port chosen at runtime.
HOST: Final = "127.0.0.1"
PATH: Final = "/callback"
DEFAULT_TIMEOUT_S: Final = 600.0
# A browser's request head is a few hundred bytes; anything near this is not Spotify's redirect.
_MAX_HEAD: Final = 16 * 1024
# Bounds each connection, so a socket that never finishes its request cannot hold a task forever.
_CONNECTION_TIMEOUT_S: Final = 10.0
# How long stop() lets a connection that is already answering finish writing its page.
_STOP_GRACE_S: Final = 2.0
_QUERY_KEYS: Final = ("state", "code", "error")

WRONG_STATE: Final = "wrong state"
STATE_USED: Final = "state already used"
NO_CODE: Final = "no code in the callback"
MALFORMED: Final = "malformed callback query"


@dataclass(frozen=True, slots=True)
class ConsentDenied(TaggedError):
    """The streamer declined the consent page (`error=access_denied`)."""

    tag = "ConsentDenied"

    def message(self) -> str:
        """What happened and what to do."""
        return "the Spotify authorization was declined; run the login again to connect Spotify"


@dataclass(frozen=True, slots=True)
class AuthorizeFailed(TaggedError):
    """Spotify sent the browser back with an error other than a refusal (e.g. `invalid_client`)."""

    tag = "AuthorizeFailed"
    error: str

    def message(self) -> str:
        """The provider's error code and the usual cause."""
        return (
            f"Spotify refused the login request ({self.error}); check the client id and that the app's "
            f"redirect URI is {HOST} with path {PATH}"
        )


@dataclass(frozen=True, slots=True)
class LoginTimedOut(TaggedError):
    """No usable callback arrived in time."""

    tag = "LoginTimedOut"
    timeout_s: float

    def message(self) -> str:
        """How long we waited."""
        return f"no answer from Spotify within {self.timeout_s:g} s; run the login again"


@dataclass(frozen=True, slots=True)
class CallbackUnavailable(TaggedError):
    """The loopback callback server could not listen."""

    tag = "CallbackUnavailable"
    port: int
    detail: str

    def message(self) -> str:
        """Which port and why."""
        return f"cannot listen on {HOST}:{self.port} for Spotify's redirect: {self.detail}"


CallbackError = ConsentDenied | AuthorizeFailed | LoginTimedOut
LoginError = HttpError | CallbackError | CallbackUnavailable


def _page(title: str, text: str) -> bytes:
    # Fixed text only: nothing from the request is echoed, so the page cannot be used for injection.
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>streamdeck-tui</title></head>'
        f'<body style="font-family:sans-serif;margin:3em"><h1>{title}</h1><p>{text}</p></body></html>'
    ).encode()


_DONE: Final = _page("Spotify connected", "You can close this tab and return to streamdeck-tui.")
_DENIED: Final = _page("Spotify not connected", "The authorization was declined. You can close this tab.")
_FAILED: Final = _page("Spotify not connected", "Spotify reported an error. You can close this tab.")
_REFUSED: Final = _page("Not accepted", "This callback does not belong to the login in progress.")
_BAD_REQUEST: Final = _page("Bad request", "The request could not be read.")
_NOT_FOUND: Final = _page("Not found", "Nothing here.")
_NOT_ALLOWED: Final = _page("Method not allowed", "Only GET is served here.")
_TOO_LARGE: Final = _page("Request too large", "The request head is too large.")


def _error_code(value: str) -> str:
    # The error comes from the query string: keep it short and plain before it reaches a message.
    cleaned = "".join(c for c in value[:64] if c.isascii() and (c.isalnum() or c in "_-."))
    return cleaned or "unknown"


class CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 that accepts exactly one redirect carrying `expected_state`.

    Requests with another state are refused (400) and reported through `on_refused`; the wait goes on.
    Once a callback with the right state has been accepted (or the wait ended), the state is spent and
    any further callback is refused too. The timeout runs on `clock` (`SystemClock`: real seconds).
    """

    def __init__(
        self,
        expected_state: Secret,
        *,
        port: int = 0,
        clock: Clock | None = None,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self._expected = expected_state.reveal().encode()
        self._requested_port = port
        self._clock: Clock = clock or SystemClock()
        self._on_refused = on_refused
        self._server: asyncio.Server | None = None
        self._port = 0
        self._outcome: asyncio.Future[Result[Secret, CallbackError]] | None = None
        self._idle: set[asyncio.Task[None]] = set()
        self._busy: set[asyncio.Task[None]] = set()
        self.refusals: list[str] = []

    @property
    def port(self) -> int:
        """The port bound by start() (a free one when 0 was asked for); kept after stop()."""
        if self._port == 0:
            raise RuntimeError("the callback server is not started")
        return self._port

    @property
    def redirect_uri(self) -> str:
        """`http://127.0.0.1:<port>/callback`, the URI to send to Spotify."""
        return f"http://{HOST}:{self.port}{PATH}"

    @property
    def refused(self) -> int:
        """How many callbacks were refused so far."""
        return len(self.refusals)

    async def start(self) -> Result[None, CallbackUnavailable]:
        """Listen on 127.0.0.1 (a free port by default)."""
        if self._server is not None:
            return Ok(None)
        try:
            server = await asyncio.start_server(self._handle, HOST, self._requested_port, limit=_MAX_HEAD)
        except OSError as exc:
            return Err(CallbackUnavailable(self._requested_port, exc.strerror or type(exc).__name__))
        self._server = server
        self._port = int(server.sockets[0].getsockname()[1])
        self._outcome = asyncio.get_running_loop().create_future()
        log.info("waiting for Spotify's redirect on %s:%d", HOST, self._port)
        return Ok(None)

    async def wait(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> Result[Secret, CallbackError]:
        """The authorization code once a callback with the expected state arrives, or why it did not."""
        outcome = self._outcome
        if outcome is None:
            raise RuntimeError("the callback server is not started")
        if not outcome.done():
            timer = asyncio.ensure_future(self._clock.sleep(timeout_s))
            try:
                await asyncio.wait((outcome, timer), return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
            if not outcome.done():
                # Settling spends the state: a callback arriving after the deadline is refused too.
                outcome.set_result(Err(LoginTimedOut(timeout_s)))
        return outcome.result()

    async def stop(self) -> None:
        """Stop listening; a page being written gets a short grace, idle connections are dropped."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._idle):
            task.cancel()
        if self._busy:
            await asyncio.wait(list(self._busy), timeout=_STOP_GRACE_S)
        for task in list(self._busy):
            task.cancel()
        pending = [*self._idle, *self._busy]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # a stream handler always runs in a task
        self._idle.add(task)
        try:
            async with asyncio.timeout(_CONNECTION_TIMEOUT_S):
                head: bytes | None
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    head = None
                self._idle.discard(task)
                self._busy.add(task)
                status, page = (
                    (HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, _TOO_LARGE) if head is None else self._answer(head)
                )
                writer.write(_response(status, page))
                await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away or never finished its request: nobody to answer
        finally:
            self._idle.discard(task)
            self._busy.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> tuple[HTTPStatus, bytes]:
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return HTTPStatus.BAD_REQUEST, _BAD_REQUEST
        method, target, _ = parts
        try:
            url = urlsplit(target)
        except ValueError:
            return HTTPStatus.BAD_REQUEST, _BAD_REQUEST
        if url.path != PATH:
            return HTTPStatus.NOT_FOUND, _NOT_FOUND
        if method != "GET":
            return HTTPStatus.METHOD_NOT_ALLOWED, _NOT_ALLOWED
        return self._callback(url.query)

    def _callback(self, query: str) -> tuple[HTTPStatus, bytes]:
        outcome = self._outcome
        assert outcome is not None  # requests are served only after start()
        try:
            params = parse_qs(query, keep_blank_values=True, max_num_fields=32)
        except ValueError:
            return self._refuse(MALFORMED)
        if any(len(params.get(key, ())) > 1 for key in _QUERY_KEYS):
            return self._refuse(MALFORMED)
        state = params.get("state", [""])[0].encode()
        if not secrets.compare_digest(state, self._expected):
            return self._refuse(WRONG_STATE)
        if outcome.done():
            return self._refuse(STATE_USED)
        error = params.get("error", [""])[0]
        if error == "access_denied":
            outcome.set_result(Err(ConsentDenied()))
            return HTTPStatus.OK, _DENIED
        if error:
            outcome.set_result(Err(AuthorizeFailed(_error_code(error))))
            return HTTPStatus.OK, _FAILED
        code = params.get("code", [""])[0]
        if not code:
            return self._refuse(NO_CODE)
        outcome.set_result(Ok(Secret(code)))
        return HTTPStatus.OK, _DONE

    def _refuse(self, reason: str) -> tuple[HTTPStatus, bytes]:
        self.refusals.append(reason)
        log.warning("refused a Spotify callback: %s", reason)
        if self._on_refused is not None:
            self._on_refused(reason)
        return HTTPStatus.BAD_REQUEST, _REFUSED


def _response(status: HTTPStatus, page: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(page)}\r\n"
        # The page sits behind a URL holding the code: never cache it, never leak it as a referrer.
        "Cache-Control: no-store\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + page


async def _open(open_browser: Callable[[str], bool], url: str) -> None:
    # In a worker thread: webbrowser.open may spawn processes and wait on them, which would stall the loop.
    try:
        opened = await asyncio.to_thread(open_browser, url)
    except Exception as exc:  # a desktop without a usable browser is expected; the printed URL remains
        log.warning("could not open a browser (%s); the login URL was printed", type(exc).__name__)
        return
    if not opened:
        log.info("no browser opened; the login URL was printed")


async def pkce_login(
    oauth: SpotifyOAuth,
    clock: Clock,
    *,
    open_browser: Callable[[str], bool],
    on_url: Callable[[str], None],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    port: int = 0,
    scopes: Sequence[str] = SPOTIFY_SCOPES,
    on_refused: Callable[[str], None] | None = None,
) -> Result[TokenResponse, LoginError]:
    """Run the whole PKCE login: listen, show and open the consent URL, wait for the code, exchange it."""
    pkce = new_pkce()
    server = CallbackServer(pkce.state, port=port, clock=clock, on_refused=on_refused)
    started = await server.start()
    if isinstance(started, Err):
        return started
    try:
        url = oauth.authorize_url(pkce, server.redirect_uri, scopes)
        # Shown first and always, so a headless machine (or a browser that never opens) still has it.
        on_url(url)
        await _open(open_browser, url)
        code = await server.wait(timeout_s)
        if isinstance(code, Err):
            return code
        return await oauth.exchange(code.value, pkce, server.redirect_uri)
    finally:
        await server.stop()
