"""WorkflowPool: durable runs, warm executors per workflow type, bounded and ordered concurrency."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ..runtime.component import Component, TxContext
from ..runtime.result import Err, Ok, Result, TaggedError
from ..workflows.context import encode_params
from ..workflows.journal import Journal, RunRow
from ..workflows.model import RunStatus, Workflow
from ..workflows.runner import execute

DEFAULT_WARM: Final = 3
DEFAULT_CONCURRENCY: Final = 4
WARM_TTL_MS: Final = 5 * 60 * 1000

log = logging.getLogger("streamdeck_tui.workflow_pool")

# What a first step needs, made ready ahead of time (a checked token, an open connection).
Prepare = Callable[[], Awaitable[Result[Any, TaggedError]]]


@dataclass(frozen=True, slots=True)
class InvalidParams(TaggedError):
    """The params do not fit the workflow; nothing was stored."""

    tag = "InvalidParams"
    workflow: str
    detail: str


@dataclass(frozen=True, slots=True)
class UnknownWorkflow(TaggedError):
    """No workflow of that type is registered."""

    tag = "UnknownWorkflow"
    workflow: str


@dataclass(frozen=True, slots=True)
class NotResolvable(TaggedError):
    """Only OUTCOME_UNKNOWN runs take a person's decision."""

    tag = "NotResolvable"
    run_id: str
    status: str


@dataclass(frozen=True, slots=True)
class PoolStatus:
    """Per workflow type, for the console."""

    warm: int
    busy: int
    queued: int


@dataclass
class _Warm:
    prepared_ms: int


