"""The component base: one SQLite file, an input gate, persisted timers and an outbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Final, TypeVar

from .clock import Clock
from .events import DomainEvent
from .migrations import RUNTIME_SCOPE, MigrationError, discover, migrate
from .result import Err, Ok, Result, TaggedError
from .storage import Database, StorageError, Tx

T = TypeVar("T")
E = TypeVar("E")

TIMER_RETRY_BASE_S: Final = 5.0
TIMER_RETRY_MAX_S: Final = 600.0


class Health(StrEnum):
    """Where a component is in its life."""

    STOPPED = "stopped"
    STARTING = "starting"
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """A component's health and, when not healthy, why."""

    state: Health
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ComponentContext:
    """What every component is built with."""

    data_dir: Path
    clock: Clock
    migrations_root: Path
    on_committed: Callable[[Sequence[DomainEvent]], None] = lambda events: None


StartError = StorageError | MigrationError


class _RollbackWith(Exception):
    """Carries an `Err` out of a transaction so it rolls back; never escapes `transact`."""

    def __init__(self, result: Err[Any]) -> None:
        super().__init__("rollback")
        self.result = result


class TxContext(Tx):
    """A write transaction that can also publish events and schedule timers atomically with its rows."""

    def __init__(self, tx: Tx, component: Component) -> None:
        self.__dict__.update(tx.__dict__)
        self._component = component

    async def publish(self, event: DomainEvent) -> bool:
        """Append `event` to the outbox; False when an event with this id was already published."""
        changed = await self.execute(
            "INSERT INTO outbox (event_id, type, v, occurred_ms, payload, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (
                event.id,
                event.type,
                event.v,
                event.occurred_ms,
                event.payload_json(),
                self._component.clock.now_ms(),
            ),
        )
        if changed:
            self.published.append(event)
        return changed > 0

    async def schedule(self, key: str, due_ms: int, payload: dict[str, Any] | None = None) -> None:
        """Set the timer `key` to fire at `due_ms` (replacing an earlier schedule of the same key)."""
        await self.execute(
            "INSERT INTO timers (key, due_ms, payload, attempts, created_ms) VALUES (?, ?, ?, 0, ?) "
            "ON CONFLICT (key) DO UPDATE SET due_ms = excluded.due_ms, payload = excluded.payload, "
            "attempts = 0, last_error = NULL",
            (key, due_ms, json.dumps(payload or {}), self._component.clock.now_ms()),
        )
        self.timers_changed = True

    async def cancel(self, key: str) -> bool:
        """Remove the timer `key`; False when there was none."""
        changed = await self.execute("DELETE FROM timers WHERE key = ?", (key,))
        self.timers_changed = True
        return changed > 0


