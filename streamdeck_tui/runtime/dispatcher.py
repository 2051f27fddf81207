"""Delivers each component's outbox events at least once to every subscriber, in order, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from .clock import Clock
from .component import Component
from .events import DomainEvent
from .result import Err, Result

log = logging.getLogger("streamdeck_tui.dispatcher")

MAX_ATTEMPTS: Final = 10
RETRY_BASE_S: Final = 1.0
RETRY_MAX_S: Final = 300.0
BATCH: Final = 100

Handler = Callable[[DomainEvent], Awaitable[Result[Any, Any]]]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A named consumer of some event types (None: all types)."""

    name: str
    handler: Handler
    types: frozenset[str] | None = None


def retry_delay_s(attempts: int) -> float:
    """Backoff after `attempts` failed deliveries: 1 s doubling, capped at 5 minutes."""
    return float(min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1)))


class Dispatcher:
    """One task that drains every source's outbox; each (event, subscriber) has its own delivery state.

    Delivery state lives beside the outbox in the source's file, so a crash between a subscriber's
    commit and our record means one more delivery, which the subscriber drops by event id.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._sources: list[Component] = []
        self._subs: list[Subscription] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0

    def add_source(self, component: Component) -> None:
        """Drain this component's outbox."""
        self._sources.append(component)

    def subscribe(self, name: str, handler: Handler, types: Iterable[str] | None = None) -> None:
        """Deliver events (of `types`, or all) to `handler`; `name` must be stable across restarts."""
        if any(s.name == name for s in self._subs):
            raise ValueError(f"subscriber {name!r} registered twice")
        self._subs.append(Subscription(name, handler, None if types is None else frozenset(types)))
        self.notify()

    def notify(self) -> None:
        """Something was published: run a pass soon."""
        self._wakeup.set()

    def start(self) -> None:
        """Start the delivery task (overdue deliveries go out at once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dispatcher")

    async def stop(self) -> None:
        """Stop delivering; what is undelivered stays in the outboxes for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                next_due = await self.run_once()
            except Exception:
                log.exception("dispatcher pass failed")
                next_due = self.clock.now_ms() + int(RETRY_BASE_S * 1000)
            waiter = asyncio.create_task(self._wakeup.wait())
            tasks: set[asyncio.Task[Any]] = {waiter}
            if next_due is not None:
                tasks.add(asyncio.create_task(self.clock.sleep_until(next_due)))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in tasks:
                    t.cancel()

    async def run_once(self) -> int | None:
        """Deliver everything due now; return when the next retry is due (None: nothing waits)."""
        next_due: int | None = None
        for source in self._sources:
            for sub in self._subs:
                due = await self._drain(source, sub)
                if due is not None:
                    next_due = due if next_due is None else min(next_due, due)
        return next_due

    async def _drain(self, source: Component, sub: Subscription) -> int | None:
        while True:
            rows = await self._pending(source, sub)
            if not rows:
                return None
            for row in rows:
                attempts = int(row["attempts"] or 0)
                due = int(row["next_attempt_ms"] or 0)
                if due > self.clock.now_ms():
                    return due
                event = DomainEvent(
                    id=str(row["event_id"]),
                    type=str(row["type"]),
                    source=source.name,
                    occurred_ms=int(row["occurred_ms"]),
                    payload=json.loads(row["payload"]),
                    v=int(row["v"]),
                )
                ok, error = await self._deliver(sub, event)
                if ok:
                    await self._record(source, sub, event.id, "delivered", attempts + 1, 0, None)
                    self.delivered += 1
                    continue
                self.failed += 1
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    log.error("event %s to %s dead after %d attempts: %s", event.id, sub.name, attempts, error)
                    await self._record(source, sub, event.id, "dead", attempts, 0, error)
                    continue
                retry_at = self.clock.now_ms() + int(retry_delay_s(attempts) * 1000)
                await self._record(source, sub, event.id, "pending", attempts, retry_at, error)
                # Later events wait behind this one so each subscriber sees a source's events in order.
                return retry_at
            if len(rows) < BATCH:
                return None

    async def _pending(self, source: Component, sub: Subscription) -> list[Any]:
        where_type = ""
        params: list[Any] = [sub.name]
        if sub.types is not None:
            where_type = f" AND o.type IN ({','.join('?' * len(sub.types))})"
            params.extend(sorted(sub.types))
        async with source.reading() as r:
            return await r.fetch_all(
                "SELECT o.event_id, o.type, o.v, o.occurred_ms, o.payload, d.attempts, d.next_attempt_ms "
                "FROM outbox o LEFT JOIN outbox_deliveries d ON d.event_id = o.event_id AND d.subscriber = ? "
                f"WHERE (d.state IS NULL OR d.state = 'pending'){where_type} ORDER BY o.seq LIMIT {BATCH}",
                params,
            )

    async def _deliver(self, sub: Subscription, event: DomainEvent) -> tuple[bool, str | None]:
        try:
            result = await sub.handler(event)
        except Exception as exc:
            log.exception("subscriber %s raised on event %s", sub.name, event.id)
            return False, f"{type(exc).__name__}"
        if isinstance(result, Err):
            return False, str(result.error)[:500]
        return True, None

    async def _record(
        self,
        source: Component,
        sub: Subscription,
        event_id: str,
        state: str,
        attempts: int,
        next_ms: int,
        error: str | None,
    ) -> None:
        async with source.unit_of_work() as tx:
            await tx.execute(
                "INSERT INTO outbox_deliveries "
                "(event_id, subscriber, state, attempts, next_attempt_ms, last_error, updated_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, subscriber) DO UPDATE SET "
                "state = excluded.state, attempts = excluded.attempts, "
                "next_attempt_ms = excluded.next_attempt_ms, last_error = excluded.last_error, "
                "updated_ms = excluded.updated_ms",
                (event_id, sub.name, state, attempts, next_ms, error, self.clock.now_ms()),
            )
