"""A small HTTP/1.1 server on asyncio streams: enough of the protocol to serve JSON APIs on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("streamdeck_tui.simulator.http")

MAX_HEADER_BYTES: Final = 16 * 1024
MAX_HEADER_COUNT: Final = 100
MAX_BODY_BYTES: Final = 1024 * 1024
MAX_QUERY_FIELDS: Final = 256
IDLE_TIMEOUT_S: Final = 30.0

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VERSION = re.compile(r"^HTTP/(\d)\.(\d)$")
_HEX = re.compile(r"^[0-9A-Fa-f]{1,8}$")


@dataclass(frozen=True, slots=True)
class BodyError:
    """Why a request body could not be read as the expected format."""

    message: str


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request. Header names are lower-case; `params` holds path parameters from the router."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    params: Mapping[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """The first value of query parameter `name`, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        """Every value of query parameter `name` (Helix repeats `id=` for lists)."""
        return list(self.query.get(name, []))

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower())

    def json(self) -> Any | BodyError:
        """The body parsed as JSON, or a BodyError saying why not."""
        if not self.body:
            return BodyError("the request body is empty; JSON was expected")
        try:
            return json.loads(self.body.decode("utf-8"))
        except UnicodeDecodeError:
            return BodyError("the request body is not UTF-8")
        except json.JSONDecodeError as exc:
            return BodyError(f"the request body is not valid JSON ({exc.msg} at position {exc.pos})")

    def form(self) -> dict[str, str] | BodyError:
        """Query parameters merged with an urlencoded form body (the body wins); first value per name."""
        merged = {k: v[0] for k, v in self.query.items() if v}
        if not self.body:
            return merged
        try:
            fields = parse_qs(self.body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return BodyError("the form body is not valid application/x-www-form-urlencoded UTF-8")
        merged.update({k: v[0] for k, v in fields.items() if v})
        return merged


@dataclass(slots=True)
class Response:
    """A response to write; Content-Length, Date and Connection are added by the server."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response."""
    out = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(payload, separators=(",", ":")).encode("utf-8"), out)


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    """A response without a body (204 by default)."""
    return Response(status, b"", dict(headers or {}))


def redirect_response(location: str, status: int = 302) -> Response:
    """A redirect to `location`."""
    return Response(status, b"", {"Location": location})