class Component:
    """An actor with its own SQLite file; its public methods run one unit of work at a time."""

    name: ClassVar[str] = "component"
    # Components that share one schema (the two token components) name a common migrations folder.
    migration_scope: ClassVar[str | None] = None

    def __init__(self, ctx: ComponentContext) -> None:
        self.ctx = ctx
        self.clock = ctx.clock
        self.log = logging.getLogger(f"streamdeck_tui.{self.name}")
        self._db: Database | None = None
        self._gate = asyncio.Lock()
        self._gate_owner: asyncio.Task[Any] | None = None
        self._open_tx: TxContext | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_wakeup = asyncio.Event()
        self._health = HealthStatus(Health.STOPPED)

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        """This component's database file."""
        return self.ctx.data_dir / f"{self.name}.sqlite3"

    @property
    def health(self) -> HealthStatus:
        """Current health."""
        return self._health

    def set_health(self, state: Health, detail: str = "") -> None:
        """Record a health change (logged when it changes)."""
        new = HealthStatus(state, detail)
        if new != self._health:
            level = logging.INFO if state in (Health.HEALTHY, Health.STOPPED, Health.STARTING) else logging.WARNING
            self.log.log(level, "health %s%s", state.value, f": {detail}" if detail else "")
        self._health = new

    async def start(self) -> Result[None, StartError]:
        """Open the file, apply migrations, restore state, then start the timer loop."""
        self.set_health(Health.STARTING)
        opened = await Database.open(self.db_path)
        if isinstance(opened, Err):
            self.set_health(Health.FAILED, opened.error.message())
            return opened
        self._db = opened.value
        plan = []
        for scope in (RUNTIME_SCOPE, self.migration_scope or self.name):
            found = discover(self.ctx.migrations_root / scope, scope)
            if isinstance(found, Err):
                return await self._fail_start(found)
            plan.append((scope, found.value))
        migrated = await migrate(self._db, plan, self.clock)
        if isinstance(migrated, Err):
            return await self._fail_start(migrated)
        for m in migrated.value:
            self.log.info("applied migration %s/%04d_%s", m.scope, m.version, m.name)
        await self.on_start()
        self._timer_task = asyncio.create_task(self._timer_loop(), name=f"{self.name}-timers")
        if self._health.state is Health.STARTING:
            # on_start may already have said why the component is degraded (keyring locked, login needed).
            self.set_health(Health.HEALTHY)
        return Ok(None)

    async def _fail_start(self, err: Err[E]) -> Err[E]:
        assert self._db is not None
        await self._db.close()
        self._db = None
        message = err.error.message() if isinstance(err.error, TaggedError) else str(err.error)
        self.set_health(Health.FAILED, message)
        return err

    async def stop(self) -> None:
        """Stop the timer loop, let the unit of work in flight finish, close the file."""
        if self._timer_task is not None:
            self._timer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer_task
            self._timer_task = None
        async with self._gate:
            await self.on_stop()
            if self._db is not None:
                await self._db.close()
                self._db = None
        self.set_health(Health.STOPPED)

    async def on_start(self) -> None:
        """Hook: load state after migrations, before timers run and before any call is served."""

    async def on_stop(self) -> None:
        """Hook: release resources; runs inside the gate before the file closes."""

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """Hook: a persisted timer fired; runs inside the same transaction that removes it."""
        self.log.warning("timer %s fired but %s has no on_timer", key, self.name)

    # -- the input gate --------------------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The open database (a bug to use before `start`)."""
        if self._db is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._db

    @contextlib.asynccontextmanager
    async def gate(self) -> AsyncIterator[None]:
        """Hold the input gate; re-entrant for the task already holding it."""
        task = asyncio.current_task()
        if task is not None and self._gate_owner is task:
            yield
            return
        async with self._gate:
            self._gate_owner = task
            try:
                yield
            finally:
                self._gate_owner = None

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[TxContext]:
        """Gate + `BEGIN IMMEDIATE`; nested use joins the open transaction. Commits on normal exit."""
        async with self.gate():
            if self._open_tx is not None:
                yield self._open_tx
                return
            async with self.db.write() as raw:
                tx = TxContext(raw, self)
                self._open_tx = tx
                try:
                    yield tx
                finally:
                    self._open_tx = None
            if tx.published:
                self.ctx.on_committed(tx.published)
            if tx.timers_changed:
                self._timer_wakeup.set()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """Gate only: reads that must not see another coroutine's uncommitted rows."""
        async with self.gate():
            yield self._open_tx if self._open_tx is not None else self.db.view()

    async def transact(self, work: Callable[[TxContext], Awaitable[Result[T, E]]]) -> Result[T, E]:
        """Run `work` as one unit: commit on `Ok`, roll back on `Err` or exception."""
        try:
            async with self.unit_of_work() as tx:
                result = await work(tx)
                if isinstance(result, Err):
                    raise _RollbackWith(result)
                return result
        except _RollbackWith as rb:
            return rb.result

    async def consume(
        self, event: DomainEvent, apply: Callable[[TxContext, DomainEvent], Awaitable[Result[None, E]]]
    ) -> Result[bool, E]:
        """Apply `event` once in effect: a receipt is written with the change; a repeat returns Ok(False)."""

        async def work(tx: TxContext) -> Result[bool, E]:
            seen = await tx.fetch_one("SELECT 1 FROM event_receipts WHERE event_id = ?", (event.id,))
            if seen is not None:
                return Ok(False)
            applied = await apply(tx, event)
            if isinstance(applied, Err):
                return applied
            await tx.execute(
                "INSERT INTO event_receipts (event_id, type, received_ms) VALUES (?, ?, ?)",
                (event.id, event.type, self.clock.now_ms()),
            )
            return Ok(True)

        return await self.transact(work)

    # -- persisted timers ------------------------------------------------------------------------------------

    async def _next_timer(self) -> tuple[str, int] | None:
        async with self.reading() as r:
            row = await r.fetch_one("SELECT key, due_ms FROM timers ORDER BY due_ms, key LIMIT 1")
        return None if row is None else (str(row["key"]), int(row["due_ms"]))

    async def _timer_loop(self) -> None:
        while True:
            self._timer_wakeup.clear()
            nxt = await self._next_timer()
            if nxt is None or nxt[1] > self.clock.now_ms():
                await self._wait_for_wakeup(None if nxt is None else nxt[1])
                continue
            await self._fire(nxt[0])

    async def _wait_for_wakeup(self, due_ms: int | None) -> None:
        waiter = asyncio.create_task(self._timer_wakeup.wait())
        tasks: set[asyncio.Task[Any]] = {waiter}
        if due_ms is not None:
            tasks.add(asyncio.create_task(self.clock.sleep_until(due_ms)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()

    async def _fire(self, key: str) -> None:
        try:
            async with self.unit_of_work() as tx:
                row = await tx.fetch_one("SELECT due_ms, payload FROM timers WHERE key = ?", (key,))
                if row is None or int(row["due_ms"]) > self.clock.now_ms():
                    return
                await tx.execute("DELETE FROM timers WHERE key = ?", (key,))
                await self.on_timer(tx, key, json.loads(row["payload"]))
        except Exception as exc:
            # A bug in one handler must not stop the other timers: retry later with backoff.
            self.log.exception("timer %s failed", key)
            self.set_health(Health.DEGRADED, f"timer {key} failed: {type(exc).__name__}")
            async with self.unit_of_work() as tx:
                row = await tx.fetch_one("SELECT attempts FROM timers WHERE key = ?", (key,))
                attempts = 0 if row is None else int(row["attempts"])
                backoff = min(TIMER_RETRY_MAX_S, TIMER_RETRY_BASE_S * 2**attempts)
                await tx.execute(
                    "UPDATE timers SET attempts = attempts + 1, due_ms = ?, last_error = ? WHERE key = ?",
                    (self.clock.now_ms() + int(backoff * 1000), type(exc).__name__, key),
                )
