"""EventSub over WebSocket: welcome, keepalive watchdog, reconnect hand-over, backoff after a lost socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

import websockets
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect

from ..runtime.clock import Clock
from .eventsub_models import Frame, NotificationPayload, SessionPayload
from .models import Subscription

log = logging.getLogger("streamdeck_tui.eventsub")

MAX_FRAME_BYTES: Final = 1024 * 1024
MAX_AGE_MS: Final = 10 * 60 * 1000
SEEN_IDS: Final = 10_000
WELCOME_TIMEOUT_S: Final = 10.0
KEEPALIVE_SLACK_S: Final = 5.0
BACKOFF_BASE_S: Final = 1.0
BACKOFF_MAX_S: Final = 60.0


class LinkState(StrEnum):
    """What the connection is doing, for the console."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification frame after parsing: the event stays a dict until a consumer's model reads it."""

    message_id: str
    type: str
    version: str
    timestamp_ms: int
    subscription: Subscription
    event: dict[str, object]


@dataclass
class LinkStats:
    """Counters shown in the console and asserted in tests."""

    frames: int = 0
    notifications: int = 0
    duplicates: int = 0
    stale: int = 0
    invalid: int = 0
    sessions: int = 0
    reconnects: int = 0
    lost: int = 0
    failed: int = 0
    revocations: list[str] = field(default_factory=list)


class EventSubListener(Protocol):
    """Who the client reports to."""

    async def on_session(self, session_id: str) -> None:
        """A new session (not a reconnect hand-over): create subscriptions, reconcile state."""
        ...

    async def on_notification(self, notification: Notification) -> None:
        """One new notification (duplicates and stale ones already dropped)."""
        ...

    async def on_revocation(self, subscription: Subscription) -> None:
        """Twitch revoked a subscription; nothing more will arrive for it."""
        ...

    def on_link(self, state: LinkState, detail: str) -> None:
        """The connection changed state."""
        ...


class _Lost(Exception):
    """The socket closed or went silent."""


