"""EventSubInbox: every notification is stored before it is processed, then processed from the table."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from ..runtime.component import Component, TxContext
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.eventsub import Notification
from ..twitch.models import Subscription

DRAIN_TIMER: Final = "drain"
MAX_ATTEMPTS: Final = 20
MAX_AGE_MS: Final = 10 * 60 * 1000
RETENTION_MS: Final = 24 * 3600 * 1000
BATCH: Final = 50

log = logging.getLogger("streamdeck_tui.inbox")

Processor = Callable[[Notification], Awaitable[Result[None, TaggedError]]]


def retry_delay_s(attempts: int) -> int:
    """2 s after the first failure, doubling to 512 s."""
    return int(2 ** min(max(attempts, 1), 9))


@dataclass(frozen=True, slots=True)
class StaleMessage(TaggedError):
    """Older (or further in the future) than the 10-minute replay window."""

    tag = "StaleMessage"
    message_id: str
    age_s: int


@dataclass(frozen=True, slots=True)
class ConflictingMessage(TaggedError):
    """The same message id arrived with different content."""

    tag = "ConflictingMessage"
    message_id: str


@dataclass(frozen=True, slots=True)
class NoSuchMessage(TaggedError):
    """No dead letter with that id."""

    tag = "NoSuchMessage"
    message_id: str


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A stored notification as the console lists it."""

    message_id: str
    type: str
    message_ms: int
    status: str
    attempts: int
    last_error: str | None


