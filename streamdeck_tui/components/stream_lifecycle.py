"""StreamLifecycle: is the channel live, since when, with how many viewers (polled every 60 s while live)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from ..runtime.component import Component, TxContext
from ..runtime.events import DomainEvent, deterministic_event_id
from ..runtime.result import Err, Result, TaggedError

POLL_TIMER: Final = "viewer_poll"
POLL_INTERVAL_MS: Final = 60_000

log = logging.getLogger("streamdeck_tui.stream_lifecycle")


@dataclass(frozen=True, slots=True)
class LiveStream:
    """What Helix says about a live stream."""

    stream_id: str
    started_ms: int
    viewers: int
    title: str = ""


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    """The stream state as the console shows it."""

    live: bool
    stream_id: str | None
    started_ms: int | None
    ended_ms: int | None
    viewers: int
    title: str


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One past or current stream."""

    stream_id: str
    started_ms: int
    ended_ms: int | None
    peak: int
    average: float | None
    samples: int
    title: str


# Returns the live stream, None when offline, or why it could not tell.
StreamSource = Callable[[], Awaitable[Result[LiveStream | None, TaggedError]]]


class StreamLifecycle(Component):
    """Transitions from EventSub and Helix; stale transitions (older than the last applied) change nothing."""

    name = "stream_lifecycle"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source: StreamSource | None = None
        self._polling: asyncio.Task[None] | None = None
        self.polls = 0

    def attach_source(self, source: StreamSource) -> None:
        """Where viewer counts and reconciliation come from (Helix Get Streams)."""
        self._source = source

    async def on_start(self) -> None:
        """Rebuild the poll timer from the state row: live means a poll is due."""
        async with self.unit_of_work() as tx:
            row = await self._row(tx)
            has_timer = await tx.fetch_one("SELECT 1 FROM timers WHERE key = ?", (POLL_TIMER,))
            if row["status"] == "live" and has_timer is None:
                await tx.schedule(POLL_TIMER, self.clock.now_ms())

    async def on_stop(self) -> None:
        """Stop a poll in flight."""
        if self._polling is not None:
            self._polling.cancel()

    async def snapshot(self) -> StreamSnapshot:
        """Current state."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT * FROM stream_state WHERE id = 1")
        assert row is not None
        return StreamSnapshot(
            live=row["status"] == "live",
            stream_id=row["stream_id"],
            started_ms=row["started_ms"],
            ended_ms=row["ended_ms"],
            viewers=int(row["viewer_count"]),
            title=str(row["title"]),
        )

    async def sessions(self, limit: int = 50) -> list[SessionSummary]:
        """Stream sessions, newest first, with peak and average viewers."""
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT s.stream_id, s.started_ms, s.ended_ms, s.peak, s.title, AVG(v.viewers) AS average, "
                "COUNT(v.viewers) AS samples FROM stream_sessions s "
                "LEFT JOIN viewer_samples v ON v.stream_id = s.stream_id "
                "GROUP BY s.stream_id ORDER BY s.started_ms DESC LIMIT ?",
                (limit,),
            )
        return [
            SessionSummary(
                stream_id=str(r["stream_id"]),
                started_ms=int(r["started_ms"]),
                ended_ms=r["ended_ms"],
                peak=int(r["peak"]),
                average=None if r["average"] is None else float(r["average"]),
                samples=int(r["samples"]),
                title=str(r["title"]),
            )
            for r in rows
        ]

    async def samples(self, stream_id: str) -> list[tuple[int, int]]:
        """(time, viewers) samples of one session, oldest first."""
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT at_ms, viewers FROM viewer_samples WHERE stream_id = ? ORDER BY at_ms", (stream_id,)
            )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def _row(self, tx: Any) -> Any:
        row = await tx.fetch_one("SELECT * FROM stream_state WHERE id = 1")
        assert row is not None
        return row

    async def went_online(self, stream_id: str, started_ms: int, event_ms: int) -> bool:
        """stream.online: False when it is stale or a duplicate."""
        async with self.unit_of_work() as tx:
            row = await self._row(tx)
            if event_ms <= int(row["last_event_ms"]) or (row["status"] == "live" and row["stream_id"] == stream_id):
                return False
            await self._set_live(tx, LiveStream(stream_id, started_ms, int(row["viewer_count"])), event_ms)
            return True

    async def went_offline(self, event_ms: int) -> bool:
        """stream.offline: False when it is stale or the channel is already offline."""
        async with self.unit_of_work() as tx:
            row = await self._row(tx)
            if event_ms <= int(row["last_event_ms"]) or row["status"] == "offline":
                return False
            await self._set_offline(tx, str(row["stream_id"]), event_ms)
            return True

    async def reconcile(self, stream: LiveStream | None) -> None:
        """Apply what Helix says now (start-up, after a lost EventSub connection)."""
        now = self.clock.now_ms()
        async with self.unit_of_work() as tx:
            row = await self._row(tx)
            if stream is not None and not (row["status"] == "live" and row["stream_id"] == stream.stream_id):
                await self._set_live(tx, stream, now)
            elif stream is not None:
                await self._record_viewers(tx, stream.stream_id, stream.viewers, now)
            elif stream is None and row["status"] == "live":
                await self._set_offline(tx, str(row["stream_id"]), now)

    async def _set_live(self, tx: TxContext, stream: LiveStream, event_ms: int) -> None:
        row = await self._row(tx)
        if row["status"] == "live" and row["stream_id"] != stream.stream_id:
            # A new stream while another looked live: the offline was missed; close the old session.
            await self._set_offline(tx, str(row["stream_id"]), max(event_ms, int(row["started_ms"])))
        await tx.execute(
            "INSERT INTO stream_sessions (stream_id, started_ms, peak, title) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (stream_id) DO UPDATE SET ended_ms = NULL",
            (stream.stream_id, stream.started_ms, stream.viewers, stream.title),
        )
        await tx.execute(
            "UPDATE stream_state SET status = 'live', stream_id = ?, started_ms = ?, ended_ms = NULL, "
            "viewer_count = ?, title = ?, last_event_ms = ?, updated_ms = ? WHERE id = 1",
            (
                stream.stream_id,
                stream.started_ms,
                stream.viewers,
                stream.title,
                event_ms,
                self.clock.now_ms(),
            ),
        )
        await tx.publish(
            DomainEvent(
                id=deterministic_event_id("stream_online", stream.stream_id),
                type="stream_online",
                source=self.name,
                occurred_ms=event_ms,
                payload={"streamId": stream.stream_id, "startedAt": stream.started_ms},
            )
        )
        await tx.schedule(POLL_TIMER, self.clock.now_ms() + POLL_INTERVAL_MS)

    async def _set_offline(self, tx: TxContext, stream_id: str, event_ms: int) -> None:
        await tx.execute(
            "UPDATE stream_sessions SET ended_ms = MAX(started_ms, ?) WHERE stream_id = ?",
            (event_ms, stream_id),
        )
        await tx.execute(
            "UPDATE stream_state SET status = 'offline', ended_ms = ?, last_event_ms = ?, updated_ms = ? WHERE id = 1",
            (event_ms, event_ms, self.clock.now_ms()),
        )
        await tx.publish(
            DomainEvent(
                id=deterministic_event_id("stream_offline", stream_id),
                type="stream_offline",
                source=self.name,
                occurred_ms=event_ms,
                payload={"streamId": stream_id, "endedAt": event_ms},
            )
        )
        await tx.cancel(POLL_TIMER)

    async def _record_viewers(self, tx: TxContext, stream_id: str, viewers: int, at_ms: int) -> None:
        await tx.execute("UPDATE stream_state SET viewer_count = ?, updated_ms = ? WHERE id = 1", (viewers, at_ms))
        await tx.execute("UPDATE stream_sessions SET peak = MAX(peak, ?) WHERE stream_id = ?", (viewers, stream_id))
        await tx.execute(
            "INSERT INTO viewer_samples (stream_id, at_ms, viewers) VALUES (?, ?, ?) "
            "ON CONFLICT DO UPDATE SET viewers = excluded.viewers",
            (stream_id, at_ms, viewers),
        )
        await tx.publish(
            DomainEvent(
                id=deterministic_event_id("viewer_count", stream_id, str(at_ms)),
                type="viewer_count",
                source=self.name,
                occurred_ms=at_ms,
                payload={"streamId": stream_id, "viewers": viewers},
            )
        )

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """The poll is due: run it outside the gate; it reschedules itself only when it has finished."""
        if key == POLL_TIMER and (self._polling is None or self._polling.done()):
            self._polling = asyncio.create_task(self._poll(), name="viewer-poll")

    async def _poll(self) -> None:
        if self._source is None:
            return
        self.polls += 1
        result = await self._source()
        async with self.unit_of_work() as tx:
            row = await self._row(tx)
            if row["status"] != "live":
                return
            if isinstance(result, Err):
                log.warning("viewer poll failed: %s", result.error.message())
            elif result.value is None:
                # Helix says offline although no stream.offline arrived: trust the poll.
                await self._set_offline(tx, str(row["stream_id"]), self.clock.now_ms())
                return
            elif result.value.stream_id == row["stream_id"]:
                await self._record_viewers(tx, result.value.stream_id, result.value.viewers, self.clock.now_ms())
            await tx.schedule(POLL_TIMER, self.clock.now_ms() + POLL_INTERVAL_MS)
