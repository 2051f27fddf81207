"""The EventSub WebSocket server: welcome, keepalives, notifications, reconnect, revocation, close codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse

from streamdeck_tui.runtime.clock import Clock

from . import eventsub_payloads as payloads
from .eventsub_subscriptions import Subscription, SubscriptionRegistry
from .faults import Faults
from .ids import base62_id, token, uuid4
from .publisher import ConditionMatch
from .urls import SimUrls

log = logging.getLogger("streamdeck_tui.simulator.eventsub")

KEEPALIVE_MIN_S = 10
KEEPALIVE_MAX_S = 600
KEEPALIVE_DEFAULT_S = 10
# Keepalives go out before the advertised timeout, so a client that waits exactly that long never starves.
KEEPALIVE_FRACTION = 0.75
CLOSE_STATUS = {
    4000: "websocket_internal_error",
    4001: "websocket_received_inbound_traffic",
    4002: "websocket_failed_ping_pong",
    4003: "websocket_connection_unused",
    4005: "websocket_network_timeout",
    4006: "websocket_network_error",
}

ConnState = Literal["connected", "reconnecting", "superseded", "closed"]


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


_Item = str | _Close | Callable[[], None]


@dataclass(slots=True)
class _Connection:
    ws: ServerConnection
    session_id: str
    keepalive_s: int
    connected_at_ms: int
    last_sent_ms: int
    state: ConnState = "connected"
    close_code: int | None = None
    outbox: asyncio.Queue[_Item] = field(default_factory=asyncio.Queue)

    def enqueue(self, item: _Item, now_ms: int) -> None:
        self.outbox.put_nowait(item)
        self.last_sent_ms = now_ms

    def info(self) -> dict[str, object]:
        return {
            "session_id": self.session_id,
            "state": self.state,
            "keepalive_timeout_seconds": self.keepalive_s,
            "connected_at_ms": self.connected_at_ms,
        }


def clamp_keepalive(value: str | None) -> int | None:
    """The keepalive a `?keepalive_timeout_seconds=` asks for (nearest valid); None if not numeric."""
    if value is None or value == "":
        return KEEPALIVE_DEFAULT_S
    try:
        number = int(value)
    except ValueError:
        return None
    return min(KEEPALIVE_MAX_S, max(KEEPALIVE_MIN_S, number))


class EventSubServer:
    """Sessions on one WebSocket port; implements `EventPublisher` for the channel and rewards."""

    def __init__(
        self,
        registry: SubscriptionRegistry,
        faults: Faults,
        clock: Clock,
        rng: random.Random,
        urls: SimUrls,
        *,
        subscribe_timeout_s: float = 10.0,
        reconnect_grace_s: float = 30.0,
        ping_interval_s: float = 30.0,
    ) -> None:
        self._registry = registry
        self._faults = faults
        self._clock = clock
        self._rng = rng
        self._urls = urls
        self._subscribe_timeout_s = subscribe_timeout_s
        self._reconnect_grace_s = reconnect_grace_s
        self._ping_interval_s = ping_interval_s
        self._server: Server | None = None
        self._connections: dict[str, _Connection] = {}
        self._reconnect_ids: dict[str, _Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.notifications_sent: Counter[str] = Counter()

    @property
    def port(self) -> int:
        """The bound port (0 before start)."""
        if self._server is None:
            return 0
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        """Bind and start accepting WebSocket clients."""
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._check_request,
            ping_interval=None,
            ping_timeout=None,
            compression=None,
            max_size=64 * 1024,
        )

    async def stop(self) -> None:
        """Close every session and stop listening."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _check_request(self, connection: ServerConnection, request: WsRequest) -> WsResponse | None:
        parts = urlsplit(request.path)
        if parts.path != "/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "EventSub lives at /ws\n")
        keepalive = parse_qs(parts.query).get("keepalive_timeout_seconds", [None])[0]
        if clamp_keepalive(keepalive) is None:
            return connection.respond(HTTPStatus.BAD_REQUEST, "keepalive_timeout_seconds must be an integer\n")
        return None

    def live_session_connected_at(self, session_id: str) -> int | None:
        """When a session that can take subscriptions connected; None if unknown, closed or superseded."""
        conn = self._connections.get(session_id)
        if conn is None or conn.state not in ("connected", "reconnecting"):
            return None
        return conn.connected_at_ms

    def sessions(self) -> list[dict[str, object]]:
        """Open sessions, for the control API."""
        return [c.info() for c in self._connections.values() if c.state != "closed"]

    async def _handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "/ws").query)
        keepalive = clamp_keepalive(query.get("keepalive_timeout_seconds", [None])[0]) or KEEPALIVE_DEFAULT_S
        previous: _Connection | None = None
        reconnect_id = query.get("reconnect_id", [None])[0]
        if reconnect_id is not None:
            previous = self._reconnect_ids.pop(reconnect_id, None)
            if previous is None or previous.state != "reconnecting":
                await ws.close(4007, "Invalid reconnect")
                return
            keepalive = previous.keepalive_s
        now = self._clock.now_ms()
        conn = _Connection(ws, "AQoQ" + base62_id(self._rng, 24), keepalive, now, now)
        self._connections[conn.session_id] = conn
        welcome = payloads.welcome_message(uuid4(self._rng), now, conn.session_id, now, keepalive)
        conn.enqueue(json.dumps(welcome), now)
        if previous is not None:
            old = previous
            conn.enqueue(lambda: self._take_over(old, conn), now)
        helpers = [self._spawn(self._write_loop(conn)), self._spawn(self._keepalive_loop(conn))]
        helpers.append(self._spawn(self._ping_loop(conn)))
        if previous is None:
            helpers.append(self._spawn(self._unused_timer(conn)))
        try:
            await self._read_loop(conn)
        finally:
            for task in helpers:
                task.cancel()
            self._on_closed(conn)

    def _take_over(self, old: _Connection, new: _Connection) -> None:
        # Runs right after the new welcome is written: from here on the new socket delivers.
        self._registry.move_session(old.session_id, new.session_id)
        if old.state == "reconnecting":
            old.state = "superseded"

    async def _read_loop(self, conn: _Connection) -> None:
        try:
            await conn.ws.recv()
        except ConnectionClosed:
            return
        # The client must send nothing but pongs.
        self._close(conn, 4001, "Client sent inbound traffic")
        with contextlib.suppress(ConnectionClosed):
            while True:
                await conn.ws.recv()

    async def _write_loop(self, conn: _Connection) -> None:
        try:
            while True:
                item = await conn.outbox.get()
                if isinstance(item, _Close):
                    conn.close_code = item.code
                    await conn.ws.close(item.code, item.reason)
                    return
                if isinstance(item, str):
                    await conn.ws.send(item)
                else:
                    item()
        except ConnectionClosed:
            return

    async def _keepalive_loop(self, conn: _Connection) -> None:
        idle_ms = int(conn.keepalive_s * 1000 * KEEPALIVE_FRACTION)
        while conn.state == "connected":
            now = self._clock.now_ms()
            due = conn.last_sent_ms + idle_ms
            if now < due:
                await self._clock.sleep((due - now) / 1000)
                continue
            conn.enqueue(json.dumps(payloads.keepalive_message(uuid4(self._rng), now)), now)

    async def _ping_loop(self, conn: _Connection) -> None:
        # Pings are transport-level and run on real time, whatever clock the model uses.
        while True:
            await asyncio.sleep(self._ping_interval_s)
            try:
                pong = await conn.ws.ping()
                async with asyncio.timeout(10):
                    await pong
            except TimeoutError:
                self._close(conn, 4002, "Client failed ping-pong")
                return
            except ConnectionClosed:
                return

    async def _unused_timer(self, conn: _Connection) -> None:
        await self._clock.sleep(self._subscribe_timeout_s)
        if conn.state == "connected" and not self._registry.bound_to(conn.session_id):
            self._close(conn, 4003, "Connection unused")

    async def _reconnect_grace(self, conn: _Connection) -> None:
        await self._clock.sleep(self._reconnect_grace_s)
        if conn.state in ("reconnecting", "superseded"):
            self._close(conn, 4004, "Reconnect grace time expired")

    def _close(self, conn: _Connection, code: int, reason: str) -> None:
        conn.outbox.put_nowait(_Close(code, reason))

    def _on_closed(self, conn: _Connection) -> None:
        superseded = conn.state == "superseded"
        conn.state = "closed"
        self._connections.pop(conn.session_id, None)
        self._reconnect_ids = {k: v for k, v in self._reconnect_ids.items() if v is not conn}
        if not superseded:
            code = conn.close_code or conn.ws.close_code
            self._registry.disable_session(conn.session_id, CLOSE_STATUS.get(code or 0, "websocket_disconnected"))

    def publish(self, sub_type: str, event: Mapping[str, object], matches: ConditionMatch) -> int:
        """Queue a notification for every enabled, matching subscription on a live session."""
        delivered = 0
        now = self._clock.now_ms()
        for sub in self._registry.enabled_of_type(sub_type):
            conn = self._connections.get(sub.session_id)
            if conn is None or conn.state not in ("connected", "reconnecting") or not matches(sub.condition):
                continue
            frame = json.dumps(payloads.notification_message(uuid4(self._rng), now, sub.frame_json(), event))
            conn.enqueue(frame, now)
            if self._faults.take_duplicate():
                conn.enqueue(frame, now)
            self.notifications_sent[sub_type] += 1
            delivered += 1
        return delivered

    def send_raw(self, text: str, session_id: str | None = None) -> int:
        """Send a frame exactly as given (malformed, stale or oversized) to one live session or all."""
        sent = 0
        now = self._clock.now_ms()
        for conn in self._connections.values():
            if conn.state not in ("connected", "reconnecting"):
                continue
            if session_id is not None and conn.session_id != session_id:
                continue
            conn.enqueue(text, now)
            sent += 1
        return sent

    def request_reconnect(self, session_id: str | None = None) -> list[str]:
        """Send session_reconnect to one session (or all); returns the reconnect URLs."""
        urls: list[str] = []
        now = self._clock.now_ms()
        for conn in list(self._connections.values()):
            if conn.state != "connected" or (session_id is not None and conn.session_id != session_id):
                continue
            reconnect_id = token(self._rng, 24)
            self._reconnect_ids[reconnect_id] = conn
            conn.state = "reconnecting"
            url = f"{self._urls.eventsub}?reconnect_id={reconnect_id}"
            frame = payloads.reconnect_message(uuid4(self._rng), now, conn.session_id, conn.connected_at_ms, url)
            conn.enqueue(json.dumps(frame), now)
            self._spawn(self._reconnect_grace(conn))
            urls.append(url)
        return urls

    def revoke(self, subscription_id: str, status: str) -> Subscription | None:
        """Revoke a subscription and tell its session once."""
        sub = self._registry.revoke(subscription_id, status)
        if sub is None:
            return None
        conn = self._connections.get(sub.session_id)
        if conn is not None and conn.state in ("connected", "reconnecting"):
            now = self._clock.now_ms()
            conn.enqueue(json.dumps(payloads.revocation_message(uuid4(self._rng), now, sub.frame_json())), now)
        return sub

    def drop(self, session_id: str | None = None, code: int | None = None) -> int:
        """Drop sessions: abort the TCP connection (no close frame), or close with `code`."""
        chosen = [
            c
            for c in self._connections.values()
            if c.state != "closed" and (session_id is None or c.session_id == session_id)
        ]
        for conn in chosen:
            if code is None:
                conn.ws.transport.abort()
            else:
                self._close(conn, code, "Simulated close")
        return len(chosen)