class EventSubInbox(Component):
    """Durable, deduplicated ingress; a processor (the router) is attached by the engine."""

    name = "eventsub_inbox"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._processor: Processor | None = None
        self._draining: asyncio.Task[None] | None = None
        self._again = False
        self.accepted = 0
        self.duplicates = 0
        self.refused = 0

    def attach_processor(self, processor: Processor) -> None:
        """Who handles a stored notification (it must be idempotent: a crash may repeat one)."""
        self._processor = processor

    async def on_start(self) -> None:
        """Pending rows are the truth: make sure a drain is scheduled for them."""
        async with self.unit_of_work() as tx:
            await self._schedule_next(tx)

    async def on_stop(self) -> None:
        """Stop a drain in flight (its message stays pending)."""
        if self._draining is not None:
            self._draining.cancel()

    async def accept(self, n: Notification) -> Result[bool, StaleMessage | ConflictingMessage]:
        """Store `n` (True), drop a duplicate (False), refuse a stale or conflicting one."""
        now = self.clock.now_ms()
        if abs(now - n.timestamp_ms) > MAX_AGE_MS:
            self.refused += 1
            return Err(StaleMessage(n.message_id, (now - n.timestamp_ms) // 1000))
        subscription = n.subscription.model_dump_json()
        event = json.dumps(n.event, sort_keys=True, separators=(",", ":"))

        async def work(tx: TxContext) -> Result[bool, StaleMessage | ConflictingMessage]:
            row = await tx.fetch_one("SELECT type, event FROM inbox WHERE message_id = ?", (n.message_id,))
            if row is not None:
                if row["type"] != n.type or row["event"] != event:
                    return Err(ConflictingMessage(n.message_id))
                return Ok(False)
            seq_row = await tx.fetch_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM inbox")
            assert seq_row is not None
            await tx.execute(
                "INSERT INTO inbox (message_id, seq, type, version, message_ms, received_ms, subscription, "
                "event, status, attempts, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
                (n.message_id, seq_row[0], n.type, n.version, n.timestamp_ms, now, subscription, event, now),
            )
            await tx.schedule(DRAIN_TIMER, now)
            return Ok(True)

        result = await self.transact(work)
        if isinstance(result, Ok):
            if result.value:
                self.accepted += 1
            else:
                self.duplicates += 1
        else:
            self.refused += 1
            log.warning("refused eventsub message: %s", result.error.message())
        return result

    # -- processing ------------------------------------------------------------------------------------------

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """Drain outside the gate; one drain at a time, told to look again if one is running."""
        if key != DRAIN_TIMER:
            return
        if self._draining is not None and not self._draining.done():
            self._again = True
            return
        self._draining = asyncio.create_task(self._drain(), name="inbox-drain")

    async def drain_now(self) -> None:
        """Process everything due (tests and the console's retry)."""
        if self._draining is not None and not self._draining.done():
            self._again = True
            await self._draining
        self._draining = asyncio.create_task(self._drain(), name="inbox-drain")
        await self._draining

    async def _drain(self) -> None:
        while True:
            self._again = False
            async with self.reading() as r:
                rows = await r.fetch_all(
                    "SELECT * FROM inbox WHERE status = 'pending' AND next_attempt_ms <= ? ORDER BY seq LIMIT ?",
                    (self.clock.now_ms(), BATCH),
                )
            for row in rows:
                await self._process(row)
            if not rows and not self._again:
                break
        async with self.unit_of_work() as tx:
            await tx.execute(
                "DELETE FROM inbox WHERE status = 'completed' AND completed_ms < ?",
                (self.clock.now_ms() - RETENTION_MS,),
            )
            await self._schedule_next(tx)

    async def _process(self, row: Any) -> None:
        error: str | None
        try:
            notification = Notification(
                message_id=str(row["message_id"]),
                type=str(row["type"]),
                version=str(row["version"]),
                timestamp_ms=int(row["message_ms"]),
                subscription=Subscription.model_validate_json(row["subscription"]),
                event=json.loads(row["event"]),
            )
            if self._processor is None:
                error = "no processor attached"
            else:
                result = await self._processor(notification)
                error = result.error.message()[:300] if isinstance(result, Err) else None
        except Exception as exc:
            log.exception("processing eventsub message %s failed", row["message_id"])
            error = f"bug: {type(exc).__name__}"
        attempts = int(row["attempts"]) + 1
        now = self.clock.now_ms()
        async with self.unit_of_work() as tx:
            if error is None:
                await tx.execute(
                    "UPDATE inbox SET status = 'completed', attempts = ?, completed_ms = ?, "
                    "last_error = NULL WHERE message_id = ?",
                    (attempts, now, row["message_id"]),
                )
            elif attempts >= MAX_ATTEMPTS:
                log.error("eventsub message %s is a dead letter: %s", row["message_id"], error)
                await tx.execute(
                    "UPDATE inbox SET status = 'dead', attempts = ?, last_error = ? WHERE message_id = ?",
                    (attempts, error, row["message_id"]),
                )
            else:
                await tx.execute(
                    "UPDATE inbox SET attempts = ?, last_error = ?, next_attempt_ms = ? WHERE message_id = ?",
                    (attempts, error, now + retry_delay_s(attempts) * 1000, row["message_id"]),
                )

    async def _schedule_next(self, tx: TxContext) -> None:
        row = await tx.fetch_one("SELECT MIN(next_attempt_ms) FROM inbox WHERE status = 'pending'")
        if row is not None and row[0] is not None:
            await tx.schedule(DRAIN_TIMER, int(row[0]))
        else:
            await tx.cancel(DRAIN_TIMER)

    # -- the console's view ----------------------------------------------------------------------------------

    async def items(self, status: str) -> list[InboxItem]:
        """Messages in one state, newest first (at most 200)."""
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT message_id, type, message_ms, status, attempts, last_error FROM inbox "
                "WHERE status = ? ORDER BY seq DESC LIMIT 200",
                (status,),
            )
        return [
            InboxItem(
                str(r["message_id"]),
                str(r["type"]),
                int(r["message_ms"]),
                str(r["status"]),
                int(r["attempts"]),
                r["last_error"],
            )
            for r in rows
        ]

    async def retry(self, message_id: str) -> Result[None, NoSuchMessage]:
        """Give a dead letter another round of attempts."""

        async def work(tx: TxContext) -> Result[None, NoSuchMessage]:
            changed = await tx.execute(
                "UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_ms = ? "
                "WHERE message_id = ? AND status = 'dead'",
                (self.clock.now_ms(), message_id),
            )
            if not changed:
                return Err(NoSuchMessage(message_id))
            await tx.schedule(DRAIN_TIMER, self.clock.now_ms())
            return Ok(None)

        return await self.transact(work)

    async def discard(self, message_id: str) -> Result[None, NoSuchMessage]:
        """Drop a dead letter for good."""

        async def work(tx: TxContext) -> Result[None, NoSuchMessage]:
            changed = await tx.execute("DELETE FROM inbox WHERE message_id = ? AND status = 'dead'", (message_id,))
            return Ok(None) if changed else Err(NoSuchMessage(message_id))

        return await self.transact(work)