class EventSubClient:
    """Keeps one EventSub session alive for as long as `run()` runs."""

    def __init__(
        self,
        url: str,
        listener: EventSubListener,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        self.url = url
        self.listener = listener
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_frame_bytes = max_frame_bytes
        self.stats = LinkStats()
        self.session_id: str | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._keepalive_s = 10.0
        self._setup: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Connect, serve, and after a loss reconnect with jittered exponential backoff; until cancelled."""
        failures = 0
        while True:
            self.listener.on_link(LinkState.CONNECTING, self.url)
            welcomed = await self._connect_and_serve()
            self.stats.lost += 1
            failures = 0 if welcomed else failures + 1
            delay = self._backoff(failures)
            self.listener.on_link(LinkState.DISCONNECTED, f"reconnecting in {delay:.1f} s")
            await self.clock.sleep(delay)

    def _backoff(self, failures: int) -> float:
        ceiling = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**failures)
        # Full jitter: many consoles dropped by one Twitch edge do not all come back in the same second.
        return self.rng.uniform(ceiling / 2, ceiling)

    async def _connect_and_serve(self) -> bool:
        try:
            ws = await connect(self.url, max_size=self.max_frame_bytes, open_timeout=WELCOME_TIMEOUT_S)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            log.warning("eventsub connect failed: %s", type(exc).__name__)
            return False
        try:
            session = await self._welcome(ws)
            if session is None:
                return False
            self.stats.sessions += 1
            self.listener.on_link(LinkState.CONNECTED, f"session {session}")
            # Subscribing runs beside the reader so keepalives and early frames are not missed.
            self._setup = asyncio.create_task(self.listener.on_session(session), name="eventsub-setup")
            await self._serve(ws)
        finally:
            if self._setup is not None and not self._setup.done():
                self._setup.cancel()
            for task in list(self._retiring):
                task.cancel()
            await ws.close()
        return True

    async def _welcome(self, ws: ClientConnection) -> str | None:
        try:
            async with asyncio.timeout(WELCOME_TIMEOUT_S):
                while True:
                    raw = await ws.recv()
                    frame = self._parse(raw)
                    if frame is not None and frame.metadata.message_type == "session_welcome":
                        payload = SessionPayload.model_validate(frame.payload)
                        self.session_id = payload.session.id
                        self._keepalive_s = float(payload.session.keepalive_timeout_seconds or 10)
                        return payload.session.id
        except (TimeoutError, websockets.WebSocketException, ValidationError) as exc:
            log.warning("no usable welcome: %s", type(exc).__name__)
            self.stats.invalid += isinstance(exc, ValidationError)
            return None

    async def _serve(self, ws: ClientConnection) -> None:
        current = ws
        while True:
            try:
                reconnect_url = await self._read(current)
            except _Lost:
                return
            # session_reconnect: open the new URL; the old socket keeps delivering until the new welcome.
            self.stats.reconnects += 1
            self.listener.on_link(LinkState.RECONNECTING, "Twitch asked to move to a new connection")
            draining = asyncio.create_task(self._drain(current))
            try:
                new = await connect(reconnect_url, max_size=self.max_frame_bytes, open_timeout=WELCOME_TIMEOUT_S)
            except (OSError, websockets.WebSocketException, TimeoutError):
                await draining
                return
            session = await self._welcome(new)
            # Retire the old socket without cutting it off: frames it already carries are still read and
            # stored while it closes, beside the new socket's reader.
            retiring = asyncio.create_task(self._retire(current, draining))
            self._retiring.add(retiring)
            retiring.add_done_callback(self._retiring.discard)
            if session is None:
                await new.close()
                return
            self.listener.on_link(LinkState.CONNECTED, f"session {session} (reconnected)")
            current = new

    async def _retire(self, old: ClientConnection, draining: asyncio.Task[None]) -> None:
        await old.close()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(draining, timeout=WELCOME_TIMEOUT_S)

    async def _drain(self, ws: ClientConnection) -> None:
        with contextlib.suppress(_Lost):
            while True:
                await self._read(ws)

    async def _read(self, ws: ClientConnection) -> str:
        """Handle frames until a session_reconnect (returns its URL); raise `_Lost` when the link dies."""
        while True:
            try:
                async with asyncio.timeout(self._keepalive_s + KEEPALIVE_SLACK_S):
                    raw = await ws.recv()
            except TimeoutError:
                log.warning("no keepalive within %.0f s; reconnecting", self._keepalive_s)
                raise _Lost() from None
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
                if exc.sent is not None and exc.sent.code == 1009:
                    # We closed it: a frame over our size limit. Counted; the reconnect follows.
                    code = 1009
                    self.stats.invalid += 1
                    log.warning("an eventsub frame exceeded %d bytes", self.max_frame_bytes)
                log.log(
                    logging.INFO if code == 1000 else logging.WARNING,
                    "eventsub socket closed (code %s)",
                    code,
                )
                raise _Lost() from None
            # Shielded: when a reconnect hand-over stops reading the old socket, a frame being stored
            # finishes instead of being cut off half-way.
            url = await asyncio.shield(self._handle(raw))
            if url is not None:
                return url

    def _parse(self, raw: str | bytes) -> Frame | None:
        self.stats.frames += 1
        try:
            return Frame.model_validate_json(raw)
        except ValidationError as exc:
            self.stats.invalid += 1
            log.warning("ignored a malformed eventsub frame: %s", exc.errors()[0]["msg"])
            return None

    async def _handle(self, raw: str | bytes) -> str | None:
        frame = self._parse(raw)
        if frame is None:
            return None
        kind = frame.metadata.message_type
        if kind == "session_keepalive":
            return None
        if kind == "session_reconnect":
            try:
                url = SessionPayload.model_validate(frame.payload).session.reconnect_url
            except ValidationError:
                self.stats.invalid += 1
                return None
            return url
        if kind not in ("notification", "revocation"):
            if kind != "session_welcome":
                self.stats.invalid += 1
                log.warning("ignored an eventsub frame of unknown type %r", kind[:40])
            return None
        mid = frame.metadata.message_id
        if mid in self._seen:
            self.stats.duplicates += 1
            return None
        ts_ms = int(frame.metadata.message_timestamp.timestamp() * 1000)
        if self.clock.now_ms() - ts_ms > MAX_AGE_MS:
            self.stats.stale += 1
            log.warning("dropped an eventsub message older than 10 minutes")
            return None
        try:
            payload = NotificationPayload.model_validate(frame.payload)
        except ValidationError as exc:
            self.stats.invalid += 1
            log.warning("ignored an eventsub %s without a usable payload: %s", kind, exc.errors()[0]["msg"])
            return None
        self._remember(mid)
        try:
            if kind == "revocation":
                self.stats.revocations.append(payload.subscription.type)
                await self.listener.on_revocation(payload.subscription)
                return None
            self.stats.notifications += 1
            await self.listener.on_notification(
                Notification(
                    message_id=mid,
                    type=payload.subscription.type,
                    version=payload.subscription.version,
                    timestamp_ms=ts_ms,
                    subscription=payload.subscription,
                    event=payload.event,
                )
            )
        except Exception:
            # A bug downstream must not stop the socket; forget the id so a resend can still be stored.
            self._seen.pop(mid, None)
            self.stats.failed += 1
            log.exception("handling eventsub message %s failed", mid)
        return None

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        while len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
