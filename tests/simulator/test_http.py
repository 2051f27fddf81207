"""The HTTP/1.1 server on raw sockets: malformed input gets a clear status, keep-alive works, no crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from streamdeck_tui.simulator.http import HttpServer, Request, Response, json_response


async def _echo(request: Request) -> Response:
    if request.path == "/boom":
        raise RuntimeError("simulated bug")
    return json_response(
        200,
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": request.body.decode(),
        },
    )


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    srv = HttpServer(_echo, max_body_bytes=1024)
    await srv.start("127.0.0.1", 0)
    yield srv
    await srv.stop()


async def _exchange(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /\r\n\r\n", 400),
        (b"GET / HTTP/9.0\r\n\r\n", 505),
        (b"GET nopath HTTP/1.1\r\n\r\n", 400),
        (b"G@T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
        (b"GET /%ff HTTP/1.1\r\n\r\n", 400),
        (b"GET /boom HTTP/1.1\r\nConnection: close\r\n\r\n", 500),
    ],
)
async def test_malformed_requests_get_a_clear_status(server: HttpServer, raw: bytes, status: int) -> None:
    data = await _exchange(server.port, raw)
    assert _status(data) == status
    assert b'"message"' in data
    ok = await _exchange(server.port, b"GET /still HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert _status(ok) == 200


async def test_keep_alive_serves_several_requests_on_one_connection(server: HttpServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /a?x=1&x=2 HTTP/1.1\r\nHost: t\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nhey")
    await writer.drain()
    first = await asyncio.wait_for(_read_response(reader), 5)
    second = await asyncio.wait_for(_read_response(reader), 5)
    assert b'"query":{"x":["1","2"]}' in first
    assert b"keep-alive" in first
    assert b'"body":"hey"' in second
    writer.close()


async def test_chunked_body_and_expect_continue(server: HttpServer) -> None:
    raw = (
        b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
    )
    data = await _exchange(server.port, raw)
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b'"body":"abcde"' in data


async def test_client_closing_mid_request_is_harmless(server: HttpServer) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly a bit")
    await writer.drain()
    writer.close()
    ok = await _exchange(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert _status(ok) == 200
    assert b"Connection: close" in ok