class WorkflowPool(Component):
    """Starts and resumes runs; keeps `warm` prepared executors per type so a start skips the preparation."""

    name = "workflow_pool"

    def __init__(
        self, *args: Any, warm: int = DEFAULT_WARM, concurrency: int = DEFAULT_CONCURRENCY, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.journal = Journal(self)
        self.warm_target = warm
        self._workflows: dict[str, Workflow] = {}
        self._prepare: dict[str, Prepare] = {}
        self._warm: dict[str, list[_Warm]] = defaultdict(list)
        self._refilling: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._order_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._busy: dict[str, int] = defaultdict(int)
        self._queued: dict[str, int] = defaultdict(int)
        self._active: dict[str, asyncio.Task[RunStatus]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.warm_starts = 0
        self.cold_starts = 0

    def register(self, workflow: Workflow, prepare: Prepare | None = None) -> None:
        """Make a workflow type startable; `prepare` is what a warm executor has already done."""
        self._workflows[workflow.kind] = workflow
        if prepare is not None:
            self._prepare[workflow.kind] = prepare

    def workflow(self, type_: str) -> Workflow | None:
        """The registered workflow of a type."""
        return self._workflows.get(type_)

    async def on_start(self) -> None:
        """Resume what was running when the console stopped (timers cover scheduled retries)."""
        self._spawn(self._resume_all())

    async def on_stop(self) -> None:
        """Stop executors; runs stay journaled and resume at the next start."""
        for task in list(self._tasks) + list(self._refilling.values()):
            task.cancel()

    async def _resume_all(self) -> None:
        for run in await self.journal.runs((RunStatus.RUNNING, RunStatus.COMPENSATING)):
            self.launch(run)

    # -- starting ---------------------------------------------------------------------------------------------

    async def start_run(
        self, type_: str, run_id: str, params: BaseModel | dict[str, Any], *, order_key: str = ""
    ) -> Result[RunRow, InvalidParams | UnknownWorkflow]:
        """Store the run (the id is the idempotency key: an existing run is returned as it is) and launch it."""
        workflow = self._workflows.get(type_)
        if workflow is None:
            return Err(UnknownWorkflow(type_))
        try:
            model = workflow.params_model.model_validate(
                params.model_dump() if isinstance(params, BaseModel) else params
            )
        except ValidationError as exc:
            return Err(InvalidParams(type_, exc.errors()[0]["msg"]))
        run, created = await self.journal.create(run_id, type_, encode_params(model.model_dump(mode="json")), order_key)
        if created or not run.status.terminal:
            self.launch(run)
        return Ok(run)

    def launch(self, run: RunRow) -> asyncio.Task[RunStatus]:
        """Execute (or resume) a run in the background; one task per run at a time."""
        existing = self._active.get(run.id)
        if existing is not None and not existing.done():
            return existing
        self._queued[run.type] += 1
        task = asyncio.create_task(self._execute(run), name=f"workflow-{run.id}")
        self._active[run.id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait(self, run_id: str) -> RunStatus | None:
        """Wait for the run's current execution to stop (finished, or waiting for a retry)."""
        task = self._active.get(run_id)
        if task is not None:
            return await asyncio.shield(task)
        run = await self.journal.run(run_id)
        return None if run is None else run.status

    async def _execute(self, run: RunRow) -> RunStatus:
        # One viewer's runs keep their order; the semaphore bounds the whole burst (both queue FIFO).
        async with self._order_locks[run.order_key or run.id], self._slots:
            self._queued[run.type] -= 1
            self._busy[run.type] += 1
            try:
                await self._activate(run.type)
                return await execute(self, run.id)
            finally:
                self._busy[run.type] -= 1
                if not run.order_key:
                    self._order_locks.pop(run.id, None)

    async def _activate(self, type_: str) -> None:
        """Take a warm executor (prepared recently) or prepare now (a cold start); then refill."""
        warm = self._warm[type_]
        now = self.clock.now_ms()
        while warm and now - warm[0].prepared_ms > WARM_TTL_MS:
            warm.pop(0)
        if warm:
            warm.pop(0)
            self.warm_starts += 1
        else:
            self.cold_starts += 1
            prepare = self._prepare.get(type_)
            if prepare is not None:
                prepared = await prepare()
                if isinstance(prepared, Err):
                    log.warning("preparing %s failed: %s", type_, prepared.error.message())
        self.refill(type_)

    # -- warm executors ----------------------------------------------------------------------------------------

    def refill(self, type_: str | None = None) -> None:
        """Top up warm executors in the background (all types when None)."""
        for t in [type_] if type_ is not None else list(self._workflows):
            running = self._refilling.get(t)
            if running is None or running.done():
                self._refilling[t] = asyncio.create_task(self._refill(t), name=f"refill-{t}")

    async def _refill(self, type_: str) -> None:
        prepare = self._prepare.get(type_)
        while len(self._warm[type_]) < self.warm_target:
            if prepare is not None:
                prepared = await prepare()
                if isinstance(prepared, Err):
                    log.warning("warming %s failed: %s", type_, prepared.error.message())
                    return
            self._warm[type_].append(_Warm(self.clock.now_ms()))

    async def warmed(self) -> None:
        """Wait until the background refills in flight are done (tests, benchmarks)."""
        for task in list(self._refilling.values()):
            await asyncio.shield(task)

    def status(self) -> dict[str, PoolStatus]:
        """Warm, busy and queued executors per workflow type."""
        return {t: PoolStatus(len(self._warm[t]), self._busy[t], self._queued[t]) for t in sorted(self._workflows)}

    # -- timers and people -------------------------------------------------------------------------------------

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """A retry or compensation is due: resume the run outside the gate."""
        if key.startswith("run:"):
            self._spawn(self._resume(key.removeprefix("run:")))

    async def _resume(self, run_id: str) -> None:
        run = await self.journal.run(run_id)
        if run is not None and not run.status.terminal:
            self.launch(run)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resolve(self, run_id: str, action: str) -> Result[RunStatus, NotResolvable]:
        """A person's decision on an OUTCOME_UNKNOWN run: "done", "refund" or "retry"."""
        run = await self.journal.run(run_id)
        if run is None or run.status is not RunStatus.OUTCOME_UNKNOWN:
            return Err(NotResolvable(run_id, run.status.value if run else "missing"))
        if action == "done":
            await self.journal.set_status(run_id, RunStatus.COMPLETED, "marked done by the streamer")
            return Ok(RunStatus.COMPLETED)
        if action == "refund":
            await self.journal.set_status(run_id, RunStatus.COMPENSATING, "refund chosen by the streamer")
        elif action == "retry":
            async with self.unit_of_work() as tx:
                await tx.execute(
                    "UPDATE workflow_steps SET state = 'RETRYING', next_retry_ms = ? "
                    "WHERE run_id = ? AND state = 'UNKNOWN'",
                    (self.clock.now_ms(), run_id),
                )
            await self.journal.set_status(run_id, RunStatus.RUNNING, "retry chosen by the streamer")
        else:
            return Err(NotResolvable(run_id, f"unknown action {action!r}"))
        fresh = await self.journal.run(run_id)
        assert fresh is not None
        # Shielded: a caller that goes away (a closed screen, a cancelled worker) must not cancel the run.
        return Ok(await asyncio.shield(self.launch(fresh)))