def html_response(status: int, html: str) -> Response:
    """A small HTML page (the Twitch activation page)."""
    return Response(status, html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


Handler = Callable[[Request], Awaitable[Response]]


class _ProtocolError(Exception):
    """The bytes on the wire are not an acceptable HTTP/1.1 request; the connection is answered and closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class _Head:
    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, str]


class HttpServer:
    """Serves `handler` over HTTP/1.1 with keep-alive; bad input gets 400/413/431/501/505, never a crash."""

    def __init__(
        self,
        handler: Handler,
        *,
        name: str = "http",
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        self._handler = handler
        self._name = name
        self._max_body = max_body_bytes
        self._idle_timeout = idle_timeout_s
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._port = 0

    @property
    def port(self) -> int:
        """The bound port (0 before start)."""
        return self._port

    async def start(self, host: str, port: int) -> None:
        """Bind and start accepting; port 0 picks a free port."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_HEADER_BYTES)
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting, end open connections (including long-polls) and wait for them."""
        if self._server is None:
            return
        self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while await self._one_exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels these tasks. Ending normally keeps asyncio's stream callback from
            # logging the cancellation as an unhandled error (Python 3.11).
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and answer it; False when the connection should close."""
        try:
            async with asyncio.timeout(self._idle_timeout):
                head = await _read_head(reader)
            if head is None:
                return False
            keep_alive = _wants_keep_alive(head)
            async with asyncio.timeout(self._idle_timeout):
                body = await self._read_body(reader, writer, head)
            request = _build_request(head, body)
        except _ProtocolError as exc:
            await _write(writer, _protocol_error_response(exc), keep_alive=False)
            return False
        response = await self._dispatch(request)
        await _write(writer, response, keep_alive=keep_alive, head_only=request.method == "HEAD")
        return keep_alive

    async def _dispatch(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except Exception:
            # A simulator bug must cost one 500, never the server.
            log.exception("%s: handler failed for %s %s", self._name, request.method, request.path)
            return json_response(500, {"error": "Internal Server Error", "status": 500, "message": "simulator error"})

    async def _read_body(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: _Head) -> bytes:
        encoding = head.headers.get("transfer-encoding")
        length_text = head.headers.get("content-length")
        if encoding is not None:
            if length_text is not None:
                raise _ProtocolError(400, "Content-Length and Transfer-Encoding must not both be sent")
            codings = [c.strip().lower() for c in encoding.split(",")]
            if codings != ["chunked"]:
                raise _ProtocolError(501, f"unsupported Transfer-Encoding {encoding!r}")
            await _maybe_continue(writer, head)
            return await _read_chunked(reader, self._max_body)
        if length_text is None:
            return b""
        if not length_text.isdigit() or len(length_text) > 18:
            raise _ProtocolError(400, "Content-Length must be a non-negative integer")
        length = int(length_text)
        if length > self._max_body:
            raise _ProtocolError(413, f"the body is larger than {self._max_body} bytes")
        await _maybe_continue(writer, head)
        return await reader.readexactly(length) if length else b""


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readline()
    except ValueError as exc:  # the stream's limit was exceeded by one line
        raise _ProtocolError(431, "a request line or header line is too long") from exc


async def _read_head(reader: asyncio.StreamReader) -> _Head | None:
    line = await _read_line(reader)
    skipped = 0
    while line in (b"\r\n", b"\n") and skipped < 4:
        line = await _read_line(reader)
        skipped += 1
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise _ProtocolError(400, "the request line is incomplete")
    method, target, version = _parse_request_line(line.rstrip(b"\r\n").decode("latin-1"))
    headers: dict[str, str] = {}
    total = len(line)
    count = 0
    while True:
        raw = await _read_line(reader)
        total += len(raw)
        if total > MAX_HEADER_BYTES:
            raise _ProtocolError(431, "the request headers are too large")
        if not raw.endswith(b"\n"):
            raise _ProtocolError(400, "the request headers are incomplete")
        text = raw.rstrip(b"\r\n").decode("latin-1")
        if not text:
            break
        count += 1
        if count > MAX_HEADER_COUNT:
            raise _ProtocolError(431, "too many request headers")
        name, value = _parse_header_line(text)
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise _ProtocolError(400, "conflicting Content-Length headers")
            if name != "content-length":
                headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    return _Head(method, target, version, headers)


def _parse_request_line(text: str) -> tuple[str, str, tuple[int, int]]:
    parts = text.split(" ")
    if len(parts) != 3:
        raise _ProtocolError(400, "the request line must be 'METHOD target HTTP/1.1'")
    method, target, version_text = parts
    if not _TOKEN.match(method):
        raise _ProtocolError(400, "the request method is not a valid token")
    match = _VERSION.match(version_text)
    if match is None:
        raise _ProtocolError(400, "the HTTP version is malformed")
    version = (int(match.group(1)), int(match.group(2)))
    if version[0] != 1:
        raise _ProtocolError(505, "only HTTP/1.0 and HTTP/1.1 are supported")
    if not (target.startswith("/") or target.startswith(("http://", "https://"))):
        raise _ProtocolError(400, "the request target must be an absolute path")
    return method, target, version


def _parse_header_line(text: str) -> tuple[str, str]:
    if text[0] in " \t":
        raise _ProtocolError(400, "folded header lines are not accepted")
    name, sep, value = text.partition(":")
    if not sep or not _TOKEN.match(name):
        raise _ProtocolError(400, f"malformed header line {text[:40]!r}")
    return name.lower(), value.strip(" \t")


async def _maybe_continue(writer: asyncio.StreamWriter, head: _Head) -> None:
    if head.headers.get("expect", "").lower() == "100-continue" and head.version >= (1, 1):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> bytes:
    body = bytearray()
    while True:
        size_line = (await _read_line(reader)).rstrip(b"\r\n").split(b";", 1)[0].strip()
        size_text = size_line.decode("latin-1")
        if not _HEX.match(size_text):
            raise _ProtocolError(400, "malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise _ProtocolError(413, f"the body is larger than {limit} bytes")
        body += await reader.readexactly(size)
        if (await _read_line(reader)).rstrip(b"\r\n"):
            raise _ProtocolError(400, "a chunk is not followed by CRLF")
    for _ in range(MAX_HEADER_COUNT):  # trailers are read and ignored
        if not (await _read_line(reader)).rstrip(b"\r\n"):
            return bytes(body)
    raise _ProtocolError(431, "too many trailer lines")


def _build_request(head: _Head, body: bytes) -> Request:
    parts = urlsplit(head.target)
    try:
        path = unquote(parts.path or "/", errors="strict")
        query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _ProtocolError(400, "the request target has an invalid encoding or too many fields") from exc
    return Request(head.method, path, query, head.headers, body)


def _wants_keep_alive(head: _Head) -> bool:
    tokens = {t.strip().lower() for t in head.headers.get("connection", "").split(",")}
    if head.version >= (1, 1):
        return "close" not in tokens
    return "keep-alive" in tokens


def _protocol_error_response(exc: _ProtocolError) -> Response:
    phrase = _reason(exc.status)
    return json_response(exc.status, {"error": phrase, "status": exc.status, "message": exc.message})


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _write(
    writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool, head_only: bool = False
) -> None:
    lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
    headers = {"Date": formatdate(usegmt=True), "Server": "streamdeck-sim", **response.headers}
    no_body = response.status in (204, 304) or 100 <= response.status < 200
    if not no_body:
        headers["Content-Length"] = str(len(response.body))
    headers["Connection"] = "keep-alive" if keep_alive else "close"
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
    if not no_body and not head_only:
        payload += response.body
    writer.write(payload)
    await writer.drain()
